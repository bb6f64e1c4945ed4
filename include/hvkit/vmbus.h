/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VMBus channel (control) messages as they cross the wire between the guest
 * and the host, carried in 240-byte SynIC message payloads. All fields are
 * little-endian; every size and offset the wire fixes is checked below.
 *
 * Facts: Hyper-V TLFS, upstream include/linux/hyperv.h and
 * drivers/hv/hyperv_vmbus.h (see docs/protocol.md).
 */
#ifndef _HVKIT_VMBUS_H
#define _HVKIT_VMBUS_H

#include "port.h"
#include "ring.h"

/* A GUID in its wire byte order (mixed-endian, as Windows stores it). */
struct hvk_guid {
	u8 b[16];
};

/* Protocol versions, (major << 16) | minor. */
#define HVK_VMBUS_WIN8		0x00020004u	/* 2.4, WS2012 */
#define HVK_VMBUS_WIN8_1	0x00030000u	/* 3.0, WS2012 R2 */
#define HVK_VMBUS_WIN10		0x00040000u	/* 4.0, WS2016; QEMU's highest */
#define HVK_VMBUS_WIN10_V4_1	0x00040001u	/* 4.1, MODIFYCHANNEL */
#define HVK_VMBUS_WIN10_V5	0x00050000u	/* 5.0, message connection id */
#define HVK_VMBUS_WIN10_V5_1	0x00050001u
#define HVK_VMBUS_WIN10_V5_2	0x00050002u
#define HVK_VMBUS_WIN10_V5_3	0x00050003u	/* MODIFYCHANNEL_RESPONSE */
#define HVK_VMBUS_VERSION_MAJOR(v)	((v) >> 16)
#define HVK_VMBUS_VERSION_MINOR(v)	((v) & 0xffff)

/* SynIC: one SINT carries both control messages and channel events. */
#define HVK_VMBUS_SINT			2
#define HVK_MESSAGE_SIZE		256
#define HVK_MESSAGE_PAYLOAD		240
#define HVK_EVENT_FLAGS_BITS		2048	/* relids the event page can name */
#define HVK_MAX_RELID			(HVK_EVENT_FLAGS_BITS - 1)

/* Connection ids for HvPostMessage / HvSignalEvent. */
#define HVK_CONN_ID_MESSAGE		1	/* before 5.0 */
#define HVK_CONN_ID_EVENT		2
#define HVK_CONN_ID_MONITOR		3
#define HVK_CONN_ID_MESSAGE_4		4	/* INITIATE_CONTACT from 5.0 on */

/*
 * HvPostMessage's result (TLFS; upstream asm-generic/hyperv-tlfs.h, later
 * include/hyperv/hvgdk_mini.h): the low 16 bits of the hypercall result.
 */
#define HVK_HV_STATUS_SUCCESS			0
#define HVK_HV_STATUS_INVALID_PARAMETER		5
#define HVK_HV_STATUS_INSUFFICIENT_MEMORY	11
#define HVK_HV_STATUS_INVALID_CONNECTION_ID	18
#define HVK_HV_STATUS_INSUFFICIENT_BUFFERS	19

/* Hypervisor message type of a posted VMBus message. */
#define HVK_HVMSG_NONE			0
#define HVK_HVMSG_CHANNEL		1
#define HVK_HVMSG_FLAG_PENDING		0x1

/* SynIC message slot (256 bytes). */
struct hvk_hv_message {
	u32 message_type;
	u8 payload_size;
	u8 message_flags;
	u8 reserved[2];
	u64 sender;
	u64 payload[HVK_MESSAGE_PAYLOAD / 8];
};
HVK_WIRE_SIZE(struct hvk_hv_message, HVK_MESSAGE_SIZE);
HVK_WIRE_OFF(struct hvk_hv_message, payload, 16);

