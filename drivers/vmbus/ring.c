// SPDX-License-Identifier: GPL-2.0
/*
 * VMBus ring buffer algorithm, shared by the guest core, the simulated host
 * and the host-side tests (see include/hvkit/ring.h for the contract).
 *
 * Ordering. The producer copies the packet, then publishes write_index with
 * release semantics; the consumer loads write_index with acquire semantics,
 * then copies the packet. Symmetrically the consumer publishes read_index
 * with release after its copies, and the producer loads it with acquire
 * before it overwrites that space.
 *
 * Signalling (Hyper-V's rules):
 *  - a producer signals only when the ring went from empty to non-empty
 *    and the consumer's interrupt_mask is clear;
 *  - a consumer signals only when the producer's pending_send_sz went from
 *    unsatisfiable to satisfiable by this commit.
 * Each rule is a store on one side followed by a load of the other side's
 * field, raced against the mirror image on the other side (Dekker), so
 * each needs a full barrier between its store and its load; they are
 * marked "Dekker" below.
 */
#include <hvkit/ring.h>

static inline bool ring_index_ok(const struct hvk_ring *r, u32 idx)
{
	return idx < r->size && !(idx & 7);
}

static inline u32 ring_fail(struct hvk_ring *r, const char *why)
{
	if (!r->broken)
		r->broken = why;
	return 0;
}

/* Copy @len bytes into the ring at @off, wrapping; returns the new offset. */
static u32 ring_copy_to(struct hvk_ring *r, u32 off, const void *src, u32 len)
{
	u32 first = r->size - off;

	if (likely(len < first)) {
		memcpy(r->data + off, src, len);
		return off + len;
	}
	memcpy(r->data + off, src, first);
	memcpy(r->data, (const u8 *)src + first, len - first);
	return len - first;
}

static void ring_copy_from(const struct hvk_ring *r, u32 off, void *dst, u32 len)
{
	u32 first = r->size - off;

	if (likely(len <= first)) {
		memcpy(dst, r->data + off, len);
		return;
	}
	memcpy(dst, r->data + off, first);
	memcpy((u8 *)dst + first, r->data, len - first);
}

static inline u32 ring_advance(const struct hvk_ring *r, u32 off, u32 len)
{
	off += len;
	return off >= r->size ? off - r->size : off;
}

int hvk_ring_init(struct hvk_ring *r, struct hvk_ring_ctl *ctl, u8 *data,
		  u32 size, bool fresh)
{
	memset(r, 0, sizeof(*r));
	if (!size || (size & 7))
		return -EINVAL;
	r->ctl = ctl;
	r->data = data;
	r->size = size;
	if (fresh) {
		WRITE_ONCE(ctl->write_index, 0);
		WRITE_ONCE(ctl->read_index, 0);
		WRITE_ONCE(ctl->interrupt_mask, 0);
		WRITE_ONCE(ctl->pending_send_sz, 0);
		WRITE_ONCE(ctl->feature_bits, HVK_RING_FEAT_PENDING_SEND_SZ);
		return 0;
	}
	r->priv_write = READ_ONCE(ctl->write_index);
	r->pub_write = r->priv_write;
	r->priv_read = READ_ONCE(ctl->read_index);
	r->pub_read = r->priv_read;
	if (!ring_index_ok(r, r->priv_write) || !ring_index_ok(r, r->priv_read))
		return -EINVAL;
	/* Nothing seen yet: the first read and the first write load afresh. */
	r->seen_write = r->priv_read;
	r->seen_read = r->priv_read;
	return 0;
}

/* The consumer's published index, checked; 0 with r->broken set if bad. */
static inline bool ring_peer_read(struct hvk_ring *r, u32 *rd)
{
	*rd = smp_load_acquire(&r->ctl->read_index);
	if (unlikely(!ring_index_ok(r, *rd))) {
		ring_fail(r, "read index outside the ring");
		return false;
	}
	r->seen_read = *rd;
	return true;
}

