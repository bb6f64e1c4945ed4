// SPDX-License-Identifier: GPL-2.0
// File copy and VSS codecs (drivers/util/fcopy_wire.c, vss_wire.c): what
// the guest accepts from the host, and what it hands the daemon, byte for
// byte in the pre-6.10 ABI. Every message under test sits in a buffer of
// exactly its size, so that ASan sees any read past it.
extern "C" {
#include <hvkit/ic.h>
#include <hvkit/ic_fcopy.h>
#include <hvkit/ic_vss.h>
}

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr size_t kFname = offsetof(hvk_fcopy_start, file_name);
constexpr size_t kPname = offsetof(hvk_fcopy_start, path_name);

std::vector<uint8_t> start_msg(const std::string &path, const std::string &name, uint32_t flags = 0,
			       uint64_t size = 0)
{
	hvk_fcopy_start m;
	int which = -1;
	EXPECT_EQ(hvk_fcopy_start_init(&m, path.data(), static_cast<u32>(path.size()), name.data(),
				       static_cast<u32>(name.size()), flags, size, &which),
		  0);
	auto *p = reinterpret_cast<const uint8_t *>(&m);
	return {p, p + sizeof(m)};
}

// The daemon's message for @body, or the reason it was refused.
struct Result {
	int len;
	std::string why;
	hvk_fcopy_daemon_msg out;
};

Result to_daemon(const std::vector<uint8_t> &body)
{
	Result r{};
	std::vector<uint8_t> exact(body);	// exactly body.size() bytes on the heap
	const char *why = nullptr;
	std::memset(&r.out, 0xa5, sizeof(r.out));
	r.len = hvk_fcopy_to_daemon(exact.data(), static_cast<u32>(exact.size()), &r.out, &why);
	if (r.len < 0)
		r.why = why ? why : "(no reason)";
	return r;
}

std::string utf8_at(const hvk_fcopy_daemon_msg &m, size_t off)
{
	const char *p = reinterpret_cast<const char *>(&m) + off;
	return std::string(p, strnlen(p, HVK_W_MAX_PATH));
}

void put_u16s(std::vector<uint8_t> &b, size_t off, const std::u16string &s)
{
	for (size_t i = 0; i < s.size(); i++) {
		b[off + 2 * i] = static_cast<uint8_t>(s[i] & 0xff);
		b[off + 2 * i + 1] = static_cast<uint8_t>(s[i] >> 8);
	}
}

std::vector<uint8_t> write_msg(uint64_t offset, uint32_t size, size_t body_len)
{
	std::vector<uint8_t> b(std::max<size_t>(body_len, 52));
	uint32_t op = HVK_FCOPY_WRITE_TO_FILE;
	std::memcpy(b.data(), &op, 4);
	std::memcpy(b.data() + 40, &offset, 8);
	std::memcpy(b.data() + 48, &size, 4);
	for (size_t i = 52; i < b.size(); i++)
		b[i] = static_cast<uint8_t>(i * 7);
	b.resize(body_len);
	return b;
}

} // namespace

TEST(Fcopy, StartReachesTheDaemonInUtf8AtUpstreamsOffsets)
{
	auto body = start_msg("/tmp/dir/", "file.txt", HVK_FCOPY_OVER_WRITE, 1234);
	ASSERT_EQ(body.size(), 1088u);
	// On the wire: UTF-16LE.
	EXPECT_EQ(body[kFname], 'f');
	EXPECT_EQ(body[kFname + 1], 0);
	EXPECT_EQ(body[kPname + 2], 't');
	auto r = to_daemon(body);
	ASSERT_EQ(r.len, 1088) << r.why;
	EXPECT_EQ(r.out.hdr.operation, static_cast<u32>(HVK_FCOPY_START_FILE_COPY));
	EXPECT_EQ(utf8_at(r.out, 36), "file.txt");
	EXPECT_EQ(utf8_at(r.out, 556), "/tmp/dir/");
	uint32_t flags;
	uint64_t size;
	std::memcpy(&flags, reinterpret_cast<uint8_t *>(&r.out) + 1076, 4);
	std::memcpy(&size, reinterpret_cast<uint8_t *>(&r.out) + 1080, 8);
	EXPECT_EQ(flags, static_cast<u32>(HVK_FCOPY_OVER_WRITE));
	EXPECT_EQ(size, 1234u);
	// The rest of each name field is zero, as upstream's kzalloc'd message.
	auto *o = reinterpret_cast<const uint8_t *>(&r.out);
	for (size_t i = 36 + 8; i < 556; i++)
		ASSERT_EQ(o[i], 0) << i;
}

