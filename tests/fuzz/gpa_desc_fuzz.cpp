// SPDX-License-Identifier: GPL-2.0
// GPA-direct descriptors as a guest (or a buggy driver) may write them:
// the checker reads nothing past the descriptor (sized exactly: ASan sees
// an overrun), and what it accepts can be walked range by range, page by
// page, to its exact end, as the host then walks it.
extern "C" {
#include <hvkit/ring.h>
}
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *in, size_t n)
{
	if (n > 65536)
		return 0;
	std::vector<u8> d(in, in + n);
	if (hvk_gpa_desc_check(d.data(), static_cast<u32>(n)))
		return 0;
	hvk_pkt_gpa_direct h;
	std::memcpy(&h, d.data(), sizeof(h));
	size_t off = sizeof(h);
	for (u32 i = 0; i < h.range_cnt; i++) {
		hvk_gpa_range r;
		if (off + sizeof(r) > n)
			abort();
		std::memcpy(&r, &d[off], sizeof(r));
		if (!r.byte_count || r.byte_offset >= HVK_HV_PAGE_SIZE)
			abort();
		off += sizeof(r) + size_t(hvk_hv_pages(r.byte_offset, r.byte_count)) * sizeof(u64);
		if (off > n)
			abort();
	}
	if (off != n)
		abort();
	return 0;
}
