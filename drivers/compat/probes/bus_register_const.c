// SPDX-License-Identifier: GPL-2.0
/* 6.4: bus_register() and struct device.bus take a const struct bus_type. */
#include <linux/device.h>

static const struct bus_type probe_bus = { .name = "probe" };

static int __maybe_unused probe_register(void)
{
	return bus_register(&probe_bus);
}
