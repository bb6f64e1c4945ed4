// SPDX-License-Identifier: GPL-2.0
/*
 * The MMIO space Hyper-V lets VMBus devices use: the address ranges in the
 * _CRS of the VMBus ACPI device or of its ancestor VMOD (Gen1 and Gen2
 * firmware put them in different places, as upstream's vmbus_acpi_add()
 * notes), one below 4 GiB and one above. Each becomes a window of the
 * core's MMIO allocator, claimed in iomem_resource.
 */
#include <linux/acpi.h>
#include <linux/ioport.h>
#include <linux/slab.h>
#include "transport.h"
#include "hyperv.h"

#define HVK_HV_MMIO_MAX		4

static struct resource *hvk_hv_mmio[HVK_HV_MMIO_MAX];
static unsigned int hvk_hv_nmmio;

static acpi_status hvk_hv_walk(struct acpi_resource *res, void *ctx)
{
	struct acpi_resource_address64 a;
	struct resource *r;

	if (res->type != ACPI_RESOURCE_TYPE_ADDRESS32 &&
	    res->type != ACPI_RESOURCE_TYPE_ADDRESS64)
		return AE_OK;
	if (ACPI_FAILURE(acpi_resource_to_address64(res, &a)) ||
	    a.resource_type != ACPI_MEMORY_RANGE || !a.address.address_length ||
	    a.address.maximum < a.address.minimum || hvk_hv_nmmio == HVK_HV_MMIO_MAX)
		return AE_OK;
	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return AE_NO_MEMORY;
	r->name = "hvkit VMBus MMIO";
	r->flags = IORESOURCE_MEM;
	r->start = a.address.minimum;
	r->end = a.address.maximum;
	if (request_resource(&iomem_resource, r)) {
		pr_warn("hvkit_hyperv: MMIO range %pR overlaps another, not used\n", r);
		kfree(r);
		return AE_OK;
	}
	hvk_hv_mmio[hvk_hv_nmmio++] = r;
	return AE_OK;
}

int hvk_hv_mmio_init(void)
{
	struct acpi_device *adev = acpi_dev_get_first_match_dev("VMBUS", NULL, -1);
	struct acpi_device *a;
	unsigned int i;
	int ret = 0;

	if (!adev)
		adev = acpi_dev_get_first_match_dev("VMBus", NULL, -1);
	if (!adev) {
		pr_info("hvkit_hyperv: no VMBus ACPI device: devices get no MMIO space\n");
		return 0;
	}
	for (a = adev; a && a->handle != ACPI_ROOT_OBJECT && !hvk_hv_nmmio; a = acpi_dev_parent(a))
		acpi_walk_resources(a->handle, METHOD_NAME__CRS, hvk_hv_walk, NULL);
	acpi_dev_put(adev);
	for (i = 0; i < hvk_hv_nmmio && !ret; i++)
		ret = hvk_mmio_window_add(hvk_hv_mmio[i]);
	if (ret)
		hvk_hv_mmio_exit();
	return ret;
}

void hvk_hv_mmio_exit(void)
{
	while (hvk_hv_nmmio) {
		struct resource *r = hvk_hv_mmio[--hvk_hv_nmmio];

		hvk_mmio_window_del(r);
		release_resource(r);
		kfree(r);
	}
}
