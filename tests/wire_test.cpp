// SPDX-License-Identifier: GPL-2.0
// The char-device ABI must be upstream's, byte for byte: every field of
// every message is at the same offset as in the system's
// <linux/hyperv.h> (linux-libc-dev), so either side's daemons work with
// either side's drivers.
extern "C" {
#include <hvkit/uapi/hv_ic_dev.h>
#include <hvkit/vmbus.h>
#include <hvkit/ring.h>
}
#include <linux/hyperv.h>

#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <cstring>

#define SAME_FIELD(ours, theirs, f) \
	EXPECT_EQ(offsetof(ours, f), offsetof(theirs, f)) << #f; \
	EXPECT_EQ(sizeof(((ours *)0)->f), sizeof(((theirs *)0)->f)) << #f

TEST(Uapi, KvpMessageMatchesUpstream)
{
	EXPECT_EQ(sizeof(hv_kvp_msg), sizeof(hvk_kvp_msg));
	SAME_FIELD(hvk_kvp_msg, hv_kvp_msg, kvp_hdr);
	SAME_FIELD(hvk_kvp_msg, hv_kvp_msg, error);
	SAME_FIELD(hvk_kvp_msg, hv_kvp_msg, body.kvp_get);
	SAME_FIELD(hvk_kvp_msg, hv_kvp_msg, body.kvp_set);
	SAME_FIELD(hvk_kvp_msg, hv_kvp_msg, body.kvp_delete);
	SAME_FIELD(hvk_kvp_msg, hv_kvp_msg, body.kvp_enum_data);
	SAME_FIELD(hvk_kvp_msg, hv_kvp_msg, body.kvp_ip_val);
	SAME_FIELD(hvk_kvp_msg, hv_kvp_msg, body.kvp_register);
	EXPECT_EQ(offsetof(hvk_kvp_msg, body.kvp_enum_data.data),
		  offsetof(hv_kvp_msg, body.kvp_enum_data.data));
}

TEST(Uapi, KvpValueAndAddressMatchUpstream)
{
	SAME_FIELD(hvk_kvp_value, hv_kvp_exchg_msg_value, value_type);
	SAME_FIELD(hvk_kvp_value, hv_kvp_exchg_msg_value, key_size);
	SAME_FIELD(hvk_kvp_value, hv_kvp_exchg_msg_value, value_size);
	SAME_FIELD(hvk_kvp_value, hv_kvp_exchg_msg_value, key);
	SAME_FIELD(hvk_kvp_value, hv_kvp_exchg_msg_value, value);
	SAME_FIELD(hvk_kvp_value, hv_kvp_exchg_msg_value, value_u64);
	SAME_FIELD(hvk_kvp_ipaddr_value, hv_kvp_ipaddr_value, adapter_id);
	SAME_FIELD(hvk_kvp_ipaddr_value, hv_kvp_ipaddr_value, addr_family);
	SAME_FIELD(hvk_kvp_ipaddr_value, hv_kvp_ipaddr_value, dhcp_enabled);
	SAME_FIELD(hvk_kvp_ipaddr_value, hv_kvp_ipaddr_value, ip_addr);
	SAME_FIELD(hvk_kvp_ipaddr_value, hv_kvp_ipaddr_value, sub_net);
	SAME_FIELD(hvk_kvp_ipaddr_value, hv_kvp_ipaddr_value, gate_way);
	SAME_FIELD(hvk_kvp_ipaddr_value, hv_kvp_ipaddr_value, dns_addr);
}

TEST(Uapi, KvpOperationsAndPoolsMatchUpstream)
{
	EXPECT_EQ(KVP_OP_REGISTER1, HVK_KVP_OP_REGISTER1);
	EXPECT_EQ(KVP_OP_REGISTER, HVK_KVP_OP_REGISTER);
	EXPECT_EQ(KVP_OP_SET_IP_INFO, HVK_KVP_OP_SET_IP_INFO);
	EXPECT_EQ(KVP_OP_COUNT, HVK_KVP_OP_COUNT);
	EXPECT_EQ(KVP_POOL_AUTO_INTERNAL, HVK_KVP_POOL_AUTO_INTERNAL);
	EXPECT_EQ(HV_S_CONT, HVK_S_CONT);
	EXPECT_EQ(HV_E_FAIL, HVK_E_FAIL);
	EXPECT_EQ(HV_GUID_NOTFOUND, HVK_GUID_NOTFOUND);
}

