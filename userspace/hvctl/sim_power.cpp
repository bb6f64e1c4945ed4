// SPDX-License-Identifier: GPL-2.0
// hvctl sim shutdown|timesync: the host side of the shutdown and time sync
// integration services. Each sends one request and prints the status the
// guest answered; exit 0 for S_OK, 1 for any other status.
#include "hvctl.h"

extern "C" {
#include <hvkit/uapi/hv_ic_dev.h>
#include <hvkit/uapi/hvsim.h>
}

#include <netlink/attr.h>
#include <netlink/msg.h>

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <optional>
#include <string>

namespace hvctl {

namespace {

constexpr uint32_t kTsSync = 1;		// ICTIMESYNCFLAG_SYNC
constexpr uint32_t kTsSample = 2;	// ICTIMESYNCFLAG_SAMPLE
constexpr int64_t kMaxDelayNs = 3600LL * 1000000000;	// the host's limit

// The status codes of hv_ic_dev.h by their Windows names.
std::string status_name(uint32_t s)
{
	switch (s) {
	case HVK_S_OK: return "S_OK";
	case HVK_E_FAIL: return "E_FAIL";
	case HVK_S_CONT: return "ERROR_NO_MORE_ITEMS";
	case HVK_ERROR_NOT_SUPPORTED: return "ERROR_NOT_SUPPORTED";
	case HVK_ERROR_MACHINE_LOCKED: return "ERROR_MACHINE_LOCKED";
	case HVK_ERROR_DEVICE_NOT_CONNECTED: return "ERROR_DEVICE_NOT_CONNECTED";
	case HVK_INVALIDARG: return "E_INVALIDARG";
	case HVK_GUID_NOTFOUND: return "WBEM_E_NOT_FOUND";
	case HVK_ERROR_ALREADY_EXISTS: return "ERROR_ALREADY_EXISTS";
	case HVK_ERROR_DISK_FULL: return "ERROR_DISK_FULL";
	default: return "an unknown status";
	}
}

// Print the guest's answer; exit 0 for S_OK, else one sentence and 1.
int report(uint32_t status, const std::string &what)
{
	char hex[16];
	std::snprintf(hex, sizeof(hex), "0x%08x", status);
	std::printf("%s (%s)\n", status_name(status).c_str(), hex);
	if (status == HVK_S_OK)
		return 0;
	return fail("the guest refused the " + what + ": " + status_name(status) + " (" + hex + ")");
}

// "[+-]SECONDS[.FRACTION]" (up to 9 fraction digits) in nanoseconds.
std::optional<int64_t> parse_seconds(std::string_view s)
{
	bool neg = false;
	if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
		neg = s[0] == '-';
		s.remove_prefix(1);
	}
	auto dot = s.find('.');
	std::string_view whole = s.substr(0, dot), frac;
	if (dot != std::string_view::npos)
		frac = s.substr(dot + 1);
	if (whole.empty() || frac.size() > 9 || (dot != std::string_view::npos && frac.empty()))
		return std::nullopt;
	uint64_t sec = 0, nsec = 0;
	auto [p, ec] = std::from_chars(whole.data(), whole.data() + whole.size(), sec);
	if (ec != std::errc() || p != whole.data() + whole.size())
		return std::nullopt;
	if (!frac.empty()) {
		auto [q, ec2] = std::from_chars(frac.data(), frac.data() + frac.size(), nsec);
		if (ec2 != std::errc() || q != frac.data() + frac.size())
			return std::nullopt;
		for (size_t i = frac.size(); i < 9; i++)
			nsec *= 10;
	}
	constexpr uint64_t kMaxSec = std::numeric_limits<int64_t>::max() / 1000000000 - 1;
	if (sec > kMaxSec)
		return std::nullopt;
	auto ns = static_cast<int64_t>(sec * 1000000000 + nsec);
	return neg ? -ns : ns;
}

} // namespace

