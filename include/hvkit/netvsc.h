/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The synthetic NIC's wire: NVSP (the Network VSP protocol, VMBus packets
 * between the guest's netvsc and the host's netvsp) and RNDIS (the NDIS
 * messages NVSP carries). All fields little-endian. Pure C: the guest
 * driver, the simulated host and the host-side fuzzers share the checks.
 *
 * Facts: upstream drivers/net/hyperv/hyperv_net.h, include/linux/rndis.h,
 * and openvmm's vm/devices/net/netvsp (what the host accepts).
 */
#ifndef _HVKIT_NETVSC_H
#define _HVKIT_NETVSC_H

#include "port.h"
#include "ring.h"

/* NVSP versions, as the guest proposes them (newest first). */
#define HVK_NVSP_V1		0x00002u
#define HVK_NVSP_V2		0x30002u
#define HVK_NVSP_V4		0x40000u
#define HVK_NVSP_V5		0x50000u
#define HVK_NVSP_V6		0x60000u
#define HVK_NVSP_V61		0x60001u

/* The NDIS version the guest announces: 6.1 up to NVSP 4, 6.30 after. */
#define HVK_NDIS_6_1		0x00060001u
#define HVK_NDIS_6_30		0x0006001eu

enum hvk_nvsp_type {
	HVK_NVSP_INIT			= 1,
	HVK_NVSP_INIT_COMPLETE		= 2,
	HVK_NVSP1_SEND_NDIS_VER		= 100,
	HVK_NVSP1_SEND_RECV_BUF		= 101,
	HVK_NVSP1_SEND_RECV_BUF_COMPLETE = 102,
	HVK_NVSP1_REVOKE_RECV_BUF	= 103,
	HVK_NVSP1_SEND_SEND_BUF		= 104,
	HVK_NVSP1_SEND_SEND_BUF_COMPLETE = 105,
	HVK_NVSP1_REVOKE_SEND_BUF	= 106,
	HVK_NVSP1_SEND_RNDIS_PKT	= 107,
	HVK_NVSP1_SEND_RNDIS_PKT_COMPLETE = 108,
	HVK_NVSP2_SEND_NDIS_CONFIG	= 125,
	HVK_NVSP4_SEND_VF_ASSOCIATION	= 128,
	HVK_NVSP4_SWITCH_DATA_PATH	= 129,
	HVK_NVSP5_SUBCHANNEL		= 133,
	HVK_NVSP5_SEND_INDIRECTION_TABLE = 134,
};

enum hvk_nvsp_status {
	HVK_NVSP_STAT_NONE		= 0,
	HVK_NVSP_STAT_SUCCESS		= 1,
	HVK_NVSP_STAT_FAIL		= 2,
	HVK_NVSP_STAT_TOO_NEW		= 3,
	HVK_NVSP_STAT_TOO_OLD		= 4,
	HVK_NVSP_STAT_INVALID_RNDIS	= 5,
	HVK_NVSP_STAT_BUSY		= 6,
	HVK_NVSP_STAT_UNSUPPORTED	= 7,
};

/* NVSP 4 SWITCH_DATA_PATH's one word: where the host sends the VM's traffic. */
#define HVK_NVSP_DATAPATH_SYNTHETIC	0
#define HVK_NVSP_DATAPATH_VF		1

/* Buffer ids the guest names its receive and send buffers with. */
#define HVK_NVSP_RECV_BUF_ID		0xcafe
#define HVK_NVSP_SEND_BUF_ID		0
/* send_buf_section_index when the data came another way (GPA-direct). */
#define HVK_NVSP_NO_SECTION		0xffffffffu
/* channel_type of SEND_RNDIS_PKT. */
#define HVK_NVSP_CHAN_DATA		0
#define HVK_NVSP_CHAN_CONTROL		1

/*
 * Buffer limits a host enforces (upstream's NETVSC_RECEIVE_BUFFER_SIZE and
 * _LEGACY, NETVSC_SEND_BUFFER_SIZE): the receive buffer up to 31 MiB after
 * NVSP 2 (15 MiB up to NVSP 2, upstream's "legacy hosts"), the send buffer
 * up to 15 MiB.
 */
#define HVK_NVSP_RECV_BUF_MAX		(31u << 20)
#define HVK_NVSP_RECV_BUF_MAX_LEGACY	(15u << 20)
#define HVK_NVSP_SEND_BUF_MAX		(15u << 20)
/* The send section size a host hands out (upstream's NETVSC_SEND_SECTION_SIZE). */
#define HVK_NVSP_SEND_SECTION		6144u

struct hvk_nvsp_init {
	u32 min_ver;
	u32 max_ver;
} __packed;

struct hvk_nvsp_init_complete {
	u32 ver;
	u32 max_mdl_chain_len;
	u32 status;
} __packed;

struct hvk_nvsp_ndis_ver {
	u32 major;
	u32 minor;
} __packed;

/* SEND_RECV_BUF and SEND_SEND_BUF. */
struct hvk_nvsp_buf {
	u32 gpadl;
	u16 id;
} __packed;

struct hvk_nvsp_rxbuf_section {
	u32 offset;
	u32 sub_alloc_size;
	u32 num_sub_allocs;
	u32 end_offset;
} __packed;

struct hvk_nvsp_recv_buf_complete {
	u32 status;
	u32 num_sections;
	struct hvk_nvsp_rxbuf_section section;	/* the one a guest takes */
} __packed;

struct hvk_nvsp_revoke {
	u16 id;
} __packed;

struct hvk_nvsp_send_buf_complete {
	u32 status;
	u32 section_size;
} __packed;

struct hvk_nvsp_rndis_pkt {
	u32 channel_type;
	u32 section_index;
	u32 section_size;
} __packed;

struct hvk_nvsp_status_msg {
	u32 status;
} __packed;

/* capability bits of SEND_NDIS_CONFIG */
#define HVK_NVSP_CAP_VMQ	0x01
#define HVK_NVSP_CAP_SRIOV	0x04
#define HVK_NVSP_CAP_8021Q	0x08
#define HVK_NVSP_CAP_TEAMING	0x20
#define HVK_NVSP_CAP_RSC	0x80

struct hvk_nvsp_ndis_config {
	u32 mtu;
	u32 reserved;
	u64 caps;
} __packed;

/* Every NVSP message is sent as 40 bytes (upstream's struct nvsp_message). */
#define HVK_NVSP_MSG_SIZE	40

/* NVSP 5: sub-channels (vRSS), and the host's send indirection table. */
#define HVK_NVSP_SUBCHANNEL_ALLOCATE	1

struct hvk_nvsp_subchannel {
	u32 op;				/* request: ALLOCATE; completion: the status */
	u32 num;			/* sub-channels asked for; granted */
} __packed;

struct hvk_nvsp_send_table {
	u32 count;
	u32 offset;			/* of the table, from the NVSP message's start */
} __packed;

struct hvk_nvsp_msg {
	u32 type;
	union {
		struct hvk_nvsp_init init;
		struct hvk_nvsp_init_complete init_complete;
		struct hvk_nvsp_ndis_ver ndis_ver;
		struct hvk_nvsp_buf buf;
		struct hvk_nvsp_recv_buf_complete recv_buf_complete;
		struct hvk_nvsp_revoke revoke;
		struct hvk_nvsp_send_buf_complete send_buf_complete;
		struct hvk_nvsp_rndis_pkt rndis_pkt;
		struct hvk_nvsp_status_msg complete;
		struct hvk_nvsp_ndis_config ndis_config;
		struct hvk_nvsp_subchannel subchannel;
		struct hvk_nvsp_send_table send_table;
		u8 raw[HVK_NVSP_MSG_SIZE - 4];
	};
} __packed;
HVK_WIRE_SIZE(struct hvk_nvsp_msg, HVK_NVSP_MSG_SIZE);

/*
 * The bytes a message of @type must have, header included, for the
 * fields a peer reads; 0 for a type neither side acts on.
 */
