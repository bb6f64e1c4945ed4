// SPDX-License-Identifier: GPL-2.0
/*
 * hvkit_echo: the guest driver of hvkit_sim's echo device. It sends
 * packets, takes them back and checks every byte, on a test's command:
 *
 *   echo "COUNT SIZE" > /sys/bus/vmbus/devices/<id>/echo_test
 *   cat /sys/bus/vmbus/devices/<id>/echo_test   # "ok count=.. size=.. ns=.."
 *   echo SIZE > .../gpadl_test                  # the host checks a GPADL
 *
 * It is the workload of the VMBus core's tests and benchmarks.
 */
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/wait.h>
#include <hvkit/echo.h>
#include "hvk_vmbus.h"

static uint ring_kb = 256;
module_param(ring_kb, uint, 0444);
MODULE_PARM_DESC(ring_kb, "size of each ring in KiB, control page included (default 256)");

#define ECHO_TIMEOUT	(30 * HZ)

struct echo {
	struct hvk_device *hdev;
	struct hvk_channel *ch;
	struct work_struct rx_work;
	wait_queue_head_t wq;
	u8 *rxbuf;

	/* test_lock: one test at a time; it protects the fields below it. */
	struct mutex test_lock;
	u32 size;			/* payload of the running test */
	u64 received;			/* replies that checked out */
	bool bad;			/* a reply did not */
	char why[96];
	struct hvk_echo_gpadl_check chk;	/* GPADL check reply */
	bool chk_done;
	char result[160];
};

static u8 echo_byte(u64 seq, u32 i)
{
	return hvk_echo_pattern((u32)seq * 131, i);
}

static void echo_fail(struct echo *e, const char *why)
{
	if (!e->bad)
		strscpy(e->why, why, sizeof(e->why));
	WRITE_ONCE(e->bad, true);
}

static void echo_check(struct echo *e, const u8 *pkt, u32 len)
{
	const struct hvk_pkt_desc *d = (const void *)pkt;
	u32 off = d->offset8 * 8, i;
	struct hvk_echo_hdr hdr;
	u64 seq;

	if (hvk_rqst_take(e->ch, d->trans_id, &seq)) {
		dev_err_ratelimited(&e->hdev->dev, "reply with transaction id %llu that is not in flight\n",
				    d->trans_id);
		echo_fail(e, "reply with an unknown transaction id");
		return;
	}
	if (len - off < sizeof(hdr)) {
		echo_fail(e, "reply shorter than its header");
		return;
	}
	memcpy(&hdr, pkt + off, sizeof(hdr));
	if (hdr.op == HVK_ECHO_GPADL_CHECK && len - off >= sizeof(e->chk)) {
		memcpy(&e->chk, pkt + off, sizeof(e->chk));
		WRITE_ONCE(e->chk_done, true);
		return;
	}
	off += sizeof(hdr);
	if (len - off < e->size) {
		echo_fail(e, "reply shorter than the packet sent");
		return;
	}
	for (i = 0; i < e->size; i++)
		if (pkt[off + i] != echo_byte(seq, i)) {
			echo_fail(e, "reply bytes differ from what was sent");
			return;
		}
	WRITE_ONCE(e->received, e->received + 1);
}

static void echo_rx_work(struct work_struct *work)
{
	struct echo *e = container_of(work, struct echo, rx_work);
	u32 len;
	int ret;

	do {
		hvk_channel_drain_begin(e->ch);
		while (!(ret = hvk_channel_recv(e->ch, e->rxbuf, HVK_PKT_MAX_LEN, &len)))
			echo_check(e, e->rxbuf, len);
		if (ret != -EAGAIN)
			echo_fail(e, "the inbound ring failed");
	} while (hvk_channel_drain_end(e->ch) && ret == -EAGAIN);
	wake_up(&e->wq);
}

/* Hard interrupt: the host signalled. */
static void echo_callback(void *ctx)
{
	struct echo *e = ctx;

	queue_work(system_highpri_wq, &e->rx_work);
}

/* The host took the channel away: whoever waits on it stops. */
static void echo_rescinded(void *ctx)
{
	struct echo *e = ctx;

	wake_up(&e->wq);
}

