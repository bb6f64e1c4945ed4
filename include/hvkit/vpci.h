/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The vPCI wire: the messages between a guest's PCI front end (hvkit_pci)
 * and the host's vPCI VSP over one VMBus channel, and the pure checks both
 * sides apply to what the other sends. All fields little-endian. Pure C:
 * the guest driver, the simulated host, the host tests and the fuzzer
 * share it.
 *
 * Every structure below is a packet's payload, after the VMBus descriptor.
 * A request the guest sends asks for a completion; the completion's
 * payload starts with a signed status (negative: failure).
 *
 * Facts: upstream drivers/pci/controller/pci-hyperv.c (the guest's side)
 * and openvmm's vm/devices/pci/vpci (what a host accepts and refuses).
 */
#ifndef _HVKIT_VPCI_H
#define _HVKIT_VPCI_H

#include "port.h"

/* Class GUID 44c4f61d-4444-4400-9d52-802e27ede19f (vPCI), in wire byte order. */
#define HVK_VPCI_CLASS_BYTES \
	0x1d, 0xf6, 0xc4, 0x44, 0x44, 0x44, 0x00, 0x44, \
	0x9d, 0x52, 0x80, 0x2e, 0x27, 0xed, 0xe1, 0x9f

/* Protocol versions: major << 16 | minor. The guest proposes newest first. */
#define HVK_VPCI_VERSION(maj, min)	((u32)(((u32)(maj) << 16) | (min)))
#define HVK_VPCI_V1_1		HVK_VPCI_VERSION(1, 1)	/* Windows 10 / Server 2016 */
#define HVK_VPCI_V1_2		HVK_VPCI_VERSION(1, 2)	/* RS1 */
#define HVK_VPCI_V1_3		HVK_VPCI_VERSION(1, 3)	/* Vibranium */
#define HVK_VPCI_V1_4		HVK_VPCI_VERSION(1, 4)	/* Server 2022 */

/* The completion status of a version the host does not speak. */
#define HVK_VPCI_STATUS_REVISION_MISMATCH	((s32)0xc0000059)
/* A generic refusal (NTSTATUS STATUS_INVALID_PARAMETER). */
#define HVK_VPCI_STATUS_INVALID		((s32)0xc000000d)

enum hvk_vpci_msg_type {
	HVK_VPCI_BUS_RELATIONS		= 0x42490000,	/* host: the functions on the bus */
	HVK_VPCI_QUERY_BUS_RELATIONS	= 0x42490001,	/* guest: send them */
	HVK_VPCI_POWER_STATE_CHANGE	= 0x42490004,
	HVK_VPCI_QUERY_RESOURCE_REQS	= 0x42490005,	/* guest: a function's BAR sizes */
	HVK_VPCI_QUERY_RESOURCES	= 0x42490006,
	HVK_VPCI_BUS_D0ENTRY		= 0x42490007,	/* guest: bus on, config window here */
	HVK_VPCI_BUS_D0EXIT		= 0x42490008,
	HVK_VPCI_READ_BLOCK		= 0x42490009,
	HVK_VPCI_WRITE_BLOCK		= 0x4249000a,
	HVK_VPCI_EJECT			= 0x4249000b,	/* host: give the function back */
	HVK_VPCI_QUERY_STOP		= 0x4249000c,
	HVK_VPCI_REENABLE		= 0x4249000d,
	HVK_VPCI_QUERY_STOP_FAILED	= 0x4249000e,
	HVK_VPCI_EJECTION_COMPLETE	= 0x4249000f,	/* guest: it is given back */
	HVK_VPCI_RESOURCES_ASSIGNED	= 0x42490010,
	HVK_VPCI_RESOURCES_RELEASED	= 0x42490011,
	HVK_VPCI_INVALIDATE_BLOCK	= 0x42490012,
	HVK_VPCI_QUERY_PROTOCOL_VERSION	= 0x42490013,
	HVK_VPCI_CREATE_INTERRUPT	= 0x42490014,
	HVK_VPCI_DELETE_INTERRUPT	= 0x42490015,
	HVK_VPCI_RESOURCES_ASSIGNED2	= 0x42490016,	/* 1.2 */
	HVK_VPCI_CREATE_INTERRUPT2	= 0x42490017,	/* 1.2 */
	HVK_VPCI_DELETE_INTERRUPT2	= 0x42490018,
	HVK_VPCI_BUS_RELATIONS2		= 0x42490019,	/* 1.3 */
	HVK_VPCI_RESOURCES_ASSIGNED3	= 0x4249001a,
	HVK_VPCI_CREATE_INTERRUPT3	= 0x4249001b,	/* 1.4 */
};

/*
 * The config window the guest names in D0 entry: two pages of MMIO. A
 * write of a function's slot to the first page selects it; the second
 * page is that function's config space (4 KiB).
 */
#define HVK_VPCI_CFG_WINDOW		0x2000u
#define HVK_VPCI_CFG_PAGE_OFFSET	0x1000u
#define HVK_VPCI_CFG_PAGE_SIZE		(HVK_VPCI_CFG_WINDOW - HVK_VPCI_CFG_PAGE_OFFSET)

/*
 * A function's slot as Windows encodes it: device in bits 0-4, function in
 * bits 5-7, the rest reserved (zero).
 */
#define HVK_VPCI_SLOT_DEV(s)		((s) & 0x1fu)
#define HVK_VPCI_SLOT_FN(s)		(((s) >> 5) & 0x7u)
#define HVK_VPCI_SLOT_RESERVED		0xffffff00u
#define HVK_VPCI_MAX_SLOTS		256u

static inline u32 hvk_vpci_devfn_to_slot(u32 devfn)
{
	return ((devfn >> 3) & 0x1fu) | ((devfn & 0x7u) << 5);
}

static inline u32 hvk_vpci_slot_to_devfn(u32 slot)
{
	return (HVK_VPCI_SLOT_DEV(slot) << 3) | HVK_VPCI_SLOT_FN(slot);
}

/*
 * The PCI domain of a vPCI bus: bytes 4 and 5 of its instance GUID (wire
 * order), as upstream derives it (0 stays for the emulated bus; the guest
 * picks another on a collision).
 */
static inline u16 hvk_vpci_domain(const u8 instance[16])
{
	return (u16)(instance[5] << 8 | instance[4]);
}

struct hvk_vpci_msg {
	u32 type;
} __packed;
HVK_WIRE_SIZE(struct hvk_vpci_msg, 4);

/* A message about one function: QUERY_RESOURCE_REQS, RESOURCES_RELEASED, EJECT. */
struct hvk_vpci_child_msg {
	u32 type;
	u32 slot;
} __packed;
HVK_WIRE_SIZE(struct hvk_vpci_child_msg, 8);

struct hvk_vpci_version_req {
	u32 type;
	u32 version;
} __packed;
HVK_WIRE_SIZE(struct hvk_vpci_version_req, 8);

/* Every completion starts so; a version reply also carries the host's newest. */
struct hvk_vpci_status {
	s32 status;
	u32 version;
} __packed;
HVK_WIRE_SIZE(struct hvk_vpci_status, 8);

struct hvk_vpci_d0_entry {
	u32 type;
	u32 reserved;
	u64 mmio_base;		/* the config window, HVK_VPCI_CFG_WINDOW bytes */
} __packed;
HVK_WIRE_SIZE(struct hvk_vpci_d0_entry, 16);

/* A function in BUS_RELATIONS: the config header's identity and its slot. */
struct hvk_vpci_func {
	u16 vendor;
	u16 device;
	u8 rev;
	u8 prog_if;
	u8 subclass;
	u8 base_class;
	u32 subsystem;		/* subsystem vendor in the low half, id in the high */
	u32 slot;
	u32 serial;
} __packed;
HVK_WIRE_SIZE(struct hvk_vpci_func, 20);

/* BUS_RELATIONS2 (1.3): the same, and a NUMA node when flags bit 0 is set. */
#define HVK_VPCI_FUNC_NUMA	0x1u
struct hvk_vpci_func2 {
	struct hvk_vpci_func f;
	u32 flags;
	u16 numa_node;
	u16 reserved;
} __packed;
HVK_WIRE_SIZE(struct hvk_vpci_func2, 28);

struct hvk_vpci_bus_rel {
	u32 type;
	u32 count;
	/* count struct hvk_vpci_func, or hvk_vpci_func2 for BUS_RELATIONS2 */
} __packed;
HVK_WIRE_SIZE(struct hvk_vpci_bus_rel, 8);

/* The completion of QUERY_RESOURCE_REQS: each BAR as it reads after all ones were written. */
struct hvk_vpci_res_reqs {
	s32 status;
	u32 probed_bar[6];
} __packed;
HVK_WIRE_SIZE(struct hvk_vpci_res_reqs, 28);

struct hvk_vpci_power {
	u32 type;
	u32 slot;
	u32 state;		/* Windows' device power state: 1 D0 .. 4 D3 */
	u32 reserved;
} __packed;
HVK_WIRE_SIZE(struct hvk_vpci_power, 16);

/*
 * A CM_PARTIAL_RESOURCE_DESCRIPTOR as RESOURCES_ASSIGNED carries one per
 * BAR. Memory (type 3) has its length in bytes; large memory (type 7) has
 * it shifted right by 8, 16 or 32, as a flag says.
 */
#define HVK_VPCI_RES_MEMORY		3
#define HVK_VPCI_RES_MEMORY_LARGE	7
#define HVK_VPCI_RES_LARGE_40		0x0200u
#define HVK_VPCI_RES_LARGE_48		0x0400u
#define HVK_VPCI_RES_LARGE_64		0x0800u
struct hvk_vpci_partial_res {
	u8 type;
	u8 share;
	u16 flags;
	u64 start;
	u32 len;
	u32 pad;
} __packed;
HVK_WIRE_SIZE(struct hvk_vpci_partial_res, 20);

struct hvk_vpci_res_assigned {
	u32 type;
	u32 slot;
	struct hvk_vpci_partial_res mem[6];	/* all zero from a Linux guest */
	u32 msi_count;				/* MSI descriptors that follow (none) */
	u32 reserved[4];
} __packed;
HVK_WIRE_SIZE(struct hvk_vpci_res_assigned, 148);

struct hvk_vpci_res_assigned2 {
	u32 type;
	u32 slot;
	struct hvk_vpci_partial_res mem[6];
	u32 msi_count;
	u8 reserved[70];
} __packed;
HVK_WIRE_SIZE(struct hvk_vpci_res_assigned2, 202);

/* Delivery modes a host accepts (the x86 APIC's). */
#define HVK_VPCI_DELIVERY_FIXED		0
#define HVK_VPCI_DELIVERY_LOWEST	1
/* A host maps at most 32 vectors for one descriptor (multi-MSI's limit) and 32 VPs. */
#define HVK_VPCI_MAX_VECTORS		32u
#define HVK_VPCI_MAX_VPS		32u

struct hvk_vpci_msi_desc {		/* 1.1: a VP mask */
	u8 vector;
	u8 delivery_mode;
	u16 vector_count;
	u32 reserved;
	u64 cpu_mask;
} __packed;
HVK_WIRE_SIZE(struct hvk_vpci_msi_desc, 16);

struct hvk_vpci_msi_desc2 {		/* 1.2: a VP list */
	u8 vector;
	u8 delivery_mode;
	u16 vector_count;
	u16 vp_count;
	u16 vp[32];
} __packed;
HVK_WIRE_SIZE(struct hvk_vpci_msi_desc2, 70);

struct hvk_vpci_msi_desc3 {		/* 1.4: a 32-bit vector */
	u32 vector;
	u8 delivery_mode;
	u8 reserved;
	u16 vector_count;
	u16 vp_count;
	u16 vp[32];
} __packed;
HVK_WIRE_SIZE(struct hvk_vpci_msi_desc3, 74);

struct hvk_vpci_create_int {
	u32 type;
	u32 slot;
	struct hvk_vpci_msi_desc d;
} __packed;
HVK_WIRE_SIZE(struct hvk_vpci_create_int, 24);

struct hvk_vpci_create_int2 {
	u32 type;
	u32 slot;
	struct hvk_vpci_msi_desc2 d;
} __packed;
HVK_WIRE_SIZE(struct hvk_vpci_create_int2, 78);

struct hvk_vpci_create_int3 {
	u32 type;
	u32 slot;
	struct hvk_vpci_msi_desc3 d;
} __packed;
HVK_WIRE_SIZE(struct hvk_vpci_create_int3, 82);

/* What the device writes to raise the interrupt, as the host mapped it. */
struct hvk_vpci_int_desc {
	u16 reserved;
	u16 vector_count;
	u32 data;
	u64 address;
} __packed;
HVK_WIRE_SIZE(struct hvk_vpci_int_desc, 16);

struct hvk_vpci_create_int_reply {
	s32 status;
	u32 reserved;
	struct hvk_vpci_int_desc d;
} __packed;
HVK_WIRE_SIZE(struct hvk_vpci_create_int_reply, 24);

struct hvk_vpci_delete_int {
	u32 type;
	u32 slot;
	struct hvk_vpci_int_desc d;
} __packed;
HVK_WIRE_SIZE(struct hvk_vpci_delete_int, 24);

struct hvk_vpci_eject_done {
	u32 type;		/* EJECTION_COMPLETE */
	u32 slot;
	u32 status;
} __packed;
HVK_WIRE_SIZE(struct hvk_vpci_eject_done, 12);

/* The x86 MSI address window the host's interrupt addresses lie in. */
#define HVK_VPCI_MSI_ADDR_BASE		0xfee00000ull
#define HVK_VPCI_MSI_ADDR_MASK		0xfffffffffff00000ull

/* ---- checks; each returns NULL when the message is good, else why not ---- */

static inline bool hvk_vpci_version_known(u32 v)
{
	return v == HVK_VPCI_V1_1 || v == HVK_VPCI_V1_2 || v == HVK_VPCI_V1_3 ||
	       v == HVK_VPCI_V1_4;
}

/* The create-interrupt message a guest of version @v sends (upstream's choice). */
static inline u32 hvk_vpci_create_int_type(u32 v)
{
	if (v >= HVK_VPCI_V1_4)
		return HVK_VPCI_CREATE_INTERRUPT3;
	if (v >= HVK_VPCI_V1_2)
		return HVK_VPCI_CREATE_INTERRUPT2;
	return HVK_VPCI_CREATE_INTERRUPT;
}

/* A completion's status: @len bytes of payload at @p. */
static inline const char *hvk_vpci_status_check(const void *p, u32 len, s32 *status)
{
	s32 s;

	if (len < sizeof(s))
		return "completion shorter than its status";
	memcpy(&s, p, sizeof(s));
	*status = s;
	return NULL;
}

/* Bus relations as the guest takes them. */
struct hvk_vpci_rel_view {
	u32 count;
	u32 entry_size;		/* 20 or 28 */
	u32 first;		/* offset of the first function */
};

/*
 * BUS_RELATIONS or BUS_RELATIONS2 (@len payload bytes at @p) received at
 * version @v: the type is one of the two (the second from 1.3 on), every
 * function the count names lies inside the message, each slot has its
 * reserved bits clear, and no slot is named twice.
 */
static inline const char *hvk_vpci_bus_rel_check(const void *p, u32 len, u32 v,
						 struct hvk_vpci_rel_view *out)
{
	const u8 *b = (const u8 *)p;
	struct hvk_vpci_bus_rel h;
	u32 seen[HVK_VPCI_MAX_SLOTS / 32] = { 0 };
	u32 i, es;

	if (len < sizeof(h))
		return "bus relations shorter than their header";
	memcpy(&h, b, sizeof(h));
	if (h.type == HVK_VPCI_BUS_RELATIONS)
		es = sizeof(struct hvk_vpci_func);
	else if (h.type == HVK_VPCI_BUS_RELATIONS2 && v >= HVK_VPCI_V1_3)
		es = sizeof(struct hvk_vpci_func2);
	else if (h.type == HVK_VPCI_BUS_RELATIONS2)
		return "bus relations 2 before version 1.3";
	else
		return "not bus relations";
	if (h.count > HVK_VPCI_MAX_SLOTS)
		return "more functions than a bus has slots";
	if (sizeof(h) + (u64)h.count * es > len)
		return "function count runs past the message";
	for (i = 0; i < h.count; i++) {
		struct hvk_vpci_func f;

		memcpy(&f, b + sizeof(h) + (u64)i * es, sizeof(f));
		if (f.slot & HVK_VPCI_SLOT_RESERVED)
			return "function slot with reserved bits set";
		if (seen[f.slot / 32] & (1u << (f.slot % 32)))
			return "two functions in one slot";
		seen[f.slot / 32] |= 1u << (f.slot % 32);
	}
	out->count = h.count;
	out->entry_size = es;
	out->first = sizeof(h);
	return NULL;
}

/* Function @i of checked relations. */
static inline void hvk_vpci_rel_func(const void *p, const struct hvk_vpci_rel_view *r, u32 i,
				     struct hvk_vpci_func2 *f)
{
	memset(f, 0, sizeof(*f));
	memcpy(f, (const u8 *)p + r->first + (u64)i * r->entry_size, r->entry_size);
}

/* PCI BAR bits, as the config header has them. */
#define HVK_PCI_BAR_IO			0x1u
#define HVK_PCI_BAR_TYPE_MASK		0x6u
#define HVK_PCI_BAR_TYPE_64		0x4u
#define HVK_PCI_BAR_PREFETCH		0x8u
#define HVK_PCI_BAR_MEM_MASK		(~(u64)0xf)

/* A function's memory BARs as its probed values describe them. */
struct hvk_vpci_bars {
	u64 size[6];		/* 0: no BAR here (or the high half of a 64-bit one) */
	u8 flags[6];		/* the BAR's low bits: 64-bit, prefetchable */
};

/*
 * Decode six probed BAR values (what each reads after ~0 was written): a
 * memory BAR's size is a power of two of at least 16 bytes; a 64-bit BAR
 * takes the next slot for its high half, so it cannot be the last; I/O
 * BARs and the reserved type are refused (a vPCI host passes none).
 */
static inline const char *hvk_vpci_bars_decode(const u32 probed[6], struct hvk_vpci_bars *out)
{
	u32 i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < 6; i++) {
		u64 val = probed[i], size;

		if (!val)
			continue;
		if (val & HVK_PCI_BAR_IO)
			return "an I/O BAR";
		if ((val & HVK_PCI_BAR_TYPE_MASK) == HVK_PCI_BAR_TYPE_64) {
			if (i == 5)
				return "a 64-bit BAR in the last slot";
			val |= (u64)probed[i + 1] << 32;
		} else if (val & HVK_PCI_BAR_TYPE_MASK) {
			return "a BAR of a reserved type";
		} else {
			val |= 0xffffffff00000000ull;
		}
		size = ~(val & HVK_PCI_BAR_MEM_MASK) + 1;
		if (!size || (size & (size - 1)) || size < 16)
			return "a BAR whose size is not a power of two";
		out->size[i] = size;
		out->flags[i] = (u8)(probed[i] & 0xf);
		if (out->flags[i] & HVK_PCI_BAR_TYPE_64)
			i++;
	}
	return NULL;
}