TEST(Uapi, VssMessageMatchesUpstream)
{
	EXPECT_EQ(sizeof(hv_vss_msg), sizeof(hvk_vss_msg));
	SAME_FIELD(hvk_vss_msg, hv_vss_msg, vss_hdr);
	SAME_FIELD(hvk_vss_msg, hv_vss_msg, error);
	EXPECT_EQ(offsetof(hvk_vss_msg, vss_cf_flags), offsetof(hv_vss_msg, vss_cf));
	EXPECT_EQ(VSS_OP_REGISTER1, HVK_VSS_OP_REGISTER1);
	EXPECT_EQ(VSS_OP_FREEZE, HVK_VSS_OP_FREEZE);
	EXPECT_EQ(VSS_OP_THAW, HVK_VSS_OP_THAW);
	EXPECT_EQ(VSS_OP_COUNT, HVK_VSS_OP_COUNT);
}

TEST(Uapi, FcopyMessagesMatchUpstream)
{
	EXPECT_EQ(sizeof(hv_start_fcopy), sizeof(hvk_fcopy_start));
	EXPECT_EQ(sizeof(hv_do_fcopy), sizeof(hvk_fcopy_data));
	SAME_FIELD(hvk_fcopy_start, hv_start_fcopy, file_name);
	SAME_FIELD(hvk_fcopy_start, hv_start_fcopy, path_name);
	SAME_FIELD(hvk_fcopy_start, hv_start_fcopy, copy_flags);
	SAME_FIELD(hvk_fcopy_start, hv_start_fcopy, file_size);
	SAME_FIELD(hvk_fcopy_data, hv_do_fcopy, offset);
	SAME_FIELD(hvk_fcopy_data, hv_do_fcopy, size);
	SAME_FIELD(hvk_fcopy_data, hv_do_fcopy, data);
}

TEST(ChannelMessages, HostMessagesHaveAMinimumLength)
{
	EXPECT_EQ(196u, hvk_chanmsg_min_len(HVK_CHANMSG_OFFERCHANNEL));
	EXPECT_EQ(16u, hvk_chanmsg_min_len(HVK_CHANMSG_VERSION_RESPONSE));
	EXPECT_EQ(20u, hvk_chanmsg_min_len(HVK_CHANMSG_GPADL_CREATED));
	// Guest-to-host and unknown types are never accepted from the host.
	EXPECT_EQ(0u, hvk_chanmsg_min_len(HVK_CHANMSG_OPENCHANNEL));
	EXPECT_EQ(0u, hvk_chanmsg_min_len(HVK_CHANMSG_GPADL_HEADER));
	EXPECT_EQ(0u, hvk_chanmsg_min_len(19));
	EXPECT_EQ(0u, hvk_chanmsg_min_len(0xffffffffu));
	for (u32 t = 0; t < HVK_CHANMSG_COUNT; t++)
		EXPECT_LE(hvk_chanmsg_min_len(t), u32(HVK_MESSAGE_PAYLOAD)) << t;
}

namespace {

hvk_msg_offer good_offer()
{
	hvk_msg_offer o{};
	o.hdr.msgtype = HVK_CHANMSG_OFFERCHANNEL;
	o.child_relid = 7;
	return o;
}

} // namespace

TEST(ChannelMessages, AWellFormedOfferIsAccepted)
{
	auto o = good_offer();
	EXPECT_EQ(nullptr, hvk_chanmsg_check(&o, sizeof(o)));
}

TEST(ChannelMessages, OffersWithBadIndicesAreRefused)
{
	auto o = good_offer();
	o.child_relid = 0;
	EXPECT_STREQ("relid outside 1..2047", hvk_chanmsg_check(&o, sizeof(o)));
	o.child_relid = 2048;
	EXPECT_STREQ("relid outside 1..2047", hvk_chanmsg_check(&o, sizeof(o)));
	o = good_offer();
	o.monitor_flags = HVK_OFFER_MONITOR_ALLOCATED;
	o.monitorid = 128;
	EXPECT_STREQ("monitor id outside 0..127", hvk_chanmsg_check(&o, sizeof(o)));
	o.monitor_flags = 0;	// not monitored: the id is not used
	EXPECT_EQ(nullptr, hvk_chanmsg_check(&o, sizeof(o)));
	o = good_offer();
	o.offer.sub_channel_index = 64;
	EXPECT_STREQ("sub-channel index outside 0..63", hvk_chanmsg_check(&o, sizeof(o)));
}

TEST(ChannelMessages, TruncatedAndOversizedMessagesAreRefused)
{
	auto o = good_offer();
	EXPECT_STREQ("shorter than its type requires", hvk_chanmsg_check(&o, sizeof(o) - 1));
	EXPECT_STREQ("shorter than a message header", hvk_chanmsg_check(&o, 7));
	u8 big[HVK_MESSAGE_PAYLOAD + 8] = {};
	std::memcpy(big, &o, sizeof(o));
	EXPECT_STREQ("longer than a SynIC message", hvk_chanmsg_check(big, sizeof(big)));
}

