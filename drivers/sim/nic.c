// SPDX-License-Identifier: GPL-2.0
/*
 * Device type "nic": the host side of Hyper-V's synthetic network adapter
 * (NVSP and RNDIS, include/hvkit/netvsc.h). Its host end is an ordinary
 * net_device in this kernel, hvsim<N>, a veth-like peer: a frame the
 * guest's NIC sends leaves hvsim<N> (netif_rx), a frame sent on hvsim<N>
 * reaches the guest through its receive buffer.
 *
 * The host plays Hyper-V's rules strictly: NVSP INIT first, with a version
 * Hyper-V speaks; buffers only through GPADLs of this channel, within the
 * protocol's limits, once each; RNDIS messages with every length and
 * offset inside the data the guest gave. Whatever it refuses is counted
 * (NIC_REFUSED) and logged, rate limited.
 *
 * Multi-queue (vRSS): a nic of N channels (--queues N) grants up to N - 1
 * sub-channels on the guest's NVSP 5 request; once the guest SETs its RSS
 * key and indirection table, what hvsim<N> transmits goes to the guest on
 * the channel the table names for the frame's Toeplitz hash (TCP: the
 * addresses and ports; other IP: the addresses), as Hyper-V spreads
 * receives. The one receive buffer serves every channel; the guest's
 * sends and completions may come on any open channel.
 */
#include <linux/bitmap.h>
#include <linux/etherdevice.h>
#include <linux/highmem.h>
#include <linux/if_vlan.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>
#include <linux/mm.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <net/genetlink.h>
#include <hvkit/netvsc.h>
#include <hvk_compat.h>
#include "sim.h"

#define NIC_MTU_MAX		65521	/* upstream's largest, with an Ethernet header: 65535 */
#define NIC_SUB_ALLOC		1728	/* receive sub-allocation (upstream's section size) */
/*
 * OID_802_3_MAXIMUM_LIST_SIZE: the multicast addresses a port filters on;
 * a longer list is refused (NDIS_STATUS_MULTICAST_FULL), and a guest takes
 * all multicast instead.
 */
#define NIC_MCAST_MAX		32
#define NIC_SPEED		100000	/* default link speed, Mbit/s: 100 Gbit/s, Azure's NIC */
#define NIC_RX_PKT_LEN		(sizeof(struct hvk_pkt_xfer_pages) + sizeof(struct hvk_xfer_range) + \
				 HVK_NVSP_MSG_SIZE)
#define NIC_GATHER_MAX		(HVK_RNDIS_PKT_HDR + 256 + NIC_MTU_MAX + VLAN_ETH_HLEN)

#define NIC_QUEUES_MAX		64	/* HVSIM_A_CHANNELS' limit */
#define NIC_LSO_MAX		62768	/* the largest LSO frame granted, IP header on, as Hyper-V's */

/*
 * RSC: a coalesced frame goes as fragments of NIC_RSC_CHUNK bytes, one a
 * sub-allocation, each behind its RNDIS header and up to four per-packet
 * info entries (packet id, checksum, RSS hash, 802.1Q), all in one transfer.
 */
#define NIC_RSC_HDR		(HVK_RNDIS_PKT_HDR + 4 * HVK_PPI_SIZE)
#define NIC_RSC_CHUNK		(NIC_SUB_ALLOC - NIC_RSC_HDR)
#define NIC_RSC_FRAGS		DIV_ROUND_UP(HVK_RSC_MAX_LEN, NIC_RSC_CHUNK)
#define NIC_RSC_RANGES_END	(sizeof(struct hvk_pkt_xfer_pages) + \
				 NIC_RSC_FRAGS * sizeof(struct hvk_xfer_range))
#define NIC_RSC_PKT_LEN		(NIC_RSC_RANGES_END + HVK_NVSP_MSG_SIZE)

static struct workqueue_struct *nic_wq;	/* netdev (un)registration, off sim.lock */
static DEFINE_IDA(nic_ida);

/* One channel of the nic: the primary (0) or a sub-channel. */
struct nic_queue {
	struct sim_chan *c;		/* open, or NULL (n->lock) */
	u8 *gather;			/* a GPA-direct send, gathered (its serve work) */
	atomic64_t to_guest;		/* frames delivered on it */
};

struct sim_nic {
	struct sim_dev *d;
	struct net_device *peer;
	struct work_struct reg_work;
	struct work_struct unreg_work;
	int index;			/* hvsim<index> */
	u8 mac[ETH_ALEN];
	u32 mtu_max;
	u32 nvsp_max;			/* the newest NVSP version accepted */
	u32 speed;			/* the link speed, Mbit/s (written under lock; READ_ONCE) */

	/* Serve work only (one channel): the guest's protocol state. */
	u32 nvsp_ver;			/* agreed; 0: no INIT yet (READ_ONCE for fill) */
	u32 ndis_ver;
	u32 guest_frame;		/* NDIS config: the guest's MTU + 14 (READ_ONCE) */
	struct sim_gpadl *send_g;	/* the send buffer (gpadl_lock for in_use) */
	u32 send_section;
	u32 send_sections;		/* READ_ONCE for fill */
	/* The buffers' GPADL sizes, 0: none (READ_ONCE for fill). */
	u32 recv_bytes, send_bytes;

	/*
	 * lock (bh) protects what the peer's xmit uses: the open channel,
	 * the receive buffer and its allocator, the RNDIS state, and link.
	 * Taken in the serve work, the xmit, and the hooks (under sim.lock).
	 */
	spinlock_t lock;
	struct sim_chan *c;		/* the open primary channel, or NULL */
	struct sim_gpadl *recv_g;
	u8 *recv;			/* recv_g->va */
	u32 nsub;			/* sub-allocations of NIC_SUB_ALLOC bytes (READ_ONCE for fill) */
	unsigned long *rx_map;		/* sub-allocations in flight */
	u16 *rx_cnt;			/* by first sub-allocation: how many */
	u32 *rx_seq;			/* ... and the transfer's sequence number */
	u32 rx_next_seq;
	bool rndis_up;			/* INIT done, not HALTed */
	u32 filter;			/* the guest's packet filter (HVK_RNDIS_FILTER_*) */
	u8 mcast[NIC_MCAST_MAX][ETH_ALEN];	/* the guest's multicast list */
	u32 nmcast;			/* its entries */
	bool link_up;
	u32 granted;			/* sub-channels granted since INIT */
	bool rss_on;			/* the guest's key and table are set */
	u8 rss_key[HVK_RSS_KEY_LEN];
	u16 rss_itab[HVK_RSS_ITAB_LEN];
	bool dp_vf;			/* SWITCH_DATA_PATH: the VM's traffic goes to its VF */
	/* The send indirection table NIC_SEND_TABLE set (send_tab_set), else the channels in turn. */
	u32 send_tab[HVK_SEND_TAB_LEN];
	bool send_tab_set;
	u16 rsc_id;			/* the next coalesced packet's id */
	u8 rsc_pkt[NIC_RSC_PKT_LEN] __aligned(8);	/* its transfer-page packet */
	struct nic_queue *q;		/* nq of them */
	u32 nq;				/* d->nchans (d may go before n) */

	/*
	 * Offloads (HVK_OFL_*): granted at add; what the guest enabled,
	 * written by the serve work (RNDIS SET), read by both directions.
	 */
	u32 ofl_grant;
	u32 ofl_on;			/* READ_ONCE */
	bool rsc_cap;			/* the guest takes RSC (NVSP 6.1 NDIS config; READ_ONCE) */

	atomic64_t refused;		/* guest messages refused */
	atomic64_t to_guest, from_guest, dropped;
	atomic64_t filtered;		/* frames the guest's filter held back */
	atomic64_t tabs_sent;		/* send indirection tables sent */
	atomic64_t resets;		/* RNDIS resets done for the guest */
	atomic64_t lso_frames, csum_frames;

	/*
	 * Keepalives (RNDIS KEEPALIVE to the guest): ka_lock serialises the
	 * command; ka_want is the request id awaited (0: none), set by the
	 * command and cleared by the serve work when the answer comes.
	 */
	struct mutex ka_lock;
	wait_queue_head_t ka_wq;
	u32 ka_next;
	u32 ka_want;			/* READ_ONCE */
	bool ka_ok;			/* the answer's verdict, written before ka_want clears */
	atomic64_t ka_answered;
};

static void nic_refuse(struct sim_nic *n, const char *why)
{
	atomic64_inc(&n->refused);
	pr_err_ratelimited("hvkit_sim: nic %pUl: refused: %s\n", &n->d->instance, why);
}

/* ---- host to guest: the receive buffer ---- */

/*
 * One RNDIS message to the guest, in the receive buffer: @hdr (hlen
 * bytes) then @skb's bytes (or none). Under n->lock. 0, or -ENOSPC (no
 * room in the buffer), -EAGAIN (no room in the ring), -ENOTCONN.
 */
static int nic_deliver_locked(struct sim_nic *n, struct sim_chan *c, const void *hdr, u32 hlen,
			      const struct sk_buff *skb, u32 ctrl)
{
	u8 pkt[NIC_RX_PKT_LEN] __aligned(8) = {};
	struct hvk_pkt_xfer_pages *x = (void *)pkt;
	struct hvk_xfer_range *r = (void *)(x + 1);
	struct hvk_nvsp_msg *m = (void *)(r + 1);
	u32 len = hlen + (skb ? skb->len : 0), cnt, start;
	int ret;

	if (!c || !n->recv)
		return -ENOTCONN;
	cnt = DIV_ROUND_UP(len, NIC_SUB_ALLOC);
	start = bitmap_find_next_zero_area(n->rx_map, n->nsub, 0, cnt, 0);
	if (start >= n->nsub)
		return -ENOSPC;
	memcpy(n->recv + start * NIC_SUB_ALLOC, hdr, hlen);
	if (skb && skb_copy_bits(skb, 0, n->recv + start * NIC_SUB_ALLOC + hlen, skb->len))
		return -EINVAL;

	x->desc.type = HVK_PKT_DATA_USING_XFER_PAGES;
	x->desc.offset8 = (sizeof(*x) + sizeof(*r)) / 8;
	x->desc.len8 = sizeof(pkt) / 8;
	x->desc.flags = HVK_PKT_FLAG_COMPLETION_REQUESTED;
	x->desc.trans_id = (u64)n->rx_next_seq << 32 | start;
	x->xfer_pageset_id = HVK_NVSP_RECV_BUF_ID;
	x->range_cnt = 1;
	r->byte_offset = start * NIC_SUB_ALLOC;
	r->byte_count = len;
	m->type = HVK_NVSP1_SEND_RNDIS_PKT;
	m->rndis_pkt.channel_type = ctrl;
	m->rndis_pkt.section_index = HVK_NVSP_NO_SECTION;
	if (sim_fault(HVSIM_FAULT_NIC_BAD_RECV_RANGE))
		r->byte_offset = n->recv_g->byte_count;
	ret = sim_chan_reply(c, pkt, sizeof(pkt));
	if (ret)
		return ret;
	bitmap_set(n->rx_map, start, cnt);
	n->rx_cnt[start] = cnt;
	n->rx_seq[start] = n->rx_next_seq++;
	return 0;
}

/* An RNDIS control message (a completion, a status) to the guest. */
static void nic_control(struct sim_nic *n, const void *msg, u32 len)
{
	int ret;

	spin_lock_bh(&n->lock);
	ret = nic_deliver_locked(n, n->c, msg, len, NULL, HVK_NVSP_CHAN_CONTROL);
	spin_unlock_bh(&n->lock);
	if (ret)
		pr_err_ratelimited("hvkit_sim: nic %pUl: an RNDIS control message to the guest was lost (%d)\n",
				   &n->d->instance, ret);
}

/*
 * NVSP 5 SEND_INDIRECTION_TABLE, on the primary: the sub-channel the guest
 * sends each flow on, by its hash's low 4 bits. Sent as Hyper-V (and
 * openvmm's netvsp) sends it: once the guest has opened every sub-channel
 * it was granted, spreading over them all (entry i: i modulo the
 * channels), or the table NIC_SEND_TABLE set. A host that agreed NVSP 6.0
 * or older puts the table after a whole 40-byte NVSP message, naming
 * offset 12 all the same (the Hyper-V bug upstream's netvsc_send_table()
 * works around); from 6.1 it is at 12. The fault sends 15 entries. Under
 * n->lock.
 */
