// SPDX-License-Identifier: GPL-2.0
/* 6.8: ethtool_ops.get_rxfh() and set_rxfh() take struct ethtool_rxfh_param. */
#include <linux/ethtool.h>

static int probe_get_rxfh(struct net_device *dev, struct ethtool_rxfh_param *p)
{
	return 0;
}

const struct ethtool_ops probe_ops = { .get_rxfh = probe_get_rxfh };
