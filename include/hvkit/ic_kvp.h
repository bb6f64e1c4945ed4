/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KVP (data exchange): the guest's checks and conversions between the
 * host's messages on the channel (strings in UTF-16LE) and the daemon's
 * on /dev/vmbus/hv_kvp (struct hvk_kvp_msg, strings in UTF-8), as pure
 * code shared by hvkit_utils and the host-side tests and fuzzers
 * (drivers/util/kvp_wire.c). Everything from the host and everything from
 * the daemon is checked here before use.
 *
 * Facts: upstream drivers/hv/hv_kvp.c (6.12: kvp_send_key,
 * kvp_respond_to_host, process_ib_ipinfo, process_ob_ipinfo),
 * tools/hv/hv_kvp_daemon.c, and openvmm's KVP host
 * (vm/devices/hyperv_ic{,_protocol}/src/kvp.rs) for what Hyper-V sends.
 *
 * The host's body (after the IC header), by operation:
 *
 *   GET, SET     u8 operation, u8 pool, u16 pad, struct hvk_kvp_value
 *   DELETE       header, u32 key_size, u16 key[256]
 *   ENUMERATE    header, u32 index, struct hvk_kvp_value
 *   IP info      struct hvk_kvp_ip_msg (KVP 4.0 and later)
 *
 * Hyper-V sends 2580 bytes (HVK_KVP_HOST_MSG_SIZE) for the first four and
 * 7428 for IP info; key_size and value_size count bytes of UTF-16 with
 * the terminator. The guest answers in place: GET and ENUMERATE with the
 * key and value it found (REG_SZ), GET_IP_INFO with the adapter's
 * addresses, and a status in the IC header.
 */
#ifndef _HVKIT_IC_KVP_H
#define _HVKIT_IC_KVP_H

#include "ic.h"

/*
 * Windows' REG_QWORD: what a Hyper-V host sends for a 64-bit value.
 * Upstream Linux handles only its own HVK_REG_U64 (8); both are taken.
 */
#define HVK_REG_QWORD		11

/* What Hyper-V sends as the body of GET, SET, DELETE and ENUMERATE. */
#define HVK_KVP_HOST_MSG_SIZE	2580
/* ... and of GET_IP_INFO and SET_IP_INFO. */
#define HVK_KVP_HOST_IP_MSG_SIZE 7428

/* Where each operation's fields start in the host's body. */
#define HVK_KVP_OFF_VALUE	4	/* GET, SET: struct hvk_kvp_value */
#define HVK_KVP_OFF_DEL_SIZE	4	/* DELETE: u32 key_size */
#define HVK_KVP_OFF_DEL_KEY	8	/* DELETE: the key */
#define HVK_KVP_OFF_INDEX	4	/* ENUMERATE: u32 index */
#define HVK_KVP_OFF_ENUM_VALUE	8	/* ENUMERATE: struct hvk_kvp_value */

/* upstream's HV_DRV_VERSION: the string the kernel registers with. */
#define HVK_KVP_DRV_VERSION	"3.1"

/*
 * The bytes of body operation @op needs (what the guest reads and, for
 * its answer, writes): GET and SET 2576, DELETE 520, ENUMERATE 2580, IP
 * info 7428; 0 for an unknown operation.
 */
u32 hvk_kvp_min_len(u8 op);

/* "GET", "SET", ...; "unknown" past SET_IP_INFO. */
const char *hvk_kvp_op_name(u8 op);

/*
 * A host request: @body is the IC body (@len bytes, icmsgsize), @srv_ver
 * the KVP version negotiated. Checked, then converted into the message
 * for the daemon at @out (zeroed first), as upstream's kvp_send_key()
 * converts it: UTF-8 strings, each terminated within its field, key_size
 * and value_size the UTF-8 bytes with the NUL; REG_U32 and REG_U64 values
 * as decimal strings; GET asks for a value of up to
 * HVK_KVP_MAX_VALUE_SIZE bytes.
 *
 * Refused (-EBADMSG, *why saying what is wrong): a body shorter than the
 * operation's message, an unknown operation, a pool past
 * HVK_KVP_POOL_AUTO_INTERNAL, IP info below KVP 4.0, a key_size or
 * value_size that is odd, zero or past its field, a string with no NUL
 * unit within its size, one that is not UTF-16 (a lone surrogate) or does
 * not fit its field in UTF-8, an unknown value type, or a REG_U32 (REG_U64)
 * whose value_size is not 4 (8).
 */
int hvk_kvp_from_host(const u8 *body, u32 len, u32 srv_ver, struct hvk_kvp_msg *out,
		      const char **why);

/*
 * The daemon's answer @ans to the request @op whose body (@len bytes) is
 * @body, which hvk_kvp_from_host() accepted. Returns the status for the
 * host, as upstream's kvp_on_msg() and kvp_respond_to_host() derive it:
 * the daemon's error field (with @legacy, a daemon registered by the old
 * KVP_OP_REGISTER: HVK_S_CONT when it answers an empty key); with S_OK,
 * GET's value, ENUMERATE's key and value (REG_SZ) and GET_IP_INFO's
 * strings are written into @body as NUL-terminated UTF-16LE, cut at the
 * last whole character that fits their field (upstream cuts too), with
 * key_size and value_size in bytes with the terminator. A daemon string
 * that is not UTF-8 makes it HVK_E_FAIL (*why says so; NULL otherwise).
 * Any other status leaves @body as it is. The daemon's strings are read
 * only within their fields, terminated or not.
 */
u32 hvk_kvp_to_host(const struct hvk_kvp_msg *ans, u8 op, bool legacy, u8 *body, u32 len,
		    const char **why);

/*
 * A daemon's first message (@len bytes): HVK_KVP_OP_REGISTER1, or the
 * legacy HVK_KVP_OP_REGISTER, which it returns; -EINVAL for anything else
 * or a message shorter than struct hvk_kvp_msg.
 */
int hvk_kvp_handshake(const void *msg, u32 len);

/* The kernel's answer to a registration (@reg_op): the op and its version string. */
void hvk_kvp_register_reply(struct hvk_kvp_msg *m, u8 reg_op);

#endif /* _HVKIT_IC_KVP_H */
