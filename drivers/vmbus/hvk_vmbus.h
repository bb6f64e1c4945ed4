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
#include <linux/ioport.h>
#include <linux/mod_devicetable.h>
#include <linux/uuid.h>
#include <hvkit/ring.h>
#include <hvkit/vmbus.h>

struct hvk_channel;
struct hvk_kvec;

/* Called in hard interrupt context on the channel's target CPU. */
typedef void (*hvk_channel_cb)(void *ctx);

/* A buffer the host can reach by GPADL handle. */
struct hvk_gpadl {
	u32 handle;
	u32 size;
	void *buf;
};

struct hvk_device {
	struct device dev;
	guid_t class_id;		/* offer if_type */
	guid_t instance_id;		/* offer if_instance; also the name */
	struct hvk_channel *channel;	/* primary channel */
	struct kobject *channels_kobj;	/* sysfs channels/ */
	u64 dma_mask;			/* 64 bits: dev.dma_mask points here */
	struct device_dma_parameters dma_parms;
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

/*
 * Channels. A ring size is the bytes of one direction including its 4 KiB
 * control page, a multiple of PAGE_SIZE. @userdata (at most 120 bytes)
 * goes to the host in OPENCHANNEL. @cb runs in hard interrupt context on
 * the channel's target CPU whenever the host signals: it should only
 * schedule the real work (NAPI, a work item), which drains the inbound
 * ring with hvk_channel_recv() between hvk_channel_drain_begin() and
 * hvk_channel_drain_end().
 */
int hvk_channel_open(struct hvk_channel *ch, u32 send_size, u32 recv_size,
		     const void *userdata, u32 userdata_len, hvk_channel_cb cb, void *ctx);
/*
 * Closing is two steps, so that no reader touches a freed ring: first
 * hvk_channel_stop_callbacks() (no callback runs once it returns), then
 * the driver stops the work its callback scheduled, then
 * hvk_channel_close(), which waits for senders in flight and frees the
 * rings. close() alone also stops callbacks, for drivers that defer
 * nothing.
 */
void hvk_channel_stop_callbacks(struct hvk_channel *ch);
void hvk_channel_close(struct hvk_channel *ch);
u16 hvk_channel_subidx(struct hvk_channel *ch);

/*
 * Sub-channels of a primary channel. @added runs for each sub-channel the
 * host offers (and at once for those already offered), @removed before
 * one goes (rescind, or the device's removal); both on the core's device
 * workqueue, where they may sleep and open or close the sub-channel.
 * Clear with NULLs before the primary's driver goes away.
 */
void hvk_channel_set_subchannel_cbs(struct hvk_channel *primary,
				    void (*added)(struct hvk_channel *sc, void *ctx),
				    void (*removed)(struct hvk_channel *sc, void *ctx), void *ctx);
/*
 * @cb runs, in atomic context, when the host rescinds the channel, so a
 * driver can wake whoever waits on the host; the device's removal follows.
 * Set it before hvk_channel_open(); hvk_channel_close(), and an open that
 * fails, clear it.
 */
void hvk_channel_set_rescind_cb(struct hvk_channel *ch, hvk_channel_cb cb, void *ctx);
bool hvk_channel_rescinded(struct hvk_channel *ch);

/*
 * In-band packet: descriptor, then @len bytes of @buf. -EAGAIN: ring full
 * (see hvk_channel_set_pending_send()).
 */
int hvk_channel_send(struct hvk_channel *ch, const void *buf, u32 len, u64 trans_id,
		     u16 type, u16 flags);

/*
 * Batched sends (a NIC's xmit_more): with @more true the packet is written
 * but not yet published to the host; the next send with @more false, or
 * hvk_channel_flush(), publishes every packet written since with one
 * barrier and at most one signal. A send that fails (-EAGAIN included)
 * publishes what the batch wrote before it. A driver that ends a batch
 * without a send of @more false calls hvk_channel_flush(). The ring's
 * checks of the host's indices are the same as for one packet.
 */
int hvk_channel_send_batch(struct hvk_channel *ch, const void *buf, u32 len, u64 trans_id,
			   u16 type, u16 flags, bool more);
int hvk_channel_send_gpa_batch(struct hvk_channel *ch, struct hvk_pkt_gpa_direct *desc,
			       u32 desc_size, const void *buf, u32 len, u64 trans_id, bool more);
void hvk_channel_flush(struct hvk_channel *ch);

/*
 * Outbound flow control (upstream's set_channel_pending_send_size()): a
 * driver whose send returned -EAGAIN asks the host for a signal once its
 * packet fits, instead of polling:
 *
 *   ret = hvk_channel_send(ch, buf, len, ...);
 *   if (ret == -EAGAIN) {
 *           hvk_channel_set_pending_send(ch, sizeof(struct hvk_pkt_desc) + len);
 *           ret = hvk_channel_send(ch, buf, len, ...);   // exactly once more
 *           if (ret == -EAGAIN)
 *                   wait: the channel callback runs when the host freed that much
 *   }
 *   after the send went through (or the driver gave up):
 *           hvk_channel_set_pending_send(ch, 0);
 *
 * @bytes is the packet's length with its descriptor: sizeof(struct
 * hvk_pkt_desc) + len for hvk_channel_send(), desc_size + len for
 * hvk_channel_send_gpa(); 0 clears the request. The second try is part of
 * the rule: space the host freed before it saw the request is never
 * signalled. The host signals once, when its read of the outbound ring
 * takes the free space from "too little for @bytes" to "enough"; the
 * callback also runs for inbound packets, so the waiter re-checks (e.g.
 * hvk_channel_out_avail() >= bytes, or the send itself). One request per
 * channel, the last one set wins: senders sharing a channel ask for their
 * largest packet. Any context (it takes the outbound lock, irqsave); does
 * nothing on a channel that is not open.
 */
void hvk_channel_set_pending_send(struct hvk_channel *ch, u32 bytes);
/*
 * The longest packet, descriptor included (in the units of
 * hvk_channel_set_pending_send()), that a send could write now; 0 when the
 * channel is not open. Any context.
 */
u32 hvk_channel_out_avail(struct hvk_channel *ch);

/*
 * GPA-direct packet: guest buffers the host reads or writes in place
 * (upstream's page buffers and multi-page buffers). @desc is a struct
 * hvk_pkt_gpa_direct with range_cnt set, followed by that many ranges,
 * @desc_size bytes in all; one range per virtually contiguous buffer
 * (Hyper-V refuses a contiguous buffer split into one-page ranges). The
 * core fills in the packet descriptor (completion requested, @trans_id),
 * checks the ranges (-EINVAL, logged, when malformed) and sends it with
 * @len bytes of @buf in-band after the ranges. -EAGAIN: ring full.
 */
int hvk_channel_send_gpa(struct hvk_channel *ch, struct hvk_pkt_gpa_direct *desc, u32 desc_size,
			 const void *buf, u32 len, u64 trans_id);
/*
 * Describes @len bytes at @addr (kmalloc, vmalloc or page memory that
 * stays put until the host completes) as one range at @r, which has room
 * for @max_pfns page numbers. Returns the range's size in bytes, page
 * numbers included, -E2BIG if they do not fit, -EINVAL for no bytes.
 */
int hvk_gpa_range_fill(struct hvk_gpa_range *r, u32 max_pfns, const void *addr, u32 len);
/*
 * The same for @len bytes at DMA address @addr: one segment of a
 * scatterlist mapped with dma_map_sg() on the device (what an isolated
 * guest must do: the segment may be a swiotlb bounce buffer the host can
 * reach). DMA addresses are guest-physical here (no IOMMU on VMBus).
 */
int hvk_gpa_range_fill_dma(struct hvk_gpa_range *r, u32 max_pfns, dma_addr_t addr, u32 len);

/*
 * The next inbound packet, descriptor included, copied into @buf; *len is
 * its length. -EAGAIN: nothing more; -EMSGSIZE: @buflen too small (*len
 * says what is needed); -EBADMSG: the host corrupted the ring, which is
 * now dead (the reason is logged once).
 */
int hvk_channel_recv(struct hvk_channel *ch, void *buf, u32 buflen, u32 *len);
void hvk_channel_drain_begin(struct hvk_channel *ch);
/* Gives the space back; true if more arrived: drain again. */
bool hvk_channel_drain_end(struct hvk_channel *ch);

/*
 * Request ids: a transaction id for the host that maps back to @ctx
 * exactly once. take() fails (-ENOENT) for an id that is not in flight: a
 * host completing twice, or naming an id it was never given. add() fails
 * with -EBUSY when as many requests are in flight as the ring can hold.
 */
int hvk_rqst_add(struct hvk_channel *ch, u64 ctx, u64 *id);
int hvk_rqst_take(struct hvk_channel *ch, u64 id, u64 *ctx);

/* GPADLs for driver buffers: @buf from vmalloc or the page allocator. */
int hvk_gpadl_create(struct hvk_channel *ch, void *buf, u32 size, struct hvk_gpadl *g);
int hvk_gpadl_teardown(struct hvk_channel *ch, struct hvk_gpadl *g);

const char *hvk_channel_name(struct hvk_channel *ch);

/*
 * MMIO address space (a vPCI config window and BARs, a framebuffer): @size
 * bytes at an address in [@min, @max] aligned to @align (a power of two, or
 * 0 for any), from the windows the transport has. The piece shows in
 * /proc/iomem named after @hdev. ERR_PTR: -ENOSPC none free there,
 * -ENODEV the transport has no MMIO at all, -EINVAL bad arguments.
 * Free it with hvk_mmio_free() before the device goes.
 */
struct resource *hvk_mmio_alloc(struct hvk_device *hdev, resource_size_t min,
				resource_size_t max, resource_size_t size,
				resource_size_t align);
void hvk_mmio_free(struct resource *res);

/*
 * A buffer the host may still write to (it never confirmed a GPADL's
 * creation or teardown) must never be reused: log it and keep it, marked
 * for kmemleak as kept on purpose. @buf from vmalloc.
 */
void hvk_leak_for_host(struct device *dev, void *buf, u32 size, const char *what);

/*
 * The partition reference counter: 100 ns units since the partition
 * started, the clock the host stamps time samples with (time sync 4.0's
 * vmreferencetime). Hyper-V's TIME_REF_COUNT, or the simulated host's.
 * Any context, does not sleep; 0 when no transport is attached (call it
 * while a device of yours exists).
 */
u64 hvk_ref_counter(void);

/*
 * MMIO the host traps (a vPCI config window mapped at @va, guest-physical
 * @phys): readb/w/l or writeb/w/l on @va under Hyper-V, where the access
 * traps; under a host that cannot trap, its emulation of @phys. @size 1, 2
 * or 4 (else all ones, or nothing written). Any context; never sleeps.
 * No ordering is implied between two calls: a driver that selects, then
 * accesses, serialises them itself (a spinlock) as with readl/writel.
 */
u32 hvk_trapped_read(void __iomem *va, phys_addr_t phys, u8 size);
void hvk_trapped_write(void __iomem *va, phys_addr_t phys, u8 size, u32 val);

/*
 * Where an MSI of a vPCI function goes: HVCALL_RETARGET_INTERRUPT's
 * input, the VP set from one Linux CPU. @device_id is upstream's:
 * instance bytes 5, 4, 7 and 6 (its low 3 bits cleared), then the
 * function number. @vp_set: use the VP-set form (vPCI 1.2 and later).
 */
struct hvk_msi_target {
	u64 device_id;
	u32 msi_addr;		/* as the host's create-interrupt reply gave them */
	u32 msi_data;
	u32 vector;		/* the guest's IDT vector */
	u32 cpu;		/* the Linux CPU that takes it */
	bool vp_set;
};

/* The hypervisor's VP number of Linux CPU @cpu (what vPCI's interrupt messages carry). */
u32 hvk_cpu_vp(unsigned int cpu);

/*
 * Ask the host to deliver @t's interrupt on @t->cpu at @t->vector. Any
 * context with interrupts off; never sleeps. -EOPNOTSUPP: the transport
 * cannot; -EIO: the host refused; -ENODEV: no transport.
 */
int hvk_retarget_msi(const struct hvk_msi_target *t);

/*
 * Test modules only: post a raw channel message to the host, bypassing
 * every check of the core. Drivers must never call it.
 */
int hvk_test_post(const void *msg, u32 len);

#endif /* _HVK_VMBUS_H */
