// SPDX-License-Identifier: GPL-2.0
/*
 * Channels: offers, rescinds, open and close, sending and receiving, and
 * the host's signals.
 *
 * Contexts. Offers and rescinds arrive on the ordered message workqueue;
 * they never sleep on a reply (the replies come through the same queue).
 * Device registration and removal, which run driver probe and remove and
 * so wait for replies, are queued on the ordered device workqueue; a
 * sub-channel's addition and removal on the ordered sub-channel
 * workqueue, so that a driver's probe may wait for its sub-channels (as
 * upstream's handle_primary_chan_wq and handle_sub_chan_wq). Either way a
 * rescind's removal runs after the offer's addition. A sub-channel's
 * addition waits until its primary's device is registered (ready),
 * which happens before that device's probe runs.
 * Host signals arrive in hard interrupt context (hvk_chan_event()), which
 * schedules the channel's tasklet; the driver's callback runs there, in
 * softirq context, never on two CPUs at once.
 */
#include <linux/bitmap.h>
#include <linux/interrupt.h>
#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/nodemask.h>
#include <linux/rcupdate.h>
#include <linux/sched/isolation.h>
#include <linux/slab.h>
#include <linux/topology.h>
#include <linux/uuid.h>
#include <linux/vmalloc.h>
#include <hvkit/echo.h>
#include "core.h"

static_assert(PAGE_SIZE == HVK_RING_CTL_SIZE,
	      "ring layout assumes 4 KiB pages; 64 KiB pages need the HV_GPADL_RING split");

/*
 * relid -> channel. Writers hold hvk_relid_lock; the interrupt path reads
 * under RCU. A channel is freed only after a grace period past its removal.
 */
static struct hvk_channel __rcu *hvk_relids[HVK_MAX_RELID + 1];
static DEFINE_SPINLOCK(hvk_relid_lock);
static u32 hvk_relid_max;		/* highest relid in use, for the scan */

/*
 * Channel placement, as upstream's init_vp_index(). A channel's CPU is
 * chosen at offer and changed by MODIFYCHANNEL, each time under
 * cpus_read_lock(): the CPU is online when chosen, and from the moment a
 * channel names it (target_cpu, or next_cpu during a move) the hotplug
 * callback refuses to take it down (hvk_cpu_busy()). So OPEN needs no
 * hotplug lock: the CPU it sends is online.
 *
 * hvk_place_lock (inside cpus_read_lock(), outside hvk_relid_lock)
 * serialises the choices and protects the bookkeeping: per NUMA node, the
 * CPUs already given to a performance channel, and the next node.
 */
static DEFINE_MUTEX(hvk_place_lock);
static struct cpumask *hvk_node_used;	/* [nr_node_ids] */
static unsigned int hvk_next_node;
static struct cpumask hvk_pick_mask[2], hvk_dev_mask;	/* scratch */

u32 hvk_chan_max_relid(void)
{
	return READ_ONCE(hvk_relid_max);
}

const char *hvk_channel_name(struct hvk_channel *ch)
{
	return dev_name(&ch->hdev->dev);
}
EXPORT_SYMBOL_GPL(hvk_channel_name);

bool hvk_channel_rescinded(struct hvk_channel *ch)
{
	return READ_ONCE(ch->rescinded);
}
EXPORT_SYMBOL_GPL(hvk_channel_rescinded);

static struct hvk_channel *hvk_relid_get(u32 relid)
{
	struct hvk_channel *ch;

	if (relid > HVK_MAX_RELID)
		return NULL;
	spin_lock_irq(&hvk_relid_lock);
	ch = rcu_dereference_protected(hvk_relids[relid], lockdep_is_held(&hvk_relid_lock));
	if (ch)
		kobject_get(&ch->kobj);
	spin_unlock_irq(&hvk_relid_lock);
	return ch;
}

static bool hvk_perf_channel(const struct hvk_channel *ch);
static void hvk_place_account(unsigned int cpu, bool used);

static void hvk_relid_unpublish(struct hvk_channel *ch)
{
	u32 r;

	/* Its CPU may be given to the next performance channel (upstream). */
	if (hvk_perf_channel(ch)) {
		mutex_lock(&hvk_place_lock);
		hvk_place_account(ch->target_cpu, false);
		mutex_unlock(&hvk_place_lock);
	}
	spin_lock_irq(&hvk_relid_lock);
	RCU_INIT_POINTER(hvk_relids[ch->relid], NULL);
	for (r = hvk_relid_max; r && !rcu_access_pointer(hvk_relids[r]); r--)
		;
	WRITE_ONCE(hvk_relid_max, r);
	spin_unlock_irq(&hvk_relid_lock);
	/* No interrupt handler still looks at it. */
	synchronize_rcu();
}

void hvk_chan_release(struct kobject *kobj)
{
	struct hvk_channel *ch = container_of(kobj, struct hvk_channel, kobj);

	kfree(ch);
}

/* Upstream's performance-critical classes (vmbus_devs[], perf_device). */
static const guid_t hvk_perf_classes[] = {
	GUID_INIT(0x32412632, 0x86cb, 0x44a2, 0x9b, 0x5c, 0x50, 0xd1, 0x41, 0x73, 0x54, 0xf5), /* IDE */
	GUID_INIT(0xba6163d9, 0x04a1, 0x4d29, 0xb6, 0x05, 0x72, 0xe2, 0xff, 0xb1, 0xdc, 0x7f), /* SCSI */
	GUID_INIT(0x2f9bcc4a, 0x0069, 0x4af3, 0xb7, 0x6b, 0x6f, 0xd0, 0xbe, 0x52, 0x8c, 0xda), /* FC */
	GUID_INIT(0xf8615163, 0xdf3e, 0x46c5, 0x91, 0x3f, 0xf2, 0xd2, 0xf9, 0x65, 0xed, 0x0e), /* NIC */
	GUID_INIT(0x8c2eaf3d, 0x32a7, 0x4b09, 0xab, 0x99, 0xbd, 0x1f, 0x1c, 0x86, 0xb5, 0x01), /* ND */
	{ .b = { HVK_ECHO_CLASS_BYTES } },	/* hvkit's test workload spreads too */
};

