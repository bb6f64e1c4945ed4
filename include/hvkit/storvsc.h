/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The synthetic SCSI controller's VSP protocol (storvsc in the guest,
 * storvsp on the host), as it crosses a VMBus channel. Every packet, both
 * ways, is one struct hvk_vstor_packet: in-band for control operations,
 * after the GPA-direct ranges for an EXECUTE_SRB with data, and as the
 * payload of a completion packet (VM_PKT_COMP) carrying the request's
 * transaction id. All fields are little-endian.
 *
 * Facts: upstream drivers/scsi/storvsc_drv.c (the guest's side) and
 * openvmm's storvsp (the host's); see docs/storage.md.
 */
#ifndef _HVKIT_STORVSC_H
#define _HVKIT_STORVSC_H

#include "port.h"

/* Class GUID ba6163d9-04a1-4d29-b605-72e2ffb1dc7f (Hyper-V SCSI), wire order. */
#define HVK_STORVSC_CLASS_BYTES \
	0xd9, 0x63, 0x61, 0xba, 0xa1, 0x04, 0x29, 0x4d, \
	0xb6, 0x05, 0x72, 0xe2, 0xff, 0xb1, 0xdc, 0x7f

/* Protocol versions: major << 8 | minor. */
#define HVK_VSTOR_VERSION(maj, min)	((u16)(((maj) & 0xff) << 8 | ((min) & 0xff)))
#define HVK_VSTOR_WIN6		HVK_VSTOR_VERSION(2, 0)
#define HVK_VSTOR_WIN7		HVK_VSTOR_VERSION(4, 2)
#define HVK_VSTOR_WIN8		HVK_VSTOR_VERSION(5, 1)	/* multi-channel */
#define HVK_VSTOR_WIN8_1	HVK_VSTOR_VERSION(6, 0)
#define HVK_VSTOR_WIN10		HVK_VSTOR_VERSION(6, 2)	/* upstream 6.12's newest */

enum hvk_vstor_op {
	HVK_VSTOR_COMPLETE_IO		= 1,
	HVK_VSTOR_REMOVE_DEVICE		= 2,
	HVK_VSTOR_EXECUTE_SRB		= 3,
	HVK_VSTOR_RESET_LUN		= 4,
	HVK_VSTOR_RESET_ADAPTER		= 5,
	HVK_VSTOR_RESET_BUS		= 6,
	HVK_VSTOR_BEGIN_INITIALIZATION	= 7,
	HVK_VSTOR_END_INITIALIZATION	= 8,
	HVK_VSTOR_QUERY_PROTOCOL_VERSION = 9,
	HVK_VSTOR_QUERY_PROPERTIES	= 10,
	HVK_VSTOR_ENUMERATE_BUS		= 11,
	HVK_VSTOR_FCHBA_DATA		= 12,
	HVK_VSTOR_CREATE_SUB_CHANNELS	= 13,
};

/* vstor_packet.flags */
#define HVK_VSTOR_REQUEST_COMPLETION	0x1

/* vstor_packet.status: NT status codes the host answers with. */
#define HVK_VSTOR_STATUS_SUCCESS		0x00000000u
#define HVK_VSTOR_STATUS_REVISION_MISMATCH	0xc0000059u	/* a version it does not speak */
#define HVK_VSTOR_STATUS_INVALID_DEVICE_STATE	0xc0000184u	/* out of order */
#define HVK_VSTOR_STATUS_INVALID_PARAMETER	0xc000000du

/* SRB flags (srb_flags) the guest sets. */
#define HVK_SRB_FLAGS_QUEUE_ACTION_ENABLE	0x00000002
#define HVK_SRB_FLAGS_DISABLE_SYNCH_TRANSFER	0x00000008
#define HVK_SRB_FLAGS_DATA_IN			0x00000040
#define HVK_SRB_FLAGS_DATA_OUT			0x00000080
#define HVK_SRB_FLAGS_NO_QUEUE_FREEZE		0x00000100

/* data_in */
#define HVK_SRB_WRITE		0
#define HVK_SRB_READ		1
#define HVK_SRB_UNKNOWN		2

/* SRB status: two flag bits and a 6-bit code. */
#define HVK_SRB_STATUS_AUTOSENSE_VALID	0x80
#define HVK_SRB_STATUS_QUEUE_FROZEN	0x40
#define HVK_SRB_STATUS(s)		((s) & 0x3f)
#define HVK_SRB_STATUS_PENDING		0x00
#define HVK_SRB_STATUS_SUCCESS		0x01
#define HVK_SRB_STATUS_ABORTED		0x02
#define HVK_SRB_STATUS_ERROR		0x04
#define HVK_SRB_STATUS_INVALID_REQUEST	0x06
#define HVK_SRB_STATUS_TIMEOUT		0x09
#define HVK_SRB_STATUS_SELECTION_TIMEOUT 0x0a
#define HVK_SRB_STATUS_BUS_RESET	0x0e
#define HVK_SRB_STATUS_DATA_OVERRUN	0x12
#define HVK_SRB_STATUS_INVALID_LUN	0x20
#define HVK_SRB_STATUS_INTERNAL_ERROR	0x30

#define HVK_VSTOR_CDB_LEN	16
#define HVK_VSTOR_SENSE_LEN	20	/* every version since Windows 8 */

