// SPDX-License-Identifier: GPL-2.0
/*
 * hvkit_pci: the guest side of Hyper-V's vPCI, a PCI root bus whose
 * functions the host passes through over one VMBus channel (a GPU, an
 * accelerator). Upstream's counterpart is drivers/pci/controller/pci-hyperv.c.
 *
 * Probe: negotiate vPCI from 1.4 down; take the 2-page config window
 * from the core's MMIO space; ask for bus relations and, for each
 * function, its resource requirements; enter D0 naming the window; take
 * MMIO for every BAR (hvk_mmio_alloc(): under the simulated host, the
 * function's real BARs); tell the host (resources assigned); and create a
 * root bus in the domain the instance GUID names. Config space goes
 * through the window: a write of the function's slot to the first page,
 * then the access in the second, both as MMIO the host traps
 * (hvk_trapped_read()/_write()). Later bus relations add and remove
 * functions; an eject removes one and gives it back.
 *
 * Interrupts: MSI (one vector: no multi-MSI yet) and MSI-X through an
 * irq domain of the bus's own, hierarchical over x86_vector_domain as
 * upstream's: composing a message asks the host for it (CREATE_INTERRUPT
 * with the vector and CPU the vector domain chose) and writes the address
 * and data the host answers; each unmask and affinity change retargets it
 * (hvk_retarget_msi(): HVCALL_RETARGET_INTERRUPT on Hyper-V); freeing it
 * tells the host (DELETE_INTERRUPT). INTx does not exist on vPCI.
 *
 * Not done yet: multi-MSI, power states below D0, the read/write-block
 * messages.
 */
#include <linux/bitmap.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/io.h>
#include <linux/irq.h>
#include <linux/irqdomain.h>
#include <linux/module.h>
#include <linux/msi.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <asm/hw_irq.h>
#include <asm/irqdomain.h>
#include <asm/msi.h>
#include <hvk_compat.h>
#include <hvkit/vpci.h>
#include "hvk_vmbus.h"

#define HVP_RING_SIZE	(5 * PAGE_SIZE)		/* 16 KiB of ring and its control page */
#define HVP_TIMEOUT	(30 * HZ)		/* a host that does not answer */
#define HVP_IRQ_POLL_US	(10 * USEC_PER_SEC)	/* ... an interrupt request, polled */
#define HVP_RESP_MAX	64			/* the largest completion a request takes */
#define HVP_RX_MAX	(sizeof(struct hvk_pkt_desc) + sizeof(struct hvk_vpci_bus_rel) + \
			 HVK_VPCI_MAX_SLOTS * sizeof(struct hvk_vpci_func2))

static const u32 hvp_versions[] = { HVK_VPCI_V1_4, HVK_VPCI_V1_3, HVK_VPCI_V1_2, HVK_VPCI_V1_1 };

/* PCI domains taken by vPCI buses; 0 is the emulated bus's (upstream's rule). */
static DECLARE_BITMAP(hvp_domains, 65536);
static DEFINE_SPINLOCK(hvp_domains_lock);

struct hvp_func {
	struct list_head node;		/* hvp_bus.funcs */
	u32 slot;
	struct hvk_vpci_func2 desc;
	struct hvk_vpci_bars bars;
	struct resource *win[6];	/* MMIO for each BAR, root-bus windows */
	bool present;			/* in the host's latest relations */
	bool on_bus;			/* its windows are on the root bus */
};

/* The one request in flight (req_lock) and where its completion lands. */
struct hvp_req {
	struct completion done;	/* the answer came, or the host went */
	bool answered;
	u32 len;
	u8 resp[HVP_RESP_MAX];
};

struct hvp_bus {
	struct hvk_device *hdev;
	struct hvk_channel *ch;
	u32 version;
	u16 domain;
	struct resource *cfg_res;
	void __iomem *cfg;
	/* cfg_lock: a slot selected and the access that follows it, as one. */
	spinlock_t cfg_lock;
	/*
	 * list_lock guards funcs (the list and each present flag) for the
	 * config accessors, in any context; state_lock serialises the
	 * works, probe and remove, which change them.
	 */
	spinlock_t list_lock;
	struct list_head funcs;
	struct mutex state_lock;
	bool installed;			/* the root bus exists */
	bool removing;
	struct pci_sysdata sysdata;
	struct pci_host_bridge *bridge;	/* ours: put after the root bus is removed */
	struct pci_bus *bus;
	struct workqueue_struct *wq;	/* ordered: relations and ejects, in turn */
	struct completion survey;	/* the first relations are handled */
	int survey_err;			/* ... or refused */
	struct mutex req_lock;
	struct hvp_req req;
	u64 req_id;
	/*
	 * rx_lock: one reader of the inbound ring at a time, the channel's
	 * callback or an interrupt request polling for its answer (which
	 * runs with interrupts off). It guards rx.
	 */
	spinlock_t rx_lock;
	u8 *rx;
	struct fwnode_handle *fwnode;
	struct irq_domain *irq_domain;
	struct msi_domain_info msi_info;
};

/* An interrupt the host mapped for a function: its answer, kept to delete it. */
struct hvp_msi {
	u32 slot;
	struct hvk_vpci_int_desc d;
};

/* One message from the host for the ordered work queue. */
struct hvp_work {
	struct work_struct work;
	struct hvp_bus *hb;
	u32 len;
	u8 msg[];
};

#define hvp_err(hb, fmt, ...) dev_err_ratelimited(&(hb)->hdev->dev, fmt, ##__VA_ARGS__)

/* ---- requests ---- */

/*
 * Send @len bytes at @msg, completion requested, and wait for the host's
 * answer: its payload in hb->req.resp (hb->req.len bytes). Process context.
 */
