/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The char-device ABI between the util services and their daemons
 * (/dev/vmbus/hv_kvp, /dev/vmbus/hv_vss, /dev/vmbus/hv_fcopy), byte for
 * byte the one of upstream's include/uapi/linux/hyperv.h, so that hvkit's
 * daemons work with the in-tree drivers and upstream's daemons with
 * hvkit's. tests/wire_test.cpp checks every offset against that header.
 */
#ifndef _HVKIT_UAPI_HV_IC_DEV_H
#define _HVKIT_UAPI_HV_IC_DEV_H

#include "../port.h"

/* Status codes the host understands. */
#define HVK_S_OK			0x00000000u
#define HVK_E_FAIL			0x80004005u
#define HVK_S_CONT			0x80070103u	/* no more / not found */
#define HVK_ERROR_NOT_SUPPORTED		0x80070032u
#define HVK_ERROR_MACHINE_LOCKED	0x800704F7u
#define HVK_ERROR_DEVICE_NOT_CONNECTED	0x8007048Fu
#define HVK_INVALIDARG			0x80070057u
#define HVK_GUID_NOTFOUND		0x80041002u
#define HVK_ERROR_ALREADY_EXISTS	0x80070050u
#define HVK_ERROR_DISK_FULL		0x80070070u

/* ---- VSS (backup) ---- */
#define HVK_VSS_OP_REGISTER	128	/* legacy: no reply */
#define HVK_VSS_OP_REGISTER1	129	/* kernel replies with its u32 version */

enum hvk_vss_op {
	HVK_VSS_OP_CREATE = 0,
	HVK_VSS_OP_DELETE,
	HVK_VSS_OP_HOT_BACKUP,
	HVK_VSS_OP_GET_DM_INFO,
	HVK_VSS_OP_BU_COMPLETE,
	HVK_VSS_OP_FREEZE,
	HVK_VSS_OP_THAW,
	HVK_VSS_OP_AUTO_RECOVER,
	HVK_VSS_OP_COUNT
};

#define HVK_VSS_HBU_NO_AUTO_RECOVERY	0x00000005u

struct hvk_vss_msg {
	union {
		struct {
			u8 operation;
			u8 reserved[7];
		} __packed vss_hdr;
		s32 error;
	} __packed;
	union {
		u32 vss_cf_flags;
		u32 dm_info_flags;
	} __packed;
} __packed;
HVK_WIRE_SIZE(struct hvk_vss_msg, 12);

/* ---- FCOPY (guest services file copy) ---- */
#define HVK_FCOPY_VERSION_0	0
#define HVK_FCOPY_VERSION_1	1
#define HVK_W_MAX_PATH		260
#define HVK_FCOPY_DATA_FRAGMENT	(6 * 1024)

enum hvk_fcopy_op {
	HVK_FCOPY_START_FILE_COPY = 0,
	HVK_FCOPY_WRITE_TO_FILE,
	HVK_FCOPY_COMPLETE,
	HVK_FCOPY_CANCEL,
};

#define HVK_FCOPY_OVER_WRITE	0x1
#define HVK_FCOPY_CREATE_PATH	0x2

struct hvk_fcopy_hdr {
	u32 operation;
	u8 service_id0[16];
	u8 service_id1[16];
} __packed;
HVK_WIRE_SIZE(struct hvk_fcopy_hdr, 36);

struct hvk_fcopy_start {
	struct hvk_fcopy_hdr hdr;
	u16 file_name[HVK_W_MAX_PATH];	/* UTF-16LE on the wire */
	u16 path_name[HVK_W_MAX_PATH];
	u32 copy_flags;
	u64 file_size;
} __packed;
HVK_WIRE_SIZE(struct hvk_fcopy_start, 1088);

struct hvk_fcopy_data {
	struct hvk_fcopy_hdr hdr;
	u32 pad;
	u64 offset;
	u32 size;
	u8 data[HVK_FCOPY_DATA_FRAGMENT];
} __packed;
HVK_WIRE_SIZE(struct hvk_fcopy_data, 6196);