enum hvk_chanmsg_type {
	HVK_CHANMSG_INVALID			= 0,
	HVK_CHANMSG_OFFERCHANNEL		= 1,
	HVK_CHANMSG_RESCIND_CHANNELOFFER	= 2,
	HVK_CHANMSG_REQUESTOFFERS		= 3,
	HVK_CHANMSG_ALLOFFERS_DELIVERED		= 4,
	HVK_CHANMSG_OPENCHANNEL			= 5,
	HVK_CHANMSG_OPENCHANNEL_RESULT		= 6,
	HVK_CHANMSG_CLOSECHANNEL		= 7,
	HVK_CHANMSG_GPADL_HEADER		= 8,
	HVK_CHANMSG_GPADL_BODY			= 9,
	HVK_CHANMSG_GPADL_CREATED		= 10,
	HVK_CHANMSG_GPADL_TEARDOWN		= 11,
	HVK_CHANMSG_GPADL_TORNDOWN		= 12,
	HVK_CHANMSG_RELID_RELEASED		= 13,
	HVK_CHANMSG_INITIATE_CONTACT		= 14,
	HVK_CHANMSG_VERSION_RESPONSE		= 15,
	HVK_CHANMSG_UNLOAD			= 16,
	HVK_CHANMSG_UNLOAD_RESPONSE		= 17,
	HVK_CHANMSG_TL_CONNECT_REQUEST		= 21,
	HVK_CHANMSG_MODIFYCHANNEL		= 22,
	HVK_CHANMSG_TL_CONNECT_RESULT		= 23,
	HVK_CHANMSG_MODIFYCHANNEL_RESPONSE	= 24,
	HVK_CHANMSG_COUNT
};

struct hvk_chanmsg_hdr {
	u32 msgtype;
	u32 padding;
};
HVK_WIRE_SIZE(struct hvk_chanmsg_hdr, 8);

/* Offer flags (chn_flags). */
#define HVK_OFFER_ENUMERATE_DEVICE_INTERFACE	0x0001
#define HVK_OFFER_NAMED_PIPE_MODE		0x0010
#define HVK_OFFER_REQUEST_MONITORED_NOTIFY	0x0400
#define HVK_OFFER_TLNPI_PROVIDER		0x2000

#define HVK_OFFER_USER_DEFINED_BYTES	120
#define HVK_OPEN_USER_DATA_BYTES	120

struct hvk_offer {
	struct hvk_guid if_type;	/* device class */
	struct hvk_guid if_instance;	/* this device */
	u64 reserved1;
	u64 reserved2;
	u16 chn_flags;
	u16 mmio_megabytes;
	u8 user_def[HVK_OFFER_USER_DEFINED_BYTES];	/* pipe mode: u32 mode + 116 */
	u16 sub_channel_index;		/* 0: primary channel */
	u16 reserved3;
} __packed;
HVK_WIRE_SIZE(struct hvk_offer, 176);
HVK_WIRE_OFF(struct hvk_offer, chn_flags, 48);
HVK_WIRE_OFF(struct hvk_offer, user_def, 52);
HVK_WIRE_OFF(struct hvk_offer, sub_channel_index, 172);

#define HVK_OFFER_MONITOR_ALLOCATED	0x01	/* monitor_flags */
#define HVK_OFFER_DEDICATED_INTERRUPT	0x0001	/* interrupt_flags */

struct hvk_msg_offer {
	struct hvk_chanmsg_hdr hdr;
	struct hvk_offer offer;
	u32 child_relid;
	u8 monitorid;
	u8 monitor_flags;
	u16 interrupt_flags;
	u32 connection_id;		/* for HvSignalEvent, from 3.0 (WIN8_1) */
} __packed;
HVK_WIRE_SIZE(struct hvk_msg_offer, 196);
HVK_WIRE_OFF(struct hvk_msg_offer, child_relid, 184);
HVK_WIRE_OFF(struct hvk_msg_offer, monitorid, 188);
HVK_WIRE_OFF(struct hvk_msg_offer, interrupt_flags, 190);
HVK_WIRE_OFF(struct hvk_msg_offer, connection_id, 192);