static int hvp_request(struct hvp_bus *hb, const void *msg, u32 len)
{
	u64 ctx;
	int ret;

	lockdep_assert_held(&hb->req_lock);
	reinit_completion(&hb->req.done);
	hb->req.len = 0;
	WRITE_ONCE(hb->req.answered, false);
	ret = hvk_rqst_add(hb->ch, (u64)(uintptr_t)&hb->req, &hb->req_id);
	if (ret)
		return ret;
	ret = hvk_channel_send(hb->ch, msg, len, hb->req_id, HVK_PKT_DATA_INBAND,
			       HVK_PKT_FLAG_COMPLETION_REQUESTED);
	if (!ret && !wait_for_completion_timeout(&hb->req.done, HVP_TIMEOUT))
		ret = -ETIMEDOUT;
	if (!ret && !smp_load_acquire(&hb->req.answered))
		ret = -ENODEV;	/* woken by the rescind */
	if (!ret)
		return 0;
	if (!hvk_rqst_take(hb->ch, hb->req_id, &ctx)) {
		/* No answer will come for it now. */
		if (ret == -ETIMEDOUT)
			hvp_err(hb, "the host did not answer a request\n");
		return ret;
	}
	/* The answer raced the timeout or the rescind: it is in (or coming), take it. */
	while (!smp_load_acquire(&hb->req.answered))
		wait_for_completion(&hb->req.done);
	return 0;
}

/* A request whose answer is only a status: 0, or -EPROTO when the host refused. */
static int hvp_request_status(struct hvp_bus *hb, const void *msg, u32 len, s32 *status)
{
	s32 st = 0;
	int ret;

	mutex_lock(&hb->req_lock);
	ret = hvp_request(hb, msg, len);
	if (!ret && hvk_vpci_status_check(hb->req.resp, hb->req.len, &st)) {
		hvp_err(hb, "a completion shorter than its status\n");
		ret = -EPROTO;
	}
	mutex_unlock(&hb->req_lock);
	if (status)
		*status = st;
	if (!ret && st < 0)
		ret = -EPROTO;
	return ret;
}

/* ---- config space ---- */

/* The function in @devfn, copied out; false if none is present. */
static bool hvp_func_at(struct hvp_bus *hb, unsigned int devfn, struct hvk_vpci_func2 *desc)
{
	u32 slot = hvk_vpci_devfn_to_slot(devfn);
	struct hvp_func *f;
	unsigned long flags;
	bool found = false;

	spin_lock_irqsave(&hb->list_lock, flags);
	list_for_each_entry(f, &hb->funcs, node)
		if (f->slot == slot && f->present) {
			*desc = f->desc;
			found = true;
			break;
		}
	spin_unlock_irqrestore(&hb->list_lock, flags);
	return found;
}

static u32 hvp_cfg_read(struct hvp_bus *hb, u32 slot, int where, int size)
{
	phys_addr_t base = hb->cfg_res->start;
	unsigned long flags;
	u32 val;

	spin_lock_irqsave(&hb->cfg_lock, flags);
	hvk_trapped_write(hb->cfg, base, 4, slot);
	mb();	/* the slot is selected before the access */
	val = hvk_trapped_read(hb->cfg + HVK_VPCI_CFG_PAGE_OFFSET + where,
			       base + HVK_VPCI_CFG_PAGE_OFFSET + where, size);
	mb();	/* the access is done before the next selection */
	spin_unlock_irqrestore(&hb->cfg_lock, flags);
	return val;
}

static void hvp_cfg_write(struct hvp_bus *hb, u32 slot, int where, int size, u32 val)
{
	phys_addr_t base = hb->cfg_res->start;
	unsigned long flags;

	spin_lock_irqsave(&hb->cfg_lock, flags);
	hvk_trapped_write(hb->cfg, base, 4, slot);
	mb();	/* the slot is selected before the access */
	hvk_trapped_write(hb->cfg + HVK_VPCI_CFG_PAGE_OFFSET + where,
			  base + HVK_VPCI_CFG_PAGE_OFFSET + where, size, val);
	mb();	/* the write is done before the next selection */
	spin_unlock_irqrestore(&hb->cfg_lock, flags);
}

static struct hvp_bus *hvp_of(struct pci_bus *bus)
{
	return container_of(bus->sysdata, struct hvp_bus, sysdata);
}

/*
 * As upstream: the identity comes from bus relations, the ROM BAR and the
 * INTx line and pin read as 0 (vPCI is message-signalled only); the rest
 * from the function's config space through the window.
 *
 * Once the host has rescinded the channel the functions are gone: every
 * read answers all-ones, as a surprise-removed function does, so that a
 * driver's removal sees it absent (pci_device_is_present()) and does not
 * wait for a device that no longer interrupts. (Upstream answers the
 * cached identity there, and nvme then waits out its admin timeout.)
 */
static int hvp_read(struct pci_bus *bus, unsigned int devfn, int where, int size, u32 *val)
{
	struct hvp_bus *hb = hvp_of(bus);
	struct hvk_vpci_func2 d;
	const struct hvk_vpci_func *f = &d.f;

	if (bus->number || hvk_channel_rescinded(hb->ch) || !hvp_func_at(hb, devfn, &d) ||
	    where + size > HVK_VPCI_CFG_PAGE_SIZE) {
		*val = ~0u;
		return PCIBIOS_DEVICE_NOT_FOUND;
	}
	if (where + size <= PCI_COMMAND) {
		u32 id = f->vendor | (u32)f->device << 16;

		*val = (id >> (8 * where)) & (size == 4 ? ~0u : (1u << (8 * size)) - 1);
	} else if (where >= PCI_CLASS_REVISION && where + size <= PCI_CACHE_LINE_SIZE) {
		u32 cr = f->rev | (u32)f->prog_if << 8 | (u32)f->subclass << 16 |
			 (u32)f->base_class << 24;

		*val = (cr >> (8 * (where - PCI_CLASS_REVISION))) &
		       (size == 4 ? ~0u : (1u << (8 * size)) - 1);
	} else if (where >= PCI_SUBSYSTEM_VENDOR_ID && where + size <= PCI_ROM_ADDRESS) {
		*val = (f->subsystem >> (8 * (where - PCI_SUBSYSTEM_VENDOR_ID))) &
		       (size == 4 ? ~0u : (1u << (8 * size)) - 1);
	} else if ((where >= PCI_ROM_ADDRESS && where + size <= PCI_CAPABILITY_LIST) ||
		   (where >= PCI_INTERRUPT_LINE && where + size <= PCI_MIN_GNT)) {
		*val = 0;
	} else {
		*val = hvp_cfg_read(hb, f->slot, where, size);
	}
	return PCIBIOS_SUCCESSFUL;
}

