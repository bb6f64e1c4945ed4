// SPDX-License-Identifier: GPL-2.0
// The storage VSP's wire checks (include/hvkit/storvsc.h): what the guest
// refuses in a completion and what the host refuses in a request block.
extern "C" {
#include <hvkit/storvsc.h>
}

#include <gtest/gtest.h>

#include <array>
#include <cstring>

namespace {

hvk_vstor_packet good_completion(uint32_t done)
{
	hvk_vstor_packet v{};
	v.operation = HVK_VSTOR_COMPLETE_IO;
	v.srb.length = sizeof(v.srb);
	v.srb.srb_status = HVK_SRB_STATUS_SUCCESS;
	v.srb.data_transfer_length = done;
	return v;
}

enum hvk_vstor_bad check(const hvk_vstor_packet &v, uint32_t requested, uint32_t len = sizeof(hvk_vstor_packet))
{
	std::array<uint8_t, 2 * sizeof(hvk_vstor_packet)> buf{};
	std::memcpy(buf.data(), &v, sizeof(v));
	return hvk_vstor_completion_check(buf.data(), len, requested);
}

hvk_vmscsi_request read_srb(uint32_t len)
{
	hvk_vmscsi_request s{};
	s.length = sizeof(s);
	s.cdb_length = 10;
	s.cdb[0] = 0x28;
	s.data_in = HVK_SRB_READ;
	s.data_transfer_length = len;
	return s;
}

} // namespace

TEST(VstorWire, LayoutIsUpstreams)
{
	// storvsc_drv.c: vstor_packet is 12 bytes of header and a 0x34 union.
	EXPECT_EQ(sizeof(hvk_vstor_packet), 64u);
	EXPECT_EQ(sizeof(hvk_vmscsi_request), 52u);
	EXPECT_EQ(HVK_VSTOR_WIN10, 0x0602);
	EXPECT_EQ(HVK_VSTOR_WIN8, 0x0501);
}

TEST(VstorWire, SoundCompletionIsTaken)
{
	EXPECT_EQ(check(good_completion(4096), 4096), HVK_VSTOR_OK);
	EXPECT_EQ(check(good_completion(0), 4096), HVK_VSTOR_OK);	// a short read
}

TEST(VstorWire, ShortCompletionIsRefused)
{
	EXPECT_EQ(check(good_completion(0), 0, sizeof(hvk_vstor_packet) - 1), HVK_VSTOR_BAD_SHORT);
	EXPECT_EQ(check(good_completion(0), 0, 0), HVK_VSTOR_BAD_SHORT);
}

TEST(VstorWire, CompletionOfAnotherOperationIsRefused)
{
	auto v = good_completion(0);
	v.operation = HVK_VSTOR_EXECUTE_SRB;
	EXPECT_EQ(check(v, 0), HVK_VSTOR_BAD_OPERATION);
}

TEST(VstorWire, MoreDataThanRequestedIsRefused)
{
	EXPECT_EQ(check(good_completion(4097), 4096), HVK_VSTOR_BAD_LENGTH);
	EXPECT_EQ(check(good_completion(1), 0), HVK_VSTOR_BAD_LENGTH);
}

TEST(VstorWire, UnknownSrbStatusIsRefused)
{
	auto v = good_completion(0);
	v.srb.srb_status = 0x3f;
	EXPECT_EQ(check(v, 0), HVK_VSTOR_BAD_SRB_STATUS);
	v.srb.srb_status = HVK_SRB_STATUS_PENDING;	// never a final answer
	EXPECT_EQ(check(v, 0), HVK_VSTOR_BAD_SRB_STATUS);
	// The flag bits do not make a known code unknown.
	v.srb.srb_status = HVK_SRB_STATUS_ERROR | HVK_SRB_STATUS_AUTOSENSE_VALID | HVK_SRB_STATUS_QUEUE_FROZEN;
	EXPECT_EQ(check(v, 0), HVK_VSTOR_OK);
}

TEST(VstorWire, SenseLengthPastTheSenseFieldIsRefused)
{
	auto v = good_completion(0);
	v.srb.srb_status = HVK_SRB_STATUS_ERROR | HVK_SRB_STATUS_AUTOSENSE_VALID;
	v.srb.scsi_status = 2;
	v.srb.sense_info_length = HVK_VSTOR_SENSE_LEN;
	EXPECT_EQ(check(v, 0), HVK_VSTOR_OK);
	v.srb.sense_info_length = HVK_VSTOR_SENSE_LEN + 1;
	EXPECT_EQ(check(v, 0), HVK_VSTOR_BAD_SENSE);
	// Without valid sense the guest never reads it.
	v.srb.srb_status = HVK_SRB_STATUS_ERROR;
	EXPECT_EQ(check(v, 0), HVK_VSTOR_OK);
}

TEST(VstorWire, HostTakesASoundRequest)
{
	auto s = read_srb(4096);
	EXPECT_EQ(hvk_vstor_srb_check(&s, 4096), nullptr);
	s = read_srb(0);
	s.data_in = HVK_SRB_UNKNOWN;
	EXPECT_EQ(hvk_vstor_srb_check(&s, 0), nullptr);
}

TEST(VstorWire, HostRefusesMalformedRequests)
{
	auto s = read_srb(4096);
	s.length = 36;	// the pre-Windows 8 size
	EXPECT_STREQ(hvk_vstor_srb_check(&s, 4096), "request block of the wrong size");
	s = read_srb(4096);
	s.cdb_length = 17;
	EXPECT_STREQ(hvk_vstor_srb_check(&s, 4096), "CDB length outside 1..16");
	s.cdb_length = 0;
	EXPECT_STREQ(hvk_vstor_srb_check(&s, 4096), "CDB length outside 1..16");
	s = read_srb(4096);
	s.data_in = 3;
	EXPECT_STREQ(hvk_vstor_srb_check(&s, 4096), "unknown data direction");
	s = read_srb(8192);
	EXPECT_STREQ(hvk_vstor_srb_check(&s, 4096), "transfer length differs from the buffer's");
	s = read_srb(4096);
	s.data_in = HVK_SRB_UNKNOWN;
	EXPECT_STREQ(hvk_vstor_srb_check(&s, 4096), "a buffer without a direction");
}
