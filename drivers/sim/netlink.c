// SPDX-License-Identifier: GPL-2.0
/* Generic netlink family "hvsim": hvctl's way to play the host. */
#include <linux/module.h>
#include <net/genetlink.h>
#include <hvkit/uapi/hvsim.h>
#include "sim.h"

/*
 * Bounds past NLA_POLICY_MAX's, which is an s16: a u32 that must fit 16
 * bits, and the time sync delay. Not const: 6.1's nla_policy points at a
 * non-const one (6.2 made it const).
 */
static struct netlink_range_validation hvsim_u16 = { .max = 0xffff };
static struct netlink_range_validation hvsim_ts_delay = { .max = 3600 * NSEC_PER_SEC };
static struct netlink_range_validation hvsim_stall = { .max = 600000 };
static struct netlink_range_validation hvsim_nic_mtu = { .min = 68, .max = 65521 };
/* Mbit/s whose 100 bit/s units fit OID_GEN_LINK_SPEED's u32. */
static struct netlink_range_validation hvsim_nic_speed = { .min = 1, .max = 429496 };
static struct netlink_range_validation hvsim_scsi_latency = { .max = 1000000 };

static const struct nla_policy hvsim_policy[HVSIM_A_MAX + 1] = {
	[HVSIM_A_TYPE] = { .type = NLA_NUL_STRING, .len = 31 },
	[HVSIM_A_INSTANCE] = NLA_POLICY_EXACT_LEN(16),
	[HVSIM_A_CHANNELS] = NLA_POLICY_RANGE(NLA_U32, 1, 64),
	[HVSIM_A_FAULT] = { .type = NLA_U32 },
	[HVSIM_A_COUNT] = { .type = NLA_U32 },
	[HVSIM_A_FAULT_NAME] = { .type = NLA_NUL_STRING, .len = 31 },
	[HVSIM_A_MONITORED] = { .type = NLA_FLAG },
	[HVSIM_A_NO_DEDICATED_INTERRUPT] = { .type = NLA_FLAG },
	[HVSIM_A_IC_FW_VERSIONS] = { .type = NLA_BINARY, .len = 64 * sizeof(u32) },
	[HVSIM_A_IC_SRV_VERSIONS] = { .type = NLA_BINARY, .len = 64 * sizeof(u32) },
	[HVSIM_A_IC_TIMEOUT_MS] = NLA_POLICY_MIN(NLA_U32, 1),
	[HVSIM_A_IC_MSGTYPE] = NLA_POLICY_FULL_RANGE(NLA_U32, &hvsim_u16),
	[HVSIM_A_IC_MSGSIZE] = NLA_POLICY_FULL_RANGE(NLA_U32, &hvsim_u16),
	[HVSIM_A_RAW] = { .type = NLA_BINARY, .len = 8192 },
	[HVSIM_A_SD_ACTION] = NLA_POLICY_MAX(NLA_U32, HVSIM_SD_HIBERNATE),
	[HVSIM_A_SD_FORCE] = { .type = NLA_FLAG },
	[HVSIM_A_SD_REASON] = { .type = NLA_NUL_STRING, .len = 1023 },
	[HVSIM_A_TS_FLAGS] = NLA_POLICY_RANGE(NLA_U32, 0, 0xff),
	[HVSIM_A_TS_TIME_NS] = { .type = NLA_S64 },
	[HVSIM_A_TS_OFFSET_NS] = { .type = NLA_S64 },
	[HVSIM_A_TS_DELAY_NS] = NLA_POLICY_FULL_RANGE(NLA_U64, &hvsim_ts_delay),
	[HVSIM_A_KVP_OP] = NLA_POLICY_MAX(NLA_U32, 0xff),
	[HVSIM_A_KVP_POOL] = NLA_POLICY_MAX(NLA_U32, 0xff),
	[HVSIM_A_KVP_KEY] = { .type = NLA_BINARY, .len = 4096 },
	[HVSIM_A_KVP_VALUE] = { .type = NLA_BINARY, .len = 8192 },
	[HVSIM_A_KVP_VALUE_TYPE] = { .type = NLA_U32 },
	[HVSIM_A_KVP_INDEX] = { .type = NLA_U32 },
	[HVSIM_A_KVP_IP_ADAPTER] = { .type = NLA_NUL_STRING, .len = 255 },
	[HVSIM_A_KVP_IP_ADDR] = { .type = NLA_NUL_STRING, .len = 1023 },
	[HVSIM_A_KVP_IP_SUBNET] = { .type = NLA_NUL_STRING, .len = 1023 },
	[HVSIM_A_KVP_IP_GATEWAY] = { .type = NLA_NUL_STRING, .len = 511 },
	[HVSIM_A_KVP_IP_DNS] = { .type = NLA_NUL_STRING, .len = 1023 },
	[HVSIM_A_KVP_IP_DHCP] = NLA_POLICY_MAX(NLA_U32, 1),
	[HVSIM_A_KVP_IP_FAMILY] = NLA_POLICY_MAX(NLA_U32, 0xff),
	[HVSIM_A_VSS_OP] = NLA_POLICY_MAX(NLA_U32, 0xff),
	[HVSIM_A_VSS_FLAGS] = { .type = NLA_U32 },
	[HVSIM_A_FCOPY_SRC] = { .type = NLA_NUL_STRING, .len = 4095 },
	[HVSIM_A_FCOPY_PATH] = { .type = NLA_BINARY, .len = 2048 },
	[HVSIM_A_FCOPY_NAME] = { .type = NLA_BINARY, .len = 2048 },
	[HVSIM_A_FCOPY_FLAGS] = { .type = NLA_U32 },
	[HVSIM_A_FCOPY_CHUNK] = NLA_POLICY_RANGE(NLA_U32, 1, 6144),
	[HVSIM_A_SCSI_SIZE] = { .type = NLA_U64 },
	[HVSIM_A_SCSI_SECTOR] = { .type = NLA_U32 },
	[HVSIM_A_SCSI_RO] = { .type = NLA_FLAG },
	[HVSIM_A_SCSI_OP] = NLA_POLICY_MAX(NLA_U32, HVSIM_SCSI_STALL),
	[HVSIM_A_SCSI_LUN] = NLA_POLICY_MAX(NLA_U32, 63),
	[HVSIM_A_SCSI_LBA] = { .type = NLA_U64 },
	[HVSIM_A_SCSI_STALL_MS] = NLA_POLICY_FULL_RANGE(NLA_U32, &hvsim_stall),
	[HVSIM_A_NIC_MAC] = NLA_POLICY_EXACT_LEN(6),
	[HVSIM_A_NIC_MTU] = NLA_POLICY_FULL_RANGE(NLA_U32, &hvsim_nic_mtu),
	[HVSIM_A_NIC_LINK] = NLA_POLICY_MAX(NLA_U32, 1),
	[HVSIM_A_NIC_NVSP_MAX] = { .type = NLA_U32 },
	[HVSIM_A_SCSI_BACKING] = { .type = NLA_NUL_STRING, .len = 4095 },
	[HVSIM_A_SCSI_LATENCY_US] = NLA_POLICY_FULL_RANGE(NLA_U32, &hvsim_scsi_latency),
	[HVSIM_A_VPCI_PCI] = { .type = NLA_NUL_STRING, .len = 31 },
	[HVSIM_A_VPCI_OP] = NLA_POLICY_MAX(NLA_U32, HVSIM_VPCI_DETACH),
	[HVSIM_A_NIC_OFFLOADS] = NLA_POLICY_MAX(NLA_U32, HVSIM_NIC_OFL_ALL),
	[HVSIM_A_NIC_SPEED] = NLA_POLICY_FULL_RANGE(NLA_U32, &hvsim_nic_speed),
	[HVSIM_A_NIC_SEND_TABLE] = NLA_POLICY_EXACT_LEN(16 * sizeof(u32)),
};