static int hvp_write(struct pci_bus *bus, unsigned int devfn, int where, int size, u32 val)
{
	struct hvp_bus *hb = hvp_of(bus);
	struct hvk_vpci_func2 d;

	if (bus->number || hvk_channel_rescinded(hb->ch) || !hvp_func_at(hb, devfn, &d) ||
	    where + size > HVK_VPCI_CFG_PAGE_SIZE)
		return PCIBIOS_DEVICE_NOT_FOUND;
	if (where >= PCI_INTERRUPT_LINE && where + size <= PCI_MIN_GNT)
		return PCIBIOS_SUCCESSFUL;	/* no INTx */
	hvp_cfg_write(hb, d.f.slot, where, size, val);
	return PCIBIOS_SUCCESSFUL;
}

static struct pci_ops hvp_ops = {
	.read = hvp_read,
	.write = hvp_write,
};

/* ---- functions and their resources ---- */

static struct hvp_func *hvp_func_find(struct hvp_bus *hb, u32 slot)
{
	struct hvp_func *f;

	list_for_each_entry(f, &hb->funcs, node)
		if (f->slot == slot)
			return f;
	return NULL;
}

static int hvp_query_resources(struct hvp_bus *hb, struct hvp_func *f)
{
	struct hvk_vpci_child_msg m = { HVK_VPCI_QUERY_RESOURCE_REQS, f->slot };
	const char *why;
	int ret;

	mutex_lock(&hb->req_lock);
	ret = hvp_request(hb, &m, sizeof(m));
	if (!ret) {
		why = hvk_vpci_res_reqs_check(hb->req.resp, hb->req.len, &f->bars);
		if (why) {
			hvp_err(hb, "slot %#x: resource requirements refused: %s\n", f->slot, why);
			ret = -EPROTO;
		}
	}
	mutex_unlock(&hb->req_lock);
	return ret;
}

/*
 * MMIO for each BAR, from the core: a 32-bit BAR below 4 GiB, aligned to
 * its size. They become root-bus windows, so the PCI core places each BAR
 * in its own (the simulated host lends the real BARs this way).
 */
static int hvp_alloc_bars(struct hvp_bus *hb, struct hvp_func *f)
{
	int i;

	for (i = 0; i < 6; i++) {
		u64 size = f->bars.size[i];
		bool is64 = f->bars.flags[i] & HVK_PCI_BAR_TYPE_64;
		struct resource *r;

		if (!size || f->win[i])
			continue;
		r = hvk_mmio_alloc(hb->hdev, 0, is64 ? ~(resource_size_t)0 : SZ_4G - 1,
				   size, size);
		if (IS_ERR(r)) {
			hvp_err(hb, "slot %#x: no MMIO for BAR %d (%llu bytes)\n", f->slot, i, size);
			return PTR_ERR(r);
		}
		/* As upstream: the piece becomes a bridge window, not a busy region. */
		r->flags &= ~IORESOURCE_BUSY;
		r->flags |= IORESOURCE_WINDOW;
		if (is64)
			r->flags |= IORESOURCE_MEM_64;
		if (f->bars.flags[i] & HVK_PCI_BAR_PREFETCH)
			r->flags |= IORESOURCE_PREFETCH;
		f->win[i] = r;
	}
	return 0;
}

static void hvp_free_bars(struct hvp_func *f)
{
	int i;

	for (i = 0; i < 6; i++) {
		hvk_mmio_free(f->win[i]);
		f->win[i] = NULL;
	}
}

/* The BARs start where their windows are, before the PCI core scans. */
static void hvp_prepopulate(struct hvp_bus *hb, struct hvp_func *f)
{
	int i;

	for (i = 0; i < 6; i++) {
		u64 a;

		if (!f->win[i])
			continue;
		a = f->win[i]->start;
		hvp_cfg_write(hb, f->slot, PCI_BASE_ADDRESS_0 + 4 * i, 4, (u32)a);
		if (f->bars.flags[i] & HVK_PCI_BAR_TYPE_64)
			hvp_cfg_write(hb, f->slot, PCI_BASE_ADDRESS_0 + 4 * (i + 1), 4, a >> 32);
	}
}

static int hvp_resources_assigned(struct hvp_bus *hb, struct hvp_func *f)
{
	struct hvk_vpci_res_assigned2 m = {};
	u32 len = sizeof(m);
	s32 st;
	int ret;

	m.type = HVK_VPCI_RESOURCES_ASSIGNED2;
	if (hb->version < HVK_VPCI_V1_2) {
		m.type = HVK_VPCI_RESOURCES_ASSIGNED;
		len = sizeof(struct hvk_vpci_res_assigned);
	}
	m.slot = f->slot;
	ret = hvp_request_status(hb, &m, len, &st);
	if (ret)
		hvp_err(hb, "slot %#x: resources assigned refused (%d, status %#x)\n", f->slot,
			ret, st);
	return ret;
}

static void hvp_resources_released(struct hvp_bus *hb, struct hvp_func *f)
{
	struct hvk_vpci_child_msg m = { HVK_VPCI_RESOURCES_RELEASED, f->slot };

	if (hvp_request_status(hb, &m, sizeof(m), NULL))
		hvp_err(hb, "slot %#x: the host did not take the resources back\n", f->slot);
}

/* Take a function off the root bus: its pci_dev stopped and removed. */
static void hvp_remove_pci_dev(struct hvp_bus *hb, u32 slot)
{
	struct pci_dev *pdev;

	if (!hb->installed)
		return;
	pci_lock_rescan_remove();
	pdev = pci_get_slot(hb->bus, hvk_vpci_slot_to_devfn(slot));
	if (pdev) {
		pci_stop_and_remove_bus_device(pdev);
		pci_dev_put(pdev);
	}
	pci_unlock_rescan_remove();
}

/* ---- bus relations, hot add and remove ---- */

static void hvp_set_present(struct hvp_bus *hb, struct hvp_func *f, bool present)
{
	unsigned long flags;

	spin_lock_irqsave(&hb->list_lock, flags);
	f->present = present;
	spin_unlock_irqrestore(&hb->list_lock, flags);
}

