/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shutdown (sd) and time sync (ts): the guest's checks of the host's
 * requests, pure code over ic.h (drivers/util/sdts_wire.c), built into
 * hvkit_utils and into the host-side tests and fuzzers. The services that
 * act on them are drivers/util/shutdown.c and timesync.c.
 *
 * Facts: upstream drivers/hv/hv_util.c (6.12): shutdown_onchannelcallback()
 * for the flags and the length check, adj_guesttime() and
 * hv_get_adj_host_time() for the time arithmetic.
 */
#ifndef _HVKIT_IC_SDTS_H
#define _HVKIT_IC_SDTS_H

#include "ic.h"

/* ---- Shutdown ---- */
enum hvk_sd_action {
	HVK_SD_POWEROFF,	/* flags 0, or 1 forced */
	HVK_SD_RESTART,		/* flags 2, or 3 forced */
	HVK_SD_HIBERNATE,	/* flags 4, or 5 forced */
};

struct hvk_sd_request {
	enum hvk_sd_action action;
	bool force;
	u32 reason_code;	/* a Windows SHTDN_REASON_*, for the log */
	u32 timeout_seconds;
	u32 flags;		/* as sent */
};

/*
 * A shutdown request's body, @len bytes (icmsgsize). Upstream requires the
 * whole struct hvk_ic_shutdown, display message included, and so do we.
 * Returns 0 and *r; -EBADMSG when shorter; -EINVAL for flags other than
 * upstream's six (0 to 5: *r->flags says which), which it refuses too.
 */
int hvk_sd_parse(const u8 *body, u32 len, struct hvk_sd_request *r);

/*
 * The request's display message, fit for a log line: host text, taken as
 * UTF-16LE (WCHARs, as Windows writes its strings) up to its NUL unit or
 * @bytes, whichever comes first; printable ASCII is kept, anything else
 * becomes '?'. Writes at most @room - 1 characters and a NUL (@room > 0);
 * returns the characters written.
 */
u32 hvk_sd_message(const u8 *msg, u32 bytes, char *out, u32 room);

/* ---- Time sync ---- */
struct hvk_ts_sample {
	u64 parenttime;		/* the host's time: 100 ns units since 1601 */
	u64 reftime;		/* 4.0: the reference counter when it was read */
	bool has_ref;		/* 4.0 and later: reftime is there */
	u8 flags;		/* HVK_IC_TS_FLAG_SYNC, _SAMPLE */
};

/*
 * A time sync body, @len bytes, of service version @srv_ver: 4.0 and later
 * carry struct hvk_ic_timesync_ref, older ones struct hvk_ic_timesync.
 * Returns 0 and *s, or -EBADMSG when shorter than its version's struct.
 */
int hvk_ts_parse(const u8 *body, u32 len, u32 srv_ver, struct hvk_ts_sample *s);

/*
 * The host's time @elapsed reference-counter units (100 ns) after it was
 * @wintime (100 ns units since 1601), as nanoseconds since the Unix epoch.
 * Returns 0 and *ns, or -ERANGE when that is before 1970 or past what a
 * signed 64-bit count of nanoseconds holds (the year 2262).
 */
int hvk_ts_unix_ns(u64 wintime, u64 elapsed, s64 *ns);

/* upstream's HOST_TIMESYNC_DELAY_THRESH: a sample older than this is stale */
#define HVK_TS_STALE_100NS	(600ULL * 10000000ULL)

#endif /* _HVKIT_IC_SDTS_H */