/* RESCIND_CHANNELOFFER, CLOSECHANNEL and RELID_RELEASED carry only a relid. */
struct hvk_msg_relid {
	struct hvk_chanmsg_hdr hdr;
	u32 child_relid;
} __packed;
HVK_WIRE_SIZE(struct hvk_msg_relid, 12);

struct hvk_msg_open {
	struct hvk_chanmsg_hdr hdr;
	u32 child_relid;
	u32 openid;
	u32 ringbuffer_gpadl;
	u32 target_vp;
	u32 downstream_page_offset;	/* first page of the host->guest ring */
	u8 userdata[HVK_OPEN_USER_DATA_BYTES];
} __packed;
HVK_WIRE_SIZE(struct hvk_msg_open, 148);
HVK_WIRE_OFF(struct hvk_msg_open, downstream_page_offset, 24);

struct hvk_msg_open_result {
	struct hvk_chanmsg_hdr hdr;
	u32 child_relid;
	u32 openid;
	u32 status;
} __packed;
HVK_WIRE_SIZE(struct hvk_msg_open_result, 20);

/* A range of guest pages: byte_count bytes from byte_offset into pfn[0]. */

struct hvk_msg_gpadl_header {
	struct hvk_chanmsg_hdr hdr;
	u32 child_relid;
	u32 gpadl;
	u16 range_buflen;	/* bytes of range_buf */
	u16 rangecount;
	/* rangecount hvk_gpa_range, each followed by its pfns */
	u8 range_buf[];
} __packed;
HVK_WIRE_SIZE(struct hvk_msg_gpadl_header, 20);

struct hvk_msg_gpadl_body {
	struct hvk_chanmsg_hdr hdr;
	u32 msgnumber;
	u32 gpadl;
	u64 pfn[];
} __packed;
HVK_WIRE_SIZE(struct hvk_msg_gpadl_body, 16);

/* PFNs that fit in one header (one range) and in one body message. */
#define HVK_GPADL_HEADER_PFNS \
	((HVK_MESSAGE_PAYLOAD - sizeof(struct hvk_msg_gpadl_header) - \
	  sizeof(struct hvk_gpa_range)) / sizeof(u64))
#define HVK_GPADL_BODY_PFNS \
	((HVK_MESSAGE_PAYLOAD - sizeof(struct hvk_msg_gpadl_body)) / sizeof(u64))
static_assert(HVK_GPADL_HEADER_PFNS == 26, "GPADL header carries 26 PFNs");
static_assert(HVK_GPADL_BODY_PFNS == 28, "GPADL body carries 28 PFNs");

struct hvk_msg_gpadl_created {
	struct hvk_chanmsg_hdr hdr;
	u32 child_relid;
	u32 gpadl;
	u32 creation_status;
} __packed;
HVK_WIRE_SIZE(struct hvk_msg_gpadl_created, 20);

struct hvk_msg_gpadl_teardown {
	struct hvk_chanmsg_hdr hdr;
	u32 child_relid;
	u32 gpadl;
} __packed;
HVK_WIRE_SIZE(struct hvk_msg_gpadl_teardown, 16);

struct hvk_msg_gpadl_torndown {
	struct hvk_chanmsg_hdr hdr;
	u32 gpadl;
} __packed;
HVK_WIRE_SIZE(struct hvk_msg_gpadl_torndown, 12);

struct hvk_msg_initiate_contact {
	struct hvk_chanmsg_hdr hdr;
	u32 version_requested;
	u32 target_vcpu;
	union {
		u64 interrupt_page;	/* before 5.0 */
		struct {
			u8 msg_sint;	/* from 5.0 on */
			u8 msg_vtl;
			u8 reserved[6];
		};
	};
	u64 monitor_page1;	/* host to guest */
	u64 monitor_page2;	/* guest to host */
} __packed;
HVK_WIRE_SIZE(struct hvk_msg_initiate_contact, 40);
HVK_WIRE_OFF(struct hvk_msg_initiate_contact, interrupt_page, 16);

