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
	/*
	 * The integration services' host side. Each names its device by
	 * INSTANCE, or by TYPE when exactly one device of that type exists.
	 * A command that waits for the guest waits at most IC_TIMEOUT_MS
	 * (default 35000) and replies with the guest's answer; no answer is
	 * -ETIMEDOUT with an extended ACK. Results never come as log lines.
	 */
	HVSIM_CMD_HEARTBEAT_GET, /* -> HB_SENT, HB_ANSWERED, HB_SEQ */
	HVSIM_CMD_SHUTDOWN,	/* SD_ACTION, [SD_FORCE], [SD_REASON] -> IC_STATUS */
	HVSIM_CMD_TIMESYNC,	/* TS_FLAGS, [TS_TIME_NS | TS_OFFSET_NS], [TS_DELAY_NS]
				 * -> IC_STATUS */
	HVSIM_CMD_KVP,		/* KVP_OP, KVP_POOL, [KVP_KEY, KVP_VALUE, KVP_VALUE_TYPE,
				 * KVP_INDEX, KVP_IP_*] -> IC_STATUS and the answer's fields */
	HVSIM_CMD_VSS,		/* VSS_OP, [VSS_FLAGS] -> IC_STATUS, VSS_FLAGS */
	HVSIM_CMD_FCOPY,	/* FCOPY_SRC, FCOPY_PATH, FCOPY_NAME, [FCOPY_FLAGS],
				 * [FCOPY_CHUNK] -> IC_STATUS, FCOPY_BYTES (waits to the end) */
	HVSIM_CMD_FCOPY_CANCEL,	/* the copy under way is cancelled: its FCOPY waiter gets
				 * -ECANCELED and the guest a CANCEL_FCOPY */
	HVSIM_CMD_IC_RAW,	/* IC_MSGTYPE, RAW, [IC_MSGSIZE]: send any IC message as the
				 * host (bad-input tests) -> IC_STATUS, RAW (the answer's body) */
	HVSIM_CMD_SCSI,		/* SCSI_OP, [SCSI_LUN, SCSI_SIZE, SCSI_SECTOR, SCSI_RO, SCSI_LBA,
				 * SCSI_STALL_MS]: change a simulated SCSI controller */
	HVSIM_CMD_NIC_LINK,	/* nic: NIC_LINK (0 down, 1 up): the link state the host
				 * reports (RNDIS indicate-status) and its hvsim<N> carrier */
	HVSIM_CMD_VPCI,		/* vpci: VPCI_OP (enum hvsim_vpci_op): hot add or remove
				 * the function (bus relations, eject) */
	HVSIM_CMD_NIC_KEEPALIVE, /* nic: an RNDIS KEEPALIVE to the guest; waits (5 s at most)
				  * for its answer -> NIC_KEEPALIVES; -ETIMEDOUT without */
	HVSIM_CMD_NIC_SPEED,	/* nic: NIC_SPEED: the link speed the host reports; a change
				 * is indicated to the guest (RNDIS LINK_SPEED_CHANGE) */
	HVSIM_CMD_NIC_SEND_TABLE, /* nic: NIC_SEND_TABLE: the send indirection table, sent to the
				   * guest now and after each sub-channel setup (default: the
				   * channels in turn); -ENOTCONN before NVSP 5 */
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
	/* Integration services. */
	HVSIM_A_IC_FW_VERSIONS,	/* binary, u32[] (major << 16 | minor): at DEV_ADD, the
				 * framework versions the host offers (default: Hyper-V's) */
	HVSIM_A_IC_SRV_VERSIONS, /* binary, u32[]: ... the service versions */
	HVSIM_A_IC_FW_VERSION,	/* u32: negotiated framework version (DEV_GET), 0: none */
	HVSIM_A_IC_SRV_VERSION,	/* u32: negotiated service version (DEV_GET), 0: none */
	HVSIM_A_IC_STATUS,	/* u32: the status the guest answered (HVK_S_OK, ...) */
	HVSIM_A_IC_TIMEOUT_MS,	/* u32: how long a command waits for the guest */
	HVSIM_A_IC_MSGTYPE,	/* u32: IC_RAW's message type */
	HVSIM_A_IC_MSGSIZE,	/* u32: IC_RAW: icmsgsize to claim (default: RAW's length) */
	HVSIM_A_RAW,		/* binary: an IC message body */
	HVSIM_A_HB_SENT,	/* u64: heartbeats sent */
	HVSIM_A_HB_ANSWERED,	/* u64: heartbeats answered with the right number */
	HVSIM_A_HB_SEQ,		/* u64: the last sequence number the guest answered */
	HVSIM_A_SD_ACTION,	/* u32: enum hvsim_sd_action */
	HVSIM_A_SD_FORCE,	/* flag: a forced request */
	HVSIM_A_SD_REASON,	/* string: the message shown with the request */
	HVSIM_A_TS_FLAGS,	/* u32: 1 SYNC, 2 SAMPLE (ICTIMESYNCFLAG_*) */
	HVSIM_A_TS_TIME_NS,	/* s64: the host's time to send, ns since the Unix epoch */
	HVSIM_A_TS_OFFSET_NS,	/* s64: ... or this offset from the guest's clock now */
	HVSIM_A_KVP_OP,		/* u32: enum hvk_kvp_op */
	HVSIM_A_KVP_POOL,	/* u32: 0..4 (any value is sent, for bad-input tests) */
	HVSIM_A_KVP_KEY,	/* string, UTF-8 (sent as UTF-16) */
	HVSIM_A_KVP_VALUE,	/* string, UTF-8, or binary for REG_U32/REG_U64 */
	HVSIM_A_KVP_VALUE_TYPE,	/* u32: HVK_REG_SZ, HVK_REG_U32, HVK_REG_U64 */
	HVSIM_A_KVP_INDEX,	/* u32: ENUMERATE's index */
	HVSIM_A_KVP_IP_ADAPTER,	/* string: IP info: the adapter (MAC address) */
	HVSIM_A_KVP_IP_ADDR,	/* string: addresses, ';'-separated */
	HVSIM_A_KVP_IP_SUBNET,	/* string */
	HVSIM_A_KVP_IP_GATEWAY,	/* string */
	HVSIM_A_KVP_IP_DNS,	/* string */
	HVSIM_A_KVP_IP_DHCP,	/* u32: 1 DHCP enabled */
	HVSIM_A_KVP_IP_FAMILY,	/* u32: HVK_ADDR_FAMILY_* */
	HVSIM_A_VSS_OP,		/* u32: enum hvk_vss_op */
	HVSIM_A_VSS_FLAGS,	/* u32: the answer's vss_cf_flags / dm_info_flags */
	HVSIM_A_FCOPY_SRC,	/* string: the file the host copies (a path the sim opens) */
	HVSIM_A_FCOPY_PATH,	/* string: the guest's target directory */
	HVSIM_A_FCOPY_NAME,	/* string: the guest's file name */
	HVSIM_A_FCOPY_FLAGS,	/* u32: HVK_FCOPY_OVER_WRITE | HVK_FCOPY_CREATE_PATH */
	HVSIM_A_FCOPY_CHUNK,	/* u32: bytes per WRITE_TO_FILE (1..6144, default 6144) */
	HVSIM_A_FCOPY_BYTES,	/* u64: bytes the guest took */
	HVSIM_A_TS_DELAY_NS,	/* u64: TIMESYNC: the message reaches the guest this late: the
				 * host read its clock (and, from 4.0, the reference counter)
				 * that long before it sends (at most 1 hour) */
	/* The synthetic SCSI controller (device type "scsi"). */
	HVSIM_A_SCSI_SIZE,	/* u64: DEV_ADD: LUN 0's bytes (default 64 MiB, at most 1 GiB) */
	HVSIM_A_SCSI_SECTOR,	/* u32: DEV_ADD: its sector size, 512 (default) or 4096 */
	HVSIM_A_SCSI_RO,	/* flag: DEV_ADD: it is read-only */
	HVSIM_A_SCSI_LUNS,	/* u32: DEV_GET: LUNs present */
	HVSIM_A_SCSI_VERSION,	/* u32: DEV_GET: the VSP protocol version agreed, 0: none */
	HVSIM_A_SCSI_READS,	/* u64: DEV_GET: READs served */
	HVSIM_A_SCSI_WRITES,	/* u64: DEV_GET: WRITEs served */
	HVSIM_A_SCSI_UNMAPS,	/* u64: DEV_GET: UNMAPs and unmapping WRITE SAMEs served */
	HVSIM_A_SCSI_REFUSED,	/* u64: DEV_GET: requests refused as malformed */
	HVSIM_A_SCSI_OP,	/* u32: enum hvsim_scsi_op */
	HVSIM_A_SCSI_LUN,	/* u32: 0..63 */
	HVSIM_A_SCSI_LBA,	/* u64: MEDIUM_ERROR: reads of this block fail; absent: none do */
	HVSIM_A_SCSI_STALL_MS,	/* u32: STALL: answer no request for this long (at most 10 min) */
	HVSIM_A_SCSI_DROPPED,	/* u64: DEV_GET: requests a stall left unanswered */
	HVSIM_A_NIC_MAC,	/* 6 bytes: nic: the MAC the host gives the guest's NIC */
	HVSIM_A_NIC_MTU,	/* u32: nic: the largest MTU the host allows (68..65521) */
	HVSIM_A_NIC_LINK,	/* u32: nic: 1 link up (default), 0 down */
	HVSIM_A_NIC_NETDEV,	/* string: nic (DEV_GET): the host end, hvsim<N> */
	HVSIM_A_NIC_NVSP,	/* u32: nic (DEV_GET): the NVSP version agreed, 0: none */
	HVSIM_A_NIC_REFUSED,	/* u64: nic (DEV_GET): guest messages the host refused */
	HVSIM_A_NIC_NVSP_MAX,	/* u32: nic (DEV_ADD, DEV_GET): the newest NVSP version the
				 * host accepts (default 0x60001, 6.1) */
	HVSIM_A_SCSI_BACKING,	/* string: scsi (DEV_ADD, SCSI ADD_LUN): the LUN's bytes are this
				 * file or block device of the guest, its size theirs; DEV_GET:
				 * LUN 0's, absent for RAM */
	HVSIM_A_SCSI_LATENCY_US, /* u32: scsi (DEV_ADD, DEV_GET): each SCSI completion is sent
				  * this many microseconds late (at most 1000000) */
	HVSIM_A_VPCI_PCI,	/* string: vpci (DEV_ADD, DEV_GET): the function passed
				 * through, DDDD:BB:DD.F */
	HVSIM_A_VPCI_VERSION,	/* u32: vpci (DEV_GET): the vPCI version agreed, 0: none */
	HVSIM_A_VPCI_REFUSED,	/* u64: vpci (DEV_GET): guest messages and accesses refused */
	HVSIM_A_VPCI_OP,	/* u32: VPCI: enum hvsim_vpci_op */
	HVSIM_A_VPCI_PRESENT,	/* u32: vpci (DEV_GET): 1 the function is on the guest's bus */
	HVSIM_A_NIC_OFFLOADS,	/* u32: nic (DEV_ADD, DEV_GET): HVSIM_NIC_OFL_* the host grants
				 * (default all) */
	HVSIM_A_NIC_OFFLOADS_ON, /* u32: nic (DEV_GET): what the guest enabled (HVK_OFL_* of
				  * hvkit/netvsc.h) */
	HVSIM_A_NIC_LSO_FRAMES,	/* u64: nic (DEV_GET): LSO frames the guest sent */
	HVSIM_A_NIC_CSUM_FRAMES, /* u64: nic (DEV_GET): frames whose checksum the host computed */
	HVSIM_A_NIC_KEEPALIVES,	/* u64: nic (DEV_GET, NIC_KEEPALIVE): keepalives the guest answered */
	HVSIM_A_NIC_DATAPATH,	/* u32: nic (DEV_GET): where the host sends the VM's traffic:
				 * 0 the synthetic NIC, 1 its VF (SWITCH_DATA_PATH) */
	HVSIM_A_NIC_RECV_BUF,	/* u32: nic (DEV_GET): bytes of the receive buffer's GPADL, 0: none */
	HVSIM_A_NIC_RECV_SECTIONS, /* u32: nic (DEV_GET): the sub-allocations it was carved into */
	HVSIM_A_NIC_SEND_BUF,	/* u32: nic (DEV_GET): bytes of the send buffer's GPADL, 0: none */
	HVSIM_A_NIC_SEND_SECTIONS, /* u32: nic (DEV_GET): its sections */
	HVSIM_A_NIC_SPEED,	/* u32: nic (DEV_ADD, DEV_GET, NIC_SPEED): the link speed in
				 * Mbit/s, 1..429496 (OID_GEN_LINK_SPEED's u32 of 100 bit/s
				 * units); default 100000 */
	HVSIM_A_NIC_FILTER,	/* u32: nic (DEV_GET): the guest's RNDIS packet filter
				 * (NDIS_PACKET_TYPE_*), 0: none set */
	HVSIM_A_NIC_MCAST,	/* u32: nic (DEV_GET): entries in the guest's multicast list */
	HVSIM_A_NIC_FILTERED,	/* u64: nic (DEV_GET): frames for the guest its filter held back */
	HVSIM_A_NIC_SEND_TABLE,	/* 16 x u32: nic (NIC_SEND_TABLE): the send indirection table */
	HVSIM_A_NIC_SEND_TABLES, /* u64: nic (DEV_GET): send indirection tables sent to the guest */
	HVSIM_A_NIC_RESETS,	/* u64: nic (DEV_GET): RNDIS resets the guest asked for */
	HVSIM_A_SCSI_INFLIGHT_PEAK, /* u32: scsi (DEV_GET): the most requests one channel had
				     * in flight (received, not yet answered) at once */
	__HVSIM_A_MAX,
};
#define HVSIM_A_MAX (__HVSIM_A_MAX - 1)

