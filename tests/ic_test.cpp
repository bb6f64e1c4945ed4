// SPDX-License-Identifier: GPL-2.0
// The IC codec (include/hvkit/ic.h, drivers/util/ic_wire.c): what the
// guest answers to every version list upstream's services speak, what it
// refuses, and the UTF-16 <-> UTF-8 conversions KVP and file copy use.
// Every message lives in a heap buffer of exactly its size, so that a
// read or write past it is an ASan error (the sanitizer build).
extern "C" {
#include <hvkit/ic.h>
}

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

namespace {

using Vers = std::vector<u32>;

constexpr u32 V(u32 maj, u32 min) { return maj << 16 | min; }

// The guest's lists, newest first, as upstream 6.12 (6.1 for file copy).
const Vers kFw = {V(3, 0), V(1, 0)};
struct Service {
	const char *name;
	Vers srv;
};
const Service kServices[] = {
	{"heartbeat", {V(3, 0), V(1, 0)}},
	{"shutdown", {V(3, 2), V(3, 1), V(3, 0), V(1, 0)}},
	{"timesync", {V(4, 0), V(3, 0), V(1, 0)}},
	{"kvp", {V(4, 0), V(3, 0), V(1, 0)}},
	{"vss", {V(5, 0)}},
	{"fcopy", {V(1, 1)}},
};

// A host's negotiate request in a buffer of exactly its length.
std::vector<u8> request(const Vers &fw, const Vers &srv, u16 type = HVK_ICMSG_NEGOTIATE)
{
	std::vector<u8> big(HVK_IC_HDRS + 8 + 4 * (fw.size() + srv.size()));
	int n = hvk_ic_negotiate_request(big.data(), big.size(), type, 7, fw.data(), fw.size(),
					 srv.data(), srv.size());
	EXPECT_EQ(static_cast<int>(big.size()), n);
	return big;
}

struct Answer {
	int ret;
	u32 fw, srv, len;
};

Answer negotiate(std::vector<u8> &m, const Vers &fw, const Vers &srv)
{
	Answer a{};
	a.ret = hvk_ic_negotiate(m.data(), m.size(), fw.data(), fw.size(), srv.data(), srv.size(),
				 &a.fw, &a.srv, &a.len);
	return a;
}

hvk_ic_hdr header(const std::vector<u8> &m)
{
	hvk_ic_hdr h;
	std::memcpy(&h, m.data() + sizeof(hvk_ic_pipe_hdr), sizeof(h));
	return h;
}

Vers reversed(Vers v)
{
	return Vers(v.rbegin(), v.rend());
}

} // namespace

TEST(IcNegotiate, EveryUpstreamListRoundTripsAtItsNewestVersion)
{
	for (const auto &s : kServices) {
		// Hyper-V's order (newest first) and the reverse: the guest's
		// preference decides, not the host's order.
		for (const auto &offered : {s.srv, reversed(s.srv)}) {
			auto m = request(reversed(kFw), offered);
			auto a = negotiate(m, kFw, s.srv);
			ASSERT_EQ(0, a.ret) << s.name;
			EXPECT_EQ(V(3, 0), a.fw) << s.name;
			EXPECT_EQ(s.srv.front(), a.srv) << s.name;
			EXPECT_EQ(HVK_IC_HDRS + 8 + 8, a.len);
			auto h = header(m);
			EXPECT_EQ(HVK_S_OK, h.status);
			EXPECT_EQ(HVK_ICFLAG_TRANSACTION | HVK_ICFLAG_RESPONSE, h.icflags);
			EXPECT_EQ(16, h.icmsgsize);
			u32 fw = 0, srv = 0;
			EXPECT_EQ(0, hvk_ic_negotiate_response(m.data(), a.len, kFw.data(), kFw.size(),
							       offered.data(), offered.size(), &fw, &srv));
			EXPECT_EQ(a.fw, fw);
			EXPECT_EQ(a.srv, srv);
		}
	}
}

TEST(IcNegotiate, AHostPinnedToOneVersionGetsExactlyThatOne)
{
	for (const auto &s : kServices)
		for (u32 pin : s.srv)
			for (u32 fwpin : kFw) {
				auto m = request({fwpin}, {pin});
				auto a = negotiate(m, kFw, s.srv);
				ASSERT_EQ(0, a.ret) << s.name << " " << std::hex << pin;
				EXPECT_EQ(fwpin, a.fw);
				EXPECT_EQ(pin, a.srv);
			}
}

TEST(IcNegotiate, UnknownVersionsAmongKnownOnesAreSkipped)
{
	auto m = request({V(9, 9), V(1, 0)}, {V(7, 0), V(3, 1), V(0, 1)});
	auto a = negotiate(m, kFw, kServices[1].srv);
	ASSERT_EQ(0, a.ret);
	EXPECT_EQ(V(1, 0), a.fw);
	EXPECT_EQ(V(3, 1), a.srv);
}

