// SPDX-License-Identifier: GPL-2.0
// The statuses a guest answers an integration-service request with, in
// words (include/hvkit/uapi/hv_ic_dev.h), for hvctl's service commands.
#pragma once

extern "C" {
#include <hvkit/uapi/hv_ic_dev.h>
}

#include <cstdint>
#include <cstdio>
#include <string>

namespace hvctl {

struct IcStatusName {
	const char *name;	// Windows' name for it
	const char *meaning;	// what the guest said, in a few words
};

inline IcStatusName ic_status_name(uint32_t status)
{
	switch (status) {
	case HVK_S_OK:
		return {"S_OK", "done"};
	case HVK_E_FAIL:
		return {"E_FAIL", "the guest failed the request"};
	case HVK_S_CONT:
		return {"S_CONT", "nothing more (not found)"};
	case HVK_ERROR_NOT_SUPPORTED:
		return {"ERROR_NOT_SUPPORTED", "the guest does not support it"};
	case HVK_ERROR_MACHINE_LOCKED:
		return {"ERROR_MACHINE_LOCKED", "the guest is locked"};
	case HVK_ERROR_DEVICE_NOT_CONNECTED:
		return {"ERROR_DEVICE_NOT_CONNECTED", "the guest's device is not connected"};
	case HVK_INVALIDARG:
		return {"E_INVALIDARG", "the guest found an argument invalid"};
	case HVK_GUID_NOTFOUND:
		return {"WBEM_E_NOT_FOUND", "not found"};
	case HVK_ERROR_ALREADY_EXISTS:
		return {"ERROR_ALREADY_EXISTS", "the file already exists"};
	case HVK_ERROR_DISK_FULL:
		return {"ERROR_DISK_FULL", "the guest's disk is full"};
	default:
		return {"", "a status hvctl does not know"};
	}
}

// "E_FAIL (0x80004005): the guest failed the request"
inline std::string ic_status_str(uint32_t status)
{
	auto n = ic_status_name(status);
	char hex[16];
	std::snprintf(hex, sizeof(hex), "0x%08x", status);
	if (!*n.name)
		return std::string(hex) + ": " + n.meaning;
	return std::string(n.name) + " (" + hex + "): " + n.meaning;
}

} // namespace hvctl
