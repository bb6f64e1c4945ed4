// SPDX-License-Identifier: GPL-2.0
/*
 * hvkit_sim: a simulated Hyper-V host, so the VMBus core and its drivers
 * run in any guest. It attaches to hvkit_vmbus as its transport, and
 * reaches the guest the way Hyper-V does: messages through the core's
 * SynIC slot on the connect CPU, channel signals through the event page
 * of the channel's target CPU, each followed by an interrupt that runs the
 * core's handler in hard interrupt context on that CPU.
 */
#include <linux/debugfs.h>
#include <linux/cpuhotplug.h>
#include <linux/delay.h>
#include <linux/device.h>
#include <linux/ioport.h>
#include <linux/math64.h>
#include <linux/sizes.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/ratelimit.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include "sim.h"
#include "transport.h"

struct sim sim;
static struct device *sim_root;
static int sim_cpuhp;

static uint mmio_mb = 1024;
module_param(mmio_mb, uint, 0444);
MODULE_PARM_DESC(mmio_mb, "MMIO space above 4 GiB the host gives devices, in MiB (default 1024; 0: none)");

/* As Hyper-V's VMBus ACPI device describes in _CRS: address space for devices. */
static struct resource sim_mmio = {
	.name = "hvkit_sim MMIO",
	.flags = IORESOURCE_MEM,
};

static int sim_mmio_init(void)
{
	resource_size_t size = (resource_size_t)mmio_mb << 20;
	int ret;

	if (!mmio_mb)
		return 0;
	ret = allocate_resource(&iomem_resource, &sim_mmio, size, SZ_4G, iomem_resource.end,
				min_t(resource_size_t, size, SZ_1G), NULL, NULL);
	if (ret) {
		pr_err("hvkit_sim: no %u MiB of free address space above 4 GiB for MMIO (%d)\n",
		       mmio_mb, ret);
		return ret;
	}
	ret = hvk_mmio_window_add(&sim_mmio);
	if (ret)
		release_resource(&sim_mmio);
	return ret;
}

static void sim_mmio_exit(void)
{
	if (!sim_mmio.parent)
		return;
	hvk_mmio_window_del(&sim_mmio);
	release_resource(&sim_mmio);
}

struct sim_cpu {
	struct irq_work iw;
	call_single_data_t csd;
};
static DEFINE_PER_CPU(struct sim_cpu, sim_cpu);

/* Hard interrupt context, on the CPU the host interrupted: the guest's handler. */
static void sim_irq(struct irq_work *iw)
{
	hvk_vmbus_isr();
}

static void sim_kick(unsigned int cpu);

/* debugfs hvkit_sim/: how the SynIC slot was used (tests read them). */
static struct dentry *sim_debugfs;
static u64 sim_delivered;	/* messages put into the slot; out_lock */
static u64 sim_pending_set;	/* times a busy slot got the pending flag; out_lock */
static atomic_t sim_eoms = ATOMIC_INIT(0);	/* EOMs from the guest */

/*
 * Put the next queued message into the guest's SynIC slot on msg_cpu, as
 * the hypervisor does: from whatever CPU the host is running on, racing
 * the guest's handler on msg_cpu. A free slot gets the message and the
 * interrupt. A busy one gets the pending flag, and the guest's EOM brings
 * us back; the flag goes in first and the slot is looked at again after a
 * full barrier, so a slot the guest freed meanwhile is not missed (the
 * guest frees, then reads the flag: one of the two sides sees the other).
 * Any context; out_lock serialises the host's writers.
 */