static inline u32 hvk_nvsp_min_len(u32 type)
{
	switch (type) {
	case HVK_NVSP_INIT:
		return 4 + sizeof(struct hvk_nvsp_init);
	case HVK_NVSP_INIT_COMPLETE:
		return 4 + sizeof(struct hvk_nvsp_init_complete);
	case HVK_NVSP1_SEND_NDIS_VER:
		return 4 + sizeof(struct hvk_nvsp_ndis_ver);
	case HVK_NVSP1_SEND_RECV_BUF:
	case HVK_NVSP1_SEND_SEND_BUF:
		return 4 + sizeof(struct hvk_nvsp_buf);
	case HVK_NVSP1_SEND_RECV_BUF_COMPLETE:
		return 4 + sizeof(struct hvk_nvsp_recv_buf_complete);
	case HVK_NVSP1_REVOKE_RECV_BUF:
	case HVK_NVSP1_REVOKE_SEND_BUF:
		return 4 + sizeof(struct hvk_nvsp_revoke);
	case HVK_NVSP1_SEND_SEND_BUF_COMPLETE:
		return 4 + sizeof(struct hvk_nvsp_send_buf_complete);
	case HVK_NVSP1_SEND_RNDIS_PKT:
		return 4 + sizeof(struct hvk_nvsp_rndis_pkt);
	case HVK_NVSP1_SEND_RNDIS_PKT_COMPLETE:
		return 4 + sizeof(struct hvk_nvsp_status_msg);
	case HVK_NVSP2_SEND_NDIS_CONFIG:
		return 4 + sizeof(struct hvk_nvsp_ndis_config);
	case HVK_NVSP4_SWITCH_DATA_PATH:
		return 4 + 4;		/* the data path, HVK_NVSP_DATAPATH_* */
	case HVK_NVSP5_SUBCHANNEL:
		return 4 + sizeof(struct hvk_nvsp_subchannel);
	case HVK_NVSP5_SEND_INDIRECTION_TABLE:
		return 4 + sizeof(struct hvk_nvsp_send_table);
	default:
		return 0;
	}
}

/* The host's send indirection table: a flow's hash (low 4 bits) names its TX queue. */
#define HVK_SEND_TAB_LEN	16	/* upstream's VRSS_SEND_TAB_SIZE */

/*
 * The host's send indirection table (NVSP 5, SEND_INDIRECTION_TABLE) in
 * @msg, @len bytes from the NVSP type on, into @tab. @ver is the NVSP
 * version agreed: a host that agreed 6.0 or older puts the table after a
 * whole NVSP message (HVK_NVSP_MSG_SIZE bytes in) but names a smaller
 * offset (a Hyper-V bug upstream's netvsc_send_table() works around); the
 * table is read there when the message is that long. The entries are
 * queue numbers the guest bounds by the queues it has.
 */
static inline const char *hvk_send_table_parse(const void *msg, u32 len, u32 ver,
					       u32 tab[HVK_SEND_TAB_LEN])
{
	const u32 bytes = HVK_SEND_TAB_LEN * sizeof(u32);
	struct hvk_nvsp_send_table t;
	u32 off;

	if (len < 4 + sizeof(t))
		return "shorter than a send table message";
	memcpy(&t, (const u8 *)msg + 4, sizeof(t));
	if (t.count != HVK_SEND_TAB_LEN)
		return "a send table without 16 entries";
	off = t.offset;
	if (ver <= HVK_NVSP_V6 && len >= HVK_NVSP_MSG_SIZE + bytes)
		off = HVK_NVSP_MSG_SIZE;
	if (off < 4 + sizeof(t) || len < bytes || off > len - bytes)
		return "a send table outside its message";
	memcpy(tab, (const u8 *)msg + off, bytes);
	return NULL;
}

/* Is @v a version a Hyper-V host speaks (and this suite negotiates)? */
static inline bool hvk_nvsp_version_known(u32 v)
{
	return v == HVK_NVSP_V1 || v == HVK_NVSP_V2 || v == HVK_NVSP_V4 || v == HVK_NVSP_V5 ||
	       v == HVK_NVSP_V6 || v == HVK_NVSP_V61;
}

/*
 * The receive buffer's one section as the host described it, checked
 * against the buffer the guest gave (@buf_size bytes): sub-allocations of
 * at least @min_sub bytes that all lie inside the buffer.
 */
static inline const char *hvk_nvsp_rxbuf_check(const struct hvk_nvsp_recv_buf_complete *c,
						u32 buf_size, u32 min_sub)
{
	const struct hvk_nvsp_rxbuf_section *s = &c->section;

	if (c->status != HVK_NVSP_STAT_SUCCESS)
		return "the host refused the receive buffer";
	if (c->num_sections != 1)
		return "not exactly one receive section";
	if (s->offset != 0)
		return "the receive section does not start the buffer";
	if (s->sub_alloc_size < min_sub || !s->num_sub_allocs)
		return "receive sub-allocations too small, or none";
	if ((u64)s->sub_alloc_size * s->num_sub_allocs > buf_size ||
	    s->end_offset > buf_size ||
	    s->end_offset < s->offset + (u64)s->sub_alloc_size * s->num_sub_allocs)
		return "receive section past the buffer";
	return NULL;
}

/* ---- RNDIS ---- */

#define HVK_RNDIS_COMPLETION	0x80000000u
#define HVK_RNDIS_PACKET	0x00000001u
#define HVK_RNDIS_INIT		0x00000002u
#define HVK_RNDIS_HALT		0x00000003u
#define HVK_RNDIS_QUERY		0x00000004u
#define HVK_RNDIS_SET		0x00000005u
#define HVK_RNDIS_RESET		0x00000006u
#define HVK_RNDIS_INDICATE	0x00000007u
#define HVK_RNDIS_KEEPALIVE	0x00000008u
#define HVK_RNDIS_INIT_C	(HVK_RNDIS_INIT | HVK_RNDIS_COMPLETION)
#define HVK_RNDIS_QUERY_C	(HVK_RNDIS_QUERY | HVK_RNDIS_COMPLETION)
#define HVK_RNDIS_SET_C		(HVK_RNDIS_SET | HVK_RNDIS_COMPLETION)
#define HVK_RNDIS_RESET_C	(HVK_RNDIS_RESET | HVK_RNDIS_COMPLETION)
#define HVK_RNDIS_KEEPALIVE_C	(HVK_RNDIS_KEEPALIVE | HVK_RNDIS_COMPLETION)

#define HVK_RNDIS_STATUS_SUCCESS		0x00000000u
#define HVK_RNDIS_STATUS_MEDIA_CONNECT		0x4001000bu
#define HVK_RNDIS_STATUS_MEDIA_DISCONNECT	0x4001000cu
#define HVK_RNDIS_STATUS_LINK_SPEED_CHANGE	0x40010013u
#define HVK_RNDIS_STATUS_NETWORK_CHANGE		0x40010018u
#define HVK_RNDIS_STATUS_FAILURE		0xc0000001u
#define HVK_RNDIS_STATUS_NOT_SUPPORTED		0xc00000bbu
#define HVK_RNDIS_STATUS_INVALID_DATA		0xc0010015u
#define HVK_RNDIS_STATUS_MULTICAST_FULL		0xc0010009u

#define HVK_RNDIS_MEDIUM_802_3			0

#define HVK_OID_GEN_MAXIMUM_FRAME_SIZE		0x00010106u
#define HVK_OID_GEN_LINK_SPEED			0x00010107u	/* units of 100 bit/s */
#define HVK_OID_GEN_CURRENT_PACKET_FILTER	0x0001010eu
#define HVK_OID_GEN_MAXIMUM_TOTAL_SIZE		0x00010111u
#define HVK_OID_GEN_MEDIA_CONNECT_STATUS	0x00010114u	/* 0 connected, 1 not */
#define HVK_OID_802_3_PERMANENT_ADDRESS		0x01010101u
#define HVK_OID_802_3_CURRENT_ADDRESS		0x01010102u
#define HVK_OID_802_3_MULTICAST_LIST		0x01010103u
#define HVK_OID_802_3_MAXIMUM_LIST_SIZE		0x01010104u	/* multicast list entries */

