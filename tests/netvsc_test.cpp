// SPDX-License-Identifier: GPL-2.0
// The synthetic NIC's wire checks (include/hvkit/netvsc.h), which the guest
// driver and the simulated host both apply to what the other side sends:
// each accepts a well-formed message and names what is wrong with a bad one.
extern "C" {
#include <hvkit/netvsc.h>
}

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

namespace {

// An RNDIS data packet carrying @frame bytes, as netvsc builds one.
std::vector<u8> rndis_packet(u32 frame)
{
	std::vector<u8> m(HVK_RNDIS_PKT_HDR + frame, 0xab);
	hvk_rndis_hdr h{HVK_RNDIS_PACKET, static_cast<u32>(m.size())};
	hvk_rndis_packet p{};
	p.data_off = sizeof(p);
	p.data_len = frame;
	std::memcpy(m.data(), &h, sizeof(h));
	std::memcpy(m.data() + sizeof(h), &p, sizeof(p));
	return m;
}

hvk_rndis_packet *pkt_of(std::vector<u8> &m)
{
	return reinterpret_cast<hvk_rndis_packet *>(m.data() + sizeof(hvk_rndis_hdr));
}

std::string why(const char *w)
{
	return w ? w : "";
}

TEST(Rndis, PacketViewIsTheFrame)
{
	auto m = rndis_packet(60);
	hvk_rndis_view v{};
	ASSERT_EQ(why(hvk_rndis_check(m.data(), m.size(), &v)), "");
	EXPECT_EQ(v.type, HVK_RNDIS_PACKET);
	EXPECT_EQ(v.data_off, HVK_RNDIS_PKT_HDR);
	EXPECT_EQ(v.data_len, 60u);
}

TEST(Rndis, LengthPastItsBufferIsRefused)
{
	auto m = rndis_packet(60);
	hvk_rndis_view v{};
	EXPECT_EQ(why(hvk_rndis_check(m.data(), m.size() - 1, &v)), "RNDIS length outside its buffer");
	reinterpret_cast<hvk_rndis_hdr *>(m.data())->len = 4;
	EXPECT_EQ(why(hvk_rndis_check(m.data(), m.size(), &v)), "RNDIS length outside its buffer");
}

TEST(Rndis, FrameOutsideTheMessageIsRefused)
{
	auto m = rndis_packet(60);
	hvk_rndis_view v{};
	pkt_of(m)->data_off = 0xffffffffu;	// offset + length wraps in 32 bits
	EXPECT_EQ(why(hvk_rndis_check(m.data(), m.size(), &v)), "RNDIS packet's frame outside the message");
	pkt_of(m)->data_off = 8;		// inside the packet header itself
	EXPECT_EQ(why(hvk_rndis_check(m.data(), m.size(), &v)), "RNDIS packet's frame outside the message");
	pkt_of(m)->data_off = sizeof(hvk_rndis_packet) + 1;	// one byte past the end
	EXPECT_EQ(why(hvk_rndis_check(m.data(), m.size(), &v)), "RNDIS packet's frame outside the message");
	pkt_of(m)->data_off = sizeof(hvk_rndis_packet);
	pkt_of(m)->data_len = 0;
	EXPECT_EQ(why(hvk_rndis_check(m.data(), m.size(), &v)), "RNDIS packet without a frame");
	pkt_of(m)->data_len = 60;
	pkt_of(m)->ppi_off = 20;
	pkt_of(m)->ppi_len = 4;
	EXPECT_EQ(why(hvk_rndis_check(m.data(), m.size(), &v)), "RNDIS per-packet info outside the message");
}

TEST(Rndis, UnknownAndShortMessagesAreRefused)
{
	std::vector<u8> m(64, 0);
	hvk_rndis_view v{};
	hvk_rndis_hdr h{0x42, 64};
	std::memcpy(m.data(), &h, sizeof(h));
	EXPECT_EQ(why(hvk_rndis_check(m.data(), m.size(), &v)), "unknown RNDIS message type");
	h = {HVK_RNDIS_INIT_C, 20};	// INIT_C's body is 44 bytes
	std::memcpy(m.data(), &h, sizeof(h));
	EXPECT_EQ(why(hvk_rndis_check(m.data(), m.size(), &v)), "RNDIS message shorter than its type");
	EXPECT_EQ(why(hvk_rndis_check(m.data(), 7, &v)), "shorter than an RNDIS header");
}

TEST(Rndis, QueryCompletionInformationIsChecked)
{
	struct {
		hvk_rndis_hdr h;
		hvk_rndis_query_cmplt c;
		u8 mac[6];
	} __attribute__((packed)) m{};
	m.h = {HVK_RNDIS_QUERY_C, sizeof(m)};
	m.c.info_len = 6;
	m.c.info_off = sizeof(m.c);
	hvk_rndis_view v{};
	ASSERT_EQ(why(hvk_rndis_check(&m, sizeof(m), &v)), "");
	EXPECT_EQ(v.data_off, offsetof(decltype(m), mac));
	EXPECT_EQ(v.data_len, 6u);
	m.c.info_len = 7;
	EXPECT_EQ(why(hvk_rndis_check(&m, sizeof(m), &v)), "RNDIS information buffer outside the message");
}

// A link speed indication whose status buffer holds @buf of its 4 bytes.
struct SpeedIndication {
	hvk_rndis_hdr h;
	hvk_rndis_indicate i;
	u32 speed;
} __attribute__((packed));

SpeedIndication speed_indication(u32 speed, u32 buf)
{
	SpeedIndication m{};
	m.h = {HVK_RNDIS_INDICATE, static_cast<u32>(sizeof(m) - (4 - buf))};
	m.i.status = HVK_RNDIS_STATUS_LINK_SPEED_CHANGE;
	m.i.buf_len = buf;
	m.i.buf_off = buf ? sizeof(m.i) : 0;
	m.speed = speed;
	return m;
}

TEST(Rndis, LinkSpeedIndicationGivesTheSpeed)
{
	auto m = speed_indication(250000000, 4);	// 25 Gbit/s in 100 bit/s units
	hvk_rndis_view v{};
	u32 speed = 0;
	ASSERT_EQ(why(hvk_rndis_check(&m, m.h.len, &v)), "");
	EXPECT_EQ(why(hvk_rndis_link_speed(&m, &v, &speed)), "");
	EXPECT_EQ(speed, 250000000u);
}

TEST(Rndis, LinkSpeedIndicationTooShortIsRefused)
{
	hvk_rndis_view v{};
	u32 speed = 7;
	for (u32 buf : {0u, 2u, 3u}) {
		auto m = speed_indication(250000000, buf);
		ASSERT_EQ(why(hvk_rndis_check(&m, m.h.len, &v)), "") << buf;
		EXPECT_EQ(why(hvk_rndis_link_speed(&m, &v, &speed)),
			  "status buffer shorter than the 4-byte speed")
			<< buf;
	}
	EXPECT_EQ(speed, 7u);
	// A buffer said to be 4 bytes but running past the message: hvk_rndis_check's.
	auto m = speed_indication(250000000, 4);
	m.h.len -= 2;
	EXPECT_EQ(why(hvk_rndis_check(&m, m.h.len, &v)), "RNDIS status buffer outside the message");
	auto p = rndis_packet(60);
	ASSERT_EQ(why(hvk_rndis_check(p.data(), p.size(), &v)), "");
	EXPECT_EQ(why(hvk_rndis_link_speed(p.data(), &v, &speed)), "not a status indication");
}

// A transfer-page packet with one range, as a host sends a received frame.
std::vector<u8> xfer(u32 off, u32 count)
{
	std::vector<u8> p(sizeof(hvk_pkt_xfer_pages) + sizeof(hvk_xfer_range) + HVK_NVSP_MSG_SIZE, 0);
	hvk_pkt_xfer_pages x{};
	x.desc.type = HVK_PKT_DATA_USING_XFER_PAGES;
	x.desc.offset8 = (sizeof(x) + sizeof(hvk_xfer_range)) / 8;
	x.desc.len8 = static_cast<u16>(p.size() / 8);
	x.xfer_pageset_id = HVK_NVSP_RECV_BUF_ID;
	x.range_cnt = 1;
	hvk_xfer_range r{count, off};
	u32 type = HVK_NVSP1_SEND_RNDIS_PKT;
	std::memcpy(p.data(), &x, sizeof(x));
	std::memcpy(p.data() + sizeof(x), &r, sizeof(r));
	std::memcpy(p.data() + static_cast<size_t>(x.desc.offset8) * 8, &type, 4);
	return p;
}

TEST(Nvsp, XferRangesMustLieInTheReceiveBuffer)
{
	auto p = xfer(4096, 100);
	EXPECT_EQ(why(hvk_nvsp_xfer_check(p.data(), p.size(), 8192)), "");
	p = xfer(8192, 1);
	EXPECT_EQ(why(hvk_nvsp_xfer_check(p.data(), p.size(), 8192)), "receive range outside the receive buffer");
	p = xfer(100, 0xffffffffu);	// offset + count wraps
	EXPECT_EQ(why(hvk_nvsp_xfer_check(p.data(), p.size(), 8192)), "receive range outside the receive buffer");
}

TEST(Nvsp, XferRangeCountMustFitBeforeThePayload)
{
	auto p = xfer(0, 100);
	reinterpret_cast<hvk_pkt_xfer_pages *>(p.data())->range_cnt = 2;
	EXPECT_EQ(why(hvk_nvsp_xfer_check(p.data(), p.size(), 8192)),
		  "transfer-page ranges run past the payload offset");
	p = xfer(0, 100);
	reinterpret_cast<hvk_pkt_xfer_pages *>(p.data())->xfer_pageset_id = 1;
	EXPECT_EQ(why(hvk_nvsp_xfer_check(p.data(), p.size(), 8192)), "transfer pages of an unknown page set");
	p = xfer(0, 100);
	EXPECT_EQ(why(hvk_nvsp_xfer_check(p.data(), p.size() - 32, 8192)),
		  "transfer-page packet without its NVSP message");
}

TEST(Nvsp, ReceiveSectionMustFitTheBuffer)
{
	hvk_nvsp_recv_buf_complete c{};
	c.status = HVK_NVSP_STAT_SUCCESS;
	c.num_sections = 1;
	c.section = {0, 1728, 100, 172800};
	EXPECT_EQ(why(hvk_nvsp_rxbuf_check(&c, 1 << 20, 64)), "");
	EXPECT_EQ(why(hvk_nvsp_rxbuf_check(&c, 172799, 64)), "receive section past the buffer");
	c.section.num_sub_allocs = 0x40000000;	// size * count overflows 32 bits
	EXPECT_EQ(why(hvk_nvsp_rxbuf_check(&c, 1 << 20, 64)), "receive section past the buffer");
	c.section.num_sub_allocs = 100;
	c.num_sections = 2;
	EXPECT_EQ(why(hvk_nvsp_rxbuf_check(&c, 1 << 20, 64)), "not exactly one receive section");
}

TEST(Nvsp, OnlyHyperVVersionsAreKnown)
{
	for (u32 v : {HVK_NVSP_V2, HVK_NVSP_V4, HVK_NVSP_V5, HVK_NVSP_V6, HVK_NVSP_V61})
		EXPECT_TRUE(hvk_nvsp_version_known(v)) << std::hex << v;
	EXPECT_FALSE(hvk_nvsp_version_known(0x70000));
	EXPECT_FALSE(hvk_nvsp_version_known(0x30000));
	EXPECT_EQ(hvk_nvsp_min_len(HVK_NVSP1_SEND_RECV_BUF_COMPLETE), 28u);
	EXPECT_EQ(hvk_nvsp_min_len(999), 0u);
}

// Microsoft's RSS verification suite ("Verifying the RSS Hash Calculation"):
// the default key, and the hashes of its first two IPv4 flows and first
// IPv6 flow; the input is source address, destination address, source
// port, destination port, in network order.
const u8 kMsKey[HVK_RSS_KEY_LEN] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
	0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
	0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

TEST(Rss, ToeplitzMatchesMicrosoftsVectorsIpv4)
{
	const u8 a[12] = {66, 9, 149, 187, 161, 142, 100, 80, 2794 >> 8, 2794 & 0xff, 1766 >> 8,
			  1766 & 0xff};
	EXPECT_EQ(hvk_toeplitz(kMsKey, sizeof(kMsKey), a, 8), 0x323e8fc2u);
	EXPECT_EQ(hvk_toeplitz(kMsKey, sizeof(kMsKey), a, 12), 0x51ccc178u);
	const u8 b[12] = {199, 92, 111, 2, 65, 69, 140, 83, 14230 >> 8, 14230 & 0xff, 4739 >> 8,
			  4739 & 0xff};
	EXPECT_EQ(hvk_toeplitz(kMsKey, sizeof(kMsKey), b, 8), 0xd718262au);
	EXPECT_EQ(hvk_toeplitz(kMsKey, sizeof(kMsKey), b, 12), 0xc626b0eau);
}

TEST(Rss, ToeplitzMatchesMicrosoftsVectorsIpv6)
{
	// 3ffe:2501:200:1fff::7 -> 3ffe:2501:200:3::1, ports 2794 -> 1766.
	const u8 a[36] = {0x3f, 0xfe, 0x25, 0x01, 0x02, 0x00, 0x1f, 0xff, 0, 0, 0, 0, 0, 0, 0, 7,
			  0x3f, 0xfe, 0x25, 0x01, 0x02, 0x00, 0x00, 0x03, 0, 0, 0, 0, 0, 0, 0, 1,
			  2794 >> 8, 2794 & 0xff, 1766 >> 8, 1766 & 0xff};
	EXPECT_EQ(hvk_toeplitz(kMsKey, sizeof(kMsKey), a, 32), 0x2cc18cd5u);
	EXPECT_EQ(hvk_toeplitz(kMsKey, sizeof(kMsKey), a, 36), 0x40207d3du);
	// A key too short for the input hashes nothing rather than read past it.
	EXPECT_EQ(hvk_toeplitz(kMsKey, 20, a, 36), 0u);
}

// RSS parameters as netvsc SETs them: the structure, a table of @entries
// 4-byte entries (i % queues), then the key.
std::vector<u8> rss_params(u32 entries, u32 queues)
{
	const size_t tab = size_t{entries} * 4;
	std::vector<u8> m(sizeof(hvk_rss_params) + tab + HVK_RSS_KEY_LEN);
	hvk_rss_params p{};
	p.hdr = {HVK_NDIS_OBJ_RSS_PARAMETERS, 2, sizeof(p)};
	p.hash_info = HVK_RSS_HASH_TOEPLITZ | HVK_RSS_HASH_TCP_IPV4;
	p.itab_size = static_cast<u16>(tab);
	p.itab_off = sizeof(p);
	p.key_size = HVK_RSS_KEY_LEN;
	p.key_off = static_cast<u32>(sizeof(p) + tab);
	std::memcpy(m.data(), &p, sizeof(p));
	for (u32 i = 0; i < entries; i++) {
		u32 e = i % queues;
		std::memcpy(m.data() + sizeof(p) + size_t{i} * 4, &e, 4);
	}
	std::memcpy(m.data() + p.key_off, kMsKey, sizeof(kMsKey));
	return m;
}

hvk_rss_params *params_of(std::vector<u8> &m)
{
	return reinterpret_cast<hvk_rss_params *>(m.data());
}

TEST(Rss, AGoodTableIsTakenAndAShortOneRepeats)
{
	u8 key[HVK_RSS_KEY_LEN] = {};
	u16 itab[HVK_RSS_ITAB_LEN] = {};
	bool on = false;
	auto m = rss_params(128, 4);
	ASSERT_EQ(why(hvk_rss_params_check(m.data(), m.size(), 4, key, itab, &on)), "");
	EXPECT_TRUE(on);
	EXPECT_EQ(std::memcmp(key, kMsKey, sizeof(key)), 0);
	EXPECT_EQ(itab[5], 1);
	EXPECT_EQ(itab[127], 3);
	m = rss_params(8, 2);
	ASSERT_EQ(why(hvk_rss_params_check(m.data(), m.size(), 2, key, itab, &on)), "");
	for (u32 i = 0; i < HVK_RSS_ITAB_LEN; i++)
		EXPECT_EQ(itab[i], i % 2) << i;
}

TEST(Rss, DisablingNeedsNoTable)
{
	u8 key[HVK_RSS_KEY_LEN] = {};
	u16 itab[HVK_RSS_ITAB_LEN] = {};
	bool on = true;
	auto m = rss_params(128, 4);
	params_of(m)->flags = HVK_RSS_PARAM_FLAG_DISABLE;
	params_of(m)->itab_size = 3;	// not looked at
	EXPECT_EQ(why(hvk_rss_params_check(m.data(), m.size(), 1, key, itab, &on)), "");
	EXPECT_FALSE(on);
}

TEST(Rss, BadTablesAreRefusedAsHyperVDoes)
{
	u8 key[HVK_RSS_KEY_LEN] = {};
	u16 itab[HVK_RSS_ITAB_LEN] = {};
	bool on = false;
	auto m = rss_params(128, 4);
	EXPECT_EQ(why(hvk_rss_params_check(m.data(), m.size(), 3, key, itab, &on)),
		  "RSS indirection table names a queue the host did not grant");
	EXPECT_FALSE(on);
	m = rss_params(128, 4);
	params_of(m)->key_size = 16;
	EXPECT_EQ(why(hvk_rss_params_check(m.data(), m.size(), 4, key, itab, &on)),
		  "RSS key is not 40 bytes");
	m = rss_params(128, 4);
	params_of(m)->itab_size = 6;
	EXPECT_EQ(why(hvk_rss_params_check(m.data(), m.size(), 4, key, itab, &on)),
		  "RSS indirection table size not a whole number of entries");
	m = rss_params(128, 4);
	params_of(m)->itab_size = 0;
	EXPECT_EQ(why(hvk_rss_params_check(m.data(), m.size(), 4, key, itab, &on)),
		  "RSS indirection table size not a whole number of entries");
	m = rss_params(128, 4);
	params_of(m)->key_off = static_cast<u32>(m.size()) - 39;
	EXPECT_EQ(why(hvk_rss_params_check(m.data(), m.size(), 4, key, itab, &on)),
		  "RSS key or indirection table outside the buffer");
	m = rss_params(128, 4);
	params_of(m)->itab_off = 0xfffffff0u;
	EXPECT_EQ(why(hvk_rss_params_check(m.data(), m.size(), 4, key, itab, &on)),
		  "RSS key or indirection table outside the buffer");
	m = rss_params(128, 4);
	params_of(m)->hash_info = 2;
	EXPECT_EQ(why(hvk_rss_params_check(m.data(), m.size(), 4, key, itab, &on)),
		  "RSS hash function is not Toeplitz");
	EXPECT_EQ(why(hvk_rss_params_check(m.data(), 39, 4, key, itab, &on)),
		  "RSS parameters shorter than their structure");
}

TEST(Nvsp, SubChannelMessagesHaveTheirLength)
{
	EXPECT_EQ(hvk_nvsp_min_len(HVK_NVSP5_SUBCHANNEL), 12u);
	EXPECT_EQ(hvk_nvsp_min_len(HVK_NVSP5_SEND_INDIRECTION_TABLE), 12u);
}

// The send indirection table as Hyper-V sends it: 16 entries after the
// 12-byte message (offset 12), or, on hosts agreeing NVSP 6.0 or older,
// after a whole 40-byte NVSP message whatever the offset says.
static std::vector<u8> send_table_msg(u32 count, u32 offset, u32 at, u32 len)
{
	std::vector<u8> m(len);
	const u32 hdr[3] = {HVK_NVSP5_SEND_INDIRECTION_TABLE, count, offset};
	std::memcpy(m.data(), hdr, sizeof(hdr));
	for (u32 i = 0; i < HVK_SEND_TAB_LEN && at + 4 * (i + 1) <= len; i++) {
		const u32 e = 3 - i % 4;
		std::memcpy(m.data() + at + 4 * i, &e, 4);
	}
	return m;
}

TEST(Nvsp, SendTableIsReadWhereTheOffsetSays)
{
	u32 tab[HVK_SEND_TAB_LEN] = {};
	auto m = send_table_msg(16, 12, 12, 12 + 64);
	ASSERT_EQ(hvk_send_table_parse(m.data(), m.size(), HVK_NVSP_V61, tab), nullptr);
	for (u32 i = 0; i < HVK_SEND_TAB_LEN; i++)
		EXPECT_EQ(tab[i], 3 - i % 4) << i;
}

TEST(Nvsp, SendTableOfAnOldHostIsReadAfterAWholeMessage)
{
	u32 tab[HVK_SEND_TAB_LEN] = {};
	// The host bug: offset 12 named, the table at 40.
	auto m = send_table_msg(16, 12, HVK_NVSP_MSG_SIZE, HVK_NVSP_MSG_SIZE + 64);
	ASSERT_EQ(hvk_send_table_parse(m.data(), m.size(), HVK_NVSP_V6, tab), nullptr);
	for (u32 i = 0; i < HVK_SEND_TAB_LEN; i++)
		EXPECT_EQ(tab[i], 3 - i % 4) << i;
	// A 6.1 host is taken at its word.
	ASSERT_EQ(hvk_send_table_parse(m.data(), m.size(), HVK_NVSP_V61, tab), nullptr);
	EXPECT_EQ(tab[0], 0u);
}

TEST(Nvsp, BadSendTablesAreRefused)
{
	u32 tab[HVK_SEND_TAB_LEN] = {7, 7};
	auto m = send_table_msg(15, 12, 12, 12 + 64);
	EXPECT_NE(hvk_send_table_parse(m.data(), m.size(), HVK_NVSP_V61, tab), nullptr);
	m = send_table_msg(16, 16, 12, 12 + 64);
	EXPECT_NE(hvk_send_table_parse(m.data(), m.size(), HVK_NVSP_V61, tab), nullptr);
	m = send_table_msg(16, 0xfffffff0u, 12, 12 + 64);
	EXPECT_NE(hvk_send_table_parse(m.data(), m.size(), HVK_NVSP_V61, tab), nullptr);
	m = send_table_msg(16, 4, 12, 12 + 64);
	EXPECT_NE(hvk_send_table_parse(m.data(), m.size(), HVK_NVSP_V61, tab), nullptr);
	m = send_table_msg(16, 12, 12, 12 + 63);
	EXPECT_NE(hvk_send_table_parse(m.data(), m.size(), HVK_NVSP_V61, tab), nullptr);
	EXPECT_EQ(tab[0], 7u) << "a refused table leaves the old one";
}

// ---- offloads ----

TEST(Offload, CapabilitiesRoundTripAsTheGuestReadsThem)
{
	hvk_ndis_offload o;
	u32 ofl = 0, lso_max = 0;
	u32 len = hvk_offload_caps_fill(&o, HVK_OFL_ALL, 62768, HVK_NDIS_6_30);
	EXPECT_EQ(len, sizeof(o));
	ASSERT_EQ(why(hvk_offload_caps_parse(&o, len, &ofl, &lso_max)), "");
	EXPECT_EQ(ofl, HVK_OFL_ALL);
	EXPECT_EQ(lso_max, 62768u);
	// An NDIS 6.1 guest gets the 6.0 structure: no RSC.
	len = hvk_offload_caps_fill(&o, HVK_OFL_ALL, 62768, HVK_NDIS_6_1);
	EXPECT_EQ(len, u32(HVK_NDIS_OFFLOAD_SIZE_6_0));
	ASSERT_EQ(why(hvk_offload_caps_parse(&o, len, &ofl, &lso_max)), "");
	EXPECT_EQ(ofl, HVK_OFL_ALL & ~(HVK_OFL_RSC4 | HVK_OFL_RSC6));
	// Nothing granted: nothing read.
	len = hvk_offload_caps_fill(&o, 0, 62768, HVK_NDIS_6_30);
	ASSERT_EQ(why(hvk_offload_caps_parse(&o, len, &ofl, &lso_max)), "");
	EXPECT_EQ(ofl, 0u);
	EXPECT_EQ(lso_max, 0u);
}

TEST(Offload, LsoWithoutTcpChecksumsIsNotTaken)
{
	hvk_ndis_offload o;
	u32 ofl = 0, lso_max = 0;
	u32 len = hvk_offload_caps_fill(&o, HVK_OFL_LSO4 | HVK_OFL_LSO6 | HVK_OFL_RX_CSUM, 62768,
					HVK_NDIS_6_30);
	ASSERT_EQ(why(hvk_offload_caps_parse(&o, len, &ofl, &lso_max)), "");
	EXPECT_EQ(ofl, HVK_OFL_RX_CSUM);
}

TEST(Offload, MalformedCapabilitiesAreRefused)
{
	hvk_ndis_offload o;
	u32 ofl = 1, lso_max = 1;
	u32 len = hvk_offload_caps_fill(&o, HVK_OFL_ALL, 62768, HVK_NDIS_6_30);
	EXPECT_EQ(why(hvk_offload_caps_parse(&o, 100, &ofl, &lso_max)),
		  "offload capabilities shorter than NDIS 6.0's");
	EXPECT_EQ(ofl, 0u);
	o.hdr.size = static_cast<u16>(len + 4);
	EXPECT_EQ(why(hvk_offload_caps_parse(&o, len, &ofl, &lso_max)),
		  "offload capabilities' size outside what came");
	o.hdr.size = static_cast<u16>(len);
	o.hdr.type = HVK_NDIS_OBJ_DEFAULT;
	EXPECT_EQ(why(hvk_offload_caps_parse(&o, len, &ofl, &lso_max)),
		  "offload capabilities of the wrong object type or revision");
}

TEST(Offload, ParametersTheGuestSetsAreWhatTheHostReads)
{
	hvk_ndis_offload_params p;
	u32 on = 0;
	u32 len = hvk_offload_params_fill(&p, HVK_OFL_ALL, HVK_NVSP_V61);
	EXPECT_EQ(len, sizeof(p));
	ASSERT_EQ(why(hvk_offload_params_check(&p, len, HVK_OFL_ALL, &on)), "");
	EXPECT_EQ(on, HVK_OFL_ALL);
	// Off again: everything off.
	len = hvk_offload_params_fill(&p, 0, HVK_NVSP_V61);
	ASSERT_EQ(why(hvk_offload_params_check(&p, len, HVK_OFL_ALL, &on)), "");
	EXPECT_EQ(on, 0u);
	// Receive checksums only.
	len = hvk_offload_params_fill(&p, HVK_OFL_RX_CSUM, HVK_NVSP_V61);
	ASSERT_EQ(why(hvk_offload_params_check(&p, len, HVK_OFL_ALL, &on)), "");
	EXPECT_EQ(on, HVK_OFL_RX_CSUM);
	// NVSP 4: the 22-byte structure, UDP left as it was (off), no RSC.
	len = hvk_offload_params_fill(&p, HVK_OFL_ALL, HVK_NVSP_V4);
	EXPECT_EQ(len, u32(HVK_NDIS_OFFLOAD_PARAMS_V4));
	on = 0;
	ASSERT_EQ(why(hvk_offload_params_check(&p, len, HVK_OFL_ALL, &on)), "");
	EXPECT_EQ(on, HVK_OFL_ALL & ~(HVK_OFL_TX_UDP4 | HVK_OFL_RX_UDP4 | HVK_OFL_TX_UDP6 |
				      HVK_OFL_RX_UDP6 | HVK_OFL_RSC4 | HVK_OFL_RSC6));
}

TEST(Offload, EnablingWhatIsNotGrantedIsRefused)
{
	hvk_ndis_offload_params p;
	u32 on = HVK_OFL_RX_CSUM;
	u32 len = hvk_offload_params_fill(&p, HVK_OFL_LSO4 | HVK_OFL_TX_TCP4, HVK_NVSP_V61);
	EXPECT_EQ(why(hvk_offload_params_check(&p, len, HVK_OFL_TX_CSUM | HVK_OFL_RX_CSUM, &on)),
		  "offload parameters enable an offload the host does not grant");
	EXPECT_EQ(on, HVK_OFL_RX_CSUM);	// unchanged
	len = hvk_offload_params_fill(&p, 0, HVK_NVSP_V61);
	p.tcp4_csum = 5;
	EXPECT_EQ(why(hvk_offload_params_check(&p, len, HVK_OFL_ALL, &on)),
		  "offload parameter value unknown");
	p.tcp4_csum = 1;
	p.hdr.size = 40;
	EXPECT_EQ(why(hvk_offload_params_check(&p, len, HVK_OFL_ALL, &on)),
		  "offload parameters' header wrong");
	EXPECT_EQ(why(hvk_offload_params_check(&p, 21, HVK_OFL_ALL, &on)),
		  "offload parameters shorter than NDIS 6.0's");
}

// An RNDIS packet with the given per-packet info entries before a 60-byte frame.
std::vector<u8> ppi_packet(const std::vector<std::vector<u8>> &ppis)
{
	std::vector<u8> area;
	for (const auto &e : ppis)
		area.insert(area.end(), e.begin(), e.end());
	std::vector<u8> m(HVK_RNDIS_PKT_HDR + area.size() + 60, 0);
	hvk_rndis_hdr h{HVK_RNDIS_PACKET, static_cast<u32>(m.size())};
	hvk_rndis_packet p{};
	p.ppi_off = sizeof(p);
	p.ppi_len = static_cast<u32>(area.size());
	p.data_off = sizeof(p) + p.ppi_len;
	p.data_len = 60;
	std::memcpy(m.data(), &h, sizeof(h));
	std::memcpy(m.data() + sizeof(h), &p, sizeof(p));
	std::copy(area.begin(), area.end(), m.begin() + HVK_RNDIS_PKT_HDR);
	return m;
}

std::vector<u8> ppi(u32 type, u32 val)
{
	std::vector<u8> e(HVK_PPI_SIZE);
	hvk_ppi_put(e.data(), type, val);
	return e;
}

TEST(Ppi, EntriesAreFoundByType)
{
	auto m = ppi_packet({ppi(HVK_PPI_VLAN, 7 << 4), ppi(HVK_PPI_CSUM, HVK_CSUM_RX_TCP_OK)});
	hvk_rndis_view v{};
	ASSERT_EQ(why(hvk_rndis_check(m.data(), m.size(), &v)), "");
	EXPECT_EQ(v.ppi_off, HVK_RNDIS_PKT_HDR);
	EXPECT_EQ(v.ppi_len, 2 * HVK_PPI_SIZE);
	u32 val = 0;
	bool found = false;
	ASSERT_EQ(why(hvk_ppi_find(m.data(), &v, HVK_PPI_CSUM, &val, &found)), "");
	EXPECT_TRUE(found);
	EXPECT_EQ(val, HVK_CSUM_RX_TCP_OK);
	ASSERT_EQ(why(hvk_ppi_find(m.data(), &v, HVK_PPI_VLAN, &val, &found)), "");
	EXPECT_TRUE(found);
	EXPECT_EQ(HVK_VLAN_ID(val), 7u);
	ASSERT_EQ(why(hvk_ppi_find(m.data(), &v, HVK_PPI_LSO, &val, &found)), "");
	EXPECT_FALSE(found);
}

TEST(Ppi, MalformedEntriesAreRefused)
{
	hvk_rndis_view v{};
	u32 val = 0;
	bool found = false;
	auto e = ppi(HVK_PPI_CSUM, 1);
	e[0] = 64;	// size past the area
	auto m = ppi_packet({e});
	ASSERT_EQ(why(hvk_rndis_check(m.data(), m.size(), &v)), "");
	EXPECT_EQ(why(hvk_ppi_find(m.data(), &v, HVK_PPI_CSUM, &val, &found)),
		  "per-packet info size outside the area");
	e = ppi(HVK_PPI_CSUM, 1);
	e[8] = HVK_PPI_SIZE;	// value offset at the entry's end
	m = ppi_packet({e});
	ASSERT_EQ(why(hvk_rndis_check(m.data(), m.size(), &v)), "");
	EXPECT_EQ(why(hvk_ppi_find(m.data(), &v, HVK_PPI_CSUM, &val, &found)),
		  "per-packet info value outside its entry");
	e = ppi(HVK_PPI_CSUM, 1);
	e[0] = 0;	// a zero size would loop forever
	m = ppi_packet({e});
	ASSERT_EQ(why(hvk_rndis_check(m.data(), m.size(), &v)), "");
	EXPECT_EQ(why(hvk_ppi_find(m.data(), &v, HVK_PPI_CSUM, &val, &found)),
		  "per-packet info size outside the area");
	m = ppi_packet({std::vector<u8>(8, 0)});
	ASSERT_EQ(why(hvk_rndis_check(m.data(), m.size(), &v)), "");
	EXPECT_EQ(why(hvk_ppi_find(m.data(), &v, HVK_PPI_CSUM, &val, &found)),
		  "per-packet info shorter than its header");
}

// An Ethernet + IPv4 + TCP frame with @payload bytes.
std::vector<u8> tcp4_frame(u32 payload)
{
	std::vector<u8> f(14 + 20 + 20 + payload, 0);
	f[12] = 0x08;
	f[14] = 0x45;
	f[14 + 9] = 6;
	f[34 + 12] = 5 << 4;
	return f;
}

TEST(Lso, AGoodRequestPasses)
{
	auto f = tcp4_frame(30000);
	u32 lso = HVK_LSO_V2 | 34u << 20 | 1448;
	EXPECT_EQ(why(hvk_lso_check(f.data(), f.size(), lso, 62768, 1500)), "");
}

TEST(Lso, BadRequestsAreRefused)
{
	auto f = tcp4_frame(30000);
	const u32 v2 = HVK_LSO_V2;
	EXPECT_EQ(why(hvk_lso_check(f.data(), f.size(), 34u << 20 | 1448, 62768, 1500)),
		  "LSO request is not LSO v2");
	EXPECT_EQ(why(hvk_lso_check(f.data(), f.size(), v2 | 34u << 20 | 1461, 62768, 1500)),
		  "LSO MSS zero or past the MTU");
	EXPECT_EQ(why(hvk_lso_check(f.data(), f.size(), v2 | 34u << 20, 62768, 1500)),
		  "LSO MSS zero or past the MTU");
	EXPECT_EQ(why(hvk_lso_check(f.data(), f.size(), v2 | 30u << 20 | 1448, 62768, 1500)),
		  "transport header offset is not the IPv4 header's end");
	EXPECT_EQ(why(hvk_lso_check(f.data(), f.size(), v2 | HVK_LSO_IPV6 | 54u << 20 | 1448, 62768,
				    1500)),
		  "frame's ethertype is not the IP version named");
	EXPECT_EQ(why(hvk_lso_check(f.data(), f.size(), v2 | 34u << 20 | 1448, 20000, 1500)),
		  "LSO frame longer than the host grants");
	f[34 + 12] = 15 << 4;	// a 60-byte TCP header in a 54-byte frame
	EXPECT_EQ(why(hvk_lso_check(f.data(), 60, v2 | 34u << 20 | 1448, 62768, 1500)),
		  "TCP header length outside the frame");
	f = tcp4_frame(0);
	EXPECT_EQ(why(hvk_lso_check(f.data(), f.size(), v2 | 34u << 20 | 1448, 62768, 1500)),
		  "LSO frame without payload");
	f = tcp4_frame(3000);
	f[14 + 9] = 17;
	EXPECT_EQ(why(hvk_lso_check(f.data(), f.size(), v2 | 34u << 20 | 1448, 62768, 1500)),
		  "LSO of a protocol other than TCP");
	f = tcp4_frame(3000);
	EXPECT_EQ(why(hvk_lso_check(f.data(), 40, v2 | 34u << 20 | 1448, 62768, 1500)),
		  "TCP header past the frame");
}

} // namespace

