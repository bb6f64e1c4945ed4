// SPDX-License-Identifier: GPL-2.0
/*
 * The synthetic SCSI controller's host side (Hyper-V's storvsp): a
 * controller with LUNs backed by RAM, or by a file or block device of the
 * guest's (opened by the host, read and written through the VFS from the
 * io works, never in atomic context). The guest initialises the channel
 * (BEGIN_INITIALIZATION, QUERY_PROTOCOL_VERSION, QUERY_PROPERTIES,
 * END_INITIALIZATION), may ask for sub-channels, then sends SCSI request
 * blocks (EXECUTE_SRB), their data as GPA-direct ranges that the host
 * checks with the shared validator and reaches by mapping each guest page
 * the ranges name. Every request is answered with a completion packet
 * (COMPLETE_IO) carrying the request's transaction id.
 *
 * As Hyper-V's storvsp (openvmm's keeps many I/Os in flight per queue),
 * a channel's SCSI requests are served in parallel: the serve work checks
 * each and hands it to the device's io workqueue, and each is answered
 * when it is done, in whatever order they finish. Control operations
 * stay in order in the serve work.
 *
 * LUNs live at path 0, target 0, as Hyper-V's do. A LUN that is not there
 * answers INQUIRY with "no device here" (peripheral qualifier 3) and
 * anything else with SRB_STATUS_INVALID_LUN.
 */
#include <linux/bvec.h>
#include <linux/falloc.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/rwsem.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <linux/vmalloc.h>
#include <net/genetlink.h>
#include <hvkit/storvsc.h>
#include <hvk_compat.h>
#include "sim.h"

#define SIM_SCSI_MAX_LUNS	64
#define SIM_SCSI_MAX_XFER	(1024 * 1024)	/* max_transfer_bytes in the properties */
#define SIM_SCSI_DEF_SIZE	(64ull << 20)
#define SIM_SCSI_MAX_SIZE	(1ull << 30)	/* RAM: keep the guest alive */
#define SIM_HV_PER_PAGE		(PAGE_SIZE / HVK_HV_PAGE_SIZE)
/* A backed LUN's I/O: the guest pages of one request (storvsc sends 257 at most). */
#define SIM_SCSI_BVECS		(SIM_SCSI_MAX_XFER / HVK_HV_PAGE_SIZE + 64)
#define SIM_SCSI_RETRY_NS	(50 * NSEC_PER_USEC)	/* a delayed reply met a full ring */
#define SIM_SCSI_INFLIGHT	128	/* a channel's requests in flight at most */

/* SCSI opcodes, sense keys and codes the host uses. */
#define SC_TEST_UNIT_READY	0x00
#define SC_INQUIRY		0x12
#define SC_MODE_SENSE_6		0x1a
#define SC_READ_CAPACITY_10	0x25
#define SC_READ_10		0x28
#define SC_WRITE_10		0x2a
#define SC_SYNC_CACHE_10	0x35
#define SC_UNMAP		0x42
#define SC_MODE_SENSE_10	0x5a
#define SC_READ_16		0x88
#define SC_WRITE_16		0x8a
#define SC_SYNC_CACHE_16	0x91
#define SC_WRITE_SAME_16	0x93
#define SC_SERVICE_IN_16	0x9e
#define SC_SAI_READ_CAP_16	0x10
#define SC_REPORT_LUNS		0xa0

#define SK_MEDIUM_ERROR		0x3
#define ASC_WRITE_ERROR		0x0c
#define SK_ILLEGAL_REQUEST	0x5
#define SK_DATA_PROTECT		0x7
#define ASC_INVALID_OPCODE	0x20
#define ASC_LBA_OUT_OF_RANGE	0x21
#define ASC_INVALID_FIELD	0x24
#define ASC_WRITE_PROTECTED	0x27
#define ASC_UNRECOVERED_READ	0x11
#define SAM_CHECK_CONDITION	0x02

struct sim_scsi_lun {
	u8 *mem;		/* RAM (vmalloc): blocks * bs bytes; NULL when backed */
	/*
	 * Backed: a regular file or a block device (opened exclusively),
	 * read and written through its read_iter/write_iter; UNMAP punches
	 * holes (a block device: zeroes, which it may discard).
	 */
	struct file *file;
	char *path;		/* as given */
	u64 blocks;
	u32 bs;			/* 512 or 4096 */
	bool ro;
	u64 bad_lba;		/* reads of it fail (medium error); U64_MAX: none */
};

/*
 * A channel's host-side state. pending: requests whose answers wait, for
 * the latency knob or for room in the guest's full ring, oldest first,
 * under lock; the timer (softirq) sends those due. inflight: the
 * channel's requests in io works or on pending; at SIM_SCSI_INFLIGHT the
 * serve work serves the next itself, and stops reading while its answer
 * does not fit (a guest that sends and never reads holds no more host
 * memory). bv: the guest pages of a request the serve work serves
 * itself. The io works and pending all end at the channel's close.
 */
struct sim_scsi_chan {
	struct sim_chan *c;
	spinlock_t lock;
	struct list_head pending;
	struct hrtimer timer;
	atomic_t inflight;
	struct bio_vec bv[SIM_SCSI_BVECS];
};

/*
 * A request being served: its GPA-direct ranges (checked), the data they
 * describe, and the answer being built.
 */
struct sim_scsi_req {
	struct sim_scsi_chan *sc;	/* the channel it came on */
	const u8 *desc;		/* the packet, NULL: no data */
	u32 data;		/* bytes the ranges describe */
	struct hvk_vmscsi_request *srb;	/* the answer, built in place */
	struct bio_vec *bv;	/* room for a backed LUN's pieces */
	u32 nbv;
	bool bad_page;		/* a range names a page that is not RAM */
};

struct sim_scsi_answer {
	struct hvk_pkt_desc desc;
	struct hvk_vstor_packet v;
};

/*
 * A request in flight: its packet (copied out of the serve work's
 * buffer), its answer built in place, and room for the bio_vecs of a
 * backed LUN's transfer, in one allocation. An io work serves it; then
 * it waits on pending if its answer must.
 */
struct sim_scsi_io {
	struct list_head node;	/* r.sc->pending, under its lock */
	ktime_t due;		/* when its answer goes, on pending */
	struct work_struct work;
	struct sim_scsi *s;
	struct sim_scsi_req r;	/* desc: pkt, srb: a's, bv: after pkt (the ranges' pages) */
	struct sim_scsi_answer a;
	u8 pkt[] __aligned(8);
};

struct sim_scsi {
	struct sim_dev *d;
	u32 latency_us;		/* set at DEV_ADD */
	struct workqueue_struct *wq;	/* the io works; flushed at a channel's close */
	struct sim_scsi_chan *chans;	/* d->nchans of them */
	/*
	 * luns_lock: the serve works read the LUN table (and a LUN's bytes)
	 * under it; netlink commands change the table under it, written.
	 */
	struct rw_semaphore luns_lock;
	struct sim_scsi_lun *luns[SIM_SCSI_MAX_LUNS];
	/*
	 * The protocol state: written by the primary channel's serve work
	 * (and reset at its close, under sim.lock); read elsewhere with
	 * READ_ONCE.
	 */
	u16 version;		/* agreed; 0: none yet */
	bool begun, ready;	/* BEGIN_ and END_INITIALIZATION seen */
	unsigned long stall_until;	/* jiffies: requests go unanswered till then */
	bool stalled;		/* stall_until is set (a reset clears it) */
	atomic64_t reads, writes, unmaps, refused, dropped;
	atomic_t inflight_peak;	/* the most one channel had in io works or pending */
};

