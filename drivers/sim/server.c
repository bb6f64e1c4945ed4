// SPDX-License-Identifier: GPL-2.0
/*
 * The simulated host's VMBus server: the host side of the control
 * protocol, written from the wire facts independently of the guest core.
 * It checks what the guest sends as a host must: a guest bug shows up
 * here as a refused request and a message, not as a host crash.
 */
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include "sim.h"

static uint max_version = HVK_VMBUS_WIN10_V5_3;
module_param(max_version, uint, 0444);
MODULE_PARM_DESC(max_version, "highest VMBus version this host accepts (default 5.3, 0x50003)");

static uint min_version = HVK_VMBUS_WIN8;
module_param(min_version, uint, 0444);
MODULE_PARM_DESC(min_version, "lowest VMBus version this host accepts (default 2.4, 0x20004)");

/* What the host tells a 5.0+ guest to post later messages on. */
#define SIM_MSG_CONN_ID		0x10
#define SIM_STATUS_FAIL		0xC0000001u	/* STATUS_UNSUCCESSFUL */
/* 16-bit range_buflen: at most this many pages in one GPADL. */
#define SIM_GPADL_MAX_PFNS	((U16_MAX - sizeof(struct hvk_gpa_range)) / sizeof(u64))

static const u32 sim_known[] = {
	HVK_VMBUS_WIN8, HVK_VMBUS_WIN8_1, HVK_VMBUS_WIN10, HVK_VMBUS_WIN10_V4_1,
	HVK_VMBUS_WIN10_V5, HVK_VMBUS_WIN10_V5_1, HVK_VMBUS_WIN10_V5_2,
	HVK_VMBUS_WIN10_V5_3,
};

static bool sim_accepts(u32 v)
{
	unsigned int i;

	if (v < min_version || v > max_version)
		return false;
	for (i = 0; i < ARRAY_SIZE(sim_known); i++)
		if (sim_known[i] == v)
			return true;
	return false;
}

static void sim_send_hdr(u32 type)
{
	struct hvk_chanmsg_hdr h = { .msgtype = type };

	sim_send(&h, sizeof(h));
}

/*
 * The connection ids HvPostMessage serves for this guest: 1 always; 4,
 * the 5.0 INITIATE_CONTACT connection, only on a host that speaks 5.0 (an
 * older one answers HV_STATUS_INVALID_CONNECTION_ID, and the guest falls
 * back); and the id handed out in a 5.0+ VERSION_RESPONSE. Any context.
 */
bool sim_serves_conn(u32 conn_id)
{
	u32 served = READ_ONCE(sim.served_conn_id);

	if (conn_id == HVK_CONN_ID_MESSAGE)
		return true;
	if (conn_id == HVK_CONN_ID_MESSAGE_4)
		return max_version >= HVK_VMBUS_WIN10_V5;
	return served && conn_id == served;
}

/* The guest's interrupt page goes: no signal_event still reads it. */
void sim_int_page_unmap(void)
{
	unsigned long *p = sim.int_page;

	if (!p)
		return;
	WRITE_ONCE(sim.int_page, NULL);
	synchronize_rcu();
	vunmap(p);
}

/* Below 5.0 INITIATE_CONTACT names the interrupt page. Caller holds lock. */
static int sim_int_page_map(u64 gpa, const char **why)
{
	unsigned long *p;

	sim_int_page_unmap();	/* the guest may try version after version */
	if (!gpa) {
		*why = "no interrupt page";
		return -EINVAL;
	}
	p = sim_map_guest_page(gpa, why);
	if (!p)
		return -EINVAL;
	WRITE_ONCE(sim.int_page, p);
	return 0;
}

