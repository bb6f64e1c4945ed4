/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few kernel primitives the shared protocol code needs, so that the same
 * sources build into the modules and into host-side tests, fuzzers and
 * benchmarks. In the style of the kernel's tools/include: kernel names,
 * userspace definitions with the same memory-ordering meaning.
 */
#ifndef _HVKIT_PORT_H
#define _HVKIT_PORT_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/build_bug.h>
#include <linux/compiler.h>
#include <linux/errno.h>
#include <linux/string.h>
#include <linux/stddef.h>
#include <asm/barrier.h>
#else /* userspace */
#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <string.h>
#include <errno.h>
#ifndef __cplusplus
#include <assert.h>	/* static_assert in C11 */
#endif

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int32_t s32;
typedef int64_t s64;

#define READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))
#define smp_mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define smp_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define smp_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#define smp_load_acquire(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define smp_store_release(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#ifndef __packed
#define __packed __attribute__((packed))
#endif
#endif /* __KERNEL__ */

/* Compile-time checks of the wire layout: size and field offsets. */
#define HVK_WIRE_SIZE(type, n) \
	static_assert(sizeof(type) == (n), #type " must be " #n " bytes on the wire")
#define HVK_WIRE_OFF(type, field, n) \
	static_assert(offsetof(type, field) == (n), #type "." #field " must be at " #n)

#endif /* _HVKIT_PORT_H */
