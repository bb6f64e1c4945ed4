// SPDX-License-Identifier: GPL-2.0
// GUIDs as VMBus carries them (mixed-endian bytes) and as people write
// them (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, optionally in braces).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hvkit {

struct Guid {
	std::array<uint8_t, 16> b{};	// wire order
	bool operator==(const Guid &) const = default;
};

// Parses the text form; nullopt for anything else.
std::optional<Guid> parse_guid(std::string_view text);
// The text form, lower case, no braces.
std::string format_guid(const Guid &g);
// A name for the well-known device classes, or "" if unknown.
std::string_view class_name(const Guid &class_id);

} // namespace hvkit
