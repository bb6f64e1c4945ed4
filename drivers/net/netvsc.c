// SPDX-License-Identifier: GPL-2.0
/*
 * hvkit_netvsc: the guest driver of Hyper-V's synthetic network adapter.
 *
 * NVSP (include/hvkit/netvsc.h) over one VMBus channel: the version is
 * negotiated down from 6.1, then the NDIS version, a receive buffer and a
 * send buffer (GPADLs) are handed to the host; RNDIS on top initialises
 * the adapter and asks for its MAC, link state, speed and largest frame.
 * Frames go out through a send-buffer section (copied) or, when larger
 * than a section, as GPA-direct pages of the skb; they come in as
 * transfer-page packets naming ranges of the receive buffer, which NAPI
 * copies into skbs and completes.
 *
 * vRSS: from NVSP 5 on, when the host's RSS capabilities allow more than
 * one queue, the primary asks for sub-channels (one per queue wanted: a
 * CPU each by default, ethtool -L's count otherwise), opens each as the
 * host offers it, and sets the RSS key and indirection table, so that the
 * host spreads receives over them. Every channel has its NAPI and its TX
 * queue; the buffers and the control path are the primary's.
 *
 * The host is not trusted: every NVSP message, transfer range, RNDIS
 * length and offset and completion id is checked before use. A bad one
 * is dropped, counted (ethtool -S) and logged with a rate limit.
 */
#include <linux/ethtool.h>
#include <linux/etherdevice.h>
#include <linux/if_vlan.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/kfifo.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/u64_stats_sync.h>
#include <linux/vmalloc.h>
#include <net/checksum.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>
#include <hvkit/netvsc.h>
#include <hvk_compat.h>
#include "hvk_vmbus.h"
#include "vf.h"

static uint ring_kb = 256;
module_param(ring_kb, uint, 0444);
MODULE_PARM_DESC(ring_kb, "size of each ring in KiB, control page included (default 256)");

static uint recv_buf_kb = 4096;
module_param(recv_buf_kb, uint, 0444);
MODULE_PARM_DESC(recv_buf_kb, "receive buffer at probe in KiB (default 4096; at most 31744, as the host allows; ethtool -G changes it)");

static uint send_buf_kb = 1024;
module_param(send_buf_kb, uint, 0444);
MODULE_PARM_DESC(send_buf_kb, "send buffer at probe in KiB (default 1024; at most 15360; ethtool -G changes it)");

#define NV_TIMEOUT		(10 * HZ)
#define NV_MTU_MAX		65521		/* upstream's NETVSC_MTU - ETH_HLEN */
#define NV_MAX_PFNS		32		/* GPA-direct: pages of the largest frame, and more */
#define NV_PENDING_COMPS	1024		/* receive completions waiting for ring space */
#define NV_CTL_REPLY		256
/* The multicast addresses given to the host; with more, all multicast. */
#define NV_MC_MAX		32
#define NV_MAX_CHANS		64		/* upstream's VRSS_CHANNEL_MAX */
/*
 * ethtool -G counts the buffers in sections (as upstream): at least
 * NETVSC_MIN_RX/TX_SECTIONS, sized by the section sizes the host gave last
 * (upstream's NETVSC_RECV/SEND_SECTION_SIZE until it has given any).
 */
#define NV_MIN_SECS		10
#define NV_RECV_SECSIZE		1728

/* What a request id stands for: the low 2 bits of its context. */
#define NV_CTX_SKB		0		/* a GPA-direct frame: the skb */
#define NV_CTX_SECTION		1		/* a send section: index << 2 */
#define NV_CTX_NVSP		2		/* a control NVSP request */
#define NV_CTX_RNDIS		3		/* an RNDIS control message: its buffer */
#define NV_CTX_KIND(c)		((c) & 3)

enum nv_stat {
	NV_BAD_NVSP,		/* an NVSP message we cannot act on */
	NV_BAD_XFER,		/* a transfer-page packet or range outside the buffer */
	NV_BAD_RNDIS,		/* an RNDIS message with bad lengths or offsets */
	NV_BAD_COMPLETION,	/* a completion for a request not in flight */
	NV_BAD_VERSION,		/* INIT_COMPLETE naming a version we did not ask for */
	NV_RX_DROPPED,		/* frames dropped: no skb, device down */
	NV_TX_BUSY,		/* sends that found the ring full */
	NV_TX_GPA,		/* frames sent as GPA-direct pages */
	NV_TX_DROPPED,		/* frames too long, or refused by the core */
	NV_COMP_DEFERRED,	/* receive completions that waited for ring space */
	NV_TX_BATCHED,		/* frames written unpublished: xmit_more, more follow */
	NV_BAD_PPI,		/* a received packet's per-packet info malformed */
	NV_TX_LSO,		/* frames sent as LSO v2 (TSO) */
	NV_TX_CSUM,		/* frames whose checksum the host computes */
	NV_RX_CSUM,		/* frames the host said had good checksums */
	NV_RX_RSC,		/* packets assembled from more than one RSC fragment */
	NV_BAD_RSC,		/* partial RSC packets dropped (order, count, length) */
	NV_TX_LINEAR,		/* GPA-direct frames made linear: too many pages */
	NV_RESETS,		/* RNDIS resets the host completed (ethtool --reset) */
	NV_NSTATS
};

static const char nv_stat_names[NV_NSTATS][ETH_GSTRING_LEN] = {
	"bad_nvsp_msg", "bad_xfer_range", "bad_rndis_msg", "bad_completion_id",
	"bad_nvsp_version", "rx_dropped", "tx_busy", "tx_gpa_direct", "tx_dropped",
	"rx_completion_deferred", "tx_batched", "bad_ppi", "tx_lso", "tx_csum_offload",
	"rx_csum_good", "rx_rsc", "bad_rsc", "tx_linearized",
	"rndis_resets",
};

/* Per-queue counters (ethtool -S), kept where they are counted. */
#define NV_QSTATS_TX		4
#define NV_QSTATS_RX		3
static const char * const nv_qstat_names[NV_QSTATS_TX + NV_QSTATS_RX] = {
	"tx_queue_%u_packets", "tx_queue_%u_bytes", "tx_queue_%u_drops", "tx_queue_%u_stops",
	"rx_queue_%u_packets", "rx_queue_%u_bytes", "rx_queue_%u_drops",
};

struct netvsc;

/* What the host's per-packet info says of a received frame (has: present). */
struct nv_rxinfo {
	u32 csum, vlan, id, hash;
	bool has_csum, has_vlan, has_id, has_hash;
};

/*
 * One channel, the primary (0) or a sub-channel, with its NAPI and TX
 * queue. Allocated when first needed, kept until the device goes.
 */
struct nv_chan {
	struct netvsc *nv;
	struct hvk_channel *ch;		/* when open */
	struct napi_struct napi;
	u8 *rxpkt;			/* one inbound packet (NAPI) */
	u16 idx;
	/*
	 * open: written under the TX queue's lock (xmit sends only on an
	 * open channel), by attach/detach and the sub-channel callbacks,
	 * which the core serialises.
	 */
	bool open;
	u32 tx_need;			/* bytes the stopped queue waits for, 0: not stopped */
	/*
	 * RSC (NAPI only): the fragments of the packet in assembly, in the
	 * receive buffer until the transfer is completed, and what the first
	 * one said about the whole.
	 */
	struct hvk_rsc rsc;
	struct nv_rxinfo rsc_info;
	const u8 *rsc_data[HVK_RSC_MAX];
	u32 rsc_len[HVK_RSC_MAX];
	/* Receive completions the ring had no room for (NAPI only). */
	DECLARE_KFIFO(comps, u64, NV_PENDING_COMPS);
	/* Written by xmit (the queue's lock) and NAPI: one writer each. */
	struct u64_stats_sync tx_syncp;
	u64 tx[NV_QSTATS_TX];		/* packets, bytes, drops, stops */
	struct u64_stats_sync rx_syncp;
	u64 rx[NV_QSTATS_RX];		/* packets, bytes, drops */
};

struct netvsc {
	struct hvk_device *hdev;
	struct net_device *ndev;
	struct hvk_channel *ch;		/* the primary channel */
	bool attached;			/* channel open, buffers given (rtnl or probe) */
	struct nv_chan *chans[NV_MAX_CHANS];
	u32 num_chn;			/* channels in use (rtnl or probe) */
	u32 max_chn;			/* the host's RSS queues, at most NV_MAX_CHANS */
	u32 want_chn;			/* ethtool -L; 0: a queue per CPU */
	/*
	 * ethtool -G (rtnl or probe): the sections wanted in each buffer,
	 * and the section sizes the host gave last, which size the buffers.
	 */
	u32 rx_secs, tx_secs;
	u32 rx_secsize, tx_secsize;
	u32 sc_want;			/* sub-channels to open as offered (READ_ONCE) */
	atomic_t sc_open;		/* sub-channels open */
	u8 rss_key[HVK_RSS_KEY_LEN];
	/*
	 * The host's send indirection table (NVSP 5): a flow's hash picks
	 * its entry, the entry its TX queue (bounded by the queues in use).
	 * Spread over the channels at attach, then as the host sends it
	 * (NAPI). Entries WRITE_ONCE/READ_ONCE; ethtool -d shows it.
	 */
	u32 tx_table[HVK_SEND_TAB_LEN];
	/* The indirection table (ethtool -X); rss_user: not the default one. */
	u32 rss_itab[HVK_RSS_ITAB_LEN];
	bool rss_user;

	u32 nvsp_ver, ndis_ver;
	/*
	 * Offloads (HVK_OFL_*): what the host granted, and what it was told
	 * is on (the features asked for, within the grant). Written under
	 * ctl_lock with rtnl held (attach, set_features); xmit and NAPI read
	 * ofl_on (READ_ONCE).
	 */
	u32 ofl_granted, ofl_on;
	u32 lso_max;			/* the host's largest LSO frame */
	u32 host_mtu;			/* the host's largest frame payload */
	/*
	 * The multicast list the host keeps (OID_802_3_MAXIMUM_LIST_SIZE, at
	 * most NV_MC_MAX; 0: none, all multicast then). Written at attach,
	 * read by the receive filter (READ_ONCE).
	 */
	u32 mc_max;
	u32 speed;			/* Mbit/s (WRITE_ONCE: attach, NAPI's indications) */

	void *recv_buf;
	u32 recv_size;
	u32 recv_end;			/* where the host's sub-allocations end */
	u32 recv_nsec;			/* the host's sub-allocations (ethtool -g) */
	struct hvk_gpadl recv_gpadl;
	void *send_buf;
	u32 send_size;
	struct hvk_gpadl send_gpadl;
	u32 send_section, send_nsec;
	/* send_lock protects send_map (xmit and NAPI's completions). */
	spinlock_t send_lock;
	unsigned long *send_map;
	/* GPA-direct skbs the host has not completed (its own lock). */
	struct sk_buff_head tx_inflight;

	/*
	 * ctl_lock: one control request at a time. The reply (NVSP
	 * completion or RNDIS message) lands in ctl_reply under ctl_rlock,
	 * matched by kind and id; waiters sleep on wq.
	 */
	struct mutex ctl_lock;
	spinlock_t ctl_rlock;
	wait_queue_head_t wq;
	u32 ctl_want;			/* NVSP or RNDIS type awaited, 0: none */
	u32 ctl_req_id;			/* RNDIS req_id awaited */
	bool ctl_got;
	u32 ctl_len;
	u8 ctl_reply[NV_CTL_REPLY] __aligned(8);
	u32 rndis_req_id;
	atomic_t rndis_inflight;	/* RNDIS control buffers the host holds */
	struct work_struct rx_mode_work;
	/* The host's KEEPALIVE awaiting our answer: its id (ctl_rlock), 0: none. */
	struct work_struct ka_work;
	u32 ka_req_id;

	atomic64_t stats[NV_NSTATS];
	struct nv_vf vf;		/* accelerated networking (vf.c) */
};