static void sim_initiate_contact(u32 conn_id, const struct hvk_msg_initiate_contact *m)
{
	struct hvk_msg_version_response r = {};
	u32 v = m->version_requested;
	u32 want_conn = v >= HVK_VMBUS_WIN10_V5 ? HVK_CONN_ID_MESSAGE_4 : HVK_CONN_ID_MESSAGE;
	int cpu = sim_vp_to_cpu(m->target_vcpu);
	const char *why = NULL;

	r.hdr.msgtype = HVK_CHANMSG_VERSION_RESPONSE;
	/* Which version it asks for decides what the rest of it means. */
	if (conn_id != want_conn)
		why = "on the wrong connection for that version";
	else if (v >= HVK_VMBUS_WIN10_V5 && m->msg_sint != HVK_VMBUS_SINT)
		why = "for a SINT other than 2";
	else if (v >= HVK_VMBUS_WIN10_V5 && m->msg_vtl != SIM_VTL)
		why = "for a VTL other than the host's (0)";
	else if (cpu < 0 || !cpu_online(cpu))
		why = "naming a VP this host does not have, or one that is offline";
	else if (!sim_accepts(v))
		why = NULL;	/* the plain "not this version" */
	else if (v < HVK_VMBUS_WIN10_V5 && sim_int_page_map(m->interrupt_page, &why))
		;
	else if (sim_monitor_map(m->monitor_page1, m->monitor_page2, &why))
		;
	else {
		/* From 5.0 the guest names no interrupt page. */
		if (v >= HVK_VMBUS_WIN10_V5)
			sim_int_page_unmap();
		/* Messages go where the guest asked; nothing is in flight yet. */
		WRITE_ONCE(sim.msg_cpu, cpu);
		r.version_supported = 1;
		sim.version = v;
		sim.msg_conn_id = v >= HVK_VMBUS_WIN10_V5 ? SIM_MSG_CONN_ID : HVK_CONN_ID_MESSAGE;
		/* Served before the guest can learn of it from the response. */
		WRITE_ONCE(sim.served_conn_id, v >= HVK_VMBUS_WIN10_V5 ? SIM_MSG_CONN_ID : 0);
		r.msg_conn_id = sim.msg_conn_id;
	}
	if (why)
		pr_err_ratelimited("hvkit_sim: INITIATE_CONTACT for %#x on connection %u (SINT %u, VTL %u, VP %u) refused: %s\n",
				   v, conn_id, v >= HVK_VMBUS_WIN10_V5 ? m->msg_sint : HVK_VMBUS_SINT,
				   v >= HVK_VMBUS_WIN10_V5 ? m->msg_vtl : 0, m->target_vcpu, why);
	sim_send(&r, sizeof(r));
}

/*
 * The channel of @relid if this guest was offered it and it was not
 * rescinded: a host refuses requests on relids it never offered (a
 * sub-channel nobody asked for, a channel not offered again since
 * UNLOAD), even where it has a channel by that number.
 */
static struct sim_chan *sim_chan_offered(u32 relid, const char **why)
{
	struct sim_chan *c = xa_load(&sim.chans, relid);

	if (!c || !c->offered) {
		*why = "relid never offered to this guest";
		return NULL;
	}
	if (c->rescinded) {
		*why = "relid rescinded";
		return NULL;
	}
	return c;
}

void sim_offer_chan(struct sim_chan *c)
{
	struct hvk_msg_offer o = {};

	o.hdr.msgtype = HVK_CHANMSG_OFFERCHANNEL;
	memcpy(&o.offer.if_type, &c->dev->type->class_id, sizeof(o.offer.if_type));
	memcpy(&o.offer.if_instance, &c->dev->instance, sizeof(o.offer.if_instance));
	o.offer.sub_channel_index = c->subidx;
	o.child_relid = c->relid;
	/*
	 * Without a dedicated interrupt the guest signals the shared event
	 * connection and marks the channel in its interrupt page, which
	 * only a guest below 5.0 names: from 5.0 every channel has its own.
	 */
	WRITE_ONCE(c->shared_int, c->dev->no_dedicated_int && sim.version < HVK_VMBUS_WIN10_V5);
	if (c->shared_int) {
		o.connection_id = HVK_CONN_ID_EVENT;
	} else {
		o.connection_id = c->conn_id;
		o.interrupt_flags = HVK_OFFER_DEDICATED_INTERRUPT;
	}
	sim_monitor_publish(c, &o);
	c->offered = true;
	if (sim_fault(HVSIM_FAULT_BAD_RELID))
		o.child_relid = 4000;
	sim_send(&o, sizeof(o));
	if (sim_fault(HVSIM_FAULT_DUP_RELID))
		sim_send(&o, sizeof(o));
}

