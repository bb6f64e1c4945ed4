/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Accelerated networking: a VF (an SR-IOV function, or any Ethernet
 * netdev) with the synthetic NIC's permanent MAC is joined to it as its
 * data path, as upstream's netvsc does (docs/net.md, "VF"). netvsc.c
 * embeds a struct nv_vf and calls these hooks; vf.c does the rest.
 */
#ifndef HVKIT_NET_VF_H
#define HVKIT_NET_VF_H

#include <linux/etherdevice.h>
#include <linux/ethtool.h>
#include <linux/list.h>
#include <linux/netdevice.h>
#include <linux/workqueue.h>

enum nv_vf_stat {
	NV_VF_RX_PACKETS, NV_VF_RX_BYTES, NV_VF_TX_PACKETS, NV_VF_TX_BYTES, NV_VF_TX_DROPPED,
	NV_VF_NSTATS
};

struct nv_vf {
	struct net_device *ndev;	/* the synthetic NIC */
	u8 mac[ETH_ALEN];		/* its permanent MAC, the host's */
	/* Sends NVSP 4 SWITCH_DATA_PATH (to the VF or back); 0 when the host took it. */
	int (*switch_dp)(struct net_device *ndev, bool to_vf);
	/*
	 * Under rtnl: the list entry, the joined VF (RCU for xmit), and the
	 * data path the host was told (READ_ONCE in xmit).
	 */
	struct list_head node;
	bool listed;
	struct net_device __rcu *vf;
	bool dp_vf;
	struct delayed_work setup;	/* MTU, flags, addresses, open: off the notifier */
	atomic64_t stats[NV_VF_NSTATS];
};

int nv_vf_register(const struct net_device_ops *synthetic_ops);
void nv_vf_unregister(void);
void nv_vf_init(struct nv_vf *v, struct net_device *ndev,
		int (*switch_dp)(struct net_device *, bool));
void nv_vf_add(struct nv_vf *v);	/* after register_netdev() */
void nv_vf_del(struct nv_vf *v);	/* before unregister_netdev() */
void nv_vf_open(struct nv_vf *v);	/* ndo_open, ndo_stop (rtnl) */
void nv_vf_close(struct nv_vf *v);
bool nv_vf_xmit(struct nv_vf *v, struct sk_buff *skb);
void nv_vf_stats64(struct nv_vf *v, struct rtnl_link_stats64 *s);
extern const char nv_vf_stat_names[NV_VF_NSTATS][ETH_GSTRING_LEN];

#endif
