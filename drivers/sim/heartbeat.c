// SPDX-License-Identifier: GPL-2.0
/*
 * The heartbeat IC's host side: every hb_interval_ms the host sends a
 * sequence number; a live guest answers with the number plus one, and
 * the next heartbeat carries that. HVSIM_CMD_HEARTBEAT_GET reads the
 * counts and the last number the guest answered.
 */
#include <linux/module.h>
#include <net/genetlink.h>
#include "sim.h"

static uint hb_interval_ms = 1000;
module_param(hb_interval_ms, uint, 0644);
MODULE_PARM_DESC(hb_interval_ms, "heartbeat IC: the host's interval (default 1000 ms)");

static const u32 sim_hb_fw[] = { HVK_IC_FW_3_0, HVK_IC_FW_1_0 };
static const u32 sim_hb_srv[] = { HVK_IC_HB_3_0, HVK_IC_HB_1_0 };

struct sim_hb {
	struct sim_ic *ic;
	struct delayed_work beat;
	/* Under ic->lock; read by fill and the command with READ_ONCE. */
	u64 seq;		/* the next number to send */
	u64 sent;
	u64 answered;		/* with seq + 1, status OK */
	u64 last;		/* the last number the guest answered */
};

static void sim_hb_beat(struct work_struct *work)
{
	struct sim_hb *hb = container_of(to_delayed_work(work), struct sim_hb, beat);
	struct sim_ic *ic = hb->ic;
	struct hvk_ic_heartbeat m = {};
	u32 len, status;
	int ret;

	mutex_lock(&ic->lock);
	m.seq_num = hb->seq;
	WRITE_ONCE(hb->sent, hb->sent + 1);
	ret = sim_ic_request(ic, HVK_ICMSG_HEARTBEAT, &m, sizeof(m), sizeof(m), ic->rbuf, &len,
			     &status, SIM_IC_TIMEOUT_MS);
	if (!ret && status == HVK_S_OK && len >= HVK_IC_HDRS + sizeof(u64)) {
		u64 got;

		memcpy(&got, ic->rbuf + HVK_IC_HDRS, sizeof(got));
		if (got == m.seq_num + 1) {
			WRITE_ONCE(hb->answered, hb->answered + 1);
			WRITE_ONCE(hb->last, got);
			hb->seq = got;
		} else {
			pr_err_ratelimited("hvkit_sim: heartbeat: sent %llu, the guest answered %llu\n",
					   m.seq_num, got);
		}
	}
	mutex_unlock(&ic->lock);
	if (ret != -ENOTCONN)
		schedule_delayed_work(&hb->beat, msecs_to_jiffies(READ_ONCE(hb_interval_ms) ?: 1));
}

static int sim_hb_init(struct sim_ic *ic)
{
	struct sim_hb *hb = ic->priv;

	hb->ic = ic;
	hb->seq = 1;
	INIT_DELAYED_WORK(&hb->beat, sim_hb_beat);
	return 0;
}

static void sim_hb_ready(struct sim_ic *ic)
{
	struct sim_hb *hb = ic->priv;

	schedule_delayed_work(&hb->beat, 0);
}

static void sim_hb_stop(struct sim_ic *ic)
{
	struct sim_hb *hb = ic->priv;

	cancel_delayed_work_sync(&hb->beat);
}

static int sim_hb_put(struct sim_hb *hb, struct sk_buff *skb)
{
	if (nla_put_u64_64bit(skb, HVSIM_A_HB_SENT, READ_ONCE(hb->sent), HVSIM_A_PAD) ||
	    nla_put_u64_64bit(skb, HVSIM_A_HB_ANSWERED, READ_ONCE(hb->answered), HVSIM_A_PAD) ||
	    nla_put_u64_64bit(skb, HVSIM_A_HB_SEQ, READ_ONCE(hb->last), HVSIM_A_PAD))
		return -EMSGSIZE;
	return 0;
}

static int sim_hb_cmd(struct sim_ic *ic, struct genl_info *info)
{
	struct sk_buff *msg;
	void *hdr;

	if (info->genlhdr->cmd != HVSIM_CMD_HEARTBEAT_GET) {
		NL_SET_ERR_MSG(info->extack, "a heartbeat device takes HEARTBEAT_GET and IC_RAW");
		return -EOPNOTSUPP;
	}
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = sim_nl_reply_put(msg, info);
	if (!hdr || sim_hb_put(ic->priv, msg)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int sim_hb_fill(struct sim_ic *ic, struct sk_buff *skb)
{
	return sim_hb_put(ic->priv, skb);
}

static const struct sim_ic_service sim_hb_service = {
	.msgtype = HVK_ICMSG_HEARTBEAT,
	.fw = sim_hb_fw,
	.nfw = ARRAY_SIZE(sim_hb_fw),
	.srv = sim_hb_srv,
	.nsrv = ARRAY_SIZE(sim_hb_srv),
	.priv_size = sizeof(struct sim_hb),
	.init = sim_hb_init,
	.ready = sim_hb_ready,
	.stop = sim_hb_stop,
	.cmd = sim_hb_cmd,
	.fill = sim_hb_fill,
};

const struct sim_dev_type sim_heartbeat_type =
	SIM_IC_TYPE("heartbeat", HVK_IC_GUID_HEARTBEAT, sim_hb_service);