/* The completion of QUERY_RESOURCE_REQS (@len payload bytes at @p). */
static inline const char *hvk_vpci_res_reqs_check(const void *p, u32 len,
						  struct hvk_vpci_bars *out)
{
	u32 probed[6];
	s32 status;

	if (len < sizeof(struct hvk_vpci_res_reqs))
		return "resource requirements shorter than six BARs";
	memcpy(&status, p, sizeof(status));
	if (status < 0)
		return "the host refused the resource requirements";
	memcpy(probed, (const u8 *)p + sizeof(status), sizeof(probed));
	return hvk_vpci_bars_decode(probed, out);
}

/*
 * The completion of a create-interrupt message that asked for @count
 * vectors: the host's answer names as many, at an address in the x86 MSI
 * window.
 */
static inline const char *hvk_vpci_int_reply_check(const void *p, u32 len, u16 count,
						   struct hvk_vpci_int_desc *out)
{
	struct hvk_vpci_create_int_reply r;

	if (len < sizeof(r))
		return "interrupt reply shorter than its descriptor";
	memcpy(&r, p, sizeof(r));
	if (r.status < 0)
		return "the host refused the interrupt";
	if (r.d.vector_count != count)
		return "interrupt reply for another vector count";
	if ((r.d.address & HVK_VPCI_MSI_ADDR_MASK) != HVK_VPCI_MSI_ADDR_BASE)
		return "interrupt address outside the MSI window";
	*out = r.d;
	return NULL;
}

