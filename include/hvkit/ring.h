/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VMBus ring buffers: the wire layout (control page, packet descriptors)
 * and the ring algorithm shared by the guest core, the simulated host and
 * the host-side tests. One struct hvk_ring is one direction; each side of
 * a channel is the producer of one ring and the consumer of the other.
 *
 * Trust: the peer owns one index of each ring and may write anything to
 * the shared page at any time. The ring therefore keeps its own index in
 * private memory and never reads it back from the shared page, checks the
 * peer's index on every read, copies each packet out before anyone parses
 * it, and stops for good (-EBADMSG) at the first corruption.
 */
#ifndef _HVKIT_RING_H
#define _HVKIT_RING_H

#include "port.h"

#define HVK_RING_CTL_SIZE	4096	/* the control page is 4 KiB on the wire */

/* Control page at the head of each ring. */
struct hvk_ring_ctl {
	u32 write_index;	/* producer: byte offset of the next write */
	u32 read_index;		/* consumer: byte offset of the next read */
	u32 interrupt_mask;	/* consumer: 1 = draining, do not signal */
	u32 pending_send_sz;	/* producer: signal me when this much is free */
	u32 reserved1[12];
	u32 feature_bits;	/* HVK_RING_FEAT_* */
	u8 reserved2[4028];
};
HVK_WIRE_SIZE(struct hvk_ring_ctl, HVK_RING_CTL_SIZE);
HVK_WIRE_OFF(struct hvk_ring_ctl, pending_send_sz, 12);
HVK_WIRE_OFF(struct hvk_ring_ctl, feature_bits, 64);

#define HVK_RING_FEAT_PENDING_SEND_SZ	0x1

/* Every packet starts with a descriptor, both lengths in 8-byte units. */
struct hvk_pkt_desc {
	u16 type;		/* HVK_PKT_* */
	u16 offset8;		/* payload starts offset8 * 8 bytes in */
	u16 len8;		/* whole packet, descriptor included */
	u16 flags;		/* HVK_PKT_FLAG_* */
	u64 trans_id;
};
HVK_WIRE_SIZE(struct hvk_pkt_desc, 16);

#define HVK_PKT_FLAG_COMPLETION_REQUESTED	0x1

enum hvk_pkt_type {
	HVK_PKT_INVALID			= 0x0,
	HVK_PKT_SYNCH			= 0x1,
	HVK_PKT_ADD_XFER_PAGESET	= 0x2,
	HVK_PKT_RM_XFER_PAGESET		= 0x3,
	HVK_PKT_ESTABLISH_GPADL		= 0x4,
	HVK_PKT_TEARDOWN_GPADL		= 0x5,
	HVK_PKT_DATA_INBAND		= 0x6,
	HVK_PKT_DATA_USING_XFER_PAGES	= 0x7,
	HVK_PKT_DATA_USING_GPADL	= 0x8,
	HVK_PKT_DATA_USING_GPA_DIRECT	= 0x9,
	HVK_PKT_CANCEL_REQUEST		= 0xa,
	HVK_PKT_COMP			= 0xb,
	HVK_PKT_DATA_USING_ADDITIONAL	= 0xc,
	HVK_PKT_ADDITIONAL_DATA		= 0xd,
};

/* After each packet, padded to 8 bytes: the producer's previous index. */
#define HVK_PKT_TRAILER		8

/* Hyper-V's page size: what every page number on the wire counts in. */
#define HVK_HV_PAGE_SIZE	4096u

/*
 * Guest memory described by page numbers (GPADL headers, GPA-direct
 * packets): @byte_count bytes from @byte_offset into the first page, one
 * page number for each page those bytes touch.
 */
struct hvk_gpa_range {
	u32 byte_count;
	u32 byte_offset;
	u64 pfn_array[];
} __packed;
HVK_WIRE_SIZE(struct hvk_gpa_range, 8);

/* Pages (of HVK_HV_PAGE_SIZE) that @count bytes from @offset touch. */
static inline u32 hvk_hv_pages(u32 offset, u32 count)
{
	return (u32)(((u64)offset + count + HVK_HV_PAGE_SIZE - 1) / HVK_HV_PAGE_SIZE);
}