// NVSP 4 SWITCH_DATA_PATH (the VF join): one word, 0 synthetic or 1 the VF.
TEST(Nvsp, SwitchDataPathIsOneWord)
{
	EXPECT_EQ(hvk_nvsp_min_len(HVK_NVSP4_SWITCH_DATA_PATH), 8u);
	EXPECT_EQ(HVK_NVSP_DATAPATH_SYNTHETIC, 0);
	EXPECT_EQ(HVK_NVSP_DATAPATH_VF, 1);
}

namespace {

// What a receiver makes of a sequence of fragments (flags of each; the
// transfer's last one is last): the actions, and the drop reasons.
struct RscRun {
	std::vector<hvk_rsc_act> acts;
	std::vector<std::string> whys;
	hvk_rsc s{};
};

RscRun rsc_run(const std::vector<u32> &flags, u32 len = 1000, bool has_id = true)
{
	RscRun r;
	for (size_t i = 0; i < flags.size(); i++) {
		const char *w = nullptr;
		r.acts.push_back(hvk_rsc_step(&r.s, has_id, HVK_PKTINFO(flags[i], 7), len,
					      i + 1 == flags.size(), &w));
		if (w)
			r.whys.emplace_back(w);
	}
	return r;
}

constexpr u32 kSub = HVK_PKTINFO_SUBALLOC;
constexpr u32 kFirst = HVK_PKTINFO_SUBALLOC | HVK_PKTINFO_1ST_FRAG;
constexpr u32 kLast = HVK_PKTINFO_SUBALLOC | HVK_PKTINFO_LAST_FRAG;
constexpr u32 kOnly = kFirst | HVK_PKTINFO_LAST_FRAG;

} // namespace