static void sim_scsi_lun_free(struct sim_scsi_lun *l)
{
	if (!l)
		return;
	vfree(l->mem);
	if (l->file) {
		/*
		 * The last reference: a block device's exclusive claim ends
		 * with it. From a kernel thread the release is deferred;
		 * flush it so the backing is free again when we return.
		 */
		filp_close(l->file, NULL);
		if (current->flags & PF_KTHREAD)
			flush_delayed_fput();
	}
	kfree(l->path);
	kfree(l);
}

/* Open a LUN's backing: a regular file or a block device, its size the LUN's. */
static int sim_scsi_lun_open(struct sim_scsi_lun *l, const char *path, const char **err)
{
	struct file *f;
	umode_t mode;
	u64 bytes;

	/* O_EXCL: a block device is claimed (not while mounted); a file ignores it. */
	f = filp_open(path, (l->ro ? O_RDONLY : O_RDWR) | O_EXCL | O_LARGEFILE, 0);
	if (IS_ERR(f)) {
		switch (PTR_ERR(f)) {
		case -ENOENT:
			*err = "the backing file does not exist";
			break;
		case -EBUSY:
			*err = "the backing block device is in use (mounted, or another LUN's)";
			break;
		case -EACCES:
		case -EPERM:
		case -EROFS:
			*err = "the backing cannot be opened for writing (add --read-only)";
			break;
		case -EISDIR:
			*err = "the backing is neither a regular file nor a block device";
			break;
		default:
			*err = "the backing file cannot be opened";
		}
		return PTR_ERR(f);
	}
	l->file = f;
	mode = file_inode(f)->i_mode;
	if (!S_ISREG(mode) && !S_ISBLK(mode)) {
		*err = "the backing is neither a regular file nor a block device";
		return -EINVAL;
	}
	if (!f->f_op->read_iter || !f->f_op->write_iter) {
		*err = "the backing's filesystem cannot be read and written by the host";
		return -EINVAL;
	}
	/* A block device's size is its inode's (f_mapping->host), a file's its own. */
	bytes = i_size_read(f->f_mapping->host);
	l->blocks = bytes / l->bs;
	if (!l->blocks) {
		*err = "the backing is smaller than a sector";
		return -EINVAL;
	}
	l->path = kstrdup(path, GFP_KERNEL);
	return l->path ? 0 : -ENOMEM;
}

/* @size 0: the default (RAM) or the backing's (@path). */
static struct sim_scsi_lun *sim_scsi_lun_alloc(u64 size, u32 bs, bool ro, const char *path,
					       const char **err)
{
	struct sim_scsi_lun *l;
	int ret;

	if (bs != 512 && bs != 4096) {
		*err = "the sector size is 512 or 4096";
		return ERR_PTR(-EINVAL);
	}
	if (path && size) {
		*err = "a backed LUN's size is its backing's: give --size or --backing, not both";
		return ERR_PTR(-EINVAL);
	}
	if (!path && !size)
		size = SIM_SCSI_DEF_SIZE;
	if (!path && (size % bs || size > SIM_SCSI_MAX_SIZE)) {
		*err = "the size is a whole number of sectors, at most 1 GiB";
		return ERR_PTR(-EINVAL);
	}
	l = kzalloc(sizeof(*l), GFP_KERNEL);
	if (!l)
		return ERR_PTR(-ENOMEM);
	l->bs = bs;
	l->ro = ro;
	l->bad_lba = U64_MAX;
	if (path) {
		ret = sim_scsi_lun_open(l, path, err);
		if (ret) {
			sim_scsi_lun_free(l);
			return ERR_PTR(ret);
		}
		return l;
	}
	l->mem = vzalloc(size);
	if (!l->mem) {
		kfree(l);
		*err = "no memory for the LUN's bytes";
		return ERR_PTR(-ENOMEM);
	}
	l->blocks = size / bs;
	return l;
}

static enum hrtimer_restart sim_scsi_pending_fire(struct hrtimer *t);

static int sim_scsi_init(struct sim_dev *d, struct genl_info *info)
{
	struct nlattr **a = info->attrs;
	u64 size = 0;
	u32 bs = 512, i;
	struct sim_scsi *s;
	struct sim_scsi_lun *l;
	const char *err = NULL;

	if (a[HVSIM_A_SCSI_SIZE]) {
		size = nla_get_u64(a[HVSIM_A_SCSI_SIZE]);
		if (!size) {
			NL_SET_ERR_MSG(info->extack, "the size is a whole number of sectors, at most 1 GiB");
			return -EINVAL;
		}
	}
	if (a[HVSIM_A_SCSI_SECTOR])
		bs = nla_get_u32(a[HVSIM_A_SCSI_SECTOR]);
	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	s->chans = kvcalloc(d->nchans, sizeof(*s->chans), GFP_KERNEL);
	if (!s->chans) {
		kfree(s);
		return -ENOMEM;
	}
	for (i = 0; i < d->nchans; i++) {
		s->chans[i].c = d->chans[i];
		spin_lock_init(&s->chans[i].lock);
		INIT_LIST_HEAD(&s->chans[i].pending);
		hrtimer_setup(&s->chans[i].timer, sim_scsi_pending_fire, CLOCK_MONOTONIC,
			      HRTIMER_MODE_ABS_SOFT);
		atomic_set(&s->chans[i].inflight, 0);
	}
	/* The guest's writeback under memory pressure may wait for these. */
	s->wq = alloc_workqueue("hvk_sim_scsi", WQ_UNBOUND | WQ_MEM_RECLAIM, 0);
	if (!s->wq) {
		kvfree(s->chans);
		kfree(s);
		return -ENOMEM;
	}
	if (a[HVSIM_A_SCSI_LATENCY_US])
		s->latency_us = nla_get_u32(a[HVSIM_A_SCSI_LATENCY_US]);
	l = sim_scsi_lun_alloc(size, bs, nla_get_flag(a[HVSIM_A_SCSI_RO]),
			       a[HVSIM_A_SCSI_BACKING] ? nla_data(a[HVSIM_A_SCSI_BACKING]) : NULL,
			       &err);
	if (IS_ERR(l)) {
		destroy_workqueue(s->wq);
		kvfree(s->chans);
		kfree(s);
		if (err && info->extack)
			info->extack->_msg = err;
		return PTR_ERR(l);
	}
	s->d = d;
	init_rwsem(&s->luns_lock);
	s->luns[0] = l;
	d->priv = s;
	return 0;
}

