// SPDX-License-Identifier: GPL-2.0
/*
 * hvkit_netvsc: accelerated networking. On Hyper-V the host offers a VF
 * (an SR-IOV function on vPCI) with the same MAC as the synthetic NIC;
 * the guest joins it under the synthetic interface, which keeps the
 * addresses and routes, and tells the host with NVSP 4 SWITCH_DATA_PATH
 * where to send the VM's traffic. Facts from upstream's netvsc_drv.c
 * (the netdev notifier, the VF's rx_handler, the upper-device link); no
 * code copied. docs/net.md, "VF".
 *
 * Locking: everything but the xmit and the VF's rx_handler runs under
 * rtnl: the list of synthetic NICs, a NIC's joined VF (published with
 * RCU for the xmit) and its data path. The counters are atomic.
 */
#include <linux/if_arp.h>
#include <linux/if_vlan.h>
#include <linux/rtnetlink.h>
#include "hvk_compat.h"
#include "vf.h"

const char nv_vf_stat_names[NV_VF_NSTATS][ETH_GSTRING_LEN] = {
	"vf_rx_packets", "vf_rx_bytes", "vf_tx_packets", "vf_tx_bytes", "vf_tx_dropped",
};

static LIST_HEAD(nv_vf_list);			/* struct nv_vf, rtnl */
static const struct net_device_ops *nv_synth_ops;

/* The VF received a frame: it is the synthetic NIC's (the VF's rx_handler, RCU). */
static rx_handler_result_t nv_vf_rx(struct sk_buff **pskb)
{
	struct sk_buff *skb = *pskb;
	struct nv_vf *v = rcu_dereference(skb->dev->rx_handler_data);

	skb = skb_share_check(skb, GFP_ATOMIC);
	if (!skb)
		return RX_HANDLER_CONSUMED;
	*pskb = skb;
	skb->dev = v->ndev;
	atomic64_inc(&v->stats[NV_VF_RX_PACKETS]);
	atomic64_add(skb->len, &v->stats[NV_VF_RX_BYTES]);
	return RX_HANDLER_ANOTHER;
}

/* The synthetic NIC's transmit: through the VF while the host sends to it. */
bool nv_vf_xmit(struct nv_vf *v, struct sk_buff *skb)
{
	struct net_device *vf;
	unsigned int len = skb->len;
	int ret;

	if (!READ_ONCE(v->dp_vf))
		return false;
	vf = rcu_dereference_bh(v->vf);
	if (!vf || !netif_running(vf) || !netif_carrier_ok(vf))
		return false;
	skb->dev = vf;
	ret = dev_queue_xmit(skb);
	if (ret == NET_XMIT_SUCCESS || ret == NET_XMIT_CN) {
		atomic64_inc(&v->stats[NV_VF_TX_PACKETS]);
		atomic64_add(len, &v->stats[NV_VF_TX_BYTES]);
	} else {
		atomic64_inc(&v->stats[NV_VF_TX_DROPPED]);
	}
	return true;
}

void nv_vf_stats64(struct nv_vf *v, struct rtnl_link_stats64 *s)
{
	s->rx_packets += atomic64_read(&v->stats[NV_VF_RX_PACKETS]);
	s->rx_bytes += atomic64_read(&v->stats[NV_VF_RX_BYTES]);
	s->tx_packets += atomic64_read(&v->stats[NV_VF_TX_PACKETS]);
	s->tx_bytes += atomic64_read(&v->stats[NV_VF_TX_BYTES]);
	s->tx_dropped += atomic64_read(&v->stats[NV_VF_TX_DROPPED]);
}

/* The data path to (or from) the VF: the host is told, then the xmit follows. */
static void nv_vf_switch(struct nv_vf *v, struct net_device *vf, bool to_vf)
{
	int ret;

	if (v->dp_vf == to_vf)
		return;
	/* Nothing more goes to a VF about to go while the host switches back. */
	if (!to_vf)
		WRITE_ONCE(v->dp_vf, false);
	ret = v->switch_dp(v->ndev, to_vf);
	if (ret) {
		netdev_err(v->ndev, "data path not switched %s VF %s (%d): synthetic\n",
			   to_vf ? "to" : "from", vf->name, ret);
		WRITE_ONCE(v->dp_vf, false);
		return;
	}
	WRITE_ONCE(v->dp_vf, to_vf);
	netdev_info(v->ndev, "data path switched %s VF %s\n", to_vf ? "to" : "from", vf->name);
}

