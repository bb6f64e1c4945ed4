// SPDX-License-Identifier: GPL-2.0
/* 6.11: bus_type.match() takes a const struct device_driver. */
#include <linux/device.h>

static int probe_match(struct device *dev, const struct device_driver *drv)
{
	return 0;
}

const struct bus_type probe_bus = { .match = probe_match };
