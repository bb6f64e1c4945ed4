// SPDX-License-Identifier: GPL-2.0
// The guest's parsers of IC input from a hostile host: hvk_ic_parse() and
// hvk_ic_negotiate(), which rewrites the message into its answer in place.
// The message is a heap buffer of exactly its size, so ASan sees any read
// or write past it. Neither may report a body or an answer longer than
// the message, a malformed message must be answered with no version or
// left alone, and an accepted answer must be one the host can read back
// (hvk_ic_negotiate_response()) with versions of the guest's own lists.
extern "C" {
#include <hvkit/ic.h>
}
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

constexpr u32 V(u32 maj, u32 min) { return maj << 16 | min; }

struct List {
	std::vector<u32> srv;
};

// upstream's service lists (6.12; file copy 6.1), newest first
const List kLists[] = {
	{{V(3, 0), V(1, 0)}},			// heartbeat
	{{V(3, 2), V(3, 1), V(3, 0), V(1, 0)}},	// shutdown
	{{V(4, 0), V(3, 0), V(1, 0)}},		// time sync, KVP
	{{V(5, 0)}},				// VSS
	{{V(1, 1)}},				// file copy
};
const std::vector<u32> kFw = {V(3, 0), V(1, 0)};

bool listed(u32 v, const std::vector<u32> &l)
{
	for (u32 x : l)
		if (x == v)
			return true;
	return false;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *in, size_t n)
{
	if (n < 1 || n > 8192)
		return 0;
	const auto &srv = kLists[in[0] % (sizeof(kLists) / sizeof(kLists[0]))].srv;
	std::vector<u8> msg(in + 1, in + n);
	const std::vector<u8> orig = msg;
	const u32 len = static_cast<u32>(msg.size());

	u32 body = 0;
	const char *why = nullptr;
	const hvk_ic_hdr *h = hvk_ic_parse(msg.data(), len, &body, &why);
	if (h ? HVK_IC_HDRS + body > len : (!why || body))
		abort();

	u32 fw = 0, sv = 0, rlen = 0;
	int r = hvk_ic_negotiate(msg.data(), len, kFw.data(), kFw.size(), srv.data(), srv.size(),
				 &fw, &sv, &rlen);
	if (rlen > len)
		abort();
	u32 f2 = 0, s2 = 0;
	switch (r) {
	case 0:
		if (!listed(fw, kFw) || !listed(sv, srv) || !rlen)
			abort();
		if (hvk_ic_negotiate_response(msg.data(), rlen, kFw.data(), kFw.size(), srv.data(),
					      srv.size(), &f2, &s2) || f2 != fw || s2 != sv)
			abort();
		break;
	case -ENOENT:
	case -EBADMSG:
		if (fw || sv)
			abort();
		if (!rlen) {
			if (r == -ENOENT || msg != orig)
				abort();	/* nothing answered: nothing written */
			break;
		}
		if (hvk_ic_negotiate_response(msg.data(), rlen, kFw.data(), kFw.size(), srv.data(),
					      srv.size(), &f2, &s2) != -ENOENT)
			abort();	/* an answer naming no version */
		break;
	default:
		abort();
	}
	return 0;
}
