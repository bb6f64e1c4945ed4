// SPDX-License-Identifier: GPL-2.0
// Shutdown and time sync requests as the guest checks them
// (include/hvkit/ic_sdts.h): upstream's six shutdown flags and nothing
// else, the whole struct or nothing, a display message that cannot
// smuggle anything into a log line, each time sync version's length, and
// the arithmetic that turns the host's time into the guest's.
extern "C" {
#include <hvkit/ic_sdts.h>
}

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

namespace {

std::vector<u8> shutdown_body(u32 flags, u32 reason = 0x80000000u, u32 timeout = 30)
{
	hvk_ic_shutdown m{};
	m.reason_code = reason;
	m.timeout_seconds = timeout;
	m.flags = flags;
	std::vector<u8> b(sizeof(m));
	std::memcpy(b.data(), &m, sizeof(m));
	return b;
}

} // namespace

TEST(Shutdown, UpstreamsSixFlagsMapToTheirActions)
{
	const struct {
		u32 flags;
		hvk_sd_action action;
		bool force;
	} cases[] = {
		{0, HVK_SD_POWEROFF, false}, {1, HVK_SD_POWEROFF, true},
		{2, HVK_SD_RESTART, false},  {3, HVK_SD_RESTART, true},
		{4, HVK_SD_HIBERNATE, false}, {5, HVK_SD_HIBERNATE, true},
	};
	for (const auto &c : cases) {
		auto b = shutdown_body(c.flags, 0x80000000u, 30);
		hvk_sd_request r{};
		ASSERT_EQ(0, hvk_sd_parse(b.data(), b.size(), &r)) << c.flags;
		EXPECT_EQ(c.action, r.action) << c.flags;
		EXPECT_EQ(c.force, r.force) << c.flags;
		EXPECT_EQ(0x80000000u, r.reason_code);
		EXPECT_EQ(30u, r.timeout_seconds);
		EXPECT_EQ(c.flags, r.flags);
	}
}

TEST(Shutdown, AnyOtherFlagsAreRefused)
{
	for (u32 flags : {6u, 7u, 8u, 0x10u, 0x80000000u, 0xffffffffu}) {
		auto b = shutdown_body(flags);
		hvk_sd_request r{};
		EXPECT_EQ(-EINVAL, hvk_sd_parse(b.data(), b.size(), &r)) << flags;
		EXPECT_EQ(flags, r.flags);
	}
}

TEST(Shutdown, TheWholeMessageMustBeThere)
{
	auto b = shutdown_body(0);
	hvk_sd_request r{};
	// Longer is fine (a host may pad); one byte short is not, even
	// though only the display message is missing (upstream checks it too).
	b.push_back(0);
	EXPECT_EQ(0, hvk_sd_parse(b.data(), b.size(), &r));
	for (size_t len : {sizeof(hvk_ic_shutdown) - 1, size_t{12}, size_t{11}, size_t{0}}) {
		std::vector<u8> cut(b.begin(), b.begin() + len);
		EXPECT_EQ(-EBADMSG, hvk_sd_parse(cut.data(), cut.size(), &r)) << len;
	}
}

namespace {

std::string message(const std::vector<u8> &bytes, u32 room)
{
	std::vector<char> out(room, 'X');
	u32 n = hvk_sd_message(bytes.data(), bytes.size(), out.data(), room);
	EXPECT_EQ(n, std::strlen(out.data()));
	return out.data();
}

std::vector<u8> utf16(const std::u16string &s)
{
	std::vector<u8> b;
	for (char16_t c : s) {
		b.push_back(c & 0xff);
		b.push_back(c >> 8);
	}
	return b;
}

} // namespace

TEST(Shutdown, TheDisplayMessageIsPrintableAsciiUpToItsNul)
{
	EXPECT_EQ("Planned maintenance", message(utf16(u"Planned maintenance"), 128));
	EXPECT_EQ("ab", message(utf16(std::u16string(u"ab\0cd", 5)), 128));
	// Control characters, escapes, non-ASCII and surrogates become '?'.
	EXPECT_EQ("a?b?c?d??e", message(utf16(u"a\nb\x1b" u"c\u00e9d\U0001F600e"), 128));
	EXPECT_EQ("??", message(utf16(u"\x7f\xffff"), 128));
}

TEST(Shutdown, TheDisplayMessageIsBoundedByItsBytesAndTheRoom)
{
	// No NUL anywhere: the bytes given are all that is read.
	auto full = utf16(std::u16string(1024, u'x'));
	EXPECT_EQ(std::string(127, 'x'), message(full, 128));
	EXPECT_EQ(std::string(1024, 'x'), message(full, 2000));
	// An odd byte count: the half unit at the end is not read.
	auto odd = utf16(u"abc");
	odd.pop_back();
	EXPECT_EQ("ab", message(odd, 128));
	EXPECT_EQ("", message(odd, 1));
	EXPECT_EQ("", message({}, 16));
}