/* Host-caused errors: rate limited, named after the device. */
#define nv_err(nv, fmt, ...)							\
	do {									\
		if (net_ratelimit())						\
			netdev_err((nv)->ndev, fmt, ##__VA_ARGS__);		\
	} while (0)

static void nv_count(struct netvsc *nv, enum nv_stat s)
{
	atomic64_inc(&nv->stats[s]);
}

/* ---- control requests ---- */

static void nv_rescinded(void *ctx)
{
	struct netvsc *nv = ctx;

	wake_up(&nv->wq);
}

/* Wait for the reply armed by nv_ctl_arm(): 0, -ETIMEDOUT, -ENODEV. */
static int nv_ctl_wait(struct netvsc *nv)
{
	long left = wait_event_timeout(nv->wq, READ_ONCE(nv->ctl_got) ||
				       hvk_channel_rescinded(nv->ch), NV_TIMEOUT);

	spin_lock_bh(&nv->ctl_rlock);
	nv->ctl_want = 0;
	spin_unlock_bh(&nv->ctl_rlock);
	if (READ_ONCE(nv->ctl_got))
		return 0;
	return hvk_channel_rescinded(nv->ch) ? -ENODEV : (left ? -EIO : -ETIMEDOUT);
}

static void nv_ctl_arm(struct netvsc *nv, u32 type, u32 req_id)
{
	spin_lock_bh(&nv->ctl_rlock);
	nv->ctl_want = type;
	nv->ctl_req_id = req_id;
	nv->ctl_got = false;
	nv->ctl_len = 0;
	spin_unlock_bh(&nv->ctl_rlock);
}

/* A reply that someone waits for: copied, and the waiter woken. */
static bool nv_ctl_deliver(struct netvsc *nv, u32 type, u32 req_id, const void *msg, u32 len)
{
	bool ok = false;

	spin_lock_bh(&nv->ctl_rlock);
	if (nv->ctl_want == type && nv->ctl_req_id == req_id && !nv->ctl_got) {
		nv->ctl_len = min_t(u32, len, NV_CTL_REPLY);
		memcpy(nv->ctl_reply, msg, nv->ctl_len);
		WRITE_ONCE(nv->ctl_got, true);
		ok = true;
	}
	spin_unlock_bh(&nv->ctl_rlock);
	if (ok)
		wake_up(&nv->wq);
	return ok;
}

/*
 * An NVSP request that the host completes with @reply_type; the reply is
 * in nv->ctl_reply. Under ctl_lock.
 */
static int nv_nvsp_request(struct netvsc *nv, struct hvk_nvsp_msg *m, u32 reply_type)
{
	u64 id;
	int ret;

	ret = hvk_rqst_add(nv->ch, NV_CTX_NVSP, &id);
	if (ret)
		return ret;
	nv_ctl_arm(nv, reply_type, 0);
	ret = hvk_channel_send(nv->ch, m, sizeof(*m), id, HVK_PKT_DATA_INBAND,
			       HVK_PKT_FLAG_COMPLETION_REQUESTED);
	if (ret) {
		u64 ctx;

		hvk_rqst_take(nv->ch, id, &ctx);
		return ret;
	}
	ret = nv_ctl_wait(nv);
	/* SWITCH_DATA_PATH's completion carries nothing (upstream's netvsc.c). */
	if (!ret && reply_type != HVK_NVSP4_SWITCH_DATA_PATH &&
	    nv->ctl_len < hvk_nvsp_min_len(reply_type))
		ret = -EBADMSG;
	return ret;
}

/* An NVSP message the host does not answer. */
static int nv_nvsp_post(struct netvsc *nv, struct hvk_nvsp_msg *m)
{
	return hvk_channel_send(nv->ch, m, sizeof(*m), 0, HVK_PKT_DATA_INBAND, 0);
}

/*
 * An RNDIS control message (@len bytes at @msg, header filled but for the
 * request id in its first body word) as GPA-direct pages; waits for the
 * reply of @reply_type into ctl_reply. Under ctl_lock.
 */
static int nv_rndis_request(struct netvsc *nv, const void *msg, u32 len, u32 reply_type)
{
	u64 d[(sizeof(struct hvk_pkt_gpa_direct) + sizeof(struct hvk_gpa_range)) / 8 + 4] = {};
	struct hvk_pkt_gpa_direct *h = (void *)d;
	struct hvk_nvsp_msg m = { .type = HVK_NVSP1_SEND_RNDIS_PKT };
	/* RESET has no request id (its word is reserved): its answer neither. */
	u32 req_id = reply_type == HVK_RNDIS_RESET_C ? 0 : ++nv->rndis_req_id;
	u8 *buf;
	u64 id;
	int n, ret;

	buf = kmemdup(msg, len, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	if (reply_type && req_id)
		memcpy(buf + sizeof(struct hvk_rndis_hdr), &req_id, 4);
	n = hvk_gpa_range_fill((void *)(h + 1), 4, buf, len);
	if (n < 0) {
		kfree(buf);
		return n;
	}
	h->range_cnt = 1;
	m.rndis_pkt.channel_type = HVK_NVSP_CHAN_CONTROL;
	m.rndis_pkt.section_index = HVK_NVSP_NO_SECTION;
	ret = hvk_rqst_add(nv->ch, (u64)(uintptr_t)buf | NV_CTX_RNDIS, &id);
	if (ret) {
		kfree(buf);
		return ret;
	}
	atomic_inc(&nv->rndis_inflight);
	if (reply_type)
		nv_ctl_arm(nv, reply_type, req_id);
	ret = hvk_channel_send_gpa(nv->ch, h, sizeof(*h) + n, &m, sizeof(m), id);
	if (ret) {
		u64 ctx;

		if (!hvk_rqst_take(nv->ch, id, &ctx)) {
			kfree(buf);
			atomic_dec(&nv->rndis_inflight);
		}
		return ret;
	}
	if (reply_type)
		ret = nv_ctl_wait(nv);
	/* The host gives the buffer back with its completion: wait for that too. */
	if (!wait_event_timeout(nv->wq, !atomic_read(&nv->rndis_inflight) ||
				hvk_channel_rescinded(nv->ch), NV_TIMEOUT))
		nv_err(nv, "the host did not complete an RNDIS control message\n");
	if (!reply_type || ret)
		return ret;
	if (!ret) {
		struct hvk_rndis_cmplt c;	/* req_id, status: every completion starts so */
		u32 status;

		memcpy(&c, nv->ctl_reply + sizeof(struct hvk_rndis_hdr), sizeof(c));
		status = req_id ? c.status : c.req_id;	/* RESET_C: status first */
		if (status != HVK_RNDIS_STATUS_SUCCESS)
			ret = -EREMOTEIO;
	}
	return ret;
}

/*
 * RNDIS RESET: the host resets the adapter and says in RESET_C whether
 * its addressing (packet filter, multicast list) went with it; true in
 * *@addressing then, for the caller to set it again. Under ctl_lock.
 */
static int nv_rndis_reset(struct netvsc *nv, bool *addressing)
{
	struct {
		struct hvk_rndis_hdr h;
		u32 reserved;
	} m = { .h = { .type = HVK_RNDIS_RESET, .len = sizeof(m) } };
	struct hvk_rndis_reset_cmplt c;
	int ret;

	ret = nv_rndis_request(nv, &m, sizeof(m), HVK_RNDIS_RESET_C);
	if (ret)
		return ret;
	memcpy(&c, nv->ctl_reply + sizeof(struct hvk_rndis_hdr), sizeof(c));
	*addressing = c.addressing_reset;
	nv_count(nv, NV_RESETS);
	return 0;
}

/* QUERY @oid into @out (exactly @len bytes). Under ctl_lock. */
static int nv_query(struct netvsc *nv, u32 oid, void *out, u32 len)
{
	struct {
		struct hvk_rndis_hdr h;
		struct hvk_rndis_oid_req q;
	} m = {};
	struct hvk_rndis_view v;
	int ret;

	m.h.type = HVK_RNDIS_QUERY;
	m.h.len = sizeof(m);
	m.q.oid = oid;
	ret = nv_rndis_request(nv, &m, sizeof(m), HVK_RNDIS_QUERY_C);
	if (ret)
		return ret;
	/* Checked on arrival; the answer must be the size the OID has. */
	if (hvk_rndis_check(nv->ctl_reply, nv->ctl_len, &v) || v.data_len != len) {
		nv_count(nv, NV_BAD_RNDIS);
		nv_err(nv, "RNDIS query %#x answered with %u bytes, not %u\n", oid, v.data_len, len);
		return -EBADMSG;
	}
	memcpy(out, nv->ctl_reply + v.data_off, len);
	return 0;
}

/* SET @oid to @len bytes at @val. Under ctl_lock. */
static int nv_set(struct netvsc *nv, u32 oid, const void *val, u32 len)
{
	u32 total = sizeof(struct hvk_rndis_hdr) + sizeof(struct hvk_rndis_oid_req) + len;
	struct hvk_rndis_oid_req *q;
	struct hvk_rndis_hdr *h;
	int ret;

	h = kzalloc(total, GFP_KERNEL);
	if (!h)
		return -ENOMEM;
	q = (void *)(h + 1);
	h->type = HVK_RNDIS_SET;
	h->len = total;
	q->oid = oid;
	q->info_len = len;
	q->info_off = sizeof(*q);
	memcpy(q + 1, val, len);
	ret = nv_rndis_request(nv, h, total, HVK_RNDIS_SET_C);
	kfree(h);
	return ret;
}

static int nv_set_filter(struct netvsc *nv, u32 filter)
{
	int ret;

	mutex_lock(&nv->ctl_lock);
	ret = nv->attached ? nv_set(nv, HVK_OID_GEN_CURRENT_PACKET_FILTER, &filter, 4) : 0;
	mutex_unlock(&nv->ctl_lock);
	return ret;
}

/* ---- receive ---- */

/* The host's transfer is done with: completed on the channel it came on. */
static void nv_send_comp(struct nv_chan *q, u64 tid)
{
	struct hvk_nvsp_msg m = { .type = HVK_NVSP1_SEND_RNDIS_PKT_COMPLETE };
	struct netvsc *nv = q->nv;

	m.complete.status = HVK_NVSP_STAT_SUCCESS;
	if (kfifo_is_empty(&q->comps) &&
	    !hvk_channel_send(q->ch, &m, sizeof(m), tid, HVK_PKT_COMP, 0))
		return;
	/* No room: keep it for the next poll (the host's signal brings it). */
	nv_count(nv, NV_COMP_DEFERRED);
	if (!kfifo_put(&q->comps, tid))
		nv_err(nv, "receive completion lost: too many waiting\n");
	hvk_channel_set_pending_send(q->ch, sizeof(struct hvk_pkt_desc) + sizeof(m));
}

static void nv_flush_comps(struct nv_chan *q)
{
	struct hvk_nvsp_msg m = { .type = HVK_NVSP1_SEND_RNDIS_PKT_COMPLETE };
	u64 tid;

	if (kfifo_is_empty(&q->comps))
		return;
	m.complete.status = HVK_NVSP_STAT_SUCCESS;
	while (kfifo_peek(&q->comps, &tid)) {
		if (hvk_channel_send(q->ch, &m, sizeof(m), tid, HVK_PKT_COMP, 0))
			return;
		kfifo_skip(&q->comps);
	}
	hvk_channel_set_pending_send(q->ch, READ_ONCE(q->tx_need));
}

static void nv_rx_drop(struct nv_chan *q)
{
	nv_count(q->nv, NV_RX_DROPPED);
	u64_stats_update_begin(&q->rx_syncp);
	q->rx[2]++;
	u64_stats_update_end(&q->rx_syncp);
}

/* The host's new link speed (its vSwitch changed), in 100 bit/s units. */
static void nv_link_speed(struct netvsc *nv, const u8 *msg, const struct hvk_rndis_view *v)
{
	const char *why;
	u32 speed;

	why = hvk_rndis_link_speed(msg, v, &speed);
	if (why) {
		nv_count(nv, NV_BAD_RNDIS);
		nv_err(nv, "link speed indication dropped: %s (%u bytes)\n", why, v->data_len);
		return;
	}
	WRITE_ONCE(nv->speed, speed / 10000);
}

static void nv_indicate(struct netvsc *nv, const u8 *msg, const struct hvk_rndis_view *v)
{
	struct hvk_rndis_indicate ind;

	memcpy(&ind, msg + sizeof(struct hvk_rndis_hdr), sizeof(ind));
	switch (ind.status) {
	case HVK_RNDIS_STATUS_MEDIA_CONNECT:
		netif_carrier_on(nv->ndev);
		break;
	case HVK_RNDIS_STATUS_MEDIA_DISCONNECT:
		netif_carrier_off(nv->ndev);
		break;
	case HVK_RNDIS_STATUS_LINK_SPEED_CHANGE:
		nv_link_speed(nv, msg, v);
		break;
	default:
		break;	/* network change: nothing to do yet */
	}
}

/*
 * What the host says about a received frame (@msg, checked, view @v):
 * its checksum result, its 802.1Q tag, its RSC fragment flags and its RSS
 * hash. False when the per-packet info is malformed (the frame is dropped).
 */
static bool nv_rx_ppi(struct netvsc *nv, const u8 *msg, const struct hvk_rndis_view *v,
		      struct nv_rxinfo *ri)
{
	const char *why;

	*ri = (struct nv_rxinfo){};
	if (!v->ppi_len)
		return true;
	why = hvk_ppi_find(msg, v, HVK_PPI_CSUM, &ri->csum, &ri->has_csum);
	if (!why)
		why = hvk_ppi_find(msg, v, HVK_PPI_VLAN, &ri->vlan, &ri->has_vlan);
	if (!why)
		why = hvk_ppi_find(msg, v, HVK_PPI_PKT_ID, &ri->id, &ri->has_id);
	if (!why)
		why = hvk_ppi_find(msg, v, HVK_PPI_HASH, &ri->hash, &ri->has_hash);
	if (why) {
		nv_count(nv, NV_BAD_PPI);
		nv_err(nv, "received packet dropped: %s\n", why);
		return false;
	}
	return true;
}

/* The checksum verdict of the host, when the guest asked for it. */
static void nv_rx_csum(struct netvsc *nv, struct sk_buff *skb, u32 csum)
{
	u32 on = READ_ONCE(nv->ofl_on);
	u32 ok;

	if (!(nv->ndev->features & NETIF_F_RXCSUM) || !(on & HVK_OFL_RX_CSUM))
		return;
	if (csum & (HVK_CSUM_RX_TCP_FAILED | HVK_CSUM_RX_UDP_FAILED | HVK_CSUM_RX_IP_FAILED))
		return;		/* the stack checks it again, and drops it */
	ok = csum & (HVK_CSUM_RX_TCP_OK | HVK_CSUM_RX_UDP_OK);
	if (!ok)
		return;
	skb->ip_summed = CHECKSUM_UNNECESSARY;
	nv_count(nv, NV_RX_CSUM);
}

/* A partial RSC packet was dropped: counted and logged. */
static void nv_rsc_dropped(struct netvsc *nv, const char *why)
{
	nv_count(nv, NV_BAD_RSC);
	nv_err(nv, "RSC packet dropped: %s\n", why);
}

/*
 * The frame assembled in q->rsc_data (q->rsc.cnt pieces, @len bytes; an
 * RSC packet if @rsc) to the stack, with what the first piece's
 * per-packet info said.
 */
static void nv_rx_deliver(struct nv_chan *q, u32 len, bool rsc)
{
	const struct nv_rxinfo *ri = &q->rsc_info;
	struct netvsc *nv = q->nv;
	struct sk_buff *skb;
	u32 i;

	skb = napi_alloc_skb(&q->napi, len);
	if (!skb) {
		nv_rx_drop(q);
		return;
	}
	for (i = 0; i < q->rsc.cnt; i++)
		skb_put_data(skb, q->rsc_data[i], q->rsc_len[i]);
	/*
	 * A coalesced TCP segment says the MSS it was cut at, as LRO drivers
	 * do (even one that fits a fragment may hold more than an MSS).
	 */
	if (rsc) {
		u32 segs = 0, mss;
		bool v6 = false;

		mss = hvk_rsc_mss(skb->data, len, nv->ndev->mtu, &v6, &segs);
		if (mss) {
			skb_shinfo(skb)->gso_size = mss;
			skb_shinfo(skb)->gso_type = v6 ? SKB_GSO_TCPV6 : SKB_GSO_TCPV4;
			skb_shinfo(skb)->gso_segs = segs;
		}
	}
	skb->protocol = eth_type_trans(skb, nv->ndev);
	/*
	 * A coalesced IPv4 header may keep its old checksum (the host says
	 * so); Linux always checks it, so it is redone here, as upstream.
	 */
	if (ri->has_csum && (ri->csum & HVK_CSUM_RX_IP_INVALID) && (ri->csum & HVK_CSUM_RX_IP_OK) &&
	    skb->protocol == htons(ETH_P_IP) && skb_headlen(skb) >= sizeof(struct iphdr)) {
		struct iphdr *iph = (struct iphdr *)skb->data;

		if (iph->ihl >= 5 && skb_headlen(skb) >= iph->ihl * 4u)
			ip_send_check(iph);
	}
	if (ri->has_csum)
		nv_rx_csum(nv, skb, ri->csum);
	if (ri->has_vlan)
		__vlan_hwaccel_put_tag(skb, htons(ETH_P_8021Q),
				       HVK_VLAN_ID(ri->vlan) | HVK_VLAN_CFI(ri->vlan) << 12 |
				       HVK_VLAN_PRI(ri->vlan) << VLAN_PRIO_SHIFT);
	/*
	 * The host's RSS hash (Toeplitz, over addresses and TCP ports), as
	 * upstream takes it: RPS, RFS and the stack's flow hash then agree
	 * with the queue the host chose.
	 */
	if (ri->has_hash && (nv->ndev->features & NETIF_F_RXHASH))
		skb_set_hash(skb, ri->hash, PKT_HASH_TYPE_L4);
	skb_record_rx_queue(skb, q->idx);
	if (q->rsc.cnt > 1)
		nv_count(nv, NV_RX_RSC);
	u64_stats_update_begin(&q->rx_syncp);
	q->rx[0]++;
	q->rx[1] += len;
	u64_stats_update_end(&q->rx_syncp);
	napi_gro_receive(&q->napi, skb);
}

/*
 * A received RNDIS packet (@msg, checked): a frame on its own, or a
 * fragment of an RSC packet (@last: the transfer's last range).
 */
static void nv_rx_frame(struct nv_chan *q, const u8 *msg, const struct hvk_rndis_view *v,
			bool last)
{
	u32 len = v->data_len, total;
	struct netvsc *nv = q->nv;
	struct nv_rxinfo ri;
	enum hvk_rsc_act act;
	const char *why;

	/* Not before register_netdev() nor after ndo_stop: the host sends none then. */
	if (!netif_running(nv->ndev)) {
		hvk_rsc_abort(&q->rsc);
		nv_rx_drop(q);
		return;
	}
	if (!nv_rx_ppi(nv, msg, v, &ri)) {
		if (hvk_rsc_abort(&q->rsc))
			nv_rsc_dropped(nv, "a fragment's per-packet info was malformed");
		return;
	}
	act = hvk_rsc_step(&q->rsc, ri.has_id, ri.id, len, last, &why);
	if (why)
		nv_rsc_dropped(nv, why);
	if (act == HVK_RSC_DROP)
		return;
	total = q->rsc.len;
	if (q->rsc.cnt == 1) {
		/* The first piece speaks for the whole packet, as upstream. */
		q->rsc_info = ri;
	}
	q->rsc_data[q->rsc.cnt - 1] = msg + v->data_off;
	q->rsc_len[q->rsc.cnt - 1] = len;
	if (act == HVK_RSC_MORE)
		return;
	if (total < ETH_HLEN ||
	    (act == HVK_RSC_WHOLE && total > nv->ndev->mtu + VLAN_ETH_HLEN)) {
		nv_count(nv, NV_BAD_RNDIS);
		nv_err(nv, "received frame of %u bytes: outside 14..MTU\n", total);
		return;
	}
	nv_rx_deliver(q, total, act == HVK_RSC_DONE);
}

/* One RNDIS message from the receive buffer (in bounds, not yet checked). */
static void nv_rx_rndis(struct nv_chan *q, const u8 *msg, u32 avail, u32 ctrl, bool last)
{
	struct netvsc *nv = q->nv;
	struct hvk_rndis_view v;
	const char *why = hvk_rndis_check(msg, avail, &v);
	u32 req_id;

	if (why) {
		nv_count(nv, NV_BAD_RNDIS);
		nv_err(nv, "RNDIS message dropped: %s\n", why);
		if (hvk_rsc_abort(&q->rsc))
			nv_rsc_dropped(nv, "a fragment's RNDIS message was malformed");
		return;
	}
	if (v.type == HVK_RNDIS_PACKET) {
		nv_rx_frame(q, msg, &v, last);
		return;
	}
	if (hvk_rsc_abort(&q->rsc))
		nv_rsc_dropped(nv, "an RSC packet was cut short by a control message");
	if (v.type == HVK_RNDIS_INDICATE) {
		nv_indicate(nv, msg, &v);
		return;
	}
	if (v.type == HVK_RNDIS_KEEPALIVE) {
		/* Answered from a work item: the control path sleeps. */
		memcpy(&req_id, msg + sizeof(struct hvk_rndis_hdr), 4);
		spin_lock(&nv->ctl_rlock);
		nv->ka_req_id = req_id;
		spin_unlock(&nv->ctl_rlock);
		schedule_work(&nv->ka_work);
		return;
	}
	if (v.type & HVK_RNDIS_COMPLETION) {
		memcpy(&req_id, msg + sizeof(struct hvk_rndis_hdr), 4);
		if (v.type == HVK_RNDIS_RESET_C)
			req_id = 0;
		if (nv_ctl_deliver(nv, v.type, req_id, msg, v.len))
			return;
	}
	nv_count(nv, NV_BAD_RNDIS);
	nv_err(nv, "RNDIS message %#x that nobody waits for\n", v.type);
}

static void nv_rx_xfer(struct nv_chan *q, const u8 *pkt, u32 len)
{
	struct netvsc *nv = q->nv;
	const struct hvk_pkt_xfer_pages *x = (const void *)pkt;
	const char *why = hvk_nvsp_xfer_check(pkt, len, nv->recv_end);
	struct hvk_nvsp_msg m;
	u32 i, ctrl;

	if (why) {
		nv_count(nv, NV_BAD_XFER);
		nv_err(nv, "transfer-page packet dropped: %s\n", why);
	} else {
		memcpy(&m, pkt + x->desc.offset8 * 8, hvk_nvsp_min_len(HVK_NVSP1_SEND_RNDIS_PKT));
		ctrl = m.rndis_pkt.channel_type;
		/* An RSC packet lies within one transfer: its pieces stay put until completed. */
		memset(&q->rsc, 0, sizeof(q->rsc));
		for (i = 0; i < x->range_cnt; i++) {
			struct hvk_xfer_range r;

			memcpy(&r, pkt + sizeof(*x) + i * sizeof(r), sizeof(r));
			nv_rx_rndis(q, (const u8 *)nv->recv_buf + r.byte_offset, r.byte_count, ctrl,
				    i + 1 == x->range_cnt);
		}
	}
	/* The host gets its ranges back whatever they held. */
	nv_send_comp(q, x->desc.trans_id);
}

/* A completion for one of our requests. */
static void nv_rx_comp(struct nv_chan *q, const u8 *pkt, u32 len)
{
	const struct hvk_pkt_desc *d = (const void *)pkt;
	u32 off = d->offset8 * 8, type = 0;
	struct netvsc *nv = q->nv;
	u64 ctx;

	if (hvk_rqst_take(q->ch, d->trans_id, &ctx)) {
		nv_count(nv, NV_BAD_COMPLETION);
		nv_err(nv, "completion for id %#llx, which is not in flight\n", d->trans_id);
		return;
	}
	if (len - off >= 4)
		memcpy(&type, pkt + off, 4);
	switch (NV_CTX_KIND(ctx)) {
	case NV_CTX_SKB: {
		struct sk_buff *skb = (void *)(uintptr_t)ctx;

		skb_unlink(skb, &nv->tx_inflight);
		napi_consume_skb(skb, 1);
		break;
	}
	case NV_CTX_SECTION:
		spin_lock(&nv->send_lock);
		clear_bit(ctx >> 2, nv->send_map);
		spin_unlock(&nv->send_lock);
		break;
	case NV_CTX_RNDIS:
		kfree((void *)(uintptr_t)(ctx & ~3ULL));
		atomic_dec(&nv->rndis_inflight);
		wake_up(&nv->wq);
		break;
	case NV_CTX_NVSP:
		if (len == off && nv_ctl_deliver(nv, HVK_NVSP4_SWITCH_DATA_PATH, 0, pkt + off, 0))
			return;
		if (!hvk_nvsp_min_len(type) || len - off < hvk_nvsp_min_len(type) ||
		    !nv_ctl_deliver(nv, type, 0, pkt + off, len - off)) {
			nv_count(nv, NV_BAD_NVSP);
			nv_err(nv, "NVSP completion of type %u that nobody waits for\n", type);
		}
		return;
	}
	if (type != HVK_NVSP1_SEND_RNDIS_PKT_COMPLETE) {
		nv_count(nv, NV_BAD_NVSP);
		nv_err(nv, "send completed with NVSP type %u\n", type);
	}
}

/*
 * An NVSP message the host sent of its own accord. The send indirection
 * table is taken; the rest (a VF's association: the VF is found by its
 * MAC) needs no answer.
 */
static void nv_rx_inband(struct nv_chan *q, const u8 *pkt, u32 len)
{
	const struct hvk_pkt_desc *d = (const void *)pkt;
	u32 off = d->offset8 * 8, type, tab[HVK_SEND_TAB_LEN], i;
	struct netvsc *nv = q->nv;
	const char *why;

	if (off > len || len - off < 4) {
		nv_count(nv, NV_BAD_NVSP);
		nv_err(nv, "an NVSP message from the host without its type\n");
		return;
	}
	memcpy(&type, pkt + off, 4);
	if (type != HVK_NVSP5_SEND_INDIRECTION_TABLE)
		return;
	why = hvk_send_table_parse(pkt + off, len - off, READ_ONCE(nv->nvsp_ver), tab);
	if (why) {
		nv_count(nv, NV_BAD_NVSP);
		nv_err(nv, "the host's send table refused: %s\n", why);
		return;
	}
	for (i = 0; i < HVK_SEND_TAB_LEN; i++)
		WRITE_ONCE(nv->tx_table[i], tab[i]);
}

/*
 * ndo_select_queue: a socket keeps the queue it was given (unless the
 * stack says a reorder is harmless now, ooo_okay); a new flow takes the
 * host's send table's entry for its hash, as upstream's netvsc does. An
 * entry past the queues in use wraps.
 */
static u16 nv_select_queue(struct net_device *ndev, struct sk_buff *skb,
			   struct net_device *sb_dev)
{
	struct netvsc *nv = netdev_priv(ndev);
	u32 n = ndev->real_num_tx_queues;
	struct sock *sk = skb->sk;
	int qi = sk_tx_queue_get(sk);

	if (qi >= 0 && (u32)qi < n && !skb->ooo_okay)
		return qi;
	qi = READ_ONCE(nv->tx_table[skb_get_hash(skb) & (HVK_SEND_TAB_LEN - 1)]) % n;
	if (sk && sk_fullsock(sk) && rcu_access_pointer(sk->sk_dst_cache))
		sk_tx_queue_set(sk, qi);
	return qi;
}

static void nv_tx_wake(struct nv_chan *q)
{
	u32 need = READ_ONCE(q->tx_need);

	if (need && hvk_channel_out_avail(q->ch) >= need) {
		WRITE_ONCE(q->tx_need, 0);
		hvk_channel_set_pending_send(q->ch, 0);
		netif_wake_subqueue(q->nv->ndev, q->idx);
	}
}

static int nv_poll(struct napi_struct *napi, int budget)
{
	struct nv_chan *q = container_of(napi, struct nv_chan, napi);
	const struct hvk_pkt_desc *d = (const void *)q->rxpkt;
	struct netvsc *nv = q->nv;
	int done = 0, ret = 0;
	u32 len;

	nv_flush_comps(q);
	hvk_channel_drain_begin(q->ch);
	while (done < budget) {
		ret = hvk_channel_recv(q->ch, q->rxpkt, HVK_PKT_MAX_LEN, &len);
		if (ret)
			break;
		done++;
		switch (d->type) {
		case HVK_PKT_DATA_USING_XFER_PAGES:
			nv_rx_xfer(q, q->rxpkt, len);
			break;
		case HVK_PKT_COMP:
			nv_rx_comp(q, q->rxpkt, len);
			break;
		case HVK_PKT_DATA_INBAND:
			nv_rx_inband(q, q->rxpkt, len);
			break;
		default:
			break;
		}
	}
	if (ret == -EBADMSG)
		nv_err(nv, "the host corrupted the inbound ring; the device stops\n");
	nv_tx_wake(q);
	if (hvk_channel_drain_end(q->ch) && ret != -EBADMSG)
		return budget;
	if (done < budget)
		napi_complete_done(napi, done);
	return done < budget ? done : budget;
}

static void nv_callback(void *ctx)
{
	struct nv_chan *q = ctx;

	napi_schedule(&q->napi);
}

/* ---- transmit ---- */

static int nv_xmit_section(struct nv_chan *q, struct sk_buff *skb, const void *hdr, u32 hlen,
			   u32 total, bool more)
{
	struct netvsc *nv = q->nv;
	struct hvk_nvsp_msg m = { .type = HVK_NVSP1_SEND_RNDIS_PKT };
	u32 idx;
	u64 id, ctx;
	u8 *p;
	int ret;

	spin_lock_bh(&nv->send_lock);
	idx = find_first_zero_bit(nv->send_map, nv->send_nsec);
	if (idx < nv->send_nsec)
		set_bit(idx, nv->send_map);
	spin_unlock_bh(&nv->send_lock);
	if (idx >= nv->send_nsec)
		return -ENOSPC;
	p = (u8 *)nv->send_buf + idx * nv->send_section;
	memcpy(p, hdr, hlen);
	skb_copy_bits(skb, 0, p + hlen, skb->len);
	m.rndis_pkt.channel_type = HVK_NVSP_CHAN_DATA;
	m.rndis_pkt.section_index = idx;
	m.rndis_pkt.section_size = total;
	ret = hvk_rqst_add(q->ch, (u64)idx << 2 | NV_CTX_SECTION, &id);
	if (!ret) {
		ret = hvk_channel_send_batch(q->ch, &m, sizeof(m), id, HVK_PKT_DATA_INBAND,
					     HVK_PKT_FLAG_COMPLETION_REQUESTED, more);
		if (ret)
			hvk_rqst_take(q->ch, id, &ctx);
	}
	if (ret) {
		spin_lock_bh(&nv->send_lock);
		clear_bit(idx, nv->send_map);
		spin_unlock_bh(&nv->send_lock);
		if (ret == -EAGAIN)
			WRITE_ONCE(q->tx_need, sizeof(struct hvk_pkt_desc) + sizeof(m));
		return ret;
	}
	return 0;
}

/*
 * The GPA ranges of @skb's bytes after @h: its head, then a range per
 * page fragment, NV_MAX_PFNS page numbers in all (upstream's page buffer
 * limit). Returns their bytes, or -E2BIG (too many pages, or a fragment
 * with no kernel address).
 */
static int nv_gpa_ranges(struct sk_buff *skb, struct hvk_pkt_gpa_direct *h)
{
	u8 *p = (u8 *)(h + 1);
	u32 left = NV_MAX_PFNS, i;
	int n;

	if (skb_has_frag_list(skb))
		return -E2BIG;
	n = hvk_gpa_range_fill((void *)p, left, skb->data, skb_headlen(skb));
	if (n < 0)
		return n;
	h->range_cnt = 1;
	p += n;
	left -= (n - sizeof(struct hvk_gpa_range)) / sizeof(u64);
	for (i = 0; i < skb_shinfo(skb)->nr_frags; i++) {
		const skb_frag_t *f = &skb_shinfo(skb)->frags[i];

		if (!skb_frag_size(f))
			continue;
		if (PageHighMem(skb_frag_page(f)))
			return -E2BIG;
		n = hvk_gpa_range_fill((void *)p, left, skb_frag_address(f), skb_frag_size(f));
		if (n < 0)
			return n;
		h->range_cnt++;
		p += n;
		left -= (n - sizeof(struct hvk_gpa_range)) / sizeof(u64);
	}
	return p - (u8 *)(h + 1);
}

/*
 * A frame larger than a section (or with every section in use): the
 * skb's own pages, RNDIS header pushed in front, a GPA range for the head
 * and one per page fragment; only a frame that needs more pages than that
 * (or has a frag list) is made linear first. A shared skb (pktgen sends
 * one skb several times) is not ours to push into or to queue: a private
 * copy goes instead, and the original is let go once it went out.
 */
static int nv_xmit_gpa(struct nv_chan *q, struct sk_buff *orig, const void *hdr, u32 hlen,
		       bool more)
{
	struct netvsc *nv = q->nv;
	u64 d[(sizeof(struct hvk_pkt_gpa_direct) +
	       (MAX_SKB_FRAGS + 1) * sizeof(struct hvk_gpa_range)) / 8 + NV_MAX_PFNS] = {};
	struct hvk_pkt_gpa_direct *h = (void *)d;
	struct hvk_nvsp_msg m = { .type = HVK_NVSP1_SEND_RNDIS_PKT };
	struct sk_buff *skb = orig;
	u64 id, ctx;
	int n, ret;

	if (skb_shared(orig)) {
		skb = skb_copy_expand(orig, hlen, 0, GFP_ATOMIC);
		if (!skb)
			return -ENOMEM;
	}
	ret = -ENOMEM;
	if (skb_cow_head(skb, hlen))
		goto fail;
	memcpy(skb_push(skb, hlen), hdr, hlen);
	n = nv_gpa_ranges(skb, h);
	if (n == -E2BIG) {
		nv_count(nv, NV_TX_LINEAR);
		n = skb_linearize(skb) ? -ENOMEM : nv_gpa_ranges(skb, h);
	}
	if (n < 0) {
		skb_pull(skb, hlen);
		ret = n;
		goto fail;
	}
	m.rndis_pkt.channel_type = HVK_NVSP_CHAN_DATA;
	m.rndis_pkt.section_index = HVK_NVSP_NO_SECTION;
	skb_queue_tail(&nv->tx_inflight, skb);
	ret = hvk_rqst_add(q->ch, (u64)(uintptr_t)skb | NV_CTX_SKB, &id);
	if (!ret) {
		ret = hvk_channel_send_gpa_batch(q->ch, h, sizeof(*h) + n, &m, sizeof(m), id, more);
		if (ret)
			hvk_rqst_take(q->ch, id, &ctx);
	}
	if (ret) {
		skb_unlink(skb, &nv->tx_inflight);
		skb_pull(skb, hlen);
		if (ret == -EAGAIN)
			WRITE_ONCE(q->tx_need, sizeof(*h) + n + sizeof(m));
		goto fail;
	}
	if (skb != orig)
		dev_consume_skb_any(orig);
	return 0;
fail:
	if (skb != orig)
		dev_kfree_skb_any(skb);
	return ret;
}

static void nv_tx_count(struct nv_chan *q, int stat, u64 n)
{
	u64_stats_update_begin(&q->tx_syncp);
	q->tx[stat] += n;
	u64_stats_update_end(&q->tx_syncp);
}

/* A dropped frame may end a batch: what the batch wrote goes out. */
static netdev_tx_t nv_xmit_drop(struct nv_chan *q, struct sk_buff *skb, bool more)
{
	nv_count(q->nv, NV_TX_DROPPED);
	nv_tx_count(q, 2, 1);
	dev_kfree_skb_any(skb);
	if (!more)
		hvk_channel_flush(q->ch);
	return NETDEV_TX_OK;
}

/* The per-packet info of one frame, at most three entries. */
struct nv_txhdr {
	struct hvk_rndis_hdr h;
	struct hvk_rndis_packet p;
	u8 ppi[3 * HVK_PPI_SIZE];
};
#define NV_TX_HDR_MAX	sizeof(struct nv_txhdr)

static void nv_ppi_add(struct nv_txhdr *t, u32 type, u32 val)
{
	hvk_ppi_put(t->ppi + t->p.ppi_len, type, val);
	t->p.ppi_len += HVK_PPI_SIZE;
}

/*
 * The frame's offloads as per-packet info (as upstream netvsc): its
 * 802.1Q tag, LSO v2 (IPv4: total length and IP checksum 0, the TCP
 * checksum the pseudo header's without length) or the checksum the host
 * computes. A checksum the host was not asked to do is done here.
 * -errno when the frame cannot go.
 */
static int nv_tx_offloads(struct netvsc *nv, struct sk_buff *skb, struct nv_txhdr *t)
{
	u32 on = READ_ONCE(nv->ofl_on), v, thoff;
	u8 proto;

	t->p.ppi_off = sizeof(t->p);
	if (skb_vlan_tag_present(skb)) {
		u16 tci = skb_vlan_tag_get(skb);

		nv_ppi_add(t, HVK_PPI_VLAN, (tci & VLAN_VID_MASK) << 4 |
			   (!!(tci & VLAN_CFI_MASK)) << 3 | tci >> VLAN_PRIO_SHIFT);
	}
	if (skb_is_gso(skb)) {
		bool v6 = skb_shinfo(skb)->gso_type & SKB_GSO_TCPV6;

		if (!(skb_shinfo(skb)->gso_type & (SKB_GSO_TCPV4 | SKB_GSO_TCPV6)) ||
		    !(on & (v6 ? HVK_OFL_LSO6 : HVK_OFL_LSO4)) || skb_cow_head(skb, 0))
			return -EINVAL;
		thoff = skb_transport_offset(skb);
		if (thoff > 0x3ff || skb_shinfo(skb)->gso_size > 0xfffff)
			return -EINVAL;
		if (!v6) {
			ip_hdr(skb)->tot_len = 0;
			ip_hdr(skb)->check = 0;
			tcp_hdr(skb)->check = ~csum_tcpudp_magic(ip_hdr(skb)->saddr,
								 ip_hdr(skb)->daddr, 0,
								 IPPROTO_TCP, 0);
		} else {
			tcp_v6_gso_csum_prep(skb);
		}
		v = HVK_LSO_V2 | (v6 ? HVK_LSO_IPV6 : 0) | thoff << 20 | skb_shinfo(skb)->gso_size;
		nv_ppi_add(t, HVK_PPI_LSO, v);
		nv_count(nv, NV_TX_LSO);
		return 0;
	}
	if (skb->ip_summed != CHECKSUM_PARTIAL)
		return 0;
	thoff = skb_checksum_start_offset(skb);
	if (skb->protocol == htons(ETH_P_IP)) {
		proto = ip_hdr(skb)->protocol;
		v = HVK_CSUM_TX_IPV4;
		on &= proto == IPPROTO_TCP ? HVK_OFL_TX_TCP4 : proto == IPPROTO_UDP ?
		      HVK_OFL_TX_UDP4 : 0;
	} else if (skb->protocol == htons(ETH_P_IPV6)) {
		proto = ipv6_hdr(skb)->nexthdr;
		v = HVK_CSUM_TX_IPV6;
		on &= proto == IPPROTO_TCP ? HVK_OFL_TX_TCP6 : proto == IPPROTO_UDP ?
		      HVK_OFL_TX_UDP6 : 0;
	} else {
		on = 0;
	}
	/* Only the transport header right after the IP header, as the host's. */
	if (!on || thoff > 0x3ff || thoff != skb_transport_offset(skb))
		return skb_checksum_help(skb);
	v |= (proto == IPPROTO_TCP ? HVK_CSUM_TX_TCP : HVK_CSUM_TX_UDP) | thoff << 16;
	nv_ppi_add(t, HVK_PPI_CSUM, v);
	nv_count(nv, NV_TX_CSUM);
	return 0;
}

/* Under the TX queue's lock: one sender per channel. */
static netdev_tx_t nv_xmit(struct sk_buff *skb, struct net_device *ndev)
{
	struct netvsc *nv = netdev_priv(ndev);
	u16 qi = skb_get_queue_mapping(skb);
	struct nv_txhdr hdr = {};
	u32 len = skb->len, hlen, total;
	/*
	 * xmit_more: the stack has more frames for this queue at once. They
	 * are written to the ring unpublished, and the last one publishes
	 * them all with one barrier and at most one signal to the host.
	 */
	bool more = netdev_xmit_more();
	struct nv_chan *q;
	int ret;

	/* The stack maps to a queue below real_num_tx_queues: an open channel. */
	q = qi < NV_MAX_CHANS ? nv->chans[qi] : NULL;
	if (nv_vf_xmit(&nv->vf, skb)) {
		/* What a batch wrote before the switch goes out. */
		if (!more && q && READ_ONCE(q->open))
			hvk_channel_flush(q->ch);
		return NETDEV_TX_OK;
	}
	if (unlikely(!q || !READ_ONCE(q->open))) {
		nv_count(nv, NV_TX_DROPPED);
		dev_kfree_skb_any(skb);
		return NETDEV_TX_OK;
	}
	if (len < ETH_HLEN || (!skb_is_gso(skb) && len > ndev->mtu + VLAN_ETH_HLEN) ||
	    (skb_is_gso(skb) && len > nv->lso_max + ETH_HLEN))
		return nv_xmit_drop(q, skb, more);
	if (nv_tx_offloads(nv, skb, &hdr))
		return nv_xmit_drop(q, skb, more);
	hlen = HVK_RNDIS_PKT_HDR + hdr.p.ppi_len;
	total = hlen + len;
	if (!hdr.p.ppi_len)
		hdr.p.ppi_off = 0;
	hdr.h.type = HVK_RNDIS_PACKET;
	hdr.h.len = total;
	hdr.p.data_off = sizeof(hdr.p) + hdr.p.ppi_len;
	hdr.p.data_len = len;
	ret = -ENOSPC;
	if (total <= nv->send_section)
		ret = nv_xmit_section(q, skb, &hdr, hlen, total, more);
	if (ret == -ENOSPC) {
		ret = nv_xmit_gpa(q, skb, &hdr, hlen, more);
		if (!ret)
			nv_count(nv, NV_TX_GPA);
	} else if (!ret) {
		dev_consume_skb_any(skb);
	}
	if (ret == -EAGAIN) {
		/* Ring full: stop, ask for a signal once it fits, look once more. */
		u32 need = READ_ONCE(q->tx_need) ? : sizeof(struct hvk_pkt_desc) + HVK_NVSP_MSG_SIZE;

		nv_count(nv, NV_TX_BUSY);
		nv_tx_count(q, 3, 1);
		netif_stop_subqueue(ndev, q->idx);
		WRITE_ONCE(q->tx_need, need);
		hvk_channel_set_pending_send(q->ch, need);
		if (hvk_channel_out_avail(q->ch) >= need) {
			WRITE_ONCE(q->tx_need, 0);
			hvk_channel_set_pending_send(q->ch, 0);
			netif_wake_subqueue(ndev, q->idx);
		}
		return NETDEV_TX_BUSY;
	}
	if (ret)
		return nv_xmit_drop(q, skb, more);
	u64_stats_update_begin(&q->tx_syncp);
	q->tx[0]++;
	q->tx[1] += len;
	u64_stats_update_end(&q->tx_syncp);
	if (more)
		nv_count(nv, NV_TX_BATCHED);
	return NETDEV_TX_OK;
}

/* ---- attach and detach: the channel, NVSP, the buffers, RNDIS ---- */

static int nv_negotiate(struct netvsc *nv)
{
	static const u32 vers[] = { HVK_NVSP_V61, HVK_NVSP_V6, HVK_NVSP_V5, HVK_NVSP_V4,
				    HVK_NVSP_V2 };
	struct hvk_nvsp_msg m, r;
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(vers); i++) {
		memset(&m, 0, sizeof(m));
		m.type = HVK_NVSP_INIT;
		m.init.min_ver = vers[i];
		m.init.max_ver = vers[i];
		ret = nv_nvsp_request(nv, &m, HVK_NVSP_INIT_COMPLETE);
		if (ret)
			return ret;
		memcpy(&r, nv->ctl_reply, min_t(u32, nv->ctl_len, sizeof(r)));
		if (r.init_complete.status != HVK_NVSP_STAT_SUCCESS)
			continue;
		if (r.init_complete.ver != vers[i]) {
			nv_count(nv, NV_BAD_VERSION);
			nv_err(nv, "the host agreed to NVSP version %#x, not the %#x asked for\n",
			       r.init_complete.ver, vers[i]);
			return -EPROTO;
		}
		nv->nvsp_ver = vers[i];
		break;
	}
	if (!nv->nvsp_ver) {
		netdev_err(nv->ndev, "the host accepts no NVSP version from 2 to 6.1\n");
		return -EPROTO;
	}
	nv->ndis_ver = nv->nvsp_ver <= HVK_NVSP_V4 ? HVK_NDIS_6_1 : HVK_NDIS_6_30;
	memset(&m, 0, sizeof(m));
	m.type = HVK_NVSP1_SEND_NDIS_VER;
	m.ndis_ver.major = nv->ndis_ver >> 16;
	m.ndis_ver.minor = nv->ndis_ver & 0xffff;
	ret = nv_nvsp_post(nv, &m);
	if (ret)
		return ret;
	memset(&m, 0, sizeof(m));
	m.type = HVK_NVSP2_SEND_NDIS_CONFIG;
	m.ndis_config.mtu = nv->ndev->mtu + ETH_HLEN;
	m.ndis_config.caps = HVK_NVSP_CAP_8021Q;
	if (nv->nvsp_ver >= HVK_NVSP_V5)
		m.ndis_config.caps |= HVK_NVSP_CAP_TEAMING;
	if (nv->nvsp_ver >= HVK_NVSP_V61)
		m.ndis_config.caps |= HVK_NVSP_CAP_RSC;	/* we assemble RSC fragments */
	return nv_nvsp_post(nv, &m);
}

static void nv_buf_free(struct netvsc *nv, void **buf, u32 size, struct hvk_gpadl *g,
			const char *what)
{
	if (!*buf)
		return;
	if (hvk_gpadl_teardown(nv->ch, g))
		hvk_leak_for_host(&nv->hdev->dev, *buf, size, what);
	else
		vfree(*buf);
	*buf = NULL;
}

/* The largest receive buffer the protocol allows (upstream: 15 MiB up to NVSP 2). */
static u32 nv_recv_buf_max(const struct netvsc *nv)
{
	return nv->nvsp_ver <= HVK_NVSP_V2 ? HVK_NVSP_RECV_BUF_MAX_LEGACY : HVK_NVSP_RECV_BUF_MAX;
}

static int nv_buffers(struct netvsc *nv)
{
	struct hvk_nvsp_msg m = {}, r;
	const char *why;
	int ret;

	/* Whole pages, as upstream; the protocol's limit for the version. */
	nv->recv_size = min_t(u64, round_up((u64)nv->rx_secs * nv->rx_secsize, PAGE_SIZE),
			      nv_recv_buf_max(nv));
	nv->recv_buf = vzalloc(nv->recv_size);
	if (!nv->recv_buf)
		return -ENOMEM;
	ret = hvk_gpadl_create(nv->ch, nv->recv_buf, nv->recv_size, &nv->recv_gpadl);
	if (ret) {
		vfree(nv->recv_buf);
		nv->recv_buf = NULL;
		return ret;
	}
	m.type = HVK_NVSP1_SEND_RECV_BUF;
	m.buf.gpadl = nv->recv_gpadl.handle;
	m.buf.id = HVK_NVSP_RECV_BUF_ID;
	ret = nv_nvsp_request(nv, &m, HVK_NVSP1_SEND_RECV_BUF_COMPLETE);
	if (ret)
		return ret;
	memcpy(&r, nv->ctl_reply, min_t(u32, nv->ctl_len, sizeof(r)));
	why = hvk_nvsp_rxbuf_check(&r.recv_buf_complete, nv->recv_size, 64);
	if (why) {
		nv_count(nv, NV_BAD_NVSP);
		netdev_err(nv->ndev, "receive buffer: %s\n", why);
		return -EPROTO;
	}
	nv->recv_end = r.recv_buf_complete.section.end_offset;
	nv->recv_nsec = r.recv_buf_complete.section.num_sub_allocs;
	nv->rx_secsize = r.recv_buf_complete.section.sub_alloc_size;

	nv->send_size = min_t(u64, round_up((u64)nv->tx_secs * nv->tx_secsize, PAGE_SIZE),
			      HVK_NVSP_SEND_BUF_MAX);
	nv->send_buf = vzalloc(nv->send_size);
	if (!nv->send_buf)
		return -ENOMEM;
	ret = hvk_gpadl_create(nv->ch, nv->send_buf, nv->send_size, &nv->send_gpadl);
	if (ret) {
		vfree(nv->send_buf);
		nv->send_buf = NULL;
		return ret;
	}
	memset(&m, 0, sizeof(m));
	m.type = HVK_NVSP1_SEND_SEND_BUF;
	m.buf.gpadl = nv->send_gpadl.handle;
	m.buf.id = HVK_NVSP_SEND_BUF_ID;
	ret = nv_nvsp_request(nv, &m, HVK_NVSP1_SEND_SEND_BUF_COMPLETE);
	if (ret)
		return ret;
	memcpy(&r, nv->ctl_reply, min_t(u32, nv->ctl_len, sizeof(r)));
	if (r.send_buf_complete.status != HVK_NVSP_STAT_SUCCESS ||
	    r.send_buf_complete.section_size < HVK_RNDIS_PKT_HDR + ETH_ZLEN ||
	    r.send_buf_complete.section_size > nv->send_size) {
		nv_count(nv, NV_BAD_NVSP);
		netdev_err(nv->ndev, "send buffer refused, or a section size of %u bytes\n",
			   r.send_buf_complete.section_size);
		return -EPROTO;
	}
	nv->send_section = r.send_buf_complete.section_size;
	nv->tx_secsize = nv->send_section;
	nv->send_nsec = nv->send_size / nv->send_section;
	nv->send_map = bitmap_zalloc(nv->send_nsec, GFP_KERNEL);
	return nv->send_map ? 0 : -ENOMEM;
}

static int nv_rndis_init(struct netvsc *nv, u8 *mac)
{
	struct {
		struct hvk_rndis_hdr h;
		struct hvk_rndis_init_req q;
	} m = {};
	u32 link, frame, speed, mcl;
	int ret;

	m.h.type = HVK_RNDIS_INIT;
	m.h.len = sizeof(m);
	m.q.major = HVK_RNDIS_MAJOR;
	m.q.minor = HVK_RNDIS_MINOR;
	m.q.max_xfer_size = 0x4000;
	ret = nv_rndis_request(nv, &m, sizeof(m), HVK_RNDIS_INIT_C);
	if (ret)
		return ret;
	ret = nv_query(nv, HVK_OID_802_3_PERMANENT_ADDRESS, mac, ETH_ALEN);
	if (ret)
		return ret;
	if (!is_valid_ether_addr(mac)) {
		netdev_err(nv->ndev, "the host gave MAC %pM, not a unicast address\n", mac);
		return -EPROTO;
	}
	ret = nv_query(nv, HVK_OID_GEN_MEDIA_CONNECT_STATUS, &link, 4);
	if (!ret)
		ret = nv_query(nv, HVK_OID_GEN_LINK_SPEED, &speed, 4);
	if (!ret)
		ret = nv_query(nv, HVK_OID_GEN_MAXIMUM_FRAME_SIZE, &frame, 4);
	if (ret)
		return ret;
	WRITE_ONCE(nv->speed, speed / 10000);
	nv->host_mtu = clamp_t(u32, frame, ETH_MIN_MTU, NV_MTU_MAX);
	/* A host without a multicast list: all multicast, as upstream always asks. */
	if (nv_query(nv, HVK_OID_802_3_MAXIMUM_LIST_SIZE, &mcl, 4))
		mcl = 0;
	WRITE_ONCE(nv->mc_max, min_t(u32, mcl, NV_MC_MAX));
	if (link == 0)
		netif_carrier_on(nv->ndev);
	else
		netif_carrier_off(nv->ndev);
	return 0;
}

/* ---- offloads: what the host grants, what the features ask for ---- */

/*
 * The features an offload grant can give; the rest are fixed. Not USO
 * (NETIF_F_GSO_UDP_L4, tx-udp-segmentation): NDIS 6.30's RNDIS has no
 * per-packet info for it, and openvmm's netvsp says it is not supported
 * (its issue 3453); the stack segments UDP GSO sends before they come here.
 */
#define NV_OFL_FEATURES	(NETIF_F_RXCSUM | NETIF_F_IP_CSUM | NETIF_F_IPV6_CSUM | \
			 NETIF_F_TSO | NETIF_F_TSO6 | NETIF_F_LRO)

