// SPDX-License-Identifier: GPL-2.0
/* 6.18 (backported to Debian's 6.12): struct syscore, whose ops get a data pointer. */
#include <linux/syscore_ops.h>

static void probe_shutdown(void *data)
{
}

static const struct syscore_ops probe_ops = {
	.shutdown = probe_shutdown,
};

static struct syscore probe_syscore = {
	.ops = &probe_ops,
};

static void __maybe_unused probe_register(void)
{
	register_syscore(&probe_syscore);
}