struct hvk_msg_version_response {
	struct hvk_chanmsg_hdr hdr;
	u8 version_supported;
	u8 connection_state;
	u16 padding;
	u32 msg_conn_id;	/* from 5.0 on: connection id for later messages */
} __packed;
HVK_WIRE_SIZE(struct hvk_msg_version_response, 16);

struct hvk_msg_modifychannel {
	struct hvk_chanmsg_hdr hdr;
	u32 child_relid;
	u32 target_vp;
} __packed;
HVK_WIRE_SIZE(struct hvk_msg_modifychannel, 16);

struct hvk_msg_modifychannel_response {
	struct hvk_chanmsg_hdr hdr;
	u32 child_relid;
	u32 status;
} __packed;
HVK_WIRE_SIZE(struct hvk_msg_modifychannel_response, 16);

/*
 * A monitor page (the guest allocates two and names them in
 * INITIATE_CONTACT). For a monitored channel with id m, the guest sets bit
 * m % 32 of trigger_group[m / 32].pending in the second (guest to host)
 * page; the host polls it every latency[m / 32][m % 32] x 100 ns and
 * clears what it takes. parameter[][] holds the channel's connection id.
 */
struct hvk_monitor_trigger_group {
	u32 pending;
	u32 armed;
};

struct hvk_monitor_page {
	u32 trigger_state;
	u32 reserved1;
	struct hvk_monitor_trigger_group trigger_group[4];
	u64 reserved2[3];
	s32 next_checktime[4][32];
	u16 latency[4][32];
	u64 reserved3[32];
	struct {
		u32 connectionid;
		u16 flagnumber;
		u16 rsvdz;
	} parameter[4][32];
	u8 reserved4[1984];
};
HVK_WIRE_SIZE(struct hvk_monitor_page, 4096);
HVK_WIRE_OFF(struct hvk_monitor_page, trigger_group, 8);
HVK_WIRE_OFF(struct hvk_monitor_page, latency, 576);
HVK_WIRE_OFF(struct hvk_monitor_page, parameter, 1088);

/*
 * The shortest payload each host-to-guest message may have; 0 for the
 * types a host never sends. The guest drops anything shorter before it
 * looks at a field. Returns 0 for an unknown type.
 */
static inline u32 hvk_chanmsg_min_len(u32 type)
{
	switch (type) {
	case HVK_CHANMSG_OFFERCHANNEL:
		return sizeof(struct hvk_msg_offer);
	case HVK_CHANMSG_RESCIND_CHANNELOFFER:
		return sizeof(struct hvk_msg_relid);
	case HVK_CHANMSG_ALLOFFERS_DELIVERED:
	case HVK_CHANMSG_UNLOAD_RESPONSE:
		return sizeof(struct hvk_chanmsg_hdr);
	case HVK_CHANMSG_OPENCHANNEL_RESULT:
		return sizeof(struct hvk_msg_open_result);
	case HVK_CHANMSG_GPADL_CREATED:
		return sizeof(struct hvk_msg_gpadl_created);
	case HVK_CHANMSG_GPADL_TORNDOWN:
		return sizeof(struct hvk_msg_gpadl_torndown);
	case HVK_CHANMSG_VERSION_RESPONSE:
		return sizeof(struct hvk_msg_version_response);
	case HVK_CHANMSG_MODIFYCHANNEL_RESPONSE:
		return sizeof(struct hvk_msg_modifychannel_response);
	default:
		return 0;
	}
}

/*
 * GPADL splitting: how many page numbers message @msg carries (0 is the
 * header, then the bodies) for a GPADL of @npfns pages; 0 past the last.
 */