/* What the host grants, as features (HVK_OFL_* to NETIF_F_*). */
static netdev_features_t nv_ofl_features(u32 ofl)
{
	netdev_features_t f = 0;

	BUILD_BUG_ON(NV_OFL_FEATURES & NETIF_F_GSO_UDP_L4);
	if (ofl & HVK_OFL_RX_CSUM)
		f |= NETIF_F_RXCSUM;
	if (ofl & HVK_OFL_TX_TCP4)
		f |= NETIF_F_IP_CSUM;
	if (ofl & HVK_OFL_TX_TCP6)
		f |= NETIF_F_IPV6_CSUM;
	if (ofl & HVK_OFL_LSO4)
		f |= NETIF_F_TSO;
	if (ofl & HVK_OFL_LSO6)
		f |= NETIF_F_TSO6;
	if (ofl & HVK_OFL_RSC4)
		f |= NETIF_F_LRO;
	return f;
}

/* The offloads that @f turns on, within the grant. */
static u32 nv_ofl_wanted(struct netvsc *nv, netdev_features_t f)
{
	u32 on = 0;

	if (f & NETIF_F_RXCSUM)
		on |= HVK_OFL_RX_CSUM;
	if (f & NETIF_F_IP_CSUM)
		on |= HVK_OFL_TX_TCP4 | HVK_OFL_TX_UDP4;
	if (f & NETIF_F_IPV6_CSUM)
		on |= HVK_OFL_TX_TCP6 | HVK_OFL_TX_UDP6;
	if ((f & NETIF_F_TSO) && (f & NETIF_F_IP_CSUM))
		on |= HVK_OFL_LSO4;
	if ((f & NETIF_F_TSO6) && (f & NETIF_F_IPV6_CSUM))
		on |= HVK_OFL_LSO6;
	if (f & NETIF_F_LRO)
		on |= HVK_OFL_RSC4 | HVK_OFL_RSC6;
	return on & nv->ofl_granted;
}