TEST(IcNegotiate, NoCommonVersionIsAnsweredWithNone)
{
	for (auto [fw, srv] : {std::pair<Vers, Vers>{{V(2, 0)}, {V(3, 0)}}, {{V(3, 0)}, {V(9, 0)}}}) {
		auto m = request(fw, srv);
		auto a = negotiate(m, kFw, kServices[0].srv);
		EXPECT_EQ(-ENOENT, a.ret);
		EXPECT_EQ(0u, a.fw);
		EXPECT_EQ(0u, a.srv);
		ASSERT_EQ(HVK_IC_HDRS + 16, a.len);
		EXPECT_EQ(HVK_E_FAIL, header(m).status);
		struct hvk_ic_negotiate n;
		std::memcpy(&n, m.data() + HVK_IC_HDRS, sizeof(n));
		EXPECT_EQ(0, n.icframe_vercnt);
		EXPECT_EQ(0, n.icmsg_vercnt);
		u32 f, s;
		EXPECT_EQ(-ENOENT, hvk_ic_negotiate_response(m.data(), a.len, fw.data(), fw.size(),
							     srv.data(), srv.size(), &f, &s));
	}
}

TEST(IcNegotiate, ListsOfUpToAHundredAreReadAndLongerOnesRefused)
{
	Vers fw(100, V(8, 0)), srv(100, V(8, 0));
	fw.back() = V(1, 0);
	srv.back() = V(3, 0);
	auto m = request(fw, srv);
	auto a = negotiate(m, kFw, kServices[0].srv);
	ASSERT_EQ(0, a.ret);
	EXPECT_EQ(V(1, 0), a.fw);
	EXPECT_EQ(V(3, 0), a.srv);

	for (int which = 0; which < 2; which++) {
		Vers f = fw, s = srv;
		(which ? s : f).push_back(V(3, 0));	// 101
		m = request(f, s);
		a = negotiate(m, kFw, kServices[0].srv);
		EXPECT_EQ(-EBADMSG, a.ret) << which;
		// Answered all the same, naming none.
		ASSERT_EQ(HVK_IC_HDRS + 16, a.len);
		EXPECT_EQ(HVK_E_FAIL, header(m).status);
	}
}

TEST(IcNegotiate, AListRunningPastTheMessageIsRefused)
{
	auto m = request({V(3, 0)}, {V(3, 0), V(1, 0)});
	struct hvk_ic_negotiate n;
	std::memcpy(&n, m.data() + HVK_IC_HDRS, sizeof(n));
	n.icmsg_vercnt = 3;	// one more than the message holds
	std::memcpy(m.data() + HVK_IC_HDRS, &n, sizeof(n));
	auto a = negotiate(m, kFw, kServices[0].srv);
	EXPECT_EQ(-EBADMSG, a.ret);
	EXPECT_EQ(0u, a.srv);

	// Exactly fitting is fine; one byte short is not.
	m = request({V(3, 0)}, {V(3, 0), V(1, 0)});
	EXPECT_EQ(0, negotiate(m, kFw, kServices[0].srv).ret);
	m = request({V(3, 0)}, {V(3, 0), V(1, 0)});
	m.pop_back();
	EXPECT_EQ(-EBADMSG, negotiate(m, kFw, kServices[0].srv).ret);
}

TEST(IcNegotiate, AMessageTooShortForAnAnswerIsLeftAlone)
{
	// One version each: the answer's two versions fit exactly.
	auto m = request({V(3, 0)}, {V(3, 0)});
	EXPECT_EQ(HVK_IC_HDRS + 16, m.size());
	EXPECT_EQ(0, negotiate(m, kFw, kServices[0].srv).ret);

	// Headers, and fewer than two versions' room: nothing to answer in.
	for (size_t len : {size_t{0}, HVK_IC_HDRS - 1, HVK_IC_HDRS, HVK_IC_HDRS + 8,
			   HVK_IC_HDRS + 12, HVK_IC_HDRS + 15}) {
		auto full = request({V(3, 0)}, {});
		full.resize(HVK_IC_HDRS + 16);
		std::vector<u8> cut(full.begin(), full.begin() + len);
		auto before = cut;
		auto a = negotiate(cut, kFw, kServices[0].srv);
		EXPECT_EQ(-EBADMSG, a.ret) << len;
		EXPECT_EQ(0u, a.len) << len;
		EXPECT_EQ(before, cut) << len;
	}
}