static int nic_send_table_locked(struct sim_nic *n)
{
	struct {
		struct hvk_pkt_desc desc;
		u8 m[HVK_NVSP_MSG_SIZE + HVK_SEND_TAB_LEN * sizeof(u32)];
	} p = {};
	struct hvk_nvsp_send_table t = { HVK_SEND_TAB_LEN, 4 + sizeof(t) };
	u32 type = HVK_NVSP5_SEND_INDIRECTION_TABLE, tab[HVK_SEND_TAB_LEN], at, i;
	int ret;

	if (!n->c || READ_ONCE(n->nvsp_ver) < HVK_NVSP_V5)
		return -ENOTCONN;
	for (i = 0; i < HVK_SEND_TAB_LEN; i++)
		tab[i] = n->send_tab_set ? n->send_tab[i] : i % (n->granted + 1);
	at = READ_ONCE(n->nvsp_ver) <= HVK_NVSP_V6 ? HVK_NVSP_MSG_SIZE : t.offset;
	if (sim_fault(HVSIM_FAULT_NIC_BAD_SEND_TABLE))
		t.count = HVK_SEND_TAB_LEN - 1;
	memcpy(p.m, &type, 4);
	memcpy(p.m + 4, &t, sizeof(t));
	memcpy(p.m + at, tab, sizeof(tab));
	p.desc.type = HVK_PKT_DATA_INBAND;
	p.desc.offset8 = sizeof(p.desc) / 8;
	p.desc.len8 = DIV_ROUND_UP(sizeof(p.desc) + at + sizeof(tab), 8);
	ret = sim_chan_reply(n->c, &p, p.desc.len8 * 8);
	if (!ret)
		atomic64_inc(&n->tabs_sent);
	return ret;
}

static void nic_indicate_link(struct sim_nic *n, bool up)
{
	struct {
		struct hvk_rndis_hdr h;
		struct hvk_rndis_indicate i;
	} m = {};

	m.h.type = HVK_RNDIS_INDICATE;
	m.h.len = sizeof(m);
	m.i.status = up ? HVK_RNDIS_STATUS_MEDIA_CONNECT : HVK_RNDIS_STATUS_MEDIA_DISCONNECT;
	nic_control(n, &m, sizeof(m));
}

/*
 * A new link speed (@mbps), as Hyper-V indicates it when the VM's vSwitch
 * changes: its 100 bit/s units in the status buffer, right after the
 * indication (openvmm's netvsp lays it out so). The fault cuts the buffer
 * to 2 bytes. Under n->lock, so that indications go in the order of the
 * speeds set.
 */
static int nic_indicate_speed_locked(struct sim_nic *n, u32 mbps)
{
	struct {
		struct hvk_rndis_hdr h;
		struct hvk_rndis_indicate i;
		u32 speed;
	} m = {};

	m.h.type = HVK_RNDIS_INDICATE;
	m.h.len = sizeof(m);
	m.i.status = HVK_RNDIS_STATUS_LINK_SPEED_CHANGE;
	m.i.buf_len = sizeof(m.speed);
	m.i.buf_off = sizeof(m.i);
	m.speed = mbps * 10000;
	if (sim_fault(HVSIM_FAULT_NIC_SHORT_SPEED)) {
		m.i.buf_len = 2;
		m.h.len -= 2;
	}
	return nic_deliver_locked(n, n->c, &m, m.h.len, NULL, HVK_NVSP_CHAN_CONTROL);
}

/*
 * The channel a frame to the guest goes on (under n->lock): the one the
 * guest's indirection table names for its Toeplitz hash, when that one is
 * open; else the primary. With RSS on, an IPv4 or IPv6 frame's hash is in
 * *@hash (*@hashed true): Hyper-V sends it as NBL_HASH_VALUE per-packet
 * info, which upstream's guest takes as the skb's L4 hash.
 */
static struct sim_chan *nic_rss_chan(struct sim_nic *n, const struct sk_buff *skb, u32 *hash,
				     bool *hashed)
{
	struct sim_chan *c;
	int nh = ETH_HLEN;
	u32 len = 0;
	u8 in[36];

	*hashed = false;
	if (!n->rss_on || skb->len < ETH_HLEN)
		return n->c;
	if (skb->protocol == htons(ETH_P_IP)) {
		struct iphdr ip;

		if (skb_copy_bits(skb, nh, &ip, sizeof(ip)) || ip.ihl < 5)
			return n->c;
		memcpy(in, &ip.saddr, 4);
		memcpy(in + 4, &ip.daddr, 4);
		len = 8;
		if (ip.protocol == IPPROTO_TCP && !(ip.frag_off & htons(IP_MF | IP_OFFSET)) &&
		    !skb_copy_bits(skb, nh + ip.ihl * 4, in + 8, 4))
			len = 12;
	} else if (skb->protocol == htons(ETH_P_IPV6)) {
		struct ipv6hdr ip6;

		if (skb_copy_bits(skb, nh, &ip6, sizeof(ip6)))
			return n->c;
		memcpy(in, &ip6.saddr, 16);
		memcpy(in + 16, &ip6.daddr, 16);
		len = 32;
		if (ip6.nexthdr == IPPROTO_TCP &&
		    !skb_copy_bits(skb, nh + sizeof(ip6), in + 32, 4))
			len = 36;
	} else {
		return n->c;
	}
	*hash = hvk_toeplitz(n->rss_key, sizeof(n->rss_key), in, len);
	*hashed = true;
	c = n->q[n->rss_itab[*hash % HVK_RSS_ITAB_LEN]].c;
	return c ? c : n->c;
}

/* A frame to the guest: the RNDIS header and its per-packet info. */
struct nic_rxhdr {
	struct hvk_rndis_hdr h;
	struct hvk_rndis_packet p;
	u8 ppi[4 * HVK_PPI_SIZE];	/* a fault's, checksum, 802.1Q, hash */
};

static void nic_ppi_add(struct nic_rxhdr *m, u32 type, u32 val)
{
	hvk_ppi_put(m->ppi + m->p.ppi_len, type, val);
	m->p.ppi_len += HVK_PPI_SIZE;
}

/*
 * What hvsim<N>'s stack left to the NIC: a checksum (CHECKSUM_PARTIAL)
 * is computed here, and the guest told it is good when it enabled
 * receive checksums for that protocol; an 802.1Q tag goes as per-packet
 * info. The faults put a malformed entry first. False: drop the frame.
 */
static bool nic_rx_ppi(struct sim_nic *n, struct sk_buff *skb, struct nic_rxhdr *m)
{
	u32 on = READ_ONCE(n->ofl_on), want = 0, ok = 0;

	m->p.ppi_off = sizeof(m->p);
	if (sim_fault(HVSIM_FAULT_NIC_BAD_PPI_SIZE)) {
		nic_ppi_add(m, HVK_PPI_HASH, 0);
		memcpy(m->ppi, &(u32){ 64 }, 4);	/* size: past the area */
	} else if (sim_fault(HVSIM_FAULT_NIC_BAD_CSUM_PPI)) {
		nic_ppi_add(m, HVK_PPI_CSUM, HVK_CSUM_RX_TCP_OK);
		memcpy(m->ppi + 8, &(u32){ HVK_PPI_SIZE }, 4);	/* value: past its entry */
	}
	if (skb->ip_summed == CHECKSUM_PARTIAL) {
		bool tcp = skb->csum_offset == offsetof(struct tcphdr, check);

		if (skb->protocol == htons(ETH_P_IP))
			want = tcp ? HVK_OFL_RX_TCP4 : HVK_OFL_RX_UDP4;
		else if (skb->protocol == htons(ETH_P_IPV6))
			want = tcp ? HVK_OFL_RX_TCP6 : HVK_OFL_RX_UDP6;
		ok = tcp ? HVK_CSUM_RX_TCP_OK : HVK_CSUM_RX_UDP_OK;
		if (skb->protocol == htons(ETH_P_IP))
			ok |= HVK_CSUM_RX_IP_OK;
		if (skb_checksum_help(skb))
			return false;
		if (want & on)
			nic_ppi_add(m, HVK_PPI_CSUM, ok);
	}
	if (skb_vlan_tag_present(skb)) {
		u16 tci = skb_vlan_tag_get(skb);

		nic_ppi_add(m, HVK_PPI_VLAN, (tci & VLAN_VID_MASK) << 4 |
			    (!!(tci & VLAN_CFI_MASK)) << 3 | tci >> VLAN_PRIO_SHIFT);
	}
	return true;
}

/*
 * The RNDIS header of a frame of @len bytes, its per-packet info added;
 * the malformed-header faults. The header's length.
 */
static u32 nic_rx_hdr_finish(struct nic_rxhdr *m, u32 len)
{
	u32 hlen = HVK_RNDIS_PKT_HDR + m->p.ppi_len;

	m->p.ppi_off = m->p.ppi_len ? sizeof(m->p) : 0;
	m->h.type = HVK_RNDIS_PACKET;
	m->h.len = hlen + len;
	m->p.data_off = sizeof(m->p) + m->p.ppi_len;
	m->p.data_len = len;
	if (sim_fault(HVSIM_FAULT_NIC_BAD_RNDIS_LEN))
		m->h.len += 4096 * 1024;
	else if (sim_fault(HVSIM_FAULT_NIC_BAD_RNDIS_OFFSET))
		m->p.data_off = m->h.len;
	return hlen;
}

static netdev_tx_t nic_peer_xmit(struct sk_buff *skb, struct net_device *dev);

/*
 * The offloads granted now: RSC only to a guest that said, in its NDIS
 * config at NVSP 6.1, that it takes it (as upstream's guest does).
 */
static u32 nic_granted(const struct sim_nic *n)
{
	u32 g = n->ofl_grant;

	if (!READ_ONCE(n->rsc_cap))
		g &= ~(HVK_OFL_RSC4 | HVK_OFL_RSC6);
	return g;
}

/*
 * Can this GSO skb from hvsim<N>'s stack go to the guest coalesced? A TCP
 * one (IPv4 or IPv6, as the guest enabled RSC), headers in the first
 * fragment, segments that fit the guest's MTU (a host coalesces what
 * arrived on the wire), at most HVK_RSC_MAX_LEN bytes. *@thoff is the
 * TCP header's offset.
 */
static bool nic_rsc_ok(struct sim_nic *n, const struct sk_buff *skb, u32 *thoff)
{
	const struct skb_shared_info *si = skb_shinfo(skb);
	u32 on = READ_ONCE(n->ofl_on), hl;
	bool v6 = si->gso_type & SKB_GSO_TCPV6;
	u8 doff;

	if (!skb_is_gso(skb) || skb->ip_summed != CHECKSUM_PARTIAL || skb->len > HVK_RSC_MAX_LEN ||
	    skb_headlen(skb) < ETH_HLEN)
		return false;
	if (si->gso_type & ~(SKB_GSO_TCPV4 | SKB_GSO_TCPV6 | SKB_GSO_DODGY | SKB_GSO_TCP_ECN |
			     SKB_GSO_TCP_FIXEDID))
		return false;
	if (!(on & (v6 ? HVK_OFL_RSC6 : HVK_OFL_RSC4)) ||
	    ((const struct ethhdr *)skb->data)->h_proto != htons(v6 ? ETH_P_IPV6 : ETH_P_IP))
		return false;
	*thoff = skb_checksum_start_offset(skb);
	if (*thoff < ETH_HLEN + (v6 ? sizeof(struct ipv6hdr) : sizeof(struct iphdr)) ||
	    skb->csum_offset != offsetof(struct tcphdr, check) ||
	    *thoff + sizeof(struct tcphdr) > skb->len ||
	    skb_copy_bits(skb, *thoff + 12, &doff, 1))
		return false;
	hl = *thoff + (doff >> 4) * 4;
	return (doff >> 4) >= 5 && hl < skb->len && hl <= NIC_RSC_CHUNK &&
	       hl + si->gso_size <= READ_ONCE(n->guest_frame);
}