static void sim_deliver(void)
{
	struct hvk_hv_message *slot = hvk_synic_msg_slot(READ_ONCE(sim.msg_cpu));
	unsigned long flags;
	struct sim_msg *m;
	bool kick = false;

	raw_spin_lock_irqsave(&sim.out_lock, flags);
	m = list_first_entry_or_null(&sim.out, struct sim_msg, node);
	if (m && READ_ONCE(slot->message_type) != HVK_HVMSG_NONE) {
		WRITE_ONCE(slot->message_flags, slot->message_flags | HVK_HVMSG_FLAG_PENDING);
		sim_pending_set++;
		smp_mb();
		if (READ_ONCE(slot->message_type) != HVK_HVMSG_NONE)
			m = NULL;	/* the guest sees the flag and sends EOM */
	}
	if (m) {
		list_del(&m->node);
		memcpy(slot->payload, m->data, m->len);
		slot->payload_size = m->len;
		slot->message_flags = list_empty(&sim.out) ? 0 : HVK_HVMSG_FLAG_PENDING;
		slot->sender = 0;
		/* The body before the type that makes it valid. */
		smp_wmb();
		WRITE_ONCE(slot->message_type, HVK_HVMSG_CHANNEL);
		kfree(m);
		sim_delivered++;
		kick = true;
	}
	raw_spin_unlock_irqrestore(&sim.out_lock, flags);
	if (kick)
		sim_kick(READ_ONCE(sim.msg_cpu));
}

/*
 * The function call on the interrupted CPU. Arriving in its interrupt, it
 * is the SynIC's interrupt: the guest's handler runs from it, one
 * interrupt per signal as on Hyper-V. A call run from elsewhere (the idle
 * loop runs the calls queued for a polling CPU without an interrupt)
 * raises the irq_work instead, so that the handler always runs in hard
 * interrupt context. The self-IPI of that irq_work is an xAPIC write
 * under TCG, dear enough to count: in a same-boot A/B of 4 KiB random I/O
 * on a synthetic disk, 6 rounds, the direct call was faster in 9 of the
 * 12 pairs, by 1.10x in the geometric mean.
 */
static void sim_kick_local(void *unused)
{
	if (in_hardirq())
		hvk_vmbus_isr();
	else
		irq_work_queue(this_cpu_ptr(&sim_cpu.iw));
}

/*
 * Interrupt @cpu: the guest's handler runs in hard interrupt context on
 * that CPU, from the local irq_work, or from a function call on another
 * CPU (sim_kick_local()). A call still in flight (-EBUSY) has not run
 * yet, and will see what the caller set up.
 */
static void sim_kick(unsigned int cpu)
{
	if (cpu == get_cpu())
		irq_work_queue(this_cpu_ptr(&sim_cpu.iw));
	else
		smp_call_function_single_async(cpu, per_cpu_ptr(&sim_cpu.csd, cpu));
	put_cpu();
}

static uint fault_delay_ms = 500;
module_param(fault_delay_ms, uint, 0644);
MODULE_PARM_DESC(fault_delay_ms, "how late the delay_msg fault delivers a message (default 500)");

struct sim_delayed {
	struct delayed_work dw;
	struct sim_msg *m;
};

static void sim_queue_out(struct sim_msg *m)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&sim.out_lock, flags);
	list_add_tail(&m->node, &sim.out);
	raw_spin_unlock_irqrestore(&sim.out_lock, flags);
	sim_deliver();
}

static void sim_delayed_send(struct work_struct *work)
{
	struct sim_delayed *d = container_of(to_delayed_work(work), struct sim_delayed, dw);

	sim_queue_out(d->m);
	kfree(d);
	atomic_dec(&sim.delayed);
}

/* Host to guest message: any context. */
int sim_send(const void *msg, u32 len)
{
	struct sim_delayed *d;
	struct sim_msg *m;

	if (sim_fault(HVSIM_FAULT_DROP_MSG))
		return 0;
	m = kmalloc(sizeof(*m), GFP_ATOMIC);
	if (!m)
		return -ENOMEM;
	memcpy(m->data, msg, len);
	m->len = sim_fault(HVSIM_FAULT_SHORT_MSG) ? sizeof(struct hvk_chanmsg_hdr) : len;
	if (sim_fault(HVSIM_FAULT_DELAY_MSG)) {
		d = kmalloc(sizeof(*d), GFP_ATOMIC);
		if (d) {
			d->m = m;
			INIT_DELAYED_WORK(&d->dw, sim_delayed_send);
			atomic_inc(&sim.delayed);
			queue_delayed_work(system_wq, &d->dw, msecs_to_jiffies(fault_delay_ms));
			return 0;
		}
	}
	sim_queue_out(m);
	return 0;
}

