// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suites for the VMBus core's pure logic, run in the kernel with its
 * own barriers and allocators (make check-debug boots a kernel with KUnit,
 * KASAN and lockdep): ring indices and signalling rules, host message
 * validation, GPADL splitting; and the integration services' (hvkit_utils
 * exports its wire code for them): IC negotiation, the shutdown and time
 * sync checks.
 */
#include <kunit/test.h>
#include <linux/module.h>
#include <linux/vmalloc.h>
#include <hvkit/ring.h>
#include <hvkit/vmbus.h>
#include <hvkit/ic.h>
#include <hvkit/ic_sdts.h>

struct kring {
	struct hvk_ring_ctl *ctl;
	u8 *data;
	struct hvk_ring prod, cons;
};

static struct kring *kring_new(struct kunit *test, u32 size)
{
	struct kring *k = kunit_kzalloc(test, sizeof(*k), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, k);
	k->ctl = kunit_kzalloc(test, sizeof(*k->ctl), GFP_KERNEL);
	k->data = kunit_kzalloc(test, size, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, k->ctl);
	KUNIT_ASSERT_NOT_NULL(test, k->data);
	KUNIT_ASSERT_EQ(test, 0, hvk_ring_init(&k->prod, k->ctl, k->data, size, true));
	KUNIT_ASSERT_EQ(test, 0, hvk_ring_init(&k->cons, k->ctl, k->data, size, false));
	return k;
}

static int kring_put(struct hvk_ring *r, u64 id, u32 paylen, bool *sig)
{
	u8 buf[256] = {};
	struct hvk_pkt_desc *d = (void *)buf;
	struct hvk_kvec v = { buf, sizeof(*d) + paylen };

	d->type = HVK_PKT_DATA_INBAND;
	d->offset8 = 2;
	d->len8 = (sizeof(*d) + paylen + 7) / 8;
	d->trans_id = id;
	return hvk_ring_write(r, &v, 1, sig);
}

static void ring_round_trip(struct kunit *test)
{
	struct kring *k = kring_new(test, 4096);
	u8 out[256];
	u32 len;
	bool sig;

	KUNIT_EXPECT_EQ(test, -EAGAIN, hvk_ring_read(&k->cons, out, sizeof(out), &len));
	KUNIT_EXPECT_EQ(test, 0, kring_put(&k->prod, 42, 20, &sig));
	KUNIT_EXPECT_TRUE(test, sig);
	KUNIT_EXPECT_EQ(test, 0, hvk_ring_read(&k->cons, out, sizeof(out), &len));
	KUNIT_EXPECT_EQ(test, 40u, len);
	KUNIT_EXPECT_EQ(test, 42ull, ((struct hvk_pkt_desc *)out)->trans_id);
	KUNIT_EXPECT_EQ(test, 48u, k->ctl->write_index);	/* 40 + trailer */
}

static void ring_signals_only_when_needed(struct kunit *test)
{
	struct kring *k = kring_new(test, 4096);
	u8 out[256];
	u32 len;
	bool sig;

	kring_put(&k->prod, 1, 8, &sig);
	KUNIT_EXPECT_TRUE(test, sig);
	kring_put(&k->prod, 2, 8, &sig);
	KUNIT_EXPECT_FALSE(test, sig);
	hvk_ring_mask(&k->cons);
	hvk_ring_read(&k->cons, out, sizeof(out), &len);
	hvk_ring_read(&k->cons, out, sizeof(out), &len);
	hvk_ring_commit(&k->cons);
	kring_put(&k->prod, 3, 8, &sig);
	KUNIT_EXPECT_FALSE(test, sig);		/* masked */
	KUNIT_EXPECT_NE(test, 0u, hvk_ring_unmask(&k->cons));
}

static void ring_pending_send_size(struct kunit *test)
{
	struct kring *k = kring_new(test, 1024);
	u8 out[256];
	u32 len;
	bool sig;
	int i;

	for (i = 0; i < 5; i++)
		KUNIT_ASSERT_EQ(test, 0, kring_put(&k->prod, i, 160, &sig));	/* 184 each */
	KUNIT_EXPECT_EQ(test, -EAGAIN, kring_put(&k->prod, 9, 160, &sig));
	KUNIT_EXPECT_FALSE(test, hvk_ring_set_pending(&k->prod, 300));	/* 104 free */
	hvk_ring_read(&k->cons, out, sizeof(out), &len);
	KUNIT_EXPECT_FALSE(test, hvk_ring_commit(&k->cons));	/* 288: short */
	hvk_ring_read(&k->cons, out, sizeof(out), &len);
	KUNIT_EXPECT_TRUE(test, hvk_ring_commit(&k->cons));	/* 472: crossed */
	hvk_ring_read(&k->cons, out, sizeof(out), &len);
	KUNIT_EXPECT_FALSE(test, hvk_ring_commit(&k->cons));	/* was not short */
}