/* hvsim<N>'s stack segments what cannot go coalesced. */
static netdev_features_t nic_peer_features_check(struct sk_buff *skb, struct net_device *dev,
						 netdev_features_t f)
{
	struct sim_nic *n = *(struct sim_nic **)netdev_priv(dev);
	u32 thoff;

	if (skb_is_gso(skb) && !nic_rsc_ok(n, skb, &thoff))
		f &= ~NETIF_F_GSO_MASK;
	return f;
}

/*
 * One coalesced frame (@skb, checked by nic_rsc_ok) to the guest as RSC
 * fragments in one transfer, its TCP checksum (@check, at @check_off)
 * computed, as a host that coalesced checked segments. Under n->lock.
 * 0, or -ENOSPC, -EAGAIN, -ENOTCONN as nic_deliver_locked.
 */
static int nic_deliver_rsc_locked(struct sim_nic *n, struct sim_chan *c, const struct sk_buff *skb,
				  u32 csum, bool has_csum, u32 hash, bool hashed, u32 check_off,
				  __sum16 check)
{
	struct hvk_pkt_xfer_pages *x = (void *)n->rsc_pkt;
	struct hvk_xfer_range *r = (void *)(x + 1);
	struct hvk_nvsp_msg *m;
	u32 len = skb->len, nfrag, start, i, off = 0, flen, fl;
	struct nic_rxhdr h = {};
	u16 tci;
	int ret;

	if (!c || !n->recv)
		return -ENOTCONN;
	nfrag = DIV_ROUND_UP(len, NIC_RSC_CHUNK);
	start = bitmap_find_next_zero_area(n->rx_map, n->nsub, 0, nfrag, 0);
	if (start >= n->nsub)
		return -ENOSPC;
	memset(n->rsc_pkt, 0, sizeof(n->rsc_pkt));
	h.h.type = HVK_RNDIS_PACKET;
	h.p.ppi_off = sizeof(h.p);
	for (i = 0; i < nfrag; i++, off += flen) {
		u8 *dst = n->recv + (start + i) * NIC_SUB_ALLOC;

		flen = min_t(u32, NIC_RSC_CHUNK, len - off);
		fl = hvk_rsc_frag_flags(i, nfrag);
		/* The fault: the first fragment does not say it is the first. */
		if (i == 0 && nfrag > 1 && sim_fault(HVSIM_FAULT_NIC_BAD_RSC))
			fl &= ~HVK_PKTINFO_1ST_FRAG;
		h.p.ppi_len = 0;
		nic_ppi_add(&h, HVK_PPI_PKT_ID, HVK_PKTINFO(fl, n->rsc_id));
		if (has_csum)
			nic_ppi_add(&h, HVK_PPI_CSUM, csum);
		if (hashed)
			nic_ppi_add(&h, HVK_PPI_HASH, hash);
		if (skb_vlan_tag_present(skb)) {
			tci = skb_vlan_tag_get(skb);
			nic_ppi_add(&h, HVK_PPI_VLAN, (tci & VLAN_VID_MASK) << 4 |
				    (!!(tci & VLAN_CFI_MASK)) << 3 | tci >> VLAN_PRIO_SHIFT);
		}
		h.p.data_off = sizeof(h.p) + h.p.ppi_len;
		h.p.data_len = flen;
		h.h.len = HVK_RNDIS_PKT_HDR + h.p.ppi_len + flen;
		memcpy(dst, &h, HVK_RNDIS_PKT_HDR + h.p.ppi_len);
		dst += HVK_RNDIS_PKT_HDR + h.p.ppi_len;
		if (skb_copy_bits(skb, off, dst, flen))
			return -EINVAL;
		if (check_off >= off && check_off + 2 <= off + flen)
			memcpy(dst + check_off - off, &check, 2);
		r[i].byte_offset = (start + i) * NIC_SUB_ALLOC;
		r[i].byte_count = h.h.len;
	}
	x->desc.type = HVK_PKT_DATA_USING_XFER_PAGES;
	x->desc.offset8 = (sizeof(*x) + nfrag * sizeof(*r)) / 8;
	x->desc.len8 = (sizeof(*x) + nfrag * sizeof(*r) + HVK_NVSP_MSG_SIZE) / 8;
	x->desc.flags = HVK_PKT_FLAG_COMPLETION_REQUESTED;
	x->desc.trans_id = (u64)n->rx_next_seq << 32 | start;
	x->xfer_pageset_id = HVK_NVSP_RECV_BUF_ID;
	x->range_cnt = nfrag;
	/* The NVSP message follows the ranges actually used. */
	m = (void *)((u8 *)x + x->desc.offset8 * 8);
	m->type = HVK_NVSP1_SEND_RNDIS_PKT;
	m->rndis_pkt.channel_type = HVK_NVSP_CHAN_DATA;
	m->rndis_pkt.section_index = HVK_NVSP_NO_SECTION;
	ret = sim_chan_reply(c, x, x->desc.len8 * 8);
	if (ret)
		return ret;
	bitmap_set(n->rx_map, start, nfrag);
	n->rx_cnt[start] = nfrag;
	n->rx_seq[start] = n->rx_next_seq++;
	n->rsc_id++;
	return 0;
}

/*
 * Whether the guest's packet filter takes the frame in @skb (its Ethernet
 * header first), as a switch port applies it: everything with PROMISCUOUS;
 * a frame to the guest's MAC with DIRECTED; a broadcast with BROADCAST; a
 * multicast with ALL_MULTICAST, or with MULTICAST when the guest's list
 * names it. Under n->lock. -ENOTCONN with no filter set (nothing goes to a
 * guest that has not asked), -EPERM for a frame it filters out.
 */
static int nic_filter_locked(const struct sim_nic *n, const struct sk_buff *skb)
{
	const u8 *da = skb->data;
	u32 f = n->filter, i;

	if (!f)
		return -ENOTCONN;
	if (f & HVK_RNDIS_FILTER_PROMISCUOUS)
		return 0;
	if (skb_headlen(skb) < ETH_HLEN)
		return -EPERM;
	if (is_broadcast_ether_addr(da))
		return f & HVK_RNDIS_FILTER_BROADCAST ? 0 : -EPERM;
	if (is_multicast_ether_addr(da)) {
		if (f & HVK_RNDIS_FILTER_ALL_MULTICAST)
			return 0;
		if (f & HVK_RNDIS_FILTER_MULTICAST)
			for (i = 0; i < n->nmcast; i++)
				if (ether_addr_equal(da, n->mcast[i]))
					return 0;
		return -EPERM;
	}
	return f & HVK_RNDIS_FILTER_DIRECTED && ether_addr_equal(da, n->mac) ? 0 : -EPERM;
}

/*
 * A frame from the peer has been delivered on channel @c (@ret 0),
 * filtered out (-EPERM) or dropped (another @ret; @c maybe NULL): counted,
 * and freed.
 */
static void nic_peer_done(struct sim_nic *n, struct sim_chan *c, struct sk_buff *skb, int ret)
{
	if (ret == -EPERM) {
		atomic64_inc(&n->filtered);
	} else if (ret) {
		atomic64_inc(&n->dropped);
	} else {
		atomic64_inc(&n->to_guest);
		atomic64_inc(&n->q[c->subidx].to_guest);
	}
	dev_kfree_skb_any(skb);
}

/* A GSO skb to the guest as segments, each a frame of its own. */
static netdev_tx_t nic_peer_xmit_segs(struct sim_nic *n, struct sk_buff *skb)
{
	struct sk_buff *segs, *seg, *next;

	segs = skb_gso_segment(skb, n->peer->features & ~NETIF_F_GSO_MASK);
	if (IS_ERR_OR_NULL(segs)) {
		atomic64_inc(&n->dropped);
		dev_kfree_skb_any(skb);
		return NETDEV_TX_OK;
	}
	consume_skb(skb);
	skb_list_walk_safe(segs, seg, next) {
		skb_mark_not_on_list(seg);
		nic_peer_xmit(seg, n->peer);
	}
	return NETDEV_TX_OK;
}

/*
 * A GSO skb to the guest: coalesced when it may (RSC granted and on) and
 * the receive buffer has the room, else segmented here, each segment as a
 * frame of its own (the guest turned RSC off after hvsim<N>'s stack asked,
 * or a small receive buffer is busy: a host coalesces only what fits).
 */
static netdev_tx_t nic_peer_xmit_gso(struct sim_nic *n, struct sk_buff *skb)
{
	u32 thoff, csum = 0, on = READ_ONCE(n->ofl_on), hash = 0;
	struct sim_chan *c = NULL;
	bool v6, has_csum, hashed;
	__sum16 check;
	int ret = -ENOTCONN;

	if (!nic_rsc_ok(n, skb, &thoff))
		return nic_peer_xmit_segs(n, skb);
	v6 = skb_shinfo(skb)->gso_type & SKB_GSO_TCPV6;
	check = csum_fold(skb_checksum(skb, thoff, skb->len - thoff, 0));
	has_csum = on & (v6 ? HVK_OFL_RX_TCP6 : HVK_OFL_RX_TCP4);
	if (has_csum)
		csum = HVK_CSUM_RX_TCP_OK | (v6 ? 0 : HVK_CSUM_RX_IP_OK);
	spin_lock_bh(&n->lock);
	if (!n->dp_vf && n->rndis_up && n->link_up)
		ret = nic_filter_locked(n, skb);
	if (!ret) {
		c = nic_rss_chan(n, skb, &hash, &hashed);
		ret = nic_deliver_rsc_locked(n, c, skb, csum, has_csum, hash, hashed,
					     thoff + offsetof(struct tcphdr, check), check);
	}
	spin_unlock_bh(&n->lock);
	if (ret == -ENOSPC)
		return nic_peer_xmit_segs(n, skb);
	nic_peer_done(n, c, skb, ret);
	return NETDEV_TX_OK;
}

/* The peer's transmit: the frame goes to the guest. */
static netdev_tx_t nic_peer_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct sim_nic *n = *(struct sim_nic **)netdev_priv(dev);
	struct nic_rxhdr m = {};
	struct sim_chan *c = NULL;
	u32 hlen, hash = 0;
	int ret = -ENOTCONN;
	bool hashed;

	/* eth_type_trans() is not run on a transmit: the type is in the frame. */
	if (skb->len >= ETH_HLEN)
		skb->protocol = eth_hdr(skb)->h_proto;
	if (skb_is_gso(skb))
		return nic_peer_xmit_gso(n, skb);
	if (!nic_rx_ppi(n, skb, &m)) {
		atomic64_inc(&n->dropped);
		dev_kfree_skb_any(skb);
		return NETDEV_TX_OK;
	}
	spin_lock_bh(&n->lock);
	/*
	 * Frames longer than the guest's MTU are dropped, as a switch port
	 * does; so is everything while the guest has switched its data path
	 * to the VF: Hyper-V sends it there, not on the synthetic path. The
	 * guest's packet filter picks what it gets.
	 */
	if (!n->dp_vf && n->rndis_up && n->link_up &&
	    skb->len <= READ_ONCE(n->guest_frame) + VLAN_HLEN)
		ret = nic_filter_locked(n, skb);
	if (!ret) {
		c = nic_rss_chan(n, skb, &hash, &hashed);
		if (hashed)
			nic_ppi_add(&m, HVK_PPI_HASH, hash);
		hlen = nic_rx_hdr_finish(&m, skb->len);
		ret = nic_deliver_locked(n, c, &m, hlen, skb, HVK_NVSP_CHAN_DATA);
	}
	spin_unlock_bh(&n->lock);
	nic_peer_done(n, c, skb, ret);
	return NETDEV_TX_OK;
}