static int hvp_create_bus(struct hvp_bus *hb);

/* Take the root bus away with every device on it. Under state_lock. */
static void hvp_remove_bus(struct hvp_bus *hb)
{
	struct hvp_func *f;

	if (!hb->installed)
		return;
	pci_lock_rescan_remove();
	pci_stop_root_bus(hb->bus);
	pci_remove_root_bus(hb->bus);
	pci_unlock_rescan_remove();
	pci_free_host_bridge(hb->bridge);	/* the reference pci_alloc_host_bridge() gave */
	hb->installed = false;
	hb->bus = NULL;
	hb->bridge = NULL;
	list_for_each_entry(f, &hb->funcs, node)
		f->on_bus = false;
}

/*
 * A function appears on the live bus: MMIO, the host told, scanned,
 * bound. One that had its windows on the bus already (it was there
 * before) is scanned into place. For a new slot the root bus is made
 * anew with its windows (the PCI core exports no way to add a window to
 * a live root bus), which a bus whose other functions are in use cannot
 * allow: such a slot is refused. Hyper-V puts one function on a bus.
 */
static void hvp_hot_add(struct hvp_bus *hb, struct hvp_func *f)
{
	unsigned int devfn = hvk_vpci_slot_to_devfn(f->slot);
	struct hvp_func *o;
	struct pci_dev *pdev;

	if (!f->on_bus) {
		list_for_each_entry(o, &hb->funcs, node)
			if (o != f && o->present) {
				hvp_err(hb, "slot %#x: a new function on a bus in use is not supported\n",
					f->slot);
				return;
			}
	}
	if (hvp_alloc_bars(hb, f) || hvp_resources_assigned(hb, f))
		return;
	hvp_set_present(hb, f, true);
	if (!f->on_bus) {
		hvp_remove_bus(hb);
		if (hvp_create_bus(hb))
			hvp_err(hb, "slot %#x: the root bus could not be made again\n", f->slot);
	} else {
		hvp_prepopulate(hb, f);
		pci_lock_rescan_remove();
		pdev = pci_scan_single_device(hb->bus, devfn);
		if (pdev) {
			pci_bus_assign_resources(hb->bus);
			pci_bus_add_devices(hb->bus);
		}
		pci_unlock_rescan_remove();
	}
	dev_info(&hb->hdev->dev, "slot %#x (%04x:%04x) added\n", f->slot, f->desc.f.vendor,
		 f->desc.f.device);
}

/*
 * The host's list of functions: new ones are asked for their resources
 * and, once the bus exists, given MMIO and scanned; those missing are
 * taken off the bus. A function keeps its MMIO while the bus exists, so
 * one that comes back in its slot lands where it was.
 */
static void hvp_relations_work(struct work_struct *w)
{
	struct hvp_work *hw = container_of(w, struct hvp_work, work);
	struct hvp_bus *hb = hw->hb;
	DECLARE_BITMAP(seen, HVK_VPCI_MAX_SLOTS);
	struct hvk_vpci_rel_view r;
	struct hvp_func *f;
	unsigned long flags;
	const char *why;
	u32 i;

	bitmap_zero(seen, HVK_VPCI_MAX_SLOTS);
	mutex_lock(&hb->state_lock);
	if (hb->removing)
		goto out;
	why = hvk_vpci_bus_rel_check(hw->msg, hw->len, hb->version, &r);
	if (why) {
		hvp_err(hb, "bus relations refused: %s\n", why);
		if (!hb->installed) {
			hb->survey_err = -EPROTO;
			complete(&hb->survey);
		}
		goto out;
	}
	for (i = 0; i < r.count; i++) {
		struct hvk_vpci_func2 d;

		hvk_vpci_rel_func(hw->msg, &r, i, &d);
		f = hvp_func_find(hb, d.f.slot);
		if (f && !f->present && memcmp(&f->desc.f, &d.f, sizeof(d.f)) && f->on_bus) {
			hvp_err(hb, "slot %#x comes back as another function; ignored\n", d.f.slot);
			continue;
		}
		if (!f) {
			f = kzalloc(sizeof(*f), GFP_KERNEL);
			if (!f)
				continue;
			f->slot = d.f.slot;
			f->desc = d;
			if (hvp_query_resources(hb, f)) {
				kfree(f);
				continue;
			}
			spin_lock_irqsave(&hb->list_lock, flags);
			list_add_tail(&f->node, &hb->funcs);
			spin_unlock_irqrestore(&hb->list_lock, flags);
		} else if (!f->present && hvp_query_resources(hb, f)) {
			continue;
		}
		set_bit(f->slot, seen);
	}
	list_for_each_entry(f, &hb->funcs, node) {
		if (!f->present || test_bit(f->slot, seen))
			continue;
		hvp_remove_pci_dev(hb, f->slot);
		hvp_set_present(hb, f, false);
		dev_info(&hb->hdev->dev, "slot %#x removed\n", f->slot);
	}
	list_for_each_entry(f, &hb->funcs, node) {
		if (f->present || !test_bit(f->slot, seen))
			continue;
		if (hb->installed)
			hvp_hot_add(hb, f);
		else
			hvp_set_present(hb, f, true);
	}
	complete(&hb->survey);
out:
	mutex_unlock(&hb->state_lock);
	kfree(hw);
}

/* The host takes a function back: off the bus, its resources released, the eject completed. */
static void hvp_eject_work(struct work_struct *w)
{
	struct hvp_work *hw = container_of(w, struct hvp_work, work);
	struct hvp_bus *hb = hw->hb;
	struct hvk_vpci_eject_done done = { HVK_VPCI_EJECTION_COMPLETE };
	struct hvp_func *f;
	u32 slot;

	mutex_lock(&hb->state_lock);
	if (hb->removing || hvk_vpci_eject_check(hw->msg, hw->len, &slot))
		goto out;
	f = hvp_func_find(hb, slot);
	if (!f || !f->present) {
		hvp_err(hb, "eject of slot %#x, which has no function\n", slot);
		goto out;
	}
	hvp_remove_pci_dev(hb, slot);
	hvp_set_present(hb, f, false);
	hvp_resources_released(hb, f);
	done.slot = slot;
	if (hvk_channel_send(hb->ch, &done, sizeof(done), 0, HVK_PKT_DATA_INBAND, 0))
		hvp_err(hb, "slot %#x: ejection complete not sent\n", slot);
	dev_info(&hb->hdev->dev, "slot %#x ejected\n", slot);
out:
	mutex_unlock(&hb->state_lock);
	kfree(hw);
}

