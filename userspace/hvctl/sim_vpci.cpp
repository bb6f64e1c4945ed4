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
	SimTarget t{"vpci", {}};
	for (size_t i = 1; i < args.size(); i++) {
		int r = sim_target_arg(args, i, t);
		if (r < 0)
			return -r;
		if (!r)
			return usage_error("sim vpci: bad argument '" + std::string(args[i]) + "'");
	}
	hvkit::GenlClient nl(HVSIM_GENL_NAME);
	if (!nl.ok())
		return genl_failure(nl.error(), "sim vpci");
	auto e = nl.request(
		HVSIM_CMD_VPCI, 0, HVSIM_A_MAX,
		[&](nl_msg *m) { return put_target(m, t) && nla_put_u32(m, HVSIM_A_VPCI_OP, op) == 0; },
		[](nlattr **) {});
	if (e.err)
		return genl_failure(e, op == HVSIM_VPCI_ATTACH ? "sim vpci attach" : "sim vpci detach");
	return 0;
}

} // namespace hvctl
