// SPDX-License-Identifier: GPL-2.0
// hvctl sim scsi: the simulated SCSI controller's state, as its host sees it.
#include "hvctl.h"

extern "C" {
#include <hvkit/uapi/hvsim.h>
}

#include <netlink/attr.h>
#include <netlink/msg.h>

#include <cinttypes>
#include <cstdio>
#include <string>

namespace hvctl {

namespace {

struct ScsiState {
	hvkit::Guid instance;
	uint32_t luns = 0, version = 0, sector = 0;
	uint64_t size = 0, reads = 0, writes = 0, unmaps = 0, refused = 0;
	bool ro = false;
};

uint64_t get64(nlattr *a)
{
	return a ? nla_get_u64(a) : 0;
}

uint32_t get32(nlattr *a)
{
	return a ? nla_get_u32(a) : 0;
}

} // namespace

int cmd_sim_scsi(const std::vector<std::string_view> &args)
{
	SimTarget t{"scsi", {}};
	bool json = false;
	for (size_t i = 0; i < args.size(); i++) {
		int r = sim_target_arg(args, i, t);
		if (r < 0)
			return -r;
		if (r)
			continue;
		if (args[i] == "--json")
			json = true;
		else
			return usage_error("sim scsi: unknown option '" + std::string(args[i]) + "'");
	}
	hvkit::GenlClient nl(HVSIM_GENL_NAME);
	if (!nl.ok())
		return genl_failure(nl.error(), "sim scsi");
	std::vector<ScsiState> found;
	auto e = nl.request(HVSIM_CMD_DEV_GET, NLM_F_DUMP, HVSIM_A_MAX, nullptr, [&](nlattr **a) {
		if (!a[HVSIM_A_TYPE] || std::string(nla_get_string(a[HVSIM_A_TYPE])) != "scsi")
			return;
		ScsiState s;
		s.instance = attr_guid(a[HVSIM_A_INSTANCE]);
		if (t.instance && s.instance.b != t.instance->b)
			return;
		s.luns = get32(a[HVSIM_A_SCSI_LUNS]);
		s.version = get32(a[HVSIM_A_SCSI_VERSION]);
		s.sector = get32(a[HVSIM_A_SCSI_SECTOR]);
		s.size = get64(a[HVSIM_A_SCSI_SIZE]);
		s.ro = a[HVSIM_A_SCSI_RO] != nullptr;
		s.reads = get64(a[HVSIM_A_SCSI_READS]);
		s.writes = get64(a[HVSIM_A_SCSI_WRITES]);
		s.unmaps = get64(a[HVSIM_A_SCSI_UNMAPS]);
		s.refused = get64(a[HVSIM_A_SCSI_REFUSED]);
		found.push_back(s);
	});
	if (e.err)
		return genl_failure(e, "sim scsi");
	if (found.size() != 1)
		return fail(found.empty() ? "sim scsi: no such simulated SCSI controller"
					  : "sim scsi: more than one SCSI controller; name one with --instance GUID");
	const auto &s = found[0];
	if (json)
		std::printf("{\"instance\":\"%s\",\"luns\":%u,\"version\":\"%u.%u\",\"size\":%" PRIu64
			    ",\"sector_size\":%u,\"read_only\":%s,\"reads\":%" PRIu64 ",\"writes\":%" PRIu64
			    ",\"unmaps\":%" PRIu64 ",\"refused\":%" PRIu64 "}\n",
			    hvkit::format_guid(s.instance).c_str(), s.luns, s.version >> 8, s.version & 0xff,
			    s.size, s.sector, s.ro ? "true" : "false", s.reads, s.writes, s.unmaps, s.refused);
	else
		std::printf("luns=%u version=%u.%u size=%" PRIu64 " sector_size=%u read_only=%d reads=%" PRIu64
			    " writes=%" PRIu64 " unmaps=%" PRIu64 " refused=%" PRIu64 "\n",
			    s.luns, s.version >> 8, s.version & 0xff, s.size, s.sector, s.ro ? 1 : 0, s.reads,
			    s.writes, s.unmaps, s.refused);
	return 0;
}

} // namespace hvctl