/* EJECT from the host: the slot of the function to give back. */
static inline const char *hvk_vpci_eject_check(const void *p, u32 len, u32 *slot)
{
	struct hvk_vpci_child_msg m;

	if (len < sizeof(m))
		return "eject shorter than its slot";
	memcpy(&m, p, sizeof(m));
	if (m.slot & HVK_VPCI_SLOT_RESERVED)
		return "eject of a slot with reserved bits set";
	*slot = m.slot;
	return NULL;
}

/* ---- what the host checks in the guest's messages ---- */

/*
 * The bytes a guest message of @type needs, and the version it came with;
 * 0 for a message a guest does not send.
 */
static inline u32 hvk_vpci_guest_min_len(u32 type, u32 *since)
{
	*since = HVK_VPCI_V1_1;
	switch (type) {
	case HVK_VPCI_QUERY_PROTOCOL_VERSION:
		return sizeof(struct hvk_vpci_version_req);
	case HVK_VPCI_QUERY_BUS_RELATIONS:
	case HVK_VPCI_BUS_D0EXIT:
		return sizeof(struct hvk_vpci_msg);
	case HVK_VPCI_BUS_D0ENTRY:
		return sizeof(struct hvk_vpci_d0_entry);
	case HVK_VPCI_QUERY_RESOURCE_REQS:
	case HVK_VPCI_RESOURCES_RELEASED:
		return sizeof(struct hvk_vpci_child_msg);
	case HVK_VPCI_EJECTION_COMPLETE:
		return sizeof(struct hvk_vpci_eject_done);
	case HVK_VPCI_POWER_STATE_CHANGE:
		return sizeof(struct hvk_vpci_power);
	case HVK_VPCI_RESOURCES_ASSIGNED:
		return sizeof(struct hvk_vpci_res_assigned);
	case HVK_VPCI_CREATE_INTERRUPT:
		return sizeof(struct hvk_vpci_create_int);
	case HVK_VPCI_DELETE_INTERRUPT:
		return sizeof(struct hvk_vpci_delete_int);
	case HVK_VPCI_RESOURCES_ASSIGNED2:
		*since = HVK_VPCI_V1_2;
		return sizeof(struct hvk_vpci_res_assigned2);
	case HVK_VPCI_CREATE_INTERRUPT2:
		*since = HVK_VPCI_V1_2;
		return sizeof(struct hvk_vpci_create_int2);
	case HVK_VPCI_CREATE_INTERRUPT3:
		*since = HVK_VPCI_V1_4;
		return sizeof(struct hvk_vpci_create_int3);
	default:
		return 0;
	}
}

