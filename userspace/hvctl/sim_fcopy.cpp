// SPDX-License-Identifier: GPL-2.0
// hvctl sim fcopy: the host side of file copy (Hyper-V's Copy-VMFile).
// Copies a file into the guest through the simulated host, or cancels the
// copy under way.
#include "hvctl.h"
#include "ic_status.h"

extern "C" {
#include <hvkit/uapi/hvsim.h>
}

#include <netlink/attr.h>
#include <netlink/msg.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>

namespace hvctl {

namespace {

struct FcopyArgs {
	SimTarget t{"fcopy", {}};
	std::vector<std::string_view> pos;	// SRC DEST, or "cancel"
	uint32_t flags = 0;
	uint32_t chunk = 0;
	uint32_t timeout = 0;
	bool json = false;
};

// 0, or the exit status of a usage error.
int parse_fcopy_args(const std::vector<std::string_view> &args, FcopyArgs &a)
{
	return walk_args(args, 0, "sim fcopy", &a.t, [&](ArgWalk &w) {
		const std::string_view arg = w.arg();
		if (arg == "--json") {
			a.json = true;
		} else if (arg == "--overwrite") {
			a.flags |= HVK_FCOPY_OVER_WRITE;
		} else if (arg == "--create-path") {
			a.flags |= HVK_FCOPY_CREATE_PATH;
		} else if (arg == "--chunk") {
			auto v = w.value();
			if (!v || !parse_u32(*v, a.chunk) || !a.chunk || a.chunk > HVK_FCOPY_DATA_FRAGMENT)
				return usage_error("sim fcopy: --chunk takes a byte count from 1 to 6144");
		} else if (arg == "--timeout-ms") {
			return timeout_arg(w, "sim fcopy", a.timeout);
		} else if (arg.starts_with("--")) {
			return kArgUnknown;
		} else {
			a.pos.push_back(arg);
		}
		return 0;
	});
}

int fcopy_cancel(const FcopyArgs &a)
{
	if (a.flags || a.chunk)
		return usage_error("sim fcopy cancel takes only --instance, --timeout-ms and --json");
	uint32_t status = 0;
	uint64_t bytes = 0;
	int r = sim_request(
		"sim fcopy cancel", HVSIM_CMD_FCOPY_CANCEL, 0,
		[&](nl_msg *m) {
			return put_target(m, a.t) &&
			       (!a.timeout || nla_put_u32(m, HVSIM_A_IC_TIMEOUT_MS, a.timeout) == 0);
		},
		[&](nlattr **at) {
			if (at[HVSIM_A_IC_STATUS])
				status = nla_get_u32(at[HVSIM_A_IC_STATUS]);
			if (at[HVSIM_A_FCOPY_BYTES])
				bytes = nla_get_u64(at[HVSIM_A_FCOPY_BYTES]);
		});
	if (r)
		return r;
	if (a.json)
		std::printf("{\"cancelled\":true,\"status\":%u,\"status_name\":%s,\"bytes\":%llu}\n", status,
			    json_str(ic_status_name(status).name).c_str(), static_cast<unsigned long long>(bytes));
	else
		std::printf("cancelled after %llu bytes; the guest answered CANCEL_FCOPY with %s\n",
			    static_cast<unsigned long long>(bytes), ic_status_str(status).c_str());
	return 0;
}

int fcopy_copy(const FcopyArgs &a)
{
	if (a.pos.size() != 2)
		return usage_error("sim fcopy takes a source file and a destination DIR/NAME in the guest");
	std::string_view dest = a.pos[1];
	auto slash = dest.rfind('/');
	if (slash == std::string_view::npos || slash + 1 == dest.size())
		return usage_error("sim fcopy: the destination is a path ending in a file name, e.g. /tmp/x");
	// The directory keeps its '/': upstream's daemon creates (--create-path)
	// only the directories that a '/' follows.
	std::string path(dest.substr(0, slash + 1));
	std::string name(dest.substr(slash + 1));
	std::error_code ec;
	std::string src = std::filesystem::absolute(std::string(a.pos[0]), ec).string();
	if (ec)
		return fail("sim fcopy: " + std::string(a.pos[0]) + ": " + ec.message());

	uint32_t status = 0;
	uint64_t bytes = 0;
	int r = sim_request(
		"sim fcopy", HVSIM_CMD_FCOPY, 0,
		[&](nl_msg *m) {
			return put_target(m, a.t) && nla_put_string(m, HVSIM_A_FCOPY_SRC, src.c_str()) == 0 &&
			       nla_put(m, HVSIM_A_FCOPY_PATH, static_cast<int>(path.size()), path.data()) == 0 &&
			       nla_put(m, HVSIM_A_FCOPY_NAME, static_cast<int>(name.size()), name.data()) == 0 &&
			       nla_put_u32(m, HVSIM_A_FCOPY_FLAGS, a.flags) == 0 &&
			       (!a.chunk || nla_put_u32(m, HVSIM_A_FCOPY_CHUNK, a.chunk) == 0) &&
			       (!a.timeout || nla_put_u32(m, HVSIM_A_IC_TIMEOUT_MS, a.timeout) == 0);
		},
		[&](nlattr **at) {
			if (at[HVSIM_A_IC_STATUS])
				status = nla_get_u32(at[HVSIM_A_IC_STATUS]);
			if (at[HVSIM_A_FCOPY_BYTES])
				bytes = nla_get_u64(at[HVSIM_A_FCOPY_BYTES]);
		});
	if (r)
		return r;
	if (a.json) {
		std::printf("{\"status\":%u,\"status_name\":%s,\"bytes\":%llu}\n", status,
			    json_str(ic_status_name(status).name).c_str(), static_cast<unsigned long long>(bytes));
		return status == HVK_S_OK ? 0 : kExitFail;
	}
	if (status != HVK_S_OK)
		return fail("sim fcopy: the guest answered " + ic_status_str(status) + " (" +
			    std::to_string(bytes) + " bytes taken; the host sent CANCEL_FCOPY)");
	std::printf("copied %llu bytes to %s%s: %s\n", static_cast<unsigned long long>(bytes), path.c_str(),
		    name.c_str(), ic_status_str(status).c_str());
	return 0;
}

} // namespace

int run_sim_fcopy(const std::vector<std::string_view> &args)
{
	FcopyArgs a;
	if (int r = parse_fcopy_args(args, a))
		return r;
	if (a.pos.size() == 1 && a.pos[0] == "cancel")
		return fcopy_cancel(a);
	return fcopy_copy(a);
}

} // namespace hvctl