static bool hvk_perf_channel(const struct hvk_channel *ch)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(hvk_perf_classes); i++)
		if (!memcmp(&ch->offer.if_type, &hvk_perf_classes[i], sizeof(guid_t)))
			return true;
	return false;
}

/* Placement bookkeeping: @cpu has (or no longer has) a performance channel. */
static void hvk_place_account(unsigned int cpu, bool used)
{
	lockdep_assert_held(&hvk_place_lock);
	if (used)
		cpumask_set_cpu(cpu, &hvk_node_used[cpu_to_node(cpu)]);
	else
		cpumask_clear_cpu(cpu, &hvk_node_used[cpu_to_node(cpu)]);
}

/* The CPUs of the other channels of @ch's device (upstream's hv_cpuself_used()). */
static void hvk_dev_cpus(const struct hvk_channel *ch, struct cpumask *mask)
{
	const struct hvk_channel *o;
	u32 r;

	cpumask_clear(mask);
	if (!ch->primary)
		return;
	cpumask_set_cpu(ch->primary->target_cpu, mask);
	for (r = 1; r <= hvk_relid_max; r++) {
		o = rcu_dereference_protected(hvk_relids[r], lockdep_is_held(&hvk_relid_lock));
		if (o && o->primary == ch->primary)
			cpumask_set_cpu(o->target_cpu, mask);
	}
}

/*
 * A new channel's CPU, as upstream's init_vp_index() chooses it. Most
 * classes get the connect CPU. A performance channel goes to the next NUMA
 * node in turn and, within it, to a CPU that no performance channel has
 * yet (when every one has, the node starts over), among the online CPUs
 * that may take managed interrupts (isolcpus=managed_irq). A sub-channel
 * also avoids the CPUs of its device's other channels while it can.
 * Called under cpus_read_lock() (lockdep_assert_cpus_held() is not
 * exported to modules), hvk_place_lock and hvk_relid_lock.
 */
static u32 hvk_pick_cpu(const struct hvk_channel *ch)
{
	const struct cpumask *hk = housekeeping_cpumask(HK_TYPE_MANAGED_IRQ);
	struct cpumask *node_ok = &hvk_pick_mask[0], *avail = &hvk_pick_mask[1], *used;
	unsigned int ncpu = num_online_cpus(), i, tries, node;
	u32 cpu = HVK_CONNECT_CPU;

	lockdep_assert_held(&hvk_place_lock);
	lockdep_assert_held(&hvk_relid_lock);
	if (!hvk_perf_channel(ch))
		return HVK_CONNECT_CPU;
	if (!cpumask_intersects(hk, cpu_online_mask)) {
		hvk_place_account(HVK_CONNECT_CPU, true);
		return HVK_CONNECT_CPU;
	}
	hvk_dev_cpus(ch, &hvk_dev_mask);
	for (i = 1; i <= ncpu + 1; i++) {
		/* The next node with an online CPU that can take it. */
		for (tries = 0; tries < nr_node_ids; tries++) {
			node = hvk_next_node;
			hvk_next_node = (node + 1) % nr_node_ids;
			if (cpumask_and(node_ok, cpumask_of_node(node), cpu_online_mask) &&
			    cpumask_and(node_ok, node_ok, hk))
				break;
		}
		if (tries == nr_node_ids)	/* cannot be: hk has an online CPU */
			return HVK_CONNECT_CPU;
		used = &hvk_node_used[node];
		if (!cpumask_andnot(avail, node_ok, used)) {
			cpumask_clear(used);
			cpumask_copy(avail, node_ok);
		}
		cpu = cpumask_first(avail);
		cpumask_set_cpu(cpu, used);
		if (ch->offer.sub_channel_index >= ncpu || i > ncpu ||
		    !cpumask_test_cpu(cpu, &hvk_dev_mask))
			break;
	}
	return cpu;
}

int hvk_chan_init(void)
{
	hvk_node_used = kcalloc(nr_node_ids, sizeof(*hvk_node_used), GFP_KERNEL);
	return hvk_node_used ? 0 : -ENOMEM;
}

void hvk_chan_exit(void)
{
	kfree(hvk_node_used);
	hvk_node_used = NULL;
}

static void hvk_chan_add_work(struct work_struct *work);
static void hvk_chan_tasklet(struct tasklet_struct *t);
static int hvk_rqst_alloc(struct hvk_channel *ch, u32 send_size);
static void hvk_rqst_free(struct hvk_channel *ch);
static void hvk_chan_remove_work(struct work_struct *work);

