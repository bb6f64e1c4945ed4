// SPDX-License-Identifier: GPL-2.0
// KVP's checks and conversions (drivers/util/kvp_wire.c): what the guest
// accepts from the host and hands the daemon, and what it makes of the
// daemon's answers. Every size check is tried at its exact fit and one
// past it; every buffer is sized exactly, so a sanitizer build sees any
// read past a message.
extern "C" {
#include <hvkit/ic_kvp.h>
}
#include <linux/hyperv.h>

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace {

using Bytes = std::vector<uint8_t>;

constexpr uint32_t kV4 = HVK_IC_KVP_4_0;
constexpr uint32_t kV3 = HVK_IC_KVP_3_0;

// Offsets inside struct hvk_kvp_value.
constexpr size_t kType = 0, kKeySize = 4, kValueSize = 8, kKey = 12, kValue = 524;

// UTF-16LE of @s, with a NUL unit unless told not to.
Bytes u16(std::u16string_view s, bool nul = true)
{
	Bytes b;
	for (char16_t c : s) {
		b.push_back(static_cast<uint8_t>(c & 0xff));
		b.push_back(static_cast<uint8_t>(c >> 8));
	}
	if (nul)
		b.insert(b.end(), {0, 0});
	return b;
}

std::u16string repeat(std::u16string_view s, size_t n)
{
	std::u16string out;
	for (size_t i = 0; i < n; i++)
		out += s;
	return out;
}

void put32(Bytes &b, size_t off, uint32_t v)
{
	std::memcpy(b.data() + off, &v, sizeof(v));
}

uint32_t get32(const Bytes &b, size_t off)
{
	uint32_t v;
	std::memcpy(&v, b.data() + off, sizeof(v));
	return v;
}

void put(Bytes &b, size_t off, const Bytes &what)
{
	std::memcpy(b.data() + off, what.data(), what.size());
}

// A host body of @len bytes (Hyper-V's size unless told) with its header.
Bytes body(uint8_t op, uint8_t pool, size_t len = 0)
{
	if (!len)
		len = op >= HVK_KVP_OP_GET_IP_INFO && op <= HVK_KVP_OP_SET_IP_INFO ? HVK_KVP_HOST_IP_MSG_SIZE
										    : HVK_KVP_HOST_MSG_SIZE;
	Bytes b(len, 0);
	b[0] = op;
	if (len > 1)
		b[1] = pool;
	return b;
}

// A GET or SET body with @key (key_size: its bytes with the NUL unless given).
Bytes kv(uint8_t op, const Bytes &key, uint32_t key_size = UINT32_MAX, uint8_t pool = 0)
{
	Bytes b = body(op, pool);
	put(b, HVK_KVP_OFF_VALUE + kKey, key);
	put32(b, HVK_KVP_OFF_VALUE + kKeySize, key_size == UINT32_MAX ? key.size() : key_size);
	return b;
}

Bytes set_sz(const Bytes &key, const Bytes &value, uint32_t value_size = UINT32_MAX)
{
	Bytes b = kv(HVK_KVP_OP_SET, key);
	put32(b, HVK_KVP_OFF_VALUE + kType, HVK_REG_SZ);
	put(b, HVK_KVP_OFF_VALUE + kValue, value);
	put32(b, HVK_KVP_OFF_VALUE + kValueSize, value_size == UINT32_MAX ? value.size() : value_size);
	return b;
}

struct Parsed {
	int ret;
	const char *why = nullptr;
	std::unique_ptr<hvk_kvp_msg> msg = std::make_unique<hvk_kvp_msg>();
};

Parsed parse(const Bytes &b, uint32_t ver = kV4)
{
	Parsed p;
	// Exactly the body's bytes on the heap: a read past them is an overrun.
	auto copy = std::make_unique<uint8_t[]>(b.size());
	std::memcpy(copy.get(), b.data(), b.size());
	p.ret = hvk_kvp_from_host(copy.get(), static_cast<u32>(b.size()), ver, p.msg.get(), &p.why);
	return p;
}

std::string str(const u8 *p)
{
	return reinterpret_cast<const char *>(p);
}

// ---- Host to daemon ----

TEST(KvpFromHost, EachOperationNeedsItsWholeMessage)
{
	EXPECT_EQ(2576u, hvk_kvp_min_len(HVK_KVP_OP_GET));
	EXPECT_EQ(2576u, hvk_kvp_min_len(HVK_KVP_OP_SET));
	EXPECT_EQ(520u, hvk_kvp_min_len(HVK_KVP_OP_DELETE));
	EXPECT_EQ(2580u, hvk_kvp_min_len(HVK_KVP_OP_ENUMERATE));
	EXPECT_EQ(7428u, hvk_kvp_min_len(HVK_KVP_OP_GET_IP_INFO));
	EXPECT_EQ(7428u, hvk_kvp_min_len(HVK_KVP_OP_SET_IP_INFO));
	EXPECT_EQ(0u, hvk_kvp_min_len(HVK_KVP_OP_COUNT));
	EXPECT_EQ(sizeof(hv_kvp_ip_msg), static_cast<size_t>(HVK_KVP_HOST_IP_MSG_SIZE));

	Bytes key = u16(u"k");
	for (uint8_t op = 0; op < HVK_KVP_OP_COUNT; op++) {
		uint32_t need = hvk_kvp_min_len(op);
		Bytes b = body(op, 0, need);
		if (op == HVK_KVP_OP_GET || op == HVK_KVP_OP_SET) {
			put(b, HVK_KVP_OFF_VALUE + kKey, key);
			put32(b, HVK_KVP_OFF_VALUE + kKeySize, 4);
			put32(b, HVK_KVP_OFF_VALUE + kType, HVK_REG_SZ);
			put(b, HVK_KVP_OFF_VALUE + kValue, key);
			put32(b, HVK_KVP_OFF_VALUE + kValueSize, 4);
		} else if (op == HVK_KVP_OP_DELETE) {
			put(b, HVK_KVP_OFF_DEL_KEY, key);
			put32(b, HVK_KVP_OFF_DEL_SIZE, 4);
		}
		EXPECT_EQ(0, parse(b).ret) << hvk_kvp_op_name(op) << " of exactly " << need << " bytes";
		b.pop_back();
		auto p = parse(b);
		EXPECT_EQ(-EBADMSG, p.ret) << hvk_kvp_op_name(op) << " one byte short";
		EXPECT_STREQ("icmsgsize is shorter than the operation's message", p.why);
	}
	for (size_t n = 0; n < 4; n++) {
		Bytes b(n, 0);
		EXPECT_EQ(-EBADMSG, parse(b).ret) << n << " bytes";
	}
}

TEST(KvpFromHost, SetBecomesUtf8WithSizesCountingTheNul)
{
	auto p = parse(set_sz(u16(u"Name\u00e9"), u16(u"Val\u20ac")));
	ASSERT_EQ(0, p.ret) << p.why;
	EXPECT_EQ(HVK_KVP_OP_SET, p.msg->kvp_hdr.operation);
	EXPECT_EQ(0, p.msg->kvp_hdr.pool);
	EXPECT_EQ("Name\xc3\xa9", str(p.msg->body.kvp_set.key));
	EXPECT_EQ(7u, p.msg->body.kvp_set.key_size);
	EXPECT_EQ("Val\xe2\x82\xac", str(p.msg->body.kvp_set.value));
	EXPECT_EQ(7u, p.msg->body.kvp_set.value_size);
	EXPECT_EQ(static_cast<u32>(HVK_REG_SZ), p.msg->body.kvp_set.value_type);
}

TEST(KvpFromHost, NumbersBecomeDecimalStrings)
{
	struct {
		uint32_t type, size;
		uint64_t v;
		const char *want;
	} cases[] = {
		{HVK_REG_U32, 4, 0, "0"},
		{HVK_REG_U32, 4, 4294967295u, "4294967295"},
		{HVK_REG_U64, 8, 18446744073709551615ull, "18446744073709551615"},
		{HVK_REG_QWORD, 8, 1234567890123ull, "1234567890123"},
	};
	for (const auto &c : cases) {
		Bytes b = kv(HVK_KVP_OP_SET, u16(u"n"));
		put32(b, HVK_KVP_OFF_VALUE + kType, c.type);
		put32(b, HVK_KVP_OFF_VALUE + kValueSize, c.size);
		std::memcpy(b.data() + HVK_KVP_OFF_VALUE + kValue, &c.v, c.size);
		auto p = parse(b);
		ASSERT_EQ(0, p.ret) << p.why;
		EXPECT_EQ(c.want, str(p.msg->body.kvp_set.value));
		EXPECT_EQ(std::strlen(c.want) + 1, p.msg->body.kvp_set.value_size);
		EXPECT_EQ(static_cast<u32>(HVK_REG_SZ), p.msg->body.kvp_set.value_type);
	}
}

TEST(KvpFromHost, NumbersMustHaveTheirTypesSize)
{
	const std::vector<std::pair<uint32_t, uint32_t>> cases = {
		{HVK_REG_U32, 8}, {HVK_REG_U32, 3}, {HVK_REG_U64, 4}, {HVK_REG_QWORD, 9}};
	for (auto [type, size] : cases) {
		Bytes b = kv(HVK_KVP_OP_SET, u16(u"n"));
		put32(b, HVK_KVP_OFF_VALUE + kType, type);
		put32(b, HVK_KVP_OFF_VALUE + kValueSize, size);
		EXPECT_EQ(-EBADMSG, parse(b).ret) << "type " << type << " size " << size;
	}
}

TEST(KvpFromHost, UnknownValueTypesAreRefused)
{
	for (uint32_t type : {0u, 2u, 3u, 7u, 12u, 0xffffffffu}) {
		Bytes b = set_sz(u16(u"k"), u16(u"v"));
		put32(b, HVK_KVP_OFF_VALUE + kType, type);
		auto p = parse(b);
		EXPECT_EQ(-EBADMSG, p.ret) << "type " << type;
	}
}

TEST(KvpFromHost, GetAsksForTheWholeValue)
{
	auto p = parse(kv(HVK_KVP_OP_GET, u16(u"key"), UINT32_MAX, 3));
	ASSERT_EQ(0, p.ret) << p.why;
	EXPECT_EQ(3, p.msg->kvp_hdr.pool);
	EXPECT_EQ("key", str(p.msg->body.kvp_get.key));
	EXPECT_EQ(4u, p.msg->body.kvp_get.key_size);
	EXPECT_EQ(static_cast<u32>(HVK_KVP_MAX_VALUE_SIZE), p.msg->body.kvp_get.value_size);
}

TEST(KvpFromHost, DeleteAndEnumerateUseTheirOwnLayouts)
{
	Bytes d = body(HVK_KVP_OP_DELETE, 1);
	put(d, HVK_KVP_OFF_DEL_KEY, u16(u"gone"));
	put32(d, HVK_KVP_OFF_DEL_SIZE, 10);
	auto p = parse(d);
	ASSERT_EQ(0, p.ret) << p.why;
	EXPECT_EQ("gone", str(p.msg->body.kvp_delete.key));
	EXPECT_EQ(5u, p.msg->body.kvp_delete.key_size);

	Bytes e = body(HVK_KVP_OP_ENUMERATE, 2);
	put32(e, HVK_KVP_OFF_INDEX, 0xdeadbeef);
	p = parse(e);
	ASSERT_EQ(0, p.ret) << p.why;
	EXPECT_EQ(0xdeadbeefu, p.msg->body.kvp_enum_data.index);
	EXPECT_EQ(2, p.msg->kvp_hdr.pool);
}

TEST(KvpFromHost, KeySizeIsCheckedAgainstTheKeyField)
{
	// 255 units and the NUL: exactly the 512-byte field.
	Bytes full = u16(repeat(u"k", 255));
	ASSERT_EQ(512u, full.size());
	auto p = parse(kv(HVK_KVP_OP_GET, full));
	ASSERT_EQ(0, p.ret) << p.why;
	EXPECT_EQ(256u, p.msg->body.kvp_get.key_size);

	// key_size one unit past the field, the key itself unchanged.
	p = parse(kv(HVK_KVP_OP_GET, full, 514));
	EXPECT_EQ(-EBADMSG, p.ret);
	EXPECT_STREQ("key_size runs past the key's 512 bytes", p.why);
	for (uint32_t huge : {0x80000000u, 0xfffffffeu}) {
		p = parse(kv(HVK_KVP_OP_GET, full, huge));
		EXPECT_EQ(-EBADMSG, p.ret) << "key_size " << huge;
	}

	for (uint32_t bad : {0u, 1u, 3u, 511u}) {
		p = parse(kv(HVK_KVP_OP_GET, u16(u"k"), bad));
		EXPECT_EQ(-EBADMSG, p.ret) << "key_size " << bad;
	}
}

TEST(KvpFromHost, KeysMustBeTerminatedWithinKeySize)
{
	// "abc" and its NUL, but key_size covers "ab" only.
	auto p = parse(kv(HVK_KVP_OP_SET, u16(u"abc"), 4));
	EXPECT_EQ(-EBADMSG, p.ret);
	EXPECT_STREQ("the key has no NUL terminator within key_size", p.why);
	// 256 units, none NUL: the whole field is unterminated.
	p = parse(kv(HVK_KVP_OP_GET, u16(repeat(u"k", 256), false)));
	EXPECT_EQ(-EBADMSG, p.ret);
	// An empty key (only the NUL) is a key.
	p = parse(kv(HVK_KVP_OP_GET, u16(u"")));
	EXPECT_EQ(0, p.ret) << p.why;
	EXPECT_EQ(1u, p.msg->body.kvp_get.key_size);
	// The NUL need not be last: what follows it is ignored.
	Bytes k = u16(u"ab");
	Bytes tail = u16(u"zz", false);
	k.insert(k.end(), tail.begin(), tail.end());
	p = parse(kv(HVK_KVP_OP_GET, k));
	ASSERT_EQ(0, p.ret) << p.why;
	EXPECT_EQ("ab", str(p.msg->body.kvp_get.key));
}

TEST(KvpFromHost, KeysMustBeUtf16AndFitInUtf8)
{
	auto p = parse(kv(HVK_KVP_OP_GET, u16(u"a\xd800" u"b")));
	EXPECT_EQ(-EBADMSG, p.ret);
	EXPECT_STREQ("the key is not UTF-16 (a lone surrogate)", p.why);
	p = parse(kv(HVK_KVP_OP_GET, u16(u"\xdc00")));
	EXPECT_EQ(-EBADMSG, p.ret);

	// 170 euro signs (3 bytes each) and one 'a': 511 bytes and the NUL.
	p = parse(kv(HVK_KVP_OP_GET, u16(repeat(u"\u20ac", 170) + u"a")));
	ASSERT_EQ(0, p.ret) << p.why;
	EXPECT_EQ(512u, p.msg->body.kvp_get.key_size);
	EXPECT_EQ(0, p.msg->body.kvp_get.key[511]);
	// One byte more does not fit.
	p = parse(kv(HVK_KVP_OP_GET, u16(repeat(u"\u20ac", 170) + u"aa")));
	EXPECT_EQ(-EBADMSG, p.ret);
	EXPECT_STREQ("the key does not fit 512 bytes in UTF-8", p.why);
	// A surrogate pair is one character of 4 bytes.
	p = parse(kv(HVK_KVP_OP_GET, u16(u"\U0001F600")));
	ASSERT_EQ(0, p.ret) << p.why;
	EXPECT_EQ("\xf0\x9f\x98\x80", str(p.msg->body.kvp_get.key));
}

TEST(KvpFromHost, ValueSizeIsCheckedAgainstTheValueField)
{
	Bytes full = u16(repeat(u"v", 1023));
	ASSERT_EQ(2048u, full.size());
	auto p = parse(set_sz(u16(u"k"), full));
	ASSERT_EQ(0, p.ret) << p.why;
	EXPECT_EQ(1024u, p.msg->body.kvp_set.value_size);

	p = parse(set_sz(u16(u"k"), full, 2050));
	EXPECT_EQ(-EBADMSG, p.ret);
	EXPECT_STREQ("value_size runs past the value's 2048 bytes", p.why);
	for (uint32_t bad : {0u, 1u, 2047u}) {
		p = parse(set_sz(u16(u"k"), u16(u"v"), bad));
		EXPECT_EQ(-EBADMSG, p.ret) << "value_size " << bad;
	}
	p = parse(set_sz(u16(u"k"), u16(u"vvv"), 4));
	EXPECT_EQ(-EBADMSG, p.ret);
	EXPECT_STREQ("the value has no NUL terminator within value_size", p.why);
	p = parse(set_sz(u16(u"k"), u16(repeat(u"v", 1024), false)));
	EXPECT_EQ(-EBADMSG, p.ret);

	// 682 euro signs and 'a': 2047 bytes and the NUL fit; one more does not.
	p = parse(set_sz(u16(u"k"), u16(repeat(u"\u20ac", 682) + u"a")));
	ASSERT_EQ(0, p.ret) << p.why;
	EXPECT_EQ(2048u, p.msg->body.kvp_set.value_size);
	p = parse(set_sz(u16(u"k"), u16(repeat(u"\u20ac", 682) + u"aa")));
	EXPECT_EQ(-EBADMSG, p.ret);
	EXPECT_STREQ("the value does not fit 2048 bytes in UTF-8", p.why);
	p = parse(set_sz(u16(u"k"), u16(u"\xdbff")));
	EXPECT_EQ(-EBADMSG, p.ret);
}

TEST(KvpFromHost, PoolsAndOperationsAreChecked)
{
	EXPECT_EQ(0, parse(kv(HVK_KVP_OP_GET, u16(u"k"), UINT32_MAX, 4)).ret);
	for (uint8_t pool : {5, 6, 128, 255}) {
		auto p = parse(kv(HVK_KVP_OP_GET, u16(u"k"), UINT32_MAX, pool));
		EXPECT_EQ(-EBADMSG, p.ret) << "pool " << int(pool);
		EXPECT_STREQ("no such pool (0 to 4 exist)", p.why);
	}
	for (uint8_t op : {6, 7, 100, 128, 255}) {
		auto p = parse(body(op, 0, HVK_KVP_HOST_IP_MSG_SIZE));
		EXPECT_EQ(-EBADMSG, p.ret) << "operation " << int(op);
		EXPECT_STREQ("unknown operation", p.why);
	}
	// The daemon's registration codes are not host operations.
	EXPECT_EQ(-EBADMSG, parse(body(HVK_KVP_OP_REGISTER1, 0, HVK_KVP_HOST_IP_MSG_SIZE)).ret);
}

// An IP info body with the adapter (and, for SET, its lists).
Bytes ip_body(uint8_t op, const Bytes &adapter)
{
	Bytes b = body(op, HVK_KVP_POOL_GUEST);
	put(b, 2 + offsetof(hvk_kvp_ipaddr_value, adapter_id), adapter);
	return b;
}

constexpr size_t kIp = 2;	// struct hvk_kvp_ipaddr_value in the host's message

TEST(KvpFromHost, IpInfoNeedsKvp4)
{
	Bytes b = ip_body(HVK_KVP_OP_GET_IP_INFO, u16(u"00:15:5D:00:00:01"));
	auto p = parse(b, kV3);
	EXPECT_EQ(-EBADMSG, p.ret);
	EXPECT_STREQ("IP information before KVP 4.0", p.why);
	EXPECT_EQ(-EBADMSG, parse(b, HVK_IC_KVP_1_0).ret);
	EXPECT_EQ(0, parse(b, kV4).ret);
}

TEST(KvpFromHost, GetIpInfoPassesTheAdapterAndFamily)
{
	Bytes b = ip_body(HVK_KVP_OP_GET_IP_INFO, u16(u"00:15:5D:00:00:01"));
	b[kIp + offsetof(hvk_kvp_ipaddr_value, addr_family)] = HVK_ADDR_FAMILY_IPV4;
	auto p = parse(b);
	ASSERT_EQ(0, p.ret) << p.why;
	EXPECT_EQ(HVK_KVP_OP_GET_IP_INFO, p.msg->kvp_hdr.operation);
	EXPECT_EQ("00:15:5D:00:00:01", str(reinterpret_cast<const u8 *>(p.msg->body.kvp_ip_val.adapter_id)));
	EXPECT_EQ(HVK_ADDR_FAMILY_IPV4, p.msg->body.kvp_ip_val.addr_family);

	// 128 units and none NUL: unterminated.
	p = parse(ip_body(HVK_KVP_OP_GET_IP_INFO, u16(repeat(u"A", 128), false)));
	EXPECT_EQ(-EBADMSG, p.ret);
	EXPECT_STREQ("the adapter id has no NUL terminator within its field", p.why);
	// 127 units of 'A' and the NUL: exactly the field; 128 bytes of UTF-8 room.
	p = parse(ip_body(HVK_KVP_OP_GET_IP_INFO, u16(repeat(u"A", 127))));
	EXPECT_EQ(0, p.ret) << p.why;
	// 63 two-byte characters and the NUL fit 128 bytes of UTF-8; 64 do not.
	EXPECT_EQ(0, parse(ip_body(HVK_KVP_OP_GET_IP_INFO, u16(repeat(u"\u00e9", 63)))).ret);
	p = parse(ip_body(HVK_KVP_OP_GET_IP_INFO, u16(repeat(u"\u00e9", 64))));
	EXPECT_EQ(-EBADMSG, p.ret);
	EXPECT_STREQ("the adapter id does not fit 128 bytes in UTF-8", p.why);
}

TEST(KvpFromHost, SetIpInfoChecksEveryList)
{
	const struct {
		size_t off, units;
		const char *name;
	} lists[] = {
		{offsetof(hvk_kvp_ipaddr_value, ip_addr), 1024, "address list"},
		{offsetof(hvk_kvp_ipaddr_value, sub_net), 1024, "subnet list"},
		{offsetof(hvk_kvp_ipaddr_value, gate_way), 512, "gateway list"},
		{offsetof(hvk_kvp_ipaddr_value, dns_addr), 1024, "DNS server list"},
	};
	Bytes ok = ip_body(HVK_KVP_OP_SET_IP_INFO, u16(u"guid"));
	ok[kIp + offsetof(hvk_kvp_ipaddr_value, addr_family)] = 3;
	ok[kIp + offsetof(hvk_kvp_ipaddr_value, dhcp_enabled)] = 1;
	put(ok, kIp + lists[0].off, u16(u"10.0.0.5;10.0.0.6"));
	put(ok, kIp + lists[1].off, u16(u"255.255.255.0;255.255.255.0"));
	put(ok, kIp + lists[2].off, u16(u"10.0.0.1"));
	put(ok, kIp + lists[3].off, u16(u"10.0.0.2"));
	auto p = parse(ok);
	ASSERT_EQ(0, p.ret) << p.why;
	const auto &ip = p.msg->body.kvp_ip_val;
	EXPECT_EQ("10.0.0.5;10.0.0.6", str(reinterpret_cast<const u8 *>(ip.ip_addr)));
	EXPECT_EQ("255.255.255.0;255.255.255.0", str(reinterpret_cast<const u8 *>(ip.sub_net)));
	EXPECT_EQ("10.0.0.1", str(reinterpret_cast<const u8 *>(ip.gate_way)));
	EXPECT_EQ("10.0.0.2", str(reinterpret_cast<const u8 *>(ip.dns_addr)));
	EXPECT_EQ(1, ip.dhcp_enabled);
	EXPECT_EQ(3, ip.addr_family);

	for (const auto &l : lists) {
		// The whole field and its NUL in ASCII: exactly the UTF-8 room.
		Bytes b = ok;
		put(b, kIp + l.off, u16(repeat(u"1", l.units - 1)));
		p = parse(b);
		EXPECT_EQ(0, p.ret) << l.name << ": " << (p.why ? p.why : "");
		// No NUL in the field.
		put(b, kIp + l.off, u16(repeat(u"1", l.units), false));
		p = parse(b);
		EXPECT_EQ(-EBADMSG, p.ret) << l.name;
		EXPECT_EQ(std::string("the ") + l.name + " has no NUL terminator within its field",
			  p.why ? p.why : "");
		// Two bytes of UTF-8 for each unit: half the field fits, one more does not.
		b = ok;
		put(b, kIp + l.off, u16(repeat(u"\u00e9", l.units / 2 - 1)));
		EXPECT_EQ(0, parse(b).ret) << l.name;
		put(b, kIp + l.off, u16(repeat(u"\u00e9", l.units / 2)));
		EXPECT_EQ(-EBADMSG, parse(b).ret) << l.name;
	}
	Bytes fam = ok;
	fam[kIp + offsetof(hvk_kvp_ipaddr_value, addr_family)] = 4;
	p = parse(fam);
	EXPECT_EQ(-EBADMSG, p.ret);
	EXPECT_STREQ("unknown address family", p.why);
}

// ---- Daemon to host ----

struct Answer {
	std::unique_ptr<hvk_kvp_msg> msg = std::make_unique<hvk_kvp_msg>();
	Answer() { std::memset(msg.get(), 0, sizeof(*msg)); }
};

uint32_t answer(const Answer &a, uint8_t op, Bytes &b, bool legacy = false, const char **why = nullptr)
{
	const char *w = nullptr;
	auto copy = std::make_unique<uint8_t[]>(b.size());
	std::memcpy(copy.get(), b.data(), b.size());
	uint32_t s = hvk_kvp_to_host(a.msg.get(), op, legacy, copy.get(), static_cast<u32>(b.size()), &w);
	std::memcpy(b.data(), copy.get(), b.size());
	if (why)
		*why = w;
	return s;
}

Bytes field(const Bytes &b, size_t off, size_t n)
{
	return Bytes(b.begin() + static_cast<long>(off), b.begin() + static_cast<long>(off + n));
}

TEST(KvpToHost, GetAnswersTheValueInUtf16)
{
	Answer a;
	std::strcpy(reinterpret_cast<char *>(a.msg->body.kvp_get.value), "v\xc3\xa9");
	Bytes b = kv(HVK_KVP_OP_GET, u16(u"key"));
	Bytes before = b;
	EXPECT_EQ(HVK_S_OK, answer(a, HVK_KVP_OP_GET, b));
	EXPECT_EQ(u16(u"v\u00e9"), field(b, HVK_KVP_OFF_VALUE + kValue, 6));
	EXPECT_EQ(6u, get32(b, HVK_KVP_OFF_VALUE + kValueSize));
	EXPECT_EQ(static_cast<u32>(HVK_REG_SZ), get32(b, HVK_KVP_OFF_VALUE + kType));
	// The key is left as the host sent it.
	EXPECT_EQ(field(before, HVK_KVP_OFF_VALUE + kKey, 512), field(b, HVK_KVP_OFF_VALUE + kKey, 512));
}

TEST(KvpToHost, EnumerateAnswersKeyAndValue)
{
	Answer a;
	std::strcpy(reinterpret_cast<char *>(a.msg->body.kvp_enum_data.data.key), "OSName");
	std::strcpy(reinterpret_cast<char *>(a.msg->body.kvp_enum_data.data.value), "Linux");
	Bytes b = body(HVK_KVP_OP_ENUMERATE, 2);
	EXPECT_EQ(HVK_S_OK, answer(a, HVK_KVP_OP_ENUMERATE, b));
	size_t v = HVK_KVP_OFF_ENUM_VALUE;
	EXPECT_EQ(u16(u"OSName"), field(b, v + kKey, 14));
	EXPECT_EQ(14u, get32(b, v + kKeySize));
	EXPECT_EQ(u16(u"Linux"), field(b, v + kValue, 12));
	EXPECT_EQ(12u, get32(b, v + kValueSize));
	EXPECT_EQ(static_cast<u32>(HVK_REG_SZ), get32(b, v + kType));
}

TEST(KvpToHost, TheDaemonsErrorIsTheStatusAndTheBodyStays)
{
	for (uint32_t err : {HVK_S_CONT, HVK_E_FAIL, HVK_GUID_NOTFOUND}) {
		Answer a;
		a.msg->error = static_cast<s32>(err);
		std::strcpy(reinterpret_cast<char *>(a.msg->body.kvp_get.value), "ignored");
		Bytes b = kv(HVK_KVP_OP_GET, u16(u"key"));
		Bytes before = b;
		EXPECT_EQ(err, answer(a, HVK_KVP_OP_GET, b));
		EXPECT_EQ(before, b);
	}
}

TEST(KvpToHost, ALegacyDaemonSaysNoneWithAnEmptyKey)
{
	Answer a;
	a.msg->error = static_cast<s32>(HVK_E_FAIL);	// not looked at
	Bytes b = body(HVK_KVP_OP_ENUMERATE, 0);
	EXPECT_EQ(HVK_S_CONT, answer(a, HVK_KVP_OP_ENUMERATE, b, true));
	std::strcpy(reinterpret_cast<char *>(a.msg->body.kvp_enum_data.data.key), "k");
	EXPECT_EQ(HVK_S_OK, answer(a, HVK_KVP_OP_ENUMERATE, b, true));
}

TEST(KvpToHost, SetDeleteAndSetIpInfoAnswerOnlyTheStatus)
{
	for (uint8_t op : {HVK_KVP_OP_SET, HVK_KVP_OP_DELETE, HVK_KVP_OP_SET_IP_INFO}) {
		Answer a;
		Bytes b = body(op, 0);
		Bytes before = b;
		EXPECT_EQ(HVK_S_OK, answer(a, op, b)) << hvk_kvp_op_name(op);
		EXPECT_EQ(before, b);
	}
}

TEST(KvpToHost, LongStringsAreCutAtAWholeCharacter)
{
	// 511 ASCII bytes of key: 255 units and the NUL fill the 512 bytes.
	Answer a;
	std::memset(a.msg->body.kvp_enum_data.data.key, 'k', 511);
	std::memset(a.msg->body.kvp_enum_data.data.value, 'v', 2047);
	Bytes b = body(HVK_KVP_OP_ENUMERATE, 1);
	EXPECT_EQ(HVK_S_OK, answer(a, HVK_KVP_OP_ENUMERATE, b));
	size_t v = HVK_KVP_OFF_ENUM_VALUE;
	EXPECT_EQ(512u, get32(b, v + kKeySize));
	EXPECT_EQ(u16(repeat(u"k", 255)), field(b, v + kKey, 512));
	EXPECT_EQ(2048u, get32(b, v + kValueSize));
	EXPECT_EQ(u16(repeat(u"v", 1023)), field(b, v + kValue, 2048));

	// 'a' then emoji (4 bytes of UTF-8, a surrogate pair each), filling
	// the daemon's whole field with no NUL and a partial one at its end:
	// the pair that would not fit is left out whole.
	Answer e;
	std::string s = "a";
	while (s.size() < HVK_KVP_MAX_VALUE_SIZE)
		s += "\xf0\x9f\x98\x80";
	std::memcpy(e.msg->body.kvp_get.value, s.data(), HVK_KVP_MAX_VALUE_SIZE);
	Bytes g = kv(HVK_KVP_OP_GET, u16(u"k"));
	EXPECT_EQ(HVK_S_OK, answer(e, HVK_KVP_OP_GET, g));
	EXPECT_EQ(2048u, get32(g, HVK_KVP_OFF_VALUE + kValueSize));
	EXPECT_EQ(u16(u"a" + repeat(u"\U0001F600", 511)), field(g, HVK_KVP_OFF_VALUE + kValue, 2048));

	// "ab" and 511 emoji is 1024 units: with the NUL one too many. The
	// last pair goes, never half of it.
	Answer h;
	s = "ab";
	while (s.size() < HVK_KVP_MAX_VALUE_SIZE)
		s += "\xf0\x9f\x98\x80";
	std::memcpy(h.msg->body.kvp_get.value, s.data(), HVK_KVP_MAX_VALUE_SIZE);
	g = kv(HVK_KVP_OP_GET, u16(u"k"));
	EXPECT_EQ(HVK_S_OK, answer(h, HVK_KVP_OP_GET, g));
	EXPECT_EQ(2046u, get32(g, HVK_KVP_OFF_VALUE + kValueSize));
	Bytes want = u16(u"ab" + repeat(u"\U0001F600", 510));
	want.resize(2048, 0);
	EXPECT_EQ(want, field(g, HVK_KVP_OFF_VALUE + kValue, 2048));

	// Three-byte characters are one unit each.
	Answer c;
	std::string t;
	for (int i = 0; i < 682; i++)
		t += "\xe2\x82\xac";
	std::memcpy(c.msg->body.kvp_get.value, t.data(), t.size());
	g = kv(HVK_KVP_OP_GET, u16(u"k"));
	EXPECT_EQ(HVK_S_OK, answer(c, HVK_KVP_OP_GET, g));
	EXPECT_EQ(682u * 2 + 2, get32(g, HVK_KVP_OFF_VALUE + kValueSize));
}

TEST(KvpToHost, ADaemonStringThatIsNotUtf8FailsTheRequest)
{
	Answer a;
	std::strcpy(reinterpret_cast<char *>(a.msg->body.kvp_get.value), "ok\xff");
	Bytes b = kv(HVK_KVP_OP_GET, u16(u"k"));
	const char *why = nullptr;
	EXPECT_EQ(HVK_E_FAIL, answer(a, HVK_KVP_OP_GET, b, false, &why));
	EXPECT_STREQ("the daemon's answer is not UTF-8", why);
	std::strcpy(reinterpret_cast<char *>(a.msg->body.kvp_get.value), "\xed\xa0\x80");	// a surrogate
	EXPECT_EQ(HVK_E_FAIL, answer(a, HVK_KVP_OP_GET, b));
}

TEST(KvpToHost, GetIpInfoAnswersEveryString)
{
	Answer a;
	auto &ip = a.msg->body.kvp_ip_val;
	std::strcpy(reinterpret_cast<char *>(ip.adapter_id), "00:15:5D:00:00:01");
	std::strcpy(reinterpret_cast<char *>(ip.ip_addr), "10.1.2.3;fe80::1");
	std::strcpy(reinterpret_cast<char *>(ip.sub_net), "255.255.255.0;/64");
	std::strcpy(reinterpret_cast<char *>(ip.gate_way), "10.1.2.1");
	std::strcpy(reinterpret_cast<char *>(ip.dns_addr), "10.1.2.53");
	ip.addr_family = 3;
	ip.dhcp_enabled = 1;
	Bytes b = ip_body(HVK_KVP_OP_GET_IP_INFO, u16(u"00:15:5D:00:00:01"));
	EXPECT_EQ(HVK_S_OK, answer(a, HVK_KVP_OP_GET_IP_INFO, b));
	auto at = [&](size_t off, std::u16string_view s) {
		Bytes want = u16(s);
		return field(b, kIp + off, want.size()) == want;
	};
	EXPECT_TRUE(at(offsetof(hvk_kvp_ipaddr_value, adapter_id), u"00:15:5D:00:00:01"));
	EXPECT_TRUE(at(offsetof(hvk_kvp_ipaddr_value, ip_addr), u"10.1.2.3;fe80::1"));
	EXPECT_TRUE(at(offsetof(hvk_kvp_ipaddr_value, sub_net), u"255.255.255.0;/64"));
	EXPECT_TRUE(at(offsetof(hvk_kvp_ipaddr_value, gate_way), u"10.1.2.1"));
	EXPECT_TRUE(at(offsetof(hvk_kvp_ipaddr_value, dns_addr), u"10.1.2.53"));
	EXPECT_EQ(3, b[kIp + offsetof(hvk_kvp_ipaddr_value, addr_family)]);
	EXPECT_EQ(1, b[kIp + offsetof(hvk_kvp_ipaddr_value, dhcp_enabled)]);
}

TEST(KvpToHost, UnterminatedDaemonFieldsAreReadOnlyWithinThem)
{
	// Every byte of every IP field set: the strings end with their fields.
	Answer a;
	std::memset(&a.msg->body.kvp_ip_val, '1', sizeof(a.msg->body.kvp_ip_val));
	Bytes b = ip_body(HVK_KVP_OP_GET_IP_INFO, u16(u"x"));
	EXPECT_EQ(HVK_S_OK, answer(a, HVK_KVP_OP_GET_IP_INFO, b));
	// The gateway list (512 units): 511 characters and the NUL.
	EXPECT_EQ(u16(repeat(u"1", 511)), field(b, kIp + offsetof(hvk_kvp_ipaddr_value, gate_way), 1024));
}

TEST(KvpToHost, AnAnswerToNoAcceptedRequestFails)
{
	Answer a;
	const char *why = nullptr;
	Bytes b = body(HVK_KVP_OP_GET, 0, 100);
	EXPECT_EQ(HVK_E_FAIL, answer(a, HVK_KVP_OP_GET, b, false, &why));
	EXPECT_NE(nullptr, why);
	Bytes c = body(HVK_KVP_OP_GET, 0);
	EXPECT_EQ(HVK_E_FAIL, answer(a, 9, c));
}

// ---- Registration ----

TEST(KvpHandshake, RegisterAndRegister1AreTheOnlyGreetings)
{
	auto m = std::make_unique<hvk_kvp_msg>();
	std::memset(m.get(), 0, sizeof(*m));
	m->kvp_hdr.operation = HVK_KVP_OP_REGISTER1;
	EXPECT_EQ(HVK_KVP_OP_REGISTER1, hvk_kvp_handshake(m.get(), sizeof(*m)));
	EXPECT_EQ(-EINVAL, hvk_kvp_handshake(m.get(), sizeof(*m) - 1));
	m->kvp_hdr.operation = HVK_KVP_OP_REGISTER;
	EXPECT_EQ(HVK_KVP_OP_REGISTER, hvk_kvp_handshake(m.get(), sizeof(*m)));
	for (uint8_t op : {0, 1, 3, 5, 99, 101, 255}) {
		m->kvp_hdr.operation = op;
		EXPECT_EQ(-EINVAL, hvk_kvp_handshake(m.get(), sizeof(*m))) << int(op);
	}
}

TEST(KvpHandshake, TheKernelAnswersWithItsVersionString)
{
	auto m = std::make_unique<hvk_kvp_msg>();
	std::memset(m.get(), 0xaa, sizeof(*m));
	hvk_kvp_register_reply(m.get(), HVK_KVP_OP_REGISTER1);
	EXPECT_EQ(HVK_KVP_OP_REGISTER1, m->kvp_hdr.operation);
	EXPECT_STREQ("3.1", reinterpret_cast<const char *>(m->body.kvp_register.version));
	EXPECT_EQ(0, m->body.kvp_register.version[HVK_KVP_MAX_KEY_SIZE - 1]);
}

} // namespace
