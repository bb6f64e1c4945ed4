// SPDX-License-Identifier: GPL-2.0
/*
 * hvkit_echo: the guest driver of hvkit_sim's echo device. It opens the
 * primary channel and every sub-channel the host offers, sends packets
 * round robin over them, takes them back and checks every byte, on a
 * test's command:
 *
 *   echo "COUNT SIZE" > /sys/bus/vmbus/devices/<id>/echo_test
 *   cat /sys/bus/vmbus/devices/<id>/echo_test   # "ok count=.. size=.. channels=.. ns=.."
 *   echo SIZE > .../gpadl_test                  # the host checks a GPADL
 *   echo "SIZE RANGES OFFSET" > .../gpa_test     # page buffers: host reads, writes
 *   echo SIZE > .../dma_test                     # the same through dma_map_sg()
 *   cat .../subchannels_at_probe                 # "N of M": open when probe returned
 *   cat .../callback_overlaps                    # one channel's callback on 2 CPUs at once
 *   echo "SIZE ALIGN" > .../mmio_test; echo free > .../mmio_test; cat .../mmio_test
 *
 * Like a disk or a NIC driver, its probe asks for sub-channels and waits
 * until every one the host promised is open. At shutdown it tells the
 * host (a disk would flush its cache there) and waits for the answer.
 *
 * It is the workload of the VMBus core's tests and benchmarks.
 */
#include <linux/dma-mapping.h>
#include <linux/ktime.h>
#include <linux/scatterlist.h>
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

static uint subchannels = HVK_MAX_SUBCHANNELS - 1;
module_param(subchannels, uint, 0444);
MODULE_PARM_DESC(subchannels, "sub-channels to ask the host for (default 63: all it has)");

#define ECHO_TIMEOUT	(30 * HZ)

struct echo;

struct echo_chan {
	struct echo *e;
	struct hvk_channel *ch;
	atomic_t in_callback;		/* callbacks running now: at most 1 */
	struct work_struct rx_work;
	u8 *rxbuf;
};

struct echo {
	struct hvk_device *hdev;
	wait_queue_head_t wq;

	/*
	 * test_lock: one test at a time, and the set of channels does not
	 * change under a test; it protects chans and the fields below it.
	 */
	struct mutex test_lock;
	struct echo_chan *chans[HVK_MAX_SUBCHANNELS];	/* by sub-channel index */
	u32 size;			/* payload of the running test */
	atomic64_t received;		/* replies that checked out */
	u64 waited;			/* sends that slept for the host's signal */
	bool bad;			/* a reply did not */
	char why[96];
	struct hvk_echo_gpadl_check chk;	/* GPADL check reply */
	bool chk_done;
	struct hvk_echo_gpa gpa;		/* GPA-direct reply */
	bool gpa_done;
	u32 sc_promised;		/* sub-channels the host will offer */
	bool sc_answered;		/* sc_promised is set (release/acquire) */
	atomic_t sc_open;		/* sub-channels open now */
	u32 sc_at_probe;		/* ... when probe returned */
	atomic_t cb_overlaps;		/* a callback found another one running */
	bool flushed;			/* the host answered the shutdown flush */
	struct resource *mmio[8];	/* mmio_test's pieces; test_lock */
	char result[200];
};

static u8 echo_byte(u64 seq, u32 i)
{
	return hvk_echo_pattern((u32)seq * 131, i);
}

static void echo_fail(struct echo *e, const char *why)
{
	if (!READ_ONCE(e->bad))
		strscpy(e->why, why, sizeof(e->why));
	WRITE_ONCE(e->bad, true);
}

