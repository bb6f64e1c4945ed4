// SPDX-License-Identifier: GPL-2.0
/* 6.6: struct ms_hyperv_info.vtl, the VTL the guest runs at (6.12 has it, 6.1 does not). */
#include <linux/types.h>
#include <asm/mshyperv.h>

static u8 __maybe_unused probe_ms_hyperv_vtl(void)
{
	return ms_hyperv.vtl;
}
