// SPDX-License-Identifier: GPL-2.0
/*
 * The KVP IC's host side, as Hyper-V runs it: HVSIM_CMD_KVP sends one
 * request and replies with the guest's status and answer.
 *
 * What the host sends (openvmm's KVP host, vm/devices/hyperv_ic: the
 * messages Hyper-V builds; upstream hv_kvp.c is the other party):
 *   - GET, SET, DELETE, ENUMERATE: a body of 2580 bytes, the operation
 *     and pool first; keys and REG_SZ values NUL-terminated UTF-16LE,
 *     key_size and value_size in bytes with the terminator; a REG_U32
 *     value is 4 bytes (value_size 4), a 64-bit one 8 (REG_QWORD, 11, as
 *     Windows names it; a test may send upstream's REG_U64, 8, or any
 *     other type, whose value goes as the bytes given);
 *   - GET_IP_INFO, SET_IP_INFO: struct hvk_kvp_ip_msg (7428 bytes), the
 *     strings UTF-16LE in their fixed fields; pool GUEST unless told.
 * The operation and pool go as given (0 to 255), so that a test can send
 * what Hyper-V never would; raw malformed bodies go through IC_RAW.
 *
 * What the host reads back: the status, and with S_OK, GET's value,
 * ENUMERATE's key and value, and GET_IP_INFO's strings, each checked as
 * Hyper-V checks them: a size that is even, within its field and ends in
 * the NUL unit (the IP strings: a NUL within the field), valid UTF-16.
 * A guest answer that fails this is -EBADMSG with an extended ACK.
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <net/genetlink.h>
#include <hvkit/ic_kvp.h>
#include "sim.h"

static const u32 sim_kvp_fw[] = { HVK_IC_FW_3_0, HVK_IC_FW_1_0 };
/* Hyper-V's list; 5.0 (binary IP info) is offered, but no Linux guest picks it. */
static const u32 sim_kvp_srv[] = { HVK_IC_VER(5, 0), HVK_IC_KVP_4_0, HVK_IC_KVP_3_0 };

/* UTF-8 room for a UTF-16 field of n bytes: 3 bytes per unit, and the NUL. */
#define SIM_KVP_UTF8_ROOM(n)	((n) / 2 * 3 + 1)
#define SIM_KVP_SCRATCH		SIM_KVP_UTF8_ROOM(HVK_KVP_MAX_VALUE_SIZE)

static bool sim_kvp_is_ip(u32 op)
{
	return op == HVK_KVP_OP_GET_IP_INFO || op == HVK_KVP_OP_SET_IP_INFO;
}

/* An extended ACK chosen at run time: @msg is a string literal. */
static void sim_kvp_err(struct genl_info *info, const struct nlattr *a, const char *msg)
{
	if (info->extack) {
		info->extack->_msg = msg;
		info->extack->bad_attr = a;
	}
}

/*
 * A UTF-8 attribute as UTF-16LE into @out (@room bytes). Returns the
 * bytes with the NUL, or an error with the extended ACK set.
 */
static int sim_kvp_utf16(struct genl_info *info, int attr, u8 *out, u32 room,
			 const char *too_long)
{
	const struct nlattr *a = info->attrs[attr];
	int ret;

	ret = hvk_utf8_to_utf16(a ? nla_data(a) : "", a ? nla_len(a) : 0, out, room);
	if (ret == -EILSEQ) {
		NL_SET_ERR_MSG_ATTR(info->extack, a, "not UTF-8");
		return -EINVAL;
	}
	if (ret < 0) {
		sim_kvp_err(info, a, too_long);
		return -EINVAL;
	}
	return ret;
}