/*
 * GPA-direct packet (the guest's page buffers and multi-page buffers):
 * this header, then range_cnt ranges, each a struct hvk_gpa_range and its
 * page numbers; desc.offset8 covers all of it, the in-band payload follows.
 */
struct hvk_pkt_gpa_direct {
	struct hvk_pkt_desc desc;
	u32 reserved;
	u32 range_cnt;
};
HVK_WIRE_SIZE(struct hvk_pkt_gpa_direct, 24);

/*
 * Checks the descriptor area of a GPA-direct packet, @size bytes from its
 * start: at least one range, each with bytes, starting inside its first
 * page, and with exactly the page numbers it needs, the last ending at
 * @size. Returns NULL, or why not. Both sides use it: the guest core on
 * what a driver built, the simulated host on what a guest sent. It reads
 * nothing past @size.
 */
static inline const char *hvk_gpa_desc_check(const void *desc, u32 size)
{
	const u8 *p = (const u8 *)desc;
	struct hvk_pkt_gpa_direct h;
	struct hvk_gpa_range r;
	u32 off, i, npfns;

	if (size < sizeof(h))
		return "shorter than its header";
	memcpy(&h, p, sizeof(h));
	if (!h.range_cnt)
		return "no range";
	off = sizeof(h);
	/* Each range takes 16 bytes or more, so @size bounds the loop. */
	for (i = 0; i < h.range_cnt; i++) {
		if (size - off < sizeof(r))
			return "a range runs past the descriptor";
		memcpy(&r, p + off, sizeof(r));
		off += sizeof(r);
		if (!r.byte_count)
			return "a range of no bytes";
		if (r.byte_offset >= HVK_HV_PAGE_SIZE)
			return "a range starts past its first page";
		npfns = hvk_hv_pages(r.byte_offset, r.byte_count);
		if ((size - off) / sizeof(u64) < npfns)
			return "a range's page numbers run past the descriptor";
		off += npfns * (u32)sizeof(u64);
	}
	if (off != size)
		return "bytes after the last range";
	return NULL;
}

/* Transfer-page packet (host to guest, e.g. NIC receive). */
struct hvk_xfer_range {
	u32 byte_count;
	u32 byte_offset;
};

struct hvk_pkt_xfer_pages {
	struct hvk_pkt_desc desc;
	u16 xfer_pageset_id;
	u8 sender_owns_set;
	u8 reserved;
	u32 range_cnt;
	struct hvk_xfer_range ranges[];
};
HVK_WIRE_SIZE(struct hvk_pkt_xfer_pages, 24);

/* The largest packet a descriptor can describe. */
#define HVK_PKT_MAX_LEN		(0xffffu * 8)

/* One piece of a packet being written. */
struct hvk_kvec {
	const void *base;
	u32 len;
};

/*
 * One ring as one side sees it. Everything but *ctl and *data is private
 * to this side. A ring is used by one producer or one consumer at a time:
 * callers serialise hvk_ring_write() against itself, and hvk_ring_read()/
 * hvk_ring_commit() against themselves (in the kernel core: the channel's
 * outbound lock, and the channel's single reader).
 */
struct hvk_ring {
	struct hvk_ring_ctl *ctl;	/* shared with the peer */
	u8 *data;			/* shared with the peer */
	u32 size;			/* bytes of data, a multiple of 8 */
	u32 priv_write;			/* producer: our write index */
	u32 pub_write;			/* producer: the write index last published */
	u32 priv_read;			/* consumer: read, not yet committed */
	u32 pub_read;			/* consumer: last committed read */
	/*
	 * The peer's index as last loaded (checked, with acquire): packets up
	 * to seen_write are whole and visible, space up to seen_read is free,
	 * so a side reloads only when that runs out and stays off the control
	 * page's cache line, which the peer keeps writing, in between.
	 */
	u32 seen_write;			/* consumer */
	u32 seen_read;			/* producer */
	const char *broken;		/* first corruption seen, or NULL */
	/* counters, for the channel's statistics */
	u64 pkts;
	u64 bytes;
	u64 full;			/* writes refused for lack of space */
};

