// SPDX-License-Identifier: GPL-2.0
/*
 * KVP (data exchange): the host reads and writes key-value pairs in the
 * guest's pools, and reads and sets an adapter's IP configuration. The
 * guest keeps nothing itself: each request goes to a daemon through
 * /dev/vmbus/hv_kvp with upstream's ABI and protocol (hv_kvp.c and
 * tools/hv/hv_kvp_daemon.c), so that upstream's hv_kvp_daemon serves it:
 *
 *   daemon: KVP_OP_REGISTER1 (or the legacy KVP_OP_REGISTER)
 *   kernel: the same op with its version string ("3.1")
 *   then per host request, one message each way: the kernel's converted
 *   request (UTF-8), the daemon's answer in the same struct, its status
 *   in the error field.
 *
 * kvp_wire.c checks and converts the messages; this file is the state
 * machine around the daemon, upstream's HVUTIL_* states:
 *
 *   NO_DAEMON  (DEVICE_INIT)  no daemon registered: the host gets
 *                             HVK_E_FAIL at once
 *   READY      (READY)        a daemon registered and owes nothing
 *   QUEUED     (HOSTMSG_RECEIVED) a request waits for the device: the
 *                             daemon has not yet read its registration
 *                             answer (retried every KVP_RETRY_MS)
 *   WAITING    (USERSPACE_REQ) the daemon has the request; it has
 *                             kvp_timeout_ms from the host's request
 *   LATE       the daemon missed its deadline (the host got HVK_E_FAIL):
 *                             its next write is refused with -EINVAL and
 *                             puts it back in step (READY); upstream's
 *                             daemon then reopens the device and
 *                             registers again. Host requests meanwhile
 *                             get HVK_E_FAIL at once, so that a late
 *                             answer is never taken for the next request.
 *
 * The daemon's close (or death) fails a request it holds and returns to
 * NO_DAEMON; the next opener registers afresh. docs/util.md says what the
 * host sees in each case.
 */
#include <linux/completion.h>
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <hvkit/ic_kvp.h>
#include "util.h"

static uint kvp_timeout_ms = HVK_IC_DAEMON_TIMEOUT * 1000;
module_param(kvp_timeout_ms, uint, 0644);
MODULE_PARM_DESC(kvp_timeout_ms,
		 "KVP: how long the daemon has to answer a host request (default 30000 ms, upstream's HV_UTIL_TIMEOUT)");

/* A request waiting for the daemon to take its registration answer. */
#define KVP_RETRY_MS		10
#define KVP_MAX_TIMEOUT_MS	600000

/*
 * There is one /dev/vmbus/hv_kvp: Hyper-V offers one KVP device, and a
 * second would collide with the first's name. A second device's requests
 * fail as with no daemon.
 */
static DEFINE_MUTEX(kvp_dev_lock);
static bool kvp_dev_taken;	/* under kvp_dev_lock */

static const u32 kvp_fw[] = { HVK_IC_FW_3_0, HVK_IC_FW_1_0 };
static const u32 kvp_srv[] = { HVK_IC_KVP_4_0, HVK_IC_KVP_3_0, HVK_IC_KVP_1_0 };

enum kvp_state {
	KVP_NO_DAEMON,
	KVP_READY,
	KVP_QUEUED,
	KVP_WAITING,
	KVP_LATE,
};

struct hvk_kvp {
	struct hvk_ic *ic;
	/*
	 * Makes the char device once the channel negotiated, outside
	 * ic->lock (misc_register() takes misc_mtx, and open() takes the
	 * device's lock under misc_mtx, then ours: ic->lock must not come
	 * first). created completes once dev is set.
	 */
	struct work_struct create;
	struct completion created;
	/* The daemon's deadline, and resends while the device is busy. */
	struct delayed_work tick;
	/* ic->lock protects everything below. */
	struct hvk_devif *dev;		/* NULL: none (yet, or any more) */
	enum kvp_state state;
	u8 reg_op;			/* how the daemon registered */
	u8 op;				/* the request the daemon holds */
	unsigned long deadline;		/* jiffies: the daemon's answer is due */
	struct hvk_kvp_msg msg;		/* the message for the daemon */
};

static const char *const kvp_state_names[] = {
	[KVP_NO_DAEMON] = "no daemon",
	[KVP_READY] = "ready",
	[KVP_QUEUED] = "queued",
	[KVP_WAITING] = "waiting for the daemon",
	[KVP_LATE] = "the daemon is late",
};

static unsigned long kvp_timeout(void)
{
	return msecs_to_jiffies(clamp_val(READ_ONCE(kvp_timeout_ms), 1, KVP_MAX_TIMEOUT_MS));
}

/*
 * Hand the converted request to the daemon. Under ic->lock, in QUEUED.
 * Returns false when the request must fail now.
 */
