// SPDX-License-Identifier: GPL-2.0
/* 6.16: rdmsrl()/wrmsrl() became rdmsrq()/wrmsrq() (the old names linger as deprecated wrappers). */
#include <linux/types.h>
#include <asm/msr.h>

static void __maybe_unused probe_msr(void)
{
	u64 v;

	rdmsrq(0x10, v);
	wrmsrq(0x10, v);
}
