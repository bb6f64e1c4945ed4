// SPDX-License-Identifier: GPL-2.0
/*
 * Monitored channels, as Hyper-V serves them: the guest signals by setting
 * the channel's bit in its guest-to-host monitor page instead of making a
 * hypercall, and the host polls that page every monitor latency. The
 * guest's pages are checked and mapped like a GPADL's, and the host writes
 * each monitored channel's latency and connection id into them when it
 * offers the channel.
 */
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/vmalloc.h>
#include <hvk_compat.h>
#include "sim.h"

static uint monitor_latency_us = 100;
module_param(monitor_latency_us, uint, 0444);
MODULE_PARM_DESC(monitor_latency_us,
		 "how often the host polls the monitor page, 1 to 6553 us (default 100)");

#define SIM_MONITOR_IDS		128	/* 4 trigger groups of 32 */

static enum hrtimer_restart sim_monitor_poll(struct hrtimer *t)
{
	struct hvk_monitor_page *mp = READ_ONCE(sim.monitor[1]);
	struct sim_chan *c;
	unsigned long bits;
	unsigned int g, b;

	if (!mp || !atomic_read(&sim.monitor_open)) {
		/*
		 * Give up the timer; a channel that opened since the check
		 * above found it still ours and did not start it: take it
		 * back and go on (paired with sim_monitor_opened()).
		 */
		clear_bit(0, &sim.monitor_armed);
		smp_mb__after_atomic();
		if (!mp || !atomic_read(&sim.monitor_open) ||
		    test_and_set_bit(0, &sim.monitor_armed))
			return HRTIMER_NORESTART;
	}
	for (g = 0; g < ARRAY_SIZE(mp->trigger_group); g++) {
		/* Take the group's bits; what the guest sets now is next time's. */
		bits = xchg(&mp->trigger_group[g].pending, 0);
		rcu_read_lock();
		for_each_set_bit(b, &bits, 32) {
			c = xa_load(&sim.monitored, g * 32 + b);
			if (c && READ_ONCE(c->open)) {
				atomic_long_inc(&c->monitor_signals);
				sim_chan_signalled(c);
			}
		}
		rcu_read_unlock();
	}
	hrtimer_forward_now(t, ns_to_ktime(monitor_latency_us * NSEC_PER_USEC));
	return HRTIMER_RESTART;
}

int sim_monitor_init(void)
{
	if (!monitor_latency_us || monitor_latency_us > U16_MAX / 10) {
		pr_err("hvkit_sim: monitor_latency_us=%u is outside 1..%u\n", monitor_latency_us,
		       U16_MAX / 10);
		return -EINVAL;
	}
	xa_init_flags(&sim.monitored, XA_FLAGS_ALLOC);
	atomic_set(&sim.monitor_open, 0);
	sim.monitor_armed = 0;
	hrtimer_setup(&sim.monitor_poll, sim_monitor_poll, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	return 0;
}

/* A page the guest names (monitor or interrupt page): page aligned RAM, mapped. */
void *sim_map_guest_page(u64 gpa, const char **why)
{
	struct page *page;
	void *va;

	if (gpa & ~PAGE_MASK) {
		*why = "a page it names is not page aligned";
		return NULL;
	}
	if (!pfn_valid(PHYS_PFN(gpa))) {
		*why = "a page it names is not RAM";
		return NULL;
	}
	page = pfn_to_page(PHYS_PFN(gpa));
	va = vmap(&page, 1, VM_MAP, PAGE_KERNEL);
	if (!va)
		*why = "a page it names could not be mapped";
	return va;
}

/* INITIATE_CONTACT accepted: map the guest's pages. Caller holds sim.lock. */
int sim_monitor_map(u64 gpa1, u64 gpa2, const char **why)
{
	struct hvk_monitor_page *p1, *p2;

	sim_monitor_unmap();	/* the guest may try version after version */
	if (gpa1 == gpa2) {
		*why = "both monitor pages are one page";
		return -EINVAL;
	}
	p1 = sim_map_guest_page(gpa1, why);
	if (!p1)
		return -EINVAL;
	p2 = sim_map_guest_page(gpa2, why);
	if (!p2) {
		vunmap(p1);
		return -EINVAL;
	}
	WRITE_ONCE(sim.monitor[0], p1);
	WRITE_ONCE(sim.monitor[1], p2);
	return 0;
}

/* UNLOAD or teardown: the poll stops, then the pages go. */
void sim_monitor_unmap(void)
{
	struct hvk_monitor_page *p1 = sim.monitor[0], *p2 = sim.monitor[1];

	WRITE_ONCE(sim.monitor[0], NULL);
	WRITE_ONCE(sim.monitor[1], NULL);
	hrtimer_cancel(&sim.monitor_poll);
	clear_bit(0, &sim.monitor_armed);
	if (p1)
		vunmap(p1);
	if (p2)
		vunmap(p2);
}

/* A new channel of a monitored device gets a free id. */
int sim_monitor_assign(struct sim_chan *c)
{
	u32 id;
	int ret;

	ret = xa_alloc(&sim.monitored, &id, c, XA_LIMIT(0, SIM_MONITOR_IDS - 1), GFP_KERNEL);
	if (ret)
		return ret;
	c->monitor_id = id;
	return 0;
}

/* The channel is going: no poll finds it once an RCU grace period passed. */
void sim_monitor_release(struct sim_chan *c)
{
	if (c->monitor_id != SIM_NOT_MONITORED)
		xa_erase(&sim.monitored, c->monitor_id);
}

/* Offer @c as monitored, and tell the guest how we poll it. */
void sim_monitor_publish(const struct sim_chan *c, struct hvk_msg_offer *o)
{
	unsigned int g = c->monitor_id / 32, b = c->monitor_id % 32, i;

	if (c->monitor_id == SIM_NOT_MONITORED)
		return;
	o->monitorid = c->monitor_id;
	o->monitor_flags = HVK_OFFER_MONITOR_ALLOCATED;
	for (i = 0; i < ARRAY_SIZE(sim.monitor); i++) {
		struct hvk_monitor_page *mp = sim.monitor[i];

		if (!mp)
			continue;
		WRITE_ONCE(mp->latency[g][b], monitor_latency_us * 10);	/* 100 ns units */
		WRITE_ONCE(mp->parameter[g][b].connectionid, c->conn_id);
		WRITE_ONCE(mp->parameter[g][b].flagnumber, 0);
	}
}

/*
 * Start the poll if it is not running. A poll that is about to stop
 * clears monitor_armed and then looks at monitor_open again, so either it
 * sees this channel or this start wins the bit.
 */
void sim_monitor_opened(struct sim_chan *c)
{
	if (c->monitor_id == SIM_NOT_MONITORED)
		return;
	atomic_inc(&sim.monitor_open);
	smp_mb__after_atomic();
	if (!test_and_set_bit(0, &sim.monitor_armed))
		hrtimer_start(&sim.monitor_poll, ns_to_ktime(monitor_latency_us * NSEC_PER_USEC),
			      HRTIMER_MODE_REL);
}

/* The poll stops by itself when the last monitored channel closed. */
void sim_monitor_closed(struct sim_chan *c)
{
	if (c->monitor_id != SIM_NOT_MONITORED)
		atomic_dec(&sim.monitor_open);
}