/* A SCSI request block, the Windows 8 size (upstream's only one now). */
struct hvk_vmscsi_request {
	u16 length;		/* sizeof(struct hvk_vmscsi_request) */
	u8 srb_status;
	u8 scsi_status;
	u8 port_number;
	u8 path_id;
	u8 target_id;
	u8 lun;
	u8 cdb_length;
	u8 sense_info_length;
	u8 data_in;		/* HVK_SRB_WRITE, _READ, _UNKNOWN */
	u8 reserved;
	u32 data_transfer_length;
	union {
		u8 cdb[HVK_VSTOR_CDB_LEN];
		u8 sense_data[HVK_VSTOR_SENSE_LEN];
	};
	u16 reserve;
	u8 queue_tag;
	u8 queue_action;
	u32 srb_flags;
	u32 time_out_value;
	u32 queue_sort_key;
} __packed;
HVK_WIRE_SIZE(struct hvk_vmscsi_request, 52);
HVK_WIRE_OFF(struct hvk_vmscsi_request, data_transfer_length, 12);
HVK_WIRE_OFF(struct hvk_vmscsi_request, cdb, 16);
HVK_WIRE_OFF(struct hvk_vmscsi_request, srb_flags, 40);

#define HVK_VSTOR_MULTI_CHANNEL	0x1	/* properties.flags */

struct hvk_vstor_properties {
	u32 reserved;
	u16 max_channel_cnt;	/* sub-channels the host can offer */
	u16 reserved1;
	u32 flags;
	u32 max_transfer_bytes;
	u64 reserved2;
} __packed;
HVK_WIRE_SIZE(struct hvk_vstor_properties, 24);

struct hvk_vstor_version {
	u16 major_minor;
	u16 revision;		/* Windows' build counter; 0 */
} __packed;

struct hvk_vstor_packet {
	u32 operation;		/* enum hvk_vstor_op */
	u32 flags;
	u32 status;		/* the host's answer */
	union {
		struct hvk_vmscsi_request srb;
		struct hvk_vstor_properties props;
		struct hvk_vstor_version version;
		u16 sub_channel_count;
		u8 buffer[0x34];
	};
} __packed;
HVK_WIRE_SIZE(struct hvk_vstor_packet, 64);
HVK_WIRE_OFF(struct hvk_vstor_packet, srb, 12);

/* Is @s one of the SRB status codes a host answers with? */
static inline bool hvk_srb_status_known(u8 s)
{
	switch (HVK_SRB_STATUS(s)) {
	case HVK_SRB_STATUS_SUCCESS:
	case HVK_SRB_STATUS_ABORTED:
	case HVK_SRB_STATUS_ERROR:
	case HVK_SRB_STATUS_INVALID_REQUEST:
	case HVK_SRB_STATUS_TIMEOUT:
	case HVK_SRB_STATUS_SELECTION_TIMEOUT:
	case HVK_SRB_STATUS_BUS_RESET:
	case HVK_SRB_STATUS_DATA_OVERRUN:
	case HVK_SRB_STATUS_INVALID_LUN:
	case HVK_SRB_STATUS_INTERNAL_ERROR:
		return true;
	default:
		return false;
	}
}

/* Why a completion was refused; the guest counts each. */
enum hvk_vstor_bad {
	HVK_VSTOR_OK = 0,
	HVK_VSTOR_BAD_SHORT,		/* shorter than a vstor packet */
	HVK_VSTOR_BAD_OPERATION,	/* not COMPLETE_IO */
	HVK_VSTOR_BAD_SRB_STATUS,	/* an SRB status no host sends */
	HVK_VSTOR_BAD_LENGTH,		/* more data than the request had room for */
	HVK_VSTOR_BAD_SENSE,		/* sense length past the packet's sense field */
};

/*
 * Guest: checks the completion of an EXECUTE_SRB, @len bytes at @p (the
 * payload after the descriptor), for a request of @requested data bytes.
 * Returns HVK_VSTOR_OK when every field the guest uses is sound.
 */
static inline enum hvk_vstor_bad hvk_vstor_completion_check(const void *p, u32 len,
							   u32 requested)
{
	struct hvk_vstor_packet v;

	if (len < sizeof(v))
		return HVK_VSTOR_BAD_SHORT;
	memcpy(&v, p, sizeof(v));
	if (v.operation != HVK_VSTOR_COMPLETE_IO)
		return HVK_VSTOR_BAD_OPERATION;
	if (!hvk_srb_status_known(v.srb.srb_status))
		return HVK_VSTOR_BAD_SRB_STATUS;
	if (v.srb.data_transfer_length > requested)
		return HVK_VSTOR_BAD_LENGTH;
	if ((v.srb.srb_status & HVK_SRB_STATUS_AUTOSENSE_VALID) &&
	    v.srb.sense_info_length > HVK_VSTOR_SENSE_LEN)
		return HVK_VSTOR_BAD_SENSE;
	return HVK_VSTOR_OK;
}

/*
 * Host: checks an EXECUTE_SRB's request block, @data the bytes its
 * GPA-direct ranges describe (0 for an in-band packet). Returns NULL when
 * the host may run it, or why not (the host answers INVALID_REQUEST).
 */
static inline const char *hvk_vstor_srb_check(const struct hvk_vmscsi_request *srb, u32 data)
{
	if (srb->length != sizeof(*srb))
		return "request block of the wrong size";
	if (!srb->cdb_length || srb->cdb_length > HVK_VSTOR_CDB_LEN)
		return "CDB length outside 1..16";
	if (srb->data_in > HVK_SRB_UNKNOWN)
		return "unknown data direction";
	if (srb->data_transfer_length != data)
		return "transfer length differs from the buffer's";
	if (data && srb->data_in == HVK_SRB_UNKNOWN)
		return "a buffer without a direction";
	return NULL;
}

#endif /* _HVKIT_STORVSC_H */