enum hvsim_sd_action {
	HVSIM_SD_POWEROFF,
	HVSIM_SD_RESTART,
	HVSIM_SD_HIBERNATE,
};

/* HVSIM_CMD_SCSI's operations. */
enum hvsim_scsi_op {
	HVSIM_SCSI_ADD_LUN,	/* SCSI_LUN, [SCSI_SIZE, SCSI_SECTOR, SCSI_RO]; the guest is told */
	HVSIM_SCSI_REMOVE_LUN,	/* SCSI_LUN; the guest is told */
	HVSIM_SCSI_MEDIUM_ERROR, /* SCSI_LUN, [SCSI_LBA] */
	HVSIM_SCSI_STALL,	/* SCSI_STALL_MS; a reset of the bus ends it early */
};

/* HVSIM_A_NIC_OFFLOADS: what a nic grants. */
#define HVSIM_NIC_OFL_CSUM	0x1	/* TCP and UDP checksums, IPv4 and IPv6, both ways */
#define HVSIM_NIC_OFL_TSO	0x2	/* LSO v2, IPv4 and IPv6 */
#define HVSIM_NIC_OFL_RSC	0x4	/* receive segment coalescing (NVSP 6.1), IPv4 and IPv6 */
#define HVSIM_NIC_OFL_ALL	0x7

