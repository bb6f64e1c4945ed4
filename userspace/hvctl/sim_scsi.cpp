// SPDX-License-Identifier: GPL-2.0
// hvctl sim scsi: the simulated SCSI controller's state, as its host sees it.
#include "hvctl.h"

extern "C" {
#include <hvkit/uapi/hvsim.h>
}

#include <netlink/attr.h>
#include <netlink/msg.h>

#include <charconv>
#include <cinttypes>
#include <cstdio>
#include <optional>
#include <string>

namespace hvctl {

namespace {

struct ScsiState {
	hvkit::Guid instance;
	uint32_t luns = 0, version = 0, sector = 0;
	uint64_t size = 0, reads = 0, writes = 0, unmaps = 0, refused = 0, dropped = 0;
	bool ro = false;
	uint32_t channels = 0, latency_us = 0, inflight_peak = 0;
	std::string backing;	// LUN 0's; empty: RAM
};

// A string as JSON: quoted, with quotes, backslashes and control bytes escaped.
std::string json_str(const std::string &s)
{
	std::string out = "\"";
	for (unsigned char ch : s) {
		if (ch == '"' || ch == '\\') {
			out += '\\';
			out += static_cast<char>(ch);
		} else if (ch < 0x20) {
			char b[8];
			std::snprintf(b, sizeof(b), "\\u%04x", ch);
			out += b;
		} else {
			out += static_cast<char>(ch);
		}
	}
	return out + "\"";
}

uint64_t get64(nlattr *a)
{
	return a ? nla_get_u64(a) : 0;
}

uint32_t get32(nlattr *a)
{
	return a ? nla_get_u32(a) : 0;
}

template <typename T> bool parse_num(std::string_view s, T &v)
{
	auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
	return ec == std::errc() && p == s.data() + s.size();
}

// "64M" -> bytes (K, M, G: KiB, MiB, GiB).
bool parse_bytes(std::string_view s, uint64_t &out)
{
	uint64_t mult = 1;
	if (!s.empty() && (s.back() == 'K' || s.back() == 'M' || s.back() == 'G')) {
		mult = s.back() == 'K' ? 1ULL << 10 : s.back() == 'M' ? 1ULL << 20 : 1ULL << 30;
		s.remove_suffix(1);
	}
	uint64_t v = 0;
	if (!parse_num(s, v) || !v || v > UINT64_MAX / mult)
		return false;
	out = v * mult;
	return true;
}

// hvctl sim scsi add-lun|remove-lun|medium-error|stall ...
int scsi_change(const std::vector<std::string_view> &args)
{
	const std::string what = "sim scsi " + std::string(args[0]);
	SimTarget t{"scsi", {}};
	uint32_t op = 0, lun = 0, sector = 0, stall = 0;
	uint64_t size = 0;
	std::optional<uint64_t> lba;
	bool ro = false, have_lun = false;
	std::string backing;
	std::vector<std::string_view> pos;
	int r = walk_args(args, 1, what, &t, [&](ArgWalk &w) {
		const std::string_view a = w.arg();
		if (a == "--read-only") {
			ro = true;
		} else if (a == "--size") {
			if (!parse_bytes(w.next(), size))
				return usage_error(what + ": --size takes a number of bytes, with K, M or G after it for KiB, MiB or GiB");
		} else if (a == "--sector-size") {
			if (!parse_num(w.next(), sector) || (sector != 512 && sector != 4096))
				return usage_error(what + ": --sector-size takes 512 or 4096");
		} else if (a == "--backing") {
			backing = w.next();
			if (backing.empty())
				return usage_error(what + ": --backing takes the path of a file or a block device");
		} else if (a.starts_with("--")) {
			return kArgUnknown;
		} else {
			pos.push_back(a);
		}
		return 0;
	});
	if (r)
		return r;
	if (args[0] == "stall") {
		op = HVSIM_SCSI_STALL;
		if (pos.size() != 1 || !parse_num(pos[0], stall) || stall > 600000)
			return usage_error(what + " takes the milliseconds the host answers nothing (at most 600000)");
	} else {
		op = args[0] == "add-lun" ? HVSIM_SCSI_ADD_LUN
		     : args[0] == "remove-lun" ? HVSIM_SCSI_REMOVE_LUN
					       : HVSIM_SCSI_MEDIUM_ERROR;
		const size_t want = op == HVSIM_SCSI_MEDIUM_ERROR ? 2 : 1;
		if (pos.size() != want || !parse_num(pos[0], lun) || lun > 63)
			return usage_error(what + (want == 2 ? " takes a LUN (0 to 63) and a block number, or 'none'"
							     : " takes a LUN (0 to 63)"));
		have_lun = true;
		if (want == 2 && pos[1] != "none") {
			uint64_t v = 0;
			if (!parse_num(pos[1], v))
				return usage_error(what + ": the block number is a whole number, or 'none'");
			lba = v;
		}
	}
	return sim_request(
		what, HVSIM_CMD_SCSI, 0,
		[&](nl_msg *m) {
			return put_target(m, t) && nla_put_u32(m, HVSIM_A_SCSI_OP, op) == 0 &&
			       (!have_lun || nla_put_u32(m, HVSIM_A_SCSI_LUN, lun) == 0) &&
			       (!size || nla_put_u64(m, HVSIM_A_SCSI_SIZE, size) == 0) &&
			       (!sector || nla_put_u32(m, HVSIM_A_SCSI_SECTOR, sector) == 0) &&
			       (!ro || nla_put_flag(m, HVSIM_A_SCSI_RO) == 0) &&
			       (backing.empty() || nla_put_string(m, HVSIM_A_SCSI_BACKING, backing.c_str()) == 0) &&
			       (!lba || nla_put_u64(m, HVSIM_A_SCSI_LBA, *lba) == 0) &&
			       (op != HVSIM_SCSI_STALL || nla_put_u32(m, HVSIM_A_SCSI_STALL_MS, stall) == 0);
		},
		nullptr);
}

} // namespace

int cmd_sim_scsi(const std::vector<std::string_view> &args)
{
	if (!args.empty() && (args[0] == "add-lun" || args[0] == "remove-lun" || args[0] == "medium-error" ||
			      args[0] == "stall"))
		return scsi_change(args);

	SimTarget t{"scsi", {}};
	bool json = false;
	if (int r = walk_args(args, !args.empty() && args[0] == "show" ? 1 : 0, "sim scsi", &t, json_flag(json)))
		return r;
	std::vector<ScsiState> found;
	int r = sim_request("sim scsi", HVSIM_CMD_DEV_GET, NLM_F_DUMP, nullptr, [&](nlattr **a) {
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
		s.dropped = get64(a[HVSIM_A_SCSI_DROPPED]);
		s.channels = get32(a[HVSIM_A_CHANNELS]);
		s.latency_us = get32(a[HVSIM_A_SCSI_LATENCY_US]);
		s.inflight_peak = get32(a[HVSIM_A_SCSI_INFLIGHT_PEAK]);
		if (a[HVSIM_A_SCSI_BACKING])
			s.backing = nla_get_string(a[HVSIM_A_SCSI_BACKING]);
		found.push_back(s);
	});
	if (r)
		return r;
	if (found.size() != 1)
		return fail(found.empty() ? "sim scsi: no such simulated SCSI controller"
					  : "sim scsi: more than one SCSI controller; name one with --instance GUID");
	const auto &s = found[0];
	if (json)
		std::printf("{\"instance\":\"%s\",\"luns\":%u,\"version\":\"%u.%u\",\"size\":%" PRIu64
			    ",\"sector_size\":%u,\"read_only\":%s,\"reads\":%" PRIu64 ",\"writes\":%" PRIu64
			    ",\"unmaps\":%" PRIu64 ",\"refused\":%" PRIu64 ",\"dropped\":%" PRIu64
			    ",\"channels\":%u,\"latency_us\":%u,\"inflight_peak\":%u,\"backing\":%s}\n",
			    hvkit::format_guid(s.instance).c_str(), s.luns, s.version >> 8, s.version & 0xff,
			    s.size, s.sector, s.ro ? "true" : "false", s.reads, s.writes, s.unmaps, s.refused,
			    s.dropped, s.channels, s.latency_us, s.inflight_peak,
			    s.backing.empty() ? "null" : json_str(s.backing).c_str());
	else
		std::printf("luns=%u version=%u.%u size=%" PRIu64 " sector_size=%u read_only=%d reads=%" PRIu64
			    " writes=%" PRIu64 " unmaps=%" PRIu64 " refused=%" PRIu64 " dropped=%" PRIu64
			    " channels=%u latency_us=%u inflight_peak=%u backing=%s\n",
			    s.luns, s.version >> 8, s.version & 0xff, s.size, s.sector, s.ro ? 1 : 0, s.reads,
			    s.writes, s.unmaps, s.refused, s.dropped, s.channels, s.latency_us,
			    s.inflight_peak, s.backing.empty() ? "-" : s.backing.c_str());
	return 0;
}

} // namespace hvctl
