// SPDX-License-Identifier: GPL-2.0
// VMBus devices and channels as sysfs shows them (/sys/bus/vmbus).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace hvkit {

struct ChannelInfo {
	uint32_t relid = 0;
	// Attribute name -> value, in sysfs order (cpu, state, in_mask, ...).
	std::vector<std::pair<std::string, std::string>> attrs;
	std::string attr(const std::string &name) const;
};

struct DeviceInfo {
	std::string name;	// the instance GUID, as sysfs names the device
	std::string class_id;	// GUID text, no braces
	std::string device_id;
	std::string driver;	// "" when unbound
	uint32_t relid = 0;	// primary channel
	std::vector<ChannelInfo> channels;
};

// Every device on the bus, by relid; false with @err set on failure.
bool list_devices(std::vector<DeviceInfo> &out, std::string &err);
// The negotiated protocol version ("5.3"), or "" when unknown.
std::string protocol_version();

} // namespace hvkit
