// SPDX-License-Identifier: GPL-2.0
/*
 * Proves that the test harness catches kernel bugs: each parameter plants
 * one at load, which the runner must report as a failure. Loaded only by
 * the harness self-checks, never by the suite.
 *   warn=1     a WARN_ON (any kernel)
 *   uaf=1      a use-after-free (caught by KASAN: make check-debug)
 *   lockinv=1  a lock-order inversion (caught by lockdep: make check-debug)
 */
#include <linux/module.h>
#include <linux/bug.h>
#include <linux/mutex.h>
#include <linux/slab.h>

static bool warn;
module_param(warn, bool, 0444);
MODULE_PARM_DESC(warn, "hit a WARN_ON at load");

static bool uaf;
module_param(uaf, bool, 0444);
MODULE_PARM_DESC(uaf, "read freed memory at load");

static bool lockinv;
module_param(lockinv, bool, 0444);
MODULE_PARM_DESC(lockinv, "take two locks in both orders at load");

static DEFINE_MUTEX(lock_a);
static DEFINE_MUTEX(lock_b);

static noinline int harness_uaf(void)
{
	int *p = kmalloc(sizeof(*p) * 8, GFP_KERNEL);
	int v;

	if (!p)
		return 0;
	p[3] = 7;
	kfree(p);
	v = READ_ONCE(p[3]);	/* the bug */
	return v;
}

static noinline void harness_lockinv(void)
{
	mutex_lock(&lock_a);
	mutex_lock(&lock_b);
	mutex_unlock(&lock_b);
	mutex_unlock(&lock_a);
	/* The other order: lockdep reports the possible deadlock. */
	mutex_lock(&lock_b);
	mutex_lock(&lock_a);
	mutex_unlock(&lock_a);
	mutex_unlock(&lock_b);
}

static int __init harness_test_init(void)
{
	WARN_ON(warn);
	if (uaf)
		pr_info("hvkit_harness_test: read %d from freed memory\n", harness_uaf());
	if (lockinv)
		harness_lockinv();
	return 0;
}

static void __exit harness_test_exit(void)
{
}

module_init(harness_test_init);
module_exit(harness_test_exit);
MODULE_DESCRIPTION("hvkit test-harness self-check");
MODULE_LICENSE("GPL");
