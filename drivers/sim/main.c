// SPDX-License-Identifier: GPL-2.0
/*
 * hvkit_sim: a simulated Hyper-V host, so the VMBus core and its drivers
 * run in any guest. It attaches to hvkit_vmbus as its transport and
 * delivers messages through the core's SynIC slots from hard interrupt
 * context on the target CPU, with the slot discipline of the real SynIC.
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/device.h>
#include "sim.h"
#include "transport.h"

struct sim sim;
static struct device *sim_root;

/* Guest to host (HvPostMessage): queue it for the server, as a host would. */
static int sim_post_msg(u32 conn_id, const void *msg, u32 len)
{
	struct sim_msg *m;
	unsigned long flags;

	if (len > HVK_MESSAGE_PAYLOAD || len < sizeof(struct hvk_chanmsg_hdr))
		return -EINVAL;
	m = kmalloc(sizeof(*m), GFP_ATOMIC);
	if (!m)
		return -EAGAIN;	/* HV_STATUS_INSUFFICIENT_MEMORY: retry */
	m->conn_id = conn_id;
	m->len = len;
	memcpy(m->data, msg, len);
	spin_lock_irqsave(&sim.in_lock, flags);
	list_add_tail(&m->node, &sim.in);
	spin_unlock_irqrestore(&sim.in_lock, flags);
	queue_work(system_wq, &sim.in_work);
	return 0;
}

/*
 * Interrupt msg_cpu. Only the local irq_work is exported to modules, so a
 * function call on msg_cpu queues it there; its handler then runs in hard
 * interrupt context on that CPU, as the SynIC interrupt would. A kick
 * still in flight (-EBUSY) has not run yet and will see what we queued.
 */
static void sim_kick_local(void *unused)
{
	irq_work_queue(&sim.out_iw);
}

static void sim_kick(void)
{
	int cpu = get_cpu();

	if (cpu == sim.msg_cpu)
		irq_work_queue(&sim.out_iw);
	else
		smp_call_function_single_async(sim.msg_cpu, &sim.out_csd);
	put_cpu();
}

static void sim_signal_event(u32 conn_id, u32 relid)
{
}

/*
 * Hard interrupt context on msg_cpu: put the next message into the free
 * slot and raise the guest's interrupt. A busy slot gets the pending flag;
 * the guest's EOM brings us back.
 */
static void sim_deliver(struct irq_work *iw)
{
	struct hvk_hv_message *slot = hvk_synic_msg_slot(sim.msg_cpu);
	struct sim_msg *m;
	bool deliver = false;

	raw_spin_lock(&sim.out_lock);
	if (READ_ONCE(slot->message_type) != HVK_HVMSG_NONE) {
		if (!list_empty(&sim.out))
			WRITE_ONCE(slot->message_flags, slot->message_flags | HVK_HVMSG_FLAG_PENDING);
	} else {
		m = list_first_entry_or_null(&sim.out, struct sim_msg, node);
		if (m) {
			list_del(&m->node);
			memcpy(slot->payload, m->data, m->len);
			slot->payload_size = m->len;
			slot->message_flags = list_empty(&sim.out) ? 0 : HVK_HVMSG_FLAG_PENDING;
			slot->sender = 0;
			/* The body before the type that makes the slot valid. */
			smp_wmb();
			WRITE_ONCE(slot->message_type, HVK_HVMSG_CHANNEL);
			kfree(m);
			deliver = true;
		}
	}
	raw_spin_unlock(&sim.out_lock);
	if (deliver)
		hvk_vmbus_isr();
}

static void sim_eom(void)
{
	sim_kick();
}

/* Host to guest: any context. */
int sim_send(const void *msg, u32 len)
{
	struct sim_msg *m;
	unsigned long flags;

	m = kmalloc(sizeof(*m), GFP_ATOMIC);
	if (!m)
		return -ENOMEM;
	m->len = len;
	memcpy(m->data, msg, len);
	raw_spin_lock_irqsave(&sim.out_lock, flags);
	list_add_tail(&m->node, &sim.out);
	raw_spin_unlock_irqrestore(&sim.out_lock, flags);
	sim_kick();
	return 0;
}

static const struct hvk_transport_ops sim_ops = {
	.name = "hvkit_sim",
	.post_msg = sim_post_msg,
	.signal_event = sim_signal_event,
	.eom = sim_eom,
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

/* No kick in flight once this returns: calls to a CPU run in order. */
static void sim_quiesce(void)
{
	smp_call_function_single(sim.msg_cpu, sim_nop, NULL, 1);
	irq_work_sync(&sim.out_iw);
}

static int __init sim_init(void)
{
	int ret;

	spin_lock_init(&sim.in_lock);
	INIT_LIST_HEAD(&sim.in);
	INIT_WORK(&sim.in_work, sim_server_work);
	raw_spin_lock_init(&sim.out_lock);
	INIT_LIST_HEAD(&sim.out);
	init_irq_work(&sim.out_iw, sim_deliver);
	INIT_CSD(&sim.out_csd, sim_kick_local, NULL);
	sim.msg_cpu = cpumask_first(cpu_online_mask);	/* the VP of target_vcpu 0 */

	sim_root = root_device_register("hvkit_sim");
	if (IS_ERR(sim_root))
		return PTR_ERR(sim_root);
	ret = hvk_transport_register(&sim_ops, sim_root);
	if (ret) {
		sim_quiesce();
		cancel_work_sync(&sim.in_work);
		sim_free_list(&sim.in);
		sim_free_list(&sim.out);
		root_device_unregister(sim_root);
	}
	return ret;
}

static void __exit sim_exit(void)
{
	hvk_transport_unregister(&sim_ops);
	sim_quiesce();
	cancel_work_sync(&sim.in_work);
	sim_free_list(&sim.in);
	sim_free_list(&sim.out);
	root_device_unregister(sim_root);
}

module_init(sim_init);
module_exit(sim_exit);
MODULE_DESCRIPTION("hvkit simulated Hyper-V host");
MODULE_LICENSE("GPL");
