// SPDX-License-Identifier: GPL-2.0
// The ring as a guest reads it from a hostile host: the input is the whole
// shared state (indices, flags, data bytes), and the reader must never
// touch memory outside the ring or hand out a packet whose descriptor
// disagrees with its length.
extern "C" {
#include <hvkit/ring.h>
}
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *in, size_t n)
{
	if (n < 16)
		return 0;
	// 16 bytes of control fields, then the ring's data (64 B .. 16 KiB).
	hvk_ring_ctl ctl{};
	std::memcpy(&ctl, in, 16);
	size_t dlen = ((n - 16) & ~size_t(7));
	if (dlen < 64 || dlen > 16384)
		return 0;
	std::vector<u8> data(in + 16, in + 16 + dlen);	// exactly sized: ASan sees overruns
	hvk_ring r;
	if (hvk_ring_init(&r, &ctl, data.data(), dlen, false))
		return 0;
	std::vector<u8> buf(1024);
	for (int i = 0; i < 64; i++) {
		u32 len = 0;
		int ret = hvk_ring_read(&r, buf.data(), buf.size(), &len);
		if (ret == 0) {
			hvk_pkt_desc d;
			std::memcpy(&d, buf.data(), sizeof(d));
			if (u32(d.len8) * 8 != len || len < sizeof(d) || u32(d.offset8) * 8 > len)
				abort();
		} else if (ret == -EMSGSIZE) {
			buf.resize(len);
		} else {
			break;
		}
		hvk_ring_commit(&r);
		// The peer moves its index between reads, as a host may.
		ctl.write_index ^= (u32(in[i % n]) << 3);
	}
	return 0;
}
