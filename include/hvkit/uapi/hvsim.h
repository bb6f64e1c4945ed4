/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Generic netlink family "hvsim": the control interface of hvkit_sim, the
 * simulated Hyper-V host. It grows by attributes, never by new families.
 * Errors come back as netlink extended ACKs with a message.
 */
#ifndef _HVKIT_UAPI_HVSIM_H
#define _HVKIT_UAPI_HVSIM_H

#define HVSIM_GENL_NAME		"hvsim"
#define HVSIM_GENL_VERSION	1

enum hvsim_cmd {
	HVSIM_CMD_UNSPEC,
	HVSIM_CMD_DEV_ADD,	/* TYPE, [INSTANCE], [CHANNELS] -> INSTANCE, RELID */
	HVSIM_CMD_DEV_DEL,	/* INSTANCE: rescind every channel of it */
	HVSIM_CMD_DEV_GET,	/* dump: one message per device */
	HVSIM_CMD_FAULT_SET,	/* FAULT, COUNT: the next COUNT times */
	HVSIM_CMD_FAULT_GET,	/* dump: FAULT, FAULT_NAME, COUNT, HITS */
	__HVSIM_CMD_MAX,
};
#define HVSIM_CMD_MAX (__HVSIM_CMD_MAX - 1)

enum hvsim_attr {
	HVSIM_A_UNSPEC,
	HVSIM_A_TYPE,		/* string: "echo" */
	HVSIM_A_INSTANCE,	/* 16 bytes, GUID in wire order */
	HVSIM_A_CLASS,		/* 16 bytes, GUID in wire order */
	HVSIM_A_CHANNELS,	/* u32: primary + sub-channels */
	HVSIM_A_RELID,		/* u32: the primary channel's relid */
	HVSIM_A_OPEN,		/* u32: channels the guest has open */
	HVSIM_A_PKTS_IN,	/* u64: packets from the guest */
	HVSIM_A_PKTS_OUT,	/* u64: packets to the guest */
	HVSIM_A_FAULT,		/* u32: enum hvsim_fault */
	HVSIM_A_COUNT,		/* u32 */
	HVSIM_A_FAULT_NAME,	/* string */
	HVSIM_A_HITS,		/* u32: times the fault fired */
	HVSIM_A_PAD,
	__HVSIM_A_MAX,
};
#define HVSIM_A_MAX (__HVSIM_A_MAX - 1)

#endif /* _HVKIT_UAPI_HVSIM_H */
