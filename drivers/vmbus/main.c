// SPDX-License-Identifier: GPL-2.0
/*
 * hvkit_vmbus: the VMBus core. It owns the "vmbus" bus and the ring buffer
 * code shared with the simulated host; transports (Hyper-V's SynIC, or
 * hvkit_sim) attach below it and device drivers above it.
 */
#include <linux/module.h>
#include <hvkit/ring.h>
#include "core.h"

EXPORT_SYMBOL_GPL(hvk_ring_init);
EXPORT_SYMBOL_GPL(hvk_ring_write);
EXPORT_SYMBOL_GPL(hvk_ring_set_pending);
EXPORT_SYMBOL_GPL(hvk_ring_read);
EXPORT_SYMBOL_GPL(hvk_ring_commit);
EXPORT_SYMBOL_GPL(hvk_ring_mask);
EXPORT_SYMBOL_GPL(hvk_ring_unmask);
EXPORT_SYMBOL_GPL(hvk_ring_avail_read);
EXPORT_SYMBOL_GPL(hvk_ring_avail_write);
EXPORT_SYMBOL_GPL(hvk_ring_max_pkt);

static int __init hvk_vmbus_init(void)
{
	int ret;

	ret = hvk_conn_init();
	if (ret)
		return ret;
	ret = hvk_synic_init();
	if (ret)
		goto err_conn;
	ret = hvk_chan_init();
	if (ret)
		goto err_synic;
	ret = hvk_bus_init();
	if (ret)
		goto err_chan;
	hvk_msg_debugfs_init();
	return 0;

err_chan:
	hvk_chan_exit();
err_synic:
	hvk_synic_exit();
err_conn:
	hvk_conn_exit();
	return ret;
}

/* A transport module holds a reference on us, so none is attached here. */
static void __exit hvk_vmbus_exit(void)
{
	hvk_msg_debugfs_exit();
	hvk_bus_exit();
	hvk_chan_exit();
	hvk_synic_exit();
	hvk_conn_exit();
}

module_init(hvk_vmbus_init);
module_exit(hvk_vmbus_exit);
MODULE_DESCRIPTION("hvkit VMBus core");
MODULE_LICENSE("GPL");
