// SPDX-License-Identifier: GPL-2.0
/*
 * KVP messages: the host's checked and converted for the daemon, the
 * daemon's converted for the host. Pure code over include/hvkit/ic_kvp.h,
 * compiled into hvkit_utils and into the host-side tests and fuzzers.
 * The host and the daemon are both untrusted here: every size is checked
 * against its field and every string read only within its field.
 */
#include <hvkit/ic_kvp.h>

#ifdef __KERNEL__
#include <linux/export.h>
#include <linux/module.h>
#endif

static_assert(HVK_KVP_OFF_VALUE + sizeof(struct hvk_kvp_value) == 2576,
	      "GET and SET end at 2576");
static_assert(HVK_KVP_OFF_ENUM_VALUE + sizeof(struct hvk_kvp_value) == HVK_KVP_HOST_MSG_SIZE,
	      "ENUMERATE is the longest key-value message");
static_assert(sizeof(struct hvk_kvp_ip_msg) == HVK_KVP_HOST_IP_MSG_SIZE,
	      "IP info is struct hvk_kvp_ip_msg");

u32 hvk_kvp_min_len(u8 op)
{
	switch (op) {
	case HVK_KVP_OP_GET:
	case HVK_KVP_OP_SET:
		return HVK_KVP_OFF_VALUE + sizeof(struct hvk_kvp_value);
	case HVK_KVP_OP_DELETE:
		return HVK_KVP_OFF_DEL_KEY + HVK_KVP_MAX_KEY_SIZE;
	case HVK_KVP_OP_ENUMERATE:
		return HVK_KVP_OFF_ENUM_VALUE + sizeof(struct hvk_kvp_value);
	case HVK_KVP_OP_GET_IP_INFO:
	case HVK_KVP_OP_SET_IP_INFO:
		return sizeof(struct hvk_kvp_ip_msg);
	}
	return 0;
}

const char *hvk_kvp_op_name(u8 op)
{
	static const char *const names[] = {
		[HVK_KVP_OP_GET] = "GET",
		[HVK_KVP_OP_SET] = "SET",
		[HVK_KVP_OP_DELETE] = "DELETE",
		[HVK_KVP_OP_ENUMERATE] = "ENUMERATE",
		[HVK_KVP_OP_GET_IP_INFO] = "GET_IP_INFO",
		[HVK_KVP_OP_SET_IP_INFO] = "SET_IP_INFO",
	};

	return op < HVK_KVP_OP_COUNT ? names[op] : "unknown";
}

/* ---- Host to daemon: UTF-16LE strings checked, then converted ---- */

enum { KVP_ODD, KVP_PAST, KVP_NONUL, KVP_UTF16, KVP_LONG, KVP_NWHY };

/* A string field of the host's message and why each check refuses it. */
struct kvp_field {
	u32 bytes;		/* UTF-16 bytes the field holds */
	u32 room;		/* UTF-8 bytes the daemon's field takes, with the NUL */
	const char *why[KVP_NWHY];
};

static const struct kvp_field kvp_key = {
	HVK_KVP_MAX_KEY_SIZE, HVK_KVP_MAX_KEY_SIZE, {
	"key_size is odd or zero: not a UTF-16 string with its terminator",
	"key_size runs past the key's 512 bytes",
	"the key has no NUL terminator within key_size",
	"the key is not UTF-16 (a lone surrogate)",
	"the key does not fit 512 bytes in UTF-8",
} };

static const struct kvp_field kvp_value = {
	HVK_KVP_MAX_VALUE_SIZE, HVK_KVP_MAX_VALUE_SIZE, {
	"value_size of a REG_SZ is odd or zero: not a UTF-16 string with its terminator",
	"value_size runs past the value's 2048 bytes",
	"the value has no NUL terminator within value_size",
	"the value is not UTF-16 (a lone surrogate)",
	"the value does not fit 2048 bytes in UTF-8",
} };

