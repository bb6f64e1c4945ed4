// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory as the host sees it: lists of 4 KiB guest page numbers.
 * GPADLs send such a list in one GPADL_HEADER message and as many
 * GPADL_BODY messages as the rest needs (the guest picks the handle);
 * GPA-direct packets carry it in the packet (hvk_gpa_range_fill()).
 */
#include <linux/kmemleak.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include "core.h"

#define HVK_HV_PER_PAGE		(PAGE_SIZE / HVK_HV_PAGE_SIZE)
/* range_buflen is 16 bits: one range header and this many page numbers. */
#define HVK_GPADL_MAX_PFNS	((U16_MAX - sizeof(struct hvk_gpa_range)) / sizeof(u64))

static atomic_t hvk_next_gpadl = ATOMIC_INIT(0xE1E10);

void hvk_leak_for_host(struct device *dev, void *buf, u32 size, const char *what)
{
	dev_warn_ratelimited(dev, "%s of %u bytes kept, not freed: the host did not answer and may still write to it\n",
			     what, size);
	kmemleak_not_leak(buf);
}
EXPORT_SYMBOL_GPL(hvk_leak_for_host);

/* The Hyper-V page number of the 4 KiB page that holds @p. */
static u64 hvk_virt_to_hvpfn(const void *p)
{
	struct page *pg = is_vmalloc_addr(p) ? vmalloc_to_page(p) : virt_to_page(p);

	return (u64)page_to_pfn(pg) * HVK_HV_PER_PAGE + offset_in_page(p) / HVK_HV_PAGE_SIZE;
}

static u64 *hvk_gpadl_pfns(void *buf, u32 npfns)
{
	u64 *pfns = kvmalloc_array(npfns, sizeof(u64), GFP_KERNEL);
	u32 i;

	if (!pfns)
		return NULL;
	for (i = 0; i < npfns; i++)
		pfns[i] = hvk_virt_to_hvpfn(buf + (size_t)i * HVK_HV_PAGE_SIZE);
	return pfns;
}

int hvk_gpa_range_fill(struct hvk_gpa_range *r, u32 max_pfns, const void *addr, u32 len)
{
	u32 offset = offset_in_page(addr) % HVK_HV_PAGE_SIZE;
	const void *first = addr - offset;
	u32 npfns, i;

	if (!len)
		return -EINVAL;
	npfns = hvk_hv_pages(offset, len);
	if (npfns > max_pfns)
		return -E2BIG;
	r->byte_count = len;
	r->byte_offset = offset;
	for (i = 0; i < npfns; i++)
		r->pfn_array[i] = hvk_virt_to_hvpfn(first + (size_t)i * HVK_HV_PAGE_SIZE);
	return sizeof(*r) + npfns * sizeof(u64);
}
EXPORT_SYMBOL_GPL(hvk_gpa_range_fill);

int hvk_gpa_range_fill_dma(struct hvk_gpa_range *r, u32 max_pfns, dma_addr_t addr, u32 len)
{
	u32 offset = addr % HVK_HV_PAGE_SIZE, npfns, i;
	u64 first = (addr - offset) / HVK_HV_PAGE_SIZE;

	if (!len)
		return -EINVAL;
	npfns = hvk_hv_pages(offset, len);
	if (npfns > max_pfns)
		return -E2BIG;
	r->byte_count = len;
	r->byte_offset = offset;
	for (i = 0; i < npfns; i++)
		r->pfn_array[i] = first + i;
	return sizeof(*r) + npfns * sizeof(u64);
}
EXPORT_SYMBOL_GPL(hvk_gpa_range_fill_dma);

/* What a GPADL request needs besides its page list; too big for the stack. */
struct hvk_gpadl_req {
	struct hvk_xact x;
	u8 mbuf[HVK_MESSAGE_PAYLOAD] __aligned(8);
};

