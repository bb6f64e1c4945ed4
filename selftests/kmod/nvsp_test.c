// SPDX-License-Identifier: GPL-2.0
/*
 * hvkit_nvsp_test: a misbehaving guest for the synthetic NIC. It binds to
 * a NIC (no device table: loaded by hand, while hvkit_netvsc is not, so
 * udev never picks it) and, on demand, breaks one of the host's rules,
 * to see the host refuse it as Hyper-V does (selftests/net/hostile_guest.sh).
 *
 *   nvsp_case   (sysfs, of the VMBus device) write a case name: the
 *               channel is opened, NVSP INIT and the buffers or RNDIS done
 *               as the case needs, then the bad step sent, and the channel
 *               closed again. Read back the outcome of the bad step:
 *                 "status N"  the NVSP status the host completed it with
 *                             (a sub-channel request: its op word)
 *                 "none"      no answer within NT_WAIT
 *                 "error ..." a step before it failed (the case proved nothing)
 *
 * One case at a time; an unknown name (or none) is -EINVAL.
 */
#include <linux/device.h>
#include <linux/if_ether.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <hvkit/netvsc.h>
#include "hvk_vmbus.h"

#define NT_RING		(64 * 1024)
#define NT_BUF		(64 * 1024)		/* receive and send buffers */
#define NT_WAIT		(5 * HZ)		/* "the host did not answer" */
#define NT_RNDIS_LEN	512

struct nt {
	struct hvk_device *hdev;
	struct hvk_channel *ch;
	struct mutex lock;		/* one case at a time; result */
	struct work_struct rx_work;
	struct hvk_channel *sc;		/* sub-channel 1, open (control_on_subchannel) */
	struct work_struct sc_work;
	u8 *rxpkt;			/* HVK_PKT_MAX_LEN */
	u8 *scpkt;			/* HVK_PKT_MAX_LEN, the sub-channel's */
	u8 *rndis;			/* an RNDIS message for the host (GPA-direct) */
	wait_queue_head_t wq;
	spinlock_t rlock;		/* the awaited reply */
	u64 want;			/* its transaction id, 0: none */
	bool got;
	u8 reply[HVK_NVSP_MSG_SIZE];
	void *recv_buf, *send_buf;
	u32 recv_size;
	struct hvk_gpadl recv_g, send_g;
	char result[80];
};

static void nt_rescinded(void *ctx)
{
	struct nt *nt = ctx;

	wake_up(&nt->wq);
}

static void nt_rx(struct nt *nt, struct hvk_channel *ch, const u8 *pkt, u32 len)
{
	const struct hvk_pkt_desc *d = (const void *)pkt;
	u32 off = d->offset8 * 8;
	u64 ctx;

	if (d->type == HVK_PKT_DATA_USING_XFER_PAGES) {
		/* The host's RNDIS message: its ranges go back at once. */
		struct hvk_nvsp_msg m = { .type = HVK_NVSP1_SEND_RNDIS_PKT_COMPLETE };

		m.complete.status = HVK_NVSP_STAT_SUCCESS;
		hvk_channel_send(ch, &m, sizeof(m), d->trans_id, HVK_PKT_COMP, 0);
		return;
	}
	if (d->type != HVK_PKT_COMP || hvk_rqst_take(ch, d->trans_id, &ctx))
		return;
	spin_lock_bh(&nt->rlock);
	if (nt->want == d->trans_id && !nt->got) {
		memset(nt->reply, 0, sizeof(nt->reply));
		if (off < len)
			memcpy(nt->reply, pkt + off, min_t(u32, len - off, sizeof(nt->reply)));
		nt->got = true;
	}
	spin_unlock_bh(&nt->rlock);
	wake_up(&nt->wq);
}

static void nt_rx_work(struct work_struct *w)
{
	struct nt *nt = container_of(w, struct nt, rx_work);
	u32 len;
	int ret;

	do {
		hvk_channel_drain_begin(nt->ch);
		while (!(ret = hvk_channel_recv(nt->ch, nt->rxpkt, HVK_PKT_MAX_LEN, &len)))
			nt_rx(nt, nt->ch, nt->rxpkt, len);
	} while (hvk_channel_drain_end(nt->ch) && ret == -EAGAIN);
}