static void sim_scsi_destroy(struct sim_dev *d)
{
	struct sim_scsi *s = d->priv;
	unsigned int i;

	if (!s)
		return;
	for (i = 0; i < s->d->nchans; i++)
		hrtimer_cancel(&s->chans[i].timer);	/* stopped at the close already */
	destroy_workqueue(s->wq);	/* empty since the closes */
	for (i = 0; i < SIM_SCSI_MAX_LUNS; i++)
		sim_scsi_lun_free(s->luns[i]);
	kvfree(s->chans);
	kfree(s);
}

static void sim_scsi_io_free(struct sim_scsi_io *io)
{
	atomic_dec(&io->r.sc->inflight);
	kfree(io);
}

/* Drop the answers that wait (the channel closed). */
static void sim_scsi_drop_pending(struct sim_scsi_chan *sc)
{
	struct sim_scsi_io *io, *tmp;
	LIST_HEAD(gone);

	hrtimer_cancel(&sc->timer);
	spin_lock_bh(&sc->lock);
	list_splice_init(&sc->pending, &gone);
	spin_unlock_bh(&sc->lock);
	list_for_each_entry_safe(io, tmp, &gone, node)
		sim_scsi_io_free(io);
}

/*
 * A channel closed (its serve work stopped, so no io work is queued any
 * more): the io works finish, and the answers that wait go. The
 * primary: the guest starts over at the next open.
 */
static void sim_scsi_closed(struct sim_chan *c)
{
	struct sim_scsi *s = c->dev->priv;

	flush_workqueue(s->wq);		/* they take no sim.lock */
	if (c->subidx < c->dev->nchans)
		sim_scsi_drop_pending(&s->chans[c->subidx]);
	if (c->subidx)
		return;
	s->version = 0;
	s->begun = false;
	s->ready = false;
}

/*
 * The host's view of the guest's buffer: walk the pages that the ranges
 * name for the first @n bytes, as a host maps them, and hand each piece
 * to @piece (which returns 0 or an error that ends the walk). -EFAULT: a
 * page is not guest RAM (r->bad_page set) or the ranges hold fewer than
 * @n bytes.
 */
static int sim_scsi_walk(struct sim_scsi_req *r, u32 n,
			 int (*piece)(struct page *pg, u32 off, u32 len, void *ctx), void *ctx)
{
	const struct hvk_pkt_gpa_direct *h = (const void *)r->desc;
	u32 off = sizeof(*h), i, k;
	int err;

	for (i = 0; i < h->range_cnt && n; i++) {
		struct hvk_gpa_range rg;
		u32 npfns, start, left;

		memcpy(&rg, r->desc + off, sizeof(rg));
		off += sizeof(rg);
		npfns = hvk_hv_pages(rg.byte_offset, rg.byte_count);
		start = rg.byte_offset;
		left = rg.byte_count;
		for (k = 0; k < npfns && n; k++, off += sizeof(u64)) {
			u32 chunk = min3(left, HVK_HV_PAGE_SIZE - start, n);
			u64 hvpfn;

			memcpy(&hvpfn, r->desc + off, sizeof(hvpfn));
			if (!pfn_valid(hvpfn / SIM_HV_PER_PAGE)) {
				r->bad_page = true;
				return -EFAULT;
			}
			err = piece(pfn_to_page(hvpfn / SIM_HV_PER_PAGE),
				    (hvpfn % SIM_HV_PER_PAGE) * HVK_HV_PAGE_SIZE + start,
				    chunk, ctx);
			if (err)
				return err;
			left -= chunk;
			n -= chunk;
			start = 0;
		}
		/* A range's page numbers are all walked, used or not. */
		off += (npfns - k) * sizeof(u64);
	}
	return n ? -EFAULT : 0;
}

struct sim_scsi_copy {
	u8 *p;		/* the host's side, advancing */
	bool to_guest;
};

static int sim_scsi_copy_piece(struct page *pg, u32 off, u32 len, void *ctx)
{
	struct sim_scsi_copy *c = ctx;
	u8 *va = kmap_local_page(pg) + off;

	if (c->to_guest)
		memcpy(va, c->p, len);
	else
		memcpy(c->p, va, len);
	kunmap_local(va);
	c->p += len;
	return 0;
}

/*
 * The host's DMA: copy @n bytes between @buf and the start of the guest's
 * buffer. false: a page is not guest RAM, or the buffer is shorter.
 */
static bool sim_scsi_xfer(struct sim_scsi_req *r, void *buf, u32 n, bool to_guest)
{
	struct sim_scsi_copy c = { .p = buf, .to_guest = to_guest };

	return !sim_scsi_walk(r, n, sim_scsi_copy_piece, &c);
}

struct sim_scsi_bv {
	struct bio_vec *bv;
	u32 nr, max;
};

static int sim_scsi_bv_piece(struct page *pg, u32 off, u32 len, void *ctx)
{
	struct sim_scsi_bv *b = ctx;

	if (b->nr == b->max)
		return -E2BIG;
	bvec_set_page(&b->bv[b->nr++], pg, len, off);
	return 0;
}

/*
 * The same walk for a backed LUN: the guest pages of the first @n bytes,
 * as a bio_vec array in r->bv. Returns how many, or
 * -EFAULT (a page is not RAM) or -E2BIG (more pieces than it holds).
 */
static int sim_scsi_bvecs(struct sim_scsi_req *r, u32 n)
{
	struct sim_scsi_bv b = { .bv = r->bv, .max = r->nbv };
	int err = sim_scsi_walk(r, n, sim_scsi_bv_piece, &b);

	return err ? err : b.nr;
}

/*
 * A backed LUN's READ or WRITE: straight between the guest's pages and
 * the backing, through its read_iter/write_iter (the page cache of a file
 * or of a block device), from the serve work. As the loop driver: no
 * reclaim may recurse into I/O meanwhile, and dirty throttling looks only
 * at the backing's own device, since the guest's writeback to this disk
 * (counted against the global limit) may be what waits on us.
 */
static ssize_t sim_scsi_file_rw(struct sim_scsi_lun *l, struct sim_scsi_req *r, u64 pos,
				u32 bytes, bool write, bool fua)
{
	struct iov_iter it;
	struct kiocb kiocb;
	unsigned int noio;
	ssize_t ret;
	int nr;

	nr = sim_scsi_bvecs(r, bytes);
	if (nr < 0)
		return nr;
	iov_iter_bvec(&it, write ? WRITE : READ, r->bv, nr, bytes);
	init_sync_kiocb(&kiocb, l->file);
	kiocb.ki_pos = pos;
	noio = memalloc_noio_save();
	if (write) {
#ifdef PF_LOCAL_THROTTLE
		unsigned int local = current->flags & PF_LOCAL_THROTTLE;

		current->flags |= PF_LOCAL_THROTTLE;
#endif
		if (fua)
			kiocb.ki_flags |= IOCB_DSYNC;
		file_start_write(l->file);
		ret = l->file->f_op->write_iter(&kiocb, &it);
		file_end_write(l->file);
#ifdef PF_LOCAL_THROTTLE
		current->flags = (current->flags & ~PF_LOCAL_THROTTLE) | local;
#endif
	} else {
		ret = l->file->f_op->read_iter(&kiocb, &it);
	}
	memalloc_noio_restore(noio);
	return ret;
}

