// SPDX-License-Identifier: GPL-2.0
#include "guid.h"

#include <cstdio>

namespace hvkit {

namespace {

int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

// Text position of each wire byte: the first three groups are
// little-endian on the wire, the last two as written.
constexpr int kTextByte[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};

} // namespace

std::optional<Guid> parse_guid(std::string_view t)
{
	if (t.size() == 38 && t.front() == '{' && t.back() == '}')
		t = t.substr(1, 36);
	if (t.size() != 36 || t[8] != '-' || t[13] != '-' || t[18] != '-' || t[23] != '-')
		return std::nullopt;
	std::array<uint8_t, 16> text{};
	size_t pos = 0;
	for (auto &byte : text) {
		if (t[pos] == '-')
			pos++;
		int hi = hexval(t[pos]), lo = hexval(t[pos + 1]);
		if (hi < 0 || lo < 0)
			return std::nullopt;
		byte = static_cast<uint8_t>(hi << 4 | lo);
		pos += 2;
	}
	Guid g;
	for (int i = 0; i < 16; i++)
		g.b[i] = text[kTextByte[i]];
	return g;
}

std::string format_guid(const Guid &g)
{
	uint8_t text[16];
	for (int i = 0; i < 16; i++)
		text[kTextByte[i]] = g.b[i];
	char out[37];
	std::snprintf(out, sizeof(out),
		      "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		      text[0], text[1], text[2], text[3], text[4], text[5], text[6], text[7],
		      text[8], text[9], text[10], text[11], text[12], text[13], text[14], text[15]);
	return out;
}

std::string_view class_name(const Guid &class_id)
{
	static const struct {
		const char *guid;
		const char *name;
	} known[] = {
		{"f8615163-df3e-46c5-913f-f2d2f965ed0e", "Synthetic network adapter"},
		{"ba6163d9-04a1-4d29-b605-72e2ffb1dc7f", "Synthetic SCSI controller"},
		{"32412632-86cb-44a2-9b5c-50d1417354f5", "Synthetic IDE controller"},
		{"2f9bcc4a-0069-4af3-b76b-6fd0be528cda", "Synthetic fibre channel adapter"},
		{"44c4f61d-4444-4400-9d52-802e27ede19f", "PCI Express pass-through"},
		{"57164f39-9115-4e78-ab55-382f3bd5422d", "Heartbeat"},
		{"0e0b6031-5213-4934-818b-38d90ced39db", "Shutdown"},
		{"9527e630-d0ae-497b-adce-e80ab0175caf", "Time Synchronization"},
		{"a9a0f4e7-5a45-4d96-b827-8a841e8c03e6", "Data Exchange (KVP)"},
		{"35fa2e29-ea23-4236-96ae-3a6ebacba440", "Backup (VSS)"},
		{"34d14be3-dee4-41c8-9ae7-6b174977c192", "Guest services (file copy)"},
		{"525074dc-8985-46e2-8057-a307dc18a502", "Dynamic Memory"},
		{"3a4b8f52-7c1e-4f0b-9d63-6b1e0c2f8a71", "hvkit echo (test)"},
	};
	for (const auto &k : known)
		if (parse_guid(k.guid) == class_id)
			return k.name;
	return "";
}

} // namespace hvkit
