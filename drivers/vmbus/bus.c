// SPDX-License-Identifier: GPL-2.0
/*
 * The "vmbus" bus: devices, drivers, matching by class GUID, sysfs and
 * uevents, laid out as upstream's so that lsvmbus, udev rules, cloud-init
 * and WALinuxAgent find what they expect under /sys/bus/vmbus.
 */
#include <linux/dma-mapping.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <hvk_compat.h>
#include "core.h"

static const struct hv_vmbus_device_id *
hvk_match_id(const struct hv_vmbus_device_id *id, const guid_t *class_id)
{
	if (!id)
		return NULL;
	for (; !guid_is_null(&id->guid); id++)
		if (guid_equal(&id->guid, class_id))
			return id;
	return NULL;
}

static int hvk_bus_match(struct device *dev, hvk_bus_match_drv *drv)
{
	const struct hvk_driver *hdrv = to_hvk_driver(drv);
	struct hvk_device *hdev = to_hvk_device(dev);

	return hvk_match_id(hdrv->id_table, &hdev->class_id) != NULL;
}

static int hvk_bus_uevent(hvk_bus_uevent_dev *dev, struct kobj_uevent_env *env)
{
	const struct hvk_device *hdev = container_of(dev, struct hvk_device, dev);
	int ret;

	ret = add_uevent_var(env, "MODALIAS=vmbus:%*phN", 16, hdev->class_id.b);
	if (ret)
		return ret;
	return add_uevent_var(env, "DEVICE_ID=%pUl", &hdev->instance_id);
}

static int hvk_bus_probe(struct device *dev)
{
	struct hvk_driver *hdrv = to_hvk_driver(dev->driver);
	struct hvk_device *hdev = to_hvk_device(dev);
	const struct hv_vmbus_device_id *id;

	id = hvk_match_id(hdrv->id_table, &hdev->class_id);
	if (!id || !hdrv->probe)
		return -ENODEV;
	return hdrv->probe(hdev, id);
}

static void hvk_bus_remove(struct device *dev)
{
	struct hvk_driver *hdrv = to_hvk_driver(dev->driver);

	if (hdrv->remove)
		hdrv->remove(to_hvk_device(dev));
}

static void hvk_bus_shutdown(struct device *dev)
{
	struct hvk_driver *hdrv;

	if (!dev->driver)
		return;
	hdrv = to_hvk_driver(dev->driver);
	if (hdrv->shutdown)
		hdrv->shutdown(to_hvk_device(dev));
}

static ssize_t class_id_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "{%pUl}\n", &to_hvk_device(dev)->class_id);
}
static DEVICE_ATTR_RO(class_id);

static ssize_t device_id_show(struct device *dev, struct device_attribute *attr,
			      char *buf)
{
	return sysfs_emit(buf, "{%pUl}\n", &to_hvk_device(dev)->instance_id);
}
static DEVICE_ATTR_RO(device_id);

static ssize_t modalias_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "vmbus:%*phN\n", 16, to_hvk_device(dev)->class_id.b);
}
static DEVICE_ATTR_RO(modalias);

/* The primary channel's relid, as upstream's "id". */
static ssize_t id_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct hvk_channel *ch = to_hvk_device(dev)->channel;

	return sysfs_emit(buf, "%u\n", ch ? ch->relid : 0);
}
static DEVICE_ATTR_RO(id);

static ssize_t monitor_id_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct hvk_channel *ch = to_hvk_device(dev)->channel;

	return sysfs_emit(buf, "%u\n", ch ? ch->monitor_id : HVK_NOT_MONITORED);
}
static DEVICE_ATTR_RO(monitor_id);

/*
 * Upstream's monitor attributes of the primary channel: server_* from the
 * host-to-guest page (0), client_* from the guest-to-host page (1).
 */
#define HVK_MONITOR_ATTR(_name, _page, _field) \
static ssize_t _name##_show(struct device *dev, struct device_attribute *attr, char *buf) \
{ \
	struct hvk_channel *ch = to_hvk_device(dev)->channel; \
 \
	return sysfs_emit(buf, "%u\n", ch ? hvk_monitor_read(ch, _page, _field) : 0); \
} \
static DEVICE_ATTR_RO(_name)

HVK_MONITOR_ATTR(server_monitor_pending, 0, HVK_MON_PENDING);
HVK_MONITOR_ATTR(client_monitor_pending, 1, HVK_MON_PENDING);
HVK_MONITOR_ATTR(server_monitor_latency, 0, HVK_MON_LATENCY);
HVK_MONITOR_ATTR(client_monitor_latency, 1, HVK_MON_LATENCY);
HVK_MONITOR_ATTR(server_monitor_conn_id, 0, HVK_MON_CONN_ID);
HVK_MONITOR_ATTR(client_monitor_conn_id, 1, HVK_MON_CONN_ID);

/* Upstream's state: 1 when the primary channel is open. */
static ssize_t state_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct hvk_channel *ch = to_hvk_device(dev)->channel;

	return sysfs_emit(buf, "%d\n", ch && READ_ONCE(ch->state) == HVK_CHAN_OPEN);
}
static DEVICE_ATTR_RO(state);

static struct attribute *hvk_dev_attrs[] = {
	&dev_attr_class_id.attr,
	&dev_attr_device_id.attr,
	&dev_attr_modalias.attr,
	&dev_attr_id.attr,
	&dev_attr_state.attr,
	NULL,
};

static const struct attribute_group hvk_dev_group = {
	.attrs = hvk_dev_attrs,
};

