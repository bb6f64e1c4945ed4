/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Integration components (ICs): the messages that heartbeat, shutdown,
 * time sync, KVP, VSS and file copy exchange over their VMBus channels,
 * and the pure code that parses and builds them, shared by the guest's
 * hvkit_utils, the simulated host, and the host-side tests and fuzzers
 * (drivers/util/ic_wire.c).
 *
 * Facts: upstream include/linux/hyperv.h (struct icmsg_hdr and friends),
 * drivers/hv/channel_mgmt.c (vmbus_prep_negotiate_resp), hv_util.c,
 * hv_kvp.c, hv_snapshot.c (6.12) and hv_fcopy.c (6.1).
 *
 * Every IC packet is an in-band VMBus packet whose payload is
 *
 *   struct hvk_ic_pipe_hdr   8 bytes, ignored by both sides
 *   struct hvk_ic_hdr       20 bytes: versions, type, size, status, flags
 *   body                    icmsgsize bytes (the service's message)
 *
 * The host sends a request (TRANSACTION | REQUEST), the guest answers in
 * place with the same header, RESPONSE set and a status.
 */
#ifndef _HVKIT_IC_H
#define _HVKIT_IC_H

#include "port.h"
#include "uapi/hv_ic_dev.h"

#define HVK_ICMSG_NEGOTIATE	0
#define HVK_ICMSG_HEARTBEAT	1
#define HVK_ICMSG_KVPEXCHANGE	2
#define HVK_ICMSG_SHUTDOWN	3
#define HVK_ICMSG_TIMESYNC	4
#define HVK_ICMSG_VSS		5
#define HVK_ICMSG_FCOPY		7

#define HVK_ICFLAG_TRANSACTION	1
#define HVK_ICFLAG_REQUEST	2
#define HVK_ICFLAG_RESPONSE	4

/* (major << 16) | minor, as upstream's version lists. */
#define HVK_IC_VER(maj, min)	((u32)(maj) << 16 | (u32)(min))
#define HVK_IC_MAJOR(v)		((v) >> 16)
#define HVK_IC_MINOR(v)		((v) & 0xffff)

struct hvk_ic_pipe_hdr {
	u32 flags;
	u32 msgsize;
} __packed;
HVK_WIRE_SIZE(struct hvk_ic_pipe_hdr, 8);

struct hvk_ic_version {
	u16 major;
	u16 minor;
} __packed;

struct hvk_ic_hdr {
	struct hvk_ic_version icverframe;
	u16 icmsgtype;
	struct hvk_ic_version icvermsg;
	u16 icmsgsize;		/* bytes of body after this header */
	u32 status;		/* HVK_S_OK, HVK_E_FAIL, ... (hv_ic_dev.h) */
	u8 ictransaction_id;
	u8 icflags;
	u8 reserved[2];
} __packed;
HVK_WIRE_SIZE(struct hvk_ic_hdr, 20);

/* Where the body starts in an IC payload. */
#define HVK_IC_HDRS	(sizeof(struct hvk_ic_pipe_hdr) + sizeof(struct hvk_ic_hdr))

/* ---- Negotiation ---- */
#define HVK_IC_MAX_VERCNT	100	/* upstream's IC_VERSION_NEGOTIATION_MAX_VER_COUNT */

struct hvk_ic_negotiate {
	u16 icframe_vercnt;
	u16 icmsg_vercnt;
	u32 reserved;
	struct hvk_ic_version icversion_data[];	/* framework, then service */
} __packed;
HVK_WIRE_SIZE(struct hvk_ic_negotiate, 8);

/* Framework versions every service offers. */
#define HVK_IC_FW_3_0		HVK_IC_VER(3, 0)	/* UTIL_FW_VERSION */
#define HVK_IC_FW_1_0		HVK_IC_VER(1, 0)	/* UTIL_WS2K8_FW_VERSION */

/* Service versions the guest offers, newest first: upstream 6.12 (6.1 for fcopy). */
#define HVK_IC_SD_3_2		HVK_IC_VER(3, 2)
#define HVK_IC_SD_3_1		HVK_IC_VER(3, 1)	/* adds restart */
#define HVK_IC_SD_3_0		HVK_IC_VER(3, 0)
#define HVK_IC_SD_1_0		HVK_IC_VER(1, 0)
#define HVK_IC_TS_4_0		HVK_IC_VER(4, 0)	/* ictimesync_ref_data */
#define HVK_IC_TS_3_0		HVK_IC_VER(3, 0)
#define HVK_IC_TS_1_0		HVK_IC_VER(1, 0)
#define HVK_IC_HB_3_0		HVK_IC_VER(3, 0)
#define HVK_IC_HB_1_0		HVK_IC_VER(1, 0)
#define HVK_IC_KVP_4_0		HVK_IC_VER(4, 0)	/* WIN8: IP info */
#define HVK_IC_KVP_3_0		HVK_IC_VER(3, 0)	/* WIN7 */
#define HVK_IC_KVP_1_0		HVK_IC_VER(1, 0)	/* WS2008 */
#define HVK_IC_VSS_5_0		HVK_IC_VER(5, 0)
#define HVK_IC_FCOPY_1_1	HVK_IC_VER(1, 1)

/*
 * The guest's side of negotiation, as upstream's
 * vmbus_prep_negotiate_resp(): @pkt is the IC payload (pipe header, IC
 * header, negotiate body), @len its bytes. For each list, newest first,
 * the first of ours that the host also lists is chosen; the message is
 * rewritten in place into the response (one framework and one service
 * version, or none), and icmsgsize set.
 *
 * Returns 0 and the versions chosen; -ENOENT when the host lists none of
 * ours (the response names none; the channel is of no use); -EBADMSG when
 * the message is malformed: too short, a count past
 * HVK_IC_MAX_VERCNT, or a list running past @len. For -EBADMSG the message
 * is rewritten into a response naming no version, if it holds a whole
 * IC header and negotiate header, and left alone otherwise (*resp_len 0).
 * *resp_len: the bytes of the response to send.
 */
int hvk_ic_negotiate(u8 *pkt, u32 len, const u32 *fw, u32 nfw, const u32 *srv, u32 nsrv,
		     u32 *fw_ver, u32 *srv_ver, u32 *resp_len);

/*
 * The host's side: build a negotiate request offering @nfw framework and
 * @nsrv service versions, in the order given, into @pkt (@room bytes).
 * Returns its length, or -ENOSPC.
 */
int hvk_ic_negotiate_request(u8 *pkt, u32 room, u16 msgtype, u8 xid, const u32 *fw, u32 nfw,
			     const u32 *srv, u32 nsrv);

/*
 * The host reads the guest's negotiate response: 0 and the chosen
 * versions, -ENOENT if the guest chose none, -EBADMSG if malformed or
 * naming a version the host did not offer (@fw, @srv: what it offered).
 */
int hvk_ic_negotiate_response(const u8 *pkt, u32 len, const u32 *fw, u32 nfw, const u32 *srv,
			      u32 nsrv, u32 *fw_ver, u32 *srv_ver);

/*
 * An IC message, checked: the IC payload holds both headers and the
 * icmsgsize bytes of body that the header claims. *body_len is
 * icmsgsize. Returns NULL and the reason in *why when it does not.
 */
const struct hvk_ic_hdr *hvk_ic_parse(const u8 *pkt, u32 len, u32 *body_len, const char **why);

/* Fill in pipe and IC headers for a message of @body_len bytes of body. */
void hvk_ic_hdr_init(u8 *pkt, u16 msgtype, u32 fw_ver, u32 srv_ver, u8 xid, u8 flags,
		     u16 body_len);

/* ---- Heartbeat ---- */
struct hvk_ic_heartbeat {
	u64 seq_num;		/* the guest answers with seq_num + 1 */
	u32 reserved[8];
} __packed;
HVK_WIRE_SIZE(struct hvk_ic_heartbeat, 40);

/* ---- Shutdown ---- */
#define HVK_IC_SD_FLAG_FORCE	0x1	/* hv_util.c: flags & 1 is forced */
#define HVK_IC_SD_FLAG_RESTART	0x2	/* 3.1 and later: restart */
#define HVK_IC_SD_FLAG_HIBERNATE 0x4	/* hibernate ("suspend to disk") */

struct hvk_ic_shutdown {
	u32 reason_code;
	u32 timeout_seconds;
	u32 flags;
	u8 display_message[2048];
} __packed;
HVK_WIRE_SIZE(struct hvk_ic_shutdown, 2060);

/* ---- Time sync ---- */
#define HVK_IC_TS_FLAG_PROBE	0
#define HVK_IC_TS_FLAG_SYNC	1	/* set the clock now (boot, resume) */
#define HVK_IC_TS_FLAG_SAMPLE	2	/* a sample to discipline against */

/* 100 ns units from 1601-01-01 (Windows) to 1970-01-01 (Unix). */
#define HVK_WLTIMEDELTA		116444736000000000ULL

struct hvk_ic_timesync {	/* below 4.0 */
	u64 parenttime;
	u64 childtime;
	u64 roundtriptime;
	u8 flags;
} __packed;
HVK_WIRE_SIZE(struct hvk_ic_timesync, 25);

struct hvk_ic_timesync_ref {	/* 4.0: with the reference time it was taken at */
	u64 parenttime;
	u64 vmreferencetime;	/* the partition reference counter (100 ns) */
	u8 flags;
	u8 leapflags;
	u8 stratum;
	u8 reserved[3];
} __packed;
HVK_WIRE_SIZE(struct hvk_ic_timesync_ref, 22);

/*
 * ---- KVP, VSS, file copy ----
 * Their bodies on the channel are the char-device ABI's structs
 * (uapi/hv_ic_dev.h): struct hvk_kvp_msg (strings UTF-16LE on the wire,
 * UTF-8 on the char device), struct hvk_kvp_ip_msg below for the IP-info
 * operations, struct hvk_vss_msg, and struct hvk_fcopy_start /
 * hvk_fcopy_data / hvk_fcopy_hdr.
 */
struct hvk_kvp_ip_msg {
	u8 operation;
	u8 pool;
	struct hvk_kvp_ipaddr_value kvp_ip_val;
} __packed;
HVK_WIRE_SIZE(struct hvk_kvp_ip_msg, 7428);

/* Class GUIDs (wire byte order), upstream's HV_*_GUID. */
#define HVK_IC_GUID_SHUTDOWN	{ 0x31, 0x60, 0x0b, 0x0e, 0x13, 0x52, 0x34, 0x49, \
				  0x81, 0x8b, 0x38, 0xd9, 0x0c, 0xed, 0x39, 0xdb }
