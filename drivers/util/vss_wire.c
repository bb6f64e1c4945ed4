// SPDX-License-Identifier: GPL-2.0
/*
 * VSS: which operations go to the daemon, and how its writes read
 * (include/hvkit/ic_vss.h). Compiled into hvkit_utils, hvkit_sim
 * (drivers/sim/vss_wire.c) and the host-side tests.
 */
#include <hvkit/ic_vss.h>

enum hvk_vss_route hvk_vss_route(u8 op)
{
	switch (op) {
	case HVK_VSS_OP_FREEZE:
	case HVK_VSS_OP_THAW:
	case HVK_VSS_OP_HOT_BACKUP:
		return HVK_VSS_DAEMON;
	case HVK_VSS_OP_CREATE:
	case HVK_VSS_OP_DELETE:
	case HVK_VSS_OP_GET_DM_INFO:
	case HVK_VSS_OP_BU_COMPLETE:
	case HVK_VSS_OP_AUTO_RECOVER:
		return HVK_VSS_GUEST;
	}
	return HVK_VSS_UNKNOWN;
}

const char *hvk_vss_op_name(u8 op)
{
	static const char *const names[HVK_VSS_OP_COUNT] = {
		[HVK_VSS_OP_CREATE] = "CREATE",
		[HVK_VSS_OP_DELETE] = "DELETE",
		[HVK_VSS_OP_HOT_BACKUP] = "HOT_BACKUP",
		[HVK_VSS_OP_GET_DM_INFO] = "GET_DM_INFO",
		[HVK_VSS_OP_BU_COMPLETE] = "BU_COMPLETE",
		[HVK_VSS_OP_FREEZE] = "FREEZE",
		[HVK_VSS_OP_THAW] = "THAW",
		[HVK_VSS_OP_AUTO_RECOVER] = "AUTO_RECOVER",
	};

	if (op == HVK_VSS_OP_REGISTER)
		return "REGISTER";
	if (op == HVK_VSS_OP_REGISTER1)
		return "REGISTER1";
	return op < HVK_VSS_OP_COUNT ? names[op] : "unknown";
}

int hvk_vss_daemon_reply(const void *msg, u32 len, enum hvk_vss_reply *kind, u32 *status,
			 bool *hot_backup)
{
	struct hvk_vss_msg m;

	if (len != sizeof(m))
		return -EINVAL;
	memcpy(&m, msg, sizeof(m));
	*status = (u32)m.error;
	*hot_backup = false;
	if (m.vss_hdr.operation == HVK_VSS_OP_REGISTER) {
		*kind = HVK_VSS_REPLY_REGISTER;
	} else if (m.vss_hdr.operation == HVK_VSS_OP_REGISTER1) {
		*kind = HVK_VSS_REPLY_REGISTER1;
	} else {
		*kind = HVK_VSS_REPLY_ANSWER;
		*hot_backup = m.vss_hdr.operation == HVK_VSS_OP_HOT_BACKUP;
	}
	return 0;
}