/*
 * Attach to a ring whose control page and data area are mapped. @fresh: a
 * new ring, whose indices this side sets to zero (the guest, before OPEN).
 * Otherwise the current shared indices are taken, checked, as the start
 * (the host at OPEN). Returns 0 or -EINVAL for a bad size or index.
 */
int hvk_ring_init(struct hvk_ring *r, struct hvk_ring_ctl *ctl, u8 *data,
		  u32 size, bool fresh);

/*
 * Producer. Writes one packet made of @n pieces, pads it to 8 bytes and
 * appends the trailer. Returns 0, -EAGAIN when the ring lacks space now,
 * -EMSGSIZE when the packet can never fit, or -EBADMSG once the peer's
 * index is corrupt. On success *signal says whether the consumer must be
 * signalled (it was idle, and its interrupt mask is clear).
 */
int hvk_ring_write(struct hvk_ring *r, const struct hvk_kvec *v, unsigned int n,
		   bool *signal);

/*
 * Producer, batched: hvk_ring_write_more() writes one packet as
 * hvk_ring_write() does (same checks and returns) but leaves it unseen:
 * write_index is not published. hvk_ring_publish() then publishes every
 * packet written so far with one release store and one barrier, and says
 * whether to signal (the ring was empty before the first of them and the
 * mask is clear): one signal decision per batch, by the same rule. A
 * producer that stops early (a write that failed) publishes what it has.
 * hvk_ring_write() is write_more then publish; it publishes the earlier
 * packets of a batch also when its own write fails with -EAGAIN.
 */
int hvk_ring_write_more(struct hvk_ring *r, const struct hvk_kvec *v, unsigned int n);
bool hvk_ring_publish(struct hvk_ring *r);

/* Bytes a packet of @len payload bytes takes in the ring. */
static inline u32 hvk_ring_pkt_space(u32 len)
{
	return ((len + 7u) & ~7u) + HVK_PKT_TRAILER;
}

/*
 * Producer, ring full: ask the consumer to signal once more than @len
 * bytes are free, that is once a packet of hvk_ring_pkt_space() == @len
 * fits; 0 clears the request. The store is followed by a full barrier and
 * a fresh load of read_index (Dekker, against hvk_ring_commit()): returns
 * true if that much is already free, so the caller must retry rather than
 * wait, as the consumer may have committed before it saw the request, and
 * then no signal comes.
 */
bool hvk_ring_set_pending(struct hvk_ring *r, u32 len);

/*
 * Consumer. Copies the next packet, descriptor included, into @buf and
 * sets *len to its length (len8 * 8). The descriptor at the head of @buf
 * is the one that was checked, whatever the peer changed since. Returns
 * 0, -EAGAIN when the ring is empty, -EMSGSIZE when @buflen is smaller
 * than *len (nothing consumed), or -EBADMSG on corruption. The space is
 * not given back to the producer until hvk_ring_commit().
 */
int hvk_ring_read(struct hvk_ring *r, void *buf, u32 buflen, u32 *len);

/*
 * Consumer: give the space of every packet read so far back to the
 * producer. Returns true if the producer must be signalled: it asked for
 * space with pending_send_sz, lacked it before and has it now.
 */
bool hvk_ring_commit(struct hvk_ring *r);

/*
 * Consumer: the interrupt mask. Mask while draining; unmask returns the
 * bytes that arrived meanwhile, and a caller that sees non-zero must drain
 * again, as no signal will come for them.
 */
void hvk_ring_mask(struct hvk_ring *r);
u32 hvk_ring_unmask(struct hvk_ring *r);

/* Bytes readable from the consumer's point of view (0 when broken). */
u32 hvk_ring_avail_read(struct hvk_ring *r);
/* Bytes writable from the producer's point of view (0 when broken). */
u32 hvk_ring_avail_write(struct hvk_ring *r);
/*
 * Producer: the longest packet (the length hvk_ring_write() adds up from
 * its pieces) that fits now, at most HVK_PKT_MAX_LEN; 0 when broken.
 */
u32 hvk_ring_max_pkt(struct hvk_ring *r);

/* Raw index arithmetic, exposed for tests and the statistics. */
static inline u32 hvk_ring_used(u32 w, u32 r, u32 size)
{
	return w >= r ? w - r : size - r + w;
}

#endif /* _HVKIT_RING_H */