static void nt_sc_work(struct work_struct *w)
{
	struct nt *nt = container_of(w, struct nt, sc_work);
	u32 len;
	int ret;

	do {
		hvk_channel_drain_begin(nt->sc);
		while (!(ret = hvk_channel_recv(nt->sc, nt->scpkt, HVK_PKT_MAX_LEN, &len)))
			nt_rx(nt, nt->sc, nt->scpkt, len);
	} while (hvk_channel_drain_end(nt->sc) && ret == -EAGAIN);
}

static void nt_callback(void *ctx)
{
	struct nt *nt = ctx;

	queue_work(system_highpri_wq, &nt->rx_work);
}

static void nt_sc_callback(void *ctx)
{
	struct nt *nt = ctx;

	queue_work(system_highpri_wq, &nt->sc_work);
}

/* The core's sub-channel work: sub-channel 1 is opened, once. */
static void nt_sc_added(struct hvk_channel *sc, void *ctx)
{
	struct nt *nt = ctx;

	if (hvk_channel_subidx(sc) != 1 || nt->sc)
		return;
	if (hvk_channel_open(sc, NT_RING, NT_RING, NULL, 0, nt_sc_callback, nt))
		return;
	WRITE_ONCE(nt->sc, sc);
	wake_up(&nt->wq);
}

/* ... and closed when it goes, or when the case unhooks (the same work's lock). */
static void nt_sc_removed(struct hvk_channel *sc, void *ctx)
{
	struct nt *nt = ctx;

	if (nt->sc != sc)
		return;
	hvk_channel_stop_callbacks(sc);
	cancel_work_sync(&nt->sc_work);
	hvk_channel_close(sc);
	WRITE_ONCE(nt->sc, NULL);
}

/* Arms the wait for the completion of transaction @id. */
static void nt_arm(struct nt *nt, u64 id)
{
	spin_lock_bh(&nt->rlock);
	nt->want = id;
	nt->got = false;
	spin_unlock_bh(&nt->rlock);
}

/*
 * Waits for the armed completion: 0 (nt->reply holds its NVSP message),
 * -ETIMEDOUT (the id is taken back), -ENODEV.
 */
static int nt_wait(struct nt *nt, struct hvk_channel *ch, u64 id)
{
	u64 ctx;

	wait_event_timeout(nt->wq, READ_ONCE(nt->got) || hvk_channel_rescinded(ch), NT_WAIT);
	spin_lock_bh(&nt->rlock);
	nt->want = 0;
	spin_unlock_bh(&nt->rlock);
	if (READ_ONCE(nt->got))
		return 0;
	hvk_rqst_take(ch, id, &ctx);
	return hvk_channel_rescinded(ch) ? -ENODEV : -ETIMEDOUT;
}

/* An NVSP message on @ch, completion requested; its answer awaited. */
static int nt_nvsp_on(struct nt *nt, struct hvk_channel *ch, const struct hvk_nvsp_msg *m)
{
	u64 id, ctx;
	int ret;

	ret = hvk_rqst_add(ch, 0, &id);
	if (ret)
		return ret;
	nt_arm(nt, id);
	ret = hvk_channel_send(ch, m, sizeof(*m), id, HVK_PKT_DATA_INBAND,
			       HVK_PKT_FLAG_COMPLETION_REQUESTED);
	if (ret) {
		hvk_rqst_take(ch, id, &ctx);
		return ret;
	}
	return nt_wait(nt, ch, id);
}

static int nt_nvsp(struct nt *nt, const struct hvk_nvsp_msg *m)
{
	return nt_nvsp_on(nt, nt->ch, m);
}