/* vRSS (NDIS_RECEIVE_SCALE_*, revision 2). */
#define HVK_OID_GEN_RSS_CAPABILITIES		0x00010203u
#define HVK_OID_GEN_RSS_PARAMETERS		0x00010204u
#define HVK_NDIS_OBJ_RSS_CAPABILITIES		0x88
#define HVK_NDIS_OBJ_RSS_PARAMETERS		0x89
#define HVK_RSS_CAPS_HASH_TCP_IPV4		0x00000100u
#define HVK_RSS_CAPS_HASH_TCP_IPV6		0x00000200u
#define HVK_RSS_PARAM_FLAG_DISABLE		0x0010
#define HVK_RSS_HASH_TOEPLITZ			0x00000001u
#define HVK_RSS_HASH_FUNC_MASK			0x000000ffu
#define HVK_RSS_HASH_IPV4			0x00000100u
#define HVK_RSS_HASH_TCP_IPV4			0x00000200u
#define HVK_RSS_HASH_IPV6			0x00000400u
#define HVK_RSS_HASH_TCP_IPV6			0x00001000u
#define HVK_RSS_KEY_LEN				40	/* the only key size Hyper-V takes */
#define HVK_RSS_ITAB_LEN			128	/* indirection table entries */

struct hvk_ndis_obj_hdr {
	u8 type;
	u8 rev;
	u16 size;
};

/* What a host answers OID_GEN_RSS_CAPABILITIES with: 18 bytes on the wire. */
struct hvk_rss_caps {
	struct hvk_ndis_obj_hdr hdr;
	u32 flags;
	u32 num_int_msg;
	u32 num_queues;			/* receive queues: channels, primary included */
	u16 num_itab;			/* indirection table entries */
} __packed;
#define HVK_RSS_CAPS_LEN	18
HVK_WIRE_SIZE(struct hvk_rss_caps, HVK_RSS_CAPS_LEN);

/* OID_GEN_RSS_PARAMETERS; offsets count from this structure's start. */
struct hvk_rss_params {
	struct hvk_ndis_obj_hdr hdr;
	u16 flags;
	u16 base_cpu;
	u32 hash_info;
	u16 itab_size;			/* bytes: 4 per entry */
	u16 pad0;
	u32 itab_off;
	u16 key_size;
	u16 pad1;
	u32 key_off;
	u32 cpu_masks_off;
	u32 num_cpu_masks;
	u32 cpu_mask_size;
};
HVK_WIRE_SIZE(struct hvk_rss_params, 40);

/*
 * The Toeplitz hash of @len bytes at @in under @key (@klen bytes, at least
 * @len + 4): for every set input bit, the 32 key bits starting there are
 * folded in. Microsoft's RSS verification suite gives test vectors.
 */
static inline u32 hvk_toeplitz(const u8 *key, u32 klen, const u8 *in, u32 len)
{
	u32 hash = 0, win, i, b;

	if (klen < len + 4)
		return 0;
	win = (u32)key[0] << 24 | (u32)key[1] << 16 | (u32)key[2] << 8 | key[3];
	for (i = 0; i < len; i++) {
		for (b = 0; b < 8; b++) {
			if (in[i] & (0x80 >> b))
				hash ^= win;
			win = win << 1 | ((key[i + 4] >> (7 - b)) & 1);
		}
	}
	return hash;
}

/*
 * Checks the RSS parameters a guest SETs (@len bytes at @p) as a host does
 * (openvmm's netvsp): RSS disabled, or Toeplitz with a 40-byte key and a
 * table of whole 4-byte entries, both inside the buffer, every entry below
 * @queues. Fills @key and @itab (HVK_RSS_ITAB_LEN entries: a shorter table
 * repeats, a longer one is cut) and *@enabled. NULL, or why not.
 */
static inline const char *hvk_rss_params_check(const void *p, u32 len, u32 queues, u8 *key,
						u16 *itab, bool *enabled)
{
	struct hvk_rss_params r;
	u32 n, i, e;

	if (len < sizeof(r))
		return "RSS parameters shorter than their structure";
	memcpy(&r, p, sizeof(r));
	*enabled = false;
	if ((r.flags & HVK_RSS_PARAM_FLAG_DISABLE) || !(r.hash_info & HVK_RSS_HASH_FUNC_MASK))
		return NULL;
	if ((r.hash_info & HVK_RSS_HASH_FUNC_MASK) != HVK_RSS_HASH_TOEPLITZ)
		return "RSS hash function is not Toeplitz";
	if (r.key_size != HVK_RSS_KEY_LEN)
		return "RSS key is not 40 bytes";
	if (!r.itab_size || r.itab_size % 4)
		return "RSS indirection table size not a whole number of entries";
	if (r.key_off > len || len - r.key_off < HVK_RSS_KEY_LEN ||
	    r.itab_off > len || len - r.itab_off < r.itab_size)
		return "RSS key or indirection table outside the buffer";
	n = r.itab_size / 4;
	if (n > HVK_RSS_ITAB_LEN)
		n = HVK_RSS_ITAB_LEN;
	for (i = 0; i < n; i++) {
		memcpy(&e, (const u8 *)p + r.itab_off + i * 4, 4);
		if (e >= queues)
			return "RSS indirection table names a queue the host did not grant";
		itab[i] = (u16)e;
	}
	for (; i < HVK_RSS_ITAB_LEN; i++)
		itab[i] = itab[i % n];
	memcpy(key, (const u8 *)p + r.key_off, HVK_RSS_KEY_LEN);
	*enabled = true;
	return NULL;
}

#define HVK_RNDIS_FILTER_DIRECTED	0x01
#define HVK_RNDIS_FILTER_MULTICAST	0x02
#define HVK_RNDIS_FILTER_ALL_MULTICAST	0x04
#define HVK_RNDIS_FILTER_BROADCAST	0x08
#define HVK_RNDIS_FILTER_PROMISCUOUS	0x20

/* RNDIS 1.0, the version netvsc asks for. */
#define HVK_RNDIS_MAJOR		1
#define HVK_RNDIS_MINOR		0

struct hvk_rndis_hdr {
	u32 type;
	u32 len;		/* the whole message, this header included */
};
HVK_WIRE_SIZE(struct hvk_rndis_hdr, 8);

struct hvk_rndis_init_req {
	u32 req_id;
	u32 major;
	u32 minor;
	u32 max_xfer_size;
};

struct hvk_rndis_init_cmplt {
	u32 req_id;
	u32 status;
	u32 major;
	u32 minor;
	u32 dev_flags;
	u32 medium;
	u32 max_pkt_per_msg;
	u32 max_xfer_size;
	u32 pkt_align_factor;
	u32 af_list_offset;
	u32 af_list_size;
};
HVK_WIRE_SIZE(struct hvk_rndis_init_cmplt, 44);

/* QUERY and SET: info_off counts from the start of this body. */
struct hvk_rndis_oid_req {
	u32 req_id;
	u32 oid;
	u32 info_len;
	u32 info_off;
	u32 vc_handle;
};
HVK_WIRE_SIZE(struct hvk_rndis_oid_req, 20);

struct hvk_rndis_query_cmplt {
	u32 req_id;
	u32 status;
	u32 info_len;
	u32 info_off;
};

/* SET_C and KEEPALIVE_C. */
struct hvk_rndis_cmplt {
	u32 req_id;
	u32 status;
};

struct hvk_rndis_reset_cmplt {
	u32 status;
	u32 addressing_reset;
};

struct hvk_rndis_keepalive_req {
	u32 req_id;
};

/* INDICATE: buf_off counts from the start of this body. */
struct hvk_rndis_indicate {
	u32 status;
	u32 buf_len;
	u32 buf_off;
};

/* PACKET: every offset counts from the start of this body. */
struct hvk_rndis_packet {
	u32 data_off;
	u32 data_len;
	u32 oob_off;
	u32 oob_len;
	u32 num_oob;
	u32 ppi_off;
	u32 ppi_len;
	u32 vc_handle;
	u32 reserved;
};
HVK_WIRE_SIZE(struct hvk_rndis_packet, 36);