/* Host to guest channel signal: the relid's bit, then the interrupt. */
void sim_signal_guest(struct sim_chan *c)
{
	set_bit(c->relid, hvk_synic_event_bits(c->target_cpu));
	sim_kick(c->target_cpu);
}

/*
 * Guest to host (HvPostMessage): any context, never sleeps. As Hyper-V
 * does, it fails at once, with a status, a post the hypervisor cannot
 * take: a payload longer than a message, a connection id this host does
 * not serve (HV_STATUS_INVALID_CONNECTION_ID), no memory for it. What it
 * takes, the server handles later, in order, as a host would.
 */
static DEFINE_RATELIMIT_STATE(sim_post_rs, 5 * HZ, 64);

static u16 sim_post_msg(u32 conn_id, const void *msg, u32 len)
{
	struct sim_msg *m;
	unsigned long flags;

	if (len > HVK_MESSAGE_PAYLOAD)
		return HVK_HV_STATUS_INVALID_PARAMETER;
	if (!sim_serves_conn(conn_id)) {
		/* Every one logged, up to a burst: the tests count them. */
		if (__ratelimit(&sim_post_rs))
			pr_info("hvkit_sim: HvPostMessage on connection %#x, which this host does not serve: refused\n",
				conn_id);
		return HVK_HV_STATUS_INVALID_CONNECTION_ID;
	}
	if (sim_fault(HVSIM_FAULT_POST_BUSY))
		return HVK_HV_STATUS_INSUFFICIENT_BUFFERS;
	if (sim_fault(HVSIM_FAULT_POST_INVALID))
		return HVK_HV_STATUS_INVALID_PARAMETER;
	m = kzalloc(sizeof(*m), GFP_ATOMIC);
	if (!m)
		return HVK_HV_STATUS_INSUFFICIENT_MEMORY;
	m->conn_id = conn_id;
	m->len = len;
	memcpy(m->data, msg, len);
	spin_lock_irqsave(&sim.in_lock, flags);
	list_add_tail(&m->node, &sim.in);
	spin_unlock_irqrestore(&sim.in_lock, flags);
	queue_work(system_wq, &sim.in_work);
	return HVK_HV_STATUS_SUCCESS;
}

/*
 * A signal on the shared event connection names no channel (HvSignalEvent
 * carries only the connection id): the host takes the relid bits the
 * guest set in the guest-to-host half of its interrupt page, clearing
 * each, and serves those channels it offered without a dedicated
 * interrupt. Bits of other channels (the guest sets them for monitored
 * ones too) are cleared and left to their own signalling.
 */
static void sim_scan_int_page(void)
{
	unsigned long *bits, relid;
	struct sim_chan *c;

	bits = READ_ONCE(sim.int_page);
	if (!bits) {
		pr_err_ratelimited("hvkit_sim: guest signalled the shared event connection, but named no interrupt page\n");
		return;
	}
	bits += PAGE_SIZE / 2 / sizeof(long);
	for_each_set_bit(relid, bits, HVK_EVENT_FLAGS_BITS) {
		if (!test_and_clear_bit(relid, bits))
			continue;
		c = xa_load(&sim.chans, relid);
		if (!c || !READ_ONCE(c->shared_int))
			continue;
		atomic_long_inc(&c->int_page_signals);
		if (READ_ONCE(c->open))
			sim_chan_signalled(c);
	}
}

/* Guest to host (HvSignalEvent): any context, even hard interrupt. */
static void sim_signal_event(u32 conn_id, u32 relid)
{
	struct sim_chan *c;

	rcu_read_lock();
	if (conn_id == HVK_CONN_ID_EVENT) {
		sim_scan_int_page();
		rcu_read_unlock();
		return;
	}
	c = xa_load(&sim.chans, relid);
	if (c)
		atomic_long_inc(&c->signals);
	if (!c || c->conn_id != conn_id || READ_ONCE(c->shared_int))
		pr_err_ratelimited("hvkit_sim: guest signalled connection %#x for relid %u, which does not match an offer\n",
				   conn_id, relid);
	else if (READ_ONCE(c->open))
		sim_chan_signalled(c);
	/* else: closed or rescinded meanwhile; a late signal is harmless. */
	rcu_read_unlock();
}