/* SEND_RNDIS_PKT of nt->rndis (its header's length) as GPA-direct; answer awaited. */
static int nt_rndis(struct nt *nt, u32 chan_type)
{
	u64 d[(sizeof(struct hvk_pkt_gpa_direct) + sizeof(struct hvk_gpa_range)) / 8 + 2] = {};
	struct hvk_nvsp_msg m = { .type = HVK_NVSP1_SEND_RNDIS_PKT };
	struct hvk_pkt_gpa_direct *h = (void *)d;
	struct hvk_rndis_hdr rh;
	u64 id, ctx;
	int n, ret;

	memcpy(&rh, nt->rndis, sizeof(rh));
	n = hvk_gpa_range_fill((void *)(h + 1), 2, nt->rndis, rh.len);
	if (n < 0)
		return n;
	h->range_cnt = 1;
	m.rndis_pkt.channel_type = chan_type;
	m.rndis_pkt.section_index = HVK_NVSP_NO_SECTION;
	ret = hvk_rqst_add(nt->ch, 0, &id);
	if (ret)
		return ret;
	nt_arm(nt, id);
	ret = hvk_channel_send_gpa(nt->ch, h, sizeof(*h) + n, &m, sizeof(m), id);
	if (ret) {
		hvk_rqst_take(nt->ch, id, &ctx);
		return ret;
	}
	return nt_wait(nt, nt->ch, id);
}

/* The status word of the completion in nt->reply. */
static u32 nt_status(const struct nt *nt)
{
	struct hvk_nvsp_msg r;

	memcpy(&r, nt->reply, sizeof(r));
	switch (r.type) {
	case HVK_NVSP_INIT_COMPLETE:
		return r.init_complete.status;
	case HVK_NVSP1_SEND_RECV_BUF_COMPLETE:
		return r.recv_buf_complete.status;
	case HVK_NVSP1_SEND_SEND_BUF_COMPLETE:
		return r.send_buf_complete.status;
	case HVK_NVSP5_SUBCHANNEL:
		return r.subchannel.op;
	default:
		return r.complete.status;
	}
}

static int nt_init(struct nt *nt, u32 ver)
{
	struct hvk_nvsp_msg m = { .type = HVK_NVSP_INIT };
	int ret;

	m.init.min_ver = ver;
	m.init.max_ver = ver;
	ret = nt_nvsp(nt, &m);
	if (ret)
		return ret;
	return nt_status(nt) == HVK_NVSP_STAT_SUCCESS ? 0 : -EPROTO;
}

/* A buffer of @size bytes for the host, by GPADL: SEND_RECV_BUF or SEND_SEND_BUF. */
static int nt_buf_send(struct nt *nt, bool recv, u32 size)
{
	struct hvk_nvsp_msg m = {};
	void **buf = recv ? &nt->recv_buf : &nt->send_buf;
	struct hvk_gpadl *g = recv ? &nt->recv_g : &nt->send_g;
	int ret;

	*buf = vzalloc(size);
	if (!*buf)
		return -ENOMEM;
	ret = hvk_gpadl_create(nt->ch, *buf, size, g);
	if (ret) {
		vfree(*buf);
		*buf = NULL;
		return ret;
	}
	if (recv)
		nt->recv_size = size;
	m.type = recv ? HVK_NVSP1_SEND_RECV_BUF : HVK_NVSP1_SEND_SEND_BUF;
	m.buf.gpadl = g->handle;
	m.buf.id = recv ? HVK_NVSP_RECV_BUF_ID : HVK_NVSP_SEND_BUF_ID;
	return nt_nvsp(nt, &m);
}

static int nt_buf(struct nt *nt, bool recv, u32 size)
{
	int ret = nt_buf_send(nt, recv, size);

	if (ret)
		return ret;
	return nt_status(nt) == HVK_NVSP_STAT_SUCCESS ? 0 : -EPROTO;
}

static void nt_buf_free(struct nt *nt, void **buf, u32 size, struct hvk_gpadl *g,
			const char *what)
{
	if (!*buf)
		return;
	if (hvk_gpadl_teardown(nt->ch, g))
		hvk_leak_for_host(&nt->hdev->dev, *buf, size, what);
	else
		vfree(*buf);
	*buf = NULL;
}