/* An RNDIS data packet's header, as the guest builds it for a frame. */
#define HVK_RNDIS_PKT_HDR	(sizeof(struct hvk_rndis_hdr) + sizeof(struct hvk_rndis_packet))

/* The body a message of @type must have (completions from the host included). */
static inline u32 hvk_rndis_min_body(u32 type)
{
	switch (type) {
	case HVK_RNDIS_PACKET:
		return sizeof(struct hvk_rndis_packet);
	case HVK_RNDIS_INIT:
		return sizeof(struct hvk_rndis_init_req);
	case HVK_RNDIS_HALT:
	case HVK_RNDIS_KEEPALIVE:
		return sizeof(struct hvk_rndis_keepalive_req);
	case HVK_RNDIS_QUERY:
	case HVK_RNDIS_SET:
		return sizeof(struct hvk_rndis_oid_req);
	case HVK_RNDIS_RESET:
		return 4;
	case HVK_RNDIS_INDICATE:
		return sizeof(struct hvk_rndis_indicate);
	case HVK_RNDIS_INIT_C:
		return sizeof(struct hvk_rndis_init_cmplt);
	case HVK_RNDIS_QUERY_C:
		return sizeof(struct hvk_rndis_query_cmplt);
	case HVK_RNDIS_SET_C:
	case HVK_RNDIS_KEEPALIVE_C:
		return sizeof(struct hvk_rndis_cmplt);
	case HVK_RNDIS_RESET_C:
		return sizeof(struct hvk_rndis_reset_cmplt);
	default:
		return 0;
	}
}

/*
 * What a checked RNDIS message holds: its type, and the one variable-length
 * piece it carries (a PACKET's frame, a QUERY_C's or SET's information, an
 * INDICATE's status buffer) as an offset from the message's start and a
 * length (0 when it has none).
 */
struct hvk_rndis_view {
	u32 type;
	u32 len;		/* the message's own length (hdr.len) */
	u32 data_off;
	u32 data_len;
	u32 ppi_off;		/* a PACKET's per-packet info, from the message's start */
	u32 ppi_len;		/* 0: none */
};

/* Is [off, off + len) inside a body of @body bytes, past its fixed part @fixed? */
static inline bool hvk_rndis_span_ok(u32 off, u32 len, u32 fixed, u32 body)
{
	if (!len)
		return true;
	return off >= fixed && (u64)off + len <= body;
}

/*
 * Checks one RNDIS message of @avail bytes at @msg (a receive range, or a
 * send section): its length, that its type is known, and that every
 * offset and length it carries stays inside it. Returns NULL and fills
 * @v, or says why not. A PACKET's frame must not be empty.
 */
static inline const char *hvk_rndis_check(const void *msg, u32 avail, struct hvk_rndis_view *v)
{
	const u8 *p = (const u8 *)msg;
	struct hvk_rndis_hdr h;
	u32 min, body;

	if (avail < sizeof(h))
		return "shorter than an RNDIS header";
	memcpy(&h, p, sizeof(h));
	if (h.len < sizeof(h) || h.len > avail)
		return "RNDIS length outside its buffer";
	min = hvk_rndis_min_body(h.type);
	if (!min)
		return "unknown RNDIS message type";
	body = h.len - (u32)sizeof(h);
	if (body < min)
		return "RNDIS message shorter than its type";
	v->type = h.type;
	v->len = h.len;
	v->data_off = 0;
	v->data_len = 0;
	v->ppi_off = 0;
	v->ppi_len = 0;
	p += sizeof(h);
	switch (h.type) {
	case HVK_RNDIS_PACKET: {
		struct hvk_rndis_packet k;

		memcpy(&k, p, sizeof(k));
		if (!k.data_len)
			return "RNDIS packet without a frame";
		if (!hvk_rndis_span_ok(k.data_off, k.data_len, sizeof(k), body))
			return "RNDIS packet's frame outside the message";
		if (!hvk_rndis_span_ok(k.ppi_off, k.ppi_len, sizeof(k), body))
			return "RNDIS per-packet info outside the message";
		if (!hvk_rndis_span_ok(k.oob_off, k.oob_len, sizeof(k), body))
			return "RNDIS out-of-band data outside the message";
		v->data_off = (u32)sizeof(h) + k.data_off;
		v->data_len = k.data_len;
		v->ppi_off = k.ppi_len ? (u32)sizeof(h) + k.ppi_off : 0;
		v->ppi_len = k.ppi_len;
		break;
	}
	case HVK_RNDIS_QUERY:
	case HVK_RNDIS_SET: {
		struct hvk_rndis_oid_req k;

		memcpy(&k, p, sizeof(k));
		if (!hvk_rndis_span_ok(k.info_off, k.info_len, sizeof(k), body))
			return "RNDIS information buffer outside the message";
		v->data_off = k.info_len ? (u32)sizeof(h) + k.info_off : 0;
		v->data_len = k.info_len;
		break;
	}
	case HVK_RNDIS_QUERY_C: {
		struct hvk_rndis_query_cmplt k;

		memcpy(&k, p, sizeof(k));
		if (!hvk_rndis_span_ok(k.info_off, k.info_len, sizeof(k), body))
			return "RNDIS information buffer outside the message";
		v->data_off = k.info_len ? (u32)sizeof(h) + k.info_off : 0;
		v->data_len = k.info_len;
		break;
	}
	case HVK_RNDIS_INDICATE: {
		struct hvk_rndis_indicate k;

		memcpy(&k, p, sizeof(k));
		if (!hvk_rndis_span_ok(k.buf_off, k.buf_len, sizeof(k), body))
			return "RNDIS status buffer outside the message";
		v->data_off = k.buf_len ? (u32)sizeof(h) + k.buf_off : 0;
		v->data_len = k.buf_len;
		break;
	}
	default:
		break;
	}
	return NULL;
}

/*
 * A checked INDICATE (@msg, view @v) of LINK_SPEED_CHANGE: the new speed
 * in 100 bit/s units, which its status buffer must hold, as upstream's
 * netvsc_linkstatus_callback() checks (hvk_rndis_check() has put the
 * buffer inside the message). Returns NULL and fills @speed, or says why not.
 */
static inline const char *hvk_rndis_link_speed(const void *msg, const struct hvk_rndis_view *v,
					       u32 *speed)
{
	if (v->type != HVK_RNDIS_INDICATE)
		return "not a status indication";
	if (v->data_len < sizeof(*speed))
		return "status buffer shorter than the 4-byte speed";
	memcpy(speed, (const u8 *)msg + v->data_off, sizeof(*speed));
	return NULL;
}

/*
 * A transfer-page packet from the host (VM_PKT_DATA_USING_XFER_PAGES) of
 * @len bytes: its ranges must lie between the header and the payload,
 * its payload must hold an NVSP SEND_RNDIS_PKT, and every range must lie
 * inside the receive buffer of @buf_size bytes. Returns NULL, or why not.
 */
static inline const char *hvk_nvsp_xfer_check(const void *pkt, u32 len, u32 buf_size)
{
	const u8 *p = (const u8 *)pkt;
	struct hvk_pkt_xfer_pages x;
	struct hvk_xfer_range r;
	u32 off, i, type;

	if (len < sizeof(x))
		return "transfer-page packet shorter than its header";
	memcpy(&x, p, sizeof(x));
	off = (u32)x.desc.offset8 * 8;
	if (off > len || off < sizeof(x))
		return "transfer-page payload offset outside the packet";
	if (x.xfer_pageset_id != HVK_NVSP_RECV_BUF_ID)
		return "transfer pages of an unknown page set";
	if (!x.range_cnt || x.range_cnt > (off - (u32)sizeof(x)) / sizeof(r))
		return "transfer-page ranges run past the payload offset";
	if (len - off < hvk_nvsp_min_len(HVK_NVSP1_SEND_RNDIS_PKT))
		return "transfer-page packet without its NVSP message";
	memcpy(&type, p + off, sizeof(type));
	if (type != HVK_NVSP1_SEND_RNDIS_PKT)
		return "transfer pages carry no RNDIS packet";
	for (i = 0; i < x.range_cnt; i++) {
		memcpy(&r, p + sizeof(x) + i * sizeof(r), sizeof(r));
		if (!r.byte_count || r.byte_offset > buf_size ||
		    r.byte_count > buf_size - r.byte_offset)
			return "receive range outside the receive buffer";
	}
	return NULL;
}