static struct nv_vf *nv_vf_by_mac(const struct net_device *dev)
{
	struct nv_vf *v;

	list_for_each_entry(v, &nv_vf_list, node)
		if ((ether_addr_equal(dev->perm_addr, v->mac) ||
		     ether_addr_equal(dev->dev_addr, v->mac)) &&
		    net_eq(dev_net(dev), dev_net(v->ndev)))
			return v;
	return NULL;
}

static struct nv_vf *nv_vf_by_vf(const struct net_device *dev)
{
	struct nv_vf *v;

	list_for_each_entry(v, &nv_vf_list, node)
		if (rtnl_dereference(v->vf) == dev)
			return v;
	return NULL;
}

/* The VF follows the synthetic NIC: MTU, flags, addresses, up. */
static void nv_vf_setup(struct work_struct *w)
{
	struct nv_vf *v = container_of(w, struct nv_vf, setup.work);
	struct net_device *vf;
	int ret;

	/* nv_vf_unjoin() cancels this work under rtnl. */
	if (!rtnl_trylock()) {
		schedule_delayed_work(&v->setup, 1);
		return;
	}
	vf = rtnl_dereference(v->vf);
	if (!vf)
		goto out;
	ret = dev_set_mtu(vf, v->ndev->mtu);
	if (ret)
		netdev_warn(vf, "MTU %u not taken (%d)\n", v->ndev->mtu, ret);
	dev_change_flags(vf, v->ndev->flags, NULL);
	netif_addr_lock_bh(v->ndev);
	dev_uc_sync(vf, v->ndev);
	dev_mc_sync(vf, v->ndev);
	netif_addr_unlock_bh(v->ndev);
	if (netif_running(v->ndev)) {
		ret = dev_open(vf, NULL);
		if (ret)
			netdev_warn(vf, "not opened (%d)\n", ret);
	}
out:
	rtnl_unlock();
}

/* A netdev with our MAC registered: join it. Under rtnl. */
static void nv_vf_join(struct net_device *vf)
{
	struct nv_vf *v = nv_vf_by_mac(vf);
	int ret;

	if (!v || rtnl_dereference(v->vf))
		return;
	ret = netdev_rx_handler_register(vf, nv_vf_rx, v);
	if (ret) {
		netdev_err(vf, "not joined to %s: its receive handler is taken (%d)\n",
			   v->ndev->name, ret);
		return;
	}
	ret = netdev_master_upper_dev_link(vf, v->ndev, NULL, NULL, NULL);
	if (ret) {
		netdev_err(vf, "not joined to %s: no upper link (%d)\n", v->ndev->name, ret);
		netdev_rx_handler_unregister(vf);
		return;
	}
	vf->flags |= IFF_SLAVE;
	vf->priv_flags |= IFF_NO_ADDRCONF;
	dev_hold(vf);
	rcu_assign_pointer(v->vf, vf);
	if (v->ndev->needed_headroom < vf->needed_headroom)
		v->ndev->needed_headroom = vf->needed_headroom;
	call_netdevice_notifiers(NETDEV_JOIN, vf);
	/* Not in the notifier: dev_open() would run the notifiers again. */
	schedule_delayed_work(&v->setup, HZ / 10);
	netdev_info(v->ndev, "VF %s joined\n", vf->name);
}

/* The VF goes (or the NIC does): the host sends to the synthetic NIC first. */
static void nv_vf_unjoin(struct nv_vf *v)
{
	struct net_device *vf = rtnl_dereference(v->vf);

	if (!vf)
		return;
	cancel_delayed_work_sync(&v->setup);
	nv_vf_switch(v, vf, false);
	netdev_rx_handler_unregister(vf);
	netdev_upper_dev_unlink(vf, v->ndev);
	vf->flags &= ~IFF_SLAVE;
	vf->priv_flags &= ~IFF_NO_ADDRCONF;
	RCU_INIT_POINTER(v->vf, NULL);
	synchronize_net();
	dev_put(vf);
	netdev_info(v->ndev, "VF %s left\n", vf->name);
}