static inline u32 hvk_gpadl_msg_pfns(u32 npfns, u32 msg)
{
	const u32 head = HVK_GPADL_HEADER_PFNS, body = HVK_GPADL_BODY_PFNS;
	u64 done;

	if (!msg)
		return npfns < head ? npfns : head;
	done = head + (u64)(msg - 1) * body;
	if (done >= npfns)
		return 0;
	return npfns - done < body ? (u32)(npfns - done) : body;
}

/*
 * What a failed HvPostMessage of a message of @msgtype means to the
 * sender, by upstream vmbus_post_msg()'s rules: 0 it was posted; -EAGAIN
 * and -ENOBUFS may clear, so the sender retries; -EINVAL does not.
 * INVALID_CONNECTION_ID for INITIATE_CONTACT is the answer of a host older
 * than 5.0 to a post on connection 4: the guest tries an older version at
 * once. For anything else it is a host that is not ready yet.
 */
static inline int hvk_post_errno(u16 status, u32 msgtype)
{
	switch (status) {
	case HVK_HV_STATUS_SUCCESS:
		return 0;
	case HVK_HV_STATUS_INVALID_CONNECTION_ID:
		return msgtype == HVK_CHANMSG_INITIATE_CONTACT ? -EINVAL : -EAGAIN;
	case HVK_HV_STATUS_INSUFFICIENT_MEMORY:
	case HVK_HV_STATUS_INSUFFICIENT_BUFFERS:
		return -ENOBUFS;
	default:
		return -EINVAL;
	}
}

/* Sub-channels a device may have (upstream's VRSS_CHANNEL_MAX). */
#define HVK_MAX_SUBCHANNELS	64

/*
 * Checks a host-to-guest channel message as it came out of the SynIC
 * slot: its type, its length, and every field the guest will use as an
 * index or a count. Returns NULL when the guest may act on it, or why
 * not. The guest's own state (is this relid known?) is checked later.
 */
static inline const char *hvk_chanmsg_check(const void *msg, u32 len)
{
	const struct hvk_chanmsg_hdr *h = (const struct hvk_chanmsg_hdr *)msg;
	u32 min, relid;

	if (len < sizeof(*h))
		return "shorter than a message header";
	if (len > HVK_MESSAGE_PAYLOAD)
		return "longer than a SynIC message";
	min = hvk_chanmsg_min_len(h->msgtype);
	if (!min)
		return "a type a host never sends";
	if (len < min)
		return "shorter than its type requires";

	switch (h->msgtype) {
	case HVK_CHANMSG_OFFERCHANNEL: {
		const struct hvk_msg_offer *o = (const struct hvk_msg_offer *)msg;

		relid = o->child_relid;
		if ((o->monitor_flags & HVK_OFFER_MONITOR_ALLOCATED) && o->monitorid >= 128)
			return "monitor id outside 0..127";
		if (o->offer.sub_channel_index >= HVK_MAX_SUBCHANNELS)
			return "sub-channel index outside 0..63";
		break;
	}
	case HVK_CHANMSG_RESCIND_CHANNELOFFER:
		relid = ((const struct hvk_msg_relid *)msg)->child_relid;
		break;
	case HVK_CHANMSG_OPENCHANNEL_RESULT:
		relid = ((const struct hvk_msg_open_result *)msg)->child_relid;
		break;
	case HVK_CHANMSG_GPADL_CREATED:
		relid = ((const struct hvk_msg_gpadl_created *)msg)->child_relid;
		break;
	case HVK_CHANMSG_MODIFYCHANNEL_RESPONSE:
		relid = ((const struct hvk_msg_modifychannel_response *)msg)->child_relid;
		break;
	default:
		return NULL;	/* no index in it */
	}
	if (!relid || relid > HVK_MAX_RELID)
		return "relid outside 1..2047";
	return NULL;
}

#endif /* _HVKIT_VMBUS_H */