/* ---- task offloads (NDIS 6): what the host grants, what the guest enables ---- */

#define HVK_OID_TCP_OFFLOAD_PARAMETERS		0xfc01020cu	/* SET */
#define HVK_OID_TCP_OFFLOAD_HW_CAPS		0xfc01020du	/* QUERY */
#define HVK_NDIS_OBJ_DEFAULT			0x80
#define HVK_NDIS_OBJ_OFFLOAD			0xa7

#define HVK_NDIS_ENCAP_8023			0x0002
/* Checksum capability bits (ip4_txcsum, ip4_rxcsum; the IPv6 ones alike). */
#define HVK_NDIS_CSUM_TCPOPT			0x004
#define HVK_NDIS_CSUM_TCP			0x010
#define HVK_NDIS_CSUM_UDP			0x040
#define HVK_NDIS_CSUM_IP6EXT			0x001	/* IPv6: extension headers */
#define HVK_NDIS_LSOV2_IP6			0x005	/* ip6_opts: ext headers, TCP options */

/*
 * NDIS_OFFLOAD, as a host answers OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES:
 * 112 bytes up to NDIS 6.0, 144 from 6.1, 156 from 6.30 (RSC).
 */
struct hvk_ndis_offload {
	struct hvk_ndis_obj_hdr hdr;
	u32 ip4_txenc, ip4_txcsum, ip4_rxenc, ip4_rxcsum;
	u32 ip6_txenc, ip6_txcsum, ip6_rxenc, ip6_rxcsum;
	u32 lsov1[4];
	u32 ipsecv1[7];
	u32 lso4_encap, lso4_maxsz, lso4_minsg;
	u32 lso6_encap, lso6_maxsz, lso6_minsg, lso6_opts;
	u32 flags;
	u32 ipsecv2[8];
	u8 rsc_ip4, rsc_ip6;
	u16 pad;
	u32 encap_gre[2];
};
HVK_WIRE_SIZE(struct hvk_ndis_offload, 156);
#define HVK_NDIS_OFFLOAD_SIZE_6_0	112
#define HVK_NDIS_OFFLOAD_SIZE_6_1	144

/* NDIS_OFFLOAD_PARAMETERS, the guest's SET: 22 bytes to NVSP 4, 28 after. */
struct hvk_ndis_offload_params {
	struct hvk_ndis_obj_hdr hdr;
	u8 ip4_csum, tcp4_csum, udp4_csum, tcp6_csum, udp6_csum;
	u8 lsov1, ipsecv1, lso4, lso6, tcp_conn4, tcp_conn6;
	u8 pad0;
	u32 flags;
	u8 ipsecv2, ipsecv2_ip4;
	u8 rsc4, rsc6;			/* from 24 bytes on */
	u8 encap_task, encap_types;
	u16 pad1;
};
HVK_WIRE_SIZE(struct hvk_ndis_offload_params, 28);
#define HVK_NDIS_OFFLOAD_PARAMS_V4	22

/* Values of the checksum fields (0 everywhere: no change). */
#define HVK_OFFLOAD_NO_CHANGE		0
#define HVK_OFFLOAD_TXRX_OFF		1
#define HVK_OFFLOAD_TX_ON_RX_OFF	2
#define HVK_OFFLOAD_RX_ON_TX_OFF	3
#define HVK_OFFLOAD_TXRX_ON		4
/* ... of lso4/lso6 and rsc4/rsc6. */
#define HVK_OFFLOAD_OFF			1
#define HVK_OFFLOAD_ON			2

/*
 * One offload state, as bits: what a host grants, what a guest enabled.
 * The transmit and receive checksum bits are per protocol.
 */
#define HVK_OFL_TX_TCP4		0x0001u
#define HVK_OFL_TX_UDP4		0x0002u
#define HVK_OFL_TX_TCP6		0x0004u
#define HVK_OFL_TX_UDP6		0x0008u
#define HVK_OFL_RX_TCP4		0x0010u
#define HVK_OFL_RX_UDP4		0x0020u
#define HVK_OFL_RX_TCP6		0x0040u
#define HVK_OFL_RX_UDP6		0x0080u
#define HVK_OFL_LSO4		0x0100u
#define HVK_OFL_LSO6		0x0200u
#define HVK_OFL_RSC4		0x0400u
#define HVK_OFL_RSC6		0x0800u
#define HVK_OFL_TX_CSUM		0x000fu
#define HVK_OFL_RX_CSUM		0x00f0u
#define HVK_OFL_ALL		0x0fffu

/*
 * The capabilities a host answers for the offloads it grants (@ofl) and
 * the largest LSO frame (@lso_max): @o is filled, its size returned
 * (@ndis_ver decides: RSC is NDIS 6.30's).
 */
static inline u32 hvk_offload_caps_fill(struct hvk_ndis_offload *o, u32 ofl, u32 lso_max,
					u32 ndis_ver)
{
	memset(o, 0, sizeof(*o));
	o->hdr.type = HVK_NDIS_OBJ_OFFLOAD;
	o->hdr.rev = ndis_ver >= HVK_NDIS_6_30 ? 3 : 1;
	o->hdr.size = ndis_ver >= HVK_NDIS_6_30 ? sizeof(*o) : HVK_NDIS_OFFLOAD_SIZE_6_0;
	if (ofl & (HVK_OFL_TX_CSUM | HVK_OFL_RX_CSUM)) {
		o->ip4_txenc = o->ip4_rxenc = HVK_NDIS_ENCAP_8023;
		o->ip6_txenc = o->ip6_rxenc = HVK_NDIS_ENCAP_8023;
	}
	if (ofl & HVK_OFL_TX_TCP4)
		o->ip4_txcsum |= HVK_NDIS_CSUM_TCP | HVK_NDIS_CSUM_TCPOPT;
	if (ofl & HVK_OFL_TX_UDP4)
		o->ip4_txcsum |= HVK_NDIS_CSUM_UDP;
	if (ofl & HVK_OFL_TX_TCP6)
		o->ip6_txcsum |= HVK_NDIS_CSUM_TCP | HVK_NDIS_CSUM_TCPOPT | HVK_NDIS_CSUM_IP6EXT;
	if (ofl & HVK_OFL_TX_UDP6)
		o->ip6_txcsum |= HVK_NDIS_CSUM_UDP;
	if (ofl & HVK_OFL_RX_TCP4)
		o->ip4_rxcsum |= HVK_NDIS_CSUM_TCP | HVK_NDIS_CSUM_TCPOPT;
	if (ofl & HVK_OFL_RX_UDP4)
		o->ip4_rxcsum |= HVK_NDIS_CSUM_UDP;
	if (ofl & HVK_OFL_RX_TCP6)
		o->ip6_rxcsum |= HVK_NDIS_CSUM_TCP | HVK_NDIS_CSUM_TCPOPT | HVK_NDIS_CSUM_IP6EXT;
	if (ofl & HVK_OFL_RX_UDP6)
		o->ip6_rxcsum |= HVK_NDIS_CSUM_UDP;
	if (ofl & HVK_OFL_LSO4) {
		o->lso4_encap = HVK_NDIS_ENCAP_8023;
		o->lso4_maxsz = lso_max;
		o->lso4_minsg = 2;
	}
	if (ofl & HVK_OFL_LSO6) {
		o->lso6_encap = HVK_NDIS_ENCAP_8023;
		o->lso6_maxsz = lso_max;
		o->lso6_minsg = 2;
		o->lso6_opts = HVK_NDIS_LSOV2_IP6;
	}
	if (ndis_ver >= HVK_NDIS_6_30) {
		o->rsc_ip4 = !!(ofl & HVK_OFL_RSC4);
		o->rsc_ip6 = !!(ofl & HVK_OFL_RSC6);
	}
	return o->hdr.size;
}