static int sim_kvp_value(struct genl_info *info, struct hvk_kvp_value *v)
{
	const struct nlattr *a = info->attrs[HVSIM_A_KVP_VALUE];
	u32 type = HVK_REG_SZ;
	int ret;

	if (info->attrs[HVSIM_A_KVP_VALUE_TYPE])
		type = nla_get_u32(info->attrs[HVSIM_A_KVP_VALUE_TYPE]);
	v->value_type = type;
	switch (type) {
	case HVK_REG_SZ:
		ret = sim_kvp_utf16(info, HVSIM_A_KVP_VALUE, v->value, sizeof(v->value),
				    "the value does not fit 2048 bytes in UTF-16");
		if (ret < 0)
			return ret;
		v->value_size = ret;
		return 0;
	case HVK_REG_U32:
	case HVK_REG_U64:
	case HVK_REG_QWORD:
		if (!a || nla_len(a) != (type == HVK_REG_U32 ? 4 : 8)) {
			NL_SET_ERR_MSG_ATTR(info->extack, a,
					    "a REG_U32 value is 4 bytes, a 64-bit value 8");
			return -EINVAL;
		}
		break;
	default:	/* any other type: the bytes as given */
		if (a && nla_len(a) > HVK_KVP_MAX_VALUE_SIZE) {
			NL_SET_ERR_MSG_ATTR(info->extack, a, "a value is at most 2048 bytes");
			return -EINVAL;
		}
		break;
	}
	if (a) {
		memcpy(v->value, nla_data(a), nla_len(a));
		v->value_size = nla_len(a);
	}
	return 0;
}

