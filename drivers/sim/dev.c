// SPDX-License-Identifier: GPL-2.0
/*
 * Simulated devices: each is a set of channels (a primary and its
 * sub-channels) served by a device type. The echo type returns every
 * data packet as it came and checks GPADLs on request: the workload of
 * the core's tests and benchmarks.
 */
#include <linux/delay.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <hvkit/echo.h>
#include "sim.h"

#define SIM_MAX_CHANS	64

static uint serve_delay_us;
module_param(serve_delay_us, uint, 0644);
MODULE_PARM_DESC(serve_delay_us,
		 "a slow host: pause this long after answering each guest packet, before the next (default 0)");

/*
 * Send one packet to the guest: a channel's serve work or its fast path
 * (interrupts off), under nothing but tx_lock. -EAGAIN: no room;
 * the caller stashes it and asks for a signal.
 */
int sim_chan_reply(struct sim_chan *c, const void *pkt, u32 len)
{
	struct hvk_pkt_desc bad;
	struct hvk_kvec v[2] = { { pkt, len } };
	unsigned long flags;
	unsigned int n = 1;
	bool signal;
	int ret;

	/* Descriptor faults: the reply goes out with a forged descriptor. */
	if (len >= sizeof(bad)) {
		memcpy(&bad, pkt, sizeof(bad));
		if (sim_fault(HVSIM_FAULT_BAD_PKT_LEN))
			bad.len8 = 0xffff;
		else if (sim_fault(HVSIM_FAULT_BAD_PKT_OFFSET))
			bad.offset8 = bad.len8 + 1;
		else if (sim_fault(HVSIM_FAULT_BAD_TRANS_ID))
			bad.trans_id += 0x10000;
		if (memcmp(&bad, pkt, sizeof(bad))) {
			v[0] = (struct hvk_kvec){ &bad, sizeof(bad) };
			v[1] = (struct hvk_kvec){ (const u8 *)pkt + sizeof(bad), len - sizeof(bad) };
			n = 2;
		}
	}
	spin_lock_irqsave(&c->tx_lock, flags);
	if (c->tx_corrupted) {
		/* A host that broke the ring leaves it broken. */
		spin_unlock_irqrestore(&c->tx_lock, flags);
		return 0;
	}
	ret = hvk_ring_write(&c->tx, v, n, &signal);
	if (!ret && sim_fault(HVSIM_FAULT_BAD_RING_INDEX)) {
		/* The host scribbles on its own index: past the end. */
		WRITE_ONCE(c->tx.ctl->write_index, c->tx.size + 8);
		c->tx_corrupted = true;
		signal = true;
	}
	if (!ret)
		c->pkts_out++;
	spin_unlock_irqrestore(&c->tx_lock, flags);
	if (!ret) {
		if (signal)
			sim_signal_guest(c);
	} else if (ret == -EBADMSG) {
		pr_err_ratelimited("hvkit_sim: relid %u: guest corrupted its inbound ring: %s\n",
				   c->relid, c->tx.broken);
	}
	return ret;
}

/* A device type's reply; one that does not fit is kept for later. */
int sim_chan_reply_or_stash(struct sim_chan *c, const void *pkt, u32 len)
{
	int ret = sim_chan_reply(c, pkt, len);

	if (ret == -EAGAIN) {
		memcpy(c->stash, pkt, len);
		c->stash_len = len;
	}
	return ret;
}

/* A reply that did not fit: keep it, and ask the guest to signal on space. */
static bool sim_chan_flush_stash(struct sim_chan *c)
{
	int ret;

	if (!c->stash_len)
		return true;
	ret = sim_chan_reply(c, c->stash, c->stash_len);
	if (ret == -EAGAIN) {
		if (!hvk_ring_set_pending(&c->tx, hvk_ring_pkt_space(c->stash_len)))
			return false;
		ret = sim_chan_reply(c, c->stash, c->stash_len);
		if (ret == -EAGAIN)
			return false;
	}
	hvk_ring_set_pending(&c->tx, 0);
	c->stash_len = 0;
	return true;
}

/*
 * The serve_stall fault: the work stalls longer than a guest polls for an
 * interrupt (hvkit_pci: 10 s), as a host worker that finds no CPU would;
 * only the fast path can answer meanwhile. A close ends the stall.
 */