/*
 * The guest's reading of a host's capabilities (@len bytes at @p): the
 * object must say it is NDIS_OFFLOAD, of revision 1 or more, at least
 * NDIS 6.0's size and no longer than what came. As upstream, TCP
 * checksums count only with their options (and IPv6's extension
 * headers), LSO only with TCP checksums, and UDP only with TCP. Fills
 * *@ofl and *@lso_max (the smaller of the two LSO sizes). NULL, or why not.
 */
static inline const char *hvk_offload_caps_parse(const void *p, u32 len, u32 *ofl, u32 *lso_max)
{
	struct hvk_ndis_offload o;
	const u32 tcp = HVK_NDIS_CSUM_TCP | HVK_NDIS_CSUM_TCPOPT;

	*ofl = 0;
	*lso_max = 0;
	if (len < HVK_NDIS_OFFLOAD_SIZE_6_0)
		return "offload capabilities shorter than NDIS 6.0's";
	memset(&o, 0, sizeof(o));
	memcpy(&o, p, len < sizeof(o) ? len : sizeof(o));
	if (o.hdr.type != HVK_NDIS_OBJ_OFFLOAD || o.hdr.rev < 1)
		return "offload capabilities of the wrong object type or revision";
	if (o.hdr.size < HVK_NDIS_OFFLOAD_SIZE_6_0 || o.hdr.size > len)
		return "offload capabilities' size outside what came";
	if (o.hdr.size < sizeof(o))
		memset((u8 *)&o + o.hdr.size, 0, sizeof(o) - o.hdr.size);
	if ((o.ip4_txcsum & tcp) == tcp) {
		*ofl |= HVK_OFL_TX_TCP4;
		if (o.ip4_txcsum & HVK_NDIS_CSUM_UDP)
			*ofl |= HVK_OFL_TX_UDP4;
		if ((o.lso4_encap & HVK_NDIS_ENCAP_8023) && o.lso4_maxsz)
			*ofl |= HVK_OFL_LSO4;
	}
	if ((o.ip6_txcsum & (tcp | HVK_NDIS_CSUM_IP6EXT)) == (tcp | HVK_NDIS_CSUM_IP6EXT)) {
		*ofl |= HVK_OFL_TX_TCP6;
		if (o.ip6_txcsum & HVK_NDIS_CSUM_UDP)
			*ofl |= HVK_OFL_TX_UDP6;
		if ((o.lso6_encap & HVK_NDIS_ENCAP_8023) && o.lso6_maxsz &&
		    (o.lso6_opts & HVK_NDIS_LSOV2_IP6) == HVK_NDIS_LSOV2_IP6)
			*ofl |= HVK_OFL_LSO6;
	}
	if ((o.ip4_rxcsum & tcp) == tcp)
		*ofl |= HVK_OFL_RX_TCP4;
	if (o.ip4_rxcsum & HVK_NDIS_CSUM_UDP)
		*ofl |= HVK_OFL_RX_UDP4;
	if ((o.ip6_rxcsum & tcp) == tcp)
		*ofl |= HVK_OFL_RX_TCP6;
	if (o.ip6_rxcsum & HVK_NDIS_CSUM_UDP)
		*ofl |= HVK_OFL_RX_UDP6;
	if (o.rsc_ip4 && o.rsc_ip6)
		*ofl |= HVK_OFL_RSC4 | HVK_OFL_RSC6;
	if (*ofl & (HVK_OFL_LSO4 | HVK_OFL_LSO6)) {
		*lso_max = 0xffffffffu;
		if ((*ofl & HVK_OFL_LSO4) && o.lso4_maxsz < *lso_max)
			*lso_max = o.lso4_maxsz;
		if ((*ofl & HVK_OFL_LSO6) && o.lso6_maxsz < *lso_max)
			*lso_max = o.lso6_maxsz;
	}
	return NULL;
}

/* The parameters a guest sets to enable @on (HVK_OFL_*) and turn the rest off. */
static inline u32 hvk_offload_params_fill(struct hvk_ndis_offload_params *p, u32 on, u32 nvsp_ver)
{
	static const u32 tx[4] = { HVK_OFL_TX_TCP4, HVK_OFL_TX_UDP4, HVK_OFL_TX_TCP6,
				   HVK_OFL_TX_UDP6 };
	u8 *f[4] = { &p->tcp4_csum, &p->udp4_csum, &p->tcp6_csum, &p->udp6_csum };
	u32 i;

	memset(p, 0, sizeof(*p));
	p->hdr.type = HVK_NDIS_OBJ_DEFAULT;
	p->hdr.rev = 3;
	p->hdr.size = sizeof(*p);
	p->ip4_csum = HVK_OFFLOAD_TXRX_OFF;	/* Linux checksums IP headers itself */
	for (i = 0; i < 4; i++) {
		bool t = on & tx[i], r = on & (tx[i] << 4);

		*f[i] = t && r ? HVK_OFFLOAD_TXRX_ON : t ? HVK_OFFLOAD_TX_ON_RX_OFF :
			r ? HVK_OFFLOAD_RX_ON_TX_OFF : HVK_OFFLOAD_TXRX_OFF;
	}
	p->lso4 = on & HVK_OFL_LSO4 ? HVK_OFFLOAD_ON : HVK_OFFLOAD_OFF;
	p->lso6 = on & HVK_OFL_LSO6 ? HVK_OFFLOAD_ON : HVK_OFFLOAD_OFF;
	p->rsc4 = on & HVK_OFL_RSC4 ? HVK_OFFLOAD_ON : HVK_OFFLOAD_OFF;
	p->rsc6 = on & HVK_OFL_RSC6 ? HVK_OFFLOAD_ON : HVK_OFFLOAD_OFF;
	if (nvsp_ver <= HVK_NVSP_V4) {
		/* As upstream: no UDP checksums, and the shorter structure. */
		p->udp4_csum = p->udp6_csum = HVK_OFFLOAD_NO_CHANGE;
		p->hdr.size = HVK_NDIS_OFFLOAD_PARAMS_V4;
		return HVK_NDIS_OFFLOAD_PARAMS_V4;
	}
	return sizeof(*p);
}

/*
 * A host's check of the guest's parameters (@len bytes at @p) against
 * what it grants (@granted): every field a value the protocol has, and
 * nothing enabled that is not granted. *@on (the current state) is
 * updated only when the whole set is good. NULL, or why not.
 */
static inline const char *hvk_offload_params_check(const void *p, u32 len, u32 granted, u32 *on)
{
	static const u32 tx[4] = { HVK_OFL_TX_TCP4, HVK_OFL_TX_UDP4, HVK_OFL_TX_TCP6,
				   HVK_OFL_TX_UDP6 };
	struct hvk_ndis_offload_params q;
	u32 next = *on, i, bits;
	u8 f[4];

	if (len < HVK_NDIS_OFFLOAD_PARAMS_V4)
		return "offload parameters shorter than NDIS 6.0's";
	memset(&q, 0, sizeof(q));
	memcpy(&q, p, len < sizeof(q) ? len : sizeof(q));
	if (q.hdr.type != HVK_NDIS_OBJ_DEFAULT || q.hdr.rev < 1 || q.hdr.rev > 3 ||
	    q.hdr.size > len || q.hdr.size < HVK_NDIS_OFFLOAD_PARAMS_V4)
		return "offload parameters' header wrong";
	if (q.hdr.size < 24)
		q.rsc4 = q.rsc6 = 0;
	f[0] = q.tcp4_csum;
	f[1] = q.udp4_csum;
	f[2] = q.tcp6_csum;
	f[3] = q.udp6_csum;
	if (q.ip4_csum > HVK_OFFLOAD_TXRX_ON)
		return "offload parameter value unknown";
	for (i = 0; i < 4; i++) {
		bits = tx[i] | tx[i] << 4;
		switch (f[i]) {
		case HVK_OFFLOAD_NO_CHANGE:
			continue;
		case HVK_OFFLOAD_TXRX_OFF:
			next &= ~bits;
			break;
		case HVK_OFFLOAD_TX_ON_RX_OFF:
			next = (next & ~bits) | tx[i];
			break;
		case HVK_OFFLOAD_RX_ON_TX_OFF:
			next = (next & ~bits) | tx[i] << 4;
			break;
		case HVK_OFFLOAD_TXRX_ON:
			next |= bits;
			break;
		default:
			return "offload parameter value unknown";
		}
	}
	if (q.lso4 > HVK_OFFLOAD_ON || q.lso6 > HVK_OFFLOAD_ON || q.rsc4 > HVK_OFFLOAD_ON ||
	    q.rsc6 > HVK_OFFLOAD_ON)
		return "offload parameter value unknown";
	if (q.lso4)
		next = q.lso4 == HVK_OFFLOAD_ON ? next | HVK_OFL_LSO4 : next & ~HVK_OFL_LSO4;
	if (q.lso6)
		next = q.lso6 == HVK_OFFLOAD_ON ? next | HVK_OFL_LSO6 : next & ~HVK_OFL_LSO6;
	if (q.rsc4)
		next = q.rsc4 == HVK_OFFLOAD_ON ? next | HVK_OFL_RSC4 : next & ~HVK_OFL_RSC4;
	if (q.rsc6)
		next = q.rsc6 == HVK_OFFLOAD_ON ? next | HVK_OFL_RSC6 : next & ~HVK_OFL_RSC6;
	if (next & ~granted)
		return "offload parameters enable an offload the host does not grant";
	*on = next;
	return NULL;
}