TEST(ChannelMessages, GuestToHostTypesFromTheHostAreRefused)
{
	hvk_msg_open m{};
	m.hdr.msgtype = HVK_CHANMSG_OPENCHANNEL;
	EXPECT_STREQ("a type a host never sends", hvk_chanmsg_check(&m, sizeof(m)));
}

TEST(ChannelMessages, RepliesNamingARelidAreChecked)
{
	hvk_msg_gpadl_created g{};
	g.hdr.msgtype = HVK_CHANMSG_GPADL_CREATED;
	g.child_relid = 5000;
	EXPECT_STREQ("relid outside 1..2047", hvk_chanmsg_check(&g, sizeof(g)));
	g.child_relid = 1;
	EXPECT_EQ(nullptr, hvk_chanmsg_check(&g, sizeof(g)));
}

TEST(Gpadl, EveryPageGoesOutOnceInHeaderAndBodies)
{
	EXPECT_EQ(26u, hvk_gpadl_msg_pfns(26, 0));
	EXPECT_EQ(0u, hvk_gpadl_msg_pfns(26, 1));
	EXPECT_EQ(1u, hvk_gpadl_msg_pfns(27, 1));
	for (u32 npfns = 1; npfns <= 8190; npfns++) {
		u32 total = 0, msg = 0, n;
		while ((n = hvk_gpadl_msg_pfns(npfns, msg))) {
			EXPECT_LE(n, msg ? 28u : 26u);
			total += n;
			msg++;
		}
		ASSERT_EQ(npfns, total) << npfns;
		// One header, then full bodies but the last.
		ASSERT_EQ(npfns <= 26 ? 1u : 1u + (npfns - 26 + 27) / 28, msg) << npfns;
	}
}

// GPA-direct descriptors: what a driver builds and what a host reads.
namespace {

struct GpaDesc {
	std::array<u8, 512> b{};
	size_t len = sizeof(hvk_pkt_gpa_direct);
	void range(u32 count, u32 offset, u32 npfns)
	{
		hvk_gpa_range r{count, offset};
		std::memcpy(&b[len], &r, sizeof(r));
		len += sizeof(r);
		for (u32 i = 0; i < npfns; i++, len += 8) {
			u64 pfn = 0x1000 + i;
			std::memcpy(&b[len], &pfn, 8);
		}
		hvk_pkt_gpa_direct h;
		std::memcpy(&h, b.data(), sizeof(h));
		h.range_cnt++;
		std::memcpy(b.data(), &h, sizeof(h));
	}
	const char *check() const { return hvk_gpa_desc_check(b.data(), static_cast<u32>(len)); }
};

} // namespace

TEST(GpaDirect, PageBuffersAndMultiPageBuffersAreAccepted)
{
	GpaDesc d;
	d.range(4096, 0, 1);	// one whole page
	d.range(1, 4095, 1);	// the last byte of a page
	d.range(5000, 100, 2);	// across a page boundary
	d.range(8192, 1, 3);	// two pages' worth, off by one: three pages
	EXPECT_EQ(nullptr, d.check());
	EXPECT_EQ(24u + 16 + 16 + 24 + 32, d.len);
}

TEST(GpaDirect, EveryRangeNeedsExactlyThePagesItsBytesTouch)
{
	const struct {
		u32 count, offset, npfns;
		const char *why;
	} cases[] = {
		{5000, 100, 1, "a range's page numbers run past the descriptor"},
		{4096, 0, 2, "bytes after the last range"},
		{10, 4096, 1, "a range starts past its first page"},
		{0, 0, 1, "a range of no bytes"},
	};
	for (const auto &c : cases) {
		GpaDesc d;
		d.range(c.count, c.offset, c.npfns);
		EXPECT_STREQ(c.why, d.check()) << c.count << " bytes at " << c.offset << ", " << c.npfns << " pages";
	}
}

TEST(GpaDirect, CountsAndSizesThatLieAreRefused)
{
	GpaDesc none;
	EXPECT_STREQ("no range", none.check());
	EXPECT_STREQ("shorter than its header", hvk_gpa_desc_check(none.b.data(), 20));
	GpaDesc d;
	d.range(4096, 0, 1);
	hvk_pkt_gpa_direct h;
	std::memcpy(&h, d.b.data(), sizeof(h));
	h.range_cnt = 0xffffffff;	// a count far beyond the bytes
	std::memcpy(d.b.data(), &h, sizeof(h));
	EXPECT_STREQ("a range runs past the descriptor", d.check());
	// The largest byte count must not wrap the page arithmetic.
	EXPECT_EQ(1048577u, hvk_hv_pages(4095, 0xffffffffu));
}
