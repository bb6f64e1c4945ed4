// SPDX-License-Identifier: GPL-2.0
// hvctl's pieces that its command files share.
#pragma once

#include "../lib/genl.h"
#include "../lib/guid.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct nl_msg;
struct nlattr;

namespace hvctl {

inline constexpr int kExitFail = 1;
inline constexpr int kExitUsage = 2;
// A nic's largest link speed in Mbit/s: its 100 bit/s units fit a u32 (OID_GEN_LINK_SPEED).
inline constexpr uint32_t kNicSpeedMax = 429496;

// Print "hvctl: MSG (see 'hvctl --help')" and return kExitUsage.
int usage_error(const std::string &msg);
// Print "hvctl: MSG" and return kExitFail.
int fail(const std::string &msg);
std::string json_str(std::string_view s);
// A failed hvsim request as one sentence: the kernel's extended ACK if any.
int genl_failure(const hvkit::NlError &e, const char *what);
std::optional<hvkit::Guid> guid_arg(std::string_view s);
// A whole number in decimal or 0x-prefixed hex, at most @max.
bool parse_uint(std::string_view s, uint64_t &v, uint64_t max = UINT64_MAX);
bool parse_u32(std::string_view s, uint32_t &v);
hvkit::Guid attr_guid(nlattr *a);

// Which simulated device a service command talks to: --instance GUID, or
// the one device of the service's type.
struct SimTarget {
	std::string type;
	std::optional<hvkit::Guid> instance;
};
bool put_target(nl_msg *m, const SimTarget &t);

// One argument of a command's, as walk_args() hands it over: args[i].
struct ArgWalk {
	const std::vector<std::string_view> &args;
	size_t i;
	std::string_view arg() const { return args[i]; }
	// The argument after it (an option's value), taken; nullopt at the end.
	std::optional<std::string_view> value()
	{
		if (i + 1 >= args.size())
			return std::nullopt;
		return args[++i];
	}
	// The same, empty at the end: for an option whose value is never empty.
	std::string_view next() { return value().value_or(std::string_view()); }
};
// What an argument callback returns besides 0 (taken) and the exit status
// of a usage error it reported itself.
inline constexpr int kArgUnknown = -1;
using ArgFn = std::function<int(ArgWalk &)>;
// A command's argument loop, from args[from]: "--instance GUID" goes to
// *t (when t is given), every other argument to @each. An argument @each
// does not know is refused here, as "WHAT: unknown option 'ARG'" (or
// "unexpected argument" for one not starting with '-'). 0 when all were
// taken, else the exit status of the usage error reported.
int walk_args(const std::vector<std::string_view> &args, size_t from, const std::string &what,
	      SimTarget *t, const ArgFn &each);
// At "--timeout-ms": its value, a number above 0, into @ms; 0, or the exit
// status of the usage error reported.
int timeout_arg(ArgWalk &w, const std::string &what, uint32_t &ms);
// An argument callback that takes --json (into @json) and nothing else.
ArgFn json_flag(bool &json);
// One request to the simulated host (hvsim's generic netlink family): 0,
// or its failure reported as WHAT: ... and the exit status for it.
int sim_request(const std::string &what, int cmd, int flags, const hvkit::GenlClient::Fill &fill,
		const hvkit::GenlClient::OnReply &on_reply);

// A "hvctl sim SERVICE ..." command of a service's host side.
struct SimServiceCmd {
	const char *name;
	const char *usage;	// lines for --help, indented as the others
	int (*run)(const std::vector<std::string_view> &args);
};
extern const std::vector<SimServiceCmd> sim_service_cmds;

// The services' commands (sim_<service>.cpp).
int cmd_sim_kvp(const std::vector<std::string_view> &args);
int run_sim_vss(const std::vector<std::string_view> &args);
int run_sim_fcopy(const std::vector<std::string_view> &args);
int run_sim_nic(const std::vector<std::string_view> &args);
int run_sim_vpci(const std::vector<std::string_view> &args);
// sim_power.cpp: hvctl sim shutdown|timesync.
int cmd_sim_shutdown(const std::vector<std::string_view> &args);
int cmd_sim_timesync(const std::vector<std::string_view> &args);
// kvp.cpp: hvctl kvp get|set|list|delete (the guest's pool files).
extern const char *const kKvpUsage;
int cmd_kvp(const std::vector<std::string_view> &args);
// sim_scsi.cpp: hvctl sim scsi.
int cmd_sim_scsi(const std::vector<std::string_view> &args);

} // namespace hvctl