namespace {

constexpr u64 kWin1970 = HVK_WLTIMEDELTA;
constexpr u64 kSec = 10000000;	// 100 ns units

std::vector<u8> ts_old(u64 parent, u8 flags)
{
	hvk_ic_timesync m{};
	m.parenttime = parent;
	m.flags = flags;
	std::vector<u8> b(sizeof(m));
	std::memcpy(b.data(), &m, sizeof(m));
	return b;
}

std::vector<u8> ts_ref(u64 parent, u64 ref, u8 flags)
{
	hvk_ic_timesync_ref m{};
	m.parenttime = parent;
	m.vmreferencetime = ref;
	m.flags = flags;
	std::vector<u8> b(sizeof(m));
	std::memcpy(b.data(), &m, sizeof(m));
	return b;
}

constexpr u32 kV4 = HVK_IC_TS_4_0, kV3 = HVK_IC_TS_3_0, kV1 = HVK_IC_TS_1_0;

} // namespace

TEST(Timesync, Version4CarriesTheReferenceTime)
{
	auto b = ts_ref(kWin1970 + 5 * kSec, 1234, HVK_IC_TS_FLAG_SYNC);
	hvk_ts_sample s{};
	ASSERT_EQ(0, hvk_ts_parse(b.data(), b.size(), kV4, &s));
	EXPECT_EQ(kWin1970 + 5 * kSec, s.parenttime);
	EXPECT_TRUE(s.has_ref);
	EXPECT_EQ(1234u, s.reftime);
	EXPECT_EQ(HVK_IC_TS_FLAG_SYNC, s.flags);
	// Hyper-V's 24-byte body (two more reserved bytes) is fine too.
	b.resize(24);
	EXPECT_EQ(0, hvk_ts_parse(b.data(), b.size(), kV4, &s));
}

TEST(Timesync, OlderVersionsCarryTheTimeAlone)
{
	for (u32 v : {kV3, kV1}) {
		auto b = ts_old(kWin1970 + kSec, HVK_IC_TS_FLAG_SAMPLE);
		hvk_ts_sample s{};
		ASSERT_EQ(0, hvk_ts_parse(b.data(), b.size(), v, &s));
		EXPECT_EQ(kWin1970 + kSec, s.parenttime);
		EXPECT_FALSE(s.has_ref);
		EXPECT_EQ(HVK_IC_TS_FLAG_SAMPLE, s.flags);
	}
}

TEST(Timesync, AMessageShorterThanItsVersionsStructIsRefused)
{
	hvk_ts_sample s{};
	auto v4 = ts_ref(kWin1970, 0, 1);
	std::vector<u8> cut(v4.begin(), v4.end() - 1);	// 21 of 22
	EXPECT_EQ(-EBADMSG, hvk_ts_parse(cut.data(), cut.size(), kV4, &s));
	// 22 bytes are enough for 4.0 but not for the older 25-byte format.
	EXPECT_EQ(0, hvk_ts_parse(v4.data(), v4.size(), kV4, &s));
	EXPECT_EQ(-EBADMSG, hvk_ts_parse(v4.data(), v4.size(), kV3, &s));
	auto v3 = ts_old(kWin1970, 1);
	std::vector<u8> cut3(v3.begin(), v3.end() - 1);	// 24 of 25
	EXPECT_EQ(-EBADMSG, hvk_ts_parse(cut3.data(), cut3.size(), kV1, &s));
	EXPECT_EQ(-EBADMSG, hvk_ts_parse(nullptr, 0, kV1, &s));
}

TEST(Timesync, TheHostsTimeBecomesUnixNanoseconds)
{
	s64 ns = -1;
	ASSERT_EQ(0, hvk_ts_unix_ns(kWin1970, 0, &ns));
	EXPECT_EQ(0, ns);
	// 2023-11-14 22:13:20 UTC, and 1.5 s of reference counter after it.
	ASSERT_EQ(0, hvk_ts_unix_ns(kWin1970 + 1700000000ull * kSec, 15000000, &ns));
	EXPECT_EQ(1700000001500000000ll, ns);
}

TEST(Timesync, TimesBefore1970OrPast2262AreRefused)
{
	s64 ns = 0;
	EXPECT_EQ(-ERANGE, hvk_ts_unix_ns(kWin1970 - 1, 0, &ns));
	EXPECT_EQ(-ERANGE, hvk_ts_unix_ns(0, 0, &ns));
	const u64 max = static_cast<u64>(std::numeric_limits<int64_t>::max()) / 100;
	ASSERT_EQ(0, hvk_ts_unix_ns(kWin1970 + max, 0, &ns));
	EXPECT_EQ(static_cast<s64>(max * 100), ns);
	EXPECT_EQ(-ERANGE, hvk_ts_unix_ns(kWin1970 + max + 1, 0, &ns));
	EXPECT_EQ(-ERANGE, hvk_ts_unix_ns(kWin1970 + max, 1, &ns));
	EXPECT_EQ(-ERANGE, hvk_ts_unix_ns(kWin1970, max + 1, &ns));
	EXPECT_EQ(-ERANGE, hvk_ts_unix_ns(~0ull, ~0ull, &ns));
	EXPECT_EQ(-ERANGE, hvk_ts_unix_ns(kWin1970 + 1, ~0ull, &ns));
}
