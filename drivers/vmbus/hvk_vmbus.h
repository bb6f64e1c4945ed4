/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hvkit VMBus: the API for device drivers.
 *
 * A driver names the device classes it serves with a table of
 * struct hv_vmbus_device_id and MODULE_DEVICE_TABLE(vmbus, ...), so that
 * udev and kmod load it when a device of that class appears
 * (uevent MODALIAS=vmbus:<class GUID as 32 hex digits>, as upstream).
 */
#ifndef _HVK_VMBUS_H
#define _HVK_VMBUS_H

#include <linux/device.h>
#include <linux/mod_devicetable.h>
#include <linux/uuid.h>

struct hvk_channel;

struct hvk_device {
	struct device dev;
	guid_t class_id;		/* offer if_type */
	guid_t instance_id;		/* offer if_instance; also the name */
	struct hvk_channel *channel;	/* primary channel */
};

struct hvk_driver {
	const char *name;
	const struct hv_vmbus_device_id *id_table;
	int (*probe)(struct hvk_device *dev, const struct hv_vmbus_device_id *id);
	void (*remove)(struct hvk_device *dev);
	void (*shutdown)(struct hvk_device *dev);
	struct device_driver driver;
};

static inline struct hvk_device *to_hvk_device(struct device *d)
{
	return container_of(d, struct hvk_device, dev);
}

static inline struct hvk_driver *to_hvk_driver(const struct device_driver *d)
{
	return container_of(d, struct hvk_driver, driver);
}

int __hvk_driver_register(struct hvk_driver *drv, struct module *owner,
			  const char *mod_name);
#define hvk_driver_register(drv) \
	__hvk_driver_register(drv, THIS_MODULE, KBUILD_MODNAME)
void hvk_driver_unregister(struct hvk_driver *drv);

/*
 * For the channel layer: a device for a primary channel's offer. The
 * device is named after its instance GUID and lives until the last
 * reference is put (hvk_device_put() before or instead of _add()).
 */
struct hvk_device *hvk_device_alloc(struct device *parent, const guid_t *class_id,
				    const guid_t *instance_id);
int hvk_device_add(struct hvk_device *hdev);
void hvk_device_del(struct hvk_device *hdev);
static inline void hvk_device_put(struct hvk_device *hdev)
{
	put_device(&hdev->dev);
}

#endif /* _HVK_VMBUS_H */
