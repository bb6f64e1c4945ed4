// SPDX-License-Identifier: GPL-2.0
/*
 * hvkit_hyperv: the VMBus transport for real Hyper-V (and for QEMU/KVM with
 * hv-synic and -device vmbus-bridge). It points each CPU's SynIC at the
 * core's message and event pages, takes the hypervisor callback vector,
 * and posts messages and signals events with hypercalls.
 *
 * Not for isolated (SEV-SNP, TDX) guests yet: those need the pages
 * decrypted and hypercalls through the GHCB/TDCALL, and the module refuses
 * to load there. Facts: Hyper-V TLFS (SynIC, HvPostMessage, HvSignalEvent).
 */
#include <linux/cpuhotplug.h>
#include <linux/device.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <asm/mshyperv.h>
#include <asm/msr.h>
#include <hvk_compat.h>
#include "tlfs.h"
#include "hyperv.h"
#include "transport.h"
#include "hvk_vmbus.h"

static enum cpuhp_state hvk_hv_cpuhp;
static struct device *hvk_hv_root;

/* HvPostMessage: any context; the status as the hypervisor gave it. */
static u16 hvk_hv_post_msg(u32 conn_id, const void *msg, u32 len)
{
	struct hvk_post_message_input *in;
	unsigned long flags;
	u64 result;

	if (len > sizeof(in->payload))
		return HVK_HV_STATUS_INVALID_PARAMETER;	/* what Hyper-V says */
	local_irq_save(flags);
	in = *this_cpu_ptr(hyperv_pcpu_input_arg);
	in->connection_id = conn_id;
	in->reserved = 0;
	in->message_type = HVK_HVMSG_CHANNEL;
	in->payload_size = len;
	memcpy(in->payload, msg, len);
	result = hv_do_hypercall(HVK_HVCALL_POST_MESSAGE, in, NULL);
	local_irq_restore(flags);
	return hvk_hv_status(result);
}

static void hvk_hv_signal_event(u32 conn_id, u32 relid)
{
	hv_do_fast_hypercall8(HVK_HVCALL_SIGNAL_EVENT, conn_id);
}

static void hvk_hv_eom(void)
{
	wrmsrq(HVK_MSR_EOM, 0);
}

static u32 hvk_hv_vp_index(unsigned int cpu)
{
	return hv_vp_index[cpu];
}

/*
 * The partition reference counter: the kernel's own reader (the reference
 * TSC page where the hypervisor offers one, else the TIME_REF_COUNT MSR),
 * which every kernel built with CONFIG_HYPERV has.
 */
static u64 hvk_hv_ref_counter(void)
{
	return hv_read_reference_counter();
}

/*
 * HvRetargetDeviceInterrupt for a vPCI function's MSI: one target VP, as
 * a mask (vPCI 1.1) or a one-bank sparse VP set (1.2 on, which also
 * reaches VPs past 63). Interrupts off for the per-CPU input page.
 */
static int hvk_hv_retarget_msi(const struct hvk_msi_target *t)
{
	struct hvk_retarget_input *in;
	unsigned long flags;
	u64 ctl = HVK_HVCALL_RETARGET_INTERRUPT, result;
	u32 vp;

	if (t->cpu >= nr_cpu_ids)
		return -EINVAL;
	vp = hv_vp_index[t->cpu];
	if (!t->vp_set && vp >= 64)
		return -EINVAL;
	local_irq_save(flags);
	in = *this_cpu_ptr(hyperv_pcpu_input_arg);
	memset(in, 0, sizeof(*in));
	in->partition_id = HVK_PARTITION_SELF;
	in->device_id = t->device_id;
	in->source = HVK_INTERRUPT_SOURCE_MSI;
	in->msi_addr = t->msi_addr;
	in->msi_data = t->msi_data;
	in->vector = t->vector;
	if (t->vp_set) {
		in->flags = HVK_RETARGET_VP_SET;
		in->vp_mask = HVK_VPSET_SPARSE_4K;
		in->valid_bank_mask = 1ULL << (vp / 64);
		in->bank[0] = 1ULL << (vp % 64);
		ctl |= 2ULL << HVK_HVCALL_VARHEAD_SHIFT;	/* the bank mask and one bank */
	} else {
		in->vp_mask = 1ULL << vp;
	}
	result = hv_do_hypercall(ctl, in, NULL);
	local_irq_restore(flags);
	return hvk_hv_status(result) ? -EIO : 0;
}

/* Not const: the VTL is read at load. */
static struct hvk_transport_ops hvk_hv_ops = {
	.name = "Hyper-V",
	.post_msg = hvk_hv_post_msg,
	.signal_event = hvk_hv_signal_event,
	.eom = hvk_hv_eom,
	.vp_index = hvk_hv_vp_index,
	.ref_counter = hvk_hv_ref_counter,
	.retarget_msi = hvk_hv_retarget_msi,
};

/* The hypervisor callback vector: hard interrupt context, EOI by the kernel. */
static void hvk_hv_isr(void)
{
	hvk_vmbus_isr();
}

