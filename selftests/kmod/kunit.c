// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suites for the VMBus core's pure logic, run in the kernel with its
 * own barriers and allocators (make check-debug boots a kernel with KUnit,
 * KASAN and lockdep): ring indices and signalling rules, host message
 * validation, GPADL splitting.
 */
#include <kunit/test.h>
#include <linux/module.h>
#include <linux/vmalloc.h>
#include <hvkit/ring.h>
#include <hvkit/vmbus.h>

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

kunit_test_suites(&ring_suite, &chanmsg_suite, &gpadl_suite);
MODULE_DESCRIPTION("hvkit KUnit suites");
MODULE_LICENSE("GPL");