/* The channel closed; then the buffers' GPADLs go (the host let them go at the close). */
static void nt_close(struct nt *nt)
{
	hvk_channel_stop_callbacks(nt->ch);
	cancel_work_sync(&nt->rx_work);
	hvk_channel_close(nt->ch);
	nt_buf_free(nt, &nt->recv_buf, nt->recv_size, &nt->recv_g, "receive buffer");
	nt_buf_free(nt, &nt->send_buf, NT_BUF, &nt->send_g, "send buffer");
}

/* RNDIS messages, well formed, in nt->rndis. */
static void nt_rndis_init_msg(struct nt *nt)
{
	struct {
		struct hvk_rndis_hdr h;
		struct hvk_rndis_init_req q;
	} r = {};

	r.h.type = HVK_RNDIS_INIT;
	r.h.len = sizeof(r);
	r.q.req_id = 1;
	r.q.major = HVK_RNDIS_MAJOR;
	r.q.minor = HVK_RNDIS_MINOR;
	r.q.max_xfer_size = 0x4000;
	memset(nt->rndis, 0, NT_RNDIS_LEN);
	memcpy(nt->rndis, &r, sizeof(r));
}

static void nt_rndis_packet_msg(struct nt *nt)
{
	struct {
		struct hvk_rndis_hdr h;
		struct hvk_rndis_packet p;
		u8 frame[ETH_ZLEN];
	} r = {};

	r.h.type = HVK_RNDIS_PACKET;
	r.h.len = sizeof(r);
	r.p.data_off = sizeof(r.p);
	r.p.data_len = ETH_ZLEN;
	memset(r.frame, 0xff, ETH_ALEN);	/* a broadcast */
	r.frame[12] = 0x88;			/* local experimental ethertype 0x88b5 */
	r.frame[13] = 0xb5;
	memset(nt->rndis, 0, NT_RNDIS_LEN);
	memcpy(nt->rndis, &r, sizeof(r));
}

static void nt_rndis_keepalive_c_msg(struct nt *nt)
{
	struct {
		struct hvk_rndis_hdr h;
		struct hvk_rndis_cmplt c;
	} r = {};

	r.h.type = HVK_RNDIS_KEEPALIVE_C;
	r.h.len = sizeof(r);
	r.c.req_id = 0x4b41;
	r.c.status = HVK_RNDIS_STATUS_SUCCESS;
	memset(nt->rndis, 0, NT_RNDIS_LEN);
	memcpy(nt->rndis, &r, sizeof(r));
}

enum nt_setup {
	NT_NONE,		/* nothing before the bad step */
	NT_INIT,		/* NVSP INIT */
	NT_RECV,		/* INIT, receive buffer */
	NT_BOTH,		/* INIT, receive and send buffers */
};

struct nt_case {
	const char *name;
	u32 ver;		/* the NVSP version INIT agrees */
	enum nt_setup setup;
	int (*bad)(struct nt *nt);
};

static int nt_bad_recv_buf_no_init(struct nt *nt)
{
	struct hvk_nvsp_msg m = { .type = HVK_NVSP1_SEND_RECV_BUF };

	m.buf.id = HVK_NVSP_RECV_BUF_ID;
	return nt_nvsp(nt, &m);
}

static int nt_bad_init_again(struct nt *nt)
{
	struct hvk_nvsp_msg m = { .type = HVK_NVSP_INIT };

	m.init.min_ver = HVK_NVSP_V61;
	m.init.max_ver = HVK_NVSP_V61;
	return nt_nvsp(nt, &m);
}

static int nt_bad_version(struct nt *nt)
{
	struct hvk_nvsp_msg m = { .type = HVK_NVSP_INIT };

	m.init.min_ver = 0x00070000;
	m.init.max_ver = 0x00070000;
	return nt_nvsp(nt, &m);
}

