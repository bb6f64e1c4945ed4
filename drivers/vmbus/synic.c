// SPDX-License-Identifier: GPL-2.0
/*
 * The SynIC pages the host writes into, one message page and one event
 * page per CPU, and the hypervisor interrupt that drains them. On Hyper-V
 * the transport points the SIMP/SIEFP MSRs at these pages; the simulated
 * host writes into them directly. Either way the core reads them here.
 */
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/gfp.h>
#include <linux/lockdep.h>
#include "core.h"

struct hvk_synic {
	struct hvk_hv_message *msg_page;	/* 16 slots, one per SINT */
	unsigned long *event_page;		/* 16 x 2048 bits */
};

static DEFINE_PER_CPU(struct hvk_synic, hvk_synic);

struct hvk_hv_message *hvk_synic_msg_slot(unsigned int cpu)
{
	return per_cpu(hvk_synic, cpu).msg_page + HVK_VMBUS_SINT;
}
EXPORT_SYMBOL_GPL(hvk_synic_msg_slot);

void hvk_synic_pages(unsigned int cpu, void **msg_page, void **event_page)
{
	*msg_page = per_cpu(hvk_synic, cpu).msg_page;
	*event_page = per_cpu(hvk_synic, cpu).event_page;
}
EXPORT_SYMBOL_GPL(hvk_synic_pages);

unsigned long *hvk_synic_event_bits(unsigned int cpu)
{
	return per_cpu(hvk_synic, cpu).event_page +
	       HVK_VMBUS_SINT * (HVK_EVENT_FLAGS_BITS / BITS_PER_LONG);
}
EXPORT_SYMBOL_GPL(hvk_synic_event_bits);

/*
 * Hard interrupt context, on the CPU the host chose. A message is copied
 * out and its slot freed at once, so the host can post the next; the
 * copy is handled in process context by the ordered message workqueue.
 */
void hvk_vmbus_isr(void)
{
	unsigned int cpu = smp_processor_id();
	struct hvk_hv_message *slot = hvk_synic_msg_slot(cpu);
	unsigned long *events = hvk_synic_event_bits(cpu);
	const struct hvk_transport_ops *ops;
	u32 max = hvk_chan_max_relid();
	unsigned long relid;
	u8 flags;

	lockdep_assert_in_irq();
	/* Channel signals: one bit per relid, set by the host. */
	if (max) {
		for_each_set_bit(relid, events, max + 1)
			if (test_and_clear_bit(relid, events))
				hvk_chan_event(relid);
	}
	if (READ_ONCE(slot->message_type) == HVK_HVMSG_NONE)
		return;
	/* The message body after its type, as the host wrote them. */
	smp_rmb();
	hvk_msg_receive(slot);
	flags = READ_ONCE(slot->message_flags);
	WRITE_ONCE(slot->message_type, HVK_HVMSG_NONE);
	/*
	 * The slot must read as free before the host is told to post the
	 * next message into it.
	 */
	smp_mb();
	ops = READ_ONCE(hvk_conn.ops);
	if ((flags & HVK_HVMSG_FLAG_PENDING) && ops)
		ops->eom();
}
EXPORT_SYMBOL_GPL(hvk_vmbus_isr);

int hvk_synic_init(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		struct hvk_synic *s = per_cpu_ptr(&hvk_synic, cpu);

		s->msg_page = (void *)get_zeroed_page(GFP_KERNEL);
		s->event_page = (void *)get_zeroed_page(GFP_KERNEL);
		if (!s->msg_page || !s->event_page) {
			hvk_synic_exit();
			return -ENOMEM;
		}
	}
	return 0;
}

void hvk_synic_exit(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		struct hvk_synic *s = per_cpu_ptr(&hvk_synic, cpu);

		free_page((unsigned long)s->msg_page);
		free_page((unsigned long)s->event_page);
		s->msg_page = NULL;
		s->event_page = NULL;
	}
}