static struct genl_family hvsim_family;

/* A message chosen at run time; @msg must be a string that lives forever. */
static void hvsim_err(struct genl_info *info, const char *msg)
{
	if (info->extack)
		info->extack->_msg = msg;
}

static int hvsim_dev_add(struct sk_buff *skb, struct genl_info *info)
{
	const struct sim_dev_type *type;
	const char *err = NULL;
	struct sim_dev *d;
	struct sk_buff *msg;
	guid_t instance;
	u32 nchans = 1, relid;
	void *hdr;

	if (!info->attrs[HVSIM_A_TYPE]) {
		NL_SET_ERR_MSG(info->extack, "a device type is required");
		return -EINVAL;
	}
	type = sim_type_find(nla_data(info->attrs[HVSIM_A_TYPE]));
	if (!type) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[HVSIM_A_TYPE],
				    "unknown device type");
		return -ENOENT;
	}
	if (info->attrs[HVSIM_A_INSTANCE])
		memcpy(&instance, nla_data(info->attrs[HVSIM_A_INSTANCE]), sizeof(instance));
	else
		guid_gen(&instance);
	if (info->attrs[HVSIM_A_CHANNELS])
		nchans = nla_get_u32(info->attrs[HVSIM_A_CHANNELS]);

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	mutex_lock(&sim.lock);
	d = sim_dev_add(type, &instance, nchans, nla_get_flag(info->attrs[HVSIM_A_MONITORED]),
			nla_get_flag(info->attrs[HVSIM_A_NO_DEDICATED_INTERRUPT]), info, &err);
	relid = IS_ERR(d) ? 0 : d->chans[0]->relid;
	mutex_unlock(&sim.lock);
	if (IS_ERR(d)) {
		nlmsg_free(msg);
		if (err)
			hvsim_err(info, err);
		return PTR_ERR(d);
	}
	hdr = genlmsg_put_reply(msg, info, &hvsim_family, 0, HVSIM_CMD_DEV_ADD);
	if (!hdr || nla_put(msg, HVSIM_A_INSTANCE, 16, &instance) ||
	    nla_put_u32(msg, HVSIM_A_RELID, relid)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int hvsim_dev_del(struct sk_buff *skb, struct genl_info *info)
{
	struct sim_dev *d;
	guid_t instance;
	int ret;

	if (!info->attrs[HVSIM_A_INSTANCE]) {
		NL_SET_ERR_MSG(info->extack, "the device's instance GUID is required");
		return -EINVAL;
	}
	memcpy(&instance, nla_data(info->attrs[HVSIM_A_INSTANCE]), sizeof(instance));
	mutex_lock(&sim.lock);
	d = sim_dev_find(&instance);
	ret = d ? sim_dev_remove(d) : -ENOENT;
	mutex_unlock(&sim.lock);
	if (ret == -ENOENT)
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[HVSIM_A_INSTANCE],
				    "no device with this instance GUID");
	return ret;
}

