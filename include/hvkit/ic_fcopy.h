/* SPDX-License-Identifier: GPL-2.0 */
/*
 * File copy ("guest services"): the host's FCOPY messages, checked and
 * turned into what the daemon reads from /dev/vmbus/hv_fcopy. Pure code
 * (drivers/util/fcopy_wire.c), shared by the guest's hvkit_utils, the
 * simulated host, and the host-side tests and fuzzer.
 *
 * The channel carries the structs of uapi/hv_ic_dev.h with names in
 * UTF-16LE; the daemon gets the same structs with the names in UTF-8, as
 * the pre-6.10 kernel wrote them (drivers/hv/hv_fcopy.c of 6.1, which
 * Debian 12's hv_fcopy_daemon speaks):
 *
 *   START_FILE_COPY  struct hvk_fcopy_start, 1088 bytes: file_name and
 *                    path_name hold UTF-8 (at most 259 bytes, NUL-filled)
 *   WRITE_TO_FILE    struct hvk_fcopy_data, 6196 bytes, always whole: the
 *                    u32 pad at 36 comes before the offset, so offset is
 *                    at 40, size at 48, data at 52
 *   COMPLETE_FCOPY,  struct hvk_fcopy_hdr, 36 bytes
 *   CANCEL_FCOPY
 *
 * The daemon answers each with an int status written to the device.
 */
#ifndef _HVKIT_IC_FCOPY_H
#define _HVKIT_IC_FCOPY_H

#include "port.h"
#include "uapi/hv_ic_dev.h"

HVK_WIRE_OFF(struct hvk_fcopy_start, file_name, 36);
HVK_WIRE_OFF(struct hvk_fcopy_start, path_name, 556);
HVK_WIRE_OFF(struct hvk_fcopy_start, copy_flags, 1076);
HVK_WIRE_OFF(struct hvk_fcopy_start, file_size, 1080);
HVK_WIRE_OFF(struct hvk_fcopy_data, pad, 36);
HVK_WIRE_OFF(struct hvk_fcopy_data, offset, 40);
HVK_WIRE_OFF(struct hvk_fcopy_data, size, 48);
HVK_WIRE_OFF(struct hvk_fcopy_data, data, 52);

/* Where WRITE_TO_FILE's data starts: the bytes before it must all be there. */
#define HVK_FCOPY_DATA_HDR	52u
/* The copy flags the protocol defines; any other bit is refused. */
#define HVK_FCOPY_FLAGS		(HVK_FCOPY_OVER_WRITE | HVK_FCOPY_CREATE_PATH)
/* A name in UTF-8 for the daemon: at most this many bytes and a NUL. */
#define HVK_FCOPY_UTF8_MAX	(HVK_W_MAX_PATH - 1)

/* What the guest writes to the daemon: one of these, by operation. */
union hvk_fcopy_daemon_msg {
	struct hvk_fcopy_hdr hdr;
	struct hvk_fcopy_start start;
	struct hvk_fcopy_data data;
};

/*
 * Check one FCOPY request body from the host (@len bytes: icmsgsize,
 * already known to be inside the packet) and build the daemon's message in
 * @out. Returns the bytes to write to the daemon, or -EBADMSG with the
 * reason in *why when the message is refused:
 *   - shorter than its header, or than its operation's struct (START) or
 *     fixed part (WRITE);
 *   - an operation the protocol does not define;
 *   - START: a name (file or path) with no NUL within its 260 units, not
 *     valid UTF-16 (a lone surrogate), or longer than 259 bytes of UTF-8;
 *     an empty file name; a copy flag other than OVER_WRITE / CREATE_PATH;
 *   - WRITE: size past the 6 KiB fragment or past the message, or an
 *     offset + size past the largest file offset (2^63 - 1).
 * Reads nothing outside @body[0..@len); writes only @out.
 */
int hvk_fcopy_to_daemon(const u8 *body, u32 len, union hvk_fcopy_daemon_msg *out,
			const char **why);

/* The operation's name for log lines ("START_FILE_COPY", ..., "unknown"). */
const char *hvk_fcopy_op_name(u32 op);

/*
 * The host's side: a START_FILE_COPY for @path_name and @file_name (UTF-8,
 * @path_len / @name_len bytes, each stopping at a NUL if one comes
 * first), converted to UTF-16LE. Returns 0, -EILSEQ (not valid UTF-8) or
 * -ENOSPC (longer than 259 UTF-16 units and the terminator); *which says
 * which name (0 path, 1 file) failed.
 */
int hvk_fcopy_start_init(struct hvk_fcopy_start *m, const char *path_name, u32 path_len,
			 const char *file_name, u32 name_len, u32 copy_flags, u64 file_size,
			 int *which);

#endif /* _HVKIT_IC_FCOPY_H */