TEST(Fcopy, NamesBeyondAsciiConvertBothWays)
{
	const std::string name = "\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9d\x84\x9e.txt";	// "été € 𝄞.txt"
	auto r = to_daemon(start_msg("/d\xc3\xafr/", name));
	ASSERT_GT(r.len, 0) << r.why;
	EXPECT_EQ(utf8_at(r.out, 36), name);
	EXPECT_EQ(utf8_at(r.out, 556), "/d\xc3\xafr/");
}

TEST(Fcopy, NameOf259BytesFitsTheDaemonsField)
{
	std::string name(259, 'n');
	auto r = to_daemon(start_msg("/", name));
	ASSERT_EQ(r.len, 1088) << r.why;
	EXPECT_EQ(utf8_at(r.out, 36), name);
}

TEST(Fcopy, UnterminatedNamesAreRefused)
{
	auto body = start_msg("/tmp/", "x");
	put_u16s(body, kFname, std::u16string(HVK_W_MAX_PATH, u'a'));
	auto r = to_daemon(body);
	EXPECT_EQ(r.len, -EBADMSG);
	EXPECT_NE(r.why.find("file name is not terminated"), std::string::npos) << r.why;

	body = start_msg("/tmp/", "x");
	put_u16s(body, kPname, std::u16string(HVK_W_MAX_PATH, u'p'));
	r = to_daemon(body);
	EXPECT_EQ(r.len, -EBADMSG);
	EXPECT_NE(r.why.find("path is not terminated"), std::string::npos) << r.why;
}

TEST(Fcopy, NamesLongerThanTheDaemonsFieldInUtf8AreRefused)
{
	// 130 x U+00E9: 130 UTF-16 units (terminated) but 260 bytes of UTF-8.
	auto body = start_msg("/tmp/", "x");
	put_u16s(body, kFname, std::u16string(130, u'\u00e9') + u'\0');
	auto r = to_daemon(body);
	EXPECT_EQ(r.len, -EBADMSG);
	EXPECT_NE(r.why.find("longer than 259 bytes"), std::string::npos) << r.why;
	// 129 of them (258 bytes) fit.
	body = start_msg("/tmp/", "x");
	put_u16s(body, kFname, std::u16string(129, u'\u00e9') + u'\0');
	r = to_daemon(body);
	EXPECT_EQ(r.len, 1088) << r.why;
	EXPECT_EQ(utf8_at(r.out, 36).size(), 258u);
}

TEST(Fcopy, LoneSurrogatesAndEmptyFileNamesAreRefused)
{
	auto body = start_msg("/tmp/", "x");
	put_u16s(body, kPname, std::u16string(1, static_cast<char16_t>(0xd800)) + u"a");
	auto r = to_daemon(body);
	EXPECT_EQ(r.len, -EBADMSG);
	EXPECT_NE(r.why.find("not valid UTF-16"), std::string::npos) << r.why;

	r = to_daemon(start_msg("/tmp/", ""));
	EXPECT_EQ(r.len, -EBADMSG);
	EXPECT_NE(r.why.find("empty"), std::string::npos) << r.why;
	// An empty path is the daemon's business ("/name").
	EXPECT_EQ(to_daemon(start_msg("", "x")).len, 1088);
}

TEST(Fcopy, UnknownCopyFlagsAreRefused)
{
	EXPECT_EQ(to_daemon(start_msg("/", "x", HVK_FCOPY_OVER_WRITE | HVK_FCOPY_CREATE_PATH)).len, 1088);
	auto r = to_daemon(start_msg("/", "x", 0x4));
	EXPECT_EQ(r.len, -EBADMSG);
	EXPECT_NE(r.why.find("copy flags"), std::string::npos) << r.why;
}