/* A CPU comes up: point its SynIC at the core's pages and unmask SINT2. */
static int hvk_hv_cpu_online(unsigned int cpu)
{
	void *msg_page, *event_page;
	u64 v;

	hvk_synic_pages(cpu, &msg_page, &event_page);
	rdmsrq(HVK_MSR_SIMP, v);
	wrmsrq(HVK_MSR_SIMP, hvk_page_msr(v, virt_to_phys(msg_page), true));
	rdmsrq(HVK_MSR_SIEFP, v);
	wrmsrq(HVK_MSR_SIEFP, hvk_page_msr(v, virt_to_phys(event_page), true));
	rdmsrq(HVK_MSR_SINT0 + HVK_VMBUS_SINT, v);
	wrmsrq(HVK_MSR_SINT0 + HVK_VMBUS_SINT,
	       hvk_sint_msr(v, HYPERVISOR_CALLBACK_VECTOR,
			    !(ms_hyperv.hints & HVK_HINT_DEPRECATING_AEOI)));
	rdmsrq(HVK_MSR_SCONTROL, v);
	wrmsrq(HVK_MSR_SCONTROL, v | HVK_SCONTROL_ENABLE);
	return 0;
}

/* This CPU's SynIC off: SINT2 masked, the pages and SCONTROL disabled. */
static void hvk_hv_synic_off(void)
{
	u64 v;

	rdmsrq(HVK_MSR_SINT0 + HVK_VMBUS_SINT, v);
	wrmsrq(HVK_MSR_SINT0 + HVK_VMBUS_SINT, v | HVK_SINT_MASKED);
	rdmsrq(HVK_MSR_SIMP, v);
	wrmsrq(HVK_MSR_SIMP, hvk_page_msr(v, 0, false));
	rdmsrq(HVK_MSR_SIEFP, v);
	wrmsrq(HVK_MSR_SIEFP, hvk_page_msr(v, 0, false));
	rdmsrq(HVK_MSR_SCONTROL, v);
	wrmsrq(HVK_MSR_SCONTROL, v & ~HVK_SCONTROL_ENABLE);
}

/*
 * A CPU goes down (the hotplug teardown callback, on that CPU): refused,
 * as upstream's hv_synic_cleanup(), while the core still needs it (the
 * connect CPU, a channel's CPU, channel bits still pending). Else its
 * SynIC is switched off: SINT2 masked, the message and event pages
 * unhooked, SCONTROL cleared. hvk_hv_cpu_online() sets it up again.
 */
static int hvk_hv_cpu_offline(unsigned int cpu)
{
	if (hvk_cpu_busy(cpu))
		return -EBUSY;
	hvk_hv_synic_off();
	return 0;
}

/*
 * kexec (machine_shutdown(), after syscore shutdown sent UNLOAD): every
 * CPU's SynIC is turned off, so the next kernel finds it as firmware left
 * it. The connection is down, so no CPU refuses to go.
 */
static void hvk_hv_kexec(void)
{
	hvk_unload_crash();
	cpuhp_remove_state(hvk_hv_cpuhp);
}

/* kdump: nothing may sleep; the crashing CPU's SynIC is enough for it. */
static void hvk_hv_crash(struct pt_regs *regs)
{
	hvk_unload_crash();
	hvk_hv_synic_off();
}

static int __init hvk_hv_init(void)
{
	int ret;

	if (!hv_is_hyperv_initialized()) {
		pr_info("hvkit_hyperv: not running on Hyper-V (use hvkit_sim to simulate one)\n");
		return -ENODEV;
	}
	if (hv_is_isolation_supported()) {
		pr_err("hvkit_hyperv: isolated (SEV-SNP/TDX) guests are not supported yet\n");
		return -EOPNOTSUPP;
	}
	hvk_hv_root = root_device_register("hvkit_hyperv");
	if (IS_ERR(hvk_hv_root))
		return PTR_ERR(hvk_hv_root);
	hvk_hv_ops.vtl = hvk_ms_hyperv_vtl();
	hv_setup_vmbus_handler(hvk_hv_isr);
	ret = cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "hvkit/synic:online",
				hvk_hv_cpu_online, hvk_hv_cpu_offline);
	if (ret < 0)
		goto err_handler;
	hvk_hv_cpuhp = ret;
	ret = hvk_hv_mmio_init();
	if (ret)
		goto err_cpuhp;
	ret = hvk_transport_register(&hvk_hv_ops, hvk_hv_root);
	if (ret)
		goto err_mmio;
	hv_setup_kexec_handler(hvk_hv_kexec);
	hv_setup_crash_handler(hvk_hv_crash);
	return 0;

err_mmio:
	hvk_hv_mmio_exit();
err_cpuhp:
	cpuhp_remove_state(hvk_hv_cpuhp);
err_handler:
	hv_remove_vmbus_handler();
	root_device_unregister(hvk_hv_root);
	return ret;
}

static void __exit hvk_hv_exit(void)
{
	hv_remove_crash_handler();
	hv_remove_kexec_handler();
	hvk_transport_unregister(&hvk_hv_ops);
	hvk_hv_mmio_exit();
	cpuhp_remove_state(hvk_hv_cpuhp);
	hv_remove_vmbus_handler();
	root_device_unregister(hvk_hv_root);
}

module_init(hvk_hv_init);
module_exit(hvk_hv_exit);
MODULE_DESCRIPTION("hvkit VMBus transport for Hyper-V (SynIC and hypercalls)");
MODULE_LICENSE("GPL");
