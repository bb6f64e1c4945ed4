// SPDX-License-Identifier: GPL-2.0
/*
 * Requests that a daemon carries out (dreq.h): the char device, the
 * daemon's registration state, the timer, and the one answer the host is
 * owed for each request.
 */
#include <linux/jiffies.h>
#include "dreq.h"

/* A timeout parameter in seconds, kept from 1 s to a day. */
static unsigned long hvk_dreq_jiffies(unsigned int timeout_s)
{
	return clamp(timeout_s, 1U, 24U * 3600U) * HZ;
}

/* Answer the host with what it is owed, if anything. Process context. */
static void hvk_dreq_answer_owed(struct hvk_dreq *r)
{
	struct hvk_ic *ic = r->ic;
	u32 status, tag, len;
	bool owed;
	u8 *body;

	mutex_lock(&r->lock);
	owed = r->owed;
	r->owed = false;
	status = r->status;
	tag = r->tag;
	mutex_unlock(&r->lock);
	if (!owed)
		return;
	/* Nobody else answers now: busy and owed are both clear. */
	if (r->patch) {
		mutex_lock(&ic->lock);
		body = hvk_ic_pending_body(ic, &len);
		if (body)
			r->patch(body, len, tag);
		mutex_unlock(&ic->lock);
	}
	hvk_ic_respond(ic, status);
}

static void hvk_dreq_answer_work(struct work_struct *work)
{
	hvk_dreq_answer_owed(container_of(work, struct hvk_dreq, answer));
}

static void hvk_dreq_timeout(struct work_struct *work)
{
	struct hvk_dreq *r = container_of(to_delayed_work(work), struct hvk_dreq, timeout);

	mutex_lock(&r->lock);
	if (r->busy && time_before(jiffies, r->deadline)) {
		/* The timer of a request already answered ran late: re-arm. */
		mod_delayed_work(system_wq, &r->timeout, r->deadline - jiffies);
	} else if (r->busy) {
		dev_warn_ratelimited(&r->ic->hdev->dev,
				     "%s: timeout waiting for the daemon: the host gets E_FAIL\n",
				     r->ic->svc->name);
		hvk_dreq_answer(r, HVK_E_FAIL, 0);
	}
	mutex_unlock(&r->lock);
}

void hvk_dreq_init(struct hvk_dreq *r, struct hvk_ic *ic,
		   void (*patch)(u8 *body, u32 len, u32 tag))
{
	r->ic = ic;
	r->patch = patch;
	mutex_init(&r->lock);
	init_waitqueue_head(&r->dev_wq);
	INIT_DELAYED_WORK(&r->timeout, hvk_dreq_timeout);
	INIT_WORK(&r->answer, hvk_dreq_answer_work);
}

void hvk_dreq_create_dev(struct hvk_dreq *r, const char *name, const char *service,
			 const struct hvk_devif_ops *ops, void *ctx)
{
	struct hvk_devif *d;

	d = hvk_devif_create(name, service, ops, ctx, &r->ic->hdev->dev);
	if (IS_ERR(d)) {
		dev_err(&r->ic->hdev->dev, "%s: cannot create /dev/vmbus/%s (%ld): no daemon can serve it\n",
			r->ic->svc->name, name, PTR_ERR(d));
		return;
	}
	mutex_lock(&r->lock);
	WRITE_ONCE(r->dev, d);
	mutex_unlock(&r->lock);
	wake_up_all(&r->dev_wq);
}

struct hvk_devif *hvk_dreq_dev(struct hvk_dreq *r)
{
	wait_event(r->dev_wq, READ_ONCE(r->dev) || READ_ONCE(r->stopped));
	return READ_ONCE(r->dev);
}

int hvk_dreq_send(struct hvk_dreq *r, const void *msg, u32 len, unsigned int timeout_s)
{
	unsigned long t = hvk_dreq_jiffies(timeout_s);
	int ret;

	mutex_lock(&r->lock);
	if (r->stopped || !r->dev || !r->registered) {
		ret = -ENOTCONN;
	} else if (WARN_ON_ONCE(r->busy || r->owed)) {
		ret = -EBUSY;	/* the framework serves one request at a time */
	} else {
		ret = hvk_devif_send(r->dev, msg, len);
		if (!ret) {
			r->busy = true;
			r->deadline = jiffies + t;
			mod_delayed_work(system_wq, &r->timeout, t);
		}
	}
	mutex_unlock(&r->lock);
	return ret;
}

void hvk_dreq_answer(struct hvk_dreq *r, u32 status, u32 tag)
{
	lockdep_assert_held(&r->lock);
	r->busy = false;
	r->owed = true;
	r->status = status;
	r->tag = tag;
	cancel_delayed_work(&r->timeout);
	queue_work(system_wq, &r->answer);
}

void hvk_dreq_reset(struct hvk_dreq *r)
{
	mutex_lock(&r->lock);
	r->registered = false;
	if (r->busy) {
		dev_warn_ratelimited(&r->ic->hdev->dev,
				     "%s: the daemon went away during a request: the host gets E_FAIL\n",
				     r->ic->svc->name);
		hvk_dreq_answer(r, HVK_E_FAIL, 0);
	}
	mutex_unlock(&r->lock);
}

void hvk_dreq_stop(struct hvk_dreq *r)
{
	struct hvk_devif *d;

	mutex_lock(&r->lock);
	r->stopped = true;
	d = r->dev;
	WRITE_ONCE(r->dev, NULL);
	mutex_unlock(&r->lock);
	wake_up_all(&r->dev_wq);
	/* No on_msg() or on_reset() after this; a daemon reading gets -ENODEV. */
	hvk_devif_destroy(d);
	cancel_delayed_work_sync(&r->timeout);
	cancel_work_sync(&r->answer);
	mutex_lock(&r->lock);
	if (r->busy)
		hvk_dreq_answer(r, HVK_E_FAIL, 0);
	mutex_unlock(&r->lock);
	cancel_work_sync(&r->answer);
	hvk_dreq_answer_owed(r);
}