/* ---- the channel ---- */

static void hvp_queue(struct hvp_bus *hb, work_func_t fn, const u8 *msg, u32 len)
{
	struct hvp_work *hw = kmalloc(struct_size(hw, msg, len), GFP_ATOMIC);

	if (!hw) {
		hvp_err(hb, "no memory for a host message; dropped\n");
		return;
	}
	INIT_WORK(&hw->work, fn);
	hw->hb = hb;
	hw->len = len;
	memcpy(hw->msg, msg, len);
	queue_work(hb->wq, &hw->work);
}

static void hvp_completion(struct hvp_bus *hb, const struct hvk_pkt_desc *d, const u8 *p, u32 len)
{
	struct hvp_req *req;
	u64 ctx;

	if (hvk_rqst_take(hb->ch, d->trans_id, &ctx)) {
		hvp_err(hb, "a completion for request %#llx, not in flight\n", d->trans_id);
		return;
	}
	req = (struct hvp_req *)(uintptr_t)ctx;
	req->len = min_t(u32, len, sizeof(req->resp));
	memcpy(req->resp, p, req->len);
	smp_store_release(&req->answered, true);	/* the answer before the flag */
	complete(&req->done);
}

/* Drain the inbound ring, deferring what sleeps. Under rx_lock. */
static void hvp_drain(struct hvp_bus *hb)
{
	u32 len, type;
	int ret;

again:
	hvk_channel_drain_begin(hb->ch);
	while (!(ret = hvk_channel_recv(hb->ch, hb->rx, HVP_RX_MAX, &len))) {
		const struct hvk_pkt_desc *d = (const void *)hb->rx;
		u32 off = d->offset8 * 8;
		const u8 *p = hb->rx + off;
		u32 plen = len - off;

		if (d->type == HVK_PKT_COMP) {
			hvp_completion(hb, d, p, plen);
			continue;
		}
		if (d->type != HVK_PKT_DATA_INBAND || plen < sizeof(type)) {
			hvp_err(hb, "packet type %u of %u bytes ignored\n", d->type, plen);
			continue;
		}
		memcpy(&type, p, sizeof(type));
		switch (type) {
		case HVK_VPCI_BUS_RELATIONS:
		case HVK_VPCI_BUS_RELATIONS2:
			hvp_queue(hb, hvp_relations_work, p, plen);
			break;
		case HVK_VPCI_EJECT:
			hvp_queue(hb, hvp_eject_work, p, plen);
			break;
		default:
			hvp_err(hb, "message %#x not handled\n", type);
			break;
		}
	}
	if (ret == -EMSGSIZE) {
		hvp_err(hb, "a packet of %u bytes, more than any vPCI message; the bus stops\n", len);
		return;
	}
	if (ret == -EBADMSG)
		return;
	if (hvk_channel_drain_end(hb->ch))
		goto again;
}

/* The channel's callback (its tasklet). */
static void hvp_callback(void *ctx)
{
	struct hvp_bus *hb = ctx;
	unsigned long flags;

	spin_lock_irqsave(&hb->rx_lock, flags);
	hvp_drain(hb);
	spin_unlock_irqrestore(&hb->rx_lock, flags);
}

/* Wake whoever waits on a host that is gone: the probe, a request. */
static void hvp_rescind(void *ctx)
{
	struct hvp_bus *hb = ctx;

	complete(&hb->survey);
	complete(&hb->req.done);
}

/* ---- interrupts ---- */

/*
 * A request from a context that cannot sleep (an irq chip callback, with
 * interrupts off): sent, then its answer polled for by draining the ring
 * here, as upstream's hv_compose_msi_msg() does. 0 with the answer in
 * @req, or -ETIMEDOUT (the request is withdrawn; a late answer is dropped).
 */
static int hvp_request_atomic(struct hvp_bus *hb, const void *msg, u32 len, struct hvp_req *req)
{
	unsigned long flags;
	u64 id, ctx;
	u32 waited;
	int ret;

	req->answered = false;
	req->len = 0;
	init_completion(&req->done);
	ret = hvk_rqst_add(hb->ch, (u64)(uintptr_t)req, &id);
	if (ret)
		return ret;
	ret = hvk_channel_send(hb->ch, msg, len, id, HVK_PKT_DATA_INBAND,
			       HVK_PKT_FLAG_COMPLETION_REQUESTED);
	for (waited = 0; !ret; waited += 20) {
		spin_lock_irqsave(&hb->rx_lock, flags);
		hvp_drain(hb);
		spin_unlock_irqrestore(&hb->rx_lock, flags);
		if (smp_load_acquire(&req->answered))
			return 0;
		if (hvk_channel_rescinded(hb->ch))
			ret = -ENODEV;
		else if (waited >= HVP_IRQ_POLL_US)
			ret = -ETIMEDOUT;
		else
			udelay(20);
	}
	/* Withdrawn under rx_lock: no drain can be answering it meanwhile. */
	spin_lock_irqsave(&hb->rx_lock, flags);
	if (hvk_rqst_take(hb->ch, id, &ctx))
		ret = smp_load_acquire(&req->answered) ? 0 : ret;
	spin_unlock_irqrestore(&hb->rx_lock, flags);
	return ret;
}

static int hvp_irq_cpu(struct irq_data *data)
{
	int cpu = cpumask_first_and(irq_data_get_effective_affinity_mask(data), cpu_online_mask);

	return cpu < nr_cpu_ids ? cpu : cpumask_first(cpu_online_mask);
}