/* Tells the host which offloads are on. Under ctl_lock. */
static int nv_ofl_set(struct netvsc *nv, u32 on)
{
	struct hvk_ndis_offload_params p;
	u32 len = hvk_offload_params_fill(&p, on, nv->nvsp_ver);
	int ret;

	/* Off first in the data path: no frame asks for what the host stops. */
	WRITE_ONCE(nv->ofl_on, nv->ofl_on & on);
	ret = nv_set(nv, HVK_OID_TCP_OFFLOAD_PARAMETERS, &p, len);
	if (!ret)
		WRITE_ONCE(nv->ofl_on, on);
	return ret;
}

/*
 * At attach (ctl_lock, rtnl or probe): the host's capabilities, the
 * features they allow, and the host told what is on. A host that has
 * none to give (NOT_SUPPORTED) grants nothing; the device works without.
 */
static void nv_offloads(struct netvsc *nv)
{
	struct net_device *ndev = nv->ndev;
	struct {
		struct hvk_rndis_hdr h;
		struct hvk_rndis_oid_req q;
	} qm = {};
	netdev_features_t hw;
	struct hvk_rndis_view v;
	const char *why;
	u32 ofl = 0, lso_max = 0;

	nv->ofl_on = 0;
	qm.h.type = HVK_RNDIS_QUERY;
	qm.h.len = sizeof(qm);
	qm.q.oid = HVK_OID_TCP_OFFLOAD_HW_CAPS;
	if (!nv_rndis_request(nv, &qm, sizeof(qm), HVK_RNDIS_QUERY_C)) {
		why = hvk_rndis_check(nv->ctl_reply, nv->ctl_len, &v);
		if (!why)
			why = hvk_offload_caps_parse(nv->ctl_reply + v.data_off, v.data_len,
						     &ofl, &lso_max);
		if (why) {
			nv_count(nv, NV_BAD_RNDIS);
			nv_err(nv, "offload capabilities ignored: %s\n", why);
			ofl = 0;
		}
	}
	nv->ofl_granted = ofl;
	nv->lso_max = min_t(u32, lso_max, GSO_LEGACY_MAX_SIZE);
	if (nv->lso_max < 2 * ETH_DATA_LEN)
		nv->ofl_granted &= ~(HVK_OFL_LSO4 | HVK_OFL_LSO6);
	/* RSC: both IP versions (as upstream), and only to a guest that said it takes it. */
	if (nv->nvsp_ver < HVK_NVSP_V61 || (ofl & (HVK_OFL_RSC4 | HVK_OFL_RSC6)) !=
					   (HVK_OFL_RSC4 | HVK_OFL_RSC6))
		nv->ofl_granted &= ~(HVK_OFL_RSC4 | HVK_OFL_RSC6);
	hw = nv_ofl_features(nv->ofl_granted);
	ndev->hw_features = (ndev->hw_features & ~NV_OFL_FEATURES) | hw;
	/* What the host no longer grants goes; what is new is on at probe. */
	ndev->features &= ~NV_OFL_FEATURES | hw;
	if (ndev->reg_state == NETREG_UNINITIALIZED)
		ndev->features |= hw;
	if (nv->lso_max)
		netif_set_tso_max_size(ndev, nv->lso_max);
	if (nv_ofl_set(nv, nv_ofl_wanted(nv, ndev->features)))
		netdev_err(ndev, "the host refused the offload parameters\n");
}