int cmd_sim_shutdown(const std::vector<std::string_view> &args)
{
	if (args.empty())
		return usage_error("sim shutdown needs an action: poweroff, restart or hibernate");
	uint32_t action;
	if (args[0] == "poweroff")
		action = HVSIM_SD_POWEROFF;
	else if (args[0] == "restart")
		action = HVSIM_SD_RESTART;
	else if (args[0] == "hibernate")
		action = HVSIM_SD_HIBERNATE;
	else
		return usage_error("sim shutdown: '" + std::string(args[0]) +
				   "' is not an action (poweroff, restart or hibernate)");
	SimTarget t{"shutdown", {}};
	bool force = false;
	std::optional<std::string> reason;
	uint32_t timeout = 0;
	int r = walk_args(args, 1, "sim shutdown", &t, [&](ArgWalk &w) {
		if (w.arg() == "--timeout-ms")
			return timeout_arg(w, "sim shutdown", timeout);
		if (w.arg() == "--force") {
			force = true;
		} else if (w.arg() == "--reason") {
			auto v = w.value();
			if (!v)
				return usage_error("sim shutdown: --reason needs the text to show");
			reason = std::string(*v);
			if (reason->size() > 1023)
				return usage_error("sim shutdown: the reason is at most 1023 bytes");
		} else {
			return kArgUnknown;
		}
		return 0;
	});
	if (r)
		return r;
	uint32_t status = 0;
	r = sim_request(
		"sim shutdown", HVSIM_CMD_SHUTDOWN, 0,
		[&](nl_msg *m) {
			return put_target(m, t) && nla_put_u32(m, HVSIM_A_SD_ACTION, action) == 0 &&
			       (!force || nla_put_flag(m, HVSIM_A_SD_FORCE) == 0) &&
			       (!reason || nla_put_string(m, HVSIM_A_SD_REASON, reason->c_str()) == 0) &&
			       (!timeout || nla_put_u32(m, HVSIM_A_IC_TIMEOUT_MS, timeout) == 0);
		},
		[&](nlattr **a) {
			if (a[HVSIM_A_IC_STATUS])
				status = nla_get_u32(a[HVSIM_A_IC_STATUS]);
		});
	if (r)
		return r;
	return report(status, std::string(args[0]) + " request");
}

int cmd_sim_timesync(const std::vector<std::string_view> &args)
{
	if (args.empty() || (args[0] != "sync" && args[0] != "sample"))
		return usage_error("sim timesync needs a message: sync or sample");
	uint32_t flags = args[0] == "sync" ? kTsSync : kTsSample;
	SimTarget t{"timesync", {}};
	std::optional<int64_t> time_ns, offset_ns, delay_ns;
	uint32_t timeout = 0;
	int r = walk_args(args, 1, "sim timesync", &t, [&](ArgWalk &w) {
		const std::string_view a = w.arg();
		if (a == "--timeout-ms")
			return timeout_arg(w, "sim timesync", timeout);
		if (a != "--time" && a != "--offset" && a != "--delay")
			return kArgUnknown;
		auto v = w.value();
		if (!v)
			return usage_error("sim timesync: " + std::string(a) + " needs a number of seconds");
		auto &out = a == "--time" ? time_ns : a == "--offset" ? offset_ns : delay_ns;
		out = parse_seconds(*v);
		if (!out)
			return usage_error("sim timesync: " + std::string(a) + " takes seconds, e.g. 1700000000.25 or -3600");
		if (&out == &delay_ns && (*out < 0 || *out > kMaxDelayNs))
			return usage_error("sim timesync: --delay takes 0 to 3600 seconds");
		return 0;
	});
	if (r)
		return r;
	if (time_ns && offset_ns)
		return usage_error("sim timesync: give --time or --offset, not both");
	uint32_t status = 0;
	r = sim_request(
		"sim timesync", HVSIM_CMD_TIMESYNC, 0,
		[&](nl_msg *m) {
			return put_target(m, t) && nla_put_u32(m, HVSIM_A_TS_FLAGS, flags) == 0 &&
			       (!time_ns || nla_put_s64(m, HVSIM_A_TS_TIME_NS, *time_ns) == 0) &&
			       (!offset_ns || nla_put_s64(m, HVSIM_A_TS_OFFSET_NS, *offset_ns) == 0) &&
			       (!delay_ns || nla_put_u64(m, HVSIM_A_TS_DELAY_NS,
							 static_cast<uint64_t>(*delay_ns)) == 0) &&
			       (!timeout || nla_put_u32(m, HVSIM_A_IC_TIMEOUT_MS, timeout) == 0);
		},
		[&](nlattr **a) {
			if (a[HVSIM_A_IC_STATUS])
				status = nla_get_u32(a[HVSIM_A_IC_STATUS]);
		});
	if (r)
		return r;
	return report(status, std::string(args[0]) == "sync" ? "time sync" : "time sample");
}

} // namespace hvctl