/* The guest completed a transfer: its sub-allocations are free again. */
static void nic_rx_completed(struct sim_nic *n, u64 tid)
{
	u32 start = (u32)tid, seq = tid >> 32;
	bool ok = false;

	spin_lock_bh(&n->lock);
	if (n->rx_map && start < n->nsub && n->rx_cnt[start] && n->rx_seq[start] == seq) {
		bitmap_clear(n->rx_map, start, n->rx_cnt[start]);
		n->rx_cnt[start] = 0;
		ok = true;
	}
	spin_unlock_bh(&n->lock);
	if (!ok)
		nic_refuse(n, "completion for a receive transfer not in flight");
}

/* ---- the peer net_device ---- */

static int nic_peer_open(struct net_device *dev)
{
	netif_start_queue(dev);
	return 0;
}

static int nic_peer_stop(struct net_device *dev)
{
	netif_stop_queue(dev);
	return 0;
}

static void nic_peer_stats(struct net_device *dev, struct rtnl_link_stats64 *s)
{
	struct sim_nic *n = *(struct sim_nic **)netdev_priv(dev);

	s->tx_packets = atomic64_read(&n->to_guest);
	s->tx_dropped = atomic64_read(&n->dropped);
	s->rx_packets = atomic64_read(&n->from_guest);
}

static const struct net_device_ops nic_peer_ops = {
	.ndo_open = nic_peer_open,
	.ndo_stop = nic_peer_stop,
	.ndo_start_xmit = nic_peer_xmit,
	.ndo_features_check = nic_peer_features_check,
	.ndo_get_stats64 = nic_peer_stats,
	.ndo_set_mac_address = eth_mac_addr,
	.ndo_validate_addr = eth_validate_addr,
};

static void nic_reg_work(struct work_struct *w)
{
	struct sim_nic *n = container_of(w, struct sim_nic, reg_work);
	int ret;

	ret = register_netdev(n->peer);
	if (ret) {
		pr_err("hvkit_sim: nic %pUl: hvsim%d not registered (%d)\n",
		       &n->d->instance, n->index, ret);
		free_netdev(n->peer);
		n->peer = NULL;
		return;
	}
	rtnl_lock();
	if (READ_ONCE(n->link_up))
		netif_carrier_on(n->peer);
	else
		netif_carrier_off(n->peer);
	rtnl_unlock();
}

static void nic_queues_free(struct sim_nic *n)
{
	u32 i;

	for (i = 0; n->q && i < n->nq; i++)
		kvfree(n->q[i].gather);
	kfree(n->q);
}

static void nic_unreg_work(struct work_struct *w)
{
	struct sim_nic *n = container_of(w, struct sim_nic, unreg_work);

	if (n->peer) {
		unregister_netdev(n->peer);
		free_netdev(n->peer);
	}
	ida_free(&nic_ida, n->index);
	nic_queues_free(n);
	kfree(n);
}

/* ---- the device type ---- */

static int nic_init(struct sim_dev *d, struct genl_info *info)
{
	struct nlattr **a = info->attrs;
	struct sim_nic *n;
	int ret = -ENOMEM;
	u32 ofl;

	if (d->nchans > NIC_QUEUES_MAX) {
		NL_SET_ERR_MSG(info->extack, "the nic has 1 to 64 queues (channels)");
		return -EINVAL;
	}
	if (!nic_wq) {
		nic_wq = alloc_ordered_workqueue("hvk_sim_nic", 0);
		if (!nic_wq)
			return -ENOMEM;
	}
	n = kzalloc(sizeof(*n), GFP_KERNEL);
	if (!n)
		return -ENOMEM;
	n->d = d;
	spin_lock_init(&n->lock);
	mutex_init(&n->ka_lock);
	init_waitqueue_head(&n->ka_wq);
	INIT_WORK(&n->reg_work, nic_reg_work);
	INIT_WORK(&n->unreg_work, nic_unreg_work);
	n->mtu_max = a[HVSIM_A_NIC_MTU] ? nla_get_u32(a[HVSIM_A_NIC_MTU]) : NIC_MTU_MAX;
	n->guest_frame = ETH_FRAME_LEN;	/* NVSP 1 has no NDIS config: 1500 */
	n->nvsp_max = a[HVSIM_A_NIC_NVSP_MAX] ? nla_get_u32(a[HVSIM_A_NIC_NVSP_MAX]) : HVK_NVSP_V61;
	if (!hvk_nvsp_version_known(n->nvsp_max) || n->nvsp_max == HVK_NVSP_V1) {
		NL_SET_ERR_MSG_ATTR(info->extack, a[HVSIM_A_NIC_NVSP_MAX],
				    "the NVSP version must be one Hyper-V speaks: 2 (3.2), 4, 5, 6 or 6.1");
		kfree(n);
		return -EINVAL;
	}
	n->link_up = a[HVSIM_A_NIC_LINK] ? nla_get_u32(a[HVSIM_A_NIC_LINK]) : true;
	n->speed = a[HVSIM_A_NIC_SPEED] ? nla_get_u32(a[HVSIM_A_NIC_SPEED]) : NIC_SPEED;
	ofl = a[HVSIM_A_NIC_OFFLOADS] ? nla_get_u32(a[HVSIM_A_NIC_OFFLOADS]) : HVSIM_NIC_OFL_ALL;
	if (ofl & HVSIM_NIC_OFL_CSUM)
		n->ofl_grant |= HVK_OFL_TX_CSUM | HVK_OFL_RX_CSUM;
	if (ofl & HVSIM_NIC_OFL_TSO)
		n->ofl_grant |= HVK_OFL_LSO4 | HVK_OFL_LSO6;
	if (ofl & HVSIM_NIC_OFL_RSC)
		n->ofl_grant |= HVK_OFL_RSC4 | HVK_OFL_RSC6;
	if (a[HVSIM_A_NIC_MAC]) {
		memcpy(n->mac, nla_data(a[HVSIM_A_NIC_MAC]), ETH_ALEN);
		if (!is_valid_ether_addr(n->mac)) {
			NL_SET_ERR_MSG_ATTR(info->extack, a[HVSIM_A_NIC_MAC],
					    "the MAC must be a unicast address, not zero");
			kfree(n);
			return -EINVAL;
		}
	} else {
		/* Hyper-V's dynamic MACs start 00:15:5d. */
		get_random_bytes(n->mac, ETH_ALEN);
		n->mac[0] = 0x00;
		n->mac[1] = 0x15;
		n->mac[2] = 0x5d;
	}
	n->nq = d->nchans;
	n->q = kcalloc(n->nq, sizeof(*n->q), GFP_KERNEL);
	if (!n->q)
		goto err;
	n->index = ida_alloc(&nic_ida, GFP_KERNEL);
	if (n->index < 0) {
		ret = n->index;
		goto err;
	}
	n->peer = alloc_netdev(sizeof(n), "hvsim%d", NET_NAME_ENUM, ether_setup);
	if (!n->peer)
		goto err_ida;
	snprintf(n->peer->name, IFNAMSIZ, "hvsim%d", n->index);
	*(struct sim_nic **)netdev_priv(n->peer) = n;
	n->peer->netdev_ops = &nic_peer_ops;
	n->peer->min_mtu = ETH_MIN_MTU;
	n->peer->max_mtu = ETH_MAX_MTU;
	n->peer->mtu = ETH_DATA_LEN;
	/*
	 * A NIC's host end: checksums and 802.1Q tags are the NIC's to do;
	 * TCP segmentation too, so that a guest with RSC gets its stack's
	 * large frames coalesced (nic_peer_features_check() has the rest
	 * segmented by the stack).
	 */
	n->peer->features = NETIF_F_SG | NETIF_F_HIGHDMA | NETIF_F_IP_CSUM | NETIF_F_IPV6_CSUM |
			    NETIF_F_TSO | NETIF_F_TSO6 | NETIF_F_HW_VLAN_CTAG_TX |
			    NETIF_F_HW_VLAN_CTAG_RX;
	n->peer->hw_features = NETIF_F_SG | NETIF_F_IP_CSUM | NETIF_F_IPV6_CSUM | NETIF_F_TSO |
			       NETIF_F_TSO6;
	n->peer->vlan_features = NETIF_F_SG | NETIF_F_HIGHDMA | NETIF_F_IP_CSUM |
				 NETIF_F_IPV6_CSUM | NETIF_F_TSO | NETIF_F_TSO6;
	eth_hw_addr_random(n->peer);
	d->priv = n;
	queue_work(nic_wq, &n->reg_work);
	return 0;
err_ida:
	ida_free(&nic_ida, n->index);
err:
	nic_queues_free(n);
	kfree(n);
	NL_SET_ERR_MSG(info->extack, "no memory for the nic");
	return ret;
}

/* Under sim.lock or with no lock (destroy): off the server's lock order. */
static void nic_destroy(struct sim_dev *d)
{
	struct sim_nic *n = d->priv;

	queue_work(nic_wq, &n->unreg_work);
}

/* Module exit: every peer is unregistered. */
void sim_nic_exit(void)
{
	if (nic_wq)
		destroy_workqueue(nic_wq);
	ida_destroy(&nic_ida);
}

static void nic_buf_release(struct sim_gpadl **g)
{
	if (!*g)
		return;
	mutex_lock(&sim.gpadl_lock);
	(*g)->in_use = false;
	mutex_unlock(&sim.gpadl_lock);
	*g = NULL;
}

static void nic_send_release(struct sim_nic *n)
{
	WRITE_ONCE(n->send_bytes, 0);
	WRITE_ONCE(n->send_sections, 0);
	nic_buf_release(&n->send_g);
}

static void nic_recv_release(struct sim_nic *n)
{
	struct sim_gpadl *g;
	unsigned long *map;
	u16 *cnt;
	u32 *seq;

	spin_lock_bh(&n->lock);
	g = n->recv_g;
	map = n->rx_map;
	cnt = n->rx_cnt;
	seq = n->rx_seq;
	n->recv_g = NULL;
	n->recv = NULL;
	n->rx_map = NULL;
	n->rx_cnt = NULL;
	n->rx_seq = NULL;
	WRITE_ONCE(n->nsub, 0);
	WRITE_ONCE(n->recv_bytes, 0);
	spin_unlock_bh(&n->lock);
	bitmap_free(map);
	kvfree(cnt);
	kvfree(seq);
	nic_buf_release(&g);
}

/*
 * The guest may send before this runs (it comes after OPENCHANNEL_RESULT),
 * so the protocol state is reset at close, not here; the serve work also
 * takes the channel as soon as it sees a packet.
 */
static void nic_take_chan(struct sim_nic *n, struct sim_chan *c)
{
	spin_lock_bh(&n->lock);
	if (!c->subidx)
		n->c = c;
	n->q[c->subidx].c = c;
	spin_unlock_bh(&n->lock);
}

/* Under sim.lock: a GPA-direct gather buffer per channel, the first time. */
static void nic_opened(struct sim_chan *c)
{
	struct sim_nic *n = c->dev->priv;
	struct nic_queue *q = &n->q[c->subidx];

	u32 i;

	if (!q->gather)
		q->gather = kvmalloc(NIC_GATHER_MAX, GFP_KERNEL);
	nic_take_chan(n, c);
	if (!c->subidx)
		return;
	/* The last sub-channel granted is open: the guest gets the send table. */
	spin_lock_bh(&n->lock);
	for (i = 1; i <= n->granted && i < n->nq && n->q[i].c; i++)
		;
	if (n->granted && i > n->granted && nic_send_table_locked(n))
		pr_err_ratelimited("hvkit_sim: nic %pUl: the send table to the guest was lost\n",
				   &n->d->instance);
	spin_unlock_bh(&n->lock);
}

static void nic_closed(struct sim_chan *c)
{
	struct sim_nic *n = c->dev->priv;

	spin_lock_bh(&n->lock);
	n->q[c->subidx].c = NULL;
	if (c->subidx) {
		/* A sub-channel: its frames go on the primary now. */
		spin_unlock_bh(&n->lock);
		return;
	}
	n->c = NULL;
	n->rndis_up = false;
	n->filter = 0;
	n->nmcast = 0;
	n->rss_on = false;
	n->granted = 0;
	n->dp_vf = false;
	spin_unlock_bh(&n->lock);
	WRITE_ONCE(n->ofl_on, 0);
	WRITE_ONCE(n->rsc_cap, false);
	nic_recv_release(n);
	nic_send_release(n);
	WRITE_ONCE(n->nvsp_ver, 0);
	n->ndis_ver = 0;
	WRITE_ONCE(n->guest_frame, ETH_FRAME_LEN);
}