/*
 * A guest message (@len payload bytes at @p) at negotiated version @v (0:
 * none yet): a type a guest sends, long enough, allowed at @v, and,
 * before a version is agreed, only QUERY_PROTOCOL_VERSION. Messages about
 * a function must name a slot with its reserved bits clear.
 */
static inline const char *hvk_vpci_guest_check(const void *p, u32 len, u32 v, u32 *type)
{
	struct hvk_vpci_child_msg m = { 0, 0 };
	u32 need, since;

	if (len < sizeof(m.type))
		return "message shorter than its type";
	memcpy(&m, p, len < sizeof(m) ? sizeof(m.type) : sizeof(m));
	need = hvk_vpci_guest_min_len(m.type, &since);
	if (!need)
		return "a message type a guest does not send";
	if (len < need)
		return "message shorter than its type requires";
	if (!v && m.type != HVK_VPCI_QUERY_PROTOCOL_VERSION)
		return "a message before the version was agreed";
	if (v && v < since)
		return "a message newer than the agreed version";
	if (need >= sizeof(m) && m.type != HVK_VPCI_QUERY_PROTOCOL_VERSION &&
	    m.type != HVK_VPCI_BUS_D0ENTRY && (m.slot & HVK_VPCI_SLOT_RESERVED))
		return "a slot with reserved bits set";
	*type = m.type;
	return NULL;
}