static int hvsim_dev_fill(struct sk_buff *skb, struct netlink_callback *cb,
			  const struct sim_dev *d)
{
	u64 in = 0, out = 0, signals = 0, mon_signals = 0, int_signals = 0, space_signals = 0;
	u32 open = 0, i;
	void *hdr;

	for (i = 0; i < d->nchans; i++) {
		const struct sim_chan *c = d->chans[i];

		if (!c)
			continue;
		open += c->open;
		in += c->pkts_in;
		out += c->pkts_out;
		signals += atomic_long_read(&c->signals);
		mon_signals += atomic_long_read(&c->monitor_signals);
		int_signals += atomic_long_read(&c->int_page_signals);
		space_signals += atomic_long_read(&c->space_signals);
	}
	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &hvsim_family, NLM_F_MULTI, HVSIM_CMD_DEV_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_string(skb, HVSIM_A_TYPE, d->type->name) ||
	    nla_put(skb, HVSIM_A_INSTANCE, 16, &d->instance) ||
	    nla_put(skb, HVSIM_A_CLASS, 16, &d->type->class_id) ||
	    nla_put_u32(skb, HVSIM_A_CHANNELS, d->nchans) ||
	    nla_put_u32(skb, HVSIM_A_RELID, d->chans[0] ? d->chans[0]->relid : 0) ||
	    nla_put_u32(skb, HVSIM_A_OPEN, open) ||
	    nla_put_u32(skb, HVSIM_A_CPU, d->chans[0] ? READ_ONCE(d->chans[0]->target_cpu) : 0) ||
	    nla_put_u64_64bit(skb, HVSIM_A_PKTS_IN, in, HVSIM_A_PAD) ||
	    nla_put_u64_64bit(skb, HVSIM_A_PKTS_OUT, out, HVSIM_A_PAD) ||
	    nla_put_u64_64bit(skb, HVSIM_A_SIGNALS, signals, HVSIM_A_PAD) ||
	    nla_put_u64_64bit(skb, HVSIM_A_MONITOR_SIGNALS, mon_signals, HVSIM_A_PAD) ||
	    nla_put_u64_64bit(skb, HVSIM_A_INT_PAGE_SIGNALS, int_signals, HVSIM_A_PAD) ||
	    (d->no_dedicated_int && nla_put_flag(skb, HVSIM_A_NO_DEDICATED_INTERRUPT)) ||
	    nla_put_u64_64bit(skb, HVSIM_A_SPACE_SIGNALS, space_signals, HVSIM_A_PAD) ||
	    (d->chans[0] && d->chans[0]->monitor_id != SIM_NOT_MONITORED &&
	     nla_put_flag(skb, HVSIM_A_MONITORED)) ||
	    (d->type->fill && d->type->fill(d, skb))) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/* cb->args[0]: devices already sent. */