static inline bool ring_peer_write(struct hvk_ring *r, u32 *wr)
{
	*wr = smp_load_acquire(&r->ctl->write_index);
	if (unlikely(!ring_index_ok(r, *wr))) {
		ring_fail(r, "write index outside the ring");
		return false;
	}
	r->seen_write = *wr;
	return true;
}

/* Producer: the space free as of the read index it last loaded. */
static inline u32 ring_free_seen(const struct hvk_ring *r)
{
	return r->size - hvk_ring_used(r->priv_write, r->seen_read, r->size);
}

u32 hvk_ring_avail_write(struct hvk_ring *r)
{
	u32 rd;

	if (r->broken || !ring_peer_read(r, &rd))
		return 0;
	return ring_free_seen(r);
}

u32 hvk_ring_avail_read(struct hvk_ring *r)
{
	u32 wr;

	if (r->broken || !ring_peer_write(r, &wr))
		return 0;
	return hvk_ring_used(wr, r->priv_read, r->size);
}

int hvk_ring_write_more(struct hvk_ring *r, const struct hvk_kvec *v, unsigned int n)
{
	static const u8 zeros[8];
	u32 len = 0, space, old, off, rd;
	u64 trailer;
	unsigned int i;

	if (unlikely(r->broken))
		return -EBADMSG;
	for (i = 0; i < n; i++) {
		if (v[i].len > HVK_PKT_MAX_LEN - len)
			return -EMSGSIZE;
		len += v[i].len;
	}
	space = hvk_ring_pkt_space(len);
	/* A full ring keeps one 8-byte slot free, or full == empty. */
	if (space >= r->size)
		return -EMSGSIZE;
	/* Free space as last seen; the consumer only ever adds to it. */
	if (ring_free_seen(r) <= space) {
		if (!ring_peer_read(r, &rd))
			return -EBADMSG;
		if (ring_free_seen(r) <= space) {
			r->full++;
			return -EAGAIN;
		}
	}

	old = r->priv_write;
	off = old;
	for (i = 0; i < n; i++)
		off = ring_copy_to(r, off, v[i].base, v[i].len);
	if (len & 7)
		off = ring_copy_to(r, off, zeros, 8 - (len & 7));
	trailer = (u64)old << 32;
	off = ring_copy_to(r, off, &trailer, sizeof(trailer));
	r->priv_write = off;
	r->pkts++;
	r->bytes += len;
	return 0;
}

bool hvk_ring_publish(struct hvk_ring *r)
{
	u32 old = r->pub_write, rd;

	if (r->priv_write == old || unlikely(r->broken))
		return false;
	r->pub_write = r->priv_write;
	/* The packets' bytes before the index that publishes them. */
	smp_store_release(&r->ctl->write_index, r->priv_write);
	/* Dekker: our write_index store before the consumer's mask load. */
	smp_mb();
	if (READ_ONCE(r->ctl->interrupt_mask))
		return false;
	/* Empty before these packets: the consumer had read up to @old. */
	return ring_peer_read(r, &rd) && rd == old;
}

int hvk_ring_write(struct hvk_ring *r, const struct hvk_kvec *v, unsigned int n,
		   bool *signal)
{
	int ret = hvk_ring_write_more(r, v, n);

	*signal = false;
	if (ret && ret != -EAGAIN)
		return ret;
	*signal = hvk_ring_publish(r);
	return ret;
}

u32 hvk_ring_max_pkt(struct hvk_ring *r)
{
	u32 free = hvk_ring_avail_write(r);

	/* free is a multiple of 8; a packet needs its padded size + 8 < free. */
	if (free <= 2 * HVK_PKT_TRAILER)
		return 0;
	free -= 2 * HVK_PKT_TRAILER;
	return free < HVK_PKT_MAX_LEN ? free : HVK_PKT_MAX_LEN;
}

bool hvk_ring_set_pending(struct hvk_ring *r, u32 len)
{
	WRITE_ONCE(r->ctl->pending_send_sz, len);
	if (!len)
		return true;
	/* Dekker: our pending_send_sz store before the read_index load. */
	smp_mb();
	return hvk_ring_avail_write(r) > len;
}