static int echo_run(struct echo *e, u64 count, u32 size)
{
	u32 len = sizeof(struct hvk_echo_hdr) + size;
	struct hvk_echo_hdr *hdr;
	u64 seq, id, seen;
	ktime_t start;
	u8 *buf;
	int ret = 0;
	u32 i;

	buf = kvmalloc(len, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	hdr = (void *)buf;
	hdr->op = HVK_ECHO_DATA;
	hdr->reserved = 0;
	e->size = size;
	e->received = 0;
	e->bad = false;
	start = ktime_get();
	for (seq = 0; seq < count && !ret; seq++) {
		for (i = 0; i < size; i++)
			buf[sizeof(*hdr) + i] = echo_byte(seq, i);
		ret = hvk_rqst_add(e->ch, seq, &id);
		if (ret)
			break;
		for (;;) {
			seen = READ_ONCE(e->received);
			ret = hvk_channel_send(e->ch, buf, len, id, HVK_PKT_DATA_INBAND, 0);
			if (ret != -EAGAIN)
				break;
			/* Full: wait for the host to move, then retry. */
			if (!wait_event_timeout(e->wq, READ_ONCE(e->received) != seen ||
						READ_ONCE(e->bad) || hvk_channel_rescinded(e->ch),
						ECHO_TIMEOUT)) {
				ret = -ETIMEDOUT;
				break;
			}
			if (READ_ONCE(e->bad) || hvk_channel_rescinded(e->ch)) {
				ret = -EIO;
				break;
			}
		}
		if (ret)
			hvk_rqst_take(e->ch, id, &seen);
	}
	if (!ret && !wait_event_timeout(e->wq, READ_ONCE(e->received) == count ||
					READ_ONCE(e->bad) || hvk_channel_rescinded(e->ch),
					ECHO_TIMEOUT))
		ret = -ETIMEDOUT;
	if (!ret && (e->bad || e->received != count))
		ret = -EIO;
	if (ret)
		snprintf(e->result, sizeof(e->result), "fail count=%llu size=%u received=%llu err=%d %s\n",
			 count, size, READ_ONCE(e->received), ret,
			 e->bad ? e->why : hvk_channel_rescinded(e->ch) ? "channel rescinded" : "");
	else
		snprintf(e->result, sizeof(e->result), "ok count=%llu size=%u ns=%lld\n",
			 count, size, ktime_to_ns(ktime_sub(ktime_get(), start)));
	kvfree(buf);
	return ret;
}

static ssize_t echo_test_store(struct device *dev, struct device_attribute *attr,
			       const char *buf, size_t n)
{
	struct echo *e = dev_get_drvdata(dev);
	unsigned long long count;
	u32 size;
	int ret;

	if (sscanf(buf, "%llu %u", &count, &size) != 2 || !count ||
	    size > HVK_PKT_MAX_LEN - sizeof(struct hvk_pkt_desc) - sizeof(struct hvk_echo_hdr))
		return -EINVAL;
	mutex_lock(&e->test_lock);
	ret = echo_run(e, count, size);
	mutex_unlock(&e->test_lock);
	return ret ?: n;
}

static ssize_t echo_test_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct echo *e = dev_get_drvdata(dev);
	ssize_t n;

	mutex_lock(&e->test_lock);
	n = sysfs_emit(buf, "%s", e->result[0] ? e->result : "none\n");
	mutex_unlock(&e->test_lock);
	return n;
}
static DEVICE_ATTR_RW(echo_test);