TEST(Fcopy, MessagesShorterThanTheirStructAreRefused)
{
	auto body = start_msg("/", "x");
	body.resize(1087);
	EXPECT_EQ(to_daemon(body).len, -EBADMSG);
	EXPECT_EQ(to_daemon(std::vector<uint8_t>(35)).len, -EBADMSG);
	EXPECT_EQ(to_daemon(write_msg(0, 0, 51)).len, -EBADMSG);
}

TEST(Fcopy, WriteReachesTheDaemonWholeWithThePadBeforeTheOffset)
{
	auto body = write_msg(0x123456789aULL, 100, 52 + 100);
	auto r = to_daemon(body);
	ASSERT_EQ(r.len, 6196) << r.why;
	auto *o = reinterpret_cast<const uint8_t *>(&r.out);
	uint32_t pad, size;
	uint64_t offset;
	std::memcpy(&pad, o + 36, 4);
	std::memcpy(&offset, o + 40, 8);
	std::memcpy(&size, o + 48, 4);
	EXPECT_EQ(pad, 0u);
	EXPECT_EQ(offset, 0x123456789aULL);
	EXPECT_EQ(size, 100u);
	EXPECT_EQ(std::memcmp(o + 52, body.data() + 52, 100), 0);
	for (size_t i = 52 + 100; i < 6196; i++)
		ASSERT_EQ(o[i], 0) << i;
	// A whole struct from the host, a full fragment.
	EXPECT_EQ(to_daemon(write_msg(0, HVK_FCOPY_DATA_FRAGMENT, 6196)).len, 6196);
}

TEST(Fcopy, WriteSizeOrOffsetOutOfRangeIsRefused)
{
	auto r = to_daemon(write_msg(0, HVK_FCOPY_DATA_FRAGMENT + 1, 6196 + 1));
	EXPECT_EQ(r.len, -EBADMSG);
	EXPECT_NE(r.why.find("past the 6 KiB fragment"), std::string::npos) << r.why;
	r = to_daemon(write_msg(0, 100, 52 + 99));
	EXPECT_EQ(r.len, -EBADMSG);
	EXPECT_NE(r.why.find("past the end of the message"), std::string::npos) << r.why;
	const uint64_t max = INT64_MAX;
	EXPECT_EQ(to_daemon(write_msg(max - 10, 10, 62)).len, 6196);
	r = to_daemon(write_msg(max - 9, 10, 62));
	EXPECT_EQ(r.len, -EBADMSG);
	EXPECT_NE(r.why.find("largest file offset"), std::string::npos) << r.why;
}

TEST(Fcopy, CompleteAndCancelReachTheDaemonAsTheHeader)
{
	for (uint32_t op : {HVK_FCOPY_COMPLETE, HVK_FCOPY_CANCEL}) {
		std::vector<uint8_t> body(36 + 28);
		std::memcpy(body.data(), &op, 4);
		body[4] = 0x11;	// service_id0
		auto r = to_daemon(body);
		ASSERT_EQ(r.len, 36) << op;
		EXPECT_EQ(r.out.hdr.operation, op);
		EXPECT_EQ(r.out.hdr.service_id0[0], 0x11);
	}
}

TEST(Fcopy, UnknownOperationsAreRefused)
{
	std::vector<uint8_t> body(64);
	body[0] = 4;
	auto r = to_daemon(body);
	EXPECT_EQ(r.len, -EBADMSG);
	EXPECT_STREQ(hvk_fcopy_op_name(4), "unknown");
	EXPECT_STREQ(hvk_fcopy_op_name(HVK_FCOPY_WRITE_TO_FILE), "WRITE_TO_FILE");
}