int hvk_ring_read(struct hvk_ring *r, void *buf, u32 buflen, u32 *len)
{
	struct hvk_pkt_desc desc;
	u32 avail, pkt_len, off8;

	*len = 0;
	if (unlikely(r->broken))
		return -EBADMSG;
	/* Whole packets up to seen_write; look for more once they are read. */
	avail = hvk_ring_used(r->seen_write, r->priv_read, r->size);
	if (!avail) {
		avail = hvk_ring_avail_read(r);
		if (r->broken)
			return -EBADMSG;
		if (!avail)
			return -EAGAIN;
	}
	if (avail < sizeof(desc) + HVK_PKT_TRAILER) {
		ring_fail(r, "packet shorter than its descriptor");
		return -EBADMSG;
	}
	ring_copy_from(r, r->priv_read, &desc, sizeof(desc));
	pkt_len = (u32)desc.len8 * 8;
	off8 = (u32)desc.offset8 * 8;
	if (pkt_len < sizeof(desc)) {
		ring_fail(r, "packet length shorter than its descriptor");
		return -EBADMSG;
	}
	if (off8 < sizeof(desc) || off8 > pkt_len) {
		ring_fail(r, "payload offset outside the packet");
		return -EBADMSG;
	}
	if (pkt_len + HVK_PKT_TRAILER > avail) {
		ring_fail(r, "packet runs past the write index");
		return -EBADMSG;
	}
	*len = pkt_len;
	if (pkt_len > buflen)
		return -EMSGSIZE;

	/*
	 * Copy the packet, then put the checked descriptor over whatever the
	 * peer may have rewritten in the meantime.
	 */
	ring_copy_from(r, r->priv_read, buf, pkt_len);
	memcpy(buf, &desc, sizeof(desc));
	r->priv_read = ring_advance(r, r->priv_read, pkt_len + HVK_PKT_TRAILER);
	r->pkts++;
	r->bytes += pkt_len;
	return 0;
}

bool hvk_ring_commit(struct hvk_ring *r)
{
	u32 freed, pending, wr, free_now;

	if (r->priv_read == r->pub_read || r->broken)
		return false;
	freed = hvk_ring_used(r->priv_read, r->pub_read, r->size);
	/* Our copies out of the ring before the index that frees the space. */
	smp_store_release(&r->ctl->read_index, r->priv_read);
	r->pub_read = r->priv_read;

	/* A producer that never asked for signals polls instead. */
	if (!(READ_ONCE(r->ctl->feature_bits) & HVK_RING_FEAT_PENDING_SEND_SZ))
		return false;
	/* Dekker: our read_index store before the pending_send_sz load. */
	smp_mb();
	pending = READ_ONCE(r->ctl->pending_send_sz);
	if (!pending)
		return false;
	/*
	 * The producer published its last packet's write_index before it
	 * asked for space: load write_index after pending_send_sz, or a stale
	 * one makes the producer look satisfied already, and no signal goes.
	 */
	smp_rmb();
	if (!ring_peer_write(r, &wr))
		return false;
	free_now = r->size - hvk_ring_used(wr, r->priv_read, r->size);
	/*
	 * Signal on the transition only: the producer was short before this
	 * commit (free space <= pending) and is not any more. A ring exactly
	 * full counts as short, as one slot always stays free.
	 */
	if (free_now >= freed && free_now - freed > pending)
		return false;
	return free_now > pending;
}

void hvk_ring_mask(struct hvk_ring *r)
{
	WRITE_ONCE(r->ctl->interrupt_mask, 1);
	/* Order the mask before the reads of the drain that follows. */
	smp_mb();
}

u32 hvk_ring_unmask(struct hvk_ring *r)
{
	WRITE_ONCE(r->ctl->interrupt_mask, 0);
	/* Dekker: our mask store before the write_index load. */
	smp_mb();
	return hvk_ring_avail_read(r);
}