static void ring_corruption_is_sticky(struct kunit *test)
{
	struct kring *k = kring_new(test, 4096);
	u8 out[64];
	u32 len;

	WRITE_ONCE(k->ctl->write_index, 4096);
	KUNIT_EXPECT_EQ(test, -EBADMSG, hvk_ring_read(&k->cons, out, sizeof(out), &len));
	WRITE_ONCE(k->ctl->write_index, 0);
	KUNIT_EXPECT_EQ(test, -EBADMSG, hvk_ring_read(&k->cons, out, sizeof(out), &len));
	KUNIT_EXPECT_STREQ(test, "write index outside the ring", k->cons.broken);
}

static struct kunit_case ring_cases[] = {
	KUNIT_CASE(ring_round_trip),
	KUNIT_CASE(ring_signals_only_when_needed),
	KUNIT_CASE(ring_pending_send_size),
	KUNIT_CASE(ring_corruption_is_sticky),
	{}
};

static struct kunit_suite ring_suite = {
	.name = "hvkit_ring",
	.test_cases = ring_cases,
};

static void chanmsg_offer_checks(struct kunit *test)
{
	struct hvk_msg_offer o = {};

	o.hdr.msgtype = HVK_CHANMSG_OFFERCHANNEL;
	o.child_relid = 3;
	KUNIT_EXPECT_NULL(test, hvk_chanmsg_check(&o, sizeof(o)));
	KUNIT_EXPECT_NOT_NULL(test, hvk_chanmsg_check(&o, sizeof(o) - 1));
	o.child_relid = HVK_MAX_RELID + 1;
	KUNIT_EXPECT_NOT_NULL(test, hvk_chanmsg_check(&o, sizeof(o)));
	o.child_relid = 3;
	o.offer.sub_channel_index = HVK_MAX_SUBCHANNELS;
	KUNIT_EXPECT_NOT_NULL(test, hvk_chanmsg_check(&o, sizeof(o)));
}

static void chanmsg_types_checks(struct kunit *test)
{
	struct hvk_chanmsg_hdr h = { .msgtype = HVK_CHANMSG_OPENCHANNEL };

	KUNIT_EXPECT_NOT_NULL(test, hvk_chanmsg_check(&h, sizeof(h)));
	h.msgtype = HVK_CHANMSG_ALLOFFERS_DELIVERED;
	KUNIT_EXPECT_NULL(test, hvk_chanmsg_check(&h, sizeof(h)));
	KUNIT_EXPECT_NOT_NULL(test, hvk_chanmsg_check(&h, 4));
}

static struct kunit_case chanmsg_cases[] = {
	KUNIT_CASE(chanmsg_offer_checks),
	KUNIT_CASE(chanmsg_types_checks),
	{}
};

static struct kunit_suite chanmsg_suite = {
	.name = "hvkit_chanmsg",
	.test_cases = chanmsg_cases,
};

static void gpadl_split(struct kunit *test)
{
	u32 npfns, total, msg, n;

	KUNIT_EXPECT_EQ(test, 1u, hvk_gpadl_msg_pfns(1, 0));
	KUNIT_EXPECT_EQ(test, 0u, hvk_gpadl_msg_pfns(1, 1));
	KUNIT_EXPECT_EQ(test, 26u, hvk_gpadl_msg_pfns(26, 0));
	KUNIT_EXPECT_EQ(test, 0u, hvk_gpadl_msg_pfns(26, 1));
	KUNIT_EXPECT_EQ(test, 1u, hvk_gpadl_msg_pfns(27, 1));
	KUNIT_EXPECT_EQ(test, 28u, hvk_gpadl_msg_pfns(26 + 28 + 1, 1));
	KUNIT_EXPECT_EQ(test, 1u, hvk_gpadl_msg_pfns(26 + 28 + 1, 2));
	/* Every page goes out exactly once, for every size up to the limit. */
	for (npfns = 1; npfns <= 8190; npfns += 37) {
		for (total = 0, msg = 0; (n = hvk_gpadl_msg_pfns(npfns, msg)); msg++)
			total += n;
		KUNIT_EXPECT_EQ(test, npfns, total);
	}
}