static void sim_scsi_sense(struct sim_scsi_req *r, u8 key, u8 asc, u8 ascq)
{
	struct hvk_vmscsi_request *srb = r->srb;

	srb->srb_status = HVK_SRB_STATUS_ERROR | HVK_SRB_STATUS_AUTOSENSE_VALID;
	srb->scsi_status = SAM_CHECK_CONDITION;
	srb->data_transfer_length = 0;
	memset(srb->sense_data, 0, sizeof(srb->sense_data));
	srb->sense_data[0] = 0x70;	/* fixed format, current */
	srb->sense_data[2] = key;
	srb->sense_data[7] = 10;	/* additional length */
	srb->sense_data[12] = asc;
	srb->sense_data[13] = ascq;
	srb->sense_info_length = 18;
}

/* Data in: @len bytes of @buf, cut to @alloc (the CDB's) and the buffer. */
static void sim_scsi_data_in(struct sim_scsi_req *r, const void *buf, u32 len, u32 alloc)
{
	u32 n = min3(len, alloc, r->data);

	if (n && !sim_scsi_xfer(r, (void *)buf, n, true)) {
		r->srb->srb_status = HVK_SRB_STATUS_INVALID_REQUEST;
		r->srb->data_transfer_length = 0;
		return;
	}
	r->srb->data_transfer_length = n;
}

/* CDB and parameter fields are big-endian, at any alignment. */
static u32 get_be16(const u8 *p)
{
	return (u32)p[0] << 8 | p[1];
}

static u32 get_be32(const u8 *p)
{
	return get_be16(p) << 16 | get_be16(p + 2);
}

static u64 get_be64(const u8 *p)
{
	return (u64)get_be32(p) << 32 | get_be32(p + 4);
}