// The fragments a host builds are assembled into one packet of their bytes.
TEST(Rsc, FragmentsAssembleIntoOnePacket)
{
	std::vector<u32> f;
	for (u32 i = 0; i < 41; i++)
		f.push_back(hvk_rsc_frag_flags(i, 41));
	auto r = rsc_run(f, 1590);
	ASSERT_EQ(r.acts.size(), 41u);
	for (u32 i = 0; i < 40; i++)
		EXPECT_EQ(r.acts[i], HVK_RSC_MORE) << i;
	EXPECT_EQ(r.acts[40], HVK_RSC_DONE);
	EXPECT_EQ(r.s.cnt, 41u);
	EXPECT_EQ(r.s.len, 41u * 1590);
	EXPECT_TRUE(r.whys.empty());
	EXPECT_EQ(hvk_rsc_frag_flags(0, 1), kOnly);
	EXPECT_EQ(HVK_PKTINFO_FLAGS(HVK_PKTINFO(kFirst, 0xbeef)), kFirst);
}

// Frames on their own (no packet id, or one without SUBALLOC) pass whole,
// and a single-fragment packet is done at once.
TEST(Rsc, WholeFramesAndSingleFragments)
{
	auto r = rsc_run({0, 0}, 1514, false);
	EXPECT_EQ(r.acts, (std::vector<hvk_rsc_act>{HVK_RSC_WHOLE, HVK_RSC_WHOLE}));
	EXPECT_TRUE(r.whys.empty());
	r = rsc_run({kOnly, kOnly});
	EXPECT_EQ(r.acts, (std::vector<hvk_rsc_act>{HVK_RSC_DONE, HVK_RSC_DONE}));
	EXPECT_EQ(r.s.cnt, 1u);
	r = rsc_run({kFirst, kLast, 0});
	EXPECT_EQ(r.acts, (std::vector<hvk_rsc_act>{HVK_RSC_MORE, HVK_RSC_DONE, HVK_RSC_WHOLE}));
	EXPECT_TRUE(r.whys.empty());
}