/* Tell the host an interrupt is no longer used (no answer is asked for, as upstream). */
static void hvp_msi_delete(struct hvp_bus *hb, struct hvp_msi *m)
{
	struct hvk_vpci_delete_int del = { HVK_VPCI_DELETE_INTERRUPT, m->slot, m->d };

	if (!hvk_channel_rescinded(hb->ch))
		hvk_channel_send(hb->ch, &del, sizeof(del), 0, HVK_PKT_DATA_INBAND, 0);
	kfree(m);
}

/*
 * The message of an MSI or MSI-X vector: asked of the host for the vector
 * and CPU the vector domain gave it. A message already composed for the
 * irq is deleted first. On failure the message is 0, which no device can
 * raise (logged).
 */
static void hvp_compose(struct irq_data *data, struct msi_msg *msg)
{
	struct pci_dev *pdev = msi_desc_to_pci_dev(irq_data_get_msi_desc(data));
	struct hvp_bus *hb = hvp_of(pdev->bus);
	u32 vector = irqd_cfg(data)->vector, vp = hvk_cpu_vp(hvp_irq_cpu(data));
	u32 slot = hvk_vpci_devfn_to_slot(pdev->devfn), type = hvk_vpci_create_int_type(hb->version);
	union {
		struct hvk_vpci_create_int v1;
		struct hvk_vpci_create_int2 v2;
		struct hvk_vpci_create_int3 v3;
	} c = {};
	struct hvp_msi *m = data->chip_data;
	struct hvp_req req;
	const char *why;
	u32 len;
	int ret;

	memset(msg, 0, sizeof(*msg));
	if (m) {
		data->chip_data = NULL;
		hvp_msi_delete(hb, m);
	}
	m = kzalloc(sizeof(*m), GFP_ATOMIC);
	if (!m)
		return;
	m->slot = slot;
	if (type == HVK_VPCI_CREATE_INTERRUPT) {
		c.v1 = (struct hvk_vpci_create_int){ type, slot,
			{ .vector = vector, .delivery_mode = HVK_VPCI_DELIVERY_FIXED,
			  .vector_count = 1, .cpu_mask = ~0ull } };	/* retargeted at unmask */
		len = sizeof(c.v1);
	} else if (type == HVK_VPCI_CREATE_INTERRUPT2) {
		c.v2.type = type;
		c.v2.slot = slot;
		c.v2.d.vector = vector;
		c.v2.d.delivery_mode = HVK_VPCI_DELIVERY_FIXED;
		c.v2.d.vector_count = 1;
		c.v2.d.vp_count = 1;
		c.v2.d.vp[0] = vp;
		len = sizeof(c.v2);
	} else {
		c.v3.type = type;
		c.v3.slot = slot;
		c.v3.d.vector = vector;
		c.v3.d.delivery_mode = HVK_VPCI_DELIVERY_FIXED;
		c.v3.d.vector_count = 1;
		c.v3.d.vp_count = 1;
		c.v3.d.vp[0] = vp;
		len = sizeof(c.v3);
	}
	ret = hvp_request_atomic(hb, &c, len, &req);
	why = ret ? "no answer from the host" :
	      hvk_vpci_int_reply_check(req.resp, req.len, 1, &m->d);
	if (why) {
		hvp_err(hb, "slot %#x: interrupt refused: %s\n", slot, why);
		kfree(m);
		return;
	}
	data->chip_data = m;
	msg->address_hi = m->d.address >> 32;
	msg->address_lo = (u32)m->d.address;
	msg->data = m->d.data;
}

/* HVCALL_RETARGET_INTERRUPT: the host delivers it as the vector domain now has it. */
static void hvp_retarget(struct irq_data *data)
{
	struct pci_dev *pdev = msi_desc_to_pci_dev(irq_data_get_msi_desc(data));
	struct hvp_bus *hb = hvp_of(pdev->bus);
	const u8 *b = hb->hdev->instance_id.b;
	struct hvp_msi *m = data->chip_data;
	struct hvk_msi_target t;
	int ret;

	if (!m)
		return;
	t.device_id = (u32)b[5] << 24 | (u32)b[4] << 16 | (u32)b[7] << 8 | (b[6] & 0xf8) |
		      PCI_FUNC(pdev->devfn);
	t.msi_addr = (u32)m->d.address;
	t.msi_data = m->d.data;
	t.vector = irqd_cfg(data)->vector;
	t.cpu = hvp_irq_cpu(data);
	t.vp_set = hb->version >= HVK_VPCI_V1_2;
	ret = hvk_retarget_msi(&t);
	if (ret)
		hvp_err(hb, "slot %#x: interrupt retarget to CPU %u failed (%d)\n", m->slot, t.cpu, ret);
}

static void hvp_irq_mask(struct irq_data *data)
{
	pci_msi_mask_irq(data);
}

static void hvp_irq_unmask(struct irq_data *data)
{
	hvp_retarget(data);
	pci_msi_unmask_irq(data);
}

/* A new CPU (and vector) from the vector domain: the host is told at once. */
static int hvp_irq_set_affinity(struct irq_data *data, const struct cpumask *dest, bool force)
{
	int ret = irq_chip_set_affinity_parent(data, dest, force);

	if (ret >= 0 && !irqd_irq_masked(data))
		hvp_retarget(data);
	return ret;
}

static void hvp_msi_free(struct irq_domain *domain, struct msi_domain_info *info,
			 unsigned int virq)
{
	struct irq_data *data = irq_domain_get_irq_data(domain, virq);
	struct hvp_msi *m = data ? data->chip_data : NULL;

	if (!m)
		return;
	data->chip_data = NULL;
	hvp_msi_delete(info->data, m);
}

static struct irq_chip hvp_msi_chip = {
	.name = "hvkit-vPCI-MSI",
	.irq_compose_msi_msg = hvp_compose,
	.irq_set_affinity = hvp_irq_set_affinity,
	.irq_retrigger = irq_chip_retrigger_hierarchy,
	.irq_ack = irq_chip_ack_parent,
	.irq_mask = hvp_irq_mask,
	.irq_unmask = hvp_irq_unmask,
};

static struct msi_domain_ops hvp_msi_ops = {
	.msi_prepare = pci_msi_prepare,
	.msi_free = hvp_msi_free,
};