/* Message workqueue: a new channel, checked before anything is kept. */
void hvk_chan_offer(const struct hvk_msg_offer *m)
{
	struct hvk_channel *ch, *primary = NULL;
	u32 relid = m->child_relid, r;
	bool monitored = m->monitor_flags & HVK_OFFER_MONITOR_ALLOCATED;
	const char *why;

	/* A detach is under way: it would never see this channel. */
	r = READ_ONCE(hvk_conn.state);
	if (r != HVK_CONN_CONNECTING && r != HVK_CONN_CONNECTED) {
		pr_warn_ratelimited("hvkit_vmbus: offer of relid %u while disconnecting, ignored\n",
				    relid);
		return;
	}
	/* hvk_chanmsg_check() vetted relid, monitor id and sub-channel index. */
	ch = kzalloc(sizeof(*ch), GFP_KERNEL);
	if (!ch)
		return;
	kobject_init(&ch->kobj, &hvk_chan_ktype);
	memcpy(&ch->offer, &m->offer, sizeof(ch->offer));
	ch->relid = relid;
	ch->sig_conn_id = m->connection_id;
	ch->monitor_id = monitored ? m->monitorid : HVK_NOT_MONITORED;
	ch->dedicated_interrupt = m->interrupt_flags & HVK_OFFER_DEDICATED_INTERRUPT;
	mutex_init(&ch->lock);
	mutex_init(&ch->sc_lock);
	spin_lock_init(&ch->out_lock);
	spin_lock_init(&ch->rqst_lock);
	INIT_WORK(&ch->add_work, hvk_chan_add_work);
	INIT_WORK(&ch->remove_work, hvk_chan_remove_work);
	init_completion(&ch->ready);
	tasklet_setup(&ch->tasklet, hvk_chan_tasklet);

	ch->next_cpu = HVK_NO_CPU;

	/* The CPU chosen is online, and stays so while a channel names it. */
	cpus_read_lock();
	mutex_lock(&hvk_place_lock);
	spin_lock_irq(&hvk_relid_lock);
	why = "reuses relid, which is in use";
	if (rcu_access_pointer(hvk_relids[relid]))
		goto refuse;
	/* Same class and instance: a primary's twin, or its sub-channel. */
	for (r = 1; r <= hvk_relid_max; r++) {
		struct hvk_channel *o = rcu_dereference_protected(hvk_relids[r],
							lockdep_is_held(&hvk_relid_lock));

		if (!o || o->offer.sub_channel_index ||
		    memcmp(&o->offer.if_instance, &m->offer.if_instance, sizeof(struct hvk_guid)) ||
		    memcmp(&o->offer.if_type, &m->offer.if_type, sizeof(struct hvk_guid)))
			continue;
		primary = o;
		break;
	}
	why = primary ? "repeats a device that exists" : "is a sub-channel with no primary channel";
	if (!m->offer.sub_channel_index == !!primary)
		goto refuse;
	if (primary) {
		ch->primary = primary;
		kobject_get(&primary->kobj);
	}
	ch->target_cpu = hvk_pick_cpu(ch);
	rcu_assign_pointer(hvk_relids[relid], ch);
	if (relid > hvk_relid_max)
		WRITE_ONCE(hvk_relid_max, relid);
	spin_unlock_irq(&hvk_relid_lock);
	mutex_unlock(&hvk_place_lock);
	cpus_read_unlock();
	queue_work(primary ? hvk_conn.sc_wq : hvk_conn.dev_wq, &ch->add_work);
	return;

refuse:
	spin_unlock_irq(&hvk_relid_lock);
	mutex_unlock(&hvk_place_lock);
	cpus_read_unlock();
	pr_err_ratelimited("hvkit_vmbus: offer %u %s, ignored\n", relid, why);
	kobject_put(&ch->kobj);
}

/* Device workqueue: the device appears; its driver probes from here. */
static void hvk_chan_add_work(struct work_struct *work)
{
	struct hvk_channel *ch = container_of(work, struct hvk_channel, add_work);
	struct hvk_device *hdev;
	guid_t class_id, instance_id;

	if (ch->primary) {
		struct hvk_channel *primary = ch->primary;

		/*
		 * The primary's device is registered (its probe may be running
		 * and waiting for us) or failed. Under sc_lock, a primary that is
		 * being removed takes no more sub-channels.
		 */
		wait_for_completion(&primary->ready);
		mutex_lock(&primary->sc_lock);
		if (primary->hdev && !READ_ONCE(primary->removing)) {
			ch->hdev = primary->hdev;
			hvk_chan_sysfs_add(ch);
			if (primary->sc_added && !READ_ONCE(ch->rescinded)) {
				ch->sc_live = true;
				primary->sc_added(ch, primary->sc_ctx);
			}
		}
		mutex_unlock(&primary->sc_lock);
		return;
	}
	memcpy(&class_id, &ch->offer.if_type, sizeof(class_id));
	memcpy(&instance_id, &ch->offer.if_instance, sizeof(instance_id));
	hdev = hvk_device_alloc(hvk_conn.parent, &class_id, &instance_id);
	if (!hdev) {
		pr_err("hvkit_vmbus: no memory for the device of channel %u\n", ch->relid);
		complete_all(&ch->ready);
		return;
	}
	hdev->channel = ch;
	ch->hdev = hdev;
	/* hvk_chan_dev_registered() adds the sysfs and completes ready. */
	if (hvk_device_add(hdev)) {
		pr_err("hvkit_vmbus: device %pUl of channel %u could not be added\n",
		       &instance_id, ch->relid);
		mutex_lock(&ch->sc_lock);
		hvk_chan_sysfs_del(ch);
		ch->hdev = NULL;
		mutex_unlock(&ch->sc_lock);
		complete_all(&ch->ready);
		hvk_device_put(hdev);
	}
}

/*
 * Bus notifier, from device_add() of a primary channel's device, before
 * its driver probes: channels/ appears with the device, and sub-channels
 * offered from now on (those the probe asks for) can join it.
 */
void hvk_chan_dev_registered(struct hvk_device *hdev)
{
	struct hvk_channel *ch = hdev->channel;

	mutex_lock(&ch->sc_lock);
	hvk_chan_sysfs_add(ch);
	mutex_unlock(&ch->sc_lock);
	complete_all(&ch->ready);
}

/*
 * The sub-channels of @primary that are still offered, for @fn. A host
 * normally rescinds them first, but a hostile one may not.
 */
static void hvk_chan_for_each_sub(struct hvk_channel *primary,
				  void (*fn)(struct hvk_channel *sc, void *arg), void *arg)
{
	u32 r;

	for (r = 1; r <= hvk_chan_max_relid(); r++) {
		struct hvk_channel *sc = hvk_relid_get(r);

		if (!sc)
			continue;
		if (sc->primary == primary)
			fn(sc, arg);
		kobject_put(&sc->kobj);
	}
}

static void hvk_sub_sysfs_del(struct hvk_channel *sc, void *unused)
{
	if (sc->hdev)
		hvk_chan_sysfs_del(sc);
}