#define SIM_STALL_MS	11000

static void sim_chan_stall(struct sim_chan *c)
{
	unsigned int ms;

	for (ms = 0; ms < SIM_STALL_MS && READ_ONCE(c->open); ms += 100)
		msleep(100);
}

/* The next guest packet into buf (the holder of SIM_CHAN_SERVING). */
static int sim_chan_read(struct sim_chan *c, u32 *len)
{
	int ret = hvk_ring_read(&c->rx, c->buf, HVK_PKT_MAX_LEN, len);

	if (ret == -EBADMSG)
		pr_err_ratelimited("hvkit_sim: relid %u: guest corrupted its outbound ring: %s\n",
				   c->relid, c->rx.broken);
	if (!ret)
		c->pkts_in++;
	return ret;
}

/* The space of what was read back to the guest; signal it if it waits for space. */
static void sim_chan_commit(struct sim_chan *c)
{
	if (hvk_ring_commit(&c->rx)) {
		atomic_long_inc(&c->space_signals);
		sim_signal_guest(c);
	}
}

/*
 * One packet in the work. A type with a fast path: its serve_atomic with
 * preemption off (the work's), and serve with it on for what that leaves.
 */
static void sim_chan_work_serve(struct sim_chan *c, u32 len, bool fast)
{
	const struct sim_dev_type *t = c->dev->type;
	bool done;

	if (!fast) {
		t->serve(c, c->buf, len);
		return;
	}
	c->serving_atomic = true;
	done = t->serve_atomic(c, c->buf, len);
	c->serving_atomic = false;
	if (done)
		return;
	preempt_enable();
	t->serve(c, c->buf, len);
	preempt_disable();
}

/*
 * Serve the guest's packets: woken by the guest's signal. The space of
 * what it read goes back to the guest (commit) once per batch, after the
 * answers: nothing in the protocol orders a reply after the space of its
 * request, so a guest must not take one for the other. The commit signals
 * the guest when the space crosses its pending_send_sz, as Hyper-V does
 * (space_signals counts those).
 */
void sim_chan_work(struct work_struct *work)
{
	struct sim_chan *c = container_of(work, struct sim_chan, work);
	bool fast = c->dev->type->serve_atomic;
	u32 len, delay;

	if (!READ_ONCE(c->open))
		return;
	if (fast && sim_fault(HVSIM_FAULT_SERVE_STALL)) {
		sim_chan_stall(c);
		if (!READ_ONCE(c->open))
			return;
	}
	/* The fast path never sleeps while it holds this: wait it out. */
	while (test_and_set_bit_lock(SIM_CHAN_SERVING, &c->serving))
		cpu_relax();
	if (c->deferred_len) {
		len = c->deferred_len;
		c->deferred_len = 0;
		c->dev->type->serve(c, c->buf, len);
	}
	/*
	 * A type with a fast path is served with preemption off but for
	 * its sleeping packets: a work preempted while it holds the bit
	 * would shut the fast path out, and whatever preempted it may be
	 * waiting for the polling guest CPU.
	 */
	if (fast)
		preempt_disable();
	hvk_ring_mask(&c->rx);
	do {
		while (sim_chan_flush_stash(c)) {
			if (sim_chan_read(c, &len))
				break;
			sim_chan_work_serve(c, len, fast);
			delay = READ_ONCE(serve_delay_us);
			if (delay) {
				if (fast)
					preempt_enable();
				fsleep(delay);
				if (fast)
					preempt_disable();
				if (!READ_ONCE(c->open))
					break;	/* a close waits for us */
			}
		}
		sim_chan_commit(c);
		if (c->stash_len)
			break;	/* the guest's signal on space brings us back */
	} while (hvk_ring_unmask(&c->rx));
	if (c->stash_len)
		hvk_ring_unmask(&c->rx);
	clear_bit_unlock(SIM_CHAN_SERVING, &c->serving);
	if (fast)
		preempt_enable();
}

/*
 * The fast path's pass, with interrupts off (a function call on another
 * CPU, run from its interrupt or its idle loop): serve what the type can
 * serve without sleeping, in order, up to the first packet it cannot
 * (left in buf for the work), a reply that does not fit (the stash: the
 * work's) or the budget. The ring is not masked: after the commit it is
 * looked at again, as a guest whose packet landed before the commit saw
 * the ring non-empty and sent no signal. True: the work has the rest.
 */
