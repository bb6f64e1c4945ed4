// SPDX-License-Identifier: GPL-2.0
/* 6.4: bus_attribute.show() takes a const struct bus_type. */
#include <linux/device.h>

static ssize_t probe_show(const struct bus_type *bus, char *buf)
{
	return 0;
}

struct bus_attribute probe_attr = __ATTR(probe, 0444, probe_show, NULL);
