// SPDX-License-Identifier: GPL-2.0
/* 6.3: bus_type.uevent() takes a const struct device. */
#include <linux/device.h>

static int probe_uevent(const struct device *dev, struct kobj_uevent_env *env)
{
	return 0;
}

const struct bus_type probe_bus = { .uevent = probe_uevent };