static struct attribute *hvk_dev_monitor_attrs[] = {
	&dev_attr_monitor_id.attr,
	&dev_attr_server_monitor_pending.attr,
	&dev_attr_client_monitor_pending.attr,
	&dev_attr_server_monitor_latency.attr,
	&dev_attr_client_monitor_latency.attr,
	&dev_attr_server_monitor_conn_id.attr,
	&dev_attr_client_monitor_conn_id.attr,
	NULL,
};

/* As upstream: these exist only where the host monitors the channel. */
static umode_t hvk_dev_monitor_visible(struct kobject *kobj, struct attribute *attr, int n)
{
	struct hvk_channel *ch = to_hvk_device(kobj_to_dev(kobj))->channel;

	return ch && ch->monitor_id != HVK_NOT_MONITORED ? attr->mode : 0;
}

static const struct attribute_group hvk_dev_monitor_group = {
	.attrs = hvk_dev_monitor_attrs,
	.is_visible = hvk_dev_monitor_visible,
};

static const struct attribute_group *hvk_dev_groups[] = {
	&hvk_dev_group,
	&hvk_dev_monitor_group,
	NULL,
};

/* /sys/bus/vmbus/protocol_version: the negotiated version, as "5.3". */
static ssize_t protocol_version_show(hvk_bus_attr_bus *bus, char *buf)
{
	u32 v = READ_ONCE(hvk_conn.version);

	if (!v)
		return sysfs_emit(buf, "none\n");
	return sysfs_emit(buf, "%u.%u\n", HVK_VMBUS_VERSION_MAJOR(v), HVK_VMBUS_VERSION_MINOR(v));
}
static BUS_ATTR_RO(protocol_version);

static struct attribute *hvk_bus_attrs[] = {
	&bus_attr_protocol_version.attr,
	NULL,
};
ATTRIBUTE_GROUPS(hvk_bus);

hvk_bus_type hvk_bus = {
	.bus_groups = hvk_bus_groups,
	.name = "vmbus",
	.match = hvk_bus_match,
	.uevent = hvk_bus_uevent,
	.probe = hvk_bus_probe,
	.remove = hvk_bus_remove,
	.shutdown = hvk_bus_shutdown,
	.dev_groups = hvk_dev_groups,
};

int __hvk_driver_register(struct hvk_driver *drv, struct module *owner,
			  const char *mod_name)
{
	drv->driver.name = drv->name;
	drv->driver.owner = owner;
	drv->driver.mod_name = mod_name;
	drv->driver.bus = &hvk_bus;
	return driver_register(&drv->driver);
}
EXPORT_SYMBOL_GPL(__hvk_driver_register);

void hvk_driver_unregister(struct hvk_driver *drv)
{
	driver_unregister(&drv->driver);
}
EXPORT_SYMBOL_GPL(hvk_driver_unregister);

static void hvk_device_release(struct device *dev)
{
	kfree(to_hvk_device(dev));
}

struct hvk_device *hvk_device_alloc(struct device *parent, const guid_t *class_id,
				    const guid_t *instance_id)
{
	struct hvk_device *hdev;

	hdev = kzalloc(sizeof(*hdev), GFP_KERNEL);
	if (!hdev)
		return NULL;
	guid_copy(&hdev->class_id, class_id);
	guid_copy(&hdev->instance_id, instance_id);
	device_initialize(&hdev->dev);
	hdev->dev.parent = parent;
	hdev->dev.bus = &hvk_bus;
	hdev->dev.release = hvk_device_release;
	/*
	 * The host reaches all of guest memory: 64-bit DMA, and segments as
	 * large as a GPA range can describe.
	 */
	hdev->dev.dma_mask = &hdev->dma_mask;
	hdev->dev.dma_parms = &hdev->dma_parms;
	dma_set_mask_and_coherent(&hdev->dev, DMA_BIT_MASK(64));
	dma_set_max_seg_size(&hdev->dev, U32_MAX);
	if (dev_set_name(&hdev->dev, "%pUl", instance_id)) {
		put_device(&hdev->dev);
		return NULL;
	}
	return hdev;
}
EXPORT_SYMBOL_GPL(hvk_device_alloc);

int hvk_device_add(struct hvk_device *hdev)
{
	return device_add(&hdev->dev);
}
EXPORT_SYMBOL_GPL(hvk_device_add);

void hvk_device_del(struct hvk_device *hdev)
{
	device_del(&hdev->dev);
}
EXPORT_SYMBOL_GPL(hvk_device_del);

static int hvk_bus_notify(struct notifier_block *nb, unsigned long action, void *data)
{
	struct hvk_device *hdev = to_hvk_device(data);

	/* In device_add(), after the device is in sysfs, before it probes. */
	if (action == BUS_NOTIFY_ADD_DEVICE && hdev->channel)
		hvk_chan_dev_registered(hdev);
	return NOTIFY_DONE;
}

static struct notifier_block hvk_bus_nb = {
	.notifier_call = hvk_bus_notify,
};

int hvk_bus_init(void)
{
	int ret = bus_register(&hvk_bus);

	if (ret)
		return ret;
	ret = bus_register_notifier(&hvk_bus, &hvk_bus_nb);
	if (ret)
		bus_unregister(&hvk_bus);
	return ret;
}

void hvk_bus_exit(void)
{
	bus_unregister_notifier(&hvk_bus, &hvk_bus_nb);
	bus_unregister(&hvk_bus);
}