static int hvsim_dev_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	const struct sim_dev *d;
	long idx = 0;

	mutex_lock(&sim.lock);
	list_for_each_entry(d, &sim.devs, node) {
		if (idx++ < cb->args[0])
			continue;
		if (hvsim_dev_fill(skb, cb, d)) {
			idx--;
			break;
		}
	}
	mutex_unlock(&sim.lock);
	cb->args[0] = idx;
	return skb->len;
}

static int hvsim_fault_set(struct sk_buff *skb, struct genl_info *info)
{
	int f;

	if (!info->attrs[HVSIM_A_FAULT_NAME] || !info->attrs[HVSIM_A_COUNT]) {
		NL_SET_ERR_MSG(info->extack, "a fault name and a count are required");
		return -EINVAL;
	}
	f = sim_fault_lookup(nla_data(info->attrs[HVSIM_A_FAULT_NAME]));
	if (f < 0) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[HVSIM_A_FAULT_NAME],
				    "unknown fault; 'hvctl sim faults' lists them");
		return -ENOENT;
	}
	sim_fault_arm(f, nla_get_u32(info->attrs[HVSIM_A_COUNT]));
	return 0;
}

/* cb->args[0]: the next fault to send. */
static int hvsim_fault_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	unsigned int f;
	u32 left, hits;
	void *hdr;

	for (f = cb->args[0]; f < HVSIM_FAULT_COUNT; f++) {
		sim_fault_state(f, &left, &hits);
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
				  &hvsim_family, NLM_F_MULTI, HVSIM_CMD_FAULT_GET);
		if (!hdr)
			break;
		if (nla_put_u32(skb, HVSIM_A_FAULT, f) ||
		    nla_put_string(skb, HVSIM_A_FAULT_NAME, sim_fault_name(f)) ||
		    nla_put_u32(skb, HVSIM_A_COUNT, left) ||
		    nla_put_u32(skb, HVSIM_A_HITS, hits)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
	}
	cb->args[0] = f;
	return skb->len;
}

/*
 * A device type's command. The device: INSTANCE, or the one device of
 * TYPE. It runs with no lock held and the device referenced, so it may
 * wait for the guest.
 */