/* A completion packet with an NVSP message to the guest. */
static int nic_complete(struct sim_chan *c, u64 tid, const struct hvk_nvsp_msg *m)
{
	struct {
		struct hvk_pkt_desc desc;
		struct hvk_nvsp_msg m;
	} r = {};

	r.desc.type = HVK_PKT_COMP;
	r.desc.offset8 = sizeof(r.desc) / 8;
	r.desc.len8 = sizeof(r) / 8;
	r.desc.trans_id = tid;
	r.m = *m;
	return sim_chan_reply_or_stash(c, &r, sizeof(r));
}

static void nic_nvsp_init(struct sim_nic *n, struct sim_chan *c, u64 tid,
			  const struct hvk_nvsp_msg *in)
{
	struct hvk_nvsp_msg m = { .type = HVK_NVSP_INIT_COMPLETE };
	u32 v = in->init.max_ver;

	/* netvsc proposes one version at a time: min == max. */
	if (n->nvsp_ver) {
		nic_refuse(n, "NVSP INIT twice");
		m.init_complete.status = HVK_NVSP_STAT_FAIL;
	} else if (!hvk_nvsp_version_known(v) || v == HVK_NVSP_V1) {
		/* Today's Hyper-V refuses NVSP 1 (Windows Server 2008) too. */
		nic_refuse(n, "an NVSP version Hyper-V does not speak");
		m.init_complete.status = HVK_NVSP_STAT_UNSUPPORTED;
	} else if (in->init.min_ver != v || v > n->nvsp_max) {
		/* A newer version than this host's: the guest tries an older one. */
		m.init_complete.status = HVK_NVSP_STAT_UNSUPPORTED;
	} else {
		m.init_complete.status = HVK_NVSP_STAT_SUCCESS;
		m.init_complete.ver = v;
		WRITE_ONCE(n->nvsp_ver, v);
	}
	if (sim_fault(HVSIM_FAULT_NIC_BAD_NVSP_VERSION)) {
		m.init_complete.status = HVK_NVSP_STAT_SUCCESS;
		m.init_complete.ver = 0x00070000;
		WRITE_ONCE(n->nvsp_ver, 0);
	}
	nic_complete(c, tid, &m);
}

/*
 * A GPADL of this channel for a buffer: created, free, of @min to @max
 * bytes. The limits are the protocol's (upstream's NETVSC_*_BUFFER_SIZE);
 * below, as openvmm's netvsp, a receive buffer must hold a sub-allocation,
 * and a send buffer may be any size (a section index past it is refused).
 */
static struct sim_gpadl *nic_buf_take(struct sim_nic *n, struct sim_chan *c, u32 handle,
				      u32 min, u32 max, const char **why)
{
	struct sim_gpadl *g;

	mutex_lock(&sim.gpadl_lock);
	g = sim_gpadl_find(handle);
	if (!g || !g->created || g->relid != c->relid)
		*why = "buffer GPADL unknown on this channel";
	else if (g->in_use)
		*why = "buffer GPADL already in use";
	else if (g->byte_count > max)
		*why = "buffer larger than the protocol allows";
	else if (g->byte_count < min)
		*why = "receive buffer smaller than one sub-allocation";
	else
		g->in_use = true;
	mutex_unlock(&sim.gpadl_lock);
	return *why ? NULL : g;
}

static void nic_recv_buf(struct sim_nic *n, struct sim_chan *c, u64 tid,
			 const struct hvk_nvsp_msg *in)
{
	struct hvk_nvsp_msg m = { .type = HVK_NVSP1_SEND_RECV_BUF_COMPLETE };
	u32 max = n->nvsp_ver > HVK_NVSP_V2 ? HVK_NVSP_RECV_BUF_MAX : HVK_NVSP_RECV_BUF_MAX_LEGACY;
	const char *why = NULL;
	struct sim_gpadl *g = NULL;
	unsigned long *map = NULL;
	u16 *cnt = NULL;
	u32 *seq = NULL, nsub = 0;

	if (in->buf.id != HVK_NVSP_RECV_BUF_ID)
		why = "receive buffer id is not 0xcafe";
	else if (READ_ONCE(n->recv_g))
		why = "a second receive buffer";
	else
		g = nic_buf_take(n, c, in->buf.gpadl, NIC_SUB_ALLOC, max, &why);
	if (g) {
		nsub = g->byte_count / NIC_SUB_ALLOC;
		map = bitmap_zalloc(nsub, GFP_KERNEL);
		cnt = kvcalloc(nsub, sizeof(*cnt), GFP_KERNEL);
		seq = kvcalloc(nsub, sizeof(*seq), GFP_KERNEL);
		if (!map || !cnt || !seq) {
			why = "no memory for the receive buffer's map";
			bitmap_free(map);
			kvfree(cnt);
			kvfree(seq);
			nic_buf_release(&g);
		}
	}
	if (why) {
		nic_refuse(n, why);
		m.recv_buf_complete.status = HVK_NVSP_STAT_FAIL;
		nic_complete(c, tid, &m);
		return;
	}
	spin_lock_bh(&n->lock);
	n->recv_g = g;
	n->recv = g->va;
	WRITE_ONCE(n->nsub, nsub);
	WRITE_ONCE(n->recv_bytes, g->byte_count);
	n->rx_map = map;
	n->rx_cnt = cnt;
	n->rx_seq = seq;
	spin_unlock_bh(&n->lock);
	m.recv_buf_complete.status = HVK_NVSP_STAT_SUCCESS;
	m.recv_buf_complete.num_sections = 1;
	m.recv_buf_complete.section.offset = 0;
	m.recv_buf_complete.section.sub_alloc_size = NIC_SUB_ALLOC;
	m.recv_buf_complete.section.num_sub_allocs = nsub;
	m.recv_buf_complete.section.end_offset = nsub * NIC_SUB_ALLOC;
	nic_complete(c, tid, &m);
}

static void nic_send_buf(struct sim_nic *n, struct sim_chan *c, u64 tid,
			 const struct hvk_nvsp_msg *in)
{
	struct hvk_nvsp_msg m = { .type = HVK_NVSP1_SEND_SEND_BUF_COMPLETE };
	const char *why = NULL;
	struct sim_gpadl *g = NULL;

	if (in->buf.id != HVK_NVSP_SEND_BUF_ID)
		why = "send buffer id is not 0";
	else if (n->send_g)
		why = "a second send buffer";
	else
		g = nic_buf_take(n, c, in->buf.gpadl, 0, HVK_NVSP_SEND_BUF_MAX, &why);
	if (why) {
		nic_refuse(n, why);
		m.send_buf_complete.status = HVK_NVSP_STAT_FAIL;
	} else {
		n->send_g = g;
		n->send_section = HVK_NVSP_SEND_SECTION;
		WRITE_ONCE(n->send_sections, g->byte_count / HVK_NVSP_SEND_SECTION);
		WRITE_ONCE(n->send_bytes, g->byte_count);
		m.send_buf_complete.status = HVK_NVSP_STAT_SUCCESS;
		m.send_buf_complete.section_size = HVK_NVSP_SEND_SECTION;
	}
	nic_complete(c, tid, &m);
}

/* ---- guest to host: RNDIS ---- */

static void nic_query(struct sim_nic *n, const u8 *msg, const struct hvk_rndis_view *v)
{
	struct hvk_rndis_oid_req q;
	struct {
		struct hvk_rndis_hdr h;
		struct hvk_rndis_query_cmplt c;
		u8 info[sizeof(struct hvk_ndis_offload)];
	} r = {};
	u32 val, ilen = 4;

	memcpy(&q, msg + sizeof(struct hvk_rndis_hdr), sizeof(q));
	r.h.type = HVK_RNDIS_QUERY_C;
	r.c.req_id = q.req_id;
	r.c.status = HVK_RNDIS_STATUS_SUCCESS;
	switch (q.oid) {
	case HVK_OID_802_3_PERMANENT_ADDRESS:
	case HVK_OID_802_3_CURRENT_ADDRESS:
		memcpy(r.info, n->mac, ETH_ALEN);
		ilen = ETH_ALEN;
		break;
	case HVK_OID_GEN_MEDIA_CONNECT_STATUS:
		val = READ_ONCE(n->link_up) ? 0 : 1;
		memcpy(r.info, &val, 4);
		break;
	case HVK_OID_GEN_LINK_SPEED:
		val = READ_ONCE(n->speed) * 10000;	/* 100 bit/s units */
		memcpy(r.info, &val, 4);
		break;
	case HVK_OID_GEN_MAXIMUM_FRAME_SIZE:
		memcpy(r.info, &n->mtu_max, 4);
		break;
	case HVK_OID_GEN_MAXIMUM_TOTAL_SIZE:
		val = n->mtu_max + ETH_HLEN;
		memcpy(r.info, &val, 4);
		break;
	case HVK_OID_802_3_MAXIMUM_LIST_SIZE:
		val = NIC_MCAST_MAX;
		memcpy(r.info, &val, 4);
		break;
	case HVK_OID_GEN_RSS_CAPABILITIES: {
		struct hvk_rss_caps caps = {
			.hdr = { HVK_NDIS_OBJ_RSS_CAPABILITIES, 2, HVK_RSS_CAPS_LEN },
			.flags = HVK_RSS_CAPS_HASH_TCP_IPV4 | HVK_RSS_CAPS_HASH_TCP_IPV6 |
				 HVK_RSS_HASH_TOEPLITZ,
			.num_int_msg = 1,
			.num_queues = n->nq,
			.num_itab = HVK_RSS_ITAB_LEN,
		};

		/* NVSP 5 brought sub-channels: an older host has no vRSS. */
		if (n->nvsp_ver < HVK_NVSP_V5)
			goto unsupported;
		memcpy(r.info, &caps, sizeof(caps));
		ilen = sizeof(caps);
		break;
	}
	case HVK_OID_TCP_OFFLOAD_HW_CAPS: {
		struct hvk_ndis_offload o;

		ilen = hvk_offload_caps_fill(&o, nic_granted(n), NIC_LSO_MAX, n->ndis_ver);
		memcpy(r.info, &o, ilen);
		break;
	}
	default:
unsupported:
		r.c.status = HVK_RNDIS_STATUS_NOT_SUPPORTED;
		ilen = 0;
	}
	r.c.info_len = ilen;
	r.c.info_off = ilen ? sizeof(r.c) : 0;
	r.h.len = sizeof(r.h) + sizeof(r.c) + ilen;
	nic_control(n, &r, r.h.len);
}

