// SPDX-License-Identifier: GPL-2.0
/*
 * MMIO address space for devices that need some: a vPCI bus's config
 * window and BARs, a framebuffer. The transport says where it is (on
 * Hyper-V the VMBus ACPI device's _CRS, below and above 4 GiB; under the
 * simulated host a range it reserved), and drivers take pieces of it, as
 * with upstream's vmbus_allocate_mmio(). Each piece shows in /proc/iomem
 * under its window, named after the device. A window may be one device's
 * own (a passed-through function's real BARs under the simulated host):
 * that device takes from its own windows first, the smallest that fits
 * first, and no other device takes from them.
 *
 * Also here: MMIO the host traps (hvk_trapped_read/write), which under a
 * host that cannot trap goes to the transport's emulation.
 */
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/slab.h>
#include "core.h"

/* The windows the transport gave; hvk_mmio_lock protects the list and the pieces. */
struct hvk_mmio_window {
	struct list_head node;
	struct resource *res;	/* the transport's, in iomem_resource */
	bool per_dev;		/* only for the device of @instance */
	guid_t instance;
};

static LIST_HEAD(hvk_mmio_windows);
static DEFINE_MUTEX(hvk_mmio_lock);

static int hvk_mmio_window_new(struct resource *res, const guid_t *instance)
{
	struct hvk_mmio_window *w;

	if (!res || !resource_size(res) || !(res->flags & IORESOURCE_MEM))
		return -EINVAL;
	w = kzalloc(sizeof(*w), GFP_KERNEL);
	if (!w)
		return -ENOMEM;
	w->res = res;
	if (instance) {
		w->per_dev = true;
		guid_copy(&w->instance, instance);
	}
	mutex_lock(&hvk_mmio_lock);
	/* A device's own windows come first: hvk_mmio_alloc() walks in order. */
	if (instance)
		list_add(&w->node, &hvk_mmio_windows);
	else
		list_add_tail(&w->node, &hvk_mmio_windows);
	mutex_unlock(&hvk_mmio_lock);
	if (instance)
		pr_info("hvkit_vmbus: MMIO window %pR for %pUl\n", res, instance);
	else
		pr_info("hvkit_vmbus: MMIO window %pR\n", res);
	return 0;
}

int hvk_mmio_window_add(struct resource *res)
{
	return hvk_mmio_window_new(res, NULL);
}
EXPORT_SYMBOL_GPL(hvk_mmio_window_add);

int hvk_mmio_dev_window_add(struct resource *res, const guid_t *instance)
{
	return instance ? hvk_mmio_window_new(res, instance) : -EINVAL;
}
EXPORT_SYMBOL_GPL(hvk_mmio_dev_window_add);

/* Every device is gone, and with it every piece: the window is let go. */
void hvk_mmio_window_del(struct resource *res)
{
	struct hvk_mmio_window *w, *tmp;

	mutex_lock(&hvk_mmio_lock);
	list_for_each_entry_safe(w, tmp, &hvk_mmio_windows, node) {
		if (w->res != res)
			continue;
		if (res->child)
			pr_err("hvkit_vmbus: MMIO window %pR let go with %pR still in use\n",
			       res, res->child);
		list_del(&w->node);
		kfree(w);
	}
	mutex_unlock(&hvk_mmio_lock);
}
EXPORT_SYMBOL_GPL(hvk_mmio_window_del);

struct resource *hvk_mmio_alloc(struct hvk_device *hdev, resource_size_t min,
				resource_size_t max, resource_size_t size,
				resource_size_t align)
{
	struct hvk_mmio_window *w;
	struct resource *r;
	int ret = -ENOSPC;
	u64 tried = 0;	/* the device's own windows tried, by position */

	if (!size || min > max || (align && !is_power_of_2(align)))
		return ERR_PTR(-EINVAL);
	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return ERR_PTR(-ENOMEM);
	r->name = dev_name(&hdev->dev);
	r->flags = IORESOURCE_MEM | IORESOURCE_BUSY;
	mutex_lock(&hvk_mmio_lock);
	/*
	 * The device's own windows first, the smallest that takes the piece
	 * first (best fit: a passed-through function's small BAR must not be
	 * carved from its large one).
	 */
	for (;;) {
		struct hvk_mmio_window *best = NULL;
		int i = 0, bi = 0;

		list_for_each_entry(w, &hvk_mmio_windows, node) {
			if (i == 64)
				break;
			if (w->per_dev && !(tried & BIT_ULL(i)) &&
			    guid_equal(&w->instance, &hdev->instance_id) &&
			    w->res->end >= min && w->res->start <= max &&
			    (!best || resource_size(w->res) < resource_size(best->res))) {
				best = w;
				bi = i;
			}
			i++;
		}
		if (!best)
			break;
		tried |= BIT_ULL(bi);
		ret = allocate_resource(best->res, r, size, max(min, best->res->start),
					min(max, best->res->end), align ?: 1, NULL, NULL);
		if (!ret)
			goto found;
	}
	list_for_each_entry(w, &hvk_mmio_windows, node) {
		if (w->per_dev || w->res->end < min || w->res->start > max)
			continue;
		ret = allocate_resource(w->res, r, size, max(min, w->res->start),
					min(max, w->res->end), align ?: 1, NULL, NULL);
		if (!ret)
			break;
	}
found:
	mutex_unlock(&hvk_mmio_lock);
	if (ret) {
		kfree(r);
		dev_err_ratelimited(&hdev->dev, "no MMIO space for %pa bytes in [%pa, %pa] (%d)\n",
				    &size, &min, &max, ret);
		return ERR_PTR(list_empty(&hvk_mmio_windows) ? -ENODEV : -ENOSPC);
	}
	return r;
}
EXPORT_SYMBOL_GPL(hvk_mmio_alloc);

void hvk_mmio_free(struct resource *r)
{
	if (IS_ERR_OR_NULL(r))
		return;
	mutex_lock(&hvk_mmio_lock);
	release_resource(r);
	mutex_unlock(&hvk_mmio_lock);
	kfree(r);
}
EXPORT_SYMBOL_GPL(hvk_mmio_free);

u32 hvk_trapped_read(void __iomem *va, phys_addr_t phys, u8 size)
{
	const struct hvk_transport_ops *ops = READ_ONCE(hvk_conn.ops);

	if (size != 1 && size != 2 && size != 4)
		return ~0u;
	if (ops && ops->mmio_read)
		return ops->mmio_read(phys, size);
	switch (size) {
	case 1:
		return readb(va);
	case 2:
		return readw(va);
	default:
		return readl(va);
	}
}
EXPORT_SYMBOL_GPL(hvk_trapped_read);

void hvk_trapped_write(void __iomem *va, phys_addr_t phys, u8 size, u32 val)
{
	const struct hvk_transport_ops *ops = READ_ONCE(hvk_conn.ops);

	if (size != 1 && size != 2 && size != 4)
		return;
	if (ops && ops->mmio_write) {
		ops->mmio_write(phys, size, val);
		return;
	}
	switch (size) {
	case 1:
		writeb(val, va);
		break;
	case 2:
		writew(val, va);
		break;
	default:
		writel(val, va);
		break;
	}
}
EXPORT_SYMBOL_GPL(hvk_trapped_write);