static int hvsim_type_cmd(struct sk_buff *skb, struct genl_info *info)
{
	const struct sim_dev_type *type = NULL;
	struct sim_dev *d = NULL, *it;
	guid_t instance;
	int ret, n = 0;

	if (info->attrs[HVSIM_A_TYPE]) {
		type = sim_type_find(nla_data(info->attrs[HVSIM_A_TYPE]));
		if (!type) {
			NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[HVSIM_A_TYPE],
					    "unknown device type");
			return -ENOENT;
		}
	}
	if (!type && !info->attrs[HVSIM_A_INSTANCE]) {
		NL_SET_ERR_MSG(info->extack, "name the device by its instance GUID or its type");
		return -EINVAL;
	}
	if (info->attrs[HVSIM_A_INSTANCE])
		memcpy(&instance, nla_data(info->attrs[HVSIM_A_INSTANCE]), sizeof(instance));
	mutex_lock(&sim.lock);
	list_for_each_entry(it, &sim.devs, node) {
		if (info->attrs[HVSIM_A_INSTANCE] ? !guid_equal(&it->instance, &instance) :
		    it->type != type)
			continue;
		d = it;
		n++;
	}
	if (d && n == 1 && d->type->cmd)
		kref_get(&d->ref);
	mutex_unlock(&sim.lock);
	if (!d) {
		NL_SET_ERR_MSG(info->extack, "no such device");
		return -ENODEV;
	}
	if (n > 1) {
		NL_SET_ERR_MSG(info->extack,
			       "more than one device of this type: name one by its instance GUID");
		return -EINVAL;
	}
	if (!d->type->cmd) {
		NL_SET_ERR_MSG(info->extack, "the device's type has no such command");
		return -EOPNOTSUPP;
	}
	ret = d->type->cmd(d, info);
	sim_dev_put(d);
	return ret;
}

static const struct genl_small_ops hvsim_ops[] = {
	{
		.cmd = HVSIM_CMD_DEV_ADD,
		.doit = hvsim_dev_add,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = HVSIM_CMD_DEV_DEL,
		.doit = hvsim_dev_del,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = HVSIM_CMD_DEV_GET,
		.dumpit = hvsim_dev_dump,
	},
	{
		.cmd = HVSIM_CMD_FAULT_SET,
		.doit = hvsim_fault_set,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = HVSIM_CMD_FAULT_GET,
		.dumpit = hvsim_fault_dump,
	},
#define HVSIM_TYPE_CMD(c) { .cmd = (c), .doit = hvsim_type_cmd, .flags = GENL_ADMIN_PERM }
	HVSIM_TYPE_CMD(HVSIM_CMD_HEARTBEAT_GET),
	HVSIM_TYPE_CMD(HVSIM_CMD_SHUTDOWN),
	HVSIM_TYPE_CMD(HVSIM_CMD_TIMESYNC),
	HVSIM_TYPE_CMD(HVSIM_CMD_KVP),
	HVSIM_TYPE_CMD(HVSIM_CMD_VSS),
	HVSIM_TYPE_CMD(HVSIM_CMD_FCOPY),
	HVSIM_TYPE_CMD(HVSIM_CMD_FCOPY_CANCEL),
	HVSIM_TYPE_CMD(HVSIM_CMD_IC_RAW),
	HVSIM_TYPE_CMD(HVSIM_CMD_SCSI),
	HVSIM_TYPE_CMD(HVSIM_CMD_NIC_LINK),
	HVSIM_TYPE_CMD(HVSIM_CMD_VPCI),
	HVSIM_TYPE_CMD(HVSIM_CMD_NIC_KEEPALIVE),
	HVSIM_TYPE_CMD(HVSIM_CMD_NIC_SPEED),
	HVSIM_TYPE_CMD(HVSIM_CMD_NIC_SEND_TABLE),
};

static struct genl_family hvsim_family = {
	.name = HVSIM_GENL_NAME,
	.version = HVSIM_GENL_VERSION,
	.maxattr = HVSIM_A_MAX,
	.policy = hvsim_policy,
	.module = THIS_MODULE,
	/* Commands may wait for the guest: not under the global genl lock. */
	.parallel_ops = true,
	.small_ops = hvsim_ops,
	.n_small_ops = ARRAY_SIZE(hvsim_ops),
	.resv_start_op = HVSIM_CMD_MAX + 1,
};

/* A reply to @info's command (genl_info has no family pointer before 6.3). */
void *sim_nl_put_reply(struct sk_buff *msg, struct genl_info *info)
{
	return genlmsg_put_reply(msg, info, &hvsim_family, 0, info->genlhdr->cmd);
}

int sim_nl_init(void)
{
	return genl_register_family(&hvsim_family);
}

void sim_nl_exit(void)
{
	genl_unregister_family(&hvsim_family);
}
