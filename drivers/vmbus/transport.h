/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The seam between the VMBus core and whatever plays the host: Hyper-V's
 * SynIC and hypercalls, or hvkit_sim. Everything above it is the same code
 * for both.
 *
 * Guest to host: post_msg() (HvPostMessage) and signal_event()
 * (HvSignalEvent), both callable in any context. The guest also reads the
 * host's clock for its partition: ref_counter() (time sync needs it). Host to guest: the host writes a message into the
 * core's per-CPU SynIC message slot, or sets a relid bit in the per-CPU
 * event page, then interrupts that CPU, which calls hvk_vmbus_isr() in
 * hard interrupt context. When the core frees a slot whose message had
 * HVK_HVMSG_FLAG_PENDING set, it calls eom() so the host delivers the next.
 *
 * For vPCI, two more: MMIO the host traps (mmio_read(), mmio_write()) and
 * the interrupt retarget hypercall (retarget_msi()).
 */
#ifndef _HVK_TRANSPORT_H
#define _HVK_TRANSPORT_H

#include <linux/device.h>
#include <linux/ioport.h>
#include <linux/uuid.h>
#include <hvkit/vmbus.h>

struct hvk_msi_target;

struct hvk_transport_ops {
	const char *name;
	/*
	 * HvPostMessage: returns the hypervisor's status (HVK_HV_STATUS_*),
	 * as it came. Must not sleep; callable in any context. The core's
	 * hvk_post() turns the status into an errno (hvk_post_errno()) and
	 * retries, with sleeps, what may clear: it runs in process context
	 * only.
	 */
	u16 (*post_msg)(u32 conn_id, const void *msg, u32 len);
	void (*signal_event)(u32 conn_id, u32 relid);
	void (*eom)(void);
	/*
	 * The hypervisor's VP number of Linux CPU @cpu (what INITIATE_CONTACT,
	 * OPENCHANNEL and MODIFYCHANNEL carry); NULL: the same number.
	 */
	u32 (*vp_index)(unsigned int cpu);
	/*
	 * The partition reference counter (the TLFS's TIME_REF_COUNT): 100 ns
	 * units since the partition started, one counter for every CPU,
	 * never going back. Any context, must not sleep. NULL: none.
	 */
	u64 (*ref_counter)(void);
	/*
	 * MMIO the host traps (a vPCI bus's config window): Hyper-V traps
	 * the access itself, so it leaves both NULL and the core does
	 * readl()/writel() on the mapping. A host that cannot trap (the
	 * simulated host) emulates the access at guest-physical @phys
	 * instead. @size is 1, 2 or 4; a read nobody claims gives all ones,
	 * as on a bus. Any context (config accessors hold a raw spinlock),
	 * must not sleep. Drivers reach them through hvk_trapped_read() and
	 * hvk_trapped_write().
	 */
	u32 (*mmio_read)(phys_addr_t phys, u8 size);
	void (*mmio_write)(phys_addr_t phys, u8 size, u32 val);
	/*
	 * HVCALL_RETARGET_INTERRUPT: the MSI @t->msi_addr/@t->msi_data of
	 * vPCI device @t->device_id is delivered as @t->vector on Linux
	 * CPU @t->cpu from now on (the transport maps the CPU to its VP).
	 * Returns 0 or -EIO (the hypervisor refused; logged by the caller).
	 * Any context with interrupts off, must not sleep. NULL: -EOPNOTSUPP.
	 */
	int (*retarget_msi)(const struct hvk_msi_target *t);
	/* The VTL the guest runs at: INITIATE_CONTACT's msg_vtl from 5.0 on. */
	u8 vtl;
};

/* The core's SynIC pages of @cpu: the SINT2 message slot, the event bits. */
struct hvk_hv_message *hvk_synic_msg_slot(unsigned int cpu);
unsigned long *hvk_synic_event_bits(unsigned int cpu);
/* Both pages of @cpu, for a transport that hands them to the hypervisor. */
void hvk_synic_pages(unsigned int cpu, void **msg_page, void **event_page);
/*
 * For a transport's CPU hotplug teardown callback (-EBUSY when true), as
 * upstream's hv_synic_cleanup(): while connected, the connect CPU, a CPU
 * any channel targets or is being moved to, and (4.1+) a CPU whose event
 * bits stay pending. Disconnected (after UNLOAD), no CPU is busy. May sleep.
 */
bool hvk_cpu_busy(unsigned int cpu);

/*
 * MMIO address space the host lets devices use (@res already in
 * iomem_resource, owned by the transport), for hvk_mmio_alloc(). Add
 * before hvk_transport_register(), delete after hvk_transport_unregister().
 */
int hvk_mmio_window_add(struct resource *res);
void hvk_mmio_window_del(struct resource *res);
/*
 * A window for one device only: hvk_mmio_alloc() for the device whose
 * instance is @instance takes from it before any shared window (the
 * simulated host gives a passed-through function's real BARs to that
 * function's vPCI bus this way). Let go with hvk_mmio_window_del().
 */
int hvk_mmio_dev_window_add(struct resource *res, const guid_t *instance);

/* Host to guest: the hypervisor interrupt, in hard interrupt context. */
void hvk_vmbus_isr(void);

/*
 * A transport attaches the core to its host: negotiate a protocol version,
 * request the offers and wait until all are delivered. @parent is the
 * parent of every VMBus device. Fails, with nothing left behind, if no
 * version can be agreed on.
 */
int hvk_transport_register(const struct hvk_transport_ops *ops, struct device *parent);
/* Removes every device, sends UNLOAD (3.0 and later) and waits for the answer. */
void hvk_transport_unregister(const struct hvk_transport_ops *ops);
/*
 * Panic or crash (kdump) handler: UNLOAD without sleeping, its answer
 * polled for a bounded time. The core calls it from its panic notifier.
 */
void hvk_unload_crash(void);

#endif /* _HVK_TRANSPORT_H */
