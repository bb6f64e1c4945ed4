// SPDX-License-Identifier: GPL-2.0
/*
 * Control requests that wait for a reply from the host. A request names
 * the reply's message type and a key (a relid or a GPADL handle); the host
 * message handler hands a reply to the request that matches both, so many
 * requests can be in flight at once, one per key.
 */
#include <linux/slab.h>
#include "core.h"

static LIST_HEAD(hvk_xacts);		/* protected by hvk_xact_lock */
static DEFINE_SPINLOCK(hvk_xact_lock);

#define HVK_XACT_TIMEOUT	(10 * HZ)

/* The key a reply of @type carries; every caller checked the length. */
static u32 hvk_reply_key(u32 type, const void *msg)
{
	switch (type) {
	case HVK_CHANMSG_OPENCHANNEL_RESULT:
		return ((const struct hvk_msg_open_result *)msg)->child_relid;
	case HVK_CHANMSG_GPADL_CREATED:
		return ((const struct hvk_msg_gpadl_created *)msg)->gpadl;
	case HVK_CHANMSG_GPADL_TORNDOWN:
		return ((const struct hvk_msg_gpadl_torndown *)msg)->gpadl;
	case HVK_CHANMSG_MODIFYCHANNEL_RESPONSE:
		return ((const struct hvk_msg_modifychannel_response *)msg)->child_relid;
	default:
		return 0;
	}
}

void hvk_xact_start(struct hvk_xact *x, u32 reply_type, u32 key, u32 relid)
{
	x->reply_type = reply_type;
	x->key = key;
	x->relid = relid;
	x->len = 0;
	x->err = 0;
	init_completion(&x->done);
	spin_lock_irq(&hvk_xact_lock);
	list_add_tail(&x->node, &hvk_xacts);
	spin_unlock_irq(&hvk_xact_lock);
}

/* The request was never posted: nothing will answer it. */
void hvk_xact_cancel(struct hvk_xact *x)
{
	spin_lock_irq(&hvk_xact_lock);
	list_del(&x->node);
	spin_unlock_irq(&hvk_xact_lock);
}

/*
 * hvk_xact_start() for a request about @ch: -ENODEV, and nothing started,
 * if the host rescinded @ch already; a rescind from now on fails the
 * request (hvk_xact_fail_relid()), so no request waits out its timeout
 * for a channel that is gone.
 */
int hvk_xact_start_chan(struct hvk_xact *x, u32 reply_type, u32 key, struct hvk_channel *ch)
{
	hvk_xact_start(x, reply_type, key, ch->relid);
	/* Pairs with the xchg that sets rescinded before hvk_xact_fail_relid(). */
	smp_mb();
	if (READ_ONCE(ch->rescinded)) {
		hvk_xact_cancel(x);
		return -ENODEV;
	}
	return 0;
}

int hvk_xact_wait(struct hvk_xact *x)
{
	int ret = 0;

	if (!wait_for_completion_timeout(&x->done, HVK_XACT_TIMEOUT))
		ret = -ETIMEDOUT;
	spin_lock_irq(&hvk_xact_lock);
	list_del(&x->node);
	if (!ret)
		ret = x->err;
	spin_unlock_irq(&hvk_xact_lock);
	return ret;
}

/* Send @msg, then wait for the reply; the reply lands in x->buf. */
int hvk_xact_send(struct hvk_xact *x, u32 conn_id, const void *msg, u32 len)
{
	int ret = hvk_post(conn_id, msg, len);

	if (ret) {
		hvk_xact_cancel(x);
		return ret;
	}
	return hvk_xact_wait(x);
}

/*
 * A request about @ch: hvk_xact_start_chan(), then hvk_xact_send(). A
 * channel rescinded before or while it waits fails it with -ENODEV.
 */
int hvk_xact_send_chan(struct hvk_xact *x, u32 reply_type, u32 key, struct hvk_channel *ch,
		       const void *msg, u32 len)
{
	int ret = hvk_xact_start_chan(x, reply_type, key, ch);

	return ret ?: hvk_xact_send(x, hvk_conn.msg_conn_id, msg, len);
}

/* A host reply; false when nothing waits for it. */
bool hvk_xact_reply(u32 type, const void *msg, u32 len)
{
	u32 key = hvk_reply_key(type, msg);
	struct hvk_xact *x;
	bool found = false;

	spin_lock_irq(&hvk_xact_lock);
	list_for_each_entry(x, &hvk_xacts, node) {
		if (x->reply_type != type || x->key != key || completion_done(&x->done))
			continue;
		x->len = min_t(u32, len, sizeof(x->buf));
		memcpy(x->buf, msg, x->len);
		complete(&x->done);
		found = true;
		break;
	}
	spin_unlock_irq(&hvk_xact_lock);
	return found;
}

/* The channel is gone: every request about it fails now. */
void hvk_xact_fail_relid(u32 relid, int err)
{
	struct hvk_xact *x;

	spin_lock_irq(&hvk_xact_lock);
	list_for_each_entry(x, &hvk_xacts, node) {
		if (x->relid != relid || completion_done(&x->done))
			continue;
		x->err = err;
		complete(&x->done);
	}
	spin_unlock_irq(&hvk_xact_lock);
}