static void nic_set(struct sim_nic *n, const u8 *msg, const struct hvk_rndis_view *v)
{
	struct hvk_rndis_oid_req q;
	struct {
		struct hvk_rndis_hdr h;
		struct hvk_rndis_cmplt c;
	} r = {};
	u32 val;

	memcpy(&q, msg + sizeof(struct hvk_rndis_hdr), sizeof(q));
	r.h.type = HVK_RNDIS_SET_C;
	r.h.len = sizeof(r);
	r.c.req_id = q.req_id;
	r.c.status = HVK_RNDIS_STATUS_SUCCESS;
	switch (q.oid) {
	case HVK_OID_GEN_CURRENT_PACKET_FILTER:
		if (v->data_len != 4) {
			r.c.status = HVK_RNDIS_STATUS_INVALID_DATA;
			break;
		}
		memcpy(&val, msg + v->data_off, 4);
		spin_lock_bh(&n->lock);
		n->filter = val;
		spin_unlock_bh(&n->lock);
		break;
	case HVK_OID_802_3_MULTICAST_LIST:
		/* The list replaces the last one; an empty one clears it. */
		if (v->data_len % ETH_ALEN) {
			r.c.status = HVK_RNDIS_STATUS_INVALID_DATA;
		} else if (v->data_len / ETH_ALEN > NIC_MCAST_MAX) {
			r.c.status = HVK_RNDIS_STATUS_MULTICAST_FULL;
		} else {
			spin_lock_bh(&n->lock);
			memcpy(n->mcast, msg + v->data_off, v->data_len);
			n->nmcast = v->data_len / ETH_ALEN;
			spin_unlock_bh(&n->lock);
		}
		break;
	case HVK_OID_GEN_RSS_PARAMETERS: {
		u16 itab[HVK_RSS_ITAB_LEN] = {};
		u8 key[HVK_RSS_KEY_LEN] = {};
		const char *why;
		bool on;

		spin_lock_bh(&n->lock);
		why = hvk_rss_params_check(msg + v->data_off, v->data_len, n->granted + 1, key,
					   itab, &on);
		if (!why) {
			n->rss_on = on;
			memcpy(n->rss_key, key, sizeof(key));
			memcpy(n->rss_itab, itab, sizeof(itab));
		}
		spin_unlock_bh(&n->lock);
		if (why) {
			nic_refuse(n, why);
			r.c.status = HVK_RNDIS_STATUS_INVALID_DATA;
		}
		break;
	}
	case HVK_OID_TCP_OFFLOAD_PARAMETERS: {
		u32 on = READ_ONCE(n->ofl_on);
		const char *why = hvk_offload_params_check(msg + v->data_off, v->data_len,
							   nic_granted(n), &on);

		if (why) {
			nic_refuse(n, why);
			r.c.status = HVK_RNDIS_STATUS_INVALID_DATA;
		} else {
			WRITE_ONCE(n->ofl_on, on);
		}
		break;
	}
	default:
		r.c.status = HVK_RNDIS_STATUS_NOT_SUPPORTED;
	}
	nic_control(n, &r, sizeof(r));
}

/* The RNDIS messages a guest sends on the control channel, which nic_rndis_control() takes. */
static bool nic_rndis_control_type(u32 type)
{
	switch (type) {
	case HVK_RNDIS_INIT:
	case HVK_RNDIS_QUERY:
	case HVK_RNDIS_SET:
	case HVK_RNDIS_KEEPALIVE:
	case HVK_RNDIS_RESET:
	case HVK_RNDIS_KEEPALIVE_C:
	case HVK_RNDIS_HALT:
		return true;
	default:
		return false;
	}
}

static void nic_rndis_control(struct sim_nic *n, const u8 *msg, const struct hvk_rndis_view *v)
{
	u32 req_id;

	memcpy(&req_id, msg + sizeof(struct hvk_rndis_hdr), 4);
	switch (v->type) {
	case HVK_RNDIS_INIT: {
		struct hvk_rndis_init_req q;
		struct {
			struct hvk_rndis_hdr h;
			struct hvk_rndis_init_cmplt c;
		} r = {};

		memcpy(&q, msg + sizeof(struct hvk_rndis_hdr), sizeof(q));
		r.h.type = HVK_RNDIS_INIT_C;
		r.h.len = sizeof(r);
		r.c.req_id = q.req_id;
		r.c.major = HVK_RNDIS_MAJOR;
		r.c.minor = HVK_RNDIS_MINOR;
		r.c.medium = HVK_RNDIS_MEDIUM_802_3;
		r.c.max_pkt_per_msg = 1;
		r.c.max_xfer_size = NIC_GATHER_MAX;
		r.c.pkt_align_factor = 0;
		if (q.major != HVK_RNDIS_MAJOR) {
			r.c.status = HVK_RNDIS_STATUS_NOT_SUPPORTED;
		} else {
			r.c.status = HVK_RNDIS_STATUS_SUCCESS;
			spin_lock_bh(&n->lock);
			n->rndis_up = true;
			spin_unlock_bh(&n->lock);
			WRITE_ONCE(n->ofl_on, 0);	/* a new adapter: nothing on yet */
		}
		nic_control(n, &r, sizeof(r));
		break;
	}
	case HVK_RNDIS_QUERY:
		nic_query(n, msg, v);
		break;
	case HVK_RNDIS_SET:
		nic_set(n, msg, v);
		break;
	case HVK_RNDIS_KEEPALIVE: {
		struct {
			struct hvk_rndis_hdr h;
			struct hvk_rndis_cmplt c;
		} r = {};

		r.h.type = HVK_RNDIS_KEEPALIVE_C;
		r.h.len = sizeof(r);
		r.c.req_id = req_id;
		nic_control(n, &r, sizeof(r));
		break;
	}
	case HVK_RNDIS_RESET: {
		struct {
			struct hvk_rndis_hdr h;
			struct hvk_rndis_reset_cmplt c;
		} r = {};

		/*
		 * The adapter's addressing goes back to none: no frame
		 * reaches the guest until it sets its packet filter (and
		 * multicast list) again, which AddressingReset asks of it,
		 * as the RNDIS specification has it.
		 */
		spin_lock_bh(&n->lock);
		n->filter = 0;
		n->nmcast = 0;
		spin_unlock_bh(&n->lock);
		atomic64_inc(&n->resets);
		r.h.type = HVK_RNDIS_RESET_C;
		r.h.len = sizeof(r);
		r.c.status = HVK_RNDIS_STATUS_SUCCESS;
		r.c.addressing_reset = 1;
		nic_control(n, &r, sizeof(r));
		break;
	}
	case HVK_RNDIS_KEEPALIVE_C: {
		struct hvk_rndis_cmplt k;
		bool ok;

		memcpy(&k, msg + sizeof(struct hvk_rndis_hdr), sizeof(k));
		if (!req_id || READ_ONCE(n->ka_want) != req_id) {
			nic_refuse(n, "a keepalive answer for no keepalive sent");
			break;
		}
		ok = k.status == HVK_RNDIS_STATUS_SUCCESS;
		if (!ok)
			nic_refuse(n, "a keepalive answered with a failure");
		else
			atomic64_inc(&n->ka_answered);
		/* The verdict first, then the id cleared (cmpxchg: a full barrier). */
		WRITE_ONCE(n->ka_ok, ok);
		cmpxchg(&n->ka_want, req_id, 0);
		wake_up(&n->ka_wq);
		break;
	}
	case HVK_RNDIS_HALT:
		spin_lock_bh(&n->lock);
		n->rndis_up = false;
		n->filter = 0;
		n->nmcast = 0;
		spin_unlock_bh(&n->lock);
		break;
	default:
		break;	/* nic_rndis_control_type() let it through: none other */
	}
}

/* LSO v2 of a checked request: hvsim<N> gets one GSO skb, as veth passes them. */
static const char *nic_tx_lso(struct sim_nic *n, struct sk_buff *skb, u32 lso)
{
	u32 thoff = HVK_LSO_THOFF(lso), nh = ETH_HLEN, tlen;
	bool v6 = lso & HVK_LSO_IPV6;
	struct tcphdr *th;
	const char *why;

	if (!(READ_ONCE(n->ofl_on) & (v6 ? HVK_OFL_LSO6 : HVK_OFL_LSO4)))
		return "LSO on a frame, which the guest has not enabled";
	why = hvk_lso_check(skb->data, skb->len, lso, NIC_LSO_MAX,
			    READ_ONCE(n->guest_frame) - ETH_HLEN);
	if (why)
		return why;
	/* No MAC header is set yet: the frame starts at data. */
	if (skb->data[12] == 0x81 && skb->data[13] == 0x00)
		nh = VLAN_ETH_HLEN;
	th = (struct tcphdr *)(skb->data + thoff);
	tlen = skb->len - thoff;
	/* The guest may leave the lengths 0 (Windows' rule): they are set here. */
	if (!v6) {
		struct iphdr *ip = (struct iphdr *)(skb->data + nh);

		ip->tot_len = htons(skb->len - nh);
		ip_send_check(ip);
		th->check = ~csum_tcpudp_magic(ip->saddr, ip->daddr, tlen, IPPROTO_TCP, 0);
	} else {
		struct ipv6hdr *ip6 = (struct ipv6hdr *)(skb->data + nh);

		ip6->payload_len = htons(skb->len - nh - sizeof(*ip6));
		th->check = ~csum_ipv6_magic(&ip6->saddr, &ip6->daddr, tlen, IPPROTO_TCP, 0);
	}
	if (!skb_partial_csum_set(skb, thoff, offsetof(struct tcphdr, check)))
		return "LSO TCP header outside the frame";
	skb_shinfo(skb)->gso_size = HVK_LSO_MSS(lso);
	skb_shinfo(skb)->gso_type = (v6 ? SKB_GSO_TCPV6 : SKB_GSO_TCPV4) | SKB_GSO_DODGY;
	skb_shinfo(skb)->gso_segs = DIV_ROUND_UP(tlen - th->doff * 4, HVK_LSO_MSS(lso));
	atomic64_inc(&n->lso_frames);
	return NULL;
}

/* A checksum the guest asked for: computed, so hvsim<N>'s stack checks the real one. */
static const char *nic_tx_csum(struct sim_nic *n, struct sk_buff *skb, u32 csum)
{
	bool v6 = csum & HVK_CSUM_TX_IPV6, udp = csum & HVK_CSUM_TX_UDP;
	u32 thoff = HVK_CSUM_TX_THOFF(csum), thlen, need;
	const char *why;
	u8 proto;

	if (!(csum & HVK_CSUM_TX_IPV4) == !v6 || !(csum & HVK_CSUM_TX_TCP) == !udp)
		return "checksum info names not one IP version and one transport";
	need = v6 ? (udp ? HVK_OFL_TX_UDP6 : HVK_OFL_TX_TCP6) :
		    (udp ? HVK_OFL_TX_UDP4 : HVK_OFL_TX_TCP4);
	if (!(READ_ONCE(n->ofl_on) & need))
		return "a checksum the guest has not enabled";
	why = hvk_l4_check(skb->data, skb->len, thoff, v6, &thlen, &proto);
	if (why)
		return why;
	if (proto != (udp ? IPPROTO_UDP : IPPROTO_TCP))
		return "checksum info's transport is not the frame's";
	if (!skb_partial_csum_set(skb, thoff, udp ? offsetof(struct udphdr, check) :
				  offsetof(struct tcphdr, check)) ||
	    skb_checksum_help(skb))
		return "checksum not computed";
	atomic64_inc(&n->csum_frames);
	return NULL;
}

/*
 * The guest's per-packet info on a frame it sends (@skb, bytes from
 * @msg): each entry checked, then done as a NIC would. NULL, or why the
 * frame is refused.
 */
static const char *nic_tx_ppi(struct sim_nic *n, struct sk_buff *skb, const u8 *msg,
			      const struct hvk_rndis_view *v)
{
	bool has_csum = false, has_lso = false, has_vlan = false;
	u32 csum = 0, lso = 0, vlan = 0;
	const char *why = NULL;

	if (v->ppi_len) {
		why = hvk_ppi_find(msg, v, HVK_PPI_CSUM, &csum, &has_csum);
		if (!why)
			why = hvk_ppi_find(msg, v, HVK_PPI_LSO, &lso, &has_lso);
		if (!why)
			why = hvk_ppi_find(msg, v, HVK_PPI_VLAN, &vlan, &has_vlan);
	}
	if (!why && !has_lso && skb->len > n->mtu_max + VLAN_ETH_HLEN)
		why = "frame longer than the MTU";
	if (!why && has_lso)
		why = nic_tx_lso(n, skb, lso);
	else if (!why && has_csum)
		why = nic_tx_csum(n, skb, csum);
	if (!why && has_vlan)
		__vlan_hwaccel_put_tag(skb, htons(ETH_P_8021Q),
				       HVK_VLAN_ID(vlan) | HVK_VLAN_CFI(vlan) << 12 |
				       HVK_VLAN_PRI(vlan) << VLAN_PRIO_SHIFT);
	return why;
}

/*
 * Whether a frame from the guest would leave hvsim<N> now: nic_rndis_data()
 * drops it otherwise.
 */
static bool nic_can_send(struct sim_nic *n)
{
	struct net_device *peer = n->peer;

	return READ_ONCE(n->rndis_up) && peer && (READ_ONCE(peer->flags) & IFF_UP) &&
	       READ_ONCE(n->link_up);
}

