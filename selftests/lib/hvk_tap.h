/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TAP for guest selftests written in C or C++:
 *
 *	hvk_plan(2);
 *	hvk_check(fd >= 0, "the device opens");
 *	hvk_checkf(n == 4, "register returns a version", "read %zd bytes", n);
 *	return hvk_done();
 */
#ifndef _HVK_TAP_H
#define _HVK_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int hvk_tap_n, hvk_tap_failed;

static inline void hvk_plan(int n)
{
	printf("1..%d\n", n);
	fflush(stdout);
}

static inline void hvk_vresult(int ok, const char *name, const char *fmt, va_list ap)
{
	hvk_tap_n++;
	if (!ok)
		hvk_tap_failed++;
	printf("%sok %d %s\n", ok ? "" : "not ", hvk_tap_n, name);
	if (!ok && fmt) {
		printf("# ");
		vprintf(fmt, ap);
		printf("\n");
	}
	fflush(stdout);
}

static inline void hvk_checkf(int ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	hvk_vresult(ok, name, fmt, ap);
	va_end(ap);
}

#define hvk_check(ok, name) hvk_checkf((ok), (name), NULL)

static inline void hvk_skip(const char *name, const char *why)
{
	printf("ok %d %s # SKIP %s\n", ++hvk_tap_n, name, why);
	fflush(stdout);
}

static inline int hvk_done(void)
{
	return hvk_tap_failed ? 1 : 0;
}

#endif /* _HVK_TAP_H */