/* D0 entry's config window: page aligned, not zero, the 2 pages inside 64 bits. */
static inline const char *hvk_vpci_d0_check(const struct hvk_vpci_d0_entry *d)
{
	if (!d->mmio_base || (d->mmio_base & 0xfff))
		return "config window not page aligned";
	if (d->mmio_base > ~(u64)0 - HVK_VPCI_CFG_WINDOW)
		return "config window past the address space";
	return NULL;
}

/* One MSI request, normalised from any of the three descriptors. */
struct hvk_vpci_msi_req {
	u32 vector;
	u16 count;
	u8 mode;
	u16 vp_count;
	u16 vp[32];
};

static inline const char *hvk_vpci_msi_common(struct hvk_vpci_msi_req *r)
{
	if (!r->count || r->count > HVK_VPCI_MAX_VECTORS)
		return "vector count outside 1..32";
	if (r->mode != HVK_VPCI_DELIVERY_FIXED && r->mode != HVK_VPCI_DELIVERY_LOWEST)
		return "delivery mode neither fixed nor lowest priority";
	if (!r->vp_count || r->vp_count > HVK_VPCI_MAX_VPS)
		return "target VP count outside 1..32";
	return NULL;
}

/*
 * The fields of a descriptor with a VP list (1.2's and 1.4's differ only in
 * the vector's width), into @r; @vp is the list's 32 entries as they lie
 * in the message.
 */