#define HVK_IC_GUID_TIMESYNC	{ 0x30, 0xe6, 0x27, 0x95, 0xae, 0xd0, 0x7b, 0x49, \
				  0xad, 0xce, 0xe8, 0x0a, 0xb0, 0x17, 0x5c, 0xaf }
#define HVK_IC_GUID_HEARTBEAT	{ 0x39, 0x4f, 0x16, 0x57, 0x15, 0x91, 0x78, 0x4e, \
				  0xab, 0x55, 0x38, 0x2f, 0x3b, 0xd5, 0x42, 0x2d }
#define HVK_IC_GUID_KVP		{ 0xe7, 0xf4, 0xa0, 0xa9, 0x45, 0x5a, 0x96, 0x4d, \
				  0xb8, 0x27, 0x8a, 0x84, 0x1e, 0x8c, 0x03, 0xe6 }
#define HVK_IC_GUID_VSS		{ 0x29, 0x2e, 0xfa, 0x35, 0x23, 0xea, 0x36, 0x42, \
				  0x96, 0xae, 0x3a, 0x6e, 0xba, 0xcb, 0xa4, 0x40 }
#define HVK_IC_GUID_FCOPY	{ 0xe3, 0x4b, 0xd1, 0x34, 0xe4, 0xde, 0xc8, 0x41, \
				  0x9a, 0xe7, 0x6b, 0x17, 0x49, 0x77, 0xc1, 0x92 }

/*
 * UTF-16LE <-> UTF-8 with every length checked (KVP keys and values,
 * file-copy names). @in_bytes: the bytes of UTF-16 at @in, which stops at
 * the first NUL. Writes at most @room bytes, NUL-terminated. Returns the
 * length without the NUL, -EILSEQ for an unpaired surrogate, -ENOSPC when
 * it does not fit.
 */
int hvk_utf16_to_utf8(const u8 *in, u32 in_bytes, char *out, u32 room);
/*
 * @in: @in_len bytes of UTF-8 (stops at a NUL). Writes UTF-16LE and a
 * NUL unit into @out (@room bytes); returns the bytes written including
 * the NUL unit, -EILSEQ for bad UTF-8, -ENOSPC when it does not fit.
 */
int hvk_utf8_to_utf16(const char *in, u32 in_len, u8 *out, u32 room);

#endif /* _HVKIT_IC_H */
