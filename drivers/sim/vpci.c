// SPDX-License-Identifier: GPL-2.0
/*
 * Device type vpci: the host side of a vPCI bus with one function on it,
 * a real PCI function of this machine passed through to the guest's
 * second view of it, as Hyper-V passes a GPU or an accelerator.
 *
 * The host takes the function from its driver (driver_override to this
 * module's PCI driver, which does nothing with it), describes it in bus
 * relations, answers the resource requirements with the real BARs' sizes
 * and lends the real BAR ranges to the guest as that device's own MMIO
 * windows (hvk_mmio_dev_window_add()), so the guest's view reaches the real
 * registers. Config space goes through the window named at D0 entry: the
 * host cannot trap MMIO, so the guest's accesses come as the transport's
 * mmio_read()/mmio_write() and are forwarded to the function, with the
 * BARs, the capability list and the MSI and MSI-X capabilities
 * virtualized.
 *
 * Interrupts, as Hyper-V delivers them: the guest asks for each (CREATE_
 * INTERRUPT: its vector and target) and writes the address and data the
 * host answered into the (virtual) MSI capability; when it enables MSI
 * there, the host allocates a real MSI vector on the function, and that
 * vector's handler sends the guest's vector to the guest's target CPU
 * (apic->send_IPI()); HVCALL_RETARGET_INTERRUPT moves the target.
 *
 * MSI-X: the table is in a BAR, which the guest's view maps directly; like
 * Hyper-V, the host does not trap it (upstream's pci-hyperv.c says so at
 * hv_pci_restore_msi_state()), and does what interrupt remapping does:
 * the host holds real MSI-X vectors on the function from the time it takes
 * it (as Hyper-V holds its remapping entries, whatever the guest does), and
 * answers each CREATE_INTERRUPT with the message of a real vector of its
 * own, bound to the guest's vector and CPU. Whatever table entry the guest
 * writes that message into, the device raises a host vector, whose handler
 * sends the guest's vector to the guest's CPU. Per-entry masks are the real
 * ones; the guest's enable bit and function mask become the real function
 * mask (vpci_msi_work). Held from the start because the guest asks with
 * interrupts off on its CPU, polling: allocating them then could wait for
 * that very CPU (an IPI every CPU must answer). Only a guest that moves
 * from MSI to MSI-X (MSI took them), or a function that lost its MSI-X
 * state (a reset), waits for them to be allocated again.
 *
 * Nor does it wait for the serve work: that needs a CPU other than the
 * polling guest's, and one that meanwhile waits in
 * smp_call_function_many_cond() for the polling one (seen in pci/nvme,
 * about 1 round in 20) runs nothing but interrupts. CREATE_INTERRUPT is
 * served on the channel's fast path (vpci_serve_atomic(), docs/sim.md),
 * a function call on another CPU. Hyper-V's host has CPUs of its own.
 *
 * Facts: upstream's pci-hyperv.c (the guest the host talks to), openvmm's
 * vm/devices/pci/vpci (what a host refuses).
 */
#include <linux/completion.h>
#include <linux/debugfs.h>
#include <linux/interrupt.h>
#include <linux/msi.h>
#include <linux/pci.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <net/genetlink.h>
#include <asm/apic.h>
#include <hvk_compat.h>
#include <hvkit/vpci.h>
#include "hvk_vmbus.h"
#include "transport.h"
#include "sim.h"

#define VPCI_SLOT		0	/* device 0, function 0 of the guest's bus */
#define VPCI_SERIAL		1
#define VPCI_EJECT_TIMEOUT	(60 * HZ)	/* Hyper-V's wait for the guest */
#define VPCI_MAX_VERSION	HVK_VPCI_V1_4
#define VPCI_MAX_INTS		32		/* interrupts the host maps for a function */
#define VPCI_INT_DATA		0x4000u		/* the data of interrupt i: VPCI_INT_DATA | i */

/* An interrupt the guest asked for: the host's data for it, where it goes. */
struct vpci_int {
	bool used;
	u32 vector;
	u32 cpu;
	int xvec;		/* MSI-X: the real vector whose message it is; -1: MSI */
	u64 delivered;		/* sent to the guest */
};

struct sim_vpci;

/* A real MSI-X vector of the function (vpci_msi_work allocates them). */
struct vpci_xvec {
	struct sim_vpci *v;
	u32 addr_lo, addr_hi, data;	/* its message, as the host's irq domain made it */
	int irte;			/* the guest interrupt bound to it; -1: none */
};

struct sim_vpci {
	struct list_head node;		/* vpci_list */
	struct sim_dev *d;
	struct pci_dev *pdev;		/* referenced; bound to vpci_driver */
	char name[32];
	/* Fixed at init: the BARs as the host describes them. */
	u32 probed[6];			/* what sizing reads back, type bits included */
	u64 bar_start[6], bar_size[6];	/* by BAR index; 0 for a 64-bit BAR's high half */
	bool bar_hi[6];			/* a 64-bit BAR's high half */
	u8 cap_first;			/* the capability list the guest sees */
	u8 cap_next[256];		/* ... by the offset of each capability kept */
	bool cap_kept[256];
	bool cap_hidden[256];		/* bytes of the capabilities hidden */
	u8 msi_pos;			/* the MSI capability (0: none), virtualized */
	bool msi_64;
	u8 msix_pos;			/* the MSI-X capability (0: none): control virtualized */
	u16 msix_n;			/* its entries as the guest sees them (at most 32) */
	u8 pm_pos;			/* the PM capability (0: none): passed through, watched */
	/*
	 * vpci_lock protects the rest, in any context (the guest's config
	 * accessors run under its raw spinlocks): irqsave.
	 */
	u32 version;			/* agreed; 0: none */
	u64 cfg_base;			/* the config window; 0: not in D0 */
	u32 sel;			/* the slot the guest selected */
	bool present;			/* on the guest's bus (attach/detach) */
	bool ejecting;
	u32 bar_guest[6];		/* the BARs as the guest reads them */
	u8 msi_regs[16];		/* the MSI capability as the guest sees it */
	struct vpci_int ints[VPCI_MAX_INTS];
	bool msi_want;			/* the guest enabled MSI: the real vector is wanted */
	bool msi_have;			/* ... allocated and its handler in (msi_work) */
	u16 msix_ctrl;			/* the guest's MSI-X enable and function mask */
	u32 msix_have;			/* real MSI-X vectors allocated (msi_work) */
	bool held;			/* taken from the host's driver: vectors may be held */
	struct vpci_xvec xvec[VPCI_MAX_INTS];
	u64 msix_stray;			/* real MSI-X interrupts with no guest target */
	/* Power, as the host saw the guest move it (debugfs). */
	u64 d0_entries, d0_exits, released;
	u8 dstate;			/* the function's D state the guest last wrote */
	u64 dstate_changes;
	struct work_struct msi_work;	/* on sim.flush_wq; see vpci_msi_work() */
	struct sim_chan *c;		/* the open channel: under sim.lock */
	bool windows;			/* the BARs lent: under vpci_win_lock */
	struct completion ejected;
	atomic64_t refused;
};

static LIST_HEAD(vpci_list);
static DEFINE_SPINLOCK(vpci_lock);
static DEFINE_MUTEX(vpci_win_lock);

static void vpci_refuse(struct sim_vpci *v, const char *why)
{
	atomic64_inc(&v->refused);
	pr_err_ratelimited("hvkit_sim: vpci %pUl: refused: %s\n", &v->d->instance, why);
}

/*
 * The function's own config space, past the PCI core's pci_lock (the guest's
 * accessor holds it while it calls us): the bus's accessor, which takes
 * its own lock.
 */
