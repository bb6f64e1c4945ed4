// SPDX-License-Identifier: GPL-2.0
// KVP requests as a hostile host may write them, and answers as a broken
// daemon may write them (drivers/util/kvp_wire.c). The host's body is
// sized exactly, so ASan sees any read past it. What the guest accepts
// must be a daemon message whose strings end within their fields, with
// sizes that say so; what it answers must hold UTF-16 strings that end
// within theirs.
//
// Input: one byte choosing the KVP version (and a legacy daemon), then
// the host's body; the same bytes, zero-padded, are the daemon's answer.
extern "C" {
#include <hvkit/ic_kvp.h>
}
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

namespace {

void check_str(const void *field, size_t room, uint32_t size)
{
	const auto *p = static_cast<const uint8_t *>(field);
	const void *nul = std::memchr(p, 0, room);
	if (!nul)
		abort();
	if (size != static_cast<size_t>(static_cast<const uint8_t *>(nul) - p) + 1)
		abort();
}

void check_ip_str(const void *field, size_t room)
{
	if (!std::memchr(field, 0, room))
		abort();
}

// A UTF-16 field of the answer: a NUL unit within @bytes, at @size - 2 if given.
void check_utf16(const uint8_t *p, size_t bytes, uint32_t size)
{
	if (size < 2 || size > bytes || size % 2 || p[size - 2] || p[size - 1])
		abort();
}

void check_utf16_nul(const uint8_t *p, size_t bytes)
{
	for (size_t i = 0; i + 1 < bytes; i += 2)
		if (!p[i] && !p[i + 1])
			return;
	abort();
}

void check_accepted(const hvk_kvp_msg &m, u32 len)
{
	uint8_t op = m.kvp_hdr.operation;
	if (op >= HVK_KVP_OP_COUNT || m.kvp_hdr.pool >= HVK_KVP_POOL_COUNT || len < hvk_kvp_min_len(op))
		abort();
	switch (op) {
	case HVK_KVP_OP_GET:
		check_str(m.body.kvp_get.key, HVK_KVP_MAX_KEY_SIZE, m.body.kvp_get.key_size);
		if (m.body.kvp_get.value_size != HVK_KVP_MAX_VALUE_SIZE)
			abort();
		break;
	case HVK_KVP_OP_SET:
		check_str(m.body.kvp_set.key, HVK_KVP_MAX_KEY_SIZE, m.body.kvp_set.key_size);
		check_str(m.body.kvp_set.value, HVK_KVP_MAX_VALUE_SIZE, m.body.kvp_set.value_size);
		break;
	case HVK_KVP_OP_DELETE:
		check_str(m.body.kvp_delete.key, HVK_KVP_MAX_KEY_SIZE, m.body.kvp_delete.key_size);
		break;
	case HVK_KVP_OP_GET_IP_INFO:
	case HVK_KVP_OP_SET_IP_INFO: {
		const auto &ip = m.body.kvp_ip_val;
		// upstream's limits, which the daemon's buffers follow
		check_ip_str(ip.adapter_id, HVK_MAX_ADAPTER_ID_SIZE);
		check_ip_str(ip.ip_addr, HVK_MAX_IP_ADDR_SIZE);
		check_ip_str(ip.sub_net, HVK_MAX_IP_ADDR_SIZE);
		check_ip_str(ip.gate_way, HVK_MAX_GATEWAY_SIZE);
		check_ip_str(ip.dns_addr, HVK_MAX_IP_ADDR_SIZE);
		break;
	}
	}
}

void check_answer(uint8_t op, const uint8_t *b)
{
	const uint8_t *v;
	hvk_kvp_value val;

	switch (op) {
	case HVK_KVP_OP_GET:
		v = b + HVK_KVP_OFF_VALUE;
		std::memcpy(&val, v, sizeof(val));
		check_utf16(v + offsetof(hvk_kvp_value, value), HVK_KVP_MAX_VALUE_SIZE, val.value_size);
		break;
	case HVK_KVP_OP_ENUMERATE:
		v = b + HVK_KVP_OFF_ENUM_VALUE;
		std::memcpy(&val, v, sizeof(val));
		check_utf16(v + offsetof(hvk_kvp_value, key), HVK_KVP_MAX_KEY_SIZE, val.key_size);
		check_utf16(v + offsetof(hvk_kvp_value, value), HVK_KVP_MAX_VALUE_SIZE, val.value_size);
		break;
	case HVK_KVP_OP_GET_IP_INFO: {
		const uint8_t *ip = b + offsetof(hvk_kvp_ip_msg, kvp_ip_val);
		check_utf16_nul(ip + offsetof(hvk_kvp_ipaddr_value, adapter_id), 256);
		check_utf16_nul(ip + offsetof(hvk_kvp_ipaddr_value, ip_addr), 2048);
		check_utf16_nul(ip + offsetof(hvk_kvp_ipaddr_value, sub_net), 2048);
		check_utf16_nul(ip + offsetof(hvk_kvp_ipaddr_value, gate_way), 1024);
		check_utf16_nul(ip + offsetof(hvk_kvp_ipaddr_value, dns_addr), 2048);
		break;
	}
	}
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *in, size_t n)
{
	static const u32 versions[] = {HVK_IC_KVP_4_0, HVK_IC_KVP_3_0, HVK_IC_KVP_1_0};
	if (n < 1 || n > 16 * 1024)
		return 0;
	u32 ver = versions[in[0] % 3];
	bool legacy = in[0] & 0x80;
	size_t len = n - 1;
	// Exactly the body's bytes: a read past them is an overrun.
	auto body = std::make_unique<uint8_t[]>(len ? len : 1);
	std::memcpy(body.get(), in + 1, len);
	auto msg = std::make_unique<hvk_kvp_msg>();
	const char *why = nullptr;
	int ret = hvk_kvp_from_host(body.get(), static_cast<u32>(len), ver, msg.get(), &why);
	if (ret) {
		if (ret != -EBADMSG || !why)
			abort();
		return 0;
	}
	check_accepted(*msg, static_cast<u32>(len));

	// The same bytes as a daemon's answer (unterminated strings and all).
	uint8_t op = msg->kvp_hdr.operation;
	auto ans = std::make_unique<hvk_kvp_msg>();
	std::memset(ans.get(), 0, sizeof(*ans));
	std::memcpy(ans.get(), in + 1, std::min(len, sizeof(*ans)));
	if (!(in[0] & 0x40))
		ans->error = 0;		// mostly, a successful answer
	u32 status = hvk_kvp_to_host(ans.get(), op, legacy, body.get(), static_cast<u32>(len), &why);
	if (status == HVK_S_OK)
		check_answer(op, body.get());
	return 0;
}