/*
 * VP numbers are not Linux's CPU numbers, on Hyper-V as here: this host
 * numbers the CPUs backwards from VP 8 (CPU n is VP 8 + nr_cpu_ids - 1 - n),
 * so a guest that sends a CPU where a VP is meant is refused or lands on
 * the wrong CPU, and the tests see it.
 */
#define SIM_VP_BASE	8

static u32 sim_vp_index(unsigned int cpu)
{
	return SIM_VP_BASE + nr_cpu_ids - 1 - cpu;
}

/* The CPU of VP @vp; -1 for a VP this host does not have. */
int sim_vp_to_cpu(u32 vp)
{
	if (vp < SIM_VP_BASE || vp - SIM_VP_BASE >= nr_cpu_ids)
		return -1;
	return nr_cpu_ids - 1 - (vp - SIM_VP_BASE);
}

/* The guest freed its slot and saw our pending flag: deliver the next. */
static void sim_eom(void)
{
	atomic_inc(&sim_eoms);
	sim_deliver();
}

/*
 * A CPU goes down: the guest's SynIC teardown callback, as on Hyper-V
 * (hvkit_hyperv), with the core's verdict. The host sends to a CPU only
 * what the guest named (the connect CPU, channels' target VPs), so a CPU
 * the core lets go gets nothing more from us.
 */
static int sim_cpu_offline(unsigned int cpu)
{
	return hvk_cpu_busy(cpu) ? -EBUSY : 0;
}

/*
 * The partition reference counter of this host's one partition: 100 ns
 * units of the monotonic clock since the module loaded. The time sync
 * host stamps its samples with the same counter (sim_ref_counter()).
 */
static u64 sim_ref_start_ns;

u64 sim_ref_counter(void)
{
	return div_u64(ktime_get_ns() - READ_ONCE(sim_ref_start_ns), 100);
}

static const struct hvk_transport_ops sim_ops = {
	.name = "hvkit_sim",
	.post_msg = sim_post_msg,
	.signal_event = sim_signal_event,
	.eom = sim_eom,
	.vp_index = sim_vp_index,
	.ref_counter = sim_ref_counter,
	.mmio_read = sim_vpci_mmio_read,
	.mmio_write = sim_vpci_mmio_write,
	.retarget_msi = sim_vpci_retarget,
	.vtl = SIM_VTL,
};

static void sim_free_list(struct list_head *l)
{
	struct sim_msg *m, *tmp;

	list_for_each_entry_safe(m, tmp, l, node)
		kfree(m);
	INIT_LIST_HEAD(l);
}

static void sim_nop(void *unused)
{
}

/* No interrupt of ours in flight once this returns. */
static void sim_quiesce(void)
{
	unsigned int cpu;

	cancel_work_sync(&sim.in_work);
	cancel_work_sync(&sim.offer_work);
	for_each_online_cpu(cpu)
		smp_call_function_single(cpu, sim_nop, NULL, 1);	/* in order */
	for_each_possible_cpu(cpu)
		irq_work_sync(per_cpu_ptr(&sim_cpu.iw, cpu));
}

/* Messages the delay_msg fault holds back arrive within fault_delay_ms. */
static void sim_wait_delayed(void)
{
	while (atomic_read(&sim.delayed))
		msleep(20);
}

static void sim_teardown(void)
{
	sim_wait_delayed();
	sim_quiesce();
	sim_fault_reset();
	mutex_lock(&sim.lock);
	sim_dev_remove_all();
	mutex_unlock(&sim.lock);
	sim_monitor_unmap();
	sim_int_page_unmap();
	sim_free_list(&sim.in);
	sim_free_list(&sim.out);
	destroy_workqueue(sim.chan_wq);
	destroy_workqueue(sim.flush_wq);
	xa_destroy(&sim.chans);
	xa_destroy(&sim.monitored);
}