/* The device is going: the sub-channel keeps no pointer to it. */
static void hvk_sub_orphan(struct hvk_channel *sc, void *unused)
{
	hvk_channel_close(sc);
	sc->hdev = NULL;
}

/* Device workqueue: tear down what the offer built, then release the relid. */
static void hvk_chan_remove_work(struct work_struct *work)
{
	struct hvk_channel *ch = container_of(work, struct hvk_channel, remove_work);
	struct hvk_msg_relid rel = {};

	/*
	 * A primary and its sub-channels are removed on two queues, so both
	 * sides touch a sub-channel's sysfs and device pointer only under the
	 * primary's sc_lock. removing is set: a sub-channel added from now on
	 * stays out.
	 */
	if (!ch->primary && ch->hdev) {
		mutex_lock(&ch->sc_lock);
		/* Sub-channels' sysfs lives under the device: it goes first. */
		hvk_chan_for_each_sub(ch, hvk_sub_sysfs_del, NULL);
		hvk_chan_sysfs_del(ch);
		mutex_unlock(&ch->sc_lock);
		hvk_device_del(ch->hdev);	/* the driver closes its channels */
		mutex_lock(&ch->sc_lock);
		hvk_chan_for_each_sub(ch, hvk_sub_orphan, NULL);
		hvk_device_put(ch->hdev);
		ch->hdev = NULL;
		mutex_unlock(&ch->sc_lock);
	} else if (ch->primary) {
		mutex_lock(&ch->primary->sc_lock);
		if (ch->sc_live && ch->primary->sc_removed)
			ch->primary->sc_removed(ch, ch->primary->sc_ctx);
		ch->sc_live = false;
		hvk_channel_close(ch);
		if (ch->hdev)
			hvk_chan_sysfs_del(ch);
		mutex_unlock(&ch->primary->sc_lock);
	}
	hvk_relid_unpublish(ch);
	if (READ_ONCE(ch->rescinded)) {
		rel.hdr.msgtype = HVK_CHANMSG_RELID_RELEASED;
		rel.child_relid = ch->relid;
		if (hvk_post(hvk_conn.msg_conn_id, &rel, sizeof(rel)))
			pr_warn_ratelimited("hvkit_vmbus: RELID_RELEASED %u not sent\n", ch->relid);
	}
	if (ch->primary)
		kobject_put(&ch->primary->kobj);
	kobject_put(&ch->kobj);
}

/*
 * A rescind and a detach may both want the channel gone: whoever comes
 * first queues its removal, exactly once.
 */
static void hvk_chan_queue_remove(struct hvk_channel *ch)
{
	if (!xchg(&ch->removing, true))
		queue_work(ch->primary ? hvk_conn.sc_wq : hvk_conn.dev_wq, &ch->remove_work);
}

/* Message workqueue: the host takes a channel away. */
void hvk_chan_rescind(u32 relid)
{
	struct hvk_channel *ch = hvk_relid_get(relid);
	hvk_channel_cb cb;

	if (!ch) {
		pr_err_ratelimited("hvkit_vmbus: rescind of unknown relid %u, ignored\n", relid);
		return;
	}
	if (xchg(&ch->rescinded, true)) {
		pr_err_ratelimited("hvkit_vmbus: relid %u rescinded twice, ignored\n", relid);
		kobject_put(&ch->kobj);
		return;
	}
	/* Whoever waits on the host for this channel stops waiting. */
	hvk_xact_fail_relid(relid, -ENODEV);
	rcu_read_lock();
	cb = smp_load_acquire(&ch->rescind_cb);
	if (cb)
		cb(ch->rescind_ctx);
	rcu_read_unlock();
	hvk_chan_queue_remove(ch);
	kobject_put(&ch->kobj);
}

/* Detach: every device goes, sub-channels first, as drivers close. */
void hvk_chan_remove_all(void)
{
	u32 r;
	int pass;

	flush_workqueue(hvk_conn.dev_wq);
	flush_workqueue(hvk_conn.sc_wq);
	for (pass = 0; pass < 2; pass++) {
		for (r = 1; r <= HVK_MAX_RELID; r++) {
			struct hvk_channel *ch = hvk_relid_get(r);

			if (!ch)
				continue;
			if (!!ch->primary == !pass)
				hvk_chan_queue_remove(ch);
			kobject_put(&ch->kobj);
		}
		flush_workqueue(hvk_conn.sc_wq);
		flush_workqueue(hvk_conn.dev_wq);
	}
}

/*
 * Hard interrupt context: the host signalled @relid on this CPU. The
 * driver's callback runs in the channel's tasklet: on this CPU, in
 * softirq context, and never on two CPUs at once, even while a
 * MODIFYCHANNEL moves the channel's interrupts between them.
 */
void hvk_chan_event(u32 relid)
{
	struct hvk_channel *ch;

	rcu_read_lock();
	ch = rcu_dereference(hvk_relids[relid]);
	if (ch && READ_ONCE(ch->callback)) {
		ch->interrupts++;
		tasklet_schedule(&ch->tasklet);
	}
	rcu_read_unlock();
}

static void hvk_chan_tasklet(struct tasklet_struct *t)
{
	struct hvk_channel *ch = from_tasklet(ch, t, tasklet);
	/* Pairs with the release in hvk_channel_open(): cb_ctx is set. */
	hvk_channel_cb cb = smp_load_acquire(&ch->callback);

	if (cb)
		cb(ch->cb_ctx);
}

/*
 * Tell the host there is something in the ring. A monitored channel sets
 * its bit in the guest-to-host monitor page, which the host polls (every
 * latency[group][bit] x 100 ns): no hypercall, no exit. The rest take the
 * HvSignalEvent hypercall. Either way the relid's bit goes into the send
 * half of the interrupt page first, for hosts that still read it.
 */