int hvk_gpadl_create(struct hvk_channel *ch, void *buf, u32 size, struct hvk_gpadl *g)
{
	struct hvk_msg_gpadl_header *h;
	struct hvk_msg_gpadl_body *b;
	const struct hvk_msg_gpadl_created *r;
	struct hvk_gpa_range *range;
	u32 npfns, n, done, handle, status, msg;
	struct hvk_gpadl_req *req;
	u64 *pfns;
	int ret;

	if (!size || !PAGE_ALIGNED(buf) || !PAGE_ALIGNED(size))
		return -EINVAL;
	npfns = size / HVK_HV_PAGE_SIZE;
	if (npfns > HVK_GPADL_MAX_PFNS) {
		dev_err_ratelimited(&ch->hdev->dev,
				    "GPADL of %u bytes exceeds the protocol's %zu pages\n",
				    size, (size_t)HVK_GPADL_MAX_PFNS);
		return -E2BIG;
	}
	req = kzalloc(sizeof(*req), GFP_KERNEL);
	pfns = hvk_gpadl_pfns(buf, npfns);
	if (!pfns || !req) {
		kvfree(pfns);
		kfree(req);
		return -ENOMEM;
	}
	h = (void *)req->mbuf;
	b = (void *)req->mbuf;
	handle = atomic_inc_return(&hvk_next_gpadl);

	h->hdr.msgtype = HVK_CHANMSG_GPADL_HEADER;
	h->child_relid = ch->relid;
	h->gpadl = handle;
	h->rangecount = 1;
	h->range_buflen = sizeof(*range) + npfns * sizeof(u64);
	range = (void *)h->range_buf;
	range->byte_count = size;
	range->byte_offset = 0;
	n = hvk_gpadl_msg_pfns(npfns, 0);
	memcpy(range->pfn_array, pfns, n * sizeof(u64));

	ret = hvk_xact_start_chan(&req->x, HVK_CHANMSG_GPADL_CREATED, handle, ch);
	if (ret)
		goto out;
	ret = hvk_post(hvk_conn.msg_conn_id, req->mbuf,
		       sizeof(*h) + sizeof(*range) + n * sizeof(u64));
	for (done = n, msg = 1; !ret && (n = hvk_gpadl_msg_pfns(npfns, msg)); done += n, msg++) {
		memset(req->mbuf, 0, sizeof(req->mbuf));
		b->hdr.msgtype = HVK_CHANMSG_GPADL_BODY;
		b->msgnumber = msg;
		b->gpadl = handle;
		memcpy(b->pfn, pfns + done, n * sizeof(u64));
		ret = hvk_post(hvk_conn.msg_conn_id, req->mbuf, sizeof(*b) + n * sizeof(u64));
	}
	if (ret) {
		/*
		 * A post that failed never reached the host, so it holds at
		 * most a GPADL without all its pages, which it never maps and
		 * never answers: nothing to wait for (as upstream).
		 */
		dev_err_ratelimited(&ch->hdev->dev, "posting GPADL %#x failed (%d)\n",
				    handle, ret);
		hvk_xact_cancel(&req->x);
		goto out;
	}
	ret = hvk_xact_wait(&req->x);
	if (ret)
		goto out;
	r = (const void *)req->x.buf;
	status = r->creation_status;
	if (status) {
		dev_err_ratelimited(&ch->hdev->dev, "host refused GPADL %#x: status %#x\n",
				    handle, status);
		ret = -EIO;
		goto out;
	}
	g->handle = handle;
	g->size = size;
	g->buf = buf;
out:
	kvfree(pfns);
	kfree(req);
	return ret;
}
EXPORT_SYMBOL_GPL(hvk_gpadl_create);

int hvk_gpadl_teardown(struct hvk_channel *ch, struct hvk_gpadl *g)
{
	struct hvk_msg_gpadl_teardown m = {};
	struct hvk_xact x;
	int ret;

	if (!g->handle)
		return 0;
	/* A rescinded channel's GPADLs are gone with it on the host side. */
	if (hvk_channel_rescinded(ch)) {
		g->handle = 0;
		return 0;
	}
	m.hdr.msgtype = HVK_CHANMSG_GPADL_TEARDOWN;
	m.child_relid = ch->relid;
	m.gpadl = g->handle;
	ret = hvk_xact_send_chan(&x, HVK_CHANMSG_GPADL_TORNDOWN, g->handle, ch, &m, sizeof(m));
	if (ret && ret != -ENODEV)
		dev_err_ratelimited(&ch->hdev->dev, "GPADL %#x teardown failed (%d)\n",
				    g->handle, ret);
	g->handle = 0;
	return ret == -ENODEV ? 0 : ret;
}
EXPORT_SYMBOL_GPL(hvk_gpadl_teardown);