static int sim_kvp_ip_build(struct genl_info *info, u32 op, struct hvk_kvp_ipaddr_value *ip)
{
	static const struct {
		int attr;
		u32 off, room;
	} strs[] = {
		{ HVSIM_A_KVP_IP_ADDR, offsetof(struct hvk_kvp_ipaddr_value, ip_addr),
		  sizeof(ip->ip_addr) },
		{ HVSIM_A_KVP_IP_SUBNET, offsetof(struct hvk_kvp_ipaddr_value, sub_net),
		  sizeof(ip->sub_net) },
		{ HVSIM_A_KVP_IP_GATEWAY, offsetof(struct hvk_kvp_ipaddr_value, gate_way),
		  sizeof(ip->gate_way) },
		{ HVSIM_A_KVP_IP_DNS, offsetof(struct hvk_kvp_ipaddr_value, dns_addr),
		  sizeof(ip->dns_addr) },
	};
	unsigned int i;
	int ret;

	if (!info->attrs[HVSIM_A_KVP_IP_ADAPTER]) {
		NL_SET_ERR_MSG(info->extack, "IP info names its adapter (KVP_IP_ADAPTER)");
		return -EINVAL;
	}
	/* The policy made it a NUL-terminated string of at most 255 bytes. */
	ret = sim_kvp_utf16(info, HVSIM_A_KVP_IP_ADAPTER, (u8 *)ip->adapter_id,
			    sizeof(ip->adapter_id), "the adapter id does not fit 256 bytes in UTF-16");
	if (ret < 0)
		return ret;
	if (info->attrs[HVSIM_A_KVP_IP_FAMILY])
		ip->addr_family = nla_get_u32(info->attrs[HVSIM_A_KVP_IP_FAMILY]);
	if (op != HVK_KVP_OP_SET_IP_INFO)
		return 0;
	if (info->attrs[HVSIM_A_KVP_IP_DHCP])
		ip->dhcp_enabled = nla_get_u32(info->attrs[HVSIM_A_KVP_IP_DHCP]);
	for (i = 0; i < ARRAY_SIZE(strs); i++) {
		ret = sim_kvp_utf16(info, strs[i].attr, (u8 *)ip + strs[i].off, strs[i].room,
				    "the list does not fit its field in UTF-16");
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* The request's body into @body (zeroed, HVK_KVP_HOST_IP_MSG_SIZE bytes); returns its length. */
static int sim_kvp_build(struct genl_info *info, u32 op, u32 pool, u8 *body)
{
	struct hvk_kvp_value *v = (struct hvk_kvp_value *)(body + HVK_KVP_OFF_VALUE);
	u32 index, key_size;
	int ret;

	body[0] = op;
	body[1] = pool;
	if (sim_kvp_is_ip(op)) {
		struct hvk_kvp_ip_msg *m = (struct hvk_kvp_ip_msg *)body;

		ret = sim_kvp_ip_build(info, op, &m->kvp_ip_val);
		return ret < 0 ? ret : HVK_KVP_HOST_IP_MSG_SIZE;
	}
	if (op == HVK_KVP_OP_ENUMERATE) {
		if (!info->attrs[HVSIM_A_KVP_INDEX]) {
			NL_SET_ERR_MSG(info->extack, "ENUMERATE names an index (KVP_INDEX)");
			return -EINVAL;
		}
		index = nla_get_u32(info->attrs[HVSIM_A_KVP_INDEX]);
		memcpy(body + HVK_KVP_OFF_INDEX, &index, sizeof(index));
		return HVK_KVP_HOST_MSG_SIZE;
	}
	if (op <= HVK_KVP_OP_DELETE && !info->attrs[HVSIM_A_KVP_KEY]) {
		NL_SET_ERR_MSG(info->extack, "GET, SET and DELETE name a key (KVP_KEY)");
		return -EINVAL;
	}
	if (op == HVK_KVP_OP_SET && !info->attrs[HVSIM_A_KVP_VALUE]) {
		NL_SET_ERR_MSG(info->extack, "SET needs a value (KVP_VALUE)");
		return -EINVAL;
	}
	if (op == HVK_KVP_OP_DELETE) {
		ret = sim_kvp_utf16(info, HVSIM_A_KVP_KEY, body + HVK_KVP_OFF_DEL_KEY,
				    HVK_KVP_MAX_KEY_SIZE, "the key does not fit 512 bytes in UTF-16");
		if (ret < 0)
			return ret;
		key_size = ret;
		memcpy(body + HVK_KVP_OFF_DEL_SIZE, &key_size, sizeof(key_size));
		return HVK_KVP_HOST_MSG_SIZE;
	}
	/* GET, SET, and an unknown operation: the key and value layout. */
	ret = sim_kvp_utf16(info, HVSIM_A_KVP_KEY, v->key, sizeof(v->key),
			    "the key does not fit 512 bytes in UTF-16");
	if (ret < 0)
		return ret;
	v->key_size = ret;
	if (info->attrs[HVSIM_A_KVP_VALUE] || info->attrs[HVSIM_A_KVP_VALUE_TYPE]) {
		ret = sim_kvp_value(info, v);
		if (ret < 0)
			return ret;
	}
	return HVK_KVP_HOST_MSG_SIZE;
}

/*
 * A string of the guest's answer: @size bytes at @p, in a field of
 * @field bytes, which must be even, within the field and end in the NUL
 * unit, and be UTF-16. Put as a UTF-8 attribute (with its NUL).
 */
static int sim_kvp_put_str(struct sk_buff *msg, int attr, const u8 *p, u32 size, u32 field,
			   char *scratch)
{
	if (size < 2 || size % 2 || size > field || p[size - 2] || p[size - 1])
		return -EBADMSG;
	if (hvk_utf16_to_utf8(p, size, scratch, SIM_KVP_SCRATCH) < 0)
		return -EBADMSG;
	return nla_put_string(msg, attr, scratch) ? -EMSGSIZE : 0;
}

/* An IP string of the answer: a NUL unit somewhere in its field. */
static int sim_kvp_put_ip(struct sk_buff *msg, int attr, const void *field, u32 bytes,
			  char *scratch)
{
	const u8 *p = field;
	u32 i;

	for (i = 0; i + 1 < bytes; i += 2)
		if (!p[i] && !p[i + 1])
			return sim_kvp_put_str(msg, attr, p, i + 2, bytes, scratch);
	return -EBADMSG;
}

static int sim_kvp_put_value(struct sk_buff *msg, const struct hvk_kvp_value *v, char *scratch)
{
	u32 type = v->value_type, size = v->value_size;

	if (nla_put_u32(msg, HVSIM_A_KVP_VALUE_TYPE, type))
		return -EMSGSIZE;
	switch (type) {
	case HVK_REG_SZ:
		return sim_kvp_put_str(msg, HVSIM_A_KVP_VALUE, v->value, size, sizeof(v->value),
				       scratch);
	case HVK_REG_U32:
	case HVK_REG_U64:
	case HVK_REG_QWORD:
		if (size != (type == HVK_REG_U32 ? 4 : 8))
			return -EBADMSG;
		return nla_put(msg, HVSIM_A_KVP_VALUE, size, v->value) ? -EMSGSIZE : 0;
	}
	return -EBADMSG;	/* Hyper-V takes no other type back */
}

/*
 * The guest's answer (its body: @len bytes at @body, status S_OK) into
 * the reply. -EBADMSG (extended ACK set) when it is malformed.
 */
static int sim_kvp_answer(struct genl_info *info, u32 op, const u8 *body, u32 len,
			  struct sk_buff *msg)
{
	const struct hvk_kvp_value *v;
	const struct hvk_kvp_ipaddr_value *ip;
	char *scratch;
	int ret = 0;

	if (op > HVK_KVP_OP_SET_IP_INFO || op == HVK_KVP_OP_SET || op == HVK_KVP_OP_DELETE ||
	    op == HVK_KVP_OP_SET_IP_INFO)
		return 0;	/* the status says it all */
	if (len < (op == HVK_KVP_OP_GET ? HVK_KVP_OFF_VALUE + sizeof(struct hvk_kvp_value) :
		   op == HVK_KVP_OP_ENUMERATE ? HVK_KVP_HOST_MSG_SIZE : HVK_KVP_HOST_IP_MSG_SIZE)) {
		NL_SET_ERR_MSG(info->extack, "the guest's answer is shorter than its message");
		return -EBADMSG;
	}
	scratch = kmalloc(SIM_KVP_SCRATCH, GFP_KERNEL);
	if (!scratch)
		return -ENOMEM;
	switch (op) {
	case HVK_KVP_OP_GET:
		v = (const void *)(body + HVK_KVP_OFF_VALUE);
		ret = sim_kvp_put_value(msg, v, scratch);
		if (ret == -EBADMSG)
			NL_SET_ERR_MSG(info->extack, "the guest's answer to GET has a malformed value");
		break;
	case HVK_KVP_OP_ENUMERATE:
		v = (const void *)(body + HVK_KVP_OFF_ENUM_VALUE);
		ret = sim_kvp_put_str(msg, HVSIM_A_KVP_KEY, v->key, v->key_size, sizeof(v->key),
				      scratch);
		if (ret == -EBADMSG) {
			NL_SET_ERR_MSG(info->extack,
				       "the guest's answer to ENUMERATE has a malformed key");
			break;
		}
		if (!ret)
			ret = sim_kvp_put_value(msg, v, scratch);
		if (ret == -EBADMSG)
			NL_SET_ERR_MSG(info->extack,
				       "the guest's answer to ENUMERATE has a malformed value");
		break;
	case HVK_KVP_OP_GET_IP_INFO:
		ip = &((const struct hvk_kvp_ip_msg *)body)->kvp_ip_val;
		ret = sim_kvp_put_ip(msg, HVSIM_A_KVP_IP_ADAPTER, ip->adapter_id,
				     sizeof(ip->adapter_id), scratch);
		if (!ret)
			ret = sim_kvp_put_ip(msg, HVSIM_A_KVP_IP_ADDR, ip->ip_addr,
					     sizeof(ip->ip_addr), scratch);
		if (!ret)
			ret = sim_kvp_put_ip(msg, HVSIM_A_KVP_IP_SUBNET, ip->sub_net,
					     sizeof(ip->sub_net), scratch);
		if (!ret)
			ret = sim_kvp_put_ip(msg, HVSIM_A_KVP_IP_GATEWAY, ip->gate_way,
					     sizeof(ip->gate_way), scratch);
		if (!ret)
			ret = sim_kvp_put_ip(msg, HVSIM_A_KVP_IP_DNS, ip->dns_addr,
					     sizeof(ip->dns_addr), scratch);
		if (!ret && (nla_put_u32(msg, HVSIM_A_KVP_IP_DHCP, !!ip->dhcp_enabled) ||
			     nla_put_u32(msg, HVSIM_A_KVP_IP_FAMILY, ip->addr_family)))
			ret = -EMSGSIZE;
		if (ret == -EBADMSG)
			NL_SET_ERR_MSG(info->extack,
				       "the guest's IP info has a string with no terminator or not UTF-16");
		break;
	}
	kfree(scratch);
	return ret;
}

static int sim_kvp_cmd(struct sim_ic *ic, struct genl_info *info)
{
	u32 op, pool, status = 0, rlen = 0, body_len;
	struct sk_buff *msg;
	const char *why;
	u8 *body;
	void *hdr;
	int ret, len;

	if (info->genlhdr->cmd != HVSIM_CMD_KVP) {
		NL_SET_ERR_MSG(info->extack, "a kvp device takes KVP and IC_RAW");
		return -EOPNOTSUPP;
	}
	if (!info->attrs[HVSIM_A_KVP_OP] || !info->attrs[HVSIM_A_KVP_POOL]) {
		NL_SET_ERR_MSG(info->extack, "KVP names an operation and a pool (KVP_OP, KVP_POOL)");
		return -EINVAL;
	}
	op = nla_get_u32(info->attrs[HVSIM_A_KVP_OP]);
	pool = nla_get_u32(info->attrs[HVSIM_A_KVP_POOL]);
	if (sim_kvp_is_ip(op) && READ_ONCE(ic->srv_ver) >= HVK_IC_VER(5, 0)) {
		NL_SET_ERR_MSG(info->extack,
			       "KVP 5.0's binary IP info is not simulated: pin --versions 4.0");
		return -EOPNOTSUPP;
	}
	body = kvzalloc(HVK_KVP_HOST_IP_MSG_SIZE, GFP_KERNEL);
	msg = genlmsg_new(NLMSG_GOODSIZE + 6 * SIM_KVP_SCRATCH, GFP_KERNEL);
	if (!body || !msg) {
		ret = -ENOMEM;
		goto out;
	}
	len = sim_kvp_build(info, op, pool, body);
	if (len < 0) {
		ret = len;
		goto out;
	}
	mutex_lock(&ic->lock);
	ret = sim_ic_request(ic, HVK_ICMSG_KVPEXCHANGE, body, len, len, ic->rbuf, &rlen, &status,
			     sim_ic_timeout(info));
	if (ret) {
		mutex_unlock(&ic->lock);
		sim_ic_nl_err(info, ret);
		goto out;
	}
	hdr = sim_nl_put_reply(msg, info);
	ret = !hdr || nla_put_u32(msg, HVSIM_A_IC_STATUS, status) ||
	      nla_put_u32(msg, HVSIM_A_KVP_OP, op) || nla_put_u32(msg, HVSIM_A_KVP_POOL, pool) ?
	      -EMSGSIZE : 0;
	if (!ret && op == HVK_KVP_OP_ENUMERATE)
		ret = nla_put_u32(msg, HVSIM_A_KVP_INDEX,
				  nla_get_u32(info->attrs[HVSIM_A_KVP_INDEX])) ? -EMSGSIZE : 0;
	if (!ret && op == HVK_KVP_OP_GET)	/* the guest leaves GET's key as it is */
		ret = nla_put(msg, HVSIM_A_KVP_KEY, nla_len(info->attrs[HVSIM_A_KVP_KEY]),
			      nla_data(info->attrs[HVSIM_A_KVP_KEY])) ? -EMSGSIZE : 0;
	if (!ret && status == HVK_S_OK) {
		hvk_ic_parse(ic->rbuf, rlen, &body_len, &why);
		ret = sim_kvp_answer(info, op, ic->rbuf + HVK_IC_HDRS, body_len, msg);
	}
	mutex_unlock(&ic->lock);
	if (ret)
		goto out;
	genlmsg_end(msg, hdr);
	kvfree(body);
	return genlmsg_reply(msg, info);
out:
	nlmsg_free(msg);
	kvfree(body);
	return ret;
}

static const struct sim_ic_service sim_kvp_service = {
	.msgtype = HVK_ICMSG_KVPEXCHANGE,
	.fw = sim_kvp_fw,
	.nfw = ARRAY_SIZE(sim_kvp_fw),
	.srv = sim_kvp_srv,
	.nsrv = ARRAY_SIZE(sim_kvp_srv),
	.cmd = sim_kvp_cmd,
};

const struct sim_dev_type sim_kvp_type = SIM_IC_TYPE("kvp", HVK_IC_GUID_KVP, sim_kvp_service);
