// SPDX-License-Identifier: GPL-2.0
/*
 * Shutdown and time sync requests: the checks, pure code over
 * include/hvkit/ic_sdts.h, compiled into hvkit_utils and the host-side
 * tests and fuzzers. Everything read here comes from the host.
 */
#include <hvkit/ic_sdts.h>

#ifdef __KERNEL__
#include <linux/export.h>
#include <linux/limits.h>
#include <linux/module.h>
#else
#include <stdint.h>
#define S64_MAX INT64_MAX
#endif

int hvk_sd_parse(const u8 *body, u32 len, struct hvk_sd_request *r)
{
	/* The fixed fields only (the whole struct is 2 KiB). */
	struct {
		u32 reason_code;
		u32 timeout_seconds;
		u32 flags;
	} __packed m;

	HVK_WIRE_OFF(struct hvk_ic_shutdown, display_message, sizeof(m));
	if (len < sizeof(struct hvk_ic_shutdown))
		return -EBADMSG;
	memcpy(&m, body, sizeof(m));
	r->reason_code = m.reason_code;
	r->timeout_seconds = m.timeout_seconds;
	r->flags = m.flags;
	r->force = m.flags & HVK_IC_SD_FLAG_FORCE;
	/* upstream's switch: exactly these six values, nothing else */
	switch (m.flags & ~HVK_IC_SD_FLAG_FORCE) {
	case 0:
		r->action = HVK_SD_POWEROFF;
		break;
	case HVK_IC_SD_FLAG_RESTART:
		r->action = HVK_SD_RESTART;
		break;
	case HVK_IC_SD_FLAG_HIBERNATE:
		r->action = HVK_SD_HIBERNATE;
		break;
	default:
		return -EINVAL;
	}
	return 0;
}

u32 hvk_sd_message(const u8 *msg, u32 bytes, char *out, u32 room)
{
	u32 i, o = 0;

	for (i = 0; i + 1 < bytes && o + 1 < room; i += 2) {
		u32 u = msg[i] | msg[i + 1] << 8;

		if (!u)
			break;
		out[o++] = u >= 0x20 && u < 0x7f ? (char)u : '?';
	}
	out[o] = '\0';
	return o;
}

int hvk_ts_parse(const u8 *body, u32 len, u32 srv_ver, struct hvk_ts_sample *s)
{
	if (srv_ver >= HVK_IC_TS_4_0) {
		struct hvk_ic_timesync_ref m;

		if (len < sizeof(m))
			return -EBADMSG;
		memcpy(&m, body, sizeof(m));
		s->parenttime = m.parenttime;
		s->reftime = m.vmreferencetime;
		s->has_ref = true;
		s->flags = m.flags;
	} else {
		struct hvk_ic_timesync m;

		if (len < sizeof(m))
			return -EBADMSG;
		memcpy(&m, body, sizeof(m));
		s->parenttime = m.parenttime;
		s->reftime = 0;
		s->has_ref = false;
		s->flags = m.flags;
	}
	return 0;
}

int hvk_ts_unix_ns(u64 wintime, u64 elapsed, s64 *ns)
{
	const u64 max = (u64)S64_MAX / 100;	/* 100 ns units that fit */
	u64 since;

	if (wintime < HVK_WLTIMEDELTA)
		return -ERANGE;
	since = wintime - HVK_WLTIMEDELTA;
	if (since > max || elapsed > max - since)
		return -ERANGE;
	*ns = (s64)((since + elapsed) * 100);
	return 0;
}

#if defined(__KERNEL__) && defined(HVK_IC_WIRE_EXPORT)
/* hvkit_utils exports these for hvkit_kunit's suite. */
EXPORT_SYMBOL_GPL(hvk_sd_parse);
EXPORT_SYMBOL_GPL(hvk_sd_message);
EXPORT_SYMBOL_GPL(hvk_ts_parse);
EXPORT_SYMBOL_GPL(hvk_ts_unix_ns);
#endif