/* ethtool -K: the host is told first; if it refuses, the features stay. */
static int nv_set_features(struct net_device *ndev, netdev_features_t f)
{
	struct netvsc *nv = netdev_priv(ndev);
	int ret = 0;

	if (!((ndev->features ^ f) & NV_OFL_FEATURES))
		return 0;
	mutex_lock(&nv->ctl_lock);
	if (nv->attached)
		ret = nv_ofl_set(nv, nv_ofl_wanted(nv, f));
	mutex_unlock(&nv->ctl_lock);
	return ret;
}

/* ---- channels: the primary and the sub-channels (vRSS) ---- */

/* A channel's state, allocated once (rtnl or probe: NAPI is added here). */
static struct nv_chan *nv_chan_get(struct netvsc *nv, u16 idx)
{
	struct nv_chan *q = nv->chans[idx];

	if (q)
		return q;
	q = kvzalloc(sizeof(*q), GFP_KERNEL);
	if (!q)
		return NULL;
	q->rxpkt = kvmalloc(HVK_PKT_MAX_LEN, GFP_KERNEL);
	if (!q->rxpkt) {
		kvfree(q);
		return NULL;
	}
	q->nv = nv;
	q->idx = idx;
	INIT_KFIFO(q->comps);
	u64_stats_init(&q->tx_syncp);
	u64_stats_init(&q->rx_syncp);
	netif_napi_add(nv->ndev, &q->napi, nv_poll);
	nv->chans[idx] = q;
	return q;
}