// A hostile host's orders: each drops the partial packet once, with why;
// the rest of a dropped packet goes quietly, and the next one is taken.
TEST(Rsc, OutOfOrderFragmentsAreDropped)
{
	auto r = rsc_run({kSub, kSub, kLast, kFirst, kLast});
	EXPECT_EQ(r.acts, (std::vector<hvk_rsc_act>{HVK_RSC_DROP, HVK_RSC_DROP, HVK_RSC_DROP,
						    HVK_RSC_MORE, HVK_RSC_DONE}));
	EXPECT_EQ(r.whys, (std::vector<std::string>{"an RSC fragment without a first one"}));

	r = rsc_run({kFirst, kSub, kFirst, kLast});
	EXPECT_EQ(r.acts, (std::vector<hvk_rsc_act>{HVK_RSC_MORE, HVK_RSC_MORE, HVK_RSC_MORE,
						    HVK_RSC_DONE}));
	EXPECT_EQ(r.whys, (std::vector<std::string>{
				  "a new RSC packet began before the last one's last fragment"}));
	EXPECT_EQ(r.s.cnt, 2u);

	r = rsc_run({kFirst, kSub});
	EXPECT_EQ(r.acts.back(), HVK_RSC_DROP);
	EXPECT_EQ(r.whys, (std::vector<std::string>{
				  "the transfer ended in the middle of an RSC packet"}));
	EXPECT_EQ(r.s.cnt, 0u);

	r = rsc_run({kFirst, 0, 0}, 100, true);
	EXPECT_EQ(r.acts, (std::vector<hvk_rsc_act>{HVK_RSC_MORE, HVK_RSC_WHOLE, HVK_RSC_WHOLE}));
	EXPECT_EQ(r.whys, (std::vector<std::string>{"an RSC packet was cut short by a whole frame"}));
}

