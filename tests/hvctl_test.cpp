// SPDX-License-Identifier: GPL-2.0
// hvctl's GUID handling: what operators type, what sysfs prints and what
// the wire carries must all name the same device.
#include "../userspace/lib/guid.h"

#include <gtest/gtest.h>

#include <cstring>

using hvkit::format_guid;
using hvkit::parse_guid;

TEST(Guid, TextAndWireOrderRoundTrip)
{
	auto g = parse_guid("f8615163-df3e-46c5-913f-f2d2f965ed0e");
	ASSERT_TRUE(g);
	// First three groups little-endian on the wire, as Windows stores them.
	const uint8_t wire[16] = {0x63, 0x51, 0x61, 0xf8, 0x3e, 0xdf, 0xc5, 0x46,
				  0x91, 0x3f, 0xf2, 0xd2, 0xf9, 0x65, 0xed, 0x0e};
	EXPECT_EQ(0, std::memcmp(wire, g->b.data(), 16));
	EXPECT_EQ("f8615163-df3e-46c5-913f-f2d2f965ed0e", format_guid(*g));
}

TEST(Guid, BracesAndUpperCaseAreAccepted)
{
	auto a = parse_guid("{F8615163-DF3E-46C5-913F-F2D2F965ED0E}");
	auto b = parse_guid("f8615163-df3e-46c5-913f-f2d2f965ed0e");
	ASSERT_TRUE(a);
	EXPECT_EQ(*a, *b);
}

TEST(Guid, MalformedTextIsRefused)
{
	EXPECT_FALSE(parse_guid(""));
	EXPECT_FALSE(parse_guid("f8615163df3e46c5913ff2d2f965ed0e"));
	EXPECT_FALSE(parse_guid("f8615163-df3e-46c5-913f-f2d2f965ed0"));
	EXPECT_FALSE(parse_guid("g8615163-df3e-46c5-913f-f2d2f965ed0e"));
	EXPECT_FALSE(parse_guid("{f8615163-df3e-46c5-913f-f2d2f965ed0e"));
	EXPECT_FALSE(parse_guid("f8615163-df3e-46c5-913f-f2d2f965ed0e0"));
}

TEST(Guid, WellKnownClassesHaveNames)
{
	EXPECT_EQ("Synthetic network adapter",
		  hvkit::class_name(*parse_guid("f8615163-df3e-46c5-913f-f2d2f965ed0e")));
	EXPECT_EQ("hvkit echo (test)",
		  hvkit::class_name(*parse_guid("3a4b8f52-7c1e-4f0b-9d63-6b1e0c2f8a71")));
	EXPECT_EQ("", hvkit::class_name(*parse_guid("00000000-0000-0000-0000-000000000001")));
}
