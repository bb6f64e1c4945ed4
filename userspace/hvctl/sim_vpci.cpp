// SPDX-License-Identifier: GPL-2.0
// hvctl sim vpci: the simulated host's vPCI bus. "attach" puts the function
// back on the guest's bus (bus relations: hot add); "detach" ejects it (hot
// remove) and returns once the guest gave it back.
#include "hvctl.h"

extern "C" {
#include <hvkit/uapi/hvsim.h>
}

#include <netlink/attr.h>
#include <netlink/msg.h>

#include <netlink/netlink.h>

#include <string>

namespace hvctl {

int run_sim_vpci(const std::vector<std::string_view> &args)
{
	if (args.empty() || (args[0] != "attach" && args[0] != "detach"))
		return usage_error("sim vpci needs attach or detach");
	const uint32_t op = args[0] == "attach" ? HVSIM_VPCI_ATTACH : HVSIM_VPCI_DETACH;
	const std::string what = "sim vpci " + std::string(args[0]);
	SimTarget t{"vpci", {}};
	if (int r = walk_args(args, 1, what, &t, [](ArgWalk &) { return kArgUnknown; }))
		return r;
	return sim_request(
		what, HVSIM_CMD_VPCI, 0,
		[&](nl_msg *m) { return put_target(m, t) && nla_put_u32(m, HVSIM_A_VPCI_OP, op) == 0; },
		[](nlattr **) {});
}

} // namespace hvctl