/* ---- per-packet information (PPI) of RNDIS data packets ---- */

#define HVK_PPI_CSUM		0	/* TCPIP_CHKSUM_PKTINFO */
#define HVK_PPI_LSO		2	/* TCP_LARGESEND_PKTINFO */
#define HVK_PPI_VLAN		6	/* IEEE_8021Q_INFO */
#define HVK_PPI_HASH		8	/* NBL_HASH_VALUE */
#define HVK_PPI_INTERNAL	0x80000000u	/* in type: an RNDIS-internal one */
#define HVK_PPI_PKT_ID		(HVK_PPI_INTERNAL | 1)	/* RSC fragments */

struct hvk_ppi {
	u32 size;			/* this header and its value */
	u32 type;			/* HVK_PPI_*, bit 31 internal */
	u32 off;			/* of the value, from this header */
};
HVK_WIRE_SIZE(struct hvk_ppi, 12);
#define HVK_PPI_SIZE		(sizeof(struct hvk_ppi) + 4)	/* one with a u32 value */

/* TCPIP_CHKSUM_PKTINFO, transmit: what the host computes. */
#define HVK_CSUM_TX_IPV4	0x00000001u
#define HVK_CSUM_TX_IPV6	0x00000002u
#define HVK_CSUM_TX_TCP		0x00000004u
#define HVK_CSUM_TX_UDP		0x00000008u
#define HVK_CSUM_TX_IP		0x00000010u
#define HVK_CSUM_TX_THOFF(v)	(((v) >> 16) & 0x3ff)
/* ... receive: what the host found. */
#define HVK_CSUM_RX_TCP_FAILED	0x00000001u
#define HVK_CSUM_RX_UDP_FAILED	0x00000002u
#define HVK_CSUM_RX_IP_FAILED	0x00000004u
#define HVK_CSUM_RX_TCP_OK	0x00000008u
#define HVK_CSUM_RX_UDP_OK	0x00000010u
#define HVK_CSUM_RX_IP_OK	0x00000020u
/* ... the IP header's checksum was not redone after coalescing (RSC). */
#define HVK_CSUM_RX_IP_INVALID	0x00000100u

/* TCP_LARGESEND_PKTINFO, LSO v2 transmit. */
#define HVK_LSO_MSS(v)		((v) & 0xfffff)
#define HVK_LSO_THOFF(v)	(((v) >> 20) & 0x3ff)
#define HVK_LSO_V2		0x40000000u
#define HVK_LSO_IPV6		0x80000000u

/* IEEE_8021Q_INFO: priority 3 bits, CFI, VLAN id 12 bits. */
#define HVK_VLAN_PRI(v)		((v) & 7)
#define HVK_VLAN_CFI(v)		(((v) >> 3) & 1)
#define HVK_VLAN_ID(v)		(((v) >> 4) & 0xfff)

/*
 * Walks the per-packet information of a checked PACKET (@msg, its view
 * @v) for the one of @type, whose value must be 4 bytes: *@val, *@found.
 * Every entry must be at least its header, inside the area, with its
 * value inside itself. NULL, or why not (the packet is then dropped).
 */
static inline const char *hvk_ppi_find(const void *msg, const struct hvk_rndis_view *v,
				       u32 type, u32 *val, bool *found)
{
	const u8 *p = (const u8 *)msg + v->ppi_off;
	u32 left = v->ppi_len;
	struct hvk_ppi e;

	*found = false;
	while (left) {
		if (left < sizeof(e))
			return "per-packet info shorter than its header";
		memcpy(&e, p, sizeof(e));
		if (e.size < sizeof(e) || e.size > left)
			return "per-packet info size outside the area";
		if (e.off < sizeof(e) || e.off > e.size || e.size - e.off < 4)
			return "per-packet info value outside its entry";
		if (e.type == type && !*found) {
			memcpy(val, p + e.off, 4);
			*found = true;
		}
		p += e.size;
		left -= e.size;
	}
	return NULL;
}

/* Appends a PPI of @type with @val at @at (HVK_PPI_SIZE bytes). */
static inline void hvk_ppi_put(void *at, u32 type, u32 val)
{
	struct hvk_ppi e = { HVK_PPI_SIZE, type, sizeof(struct hvk_ppi) };

	memcpy(at, &e, sizeof(e));
	memcpy((u8 *)at + sizeof(e), &val, 4);
}

/*
 * The transport header at @thoff of a @len-byte Ethernet frame (@f) that
 * asks for a checksum or LSO: IPv4 or IPv6 as @ipv6 says (the frame's
 * ethertype, after one 802.1Q tag at most, must agree), the network header
 * whole before @thoff, the transport header (TCP: its data offset; UDP:
 * 8 bytes) inside the frame. *@thlen is the transport header's length,
 * *@proto its protocol (IPv6: the next header right after the fixed one).
 */
static inline const char *hvk_l4_check(const u8 *f, u32 len, u32 thoff, bool ipv6, u32 *thlen,
				       u8 *proto)
{
	u32 nh = 14;
	u16 et;

	if (len < 14)
		return "frame shorter than an Ethernet header";
	et = (u16)(f[12] << 8 | f[13]);
	if (et == 0x8100) {
		if (len < 18)
			return "frame shorter than its 802.1Q tag";
		et = (u16)(f[16] << 8 | f[17]);
		nh = 18;
	}
	if (et != (ipv6 ? 0x86dd : 0x0800))
		return "frame's ethertype is not the IP version named";
	if (ipv6) {
		if (len < nh + 40 || thoff < nh + 40)
			return "transport header inside the IPv6 header";
		*proto = f[nh + 6];
	} else {
		if (len < nh + 20 || (f[nh] >> 4) != 4 || (f[nh] & 15) < 5 ||
		    thoff != nh + (f[nh] & 15) * 4u)
			return "transport header offset is not the IPv4 header's end";
		*proto = f[nh + 9];
	}
	if (*proto == 6) {
		if (thoff > len || len - thoff < 20)
			return "TCP header past the frame";
		*thlen = (f[thoff + 12] >> 4) * 4u;
		if (*thlen < 20 || *thlen > len - thoff)
			return "TCP header length outside the frame";
	} else if (*proto == 17) {
		if (thoff > len || len - thoff < 8)
			return "UDP header past the frame";
		*thlen = 8;
	} else {
		return "transport protocol neither TCP nor UDP";
	}
	return NULL;
}

/*
 * A host's check of an LSO v2 request (@lso) on a @len-byte frame @f,
 * against the largest it grants (@max) and the guest's MTU (@mtu): TCP,
 * the IP version named, headers whole, an MSS of at least 1 that fits the
 * MTU with the headers, and more payload than headers. NULL, or why not.
 */