#define SIM_FAST_BUDGET	64

static bool sim_chan_fast_pass(struct sim_chan *c, unsigned int *budget)
{
	bool left;
	u32 len;

	do {
		while (!c->stash_len && !c->deferred_len && *budget) {
			if (sim_chan_read(c, &len))
				break;
			(*budget)--;
			c->serving_atomic = true;
			if (!c->dev->type->serve_atomic(c, c->buf, len))
				c->deferred_len = len;
			c->serving_atomic = false;
		}
		left = c->stash_len || c->deferred_len || !*budget;
		sim_chan_commit(c);
		smp_mb();	/* the read index out before the write index is read */
	} while (!left && hvk_ring_avail_read(&c->rx));
	return left;
}

/*
 * The fast path's function call. fast_busy counts the kicks: each pass
 * starts from the count it saw, and the call ends only when no kick came
 * meanwhile (its packet may have landed after the pass's last look).
 * Passes stop once the budget is spent: the work has the rest. A slow
 * host (serve_delay_us) has no fast path.
 */
static void sim_chan_fast(void *info)
{
	struct sim_chan *c = info;
	unsigned int budget = SIM_FAST_BUDGET;
	int seen = atomic_read_acquire(&c->fast_busy), now;

	for (;;) {
		if (READ_ONCE(c->open) && !READ_ONCE(serve_delay_us) && budget &&
		    !test_and_set_bit_lock(SIM_CHAN_SERVING, &c->serving)) {
			bool left = sim_chan_fast_pass(c, &budget);

			clear_bit_unlock(SIM_CHAN_SERVING, &c->serving);
			if (left)
				queue_work(sim.chan_wq, &c->work);
		}
		/* else: closed, slow, spent, or the work is serving (it masked rx) */
		if (!budget) {
			/* Each kick came with the work queued: it serves. */
			atomic_set_release(&c->fast_busy, 0);
			return;
		}
		now = atomic_cmpxchg(&c->fast_busy, seen, 0);	/* ordered either way */
		if (now == seen)
			return;	/* that was the last touch of c */
		seen = now;
	}
}

/*
 * HvSignalEvent on an open channel whose type has a fast path: serve it
 * from another CPU's interrupt as well as from the work, whichever comes
 * first. The signalling CPU may be about to poll for the answer with
 * interrupts or preemption off. A kick while a call is in flight only
 * counts: that call goes round again. Any context.
 */
static void sim_chan_fast_kick(struct sim_chan *c)
{
	unsigned int cpu;

	if (!c->dev->type->serve_atomic || atomic_fetch_inc(&c->fast_busy))
		return;
	cpu = cpumask_any_but(cpu_online_mask, get_cpu());
	if (cpu >= nr_cpu_ids || smp_call_function_single_async(cpu, &c->fast_csd))
		atomic_set_release(&c->fast_busy, 0);	/* one CPU: the work's alone */
	put_cpu();
}

/*
 * The guest signalled an open channel (HvSignalEvent, its interrupt page
 * or its monitor page): the work, and the fast path if the type has one.
 * Any context, under rcu_read_lock().
 */
void sim_chan_signalled(struct sim_chan *c)
{
	queue_work(sim.chan_wq, &c->work);
	sim_chan_fast_kick(c);
}

/* Wait for a fast path call in flight (after open went false, or after RCU). */
static void sim_chan_fast_sync(struct sim_chan *c)
{
	smp_mb();	/* open's store before the read; pairs with the kick's fetch_inc */
	while (atomic_read_acquire(&c->fast_busy))
		cpu_relax();
}

#define SIM_HV_PER_PAGE		(PAGE_SIZE / HVK_HV_PAGE_SIZE)

/*
 * The host's DMA: read (check) or write the pattern through every range
 * of a checked GPA-direct descriptor, page by page, as a host maps guest
 * pages. Returns an enum hvk_echo_gpa_status; *bytes: the bytes it got to.
 */
