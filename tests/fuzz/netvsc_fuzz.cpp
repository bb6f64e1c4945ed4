// SPDX-License-Identifier: GPL-2.0
// The synthetic NIC's parsers on what a hostile peer may send: an RNDIS
// message in a receive range or send section, a transfer-page packet, a
// receive-buffer completion, the host's send indirection table, the RSS
// parameters a guest SETs (which the
// simulated host parses). Each input is copied to a buffer of its exact
// size (ASan sees any read past it), and what a check accepts must lie
// inside the bytes it was given.
extern "C" {
#include <hvkit/netvsc.h>
}
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

// RSC assembly over a run of fragments a host sends: each 3 bytes are a
// fragment's packet-id flags (a zero byte: no packet id) and its length;
// the run is one transfer. Whatever the order, the packet in assembly
// never holds more than HVK_RSC_MAX fragments or HVK_RSC_MAX_LEN bytes
// (a whole frame is the MTU's business),
// and a finished one holds its fragments' bytes.
static int rsc(const std::vector<u8> &d)
{
	hvk_rsc s{};
	u32 sum = 0, segs = 0;
	bool v6 = false;
	const size_t n = d.size() / 3;
	// The MSS of an assembled frame: reads only the frame's bytes.
	const u32 mss = hvk_rsc_mss(d.data(), static_cast<u32>(d.size()), 1500, &v6, &segs);
	if (mss && (mss >= 1500 || !segs))
		abort();
	for (size_t i = 0; i < n; i++) {
		const u8 *f = d.data() + i * 3;
		const u32 len = (static_cast<u32>(f[1]) | static_cast<u32>(f[2]) << 8) << (f[0] >> 7 ? 1 : 0);
		const char *why = nullptr;
		const u32 before = s.done ? 0 : s.cnt;
		auto act = hvk_rsc_step(&s, f[0] != 0, HVK_PKTINFO(f[0] & 0x7f, i), len, i + 1 == n,
					&why);
		if (s.cnt > HVK_RSC_MAX || (act != HVK_RSC_WHOLE && s.len > HVK_RSC_MAX_LEN))
			abort();
		switch (act) {
		case HVK_RSC_DROP:
			if (s.cnt)
				abort();
			sum = 0;
			break;
		case HVK_RSC_WHOLE:
			if (s.cnt != 1 || s.len != len)
				abort();
			sum = 0;
			break;
		case HVK_RSC_MORE:
		case HVK_RSC_DONE:
			sum = s.cnt == 1 ? len : sum + len;
			if (s.len != sum || (before && s.cnt != before + 1 && s.cnt != 1))
				abort();
			if (act == HVK_RSC_DONE)
				sum = 0;
			break;
		}
	}
	return 0;
}

// The offload parsers (selector byte with bit 7 set): per-packet info
// in a checked RNDIS packet, the host's capabilities, the guest's
// parameters, an LSO request on a frame; with bit 4 too, RSC assembly.
static int offloads(u8 sel, std::vector<u8> &d)
{
	const u32 len = static_cast<u32>(d.size());
	switch ((sel >> 5) & 3) {
	case 0: {
		hvk_rndis_view v{};
		if (hvk_rndis_check(d.data(), len, &v) || v.type != HVK_RNDIS_PACKET)
			return 0;
		if (v.ppi_len && u64(v.ppi_off) + v.ppi_len > v.len)
			abort();
		for (u32 t : {HVK_PPI_CSUM, HVK_PPI_LSO, HVK_PPI_VLAN}) {
			u32 val = 0;
			bool found = false;
			hvk_ppi_find(d.data(), &v, t, &val, &found);
		}
		break;
	}
	case 1: {
		u32 ofl = 0, lso_max = 0;
		if (hvk_offload_caps_parse(d.data(), len, &ofl, &lso_max))
			return 0;
		if (ofl & ~HVK_OFL_ALL)
			abort();
		break;
	}
	case 2: {
		const u32 granted = (sel & 1) ? HVK_OFL_ALL : HVK_OFL_RX_CSUM;
		u32 on = 0;
		if (hvk_offload_params_check(d.data(), len, granted, &on))
			return 0;
		if (on & ~granted)
			abort();
		break;
	}
	default: {
		if (sel & 0x10)
			return rsc(d);
		if (len < 4)
			return 0;
		u32 lso;
		std::memcpy(&lso, d.data(), 4);
		if (hvk_lso_check(d.data() + 4, len - 4, lso, 62768, 1500))
			return 0;
		const u32 thoff = HVK_LSO_THOFF(lso);
		if (thoff + 20 > len - 4 || !HVK_LSO_MSS(lso))
			abort();
		break;
	}
	}
	return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *in, size_t n)
{
	if (n < 1 || n > 65536)
		return 0;
	std::vector<u8> d(in + 1, in + n);
	const u32 len = static_cast<u32>(d.size());
	if (in[0] & 0x80)
		return offloads(in[0], d);
	switch (in[0] % 4) {
	case 0: {
		hvk_rndis_view v{};
		if (hvk_rndis_check(d.data(), len, &v))
			return 0;
		if (v.len > len || (v.data_len && (u64(v.data_off) + v.data_len > v.len)))
			abort();
		if (v.type == HVK_RNDIS_PACKET && (!v.data_len || v.data_off < HVK_RNDIS_PKT_HDR))
			abort();
		u32 speed;
		if (!hvk_rndis_link_speed(d.data(), &v, &speed) &&
		    (v.type != HVK_RNDIS_INDICATE || u64(v.data_off) + sizeof(speed) > v.len))
			abort();
		break;
	}
	case 1: {
		const u32 buf = 1 << 20;
		if (hvk_nvsp_xfer_check(d.data(), len, buf))
			return 0;
		hvk_pkt_xfer_pages x;
		std::memcpy(&x, d.data(), sizeof(x));
		for (u32 i = 0; i < x.range_cnt; i++) {
			hvk_xfer_range r;
			if (sizeof(x) + (i + 1) * sizeof(r) > x.desc.offset8 * 8u)
				abort();
			std::memcpy(&r, d.data() + sizeof(x) + i * sizeof(r), sizeof(r));
			if (u64(r.byte_offset) + r.byte_count > buf)
				abort();
		}
		break;
	}
	case 3: {
		u8 key[HVK_RSS_KEY_LEN];
		u16 itab[HVK_RSS_ITAB_LEN];
		bool on = false;
		const u32 queues = 1 + in[0] / 4 % 8;
		if (hvk_rss_params_check(d.data(), len, queues, key, itab, &on) || !on)
			return 0;
		for (u16 e : itab)
			if (e >= queues)
				abort();
		break;
	}
	default: {
		if (in[0] & 0x40) {
			// The host's send indirection table, for an NVSP 6.0 or 6.1 peer.
			u32 tab[HVK_SEND_TAB_LEN];
			hvk_send_table_parse(d.data(), len, (in[0] & 0x20) ? HVK_NVSP_V6 : HVK_NVSP_V61, tab);
			return 0;
		}
		hvk_nvsp_recv_buf_complete c;
		if (len < sizeof(c) + 4)
			return 0;
		std::memcpy(&c, d.data(), sizeof(c));
		u32 size;
		std::memcpy(&size, d.data() + sizeof(c), 4);
		if (hvk_nvsp_rxbuf_check(&c, size, 64))
			return 0;
		if (u64(c.section.sub_alloc_size) * c.section.num_sub_allocs > size)
			abort();
		break;
	}
	}
	return 0;
}
