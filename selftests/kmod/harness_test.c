// SPDX-License-Identifier: GPL-2.0
/*
 * Proves that the guest test runner catches a kernel warning: with warn=1
 * this module's load hits WARN_ON, which the runner must report as a
 * failure. Loaded only by the harness self-test, never by the suite.
 */
#include <linux/module.h>
#include <linux/bug.h>

static bool warn;
module_param(warn, bool, 0444);
MODULE_PARM_DESC(warn, "hit a WARN_ON at load");

static int __init harness_test_init(void)
{
	WARN_ON(warn);
	return 0;
}

static void __exit harness_test_exit(void)
{
}

module_init(harness_test_init);
module_exit(harness_test_exit);
MODULE_DESCRIPTION("hvkit test-harness self-check");
MODULE_LICENSE("GPL");