static u32 vpci_real_read(struct pci_dev *p, int where, int size)
{
	u32 val = ~0u;

	if (where + size > p->cfg_size || p->bus->ops->read(p->bus, p->devfn, where, size, &val))
		return ~0u;
	return val;
}

static void vpci_real_write(struct pci_dev *p, int where, int size, u32 val)
{
	if (where + size <= p->cfg_size)
		p->bus->ops->write(p->bus, p->devfn, where, size, val);
}

/* A dword of config space as the guest sees it; @off dword aligned. Under vpci_lock. */
static u32 vpci_cfg_dword(struct sim_vpci *v, u32 off)
{
	u32 val;
	int b;

	if (off >= PCI_BASE_ADDRESS_0 && off <= PCI_BASE_ADDRESS_5)
		return v->bar_guest[(off - PCI_BASE_ADDRESS_0) / 4];
	if (off == PCI_ROM_ADDRESS)
		return 0;
	if (v->msi_pos && off >= v->msi_pos && off < v->msi_pos + 16u) {
		memcpy(&val, &v->msi_regs[off - v->msi_pos], 4);
		val = le32_to_cpu((__force __le32)val);
		if (off == v->msi_pos)
			val = (val & ~0xff00u) | (u32)v->cap_next[v->msi_pos] << 8;
		return val;
	}
	if (v->msix_pos && off == v->msix_pos) {
		/* Its id, its link, and the guest's control word (the size capped). */
		val = PCI_CAP_ID_MSIX | (u32)v->cap_next[off] << 8;
		return val | (u32)(v->msix_ctrl | (v->msix_n - 1)) << 16;
	}
	val = vpci_real_read(v->pdev, off, 4);
	if (off == PCI_COMMAND && !v->cap_first)
		val &= ~((u32)PCI_STATUS_CAP_LIST << 16);
	if (off == PCI_CAPABILITY_LIST)
		val = (val & ~0xffu) | v->cap_first;
	if (off == PCI_INTERRUPT_LINE)
		val &= 0xffff0000u;	/* message-signalled only: no INTx line or pin */
	for (b = 0; b < 4; b++) {
		u32 o = off + b;

		if (o >= 1 && o < 256 && v->cap_kept[o - 1]) {
			val &= ~(0xffu << (8 * b));
			val |= (u32)v->cap_next[o - 1] << (8 * b);
		}
	}
	return val;
}

/* The guest writes a BAR: sizing, or the real address; anything else is refused. */
static void vpci_bar_write(struct sim_vpci *v, u32 idx, u32 val)
{
	u32 writable, real;

	if (!v->probed[idx])
		return;		/* no BAR here: reads as 0 */
	writable = v->probed[idx];
	if (!v->bar_hi[idx])
		writable &= ~0xfu;	/* a BAR's low dword: its type bits are read-only */
	real = vpci_real_read(v->pdev, PCI_BASE_ADDRESS_0 + idx * 4, 4);
	if ((val & writable) == writable)
		v->bar_guest[idx] = v->probed[idx];
	else if ((val & writable) == (real & writable))
		v->bar_guest[idx] = real;
	else
		vpci_refuse(v, "a BAR address that is not the function's own");
}

/*
 * The guest writes its view of the MSI capability: the enable bit, the
 * address (dword aligned) and the data; one vector only (MME stays 0, no
 * per-vector masking). Enabling or disabling is done on the function by
 * msi_work. Under vpci_lock.
 */
static void vpci_msi_write(struct sim_vpci *v, u32 off, u8 size, u32 val)
{
	static const u8 writable64[16] = { 0, 0, 0x01, 0, 0xfc, 0xff, 0xff, 0xff,
					   0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0 };
	static const u8 writable32[16] = { 0, 0, 0x01, 0, 0xfc, 0xff, 0xff, 0xff,
					   0xff, 0xff, 0, 0, 0, 0, 0, 0 };
	const u8 *w = v->msi_64 ? writable64 : writable32;
	bool want;
	u32 i;

	for (i = 0; i < size && off + i < 16; i++) {
		u8 b = val >> (8 * i);

		v->msi_regs[off + i] = (v->msi_regs[off + i] & ~w[off + i]) | (b & w[off + i]);
	}
	want = v->msi_regs[2] & PCI_MSI_FLAGS_ENABLE;
	if (want != v->msi_want) {
		v->msi_want = want;
		queue_work(sim.flush_wq, &v->msi_work);
	}
}

/*
 * The guest writes its view of the MSI-X capability: only the enable bit
 * and the function mask are writable (the table's place is the real one);
 * msi_work makes them so on the function. Under vpci_lock.
 */