/* ---- KVP (data exchange) ---- */
#define HVK_KVP_MAX_VALUE_SIZE	2048
#define HVK_KVP_MAX_KEY_SIZE	512
#define HVK_KVP_OP_REGISTER	4	/* legacy */
#define HVK_KVP_OP_REGISTER1	100

#define HVK_REG_SZ	1
#define HVK_REG_U32	4
#define HVK_REG_U64	8

enum hvk_kvp_op {
	HVK_KVP_OP_GET = 0,
	HVK_KVP_OP_SET,
	HVK_KVP_OP_DELETE,
	HVK_KVP_OP_ENUMERATE,
	HVK_KVP_OP_GET_IP_INFO,
	HVK_KVP_OP_SET_IP_INFO,
	HVK_KVP_OP_COUNT
};

enum hvk_kvp_pool {
	HVK_KVP_POOL_EXTERNAL = 0,
	HVK_KVP_POOL_GUEST,
	HVK_KVP_POOL_AUTO,
	HVK_KVP_POOL_AUTO_EXTERNAL,
	HVK_KVP_POOL_AUTO_INTERNAL,
	HVK_KVP_POOL_COUNT
};

#define HVK_ADDR_FAMILY_NONE	0x00
#define HVK_ADDR_FAMILY_IPV4	0x01
#define HVK_ADDR_FAMILY_IPV6	0x02
#define HVK_MAX_ADAPTER_ID_SIZE	128
#define HVK_MAX_IP_ADDR_SIZE	1024
#define HVK_MAX_GATEWAY_SIZE	512

struct hvk_kvp_ipaddr_value {
	u16 adapter_id[HVK_MAX_ADAPTER_ID_SIZE];
	u8 addr_family;
	u8 dhcp_enabled;
	u16 ip_addr[HVK_MAX_IP_ADDR_SIZE];
	u16 sub_net[HVK_MAX_IP_ADDR_SIZE];
	u16 gate_way[HVK_MAX_GATEWAY_SIZE];
	u16 dns_addr[HVK_MAX_IP_ADDR_SIZE];
} __packed;
HVK_WIRE_SIZE(struct hvk_kvp_ipaddr_value, 7426);

struct hvk_kvp_hdr {
	u8 operation;
	u8 pool;
	u16 pad;
} __packed;

struct hvk_kvp_value {
	u32 value_type;
	u32 key_size;
	u32 value_size;
	u8 key[HVK_KVP_MAX_KEY_SIZE];
	union {
		u8 value[HVK_KVP_MAX_VALUE_SIZE];
		u32 value_u32;
		u64 value_u64;
	} __packed;
} __packed;
HVK_WIRE_SIZE(struct hvk_kvp_value, 2572);

struct hvk_kvp_msg {
	union {
		struct hvk_kvp_hdr kvp_hdr;
		s32 error;
	} __packed;
	/*
	 * Not packed, as upstream's: kvp_delete is 4-byte aligned, so the
	 * union pads to 7428 and the message is 7432 bytes.
	 */
	union {
		struct hvk_kvp_value kvp_get;
		struct hvk_kvp_value kvp_set;
		struct {
			u32 key_size;
			u8 key[HVK_KVP_MAX_KEY_SIZE];
		} kvp_delete;
		struct {
			u32 index;
			struct hvk_kvp_value data;
		} __packed kvp_enum_data;
		struct hvk_kvp_ipaddr_value kvp_ip_val;
		struct {
			u8 version[HVK_KVP_MAX_KEY_SIZE];
		} kvp_register;
	} body;
} __packed;
HVK_WIRE_SIZE(struct hvk_kvp_msg, 7432);

/* On disk: /var/lib/hyperv/.kvp_pool_<n>, an array of these, no header. */
struct hvk_kvp_record {
	char key[HVK_KVP_MAX_KEY_SIZE];
	char value[HVK_KVP_MAX_VALUE_SIZE];
};
HVK_WIRE_SIZE(struct hvk_kvp_record, 2560);

#endif /* _HVKIT_UAPI_HV_IC_DEV_H */
