// SPDX-License-Identifier: GPL-2.0
// hvkit_hyperv's pure parts: the SynIC register values it writes and how
// it reads HvPostMessage's status; and what the core makes of that status
// (hvk_post_errno()). Hyper-V itself is not available here,
// so this is what can be proven on the host.
extern "C" {
#include "../drivers/hyperv/tlfs.h"
#include <hvkit/vmbus.h>
}

#include <gtest/gtest.h>

TEST(Tlfs, PageMsrKeepsReservedBitsAndSetsEnable)
{
	// Old value: an earlier page, enable set, reserved bits 1..11 set.
	u64 old = 0x12345000ULL | 0xffeULL | 1;
	u64 v = hvk_page_msr(old, 0xabcde000ULL, true);
	EXPECT_EQ(0xabcde000ULL, v & HVK_PAGE_GPA_MASK);
	EXPECT_EQ(0xffeULL, v & 0xffeULL) << "reserved bits must be kept";
	EXPECT_EQ(1ULL, v & HVK_SIMP_ENABLE);
	EXPECT_EQ(0ULL, hvk_page_msr(v, v, false) & HVK_SIMP_ENABLE);
	EXPECT_EQ(0xabcde000ULL, hvk_page_msr(v, v, false) & HVK_PAGE_GPA_MASK);
}

TEST(Tlfs, SintCarriesTheVectorUnmasked)
{
	u64 old = HVK_SINT_MASKED | 0x10 | (1ULL << 18) /* polling: reserved to us */;
	u64 v = hvk_sint_msr(old, 0xf3, true);
	EXPECT_EQ(0xf3ULL, v & HVK_SINT_VECTOR_MASK);
	EXPECT_EQ(0ULL, v & HVK_SINT_MASKED);
	EXPECT_EQ(HVK_SINT_AUTO_EOI, v & HVK_SINT_AUTO_EOI);
	EXPECT_EQ(1ULL << 18, v & (1ULL << 18)) << "other bits kept";
	EXPECT_EQ(0ULL, hvk_sint_msr(v, 0xf3, false) & HVK_SINT_AUTO_EOI);
}

TEST(Tlfs, PostMessageStatusIsTheLow16Bits)
{
	EXPECT_EQ(HVK_HV_STATUS_SUCCESS, hvk_hv_status(0));
	EXPECT_EQ(HVK_HV_STATUS_INVALID_CONNECTION_ID, hvk_hv_status(18));
	// The rest of the result is the rep count, not the status.
	EXPECT_EQ(HVK_HV_STATUS_SUCCESS, hvk_hv_status(0x1234ULL << 32));
	EXPECT_EQ(HVK_HV_STATUS_INSUFFICIENT_BUFFERS, hvk_hv_status((7ULL << 32) | 19));
}

TEST(Tlfs, StatusValuesAreTheTlfsOnes)
{
	EXPECT_EQ(0, HVK_HV_STATUS_SUCCESS);
	EXPECT_EQ(5, HVK_HV_STATUS_INVALID_PARAMETER);
	EXPECT_EQ(11, HVK_HV_STATUS_INSUFFICIENT_MEMORY);
	EXPECT_EQ(18, HVK_HV_STATUS_INVALID_CONNECTION_ID);
	EXPECT_EQ(19, HVK_HV_STATUS_INSUFFICIENT_BUFFERS);
}

// A host older than 5.0 refuses INITIATE_CONTACT on connection 4: the guest
// must try the next older version at once, not retry (upstream vmbus_post_msg()).
TEST(PostErrno, InvalidConnectionIdForInitiateContactFailsAtOnce)
{
	EXPECT_EQ(-EINVAL, hvk_post_errno(HVK_HV_STATUS_INVALID_CONNECTION_ID,
					  HVK_CHANMSG_INITIATE_CONTACT));
}

TEST(PostErrno, InvalidConnectionIdForOtherMessagesIsRetried)
{
	for (u32 t : {HVK_CHANMSG_REQUESTOFFERS, HVK_CHANMSG_OPENCHANNEL, HVK_CHANMSG_GPADL_HEADER,
		      HVK_CHANMSG_UNLOAD, HVK_CHANMSG_MODIFYCHANNEL})
		EXPECT_EQ(-EAGAIN, hvk_post_errno(HVK_HV_STATUS_INVALID_CONNECTION_ID, t)) << t;
}

TEST(PostErrno, HostOutOfBuffersOrMemoryIsRetried)
{
	for (u32 t : {HVK_CHANMSG_INITIATE_CONTACT, HVK_CHANMSG_OPENCHANNEL}) {
		EXPECT_EQ(-ENOBUFS, hvk_post_errno(HVK_HV_STATUS_INSUFFICIENT_MEMORY, t));
		EXPECT_EQ(-ENOBUFS, hvk_post_errno(HVK_HV_STATUS_INSUFFICIENT_BUFFERS, t));
	}
}

TEST(PostErrno, SuccessAndEverythingElse)
{
	EXPECT_EQ(0, hvk_post_errno(HVK_HV_STATUS_SUCCESS, HVK_CHANMSG_INITIATE_CONTACT));
	EXPECT_EQ(0, hvk_post_errno(HVK_HV_STATUS_SUCCESS, HVK_CHANMSG_OPENCHANNEL));
	EXPECT_EQ(-EINVAL, hvk_post_errno(HVK_HV_STATUS_INVALID_PARAMETER, HVK_CHANMSG_OPENCHANNEL));
	EXPECT_EQ(-EINVAL, hvk_post_errno(2 /* INVALID_HYPERCALL_CODE */, HVK_CHANMSG_OPENCHANNEL));
	EXPECT_EQ(-EINVAL, hvk_post_errno(6 /* ACCESS_DENIED */, HVK_CHANMSG_INITIATE_CONTACT));
}

TEST(Tlfs, PostMessageInputIsOneHypercallPage)
{
	EXPECT_EQ(256u, sizeof(hvk_post_message_input));
	EXPECT_EQ(16u, offsetof(hvk_post_message_input, payload));
}