/* VF up, down or its carrier changed: the data path follows. Under rtnl. */
static void nv_vf_changed(struct net_device *vf, unsigned long event)
{
	struct nv_vf *v = nv_vf_by_vf(vf);
	bool up;

	if (!v)
		return;
	up = event != NETDEV_GOING_DOWN && netif_running(vf) && netif_running(v->ndev);
	nv_vf_switch(v, vf, up);
}

static int nv_vf_event(struct notifier_block *nb, unsigned long event, void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);

	/* Only Ethernet netdevs, not ours, not VLANs (which share a MAC). */
	if (dev->netdev_ops == nv_synth_ops || dev->type != ARPHRD_ETHER ||
	    is_vlan_dev(dev) || dev->addr_len != ETH_ALEN)
		return NOTIFY_DONE;
	switch (event) {
	case NETDEV_POST_INIT: {
		struct nv_vf *v = nv_vf_by_mac(dev);

		/* A VF to be: no IPv6 address of its own, before it opens. */
		if (v && !rtnl_dereference(v->vf)) {
			dev->flags |= IFF_SLAVE;
			dev->priv_flags |= IFF_NO_ADDRCONF;
		}
		break;
	}
	case NETDEV_REGISTER:
		nv_vf_join(dev);
		break;
	case NETDEV_UNREGISTER: {
		struct nv_vf *v = nv_vf_by_vf(dev);

		if (v)
			nv_vf_unjoin(v);
		break;
	}
	case NETDEV_UP:
	case NETDEV_DOWN:
	case NETDEV_CHANGE:
	case NETDEV_GOING_DOWN:
		nv_vf_changed(dev, event);
		break;
	}
	return NOTIFY_DONE;
}

static struct notifier_block nv_vf_nb = {
	.notifier_call = nv_vf_event,
};

int nv_vf_register(const struct net_device_ops *synthetic_ops)
{
	nv_synth_ops = synthetic_ops;
	return register_netdevice_notifier(&nv_vf_nb);
}

void nv_vf_unregister(void)
{
	unregister_netdevice_notifier(&nv_vf_nb);
}

void nv_vf_init(struct nv_vf *v, struct net_device *ndev,
		int (*switch_dp)(struct net_device *, bool))
{
	v->ndev = ndev;
	v->switch_dp = switch_dp;
	INIT_LIST_HEAD(&v->node);
	INIT_DELAYED_WORK(&v->setup, nv_vf_setup);
}

/* The NIC is registered: a VF with its MAC already there is joined now. */
void nv_vf_add(struct nv_vf *v)
{
	struct net_device *dev;

	rtnl_lock();
	ether_addr_copy(v->mac, v->ndev->perm_addr);
	if (is_zero_ether_addr(v->mac))
		ether_addr_copy(v->mac, v->ndev->dev_addr);
	list_add(&v->node, &nv_vf_list);
	v->listed = true;
	for_each_netdev(dev_net(v->ndev), dev) {
		if (dev->netdev_ops == nv_synth_ops || dev->type != ARPHRD_ETHER ||
		    is_vlan_dev(dev) || dev->addr_len != ETH_ALEN)
			continue;
		if (ether_addr_equal(dev->perm_addr, v->mac) ||
		    ether_addr_equal(dev->dev_addr, v->mac)) {
			nv_vf_join(dev);
			break;
		}
	}
	rtnl_unlock();
}

void nv_vf_del(struct nv_vf *v)
{
	rtnl_lock();
	nv_vf_unjoin(v);
	if (v->listed)
		list_del(&v->node);
	v->listed = false;
	rtnl_unlock();
}

void nv_vf_open(struct nv_vf *v)
{
	struct net_device *vf = rtnl_dereference(v->vf);
	int ret;

	if (!vf)
		return;
	/* An MTU change reopens the NIC: the VF takes the new MTU here. */
	if (vf->mtu != v->ndev->mtu && dev_set_mtu(vf, v->ndev->mtu))
		netdev_warn(vf, "MTU %u not taken\n", v->ndev->mtu);
	ret = dev_open(vf, NULL);
	if (ret)
		netdev_warn(vf, "not opened with %s (%d)\n", v->ndev->name, ret);
	else if (netif_running(vf))
		nv_vf_switch(v, vf, true);
}

void nv_vf_close(struct nv_vf *v)
{
	struct net_device *vf = rtnl_dereference(v->vf);

	if (!vf)
		return;
	nv_vf_switch(v, vf, false);
	dev_close(vf);
}