TEST(IcNegotiate, TheHostRefusesAnAnswerNamingWhatItDidNotOffer)
{
	auto m = request(kFw, {V(3, 0), V(1, 0)});
	auto a = negotiate(m, kFw, kServices[0].srv);
	ASSERT_EQ(0, a.ret);
	const Vers only10 = {V(1, 0)};
	u32 f, s;
	EXPECT_EQ(-EBADMSG, hvk_ic_negotiate_response(m.data(), a.len, kFw.data(), kFw.size(),
						      only10.data(), only10.size(), &f, &s));
	// Two versions claimed where an answer has one of each.
	struct hvk_ic_negotiate n;
	std::memcpy(&n, m.data() + HVK_IC_HDRS, sizeof(n));
	n.icmsg_vercnt = 2;
	std::memcpy(m.data() + HVK_IC_HDRS, &n, sizeof(n));
	const Vers srv = {V(3, 0), V(1, 0)};
	EXPECT_EQ(-EBADMSG, hvk_ic_negotiate_response(m.data(), a.len, kFw.data(), kFw.size(),
						      srv.data(), srv.size(), &f, &s));
	// Cut short.
	EXPECT_EQ(-EBADMSG, hvk_ic_negotiate_response(m.data(), a.len - 1, kFw.data(), kFw.size(),
						      srv.data(), srv.size(), &f, &s));
}

TEST(IcNegotiate, RequestsThatDoNotFitTheRoomAreNotBuilt)
{
	std::vector<u8> m(HVK_IC_HDRS + 8 + 4 * 3 - 1);
	const Vers fw = {V(3, 0)}, srv = {V(3, 0), V(1, 0)};
	EXPECT_EQ(-ENOSPC, hvk_ic_negotiate_request(m.data(), m.size(), 0, 0, fw.data(), fw.size(),
						    srv.data(), srv.size()));
}

TEST(IcParse, TheBodyMustLieInsideThePacket)
{
	std::vector<u8> m(HVK_IC_HDRS + 40);
	hvk_ic_hdr_init(m.data(), HVK_ICMSG_HEARTBEAT, V(3, 0), V(3, 0), 5,
			HVK_ICFLAG_TRANSACTION | HVK_ICFLAG_REQUEST, 40);
	u32 body = 99;
	const char *why = nullptr;
	const hvk_ic_hdr *h = hvk_ic_parse(m.data(), m.size(), &body, &why);
	ASSERT_NE(nullptr, h);
	EXPECT_EQ(40u, body);
	EXPECT_EQ(HVK_ICMSG_HEARTBEAT, h->icmsgtype);
	EXPECT_EQ(3, h->icverframe.major);
	EXPECT_EQ(5, h->ictransaction_id);
	hvk_ic_pipe_hdr p;
	std::memcpy(&p, m.data(), sizeof(p));
	EXPECT_EQ(sizeof(hvk_ic_hdr) + 40, p.msgsize);

	std::vector<u8> short_body(m.begin(), m.end() - 1);	// icmsgsize one past
	EXPECT_EQ(nullptr, hvk_ic_parse(short_body.data(), short_body.size(), &body, &why));
	EXPECT_STREQ("icmsgsize runs past the packet", why);
	EXPECT_EQ(0u, body);

	for (size_t len : {size_t{0}, size_t{7}, HVK_IC_HDRS - 1}) {
		std::vector<u8> cut(m.begin(), m.begin() + len);
		EXPECT_EQ(nullptr, hvk_ic_parse(cut.data(), cut.size(), &body, &why)) << len;
		EXPECT_STREQ("shorter than the IC headers", why);
	}
	// Headers alone, claiming no body: fine.
	std::vector<u8> bare(HVK_IC_HDRS);
	hvk_ic_hdr_init(bare.data(), 1, V(3, 0), V(3, 0), 0, 0, 0);
	EXPECT_NE(nullptr, hvk_ic_parse(bare.data(), bare.size(), &body, &why));
	EXPECT_EQ(0u, body);
}

namespace {

std::vector<u8> utf16(std::initializer_list<u16> units)
{
	std::vector<u8> b;
	for (u16 u : units) {
		b.push_back(u & 0xff);
		b.push_back(u >> 8);
	}
	return b;
}

std::string to8(const std::vector<u8> &in, u32 room, int *ret)
{
	std::vector<char> out(room);
	*ret = hvk_utf16_to_utf8(in.data(), in.size(), out.data(), room);
	return *ret >= 0 ? std::string(out.data(), *ret) : std::string();
}

} // namespace

