// SPDX-License-Identifier: GPL-2.0
/*
 * hvkit_edu_test: an ordinary PCI driver for QEMU's edu device, bound only
 * to its view through vPCI (a PCI domain other than 0), that proves the
 * passed-through function works: MMIO (liveness and factorial registers),
 * DMA both ways through the device's own engine, checked byte for byte.
 * Results are sysfs attributes of the PCI device:
 *   edu_factorial  write N (0..12); read "N! = V" as the device computed it
 *   edu_dma        write SIZE (1..4000); read "ok SIZE" or "fail ..."
 *   edu_irq_test   write N (1..1000): the device raises N interrupts, each
 *                  awaited (1 s); read "ok N" or "fail ..."
 *   edu_irqs       MSIs the handler took since probe
 *
 * The same module drives QEMU's ivshmem-plain through vPCI (a GPU's memory
 * window stands in for): its 64-bit prefetchable BAR 2, whatever its size,
 * is mapped whole, written and read back:
 *   ivshmem_test   write anything; read "ok BYTES" or "fail ..." (one u64 in
 *                  each 4 KiB page, a pattern of its offset, and the last one)
 * Facts: QEMU's docs/specs/edu.rst and docs/specs/ivshmem-spec.rst.
 */
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/io.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/random.h>
#include <linux/slab.h>

#define EDU_ID		0x00
#define EDU_LIVENESS	0x04
#define EDU_FACTORIAL	0x08
#define EDU_STATUS	0x20
#define EDU_STATUS_BUSY	0x01
#define EDU_IRQ_STATUS	0x24
#define EDU_IRQ_RAISE	0x60
#define EDU_IRQ_ACK	0x64
#define EDU_DMA_SRC	0x80
#define EDU_DMA_DST	0x88
#define EDU_DMA_COUNT	0x90
#define EDU_DMA_CMD	0x98
#define EDU_DMA_START	0x01
#define EDU_DMA_TO_RAM	0x02
#define EDU_BUF		0x40000		/* the device's 4 KiB buffer */
#define EDU_BUF_SIZE	4096
/*
 * The longest transfer asked for: QEMU's edu aborts QEMU itself ("DMA range
 * out of bounds") on one that fills its buffer exactly, an off-by-one in
 * its range check.
 */
#define EDU_DMA_MAX	4000
#define EDU_DMA_BITS	28		/* the engine's address width */

struct edu {
	struct pci_dev *pdev;
	void __iomem *mmio;
	struct mutex lock;	/* one test at a time; the results below */
	u32 fact_n, fact_v;
	char dma_result[96];
	char irq_result[64];
	atomic_t irqs;
	struct completion irq_done;
};

/* Wait for the device (TCG is slow): up to 5 s for @reg & @bit to clear. */
static int edu_wait(struct edu *e, u32 reg, u32 bit)
{
	int i;

	for (i = 0; i < 50000; i++) {
		if (!(readl(e->mmio + reg) & bit))
			return 0;
		usleep_range(100, 200);
	}
	return -ETIMEDOUT;
}

static ssize_t edu_factorial_show(struct device *dev, struct device_attribute *a, char *buf)
{
	struct edu *e = dev_get_drvdata(dev);
	ssize_t n;

	mutex_lock(&e->lock);
	n = sysfs_emit(buf, "%u! = %u\n", e->fact_n, e->fact_v);
	mutex_unlock(&e->lock);
	return n;
}

static ssize_t edu_factorial_store(struct device *dev, struct device_attribute *a,
				   const char *buf, size_t len)
{
	struct edu *e = dev_get_drvdata(dev);
	u32 n;
	int ret;

	ret = kstrtou32(buf, 0, &n);
	if (ret || n > 12)
		return -EINVAL;
	mutex_lock(&e->lock);
	writel(n, e->mmio + EDU_FACTORIAL);
	ret = edu_wait(e, EDU_STATUS, EDU_STATUS_BUSY);
	e->fact_n = n;
	e->fact_v = ret ? 0 : readl(e->mmio + EDU_FACTORIAL);
	mutex_unlock(&e->lock);
	return ret ?: len;
}
static DEVICE_ATTR_RW(edu_factorial);

