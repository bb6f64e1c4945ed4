// SPDX-License-Identifier: GPL-2.0
/*
 * In-kernel tests of the shared ring buffer (drivers/vmbus/ring.c): the same
 * code the host-side unit tests run, here with kernel barriers, kthreads on
 * two CPUs and the real signalling rules standing in for interrupts.
 * Results are TAP in the kernel log; the load fails if any test fails.
 */
#include <linux/module.h>
#include <linux/kthread.h>
#include <linux/vmalloc.h>
#include <linux/wait.h>
#include <linux/completion.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <hvkit/ring.h>

static unsigned int packets = 200000;
module_param(packets, uint, 0444);
MODULE_PARM_DESC(packets, "packets the two-thread test moves");

static unsigned int ring_pages = 4;
module_param(ring_pages, uint, 0444);
MODULE_PARM_DESC(ring_pages, "data pages of the test ring");

static int tap_n, tap_failed;

static void tap(bool ok, const char *name)
{
	tap_n++;
	if (!ok)
		tap_failed++;
	pr_info("%sok %d %s\n", ok ? "" : "not ", tap_n, name);
}

struct tring {
	struct hvk_ring_ctl *ctl;
	u8 *data;
	u32 size;
	struct hvk_ring prod, cons;
};

static int tring_alloc(struct tring *t, u32 size)
{
	t->ctl = vzalloc(sizeof(*t->ctl));
	t->data = vzalloc(size);
	t->size = size;
	if (!t->ctl || !t->data)
		return -ENOMEM;
	if (hvk_ring_init(&t->prod, t->ctl, t->data, size, true))
		return -EINVAL;
	return hvk_ring_init(&t->cons, t->ctl, t->data, size, false);
}

static void tring_free(struct tring *t)
{
	vfree(t->ctl);
	vfree(t->data);
}

struct pkt {
	struct hvk_pkt_desc desc;
	u8 payload[];
};

static u32 pkt_fill(u8 *buf, u64 seq, u32 paylen)
{
	struct pkt *p = (struct pkt *)buf;
	u32 i, len = round_up(sizeof(p->desc) + paylen, 8);

	memset(&p->desc, 0, sizeof(p->desc));
	p->desc.type = HVK_PKT_DATA_INBAND;
	p->desc.offset8 = sizeof(p->desc) / 8;
	p->desc.len8 = len / 8;
	p->desc.trans_id = seq;
	for (i = 0; i < len - sizeof(p->desc); i++)
		p->payload[i] = (u8)(seq * 31 + i);
	return len;
}

static bool pkt_check(const u8 *buf, u32 len, u64 seq)
{
	const struct pkt *p = (const struct pkt *)buf;
	u32 i;

	if (p->desc.trans_id != seq)
		return false;
	for (i = 0; i < len - sizeof(p->desc); i++)
		if (p->payload[i] != (u8)(seq * 31 + i))
			return false;
	return true;
}

/* One thread: fill and drain across the wrap point many times. */
static bool test_wrap(void)
{
	static u8 in[2048], out[2048];
	struct tring t;
	bool ok = true, sig;
	u64 seq;
	u32 len;

	if (tring_alloc(&t, 8192)) {
		tring_free(&t);
		return false;
	}
	for (seq = 0; seq < 5000 && ok; seq++) {
		u32 n = pkt_fill(in, seq, (seq * 37) % 1500);
		struct hvk_kvec v = { in, n };

		ok = !hvk_ring_write(&t.prod, &v, 1, &sig) &&
		     !hvk_ring_read(&t.cons, out, sizeof(out), &len) &&
		     len == n && pkt_check(out, len, seq);
		hvk_ring_commit(&t.cons);
	}
	tring_free(&t);
	return ok;
}

/* A corrupt producer index stops the consumer for good, with no access. */
static bool test_corrupt(void)
{
	struct tring t;
	u8 out[64];
	u32 len;
	bool ok;

	if (tring_alloc(&t, 8192)) {
		tring_free(&t);
		return false;
	}
	WRITE_ONCE(t.ctl->write_index, t.size + 8);
	ok = hvk_ring_read(&t.cons, out, sizeof(out), &len) == -EBADMSG &&
	     t.cons.broken;
	WRITE_ONCE(t.ctl->write_index, 0);
	ok = ok && hvk_ring_read(&t.cons, out, sizeof(out), &len) == -EBADMSG;
	tring_free(&t);
	return ok;
}

/*
 * Two threads. The producer, when full, sets pending_send_sz and sleeps;
 * the consumer masks, drains, commits, unmasks and sleeps. Each wakes the
 * other only when the ring's signalling rules say so: a missed signal
 * shows up as a stall, a wrong byte as a failure.
 */
struct duo {
	struct tring t;
	wait_queue_head_t prod_wq, cons_wq;
	atomic_t prod_kick, cons_kick;
	struct completion done;
	u64 received;
	bool bad;
	u64 prod_signals, cons_signals;
};

