// SPDX-License-Identifier: GPL-2.0
/*
 * The shutdown IC's host side. HVSIM_CMD_SHUTDOWN sends one request, as
 * Hyper-V does when told to shut a guest down, restart it or hibernate
 * it, and replies with the status the guest answered (it answers before
 * it acts). The request is a struct hvk_ic_shutdown: a planned-shutdown
 * reason code and no timeout (what openvmm's host sends), the action in
 * flags (bit 0 forced), and the operator's reason as the display message,
 * UTF-16LE like every Windows string.
 *
 * Restart and hibernate came with shutdown versions 3.1 and 3.2 (upstream's
 * hv_util.c gained each version with its flag; an older guest refuses the
 * flag as unknown), so this host sends a restart only to a guest that
 * negotiated 3.1 or later, a hibernate only from 3.2, and refuses the
 * command otherwise. HVSIM_CMD_IC_RAW sends anything else.
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <net/genetlink.h>
#include "sim.h"

static const u32 sim_sd_fw[] = { HVK_IC_FW_3_0, HVK_IC_FW_1_0 };
static const u32 sim_sd_srv[] = { HVK_IC_SD_3_2, HVK_IC_SD_3_1, HVK_IC_SD_3_0, HVK_IC_SD_1_0 };

#define SIM_SD_REASON_PLANNED	0x80000000u	/* Windows' SHTDN_REASON_FLAG_PLANNED */

static const u32 sim_sd_flags[] = {
	[HVSIM_SD_POWEROFF] = 0,
	[HVSIM_SD_RESTART] = HVK_IC_SD_FLAG_RESTART,
	[HVSIM_SD_HIBERNATE] = HVK_IC_SD_FLAG_HIBERNATE,
};

static int sim_sd_cmd(struct sim_ic *ic, struct genl_info *info)
{
	struct nlattr *reason = info->attrs[HVSIM_A_SD_REASON];
	struct hvk_ic_shutdown *m;
	u32 action, srv, status = 0, len;
	struct sk_buff *msg = NULL;
	void *hdr;
	int ret;

	if (info->genlhdr->cmd != HVSIM_CMD_SHUTDOWN) {
		NL_SET_ERR_MSG(info->extack, "a shutdown device takes SHUTDOWN and IC_RAW");
		return -EOPNOTSUPP;
	}
	if (!info->attrs[HVSIM_A_SD_ACTION]) {
		NL_SET_ERR_MSG(info->extack, "SD_ACTION is required: power off, restart or hibernate");
		return -EINVAL;
	}
	action = nla_get_u32(info->attrs[HVSIM_A_SD_ACTION]);
	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		return -ENOMEM;
	m->reason_code = SIM_SD_REASON_PLANNED;
	m->flags = sim_sd_flags[action] |
		   (nla_get_flag(info->attrs[HVSIM_A_SD_FORCE]) ? HVK_IC_SD_FLAG_FORCE : 0);
	/* The policy bounds it to 1023 bytes: 1023 UTF-16 units and a NUL at most. */
	if (reason && hvk_utf8_to_utf16(nla_data(reason), nla_len(reason), m->display_message,
					sizeof(m->display_message)) < 0) {
		NL_SET_ERR_MSG_ATTR(info->extack, reason, "the reason is not valid UTF-8");
		ret = -EINVAL;
		goto out;
	}
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg) {
		ret = -ENOMEM;
		goto out;
	}
	mutex_lock(&ic->lock);
	srv = READ_ONCE(ic->srv_ver);
	if (srv && action == HVSIM_SD_RESTART && srv < HVK_IC_SD_3_1) {
		NL_SET_ERR_MSG(info->extack,
			       "the guest negotiated a shutdown version older than 3.1: Hyper-V sends a restart from 3.1 on");
		ret = -EOPNOTSUPP;
	} else if (srv && action == HVSIM_SD_HIBERNATE && srv < HVK_IC_SD_3_2) {
		NL_SET_ERR_MSG(info->extack,
			       "the guest negotiated a shutdown version older than 3.2: Hyper-V sends a hibernate from 3.2 on");
		ret = -EOPNOTSUPP;
	} else {
		ret = sim_ic_request(ic, HVK_ICMSG_SHUTDOWN, m, sizeof(*m), sizeof(*m), ic->rbuf,
				     &len, &status, sim_ic_timeout(info));
		if (ret)
			sim_ic_nl_err(info, ret);
	}
	mutex_unlock(&ic->lock);
	if (ret)
		goto out;
	hdr = sim_nl_put_reply(msg, info);
	if (!hdr || nla_put_u32(msg, HVSIM_A_IC_STATUS, status)) {
		ret = -EMSGSIZE;
		goto out;
	}
	genlmsg_end(msg, hdr);
	kfree(m);
	return genlmsg_reply(msg, info);
out:
	nlmsg_free(msg);
	kfree(m);
	return ret;
}

static const struct sim_ic_service sim_sd_service = {
	.msgtype = HVK_ICMSG_SHUTDOWN,
	.fw = sim_sd_fw,
	.nfw = ARRAY_SIZE(sim_sd_fw),
	.srv = sim_sd_srv,
	.nsrv = ARRAY_SIZE(sim_sd_srv),
	.cmd = sim_sd_cmd,
};

const struct sim_dev_type sim_shutdown_type =
	SIM_IC_TYPE("shutdown", HVK_IC_GUID_SHUTDOWN, sim_sd_service);