// More than NVSP_RSC_MAX fragments, or more than 64 KiB: dropped.
TEST(Rsc, TooManyOrTooLongIsDropped)
{
	std::vector<u32> f(HVK_RSC_MAX + 2, kSub);
	f.front() = kFirst;
	f.back() = kLast;
	auto r = rsc_run(f, 10);
	EXPECT_EQ(r.acts[HVK_RSC_MAX - 1], HVK_RSC_MORE);
	EXPECT_EQ(r.acts[HVK_RSC_MAX], HVK_RSC_DROP);
	EXPECT_EQ(r.acts.back(), HVK_RSC_DROP);
	EXPECT_EQ(r.whys, (std::vector<std::string>{"an RSC packet of more than 562 fragments"}));

	r = rsc_run({kFirst, kSub, kLast}, HVK_RSC_MAX_LEN / 2);
	EXPECT_EQ(r.acts, (std::vector<hvk_rsc_act>{HVK_RSC_MORE, HVK_RSC_MORE, HVK_RSC_DROP}));
	EXPECT_EQ(r.whys, (std::vector<std::string>{"an RSC packet longer than 64 KiB"}));
	r = rsc_run({kFirst, kLast}, 0xffffffffu);
	EXPECT_EQ(r.acts[0], HVK_RSC_DROP);
	EXPECT_EQ(r.whys.front(), "an RSC packet longer than 64 KiB");

	// Exactly the largest frame passes.
	r = rsc_run({kFirst, kLast}, HVK_RSC_MAX_LEN / 2);
	EXPECT_EQ(r.acts.back(), HVK_RSC_DONE);
}