/*
 * A frame from the guest: out of hvsim<N>. @skb, when not NULL, holds the
 * whole RNDIS message (@msg is its data): a GPA-direct send gathered
 * straight into it, which saves copying the frame once more. It is
 * consumed either way.
 */
static void nic_rndis_data(struct sim_nic *n, const u8 *msg, const struct hvk_rndis_view *v,
			   struct sk_buff *skb)
{
	struct net_device *peer = n->peer;
	const char *why;

	if (v->data_len < ETH_HLEN ||
	    v->data_len > max_t(u32, n->mtu_max, NIC_LSO_MAX) + VLAN_ETH_HLEN) {
		nic_refuse(n, "frame shorter than an Ethernet header or longer than the MTU");
		kfree_skb(skb);
		return;
	}
	if (!nic_can_send(n)) {
		atomic64_inc(&n->dropped);
		kfree_skb(skb);
		return;
	}
	if (skb) {
		/* hvk_rndis_check() put the frame inside the message. */
		skb_pull(skb, v->data_off);
		skb_trim(skb, v->data_len);
	} else {
		skb = netdev_alloc_skb(peer, v->data_len + NET_IP_ALIGN);
		if (!skb) {
			atomic64_inc(&n->dropped);
			return;
		}
		skb_reserve(skb, NET_IP_ALIGN);
		skb_put_data(skb, msg + v->data_off, v->data_len);
	}
	why = nic_tx_ppi(n, skb, msg, v);
	if (why) {
		nic_refuse(n, why);
		kfree_skb(skb);
		return;
	}
	skb->protocol = eth_type_trans(skb, peer);
	atomic64_inc(&n->from_guest);
	local_bh_disable();
	netif_rx(skb);
	local_bh_enable();
}

/*
 * The bytes of a GPA-direct send (its ranges checked), or 0 when they are
 * more than NIC_GATHER_MAX.
 */
static u32 nic_gpa_len(const u8 *desc)
{
	const struct hvk_pkt_gpa_direct *h = (const void *)desc;
	u32 off = sizeof(*h), got = 0, i;

	for (i = 0; i < h->range_cnt; i++) {
		struct hvk_gpa_range r;

		memcpy(&r, desc + off, sizeof(r));
		off += sizeof(r) + hvk_hv_pages(r.byte_offset, r.byte_count) * sizeof(u64);
		if (r.byte_count > NIC_GATHER_MAX - got)
			return 0;
		got += r.byte_count;
	}
	return got;
}

/*
 * Gather a GPA-direct send's bytes (its ranges checked, nic_gpa_len() of
 * them fit) into @gather. Returns the bytes, or 0 when a page is not the
 * guest's RAM.
 */
static u32 nic_gather(u8 *gather, const u8 *desc)
{
	const struct hvk_pkt_gpa_direct *h = (const void *)desc;
	u32 off = sizeof(*h), got = 0, i, k;

	for (i = 0; i < h->range_cnt; i++) {
		struct hvk_gpa_range r;
		u32 npfns, start, left;

		memcpy(&r, desc + off, sizeof(r));
		off += sizeof(r);
		npfns = hvk_hv_pages(r.byte_offset, r.byte_count);
		start = r.byte_offset;
		left = r.byte_count;
		for (k = 0; k < npfns; k++, off += sizeof(u64)) {
			u32 per = PAGE_SIZE / HVK_HV_PAGE_SIZE, len = min(left, HVK_HV_PAGE_SIZE - start);
			u64 pfn;
			u8 *va;

			memcpy(&pfn, desc + off, sizeof(pfn));
			if (!pfn_valid(pfn / per))
				return 0;
			va = kmap_local_page(pfn_to_page(pfn / per));
			memcpy(gather + got, va + (pfn % per) * HVK_HV_PAGE_SIZE + start, len);
			kunmap_local(va);
			got += len;
			left -= len;
			start = 0;
		}
	}
	return got;
}

static void nic_rndis_pkt(struct sim_nic *n, struct sim_chan *c, const u8 *pkt, u32 len,
			  const struct hvk_nvsp_msg *in)
{
	const struct hvk_pkt_desc *d = (const void *)pkt;
	struct hvk_nvsp_msg m = { .type = HVK_NVSP1_SEND_RNDIS_PKT_COMPLETE };
	u32 idx = in->rndis_pkt.section_index, size = in->rndis_pkt.section_size, ctrl;
	struct hvk_rndis_view v;
	struct sk_buff *skb = NULL;
	const char *why = NULL;
	const u8 *msg = NULL;

	ctrl = in->rndis_pkt.channel_type;
	if (!n->nvsp_ver || !READ_ONCE(n->recv_g)) {
		why = "RNDIS before NVSP INIT and the receive buffer";
	} else if (ctrl != HVK_NVSP_CHAN_DATA && ctrl != HVK_NVSP_CHAN_CONTROL) {
		why = "RNDIS channel type neither data nor control";
	} else if (idx != HVK_NVSP_NO_SECTION) {
		if (d->type != HVK_PKT_DATA_INBAND)
			why = "a send section with a GPA-direct packet";
		else if (!n->send_g)
			why = "a send section without a send buffer";
		else if (idx >= n->send_sections)
			why = "send section index outside the send buffer";
		else if (!size || size > n->send_section)
			why = "send section size outside the section";
		else
			msg = (const u8 *)n->send_g->va + idx * n->send_section;
	} else if (d->type != HVK_PKT_DATA_USING_GPA_DIRECT) {
		why = "no send section and no GPA-direct ranges";
	} else {
		why = hvk_gpa_desc_check(pkt, d->offset8 * 8);
		size = why ? 0 : nic_gpa_len(pkt);
		if (!why && !size)
			why = "GPA-direct ranges longer than a frame may be";
		/*
		 * A frame goes out in an skb: gathered into it, the one copy.
		 * The rest (control, a NIC that drops) in the channel's buffer.
		 */
		if (!why && ctrl == HVK_NVSP_CHAN_DATA && nic_can_send(n))
			skb = netdev_alloc_skb(n->peer, size + NET_IP_ALIGN);
		if (skb) {
			skb_reserve(skb, NET_IP_ALIGN);
			msg = skb_put(skb, size);
		} else if (!why) {
			msg = n->q[c->subidx].gather;
			if (!msg)
				why = "no memory to gather a GPA-direct send";
		}
		if (!why && !nic_gather((u8 *)msg, pkt))
			why = "GPA-direct ranges not guest RAM";
	}
	if (!why)
		why = hvk_rndis_check(msg, size, &v);
	if (!why && c->subidx && ctrl != HVK_NVSP_CHAN_DATA)
		why = "RNDIS control message on a sub-channel";
	/* A message on the wrong one of the two is completed as invalid, as Hyper-V does. */
	if (!why && ctrl == HVK_NVSP_CHAN_DATA && v.type != HVK_RNDIS_PACKET)
		why = "RNDIS control message on the data channel";
	if (!why && ctrl == HVK_NVSP_CHAN_CONTROL && !nic_rndis_control_type(v.type))
		why = "RNDIS message type not for the control channel";
	if (why) {
		nic_refuse(n, why);
		kfree_skb(skb);
		m.complete.status = HVK_NVSP_STAT_INVALID_RNDIS;
	} else {
		if (ctrl == HVK_NVSP_CHAN_DATA)
			nic_rndis_data(n, msg, &v, skb);
		else
			nic_rndis_control(n, msg, &v);
		m.complete.status = HVK_NVSP_STAT_SUCCESS;
	}
	if (sim_fault(HVSIM_FAULT_NIC_BOGUS_COMPLETION))
		nic_complete(c, d->trans_id ^ 0x5a5a0000ULL, &m);
	if (d->flags & HVK_PKT_FLAG_COMPLETION_REQUESTED)
		nic_complete(c, d->trans_id, &m);
}

/*
 * NVSP 5: the guest asks for sub-channels. As openvmm's netvsp: granted
 * when the operation is ALLOCATE and they fit the queues with the primary,
 * else FAIL; they are offered then (sim_offer_work), as Hyper-V does.
 */
static void nic_subchannels(struct sim_nic *n, struct sim_chan *c, u64 tid,
			    const struct hvk_nvsp_msg *in)
{
	struct hvk_nvsp_msg m = { .type = HVK_NVSP5_SUBCHANNEL };
	u32 want = in->subchannel.num;

	if (n->nvsp_ver < HVK_NVSP_V5 || !READ_ONCE(n->recv_g)) {
		nic_refuse(n, "sub-channels asked for before NVSP 5 and the receive buffer");
		m.subchannel.op = HVK_NVSP_STAT_FAIL;
	} else if (in->subchannel.op != HVK_NVSP_SUBCHANNEL_ALLOCATE || !want ||
		   want >= n->nq) {
		nic_refuse(n, "sub-channel request not ALLOCATE, or more than the queues allow");
		m.subchannel.op = HVK_NVSP_STAT_FAIL;
	} else {
		spin_lock_bh(&n->lock);
		n->granted = want;
		spin_unlock_bh(&n->lock);
		m.subchannel.op = HVK_NVSP_STAT_SUCCESS;
		m.subchannel.num = want;
		WRITE_ONCE(n->d->sc_wanted, max(READ_ONCE(n->d->sc_wanted), want));
		queue_work(system_wq, &sim.offer_work);
	}
	nic_complete(c, tid, &m);
}

/*
 * NVSP 4 SWITCH_DATA_PATH: the guest joined its VF (or lost it). A host
 * takes it once the NIC is initialized (NVSP 4 or later, RNDIS up) and
 * completes it with no payload when asked to.
 */
static void nic_switch_dp(struct sim_nic *n, struct sim_chan *c, const struct hvk_pkt_desc *d,
			  const struct hvk_nvsp_msg *in)
{
	struct hvk_pkt_desc r = {};
	u32 dp;

	memcpy(&dp, in->raw, sizeof(dp));
	if (READ_ONCE(n->nvsp_ver) < HVK_NVSP_V4) {
		nic_refuse(n, "SWITCH_DATA_PATH before NVSP 4");
		return;
	}
	if (dp != HVK_NVSP_DATAPATH_SYNTHETIC && dp != HVK_NVSP_DATAPATH_VF) {
		nic_refuse(n, "SWITCH_DATA_PATH to a data path that does not exist");
		return;
	}
	spin_lock_bh(&n->lock);
	if (!n->rndis_up) {
		spin_unlock_bh(&n->lock);
		nic_refuse(n, "SWITCH_DATA_PATH before the NIC is initialized");
		return;
	}
	n->dp_vf = dp == HVK_NVSP_DATAPATH_VF;
	spin_unlock_bh(&n->lock);
	if (!(d->flags & HVK_PKT_FLAG_COMPLETION_REQUESTED))
		return;
	r.type = HVK_PKT_COMP;
	r.offset8 = sizeof(r) / 8;
	r.len8 = sizeof(r) / 8;
	r.trans_id = d->trans_id;
	sim_chan_reply_or_stash(c, &r, sizeof(r));
}

