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

} // namespace