static void put_be16(u8 *p, u32 v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put_be32(u8 *p, u32 v)
{
	put_be16(p, v >> 16);
	put_be16(p + 2, v);
}

static void put_be64(u8 *p, u64 v)
{
	put_be32(p, v >> 32);
	put_be32(p + 4, v);
}

static void sim_scsi_inquiry(struct sim_scsi *s, struct sim_scsi_lun *l, u8 lun,
			     struct sim_scsi_req *r, const u8 *cdb)
{
	u32 alloc = get_be16(cdb + 3);
	u8 b[96] = {};
	u32 len;

	if (!(cdb[1] & 1)) {
		if (cdb[2])
			return sim_scsi_sense(r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0);
		b[0] = l ? 0x00 : 0x7f;	/* disk, or "no device at this LUN" */
		b[2] = 0x06;		/* SPC-4 */
		b[3] = 0x02;		/* response data format 2 */
		b[4] = 36 - 5;
		b[7] = 0x02;		/* CmdQue */
		memcpy(b + 8, "Msft    Virtual Disk    1.0 ", 28);
		return sim_scsi_data_in(r, b, 36, alloc);
	}
	if (!l)
		return sim_scsi_sense(r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0);
	b[1] = cdb[2];
	switch (cdb[2]) {
	case 0x00:	/* the pages there are */
		memcpy(b + 4, "\x00\x80\x83\xb0\xb1\xb2", 6);
		len = 4 + 6;
		break;
	case 0x80:	/* unit serial number: the instance and the LUN */
		len = 4 + snprintf(b + 4, sizeof(b) - 4, "%pUb-%02x", &s->d->instance, lun);
		break;
	case 0x83:	/* device identification: an NAA 6 name from the same */
		b[4] = 0x01;	/* binary */
		b[5] = 0x03;	/* NAA, associated with the LUN */
		b[7] = 16;
		memcpy(b + 8, &s->d->instance, 16);
		b[8] = 0x60 | (b[8] & 0x0f);
		b[23] = lun;
		len = 8 + 16;
		break;
	case 0xb0:	/* block limits */
		put_be32(b + 8, SIM_SCSI_MAX_XFER / l->bs);	/* maximum transfer */
		put_be32(b + 12, SIM_SCSI_MAX_XFER / l->bs);	/* optimal transfer */
		put_be32(b + 20, 0xffffffff);			/* maximum UNMAP LBA count */
		put_be32(b + 24, 1);				/* one descriptor a command */
		put_be32(b + 28, 1);				/* granularity: a block */
		put_be64(b + 36, 0xffffffff);			/* maximum WRITE SAME */
		len = 4 + 0x3c;
		break;
	case 0xb1:	/* block device characteristics */
		put_be16(b + 4, 1);	/* non-rotating */
		len = 4 + 0x3c;
		break;
	case 0xb2:	/* logical block provisioning */
		b[5] = 0x80 | 0x40 | 0x04;	/* UNMAP, WRITE SAME(16) unmap, reads zeros */
		b[6] = 0x02;			/* thin */
		len = 4 + 4;
		break;
	default:
		return sim_scsi_sense(r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0);
	}
	put_be16(b + 2, len - 4);
	sim_scsi_data_in(r, b, len, alloc);
}

static void sim_scsi_report_luns(struct sim_scsi *s, struct sim_scsi_req *r, const u8 *cdb)
{
	u8 b[8 + SIM_SCSI_MAX_LUNS * 8] = {};
	u32 n = 0, i;

	for (i = 0; i < SIM_SCSI_MAX_LUNS; i++)
		if (s->luns[i])
			b[8 + n++ * 8 + 1] = i;	/* peripheral addressing */
	put_be32(b, n * 8);
	sim_scsi_data_in(r, b, 8 + n * 8, get_be32(cdb + 6));
}

static void sim_scsi_mode_sense(struct sim_scsi_lun *l, struct sim_scsi_req *r, const u8 *cdb)
{
	bool ten = cdb[0] == SC_MODE_SENSE_10;
	u32 hdr = ten ? 8 : 4, page = cdb[2] & 0x3f, len;
	u8 b[8 + 20] = {};

	if (page != 0x08 && page != 0x3f)
		return sim_scsi_sense(r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0);
	/* The caching page: write cache on, so the guest flushes. */
	b[hdr] = 0x08;
	b[hdr + 1] = 0x12;
	b[hdr + 2] = 0x04;	/* WCE */
	len = hdr + 20;
	if (ten) {
		put_be16(b, len - 2);
		b[3] = l->ro ? 0x80 : 0;	/* WP */
	} else {
		b[0] = len - 1;
		b[2] = l->ro ? 0x80 : 0;
	}
	sim_scsi_data_in(r, b, len, ten ? get_be16(cdb + 7) : cdb[4]);
}

static void sim_scsi_read_capacity(struct sim_scsi_lun *l, struct sim_scsi_req *r, const u8 *cdb)
{
	u8 b[32] = {};

	if (cdb[0] == SC_READ_CAPACITY_10) {
		put_be32(b, l->blocks - 1 > 0xffffffffull ? 0xffffffff : l->blocks - 1);
		put_be32(b + 4, l->bs);
		return sim_scsi_data_in(r, b, 8, 8);
	}
	put_be64(b, l->blocks - 1);
	put_be32(b + 8, l->bs);
	b[14] = 0x80 | 0x40;	/* LBPME, LBPRZ */
	sim_scsi_data_in(r, b, 32, get_be32(cdb + 10));
}

/* READ and WRITE (10 and 16). */
static void sim_scsi_rw(struct sim_scsi *s, struct sim_scsi_lun *l, struct sim_scsi_req *r,
			const u8 *cdb)
{
	bool write = cdb[0] == SC_WRITE_10 || cdb[0] == SC_WRITE_16;
	bool sixteen = cdb[0] == SC_READ_16 || cdb[0] == SC_WRITE_16;
	u64 lba = sixteen ? get_be64(cdb + 2) : get_be32(cdb + 2);
	u32 count = sixteen ? get_be32(cdb + 10) : get_be16(cdb + 7);
	u64 bytes = (u64)count * l->bs;

	if (lba > l->blocks || count > l->blocks - lba)
		return sim_scsi_sense(r, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE, 0);
	if (bytes > r->data || (bytes && (r->srb->data_in == HVK_SRB_READ) == write)) {
		r->srb->srb_status = HVK_SRB_STATUS_INVALID_REQUEST;
		r->srb->data_transfer_length = 0;
		return;
	}
	if (write && l->ro)
		return sim_scsi_sense(r, SK_DATA_PROTECT, ASC_WRITE_PROTECTED, 0);
	if (!write && l->bad_lba >= lba && l->bad_lba - lba < count)
		return sim_scsi_sense(r, SK_MEDIUM_ERROR, ASC_UNRECOVERED_READ, 0);
	if (bytes && l->file) {
		ssize_t got = sim_scsi_file_rw(l, r, lba * l->bs, bytes, write, cdb[1] & 0x08);

		if (got == -EFAULT || got == -E2BIG) {
			r->srb->srb_status = HVK_SRB_STATUS_INVALID_REQUEST;
			r->srb->data_transfer_length = 0;
			return;
		}
		if (got != bytes) {
			pr_err_ratelimited("hvkit_sim: scsi %u: %s of %s at byte %llu: %zd of %llu bytes\n",
					   r->sc->c->relid, write ? "write" : "read", l->path,
					   lba * l->bs, got, bytes);
			return sim_scsi_sense(r, SK_MEDIUM_ERROR,
					      write ? ASC_WRITE_ERROR : ASC_UNRECOVERED_READ, 0);
		}
	} else if (bytes && !sim_scsi_xfer(r, l->mem + lba * l->bs, bytes, !write)) {
		r->srb->srb_status = HVK_SRB_STATUS_INVALID_REQUEST;
		r->srb->data_transfer_length = 0;
		return;
	}
	atomic64_inc(write ? &s->writes : &s->reads);
	r->srb->data_transfer_length = bytes;
}

/* UNMAP and WRITE SAME(16) with UNMAP: the blocks read zeros after. */
static void sim_scsi_unmap_range(struct sim_scsi *s, struct sim_scsi_lun *l,
				 struct sim_scsi_req *r, u64 lba, u64 count)
{
	if (lba > l->blocks || count > l->blocks - lba)
		return sim_scsi_sense(r, SK_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE, 0);
	if (l->ro)
		return sim_scsi_sense(r, SK_DATA_PROTECT, ASC_WRITE_PROTECTED, 0);
	if (l->file && count) {
		/* A file: a hole. A block device: zeroes, which it may discard. */
		int ret = vfs_fallocate(l->file, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
					lba * l->bs, count * l->bs);

		if (ret == -EOPNOTSUPP)	/* the guest stops sending them */
			return sim_scsi_sense(r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0);
		if (ret) {
			pr_err_ratelimited("hvkit_sim: scsi %u: unmap of %s at byte %llu: %d\n",
					   r->sc->c->relid, l->path, lba * l->bs, ret);
			return sim_scsi_sense(r, SK_MEDIUM_ERROR, ASC_WRITE_ERROR, 0);
		}
	} else if (!l->file) {
		memset(l->mem + lba * l->bs, 0, count * l->bs);
	}
	atomic64_inc(&s->unmaps);
}

/* SYNCHRONIZE CACHE: a backed LUN's data reach the backing's own store. */
static void sim_scsi_sync(struct sim_scsi_lun *l, struct sim_scsi_req *r)
{
	int ret;

	r->srb->data_transfer_length = 0;
	if (!l->file || l->ro)
		return;
	ret = vfs_fsync(l->file, 1);
	if (ret) {
		pr_err_ratelimited("hvkit_sim: scsi %u: flush of %s: %d\n", r->sc->c->relid,
				   l->path, ret);
		sim_scsi_sense(r, SK_MEDIUM_ERROR, ASC_WRITE_ERROR, 0);
	}
}

static void sim_scsi_unmap(struct sim_scsi *s, struct sim_scsi_lun *l, struct sim_scsi_req *r,
			   const u8 *cdb)
{
	u8 b[8 + 16];
	u32 len = get_be16(cdb + 7);

	if (len < sizeof(b) || len > r->data || !sim_scsi_xfer(r, b, sizeof(b), false) ||
	    get_be16(b + 2) < 16)
		return sim_scsi_sense(r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0);
	sim_scsi_unmap_range(s, l, r, get_be64(b + 8), get_be32(b + 16));
	if (r->srb->srb_status == HVK_SRB_STATUS_SUCCESS)
		r->srb->data_transfer_length = len;
}

static void sim_scsi_write_same(struct sim_scsi *s, struct sim_scsi_lun *l,
				struct sim_scsi_req *r, const u8 *cdb)
{
	/* Only the unmapping kind: what the guest uses for discard. */
	if (!(cdb[1] & 0x08))
		return sim_scsi_sense(r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0);
	sim_scsi_unmap_range(s, l, r, get_be64(cdb + 2), get_be32(cdb + 10));
	if (r->srb->srb_status == HVK_SRB_STATUS_SUCCESS)
		r->srb->data_transfer_length = min_t(u32, r->data, l->bs);
}

static void sim_scsi_execute(struct sim_scsi *s, struct sim_scsi_req *r)
{
	struct hvk_vmscsi_request *srb = r->srb;
	const u8 *cdb = srb->cdb;
	u8 lun = srb->lun;
	u8 cmd[HVK_VSTOR_CDB_LEN];
	struct sim_scsi_lun *l;

	memcpy(cmd, cdb, sizeof(cmd));
	cdb = cmd;	/* srb's cdb is overwritten by the sense data */
	srb->srb_status = HVK_SRB_STATUS_SUCCESS;
	srb->scsi_status = 0;
	srb->sense_info_length = 0;
	down_read(&s->luns_lock);
	l = !srb->path_id && !srb->target_id && lun < SIM_SCSI_MAX_LUNS ? s->luns[lun] : NULL;
	if (!l && cdb[0] != SC_INQUIRY && cdb[0] != SC_REPORT_LUNS) {
		srb->srb_status = HVK_SRB_STATUS_INVALID_LUN;
		srb->data_transfer_length = 0;
		goto out;
	}
	switch (cdb[0]) {
	case SC_INQUIRY:
		sim_scsi_inquiry(s, l, lun, r, cdb);
		break;
	case SC_REPORT_LUNS:
		sim_scsi_report_luns(s, r, cdb);
		break;
	case SC_TEST_UNIT_READY:
		srb->data_transfer_length = 0;
		break;
	case SC_SYNC_CACHE_10:
	case SC_SYNC_CACHE_16:
		sim_scsi_sync(l, r);
		break;
	case SC_MODE_SENSE_6:
	case SC_MODE_SENSE_10:
		sim_scsi_mode_sense(l, r, cdb);
		break;
	case SC_READ_CAPACITY_10:
		sim_scsi_read_capacity(l, r, cdb);
		break;
	case SC_SERVICE_IN_16:
		if ((cdb[1] & 0x1f) == SC_SAI_READ_CAP_16)
			sim_scsi_read_capacity(l, r, cdb);
		else
			sim_scsi_sense(r, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0);
		break;
	case SC_READ_10:
	case SC_WRITE_10:
	case SC_READ_16:
	case SC_WRITE_16:
		sim_scsi_rw(s, l, r, cdb);
		break;
	case SC_UNMAP:
		sim_scsi_unmap(s, l, r, cdb);
		break;
	case SC_WRITE_SAME_16:
		sim_scsi_write_same(s, l, r, cdb);
		break;
	default:
		sim_scsi_sense(r, SK_ILLEGAL_REQUEST, ASC_INVALID_OPCODE, 0);
	}
out:
	up_read(&s->luns_lock);
	if (r->bad_page)
		pr_err_ratelimited("hvkit_sim: scsi %u: a GPA-direct range names a page that is not RAM\n",
				   s->d->chans[0] ? s->d->chans[0]->relid : 0);
}

/* Hyper-V's versions, newest first; it refuses any other. */
static const u16 sim_scsi_versions[] = { HVK_VSTOR_WIN10, HVK_VSTOR_WIN8_1, HVK_VSTOR_WIN8 };

static bool sim_scsi_version_ok(u16 v)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sim_scsi_versions); i++)
		if (sim_scsi_versions[i] == v)
			return true;
	return false;
}

