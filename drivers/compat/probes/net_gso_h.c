// SPDX-License-Identifier: GPL-2.0
/* 6.5: skb_gso_segment() and the GSO helpers moved to <net/gso.h>. */
#include <linux/skbuff.h>
#include <net/gso.h>

static struct sk_buff * __maybe_unused probe_fn(struct sk_buff *skb)
{
	return skb_gso_segment(skb, 0);
}