static void sim_request_offers(void)
{
	struct sim_dev *d;
	u32 i;

	sim.offers_requested = true;
	list_for_each_entry(d, &sim.devs, node)
		for (i = 0; i <= READ_ONCE(d->sc_wanted) && i < d->nchans; i++)
			if (d->chans[i] && !d->chans[i]->rescinded)
				sim_offer_chan(d->chans[i]);
	sim_send_hdr(HVK_CHANMSG_ALLOFFERS_DELIVERED);
}

/* Sub-channels are offered when the device asks, as Hyper-V does. */
void sim_offer_work(struct work_struct *work)
{
	struct sim_dev *d;
	u32 i;

	mutex_lock(&sim.lock);
	if (sim.offers_requested)
		list_for_each_entry(d, &sim.devs, node)
			for (i = 1; i <= READ_ONCE(d->sc_wanted) && i < d->nchans; i++)
				if (d->chans[i] && !d->chans[i]->offered && !d->chans[i]->rescinded)
					sim_offer_chan(d->chans[i]);
	mutex_unlock(&sim.lock);
}

struct sim_gpadl *sim_gpadl_find(u32 handle)
{
	struct sim_gpadl *g;

	list_for_each_entry(g, &sim.gpadls, node)
		if (g->handle == handle)
			return g;
	return NULL;
}

void sim_gpadl_free(struct sim_gpadl *g)
{
	list_del(&g->node);
	if (g->va)
		vunmap(g->va);
	kvfree(g->pages);
	kvfree(g->pfns);
	kfree(g);
}

/* A rescinded or released channel's GPADLs go with it. */
void sim_gpadls_drop(u32 relid)
{
	struct sim_gpadl *g, *tmp;

	mutex_lock(&sim.gpadl_lock);
	list_for_each_entry_safe(g, tmp, &sim.gpadls, node)
		if (g->relid == relid)
			sim_gpadl_free(g);
	mutex_unlock(&sim.gpadl_lock);
}

/* The guest is gone: every GPADL goes. Returns how many there were. */
u32 sim_gpadls_drop_all(void)
{
	struct sim_gpadl *g, *tmp;
	u32 n = 0;

	mutex_lock(&sim.gpadl_lock);
	list_for_each_entry_safe(g, tmp, &sim.gpadls, node) {
		sim_gpadl_free(g);
		n++;
	}
	mutex_unlock(&sim.gpadl_lock);
	return n;
}

static void sim_gpadl_created(u32 relid, u32 handle, u32 status)
{
	struct hvk_msg_gpadl_created r = {};

	r.hdr.msgtype = HVK_CHANMSG_GPADL_CREATED;
	r.child_relid = relid;
	r.gpadl = handle;
	r.creation_status = status;
	sim_send(&r, sizeof(r));
}

/* All page numbers are in: check each is RAM, then map them. */
static void sim_gpadl_complete(struct sim_gpadl *g)
{
	u32 i;

	g->pages = kvmalloc_array(g->npfns, sizeof(*g->pages), GFP_KERNEL);
	if (!g->pages)
		goto fail;
	for (i = 0; i < g->npfns; i++) {
		if (!pfn_valid(g->pfns[i])) {
			pr_err_ratelimited("hvkit_sim: GPADL %#x page %u names pfn %#llx, which is not RAM\n",
					   g->handle, i, g->pfns[i]);
			goto fail;
		}
		g->pages[i] = pfn_to_page(g->pfns[i]);
	}
	g->va = vmap(g->pages, g->npfns, VM_MAP, PAGE_KERNEL);
	if (!g->va)
		goto fail;
	g->created = true;
	if (sim_fault(HVSIM_FAULT_GPADL_REORDER)) {
		/* A reply nobody asked for first, the real one, then its twin. */
		sim_gpadl_created(g->relid, g->handle ^ 0x40000000, 0);
		sim_gpadl_created(g->relid, g->handle, 0);
	}
	sim_gpadl_created(g->relid, g->handle, 0);
	if (sim_fault(HVSIM_FAULT_RESCIND_AFTER_GPADL)) {
		/* The device goes right after the guest has its GPADL. */
		struct sim_chan *c = xa_load(&sim.chans, g->relid);

		if (c)
			sim.rescind_after = c->dev;
	}
	return;
fail:
	sim_gpadl_created(g->relid, g->handle, SIM_STATUS_FAIL);
	sim_gpadl_free(g);
}

