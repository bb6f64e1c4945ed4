// SPDX-License-Identifier: GPL-2.0
/*
 * Channel messages from the host: checked by hvk_chanmsg_check() (type,
 * length, every index and count: the same code the host-side fuzzer
 * runs), then handled one at a time, in arrival order, on an ordered
 * workqueue.
 */
#include <linux/debugfs.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include "core.h"

/*
 * Test hook (debugfs hvkit_vmbus/fail_msg_alloc): the next N allocations of
 * a host message's buffer fail, as they may under memory pressure.
 */
static atomic_t hvk_fail_msg_alloc = ATOMIC_INIT(0);

struct hvk_msg_work *hvk_msg_alloc(gfp_t gfp)
{
	if (atomic_dec_if_positive(&hvk_fail_msg_alloc) >= 0)
		return NULL;
	return kmalloc(sizeof(struct hvk_msg_work), gfp);
}

static void hvk_msg_handle(struct work_struct *work)
{
	struct hvk_msg_work *w = container_of(work, struct hvk_msg_work, work);
	const struct hvk_chanmsg_hdr *hdr = (const void *)w->data;
	const char *why = hvk_chanmsg_check(w->data, w->len);
	u32 type;

	if (why) {
		pr_err_ratelimited("hvkit_vmbus: host message type %u of %u bytes dropped: %s\n",
				   w->len >= sizeof(*hdr) ? hdr->msgtype : 0, w->len, why);
		goto out;
	}
	type = hdr->msgtype;

	switch (type) {
	case HVK_CHANMSG_VERSION_RESPONSE:
	case HVK_CHANMSG_UNLOAD_RESPONSE:
	case HVK_CHANMSG_OPENCHANNEL_RESULT:
	case HVK_CHANMSG_GPADL_CREATED:
	case HVK_CHANMSG_GPADL_TORNDOWN:
	case HVK_CHANMSG_MODIFYCHANNEL_RESPONSE:
		if (!hvk_xact_reply(type, w->data, w->len))
			pr_err_ratelimited("hvkit_vmbus: host sent message type %u that nothing asked for, dropped\n",
					   type);
		break;
	case HVK_CHANMSG_ALLOFFERS_DELIVERED:
		complete(&hvk_conn.offers_done);
		break;
	case HVK_CHANMSG_OFFERCHANNEL:
		hvk_chan_offer((const struct hvk_msg_offer *)w->data);
		break;
	case HVK_CHANMSG_RESCIND_CHANNELOFFER:
		hvk_chan_rescind(((const struct hvk_msg_relid *)w->data)->child_relid);
		break;
	default:
		pr_warn_ratelimited("hvkit_vmbus: host message type %u is not handled yet, dropped\n",
				    type);
		break;
	}
out:
	kfree(w);
}

/*
 * Interrupts disabled: copy the slot's message into @w (or a buffer
 * allocated here when @w is NULL) and queue it. -ENOMEM: no buffer, and
 * the message must stay in the slot. 0: the slot may be freed; a message
 * that is not a valid SynIC channel message was dropped, and @w with it.
 */
int hvk_msg_receive(const struct hvk_hv_message *slot, struct hvk_msg_work *w)
{
	u32 len = READ_ONCE(slot->payload_size);

	if (READ_ONCE(slot->message_type) != HVK_HVMSG_CHANNEL) {
		pr_err_ratelimited("hvkit_vmbus: SynIC message type %#x is not a channel message, dropped\n",
				   slot->message_type);
		kfree(w);
		return 0;
	}
	if (len > HVK_MESSAGE_PAYLOAD) {
		pr_err_ratelimited("hvkit_vmbus: SynIC message of %u bytes exceeds %u, dropped\n",
				   len, HVK_MESSAGE_PAYLOAD);
		kfree(w);
		return 0;
	}
	if (!w)
		w = hvk_msg_alloc(GFP_ATOMIC);
	if (!w) {
		/* A lost OFFER or RESCIND would be lost for good: keep the slot. */
		pr_warn_ratelimited("hvkit_vmbus: no memory for a host message; it waits in its slot\n");
		return -ENOMEM;
	}
	INIT_WORK(&w->work, hvk_msg_handle);
	w->len = len;
	memcpy(w->data, slot->payload, len);
	queue_work(hvk_conn.msg_wq, &w->work);
	return 0;
}

static struct dentry *hvk_debugfs;

void hvk_msg_debugfs_init(void)
{
	hvk_debugfs = debugfs_create_dir("hvkit_vmbus", NULL);
	debugfs_create_atomic_t("fail_msg_alloc", 0600, hvk_debugfs, &hvk_fail_msg_alloc);
}

void hvk_msg_debugfs_exit(void)
{
	debugfs_remove_recursive(hvk_debugfs);
}