/* HVSIM_CMD_VPCI's operations. */
enum hvsim_vpci_op {
	HVSIM_VPCI_ATTACH,	/* bus relations with the function: hot add */
	HVSIM_VPCI_DETACH,	/* eject: hot remove; waits for the guest's ejection complete */
};

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
	HVSIM_FAULT_SCSI_BAD_LENGTH,	/* a SCSI completion claims more data than asked */
	HVSIM_FAULT_SCSI_BAD_SRB_STATUS, /* ... carries an SRB status no host sends */
	HVSIM_FAULT_SCSI_BAD_SENSE_LEN,	/* ... a sense length past its sense field */
	HVSIM_FAULT_SCSI_UNKNOWN_ID,	/* ... is preceded by one for a request never made */
	HVSIM_FAULT_NIC_BAD_RNDIS_LEN,	/* nic: an RNDIS message claims more than its range */
	HVSIM_FAULT_NIC_BAD_RNDIS_OFFSET, /* nic: an RNDIS packet's frame offset past its end */
	HVSIM_FAULT_NIC_BOGUS_COMPLETION, /* nic: a send completion for a packet never sent */
	HVSIM_FAULT_NIC_BAD_RECV_RANGE,	/* nic: a receive range outside the receive buffer */
	HVSIM_FAULT_NIC_BAD_NVSP_VERSION, /* nic: INIT_COMPLETE names a version not asked for */
	HVSIM_FAULT_VPCI_BAD_RELATIONS,	/* vpci: bus relations name a slot with reserved bits set */
	HVSIM_FAULT_VPCI_REL_COUNT,	/* vpci: bus relations count more functions than they carry */
	HVSIM_FAULT_VPCI_DUP_SLOT,	/* vpci: bus relations name one slot twice */
	HVSIM_FAULT_VPCI_BAD_RESOURCES,	/* vpci: resource requirements with a BAR of no power-of-two size */
	HVSIM_FAULT_VPCI_INT_COUNT,	/* vpci: an interrupt answered for another vector count */
	HVSIM_FAULT_NIC_BAD_PPI_SIZE,	/* nic: a received frame's per-packet info runs past its area */
	HVSIM_FAULT_NIC_BAD_CSUM_PPI,	/* nic: a checksum info's value lies outside its entry */
	HVSIM_FAULT_NIC_BAD_RSC,	/* nic: a coalesced frame's first fragment is not marked so */
	HVSIM_FAULT_NIC_SHORT_SPEED,	/* nic: a link speed indication's status buffer is 2 bytes */
	HVSIM_FAULT_NIC_BAD_SEND_TABLE,	/* nic: a send indirection table of 15 entries */
	HVSIM_FAULT_SERVE_STALL,	/* a channel with a fast path (vpci): its serve work
					 * stalls 11 s first, a host worker with no CPU */
	HVSIM_FAULT_COUNT,
};

#endif /* _HVKIT_UAPI_HVSIM_H */