static void hvk_chan_signal(struct hvk_channel *ch)
{
	const struct hvk_transport_ops *ops = READ_ONCE(hvk_conn.ops);
	struct hvk_monitor_page *mp = hvk_conn.monitor_pages[1];

	ch->events++;
	if (ch->monitor_id != HVK_NOT_MONITORED || !ch->dedicated_interrupt)
		set_bit(ch->relid, hvk_conn.int_page + PAGE_SIZE / 2);
	if (ch->monitor_id != HVK_NOT_MONITORED) {
		/* pending is a u32 at an 8-byte boundary: bits 0..31 of a long. */
		set_bit(ch->monitor_id % 32,
			(unsigned long *)&mp->trigger_group[ch->monitor_id / 32].pending);
		return;
	}
	if (ops)
		ops->signal_event(ch->sig_conn_id, ch->relid);
}

/* Channel bits in @cpu's event page that no handler has taken yet. */
static bool hvk_cpu_events_pending(unsigned int cpu)
{
	const unsigned long *bits = hvk_synic_event_bits(cpu);
	int tries;

	/* The handler runs soon and clears them; wait a little, as upstream. */
	for (tries = 0;; tries++) {
		/* Bit 0 is no channel's. */
		if (find_next_bit(bits, HVK_EVENT_FLAGS_BITS, 1) >= HVK_EVENT_FLAGS_BITS)
			return false;
		if (tries == HVK_OFFLINE_EVENT_TRIES)
			return true;
		usleep_range(10000, 20000);
	}
}

/*
 * May @cpu not go offline? Upstream's hv_synic_cleanup() rules, for the
 * transports' CPU hotplug teardown callback, which runs on @cpu while the
 * hotplug lock is held for writing: no channel's CPU is being chosen or
 * moved meanwhile (both hold cpus_read_lock()), so every one is seen.
 * While connected: never the connect CPU, where the host's messages
 * arrive; never a CPU that a channel (offered or open, primary or
 * sub-channel) targets or is being moved to; and from 4.1 on, which can
 * move channels, never a CPU whose event page still holds channel bits
 * after a short wait for the handler. May sleep.
 */
bool hvk_cpu_busy(unsigned int cpu)
{
	const struct hvk_channel *ch;
	bool busy = false;
	u32 r;

	int state = READ_ONCE(hvk_conn.state);

	/* Disconnected (UNLOAD at kexec, crash): every CPU may go, as upstream. */
	if (!READ_ONCE(hvk_conn.ops) ||
	    (state != HVK_CONN_CONNECTING && state != HVK_CONN_CONNECTED))
		return false;
	if (cpu == HVK_CONNECT_CPU)
		return true;
	rcu_read_lock();
	for (r = 1; !busy && r <= hvk_chan_max_relid(); r++) {
		ch = rcu_dereference(hvk_relids[r]);
		busy = ch && (READ_ONCE(ch->target_cpu) == cpu || READ_ONCE(ch->next_cpu) == cpu);
	}
	rcu_read_unlock();
	if (!busy && READ_ONCE(hvk_conn.version) >= HVK_VMBUS_WIN10_V4_1)
		busy = hvk_cpu_events_pending(cpu);
	return busy;
}
EXPORT_SYMBOL_GPL(hvk_cpu_busy);

/*
 * Give an open channel's rings back: tear down their GPADL, free them, or
 * keep them if the host never confirmed and may still write there.
 */
static void hvk_chan_free_ring(struct hvk_channel *ch)
{
	if (hvk_gpadl_teardown(ch, &ch->ring_gpadl) == -ETIMEDOUT)
		hvk_leak_for_host(&ch->hdev->dev, ch->ring_buf, ch->ring_bytes, "ring");
	else
		vfree(ch->ring_buf);
	ch->ring_buf = NULL;
	hvk_rqst_free(ch);
}

int hvk_channel_open(struct hvk_channel *ch, u32 send_size, u32 recv_size,
		     const void *userdata, u32 userdata_len, hvk_channel_cb cb, void *ctx)
{
	struct hvk_msg_open m = {};
	const struct hvk_msg_open_result *r;
	struct hvk_xact x;
	void *buf;
	int ret;

	if (send_size < 2 * PAGE_SIZE || recv_size < 2 * PAGE_SIZE ||
	    !PAGE_ALIGNED(send_size) || !PAGE_ALIGNED(recv_size) ||
	    userdata_len > HVK_OPEN_USER_DATA_BYTES || !cb)
		return -EINVAL;
	mutex_lock(&ch->lock);
	ret = -ENODEV;
	if (READ_ONCE(ch->rescinded))
		goto out;
	ret = -EBUSY;
	if (ch->state != HVK_CHAN_OFFERED)
		goto out;
	ret = hvk_rqst_alloc(ch, send_size);
	if (ret)
		goto out;
	ret = -ENOMEM;
	buf = vzalloc(send_size + recv_size);
	if (!buf) {
		hvk_rqst_free(ch);
		goto out;
	}
	hvk_ring_init(&ch->out, buf, buf + PAGE_SIZE, send_size - PAGE_SIZE, true);
	hvk_ring_init(&ch->in, buf + send_size, buf + send_size + PAGE_SIZE,
		      recv_size - PAGE_SIZE, true);
	ret = hvk_gpadl_create(ch, buf, send_size + recv_size, &ch->ring_gpadl);
	if (ret) {
		/* A GPADL the host may still hold is never freed. */
		if (ret == -ETIMEDOUT)
			hvk_leak_for_host(&ch->hdev->dev, buf, send_size + recv_size, "ring");
		else
			vfree(buf);
		hvk_rqst_free(ch);
		goto out;
	}
	ch->ring_buf = buf;
	ch->ring_bytes = send_size + recv_size;
	ch->cb_ctx = ctx;
	/* Readers load callback with acquire and then use cb_ctx. */
	smp_store_release(&ch->callback, cb);

	m.hdr.msgtype = HVK_CHANMSG_OPENCHANNEL;
	m.child_relid = ch->relid;
	m.openid = ch->relid;
	m.ringbuffer_gpadl = ch->ring_gpadl.handle;
	/* Chosen at offer: online, and kept so (hvk_cpu_busy()). */
	m.target_vp = hvk_vp(ch->target_cpu);
	m.downstream_page_offset = send_size >> PAGE_SHIFT;
	if (userdata_len)
		memcpy(m.userdata, userdata, userdata_len);
	/* A rescind since the GPADL was made fails the open here, at once. */
	ret = hvk_xact_send_chan(&x, HVK_CHANMSG_OPENCHANNEL_RESULT, ch->relid, ch, &m, sizeof(m));
	r = (const void *)x.buf;
	if (!ret && r->status) {
		dev_err_ratelimited(&ch->hdev->dev, "host refused to open channel %u: status %#x\n",
				    ch->relid, r->status);
		ret = -EIO;
	}
	if (ret) {
		hvk_channel_stop_callbacks(ch);
		hvk_chan_free_ring(ch);
		goto out;
	}
	WRITE_ONCE(ch->state, HVK_CHAN_OPEN);
out:
	/*
	 * A failed open leaves no callback behind: the driver frees what they
	 * point to. -EBUSY: the channel is someone else's open one.
	 */
	if (ret && ret != -EBUSY && READ_ONCE(ch->rescind_cb))
		hvk_channel_stop_callbacks(ch);
	mutex_unlock(&ch->lock);
	return ret;
}
EXPORT_SYMBOL_GPL(hvk_channel_open);

