/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few Hyper-V TLFS facts the SynIC transport needs. Defined here,
 * under our own names, because their home in the kernel's headers moved
 * (asm/hyperv-tlfs.h, then include/hyperv/hvgdk_mini.h in 6.14).
 */
#ifndef _HVK_TLFS_H
#define _HVK_TLFS_H

#include <hvkit/port.h>

/* Synthetic MSRs (x64). */
#define HVK_MSR_SCONTROL	0x40000080
#define HVK_MSR_SIEFP		0x40000082
#define HVK_MSR_SIMP		0x40000083
#define HVK_MSR_EOM		0x40000084
#define HVK_MSR_SINT0		0x40000090

#define HVK_SCONTROL_ENABLE	0x1ULL
#define HVK_SIMP_ENABLE		0x1ULL		/* also SIEFP */
#define HVK_PAGE_GPA_MASK	(~0xfffULL)
#define HVK_SINT_VECTOR_MASK	0xffULL
#define HVK_SINT_MASKED		(1ULL << 16)
#define HVK_SINT_AUTO_EOI	(1ULL << 17)

/* Hypercalls. */
#define HVK_HVCALL_POST_MESSAGE		0x005c
#define HVK_HVCALL_SIGNAL_EVENT		0x005d
#define HVK_HVCALL_RETARGET_INTERRUPT	0x007e
#define HVK_HVCALL_VARHEAD_SHIFT	17	/* variable header size, in u64s */
#define HVK_HV_STATUS_MASK		0xffffULL	/* HVK_HV_STATUS_*: hvkit/vmbus.h */

/* ms_hyperv.hints: the hypervisor prefers explicit EOI to auto EOI. */
#define HVK_HINT_DEPRECATING_AEOI	(1U << 9)

/* HvPostMessage input, in the per-CPU hypercall input page. */
struct hvk_post_message_input {
	u32 connection_id;
	u32 reserved;
	u32 message_type;
	u32 payload_size;
	u64 payload[30];
} __packed;
HVK_WIRE_SIZE(struct hvk_post_message_input, 256);

/*
 * HvRetargetDeviceInterrupt input: an MSI of one of this partition's
 * devices, and where it goes now (TLFS; upstream's struct
 * hv_retarget_device_interrupt). @target.vp_mask, or, with
 * HVK_RETARGET_VP_SET, a sparse VP set: format, the valid-bank mask and
 * one u64 per valid bank (the variable part of the input).
 */
#define HVK_PARTITION_SELF		(~0ULL)
#define HVK_INTERRUPT_SOURCE_MSI	1
#define HVK_RETARGET_VP_SET		2	/* HV_DEVICE_INTERRUPT_TARGET_PROCESSOR_SET */
#define HVK_VPSET_SPARSE_4K		0
struct hvk_retarget_input {
	u64 partition_id;
	u64 device_id;
	u32 source;
	u32 reserved1;
	u32 msi_addr;
	u32 msi_data;
	u64 reserved2;
	u32 vector;
	u32 flags;
	u64 vp_mask;		/* or the VP set's format */
	u64 valid_bank_mask;	/* VP set only, as the banks below */
	u64 bank[1];
} __packed;
HVK_WIRE_SIZE(struct hvk_retarget_input, 72);
HVK_WIRE_OFF(struct hvk_retarget_input, vector, 40);
HVK_WIRE_OFF(struct hvk_retarget_input, vp_mask, 48);

/*
 * The register values, pure so that the host tests check them: reserved
 * bits of the old value are kept, as the TLFS asks.
 */
static inline u64 hvk_page_msr(u64 old, u64 gpa, bool enable)
{
	return (old & ~HVK_PAGE_GPA_MASK & ~HVK_SIMP_ENABLE) | (gpa & HVK_PAGE_GPA_MASK) |
	       (enable ? HVK_SIMP_ENABLE : 0);
}

static inline u64 hvk_sint_msr(u64 old, u8 vector, bool auto_eoi)
{
	old &= ~(HVK_SINT_VECTOR_MASK | HVK_SINT_MASKED | HVK_SINT_AUTO_EOI);
	return old | vector | (auto_eoi ? HVK_SINT_AUTO_EOI : 0);
}

/* HvPostMessage's status: the low 16 bits of the result; the rest is a rep count. */
static inline u16 hvk_hv_status(u64 result)
{
	return (u16)(result & HVK_HV_STATUS_MASK);
}

#endif /* _HVK_TLFS_H */