/* A control operation (the primary channel). Returns the status to answer. */
static u32 sim_scsi_control(struct sim_chan *c, struct sim_scsi *s, struct hvk_vstor_packet *v)
{
	struct sim_dev *d = c->dev;

	if (c->subidx)
		return HVK_VSTOR_STATUS_INVALID_DEVICE_STATE;
	switch (v->operation) {
	case HVK_VSTOR_BEGIN_INITIALIZATION:
		s->begun = true;
		s->ready = false;
		s->version = 0;
		return 0;
	case HVK_VSTOR_QUERY_PROTOCOL_VERSION:
		if (!s->begun || s->ready)
			return HVK_VSTOR_STATUS_INVALID_DEVICE_STATE;
		if (!sim_scsi_version_ok(v->version.major_minor))
			return HVK_VSTOR_STATUS_REVISION_MISMATCH;
		s->version = v->version.major_minor;
		return 0;
	case HVK_VSTOR_QUERY_PROPERTIES:
		if (!s->version || s->ready)
			return HVK_VSTOR_STATUS_INVALID_DEVICE_STATE;
		memset(&v->props, 0, sizeof(v->props));
		v->props.max_channel_cnt = d->nchans - 1;
		v->props.flags = d->nchans > 1 ? HVK_VSTOR_MULTI_CHANNEL : 0;
		v->props.max_transfer_bytes = SIM_SCSI_MAX_XFER;
		return 0;
	case HVK_VSTOR_END_INITIALIZATION:
		if (!s->version || s->ready)
			return HVK_VSTOR_STATUS_INVALID_DEVICE_STATE;
		s->ready = true;
		return 0;
	case HVK_VSTOR_RESET_BUS:
	case HVK_VSTOR_RESET_ADAPTER:
	case HVK_VSTOR_RESET_LUN:
		/* Whatever was outstanding is abandoned; a stall ends. */
		WRITE_ONCE(s->stalled, false);
		return 0;
	case HVK_VSTOR_CREATE_SUB_CHANNELS:
		if (!s->ready || !v->sub_channel_count)
			return HVK_VSTOR_STATUS_INVALID_DEVICE_STATE;
		WRITE_ONCE(d->sc_wanted, min_t(u32, v->sub_channel_count, d->nchans - 1));
		queue_work(system_wq, &sim.offer_work);
		return 0;
	default:
		return HVK_VSTOR_STATUS_INVALID_PARAMETER;
	}
}

/* The faults of a completion: each a host that answers wrong. */
static void sim_scsi_faults(struct sim_chan *c, struct hvk_vstor_packet *v)
{
	if (sim_fault(HVSIM_FAULT_SCSI_BAD_LENGTH)) {
		v->srb.data_transfer_length += HVK_HV_PAGE_SIZE;
	} else if (sim_fault(HVSIM_FAULT_SCSI_BAD_SRB_STATUS)) {
		v->srb.srb_status = 0x3f;
	} else if (sim_fault(HVSIM_FAULT_SCSI_BAD_SENSE_LEN)) {
		v->srb.srb_status = HVK_SRB_STATUS_ERROR | HVK_SRB_STATUS_AUTOSENSE_VALID;
		v->srb.scsi_status = SAM_CHECK_CONDITION;
		v->srb.sense_info_length = 0xff;
	} else if (sim_fault(HVSIM_FAULT_SCSI_UNKNOWN_ID)) {
		struct {
			struct hvk_pkt_desc desc;
			struct hvk_vstor_packet v;
		} x = {};

		/* A completion nobody asked for, then the real one. */
		x.desc.type = HVK_PKT_COMP;
		x.desc.offset8 = sizeof(x.desc) / 8;
		x.desc.len8 = sizeof(x) / 8;
		x.desc.trans_id = 0xdead0000ull;
		x.v = *v;
		sim_chan_reply(c, &x, sizeof(x));	/* lost if the ring is full */
	}
}

/*
 * The pending timer (softirq): send the answers that are due, oldest
 * first; come back for the next, or soon when the guest's ring is full.
 */
static enum hrtimer_restart sim_scsi_pending_fire(struct hrtimer *t)
{
	struct sim_scsi_chan *sc = container_of(t, struct sim_scsi_chan, timer);
	enum hrtimer_restart ret = HRTIMER_NORESTART;
	struct sim_scsi_io *io;
	ktime_t now = ktime_get();

	spin_lock(&sc->lock);
	while ((io = list_first_entry_or_null(&sc->pending, struct sim_scsi_io, node))) {
		if (ktime_after(io->due, now)) {
			hrtimer_set_expires(t, io->due);
			ret = HRTIMER_RESTART;
			break;
		}
		if (sim_chan_reply(sc->c, &io->a, sizeof(io->a)) == -EAGAIN) {
			hrtimer_set_expires(t, ktime_add_ns(now, SIM_SCSI_RETRY_NS));
			ret = HRTIMER_RESTART;
			break;
		}
		list_del(&io->node);
		sim_scsi_io_free(io);
	}
	spin_unlock(&sc->lock);
	return ret;
}