static struct kunit_case gpadl_cases[] = {
	KUNIT_CASE(gpadl_split),
	{}
};

static struct kunit_suite gpadl_suite = {
	.name = "hvkit_gpadl",
	.test_cases = gpadl_cases,
};

/* ---- IC negotiation (hvk_ic_negotiate(), from hvkit_utils) ---- */
#define V(maj, min)	HVK_IC_VER(maj, min)

static const u32 ic_fw[] = { V(3, 0), V(1, 0) };
static const u32 ic_sd[] = { V(3, 2), V(3, 1), V(3, 0), V(1, 0) };
static const u32 ic_ts[] = { V(4, 0), V(3, 0), V(1, 0) };

/* A host's negotiate request, in a buffer of exactly its size (KASAN). */
static u8 *ic_request(struct kunit *test, const u32 *fw, u32 nfw, const u32 *srv, u32 nsrv,
		      u32 *len)
{
	u32 room = HVK_IC_HDRS + sizeof(struct hvk_ic_negotiate) + 4 * (nfw + nsrv);
	u8 *m = kunit_kzalloc(test, room, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, m);
	KUNIT_ASSERT_EQ(test, (int)room,
			hvk_ic_negotiate_request(m, room, HVK_ICMSG_NEGOTIATE, 0, fw, nfw, srv, nsrv));
	*len = room;
	return m;
}

static u16 ic_count(const u8 *m, bool srv)
{
	struct hvk_ic_negotiate n;

	memcpy(&n, m + HVK_IC_HDRS, sizeof(n));
	return srv ? n.icmsg_vercnt : n.icframe_vercnt;
}

static void ic_newest_first(struct kunit *test)
{
	static const u32 old_first[] = { V(1, 0), V(3, 0), V(3, 1), V(3, 2) };
	static const u32 fw_old_first[] = { V(1, 0), V(3, 0) };
	u32 len, fw, srv, rlen, f2, s2;
	u8 *m;

	/* The host lists oldest first: the guest's preference wins. */
	m = ic_request(test, fw_old_first, 2, old_first, 4, &len);
	KUNIT_EXPECT_EQ(test, 0, hvk_ic_negotiate(m, len, ic_fw, 2, ic_sd, 4, &fw, &srv, &rlen));
	KUNIT_EXPECT_EQ(test, V(3, 0), fw);
	KUNIT_EXPECT_EQ(test, V(3, 2), srv);
	KUNIT_EXPECT_EQ(test, (u32)HVK_IC_HDRS + 16, rlen);
	KUNIT_EXPECT_EQ(test, 1, ic_count(m, false));
	KUNIT_EXPECT_EQ(test, 1, ic_count(m, true));
	KUNIT_EXPECT_EQ(test, 0, hvk_ic_negotiate_response(m, rlen, fw_old_first, 2, old_first, 4,
							    &f2, &s2));
	KUNIT_EXPECT_EQ(test, fw, f2);
	KUNIT_EXPECT_EQ(test, srv, s2);
}

static void ic_fallbacks(struct kunit *test)
{
	u32 len, fw, srv, rlen, i;
	u8 *m;

	/* A host pinned to any one version gets exactly that one. */
	for (i = 0; i < ARRAY_SIZE(ic_ts); i++) {
		m = ic_request(test, &ic_fw[1], 1, &ic_ts[i], 1, &len);
		KUNIT_EXPECT_EQ(test, 0, hvk_ic_negotiate(m, len, ic_fw, 2, ic_ts, 3, &fw, &srv,
							  &rlen));
		KUNIT_EXPECT_EQ(test, V(1, 0), fw);
		KUNIT_EXPECT_EQ(test, ic_ts[i], srv);
	}
}

static void ic_no_common_version(struct kunit *test)
{
	static const u32 fw9[] = { V(9, 0) }, srv9[] = { V(9, 9) };
	u32 len, fw = 1, srv = 1, rlen;
	struct hvk_ic_hdr h;
	u8 *m;

	m = ic_request(test, ic_fw, 2, srv9, 1, &len);
	KUNIT_EXPECT_EQ(test, -ENOENT, hvk_ic_negotiate(m, len, ic_fw, 2, ic_ts, 3, &fw, &srv,
							&rlen));
	KUNIT_EXPECT_EQ(test, 0u, fw);
	KUNIT_EXPECT_EQ(test, 0u, srv);
	KUNIT_EXPECT_EQ(test, (u32)HVK_IC_HDRS + 16, rlen);
	KUNIT_EXPECT_EQ(test, 0, ic_count(m, false));
	KUNIT_EXPECT_EQ(test, 0, ic_count(m, true));
	memcpy(&h, m + sizeof(struct hvk_ic_pipe_hdr), sizeof(h));
	KUNIT_EXPECT_EQ(test, HVK_E_FAIL, h.status);
	m = ic_request(test, fw9, 1, ic_ts, 3, &len);
	KUNIT_EXPECT_EQ(test, -ENOENT, hvk_ic_negotiate(m, len, ic_fw, 2, ic_ts, 3, &fw, &srv,
							&rlen));
}