// A fragment dropped for its RNDIS message or per-packet info takes the
// partial packet with it; its later fragments go quietly.
TEST(Rsc, AbortDropsThePartialPacket)
{
	hvk_rsc s{};
	const char *w = nullptr;
	EXPECT_FALSE(hvk_rsc_abort(&s));
	EXPECT_EQ(hvk_rsc_step(&s, true, HVK_PKTINFO(kFirst, 1), 100, false, &w), HVK_RSC_MORE);
	EXPECT_TRUE(hvk_rsc_abort(&s));
	EXPECT_EQ(hvk_rsc_step(&s, true, HVK_PKTINFO(kLast, 1), 100, true, &w), HVK_RSC_DROP);
	EXPECT_EQ(w, nullptr);
	EXPECT_EQ(hvk_rsc_step(&s, true, HVK_PKTINFO(kOnly, 2), 100, true, &w), HVK_RSC_DONE);
}

// RSC is granted through the NDIS 6.30 capabilities and enabled (both IP
// versions) through the parameters; a host that does not grant it refuses
// a guest that enables it.
TEST(Rsc, GrantedAndEnabledThroughOffloads)
{
	hvk_ndis_offload o;
	u32 ofl = 0, lso = 0;
	u32 len = hvk_offload_caps_fill(&o, HVK_OFL_RSC4 | HVK_OFL_RSC6, 0, HVK_NDIS_6_30);
	ASSERT_EQ(why(hvk_offload_caps_parse(&o, len, &ofl, &lso)), "");
	EXPECT_EQ(ofl, HVK_OFL_RSC4 | HVK_OFL_RSC6);

	hvk_ndis_offload_params p;
	u32 on = 0;
	len = hvk_offload_params_fill(&p, HVK_OFL_RSC4 | HVK_OFL_RSC6, HVK_NVSP_V61);
	EXPECT_EQ(p.rsc4, HVK_OFFLOAD_ON);
	EXPECT_EQ(p.rsc6, HVK_OFFLOAD_ON);
	EXPECT_EQ(why(hvk_offload_params_check(&p, len, HVK_OFL_ALL & ~(HVK_OFL_RSC4 | HVK_OFL_RSC6),
					       &on)),
		  "offload parameters enable an offload the host does not grant");
	EXPECT_EQ(on, 0u);
	ASSERT_EQ(why(hvk_offload_params_check(&p, len, HVK_OFL_ALL, &on)), "");
	EXPECT_EQ(on, HVK_OFL_RSC4 | HVK_OFL_RSC6);
	len = hvk_offload_params_fill(&p, 0, HVK_NVSP_V61);
	ASSERT_EQ(why(hvk_offload_params_check(&p, len, HVK_OFL_ALL, &on)), "");
	EXPECT_EQ(on, 0u);
}