static int edu_dma_one(struct edu *e, dma_addr_t ram, u32 size, bool to_ram)
{
	writeq(to_ram ? EDU_BUF : ram, e->mmio + EDU_DMA_SRC);
	writeq(to_ram ? ram : EDU_BUF, e->mmio + EDU_DMA_DST);
	writeq(size, e->mmio + EDU_DMA_COUNT);
	writeq(EDU_DMA_START | (to_ram ? EDU_DMA_TO_RAM : 0), e->mmio + EDU_DMA_CMD);
	return edu_wait(e, EDU_DMA_CMD, EDU_DMA_START);
}

/* RAM -> device -> other RAM: the bytes must come back as they went. */
static int edu_dma_test(struct edu *e, u32 size)
{
	struct device *dev = &e->pdev->dev;
	dma_addr_t a, b;
	u8 *pa, *pb;
	u32 i;
	int ret;

	pa = dma_alloc_coherent(dev, EDU_BUF_SIZE, &a, GFP_KERNEL);
	pb = dma_alloc_coherent(dev, EDU_BUF_SIZE, &b, GFP_KERNEL);
	if (!pa || !pb) {
		ret = -ENOMEM;
		snprintf(e->dma_result, sizeof(e->dma_result), "fail no DMA memory\n");
		goto out;
	}
	get_random_bytes(pa, size);
	memset(pb, 0x5a, EDU_BUF_SIZE);
	ret = edu_dma_one(e, a, size, false);
	if (!ret)
		ret = edu_dma_one(e, b, size, true);
	if (ret) {
		snprintf(e->dma_result, sizeof(e->dma_result), "fail the DMA engine did not finish\n");
		goto out;
	}
	for (i = 0; i < size && pa[i] == pb[i]; i++)
		;
	if (i < size) {
		snprintf(e->dma_result, sizeof(e->dma_result),
			 "fail byte %u is %#x, sent %#x\n", i, pb[i], pa[i]);
		ret = -EIO;
	} else if (size < EDU_BUF_SIZE && pb[size] != 0x5a) {
		snprintf(e->dma_result, sizeof(e->dma_result), "fail wrote past %u bytes\n", size);
		ret = -EIO;
	} else {
		snprintf(e->dma_result, sizeof(e->dma_result), "ok %u\n", size);
	}
out:
	if (pa)
		dma_free_coherent(dev, EDU_BUF_SIZE, pa, a);
	if (pb)
		dma_free_coherent(dev, EDU_BUF_SIZE, pb, b);
	return ret;
}

static ssize_t edu_dma_show(struct device *dev, struct device_attribute *a, char *buf)
{
	struct edu *e = dev_get_drvdata(dev);
	ssize_t n;

	mutex_lock(&e->lock);
	n = sysfs_emit(buf, "%s", e->dma_result);
	mutex_unlock(&e->lock);
	return n;
}

static ssize_t edu_dma_store(struct device *dev, struct device_attribute *a, const char *buf,
			     size_t len)
{
	struct edu *e = dev_get_drvdata(dev);
	u32 size;
	int ret;

	ret = kstrtou32(buf, 0, &size);
	if (ret || !size || size > EDU_DMA_MAX)
		return -EINVAL;
	mutex_lock(&e->lock);
	ret = edu_dma_test(e, size);
	mutex_unlock(&e->lock);
	return ret ?: len;
}
static DEVICE_ATTR_RW(edu_dma);

static irqreturn_t edu_irq(int irq, void *ctx)
{
	struct edu *e = ctx;
	u32 st = readl(e->mmio + EDU_IRQ_STATUS);

	if (!st)
		return IRQ_NONE;
	writel(st, e->mmio + EDU_IRQ_ACK);
	atomic_inc(&e->irqs);
	complete(&e->irq_done);
	return IRQ_HANDLED;
}