static int hvp_irq_domain_init(struct hvp_bus *hb)
{
	hb->fwnode = irq_domain_alloc_named_fwnode(dev_name(&hb->hdev->dev));
	if (!hb->fwnode)
		return -ENOMEM;
	hb->msi_info.chip = &hvp_msi_chip;
	hb->msi_info.ops = &hvp_msi_ops;
	hb->msi_info.flags = MSI_FLAG_USE_DEF_DOM_OPS | MSI_FLAG_USE_DEF_CHIP_OPS |
			     MSI_FLAG_PCI_MSIX;
	hb->msi_info.handler = handle_edge_irq;
	hb->msi_info.handler_name = "edge";
	hb->msi_info.data = hb;
	hb->irq_domain = pci_msi_create_irq_domain(hb->fwnode, &hb->msi_info, x86_vector_domain);
	if (!hb->irq_domain) {
		irq_domain_free_fwnode(hb->fwnode);
		hb->fwnode = NULL;
		dev_err(&hb->hdev->dev, "no MSI irq domain\n");
		return -ENODEV;
	}
	return 0;
}

static void hvp_irq_domain_exit(struct hvp_bus *hb)
{
	if (hb->irq_domain)
		irq_domain_remove(hb->irq_domain);
	if (hb->fwnode)
		irq_domain_free_fwnode(hb->fwnode);
	hb->irq_domain = NULL;
	hb->fwnode = NULL;
}

/* ---- probe and remove ---- */

static int hvp_negotiate(struct hvp_bus *hb)
{
	struct hvk_vpci_version_req q = { HVK_VPCI_QUERY_PROTOCOL_VERSION };
	unsigned int i;
	s32 st;
	int ret;

	for (i = 0; i < ARRAY_SIZE(hvp_versions); i++) {
		q.version = hvp_versions[i];
		ret = hvp_request_status(hb, &q, sizeof(q), &st);
		if (!ret) {
			hb->version = q.version;
			dev_info(&hb->hdev->dev, "vPCI %u.%u\n", q.version >> 16, q.version & 0xffff);
			return 0;
		}
		if (ret != -EPROTO || st != HVK_VPCI_STATUS_REVISION_MISMATCH)
			break;
	}
	dev_err(&hb->hdev->dev, "no vPCI version agreed (%d, status %#x)\n", ret, st);
	return ret ?: -EPROTO;
}

/* The domain the instance names, or a free one (upstream's fallback); 0: none. */
static u16 hvp_domain_get(u16 want)
{
	unsigned long d;

	spin_lock(&hvp_domains_lock);
	set_bit(0, hvp_domains);
	d = test_bit(want, hvp_domains) ? find_first_zero_bit(hvp_domains, 65536) : want;
	if (d < 65536)
		set_bit(d, hvp_domains);
	spin_unlock(&hvp_domains_lock);
	return d < 65536 ? d : 0;
}

static void hvp_domain_put(u16 d)
{
	spin_lock(&hvp_domains_lock);
	clear_bit(d, hvp_domains);
	spin_unlock(&hvp_domains_lock);
}

static int hvp_d0_entry(struct hvp_bus *hb)
{
	struct hvk_vpci_d0_entry m = { HVK_VPCI_BUS_D0ENTRY, 0, hb->cfg_res->start };
	s32 st;
	int ret = hvp_request_status(hb, &m, sizeof(m), &st);

	if (ret)
		dev_err(&hb->hdev->dev, "D0 entry refused (%d, status %#x)\n", ret, st);
	return ret;
}

static void hvp_d0_exit(struct hvp_bus *hb)
{
	struct hvk_vpci_msg m = { HVK_VPCI_BUS_D0EXIT };

	if (!hvk_channel_rescinded(hb->ch))
		hvp_request_status(hb, &m, sizeof(m), NULL);
}

static int hvp_create_bus(struct hvp_bus *hb)
{
	struct pci_host_bridge *bridge;
	struct hvp_func *f;
	int i, ret;

	bridge = pci_alloc_host_bridge(0);
	if (!bridge)
		return -ENOMEM;
	list_for_each_entry(f, &hb->funcs, node) {
		if (!f->present)
			continue;
		for (i = 0; i < 6; i++)
			if (f->win[i])
				pci_add_resource(&bridge->windows, f->win[i]);
		f->on_bus = true;
		hvp_prepopulate(hb, f);
	}
	bridge->dev.parent = &hb->hdev->dev;
	bridge->sysdata = &hb->sysdata;
	bridge->ops = &hvp_ops;
	bridge->busnr = 0;
	dev_set_msi_domain(&bridge->dev, hb->irq_domain);
	ret = pci_scan_root_bus_bridge(bridge);
	if (ret) {
		pci_free_host_bridge(bridge);
		list_for_each_entry(f, &hb->funcs, node)
			f->on_bus = false;
		return ret;
	}
	hb->bridge = bridge;
	hb->bus = bridge->bus;
	pci_lock_rescan_remove();
	pci_bus_assign_resources(hb->bus);
	pci_bus_add_devices(hb->bus);
	pci_unlock_rescan_remove();
	hb->installed = true;
	return 0;
}

static void hvp_free_funcs(struct hvp_bus *hb)
{
	struct hvp_func *f, *tmp;
	unsigned long flags;

	list_for_each_entry_safe(f, tmp, &hb->funcs, node) {
		spin_lock_irqsave(&hb->list_lock, flags);
		list_del(&f->node);
		spin_unlock_irqrestore(&hb->list_lock, flags);
		hvp_free_bars(f);
		kfree(f);
	}
}