// An assembled TCP frame says the MSS the wire cut it at: the MTU less
// its IP and TCP headers; not TCP, or one segment's worth: none.
TEST(Rsc, MssOfAnAssembledFrame)
{
	std::vector<u8> f(14 + 20 + 32 + 10000, 0);
	f[12] = 0x08;
	f[14] = 0x45;
	f[14 + 9] = 6;
	f[34 + 12] = 8 << 4;	// 32-byte TCP header
	bool v6 = true;
	u32 segs = 0;
	EXPECT_EQ(hvk_rsc_mss(f.data(), f.size(), 1500, &v6, &segs), 1448u);
	EXPECT_FALSE(v6);
	EXPECT_EQ(segs, 7u);
	EXPECT_EQ(hvk_rsc_mss(f.data(), 14 + 20 + 32 + 1448, 1500, &v6, &segs), 0u);
	f[14 + 9] = 17;
	EXPECT_EQ(hvk_rsc_mss(f.data(), f.size(), 1500, &v6, &segs), 0u);

	std::vector<u8> g(14 + 40 + 20 + 9000, 0);
	g[12] = 0x86;
	g[13] = 0xdd;
	g[14 + 6] = 6;
	g[54 + 12] = 5 << 4;
	EXPECT_EQ(hvk_rsc_mss(g.data(), g.size(), 1500, &v6, &segs), 1440u);
	EXPECT_TRUE(v6);
	EXPECT_EQ(segs, 7u);
	EXPECT_EQ(hvk_rsc_mss(g.data(), 30, 1500, &v6, &segs), 0u);
}