u16 hvk_channel_subidx(struct hvk_channel *ch)
{
	return ch->offer.sub_channel_index;
}
EXPORT_SYMBOL_GPL(hvk_channel_subidx);

/* Unhooking: the driver is told about each live sub-channel. */
static void hvk_sub_unhook(struct hvk_channel *sc, void *unused)
{
	struct hvk_channel *primary = sc->primary;

	if (sc->sc_live && primary->sc_removed)
		primary->sc_removed(sc, primary->sc_ctx);
	sc->sc_live = false;
}

/* Hooking: a sub-channel the host offered already is the driver's now. */
static void hvk_sub_hook(struct hvk_channel *sc, void *unused)
{
	struct hvk_channel *primary = sc->primary;

	if (sc->hdev && !sc->sc_live && !READ_ONCE(sc->rescinded)) {
		sc->sc_live = true;
		primary->sc_added(sc, primary->sc_ctx);
	}
}

void hvk_channel_set_subchannel_cbs(struct hvk_channel *primary,
				    void (*added)(struct hvk_channel *sc, void *ctx),
				    void (*removed)(struct hvk_channel *sc, void *ctx), void *ctx)
{
	mutex_lock(&primary->sc_lock);
	if (!added)
		hvk_chan_for_each_sub(primary, hvk_sub_unhook, NULL);
	primary->sc_added = added;
	primary->sc_removed = removed;
	primary->sc_ctx = ctx;
	if (added)
		hvk_chan_for_each_sub(primary, hvk_sub_hook, NULL);
	mutex_unlock(&primary->sc_lock);
}
EXPORT_SYMBOL_GPL(hvk_channel_set_subchannel_cbs);

void hvk_channel_set_rescind_cb(struct hvk_channel *ch, hvk_channel_cb cb, void *ctx)
{
	ch->rescind_ctx = ctx;
	/* hvk_chan_rescind() loads it with acquire and then uses rescind_ctx. */
	smp_store_release(&ch->rescind_cb, cb);
}
EXPORT_SYMBOL_GPL(hvk_channel_set_rescind_cb);

void hvk_channel_stop_callbacks(struct hvk_channel *ch)
{
	WRITE_ONCE(ch->callback, NULL);
	WRITE_ONCE(ch->rescind_cb, NULL);
	/* No interrupt handler or rescind looks at them past this point ... */
	synchronize_rcu();
	/* ... and the tasklet they scheduled has run: no callback is left. */
	tasklet_kill(&ch->tasklet);
}
EXPORT_SYMBOL_GPL(hvk_channel_stop_callbacks);

void hvk_channel_close(struct hvk_channel *ch)
{
	struct hvk_msg_relid m = {};
	unsigned long flags;

	mutex_lock(&ch->lock);
	if (ch->state != HVK_CHAN_OPEN)
		goto out;
	/* Senders check the state under out_lock: wait out those inside. */
	spin_lock_irqsave(&ch->out_lock, flags);
	WRITE_ONCE(ch->state, HVK_CHAN_OFFERED);
	spin_unlock_irqrestore(&ch->out_lock, flags);
	hvk_channel_stop_callbacks(ch);
	if (!READ_ONCE(ch->rescinded)) {
		m.hdr.msgtype = HVK_CHANMSG_CLOSECHANNEL;
		m.child_relid = ch->relid;
		if (hvk_post(hvk_conn.msg_conn_id, &m, sizeof(m)))
			dev_warn_ratelimited(&ch->hdev->dev, "CLOSECHANNEL %u not sent\n", ch->relid);
	}
	hvk_chan_free_ring(ch);
out:
	mutex_unlock(&ch->lock);
}
EXPORT_SYMBOL_GPL(hvk_channel_close);

/*
 * Retarget the channel's interrupts to @cpu (MODIFYCHANNEL, VMBus 4.1+),
 * from sysfs, as upstream's target_cpu_store(). Hosts of 5.3 and later
 * confirm; older ones do not answer, and the move takes effect when the
 * host gets to it. Signals already sent may still arrive on the old CPU,
 * which handles them as usual; once the old CPU is no channel's, it may go
 * offline, after its event page is drained (hvk_cpu_busy()).
 *
 * @cpu is checked online under cpus_read_lock() and named in next_cpu
 * before the lock is let go, so the hotplug callback refuses it from then
 * on. The lock is not held while the host answers: the answer comes
 * through the ordered message workqueue, where an offer may be waiting
 * for cpus_read_lock() behind a CPU going down that waits for us.
 */
