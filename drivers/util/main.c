// SPDX-License-Identifier: GPL-2.0
/*
 * hvkit_utils: the IC framework. One VMBus driver serves every IC class;
 * each device gets a struct hvk_ic that opens the channel and serves the
 * host's requests one at a time in a work item:
 *
 *   NEGOTIATE      answered here (hvk_ic_negotiate(), upstream's rules)
 *   the service's  handed to its request(), answered now or later
 *   anything else  answered with HVK_E_FAIL, counted, logged (ratelimited)
 *
 * A request that does not hold its headers is dropped (there is nothing
 * to answer with) and counted. Nothing the host sends is trusted.
 */
#include <linux/module.h>
#include <linux/slab.h>
#include "util.h"

/* upstream's HV_UTIL_RING_{SEND,RECV}_SIZE: 3 pages of data and the control page */
#define HVK_IC_RING_BYTES	(4 * PAGE_SIZE)
/* How long an answer waits for room in a full outbound ring, in seconds. */
#define HVK_IC_SPACE_WAIT	5

/* Send the request in ic->buf back as its answer. Caller holds ic->lock. */
static int hvk_ic_send_answer(struct hvk_ic *ic, u32 len)
{
	struct hvk_ic_hdr *h = (void *)(ic->buf + sizeof(struct hvk_ic_pipe_hdr));
	int ret;

	h->icflags = HVK_ICFLAG_TRANSACTION | HVK_ICFLAG_RESPONSE;
	if (h->status != HVK_S_OK)
		atomic_long_inc(&ic->failed);
	ret = hvk_channel_send(ic->ch, ic->buf, len, ic->trans_id, HVK_PKT_DATA_INBAND, 0);
	if (ret == -EAGAIN) {
		/*
		 * The outbound ring is full: the host may answer-then-free,
		 * so the space of our previous answer (file copy's are 6 KiB
		 * of a 12 KiB ring) can still be taken when the next request
		 * comes. Wait for the host's signal (docs/driver-api.md).
		 */
		u32 need = sizeof(struct hvk_pkt_desc) + len;
		unsigned long left = HVK_IC_SPACE_WAIT * HZ;

		hvk_channel_set_pending_send(ic->ch, need);
		ret = hvk_channel_send(ic->ch, ic->buf, len, ic->trans_id, HVK_PKT_DATA_INBAND, 0);
		while (ret == -EAGAIN && left) {
			left = wait_event_timeout(ic->space_wq,
						  hvk_channel_out_avail(ic->ch) >= need, left);
			ret = hvk_channel_send(ic->ch, ic->buf, len, ic->trans_id,
					       HVK_PKT_DATA_INBAND, 0);
		}
		hvk_channel_set_pending_send(ic->ch, 0);
	}
	if (ret)
		ic_err(ic, "cannot answer the host (%d)\n", ret);
	return ret;
}

/* Serve one packet in ic->buf (ic->len bytes of payload). Under ic->lock. */
static void hvk_ic_serve(struct hvk_ic *ic)
{
	const struct hvk_ic_service *svc = ic->svc;
	struct hvk_ic_hdr *h;
	const char *why;
	u32 body_len, len;
	int ret;

	atomic_long_inc(&ic->requests);
	h = (struct hvk_ic_hdr *)hvk_ic_parse(ic->buf, ic->len, &body_len, &why);
	if (!h) {
		atomic_long_inc(&ic->bad);
		ic_err(ic, "request dropped: %s (%u bytes)\n", why, ic->len);
		return;
	}
	if (h->icmsgtype == HVK_ICMSG_NEGOTIATE) {
		u32 fw, srv;

		ret = hvk_ic_negotiate(ic->buf, ic->len, svc->fw_versions, svc->nfw,
				       svc->srv_versions, svc->nsrv, &fw, &srv, &len);
		if (ret == -EBADMSG) {
			atomic_long_inc(&ic->bad);
			ic_err(ic, "malformed version negotiation (%u bytes)\n", ic->len);
		} else if (ret) {
			ic_err(ic, "the host offers no version this guest speaks\n");
		} else if (fw != ic->fw_ver || srv != ic->srv_ver) {
			ic_info(ic, "framework %u.%u, service %u.%u\n", HVK_IC_MAJOR(fw),
				HVK_IC_MINOR(fw), HVK_IC_MAJOR(srv), HVK_IC_MINOR(srv));
		}
		if (len)
			hvk_ic_send_answer(ic, len);
		if (!ret) {
			ic->fw_ver = fw;
			ic->srv_ver = srv;
			/* negotiated() runs from the work, without ic->lock. */
			if (!ic->announced && svc->negotiated)
				ic->announce = true;
		}
		return;
	}
	h->icflags = HVK_ICFLAG_TRANSACTION | HVK_ICFLAG_RESPONSE;
	if (!ic->srv_ver || h->icmsgtype != svc->msgtype) {
		atomic_long_inc(&ic->bad);
		ic_err(ic, "request of type %u refused%s\n", h->icmsgtype,
		       ic->srv_ver ? "" : ": no version negotiated yet");
		h->status = HVK_E_FAIL;
		hvk_ic_send_answer(ic, ic->len);
		return;
	}
	ic->pending = true;
	if (svc->request(ic, h, ic->buf + HVK_IC_HDRS, body_len) == HVK_IC_PENDING)
		return;
	ic->pending = false;
	hvk_ic_send_answer(ic, ic->len);
}