static void nv_set_open(struct nv_chan *q, bool open)
{
	struct netdev_queue *txq = netdev_get_tx_queue(q->nv->ndev, q->idx);

	/* xmit reads it under this lock: none is sending once it is false. */
	__netif_tx_lock_bh(txq);
	WRITE_ONCE(q->open, open);
	__netif_tx_unlock_bh(txq);
}

static int nv_chan_open(struct nv_chan *q, struct hvk_channel *ch)
{
	u32 ring = clamp_t(u32, ring_kb, 16, 2048) * 1024;
	int ret;

	q->ch = ch;
	q->tx_need = 0;
	kfifo_reset(&q->comps);
	napi_enable(&q->napi);
	ret = hvk_channel_open(ch, ring, ring, NULL, 0, nv_callback, q);
	if (ret) {
		napi_disable(&q->napi);
		return ret;
	}
	nv_set_open(q, true);
	return 0;
}

/* No callback and no NAPI on it after this; the rings stay. */
static void nv_chan_quiesce(struct nv_chan *q)
{
	nv_set_open(q, false);
	hvk_channel_stop_callbacks(q->ch);
	napi_disable(&q->napi);
}

/* The sub-channel callbacks run on the core's sub-channel work, in turn. */
static void nv_sc_added(struct hvk_channel *ch, void *ctx)
{
	struct netvsc *nv = ctx;
	u16 idx = hvk_channel_subidx(ch);
	struct nv_chan *q;
	int ret;

	/* Only those asked for this time: the host may offer more from before. */
	if (!idx || idx >= NV_MAX_CHANS || idx > READ_ONCE(nv->sc_want))
		return;
	q = nv->chans[idx];
	if (!q || q->open)
		return;
	ret = nv_chan_open(q, ch);
	if (ret) {
		netdev_err(nv->ndev, "sub-channel %u did not open (%d)\n", idx, ret);
		return;
	}
	atomic_inc(&nv->sc_open);
	wake_up(&nv->wq);
}

static void nv_sc_removed(struct hvk_channel *ch, void *ctx)
{
	struct netvsc *nv = ctx;
	u16 idx = hvk_channel_subidx(ch);
	struct nv_chan *q;

	if (!idx || idx >= NV_MAX_CHANS)
		return;
	q = nv->chans[idx];
	if (!q || !q->open || q->ch != ch)
		return;
	nv_chan_quiesce(q);
	hvk_channel_close(ch);
	atomic_dec(&nv->sc_open);
}

static void nv_sc_unhook(struct netvsc *nv)
{
	WRITE_ONCE(nv->sc_want, 0);
	/* Closes every open sub-channel through nv_sc_removed(). */
	hvk_channel_set_subchannel_cbs(nv->ch, NULL, NULL, NULL);
}