static bool kvp_send(struct hvk_kvp *kvp)
{
	struct hvk_ic *ic = kvp->ic;
	unsigned long now = jiffies;
	int ret;

	ret = kvp->dev ? hvk_devif_send(kvp->dev, &kvp->msg, sizeof(kvp->msg)) : -ENODEV;
	if (!ret) {
		kvp->state = KVP_WAITING;
		mod_delayed_work(system_wq, &kvp->tick,
				 time_after(kvp->deadline, now) ? kvp->deadline - now : 0);
		return true;
	}
	if (ret == -EBUSY && time_before(now, kvp->deadline)) {
		mod_delayed_work(system_wq, &kvp->tick, msecs_to_jiffies(KVP_RETRY_MS));
		return true;
	}
	ic_err(ic, "%s cannot reach the daemon (%d): the host gets E_FAIL\n",
	       hvk_kvp_op_name(kvp->op), ret);
	kvp->state = ret == -ENODEV ? KVP_NO_DAEMON : KVP_READY;
	return false;
}

/* The deadline, and resends of a QUEUED request. */
static void kvp_tick(struct work_struct *work)
{
	struct hvk_kvp *kvp = container_of(to_delayed_work(work), struct hvk_kvp, tick);
	struct hvk_ic *ic = kvp->ic;
	bool fail = false;

	mutex_lock(&ic->lock);
	if (kvp->state == KVP_QUEUED) {
		fail = !kvp_send(kvp);
	} else if (kvp->state == KVP_WAITING) {
		if (time_after_eq(jiffies, kvp->deadline)) {
			ic_err(ic, "the daemon did not answer %s in time: the host gets E_FAIL\n",
			       hvk_kvp_op_name(kvp->op));
			kvp->state = KVP_LATE;
			fail = true;
		} else {
			mod_delayed_work(system_wq, &kvp->tick, kvp->deadline - jiffies);
		}
	}
	mutex_unlock(&ic->lock);
	if (fail)
		hvk_ic_respond(ic, HVK_E_FAIL);
}

static enum hvk_ic_verdict kvp_request(struct hvk_ic *ic, struct hvk_ic_hdr *h, u8 *body,
				       u32 len)
{
	struct hvk_kvp *kvp = ic->priv;
	const char *why;

	if (hvk_kvp_from_host(body, len, ic->srv_ver, &kvp->msg, &why)) {
		atomic_long_inc(&ic->bad);
		ic_err(ic, "request refused: %s (operation %u, pool %u, %u bytes)\n", why,
		       len > 0 ? body[0] : 0, len > 1 ? body[1] : 0, len);
		h->status = HVK_E_FAIL;
		return HVK_IC_ANSWER;
	}
	if (kvp->state != KVP_READY) {
		dev_dbg(&ic->hdev->dev, "kvp: %s failed: %s\n",
			hvk_kvp_op_name(kvp->msg.kvp_hdr.operation), kvp_state_names[kvp->state]);
		h->status = HVK_E_FAIL;
		return HVK_IC_ANSWER;
	}
	kvp->op = kvp->msg.kvp_hdr.operation;
	kvp->state = KVP_QUEUED;
	kvp->deadline = jiffies + kvp_timeout();
	if (!kvp_send(kvp)) {
		h->status = HVK_E_FAIL;
		return HVK_IC_ANSWER;
	}
	return HVK_IC_PENDING;
}

/* A whole message the daemon wrote: its registration, or an answer. */
static int kvp_on_msg(void *ctx, const void *data, u32 len)
{
	struct hvk_kvp *kvp = ctx;
	struct hvk_ic *ic = kvp->ic;
	const struct hvk_kvp_msg *m = data;
	const char *why = NULL;
	u32 status = 0, blen;
	bool answer = false;
	int ret = 0;
	u8 *body;

	if (len < sizeof(*m))
		return -EINVAL;
	wait_for_completion(&kvp->created);
	mutex_lock(&ic->lock);
	switch (kvp->state) {
	case KVP_NO_DAEMON:
		ret = hvk_kvp_handshake(m, len);
		if (ret < 0) {
			ic_err(ic, "incompatible daemon: it registers with operation %u\n",
			       m->kvp_hdr.operation);
			break;
		}
		kvp->reg_op = ret;
		hvk_kvp_register_reply(&kvp->msg, kvp->reg_op);
		ret = kvp->dev ? hvk_devif_send(kvp->dev, &kvp->msg, sizeof(kvp->msg)) : -ENODEV;
		if (ret)
			break;
		kvp->state = KVP_READY;
		if (kvp->reg_op == HVK_KVP_OP_REGISTER)
			ic_info(ic, "a legacy daemon registered: IP injection is not available\n");
		else
			ic_info(ic, "the daemon registered\n");
		break;
	case KVP_WAITING:
		body = hvk_ic_pending_body(ic, &blen);
		status = body ? hvk_kvp_to_host(m, kvp->op, kvp->reg_op == HVK_KVP_OP_REGISTER,
						body, blen, &why) : HVK_E_FAIL;
		if (why)
			ic_err(ic, "%s: %s: the host gets E_FAIL\n", hvk_kvp_op_name(kvp->op), why);
		kvp->state = KVP_READY;
		answer = true;
		break;
	case KVP_LATE:
		ic_err(ic, "the daemon's late answer to %s is refused\n", hvk_kvp_op_name(kvp->op));
		kvp->state = KVP_READY;
		ret = -EINVAL;
		break;
	default:	/* READY, QUEUED: nothing was asked */
		ret = -EINVAL;
		break;
	}
	mutex_unlock(&ic->lock);
	if (answer) {
		cancel_delayed_work(&kvp->tick);
		hvk_ic_respond(ic, status);
	}
	return ret;
}