static void ic_counts_past_100(struct kunit *test)
{
	u32 *vers = kunit_kcalloc(test, 101, sizeof(u32), GFP_KERNEL);
	u32 len, fw, srv, rlen, i;
	u8 *m;

	KUNIT_ASSERT_NOT_NULL(test, vers);
	for (i = 0; i < 101; i++)
		vers[i] = V(8, i);
	vers[99] = V(3, 0);
	/* 100 of each is the most upstream reads, and read in full. */
	m = ic_request(test, vers, 100, vers, 100, &len);
	KUNIT_EXPECT_EQ(test, 0, hvk_ic_negotiate(m, len, ic_fw, 2, ic_ts, 3, &fw, &srv, &rlen));
	KUNIT_EXPECT_EQ(test, V(3, 0), srv);
	/* 101 framework or service versions: malformed, answered with none. */
	m = ic_request(test, vers, 101, vers, 1, &len);
	KUNIT_EXPECT_EQ(test, -EBADMSG, hvk_ic_negotiate(m, len, ic_fw, 2, ic_ts, 3, &fw, &srv,
							 &rlen));
	KUNIT_EXPECT_EQ(test, (u32)HVK_IC_HDRS + 16, rlen);
	KUNIT_EXPECT_EQ(test, 0, ic_count(m, true));
	m = ic_request(test, vers, 1, vers, 101, &len);
	KUNIT_EXPECT_EQ(test, -EBADMSG, hvk_ic_negotiate(m, len, ic_fw, 2, ic_ts, 3, &fw, &srv,
							 &rlen));
}

static void ic_list_past_message(struct kunit *test)
{
	struct hvk_ic_negotiate n;
	u32 len, fw, srv, rlen;
	u8 *m;

	m = ic_request(test, ic_fw, 2, ic_ts, 3, &len);
	memcpy(&n, m + HVK_IC_HDRS, sizeof(n));
	n.icmsg_vercnt = 4;	/* one more than the message holds */
	memcpy(m + HVK_IC_HDRS, &n, sizeof(n));
	KUNIT_EXPECT_EQ(test, -EBADMSG, hvk_ic_negotiate(m, len, ic_fw, 2, ic_ts, 3, &fw, &srv,
							 &rlen));
	KUNIT_EXPECT_EQ(test, 0u, srv);
	/* The same list in a message one byte short of it. */
	m = ic_request(test, ic_fw, 2, ic_ts, 3, &len);
	KUNIT_EXPECT_EQ(test, -EBADMSG, hvk_ic_negotiate(m, len - 1, ic_fw, 2, ic_ts, 3, &fw,
							 &srv, &rlen));
}

static void ic_too_short_to_answer(struct kunit *test)
{
	u32 len, fw, srv, rlen, cut;
	u8 *m, *copy;

	m = ic_request(test, ic_fw, 1, NULL, 0, &len);	/* one version: no room for two */
	copy = kunit_kmalloc(test, len, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, copy);
	memcpy(copy, m, len);
	for (cut = 0; cut <= len; cut++) {
		KUNIT_EXPECT_EQ(test, -EBADMSG, hvk_ic_negotiate(m, cut, ic_fw, 2, ic_ts, 3, &fw,
								 &srv, &rlen));
		KUNIT_EXPECT_EQ(test, 0u, rlen);
	}
	KUNIT_EXPECT_EQ(test, 0, memcmp(copy, m, len));	/* nothing written */
}

static struct kunit_case ic_cases[] = {
	KUNIT_CASE(ic_newest_first),
	KUNIT_CASE(ic_fallbacks),
	KUNIT_CASE(ic_no_common_version),
	KUNIT_CASE(ic_counts_past_100),
	KUNIT_CASE(ic_list_past_message),
	KUNIT_CASE(ic_too_short_to_answer),
	{}
};

