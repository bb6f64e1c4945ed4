// SPDX-License-Identifier: GPL-2.0
/*
 * File copy (guest services): the host copies a file into the guest in
 * START_FILE_COPY, WRITE_TO_FILE..., COMPLETE_FCOPY (or CANCEL_FCOPY)
 * requests, which the daemon (hv_fcopy_daemon) carries out. Upstream
 * replaced the char device with a uio client in 6.10; hvkit keeps
 * /dev/vmbus/hv_fcopy with the pre-6.10 ABI (hv_fcopy.c, 6.1) that Debian
 * 12's daemon speaks:
 *
 *   daemon -> kernel  int: its version, FCOPY_VERSION_0 or _1
 *   kernel -> daemon  u32 1 (FCOPY_CURRENT_VERSION), for version 1 only
 *   kernel -> daemon  the request, names in UTF-8 (include/hvkit/ic_fcopy.h)
 *   daemon -> kernel  int: the status for the host
 *
 * Every request is checked first (fcopy_wire.c); one that fails the
 * checks is answered E_FAIL and never reaches the daemon. The daemon has
 * fcopy_timeout seconds (upstream's HV_UTIL_TIMEOUT, 30) for each.
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <hvkit/ic_fcopy.h>
#include "dreq.h"

static unsigned int fcopy_timeout = HVK_IC_DAEMON_TIMEOUT;
module_param(fcopy_timeout, uint, 0644);
MODULE_PARM_DESC(fcopy_timeout, "file copy: seconds the daemon has for each request (default 30)");

static const u32 fcopy_fw[] = { HVK_IC_FW_3_0 };
static const u32 fcopy_srv[] = { HVK_IC_FCOPY_1_1 };

struct hvk_fcopy {
	struct hvk_dreq r;			/* first: the devif's ctx */
	union hvk_fcopy_daemon_msg out;		/* built under the IC's lock */
};

static int fcopy_init(struct hvk_ic *ic)
{
	struct hvk_fcopy *f;

	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	hvk_dreq_init(&f->r, ic, NULL);
	ic->priv = f;
	return 0;
}

/* The daemon's writes: its version, then one int status a request. */
static int fcopy_on_msg(void *ctx, const void *msg, u32 len)
{
	struct hvk_dreq *r = ctx;
	u32 ver = HVK_FCOPY_VERSION_1;
	struct hvk_devif *dev;
	s32 val;
	int ret = 0;

	if (len != sizeof(val))
		return -EINVAL;
	memcpy(&val, msg, sizeof(val));
	dev = hvk_dreq_dev(r);
	mutex_lock(&r->lock);
	if (!dev || r->stopped) {
		ret = -ENODEV;
	} else if (!r->registered) {
		/* The handshake, as upstream's fcopy_handle_handshake(). */
		if (val != HVK_FCOPY_VERSION_0 && val != HVK_FCOPY_VERSION_1)
			ret = -EINVAL;
		else if (val == HVK_FCOPY_VERSION_1 && hvk_devif_send(dev, &ver, sizeof(ver)))
			ret = -EFAULT;
		if (!ret) {
			/* Upstream leaves a version 0 daemon not ready; hvkit does not. */
			r->registered = true;
			dev_info_ratelimited(&r->ic->hdev->dev, "fcopy: daemon registered (version %d)\n",
					     val);
		}
	} else if (r->busy) {
		hvk_dreq_answer(r, (u32)val, 0);
	} else {
		ret = -EINVAL;	/* no request: a late answer, after the timeout */
	}
	mutex_unlock(&r->lock);
	return ret;
}

static void fcopy_on_reset(void *ctx)
{
	hvk_dreq_reset(ctx);
}

static const struct hvk_devif_ops fcopy_devif_ops = {
	.on_msg = fcopy_on_msg,
	.on_reset = fcopy_on_reset,
};

static void fcopy_negotiated(struct hvk_ic *ic)
{
	struct hvk_fcopy *f = ic->priv;

	hvk_dreq_create_dev(&f->r, "hv_fcopy", "fcopy", &fcopy_devif_ops, &f->r);
}

static enum hvk_ic_verdict fcopy_request(struct hvk_ic *ic, struct hvk_ic_hdr *h, u8 *body,
					 u32 len)
{
	struct hvk_fcopy *f = ic->priv;
	const char *why = NULL;
	u32 op = 0;
	int ret;

	ret = hvk_fcopy_to_daemon(body, len, &f->out, &why);
	if (ret < 0) {
		atomic_long_inc(&ic->bad);
		if (len >= sizeof(op))
			memcpy(&op, body, sizeof(op));
		ic_err(ic, "request refused (operation %u, %u bytes): %s\n", op, len, why);
		h->status = HVK_E_FAIL;
		return HVK_IC_ANSWER;
	}
	ret = hvk_dreq_send(&f->r, &f->out, ret, READ_ONCE(fcopy_timeout));
	if (!ret)
		return HVK_IC_PENDING;
	dev_warn_ratelimited(&ic->hdev->dev, "fcopy: %s failed: %s\n",
			     hvk_fcopy_op_name(f->out.hdr.operation),
			     ret == -ENOTCONN ? "no daemon has registered" :
			     "the daemon has not read the previous request");
	h->status = HVK_E_FAIL;
	return HVK_IC_ANSWER;
}

static void fcopy_remove(struct hvk_ic *ic)
{
	struct hvk_fcopy *f = ic->priv;

	if (!f)
		return;
	hvk_dreq_stop(&f->r);
	kfree(f);
	ic->priv = NULL;
}

const struct hvk_ic_service hvk_ic_fcopy = {
	.name = "fcopy",
	.msgtype = HVK_ICMSG_FCOPY,
	.fw_versions = fcopy_fw,
	.nfw = ARRAY_SIZE(fcopy_fw),
	.srv_versions = fcopy_srv,
	.nsrv = ARRAY_SIZE(fcopy_srv),
	.init = fcopy_init,
	.negotiated = fcopy_negotiated,
	.request = fcopy_request,
	.remove = fcopy_remove,
};