/* Read and serve requests until the ring is empty or one is pending. */
static void hvk_ic_work(struct work_struct *work)
{
	struct hvk_ic *ic = container_of(work, struct hvk_ic, work);
	bool announce;
	int ret = 0;

	mutex_lock(&ic->lock);
	do {
		hvk_channel_drain_begin(ic->ch);
		while (!ic->pending && !ic->dead && ic->started && !ic->announce) {
			const struct hvk_pkt_desc *d = (const void *)ic->buf;
			u32 len, off;

			ret = hvk_channel_recv(ic->ch, ic->buf, HVK_IC_BUF_SIZE, &len);
			if (ret == -EMSGSIZE) {
				/* Too big for any IC: skip it by reading it whole. */
				u8 *big = kvmalloc(len, GFP_KERNEL);

				atomic_long_inc(&ic->bad);
				ic_err(ic, "packet of %u bytes dropped: too long for an IC\n", len);
				if (!big)
					break;
				ret = hvk_channel_recv(ic->ch, big, len, &len);
				kvfree(big);
				continue;
			}
			if (ret)
				break;
			off = d->offset8 * 8;
			if (d->type != HVK_PKT_DATA_INBAND) {
				atomic_long_inc(&ic->bad);
				ic_err(ic, "packet of type %u dropped\n", d->type);
				continue;
			}
			/* The payload first: IC answers are built in place. */
			ic->trans_id = d->trans_id;
			ic->len = len - off;
			memmove(ic->buf, ic->buf + off, ic->len);
			hvk_ic_serve(ic);
		}
		if (ret == -EBADMSG) {
			ic_err(ic, "the host corrupted the ring; the service stops\n");
			ic->dead = true;
		}
	} while (hvk_channel_drain_end(ic->ch) && !ic->pending && !ic->dead && ic->started &&
		 !ic->announce);
	announce = ic->announce && !ic->dead;
	ic->announce = false;
	ic->announced |= announce;
	mutex_unlock(&ic->lock);
	/*
	 * Not under ic->lock: negotiated() registers a char device, whose
	 * open and callbacks may answer the host (misc_mtx, then the
	 * device's locks, then ic->lock). Then on with the requests.
	 */
	if (announce) {
		ic->svc->negotiated(ic);
		queue_work(system_wq, &ic->work);
	}
}

static void hvk_ic_callback(void *ctx)
{
	struct hvk_ic *ic = ctx;

	wake_up(&ic->space_wq);
	queue_work(system_wq, &ic->work);
}

int hvk_ic_respond(struct hvk_ic *ic, u32 status)
{
	struct hvk_ic_hdr *h;
	int ret = 0;

	mutex_lock(&ic->lock);
	if (ic->dead) {
		ret = -ENODEV;
	} else if (!ic->pending) {
		ret = -ENOENT;
	} else {
		h = (void *)(ic->buf + sizeof(struct hvk_ic_pipe_hdr));
		h->status = status;
		ic->pending = false;
		hvk_ic_send_answer(ic, ic->len);
	}
	mutex_unlock(&ic->lock);
	if (!ret)
		queue_work(system_wq, &ic->work);	/* the next request */
	return ret;
}

u8 *hvk_ic_pending_body(struct hvk_ic *ic, u32 *len)
{
	lockdep_assert_held(&ic->lock);
	if (!ic->pending)
		return NULL;
	*len = ic->len - HVK_IC_HDRS;
	return ic->buf + HVK_IC_HDRS;
}

static ssize_t ic_stats_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct hvk_ic *ic = dev_get_drvdata(dev);

	return sysfs_emit(buf, "service=%s framework=%u.%u version=%u.%u requests=%ld bad=%ld failed=%ld\n",
			  ic->svc->name, HVK_IC_MAJOR(ic->fw_ver), HVK_IC_MINOR(ic->fw_ver),
			  HVK_IC_MAJOR(ic->srv_ver), HVK_IC_MINOR(ic->srv_ver),
			  atomic_long_read(&ic->requests), atomic_long_read(&ic->bad),
			  atomic_long_read(&ic->failed));
}
static DEVICE_ATTR_RO(ic_stats);

