// SPDX-License-Identifier: GPL-2.0
/* 6.13: hrtimer_setup() sets the callback with the clock and mode (6.16 drops hrtimer_init()). */
#include <linux/hrtimer.h>

static enum hrtimer_restart probe_fn(struct hrtimer *t)
{
	return HRTIMER_NORESTART;
}

static void __maybe_unused probe_setup(struct hrtimer *t)
{
	hrtimer_setup(t, probe_fn, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
}