static void vpci_msix_write(struct sim_vpci *v, u32 off, u8 size, u32 val)
{
	u16 ctrl = v->msix_ctrl;
	u32 i;

	for (i = 0; i < size; i++)
		if (off + i == PCI_MSIX_FLAGS + 1)
			ctrl = ((val >> (8 * i)) << 8) &
			       (PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	if (ctrl != v->msix_ctrl) {
		v->msix_ctrl = ctrl;
		queue_work(sim.flush_wq, &v->msi_work);
	}
}

/* The guest's MSI data, as it wrote it into its view of the capability. */
static u32 vpci_msi_data(const struct sim_vpci *v)
{
	u32 at = v->msi_64 ? 12 : 8;

	return v->msi_regs[at] | (u32)v->msi_regs[at + 1] << 8;
}

/* The function's real MSI: forwarded to the guest's vector on the guest's CPU. */
static irqreturn_t vpci_real_irq(int irq, void *ctx)
{
	struct sim_vpci *v = ctx;
	u32 data, cpu = 0, vector = 0;
	unsigned long flags;
	bool go = false;

	spin_lock_irqsave(&vpci_lock, flags);
	data = vpci_msi_data(v);
	if (v->msi_want && (data & ~(VPCI_MAX_INTS - 1)) == VPCI_INT_DATA &&
	    v->ints[data % VPCI_MAX_INTS].used) {
		cpu = v->ints[data % VPCI_MAX_INTS].cpu;
		vector = v->ints[data % VPCI_MAX_INTS].vector;
		go = cpu_online(cpu);
		v->ints[data % VPCI_MAX_INTS].delivered += go;
	}
	spin_unlock_irqrestore(&vpci_lock, flags);
	if (go)
		apic->send_IPI(cpu, vector);
	else
		pr_err_ratelimited("hvkit_sim: vpci %s: an interrupt with no guest target (data %#x)\n",
				   v->name, data);
	return IRQ_HANDLED;
}

/*
 * A real MSI-X vector of the function: sent to the guest's vector on the
 * guest's CPU, as the guest interrupt bound to its message says.
 */
static irqreturn_t vpci_msix_irq(int irq, void *ctx)
{
	struct vpci_xvec *x = ctx;
	struct sim_vpci *v = x->v;
	u32 cpu = 0, vector = 0;
	unsigned long flags;
	bool go = false;

	spin_lock_irqsave(&vpci_lock, flags);
	if (x->irte >= 0 && v->ints[x->irte].used) {
		cpu = v->ints[x->irte].cpu;
		vector = v->ints[x->irte].vector;
		go = cpu_online(cpu);
		v->ints[x->irte].delivered += go;
	}
	if (!go)
		v->msix_stray++;
	spin_unlock_irqrestore(&vpci_lock, flags);
	if (go)
		apic->send_IPI(cpu, vector);
	else
		pr_err_ratelimited("hvkit_sim: vpci %s: an MSI-X interrupt with no guest target (vector %u)\n",
				   v->name, (u32)(x - v->xvec));
	return IRQ_HANDLED;
}

static void vpci_msi_off(struct sim_vpci *v)
{
	free_irq(pci_irq_vector(v->pdev, 0), v);
	pci_free_irq_vectors(v->pdev);
	v->msi_have = false;
}

static void vpci_msix_off(struct sim_vpci *v)
{
	unsigned long flags;
	u32 k, n = v->msix_have;

	spin_lock_irqsave(&vpci_lock, flags);
	v->msix_have = 0;
	spin_unlock_irqrestore(&vpci_lock, flags);
	for (k = 0; k < n; k++)
		free_irq(pci_irq_vector(v->pdev, k), &v->xvec[k]);
	pci_free_irq_vectors(v->pdev);
}

/*
 * The function's MSI-X vectors, as many as the guest sees entries, each
 * with its handler, and their messages (known once the handler is in: a
 * vector is placed at startup). Pinned (IRQF_NOBALANCING): a message the
 * guest was given must stay valid.
 */
static void vpci_msix_on(struct sim_vpci *v)
{
	struct msi_msg msg;
	unsigned long flags;
	int n, k, ret;

	n = pci_alloc_irq_vectors(v->pdev, 1, v->msix_n, PCI_IRQ_MSIX);
	if (n < 0) {
		pr_err("hvkit_sim: vpci %s: no MSI-X on the function (%d)\n", v->name, n);
		return;
	}
	for (k = 0; k < n; k++) {
		v->xvec[k].v = v;
		v->xvec[k].irte = -1;
		ret = request_irq(pci_irq_vector(v->pdev, k), vpci_msix_irq, IRQF_NOBALANCING,
				  "hvkit_sim_vpci", &v->xvec[k]);
		if (ret) {
			pr_err("hvkit_sim: vpci %s: MSI-X vector %d's handler not taken (%d)\n",
			       v->name, k, ret);
			break;
		}
		get_cached_msi_msg(pci_irq_vector(v->pdev, k), &msg);
		spin_lock_irqsave(&vpci_lock, flags);
		v->xvec[k].addr_lo = msg.address_lo;
		v->xvec[k].addr_hi = msg.address_hi;
		v->xvec[k].data = msg.data;
		spin_unlock_irqrestore(&vpci_lock, flags);
	}
	spin_lock_irqsave(&vpci_lock, flags);
	v->msix_have = k;
	spin_unlock_irqrestore(&vpci_lock, flags);
	if (!k)
		pci_free_irq_vectors(v->pdev);
}

/*
 * The real MSI-X control's function mask, as the guest set it in its view.
 * False if the function's MSI-X is off: its state was lost (a reset).
 */
static bool vpci_msix_mask(struct sim_vpci *v, bool mask)
{
	u16 ctrl;

	if (pci_read_config_word(v->pdev, v->msix_pos + PCI_MSIX_FLAGS, &ctrl) ||
	    !(ctrl & PCI_MSIX_FLAGS_ENABLE))
		return false;
	if (!!(ctrl & PCI_MSIX_FLAGS_MASKALL) != mask)
		pci_write_config_word(v->pdev, v->msix_pos + PCI_MSIX_FLAGS,
				      mask ? ctrl | PCI_MSIX_FLAGS_MASKALL :
					     ctrl & ~PCI_MSIX_FLAGS_MASKALL);
	return true;
}

/*
 * The guest enabled or disabled MSI or MSI-X, or changed the function
 * mask; or the host took or gives back the function (held). MSI-X's real
 * vectors are held while the function is and the guest does not use MSI
 * (a function cannot have both); the real function mask is set unless the
 * guest enabled MSI-X and left its function mask clear. Runs on
 * sim.flush_wq (a CREATE_INTERRUPT of a guest just moved from MSI to
 * MSI-X flushes it, from chan_wq).
 */
static void vpci_msi_work(struct work_struct *w)
{
	struct sim_vpci *v = container_of(w, struct sim_vpci, msi_work);
	bool want, want_x, mask_x, held;
	unsigned long flags;
	int ret;

	spin_lock_irqsave(&vpci_lock, flags);
	held = v->held;
	want = held && v->msi_want;
	want_x = v->msix_ctrl & PCI_MSIX_FLAGS_ENABLE;
	mask_x = v->msix_ctrl & PCI_MSIX_FLAGS_MASKALL;
	spin_unlock_irqrestore(&vpci_lock, flags);

	if (!want && v->msi_have)
		vpci_msi_off(v);
	if ((want || !held) && v->msix_have)
		vpci_msix_off(v);
	if (want && !v->msi_have && !v->msix_have) {
		ret = pci_alloc_irq_vectors(v->pdev, 1, 1, PCI_IRQ_MSI);
		if (ret < 0) {
			pr_err("hvkit_sim: vpci %s: no MSI on the function (%d)\n", v->name, ret);
			return;
		}
		ret = request_irq(pci_irq_vector(v->pdev, 0), vpci_real_irq, 0, "hvkit_sim_vpci", v);
		if (ret) {
			pci_free_irq_vectors(v->pdev);
			pr_err("hvkit_sim: vpci %s: its MSI handler not taken (%d)\n", v->name, ret);
			return;
		}
		v->msi_have = true;
	}
	if (held && !want && v->msix_pos && !v->msix_have && !v->msi_have)
		vpci_msix_on(v);
	if (v->msix_have && !vpci_msix_mask(v, !want_x || mask_x)) {
		pr_info("hvkit_sim: vpci %s: the function lost its MSI-X state; its vectors again\n",
			v->name);
		vpci_msix_off(v);
		vpci_msix_on(v);
		if (v->msix_have)
			vpci_msix_mask(v, !want_x || mask_x);
	}
}

static void vpci_cfg_write(struct sim_vpci *v, u32 where, u8 size, u32 val)
{
	if (where >= PCI_BASE_ADDRESS_0 && where < PCI_BASE_ADDRESS_5 + 4) {
		if (size != 4 || (where & 3))
			vpci_refuse(v, "a BAR written in part");
		else
			vpci_bar_write(v, (where - PCI_BASE_ADDRESS_0) / 4, val);
		return;
	}
	if (v->msi_pos && where >= v->msi_pos && where < v->msi_pos + 16u) {
		vpci_msi_write(v, where - v->msi_pos, size, val);
		return;
	}
	if (v->msix_pos && where >= v->msix_pos && where < v->msix_pos + PCI_CAP_MSIX_SIZEOF) {
		vpci_msix_write(v, where - v->msix_pos, size, val);
		return;	/* the table's and the PBA's places are read-only */
	}
	if (where == PCI_ROM_ADDRESS || (where < 256 && v->cap_hidden[where]))
		return;		/* not there for the guest */
	if (where == PCI_INTERRUPT_LINE && size == 1)
		return;
	if (v->pm_pos && where <= v->pm_pos + PCI_PM_CTRL &&
	    where + size > v->pm_pos + PCI_PM_CTRL) {
		/* PMCSR: the function's D state, forwarded, and what the host saw. */
		u8 d = (val >> (8 * (v->pm_pos + PCI_PM_CTRL - where))) & PCI_PM_CTRL_STATE_MASK;

		if (d != v->dstate) {
			v->dstate = d;
			v->dstate_changes++;
		}
	}
	vpci_real_write(v->pdev, where, size, val);
}

/* The config window the guest named holds @phys: which device, at what offset. */
static struct sim_vpci *vpci_find(phys_addr_t phys, u32 *off)
{
	struct sim_vpci *v;

	list_for_each_entry(v, &vpci_list, node)
		if (v->cfg_base && phys >= v->cfg_base && phys - v->cfg_base < HVK_VPCI_CFG_WINDOW) {
			*off = phys - v->cfg_base;
			return v;
		}
	return NULL;
}

u32 sim_vpci_mmio_read(phys_addr_t phys, u8 size)
{
	struct sim_vpci *v;
	unsigned long flags;
	u32 off, val = ~0u;

	spin_lock_irqsave(&vpci_lock, flags);
	v = vpci_find(phys, &off);
	if (!v || (off & (size - 1)))
		goto out;
	if (off < HVK_VPCI_CFG_PAGE_OFFSET) {
		val = off ? 0 : v->sel;
		goto out;
	}
	off -= HVK_VPCI_CFG_PAGE_OFFSET;
	if (v->sel != VPCI_SLOT || !v->present)
		goto out;	/* nothing in that slot: all ones, as a bus reads */
	val = vpci_cfg_dword(v, off & ~3u) >> (8 * (off & 3));
	if (size < 4)
		val &= (1u << (8 * size)) - 1;
out:
	spin_unlock_irqrestore(&vpci_lock, flags);
	return val;
}

void sim_vpci_mmio_write(phys_addr_t phys, u8 size, u32 val)
{
	struct sim_vpci *v;
	unsigned long flags;
	u32 off;

	spin_lock_irqsave(&vpci_lock, flags);
	v = vpci_find(phys, &off);
	if (!v || (off & (size - 1)))
		goto out;
	if (off < HVK_VPCI_CFG_PAGE_OFFSET) {
		if (!off && size == 4)
			v->sel = val;
		goto out;
	}
	off -= HVK_VPCI_CFG_PAGE_OFFSET;
	if (v->sel == VPCI_SLOT && v->present)
		vpci_cfg_write(v, off, size, val);
out:
	spin_unlock_irqrestore(&vpci_lock, flags);
}

/* Upstream's device id of a function: instance bytes 5, 4, 7, 6 and the function. */
static u64 vpci_device_id(const struct sim_vpci *v, u32 fn)
{
	const u8 *b = v->d->instance.b;

	return (u32)b[5] << 24 | (u32)b[4] << 16 | (u32)b[7] << 8 | (b[6] & 0xf8) | fn;
}

/*
 * The guest interrupt the host answered with message @addr/@data: an MSI
 * one (VPCI_INT_DATA and its index) or an MSI-X one (a real vector's
 * message); -1: none. Under vpci_lock.
 */
static int vpci_int_of(const struct sim_vpci *v, u64 addr, u32 data)
{
	u32 i;

	if ((data & ~(VPCI_MAX_INTS - 1)) == VPCI_INT_DATA && addr == HVK_VPCI_MSI_ADDR_BASE) {
		i = data % VPCI_MAX_INTS;
		return v->ints[i].used && v->ints[i].xvec < 0 ? (int)i : -1;
	}
	for (i = 0; i < VPCI_MAX_INTS; i++) {
		const struct vpci_int *e = &v->ints[i];

		if (e->used && e->xvec >= 0 && v->xvec[e->xvec].data == data &&
		    v->xvec[e->xvec].addr_lo == addr)
			return i;
	}
	return -1;
}

/* HVCALL_RETARGET_INTERRUPT: the host records where the function's interrupt goes. */
int sim_vpci_retarget(const struct hvk_msi_target *t)
{
	struct sim_vpci *v;
	unsigned long flags;
	int i, ret = -EIO;	/* a device or interrupt the hypervisor does not know */

	spin_lock_irqsave(&vpci_lock, flags);
	list_for_each_entry(v, &vpci_list, node) {
		if (vpci_device_id(v, HVK_VPCI_SLOT_FN(VPCI_SLOT)) != t->device_id)
			continue;
		i = vpci_int_of(v, t->msi_addr, t->msi_data);
		if (i >= 0 && t->cpu < nr_cpu_ids && cpu_online(t->cpu) &&
		    t->vector >= FIRST_EXTERNAL_VECTOR &&
		    t->vector < NR_VECTORS) {
			v->ints[i].cpu = t->cpu;
			v->ints[i].vector = t->vector;
			ret = 0;
		}
		break;
	}
	spin_unlock_irqrestore(&vpci_lock, flags);
	return ret;
}

/* ---- the channel ---- */

/*
 * A packet to the guest: descriptor, then @len bytes of @p, padded to 8.
 * From the serve work a packet that finds the ring full waits for room;
 * from a command it fails (-EAGAIN).
 */
#define VPCI_SEND_MAX	128	/* descriptor and the longest message (relations) */

static int vpci_send(struct sim_chan *c, u16 type, u64 tid, const void *p, u32 len,
		     bool serving)
{
	u8 buf[VPCI_SEND_MAX] __aligned(8) = {};
	struct hvk_pkt_desc *d;
	u32 total = sizeof(*d) + ALIGN(len, 8);

	if (WARN_ON_ONCE(total > sizeof(buf)))
		return -EMSGSIZE;
	d = (struct hvk_pkt_desc *)buf;
	d->type = type;
	d->offset8 = sizeof(*d) / 8;
	d->len8 = total / 8;
	d->trans_id = tid;
	memcpy(buf + sizeof(*d), p, len);
	return serving ? sim_chan_reply_or_stash(c, buf, total) : sim_chan_reply(c, buf, total);
}

static int vpci_complete(struct sim_chan *c, u64 tid, s32 status)
{
	struct hvk_vpci_status s = { .status = status };

	return vpci_send(c, HVK_PKT_COMP, tid, &s, sizeof(s), true);
}

/* Bus relations: the function when present, in the layout of the agreed version. */
static int vpci_send_relations(struct sim_vpci *v, struct sim_chan *c, bool serving)
{
	struct {
		struct hvk_vpci_bus_rel h;
		struct hvk_vpci_func2 f[2];
	} m = {};
	struct pci_dev *p = v->pdev;
	bool v2 = READ_ONCE(v->version) >= HVK_VPCI_V1_3;
	u32 es = v2 ? sizeof(struct hvk_vpci_func2) : sizeof(struct hvk_vpci_func);
	struct hvk_vpci_func f = {
		.vendor = p->vendor, .device = p->device, .rev = p->revision,
		.prog_if = p->class & 0xff, .subclass = (p->class >> 8) & 0xff,
		.base_class = p->class >> 16,
		.subsystem = (u32)p->subsystem_device << 16 | p->subsystem_vendor,
		.slot = VPCI_SLOT, .serial = VPCI_SERIAL,
	};
	u32 n = READ_ONCE(v->present) ? 1 : 0, len;
	u8 *at = (u8 *)m.f;

	m.h.type = v2 ? HVK_VPCI_BUS_RELATIONS2 : HVK_VPCI_BUS_RELATIONS;
	m.h.count = n;
	if (n) {
		memcpy(at, &f, sizeof(f));
		if (sim_fault(HVSIM_FAULT_VPCI_DUP_SLOT)) {
			memcpy(at + es, &f, sizeof(f));
			m.h.count = ++n;
		}
	}
	len = sizeof(m.h) + n * es;
	if (sim_fault(HVSIM_FAULT_VPCI_REL_COUNT))
		m.h.count = n + 1;	/* one more than it carries */
	if (n && sim_fault(HVSIM_FAULT_VPCI_BAD_RELATIONS))
		m.f[0].f.slot |= 0x100;	/* a reserved bit of the slot */
	return vpci_send(c, HVK_PKT_DATA_INBAND, 0, &m, len, serving);
}

/* Lend the real BARs to the guest's device: its hvk_mmio_alloc() lands on them. */
static void vpci_windows(struct sim_vpci *v, bool on)
{
	int i;

	if (v->windows == on)
		return;
	for (i = 0; i < 6; i++) {
		if (!v->bar_size[i])
			continue;
		if (on && hvk_mmio_dev_window_add(&v->pdev->resource[i], &v->d->instance))
			pr_err("hvkit_sim: vpci %s: BAR %d not lent to the guest\n", v->name, i);
		else if (!on)
			hvk_mmio_window_del(&v->pdev->resource[i]);
	}
	v->windows = on;
}

static void vpci_res_reqs(struct sim_vpci *v, struct sim_chan *c, u64 tid)
{
	struct hvk_vpci_res_reqs r = {};

	memcpy(r.probed_bar, v->probed, sizeof(r.probed_bar));
	if (sim_fault(HVSIM_FAULT_VPCI_BAD_RESOURCES))
		r.probed_bar[0] = 0xfff0ff00u;	/* holes in the size mask */
	vpci_send(c, HVK_PKT_COMP, tid, &r, sizeof(r), true);
}

/*
 * CREATE_INTERRUPT (1, 2 or 3): one vector to the first target VP the host
 * knows. For MSI the answer is the data the device must write
 * (VPCI_INT_DATA and the entry) at the x86 MSI address; with MSI-X
 * enabled, the message of a real MSI-X vector not yet bound (allocated
 * when the guest enabled MSI-X: waited for here, but not when served
 * atomic, which happens only when it needs nothing of msi_work).
 */
static void vpci_create_int(struct sim_vpci *v, struct sim_chan *c, u64 tid, const u8 *m,
			    u32 type)
{
	struct hvk_vpci_create_int_reply r = { .status = HVK_VPCI_STATUS_INVALID };
	struct hvk_vpci_msi_req req;
	const char *why = hvk_vpci_create_int_check(m, type, &req);
	unsigned long flags;
	int cpu = -1;
	bool msix;
	u32 i, k = 0;

	for (i = 0; !why && i < req.vp_count && cpu < 0; i++)
		cpu = sim_vp_to_cpu(req.vp[i]);
	if (!why && cpu < 0 && type == HVK_VPCI_CREATE_INTERRUPT)
		cpu = cpumask_first(cpu_online_mask);	/* 1.1 names every VP; retargeted later */
	if (!why && cpu < 0)
		why = "an interrupt for no VP the host knows";
	if (!why && req.count != 1)
		why = "more than one vector (multi-MSI is not simulated)";
	if (!why && (req.vector < FIRST_EXTERNAL_VECTOR || req.vector >= NR_VECTORS))
		why = "a vector outside the external range";
	if (!why && sim_fault(HVSIM_FAULT_VPCI_INT_COUNT)) {
		/* An answer for one vector more than asked; nothing mapped. */
		r.status = 0;
		r.d.vector_count = req.count + 1;
		r.d.address = HVK_VPCI_MSI_ADDR_BASE;
		r.d.data = VPCI_INT_DATA;
		vpci_send(c, HVK_PKT_COMP, tid, &r, sizeof(r), true);
		return;
	}
	if (!why) {
		spin_lock_irqsave(&vpci_lock, flags);
		msix = v->msix_ctrl & PCI_MSIX_FLAGS_ENABLE;
		spin_unlock_irqrestore(&vpci_lock, flags);
		if (msix && !c->serving_atomic)
			flush_work(&v->msi_work);	/* mask only, unless the guest came from MSI */
		spin_lock_irqsave(&vpci_lock, flags);
		for (i = 0; i < VPCI_MAX_INTS && v->ints[i].used; i++)
			;
		for (k = 0; msix && k < v->msix_have; k++)
			if (v->xvec[k].irte < 0 && !v->xvec[k].addr_hi)
				break;
		if (i < VPCI_MAX_INTS && (!msix || k < v->msix_have)) {
			v->ints[i] = (struct vpci_int){ true, req.vector, cpu, msix ? (int)k : -1 };
			r.status = 0;
			r.d.vector_count = 1;
			r.d.address = HVK_VPCI_MSI_ADDR_BASE;
			r.d.data = VPCI_INT_DATA | i;
			if (msix) {
				v->xvec[k].irte = i;
				r.d.address = v->xvec[k].addr_lo;
				r.d.data = v->xvec[k].data;
			}
		}
		spin_unlock_irqrestore(&vpci_lock, flags);
		if (i == VPCI_MAX_INTS)
			why = "more interrupts than the host maps for a function";
		else if (r.status)
			why = "more interrupts than the function has MSI-X vectors";
	}
	if (why)
		vpci_refuse(v, why);
	vpci_send(c, HVK_PKT_COMP, tid, &r, sizeof(r), true);
}

static void vpci_delete_int(struct sim_vpci *v, const u8 *m)
{
	struct hvk_vpci_delete_int del;
	unsigned long flags;
	int i;

	memcpy(&del, m, sizeof(del));
	spin_lock_irqsave(&vpci_lock, flags);
	i = vpci_int_of(v, del.d.address, del.d.data);
	if (i >= 0) {
		v->ints[i].used = false;
		if (v->ints[i].xvec >= 0)
			v->xvec[v->ints[i].xvec].irte = -1;
	}
	spin_unlock_irqrestore(&vpci_lock, flags);
	if (i < 0)
		vpci_refuse(v, "delete of an interrupt the host never mapped");
}

static int vpci_serve(struct sim_chan *c, const u8 *pkt, u32 len)
{
	const struct hvk_pkt_desc *d = (const void *)pkt;
	struct sim_vpci *v = c->dev->priv;
	u32 off = d->offset8 * 8, type = 0, plen = len - off;
	const u8 *m = pkt + off;
	unsigned long flags;
	const char *why;
	s32 status = 0;

	if (d->type == HVK_PKT_COMP)
		return 0;
	if (d->type != HVK_PKT_DATA_INBAND) {
		vpci_refuse(v, "a packet that is not in-band data");
		return 0;
	}
	why = hvk_vpci_guest_check(m, plen, READ_ONCE(v->version), &type);
	if (why) {
		vpci_refuse(v, why);
		if (d->flags & HVK_PKT_FLAG_COMPLETION_REQUESTED)
			vpci_complete(c, d->trans_id, HVK_VPCI_STATUS_INVALID);
		return 0;
	}
	switch (type) {
	case HVK_VPCI_QUERY_PROTOCOL_VERSION: {
		struct hvk_vpci_version_req q;
		struct hvk_vpci_status r = { .version = VPCI_MAX_VERSION };

		memcpy(&q, m, sizeof(q));
		/*
		 * A guest starting over (its driver bound again) takes its
		 * config window before it asks for resources: the real BARs
		 * are lent again only then, so that the window is not carved
		 * from them (the last guest gave its pieces back at removal).
		 */
		mutex_lock(&vpci_win_lock);
		vpci_windows(v, false);
		mutex_unlock(&vpci_win_lock);
		if (READ_ONCE(v->cfg_base)) {
			vpci_refuse(v, "a version request while the bus is in D0");
			r.status = HVK_VPCI_STATUS_INVALID;
		} else if (!hvk_vpci_version_known(q.version) || q.version > VPCI_MAX_VERSION) {
			r.status = HVK_VPCI_STATUS_REVISION_MISMATCH;
		} else {
			WRITE_ONCE(v->version, q.version);
		}
		vpci_send(c, HVK_PKT_COMP, d->trans_id, &r, sizeof(r), true);
		return 0;
	}
	case HVK_VPCI_QUERY_BUS_RELATIONS:
		vpci_send_relations(v, c, true);
		break;
	case HVK_VPCI_BUS_D0ENTRY: {
		struct hvk_vpci_d0_entry e;

		memcpy(&e, m, sizeof(e));
		why = hvk_vpci_d0_check(&e);
		if (why) {
			vpci_refuse(v, why);
			status = HVK_VPCI_STATUS_INVALID;
			break;
		}
		spin_lock_irqsave(&vpci_lock, flags);
		v->cfg_base = e.mmio_base;
		v->sel = ~0u;
		v->d0_entries++;
		spin_unlock_irqrestore(&vpci_lock, flags);
		break;
	}
	case HVK_VPCI_BUS_D0EXIT:
		spin_lock_irqsave(&vpci_lock, flags);
		v->d0_exits += !!v->cfg_base;
		v->cfg_base = 0;
		spin_unlock_irqrestore(&vpci_lock, flags);
		break;
	case HVK_VPCI_QUERY_RESOURCE_REQS:
	case HVK_VPCI_RESOURCES_ASSIGNED:
	case HVK_VPCI_RESOURCES_ASSIGNED2:
	case HVK_VPCI_RESOURCES_RELEASED:
	case HVK_VPCI_CREATE_INTERRUPT:
	case HVK_VPCI_CREATE_INTERRUPT2:
	case HVK_VPCI_CREATE_INTERRUPT3:
	case HVK_VPCI_DELETE_INTERRUPT:
	case HVK_VPCI_POWER_STATE_CHANGE:
	case HVK_VPCI_EJECTION_COMPLETE: {
		struct hvk_vpci_child_msg cm;

		memcpy(&cm, m, sizeof(cm));
		if (cm.slot != VPCI_SLOT || (!READ_ONCE(v->present) && !READ_ONCE(v->ejecting))) {
			vpci_refuse(v, "a message about a slot with no function");
			status = HVK_VPCI_STATUS_INVALID;
			break;
		}
		if (type == HVK_VPCI_QUERY_RESOURCE_REQS) {
			mutex_lock(&vpci_win_lock);
			vpci_windows(v, true);
			mutex_unlock(&vpci_win_lock);
			vpci_res_reqs(v, c, d->trans_id);
			return 0;
		}
		if (type == HVK_VPCI_RESOURCES_ASSIGNED || type == HVK_VPCI_RESOURCES_ASSIGNED2) {
			why = hvk_vpci_res_assigned_check(m, type, v->bar_start, v->bar_size);
			if (why) {
				vpci_refuse(v, why);
				status = HVK_VPCI_STATUS_INVALID;
			}
		} else if (type == HVK_VPCI_CREATE_INTERRUPT || type == HVK_VPCI_CREATE_INTERRUPT2 ||
			   type == HVK_VPCI_CREATE_INTERRUPT3) {
			vpci_create_int(v, c, d->trans_id, m, type);
			return 0;
		} else if (type == HVK_VPCI_DELETE_INTERRUPT) {
			vpci_delete_int(v, m);
		} else if (type == HVK_VPCI_RESOURCES_RELEASED) {
			spin_lock_irqsave(&vpci_lock, flags);
			v->released++;
			spin_unlock_irqrestore(&vpci_lock, flags);
		} else if (type == HVK_VPCI_EJECTION_COMPLETE) {
			if (!READ_ONCE(v->ejecting)) {
				vpci_refuse(v, "ejection complete with no eject asked");
				return 0;
			}
			WRITE_ONCE(v->ejecting, false);
			WRITE_ONCE(v->present, false);
			complete(&v->ejected);
			return 0;
		}
		break;
	}
	default:
		break;
	}
	if (d->flags & HVK_PKT_FLAG_COMPLETION_REQUESTED)
		vpci_complete(c, d->trans_id, status);
	return 0;
}

/*
 * Whether CREATE_INTERRUPT can be answered without msi_work: MSI needs no
 * real vector, and MSI-X the function's held ones, still enabled on it (a
 * function that lost its MSI-X state gets new ones, new messages, from
 * msi_work; one that reads all ones is in reset or gone). msi_work
 * changes the answer only when it allocates: none held, or lost; else it
 * only moves the function mask. Any context.
 */
static bool vpci_int_ready(struct sim_vpci *v)
{
	unsigned long flags;
	u32 have, ctrl;
	bool msix;

	spin_lock_irqsave(&vpci_lock, flags);
	msix = v->msix_ctrl & PCI_MSIX_FLAGS_ENABLE;
	have = v->msix_have;
	spin_unlock_irqrestore(&vpci_lock, flags);
	if (!msix)
		return true;
	if (!have)
		return false;
	ctrl = vpci_real_read(v->pdev, v->msix_pos + PCI_MSIX_FLAGS, 2);
	return ctrl != 0xffff && (ctrl & PCI_MSIX_FLAGS_ENABLE);
}

/*
 * Served atomic (the fast path, or the work with preemption off): every
 * packet but the three whose answers take a mutex or build bus relations,
 * and CREATE_INTERRUPT when it needs msi_work first. CREATE_INTERRUPT is
 * why there is one: the guest asks for it with interrupts off and polls
 * for the answer (its irq chip's compose). The rest come along so that a
 * DELETE_INTERRUPT (no answer asked) or a completion, left to a work that
 * has no CPU, does not hold up the CREATE_INTERRUPT behind it.
 */
static bool vpci_serve_atomic(struct sim_chan *c, const u8 *pkt, u32 len)
{
	const struct hvk_pkt_desc *d = (const void *)pkt;
	struct sim_vpci *v = c->dev->priv;
	u32 off = d->offset8 * 8, type = 0;

	if (d->type == HVK_PKT_DATA_INBAND &&
	    !hvk_vpci_guest_check(pkt + off, len - off, READ_ONCE(v->version), &type)) {
		switch (type) {
		case HVK_VPCI_QUERY_PROTOCOL_VERSION:
		case HVK_VPCI_QUERY_BUS_RELATIONS:
		case HVK_VPCI_QUERY_RESOURCE_REQS:
			return false;
		case HVK_VPCI_CREATE_INTERRUPT:
		case HVK_VPCI_CREATE_INTERRUPT2:
		case HVK_VPCI_CREATE_INTERRUPT3:
			if (!vpci_int_ready(v))
				return false;
			break;
		default:
			break;
		}
	}
	vpci_serve(c, pkt, len);
	return true;
}

static void vpci_opened(struct sim_chan *c)
{
	struct sim_vpci *v = c->dev->priv;

	if (!c->subidx)
		v->c = c;
}

/* The guest closed the channel (or went): the bus is off. */
static void vpci_closed(struct sim_chan *c)
{
	struct sim_vpci *v = c->dev->priv;
	unsigned long flags;
	u32 i;

	if (v->c != c)
		return;
	v->c = NULL;
	spin_lock_irqsave(&vpci_lock, flags);
	v->cfg_base = 0;
	v->version = 0;
	memset(v->ints, 0, sizeof(v->ints));
	for (i = 0; i < VPCI_MAX_INTS; i++)
		v->xvec[i].irte = -1;
	v->msi_regs[2] &= ~PCI_MSI_FLAGS_ENABLE;
	if (v->msi_want || v->msix_ctrl) {
		v->msi_want = false;
		v->msix_ctrl = 0;
		queue_work(sim.flush_wq, &v->msi_work);
	}
	spin_unlock_irqrestore(&vpci_lock, flags);
	/*
	 * The BARs stay lent until the device goes (destroy) or a guest
	 * negotiates again: the guest gives its pieces of them back after it
	 * closed the channel.
	 */
	if (READ_ONCE(v->ejecting)) {
		WRITE_ONCE(v->ejecting, false);
		WRITE_ONCE(v->present, false);
		complete(&v->ejected);
	}
}

/* ---- taking the function ---- */

/*
 * Held for the guest, which drives it. Enabled (memory decoding, and D0,
 * which MSI needs) as a host keeps an assigned function; the guest's
 * config writes set the rest (bus master).
 */
static int vpci_pci_probe(struct pci_dev *p, const struct pci_device_id *id)
{
	return pci_enable_device_mem(p);
}

static void vpci_pci_remove(struct pci_dev *p)
{
	pci_disable_device(p);
}

static struct pci_driver vpci_driver = {
	.name = "hvkit_sim_vpci",
	.probe = vpci_pci_probe,
	.remove = vpci_pci_remove,
};

/*
 * The BARs as the host describes them: memory BARs only (a vPCI host
 * passes no I/O BAR), and at most one 32-bit and one 64-bit BAR, as the
 * guest's windows are the real BARs one for one.
 */
static int vpci_read_bars(struct sim_vpci *v, struct genl_info *info)
{
	int i, n32 = 0, n64 = 0;

	for (i = 0; i < PCI_STD_NUM_BARS; i++) {
		struct resource *r = &v->pdev->resource[i];
		u64 mask;

		if (!resource_size(r) || !(r->flags & IORESOURCE_MEM))
			continue;
		if (!r->start || (r->flags & IORESOURCE_UNSET)) {
			NL_SET_ERR_MSG(info->extack, "a BAR of the function is not placed");
			return -EINVAL;
		}
		mask = ~(resource_size(r) - 1);
		v->bar_start[i] = r->start;
		v->bar_size[i] = resource_size(r);
		v->probed[i] = (u32)mask | (vpci_real_read(v->pdev, PCI_BASE_ADDRESS_0 + 4 * i, 4) & 0xf);
		v->bar_guest[i] = vpci_real_read(v->pdev, PCI_BASE_ADDRESS_0 + 4 * i, 4);
		if (r->flags & IORESOURCE_MEM_64) {
			if (i == PCI_STD_NUM_BARS - 1) {
				NL_SET_ERR_MSG(info->extack, "a 64-bit BAR in the last slot");
				return -EINVAL;
			}
			n64++;
			i++;
			v->probed[i] = mask >> 32;
			v->bar_hi[i] = true;
			v->bar_guest[i] = vpci_real_read(v->pdev, PCI_BASE_ADDRESS_0 + 4 * i, 4);
		} else {
			n32++;
		}
	}
	if (n32 > 1 || n64 > 1) {
		NL_SET_ERR_MSG(info->extack,
			       "more than one 32-bit or 64-bit memory BAR (each kind must be one BAR)");
		return -EINVAL;
	}
	return 0;
}

/* The capability list the guest walks: MSI and MSI-X kept and virtualized (one of each). */
static void vpci_read_caps(struct sim_vpci *v)
{
	u8 pos, *link = &v->cap_first;
	int ttl = 48;

	if (!(vpci_real_read(v->pdev, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST))
		return;
	pos = vpci_real_read(v->pdev, PCI_CAPABILITY_LIST, 1) & ~3;
	while (pos >= 0x40 && ttl--) {
		u8 id = vpci_real_read(v->pdev, pos, 1);
		u8 next = vpci_real_read(v->pdev, pos + 1, 1) & ~3;

		if ((id == PCI_CAP_ID_MSIX && (v->msix_pos || pos > 256 - PCI_CAP_MSIX_SIZEOF)) ||
		    (id == PCI_CAP_ID_MSI && v->msi_pos)) {
			u32 len = id == PCI_CAP_ID_MSI ? 24 : 12, i;

			for (i = 0; i < len && pos + i < 256; i++)
				v->cap_hidden[pos + i] = true;
		} else {
			if (id == PCI_CAP_ID_MSI && pos <= 256 - 16) {
				/* One vector, no per-vector masking, disabled. */
				u16 ctrl = vpci_real_read(v->pdev, pos + PCI_MSI_FLAGS, 2);

				v->msi_pos = pos;
				v->msi_64 = ctrl & PCI_MSI_FLAGS_64BIT;
				v->msi_regs[0] = PCI_CAP_ID_MSI;
				v->msi_regs[2] = v->msi_64 ? PCI_MSI_FLAGS_64BIT : 0;
			}
			if (id == PCI_CAP_ID_PM && !v->pm_pos && pos <= 256 - PCI_PM_SIZEOF) {
				v->pm_pos = pos;
				v->dstate = vpci_real_read(v->pdev, pos + PCI_PM_CTRL, 2) &
					    PCI_PM_CTRL_STATE_MASK;
			}
			if (id == PCI_CAP_ID_MSIX) {
				/* Disabled; at most as many entries as the host maps. */
				u16 ctrl = vpci_real_read(v->pdev, pos + PCI_MSIX_FLAGS, 2);

				v->msix_pos = pos;
				v->msix_n = min_t(u32, (ctrl & PCI_MSIX_FLAGS_QSIZE) + 1,
						  VPCI_MAX_INTS);
			}
			*link = pos;
			v->cap_kept[pos] = true;
			link = &v->cap_next[pos];
		}
		pos = next;
	}
	*link = 0;
}

static int vpci_take(struct sim_vpci *v, struct genl_info *info)
{
	struct pci_dev *p = v->pdev;
	int ret;

	if (p->hdr_type != PCI_HEADER_TYPE_NORMAL) {
		NL_SET_ERR_MSG(info->extack, "only an endpoint function can be passed through");
		return -EINVAL;
	}
	if (p->dev.driver == &vpci_driver.driver) {
		NL_SET_ERR_MSG(info->extack, "that function is passed through already");
		return -EBUSY;
	}
	ret = vpci_read_bars(v, info);
	if (ret)
		return ret;
	vpci_read_caps(v);
	device_release_driver(&p->dev);
	ret = hvk_pci_driver_override(p, vpci_driver.name);
	if (ret)
		return ret;
	ret = device_attach(&p->dev);
	if (ret < 0 || p->dev.driver != &vpci_driver.driver) {
		hvk_pci_driver_override(p, "");
		NL_SET_ERR_MSG(info->extack, "the function could not be taken from its driver");
		return ret < 0 ? ret : -EBUSY;
	}
	return 0;
}

/* Give the function back: unbound, and offered to its normal driver again. */
static void vpci_give_back(struct sim_vpci *v)
{
	struct pci_dev *p = v->pdev;

	device_release_driver(&p->dev);
	hvk_pci_driver_override(p, "");
	if (device_attach(&p->dev) < 0)
		pci_info(p, "hvkit_sim: no driver took the function back\n");
}

static int vpci_init(struct sim_dev *d, struct genl_info *info)
{
	struct nlattr *a = info->attrs[HVSIM_A_VPCI_PCI];
	unsigned int dom, bus, dev, fn, i;
	struct sim_vpci *v;
	unsigned long flags;
	char c;
	int ret;

	if (d->nchans != 1) {
		NL_SET_ERR_MSG(info->extack, "a vPCI bus has one channel");
		return -EINVAL;
	}
	if (!a) {
		NL_SET_ERR_MSG(info->extack, "vpci needs the PCI function to pass through (--pci DDDD:BB:DD.F)");
		return -EINVAL;
	}
	if (sscanf(nla_data(a), "%x:%x:%x.%x%c", &dom, &bus, &dev, &fn, &c) != 4 ||
	    dom > 0xffff || bus > 0xff || dev > 0x1f || fn > 7) {
		NL_SET_ERR_MSG_ATTR(info->extack, a, "a PCI function is DDDD:BB:DD.F, in hex");
		return -EINVAL;
	}
	v = kzalloc(sizeof(*v), GFP_KERNEL);
	if (!v)
		return -ENOMEM;
	v->d = d;
	v->present = true;
	init_completion(&v->ejected);
	INIT_WORK(&v->msi_work, vpci_msi_work);
	for (i = 0; i < VPCI_MAX_INTS; i++)
		v->xvec[i].irte = -1;
	atomic64_set(&v->refused, 0);
	snprintf(v->name, sizeof(v->name), "%04x:%02x:%02x.%x", dom, bus, dev, fn);
	v->pdev = pci_get_domain_bus_and_slot(dom, bus, PCI_DEVFN(dev, fn));
	if (!v->pdev) {
		NL_SET_ERR_MSG_ATTR(info->extack, a, "no such PCI function");
		kfree(v);
		return -ENODEV;
	}
	ret = vpci_take(v, info);
	if (ret) {
		pci_dev_put(v->pdev);
		kfree(v);
		return ret;
	}
	d->priv = v;
	v->held = true;
	vpci_msi_work(&v->msi_work);	/* MSI-X's vectors, held from now */
	spin_lock_irqsave(&vpci_lock, flags);
	list_add_tail(&v->node, &vpci_list);
	spin_unlock_irqrestore(&vpci_lock, flags);
	pr_info("hvkit_sim: vpci %pUl: passes through %s (%04x:%04x)\n", &d->instance, v->name,
		v->pdev->vendor, v->pdev->device);
	return 0;
}

static void vpci_destroy(struct sim_dev *d)
{
	struct sim_vpci *v = d->priv;
	unsigned long flags;

	spin_lock_irqsave(&vpci_lock, flags);
	list_del(&v->node);
	v->held = false;
	v->msi_want = false;
	v->msix_ctrl = 0;
	spin_unlock_irqrestore(&vpci_lock, flags);
	flush_work(&v->msi_work);
	vpci_msi_work(&v->msi_work);	/* the real vectors let go */
	mutex_lock(&vpci_win_lock);
	vpci_windows(v, false);
	mutex_unlock(&vpci_win_lock);
	vpci_give_back(v);
	pci_dev_put(v->pdev);
	kfree(v);
}

/* HVSIM_CMD_VPCI: hot add (bus relations with the function) or remove (eject). */
static int vpci_cmd(struct sim_dev *d, struct genl_info *info)
{
	struct sim_vpci *v = d->priv;
	struct nlattr *a = info->attrs[HVSIM_A_VPCI_OP];
	struct hvk_vpci_child_msg ej = { HVK_VPCI_EJECT, VPCI_SLOT };
	bool wait = false;
	int ret = 0;

	if (!a || info->genlhdr->cmd != HVSIM_CMD_VPCI) {
		NL_SET_ERR_MSG(info->extack, "vpci takes VPCI with VPCI_OP (attach or detach)");
		return -EINVAL;
	}
	mutex_lock(&sim.lock);
	if (nla_get_u32(a) == HVSIM_VPCI_ATTACH) {
		if (READ_ONCE(v->present) || READ_ONCE(v->ejecting)) {
			NL_SET_ERR_MSG(info->extack, "the function is on the guest's bus already");
			ret = -EALREADY;
		} else {
			WRITE_ONCE(v->present, true);
			if (v->c && READ_ONCE(v->version))
				ret = vpci_send_relations(v, v->c, false);
		}
	} else if (!READ_ONCE(v->present) || READ_ONCE(v->ejecting)) {
		NL_SET_ERR_MSG(info->extack, "the function is not on the guest's bus");
		ret = -ENOENT;
	} else if (v->c && READ_ONCE(v->version)) {
		reinit_completion(&v->ejected);
		WRITE_ONCE(v->ejecting, true);
		ret = vpci_send(v->c, HVK_PKT_DATA_INBAND, 0, &ej, sizeof(ej), false);
		wait = !ret;
		if (ret)
			WRITE_ONCE(v->ejecting, false);
	} else {
		WRITE_ONCE(v->present, false);
	}
	mutex_unlock(&sim.lock);
	if (!wait)
		return ret;
	if (!wait_for_completion_timeout(&v->ejected, VPCI_EJECT_TIMEOUT)) {
		/* Hyper-V takes the function away after its wait all the same. */
		WRITE_ONCE(v->ejecting, false);
		WRITE_ONCE(v->present, false);
		pr_err("hvkit_sim: vpci %s: the guest did not complete the eject; removed anyway\n",
		       v->name);
	}
	mutex_lock(&sim.lock);
	if (v->c && READ_ONCE(v->version))
		vpci_send_relations(v, v->c, false);
	mutex_unlock(&sim.lock);
	return 0;
}

static int vpci_fill(const struct sim_dev *d, struct sk_buff *skb)
{
	const struct sim_vpci *v = d->priv;

	if (nla_put_string(skb, HVSIM_A_VPCI_PCI, v->name) ||
	    nla_put_u32(skb, HVSIM_A_VPCI_VERSION, READ_ONCE(v->version)) ||
	    nla_put_u32(skb, HVSIM_A_VPCI_PRESENT, READ_ONCE(v->present)) ||
	    nla_put_u64_64bit(skb, HVSIM_A_VPCI_REFUSED, atomic64_read(&v->refused), HVSIM_A_UNSPEC))
		return -EMSGSIZE;
	return 0;
}

const struct sim_dev_type sim_vpci_type = {
	.name = "vpci",
	.class_id = GUID_INIT(0x44c4f61d, 0x4444, 0x4400,
			      0x9d, 0x52, 0x80, 0x2e, 0x27, 0xed, 0xe1, 0x9f),
	.init = vpci_init,
	.destroy = vpci_destroy,
	.opened = vpci_opened,
	.closed = vpci_closed,
	.serve = vpci_serve,
	.serve_atomic = vpci_serve_atomic,
	.cmd = vpci_cmd,
	.fill = vpci_fill,
};

/*
 * debugfs hvkit_sim/vpci: each device's interrupts as the host mapped
 * them (where each goes, how many it delivered), for tests.
 */
static int vpci_debugfs_show(struct seq_file *m, void *unused)
{
	struct sim_vpci *v;
	unsigned long flags;
	u32 i;

	spin_lock_irqsave(&vpci_lock, flags);
	list_for_each_entry(v, &vpci_list, node) {
		seq_printf(m, "%pUl %s msix_vectors %u msix_stray %llu msi %d\n", &v->d->instance,
			   v->name, v->msix_have, v->msix_stray, READ_ONCE(v->msi_have));
		seq_printf(m, "d0 %d d0_entries %llu d0_exits %llu released %llu\n", !!v->cfg_base,
			   v->d0_entries, v->d0_exits, v->released);
		if (v->pm_pos)
			seq_printf(m, "power D%u changes %llu\n", v->dstate, v->dstate_changes);
		for (i = 0; i < VPCI_MAX_INTS; i++)
			if (v->ints[i].used)
				seq_printf(m, "int %u vector %u cpu %u msix %d delivered %llu\n", i,
					   v->ints[i].vector, v->ints[i].cpu, v->ints[i].xvec,
					   v->ints[i].delivered);
	}
	spin_unlock_irqrestore(&vpci_lock, flags);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vpci_debugfs);

int sim_vpci_init(struct dentry *dir)
{
	debugfs_create_file("vpci", 0400, dir, NULL, &vpci_debugfs_fops);
	return pci_register_driver(&vpci_driver);
}

void sim_vpci_exit(void)
{
	pci_unregister_driver(&vpci_driver);
}
