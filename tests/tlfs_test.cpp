// SPDX-License-Identifier: GPL-2.0
// hvkit_hyperv's pure parts: the SynIC register values it writes and how
// it reads HvPostMessage's status. Hyper-V itself is not available here,
// so this is what can be proven on the host.
extern "C" {
#include "../drivers/hyperv/tlfs.h"
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

TEST(Tlfs, PostMessageStatusesThatMayClearAreRetried)
{
	EXPECT_EQ(0, hvk_post_status(0));
	EXPECT_EQ(-EAGAIN, hvk_post_status(HVK_HV_STATUS_INSUFFICIENT_MEMORY));
	EXPECT_EQ(-EAGAIN, hvk_post_status(HVK_HV_STATUS_INSUFFICIENT_BUFFERS));
	EXPECT_EQ(-EAGAIN, hvk_post_status(HVK_HV_STATUS_INVALID_CONNECTION_ID));
	EXPECT_EQ(-EIO, hvk_post_status(5));	// HV_STATUS_INVALID_PARAMETER
	// Only the low 16 bits are the status; the rest is the rep count.
	EXPECT_EQ(0, hvk_post_status(0x1234ULL << 32));
}

TEST(Tlfs, PostMessageInputIsOneHypercallPage)
{
	EXPECT_EQ(256u, sizeof(hvk_post_message_input));
	EXPECT_EQ(16u, offsetof(hvk_post_message_input, payload));
}
