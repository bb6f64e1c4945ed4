// SPDX-License-Identifier: GPL-2.0
// The storage VSP's parsers on arbitrary bytes. The first byte picks the
// side. Guest: a completion (sized exactly: ASan sees an overrun) and the
// data length it asked for; whatever the check takes must be safe to use
// as hvkit_storvsc uses it. Host: a GPA-direct packet as the simulated
// host receives it: the ranges' checker, then the request block's.
extern "C" {
#include <hvkit/storvsc.h>
#include <hvkit/ring.h>
}
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

void guest(const uint8_t *in, size_t n)
{
	uint32_t requested;
	if (n < sizeof(requested))
		return;
	std::memcpy(&requested, in, sizeof(requested));
	std::vector<uint8_t> p(in + sizeof(requested), in + n);
	if (hvk_vstor_completion_check(p.data(), static_cast<uint32_t>(p.size()), requested) != HVK_VSTOR_OK)
		return;
	hvk_vstor_packet v;
	if (p.size() < sizeof(v))
		abort();
	std::memcpy(&v, p.data(), sizeof(v));
	if (v.operation != HVK_VSTOR_COMPLETE_IO || v.srb.data_transfer_length > requested ||
	    !hvk_srb_status_known(v.srb.srb_status))
		abort();
	if ((v.srb.srb_status & HVK_SRB_STATUS_AUTOSENSE_VALID) && v.srb.sense_info_length > sizeof(v.srb.sense_data))
		abort();
}

void host(const uint8_t *in, size_t n)
{
	// [u16 descriptor size][descriptor][vstor packet]
	uint16_t dsz;
	if (n < sizeof(dsz))
		return;
	std::memcpy(&dsz, in, sizeof(dsz));
	in += sizeof(dsz);
	n -= sizeof(dsz);
	if (dsz > n || n - dsz < sizeof(hvk_vstor_packet))
		return;
	std::vector<uint8_t> d(in, in + dsz);
	if (hvk_gpa_desc_check(d.data(), dsz))
		return;
	hvk_pkt_gpa_direct h;
	std::memcpy(&h, d.data(), sizeof(h));
	uint64_t data = 0;
	size_t off = sizeof(h);
	for (uint32_t i = 0; i < h.range_cnt; i++) {
		hvk_gpa_range r;
		std::memcpy(&r, &d[off], sizeof(r));
		off += sizeof(r) + size_t(hvk_hv_pages(r.byte_offset, r.byte_count)) * sizeof(uint64_t);
		data += r.byte_count;
	}
	if (data > UINT32_MAX)
		return;	// the host refuses it before (max_transfer_bytes)
	hvk_vstor_packet v;
	std::memcpy(&v, in + dsz, sizeof(v));
	if (hvk_vstor_srb_check(&v.srb, static_cast<uint32_t>(data)))
		return;
	if (!v.srb.cdb_length || v.srb.cdb_length > sizeof(v.srb.cdb) || v.srb.data_transfer_length != data)
		abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *in, size_t n)
{
	if (!n || n > 65536)
		return 0;
	if (in[0] & 1)
		host(in + 1, n - 1);
	else
		guest(in + 1, n - 1);
	return 0;
}