static int __init sim_init(void)
{
	unsigned int cpu;
	int ret;

	sim_ref_start_ns = ktime_get_ns();
	ret = sim_monitor_init();
	if (ret)
		return ret;
	mutex_init(&sim.lock);
	mutex_init(&sim.gpadl_lock);
	INIT_LIST_HEAD(&sim.devs);
	INIT_LIST_HEAD(&sim.gpadls);
	xa_init_flags(&sim.chans, XA_FLAGS_ALLOC1);
	sim.next_relid = 1;
	spin_lock_init(&sim.in_lock);
	INIT_LIST_HEAD(&sim.in);
	INIT_WORK(&sim.in_work, sim_server_work);
	INIT_WORK(&sim.offer_work, sim_offer_work);
	raw_spin_lock_init(&sim.out_lock);
	INIT_LIST_HEAD(&sim.out);
	sim.msg_cpu = cpumask_first(cpu_online_mask);	/* until INITIATE_CONTACT names one */
	for_each_possible_cpu(cpu) {
		struct sim_cpu *sc = per_cpu_ptr(&sim_cpu, cpu);

		init_irq_work(&sc->iw, sim_irq);
		INIT_CSD(&sc->csd, sim_kick_local, NULL);
	}
	sim.flush_wq = alloc_workqueue("hvk_sim_flush", WQ_UNBOUND | WQ_MEM_RECLAIM, 0);
	if (!sim.flush_wq)
		return -ENOMEM;
	sim.chan_wq = alloc_workqueue("hvk_sim_chan", WQ_UNBOUND | WQ_MEM_RECLAIM, 0);
	if (!sim.chan_wq) {
		destroy_workqueue(sim.flush_wq);
		return -ENOMEM;
	}

	ret = sim_nl_init();
	if (ret)
		goto err_wq;
	sim_debugfs = debugfs_create_dir("hvkit_sim", NULL);
	debugfs_create_u64("messages", 0400, sim_debugfs, &sim_delivered);
	debugfs_create_u64("pending", 0400, sim_debugfs, &sim_pending_set);
	debugfs_create_atomic_t("eoms", 0400, sim_debugfs, &sim_eoms);
	sim_root = root_device_register("hvkit_sim");
	ret = PTR_ERR_OR_ZERO(sim_root);
	if (ret)
		goto err_nl;
	ret = sim_mmio_init();
	if (ret)
		goto err_root;
	ret = sim_vpci_init(sim_debugfs);
	if (ret)
		goto err_mmio_only;
	ret = cpuhp_setup_state_nocalls(CPUHP_AP_ONLINE_DYN, "hvkit/sim:online", NULL,
					sim_cpu_offline);
	if (ret < 0)
		goto err_mmio;
	sim_cpuhp = ret;
	ret = hvk_transport_register(&sim_ops, sim_root);
	if (ret)
		goto err_cpuhp;
	return 0;

err_cpuhp:
	cpuhp_remove_state_nocalls(sim_cpuhp);
err_mmio:
	sim_vpci_exit();
err_mmio_only:
	sim_mmio_exit();
err_root:
	root_device_unregister(sim_root);
err_nl:
	debugfs_remove_recursive(sim_debugfs);
	sim_nl_exit();
err_wq:
	sim_teardown();
	return ret;
}

static void __exit sim_exit(void)
{
	debugfs_remove_recursive(sim_debugfs);
	sim_nl_exit();
	sim_wait_delayed();
	/* The guest's drivers close their channels and the core unloads. */
	hvk_transport_unregister(&sim_ops);
	cpuhp_remove_state_nocalls(sim_cpuhp);
	sim_mmio_exit();
	root_device_unregister(sim_root);
	sim_teardown();
	sim_nic_exit();
	sim_vpci_exit();
}

module_init(sim_init);
module_exit(sim_exit);
MODULE_DESCRIPTION("hvkit simulated Hyper-V host");
MODULE_LICENSE("GPL");
