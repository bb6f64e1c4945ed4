// SPDX-License-Identifier: GPL-2.0
// The vPCI wire checks (include/hvkit/vpci.h): the guest applies them to what
// the host sends (bus relations, resource requirements, interrupt replies,
// eject) and the simulated host to what the guest sends. Each accepts a
// well-formed message and names what is wrong with a bad one.
extern "C" {
#include <hvkit/vpci.h>
}

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

namespace {

std::string why(const char *w)
{
	return w ? w : "";
}

template <typename T> void put(std::vector<u8> &m, const T &v)
{
	const auto *b = reinterpret_cast<const u8 *>(&v);
	m.insert(m.end(), b, b + sizeof(v));
}

// Bus relations naming @slots, in the layout of @type.
std::vector<u8> relations(u32 type, const std::vector<u32> &slots)
{
	std::vector<u8> m;
	put(m, hvk_vpci_bus_rel{type, static_cast<u32>(slots.size())});
	for (u32 s : slots) {
		hvk_vpci_func2 f{};
		f.f.vendor = 0x1234;
		f.f.device = 0x11e8;
		f.f.slot = s;
		f.f.serial = s + 100;
		f.flags = HVK_VPCI_FUNC_NUMA;
		f.numa_node = 1;
		if (type == HVK_VPCI_BUS_RELATIONS)
			put(m, f.f);
		else
			put(m, f);
	}
	return m;
}

const char *rel_check(const std::vector<u8> &m, u32 v, hvk_vpci_rel_view *r)
{
	return hvk_vpci_bus_rel_check(m.data(), static_cast<u32>(m.size()), v, r);
}

TEST(VpciWire, SlotAndDevfnRoundTrip)
{
	for (u32 devfn = 0; devfn < 256; devfn++) {
		u32 s = hvk_vpci_devfn_to_slot(devfn);
		EXPECT_EQ(s & HVK_VPCI_SLOT_RESERVED, 0u);
		EXPECT_EQ(hvk_vpci_slot_to_devfn(s), devfn);
	}
	// Device 3 function 1: Windows puts the function above the device.
	EXPECT_EQ(hvk_vpci_devfn_to_slot((3 << 3) | 1), 3u | (1u << 5));
}

TEST(VpciWire, ClassGuidInWireOrder)
{
	// 44c4f61d-4444-4400-9d52-802e27ede19f: the first three groups little-endian.
	const u8 want[16] = {0x1d, 0xf6, 0xc4, 0x44, 0x44, 0x44, 0x00, 0x44,
			     0x9d, 0x52, 0x80, 0x2e, 0x27, 0xed, 0xe1, 0x9f};
	const u8 got[16] = {HVK_VPCI_CLASS_BYTES};
	EXPECT_EQ(0, std::memcmp(want, got, sizeof(want)));
}

TEST(VpciWire, DomainComesFromInstanceBytesFourAndFive)
{
	u8 g[16] = {0, 1, 2, 3, 0x34, 0x12, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
	EXPECT_EQ(hvk_vpci_domain(g), 0x1234);
}

TEST(VpciWire, VersionsKnownAndCreateInterruptByVersion)
{
	EXPECT_TRUE(hvk_vpci_version_known(0x10001));
	EXPECT_TRUE(hvk_vpci_version_known(0x10004));
	EXPECT_FALSE(hvk_vpci_version_known(0x10005));
	EXPECT_FALSE(hvk_vpci_version_known(0x20000));
	EXPECT_EQ(hvk_vpci_create_int_type(HVK_VPCI_V1_1), u32(HVK_VPCI_CREATE_INTERRUPT));
	EXPECT_EQ(hvk_vpci_create_int_type(HVK_VPCI_V1_3), u32(HVK_VPCI_CREATE_INTERRUPT2));
	EXPECT_EQ(hvk_vpci_create_int_type(HVK_VPCI_V1_4), u32(HVK_VPCI_CREATE_INTERRUPT3));
}

TEST(VpciBusRelations, BothLayoutsAccepted)
{
	hvk_vpci_rel_view r{};
	auto m = relations(HVK_VPCI_BUS_RELATIONS, {0, 1, 0x21});
	ASSERT_EQ(why(rel_check(m, HVK_VPCI_V1_4, &r)), "");
	EXPECT_EQ(r.count, 3u);
	EXPECT_EQ(r.entry_size, 20u);
	hvk_vpci_func2 f;
	hvk_vpci_rel_func(m.data(), &r, 2, &f);
	EXPECT_EQ(f.f.slot, 0x21u);
	EXPECT_EQ(f.f.serial, 0x21u + 100);
	EXPECT_EQ(f.flags, 0u);	// v1 has none

	m = relations(HVK_VPCI_BUS_RELATIONS2, {4});
	ASSERT_EQ(why(rel_check(m, HVK_VPCI_V1_3, &r)), "");
	EXPECT_EQ(r.entry_size, 28u);
	hvk_vpci_rel_func(m.data(), &r, 0, &f);
	EXPECT_EQ(f.numa_node, 1);
	EXPECT_EQ(f.f.device, 0x11e8);
}

TEST(VpciBusRelations, EmptyBusIsFine)
{
	hvk_vpci_rel_view r{};
	auto m = relations(HVK_VPCI_BUS_RELATIONS, {});
	ASSERT_EQ(why(rel_check(m, HVK_VPCI_V1_1, &r)), "");
	EXPECT_EQ(r.count, 0u);
}

TEST(VpciBusRelations, CountPastTheMessageRefused)
{
	hvk_vpci_rel_view r{};
	auto m = relations(HVK_VPCI_BUS_RELATIONS2, {0, 1});
	m.resize(m.size() - 1);
	EXPECT_EQ(why(rel_check(m, HVK_VPCI_V1_4, &r)), "function count runs past the message");
	m = relations(HVK_VPCI_BUS_RELATIONS, {0});
	hvk_vpci_bus_rel h{HVK_VPCI_BUS_RELATIONS, 0xffffffffu};
	std::memcpy(m.data(), &h, sizeof(h));
	EXPECT_EQ(why(rel_check(m, HVK_VPCI_V1_4, &r)), "more functions than a bus has slots");
	h.count = 2;
	std::memcpy(m.data(), &h, sizeof(h));
	EXPECT_EQ(why(rel_check(m, HVK_VPCI_V1_4, &r)), "function count runs past the message");
	m.resize(7);
	EXPECT_EQ(why(rel_check(m, HVK_VPCI_V1_4, &r)), "bus relations shorter than their header");
}

TEST(VpciBusRelations, DuplicateSlotRefused)
{
	hvk_vpci_rel_view r{};
	auto m = relations(HVK_VPCI_BUS_RELATIONS2, {3, 7, 3});
	EXPECT_EQ(why(rel_check(m, HVK_VPCI_V1_4, &r)), "two functions in one slot");
	m = relations(HVK_VPCI_BUS_RELATIONS, {0x100});
	EXPECT_EQ(why(rel_check(m, HVK_VPCI_V1_4, &r)), "function slot with reserved bits set");
}

TEST(VpciBusRelations, WrongTypeOrVersionRefused)
{
	hvk_vpci_rel_view r{};
	auto m = relations(HVK_VPCI_BUS_RELATIONS2, {0});
	EXPECT_EQ(why(rel_check(m, HVK_VPCI_V1_2, &r)), "bus relations 2 before version 1.3");
	hvk_vpci_bus_rel h{HVK_VPCI_EJECT, 0};
	std::memcpy(m.data(), &h, sizeof(h));
	EXPECT_EQ(why(rel_check(m, HVK_VPCI_V1_4, &r)), "not bus relations");
}

hvk_vpci_res_reqs reqs(std::initializer_list<u32> bars)
{
	hvk_vpci_res_reqs q{};
	u32 i = 0;
	for (u32 b : bars)
		q.probed_bar[i++] = b;
	return q;
}

TEST(VpciResources, EduAndIvshmemBarsDecode)
{
	hvk_vpci_bars b{};
	// edu: BAR0 1 MiB 32-bit memory.
	auto q = reqs({0xfff00000u});
	ASSERT_EQ(why(hvk_vpci_res_reqs_check(&q, sizeof(q), &b)), "");
	EXPECT_EQ(b.size[0], 1u << 20);
	EXPECT_EQ(b.size[1], 0u);
	// ivshmem-plain: BAR0 256 B registers, BAR2 1 GiB 64-bit prefetchable.
	q = reqs({0xffffff00u, 0, 0xc000000cu, 0xffffffffu});
	ASSERT_EQ(why(hvk_vpci_res_reqs_check(&q, sizeof(q), &b)), "");
	EXPECT_EQ(b.size[0], 256u);
	EXPECT_EQ(b.size[2], 1ull << 30);
	EXPECT_EQ(b.flags[2], HVK_PCI_BAR_TYPE_64 | HVK_PCI_BAR_PREFETCH);
	EXPECT_EQ(b.size[3], 0u);	// the high half
	// A GPU's 64 GiB BAR.
	q = reqs({0, 0, 0, 0, 0x0000000cu, 0xfffffff0u});
	ASSERT_EQ(why(hvk_vpci_res_reqs_check(&q, sizeof(q), &b)), "");
	EXPECT_EQ(b.size[4], 64ull << 30);
}

TEST(VpciResources, BadAnswersRefused)
{
	hvk_vpci_bars b{};
	auto q = reqs({0xfff00000u});
	EXPECT_EQ(why(hvk_vpci_res_reqs_check(&q, sizeof(q) - 1, &b)),
		  "resource requirements shorter than six BARs");
	q.status = -1;
	EXPECT_EQ(why(hvk_vpci_res_reqs_check(&q, sizeof(q), &b)),
		  "the host refused the resource requirements");
	q = reqs({0xfff0ff00u});
	EXPECT_EQ(why(hvk_vpci_res_reqs_check(&q, sizeof(q), &b)),
		  "a BAR whose size is not a power of two");
	q = reqs({0xfffffff1u});
	EXPECT_EQ(why(hvk_vpci_res_reqs_check(&q, sizeof(q), &b)), "an I/O BAR");
	q = reqs({0, 0, 0, 0, 0, 0xfffff004u});
	EXPECT_EQ(why(hvk_vpci_res_reqs_check(&q, sizeof(q), &b)), "a 64-bit BAR in the last slot");
	q = reqs({0xfffff002u});
	EXPECT_EQ(why(hvk_vpci_res_reqs_check(&q, sizeof(q), &b)), "a BAR of a reserved type");
	// A 64-bit BAR whose both halves have no size bits: size 2^64.
	q = reqs({0x4u, 0});
	EXPECT_EQ(why(hvk_vpci_res_reqs_check(&q, sizeof(q), &b)),
		  "a BAR whose size is not a power of two");
}

TEST(VpciInterrupt, ReplyChecked)
{
	hvk_vpci_create_int_reply r{};
	r.d.vector_count = 1;
	r.d.address = 0xfee01000;
	r.d.data = 0x4041;
	hvk_vpci_int_desc d{};
	ASSERT_EQ(why(hvk_vpci_int_reply_check(&r, sizeof(r), 1, &d)), "");
	EXPECT_EQ(d.data, 0x4041u);
	EXPECT_EQ(why(hvk_vpci_int_reply_check(&r, sizeof(r), 2, &d)),
		  "interrupt reply for another vector count");
	EXPECT_EQ(why(hvk_vpci_int_reply_check(&r, sizeof(r) - 1, 1, &d)),
		  "interrupt reply shorter than its descriptor");
	r.d.address = 0xdead0000;
	EXPECT_EQ(why(hvk_vpci_int_reply_check(&r, sizeof(r), 1, &d)),
		  "interrupt address outside the MSI window");
	// The window's address with high bits set: a write anywhere (found by fuzz_vpci).
	r.d.address = 0x58f43700fee01000ull;
	EXPECT_EQ(why(hvk_vpci_int_reply_check(&r, sizeof(r), 1, &d)),
		  "interrupt address outside the MSI window");
	r.status = HVK_VPCI_STATUS_INVALID;
	EXPECT_EQ(why(hvk_vpci_int_reply_check(&r, sizeof(r), 1, &d)),
		  "the host refused the interrupt");
}

TEST(VpciEject, SlotChecked)
{
	hvk_vpci_child_msg m{HVK_VPCI_EJECT, 0x21};
	u32 slot = 0;
	ASSERT_EQ(why(hvk_vpci_eject_check(&m, sizeof(m), &slot)), "");
	EXPECT_EQ(slot, 0x21u);
	EXPECT_EQ(why(hvk_vpci_eject_check(&m, 4, &slot)), "eject shorter than its slot");
	m.slot = 0x1000;
	EXPECT_EQ(why(hvk_vpci_eject_check(&m, sizeof(m), &slot)),
		  "eject of a slot with reserved bits set");
}

// ---- what the simulated host checks ----

TEST(VpciGuestMsg, VersionFirstThenByVersion)
{
	u32 type = 0;
	hvk_vpci_version_req v{HVK_VPCI_QUERY_PROTOCOL_VERSION, HVK_VPCI_V1_4};
	ASSERT_EQ(why(hvk_vpci_guest_check(&v, sizeof(v), 0, &type)), "");
	EXPECT_EQ(type, u32(HVK_VPCI_QUERY_PROTOCOL_VERSION));
	hvk_vpci_msg q{HVK_VPCI_QUERY_BUS_RELATIONS};
	EXPECT_EQ(why(hvk_vpci_guest_check(&q, sizeof(q), 0, &type)),
		  "a message before the version was agreed");
	EXPECT_EQ(why(hvk_vpci_guest_check(&q, sizeof(q), HVK_VPCI_V1_1, &type)), "");
	hvk_vpci_create_int3 c{};
	c.type = HVK_VPCI_CREATE_INTERRUPT3;
	EXPECT_EQ(why(hvk_vpci_guest_check(&c, sizeof(c), HVK_VPCI_V1_3, &type)),
		  "a message newer than the agreed version");
	EXPECT_EQ(why(hvk_vpci_guest_check(&c, sizeof(c), HVK_VPCI_V1_4, &type)), "");
	EXPECT_EQ(why(hvk_vpci_guest_check(&c, sizeof(c) - 1, HVK_VPCI_V1_4, &type)),
		  "message shorter than its type requires");
	c.slot = 0x300;
	EXPECT_EQ(why(hvk_vpci_guest_check(&c, sizeof(c), HVK_VPCI_V1_4, &type)),
		  "a slot with reserved bits set");
	hvk_vpci_msg bad{HVK_VPCI_BUS_RELATIONS};
	EXPECT_EQ(why(hvk_vpci_guest_check(&bad, sizeof(bad), HVK_VPCI_V1_4, &type)),
		  "a message type a guest does not send");
	EXPECT_EQ(why(hvk_vpci_guest_check(&bad, 3, HVK_VPCI_V1_4, &type)),
		  "message shorter than its type");
}

TEST(VpciGuestMsg, D0EntryWindow)
{
	hvk_vpci_d0_entry d{HVK_VPCI_BUS_D0ENTRY, 0, 0xf8000000};
	EXPECT_EQ(why(hvk_vpci_d0_check(&d)), "");
	d.mmio_base = 0xf8000800;
	EXPECT_EQ(why(hvk_vpci_d0_check(&d)), "config window not page aligned");
	d.mmio_base = 0;
	EXPECT_EQ(why(hvk_vpci_d0_check(&d)), "config window not page aligned");
	d.mmio_base = ~0ull & ~0xfffull;
	EXPECT_EQ(why(hvk_vpci_d0_check(&d)), "config window past the address space");
}

TEST(VpciGuestMsg, CreateInterruptEachVersion)
{
	hvk_vpci_msi_req r{};
	hvk_vpci_create_int c1{};
	c1.type = HVK_VPCI_CREATE_INTERRUPT;
	c1.d = {0x41, HVK_VPCI_DELIVERY_FIXED, 1, 0, ~0ull};
	ASSERT_EQ(why(hvk_vpci_create_int_check(&c1, c1.type, &r)), "");
	EXPECT_EQ(r.vector, 0x41u);
	EXPECT_EQ(r.vp_count, 32);	// every VP named; the first 32 serve

	hvk_vpci_create_int2 c2{};
	c2.type = HVK_VPCI_CREATE_INTERRUPT2;
	c2.d.vector = 0x42;
	c2.d.vector_count = 1;
	c2.d.vp_count = 1;
	c2.d.vp[0] = 9;
	ASSERT_EQ(why(hvk_vpci_create_int_check(&c2, c2.type, &r)), "");
	EXPECT_EQ(r.vp[0], 9);

	hvk_vpci_create_int3 c3{};
	c3.type = HVK_VPCI_CREATE_INTERRUPT3;
	c3.d.vector = 0x43;
	c3.d.vector_count = 1;
	c3.d.vp_count = 33;
	EXPECT_EQ(why(hvk_vpci_create_int_check(&c3, c3.type, &r)), "target VP count outside 1..32");
	c3.d.vp_count = 1;
	c3.d.vector_count = 33;
	EXPECT_EQ(why(hvk_vpci_create_int_check(&c3, c3.type, &r)), "vector count outside 1..32");
	c3.d.vector_count = 1;
	c3.d.delivery_mode = 4;	// NMI
	EXPECT_EQ(why(hvk_vpci_create_int_check(&c3, c3.type, &r)),
		  "delivery mode neither fixed nor lowest priority");
	c1.d.cpu_mask = 0;
	EXPECT_EQ(why(hvk_vpci_create_int_check(&c1, c1.type, &r)), "target VP count outside 1..32");
}

// 1.2's and 1.4's descriptors carry the same fields but for the vector's
// width: each is decoded whole (several vectors, lowest priority, a VP list).
TEST(VpciGuestMsg, CreateInterrupt2And3DecodeEveryField)
{
	hvk_vpci_create_int2 c2{};
	c2.type = HVK_VPCI_CREATE_INTERRUPT2;
	c2.d.vector = 0x61;
	c2.d.delivery_mode = HVK_VPCI_DELIVERY_LOWEST;
	c2.d.vector_count = 4;
	c2.d.vp_count = 3;
	c2.d.vp[0] = 2;
	c2.d.vp[1] = 5;
	c2.d.vp[2] = 31;
	hvk_vpci_create_int3 c3{};
	c3.type = HVK_VPCI_CREATE_INTERRUPT3;
	c3.d.vector = 0x1061;	// 1.4's vector is 32 bits wide
	c3.d.delivery_mode = HVK_VPCI_DELIVERY_LOWEST;
	c3.d.vector_count = 4;
	c3.d.vp_count = 3;
	c3.d.vp[0] = 2;
	c3.d.vp[1] = 5;
	c3.d.vp[2] = 31;

	hvk_vpci_msi_req r2{}, r3{};
	ASSERT_EQ(why(hvk_vpci_create_int_check(&c2, c2.type, &r2)), "");
	ASSERT_EQ(why(hvk_vpci_create_int_check(&c3, c3.type, &r3)), "");
	EXPECT_EQ(r2.vector, 0x61u);
	EXPECT_EQ(r3.vector, 0x1061u);
	for (const auto &r : {r2, r3}) {
		EXPECT_EQ(r.count, 4);
		EXPECT_EQ(r.mode, HVK_VPCI_DELIVERY_LOWEST);
		ASSERT_EQ(r.vp_count, 3);
		EXPECT_EQ(r.vp[0], 2);
		EXPECT_EQ(r.vp[1], 5);
		EXPECT_EQ(r.vp[2], 31);
		EXPECT_EQ(r.vp[3], 0);
	}
	c2.d.vector_count = 0;
	EXPECT_EQ(why(hvk_vpci_create_int_check(&c2, c2.type, &r2)), "vector count outside 1..32");
}

TEST(VpciGuestMsg, ResourcesAssigned)
{
	const u64 start[6] = {0xfe000000, 0, 0x800000000ull, 0, 0, 0};
	const u64 size[6] = {1 << 20, 0, 1ull << 30, 0, 0, 0};
	hvk_vpci_res_assigned2 m{};
	m.type = HVK_VPCI_RESOURCES_ASSIGNED2;
	// What a Linux guest sends: nothing at all.
	EXPECT_EQ(why(hvk_vpci_res_assigned_check(&m, m.type, start, size)), "");
	// Windows' way: each BAR described, the big one as large memory.
	m.mem[0] = {HVK_VPCI_RES_MEMORY, 0, 0, 0xfe000000, 1 << 20, 0};
	m.mem[2] = {HVK_VPCI_RES_MEMORY_LARGE, 0, HVK_VPCI_RES_LARGE_40, 0x800000000ull,
		    (1u << 30) >> 8, 0};
	EXPECT_EQ(why(hvk_vpci_res_assigned_check(&m, m.type, start, size)), "");
	m.mem[2].start += 0x1000;
	EXPECT_EQ(why(hvk_vpci_res_assigned_check(&m, m.type, start, size)),
		  "a memory range that is none of the function's BARs");
	m.mem[2].start -= 0x1000;
	m.mem[2].flags |= HVK_VPCI_RES_LARGE_48;
	EXPECT_EQ(why(hvk_vpci_res_assigned_check(&m, m.type, start, size)),
		  "large memory range without exactly one size flag");
	m.mem[2].flags = HVK_VPCI_RES_LARGE_40;
	m.msi_count = 1;
	EXPECT_EQ(why(hvk_vpci_res_assigned_check(&m, m.type, start, size)),
		  "MSI descriptors in resources assigned");
}

} // namespace
