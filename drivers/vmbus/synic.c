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
#include <linux/workqueue.h>
#include "core.h"

struct hvk_synic {
	struct hvk_hv_message *msg_page;	/* 16 slots, one per SINT */
	unsigned long *event_page;		/* 16 x 2048 bits */
	unsigned int cpu;
	struct delayed_work retry;	/* a message waits in the slot for memory */
};

/* How soon a message left in its slot for want of memory is tried again. */
#define HVK_SLOT_RETRY		(HZ / 100 ?: 1)

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
 * Free the message slot and, if the host flagged more messages pending,
 * tell it with EOM. The order matters (upstream's vmbus_signal_eom()): the
 * host may set the pending flag at any moment while the slot is busy, from
 * another CPU. The slot is freed first, by a cmpxchg that is a full
 * barrier, and only then is the flag read: either the host saw the slot
 * free and delivers by itself, or we see its flag and ask. Reading the flag
 * before freeing would lose an EOM, and with it every later message.
 */
void hvk_slot_free(struct hvk_hv_message *slot, u32 type)
{
	const struct hvk_transport_ops *ops;

	if (cmpxchg(&slot->message_type, type, HVK_HVMSG_NONE) != type)
		return;
	ops = READ_ONCE(hvk_conn.ops);
	if ((READ_ONCE(slot->message_flags) & HVK_HVMSG_FLAG_PENDING) && ops)
		ops->eom();
}

/*
 * Interrupts disabled, on @cpu: take the message in @cpu's slot, if any.
 * @w is a buffer for it or NULL (then one is allocated, atomically). With
 * no memory the message stays in the slot, which stays busy: the host
 * delivers nothing more until a retry takes it. Returns false then.
 */
static bool hvk_slot_take(unsigned int cpu, struct hvk_msg_work *w)
{
	struct hvk_hv_message *slot = hvk_synic_msg_slot(cpu);
	u32 type = READ_ONCE(slot->message_type);

	if (type == HVK_HVMSG_NONE) {
		kfree(w);
		return true;
	}
	/* The message body after its type, as the host wrote them. */
	smp_rmb();
	if (hvk_msg_receive(slot, w) == -ENOMEM)
		return false;
	hvk_slot_free(slot, type);
	return true;
}

/* Process context, on the CPU whose slot holds a message we had no memory for. */
static void hvk_slot_retry(struct work_struct *work)
{
	struct hvk_synic *s = container_of(to_delayed_work(work), struct hvk_synic, retry);
	struct hvk_msg_work *w = hvk_msg_alloc(GFP_KERNEL);
	bool here, done = false;

	local_irq_disable();
	/* Queued on s->cpu; should that CPU have gone offline, ask again there. */
	here = smp_processor_id() == s->cpu;
	if (here && w)
		done = hvk_slot_take(s->cpu, w);	/* takes @w */
	local_irq_enable();
	if (!here)
		kfree(w);
	if (!done)
		queue_delayed_work_on(s->cpu, system_wq, &s->retry, HVK_SLOT_RETRY);
}

/*
 * Hard interrupt context, on the CPU the host chose. A message is copied
 * out and its slot freed at once, so the host can post the next; the
 * copy is handled in process context by the ordered message workqueue.
 */
void hvk_vmbus_isr(void)
{
	unsigned int cpu = smp_processor_id();
	unsigned long *events = hvk_synic_event_bits(cpu);
	u32 max = hvk_chan_max_relid();
	unsigned long relid;

	lockdep_assert_in_irq();
	/* Channel signals: one bit per relid, set by the host. */
	if (max) {
		for_each_set_bit(relid, events, max + 1)
			if (test_and_clear_bit(relid, events))
				hvk_chan_event(relid);
	}
	if (!hvk_slot_take(cpu, NULL))
		queue_delayed_work_on(cpu, system_wq, &per_cpu(hvk_synic, cpu).retry,
				      HVK_SLOT_RETRY);
}
EXPORT_SYMBOL_GPL(hvk_vmbus_isr);

int hvk_synic_init(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		struct hvk_synic *s = per_cpu_ptr(&hvk_synic, cpu);

		s->cpu = cpu;
		INIT_DELAYED_WORK(&s->retry, hvk_slot_retry);
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

		if (s->retry.work.func)
			cancel_delayed_work_sync(&s->retry);
		free_page((unsigned long)s->msg_page);
		free_page((unsigned long)s->event_page);
		s->msg_page = NULL;
		s->event_page = NULL;
	}
}