TEST(IcUtf16, EveryEncodedLengthConvertsToUtf8)
{
	int r;
	// 'A', U+00E9, U+20AC, U+1F600 (a surrogate pair), then the NUL.
	auto in = utf16({0x41, 0xe9, 0x20ac, 0xd83d, 0xde00, 0});
	EXPECT_EQ("A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", to8(in, 64, &r));
	EXPECT_EQ(10, r);
	// Stops at the first NUL unit, even with more after it.
	EXPECT_EQ("A", to8(utf16({0x41, 0, 0x42}), 64, &r));
	// No NUL: the bytes given are all there is.
	EXPECT_EQ("AB", to8(utf16({0x41, 0x42}), 64, &r));
	// An odd byte count: the last half unit is not read.
	auto odd = utf16({0x41, 0x42});
	odd.push_back(0x43);
	EXPECT_EQ("AB", to8(odd, 64, &r));
	EXPECT_EQ("", to8({}, 1, &r));
	EXPECT_EQ(0, r);
}

TEST(IcUtf16, BadSurrogatesAreRefused)
{
	int r;
	to8(utf16({0x41, 0xd83d}), 64, &r);		// high, then the end
	EXPECT_EQ(-EILSEQ, r);
	to8(utf16({0xd83d, 0}), 64, &r);		// high, then NUL
	EXPECT_EQ(-EILSEQ, r);
	to8(utf16({0xd83d, 0x41}), 64, &r);		// high, then not a low one
	EXPECT_EQ(-EILSEQ, r);
	to8(utf16({0xde00, 0x41}), 64, &r);		// a low one alone
	EXPECT_EQ(-EILSEQ, r);
	to8(utf16({0xd83d, 0xd83d, 0xde00}), 64, &r);	// high, high
	EXPECT_EQ(-EILSEQ, r);
}

TEST(IcUtf16, TheOutputFitsExactlyOrIsRefused)
{
	int r;
	auto in = utf16({0x41, 0xe9, 0xd83d, 0xde00});	// 1 + 2 + 4 bytes
	EXPECT_EQ("A\xc3\xa9\xf0\x9f\x98\x80", to8(in, 8, &r));	// 7 and the NUL
	to8(in, 7, &r);
	EXPECT_EQ(-ENOSPC, r);
	to8(utf16({0x41}), 1, &r);
	EXPECT_EQ(-ENOSPC, r);
	to8(utf16({0x41}), 0, &r);
	EXPECT_EQ(-ENOSPC, r);
}

namespace {

std::vector<u8> to16(const std::string &s, u32 room, int *ret)
{
	std::vector<u8> out(room);
	std::vector<char> in(s.begin(), s.end());	// exactly its bytes, no NUL
	*ret = hvk_utf8_to_utf16(in.data(), in.size(), out.data(), room);
	out.resize(*ret >= 0 ? *ret : 0);
	return out;
}

} // namespace

TEST(IcUtf8, EveryEncodedLengthConvertsToUtf16)
{
	int r;
	auto out = to16("A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 64, &r);
	EXPECT_EQ(utf16({0x41, 0xe9, 0x20ac, 0xd83d, 0xde00, 0}), out);
	EXPECT_EQ(12, r);
	// A NUL inside ends the string.
	std::string with_nul("AB\0C", 4);
	EXPECT_EQ(utf16({0x41, 0x42, 0}), to16(with_nul, 64, &r));
	EXPECT_EQ(utf16({0}), to16("", 2, &r));
	// And back again.
	std::vector<char> back(16);
	EXPECT_EQ(10, hvk_utf16_to_utf8(out.data(), out.size(), back.data(), back.size()));
	EXPECT_STREQ("A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", back.data());
}

TEST(IcUtf8, MalformedUtf8IsRefused)
{
	int r;
	for (const char *bad : {"\xc0\x80", "\xe0\x80\x80", "\xf0\x80\x80\x80", // overlong
				"\xed\xa0\x80",				   // a surrogate
				"\xf4\x90\x80\x80",			   // past U+10FFFF
				"\x80", "\xff", "A\xc3", "\xe2\x82", "\xf0\x9f\x98", // cut or stray
				"\xc3\x41"}) {
		to16(bad, 64, &r);
		EXPECT_EQ(-EILSEQ, r) << bad;
	}
}

TEST(IcUtf8, TheOutputFitsExactlyOrIsRefused)
{
	int r;
	// U+1F600 takes 4 bytes, 'A' 2, the NUL 2.
	EXPECT_EQ(8u, to16("A\xf0\x9f\x98\x80", 8, &r).size());
	to16("A\xf0\x9f\x98\x80", 7, &r);
	EXPECT_EQ(-ENOSPC, r);
	to16("AB", 5, &r);
	EXPECT_EQ(-ENOSPC, r);
	EXPECT_EQ(6u, to16("AB", 6, &r).size());
	EXPECT_EQ(6, r);
	to16("", 1, &r);
	EXPECT_EQ(-ENOSPC, r);
}