static int hvp_probe(struct hvk_device *hdev, const struct hv_vmbus_device_id *id)
{
	struct hvk_vpci_msg q = { HVK_VPCI_QUERY_BUS_RELATIONS };
	struct hvp_bus *hb;
	struct hvp_func *f;
	u16 want;
	int ret;

	hb = kzalloc(sizeof(*hb), GFP_KERNEL);
	if (!hb)
		return -ENOMEM;
	hb->hdev = hdev;
	hb->ch = hdev->channel;
	spin_lock_init(&hb->cfg_lock);
	spin_lock_init(&hb->list_lock);
	INIT_LIST_HEAD(&hb->funcs);
	mutex_init(&hb->state_lock);
	mutex_init(&hb->req_lock);
	init_completion(&hb->req.done);
	init_completion(&hb->survey);
	spin_lock_init(&hb->rx_lock);
	ret = -ENOMEM;
	hb->rx = kmalloc(HVP_RX_MAX, GFP_KERNEL);
	if (!hb->rx)
		goto err_free;
	want = hvk_vpci_domain(hdev->instance_id.b);
	hb->domain = hvp_domain_get(want);
	if (!hb->domain) {
		dev_err(&hdev->dev, "no PCI domain free\n");
		ret = -ENOSPC;
		goto err_free;
	}
	hb->wq = alloc_ordered_workqueue("hvkit_pci_%04x", 0, hb->domain);
	if (!hb->wq)
		goto err_domain;
	if (hb->domain != want)
		dev_info(&hdev->dev, "PCI domain %04x is taken; using %04x\n", want, hb->domain);
	hb->sysdata.domain = hb->domain;
	hb->sysdata.node = NUMA_NO_NODE;
	dev_set_drvdata(&hdev->dev, hb);
	ret = hvp_irq_domain_init(hb);
	if (ret)
		goto err_domain;

	hvk_channel_set_rescind_cb(hb->ch, hvp_rescind, hb);
	ret = hvk_channel_open(hb->ch, HVP_RING_SIZE, HVP_RING_SIZE, NULL, 0, hvp_callback, hb);
	if (ret)
		goto err_irq;
	ret = hvp_negotiate(hb);
	if (ret)
		goto err_close;
	hb->cfg_res = hvk_mmio_alloc(hdev, 0, ~(resource_size_t)0, HVK_VPCI_CFG_WINDOW,
				     HVK_VPCI_CFG_WINDOW);
	if (IS_ERR(hb->cfg_res)) {
		ret = PTR_ERR(hb->cfg_res);
		hb->cfg_res = NULL;
		goto err_close;
	}
	hb->cfg = ioremap(hb->cfg_res->start, HVK_VPCI_CFG_WINDOW);
	if (!hb->cfg) {
		ret = -ENOMEM;
		goto err_cfg;
	}
	ret = hvk_channel_send(hb->ch, &q, sizeof(q), 0, HVK_PKT_DATA_INBAND, 0);
	if (ret)
		goto err_unmap;
	if (!wait_for_completion_timeout(&hb->survey, HVP_TIMEOUT) ||
	    hvk_channel_rescinded(hb->ch)) {
		dev_err(&hdev->dev, "no bus relations from the host\n");
		ret = -ETIMEDOUT;
		goto err_unmap;
	}
	ret = hb->survey_err;
	if (ret)
		goto err_unmap;
	ret = hvp_d0_entry(hb);
	if (ret)
		goto err_unmap;
	mutex_lock(&hb->state_lock);
	list_for_each_entry(f, &hb->funcs, node) {
		if (!f->present)
			continue;
		ret = hvp_alloc_bars(hb, f);
		if (!ret)
			ret = hvp_resources_assigned(hb, f);
		if (ret)
			break;
	}
	if (!ret)
		ret = hvp_create_bus(hb);
	mutex_unlock(&hb->state_lock);
	if (ret)
		goto err_d0;
	dev_info(&hdev->dev, "PCI domain %04x\n", hb->domain);
	return 0;

err_d0:
	hvp_d0_exit(hb);
err_unmap:
	iounmap(hb->cfg);
err_cfg:
	hvk_mmio_free(hb->cfg_res);
err_close:
	mutex_lock(&hb->state_lock);
	hb->removing = true;
	mutex_unlock(&hb->state_lock);
	hvk_channel_stop_callbacks(hb->ch);
	drain_workqueue(hb->wq);
	hvk_channel_close(hb->ch);
	hvp_free_funcs(hb);
err_irq:
	hvp_irq_domain_exit(hb);
err_domain:
	hvp_domain_put(hb->domain);
err_free:
	if (hb->wq)
		destroy_workqueue(hb->wq);
	kfree(hb->rx);
	kfree(hb);
	return ret;
}

/*
 * Removal (the device goes, or the host rescinds it): the bus and its
 * devices first, then the host told (resources released, D0 exit) while
 * it still listens, then the channel and the MMIO.
 */
static void hvp_remove(struct hvk_device *hdev)
{
	struct hvp_bus *hb = dev_get_drvdata(&hdev->dev);
	struct hvp_func *f;

	mutex_lock(&hb->state_lock);
	hb->removing = true;
	mutex_unlock(&hb->state_lock);
	flush_workqueue(hb->wq);
	mutex_lock(&hb->state_lock);
	hvp_remove_bus(hb);
	mutex_unlock(&hb->state_lock);
	if (!hvk_channel_rescinded(hb->ch)) {
		list_for_each_entry(f, &hb->funcs, node)
			if (f->present)
				hvp_resources_released(hb, f);
		hvp_d0_exit(hb);
	}
	hvk_channel_stop_callbacks(hb->ch);
	drain_workqueue(hb->wq);
	hvk_channel_close(hb->ch);
	hvp_free_funcs(hb);
	iounmap(hb->cfg);
	hvk_mmio_free(hb->cfg_res);
	hvp_irq_domain_exit(hb);
	hvp_domain_put(hb->domain);
	destroy_workqueue(hb->wq);
	kfree(hb->rx);
	kfree(hb);
}

static const struct hv_vmbus_device_id hvp_ids[] = {
	{ .guid = { .b = { HVK_VPCI_CLASS_BYTES } } },
	{ },
};
MODULE_DEVICE_TABLE(vmbus, hvp_ids);

static struct hvk_driver hvp_driver = {
	.name = "hvkit_pci",
	.id_table = hvp_ids,
	.probe = hvp_probe,
	.remove = hvp_remove,
};

static int __init hvp_init(void)
{
	return hvk_driver_register(&hvp_driver);
}

static void __exit hvp_exit(void)
{
	hvk_driver_unregister(&hvp_driver);
}

module_init(hvp_init);
module_exit(hvp_exit);
MODULE_DESCRIPTION("hvkit vPCI: PCI functions passed through by Hyper-V");
MODULE_LICENSE("GPL");