static ssize_t edu_irq_test_show(struct device *dev, struct device_attribute *a, char *buf)
{
	struct edu *e = dev_get_drvdata(dev);
	ssize_t n;

	mutex_lock(&e->lock);
	n = sysfs_emit(buf, "%s", e->irq_result);
	mutex_unlock(&e->lock);
	return n;
}

static ssize_t edu_irq_test_store(struct device *dev, struct device_attribute *a,
				  const char *buf, size_t len)
{
	struct edu *e = dev_get_drvdata(dev);
	u32 n, i;
	int ret;

	ret = kstrtou32(buf, 0, &n);
	if (ret || !n || n > 1000)
		return -EINVAL;
	if (!e->pdev->msi_enabled)
		return -ENXIO;
	mutex_lock(&e->lock);
	for (i = 0; i < n; i++) {
		reinit_completion(&e->irq_done);
		writel(1u << (i % 31), e->mmio + EDU_IRQ_RAISE);
		if (!wait_for_completion_timeout(&e->irq_done, HZ))
			break;
	}
	if (i < n) {
		snprintf(e->irq_result, sizeof(e->irq_result), "fail interrupt %u of %u never came\n",
			 i + 1, n);
		ret = -ETIMEDOUT;
	} else {
		snprintf(e->irq_result, sizeof(e->irq_result), "ok %u\n", n);
	}
	mutex_unlock(&e->lock);
	return ret ?: len;
}
static DEVICE_ATTR_RW(edu_irq_test);

static ssize_t edu_irqs_show(struct device *dev, struct device_attribute *a, char *buf)
{
	struct edu *e = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%d\n", atomic_read(&e->irqs));
}
static DEVICE_ATTR_RO(edu_irqs);

static struct attribute *edu_attrs[] = {
	&dev_attr_edu_factorial.attr,
	&dev_attr_edu_dma.attr,
	&dev_attr_edu_irqs.attr,
	&dev_attr_edu_irq_test.attr,
	NULL,
};
ATTRIBUTE_GROUPS(edu);

static int edu_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct edu *e;
	u32 v;
	int ret;

	if (!pci_domain_nr(pdev->bus))
		return -ENODEV;	/* the emulated bus's edu: not ours to test */
	e = devm_kzalloc(&pdev->dev, sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	e->pdev = pdev;
	mutex_init(&e->lock);
	atomic_set(&e->irqs, 0);
	init_completion(&e->irq_done);
	snprintf(e->dma_result, sizeof(e->dma_result), "none\n");
	snprintf(e->irq_result, sizeof(e->irq_result), "none\n");
	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(EDU_DMA_BITS));
	if (ret)
		return ret;
	e->mmio = pcim_iomap(pdev, 0, 0);
	if (!e->mmio)
		return -ENOMEM;
	pci_set_master(pdev);
	writel(0x12345678, e->mmio + EDU_LIVENESS);
	v = readl(e->mmio + EDU_LIVENESS);
	if (v != ~0x12345678u) {
		pci_err(pdev, "liveness check read %#x, not %#x\n", v, ~0x12345678u);
		return -EIO;
	}
	pci_set_drvdata(pdev, e);
	/* MSI through the vPCI bus's own irq domain; without it the rest still works. */
	ret = pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_MSI);
	if (ret == 1)
		ret = devm_request_irq(&pdev->dev, pci_irq_vector(pdev, 0), edu_irq, 0,
				       "hvkit_edu_test", e);
	if (ret < 0)
		pci_warn(pdev, "no MSI (%d)\n", ret);
	pci_info(pdev, "edu %#x through vPCI, domain %04x\n", readl(e->mmio + EDU_ID),
		 pci_domain_nr(pdev->bus));
	return 0;
}

static void edu_remove(struct pci_dev *pdev)
{
	pci_clear_master(pdev);
}

static const struct pci_device_id edu_ids[] = {
	{ PCI_DEVICE(0x1234, 0x11e8) },
	{ },
};