static struct attribute *hvk_ic_attrs[] = {
	&dev_attr_ic_stats.attr,
	NULL,
};
ATTRIBUTE_GROUPS(hvk_ic);

static int hvk_ic_probe(struct hvk_device *hdev, const struct hv_vmbus_device_id *id)
{
	const struct hvk_ic_service *svc = (const void *)id->driver_data;
	struct hvk_ic *ic;
	int ret;

	ic = kzalloc(sizeof(*ic), GFP_KERNEL);
	if (!ic)
		return -ENOMEM;
	ic->buf = kvmalloc(HVK_IC_BUF_SIZE, GFP_KERNEL);
	if (!ic->buf) {
		kfree(ic);
		return -ENOMEM;
	}
	ic->hdev = hdev;
	ic->ch = hdev->channel;
	ic->svc = svc;
	mutex_init(&ic->lock);
	init_waitqueue_head(&ic->space_wq);
	INIT_WORK(&ic->work, hvk_ic_work);
	dev_set_drvdata(&hdev->dev, ic);
	ret = svc->init ? svc->init(ic) : 0;
	if (ret)
		goto free;
	ret = hvk_channel_open(ic->ch, HVK_IC_RING_BYTES, HVK_IC_RING_BYTES, NULL, 0,
			       hvk_ic_callback, ic);
	if (ret) {
		dev_err(&hdev->dev, "%s: cannot open the channel (%d)\n", svc->name, ret);
		cancel_work_sync(&ic->work);
		mutex_lock(&ic->lock);
		ic->dead = true;
		mutex_unlock(&ic->lock);
		if (svc->remove)
			svc->remove(ic);
		goto free;
	}
	/*
	 * Only now can answers be sent. The host may have written its
	 * negotiation as soon as it opened the channel, and signalled then:
	 * look at the ring once more.
	 */
	mutex_lock(&ic->lock);
	ic->started = true;
	mutex_unlock(&ic->lock);
	queue_work(system_wq, &ic->work);
	return 0;
free:
	kvfree(ic->buf);
	kfree(ic);
	return ret;
}

static void hvk_ic_remove(struct hvk_device *hdev)
{
	struct hvk_ic *ic = dev_get_drvdata(&hdev->dev);

	/*
	 * No request is served from here on: dead stops the work, and a
	 * daemon's late hvk_ic_respond() finds it and queues nothing. Then
	 * the service drops what it owes and undoes what it made.
	 */
	hvk_channel_stop_callbacks(ic->ch);
	mutex_lock(&ic->lock);
	ic->dead = true;
	mutex_unlock(&ic->lock);
	cancel_work_sync(&ic->work);
	if (ic->svc->remove)
		ic->svc->remove(ic);
	hvk_channel_close(ic->ch);
	kvfree(ic->buf);
	kfree(ic);
}

#define HVK_IC_ID(g, svc) { .guid = { .b = g }, .driver_data = (kernel_ulong_t)&(svc) }

static const struct hv_vmbus_device_id hvk_ic_ids[] = {
	HVK_IC_ID(HVK_IC_GUID_HEARTBEAT, hvk_ic_heartbeat),
	HVK_IC_ID(HVK_IC_GUID_KVP, hvk_ic_kvp),
	HVK_IC_ID(HVK_IC_GUID_VSS, hvk_ic_vss),
	HVK_IC_ID(HVK_IC_GUID_FCOPY, hvk_ic_fcopy),
	HVK_IC_ID(HVK_IC_GUID_SHUTDOWN, hvk_ic_shutdown),
	HVK_IC_ID(HVK_IC_GUID_TIMESYNC, hvk_ic_timesync),
	{ },
};
MODULE_DEVICE_TABLE(vmbus, hvk_ic_ids);

static struct hvk_driver hvk_ic_driver = {
	.name = "hvkit_utils",
	.id_table = hvk_ic_ids,
	.probe = hvk_ic_probe,
	.remove = hvk_ic_remove,
	.driver = {
		.dev_groups = hvk_ic_groups,
	},
};

static int __init hvk_utils_init(void)
{
	return hvk_driver_register(&hvk_ic_driver);
}

static void __exit hvk_utils_exit(void)
{
	hvk_driver_unregister(&hvk_ic_driver);
}

module_init(hvk_utils_init);
module_exit(hvk_utils_exit);
MODULE_DESCRIPTION("hvkit integration services: heartbeat, shutdown, time sync, KVP, VSS, file copy");
MODULE_LICENSE("GPL");