static void __sim_gpadl_header(const struct hvk_msg_gpadl_header *h, u32 len)
{
	const struct hvk_gpa_range *range = (const void *)h->range_buf;
	u32 npfns, inmsg;
	struct sim_gpadl *g;
	const char *why = NULL;

	if (!sim_chan_offered(h->child_relid, &why))
		;
	else if (sim_gpadl_find(h->gpadl))
		why = "handle in use";
	else if (h->rangecount != 1)
		why = "not exactly one range";
	else if (len < sizeof(*h) + sizeof(*range) || h->range_buflen < sizeof(*range) ||
		 (h->range_buflen - sizeof(*range)) % sizeof(u64))
		why = "range shorter than its header";
	if (why)
		goto refuse;
	npfns = (h->range_buflen - sizeof(*range)) / sizeof(u64);
	if (!npfns || npfns > SIM_GPADL_MAX_PFNS ||
	    range->byte_offset >= PAGE_SIZE || !range->byte_count ||
	    DIV_ROUND_UP((u64)range->byte_offset + range->byte_count, PAGE_SIZE) != npfns) {
		why = "page count does not match the byte count";
		goto refuse;
	}
	inmsg = (len - sizeof(*h) - sizeof(*range)) / sizeof(u64);
	if (inmsg > npfns) {
		why = "more page numbers than announced";
		goto refuse;
	}
	g = kzalloc(sizeof(*g), GFP_KERNEL);
	if (!g)
		goto nomem;
	g->pfns = kvmalloc_array(npfns, sizeof(u64), GFP_KERNEL);
	if (!g->pfns) {
		kfree(g);
		goto nomem;
	}
	g->handle = h->gpadl;
	g->relid = h->child_relid;
	g->npfns = npfns;
	g->byte_count = range->byte_count;
	g->have = inmsg;
	memcpy(g->pfns, range->pfn_array, inmsg * sizeof(u64));
	list_add_tail(&g->node, &sim.gpadls);
	if (g->have == g->npfns)
		sim_gpadl_complete(g);
	return;
nomem:
	why = "no memory";
refuse:
	pr_err_ratelimited("hvkit_sim: GPADL %#x for relid %u refused: %s\n",
			   h->gpadl, h->child_relid, why);
	sim_gpadl_created(h->child_relid, h->gpadl, SIM_STATUS_FAIL);
}

static void __sim_gpadl_body(const struct hvk_msg_gpadl_body *b, u32 len)
{
	struct sim_gpadl *g = sim_gpadl_find(b->gpadl);
	u32 n = (len - sizeof(*b)) / sizeof(u64);

	if (!g || g->created) {
		pr_err_ratelimited("hvkit_sim: GPADL body for %#x, which is not being built, dropped\n",
				   b->gpadl);
		return;
	}
	if (n > g->npfns - g->have) {
		pr_err_ratelimited("hvkit_sim: GPADL %#x body carries more pages than announced\n",
				   g->handle);
		sim_gpadl_created(g->relid, g->handle, SIM_STATUS_FAIL);
		sim_gpadl_free(g);
		return;
	}
	memcpy(g->pfns + g->have, b->pfn, n * sizeof(u64));
	g->have += n;
	if (g->have == g->npfns)
		sim_gpadl_complete(g);
}

static void __sim_gpadl_teardown(const struct hvk_msg_gpadl_teardown *t)
{
	struct hvk_msg_gpadl_torndown r = {};
	struct sim_gpadl *g = sim_gpadl_find(t->gpadl);
	const char *why = NULL;

	if (!sim_chan_offered(t->child_relid, &why))
		;
	else if (!g)
		why = "unknown";
	else if (g->relid != t->child_relid)
		why = "wrong relid";
	else if (g->in_use)
		why = "its channel is open";
	if (why) {
		pr_err_ratelimited("hvkit_sim: teardown of GPADL %#x on relid %u refused: %s\n",
				   t->gpadl, t->child_relid, why);
		return;
	}
	sim_gpadl_free(g);
	r.hdr.msgtype = HVK_CHANMSG_GPADL_TORNDOWN;
	r.gpadl = t->gpadl;
	sim_send(&r, sizeof(r));
}