/* An answer waits on pending until @due. */
static void sim_scsi_hold(struct sim_scsi_io *io, ktime_t due)
{
	struct sim_scsi_chan *sc = io->r.sc;

	io->due = due;
	spin_lock_bh(&sc->lock);
	list_add_tail(&io->node, &sc->pending);
	if (list_is_singular(&sc->pending))
		hrtimer_start(&sc->timer, due, HRTIMER_MODE_ABS_SOFT);
	spin_unlock_bh(&sc->lock);
}

/*
 * An io work: serve the request, then answer it: now, latency_us from
 * now, or when the guest's full ring has room.
 */
static void sim_scsi_io_work(struct work_struct *work)
{
	struct sim_scsi_io *io = container_of(work, struct sim_scsi_io, work);
	struct sim_chan *c = io->r.sc->c;
	u32 lat = io->s->latency_us;

	sim_scsi_execute(io->s, &io->r);
	sim_scsi_faults(c, &io->a.v);
	if (lat)
		sim_scsi_hold(io, ktime_add_us(ktime_get(), lat));
	else if (sim_chan_reply(c, &io->a, sizeof(io->a)) == -EAGAIN)
		sim_scsi_hold(io, ktime_add_ns(ktime_get(), SIM_SCSI_RETRY_NS));
	else
		sim_scsi_io_free(io);
}

/*
 * Hand a checked request to an io work. false: the channel has
 * SIM_SCSI_INFLIGHT in flight, or no memory; the caller serves it.
 */
static bool sim_scsi_dispatch(struct sim_scsi *s, const struct sim_scsi_answer *a,
			      const struct sim_scsi_req *r, const u8 *pkt, u32 len, u32 npfns)
{
	struct sim_scsi_chan *sc = r->sc;
	struct sim_scsi_io *io;
	size_t sz = ALIGN(struct_size(io, pkt, len), __alignof__(struct bio_vec));
	int n, peak;

	n = atomic_inc_return(&sc->inflight);
	if (n > SIM_SCSI_INFLIGHT)
		goto busy;
	peak = atomic_read(&s->inflight_peak);
	while (n > peak && !atomic_try_cmpxchg(&s->inflight_peak, &peak, n))
		;
	/* NOIO: the request may be the guest's writeback under reclaim. */
	io = kmalloc(size_add(sz, array_size(npfns, sizeof(struct bio_vec))), GFP_NOIO);
	if (!io)
		goto busy;
	io->s = s;
	io->a = *a;
	io->r = *r;
	io->r.srb = &io->a.v.srb;
	if (r->desc)
		io->r.desc = io->pkt;
	io->r.bv = (void *)io + sz;
	io->r.nbv = npfns;
	memcpy(io->pkt, pkt, len);
	INIT_WORK(&io->work, sim_scsi_io_work);
	queue_work(s->wq, &io->work);
	return true;
busy:
	atomic_dec(&sc->inflight);
	return false;
}

static int sim_scsi_serve(struct sim_chan *c, const u8 *pkt, u32 len)
{
	const struct hvk_pkt_desc *d = (const void *)pkt;
	struct sim_scsi *s = c->dev->priv;
	u32 off = d->offset8 * 8, npfns = 0;
	struct sim_scsi_answer a = {};
	struct sim_scsi_req r = { .srb = &a.v.srb, .sc = &s->chans[c->subidx] };
	const char *why;

	if ((d->type != HVK_PKT_DATA_INBAND && d->type != HVK_PKT_DATA_USING_GPA_DIRECT) ||
	    len - off < sizeof(a.v)) {
		pr_err_ratelimited("hvkit_sim: scsi %u: packet type %u of %u bytes ignored\n",
				   c->relid, d->type, len);
		return 0;
	}
	memcpy(&a.v, pkt + off, sizeof(a.v));
	a.desc.type = HVK_PKT_COMP;
	a.desc.offset8 = sizeof(a.desc) / 8;
	a.desc.len8 = sizeof(a) / 8;
	a.desc.trans_id = d->trans_id;

	if (a.v.operation != HVK_VSTOR_EXECUTE_SRB) {
		a.v.status = d->type == HVK_PKT_DATA_INBAND ? sim_scsi_control(c, s, &a.v) :
			     HVK_VSTOR_STATUS_INVALID_PARAMETER;
		a.v.operation = HVK_VSTOR_COMPLETE_IO;
		return sim_chan_reply_or_stash(c, &a, sizeof(a));
	}
	a.v.operation = HVK_VSTOR_COMPLETE_IO;
	if (READ_ONCE(s->stalled)) {
		smp_rmb();	/* stall_until as it was when stalled was set */
		if (time_before(jiffies, READ_ONCE(s->stall_until))) {
			atomic64_inc(&s->dropped);
			return 0;	/* a host that stopped answering */
		}
	}
	if (!READ_ONCE(s->ready)) {
		a.v.status = HVK_VSTOR_STATUS_INVALID_DEVICE_STATE;
		return sim_chan_reply_or_stash(c, &a, sizeof(a));
	}
	if (d->type == HVK_PKT_DATA_USING_GPA_DIRECT) {
		const struct hvk_pkt_gpa_direct *h = (const void *)pkt;
		struct hvk_gpa_range rg;
		u32 i, roff = sizeof(*h), n;

		why = hvk_gpa_desc_check(pkt, off);
		if (why)
			goto refuse;
		for (i = 0; i < h->range_cnt; i++) {
			memcpy(&rg, pkt + roff, sizeof(rg));
			n = hvk_hv_pages(rg.byte_offset, rg.byte_count);
			roff += sizeof(rg) + n * 8;
			if (rg.byte_count > SIM_SCSI_MAX_XFER - r.data) {
				why = "more data than max_transfer_bytes";
				goto refuse;
			}
			r.data += rg.byte_count;
			npfns += n;
		}
		r.desc = pkt;
	}
	why = hvk_vstor_srb_check(&a.v.srb, r.data);
	if (why)
		goto refuse;
	if (sim_scsi_dispatch(s, &a, &r, pkt, len, npfns))
		return 0;
	/* Served here, now (nothing to hold it for the latency knob). */
	r.bv = r.sc->bv;
	r.nbv = SIM_SCSI_BVECS;
	sim_scsi_execute(s, &r);
	sim_scsi_faults(c, &a.v);
	return sim_chan_reply_or_stash(c, &a, sizeof(a));

refuse:
	atomic64_inc(&s->refused);
	pr_err_ratelimited("hvkit_sim: scsi %u: request refused: %s\n", c->relid, why);
	a.v.srb.srb_status = HVK_SRB_STATUS_INVALID_REQUEST;
	a.v.srb.data_transfer_length = 0;
	a.v.srb.sense_info_length = 0;
	return sim_chan_reply_or_stash(c, &a, sizeof(a));
}

