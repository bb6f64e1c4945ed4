// SPDX-License-Identifier: GPL-2.0
/*
 * Newer kernels (and Debian's 6.12.117 by backport): a device's
 * driver_override lives in struct device, set with
 * device_set_driver_override(); before, the PCI device had its own.
 */
#include <linux/device.h>

static int __maybe_unused probe_override(struct device *dev)
{
	return device_set_driver_override(dev, "x");
}
