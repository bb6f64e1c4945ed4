// SPDX-License-Identifier: GPL-2.0
// The guest's checks of shutdown and time sync requests from a hostile
// host (include/hvkit/ic_sdts.h). The body is a heap buffer of exactly its
// size (ASan sees any read past it). An accepted shutdown request is one
// of upstream's six, its display message comes out as printable ASCII
// within the room given; an accepted time sample holds its version's
// whole struct; a time turned into Unix nanoseconds is never negative.
extern "C" {
#include <hvkit/ic_sdts.h>
}
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *in, size_t n)
{
	if (n < 1 || n > 8192)
		return 0;
	static const u32 vers[] = { HVK_IC_TS_4_0, HVK_IC_TS_3_0, HVK_IC_TS_1_0 };
	const u32 ver = vers[in[0] % 3];
	const u32 room = 1 + in[0] / 3 % 200;
	std::vector<u8> body(in + 1, in + n);
	const u32 len = static_cast<u32>(body.size());

	hvk_sd_request r{};
	if (!hvk_sd_parse(body.data(), len, &r)) {
		if (len < sizeof(hvk_ic_shutdown) || r.flags > 5 ||
		    r.action != static_cast<hvk_sd_action>(r.flags >> 1) || r.force != (r.flags & 1))
			abort();
	}
	std::vector<char> out(room);
	u32 m = hvk_sd_message(body.data(), len, out.data(), room);
	if (m >= room || std::strlen(out.data()) != m)
		abort();
	for (u32 i = 0; i < m; i++)
		if (out[i] < 0x20 || out[i] > 0x7e)
			abort();

	hvk_ts_sample s{};
	if (!hvk_ts_parse(body.data(), len, ver, &s)) {
		if (len < (ver >= HVK_IC_TS_4_0 ? sizeof(hvk_ic_timesync_ref) : sizeof(hvk_ic_timesync)) ||
		    s.has_ref != (ver >= HVK_IC_TS_4_0))
			abort();
		s64 ns = -1;
		if (!hvk_ts_unix_ns(s.parenttime, s.has_ref ? s.reftime : 0, &ns) && ns < 0)
			abort();
	}
	return 0;
}