static int echo_gpadl_run(struct echo *e, u32 size)
{
	struct hvk_echo_gpadl_check chk = { .hdr.op = HVK_ECHO_GPADL_CHECK };
	struct hvk_gpadl g = {};
	u64 id;
	u8 *mem;
	u32 i;
	int ret;

	mem = vmalloc(size);
	if (!mem)
		return -ENOMEM;
	for (i = 0; i < size; i++)
		mem[i] = hvk_echo_pattern(size, i);
	ret = hvk_gpadl_create(e->ch, mem, size, &g);
	if (ret)
		goto out;
	chk.handle = g.handle;
	chk.size = size;
	chk.seed = size;
	e->chk_done = false;
	e->bad = false;
	ret = hvk_rqst_add(e->ch, 0, &id);
	if (!ret)
		ret = hvk_channel_send(e->ch, &chk, sizeof(chk), id, HVK_PKT_DATA_INBAND, 0);
	if (!ret && !wait_event_timeout(e->wq, READ_ONCE(e->chk_done) || READ_ONCE(e->bad) ||
					hvk_channel_rescinded(e->ch), ECHO_TIMEOUT))
		ret = -ETIMEDOUT;
	if (!ret && !e->chk_done)
		ret = -EIO;
	if (!ret && e->chk.status)
		ret = -EIO;
	if (hvk_gpadl_teardown(e->ch, &g) == -ETIMEDOUT) {
		dev_warn(&e->hdev->dev, "GPADL buffer of %u bytes leaked: host did not answer\n", size);
		mem = NULL;
	}
out:
	snprintf(e->result, sizeof(e->result), ret ? "fail gpadl size=%u err=%d status=%u\n" :
		 "ok gpadl size=%u\n", size, ret, e->chk.status);
	vfree(mem);
	return ret;
}

static ssize_t gpadl_test_store(struct device *dev, struct device_attribute *attr,
				const char *buf, size_t n)
{
	struct echo *e = dev_get_drvdata(dev);
	u32 size;
	int ret;

	if (kstrtou32(buf, 0, &size) || !size || !PAGE_ALIGNED(size))
		return -EINVAL;
	mutex_lock(&e->test_lock);
	ret = echo_gpadl_run(e, size);
	mutex_unlock(&e->test_lock);
	return ret ?: n;
}
static DEVICE_ATTR_WO(gpadl_test);

static struct attribute *echo_attrs[] = {
	&dev_attr_echo_test.attr,
	&dev_attr_gpadl_test.attr,
	NULL,
};
ATTRIBUTE_GROUPS(echo);

static int echo_probe(struct hvk_device *hdev, const struct hv_vmbus_device_id *id)
{
	u32 ring = ring_kb * 1024;
	struct echo *e;
	int ret;

	if (ring < 2 * PAGE_SIZE || !PAGE_ALIGNED(ring))
		return -EINVAL;
	e = kzalloc(sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	e->rxbuf = kvmalloc(HVK_PKT_MAX_LEN, GFP_KERNEL);
	if (!e->rxbuf) {
		kfree(e);
		return -ENOMEM;
	}
	e->hdev = hdev;
	e->ch = hdev->channel;
	INIT_WORK(&e->rx_work, echo_rx_work);
	init_waitqueue_head(&e->wq);
	mutex_init(&e->test_lock);
	dev_set_drvdata(&hdev->dev, e);
	hvk_channel_set_rescind_cb(e->ch, echo_rescinded, e);
	ret = hvk_channel_open(e->ch, ring, ring, NULL, 0, echo_callback, e);
	if (ret) {
		dev_err(&hdev->dev, "cannot open the echo channel (%d)\n", ret);
		kvfree(e->rxbuf);
		kfree(e);
		return ret;
	}
	return 0;
}

static void echo_remove(struct hvk_device *hdev)
{
	struct echo *e = dev_get_drvdata(&hdev->dev);

	hvk_channel_close(e->ch);	/* no callback after this */
	cancel_work_sync(&e->rx_work);
	kvfree(e->rxbuf);
	kfree(e);
}

static const struct hv_vmbus_device_id echo_ids[] = {
	{ .guid = { .b = { HVK_ECHO_CLASS_BYTES } } },
	{ },
};
MODULE_DEVICE_TABLE(vmbus, echo_ids);

static struct hvk_driver echo_driver = {
	.name = "hvkit_echo",
	.id_table = echo_ids,
	.probe = echo_probe,
	.remove = echo_remove,
	.driver = {
		.dev_groups = echo_groups,
	},
};

static int __init echo_init(void)
{
	return hvk_driver_register(&echo_driver);
}

static void __exit echo_exit(void)
{
	hvk_driver_unregister(&echo_driver);
}

module_init(echo_init);
module_exit(echo_exit);
MODULE_DESCRIPTION("hvkit echo device driver (test workload)");
MODULE_LICENSE("GPL");