static int nic_serve(struct sim_chan *c, const u8 *pkt, u32 len)
{
	const struct hvk_pkt_desc *d = (const void *)pkt;
	struct sim_nic *n = c->dev->priv;
	u32 off = d->offset8 * 8, type, min;
	struct hvk_nvsp_msg m = {};

	if (READ_ONCE(n->q[c->subidx].c) != c)
		nic_take_chan(n, c);
	if (d->type == HVK_PKT_COMP) {
		nic_rx_completed(n, d->trans_id);
		return 0;
	}
	if ((d->type != HVK_PKT_DATA_INBAND && d->type != HVK_PKT_DATA_USING_GPA_DIRECT) ||
	    len - off < 4) {
		nic_refuse(n, "a packet that is not an NVSP message");
		return 0;
	}
	memcpy(&type, pkt + off, 4);
	min = hvk_nvsp_min_len(type);
	if (!min || len - off < min) {
		nic_refuse(n, "unknown NVSP message, or shorter than its type");
		return 0;
	}
	memcpy(&m, pkt + off, min_t(u32, len - off, sizeof(m)));
	if (type != HVK_NVSP_INIT && !READ_ONCE(n->nvsp_ver)) {
		nic_refuse(n, "NVSP message before INIT");
		return 0;
	}
	/* A sub-channel carries data and completions only (openvmm's netvsp). */
	if (c->subidx && type != HVK_NVSP1_SEND_RNDIS_PKT) {
		nic_refuse(n, "NVSP control message on a sub-channel");
		return 0;
	}
	switch (type) {
	case HVK_NVSP_INIT:
		nic_nvsp_init(n, c, d->trans_id, &m);
		break;
	case HVK_NVSP1_SEND_NDIS_VER:
		if (m.ndis_ver.major != 6 || m.ndis_ver.minor > 30)
			nic_refuse(n, "NDIS version not 6.0 to 6.30");
		else
			n->ndis_ver = m.ndis_ver.major << 16 | m.ndis_ver.minor;
		break;
	case HVK_NVSP2_SEND_NDIS_CONFIG:
		if (m.ndis_config.mtu > n->mtu_max + ETH_HLEN || m.ndis_config.mtu < ETH_MIN_MTU + ETH_HLEN)
			nic_refuse(n, "NDIS config MTU outside 68 to the host's");
		else
			WRITE_ONCE(n->guest_frame, m.ndis_config.mtu);
		WRITE_ONCE(n->rsc_cap, n->nvsp_ver >= HVK_NVSP_V61 &&
			   (m.ndis_config.caps & HVK_NVSP_CAP_RSC));
		break;
	case HVK_NVSP1_SEND_RECV_BUF:
		nic_recv_buf(n, c, d->trans_id, &m);
		break;
	case HVK_NVSP1_SEND_SEND_BUF:
		nic_send_buf(n, c, d->trans_id, &m);
		break;
	case HVK_NVSP1_REVOKE_RECV_BUF:
		nic_recv_release(n);
		break;
	case HVK_NVSP1_REVOKE_SEND_BUF:
		nic_send_release(n);
		break;
	case HVK_NVSP1_SEND_RNDIS_PKT:
		nic_rndis_pkt(n, c, pkt, len, &m);
		break;
	case HVK_NVSP5_SUBCHANNEL:
		nic_subchannels(n, c, d->trans_id, &m);
		break;
	case HVK_NVSP4_SWITCH_DATA_PATH:
		nic_switch_dp(n, c, d, &m);
		break;
	default:
		nic_refuse(n, "NVSP message a guest does not send");
	}
	return 0;
}

/*
 * An RNDIS KEEPALIVE to the guest, as Hyper-V sends when the guest is
 * quiet; the guest must answer it with KEEPALIVE_C and the same id.
 */
static int nic_keepalive(struct sim_nic *n, struct genl_info *info)
{
	struct {
		struct hvk_rndis_hdr h;
		struct hvk_rndis_keepalive_req k;
	} m = {};
	struct sk_buff *r;
	void *hdr;
	u32 id;
	int ret = 0;

	if (!READ_ONCE(n->rndis_up)) {
		NL_SET_ERR_MSG(info->extack, "the guest's RNDIS adapter is not initialised");
		return -ENOTCONN;
	}
	mutex_lock(&n->ka_lock);
	id = ++n->ka_next ? : ++n->ka_next;
	WRITE_ONCE(n->ka_want, id);
	m.h.type = HVK_RNDIS_KEEPALIVE;
	m.h.len = sizeof(m);
	m.k.req_id = id;
	nic_control(n, &m, sizeof(m));
	if (!wait_event_timeout(n->ka_wq, !READ_ONCE(n->ka_want), 5 * HZ)) {
		WRITE_ONCE(n->ka_want, 0);
		NL_SET_ERR_MSG(info->extack, "the guest did not answer the keepalive");
		ret = -ETIMEDOUT;
	} else {
		smp_rmb();	/* ka_ok was written before ka_want cleared */
		if (!READ_ONCE(n->ka_ok)) {
			NL_SET_ERR_MSG(info->extack, "the guest answered the keepalive with a failure");
			ret = -EPROTO;
		}
	}
	mutex_unlock(&n->ka_lock);
	if (ret)
		return ret;
	r = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	hdr = sim_nl_put_reply(r, info);
	if (!hdr || nla_put_u64_64bit(r, HVSIM_A_NIC_KEEPALIVES, atomic64_read(&n->ka_answered),
				      HVSIM_A_PAD)) {
		nlmsg_free(r);
		return -EMSGSIZE;
	}
	genlmsg_end(r, hdr);
	return genlmsg_reply(r, info);
}

/* NIC_SEND_TABLE: the send indirection table, kept and sent to the guest now. */
static int nic_send_table(struct sim_nic *n, struct genl_info *info)
{
	int ret;

	if (!info->attrs[HVSIM_A_NIC_SEND_TABLE]) {
		NL_SET_ERR_MSG(info->extack, "NIC_SEND_TABLE takes 16 queue numbers");
		return -EINVAL;
	}
	spin_lock_bh(&n->lock);
	memcpy(n->send_tab, nla_data(info->attrs[HVSIM_A_NIC_SEND_TABLE]), sizeof(n->send_tab));
	n->send_tab_set = true;
	ret = nic_send_table_locked(n);
	spin_unlock_bh(&n->lock);
	if (ret == -ENOTCONN)
		NL_SET_ERR_MSG(info->extack, "kept; the guest has no NVSP 5 channel to send it on");
	else if (ret)
		NL_SET_ERR_MSG(info->extack, "kept; the guest's ring had no room for it");
	return ret;
}

/* NIC_SPEED: the speed the host reports; the guest is told of a change. */
static int nic_speed(struct sim_nic *n, struct genl_info *info)
{
	u32 speed;
	int ret = 0;

	if (!info->attrs[HVSIM_A_NIC_SPEED]) {
		NL_SET_ERR_MSG(info->extack, "NIC_SPEED takes a speed in Mbit/s");
		return -EINVAL;
	}
	speed = nla_get_u32(info->attrs[HVSIM_A_NIC_SPEED]);
	spin_lock_bh(&n->lock);
	if (n->speed != speed && n->rndis_up)
		ret = nic_indicate_speed_locked(n, speed);
	WRITE_ONCE(n->speed, speed);
	spin_unlock_bh(&n->lock);
	if (ret)
		pr_err_ratelimited("hvkit_sim: nic %pUl: the link speed indication to the guest was lost (%d)\n",
				   &n->d->instance, ret);
	return 0;
}

static int nic_cmd(struct sim_dev *d, struct genl_info *info)
{
	struct sim_nic *n = d->priv;
	bool up, was;

	if (info->genlhdr->cmd == HVSIM_CMD_NIC_KEEPALIVE)
		return nic_keepalive(n, info);
	if (info->genlhdr->cmd == HVSIM_CMD_NIC_SPEED)
		return nic_speed(n, info);
	if (info->genlhdr->cmd == HVSIM_CMD_NIC_SEND_TABLE)
		return nic_send_table(n, info);
	if (info->genlhdr->cmd != HVSIM_CMD_NIC_LINK || !info->attrs[HVSIM_A_NIC_LINK]) {
		NL_SET_ERR_MSG(info->extack, "the nic takes NIC_LINK with a link state");
		return -EINVAL;
	}
	up = nla_get_u32(info->attrs[HVSIM_A_NIC_LINK]);
	spin_lock_bh(&n->lock);
	was = n->link_up;
	n->link_up = up;
	spin_unlock_bh(&n->lock);
	flush_work(&n->reg_work);
	if (n->peer) {
		rtnl_lock();
		if (up)
			netif_carrier_on(n->peer);
		else
			netif_carrier_off(n->peer);
		rtnl_unlock();
	}
	if (was != up && READ_ONCE(n->rndis_up))
		nic_indicate_link(n, up);
	return 0;
}

static int nic_fill(const struct sim_dev *d, struct sk_buff *skb)
{
	const struct sim_nic *n = d->priv;
	char name[IFNAMSIZ];

	snprintf(name, sizeof(name), "hvsim%d", n->index);
	if (nla_put(skb, HVSIM_A_NIC_MAC, ETH_ALEN, n->mac) ||
	    nla_put_u32(skb, HVSIM_A_NIC_MTU, n->mtu_max) ||
	    nla_put_u32(skb, HVSIM_A_NIC_LINK, READ_ONCE(n->link_up)) ||
	    nla_put_string(skb, HVSIM_A_NIC_NETDEV, name) ||
	    nla_put_u32(skb, HVSIM_A_NIC_NVSP, READ_ONCE(n->nvsp_ver)) ||
	    nla_put_u32(skb, HVSIM_A_NIC_NVSP_MAX, n->nvsp_max) ||
	    nla_put_u64_64bit(skb, HVSIM_A_NIC_REFUSED, atomic64_read(&n->refused), HVSIM_A_PAD) ||
	    nla_put_u32(skb, HVSIM_A_NIC_OFFLOADS,
			(n->ofl_grant & HVK_OFL_TX_CSUM ? HVSIM_NIC_OFL_CSUM : 0) |
			(n->ofl_grant & HVK_OFL_LSO4 ? HVSIM_NIC_OFL_TSO : 0) |
			(n->ofl_grant & HVK_OFL_RSC4 ? HVSIM_NIC_OFL_RSC : 0)) ||
	    nla_put_u32(skb, HVSIM_A_NIC_OFFLOADS_ON, READ_ONCE(n->ofl_on)) ||
	    nla_put_u64_64bit(skb, HVSIM_A_NIC_LSO_FRAMES, atomic64_read(&n->lso_frames),
			      HVSIM_A_PAD) ||
	    nla_put_u64_64bit(skb, HVSIM_A_NIC_CSUM_FRAMES, atomic64_read(&n->csum_frames),
			      HVSIM_A_PAD) ||
	    nla_put_u64_64bit(skb, HVSIM_A_NIC_KEEPALIVES, atomic64_read(&n->ka_answered),
			      HVSIM_A_PAD) ||
	    nla_put_u32(skb, HVSIM_A_NIC_DATAPATH, READ_ONCE(n->dp_vf)) ||
	    nla_put_u32(skb, HVSIM_A_NIC_RECV_BUF, READ_ONCE(n->recv_bytes)) ||
	    nla_put_u32(skb, HVSIM_A_NIC_RECV_SECTIONS, READ_ONCE(n->nsub)) ||
	    nla_put_u32(skb, HVSIM_A_NIC_SEND_BUF, READ_ONCE(n->send_bytes)) ||
	    nla_put_u32(skb, HVSIM_A_NIC_SEND_SECTIONS, READ_ONCE(n->send_sections)) ||
	    nla_put_u32(skb, HVSIM_A_NIC_SPEED, READ_ONCE(n->speed)) ||
	    nla_put_u32(skb, HVSIM_A_NIC_FILTER, READ_ONCE(n->filter)) ||
	    nla_put_u32(skb, HVSIM_A_NIC_MCAST, READ_ONCE(n->nmcast)) ||
	    nla_put_u64_64bit(skb, HVSIM_A_NIC_FILTERED, atomic64_read(&n->filtered),
			      HVSIM_A_PAD) ||
	    nla_put_u64_64bit(skb, HVSIM_A_NIC_SEND_TABLES, atomic64_read(&n->tabs_sent),
			      HVSIM_A_PAD) ||
	    nla_put_u64_64bit(skb, HVSIM_A_NIC_RESETS, atomic64_read(&n->resets), HVSIM_A_PAD))
		return -EMSGSIZE;
	return 0;
}

/* Hyper-V's synthetic NIC: f8615163-df3e-46c5-913f-f2d2f965ed0e. */
const struct sim_dev_type sim_nic_type = {
	.name = "nic",
	.class_id = GUID_INIT(0xf8615163, 0xdf3e, 0x46c5,
			      0x91, 0x3f, 0xf2, 0xd2, 0xf9, 0x65, 0xed, 0x0e),
	.init = nic_init,
	.destroy = nic_destroy,
	.opened = nic_opened,
	.closed = nic_closed,
	.serve = nic_serve,
	.cmd = nic_cmd,
	.fill = nic_fill,
};