static void sim_open_result(const struct hvk_msg_open *m, u32 status)
{
	struct hvk_msg_open_result r = {};

	r.hdr.msgtype = HVK_CHANMSG_OPENCHANNEL_RESULT;
	r.child_relid = m->child_relid;
	r.openid = m->openid;
	r.status = status;
	sim_send(&r, sizeof(r));
}

static void __sim_open(const struct hvk_msg_open *m)
{
	struct sim_gpadl *g = sim_gpadl_find(m->ringbuffer_gpadl);
	u32 off = m->downstream_page_offset;
	int cpu = sim_vp_to_cpu(m->target_vp);
	const char *why = NULL;
	struct sim_chan *c;
	u8 *va;

	c = sim_chan_offered(m->child_relid, &why);
	if (!c)
		;
	else if (c->open)
		why = "already open";
	else if (!g || !g->created || g->relid != c->relid)
		why = "no such GPADL on this channel";
	else if (g->in_use)
		why = "GPADL holds another channel's rings";
	else if (g->byte_count != g->npfns * PAGE_SIZE)
		why = "ring GPADL is not whole pages";
	else if (g->npfns < 4 || off < 2 || off > g->npfns - 2)
		why = "each ring needs a control page and a data page";
	else if (cpu < 0 || !cpu_online(cpu))
		why = "target VP unknown to this host, or offline";
	if (why)
		goto refuse;
	va = g->va;
	c->buf = kvmalloc(HVK_PKT_MAX_LEN, GFP_KERNEL);
	c->stash = kvmalloc(HVK_PKT_MAX_LEN, GFP_KERNEL);
	if (!c->buf || !c->stash ||
	    hvk_ring_init(&c->rx, (void *)va, va + PAGE_SIZE, (off - 1) * PAGE_SIZE, false) ||
	    hvk_ring_init(&c->tx, (void *)(va + off * PAGE_SIZE), va + (off + 1) * PAGE_SIZE,
			  (g->npfns - off - 1) * PAGE_SIZE, false)) {
		kvfree(c->buf);
		kvfree(c->stash);
		c->buf = NULL;
		c->stash = NULL;
		why = "rings could not be set up";
		goto refuse;
	}
	c->ring = g;
	g->in_use = true;
	c->stash_len = 0;
	c->deferred_len = 0;
	c->target_cpu = cpu;
	smp_store_release(&c->open, true);	/* the rings first, for the fast path */
	sim_monitor_opened(c);
	if (sim_fault(HVSIM_FAULT_RESCIND_ON_OPEN)) {
		/* The host takes the device away instead of answering. */
		sim.rescind_after = c->dev;
		return;
	}
	sim_open_result(m, 0);
	if (c->dev->type->opened)
		c->dev->type->opened(c);
	return;
refuse:
	pr_err_ratelimited("hvkit_sim: OPENCHANNEL %u refused: %s\n", m->child_relid, why);
	sim_open_result(m, SIM_STATUS_FAIL);
}

/* The GPADL handlers, under gpadl_lock. */
#define SIM_GPADL_LOCKED(name, ...) \
	do { \
		mutex_lock(&sim.gpadl_lock); \
		__##name(__VA_ARGS__); \
		mutex_unlock(&sim.gpadl_lock); \
	} while (0)

static void sim_close(u32 relid)
{
	const char *why = "not open";
	struct sim_chan *c = sim_chan_offered(relid, &why);

	if (!c || !c->open) {
		pr_err_ratelimited("hvkit_sim: CLOSECHANNEL %u refused: %s\n", relid, why);
		return;
	}
	sim_chan_close(c);
}