int hvk_chan_modify_cpu(struct hvk_channel *ch, unsigned int cpu)
{
	struct hvk_msg_modifychannel m = {};
	const struct hvk_msg_modifychannel_response *r;
	struct hvk_xact x;
	u32 old;
	int ret;

	if (hvk_conn.version < HVK_VMBUS_WIN10_V4_1)
		return -EOPNOTSUPP;
	if (cpu >= nr_cpu_ids || !cpumask_test_cpu(cpu, housekeeping_cpumask(HK_TYPE_MANAGED_IRQ)))
		return -EINVAL;
	mutex_lock(&ch->lock);
	ret = -ENODEV;
	if (ch->state != HVK_CHAN_OPEN || READ_ONCE(ch->rescinded))
		goto out;
	ret = 0;
	old = ch->target_cpu;
	if (old == cpu)
		goto out;
	cpus_read_lock();
	ret = -EINVAL;
	if (cpu_online(cpu)) {
		WRITE_ONCE(ch->next_cpu, cpu);
		ret = 0;
	}
	cpus_read_unlock();
	if (ret)
		goto out;

	m.hdr.msgtype = HVK_CHANMSG_MODIFYCHANNEL;
	m.child_relid = ch->relid;
	m.target_vp = hvk_vp(cpu);
	if (hvk_conn.version >= HVK_VMBUS_WIN10_V5_3) {
		ret = hvk_xact_send_chan(&x, HVK_CHANMSG_MODIFYCHANNEL_RESPONSE, ch->relid, ch,
					 &m, sizeof(m));
		r = (const void *)x.buf;
		if (!ret && r->status) {
			dev_err_ratelimited(&ch->hdev->dev, "host refused to move channel %u to CPU %u: status %#x\n",
					    ch->relid, cpu, r->status);
			ret = -EIO;
		}
	} else {
		ret = hvk_post(hvk_conn.msg_conn_id, &m, sizeof(m));
	}
	mutex_lock(&hvk_place_lock);
	if (!ret) {
		/* The new CPU is named before the move's pin goes. */
		WRITE_ONCE(ch->target_cpu, cpu);
		if (hvk_perf_channel(ch)) {
			hvk_place_account(old, false);
			hvk_place_account(cpu, true);
		}
	}
	WRITE_ONCE(ch->next_cpu, HVK_NO_CPU);
	mutex_unlock(&hvk_place_lock);
out:
	mutex_unlock(&ch->lock);
	return ret;
}

static void hvk_ring_broken(struct hvk_channel *ch, const struct hvk_ring *r, const char *dir)
{
	dev_err_ratelimited(&ch->hdev->dev, "channel %u: host corrupted the %s ring: %s\n",
			    ch->relid, dir, r->broken);
}

/* One packet of @n pieces into the outbound ring; signals if it must. */
/*
 * @more: another packet follows at once (a driver's batch): written but
 * not published; the last of the batch, a failed write, or
 * hvk_channel_flush() publishes them all and signals once.
 */
static int hvk_chan_write(struct hvk_channel *ch, const struct hvk_kvec *v, unsigned int n,
			  bool more)
{
	unsigned long irqflags;
	bool signal = false;
	int ret;

	spin_lock_irqsave(&ch->out_lock, irqflags);
	if (READ_ONCE(ch->state) != HVK_CHAN_OPEN || READ_ONCE(ch->rescinded)) {
		ret = -ENODEV;
	} else if (more) {
		ret = hvk_ring_write_more(&ch->out, v, n);
		if (ret)
			signal = hvk_ring_publish(&ch->out);
	} else {
		ret = hvk_ring_write(&ch->out, v, n, &signal);
	}
	spin_unlock_irqrestore(&ch->out_lock, irqflags);
	if (ret == -EAGAIN)
		ch->out_full++;
	else if (ret == -EBADMSG)
		hvk_ring_broken(ch, &ch->out, "outbound");
	if (signal)
		hvk_chan_signal(ch);
	return ret;
}

void hvk_channel_flush(struct hvk_channel *ch)
{
	unsigned long irqflags;
	bool signal = false;

	spin_lock_irqsave(&ch->out_lock, irqflags);
	if (READ_ONCE(ch->state) == HVK_CHAN_OPEN && !READ_ONCE(ch->rescinded))
		signal = hvk_ring_publish(&ch->out);
	spin_unlock_irqrestore(&ch->out_lock, irqflags);
	if (signal)
		hvk_chan_signal(ch);
}
EXPORT_SYMBOL_GPL(hvk_channel_flush);

int hvk_channel_send_batch(struct hvk_channel *ch, const void *buf, u32 len, u64 trans_id,
			   u16 type, u16 flags, bool more)
{
	struct hvk_pkt_desc d = {
		.type = type,
		.offset8 = sizeof(d) / 8,
		.flags = flags,
		.trans_id = trans_id,
	};
	struct hvk_kvec v[2] = { { &d, sizeof(d) }, { buf, len } };

	if (len > HVK_PKT_MAX_LEN - sizeof(d))
		return -EMSGSIZE;
	d.len8 = (sizeof(d) + len + 7) / 8;
	return hvk_chan_write(ch, v, 2, more);
}
EXPORT_SYMBOL_GPL(hvk_channel_send_batch);

int hvk_channel_send(struct hvk_channel *ch, const void *buf, u32 len, u64 trans_id,
		     u16 type, u16 flags)
{
	return hvk_channel_send_batch(ch, buf, len, trans_id, type, flags, false);
}
EXPORT_SYMBOL_GPL(hvk_channel_send);