static int duo_consumer(void *arg)
{
	struct duo *d = arg;
	u8 *buf = kmalloc(HVK_PKT_MAX_LEN, GFP_KERNEL);
	u32 len;
	int ret;

	if (!buf) {
		d->bad = true;
		complete(&d->done);
		return 0;
	}
	while (d->received < packets && !d->bad) {
		hvk_ring_mask(&d->t.cons);
		do {
			while (!(ret = hvk_ring_read(&d->t.cons, buf, HVK_PKT_MAX_LEN, &len))) {
				if (!pkt_check(buf, len, d->received))
					d->bad = true;
				d->received++;
			}
			if (ret != -EAGAIN)
				d->bad = true;
			if (hvk_ring_commit(&d->t.cons)) {
				d->cons_signals++;
				atomic_set(&d->prod_kick, 1);
				wake_up(&d->prod_wq);
			}
		} while (hvk_ring_unmask(&d->t.cons) && !d->bad);
		if (d->received >= packets || d->bad)
			break;
		if (!wait_event_timeout(d->cons_wq,
					atomic_xchg(&d->cons_kick, 0) ||
					kthread_should_stop(), 10 * HZ))
			d->bad = true;	/* a lost wake-up */
		if (kthread_should_stop())
			break;
	}
	kfree(buf);
	complete(&d->done);
	return 0;
}

static int duo_producer(void *arg)
{
	struct duo *d = arg;
	u8 *buf = kmalloc(4096, GFP_KERNEL);
	u64 seq = 0;
	bool sig;
	int ret;

	if (!buf)
		return 0;
	while (seq < packets && !d->bad && !kthread_should_stop()) {
		u32 n = pkt_fill(buf, seq, get_random_u32_below(3000));
		struct hvk_kvec v = { buf, n };

		ret = hvk_ring_write(&d->t.prod, &v, 1, &sig);
		if (!ret) {
			seq++;
			if (sig) {
				d->prod_signals++;
				atomic_set(&d->cons_kick, 1);
				wake_up(&d->cons_wq);
			}
			continue;
		}
		if (ret != -EAGAIN) {
			d->bad = true;
			break;
		}
		if (hvk_ring_set_pending(&d->t.prod, hvk_ring_pkt_space(n)))
			continue;	/* space appeared meanwhile */
		if (!wait_event_timeout(d->prod_wq,
					atomic_xchg(&d->prod_kick, 0) ||
					kthread_should_stop(), 10 * HZ))
			d->bad = true;
		hvk_ring_set_pending(&d->t.prod, 0);
	}
	kfree(buf);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(HZ / 10);
	return 0;
}

static bool test_two_threads(void)
{
	struct task_struct *p, *c;
	struct duo *d;
	bool ok;

	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return false;
	init_waitqueue_head(&d->prod_wq);
	init_waitqueue_head(&d->cons_wq);
	init_completion(&d->done);
	if (tring_alloc(&d->t, ring_pages * PAGE_SIZE)) {
		tring_free(&d->t);
		kfree(d);
		return false;
	}
	c = kthread_create(duo_consumer, d, "hvk_ring_cons");
	p = kthread_create(duo_producer, d, "hvk_ring_prod");
	if (IS_ERR(c) || IS_ERR(p)) {
		if (!IS_ERR(c))
			kthread_stop(c);
		if (!IS_ERR(p))
			kthread_stop(p);
		tring_free(&d->t);
		kfree(d);
		return false;
	}
	if (num_online_cpus() > 1) {
		kthread_bind(c, 0);
		kthread_bind(p, 1);
	}
	get_task_struct(c);
	wake_up_process(c);
	wake_up_process(p);
	wait_for_completion(&d->done);
	kthread_stop(p);
	kthread_stop(c);
	put_task_struct(c);
	pr_info("# %llu packets, producer signals %llu, consumer signals %llu, ring full %llu times\n",
		d->received, d->prod_signals, d->cons_signals, d->t.prod.full);
	ok = !d->bad && d->received == packets;
	tring_free(&d->t);
	kfree(d);
	return ok;
}

static int __init ring_test_init(void)
{
	pr_info("TAP version 13\n");
	pr_info("1..3\n");
	tap(test_wrap(), "ring: packets of 16 to 1516 bytes cross the wrap point intact");
	tap(test_corrupt(), "ring: a write index past the ring stops the reader for good");
	tap(test_two_threads(), "ring: two CPUs move every packet in order with only the required signals");
	return tap_failed ? -EINVAL : 0;
}

static void __exit ring_test_exit(void)
{
}

module_init(ring_test_init);
module_exit(ring_test_exit);
MODULE_DESCRIPTION("hvkit ring buffer self-test");
MODULE_LICENSE("GPL");