static void sim_modify(const struct hvk_msg_modifychannel *m)
{
	struct hvk_msg_modifychannel_response r = {};
	int cpu = sim_vp_to_cpu(m->target_vp);
	const char *why = NULL;
	struct sim_chan *c;
	u32 status = 0;

	if (sim.version < HVK_VMBUS_WIN10_V4_1) {
		pr_err_ratelimited("hvkit_sim: MODIFYCHANNEL at VMBus %#x, which lacks it, dropped\n",
				   sim.version);
		return;
	}
	c = sim_chan_offered(m->child_relid, &why);
	if (c && !c->open)
		why = "not open";
	else if (c && (cpu < 0 || !cpu_online(cpu)))
		why = "VP unknown to this host, or offline";
	if (why) {
		pr_err_ratelimited("hvkit_sim: MODIFYCHANNEL %u to VP %u refused: %s\n",
				   m->child_relid, m->target_vp, why);
		status = SIM_STATUS_FAIL;
	} else {
		WRITE_ONCE(c->target_cpu, cpu);
	}
	/* Only hosts of 5.3 and later confirm. */
	if (sim.version < HVK_VMBUS_WIN10_V5_3)
		return;
	r.hdr.msgtype = HVK_CHANMSG_MODIFYCHANNEL_RESPONSE;
	r.child_relid = m->child_relid;
	r.status = status;
	sim_send(&r, sizeof(r));
}

static void sim_relid_released(u32 relid)
{
	struct sim_chan *c = xa_load(&sim.chans, relid);

	if (!c || !c->rescinded) {
		pr_err_ratelimited("hvkit_sim: RELID_RELEASED %u, which was not rescinded, ignored\n",
				   relid);
		return;
	}
	sim_chan_free(c);
}

/*
 * UNLOAD: the guest lets go of the bus, at module exit or because it is
 * going down (reboot, power off, kexec) with channels still open. A host
 * then drops all it held for that guest: open channels close, GPADLs and
 * the monitor pages are let go, rescinded channels the guest will never
 * release are freed. The devices stay, to be offered to the next guest.
 */
static void sim_unload(void)
{
	u32 i, open = 0, gpadls;
	struct sim_dev *d, *tmp;

	/* Hosts before 3.0 cannot reconnect a guest: they do not take UNLOAD. */
	if (sim.version < HVK_VMBUS_WIN8_1) {
		pr_err_ratelimited("hvkit_sim: UNLOAD at VMBus %u.%u, which lacks it, refused\n",
				   HVK_VMBUS_VERSION_MAJOR(sim.version),
				   HVK_VMBUS_VERSION_MINOR(sim.version));
		return;
	}
	if (sim_fault(HVSIM_FAULT_OFFER_ON_UNLOAD)) {
		/* A device the host hot-adds just as the guest lets go. */
		d = list_first_entry_or_null(&sim.devs, struct sim_dev, node);
		if (d && d->chans[0] && !d->chans[0]->rescinded)
			sim_offer_chan(d->chans[0]);
	}

	list_for_each_entry_safe(d, tmp, &sim.devs, node) {
		bool gone = false;

		for (i = 0; i < d->nchans && !gone; i++) {
			struct sim_chan *c = d->chans[i];

			if (!c)
				continue;
			open += c->open;
			if (c->rescinded) {
				gone = sim_chan_free(c);	/* @d may go with it */
				continue;
			}
			sim_chan_close(c);	/* its serve work is done after this */
			c->offered = false;
		}
		if (!gone)
			WRITE_ONCE(d->sc_wanted, 0);
	}
	gpadls = sim_gpadls_drop_all();
	if (open || gpadls)
		pr_info("hvkit_sim: UNLOAD with %u channel(s) open and %u GPADL(s): dropped them\n",
			open, gpadls);
	sim_monitor_unmap();
	sim_int_page_unmap();
	sim.version = 0;
	WRITE_ONCE(sim.served_conn_id, 0);
	sim.offers_requested = false;
	sim_send_hdr(HVK_CHANMSG_UNLOAD_RESPONSE);
}