int hvk_channel_send_gpa_batch(struct hvk_channel *ch, struct hvk_pkt_gpa_direct *desc,
			       u32 desc_size, const void *buf, u32 len, u64 trans_id, bool more)
{
	struct hvk_kvec v[2] = { { desc, desc_size }, { buf, len } };
	const char *why = hvk_gpa_desc_check(desc, desc_size);

	if (why) {
		pr_err_ratelimited("hvkit_vmbus: %s: GPA-direct packet refused: %s\n",
				   hvk_channel_name(ch), why);
		return -EINVAL;
	}
	if (desc_size > HVK_PKT_MAX_LEN || len > HVK_PKT_MAX_LEN - desc_size)
		return -EMSGSIZE;
	desc->desc.type = HVK_PKT_DATA_USING_GPA_DIRECT;
	desc->desc.offset8 = desc_size / 8;	/* a multiple of 8, as checked */
	desc->desc.len8 = (desc_size + len + 7) / 8;
	desc->desc.flags = HVK_PKT_FLAG_COMPLETION_REQUESTED;
	desc->desc.trans_id = trans_id;
	desc->reserved = 0;
	return hvk_chan_write(ch, v, 2, more);
}
EXPORT_SYMBOL_GPL(hvk_channel_send_gpa_batch);

int hvk_channel_send_gpa(struct hvk_channel *ch, struct hvk_pkt_gpa_direct *desc, u32 desc_size,
			 const void *buf, u32 len, u64 trans_id)
{
	return hvk_channel_send_gpa_batch(ch, desc, desc_size, buf, len, trans_id, false);
}
EXPORT_SYMBOL_GPL(hvk_channel_send_gpa);

/*
 * pending_send_sz is the producer's field: it is set under out_lock, with
 * the write it follows, and its re-check loads read_index into the ring's
 * private view, which out_lock protects.
 */
void hvk_channel_set_pending_send(struct hvk_channel *ch, u32 bytes)
{
	unsigned long irqflags;

	bytes = min_t(u32, bytes, HVK_PKT_MAX_LEN);
	spin_lock_irqsave(&ch->out_lock, irqflags);
	if (READ_ONCE(ch->state) == HVK_CHAN_OPEN)
		hvk_ring_set_pending(&ch->out, bytes ? hvk_ring_pkt_space(bytes) : 0);
	spin_unlock_irqrestore(&ch->out_lock, irqflags);
}
EXPORT_SYMBOL_GPL(hvk_channel_set_pending_send);

u32 hvk_channel_out_avail(struct hvk_channel *ch)
{
	unsigned long irqflags;
	u32 n = 0;

	spin_lock_irqsave(&ch->out_lock, irqflags);
	if (READ_ONCE(ch->state) == HVK_CHAN_OPEN && !READ_ONCE(ch->rescinded))
		n = hvk_ring_max_pkt(&ch->out);
	spin_unlock_irqrestore(&ch->out_lock, irqflags);
	return n;
}
EXPORT_SYMBOL_GPL(hvk_channel_out_avail);

int hvk_channel_recv(struct hvk_channel *ch, void *buf, u32 buflen, u32 *len)
{
	int ret = hvk_ring_read(&ch->in, buf, buflen, len);

	if (unlikely(ret == -EBADMSG))
		hvk_ring_broken(ch, &ch->in, "inbound");
	return ret;
}
EXPORT_SYMBOL_GPL(hvk_channel_recv);

void hvk_channel_drain_begin(struct hvk_channel *ch)
{
	hvk_ring_mask(&ch->in);
}
EXPORT_SYMBOL_GPL(hvk_channel_drain_begin);

bool hvk_channel_drain_end(struct hvk_channel *ch)
{
	if (hvk_ring_commit(&ch->in))
		hvk_chan_signal(ch);
	return hvk_ring_unmask(&ch->in) != 0;
}
EXPORT_SYMBOL_GPL(hvk_channel_drain_end);

/* Sized for the most packets the outbound ring can hold at once. */
static int hvk_rqst_alloc(struct hvk_channel *ch, u32 send_size)
{
	u32 n = (send_size - PAGE_SIZE) / (sizeof(struct hvk_pkt_desc) + HVK_PKT_TRAILER);

	ch->rqst_ctx = kvcalloc(n, sizeof(u64), GFP_KERNEL);
	ch->rqst_used = bitmap_zalloc(n, GFP_KERNEL);
	if (!ch->rqst_ctx || !ch->rqst_used) {
		kvfree(ch->rqst_ctx);
		bitmap_free(ch->rqst_used);
		ch->rqst_ctx = NULL;
		ch->rqst_used = NULL;
		return -ENOMEM;
	}
	ch->rqst_size = n;
	ch->rqst_next = 0;
	return 0;
}

static void hvk_rqst_free(struct hvk_channel *ch)
{
	kvfree(ch->rqst_ctx);
	bitmap_free(ch->rqst_used);
	ch->rqst_ctx = NULL;
	ch->rqst_used = NULL;
	ch->rqst_size = 0;
}

int hvk_rqst_add(struct hvk_channel *ch, u64 ctx, u64 *id)
{
	unsigned long flags;
	u32 i;

	spin_lock_irqsave(&ch->rqst_lock, flags);
	i = find_next_zero_bit(ch->rqst_used, ch->rqst_size, ch->rqst_next);
	if (i >= ch->rqst_size)
		i = find_first_zero_bit(ch->rqst_used, ch->rqst_size);
	if (i >= ch->rqst_size) {
		spin_unlock_irqrestore(&ch->rqst_lock, flags);
		return -EBUSY;
	}
	__set_bit(i, ch->rqst_used);
	ch->rqst_ctx[i] = ctx;
	ch->rqst_next = i + 1;
	spin_unlock_irqrestore(&ch->rqst_lock, flags);
	*id = (u64)i + 1;
	return 0;
}
EXPORT_SYMBOL_GPL(hvk_rqst_add);

int hvk_rqst_take(struct hvk_channel *ch, u64 id, u64 *ctx)
{
	unsigned long flags;
	int ret = -ENOENT;

	spin_lock_irqsave(&ch->rqst_lock, flags);
	if (id && id <= ch->rqst_size && __test_and_clear_bit(id - 1, ch->rqst_used)) {
		*ctx = ch->rqst_ctx[id - 1];
		ret = 0;
	}
	spin_unlock_irqrestore(&ch->rqst_lock, flags);
	return ret;
}
EXPORT_SYMBOL_GPL(hvk_rqst_take);