/* The RSS key and an indirection table spreading over @n channels. */
static int nv_set_rss(struct netvsc *nv, u32 n)
{
	u32 len = sizeof(struct hvk_rss_params) + HVK_RSS_ITAB_LEN * 4 + HVK_RSS_KEY_LEN;
	struct hvk_rss_params *p;
	u32 *itab, i;
	int ret;

	p = kzalloc(len, GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	p->hdr.type = HVK_NDIS_OBJ_RSS_PARAMETERS;
	p->hdr.rev = 2;
	p->hdr.size = sizeof(*p);
	p->hash_info = HVK_RSS_HASH_TOEPLITZ | HVK_RSS_HASH_IPV4 | HVK_RSS_HASH_TCP_IPV4 |
		       HVK_RSS_HASH_IPV6 | HVK_RSS_HASH_TCP_IPV6;
	p->itab_size = HVK_RSS_ITAB_LEN * 4;
	p->itab_off = sizeof(*p);
	p->key_size = HVK_RSS_KEY_LEN;
	p->key_off = p->itab_off + p->itab_size;
	itab = (u32 *)(p + 1);
	/* ethtool -X's table while it fits the channels; else spread evenly. */
	for (i = 0; i < HVK_RSS_ITAB_LEN && nv->rss_user; i++)
		if (nv->rss_itab[i] >= n)
			nv->rss_user = false;
	for (i = 0; i < HVK_RSS_ITAB_LEN; i++)
		itab[i] = nv->rss_user ? nv->rss_itab[i] : i % n;
	memcpy(nv->rss_itab, itab, sizeof(nv->rss_itab));
	memcpy((u8 *)p + p->key_off, nv->rss_key, HVK_RSS_KEY_LEN);
	ret = nv_set(nv, HVK_OID_GEN_RSS_PARAMETERS, p, len);
	kfree(p);
	return ret;
}

/* The send table spreading flows over @n channels, as upstream starts it. */
static void nv_tx_table_spread(struct netvsc *nv, u32 n)
{
	u32 i;

	for (i = 0; i < HVK_SEND_TAB_LEN; i++)
		WRITE_ONCE(nv->tx_table[i], i % n);
}

/*
 * vRSS (NVSP 5 on): as many channels as wanted, up to the host's RSS
 * queues. Sub-channels are asked for and opened as offered; if that fails,
 * the device runs on the primary alone. Under ctl_lock (attach).
 */
static void nv_vrss(struct netvsc *nv)
{
	struct hvk_nvsp_msg m = { .type = HVK_NVSP5_SUBCHANNEL }, r;
	struct hvk_rss_caps caps;
	struct {
		struct hvk_rndis_hdr h;
		struct hvk_rndis_oid_req q;
	} qm = {};
	struct hvk_rndis_view v;
	u32 want, got, i;
	int ret;

	nv->num_chn = 1;
	nv->max_chn = 1;
	nv_tx_table_spread(nv, 1);
	if (nv->nvsp_ver < HVK_NVSP_V5)
		return;
	qm.h.type = HVK_RNDIS_QUERY;
	qm.h.len = sizeof(qm);
	qm.q.oid = HVK_OID_GEN_RSS_CAPABILITIES;
	if (nv_rndis_request(nv, &qm, sizeof(qm), HVK_RNDIS_QUERY_C))
		return;		/* the host has no vRSS */
	if (hvk_rndis_check(nv->ctl_reply, nv->ctl_len, &v) || v.data_len < HVK_RSS_CAPS_LEN) {
		nv_count(nv, NV_BAD_RNDIS);
		nv_err(nv, "RSS capabilities of %u bytes, not %u\n", v.data_len, HVK_RSS_CAPS_LEN);
		return;
	}
	memcpy(&caps, nv->ctl_reply + v.data_off, HVK_RSS_CAPS_LEN);
	nv->max_chn = clamp_t(u32, caps.num_queues, 1, NV_MAX_CHANS);
	want = min_t(u32, nv->want_chn ? : netif_get_num_default_rss_queues(), nv->max_chn);
	if (want < 2)
		return;
	for (i = 1; i < want; i++)
		if (!nv_chan_get(nv, i))
			return;
	atomic_set(&nv->sc_open, 0);
	WRITE_ONCE(nv->sc_want, want - 1);
	hvk_channel_set_subchannel_cbs(nv->ch, nv_sc_added, nv_sc_removed, nv);
	m.subchannel.op = HVK_NVSP_SUBCHANNEL_ALLOCATE;
	m.subchannel.num = want - 1;
	ret = nv_nvsp_request(nv, &m, HVK_NVSP5_SUBCHANNEL);
	if (ret)
		goto single;
	memcpy(&r, nv->ctl_reply, min_t(u32, nv->ctl_len, sizeof(r)));
	got = r.subchannel.num;
	if (r.subchannel.op != HVK_NVSP_STAT_SUCCESS || !got || got > want - 1) {
		nv_count(nv, NV_BAD_NVSP);
		nv_err(nv, "sub-channels: asked for %u, the host answered status %u, %u\n",
		       want - 1, r.subchannel.op, got);
		goto single;
	}
	WRITE_ONCE(nv->sc_want, got);
	/* The host sends its table once they are open; till then, this one. */
	nv_tx_table_spread(nv, got + 1);
	/* Each is offered, then opened by nv_sc_added(). */
	if (!wait_event_timeout(nv->wq, atomic_read(&nv->sc_open) >= got ||
				hvk_channel_rescinded(nv->ch), NV_TIMEOUT))
		netdev_err(nv->ndev, "%d of %u sub-channels opened\n",
			   atomic_read(&nv->sc_open), got);
	for (i = 1; i <= got; i++)
		if (!nv->chans[i]->open)
			goto single;
	ret = nv_set_rss(nv, got + 1);
	if (ret) {
		/* As upstream: the channels stay, the host receives on the primary. */
		netdev_err(nv->ndev, "the host refused the RSS parameters (%d)\n", ret);
	}
	nv->num_chn = got + 1;
	return;
single:
	nv_sc_unhook(nv);
}

static void nv_detach(struct netvsc *nv);

/* Opens the channels and brings NVSP and RNDIS up. Under rtnl, or in probe. */
static int nv_attach(struct netvsc *nv, u8 *mac)
{
	struct nv_chan *q0 = nv_chan_get(nv, 0);
	int ret;

	if (!q0)
		return -ENOMEM;
	nv->nvsp_ver = 0;
	nv->num_chn = 1;
	hvk_channel_set_rescind_cb(nv->ch, nv_rescinded, nv);
	ret = nv_chan_open(q0, nv->ch);
	if (ret)
		return ret;
	nv->attached = true;
	mutex_lock(&nv->ctl_lock);
	ret = nv_negotiate(nv);
	if (!ret)
		ret = nv_buffers(nv);
	if (!ret)
		ret = nv_rndis_init(nv, mac);
	if (!ret)
		nv_offloads(nv);
	if (!ret)
		nv_vrss(nv);
	mutex_unlock(&nv->ctl_lock);
	if (ret)
		nv_detach(nv);
	return ret;
}

static void nv_detach(struct netvsc *nv)
{
	struct hvk_nvsp_msg m = {};

	if (!nv->attached)
		return;
	mutex_lock(&nv->ctl_lock);
	nv->attached = false;
	mutex_unlock(&nv->ctl_lock);
	/* Sub-channels first, as upstream closes them before the primary. */
	nv_sc_unhook(nv);
	/*
	 * The primary's NAPI stops before the revokes: a receive completion
	 * sent behind REVOKE_RECV_BUF names a transfer the host has already
	 * forgotten. What the host sent meanwhile stays in the ring, unread.
	 */
	nv_chan_quiesce(nv->chans[0]);
	/*
	 * The host stops using the buffers; their GPADLs go after the close,
	 * as upstream does on hosts from Windows Server 2016 on: the host
	 * handles the revokes on the channel's ring, a teardown on the message
	 * connection, and a teardown that overtakes its revoke finds the
	 * buffer still in use.
	 */
	if (nv->recv_buf && !hvk_channel_rescinded(nv->ch)) {
		m.type = HVK_NVSP1_REVOKE_RECV_BUF;
		m.revoke.id = HVK_NVSP_RECV_BUF_ID;
		nv_nvsp_post(nv, &m);
	}
	if (nv->send_buf && !hvk_channel_rescinded(nv->ch)) {
		m.type = HVK_NVSP1_REVOKE_SEND_BUF;
		m.revoke.id = HVK_NVSP_SEND_BUF_ID;
		nv_nvsp_post(nv, &m);
	}
	hvk_channel_close(nv->ch);
	nv_buf_free(nv, &nv->recv_buf, nv->recv_size, &nv->recv_gpadl, "receive buffer");
	nv_buf_free(nv, &nv->send_buf, nv->send_size, &nv->send_gpadl, "send buffer");
	/* The host completes nothing more: what it held is ours again. */
	skb_queue_purge(&nv->tx_inflight);
	bitmap_free(nv->send_map);
	nv->send_map = NULL;
	/* A control buffer the host never completed was lost with the channel. */
	if (atomic_xchg(&nv->rndis_inflight, 0))
		netdev_warn(nv->ndev, "an RNDIS control buffer the host held is lost\n");
	nv->send_section = 0;
	nv->send_nsec = 0;
	nv->recv_nsec = 0;
	nv->num_chn = 1;
}

/* ---- net_device ---- */

/*
 * The receive filter, set on open and on every ndo_set_rx_mode: frames to
 * our MAC, broadcasts with IFF_BROADCAST, everything with IFF_PROMISC, and
 * the multicast groups joined: by their list when the host keeps one that
 * long, else all multicast (IFF_ALLMULTI too), which is what upstream's
 * netvsc always asks. A host that refuses the list gets the latter.
 */
static int nv_set_rx_filter(struct netvsc *nv)
{
	struct net_device *ndev = nv->ndev;
	u8 list[NV_MC_MAX][ETH_ALEN];
	struct netdev_hw_addr *ha;
	u32 f = HVK_RNDIS_FILTER_DIRECTED, n = 0;
	int ret = 0;

	netif_addr_lock_bh(ndev);
	if (ndev->flags & IFF_BROADCAST)
		f |= HVK_RNDIS_FILTER_BROADCAST;
	if (ndev->flags & IFF_PROMISC)
		f |= HVK_RNDIS_FILTER_PROMISCUOUS;
	if ((ndev->flags & IFF_ALLMULTI) || netdev_mc_count(ndev) > READ_ONCE(nv->mc_max)) {
		f |= HVK_RNDIS_FILTER_ALL_MULTICAST;
	} else if (!netdev_mc_empty(ndev)) {
		f |= HVK_RNDIS_FILTER_MULTICAST;
		netdev_for_each_mc_addr(ha, ndev) {
			if (n == NV_MC_MAX)
				break;
			ether_addr_copy(list[n++], ha->addr);
		}
	}
	netif_addr_unlock_bh(ndev);

	mutex_lock(&nv->ctl_lock);
	if (!nv->attached)
		goto out;
	if ((f & HVK_RNDIS_FILTER_MULTICAST) &&
	    nv_set(nv, HVK_OID_802_3_MULTICAST_LIST, list, n * ETH_ALEN)) {
		netdev_dbg(ndev, "the host refused a multicast list of %u: all multicast\n", n);
		f ^= HVK_RNDIS_FILTER_MULTICAST | HVK_RNDIS_FILTER_ALL_MULTICAST;
	}
	ret = nv_set(nv, HVK_OID_GEN_CURRENT_PACKET_FILTER, &f, 4);
out:
	mutex_unlock(&nv->ctl_lock);
	return ret;
}

/*
 * ethtool --reset ... mac (or all): an RNDIS reset of the adapter, the
 * receive filter set again if the host's addressing went with it. The
 * data path stays up meanwhile, as an NDIS miniport's reset.
 */
static int nv_ethtool_reset(struct net_device *ndev, u32 *flags)
{
	struct netvsc *nv = netdev_priv(ndev);
	bool addressing = false;
	int ret;

	if (!(*flags & ETH_RESET_MAC))
		return -EOPNOTSUPP;
	mutex_lock(&nv->ctl_lock);
	ret = nv->attached ? nv_rndis_reset(nv, &addressing) : -ENODEV;
	mutex_unlock(&nv->ctl_lock);
	if (ret) {
		netdev_err(ndev, "the host did not complete an RNDIS reset (%d)\n", ret);
		return ret;
	}
	if (addressing && netif_running(ndev)) {
		ret = nv_set_rx_filter(nv);
		if (ret) {
			netdev_err(ndev, "the host refused the packet filter after a reset (%d)\n", ret);
			return ret;
		}
	}
	*flags &= ~ETH_RESET_MAC;
	return 0;
}

static void nv_rx_mode_work(struct work_struct *w)
{
	struct netvsc *nv = container_of(w, struct netvsc, rx_mode_work);

	/* Not under rtnl: nv_stop() waits for this work with it held. */
	if (netif_running(nv->ndev) && nv_set_rx_filter(nv))
		nv_err(nv, "the host refused the receive filter\n");
}

/* The answer to the host's KEEPALIVE: KEEPALIVE_C with its id, success. */
static void nv_ka_work(struct work_struct *w)
{
	struct netvsc *nv = container_of(w, struct netvsc, ka_work);
	struct {
		struct hvk_rndis_hdr h;
		struct hvk_rndis_cmplt c;
	} m = {};

	spin_lock_bh(&nv->ctl_rlock);
	m.c.req_id = nv->ka_req_id;
	nv->ka_req_id = 0;
	spin_unlock_bh(&nv->ctl_rlock);
	if (!m.c.req_id)
		return;
	m.h.type = HVK_RNDIS_KEEPALIVE_C;
	m.h.len = sizeof(m);
	m.c.status = HVK_RNDIS_STATUS_SUCCESS;
	mutex_lock(&nv->ctl_lock);
	if (nv->attached && nv_rndis_request(nv, &m, sizeof(m), 0))
		nv_err(nv, "the answer to the host's keepalive did not go\n");
	mutex_unlock(&nv->ctl_lock);
}

static void nv_set_rx_mode(struct net_device *ndev)
{
	struct netvsc *nv = netdev_priv(ndev);

	schedule_work(&nv->rx_mode_work);
}

static int nv_open(struct net_device *ndev)
{
	struct netvsc *nv = netdev_priv(ndev);
	int ret;

	if (!nv->attached)
		return -ENODEV;
	ret = nv_set_rx_filter(nv);
	if (ret) {
		netdev_err(ndev, "the host refused the packet filter (%d)\n", ret);
		return ret;
	}
	netif_tx_start_all_queues(ndev);
	nv_vf_open(&nv->vf);
	return 0;
}

static int nv_stop(struct net_device *ndev)
{
	struct netvsc *nv = netdev_priv(ndev);

	nv_vf_close(&nv->vf);
	netif_tx_disable(ndev);
	cancel_work_sync(&nv->rx_mode_work);
	nv_set_filter(nv, 0);
	return 0;
}

/* The stack's queues follow the channels in use. Under rtnl, or in probe. */
static void nv_set_queues(struct netvsc *nv)
{
	netif_set_real_num_tx_queues(nv->ndev, nv->num_chn);
	netif_set_real_num_rx_queues(nv->ndev, nv->num_chn);
}

/* What an attach is made with: the MTU, channels and buffer sections wanted. */
struct nv_cfg {
	int mtu;
	u32 chans, rx_secs, tx_secs;
};

static struct nv_cfg nv_cfg_now(const struct netvsc *nv)
{
	return (struct nv_cfg){ nv->ndev->mtu, nv->want_chn, nv->rx_secs, nv->tx_secs };
}

static void nv_cfg_set(struct netvsc *nv, const struct nv_cfg *c)
{
	WRITE_ONCE(nv->ndev->mtu, c->mtu);
	nv->want_chn = c->chans;
	nv->rx_secs = c->rx_secs;
	nv->tx_secs = c->tx_secs;
}

/*
 * The MTU (in NDIS config), the channel count (sub-channels) and the
 * buffers are set at attach: a change detaches the device from the host
 * and attaches it again, as upstream. The interface stays up meanwhile
 * (its queues stopped, netif_device_detach()), so that it keeps what an
 * interface going down would lose: IPv6 addresses, routes, neighbours.
 * If the attach fails, the old values are attached again. Under rtnl.
 */
static int nv_reopen(struct netvsc *nv, const struct nv_cfg *cfg)
{
	struct net_device *ndev = nv->ndev;
	bool running = netif_running(ndev);
	struct nv_cfg old = nv_cfg_now(nv);
	u8 mac[ETH_ALEN];
	int ret;

	if (running) {
		nv_vf_close(&nv->vf);
		/* No transmit in progress or to come until the attach. */
		netif_tx_disable(ndev);
		netif_device_detach(ndev);
		cancel_work_sync(&nv->rx_mode_work);
	}
	nv_detach(nv);
	nv_cfg_set(nv, cfg);
	ret = nv_attach(nv, mac);
	if (ret) {
		netdev_err(ndev, "reopening with MTU %d, %u channels, %u receive and %u send sections failed (%d); back to MTU %d, %u, %u and %u\n",
			   cfg->mtu, cfg->chans, cfg->rx_secs, cfg->tx_secs, ret, old.mtu,
			   old.chans, old.rx_secs, old.tx_secs);
		nv_cfg_set(nv, &old);
		ret = nv_attach(nv, mac) ? : -EIO;
	}
	nv_set_queues(nv);
	/* Not attached at all: it stays detached, with no carrier. */
	if (running && !nv->attached)
		netif_carrier_off(ndev);
	if (running && nv->attached) {
		netif_device_attach(ndev);
		/* The new RNDIS device starts with no packet filter. */
		if (nv_set_rx_filter(nv))
			netdev_err(ndev, "the host refused the packet filter after a reopen\n");
		nv_vf_open(&nv->vf);
	}
	return ret;
}

static int nv_change_mtu(struct net_device *ndev, int mtu)
{
	struct netvsc *nv = netdev_priv(ndev);
	struct nv_cfg cfg = nv_cfg_now(nv);

	if (mtu > nv->host_mtu)
		return -EINVAL;
	cfg.mtu = mtu;
	return nv_reopen(nv, &cfg);
}

/* A channel's counters, read consistently; false when it never existed. */
static bool nv_qstats(const struct nv_chan *q, u64 *tx, u64 *rx)
{
	unsigned int start;
	int i;

	if (!q)
		return false;
	do {
		start = u64_stats_fetch_begin(&q->tx_syncp);
		for (i = 0; i < NV_QSTATS_TX; i++)
			tx[i] = q->tx[i];
	} while (u64_stats_fetch_retry(&q->tx_syncp, start));
	do {
		start = u64_stats_fetch_begin(&q->rx_syncp);
		for (i = 0; i < NV_QSTATS_RX; i++)
			rx[i] = q->rx[i];
	} while (u64_stats_fetch_retry(&q->rx_syncp, start));
	return true;
}

static void nv_get_stats64(struct net_device *ndev, struct rtnl_link_stats64 *s)
{
	struct netvsc *nv = netdev_priv(ndev);
	u64 tx[NV_QSTATS_TX], rx[NV_QSTATS_RX];
	int i;

	for (i = 0; i < NV_MAX_CHANS; i++) {
		if (!nv_qstats(nv->chans[i], tx, rx))
			continue;
		s->tx_packets += tx[0];
		s->tx_bytes += tx[1];
		s->rx_packets += rx[0];
		s->rx_bytes += rx[1];
	}
	s->rx_dropped = atomic64_read(&nv->stats[NV_RX_DROPPED]);
	s->tx_dropped = atomic64_read(&nv->stats[NV_TX_DROPPED]);
	s->rx_errors = atomic64_read(&nv->stats[NV_BAD_RNDIS]) +
		       atomic64_read(&nv->stats[NV_BAD_XFER]);
	nv_vf_stats64(&nv->vf, s);
}

static const struct net_device_ops nv_ops = {
	.ndo_open = nv_open,
	.ndo_stop = nv_stop,
	.ndo_start_xmit = nv_xmit,
	.ndo_select_queue = nv_select_queue,
	.ndo_set_rx_mode = nv_set_rx_mode,
	.ndo_change_mtu = nv_change_mtu,
	.ndo_get_stats64 = nv_get_stats64,
	.ndo_set_features = nv_set_features,
	.ndo_validate_addr = eth_validate_addr,
};

/* ethtool -d: the host's send indirection table, as upstream shows it. */
static int nv_get_regs_len(struct net_device *ndev)
{
	return HVK_SEND_TAB_LEN * sizeof(u32);
}

static void nv_get_regs(struct net_device *ndev, struct ethtool_regs *regs, void *p)
{
	struct netvsc *nv = netdev_priv(ndev);
	u32 *tab = p, i;

	regs->version = 1;
	for (i = 0; i < HVK_SEND_TAB_LEN; i++)
		tab[i] = READ_ONCE(nv->tx_table[i]);
}

static void nv_get_drvinfo(struct net_device *ndev, struct ethtool_drvinfo *info)
{
	struct netvsc *nv = netdev_priv(ndev);

	strscpy(info->driver, KBUILD_MODNAME, sizeof(info->driver));
	snprintf(info->fw_version, sizeof(info->fw_version), "NVSP %u.%u NDIS %u.%u",
		 (u8)(nv->nvsp_ver >> 16), (u8)nv->nvsp_ver, (u8)(nv->ndis_ver >> 16),
		 (u8)nv->ndis_ver);
	strscpy(info->bus_info, dev_name(&nv->hdev->dev), sizeof(info->bus_info));
}

/* The device's counters, then each channel's in use (rtnl: num_chn is stable). */
static int nv_get_sset_count(struct net_device *ndev, int sset)
{
	struct netvsc *nv = netdev_priv(ndev);

	if (sset != ETH_SS_STATS)
		return -EOPNOTSUPP;
	return NV_NSTATS + nv->num_chn * ARRAY_SIZE(nv_qstat_names) + NV_VF_NSTATS;
}

static void nv_get_strings(struct net_device *ndev, u32 sset, u8 *data)
{
	struct netvsc *nv = netdev_priv(ndev);
	u32 i, k;

	if (sset != ETH_SS_STATS)
		return;
	memcpy(data, nv_stat_names, sizeof(nv_stat_names));
	data += sizeof(nv_stat_names);
	for (i = 0; i < nv->num_chn; i++)
		for (k = 0; k < ARRAY_SIZE(nv_qstat_names); k++)
			ethtool_sprintf(&data, nv_qstat_names[k], i);
	memcpy(data, nv_vf_stat_names, sizeof(nv_vf_stat_names));
}

static void nv_get_ethtool_stats(struct net_device *ndev, struct ethtool_stats *es, u64 *data)
{
	struct netvsc *nv = netdev_priv(ndev);
	u64 tx[NV_QSTATS_TX], rx[NV_QSTATS_RX];
	u32 i;

	for (i = 0; i < NV_NSTATS; i++)
		*data++ = atomic64_read(&nv->stats[i]);
	for (i = 0; i < nv->num_chn; i++) {
		if (!nv_qstats(nv->chans[i], tx, rx)) {
			memset(tx, 0, sizeof(tx));
			memset(rx, 0, sizeof(rx));
		}
		memcpy(data, tx, sizeof(tx));
		data += NV_QSTATS_TX;
		memcpy(data, rx, sizeof(rx));
		data += NV_QSTATS_RX;
	}
	for (i = 0; i < NV_VF_NSTATS; i++)
		*data++ = atomic64_read(&nv->vf.stats[i]);
}

static void nv_get_channels(struct net_device *ndev, struct ethtool_channels *ch)
{
	struct netvsc *nv = netdev_priv(ndev);

	ch->max_combined = nv->max_chn;
	ch->combined_count = nv->num_chn;
}

/* ethtool -L combined N: the device reopens with N channels, as upstream. */
static int nv_set_channels(struct net_device *ndev, struct ethtool_channels *ch)
{
	struct netvsc *nv = netdev_priv(ndev);
	struct nv_cfg cfg;

	if (ch->rx_count || ch->tx_count || ch->other_count || !ch->combined_count)
		return -EINVAL;
	if (ch->combined_count > nv->max_chn)
		return -EINVAL;
	if (!nv->attached)
		return -ENODEV;
	cfg = nv_cfg_now(nv);
	cfg.chans = ch->combined_count;
	return nv_reopen(nv, &cfg);
}

/*
 * ethtool -g: the buffers in sections, as upstream: the host's receive
 * sub-allocations and the send sections, each at most what the protocol's
 * largest buffer holds. Under rtnl.
 */
static void nv_get_ringparam(struct net_device *ndev, struct ethtool_ringparam *ring,
			     struct kernel_ethtool_ringparam *kring, struct netlink_ext_ack *extack)
{
	struct netvsc *nv = netdev_priv(ndev);

	ring->rx_max_pending = nv_recv_buf_max(nv) / nv->rx_secsize;
	ring->tx_max_pending = HVK_NVSP_SEND_BUF_MAX / nv->tx_secsize;
	ring->rx_pending = nv->recv_nsec;
	ring->tx_pending = nv->send_nsec;
}

/*
 * ethtool -G rx N tx M: buffers of N and M sections (whole pages: the
 * host may carve a receive buffer into up to two more); the device reopens
 * with them, as for an MTU change. Under rtnl.
 */
static int nv_set_ringparam(struct net_device *ndev, struct ethtool_ringparam *ring,
			    struct kernel_ethtool_ringparam *kring, struct netlink_ext_ack *extack)
{
	struct netvsc *nv = netdev_priv(ndev);
	struct ethtool_ringparam cur = {};
	struct nv_cfg cfg;

	if (!nv->attached)
		return -ENODEV;
	nv_get_ringparam(ndev, &cur, kring, extack);
	if (ring->rx_mini_pending || ring->rx_jumbo_pending) {
		NL_SET_ERR_MSG_MOD(extack, "the NIC has no mini or jumbo receive ring");
		return -EINVAL;
	}
	if (ring->rx_pending < NV_MIN_SECS || ring->tx_pending < NV_MIN_SECS) {
		NL_SET_ERR_MSG_MOD(extack, "the buffers take at least 10 sections each");
		return -EINVAL;
	}
	if (ring->rx_pending > cur.rx_max_pending || ring->tx_pending > cur.tx_max_pending) {
		NL_SET_ERR_MSG_MOD(extack, "more sections than the protocol's largest buffer holds");
		return -EINVAL;
	}
	/* What is asked as it is stays as it was wanted (no page rounding again). */
	cfg = nv_cfg_now(nv);
	if (ring->rx_pending != cur.rx_pending)
		cfg.rx_secs = ring->rx_pending;
	if (ring->tx_pending != cur.tx_pending)
		cfg.tx_secs = ring->tx_pending;
	if (cfg.rx_secs == nv->rx_secs && cfg.tx_secs == nv->tx_secs)
		return 0;
	return nv_reopen(nv, &cfg);
}

/* ethtool -x/-X: the RSS key and indirection table (Toeplitz only). */
static u32 nv_get_rxfh_key_size(struct net_device *ndev)
{
	return HVK_RSS_KEY_LEN;
}

static u32 nv_get_rxfh_indir_size(struct net_device *ndev)
{
	return HVK_RSS_ITAB_LEN;
}

static int nv_get_rxnfc(struct net_device *ndev, struct ethtool_rxnfc *info, u32 *rules)
{
	struct netvsc *nv = netdev_priv(ndev);

	if (info->cmd != ETHTOOL_GRXRINGS)
		return -EOPNOTSUPP;
	info->data = nv->num_chn;
	return 0;
}

static int nv_rxfh_get(struct net_device *ndev, u32 *indir, u8 *key, u8 *hfunc)
{
	struct netvsc *nv = netdev_priv(ndev);

	if (hfunc)
		*hfunc = ETH_RSS_HASH_TOP;
	mutex_lock(&nv->ctl_lock);
	if (indir)
		memcpy(indir, nv->rss_itab, sizeof(nv->rss_itab));
	if (key)
		memcpy(key, nv->rss_key, sizeof(nv->rss_key));
	mutex_unlock(&nv->ctl_lock);
	return 0;
}

/* The host is told; if it refuses, the old key and table stay. Under rtnl. */
static int nv_rxfh_set(struct net_device *ndev, const u32 *indir, const u8 *key, u8 hfunc)
{
	struct netvsc *nv = netdev_priv(ndev);
	u8 old_key[HVK_RSS_KEY_LEN];
	u32 old[HVK_RSS_ITAB_LEN];
	bool old_user;
	u32 i;
	int ret;

	if (hfunc != ETH_RSS_HASH_NO_CHANGE && hfunc != ETH_RSS_HASH_TOP)
		return -EOPNOTSUPP;
	if (nv->num_chn < 2)
		return -EOPNOTSUPP;	/* one queue: the host has no table */
	for (i = 0; indir && i < HVK_RSS_ITAB_LEN; i++)
		if (indir[i] >= nv->num_chn)
			return -EINVAL;
	mutex_lock(&nv->ctl_lock);
	if (!nv->attached) {
		mutex_unlock(&nv->ctl_lock);
		return -ENODEV;
	}
	memcpy(old, nv->rss_itab, sizeof(old));
	memcpy(old_key, nv->rss_key, sizeof(old_key));
	old_user = nv->rss_user;
	if (indir) {
		memcpy(nv->rss_itab, indir, sizeof(nv->rss_itab));
		nv->rss_user = true;
	}
	if (key)
		memcpy(nv->rss_key, key, sizeof(nv->rss_key));
	ret = nv_set_rss(nv, nv->num_chn);
	if (ret) {
		memcpy(nv->rss_itab, old, sizeof(old));
		memcpy(nv->rss_key, old_key, sizeof(old_key));
		nv->rss_user = old_user;
	}
	mutex_unlock(&nv->ctl_lock);
	return ret;
}

HVK_RXFH_OPS(nv_rxfh_get, nv_rxfh_set)

static int nv_get_link_ksettings(struct net_device *ndev, struct ethtool_link_ksettings *cmd)
{
	struct netvsc *nv = netdev_priv(ndev);

	cmd->base.speed = netif_carrier_ok(ndev) ? READ_ONCE(nv->speed) : SPEED_UNKNOWN;
	cmd->base.duplex = netif_carrier_ok(ndev) ? DUPLEX_FULL : DUPLEX_UNKNOWN;
	cmd->base.port = PORT_OTHER;
	return 0;
}

static const struct ethtool_ops nv_ethtool_ops = {
	.get_drvinfo = nv_get_drvinfo,
	.get_regs_len = nv_get_regs_len,
	.get_regs = nv_get_regs,
	.get_link = ethtool_op_get_link,
	.get_sset_count = nv_get_sset_count,
	.get_strings = nv_get_strings,
	.get_ethtool_stats = nv_get_ethtool_stats,
	.get_link_ksettings = nv_get_link_ksettings,
	.get_channels = nv_get_channels,
	.set_channels = nv_set_channels,
	.get_ringparam = nv_get_ringparam,
	.set_ringparam = nv_set_ringparam,
	.get_rxnfc = nv_get_rxnfc,
	.get_rxfh_key_size = nv_get_rxfh_key_size,
	.get_rxfh_indir_size = nv_get_rxfh_indir_size,
	.get_rxfh = nv_rxfh_get_op,
	.set_rxfh = nv_rxfh_set_op,
	.reset = nv_ethtool_reset,
};

/*
 * vf.c's hook: NVSP 4 SWITCH_DATA_PATH, the host's traffic to the VF or
 * back to the synthetic NIC; the host completes it. Under rtnl.
 */
static int nv_switch_dp(struct net_device *ndev, bool to_vf)
{
	struct netvsc *nv = netdev_priv(ndev);
	struct hvk_nvsp_msg m = {};
	u32 dp = to_vf ? HVK_NVSP_DATAPATH_VF : HVK_NVSP_DATAPATH_SYNTHETIC;
	int ret;

	if (!nv->attached || nv->nvsp_ver < HVK_NVSP_V4)
		return -ENODEV;
	m.type = HVK_NVSP4_SWITCH_DATA_PATH;
	memcpy(m.raw, &dp, sizeof(dp));
	mutex_lock(&nv->ctl_lock);
	ret = nv_nvsp_request(nv, &m, HVK_NVSP4_SWITCH_DATA_PATH);
	mutex_unlock(&nv->ctl_lock);
	return ret;
}

static void nv_chans_free(struct netvsc *nv)
{
	struct nv_chan *q;
	int i;

	for (i = 0; i < NV_MAX_CHANS; i++) {
		q = nv->chans[i];
		if (!q)
			continue;
		netif_napi_del(&q->napi);
		kvfree(q->rxpkt);
		kvfree(q);
		nv->chans[i] = NULL;
	}
}

static int nv_probe(struct hvk_device *hdev, const struct hv_vmbus_device_id *id)
{
	struct net_device *ndev;
	struct netvsc *nv;
	u8 mac[ETH_ALEN];
	int ret;

	ndev = alloc_etherdev_mqs(sizeof(*nv), NV_MAX_CHANS, NV_MAX_CHANS);
	if (!ndev)
		return -ENOMEM;
	SET_NETDEV_DEV(ndev, &hdev->dev);
	nv = netdev_priv(ndev);
	nv->hdev = hdev;
	nv->ndev = ndev;
	nv->ch = hdev->channel;
	spin_lock_init(&nv->send_lock);
	spin_lock_init(&nv->ctl_rlock);
	mutex_init(&nv->ctl_lock);
	init_waitqueue_head(&nv->wq);
	skb_queue_head_init(&nv->tx_inflight);
	INIT_WORK(&nv->rx_mode_work, nv_rx_mode_work);
	INIT_WORK(&nv->ka_work, nv_ka_work);
	netdev_rss_key_fill(nv->rss_key, sizeof(nv->rss_key));
	nv->rx_secsize = NV_RECV_SECSIZE;
	nv->tx_secsize = HVK_NVSP_SEND_SECTION;
	nv->rx_secs = clamp_t(u32, (u64)recv_buf_kb * 1024 / NV_RECV_SECSIZE, NV_MIN_SECS,
			      HVK_NVSP_RECV_BUF_MAX / NV_RECV_SECSIZE);
	nv->tx_secs = clamp_t(u32, (u64)send_buf_kb * 1024 / HVK_NVSP_SEND_SECTION, NV_MIN_SECS,
			      HVK_NVSP_SEND_BUF_MAX / HVK_NVSP_SEND_SECTION);
	ndev->netdev_ops = &nv_ops;
	ndev->ethtool_ops = &nv_ethtool_ops;
	ndev->min_mtu = ETH_MIN_MTU;
	ndev->max_mtu = NV_MTU_MAX;
	ndev->needed_headroom = NV_TX_HDR_MAX;
	/*
	 * 802.1Q tags go as per-packet info both ways; SG: frames are copied;
	 * RXHASH: the host's RSS hash taken (ethtool -K rxhash off leaves it).
	 */
	ndev->hw_features = NETIF_F_SG | NETIF_F_RXHASH;
	ndev->features = NETIF_F_SG | NETIF_F_HIGHDMA | NETIF_F_HW_VLAN_CTAG_TX |
			 NETIF_F_HW_VLAN_CTAG_RX | NETIF_F_RXHASH;
	ndev->vlan_features = NETIF_F_SG | NETIF_F_HIGHDMA | NV_OFL_FEATURES;
	/*
	 * Our TX queue locks get classes of their own: a joined VF's are taken
	 * inside ours (nv_xmit hands the frame on with dev_queue_xmit), which
	 * lockdep would otherwise call recursion of one class.
	 */
	netdev_lockdep_set_classes(ndev);
	nv_vf_init(&nv->vf, ndev, nv_switch_dp);
	dev_set_drvdata(&hdev->dev, nv);
	ret = nv_attach(nv, mac);
	if (ret)
		goto err_free;
	nv_set_queues(nv);
	ndev->max_mtu = nv->host_mtu;
	eth_hw_addr_set(ndev, mac);
	ret = register_netdev(ndev);
	if (ret)
		goto err_detach;
	netdev_info(ndev, "NVSP %#x, NDIS %u.%u, MAC %pM, %u Mbit/s, %u of %u queues\n",
		    nv->nvsp_ver, nv->ndis_ver >> 16, nv->ndis_ver & 0xffff, mac, nv->speed,
		    nv->num_chn, nv->max_chn);
	nv_vf_add(&nv->vf);
	return 0;

err_detach:
	nv_detach(nv);
err_free:
	cancel_work_sync(&nv->ka_work);
	nv_chans_free(nv);
	free_netdev(ndev);
	return ret;
}

static void nv_remove(struct hvk_device *hdev)
{
	struct netvsc *nv = dev_get_drvdata(&hdev->dev);
	struct net_device *ndev = nv->ndev;

	nv_vf_del(&nv->vf);
	unregister_netdev(ndev);
	cancel_work_sync(&nv->rx_mode_work);
	nv_detach(nv);
	/* After the channel closed: no keepalive can schedule it again. */
	cancel_work_sync(&nv->ka_work);
	nv_chans_free(nv);
	free_netdev(ndev);
}

/* Hyper-V's synthetic NIC class, f8615163-df3e-46c5-913f-f2d2f965ed0e. */
static const struct hv_vmbus_device_id nv_ids[] = {
	{ .guid = GUID_INIT(0xf8615163, 0xdf3e, 0x46c5,
			    0x91, 0x3f, 0xf2, 0xd2, 0xf9, 0x65, 0xed, 0x0e) },
	{ },
};
MODULE_DEVICE_TABLE(vmbus, nv_ids);

static struct hvk_driver nv_driver = {
	.name = "hvkit_netvsc",
	.id_table = nv_ids,
	.probe = nv_probe,
	.remove = nv_remove,
};

static int __init nv_init(void)
{
	int ret = nv_vf_register(&nv_ops);

	if (ret)
		return ret;
	ret = hvk_driver_register(&nv_driver);
	if (ret)
		nv_vf_unregister();
	return ret;
}

static void __exit nv_exit(void)
{
	hvk_driver_unregister(&nv_driver);
	nv_vf_unregister();
}

module_init(nv_init);
module_exit(nv_exit);
MODULE_DESCRIPTION("hvkit Hyper-V synthetic network adapter (NVSP/RNDIS)");
MODULE_LICENSE("GPL");