static u32 sim_gpa_access(const u8 *desc, const struct hvk_echo_gpa *req, u32 *bytes)
{
	const struct hvk_pkt_gpa_direct *h = (const void *)desc;
	u32 off = sizeof(*h), status = HVK_ECHO_GPA_OK, idx = 0, i, k, j;

	for (i = 0; i < h->range_cnt; i++) {
		struct hvk_gpa_range r;
		u32 npfns, start, left;

		memcpy(&r, desc + off, sizeof(r));
		off += sizeof(r);
		npfns = hvk_hv_pages(r.byte_offset, r.byte_count);
		start = r.byte_offset;
		left = r.byte_count;
		for (k = 0; k < npfns; k++, off += sizeof(u64)) {
			u32 n = min(left, HVK_HV_PAGE_SIZE - start);
			u64 hvpfn;
			u8 *va;

			memcpy(&hvpfn, desc + off, sizeof(hvpfn));
			if (!pfn_valid(hvpfn / SIM_HV_PER_PAGE)) {
				status = HVK_ECHO_GPA_NOT_RAM;
				goto out;
			}
			va = kmap_local_page(pfn_to_page(hvpfn / SIM_HV_PER_PAGE));
			va += (hvpfn % SIM_HV_PER_PAGE) * HVK_HV_PAGE_SIZE + start;
			for (j = 0; j < n; j++) {
				u8 want = hvk_echo_pattern(req->seed, idx + j);

				if (req->write)
					va[j] = want;
				else if (va[j] != want)
					status = HVK_ECHO_GPA_MISMATCH;
			}
			kunmap_local(va);
			idx += n;
			left -= n;
			start = 0;
		}
	}
out:
	*bytes = idx;
	return status;
}

/* A GPA-direct request: do the DMA, then complete it, as a disk would. */
static int sim_echo_gpa(struct sim_chan *c, const u8 *pkt, u32 len)
{
	const struct hvk_pkt_desc *d = (const void *)pkt;
	u32 off = d->offset8 * 8;
	struct {
		struct hvk_pkt_desc desc;
		struct hvk_echo_gpa gpa;
	} r = {};
	const char *why;

	if (len - off < sizeof(r.gpa)) {
		pr_err_ratelimited("hvkit_sim: echo %u: GPA-direct packet without its request, ignored\n",
				   c->relid);
		return 0;
	}
	memcpy(&r.gpa, pkt + off, sizeof(r.gpa));
	why = hvk_gpa_desc_check(pkt, off);
	if (why) {
		pr_err_ratelimited("hvkit_sim: echo %u: GPA-direct ranges refused: %s\n", c->relid, why);
		r.gpa.status = HVK_ECHO_GPA_BAD_RANGES;
		r.gpa.bytes = 0;
	} else {
		r.gpa.status = sim_gpa_access(pkt, &r.gpa, &r.gpa.bytes);
	}
	r.desc.type = HVK_PKT_COMP;
	r.desc.offset8 = sizeof(r.desc) / 8;
	r.desc.len8 = sizeof(r) / 8;
	r.desc.trans_id = d->trans_id;
	return sim_chan_reply_or_stash(c, &r, sizeof(r));
}

static int sim_echo_serve(struct sim_chan *c, const u8 *pkt, u32 len)
{
	const struct hvk_pkt_desc *d = (const void *)pkt;
	u32 off = d->offset8 * 8;
	struct hvk_echo_hdr hdr;

	if (d->type == HVK_PKT_DATA_USING_GPA_DIRECT)
		return sim_echo_gpa(c, pkt, len);
	if (d->type != HVK_PKT_DATA_INBAND || len - off < sizeof(hdr)) {
		pr_err_ratelimited("hvkit_sim: echo %u: packet type %u of %u bytes ignored\n",
				   c->relid, d->type, len);
		return 0;
	}
	memcpy(&hdr, pkt + off, sizeof(hdr));
	if (hdr.op == HVK_ECHO_FLUSH)
		pr_info("hvkit_sim: echo %u: the guest flushed at shutdown\n", c->relid);
	if (hdr.op == HVK_ECHO_SUBCHANNELS && len - off >= sizeof(struct hvk_echo_subchannels)) {
		struct hvk_echo_subchannels *sc = (void *)(c->buf + off);

		sc->count = min(sc->count, c->dev->nchans - 1);
		WRITE_ONCE(c->dev->sc_wanted, sc->count);
		queue_work(system_wq, &sim.offer_work);
	}
	if (hdr.op == HVK_ECHO_GPADL_CHECK && len - off >= sizeof(struct hvk_echo_gpadl_check)) {
		struct hvk_echo_gpadl_check *chk = (void *)(c->buf + off);
		struct sim_gpadl *g;
		u32 i;

		mutex_lock(&sim.gpadl_lock);
		g = sim_gpadl_find(chk->handle);
		if (!g || !g->created || g->relid != c->relid || chk->size > g->byte_count) {
			chk->status = 2;
		} else {
			const u8 *p = g->va;

			chk->status = 0;
			for (i = 0; i < chk->size; i++)
				if (p[i] != hvk_echo_pattern(chk->seed, i)) {
					chk->status = 1;
					break;
				}
		}
		mutex_unlock(&sim.gpadl_lock);
	}
	/* Reply with the same packet (descriptor and transaction id). */
	return sim_chan_reply_or_stash(c, pkt, len);
}