static inline void hvk_vpci_msi_req_set(struct hvk_vpci_msi_req *r, u32 vector, u8 mode,
					u16 count, u16 vp_count, const void *vp)
{
	r->vector = vector;
	r->count = count;
	r->mode = mode;
	r->vp_count = vp_count;
	memcpy(r->vp, vp, sizeof(r->vp));
}

/*
 * A checked CREATE_INTERRUPT, 2 or 3 (type and length already checked by
 * hvk_vpci_guest_check()), as the host takes it: 1 to 32 vectors, fixed or
 * lowest-priority delivery, 1 to 32 target VPs.
 */
static inline const char *hvk_vpci_create_int_check(const void *p, u32 type,
						    struct hvk_vpci_msi_req *r)
{
	memset(r, 0, sizeof(*r));
	if (type == HVK_VPCI_CREATE_INTERRUPT) {
		struct hvk_vpci_create_int m;
		u32 i;

		memcpy(&m, p, sizeof(m));
		r->vector = m.d.vector;
		r->count = m.d.vector_count;
		r->mode = m.d.delivery_mode;
		/* 1.1 guests name every VP (~0) and retarget later: the first 32 serve. */
		for (i = 0; i < 64 && r->vp_count < HVK_VPCI_MAX_VPS; i++)
			if (m.d.cpu_mask & (1ull << i))
				r->vp[r->vp_count++] = (u16)i;
	} else if (type == HVK_VPCI_CREATE_INTERRUPT2) {
		struct hvk_vpci_create_int2 m;

		memcpy(&m, p, sizeof(m));
		hvk_vpci_msi_req_set(r, m.d.vector, m.d.delivery_mode, m.d.vector_count,
				     m.d.vp_count, m.d.vp);
	} else if (type == HVK_VPCI_CREATE_INTERRUPT3) {
		struct hvk_vpci_create_int3 m;

		memcpy(&m, p, sizeof(m));
		hvk_vpci_msi_req_set(r, m.d.vector, m.d.delivery_mode, m.d.vector_count,
				     m.d.vp_count, m.d.vp);
	} else {
		return "not a create-interrupt message";
	}
	return hvk_vpci_msi_common(r);
}

