// SPDX-License-Identifier: GPL-2.0
// hvctl sim vss: the host side of VSS (backup). Sends one operation to the
// guest and prints what it answered.
#include "hvctl.h"
#include "ic_status.h"

extern "C" {
#include <hvkit/uapi/hvsim.h>
}

#include <netlink/attr.h>
#include <netlink/msg.h>

#include <array>
#include <cstdio>
#include <string>

namespace hvctl {

namespace {

struct VssOp {
	const char *name;
	uint32_t op;
};

// enum hvk_vss_op, in hvctl's words.
constexpr std::array<VssOp, 8> kVssOps = {{
	{"create", HVK_VSS_OP_CREATE},
	{"delete", HVK_VSS_OP_DELETE},
	{"hot-backup", HVK_VSS_OP_HOT_BACKUP},
	{"get-dm-info", HVK_VSS_OP_GET_DM_INFO},
	{"bu-complete", HVK_VSS_OP_BU_COMPLETE},
	{"freeze", HVK_VSS_OP_FREEZE},
	{"thaw", HVK_VSS_OP_THAW},
	{"auto-recover", HVK_VSS_OP_AUTO_RECOVER},
}};

std::optional<uint32_t> vss_op(std::string_view s)
{
	for (const auto &o : kVssOps)
		if (s == o.name)
			return o.op;
	uint32_t v;
	if (parse_u32(s, v) && v <= 0xff)
		return v;
	return std::nullopt;
}

int cmd_sim_vss(const std::vector<std::string_view> &args)
{
	SimTarget t{"vss", {}};
	std::optional<uint32_t> op, flags;
	std::string op_name;
	uint32_t timeout = 0;
	bool json = false;
	int r = walk_args(args, 0, "sim vss", &t, [&](ArgWalk &w) {
		const std::string_view a = w.arg();
		if (a == "--json") {
			json = true;
		} else if (a == "--timeout-ms") {
			return timeout_arg(w, "sim vss", timeout);
		} else if (a == "--flags") {
			auto v = w.value();
			uint32_t f = 0;
			if (!v || !parse_u32(*v, f))
				return usage_error("sim vss: --flags takes a number");
			flags = f;
		} else if (!op && !a.starts_with("-")) {
			op = vss_op(a);
			if (!op)
				return usage_error("sim vss: unknown operation '" + std::string(a) +
						   "' (freeze, thaw, hot-backup, get-dm-info, create, delete, "
						   "bu-complete, auto-recover, or a number up to 255)");
			op_name = std::string(a);
		} else {
			return kArgUnknown;
		}
		return 0;
	});
	if (r)
		return r;
	if (!op)
		return usage_error("sim vss needs an operation: freeze, thaw, hot-backup, ...");
	uint32_t status = 0, rflags = 0;
	r = sim_request(
		"sim vss", HVSIM_CMD_VSS, 0,
		[&](nl_msg *m) {
			return put_target(m, t) && nla_put_u32(m, HVSIM_A_VSS_OP, *op) == 0 &&
			       (!flags || nla_put_u32(m, HVSIM_A_VSS_FLAGS, *flags) == 0) &&
			       (!timeout || nla_put_u32(m, HVSIM_A_IC_TIMEOUT_MS, timeout) == 0);
		},
		[&](nlattr **a) {
			if (a[HVSIM_A_IC_STATUS])
				status = nla_get_u32(a[HVSIM_A_IC_STATUS]);
			if (a[HVSIM_A_VSS_FLAGS])
				rflags = nla_get_u32(a[HVSIM_A_VSS_FLAGS]);
		});
	if (r)
		return r;
	if (json)
		std::printf("{\"op\":%u,\"status\":%u,\"status_name\":%s,\"flags\":%u}\n", *op, status,
			    json_str(ic_status_name(status).name).c_str(), rflags);
	else
		std::printf("%s: %s; flags 0x%08x\n", op_name.c_str(), ic_status_str(status).c_str(),
			    rflags);
	return status == HVK_S_OK ? 0 : kExitFail;
}

} // namespace

int run_sim_vss(const std::vector<std::string_view> &args)
{
	return cmd_sim_vss(args);
}

} // namespace hvctl