const struct sim_dev_type sim_echo_type = {
	.name = "echo",
	.class_id = GUID_INIT(0x3a4b8f52, 0x7c1e, 0x4f0b,
			      0x9d, 0x63, 0x6b, 0x1e, 0x0c, 0x2f, 0x8a, 0x71),
	.serve = sim_echo_serve,
};

static const struct sim_dev_type *sim_types[] = {
	&sim_echo_type,
	&sim_heartbeat_type,
	&sim_kvp_type,
	&sim_vss_type,
	&sim_fcopy_type,
	&sim_shutdown_type,
	&sim_timesync_type,
	&sim_scsi_type,
	&sim_nic_type,
	&sim_vpci_type,
};

const struct sim_dev_type *sim_type_find(const char *name)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sim_types); i++)
		if (!strcmp(sim_types[i]->name, name))
			return sim_types[i];
	return NULL;
}

struct sim_dev *sim_dev_find(const guid_t *instance)
{
	struct sim_dev *d;

	list_for_each_entry(d, &sim.devs, node)
		if (guid_equal(&d->instance, instance))
			return d;
	return NULL;
}

/* Host side of a close: stop serving, give the rings' GPADL back. */
void sim_chan_close(struct sim_chan *c)
{
	if (!c->open)
		return;
	WRITE_ONCE(c->open, false);
	sim_monitor_closed(c);
	sim_chan_fast_sync(c);
	cancel_work_sync(&c->work);
	if (c->dev->type->closed)
		c->dev->type->closed(c);
	mutex_lock(&sim.gpadl_lock);
	c->ring->in_use = false;
	mutex_unlock(&sim.gpadl_lock);
	c->ring = NULL;
	kvfree(c->buf);
	kvfree(c->stash);
	c->buf = NULL;
	c->stash = NULL;
	c->stash_len = 0;
	c->deferred_len = 0;
	c->tx_corrupted = false;
}

/*
 * The channel is gone for both sides; with its device's last channel the
 * device goes too (returns true). Caller holds sim.lock.
 */
bool sim_chan_free(struct sim_chan *c)
{
	struct sim_dev *d = c->dev;
	u32 i, live = 0;

	sim_chan_close(c);
	sim_gpadls_drop(c->relid);
	xa_erase(&sim.chans, c->relid);
	sim_monitor_release(c);
	synchronize_rcu();	/* signal_event and poll lookups are done with it */
	sim_chan_fast_sync(c);	/* and so is a fast path call one sent */
	cancel_work_sync(&c->work);	/* and so is the work a late one queued */
	for (i = 0; i < d->nchans; i++) {
		if (d->chans[i] == c)
			d->chans[i] = NULL;
		if (d->chans[i])
			live++;
	}
	kfree(c);
	if (live)
		return false;
	list_del(&d->node);
	sim_dev_put(d);
	return true;
}

static void sim_dev_release(struct kref *ref)
{
	struct sim_dev *d = container_of(ref, struct sim_dev, ref);

	if (d->type->destroy)
		d->type->destroy(d);
	kfree(d);
}

void sim_dev_put(struct sim_dev *d)
{
	kref_put(&d->ref, sim_dev_release);
}

struct sim_dev *sim_dev_add(const struct sim_dev_type *type, const guid_t *instance,
			    u32 nchans, bool monitored, bool no_dedicated_int,
			    struct genl_info *info, const char **err)
{
	struct sim_dev *d;
	int ret = -ENOMEM;
	u32 i;