/* Message lengths the guest must meet; 0: the host does not take it. */
static u32 sim_min_len(u32 type)
{
	switch (type) {
	case HVK_CHANMSG_REQUESTOFFERS:
	case HVK_CHANMSG_UNLOAD:
		return sizeof(struct hvk_chanmsg_hdr);
	case HVK_CHANMSG_OPENCHANNEL:
		return sizeof(struct hvk_msg_open);
	case HVK_CHANMSG_CLOSECHANNEL:
	case HVK_CHANMSG_RELID_RELEASED:
		return sizeof(struct hvk_msg_relid);
	case HVK_CHANMSG_GPADL_HEADER:
		return sizeof(struct hvk_msg_gpadl_header);
	case HVK_CHANMSG_GPADL_BODY:
		return sizeof(struct hvk_msg_gpadl_body);
	case HVK_CHANMSG_GPADL_TEARDOWN:
		return sizeof(struct hvk_msg_gpadl_teardown);
	case HVK_CHANMSG_INITIATE_CONTACT:
		return sizeof(struct hvk_msg_initiate_contact);
	case HVK_CHANMSG_MODIFYCHANNEL:
		return sizeof(struct hvk_msg_modifychannel);
	default:
		return 0;
	}
}

static void sim_handle(const struct sim_msg *m)
{
	const struct hvk_chanmsg_hdr *h = (const void *)m->data;
	u32 min = sim_min_len(h->msgtype);

	if (!min || m->len < min) {
		pr_err_ratelimited("hvkit_sim: message type %u of %u bytes %s, dropped\n",
				   h->msgtype, m->len, min ? "is too short" : "is not one a guest sends");
		return;
	}
	if (h->msgtype == HVK_CHANMSG_INITIATE_CONTACT) {
		sim_initiate_contact(m->conn_id, (const void *)m->data);
		return;
	}
	if (!sim.version) {
		pr_err_ratelimited("hvkit_sim: message type %u before a version was agreed, dropped\n",
				   h->msgtype);
		return;
	}
	if (m->conn_id != sim.msg_conn_id) {
		pr_err_ratelimited("hvkit_sim: message type %u on connection %u, not %u, dropped\n",
				   h->msgtype, m->conn_id, sim.msg_conn_id);
		return;
	}
	switch (h->msgtype) {
	case HVK_CHANMSG_REQUESTOFFERS:
		sim_request_offers();
		break;
	case HVK_CHANMSG_GPADL_HEADER:
		SIM_GPADL_LOCKED(sim_gpadl_header, (const void *)m->data, m->len);
		break;
	case HVK_CHANMSG_GPADL_BODY:
		SIM_GPADL_LOCKED(sim_gpadl_body, (const void *)m->data, m->len);
		break;
	case HVK_CHANMSG_GPADL_TEARDOWN:
		SIM_GPADL_LOCKED(sim_gpadl_teardown, (const void *)m->data);
		break;
	case HVK_CHANMSG_OPENCHANNEL:
		SIM_GPADL_LOCKED(sim_open, (const void *)m->data);
		break;
	case HVK_CHANMSG_CLOSECHANNEL:
		sim_close(((const struct hvk_msg_relid *)m->data)->child_relid);
		break;
	case HVK_CHANMSG_RELID_RELEASED:
		sim_relid_released(((const struct hvk_msg_relid *)m->data)->child_relid);
		break;
	case HVK_CHANMSG_MODIFYCHANNEL:
		sim_modify((const void *)m->data);
		break;
	case HVK_CHANMSG_UNLOAD:
		sim_unload();
		break;
	}
	/* A fault took a device away; now that no GPADL lock is held. */
	if (sim.rescind_after) {
		sim_dev_remove(sim.rescind_after);
		sim.rescind_after = NULL;
	}
}

void sim_server_work(struct work_struct *work)
{
	struct sim_msg *m;

	for (;;) {
		spin_lock_irq(&sim.in_lock);
		m = list_first_entry_or_null(&sim.in, struct sim_msg, node);
		if (m)
			list_del(&m->node);
		spin_unlock_irq(&sim.in_lock);
		if (!m)
			return;
		mutex_lock(&sim.lock);
		sim_handle(m);
		mutex_unlock(&sim.lock);
		kfree(m);
	}
}