/* The daemon closed the device, or died: fail what it held. */
static void kvp_on_reset(void *ctx)
{
	struct hvk_kvp *kvp = ctx;
	struct hvk_ic *ic = kvp->ic;
	bool fail;

	mutex_lock(&ic->lock);
	fail = kvp->state == KVP_QUEUED || kvp->state == KVP_WAITING;
	if (fail)
		ic_err(ic, "the daemon went away during %s: the host gets E_FAIL\n",
		       hvk_kvp_op_name(kvp->op));
	kvp->state = KVP_NO_DAEMON;
	mutex_unlock(&ic->lock);
	if (fail)
		hvk_ic_respond(ic, HVK_E_FAIL);
}

static const struct hvk_devif_ops kvp_devif_ops = {
	.on_msg = kvp_on_msg,
	.on_reset = kvp_on_reset,
};

static void kvp_create(struct work_struct *work)
{
	struct hvk_kvp *kvp = container_of(work, struct hvk_kvp, create);
	struct hvk_ic *ic = kvp->ic;
	struct hvk_devif *d = NULL;

	mutex_lock(&kvp_dev_lock);
	if (kvp_dev_taken) {
		dev_err(&ic->hdev->dev, "kvp: a second KVP device gets no /dev/vmbus/hv_kvp\n");
	} else {
		d = hvk_devif_create("hv_kvp", "kvp", &kvp_devif_ops, kvp, &ic->hdev->dev);
		if (IS_ERR(d)) {
			dev_err(&ic->hdev->dev, "kvp: cannot create /dev/vmbus/hv_kvp (%ld)\n",
				PTR_ERR(d));
			d = NULL;
		}
		kvp_dev_taken = d;
	}
	mutex_unlock(&kvp_dev_lock);
	mutex_lock(&ic->lock);
	kvp->dev = d;
	mutex_unlock(&ic->lock);
	complete_all(&kvp->created);
}

static int kvp_init(struct hvk_ic *ic)
{
	struct hvk_kvp *kvp = kzalloc(sizeof(*kvp), GFP_KERNEL);

	if (!kvp)
		return -ENOMEM;
	kvp->ic = ic;
	kvp->state = KVP_NO_DAEMON;
	INIT_WORK(&kvp->create, kvp_create);
	INIT_DELAYED_WORK(&kvp->tick, kvp_tick);
	init_completion(&kvp->created);
	ic->priv = kvp;
	return 0;
}

/* From the IC's work: the device appears once the channel works. */
static void kvp_negotiated(struct hvk_ic *ic)
{
	struct hvk_kvp *kvp = ic->priv;

	queue_work(system_wq, &kvp->create);
}

static void kvp_remove(struct hvk_ic *ic)
{
	struct hvk_kvp *kvp = ic->priv;
	struct hvk_devif *d;
	bool fail;

	cancel_work_sync(&kvp->create);
	mutex_lock(&ic->lock);
	d = kvp->dev;
	kvp->dev = NULL;
	fail = kvp->state == KVP_QUEUED || kvp->state == KVP_WAITING;
	kvp->state = KVP_NO_DAEMON;
	mutex_unlock(&ic->lock);
	/* No daemon callback runs once this returns. */
	if (d) {
		hvk_devif_destroy(d);
		mutex_lock(&kvp_dev_lock);
		kvp_dev_taken = false;
		mutex_unlock(&kvp_dev_lock);
	}
	cancel_delayed_work_sync(&kvp->tick);
	if (fail)
		hvk_ic_respond(ic, HVK_E_FAIL);
	/*
	 * The daemon's last answer (or the line above) may have queued the
	 * IC's work after the framework stopped it: whatever it serves now
	 * fails at once (NO_DAEMON), and then it must be gone before kvp is.
	 */
	cancel_work_sync(&ic->work);
	ic->priv = NULL;
	kfree(kvp);
}

const struct hvk_ic_service hvk_ic_kvp = {
	.name = "kvp",
	.msgtype = HVK_ICMSG_KVPEXCHANGE,
	.fw_versions = kvp_fw,
	.nfw = ARRAY_SIZE(kvp_fw),
	.srv_versions = kvp_srv,
	.nsrv = ARRAY_SIZE(kvp_srv),
	.init = kvp_init,
	.negotiated = kvp_negotiated,
	.request = kvp_request,
	.remove = kvp_remove,
};