static inline const char *hvk_lso_check(const u8 *f, u32 len, u32 lso, u32 max, u32 mtu)
{
	u32 thoff = HVK_LSO_THOFF(lso), mss = HVK_LSO_MSS(lso), thlen = 0;
	const char *why;
	u8 proto = 0;

	if (!(lso & HVK_LSO_V2))
		return "LSO request is not LSO v2";
	why = hvk_l4_check(f, len, thoff, lso & HVK_LSO_IPV6, &thlen, &proto);
	if (why)
		return why;
	if (proto != 6)
		return "LSO of a protocol other than TCP";
	if (!mss || (u64)mss + thlen + (thoff - 14) > mtu)
		return "LSO MSS zero or past the MTU";
	if (len - 14 > max)
		return "LSO frame longer than the host grants";
	if (len <= thoff + thlen)
		return "LSO frame without payload";
	return NULL;
}

/*
 * ---- RSC: receive segment coalescing ----
 *
 * A host that coalesces TCP segments (NVSP 6.1, granted and enabled)
 * sends the one large frame as fragments: consecutive ranges of one
 * transfer-page packet, each an RNDIS packet in its own sub-allocation
 * with an RNDIS_PKTINFO_ID (HVK_PPI_PKT_ID) per-packet info whose flags
 * say SUBALLOC, and the first and last fragment. The first one carries
 * the checksum and 802.1Q information of the whole. Upstream's
 * rndis_filter_receive_data() and NVSP_RSC_MAX.
 */
#define HVK_PKTINFO_SUBALLOC	0x01
#define HVK_PKTINFO_1ST_FRAG	0x02
#define HVK_PKTINFO_LAST_FRAG	0x04
#define HVK_PKTINFO_ID_V1	1
/* RNDIS_PKTINFO_ID's value: version, flags, packet id (u8, u8, u16). */
#define HVK_PKTINFO_FLAGS(v)	(((v) >> 8) & 0xff)
#define HVK_PKTINFO(flags, id)	((u32)HVK_PKTINFO_ID_V1 | (u32)(flags) << 8 | (u32)(id) << 16)
#define HVK_RSC_MAX		562	/* fragments of one packet (NVSP_RSC_MAX) */
/* The largest coalesced frame: an IP packet of 64 KiB with its Ethernet header and tag. */
#define HVK_RSC_MAX_LEN		(65535u + 18u)

/* The flags of fragment @i of @n. */
static inline u32 hvk_rsc_frag_flags(u32 i, u32 n)
{
	return HVK_PKTINFO_SUBALLOC | (i == 0 ? HVK_PKTINFO_1ST_FRAG : 0) |
	       (i + 1 == n ? HVK_PKTINFO_LAST_FRAG : 0);
}

/* A receiver's assembly state; zeroed at each transfer-page packet. */
struct hvk_rsc {
	u32 cnt;			/* fragments of the packet in assembly, 0: none */
	u32 len;			/* their bytes */
	bool skip;			/* a dropped packet's later fragments go quietly */
	bool done;			/* cnt and len are a finished packet's */
};

enum hvk_rsc_act {
	HVK_RSC_DROP,			/* this fragment is dropped (and the packet) */
	HVK_RSC_MORE,			/* fragment cnt - 1 taken; more follow */
	HVK_RSC_DONE,			/* fragment cnt - 1 taken: the packet is whole */
	HVK_RSC_WHOLE,			/* not a fragment: a frame on its own (cnt 1) */
	/* After DONE and WHOLE, cnt and len stay until the next step. */
};

/*
 * One received RNDIS packet of @len frame bytes, whose RNDIS_PKTINFO_ID
 * (if @has_id) is @id, the last range of its transfer or not (@last).
 * Returns what to do with it; *@why is set when a packet (the one in
 * assembly, or this fragment's) is dropped: a fragment with no first
 * before it, a new first before the last, more than HVK_RSC_MAX
 * fragments, more than HVK_RSC_MAX_LEN bytes, a transfer that ends
 * mid-packet, a whole frame that cuts a packet short.
 */
static inline enum hvk_rsc_act hvk_rsc_step(struct hvk_rsc *s, bool has_id, u32 id, u32 len,
					    bool last, const char **why)
{
	u32 fl = has_id ? HVK_PKTINFO_FLAGS(id) : 0;

	*why = NULL;
	if (s->done) {
		s->cnt = 0;
		s->len = 0;
		s->done = false;
	}
	if (!(fl & HVK_PKTINFO_SUBALLOC)) {
		if (s->cnt)
			*why = "an RSC packet was cut short by a whole frame";
		s->cnt = 1;
		s->len = len;
		s->skip = false;
		s->done = true;
		return HVK_RSC_WHOLE;
	}
	if (fl & HVK_PKTINFO_1ST_FRAG) {
		if (s->cnt)
			*why = "a new RSC packet began before the last one's last fragment";
		s->cnt = 0;
		s->len = 0;
		s->skip = false;
	} else if (!s->cnt) {
		if (!s->skip)
			*why = "an RSC fragment without a first one";
		s->skip = !(fl & HVK_PKTINFO_LAST_FRAG) && !last;
		return HVK_RSC_DROP;
	}
	if (s->cnt >= HVK_RSC_MAX) {
		*why = "an RSC packet of more than 562 fragments";
		goto drop;
	}
	if (len > HVK_RSC_MAX_LEN || s->len > HVK_RSC_MAX_LEN - len) {
		*why = "an RSC packet longer than 64 KiB";
		goto drop;
	}
	s->cnt++;
	s->len += len;
	if (fl & HVK_PKTINFO_LAST_FRAG) {
		s->done = true;
		return HVK_RSC_DONE;
	}
	if (last) {
		*why = "the transfer ended in the middle of an RSC packet";
		goto drop;
	}
	return HVK_RSC_MORE;
drop:
	s->cnt = 0;
	s->len = 0;
	s->skip = !(fl & HVK_PKTINFO_LAST_FRAG) && !last;
	return HVK_RSC_DROP;
}

/*
 * The segment size of an assembled RSC frame (@f, @len bytes) as the wire
 * carried it, so that the receiver's TCP sees the MSS and not 64 KiB (as
 * Linux's LRO drivers set gso_size): TCP over IPv4 or IPv6 (no extension
 * headers), headers whole, the MTU (@mtu) less the IP and TCP headers.
 * 0 when the frame is not such a TCP segment or fits one segment;
 * *@ipv6 and *@segs (the segments it stands for) otherwise.
 */
static inline u32 hvk_rsc_mss(const u8 *f, u32 len, u32 mtu, bool *ipv6, u32 *segs)
{
	u32 nh = 14, thoff, thlen = 0, hdrs, mss;
	u8 proto = 0;
	u16 et;

	if (len < 18)
		return 0;
	et = (u16)(f[12] << 8 | f[13]);
	if (et == 0x8100) {
		et = (u16)(f[16] << 8 | f[17]);
		nh = 18;
	}
	if (et == 0x0800) {
		if (len < nh + 20)
			return 0;
		*ipv6 = false;
		thoff = nh + (f[nh] & 15) * 4u;
	} else if (et == 0x86dd) {
		*ipv6 = true;
		thoff = nh + 40;
	} else {
		return 0;
	}
	if (hvk_l4_check(f, len, thoff, *ipv6, &thlen, &proto) || proto != 6)
		return 0;
	hdrs = thoff - nh + thlen;
	if (mtu <= hdrs)
		return 0;
	mss = mtu - hdrs;
	if (len - thoff - thlen <= mss)
		return 0;
	*segs = (len - thoff - thlen + mss - 1) / mss;
	return mss;
}

/*
 * A fragment dropped for another reason (its RNDIS message or per-packet
 * info bad): the packet in assembly goes too. True if there was one.
 */
static inline bool hvk_rsc_abort(struct hvk_rsc *s)
{
	bool had = s->cnt && !s->done;

	s->done = false;
	s->cnt = 0;
	s->len = 0;
	s->skip = true;
	return had;
}

#endif /* _HVKIT_NETVSC_H */