static int nt_bad_ndis_ver(struct nt *nt)
{
	struct hvk_nvsp_msg m = { .type = HVK_NVSP1_SEND_NDIS_VER };

	m.ndis_ver.major = 6;
	m.ndis_ver.minor = 31;
	return nt_nvsp(nt, &m);
}

static int nt_bad_ndis_mtu(struct nt *nt)
{
	struct hvk_nvsp_msg m = { .type = HVK_NVSP2_SEND_NDIS_CONFIG };

	m.ndis_config.mtu = ETH_HLEN + 67;	/* below IPv4's 68 */
	return nt_nvsp(nt, &m);
}

/* 16 MiB: past NVSP 2's 15 MiB (upstream's NETVSC_RECEIVE_BUFFER_SIZE_LEGACY). */
static int nt_bad_recv_buf_big(struct nt *nt)
{
	return nt_buf_send(nt, true, 16u << 20);
}

static int nt_section(struct nt *nt, u32 idx, u32 size)
{
	struct hvk_nvsp_msg m = { .type = HVK_NVSP1_SEND_RNDIS_PKT };

	m.rndis_pkt.channel_type = HVK_NVSP_CHAN_DATA;
	m.rndis_pkt.section_index = idx;
	m.rndis_pkt.section_size = size;
	return nt_nvsp(nt, &m);
}

static int nt_bad_section_size(struct nt *nt)
{
	return nt_section(nt, 0, HVK_NVSP_SEND_SECTION + 1);
}

static int nt_bad_section_index(struct nt *nt)
{
	return nt_section(nt, NT_BUF / HVK_NVSP_SEND_SECTION, 64);
}

static int nt_bad_rndis_init(struct nt *nt)
{
	nt_rndis_init_msg(nt);
	return nt_rndis(nt, HVK_NVSP_CHAN_CONTROL);
}

static int nt_bad_rndis_data_on_ctrl(struct nt *nt)
{
	nt_rndis_packet_msg(nt);
	return nt_rndis(nt, HVK_NVSP_CHAN_CONTROL);
}

static int nt_bad_rndis_init_on_data(struct nt *nt)
{
	nt_rndis_init_msg(nt);
	return nt_rndis(nt, HVK_NVSP_CHAN_DATA);
}

static int nt_bad_keepalive_c(struct nt *nt)
{
	nt_rndis_keepalive_c_msg(nt);
	return nt_rndis(nt, HVK_NVSP_CHAN_CONTROL);
}

static int nt_bad_subchannels(struct nt *nt)
{
	struct hvk_nvsp_msg m = { .type = HVK_NVSP5_SUBCHANNEL };

	m.subchannel.op = HVK_NVSP_SUBCHANNEL_ALLOCATE;
	m.subchannel.num = HVK_MAX_SUBCHANNELS;
	return nt_nvsp(nt, &m);
}

/*
 * One sub-channel granted and opened; then NVSP INIT on it, where only
 * data and completions may go.
 */
static int nt_bad_control_on_sc(struct nt *nt)
{
	struct hvk_nvsp_msg m = { .type = HVK_NVSP5_SUBCHANNEL };
	int ret;

	hvk_channel_set_subchannel_cbs(nt->ch, nt_sc_added, nt_sc_removed, nt);
	m.subchannel.op = HVK_NVSP_SUBCHANNEL_ALLOCATE;
	m.subchannel.num = 1;
	ret = nt_nvsp(nt, &m);
	if (!ret && nt_status(nt) != HVK_NVSP_STAT_SUCCESS)
		ret = -EPROTO;
	if (!ret && !wait_event_timeout(nt->wq, READ_ONCE(nt->sc), NT_WAIT))
		ret = -ENXIO;
	if (!ret) {
		memset(&m, 0, sizeof(m));
		m.type = HVK_NVSP_INIT;
		m.init.min_ver = HVK_NVSP_V61;
		m.init.max_ver = HVK_NVSP_V61;
		ret = nt_nvsp_on(nt, READ_ONCE(nt->sc), &m);
	} else {
		ret = -ECHILD;	/* the setup failed, not the bad step */
	}
	/* Closes the sub-channel (nt_sc_removed()). */
	hvk_channel_set_subchannel_cbs(nt->ch, NULL, NULL, NULL);
	return ret;
}