static struct pci_driver edu_driver = {
	.name = "hvkit_edu_test",
	.id_table = edu_ids,
	.probe = edu_probe,
	.remove = edu_remove,
	.dev_groups = edu_groups,
};

/* ---- ivshmem-plain: a large BAR ---- */

struct shm {
	struct mutex lock;	/* one test at a time; result */
	char result[96];
};

static u64 shm_pattern(u64 off)
{
	return off * 0x9e3779b97f4a7c15ull ^ 0x5a5a5a5a5a5a5a5aull;
}

static ssize_t ivshmem_test_show(struct device *dev, struct device_attribute *a, char *buf)
{
	struct shm *s = dev_get_drvdata(dev);
	ssize_t n;

	mutex_lock(&s->lock);
	n = sysfs_emit(buf, "%s", s->result);
	mutex_unlock(&s->lock);
	return n;
}

static ssize_t ivshmem_test_store(struct device *dev, struct device_attribute *a,
				  const char *buf, size_t len)
{
	struct pci_dev *pdev = to_pci_dev(dev);
	struct shm *s = dev_get_drvdata(dev);
	u64 size = pci_resource_len(pdev, 2), off;
	void __iomem *p;
	int ret = 0;

	if (size < 8)
		return -ENODEV;
	p = ioremap_wc(pci_resource_start(pdev, 2), size);
	if (!p)
		return -ENOMEM;
	mutex_lock(&s->lock);
	for (off = 0; off < size; off += PAGE_SIZE) {
		writeq(shm_pattern(off), p + off);
		cond_resched();
	}
	writeq(shm_pattern(size - 8), p + size - 8);
	for (off = 0; off < size; off += PAGE_SIZE) {
		if (readq(p + off) != shm_pattern(off))
			break;
		cond_resched();
	}
	if (off < size) {
		snprintf(s->result, sizeof(s->result), "fail at %#llx: %#llx\n", off, readq(p + off));
		ret = -EIO;
	} else if (readq(p + size - 8) != shm_pattern(size - 8)) {
		snprintf(s->result, sizeof(s->result), "fail at the last u64\n");
		ret = -EIO;
	} else {
		snprintf(s->result, sizeof(s->result), "ok %llu\n", size);
	}
	mutex_unlock(&s->lock);
	iounmap(p);
	return ret ?: len;
}
static DEVICE_ATTR_RW(ivshmem_test);

static struct attribute *shm_attrs[] = {
	&dev_attr_ivshmem_test.attr,
	NULL,
};
ATTRIBUTE_GROUPS(shm);

static int shm_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct shm *s;
	int ret;

	if (!pci_domain_nr(pdev->bus))
		return -ENODEV;	/* the emulated bus's: not ours to test */
	s = devm_kzalloc(&pdev->dev, sizeof(*s), GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	mutex_init(&s->lock);
	snprintf(s->result, sizeof(s->result), "none\n");
	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	pci_set_drvdata(pdev, s);
	pci_info(pdev, "ivshmem through vPCI, BAR 2 %pR\n", &pdev->resource[2]);
	return 0;
}

static const struct pci_device_id shm_ids[] = {
	{ PCI_DEVICE(0x1af4, 0x1110) },
	{ },
};

static struct pci_driver shm_driver = {
	.name = "hvkit_ivshmem_test",
	.id_table = shm_ids,
	.probe = shm_probe,
	.dev_groups = shm_groups,
};

static int __init edu_test_init(void)
{
	int ret = pci_register_driver(&edu_driver);

	if (ret)
		return ret;
	ret = pci_register_driver(&shm_driver);
	if (ret)
		pci_unregister_driver(&edu_driver);
	return ret;
}

static void __exit edu_test_exit(void)
{
	pci_unregister_driver(&shm_driver);
	pci_unregister_driver(&edu_driver);
}

module_init(edu_test_init);
module_exit(edu_test_exit);

MODULE_DESCRIPTION("hvkit test: QEMU's edu device through vPCI");
MODULE_LICENSE("GPL");