TEST(Fcopy, HostRefusesNamesItCannotSend)
{
	hvk_fcopy_start m;
	int which = -1;
	std::string long_name(HVK_W_MAX_PATH, 'a');	// 260 units leave no room for the NUL
	EXPECT_EQ(hvk_fcopy_start_init(&m, "/", 1, long_name.data(), HVK_W_MAX_PATH, 0, 0, &which), -ENOSPC);
	EXPECT_EQ(which, 1);
	EXPECT_EQ(hvk_fcopy_start_init(&m, "\xff", 1, "x", 1, 0, 0, &which), -EILSEQ);
	EXPECT_EQ(which, 0);
	std::string name259(259, 'a');
	EXPECT_EQ(hvk_fcopy_start_init(&m, "/", 1, name259.data(), 259, 0, 0, &which), 0);
}

TEST(Vss, OperationsGoWhereUpstreamSendsThem)
{
	EXPECT_EQ(hvk_vss_route(HVK_VSS_OP_FREEZE), HVK_VSS_DAEMON);
	EXPECT_EQ(hvk_vss_route(HVK_VSS_OP_THAW), HVK_VSS_DAEMON);
	EXPECT_EQ(hvk_vss_route(HVK_VSS_OP_HOT_BACKUP), HVK_VSS_DAEMON);
	for (u8 op : {HVK_VSS_OP_CREATE, HVK_VSS_OP_DELETE, HVK_VSS_OP_GET_DM_INFO, HVK_VSS_OP_BU_COMPLETE,
		      HVK_VSS_OP_AUTO_RECOVER})
		EXPECT_EQ(hvk_vss_route(op), HVK_VSS_GUEST) << int(op);
	for (int op = HVK_VSS_OP_COUNT; op < 256; op++)
		EXPECT_EQ(hvk_vss_route(static_cast<u8>(op)), HVK_VSS_UNKNOWN) << op;
	EXPECT_STREQ(hvk_vss_op_name(HVK_VSS_OP_FREEZE), "FREEZE");
	EXPECT_STREQ(hvk_vss_op_name(HVK_VSS_OP_REGISTER1), "REGISTER1");
	EXPECT_STREQ(hvk_vss_op_name(200), "unknown");
}

TEST(Vss, DaemonWritesReadAsUpstreamReadsThem)
{
	hvk_vss_reply kind;
	u32 status;
	bool hb;
	hvk_vss_msg m{};
	EXPECT_EQ(hvk_vss_daemon_reply(&m, sizeof(m) - 1, &kind, &status, &hb), -EINVAL);

	m.vss_hdr.operation = HVK_VSS_OP_REGISTER1;
	ASSERT_EQ(hvk_vss_daemon_reply(&m, sizeof(m), &kind, &status, &hb), 0);
	EXPECT_EQ(kind, HVK_VSS_REPLY_REGISTER1);
	m.vss_hdr.operation = HVK_VSS_OP_REGISTER;
	ASSERT_EQ(hvk_vss_daemon_reply(&m, sizeof(m), &kind, &status, &hb), 0);
	EXPECT_EQ(kind, HVK_VSS_REPLY_REGISTER);

	// hv_vss_daemon answers with error = 0 over the operation byte.
	m = {};
	m.error = 0;
	ASSERT_EQ(hvk_vss_daemon_reply(&m, sizeof(m), &kind, &status, &hb), 0);
	EXPECT_EQ(kind, HVK_VSS_REPLY_ANSWER);
	EXPECT_EQ(status, 0u);
	EXPECT_FALSE(hb);
	m.error = static_cast<s32>(HVK_E_FAIL);	// low byte 5: not HOT_BACKUP
	ASSERT_EQ(hvk_vss_daemon_reply(&m, sizeof(m), &kind, &status, &hb), 0);
	EXPECT_EQ(status, HVK_E_FAIL);
	EXPECT_FALSE(hb);
	m.error = HVK_VSS_OP_HOT_BACKUP;	// reads as HOT_BACKUP, as upstream
	ASSERT_EQ(hvk_vss_daemon_reply(&m, sizeof(m), &kind, &status, &hb), 0);
	EXPECT_TRUE(hb);
	EXPECT_EQ(status, 2u);
}