static struct kunit_suite ic_suite = {
	.name = "hvkit_ic",
	.test_cases = ic_cases,
};

/* ---- Shutdown and time sync checks (hvkit_utils' sdts_wire.c) ---- */
static void sd_flags_and_length(struct kunit *test)
{
	struct hvk_ic_shutdown *m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	struct hvk_sd_request r;
	u32 f;

	KUNIT_ASSERT_NOT_NULL(test, m);
	for (f = 0; f < 8; f++) {
		m->flags = f;
		if (f > 5) {
			KUNIT_EXPECT_EQ(test, -EINVAL, hvk_sd_parse((u8 *)m, sizeof(*m), &r));
			continue;
		}
		KUNIT_EXPECT_EQ(test, 0, hvk_sd_parse((u8 *)m, sizeof(*m), &r));
		KUNIT_EXPECT_EQ(test, (int)(f >> 1), (int)r.action);
		KUNIT_EXPECT_EQ(test, (bool)(f & 1), r.force);
	}
	m->flags = 0;
	KUNIT_EXPECT_EQ(test, -EBADMSG, hvk_sd_parse((u8 *)m, sizeof(*m) - 1, &r));
	KUNIT_EXPECT_EQ(test, -EBADMSG, hvk_sd_parse((u8 *)m, 12, &r));
}

static void sd_message_is_bounded(struct kunit *test)
{
	struct hvk_ic_shutdown *m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	char out[8];
	u32 i;

	KUNIT_ASSERT_NOT_NULL(test, m);
	for (i = 0; i < sizeof(m->display_message); i += 2)
		m->display_message[i] = 'a' + (i / 2) % 26;	/* no NUL anywhere */
	m->display_message[2] = '\n';
	KUNIT_EXPECT_EQ(test, 7u, hvk_sd_message(m->display_message, sizeof(m->display_message),
						 out, sizeof(out)));
	KUNIT_EXPECT_STREQ(test, "a?cdefg", out);
}

static void ts_lengths_and_range(struct kunit *test)
{
	u8 *b = kunit_kzalloc(test, sizeof(struct hvk_ic_timesync), GFP_KERNEL);
	struct hvk_ts_sample s;
	s64 ns;

	KUNIT_ASSERT_NOT_NULL(test, b);
	KUNIT_EXPECT_EQ(test, 0, hvk_ts_parse(b, sizeof(struct hvk_ic_timesync_ref),
					      HVK_IC_TS_4_0, &s));
	KUNIT_EXPECT_TRUE(test, s.has_ref);
	KUNIT_EXPECT_EQ(test, -EBADMSG, hvk_ts_parse(b, sizeof(struct hvk_ic_timesync_ref) - 1,
						     HVK_IC_TS_4_0, &s));
	KUNIT_EXPECT_EQ(test, -EBADMSG, hvk_ts_parse(b, sizeof(struct hvk_ic_timesync_ref),
						     HVK_IC_TS_3_0, &s));
	KUNIT_EXPECT_EQ(test, 0, hvk_ts_parse(b, sizeof(struct hvk_ic_timesync), HVK_IC_TS_1_0,
					      &s));
	KUNIT_EXPECT_FALSE(test, s.has_ref);
	KUNIT_EXPECT_EQ(test, 0, hvk_ts_unix_ns(HVK_WLTIMEDELTA + 10, 5, &ns));
	KUNIT_EXPECT_EQ(test, 1500LL, ns);
	KUNIT_EXPECT_EQ(test, -ERANGE, hvk_ts_unix_ns(HVK_WLTIMEDELTA - 1, 0, &ns));
	KUNIT_EXPECT_EQ(test, -ERANGE, hvk_ts_unix_ns(U64_MAX, 0, &ns));
	KUNIT_EXPECT_EQ(test, -ERANGE, hvk_ts_unix_ns(HVK_WLTIMEDELTA, U64_MAX, &ns));
}

static struct kunit_case sdts_cases[] = {
	KUNIT_CASE(sd_flags_and_length),
	KUNIT_CASE(sd_message_is_bounded),
	KUNIT_CASE(ts_lengths_and_range),
	{}
};

static struct kunit_suite sdts_suite = {
	.name = "hvkit_sdts",
	.test_cases = sdts_cases,
};

kunit_test_suites(&ring_suite, &chanmsg_suite, &gpadl_suite, &ic_suite, &sdts_suite);
MODULE_DESCRIPTION("hvkit KUnit suites");
MODULE_LICENSE("GPL");