static int nt_bad_switch_dp(struct nt *nt)
{
	struct hvk_nvsp_msg m = { .type = HVK_NVSP4_SWITCH_DATA_PATH };
	u32 dp = HVK_NVSP_DATAPATH_VF;

	memcpy(m.raw, &dp, sizeof(dp));
	return nt_nvsp(nt, &m);
}

static int nt_bad_unknown_type(struct nt *nt)
{
	struct hvk_nvsp_msg m = { .type = 999 };

	return nt_nvsp(nt, &m);
}

static int nt_bad_host_type(struct nt *nt)
{
	struct hvk_nvsp_msg m = { .type = HVK_NVSP_INIT_COMPLETE };

	m.init_complete.status = HVK_NVSP_STAT_SUCCESS;
	return nt_nvsp(nt, &m);
}

static const struct nt_case nt_cases[] = {
	{ "before_init", 0, NT_NONE, nt_bad_recv_buf_no_init },
	{ "init_twice", HVK_NVSP_V61, NT_INIT, nt_bad_init_again },
	{ "bad_version", 0, NT_NONE, nt_bad_version },
	{ "ndis_version", HVK_NVSP_V61, NT_INIT, nt_bad_ndis_ver },
	{ "ndis_mtu", HVK_NVSP_V61, NT_INIT, nt_bad_ndis_mtu },
	{ "recv_buf_limit", HVK_NVSP_V2, NT_INIT, nt_bad_recv_buf_big },
	{ "section_size", HVK_NVSP_V61, NT_BOTH, nt_bad_section_size },
	{ "section_index", HVK_NVSP_V61, NT_BOTH, nt_bad_section_index },
	{ "rndis_no_recv_buf", HVK_NVSP_V61, NT_INIT, nt_bad_rndis_init },
	{ "rndis_data_on_control", HVK_NVSP_V61, NT_RECV, nt_bad_rndis_data_on_ctrl },
	{ "rndis_control_on_data", HVK_NVSP_V61, NT_RECV, nt_bad_rndis_init_on_data },
	{ "keepalive_unasked", HVK_NVSP_V61, NT_RECV, nt_bad_keepalive_c },
	{ "subchannel_before_v5", HVK_NVSP_V4, NT_RECV, nt_bad_subchannels },
	{ "subchannel_too_many", HVK_NVSP_V61, NT_RECV, nt_bad_subchannels },
	{ "control_on_subchannel", HVK_NVSP_V61, NT_RECV, nt_bad_control_on_sc },
	{ "switch_dp_before_v4", HVK_NVSP_V2, NT_INIT, nt_bad_switch_dp },
	{ "unknown_type", HVK_NVSP_V61, NT_INIT, nt_bad_unknown_type },
	{ "host_type", HVK_NVSP_V61, NT_INIT, nt_bad_host_type },
};

/* Under nt->lock: one case, its outcome in nt->result. */
static void nt_run(struct nt *nt, const struct nt_case *c)
{
	const char *step = "open";
	int ret;

	hvk_channel_set_rescind_cb(nt->ch, nt_rescinded, nt);
	ret = hvk_channel_open(nt->ch, NT_RING, NT_RING, NULL, 0, nt_callback, nt);
	if (ret)
		goto out;
	step = "NVSP INIT";
	if (c->setup >= NT_INIT)
		ret = nt_init(nt, c->ver);
	step = "receive buffer";
	if (!ret && c->setup >= NT_RECV)
		ret = nt_buf(nt, true, NT_BUF);
	step = "send buffer";
	if (!ret && c->setup >= NT_BOTH)
		ret = nt_buf(nt, false, NT_BUF);
	if (!ret) {
		step = NULL;
		ret = c->bad(nt);
	}
	nt_close(nt);
out:
	if (!step && !ret)
		snprintf(nt->result, sizeof(nt->result), "status %u\n", nt_status(nt));
	else if (!step && ret == -ETIMEDOUT)
		snprintf(nt->result, sizeof(nt->result), "none\n");
	else
		snprintf(nt->result, sizeof(nt->result), "error %s %d\n", step ?: "bad step", ret);
}

