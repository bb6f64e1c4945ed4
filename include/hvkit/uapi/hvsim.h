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
	HVSIM_CMD_DEV_ADD,	/* TYPE, [INSTANCE], [CHANNELS], [MONITORED],
				 * [NO_DEDICATED_INTERRUPT] -> INSTANCE, RELID */
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
	HVSIM_A_CPU,		/* u32: the CPU the host signals (primary) */
	HVSIM_A_MONITORED,	/* flag: the host polls the guest's monitor page */
	HVSIM_A_SIGNALS,	/* u64: guest signals by HvSignalEvent */
	HVSIM_A_MONITOR_SIGNALS, /* u64: guest signals found in the monitor page */
	HVSIM_A_NO_DEDICATED_INTERRUPT, /* flag: offered without a dedicated interrupt */
	HVSIM_A_INT_PAGE_SIGNALS, /* u64: guest signals found in the interrupt page */
	HVSIM_A_SPACE_SIGNALS,	/* u64: host signals that the guest's outbound ring has
				 * the room its pending_send_sz asked for */
	__HVSIM_A_MAX,
};
#define HVSIM_A_MAX (__HVSIM_A_MAX - 1)

/*
 * Faults of the simulated host (HVSIM_CMD_FAULT_SET names one by
 * HVSIM_A_FAULT_NAME and arms it for the next HVSIM_A_COUNT chances).
 * "hvctl sim faults" lists them; docs/sim.md says what each does.
 */
enum hvsim_fault {
	HVSIM_FAULT_DROP_MSG,		/* a message to the guest is lost */
	HVSIM_FAULT_DELAY_MSG,		/* ... arrives fault_delay_ms late */
	HVSIM_FAULT_SHORT_MSG,		/* ... arrives cut to its header */
	HVSIM_FAULT_BAD_RELID,		/* an offer names relid 4000 */
	HVSIM_FAULT_DUP_RELID,		/* an offer is sent twice */
	HVSIM_FAULT_RESCIND_ON_OPEN,	/* OPENCHANNEL is answered by a rescind */
	HVSIM_FAULT_GPADL_REORDER,	/* GPADL_CREATED: a stranger first, a twin after */
	HVSIM_FAULT_BAD_RING_INDEX,	/* a reply sets write_index past the ring */
	HVSIM_FAULT_BAD_PKT_LEN,	/* a reply's descriptor runs past the data */
	HVSIM_FAULT_BAD_PKT_OFFSET,	/* a reply's payload offset is past its end */
	HVSIM_FAULT_BAD_TRANS_ID,	/* a reply names a request never made */
	HVSIM_FAULT_RESCIND_PRIMARY_FIRST, /* a removal rescinds the primary first */
	HVSIM_FAULT_RESCIND_AFTER_GPADL, /* a GPADL is made, then its channel rescinded */
	HVSIM_FAULT_OFFER_ON_UNLOAD,	/* UNLOAD is answered after a new offer */
	HVSIM_FAULT_POST_BUSY,		/* HvPostMessage: HV_STATUS_INSUFFICIENT_BUFFERS */
	HVSIM_FAULT_POST_INVALID,	/* HvPostMessage: HV_STATUS_INVALID_PARAMETER */
	HVSIM_FAULT_COUNT,
};

#endif /* _HVKIT_UAPI_HVSIM_H */
