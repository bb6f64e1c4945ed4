// SPDX-License-Identifier: GPL-2.0
/* 6.2: IFF_NO_ADDRCONF keeps IPv6 addrconf off a device (before, IFF_SLAVE did). */
#include <linux/netdevice.h>

static void __maybe_unused probe_fn(struct net_device *d)
{
	d->priv_flags |= IFF_NO_ADDRCONF;
}