static ssize_t nvsp_case_store(struct device *dev, struct device_attribute *attr,
			       const char *buf, size_t count)
{
	struct nt *nt = dev_get_drvdata(dev);
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(nt_cases); i++)
		if (sysfs_streq(buf, nt_cases[i].name))
			break;
	if (i == ARRAY_SIZE(nt_cases))
		return -EINVAL;
	mutex_lock(&nt->lock);
	nt_run(nt, &nt_cases[i]);
	mutex_unlock(&nt->lock);
	return count;
}

static ssize_t nvsp_case_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct nt *nt = dev_get_drvdata(dev);
	ssize_t n;

	mutex_lock(&nt->lock);
	n = sysfs_emit(buf, "%s", nt->result);
	mutex_unlock(&nt->lock);
	return n;
}
static DEVICE_ATTR_RW(nvsp_case);

static int nt_probe(struct hvk_device *hdev, const struct hv_vmbus_device_id *id)
{
	struct nt *nt;
	int ret = -ENOMEM;

	nt = kzalloc(sizeof(*nt), GFP_KERNEL);
	if (!nt)
		return -ENOMEM;
	nt->hdev = hdev;
	nt->ch = hdev->channel;
	mutex_init(&nt->lock);
	spin_lock_init(&nt->rlock);
	init_waitqueue_head(&nt->wq);
	INIT_WORK(&nt->rx_work, nt_rx_work);
	INIT_WORK(&nt->sc_work, nt_sc_work);
	strscpy(nt->result, "none run\n", sizeof(nt->result));
	nt->rxpkt = kvmalloc(HVK_PKT_MAX_LEN, GFP_KERNEL);
	nt->scpkt = kvmalloc(HVK_PKT_MAX_LEN, GFP_KERNEL);
	nt->rndis = kzalloc(NT_RNDIS_LEN, GFP_KERNEL);
	if (!nt->rxpkt || !nt->scpkt || !nt->rndis)
		goto err;
	dev_set_drvdata(&hdev->dev, nt);
	ret = device_create_file(&hdev->dev, &dev_attr_nvsp_case);
	if (ret)
		goto err;
	return 0;
err:
	kfree(nt->rndis);
	kvfree(nt->scpkt);
	kvfree(nt->rxpkt);
	kfree(nt);
	return ret;
}

static void nt_remove(struct hvk_device *hdev)
{
	struct nt *nt = dev_get_drvdata(&hdev->dev);

	/* Waits for a case under way: the channel is closed after each. */
	device_remove_file(&hdev->dev, &dev_attr_nvsp_case);
	kfree(nt->rndis);
	kvfree(nt->scpkt);
	kvfree(nt->rxpkt);
	kfree(nt);
}

/* Hyper-V's synthetic NIC class, f8615163-df3e-46c5-913f-f2d2f965ed0e. No MODULE_DEVICE_TABLE. */
static const struct hv_vmbus_device_id nt_ids[] = {
	{ .guid = GUID_INIT(0xf8615163, 0xdf3e, 0x46c5,
			    0x91, 0x3f, 0xf2, 0xd2, 0xf9, 0x65, 0xed, 0x0e) },
	{ },
};

static struct hvk_driver nt_driver = {
	.name = "hvkit_nvsp_test",
	.id_table = nt_ids,
	.probe = nt_probe,
	.remove = nt_remove,
};

static int __init nt_mod_init(void)
{
	return hvk_driver_register(&nt_driver);
}

static void __exit nt_mod_exit(void)
{
	hvk_driver_unregister(&nt_driver);
}

module_init(nt_mod_init);
module_exit(nt_mod_exit);
MODULE_DESCRIPTION("hvkit test: a synthetic NIC guest that breaks the host's rules");
MODULE_LICENSE("GPL");