/*
 * One memory range of RESOURCES_ASSIGNED: its start and byte length
 * (0: none), the large-memory shift decoded. Other resource types are
 * not memory and come back empty.
 */
static inline const char *hvk_vpci_partial_res_decode(const struct hvk_vpci_partial_res *d,
						      u64 *start, u64 *len)
{
	u32 shift;

	*start = 0;
	*len = 0;
	if (d->type == HVK_VPCI_RES_MEMORY) {
		shift = 0;
	} else if (d->type == HVK_VPCI_RES_MEMORY_LARGE) {
		switch (d->flags & (HVK_VPCI_RES_LARGE_40 | HVK_VPCI_RES_LARGE_48 |
				    HVK_VPCI_RES_LARGE_64)) {
		case HVK_VPCI_RES_LARGE_40:
			shift = 8;
			break;
		case HVK_VPCI_RES_LARGE_48:
			shift = 16;
			break;
		case HVK_VPCI_RES_LARGE_64:
			shift = 32;
			break;
		default:
			return "large memory range without exactly one size flag";
		}
	} else {
		return NULL;
	}
	*start = d->start;
	*len = (u64)d->len << shift;
	if (*len && *start > ~(u64)0 - (*len - 1))
		return "memory range past the address space";
	return NULL;
}

/*
 * RESOURCES_ASSIGNED or RESOURCES_ASSIGNED2 (type and length checked):
 * no MSI descriptors follow (the guest creates interrupts one by one),
 * and each memory range, when given, is one of the function's BARs
 * (@bar_start, @bar_size per BAR: where the host placed them).
 */
static inline const char *hvk_vpci_res_assigned_check(const void *p, u32 type,
						      const u64 bar_start[6],
						      const u64 bar_size[6])
{
	struct hvk_vpci_res_assigned2 m;
	u32 i, j;

	memset(&m, 0, sizeof(m));
	if (type == HVK_VPCI_RESOURCES_ASSIGNED)
		memcpy(&m, p, sizeof(struct hvk_vpci_res_assigned));
	else if (type == HVK_VPCI_RESOURCES_ASSIGNED2)
		memcpy(&m, p, sizeof(m));
	else
		return "not a resources-assigned message";
	if (m.msi_count)
		return "MSI descriptors in resources assigned";
	for (i = 0; i < 6; i++) {
		u64 start, len;
		const char *why = hvk_vpci_partial_res_decode(&m.mem[i], &start, &len);

		if (why)
			return why;
		if (!len)
			continue;
		for (j = 0; j < 6; j++)
			if (bar_size[j] && start == bar_start[j] && len == bar_size[j])
				break;
		if (j == 6)
			return "a memory range that is none of the function's BARs";
	}
	return NULL;
}

#endif /* _HVKIT_VPCI_H */
