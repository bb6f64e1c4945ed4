// SPDX-License-Identifier: GPL-2.0
/*
 * VSS (backup): before it takes a snapshot, the host asks the guest to
 * freeze its filesystems, and to thaw them after. The daemon
 * (hv_vss_daemon) does both with FIFREEZE / FITHAW, reached through
 * /dev/vmbus/hv_vss with upstream's ABI and handshake (hv_snapshot.c,
 * 6.12):
 *
 *   daemon -> kernel  struct hvk_vss_msg, operation REGISTER1 (129)
 *   kernel -> daemon  u32 129, the kernel's version (REGISTER, 128: none)
 *   kernel -> daemon  struct hvk_vss_msg: FREEZE, THAW or HOT_BACKUP
 *   daemon -> kernel  the same struct, its status in the first 4 bytes
 *
 * FREEZE waits for the daemon vss_freeze_timeout seconds (upstream's
 * VSS_FREEZE_TIMEOUT, 15 minutes), THAW and HOT_BACKUP vss_timeout
 * (HV_UTIL_TIMEOUT, 30 s). GET_DM_INFO (flags 0), CREATE, DELETE,
 * BU_COMPLETE and AUTO_RECOVER are answered S_OK by the kernel, as
 * upstream; an operation past those is refused (upstream says S_OK).
 * docs/util.md has what the host gets with no daemon and when one dies.
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <hvkit/ic_vss.h>
#include "dreq.h"

static unsigned int vss_timeout = HVK_IC_DAEMON_TIMEOUT;
module_param(vss_timeout, uint, 0644);
MODULE_PARM_DESC(vss_timeout, "VSS: seconds the daemon has for THAW and HOT_BACKUP (default 30)");

static unsigned int vss_freeze_timeout = 15 * 60;
module_param(vss_freeze_timeout, uint, 0644);
MODULE_PARM_DESC(vss_freeze_timeout, "VSS: seconds the daemon has for FREEZE (default 900)");

static const u32 vss_fw[] = { HVK_IC_FW_3_0 };
static const u32 vss_srv[] = { HVK_IC_VSS_5_0 };

/* What REGISTER1 is answered with: upstream's kernel names that operation. */
#define VSS_KERNEL_VERSION	HVK_VSS_OP_REGISTER1

/* Set in the host's answer when the daemon's answer reads HOT_BACKUP. */
static void vss_patch(u8 *body, u32 len, u32 hot_backup)
{
	u32 flags = HVK_VSS_HBU_NO_AUTO_RECOVERY;

	if (hot_backup && len >= sizeof(struct hvk_vss_msg))
		memcpy(body + offsetof(struct hvk_vss_msg, vss_cf_flags), &flags, sizeof(flags));
}

static int vss_init(struct hvk_ic *ic)
{
	struct hvk_dreq *r;

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	hvk_dreq_init(r, ic, vss_patch);
	ic->priv = r;
	return 0;
}

/* The daemon's writes. Under the device's callback lock. */
static int vss_on_msg(void *ctx, const void *msg, u32 len)
{
	struct hvk_dreq *r = ctx;
	u32 status, ver = VSS_KERNEL_VERSION;
	enum hvk_vss_reply kind;
	struct hvk_devif *dev;
	bool hot_backup;
	int ret = 0;

	if (hvk_vss_daemon_reply(msg, len, &kind, &status, &hot_backup))
		return -EINVAL;
	dev = hvk_dreq_dev(r);
	mutex_lock(&r->lock);
	if (!dev || r->stopped) {
		ret = -ENODEV;
	} else if (kind != HVK_VSS_REPLY_ANSWER) {
		/* Not in the middle of a request (upstream: state > READY). */
		if (r->busy || r->owed)
			ret = -EINVAL;
		else if (kind == HVK_VSS_REPLY_REGISTER1 &&
			 hvk_devif_send(dev, &ver, sizeof(ver)))
			ret = -EFAULT;
		if (!ret) {
			/*
			 * Upstream leaves a legacy REGISTER daemon not ready
			 * (it moves on only when the version answer is read);
			 * hvkit takes it as registered.
			 */
			r->registered = true;
			dev_info_ratelimited(&r->ic->hdev->dev, "vss: daemon registered (%s)\n",
					     kind == HVK_VSS_REPLY_REGISTER1 ? "REGISTER1" : "REGISTER");
		}
	} else if (r->busy) {
		hvk_dreq_answer(r, status, hot_backup);
	} else {
		ret = -EINVAL;	/* no request: a late answer, after the timeout */
	}
	mutex_unlock(&r->lock);
	return ret;
}

static void vss_on_reset(void *ctx)
{
	hvk_dreq_reset(ctx);
}

static const struct hvk_devif_ops vss_devif_ops = {
	.on_msg = vss_on_msg,
	.on_reset = vss_on_reset,
};

static void vss_negotiated(struct hvk_ic *ic)
{
	hvk_dreq_create_dev(ic->priv, "hv_vss", "vss", &vss_devif_ops, ic->priv);
}

static enum hvk_ic_verdict vss_request(struct hvk_ic *ic, struct hvk_ic_hdr *h, u8 *body, u32 len)
{
	struct hvk_vss_msg m = {};
	u32 flags = 0;
	int ret;
	u8 op;

	if (len < sizeof(m)) {
		atomic_long_inc(&ic->bad);
		ic_err(ic, "request of %u bytes, shorter than a VSS message\n", len);
		h->status = HVK_E_FAIL;
		return HVK_IC_ANSWER;
	}
	op = body[0];
	switch (hvk_vss_route(op)) {
	case HVK_VSS_DAEMON:
		m.vss_hdr.operation = op;
		ret = hvk_dreq_send(ic->priv, &m, sizeof(m), op == HVK_VSS_OP_FREEZE ?
				    READ_ONCE(vss_freeze_timeout) : READ_ONCE(vss_timeout));
		if (!ret)
			return HVK_IC_PENDING;
		dev_warn_ratelimited(&ic->hdev->dev, "vss: %s failed: %s\n", hvk_vss_op_name(op),
				     ret == -ENOTCONN ? "no daemon has registered" :
				     "the daemon has not read the previous request");
		h->status = HVK_E_FAIL;
		return HVK_IC_ANSWER;
	case HVK_VSS_GUEST:
		if (op == HVK_VSS_OP_GET_DM_INFO)
			memcpy(body + offsetof(struct hvk_vss_msg, dm_info_flags), &flags,
			       sizeof(flags));
		h->status = HVK_S_OK;
		return HVK_IC_ANSWER;
	case HVK_VSS_UNKNOWN:
		break;
	}
	atomic_long_inc(&ic->bad);
	ic_err(ic, "unknown operation %u refused\n", op);
	h->status = HVK_E_FAIL;
	return HVK_IC_ANSWER;
}

static void vss_remove(struct hvk_ic *ic)
{
	struct hvk_dreq *r = ic->priv;

	if (!r)
		return;
	hvk_dreq_stop(r);
	kfree(r);
	ic->priv = NULL;
}

const struct hvk_ic_service hvk_ic_vss = {
	.name = "vss",
	.msgtype = HVK_ICMSG_VSS,
	.fw_versions = vss_fw,
	.nfw = ARRAY_SIZE(vss_fw),
	.srv_versions = vss_srv,
	.nsrv = ARRAY_SIZE(vss_srv),
	.init = vss_init,
	.negotiated = vss_negotiated,
	.request = vss_request,
	.remove = vss_remove,
};
