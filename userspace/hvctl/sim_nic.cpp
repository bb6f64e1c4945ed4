// SPDX-License-Identifier: GPL-2.0
// hvctl sim nic: the simulated host's synthetic NIC. "link up|down" flips the
// link the host reports (the guest sees an RNDIS status indication, hvsim<N>
// its carrier); "speed" sets the link speed it reports (an indication too);
// "send-table" sets the send indirection table the host gives the guest;
// "show" prints the host's view of each NIC.
#include "hvctl.h"

extern "C" {
#include <hvkit/uapi/hvsim.h>
}

#include <netlink/attr.h>
#include <netlink/msg.h>

#include <netlink/netlink.h>

#include <cstdio>
#include <string>

namespace hvctl {

namespace {

int nic_link(const std::vector<std::string_view> &args)
{
	SimTarget t{"nic", {}};
	std::optional<uint32_t> up;
	int r = walk_args(args, 0, "sim nic link", &t, [&](ArgWalk &w) {
		if (up || (w.arg() != "up" && w.arg() != "down"))
			return kArgUnknown;
		up = w.arg() == "up" ? 1 : 0;
		return 0;
	});
	if (r)
		return r;
	if (!up)
		return usage_error("sim nic link needs up or down");
	return sim_request(
		"sim nic link", HVSIM_CMD_NIC_LINK, 0,
		[&](nl_msg *m) { return put_target(m, t) && nla_put_u32(m, HVSIM_A_NIC_LINK, *up) == 0; },
		[](nlattr **) {});
}

int nic_speed(const std::vector<std::string_view> &args)
{
	SimTarget t{"nic", {}};
	std::optional<uint32_t> speed;
	int r = walk_args(args, 0, "sim nic speed", &t, [&](ArgWalk &w) {
		uint32_t v = 0;
		if (speed || !parse_u32(w.arg(), v))
			return kArgUnknown;
		if (v < 1 || v > kNicSpeedMax)
			return usage_error("sim nic speed takes a number of Mbit/s from 1 to 429496");
		speed = v;
		return 0;
	});
	if (r)
		return r;
	if (!speed)
		return usage_error("sim nic speed needs a speed in Mbit/s");
	return sim_request(
		"sim nic speed", HVSIM_CMD_NIC_SPEED, 0,
		[&](nl_msg *m) { return put_target(m, t) && nla_put_u32(m, HVSIM_A_NIC_SPEED, *speed) == 0; },
		[](nlattr **) {});
}

// "send-table Q0 .. Q15": the TX queue for each of the 16 flow-hash buckets.
int nic_send_table(const std::vector<std::string_view> &args)
{
	SimTarget t{"nic", {}};
	std::vector<uint32_t> tab;
	int r = walk_args(args, 0, "sim nic send-table", &t, [&](ArgWalk &w) {
		uint32_t v = 0;
		if (tab.size() == 16 || !parse_u32(w.arg(), v))
			return kArgUnknown;
		tab.push_back(v);
		return 0;
	});
	if (r)
		return r;
	if (tab.size() != 16)
		return usage_error("sim nic send-table needs 16 queue numbers, one per flow-hash bucket");
	return sim_request(
		"sim nic send-table", HVSIM_CMD_NIC_SEND_TABLE, 0,
		[&](nl_msg *m) {
			return put_target(m, t) && nla_put(m, HVSIM_A_NIC_SEND_TABLE,
							   static_cast<int>(tab.size() * sizeof(tab[0])),
							   tab.data()) == 0;
		},
		[](nlattr **) {});
}

int nic_show(const std::vector<std::string_view> &args)
{
	bool json = false;
	if (int r = walk_args(args, 0, "sim nic show", nullptr, json_flag(json)))
		return r;
	std::vector<std::string> rows;
	int r = sim_request(
		"sim nic show", HVSIM_CMD_DEV_GET, NLM_F_DUMP, [](nl_msg *) { return true; },
		[&](nlattr **a) {
			if (!a[HVSIM_A_NIC_NETDEV] || !a[HVSIM_A_NIC_MAC] || nla_len(a[HVSIM_A_NIC_MAC]) != 6)
				return;
			const auto *mac = static_cast<const uint8_t *>(nla_data(a[HVSIM_A_NIC_MAC]));
			char m[18];
			std::snprintf(m, sizeof(m), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
				      mac[3], mac[4], mac[5]);
			auto u32 = [&](int k) { return a[k] ? nla_get_u32(a[k]) : 0U; };
			auto refused = a[HVSIM_A_NIC_REFUSED] ? nla_get_u64(a[HVSIM_A_NIC_REFUSED]) : 0;
			auto guid = hvkit::format_guid(attr_guid(a[HVSIM_A_INSTANCE]));
			auto nvsp = u32(HVSIM_A_NIC_NVSP);
			auto u64 = [&](int k) {
				return static_cast<unsigned long long>(a[k] ? nla_get_u64(a[k]) : 0);
			};
			auto granted = u32(HVSIM_A_NIC_OFFLOADS);
			std::string ofl = granted & HVSIM_NIC_OFL_CSUM ? "csum" : "";
			if (granted & HVSIM_NIC_OFL_TSO)
				ofl += ofl.empty() ? "tso" : ",tso";
			if (granted & HVSIM_NIC_OFL_RSC)
				ofl += ofl.empty() ? "rsc" : ",rsc";
			const char *dp = u32(HVSIM_A_NIC_DATAPATH) ? "vf" : "synthetic";
			char line[1024];
			if (json)
				std::snprintf(line, sizeof(line),
					      "{\"instance\":\"%s\",\"netdev\":%s,\"mac\":\"%s\",\"mtu_max\":%u,"
					      "\"link\":%s,\"nvsp\":\"%u.%u\",\"refused\":%llu,"
					      "\"offloads\":\"%s\",\"offloads_on\":%u,\"lso_frames\":%llu,"
					      "\"csum_frames\":%llu,\"datapath\":\"%s\",\"recv_buf\":%u,"
					      "\"recv_sections\":%u,\"send_buf\":%u,\"send_sections\":%u,"
					      "\"speed\":%u,\"filter\":%u,\"mcast\":%u,\"filtered\":%llu,\"keepalives\":%llu,"
					      "\"send_tables\":%llu,\"resets\":%llu}",
					      guid.c_str(),
					      json_str(nla_get_string(a[HVSIM_A_NIC_NETDEV])).c_str(), m,
					      u32(HVSIM_A_NIC_MTU), u32(HVSIM_A_NIC_LINK) ? "true" : "false",
					      nvsp >> 16, nvsp & 0xffff, static_cast<unsigned long long>(refused),
					      ofl.empty() ? "none" : ofl.c_str(), u32(HVSIM_A_NIC_OFFLOADS_ON),
					      u64(HVSIM_A_NIC_LSO_FRAMES), u64(HVSIM_A_NIC_CSUM_FRAMES), dp,
					      u32(HVSIM_A_NIC_RECV_BUF), u32(HVSIM_A_NIC_RECV_SECTIONS),
					      u32(HVSIM_A_NIC_SEND_BUF), u32(HVSIM_A_NIC_SEND_SECTIONS),
					      u32(HVSIM_A_NIC_SPEED), u32(HVSIM_A_NIC_FILTER),
					      u32(HVSIM_A_NIC_MCAST), u64(HVSIM_A_NIC_FILTERED),
					      u64(HVSIM_A_NIC_KEEPALIVES), u64(HVSIM_A_NIC_SEND_TABLES),
					      u64(HVSIM_A_NIC_RESETS));
			else
				std::snprintf(line, sizeof(line), "%-36s %-8s %s %5u %-4s %6u %u.%-3u %-9s %llu",
					      guid.c_str(), nla_get_string(a[HVSIM_A_NIC_NETDEV]), m,
					      u32(HVSIM_A_NIC_MTU), u32(HVSIM_A_NIC_LINK) ? "up" : "down",
					      u32(HVSIM_A_NIC_SPEED),
					      nvsp >> 16, nvsp & 0xffff, dp, static_cast<unsigned long long>(refused));
			rows.emplace_back(line);
		});
	if (r)
		return r;
	if (json) {
		std::printf("[");
		for (size_t i = 0; i < rows.size(); i++)
			std::printf("%s%s", i ? "," : "", rows[i].c_str());
		std::printf("]\n");
		return 0;
	}
	std::printf("%-36s %-8s %-17s %5s %-4s %6s %-5s %-9s %s\n", "INSTANCE", "NETDEV", "MAC", "MTU",
		    "LINK", "SPEED", "NVSP", "DATAPATH", "REFUSED");
	for (const auto &r : rows)
		std::printf("%s\n", r.c_str());
	return 0;
}

// "keepalive": the host sends an RNDIS KEEPALIVE and waits for the guest's answer.
int nic_keepalive(const std::vector<std::string_view> &args)
{
	SimTarget t{"nic", {}};
	if (int r = walk_args(args, 0, "sim nic keepalive", &t, [](ArgWalk &) { return kArgUnknown; }))
		return r;
	unsigned long long answered = 0;
	int r = sim_request(
		"sim nic keepalive", HVSIM_CMD_NIC_KEEPALIVE, 0, [&](nl_msg *m) { return put_target(m, t); },
		[&](nlattr **a) {
			if (a[HVSIM_A_NIC_KEEPALIVES])
				answered = nla_get_u64(a[HVSIM_A_NIC_KEEPALIVES]);
		});
	if (r)
		return r;
	std::printf("answered (%llu so far)\n", answered);
	return 0;
}

} // namespace

int run_sim_nic(const std::vector<std::string_view> &args)
{
	if (!args.empty() && args[0] == "link")
		return nic_link({args.begin() + 1, args.end()});
	if (!args.empty() && args[0] == "keepalive")
		return nic_keepalive({args.begin() + 1, args.end()});
	if (!args.empty() && args[0] == "speed")
		return nic_speed({args.begin() + 1, args.end()});
	if (!args.empty() && args[0] == "send-table")
		return nic_send_table({args.begin() + 1, args.end()});
	if (!args.empty() && args[0] == "show")
		return nic_show({args.begin() + 1, args.end()});
	return usage_error("sim nic needs link up|down, speed, keepalive, send-table or show");
}

} // namespace hvctl