static void echo_check(struct echo_chan *ec, const u8 *pkt, u32 len)
{
	const struct hvk_pkt_desc *d = (const void *)pkt;
	struct echo *e = ec->e;
	u32 off = d->offset8 * 8, i;
	struct hvk_echo_hdr hdr;
	u64 seq;

	if (hvk_rqst_take(ec->ch, d->trans_id, &seq)) {
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
	if (hdr.op == HVK_ECHO_GPA && len - off >= sizeof(e->gpa)) {
		memcpy(&e->gpa, pkt + off, sizeof(e->gpa));
		WRITE_ONCE(e->gpa_done, true);
		return;
	}
	if (hdr.op == HVK_ECHO_SUBCHANNELS && len - off >= sizeof(struct hvk_echo_subchannels)) {
		const struct hvk_echo_subchannels *sc = (const void *)(pkt + off);

		WRITE_ONCE(e->sc_promised, min_t(u32, sc->count, HVK_MAX_SUBCHANNELS - 1));
		smp_store_release(&e->sc_answered, true);
		return;
	}
	if (hdr.op == HVK_ECHO_FLUSH) {
		WRITE_ONCE(e->flushed, true);
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
	atomic64_inc(&e->received);
}

static void echo_rx_work(struct work_struct *work)
{
	struct echo_chan *ec = container_of(work, struct echo_chan, rx_work);
	u32 len;
	int ret;

	do {
		hvk_channel_drain_begin(ec->ch);
		while (!(ret = hvk_channel_recv(ec->ch, ec->rxbuf, HVK_PKT_MAX_LEN, &len)))
			echo_check(ec, ec->rxbuf, len);
		if (ret != -EAGAIN)
			echo_fail(ec->e, "the inbound ring failed");
	} while (hvk_channel_drain_end(ec->ch) && ret == -EAGAIN);
	wake_up(&ec->e->wq);
}

/*
 * The host signalled (the channel's tasklet): packets came in, or room in
 * the outbound ring that a sender asked for (hvk_channel_set_pending_send()).
 * Queue the drain, wake the senders to look again. The core never runs one
 * channel's callback on two CPUs at once; count it if it ever does.
 */
static void echo_callback(void *ctx)
{
	struct echo_chan *ec = ctx;

	if (atomic_inc_return(&ec->in_callback) != 1)
		atomic_inc(&ec->e->cb_overlaps);
	queue_work(system_highpri_wq, &ec->rx_work);
	wake_up(&ec->e->wq);
	atomic_dec(&ec->in_callback);
}

/* The host took a channel away: whoever waits on it stops. */
static void echo_rescinded(void *ctx)
{
	struct echo_chan *ec = ctx;

	wake_up(&ec->e->wq);
}

static struct echo_chan *echo_chan_open(struct echo *e, struct hvk_channel *ch)
{
	u32 ring = ring_kb * 1024;
	struct echo_chan *ec;
	int ret;

	ec = kzalloc(sizeof(*ec), GFP_KERNEL);
	if (!ec)
		return ERR_PTR(-ENOMEM);
	ec->rxbuf = kvmalloc(HVK_PKT_MAX_LEN, GFP_KERNEL);
	if (!ec->rxbuf) {
		kfree(ec);
		return ERR_PTR(-ENOMEM);
	}
	ec->e = e;
	ec->ch = ch;
	INIT_WORK(&ec->rx_work, echo_rx_work);
	hvk_channel_set_rescind_cb(ch, echo_rescinded, ec);
	ret = hvk_channel_open(ch, ring, ring, NULL, 0, echo_callback, ec);
	if (ret) {
		dev_err(&e->hdev->dev, "cannot open the echo channel (%d)\n", ret);
		cancel_work_sync(&ec->rx_work);	/* a signal may have come first */
		kvfree(ec->rxbuf);
		kfree(ec);
		return ERR_PTR(ret);
	}
	return ec;
}

static void echo_chan_close(struct echo_chan *ec)
{
	hvk_channel_stop_callbacks(ec->ch);
	cancel_work_sync(&ec->rx_work);	/* no reader left on the rings */
	hvk_channel_close(ec->ch);
	kvfree(ec->rxbuf);
	kfree(ec);
}

static void echo_sc_added(struct hvk_channel *sc, void *ctx)
{
	struct echo *e = ctx;
	u16 idx = hvk_channel_subidx(sc);
	struct echo_chan *ec;

	mutex_lock(&e->test_lock);
	if (!e->chans[idx]) {
		ec = echo_chan_open(e, sc);
		if (!IS_ERR(ec)) {
			e->chans[idx] = ec;
			atomic_inc(&e->sc_open);
		}
	}
	mutex_unlock(&e->test_lock);
	wake_up(&e->wq);
}

static void echo_sc_removed(struct hvk_channel *sc, void *ctx)
{
	struct echo *e = ctx;
	u16 idx = hvk_channel_subidx(sc);

	mutex_lock(&e->test_lock);
	if (e->chans[idx] && e->chans[idx]->ch == sc) {
		echo_chan_close(e->chans[idx]);
		e->chans[idx] = NULL;
		atomic_dec(&e->sc_open);
	}
	mutex_unlock(&e->test_lock);
}

static bool echo_any_rescinded(struct echo *e)
{
	unsigned int i;

	for (i = 0; i < HVK_MAX_SUBCHANNELS; i++)
		if (e->chans[i] && hvk_channel_rescinded(e->chans[i]->ch))
			return true;
	return false;
}

static int echo_send_once(struct echo_chan *ec, struct hvk_pkt_gpa_direct *gpa, u32 gpa_size,
			  const void *buf, u32 len, u64 id)
{
	return gpa ? hvk_channel_send_gpa(ec->ch, gpa, gpa_size, buf, len, id) :
		     hvk_channel_send(ec->ch, buf, len, id, HVK_PKT_DATA_INBAND, 0);
}

/*
 * Send one packet on @ec: in-band, or GPA-direct when @gpa (@gpa_size
 * bytes of ranges) is given. A full ring is waited out by flow control:
 * ask the host for a signal once the packet fits, try once more (room the
 * host made before it saw the request is never signalled), then sleep
 * until the channel's callback finds the room there. A reply coming back
 * says nothing about room: a host may answer a packet before it gives
 * that packet's space back.
 */
static int echo_send_gpa(struct echo *e, struct echo_chan *ec, struct hvk_pkt_gpa_direct *gpa,
			 u32 gpa_size, const void *buf, u32 len, u64 ctx)
{
	u32 need = (gpa ? gpa_size : sizeof(struct hvk_pkt_desc)) + len;
	u64 id, dummy;
	int ret;

	ret = hvk_rqst_add(ec->ch, ctx, &id);
	if (ret)
		return ret;
	ret = echo_send_once(ec, gpa, gpa_size, buf, len, id);
	if (ret == -EAGAIN) {
		hvk_channel_set_pending_send(ec->ch, need);
		while ((ret = echo_send_once(ec, gpa, gpa_size, buf, len, id)) == -EAGAIN) {
			e->waited++;
			if (!wait_event_timeout(e->wq, hvk_channel_out_avail(ec->ch) >= need ||
						READ_ONCE(e->bad) || echo_any_rescinded(e),
						ECHO_TIMEOUT)) {
				ret = -ETIMEDOUT;
				break;
			}
			if (READ_ONCE(e->bad) || echo_any_rescinded(e)) {
				ret = -EIO;
				break;
			}
		}
		hvk_channel_set_pending_send(ec->ch, 0);
	}
	if (ret)
		hvk_rqst_take(ec->ch, id, &dummy);
	return ret;
}

static int echo_send(struct echo *e, struct echo_chan *ec, const void *buf, u32 len, u64 ctx)
{
	return echo_send_gpa(e, ec, NULL, 0, buf, len, ctx);
}

/*
 * Send a request that has one reply, and wait for it: echo_check() stores
 * the reply and sets @done. -EIO: something failed on the way.
 */
static int echo_ask(struct echo *e, struct echo_chan *ec, struct hvk_pkt_gpa_direct *gpa,
		    u32 gpa_size, const void *req, u32 len, bool *done)
{
	int ret;

	WRITE_ONCE(*done, false);
	e->bad = false;
	ret = echo_send_gpa(e, ec, gpa, gpa_size, req, len, 0);
	if (!ret && !wait_event_timeout(e->wq, READ_ONCE(*done) || READ_ONCE(e->bad) ||
					hvk_channel_rescinded(ec->ch), ECHO_TIMEOUT))
		ret = -ETIMEDOUT;
	if (!ret && !READ_ONCE(*done))
		ret = -EIO;
	return ret;
}

/* Caller holds test_lock. */
static int echo_run(struct echo *e, u64 count, u32 size)
{
	u32 len = sizeof(struct hvk_echo_hdr) + size;
	struct echo_chan *open[HVK_MAX_SUBCHANNELS];
	unsigned int nopen = 0, i;
	struct hvk_echo_hdr *hdr;
	ktime_t start;
	u64 seq;
	u8 *buf;
	int ret = 0;

	for (i = 0; i < HVK_MAX_SUBCHANNELS; i++)
		if (e->chans[i])
			open[nopen++] = e->chans[i];
	if (!nopen)
		return -ENODEV;
	buf = kvmalloc(len, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	hdr = (void *)buf;
	hdr->op = HVK_ECHO_DATA;
	hdr->reserved = 0;
	e->size = size;
	atomic64_set(&e->received, 0);
	e->waited = 0;
	e->bad = false;
	start = ktime_get();
	for (seq = 0; seq < count && !ret; seq++) {
		for (i = 0; i < size; i++)
			buf[sizeof(*hdr) + i] = echo_byte(seq, i);
		ret = echo_send(e, open[seq % nopen], buf, len, seq);
	}
	if (!ret && !wait_event_timeout(e->wq, atomic64_read(&e->received) == count ||
					READ_ONCE(e->bad) || echo_any_rescinded(e), ECHO_TIMEOUT))
		ret = -ETIMEDOUT;
	if (!ret && (e->bad || atomic64_read(&e->received) != count))
		ret = -EIO;
	if (ret)
		snprintf(e->result, sizeof(e->result),
			 "fail count=%llu size=%u received=%lld waited=%llu err=%d %s\n", count,
			 size, atomic64_read(&e->received), e->waited, ret,
			 e->bad ? e->why : echo_any_rescinded(e) ? "channel rescinded" : "");
	else
		snprintf(e->result, sizeof(e->result),
			 "ok count=%llu size=%u channels=%u ns=%lld waited=%llu\n", count, size, nopen,
			 ktime_to_ns(ktime_sub(ktime_get(), start)), e->waited);
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

/* Caller holds test_lock. */
static int echo_gpadl_run(struct echo *e, u32 size)
{
	struct hvk_echo_gpadl_check chk = { .hdr.op = HVK_ECHO_GPADL_CHECK };
	struct echo_chan *ec = e->chans[0];
	struct hvk_gpadl g = {};
	u8 *mem;
	u32 i;
	int ret;

	if (!ec)
		return -ENODEV;
	mem = vmalloc(size);
	if (!mem)
		return -ENOMEM;
	for (i = 0; i < size; i++)
		mem[i] = hvk_echo_pattern(size, i);
	ret = hvk_gpadl_create(ec->ch, mem, size, &g);
	if (ret == -ETIMEDOUT) {
		/* The host may have the GPADL although it never said so. */
		hvk_leak_for_host(&e->hdev->dev, mem, size, "GPADL buffer");
		mem = NULL;
	}
	if (ret)
		goto out;
	chk.handle = g.handle;
	chk.size = size;
	chk.seed = size;
	ret = echo_ask(e, ec, NULL, 0, &chk, sizeof(chk), &e->chk_done);
	if (!ret && e->chk.status)
		ret = -EIO;
	if (hvk_gpadl_teardown(ec->ch, &g) == -ETIMEDOUT) {
		hvk_leak_for_host(&e->hdev->dev, mem, size, "GPADL buffer");
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

/* One GPA-direct request and its completion. Caller holds test_lock. */
static int echo_gpa_once(struct echo *e, struct echo_chan *ec, struct hvk_pkt_gpa_direct *desc,
			 u32 desc_size, u32 seed, bool write)
{
	struct hvk_echo_gpa req = { .hdr.op = HVK_ECHO_GPA, .seed = seed, .write = write };
	int ret = echo_ask(e, ec, desc, desc_size, &req, sizeof(req), &e->gpa_done);

	if (!ret && e->gpa.status != HVK_ECHO_GPA_OK)
		ret = -EIO;
	return ret;
}

/*
 * @size bytes from @offset into a buffer, cut into @nranges ranges of
 * (nearly) equal size: the host checks what the guest wrote there, then
 * writes its own pattern, which must land on exactly those bytes. Caller
 * holds test_lock.
 */
static int echo_gpa_run(struct echo *e, u32 size, u32 nranges, u32 offset)
{
	/* Each range touches at most two pages more than its bytes fill. */
	u32 room = size / HVK_HV_PAGE_SIZE + 2 * nranges;
	u32 desc_max = sizeof(struct hvk_pkt_gpa_direct) +
		       nranges * sizeof(struct hvk_gpa_range) + room * sizeof(u64);
	u32 total = offset + size + HVK_HV_PAGE_SIZE, dsz, i, chunk, at = 0;
	struct echo_chan *ec = e->chans[0];
	struct hvk_pkt_gpa_direct *desc;
	u8 *mem = NULL;
	int ret;

	if (!ec)
		return -ENODEV;
	desc = kzalloc(desc_max, GFP_KERNEL);
	mem = vzalloc(total);
	ret = -ENOMEM;
	if (!desc || !mem)
		goto out;
	memset(&e->gpa, 0, sizeof(e->gpa));
	desc->range_cnt = nranges;
	dsz = sizeof(*desc);
	for (i = 0; i < nranges; i++) {
		chunk = i == nranges - 1 ? size - at : size / nranges;
		ret = hvk_gpa_range_fill((void *)desc + dsz, (desc_max - dsz - 8) / sizeof(u64),
					 mem + offset + at, chunk);
		if (ret < 0)
			goto out;
		dsz += ret;
		at += chunk;
	}
	for (i = 0; i < size; i++)
		mem[offset + i] = hvk_echo_pattern(size, i);
	ret = echo_gpa_once(e, ec, desc, dsz, size, false);
	if (ret)
		goto out;
	memset(mem, 0, total);
	ret = echo_gpa_once(e, ec, desc, dsz, ~size, true);
	if (ret)
		goto out;
	for (i = 0; i < total && !ret; i++) {
		bool inside = i >= offset && i < offset + size;

		if (mem[i] != (inside ? hvk_echo_pattern(~size, i - offset) : 0))
			ret = -EIO;
	}
out:
	snprintf(e->result, sizeof(e->result), ret ?
		 "fail gpa size=%u ranges=%u offset=%u err=%d status=%u bytes=%u\n" :
		 "ok gpa size=%u ranges=%u offset=%u\n", size, nranges, offset, ret, e->gpa.status,
		 e->gpa.bytes);
	/* A request that timed out may still be in the host's hands. */
	if (ret == -ETIMEDOUT)
		hvk_leak_for_host(&e->hdev->dev, mem, total, "GPA-direct buffer");
	else
		vfree(mem);
	kfree(desc);
	return ret;
}

/*
 * GPA-direct through the DMA API, as a driver for an isolated guest does
 * it: a vmalloc buffer's pages in a scatterlist, dma_map_sg() on the
 * VMBus device, one range per mapped segment. With swiotlb=force every
 * segment is a bounce buffer: the host must read what the map copied
 * there, and what it writes must come back at the unmap. The result
 * counts the segments that were bounced. Caller holds test_lock.
 */
static int echo_dma_run(struct echo *e, u32 size)
{
	u32 npages = DIV_ROUND_UP(size, PAGE_SIZE), nsegs, i, dsz, desc_max, bounced = 0;
	struct device *dev = &e->hdev->dev;
	struct echo_chan *ec = e->chans[0];
	struct hvk_pkt_gpa_direct *desc = NULL;
	struct scatterlist *sg;
	struct sg_table sgt;
	bool mapped = false;
	u8 *mem;
	int ret;

	if (!ec)
		return -ENODEV;
	mem = vzalloc(npages * PAGE_SIZE);
	if (!mem || sg_alloc_table(&sgt, npages, GFP_KERNEL)) {
		vfree(mem);
		return -ENOMEM;
	}
	for_each_sgtable_sg(&sgt, sg, i)
		sg_set_page(sg, vmalloc_to_page(mem + i * PAGE_SIZE),
			    min_t(u32, PAGE_SIZE, size - i * PAGE_SIZE), 0);
	for (i = 0; i < size; i++)
		mem[i] = hvk_echo_pattern(size, i);
	memset(&e->gpa, 0, sizeof(e->gpa));
	ret = dma_map_sgtable(dev, &sgt, DMA_BIDIRECTIONAL, 0);
	if (ret)
		goto out;
	mapped = true;
	nsegs = sgt.nents;
	desc_max = sizeof(*desc) + nsegs * sizeof(struct hvk_gpa_range) +
		   (size / HVK_HV_PAGE_SIZE + 2 * nsegs) * sizeof(u64);
	desc = kzalloc(desc_max, GFP_KERNEL);
	ret = -ENOMEM;
	if (!desc)
		goto out;
	desc->range_cnt = nsegs;
	dsz = sizeof(*desc);
	for_each_sgtable_dma_sg(&sgt, sg, i) {
		ret = hvk_gpa_range_fill_dma((void *)desc + dsz, (desc_max - dsz - 8) / sizeof(u64),
					     sg_dma_address(sg), sg_dma_len(sg));
		if (ret < 0)
			goto out;
		dsz += ret;
		if (sg_dma_address(sg) != sg_phys(sg))
			bounced++;
	}
	ret = echo_gpa_once(e, ec, desc, dsz, size, false);
	if (ret)
		goto out;
	memset(mem, 0, npages * PAGE_SIZE);
	dma_sync_sgtable_for_device(dev, &sgt, DMA_BIDIRECTIONAL);
	ret = echo_gpa_once(e, ec, desc, dsz, ~size, true);
	if (ret)
		goto out;
	dma_unmap_sgtable(dev, &sgt, DMA_BIDIRECTIONAL, 0);
	mapped = false;
	for (i = 0; i < size && !ret; i++)
		if (mem[i] != hvk_echo_pattern(~size, i))
			ret = -EIO;
out:
	snprintf(e->result, sizeof(e->result), ret ?
		 "fail dma size=%u err=%d status=%u bytes=%u\n" :
		 "ok dma size=%u segments=%u bounced=%u\n", size, ret ? ret : sgt.nents,
		 ret ? e->gpa.status : bounced, e->gpa.bytes);
	if (ret == -ETIMEDOUT) {
		/* The host may still write there: keep the bounce buffers too. */
		hvk_leak_for_host(dev, mem, npages * PAGE_SIZE, "DMA test buffer");
		kfree(desc);
		return ret;
	}
	if (mapped)
		dma_unmap_sgtable(dev, &sgt, DMA_BIDIRECTIONAL, 0);
	sg_free_table(&sgt);
	vfree(mem);
	kfree(desc);
	return ret;
}

static ssize_t dma_test_store(struct device *dev, struct device_attribute *attr,
			      const char *buf, size_t n)
{
	struct echo *e = dev_get_drvdata(dev);
	u32 size;
	int ret;

	if (kstrtou32(buf, 0, &size) || !size || size > (1u << 20))
		return -EINVAL;
	mutex_lock(&e->test_lock);
	ret = echo_dma_run(e, size);
	mutex_unlock(&e->test_lock);
	return ret ?: n;
}
static DEVICE_ATTR_WO(dma_test);

static ssize_t gpa_test_store(struct device *dev, struct device_attribute *attr,
			      const char *buf, size_t n)
{
	struct echo *e = dev_get_drvdata(dev);
	u32 size, nranges, offset;
	int ret;

	if (sscanf(buf, "%u %u %u", &size, &nranges, &offset) != 3 || !size ||
	    size > (16u << 20) || !nranges || nranges > 64 || nranges > size ||
	    offset >= HVK_HV_PAGE_SIZE)
		return -EINVAL;
	mutex_lock(&e->test_lock);
	ret = echo_gpa_run(e, size, nranges, offset);
	mutex_unlock(&e->test_lock);
	return ret ?: n;
}
static DEVICE_ATTR_WO(gpa_test);

/*
 * The benchmarks' baseline, measured in the same boot: COUNT memcpy()s of
 * SIZE bytes in the kernel. Read back "ns=..." from echo_test.
 */
static ssize_t memcpy_bench_store(struct device *dev, struct device_attribute *attr,
				  const char *buf, size_t n)
{
	struct echo *e = dev_get_drvdata(dev);
	unsigned long long count, i;
	ktime_t start;
	u8 *src, *dst;
	u32 size;

	if (sscanf(buf, "%llu %u", &count, &size) != 2 || !count || !size || size > SZ_1M)
		return -EINVAL;
	src = kvmalloc(size, GFP_KERNEL);
	dst = kvmalloc(size, GFP_KERNEL);
	if (!src || !dst) {
		kvfree(src);
		kvfree(dst);
		return -ENOMEM;
	}
	memset(src, 0x5a, size);
	mutex_lock(&e->test_lock);
	start = ktime_get();
	for (i = 0; i < count; i++) {
		memcpy(dst, src, size);
		barrier();
	}
	snprintf(e->result, sizeof(e->result), "ok memcpy count=%llu size=%u ns=%lld\n", count,
		 size, ktime_to_ns(ktime_sub(ktime_get(), start)));
	mutex_unlock(&e->test_lock);
	kvfree(src);
	kvfree(dst);
	return n;
}
static DEVICE_ATTR_WO(memcpy_bench);

static ssize_t subchannels_at_probe_show(struct device *dev, struct device_attribute *attr,
					 char *buf)
{
	struct echo *e = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%u of %u\n", e->sc_at_probe, READ_ONCE(e->sc_promised));
}
static DEVICE_ATTR_RO(subchannels_at_probe);

static ssize_t callback_overlaps_show(struct device *dev, struct device_attribute *attr,
				      char *buf)
{
	struct echo *e = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%d\n", atomic_read(&e->cb_overlaps));
}
static DEVICE_ATTR_RO(callback_overlaps);

/* MMIO from the core: "SIZE ALIGN" takes a piece, "free" gives all back. */
static void echo_mmio_free(struct echo *e)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(e->mmio); i++) {
		hvk_mmio_free(e->mmio[i]);
		e->mmio[i] = NULL;
	}
}

static ssize_t mmio_test_store(struct device *dev, struct device_attribute *attr,
			       const char *buf, size_t n)
{
	struct echo *e = dev_get_drvdata(dev);
	unsigned long long size, align;
	struct resource *r;
	unsigned int i;
	int ret = 0;

	mutex_lock(&e->test_lock);
	if (sysfs_streq(buf, "free")) {
		echo_mmio_free(e);
		goto out;
	}
	if (sscanf(buf, "%llu %llu", &size, &align) != 2) {
		ret = -EINVAL;
		goto out;
	}
	for (i = 0; i < ARRAY_SIZE(e->mmio) && e->mmio[i]; i++)
		;
	if (i == ARRAY_SIZE(e->mmio)) {
		ret = -EMFILE;
		goto out;
	}
	r = hvk_mmio_alloc(e->hdev, 0, ~(resource_size_t)0, size, align);
	if (IS_ERR(r))
		ret = PTR_ERR(r);
	else
		e->mmio[i] = r;
out:
	mutex_unlock(&e->test_lock);
	return ret ?: n;
}

static ssize_t mmio_test_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct echo *e = dev_get_drvdata(dev);
	unsigned int i;
	int len = 0;

	mutex_lock(&e->test_lock);
	for (i = 0; i < ARRAY_SIZE(e->mmio); i++)
		if (e->mmio[i])
			len += sysfs_emit_at(buf, len, "%pa %pa\n", &e->mmio[i]->start,
					     &e->mmio[i]->end);
	mutex_unlock(&e->test_lock);
	return len;
}
static DEVICE_ATTR_RW(mmio_test);

static struct attribute *echo_attrs[] = {
	&dev_attr_mmio_test.attr,
	&dev_attr_subchannels_at_probe.attr,
	&dev_attr_callback_overlaps.attr,
	&dev_attr_gpa_test.attr,
	&dev_attr_dma_test.attr,
	&dev_attr_echo_test.attr,
	&dev_attr_gpadl_test.attr,
	&dev_attr_memcpy_bench.attr,
	NULL,
};
ATTRIBUTE_GROUPS(echo);

/* Ask the host for sub-channels; they arrive through echo_sc_added(). */
static void echo_ask_subchannels(struct echo *e)
{
	struct hvk_echo_subchannels req = {
		.hdr.op = HVK_ECHO_SUBCHANNELS,
		.count = min_t(u32, subchannels, HVK_MAX_SUBCHANNELS - 1),
	};

	if (!req.count) {
		smp_store_release(&e->sc_answered, true);
		return;
	}
	if (echo_send(e, e->chans[0], &req, sizeof(req), 0)) {
		dev_warn(&e->hdev->dev, "could not ask for sub-channels\n");
		smp_store_release(&e->sc_answered, true);
	}
}

static bool echo_subchannels_open(struct echo *e)
{
	return smp_load_acquire(&e->sc_answered) &&
	       atomic_read(&e->sc_open) >= READ_ONCE(e->sc_promised);
}

static int echo_probe(struct hvk_device *hdev, const struct hv_vmbus_device_id *id)
{
	u32 ring = ring_kb * 1024;
	struct echo_chan *ec;
	struct echo *e;

	if (ring < 2 * PAGE_SIZE || !PAGE_ALIGNED(ring))
		return -EINVAL;
	e = kzalloc(sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	e->hdev = hdev;
	init_waitqueue_head(&e->wq);
	mutex_init(&e->test_lock);
	dev_set_drvdata(&hdev->dev, e);
	ec = echo_chan_open(e, hdev->channel);
	if (IS_ERR(ec)) {
		kfree(e);
		return PTR_ERR(ec);
	}
	e->chans[0] = ec;
	hvk_channel_set_subchannel_cbs(hdev->channel, echo_sc_added, echo_sc_removed, e);
	echo_ask_subchannels(e);
	/* The sub-channels are offered and opened while we wait here. */
	if (!wait_event_timeout(e->wq, echo_subchannels_open(e) || echo_any_rescinded(e),
				ECHO_TIMEOUT))
		dev_warn(&hdev->dev, "probe: %d of %u sub-channels open after %d s\n",
			 atomic_read(&e->sc_open), READ_ONCE(e->sc_promised), ECHO_TIMEOUT / HZ);
	e->sc_at_probe = atomic_read(&e->sc_open);
	return 0;
}

/*
 * Shutdown (reboot, power off, kexec): tell the host while it still
 * listens, and wait for its answer, as a disk flushes its cache.
 */
static void echo_shutdown(struct hvk_device *hdev)
{
	struct echo *e = dev_get_drvdata(&hdev->dev);
	struct hvk_echo_hdr req = { .op = HVK_ECHO_FLUSH };
	int ret;

	mutex_lock(&e->test_lock);
	ret = echo_ask(e, e->chans[0], NULL, 0, &req, sizeof(req), &e->flushed);
	mutex_unlock(&e->test_lock);
	if (ret)
		dev_err(&hdev->dev, "the host did not take the flush at shutdown (%d)\n", ret);
	else
		dev_info(&hdev->dev, "the host took the flush at shutdown\n");
}

static void echo_remove(struct hvk_device *hdev)
{
	struct echo *e = dev_get_drvdata(&hdev->dev);

	/* Closes every sub-channel through echo_sc_removed(). */
	hvk_channel_set_subchannel_cbs(hdev->channel, NULL, NULL, NULL);
	echo_mmio_free(e);
	mutex_lock(&e->test_lock);
	echo_chan_close(e->chans[0]);
	e->chans[0] = NULL;
	mutex_unlock(&e->test_lock);
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
	.shutdown = echo_shutdown,
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
