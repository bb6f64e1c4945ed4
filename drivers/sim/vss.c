// SPDX-License-Identifier: GPL-2.0
/*
 * The VSS (backup) IC's host side. Hyper-V's backup sends HOT_BACKUP to
 * ask whether the guest can take part, then FREEZE before the snapshot
 * and THAW after it, one request at a time, each answered with a status
 * (and, for HOT_BACKUP, the guest's flags). HVSIM_CMD_VSS sends any
 * operation (VSS_OP: enum hvk_vss_op, or any other byte for bad-input
 * tests) with VSS_FLAGS in vss_cf_flags, and replies with the guest's
 * IC_STATUS and the flags of its answer.
 */
#include <linux/module.h>
#include <net/genetlink.h>
#include "sim.h"

/*
 * Hyper-V offers VSS 5.0 from Windows Server 2012 R2 on (2012 offered 1.x
 * and 3.x, which upstream's guest does not speak); framework 3.0 and 1.0.
 */
static const u32 sim_vss_fw[] = { HVK_IC_FW_3_0, HVK_IC_FW_1_0 };
static const u32 sim_vss_srv[] = { HVK_IC_VSS_5_0, HVK_IC_VER(3, 0), HVK_IC_VER(1, 0) };

static int sim_vss_cmd(struct sim_ic *ic, struct genl_info *info)
{
	struct hvk_vss_msg m = {};
	u32 status = 0, len, flags = 0;
	struct sk_buff *msg;
	void *hdr;
	int ret;

	if (info->genlhdr->cmd != HVSIM_CMD_VSS) {
		NL_SET_ERR_MSG(info->extack, "a vss device takes VSS and IC_RAW");
		return -EOPNOTSUPP;
	}
	if (!info->attrs[HVSIM_A_VSS_OP]) {
		NL_SET_ERR_MSG(info->extack, "VSS needs an operation (VSS_OP)");
		return -EINVAL;
	}
	m.vss_hdr.operation = nla_get_u32(info->attrs[HVSIM_A_VSS_OP]);
	if (info->attrs[HVSIM_A_VSS_FLAGS])
		m.vss_cf_flags = nla_get_u32(info->attrs[HVSIM_A_VSS_FLAGS]);
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	mutex_lock(&ic->lock);
	ret = sim_ic_request(ic, HVK_ICMSG_VSS, &m, sizeof(m), sizeof(m), ic->rbuf, &len, &status,
			     sim_ic_timeout(info));
	if (!ret && len >= HVK_IC_HDRS + sizeof(m))
		memcpy(&flags, ic->rbuf + HVK_IC_HDRS + offsetof(struct hvk_vss_msg, vss_cf_flags),
		       sizeof(flags));
	mutex_unlock(&ic->lock);
	if (ret) {
		nlmsg_free(msg);
		sim_ic_nl_err(info, ret);
		return ret == -ERESTARTSYS ? -EINTR : ret;
	}
	hdr = sim_nl_put_reply(msg, info);
	if (!hdr || nla_put_u32(msg, HVSIM_A_IC_STATUS, status) ||
	    nla_put_u32(msg, HVSIM_A_VSS_FLAGS, flags)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static const struct sim_ic_service sim_vss_service = {
	.msgtype = HVK_ICMSG_VSS,
	.fw = sim_vss_fw,
	.nfw = ARRAY_SIZE(sim_vss_fw),
	.srv = sim_vss_srv,
	.nsrv = ARRAY_SIZE(sim_vss_srv),
	.cmd = sim_vss_cmd,
};

const struct sim_dev_type sim_vss_type = SIM_IC_TYPE("vss", HVK_IC_GUID_VSS, sim_vss_service);
