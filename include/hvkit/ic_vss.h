/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VSS (backup): what the guest does with each operation the host sends,
 * and how it reads its daemon's writes, as upstream's hv_snapshot.c and
 * hv_vss_daemon.c (6.12) do. Pure code (drivers/util/vss_wire.c), shared
 * by hvkit_utils, the simulated host and the host-side tests.
 *
 * On the channel and on /dev/vmbus/hv_vss the message is struct
 * hvk_vss_msg (12 bytes): the operation in byte 0, the flags at 8. The
 * daemon answers in the same struct with its status in the first four
 * bytes (error shares them with the operation byte), so an answer whose
 * low byte happens to be 2 reads as HOT_BACKUP: upstream then sets
 * VSS_HBU_NO_AUTO_RECOVERY in the host's answer, and so does hvkit.
 */
#ifndef _HVKIT_IC_VSS_H
#define _HVKIT_IC_VSS_H

#include "port.h"
#include "uapi/hv_ic_dev.h"

HVK_WIRE_OFF(struct hvk_vss_msg, vss_cf_flags, 8);

enum hvk_vss_route {
	HVK_VSS_DAEMON,		/* FREEZE, THAW, HOT_BACKUP: the daemon does it */
	HVK_VSS_GUEST,		/* the others upstream knows: S_OK from the kernel */
	HVK_VSS_UNKNOWN,	/* past AUTO_RECOVER: refused (upstream says S_OK) */
};

enum hvk_vss_route hvk_vss_route(u8 op);
/* "FREEZE", ..., "unknown" */
const char *hvk_vss_op_name(u8 op);

enum hvk_vss_reply {
	HVK_VSS_REPLY_REGISTER,		/* legacy registration: no answer expected */
	HVK_VSS_REPLY_REGISTER1,	/* registration: the kernel answers its u32 version */
	HVK_VSS_REPLY_ANSWER,		/* the answer to the request it was sent */
};

/*
 * One write of the daemon (@len bytes): -EINVAL unless exactly a struct
 * hvk_vss_msg. Else its kind; for an answer, *status is its error field
 * (the host's status, as written) and *hot_backup whether its operation
 * byte reads HOT_BACKUP.
 */
int hvk_vss_daemon_reply(const void *msg, u32 len, enum hvk_vss_reply *kind, u32 *status,
			 bool *hot_backup);

#endif /* _HVKIT_IC_VSS_H */