	if (!nchans || nchans > SIM_MAX_CHANS) {
		*err = "channels must be 1 to 64";
		return ERR_PTR(-EINVAL);
	}
	if (monitored && no_dedicated_int) {
		*err = "a monitored channel is signalled through the monitor page, not the interrupt page";
		return ERR_PTR(-EINVAL);
	}
	if (sim_dev_find(instance)) {
		*err = "a device with this instance GUID exists";
		return ERR_PTR(-EEXIST);
	}
	d = kzalloc(struct_size(d, chans, nchans), GFP_KERNEL);
	if (!d)
		return ERR_PTR(-ENOMEM);
	d->type = type;
	kref_init(&d->ref);
	d->no_dedicated_int = no_dedicated_int;
	guid_copy(&d->instance, instance);
	d->nchans = nchans;
	for (i = 0; i < nchans; i++) {
		struct sim_chan *c = kzalloc(sizeof(*c), GFP_KERNEL);

		if (!c)
			goto nomem;
		c->dev = d;
		c->subidx = i;
		c->monitor_id = SIM_NOT_MONITORED;
		spin_lock_init(&c->tx_lock);
		INIT_WORK(&c->work, sim_chan_work);
		INIT_CSD(&c->fast_csd, sim_chan_fast, c);
		if (xa_alloc(&sim.chans, &c->relid, c, XA_LIMIT(1, HVK_MAX_RELID), GFP_KERNEL)) {
			kfree(c);
			*err = "no relid left";
			ret = -ENOSPC;
			goto fail;
		}
		c->conn_id = 0x1000 + c->relid;
		d->chans[i] = c;
		if (monitored && sim_monitor_assign(c)) {
			*err = "no monitor id left: the host monitors 128 channels at most";
			ret = -ENOSPC;
			goto fail;
		}
	}
	if (type->init) {
		ret = type->init(d, info);
		if (ret) {
			*err = NULL;	/* init set the extended ACK */
			goto fail;
		}
	}
	list_add_tail(&d->node, &sim.devs);
	/* The primary now; sub-channels when the guest's driver asks. */
	if (sim.offers_requested)
		sim_offer_chan(d->chans[0]);
	return d;
nomem:
	*err = "no memory";
fail:
	for (i = 0; i < nchans; i++) {
		if (!d->chans[i])
			continue;
		xa_erase(&sim.chans, d->chans[i]->relid);
		sim_monitor_release(d->chans[i]);
	}
	/* A guest may signal any relid: its lookups must be done with ours. */
	synchronize_rcu();
	for (i = 0; i < nchans; i++)
		kfree(d->chans[i]);
	kfree(d);
	return ERR_PTR(ret);
}

/*
 * Rescind every channel of @d, sub-channels first. The guest answers
 * each with RELID_RELEASED, which frees it. Caller holds sim.lock.
 */
int sim_dev_remove(struct sim_dev *d)
{
	bool primary_first = sim_fault(HVSIM_FAULT_RESCIND_PRIMARY_FIRST);
	struct hvk_msg_relid m = {};
	int n, i;

	m.hdr.msgtype = HVK_CHANMSG_RESCIND_CHANNELOFFER;
	for (n = 0; n < (int)d->nchans; n++) {
		struct sim_chan *c;

		/* Sub-channels first, as Hyper-V does; or the primary first. */
		i = primary_first ? n : (int)d->nchans - 1 - n;
		c = d->chans[i];

		if (!c || c->rescinded)
			continue;
		sim_chan_close(c);
		sim_gpadls_drop(c->relid);
		c->rescinded = true;
		if (!c->offered || !sim.version) {
			/* The guest never knew it: nothing to release. */
			if (sim_chan_free(c))
				return 0;	/* @d went with it */
			continue;
		}
		m.child_relid = c->relid;
		sim_send(&m, sizeof(m));
	}
	return 0;
}

/* Unload: the guest is gone, so is every device. Caller holds sim.lock. */
void sim_dev_remove_all(void)
{
	struct sim_dev *d, *tmp;
	u32 i;

	list_for_each_entry_safe(d, tmp, &sim.devs, node)
		for (i = 0; i < d->nchans; i++)
			if (d->chans[i] && sim_chan_free(d->chans[i]))
				break;	/* @d went with its last channel */
	sim_gpadls_drop_all();
}
