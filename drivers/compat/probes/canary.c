// SPDX-License-Identifier: GPL-2.0
/* Always compiles: if it does not, the probes' build is broken, not the API. */
#include <linux/module.h>

static int __maybe_unused probe_canary(void)
{
	return 0;
}