/*
 * The IP strings: their size is the field's. The daemon's buffers are as
 * big as the wire's, but upstream converts into at most MAX_ADAPTER_ID_SIZE,
 * MAX_IP_ADDR_SIZE and MAX_GATEWAY_SIZE bytes, which the daemon's own
 * limits follow: so does hvkit.
 */
#define KVP_IP_FIELD(what, units)						\
	{ (units) * 2, (units), {						\
	  NULL, NULL, "the " what " has no NUL terminator within its field",	\
	  "the " what " is not UTF-16 (a lone surrogate)",			\
	  "the " what " does not fit " #units " bytes in UTF-8" } }

static const struct kvp_field kvp_adapter = KVP_IP_FIELD("adapter id", 128);
static const struct kvp_field kvp_ip_addr = KVP_IP_FIELD("address list", 1024);
static const struct kvp_field kvp_subnet = KVP_IP_FIELD("subnet list", 1024);
static const struct kvp_field kvp_gateway = KVP_IP_FIELD("gateway list", 512);
static const struct kvp_field kvp_dns = KVP_IP_FIELD("DNS server list", 1024);

/* Does @in hold a NUL unit in its first @size bytes (@size even)? */
static bool kvp_utf16_terminated(const u8 *in, u32 size)
{
	u32 i;

	for (i = 0; i + 1 < size; i += 2)
		if (!in[i] && !in[i + 1])
			return true;
	return false;
}

/*
 * The host's string of @size bytes at @in, in field @f, into @out (the
 * daemon's field, at least f->room bytes). Returns the UTF-8 bytes with
 * the NUL, or -EBADMSG and *why.
 */
static int kvp_from_utf16(const struct kvp_field *f, const u8 *in, u32 size, u8 *out,
			  const char **why)
{
	int ret;

	if (size % 2 || !size) {
		*why = f->why[KVP_ODD];
		return -EBADMSG;
	}
	if (size > f->bytes) {
		*why = f->why[KVP_PAST];
		return -EBADMSG;
	}
	if (!kvp_utf16_terminated(in, size)) {
		*why = f->why[KVP_NONUL];
		return -EBADMSG;
	}
	ret = hvk_utf16_to_utf8(in, size, (char *)out, f->room);
	if (ret < 0) {
		*why = f->why[ret == -EILSEQ ? KVP_UTF16 : KVP_LONG];
		return -EBADMSG;
	}
	return ret + 1;
}

/* @v in decimal at @out (room for 21 bytes); returns the bytes with the NUL. */
static u32 kvp_decimal(u64 v, u8 *out)
{
	u8 tmp[20];
	u32 n = 0, i;

	do {
		tmp[n++] = '0' + v % 10;
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	out[n] = '\0';
	return n + 1;
}

static u32 kvp_get_u32(const void *p)
{
	u32 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static int kvp_set_value(const struct hvk_kvp_value *in, struct hvk_kvp_value *out,
			 const char **why)
{
	u32 type = in->value_type, size = in->value_size;
	u64 v64;
	int ret;

	switch (type) {
	case HVK_REG_SZ:
		ret = kvp_from_utf16(&kvp_value, in->value, size, out->value, why);
		if (ret < 0)
			return ret;
		out->value_size = ret;
		break;
	case HVK_REG_U32:
		if (size != sizeof(u32)) {
			*why = "value_size of a REG_U32 is not 4";
			return -EBADMSG;
		}
		out->value_size = kvp_decimal(kvp_get_u32(in->value), out->value);
		break;
	case HVK_REG_U64:
	case HVK_REG_QWORD:
		if (size != sizeof(u64)) {
			*why = "value_size of a 64-bit value is not 8";
			return -EBADMSG;
		}
		memcpy(&v64, in->value, sizeof(v64));
		out->value_size = kvp_decimal(v64, out->value);
		break;
	default:
		*why = "unknown value type (REG_SZ, REG_U32, REG_U64 and REG_QWORD are known)";
		return -EBADMSG;
	}
	/* The daemon gets every value as a string. */
	out->value_type = HVK_REG_SZ;
	return 0;
}

static int kvp_ip_from_host(const struct hvk_kvp_ipaddr_value *in, u8 op,
			    struct hvk_kvp_ipaddr_value *out, const char **why)
{
	int ret;

	ret = kvp_from_utf16(&kvp_adapter, (const u8 *)in->adapter_id, sizeof(in->adapter_id),
			     (u8 *)out->adapter_id, why);
	if (ret < 0)
		return ret;
	out->addr_family = in->addr_family;
	if (op == HVK_KVP_OP_GET_IP_INFO)
		return 0;
	if (in->addr_family > (HVK_ADDR_FAMILY_IPV4 | HVK_ADDR_FAMILY_IPV6)) {
		*why = "unknown address family";
		return -EBADMSG;
	}
	out->dhcp_enabled = in->dhcp_enabled;
	ret = kvp_from_utf16(&kvp_ip_addr, (const u8 *)in->ip_addr, sizeof(in->ip_addr),
			     (u8 *)out->ip_addr, why);
	if (ret >= 0)
		ret = kvp_from_utf16(&kvp_subnet, (const u8 *)in->sub_net, sizeof(in->sub_net),
				     (u8 *)out->sub_net, why);
	if (ret >= 0)
		ret = kvp_from_utf16(&kvp_gateway, (const u8 *)in->gate_way, sizeof(in->gate_way),
				     (u8 *)out->gate_way, why);
	if (ret >= 0)
		ret = kvp_from_utf16(&kvp_dns, (const u8 *)in->dns_addr, sizeof(in->dns_addr),
				     (u8 *)out->dns_addr, why);
	return ret < 0 ? ret : 0;
}

int hvk_kvp_from_host(const u8 *body, u32 len, u32 srv_ver, struct hvk_kvp_msg *out,
		      const char **why)
{
	const struct hvk_kvp_value *in;
	struct hvk_kvp_hdr hdr;
	int ret;

	memset(out, 0, sizeof(*out));
	if (len < sizeof(hdr)) {
		*why = "shorter than the KVP header";
		return -EBADMSG;
	}
	memcpy(&hdr, body, sizeof(hdr));
	if (hdr.operation >= HVK_KVP_OP_COUNT) {
		*why = "unknown operation";
		return -EBADMSG;
	}
	if (hdr.pool >= HVK_KVP_POOL_COUNT) {
		*why = "no such pool (0 to 4 exist)";
		return -EBADMSG;
	}
	if (len < hvk_kvp_min_len(hdr.operation)) {
		*why = "icmsgsize is shorter than the operation's message";
		return -EBADMSG;
	}
	out->kvp_hdr.operation = hdr.operation;
	out->kvp_hdr.pool = hdr.pool;

	switch (hdr.operation) {
	case HVK_KVP_OP_GET:
	case HVK_KVP_OP_SET:
		in = (const struct hvk_kvp_value *)(body + HVK_KVP_OFF_VALUE);
		ret = kvp_from_utf16(&kvp_key, in->key, in->key_size, out->body.kvp_get.key, why);
		if (ret < 0)
			return ret;
		out->body.kvp_get.key_size = ret;
		if (hdr.operation == HVK_KVP_OP_SET)
			return kvp_set_value(in, &out->body.kvp_set, why);
		/*
		 * Room for the answer. Upstream leaves it 0, and its daemon
		 * then copies none of the value: its GET answers an empty one.
		 */
		out->body.kvp_get.value_size = HVK_KVP_MAX_VALUE_SIZE;
		return 0;
	case HVK_KVP_OP_DELETE:
		ret = kvp_from_utf16(&kvp_key, body + HVK_KVP_OFF_DEL_KEY,
				     kvp_get_u32(body + HVK_KVP_OFF_DEL_SIZE),
				     out->body.kvp_delete.key, why);
		if (ret < 0)
			return ret;
		out->body.kvp_delete.key_size = ret;
		return 0;
	case HVK_KVP_OP_ENUMERATE:
		out->body.kvp_enum_data.index = kvp_get_u32(body + HVK_KVP_OFF_INDEX);
		return 0;
	default:	/* GET_IP_INFO, SET_IP_INFO */
		if (srv_ver < HVK_IC_KVP_4_0) {
			*why = "IP information before KVP 4.0";
			return -EBADMSG;
		}
		return kvp_ip_from_host(&((const struct hvk_kvp_ip_msg *)body)->kvp_ip_val,
					hdr.operation, &out->body.kvp_ip_val, why);
	}
}

/* ---- Daemon to host: UTF-8 strings, cut to fit ---- */

static bool kvp_utf8_cont(u8 c)
{
	return (c & 0xc0) == 0x80;
}

/*
 * An unterminated field (@n bytes) may end in part of a character: its
 * length without that part.
 */
static u32 kvp_utf8_whole(const u8 *in, u32 n)
{
	u32 p = n, need;
	u8 lead;

	while (p > 0 && n - p < 3 && kvp_utf8_cont(in[p - 1]))
		p--;
	if (!p || kvp_utf8_cont(in[p - 1]) || in[p - 1] < 0xc0)
		return n;	/* whole, or not UTF-8: the conversion decides */
	lead = in[p - 1];
	need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
	return n - (p - 1) < need ? p - 1 : n;
}

/*
 * The daemon's string at @in (at most @in_room bytes, terminated or not)
 * as NUL-terminated UTF-16LE at @out (@room bytes, zeroed around it), cut
 * at the last whole character that fits. Returns the bytes written with
 * the NUL, or -EILSEQ.
 */
static int kvp_to_utf16(const u8 *in, u32 in_room, u8 *out, u32 room)
{
	const u8 *nul = memchr(in, 0, in_room);
	u32 n = nul ? (u32)(nul - in) : kvp_utf8_whole(in, in_room), lo = 0, hi = n, mid, m;
	int ret;

	memset(out, 0, room);
	ret = hvk_utf8_to_utf16((const char *)in, n, out, room);
	if (ret != -ENOSPC)
		return ret;
	/*
	 * Too long. A prefix of @lo bytes fits, one of @hi does not; look
	 * for the longest that ends on a character boundary and fits (a
	 * character never takes more UTF-16 units than UTF-8 bytes).
	 */
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		for (m = mid; m > lo && kvp_utf8_cont(in[m]); m--)
			;
		if (m == lo) {
			for (m = mid + 1; m < hi && kvp_utf8_cont(in[m]); m++)
				;
			if (m == hi)
				break;
		}
		ret = hvk_utf8_to_utf16((const char *)in, m, out, room);
		if (ret == -EILSEQ)
			return ret;
		if (ret < 0)
			hi = m;
		else
			lo = m;
	}
	memset(out, 0, room);
	return hvk_utf8_to_utf16((const char *)in, lo, out, room);
}

static bool kvp_ip_to_host(const struct hvk_kvp_ipaddr_value *in, struct hvk_kvp_ipaddr_value *out)
{
	out->addr_family = in->addr_family;
	out->dhcp_enabled = in->dhcp_enabled;
	return kvp_to_utf16((const u8 *)in->adapter_id, sizeof(in->adapter_id),
			    (u8 *)out->adapter_id, sizeof(out->adapter_id)) >= 0 &&
	       kvp_to_utf16((const u8 *)in->ip_addr, sizeof(in->ip_addr),
			    (u8 *)out->ip_addr, sizeof(out->ip_addr)) >= 0 &&
	       kvp_to_utf16((const u8 *)in->sub_net, sizeof(in->sub_net),
			    (u8 *)out->sub_net, sizeof(out->sub_net)) >= 0 &&
	       kvp_to_utf16((const u8 *)in->gate_way, sizeof(in->gate_way),
			    (u8 *)out->gate_way, sizeof(out->gate_way)) >= 0 &&
	       kvp_to_utf16((const u8 *)in->dns_addr, sizeof(in->dns_addr),
			    (u8 *)out->dns_addr, sizeof(out->dns_addr)) >= 0;
}

/* A daemon's key or value into the host's @dst; its size in *size. */
static bool kvp_put(const u8 *in, u32 in_room, u8 *out, u32 room, u32 *size)
{
	int ret = kvp_to_utf16(in, in_room, out, room);

	*size = ret < 0 ? 0 : (u32)ret;
	return ret >= 0;
}

u32 hvk_kvp_to_host(const struct hvk_kvp_msg *ans, u8 op, bool legacy, u8 *body, u32 len,
		    const char **why)
{
	const struct hvk_kvp_value *src;
	struct hvk_kvp_value *dst;
	u32 status, ksize = 0, vsize = 0;
	bool ok;

	*why = NULL;
	if (!hvk_kvp_min_len(op) || len < hvk_kvp_min_len(op)) {
		*why = "the request it answers was never accepted";
		return HVK_E_FAIL;
	}
	if (legacy)	/* an empty key was how the old daemons said "none" */
		status = ans->body.kvp_enum_data.data.key[0] ? HVK_S_OK : HVK_S_CONT;
	else
		status = (u32)ans->error;
	if (status != HVK_S_OK)
		return status;

	switch (op) {
	case HVK_KVP_OP_GET:
		/* The daemon writes GET's value where SET's is. */
		src = &ans->body.kvp_get;
		dst = (struct hvk_kvp_value *)(body + HVK_KVP_OFF_VALUE);
		ok = kvp_put(src->value, sizeof(src->value), dst->value, sizeof(dst->value),
			     &vsize);
		dst->value_size = vsize;
		dst->value_type = HVK_REG_SZ;
		break;
	case HVK_KVP_OP_ENUMERATE:
		src = &ans->body.kvp_enum_data.data;
		dst = (struct hvk_kvp_value *)(body + HVK_KVP_OFF_ENUM_VALUE);
		ok = kvp_put(src->key, sizeof(src->key), dst->key, sizeof(dst->key), &ksize) &&
		     kvp_put(src->value, sizeof(src->value), dst->value, sizeof(dst->value),
			     &vsize);
		dst->key_size = ksize;
		dst->value_size = vsize;
		dst->value_type = HVK_REG_SZ;
		break;
	case HVK_KVP_OP_GET_IP_INFO:
		ok = kvp_ip_to_host(&ans->body.kvp_ip_val,
				    &((struct hvk_kvp_ip_msg *)body)->kvp_ip_val);
		break;
	default:	/* SET, DELETE, SET_IP_INFO: the status says it all */
		return HVK_S_OK;
	}
	if (!ok) {
		*why = "the daemon's answer is not UTF-8";
		return HVK_E_FAIL;
	}
	return HVK_S_OK;
}

int hvk_kvp_handshake(const void *msg, u32 len)
{
	const struct hvk_kvp_msg *m = msg;

	if (len < sizeof(*m))
		return -EINVAL;
	switch (m->kvp_hdr.operation) {
	case HVK_KVP_OP_REGISTER:
	case HVK_KVP_OP_REGISTER1:
		return m->kvp_hdr.operation;
	}
	return -EINVAL;
}

void hvk_kvp_register_reply(struct hvk_kvp_msg *m, u8 reg_op)
{
	memset(m, 0, sizeof(*m));
	m->kvp_hdr.operation = reg_op;
	memcpy(m->body.kvp_register.version, HVK_KVP_DRV_VERSION, sizeof(HVK_KVP_DRV_VERSION));
}
