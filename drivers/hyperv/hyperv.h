/* SPDX-License-Identifier: GPL-2.0 */
/* hvkit_hyperv: what its files share. */
#ifndef _HVK_HYPERV_H
#define _HVK_HYPERV_H

/* The VMBus ACPI device's MMIO ranges, as windows of the core's allocator. */
int hvk_hv_mmio_init(void);
void hvk_hv_mmio_exit(void);

#endif /* _HVK_HYPERV_H */
