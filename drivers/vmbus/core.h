/* SPDX-License-Identifier: GPL-2.0 */
/* Private to the hvkit_vmbus module: what its files share. */
#ifndef _HVK_CORE_H
#define _HVK_CORE_H

#include <hvk_compat.h>
#include "hvk_vmbus.h"

extern hvk_bus_type hvk_bus;

int hvk_bus_init(void);
void hvk_bus_exit(void);

#endif /* _HVK_CORE_H */
