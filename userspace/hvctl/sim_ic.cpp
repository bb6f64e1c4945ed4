// SPDX-License-Identifier: GPL-2.0
// hvctl sim heartbeat|raw: the host side of the integration services that
// every service shares. Each service's own commands live in a file of its
// own and are listed in sim_service_cmds below.
#include "hvctl.h"

extern "C" {
#include <hvkit/uapi/hvsim.h>
}

#include <netlink/attr.h>
#include <netlink/msg.h>

#include <cctype>
#include <charconv>
#include <cstdio>
#include <string>

namespace hvctl {

namespace {

int cmd_sim_heartbeat(const std::vector<std::string_view> &args)
{
	SimTarget t{"heartbeat", {}};
	bool json = false;
	if (int r = walk_args(args, 0, "sim heartbeat", &t, json_flag(json)))
		return r;
	uint64_t sent = 0, answered = 0, seq = 0;
	int r = sim_request(
		"sim heartbeat", HVSIM_CMD_HEARTBEAT_GET, 0, [&](nl_msg *m) { return put_target(m, t); },
		[&](nlattr **a) {
			if (a[HVSIM_A_HB_SENT])
				sent = nla_get_u64(a[HVSIM_A_HB_SENT]);
			if (a[HVSIM_A_HB_ANSWERED])
				answered = nla_get_u64(a[HVSIM_A_HB_ANSWERED]);
			if (a[HVSIM_A_HB_SEQ])
				seq = nla_get_u64(a[HVSIM_A_HB_SEQ]);
		});
	if (r)
		return r;
	if (json)
		std::printf("{\"sent\":%llu,\"answered\":%llu,\"sequence\":%llu}\n",
			    static_cast<unsigned long long>(sent), static_cast<unsigned long long>(answered),
			    static_cast<unsigned long long>(seq));
	else
		std::printf("sent %llu, answered %llu, sequence %llu\n", static_cast<unsigned long long>(sent),
			    static_cast<unsigned long long>(answered), static_cast<unsigned long long>(seq));
	return 0;
}

// Hex digits (whitespace allowed) to bytes.
bool parse_hex(std::string_view s, std::vector<uint8_t> &out)
{
	std::string digits;
	for (char c : s)
		if (!std::isspace(static_cast<unsigned char>(c)))
			digits += c;
	if (digits.size() % 2)
		return false;
	for (size_t i = 0; i < digits.size(); i += 2) {
		uint8_t b;
		auto [p, ec] = std::from_chars(digits.data() + i, digits.data() + i + 2, b, 16);
		if (ec != std::errc() || p != digits.data() + i + 2)
			return false;
		out.push_back(b);
	}
	return true;
}

int cmd_sim_raw(const std::vector<std::string_view> &args)
{
	if (args.size() < 3)
		return usage_error("sim raw takes a device type or GUID, a message type and a hex body");
	SimTarget t;
	if (auto g = hvkit::parse_guid(args[0]))
		t.instance = g;
	else
		t.type = std::string(args[0]);
	uint32_t type, size = 0, timeout = 0;
	bool have_size = false;
	if (!parse_u32(args[1], type) || type > 0xffff)
		return usage_error("sim raw: the message type is a number from 0 to 65535");
	std::vector<uint8_t> body;
	if (!parse_hex(args[2], body) || body.empty())
		return usage_error("sim raw: the body is a non-empty string of hex digit pairs");
	int r = walk_args(args, 3, "sim raw", nullptr, [&](ArgWalk &w) {
		if (w.arg() == "--size") {
			auto v = w.value();
			if (!v || !parse_u32(*v, size) || size > 0xffff)
				return usage_error("sim raw: --size takes a number from 0 to 65535");
			have_size = true;
		} else if (w.arg() == "--timeout-ms") {
			return timeout_arg(w, "sim raw", timeout);
		} else {
			return kArgUnknown;
		}
		return 0;
	});
	if (r)
		return r;
	uint32_t status = 0;
	std::vector<uint8_t> answer;
	r = sim_request(
		"sim raw", HVSIM_CMD_IC_RAW, 0,
		[&](nl_msg *m) {
			return put_target(m, t) && nla_put_u32(m, HVSIM_A_IC_MSGTYPE, type) == 0 &&
			       nla_put(m, HVSIM_A_RAW, static_cast<int>(body.size()), body.data()) == 0 &&
			       (!have_size || nla_put_u32(m, HVSIM_A_IC_MSGSIZE, size) == 0) &&
			       (!timeout || nla_put_u32(m, HVSIM_A_IC_TIMEOUT_MS, timeout) == 0);
		},
		[&](nlattr **a) {
			if (a[HVSIM_A_IC_STATUS])
				status = nla_get_u32(a[HVSIM_A_IC_STATUS]);
			if (a[HVSIM_A_RAW]) {
				auto *p = static_cast<const uint8_t *>(nla_data(a[HVSIM_A_RAW]));
				answer.assign(p, p + nla_len(a[HVSIM_A_RAW]));
			}
		});
	if (r)
		return r;
	std::printf("status 0x%08x body", status);
	for (auto b : answer)
		std::printf(" %02x", b);
	std::printf("\n");
	return 0;
}

} // namespace

const std::vector<SimServiceCmd> sim_service_cmds = {
	{"heartbeat",
	 "  sim heartbeat [--instance GUID] [--json]\n"
	 "                            heartbeats the host sent, those the guest answered,\n"
	 "                            and the last sequence number it answered\n",
	 cmd_sim_heartbeat},
	{"shutdown",
	 "  sim shutdown poweroff|restart|hibernate [--force] [--reason TEXT]\n"
	 "          [--instance GUID] [--timeout-ms N]\n"
	 "                            ask the guest to power off, restart or hibernate\n"
	 "                            (TEXT: the message shown with it); prints the\n"
	 "                            guest's answer (S_OK, E_FAIL, ...)\n",
	 cmd_sim_shutdown},
	{"timesync",
	 "  sim timesync sync|sample [--time UNIX_SECONDS[.FRAC] | --offset SECONDS]\n"
	 "          [--delay SECONDS] [--instance GUID] [--timeout-ms N]\n"
	 "                            send the host's time (now, the time given, or now\n"
	 "                            plus SECONDS) as a SYNC (the guest sets its clock)\n"
	 "                            or a SAMPLE, --delay: as if it took that long to\n"
	 "                            arrive; prints the guest's answer\n",
	 cmd_sim_timesync},
	{"raw",
	 "  sim raw TYPE|GUID MSGTYPE HEX [--size N] [--timeout-ms N]\n"
	 "                            send any IC message (body in hex; icmsgsize N) as\n"
	 "                            the host of that device; prints the guest's status\n"
	 "                            and answer\n",
	 cmd_sim_raw},
	{"kvp",
	 "  sim kvp get|delete [--pool N] KEY\n"
	 "  sim kvp set [--pool N] [--type sz|u32|u64|qword|N] KEY VALUE\n"
	 "  sim kvp enumerate [--pool N] [--index N]\n"
	 "  sim kvp ipinfo-get|ipinfo-set MAC [--addr L] [--subnet L] [--gateway L]\n"
	 "          [--dns L] [--dhcp] [--family N] [--pool N]\n"
	 "  sim kvp op N [--pool N] [--index N] [--type T] [KEY [VALUE]]\n"
	 "          (each: [--instance GUID] [--timeout-ms N] [--json])\n"
	 "                            the host's KVP requests: a key in pool N (0 to 4,\n"
	 "                            default 0; up to 255 is sent as given), every item\n"
	 "                            of a pool (until the guest says no more), an\n"
	 "                            adapter's IP configuration, or any operation N;\n"
	 "                            prints the guest's answer, or its status in words;\n"
	 "                            --repeat N: the request N times, timed (prints\n"
	 "                            requests per second, p50 and p99 in us)\n",
	 cmd_sim_kvp},
	{"vss",
	 "  sim vss OP [--flags N] [--instance GUID] [--timeout-ms N] [--json]\n"
	 "                            VSS (backup): send OP (freeze, thaw, hot-backup,\n"
	 "                            get-dm-info, create, delete, bu-complete,\n"
	 "                            auto-recover, or a number) and print the guest's\n"
	 "                            status and flags; exit 1 unless it is S_OK\n",
	 run_sim_vss},
	{"fcopy",
	 "  sim fcopy SRC DIR/NAME [--overwrite] [--create-path] [--chunk N]\n"
	 "            [--instance GUID] [--timeout-ms N] [--json]\n"
	 "                            file copy: copy SRC (a file here, read by the host)\n"
	 "                            to DIR/NAME in the guest, N bytes a request (6144);\n"
	 "                            exit 1 unless the guest answered S_OK\n"
	 "  sim fcopy cancel [--instance GUID] [--timeout-ms N] [--json]\n"
	 "                            cancel the copy under way (its command fails)\n",
	 run_sim_fcopy},
	{"scsi",
	 "  sim scsi [--instance GUID] [--json]\n"
	 "                            a SCSI controller's state: LUNs, the protocol\n"
	 "                            version agreed, LUN 0's size, sector size and\n"
	 "                            read-only flag, READs, WRITEs and UNMAPs served,\n"
	 "                            requests refused as malformed, requests a stall\n"
	 "                            left unanswered, the channels it offers, its\n"
	 "                            latency and LUN 0's backing ('show' may precede\n"
	 "                            the options)\n"
	 "  sim scsi add-lun LUN [--size BYTES[K|M|G]] [--sector-size 512|4096]\n"
	 "          [--read-only] [--backing PATH] [--instance GUID]\n"
	 "                            --backing: a file or block device of the guest's\n"
	 "                            holds the LUN (its size theirs), not RAM\n"
	 "  sim scsi remove-lun LUN [--instance GUID]\n"
	 "                            add or remove a LUN (0 to 63); the guest is told\n"
	 "                            to rescan\n"
	 "  sim scsi medium-error LUN BLOCK|none [--instance GUID]\n"
	 "                            reads of BLOCK fail with a medium error (none: no\n"
	 "                            block fails)\n"
	 "  sim scsi stall MS [--instance GUID]\n"
	 "                            the host answers no request for MS milliseconds\n"
	 "                            (a bus reset ends it early)\n",
	 cmd_sim_scsi},
	{"nic",
	 "  sim nic link up|down [--instance GUID]\n"
	 "                            the link the host reports to the guest's NIC\n"
	 "  sim nic speed MBITS [--instance GUID]\n"
	 "                            the link speed the host reports (Mbit/s, 1 to\n"
	 "                            429496); the guest is told of a change\n"
	 "  sim nic keepalive [--instance GUID]\n"
	 "                            an RNDIS keepalive to the guest; waits for its answer\n"
	 "  sim nic send-table Q0 .. Q15 [--instance GUID]\n"
	 "                            the send indirection table the host gives the guest:\n"
	 "                            the TX queue of each of the 16 flow-hash buckets\n"
	 "  sim nic show [--json]     each NIC: its hvsim<N> peer, MAC, MTU ceiling, link,\n"
	 "                            NVSP version and the guest messages it refused;\n"
	 "                            --json adds the offloads granted and enabled, the\n"
	 "                            LSO and checksummed frames the guest sent, and the\n"
	 "                            guest's buffers and their sections\n",
	 run_sim_nic},
	{"vpci",
	 "  sim vpci attach|detach [--instance GUID]\n"
	 "                            hot add the function to the guest's vPCI bus, or\n"
	 "                            eject it (waits until the guest gave it back)\n",
	 run_sim_vpci},
};

} // namespace hvctl