static int sim_scsi_fill(const struct sim_dev *d, struct sk_buff *skb)
{
	const struct sim_scsi *s = d->priv;
	const struct sim_scsi_lun *l = s->luns[0];
	u32 i, n = 0;

	for (i = 0; i < SIM_SCSI_MAX_LUNS; i++)
		n += !!s->luns[i];
	return nla_put_u32(skb, HVSIM_A_SCSI_LUNS, n) ||
	       nla_put_u32(skb, HVSIM_A_SCSI_VERSION, s->version) ||
	       (l && (nla_put_u64_64bit(skb, HVSIM_A_SCSI_SIZE, l->blocks * l->bs, HVSIM_A_PAD) ||
		      nla_put_u32(skb, HVSIM_A_SCSI_SECTOR, l->bs) ||
		      (l->ro && nla_put_flag(skb, HVSIM_A_SCSI_RO)))) ||
	       nla_put_u64_64bit(skb, HVSIM_A_SCSI_READS, atomic64_read(&s->reads), HVSIM_A_PAD) ||
	       nla_put_u64_64bit(skb, HVSIM_A_SCSI_WRITES, atomic64_read(&s->writes), HVSIM_A_PAD) ||
	       nla_put_u64_64bit(skb, HVSIM_A_SCSI_UNMAPS, atomic64_read(&s->unmaps), HVSIM_A_PAD) ||
	       nla_put_u64_64bit(skb, HVSIM_A_SCSI_REFUSED, atomic64_read(&s->refused),
				 HVSIM_A_PAD) ||
	       nla_put_u64_64bit(skb, HVSIM_A_SCSI_DROPPED, atomic64_read(&s->dropped),
				 HVSIM_A_PAD) ||
	       nla_put_u32(skb, HVSIM_A_SCSI_LATENCY_US, s->latency_us) ||
	       nla_put_u32(skb, HVSIM_A_SCSI_INFLIGHT_PEAK, atomic_read(&s->inflight_peak)) ||
	       (l && l->path && nla_put_string(skb, HVSIM_A_SCSI_BACKING, l->path));
}

/*
 * Tell the guest its LUNs changed: an ENUMERATE_BUS of the host's own
 * (transaction id 0) on the primary channel, as Hyper-V sends. Lost if
 * the guest's ring is full (logged).
 */
static void sim_scsi_notify(struct sim_dev *d)
{
	struct sim_scsi *s = d->priv;
	struct {
		struct hvk_pkt_desc desc;
		struct hvk_vstor_packet v;
	} m = {};
	struct sim_chan *c;

	m.desc.type = HVK_PKT_DATA_INBAND;
	m.desc.offset8 = sizeof(m.desc) / 8;
	m.desc.len8 = sizeof(m) / 8;
	m.v.operation = HVK_VSTOR_ENUMERATE_BUS;
	mutex_lock(&sim.lock);	/* the channel stays open meanwhile */
	c = d->chans[0];
	if (c && c->open && READ_ONCE(s->ready) && sim_chan_reply(c, &m, sizeof(m)))
		pr_err_ratelimited("hvkit_sim: scsi %u: the guest's ring is full: the LUN change is not announced\n",
				   c->relid);
	mutex_unlock(&sim.lock);
}

static int sim_scsi_cmd(struct sim_dev *d, struct genl_info *info)
{
	struct sim_scsi *s = d->priv;
	struct nlattr **a = info->attrs;
	struct sim_scsi_lun *l, *old;
	const char *err = NULL;
	u32 op, lun;

	if (!s || info->genlhdr->cmd != HVSIM_CMD_SCSI)
		return -EOPNOTSUPP;
	if (!a[HVSIM_A_SCSI_OP]) {
		NL_SET_ERR_MSG(info->extack, "a SCSI operation is required");
		return -EINVAL;
	}
	op = nla_get_u32(a[HVSIM_A_SCSI_OP]);
	if (op == HVSIM_SCSI_STALL) {
		if (!a[HVSIM_A_SCSI_STALL_MS]) {
			NL_SET_ERR_MSG(info->extack, "a stall needs its length in ms");
			return -EINVAL;
		}
		WRITE_ONCE(s->stall_until,
			   jiffies + msecs_to_jiffies(nla_get_u32(a[HVSIM_A_SCSI_STALL_MS])));
		smp_wmb();	/* stall_until before stalled */
		WRITE_ONCE(s->stalled, true);
		return 0;
	}
	if (!a[HVSIM_A_SCSI_LUN]) {
		NL_SET_ERR_MSG(info->extack, "a LUN (0 to 63) is required");
		return -EINVAL;
	}
	lun = nla_get_u32(a[HVSIM_A_SCSI_LUN]);
	switch (op) {
	case HVSIM_SCSI_ADD_LUN:
		if (a[HVSIM_A_SCSI_SIZE] && !nla_get_u64(a[HVSIM_A_SCSI_SIZE])) {
			NL_SET_ERR_MSG(info->extack, "the size is a whole number of sectors, at most 1 GiB");
			return -EINVAL;
		}
		l = sim_scsi_lun_alloc(a[HVSIM_A_SCSI_SIZE] ? nla_get_u64(a[HVSIM_A_SCSI_SIZE]) : 0,
				       a[HVSIM_A_SCSI_SECTOR] ? nla_get_u32(a[HVSIM_A_SCSI_SECTOR]) : 512,
				       nla_get_flag(a[HVSIM_A_SCSI_RO]),
				       a[HVSIM_A_SCSI_BACKING] ? nla_data(a[HVSIM_A_SCSI_BACKING]) : NULL,
				       &err);
		if (IS_ERR(l)) {
			if (err && info->extack)
				info->extack->_msg = err;
			return PTR_ERR(l);
		}
		down_write(&s->luns_lock);
		old = s->luns[lun];
		if (!old)
			s->luns[lun] = l;
		up_write(&s->luns_lock);
		if (old) {
			sim_scsi_lun_free(l);
			NL_SET_ERR_MSG(info->extack, "the controller has this LUN already");
			return -EEXIST;
		}
		break;
	case HVSIM_SCSI_REMOVE_LUN:
		down_write(&s->luns_lock);
		old = s->luns[lun];
		s->luns[lun] = NULL;
		up_write(&s->luns_lock);
		if (!old) {
			NL_SET_ERR_MSG(info->extack, "the controller has no such LUN");
			return -ENOENT;
		}
		sim_scsi_lun_free(old);
		break;
	case HVSIM_SCSI_MEDIUM_ERROR:
		down_write(&s->luns_lock);
		l = s->luns[lun];
		if (l)
			l->bad_lba = a[HVSIM_A_SCSI_LBA] ? nla_get_u64(a[HVSIM_A_SCSI_LBA]) : U64_MAX;
		up_write(&s->luns_lock);
		if (!l) {
			NL_SET_ERR_MSG(info->extack, "the controller has no such LUN");
			return -ENOENT;
		}
		return 0;
	default:
		return -EINVAL;
	}
	sim_scsi_notify(d);
	return 0;
}

const struct sim_dev_type sim_scsi_type = {
	.name = "scsi",
	.class_id = { .b = { HVK_STORVSC_CLASS_BYTES } },
	.init = sim_scsi_init,
	.destroy = sim_scsi_destroy,
	.closed = sim_scsi_closed,
	.serve = sim_scsi_serve,
	.fill = sim_scsi_fill,
	.cmd = sim_scsi_cmd,
};
