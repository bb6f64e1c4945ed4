// SPDX-License-Identifier: GPL-2.0
// hvctl: the operator's tool for VMBus devices, and for hvkit's simulated
// host. `hvctl --help` says what it does.
#include "hvctl.h"

#include "../lib/genl.h"
#include "../lib/guid.h"
#include "../lib/vmbus.h"

extern "C" {
#include <hvkit/uapi/hvsim.h>
}

#include <netlink/attr.h>
#include <netlink/msg.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hvctl {

namespace {

constexpr const char *kUsage = R"(usage: hvctl COMMAND [ARGS]

VMBus devices (read from /sys/bus/vmbus):
  list [-v] [--json]        devices and their channels, as lsvmbus shows them;
                            -v adds each channel's live ring state

The simulated host (hvkit_sim, over generic netlink "hvsim"; needs root):
  sim add TYPE [--instance GUID] [--channels N] [--monitored]
          [--no-dedicated-interrupt] [--fw-versions LIST] [--versions LIST]
          [--size BYTES[K|M|G]] [--sector-size 512|4096] [--read-only]
                            offer a new device of TYPE (echo, heartbeat, ...);
                            prints its GUID; an integration service offers
                            Hyper-V's versions, or LIST (e.g. 3.0,1.0), in order;
                            --monitored: the guest signals it through the
                            monitor page, which the host polls;
                            --no-dedicated-interrupt: below VMBus 5.0 the guest
                            signals it through its interrupt page;
                            scsi: LUN 0's size (default 64M), sector size
                            and read-only flag
          [--backing PATH] [--latency-us N]
                            scsi: LUN 0 is this file or block device of the
                            guest's (its size theirs), not RAM; each completion
                            is N microseconds late (at most 1000000)
          [--mac MAC] [--mtu N] [--link-down] [--nvsp-max VERSION]
                            nic: the MAC the guest gets (default 00:15:5d:
                            and random), the largest MTU allowed (65521), the
                            link down at first, the newest NVSP version the
                            host accepts (6.1; 6.0, 5.0, 4.0, 3.2)
          [--pci DDDD:BB:DD.F]
                            vpci: the PCI function the host passes through
                            (taken from its driver while the device exists)
          [--queues N]      nic: RSS queues, the primary channel and up to
                            N - 1 sub-channels (the same as --channels N)
          [--offloads LIST] nic: the offloads the host grants, none or a
                            list of csum, tso and rsc (default: all)
          [--speed MBITS]   nic: the link speed the host reports, in Mbit/s
                            (1 to 429496; default 100000)
  sim remove GUID           rescind the device
  sim list [--json]         the simulated host's devices
  sim fault NAME COUNT      arm a fault for its next COUNT chances (0 disarms)
  sim faults [--json]       every fault, armed count and times it fired
)";

constexpr const char *kUsageEnd = R"(
  -h, --help                this text
Exit status: 0 success, 1 failure, 2 bad usage.
)";

} // namespace

int usage_error(const std::string &msg)
{
	std::fprintf(stderr, "hvctl: %s (see 'hvctl --help')\n", msg.c_str());
	return kExitUsage;
}

int fail(const std::string &msg)
{
	std::fprintf(stderr, "hvctl: %s\n", msg.c_str());
	return kExitFail;
}

std::string json_str(std::string_view s)
{
	std::string out = "\"";
	for (char c : s) {
		if (c == '"' || c == '\\') {
			out += '\\';
			out += c;
		} else if (static_cast<unsigned char>(c) < 0x20) {
			char buf[8];
			std::snprintf(buf, sizeof(buf), "\\u%04x", c);
			out += buf;
		} else {
			out += c;
		}
	}
	return out + "\"";
}

namespace {

bool is_number(std::string_view s)
{
	return !s.empty() && s.find_first_not_of("-0123456789") == std::string_view::npos;
}

// ---- hvctl list ----

int cmd_list(const std::vector<std::string_view> &args)
{
	bool verbose = false, json = false;
	int r = walk_args(args, 0, "list", nullptr, [&](ArgWalk &w) {
		if (w.arg() == "-v" || w.arg() == "--verbose")
			verbose = true;
		else if (w.arg() == "--json")
			json = true;
		else
			return kArgUnknown;
		return 0;
	});
	if (r)
		return r;
	if (!std::filesystem::exists("/sys/bus/vmbus"))
		return fail("no VMBus here: /sys/bus/vmbus does not exist (load hvkit_vmbus, or run on Hyper-V)");
	std::vector<hvkit::DeviceInfo> devs;
	std::string err;
	if (!hvkit::list_devices(devs, err))
		return fail(err);

	if (json) {
		std::printf("{\"protocol_version\":%s,\"devices\":[", json_str(hvkit::protocol_version()).c_str());
		for (size_t i = 0; i < devs.size(); i++) {
			const auto &d = devs[i];
			auto cls = hvkit::parse_guid(d.class_id);
			std::printf("%s{\"id\":%u,\"class_id\":%s,\"class_name\":%s,\"device_id\":%s,\"driver\":%s,\"channels\":[",
				    i ? "," : "", d.relid, json_str(d.class_id).c_str(),
				    json_str(cls ? hvkit::class_name(*cls) : "").c_str(),
				    json_str(d.device_id).c_str(), json_str(d.driver).c_str());
			for (size_t j = 0; j < d.channels.size(); j++) {
				const auto &c = d.channels[j];
				std::printf("%s{\"relid\":%u", j ? "," : "", c.relid);
				for (const auto &[k, v] : c.attrs) {
					if (!verbose && k != "cpu" && k != "subchannel_id" && k != "state")
						continue;
					std::printf(",%s:%s", json_str(k).c_str(),
						    is_number(v) ? v.c_str() : json_str(v).c_str());
				}
				std::printf("}");
			}
			std::printf("]}");
		}
		std::printf("]}\n");
		return 0;
	}

	std::string pv = hvkit::protocol_version();
	if (!pv.empty())
		std::printf("VMBus protocol %s\n", pv.c_str());
	for (const auto &d : devs) {
		auto cls = hvkit::parse_guid(d.class_id);
		std::string_view name = cls ? hvkit::class_name(*cls) : "";
		std::printf("VMBUS ID %3u: Class_ID = {%s} - %s\n", d.relid, d.class_id.c_str(),
			    name.empty() ? "Unknown" : std::string(name).c_str());
		std::printf("\tDevice_ID = {%s}\n", d.device_id.c_str());
		std::printf("\tDriver: %s\n", d.driver.empty() ? "(none)" : d.driver.c_str());
		for (const auto &c : d.channels) {
			std::printf("\tChannel %u: sub-channel %s, CPU %s, %s\n", c.relid,
				    c.attr("subchannel_id").c_str(), c.attr("cpu").c_str(),
				    c.attr("state").c_str());
			if (!verbose)
				continue;
			for (const char *dir : {"out", "in"}) {
				auto a = [&](const char *f) { return c.attr(std::string(dir) + "_" + f); };
				std::printf("\t  %-3s ring: read %s write %s, readable %s writable %s, mask %s, pending_send_sz %s\n",
					    dir, a("read_index").c_str(), a("write_index").c_str(),
					    a("read_bytes_avail").c_str(), a("write_bytes_avail").c_str(),
					    a("mask").c_str(), a("pending_send_sz").c_str());
			}
			std::printf("\t  interrupts %s, events %s, sends refused (ring full) %s\n",
				    c.attr("interrupts").c_str(), c.attr("events").c_str(),
				    c.attr("out_full_total").c_str());
			// Only monitored channels have these (as upstream).
			if (!c.attr("monitor_id").empty())
				std::printf("\t  monitor id %s: pending %s, host polls every %s x 100 ns\n",
					    c.attr("monitor_id").c_str(), c.attr("pending").c_str(),
					    c.attr("latency").c_str());
		}
	}
	return 0;
}

} // namespace

// ---- hvctl sim ----

int genl_failure(const hvkit::NlError &e, const char *what)
{
	if (e.err == -ENOENT && e.msg.empty())
		return fail("the simulated host is not loaded; run 'modprobe hvkit_sim'");
	if (e.err == -EPERM)
		return fail(std::string(what) + ": permission denied: this needs root (CAP_NET_ADMIN)");
	return fail(std::string(what) + ": " + (e.msg.empty() ? std::strerror(-e.err) : e.msg));
}

bool parse_uint(std::string_view s, uint64_t &v, uint64_t max)
{
	int base = 10;
	if (s.starts_with("0x")) {
		s.remove_prefix(2);
		base = 16;
	}
	auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
	return !s.empty() && ec == std::errc() && p == s.data() + s.size() && v <= max;
}

bool parse_u32(std::string_view s, uint32_t &v)
{
	uint64_t w;
	if (!parse_uint(s, w, UINT32_MAX))
		return false;
	v = static_cast<uint32_t>(w);
	return true;
}

std::optional<hvkit::Guid> guid_arg(std::string_view s)
{
	auto g = hvkit::parse_guid(s);
	if (!g)
		std::fprintf(stderr, "hvctl: '%.*s' is not a GUID (expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)\n",
			     static_cast<int>(s.size()), s.data());
	return g;
}

hvkit::Guid attr_guid(nlattr *a)
{
	hvkit::Guid g;
	if (a && nla_len(a) == 16)
		std::memcpy(g.b.data(), nla_data(a), 16);
	return g;
}

int walk_args(const std::vector<std::string_view> &args, size_t from, const std::string &what,
	      SimTarget *t, const ArgFn &each)
{
	for (ArgWalk w{args, from}; w.i < args.size(); w.i++) {
		const std::string_view a = w.arg();
		if (t && a == "--instance") {
			auto v = w.value();
			if (!v)
				return usage_error(what + ": --instance needs a device GUID");
			t->instance = guid_arg(*v);
			if (!t->instance)
				return kExitUsage;
			continue;
		}
		int r = each(w);
		if (r == kArgUnknown)
			return usage_error(what + (a.starts_with("-") ? ": unknown option '" : ": unexpected argument '") +
					   std::string(a) + "'");
		if (r)
			return r;
	}
	return 0;
}

int sim_request(const std::string &what, int cmd, int flags, const hvkit::GenlClient::Fill &fill,
		const hvkit::GenlClient::OnReply &on_reply)
{
	hvkit::GenlClient nl(HVSIM_GENL_NAME);
	if (!nl.ok())
		return genl_failure(nl.error(), what.c_str());
	auto e = nl.request(cmd, flags, HVSIM_A_MAX, fill, on_reply);
	if (e.err)
		return genl_failure(e, what.c_str());
	return 0;
}

int timeout_arg(ArgWalk &w, const std::string &what, uint32_t &ms)
{
	if (!parse_u32(w.next(), ms) || !ms)
		return usage_error(what + ": --timeout-ms takes a number of milliseconds above 0");
	return 0;
}

ArgFn json_flag(bool &json)
{
	return [&json](ArgWalk &w) {
		if (w.arg() != "--json")
			return kArgUnknown;
		json = true;
		return 0;
	};
}

bool put_target(nl_msg *m, const SimTarget &t)
{
	if (t.instance)
		return nla_put(m, HVSIM_A_INSTANCE, 16, t.instance->b.data()) == 0;
	return nla_put_string(m, HVSIM_A_TYPE, t.type.c_str()) == 0;
}

namespace {

// "4.0,3.0" -> {0x40000, 0x30000}
bool parse_versions(std::string_view s, std::vector<uint32_t> &out)
{
	while (!s.empty()) {
		auto comma = s.find(',');
		auto one = s.substr(0, comma);
		auto dot = one.find('.');
		if (dot == std::string_view::npos)
			return false;
		uint32_t maj, min;
		auto a = std::from_chars(one.data(), one.data() + dot, maj);
		auto b = std::from_chars(one.data() + dot + 1, one.data() + one.size(), min);
		if (a.ec != std::errc() || a.ptr != one.data() + dot || b.ec != std::errc() ||
		    b.ptr != one.data() + one.size() || maj > 0xffff || min > 0xffff || (!maj && !min))
			return false;
		out.push_back(maj << 16 | min);
		s = comma == std::string_view::npos ? std::string_view() : s.substr(comma + 1);
	}
	return !out.empty() && out.size() <= 16;
}

// "64M" -> 67108864: bytes, or KiB, MiB, GiB with K, M, G.
bool parse_size(std::string_view s, uint64_t &out)
{
	uint64_t mult = 1;
	if (!s.empty() && (s.back() == 'K' || s.back() == 'M' || s.back() == 'G')) {
		mult = s.back() == 'K' ? 1ull << 10 : s.back() == 'M' ? 1ull << 20 : 1ull << 30;
		s.remove_suffix(1);
	}
	uint64_t v = 0;
	auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
	if (ec != std::errc() || p != s.data() + s.size() || !v || v > UINT64_MAX / mult)
		return false;
	out = v * mult;
	return true;
}

// "00:15:5d:01:02:03" -> its 6 bytes
std::optional<std::array<uint8_t, 6>> parse_mac(std::string_view s)
{
	std::array<uint8_t, 6> m{};
	if (s.size() != 17)
		return std::nullopt;
	for (size_t i = 0; i < 6; i++) {
		if (i && s[i * 3 - 1] != ':')
			return std::nullopt;
		auto [p, ec] = std::from_chars(s.data() + i * 3, s.data() + i * 3 + 2, m[i], 16);
		if (ec != std::errc() || p != s.data() + i * 3 + 2)
			return std::nullopt;
	}
	return m;
}

// --offloads: "none", or csum, tso and rsc, comma-separated (HVSIM_NIC_OFL_*).
std::optional<uint32_t> parse_offloads(std::string_view s)
{
	if (s == "none")
		return 0U;
	if (s.empty())
		return std::nullopt;
	uint32_t v = 0;
	while (!s.empty()) {
		auto comma = s.find(',');
		auto item = s.substr(0, comma);
		if (item == "csum")
			v |= HVSIM_NIC_OFL_CSUM;
		else if (item == "tso")
			v |= HVSIM_NIC_OFL_TSO;
		else if (item == "rsc")
			v |= HVSIM_NIC_OFL_RSC;
		else
			return std::nullopt;
		if (comma == std::string_view::npos)
			break;
		s.remove_prefix(comma + 1);
		if (s.empty())
			return std::nullopt;
	}
	return v;
}

int cmd_sim_add(const std::vector<std::string_view> &args)
{
	if (args.empty())
		return usage_error("sim add: a device type is required (echo, heartbeat, ...)");
	SimTarget t{std::string(args[0]), {}};
	uint32_t channels = 0;
	bool monitored = false, no_dedicated = false, read_only = false;
	uint64_t size = 0;
	uint32_t sector = 0;
	std::vector<uint32_t> fw_versions, versions;
	std::optional<std::array<uint8_t, 6>> mac;
	uint32_t mtu = 0, link = 1;
	std::vector<uint32_t> nvsp_max;
	std::optional<uint32_t> offloads;
	uint32_t speed = 0;
	bool link_set = false;
	std::string backing;
	uint32_t latency_us = 0;
	bool latency_set = false;
	std::string pci;
	int r = walk_args(args, 1, "sim add", &t, [&](ArgWalk &w) {
		const std::string_view a = w.arg();
		if (a == "--read-only") {
			read_only = true;
		} else if (a == "--monitored") {
			monitored = true;
		} else if (a == "--no-dedicated-interrupt") {
			no_dedicated = true;
		} else if (a == "--link-down") {
			link = 0;
			link_set = true;
		} else if (a == "--backing") {
			backing = w.next();
			if (backing.empty())
				return usage_error("sim add: --backing takes the path of a file or a block device");
		} else if (a == "--latency-us") {
			if (!parse_u32(w.next(), latency_us) || latency_us > 1000000)
				return usage_error("sim add: --latency-us takes a number of microseconds from 0 to 1000000");
			latency_set = true;
		} else if (a == "--size") {
			if (!parse_size(w.next(), size))
				return usage_error("sim add: --size takes a number of bytes, with K, M or G after it for KiB, MiB or GiB");
		} else if (a == "--sector-size") {
			auto v = w.next();
			auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), sector);
			if (ec != std::errc() || p != v.data() + v.size() || (sector != 512 && sector != 4096))
				return usage_error("sim add: --sector-size takes 512 or 4096");
		} else if (a == "--fw-versions" || a == "--versions") {
			if (!parse_versions(w.next(), a == "--versions" ? versions : fw_versions))
				return usage_error("sim add: a version list is MAJOR.MINOR[,MAJOR.MINOR...], at most 16");
		} else if (a == "--channels" || a == "--queues") {
			// A nic's queues are its channels: the primary and its sub-channels.
			auto v = w.next();
			auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), channels);
			if (ec != std::errc() || p != v.data() + v.size() || channels < 1 || channels > 64)
				return usage_error("sim add: --channels and --queues take a number from 1 to 64");
		} else if (a == "--mac") {
			mac = parse_mac(w.next());
			if (!mac)
				return usage_error("sim add: --mac takes a MAC address, xx:xx:xx:xx:xx:xx");
		} else if (a == "--mtu") {
			if (!parse_u32(w.next(), mtu) || mtu < 68 || mtu > 65521)
				return usage_error("sim add: --mtu takes a number from 68 to 65521");
		} else if (a == "--speed") {
			if (!parse_u32(w.next(), speed) || speed < 1 || speed > kNicSpeedMax)
				return usage_error("sim add: --speed takes a number of Mbit/s from 1 to 429496");
		} else if (a == "--nvsp-max") {
			if (!parse_versions(w.next(), nvsp_max) || nvsp_max.size() != 1)
				return usage_error("sim add: --nvsp-max takes one version, MAJOR.MINOR (e.g. 5.0)");
		} else if (a == "--offloads") {
			offloads = parse_offloads(w.next());
			if (!offloads)
				return usage_error("sim add: --offloads takes none, or a comma-separated list of csum, tso and rsc");
		} else if (a == "--pci") {
			pci = std::string(w.next());
			if (pci.empty() || pci.size() > 31)
				return usage_error("sim add: --pci takes a PCI function, DDDD:BB:DD.F");
		} else {
			return kArgUnknown;
		}
		return 0;
	});
	if (r)
		return r;
	hvkit::Guid got;
	uint32_t relid = 0;
	r = sim_request(
		"sim add", HVSIM_CMD_DEV_ADD, 0,
		[&](nl_msg *m) {
			return nla_put_string(m, HVSIM_A_TYPE, t.type.c_str()) == 0 &&
			       (!t.instance || nla_put(m, HVSIM_A_INSTANCE, 16, t.instance->b.data()) == 0) &&
			       (!channels || nla_put_u32(m, HVSIM_A_CHANNELS, channels) == 0) &&
			       (!monitored || nla_put_flag(m, HVSIM_A_MONITORED) == 0) &&
			       (!no_dedicated || nla_put_flag(m, HVSIM_A_NO_DEDICATED_INTERRUPT) == 0) &&
			       (fw_versions.empty() ||
				nla_put(m, HVSIM_A_IC_FW_VERSIONS, static_cast<int>(fw_versions.size() * 4),
					fw_versions.data()) == 0) &&
			       (versions.empty() ||
				nla_put(m, HVSIM_A_IC_SRV_VERSIONS, static_cast<int>(versions.size() * 4),
					versions.data()) == 0) &&
			       (!size || nla_put_u64(m, HVSIM_A_SCSI_SIZE, size) == 0) &&
			       (!sector || nla_put_u32(m, HVSIM_A_SCSI_SECTOR, sector) == 0) &&
			       (!read_only || nla_put_flag(m, HVSIM_A_SCSI_RO) == 0) &&
			       (!mac || nla_put(m, HVSIM_A_NIC_MAC, 6, mac->data()) == 0) &&
			       (!mtu || nla_put_u32(m, HVSIM_A_NIC_MTU, mtu) == 0) &&
			       (!link_set || nla_put_u32(m, HVSIM_A_NIC_LINK, link) == 0) &&
			       (nvsp_max.empty() || nla_put_u32(m, HVSIM_A_NIC_NVSP_MAX, nvsp_max[0]) == 0) &&
			       (!offloads || nla_put_u32(m, HVSIM_A_NIC_OFFLOADS, *offloads) == 0) &&
			       (!speed || nla_put_u32(m, HVSIM_A_NIC_SPEED, speed) == 0) &&
			       (backing.empty() || nla_put_string(m, HVSIM_A_SCSI_BACKING, backing.c_str()) == 0) &&
			       (!latency_set || nla_put_u32(m, HVSIM_A_SCSI_LATENCY_US, latency_us) == 0) &&
			       (pci.empty() || nla_put_string(m, HVSIM_A_VPCI_PCI, pci.c_str()) == 0);
		},
		[&](nlattr **a) {
			got = attr_guid(a[HVSIM_A_INSTANCE]);
			if (a[HVSIM_A_RELID])
				relid = nla_get_u32(a[HVSIM_A_RELID]);
		});
	if (r)
		return r;
	std::printf("%s\n", hvkit::format_guid(got).c_str());
	(void)relid;
	return 0;
}

int cmd_sim_remove(const std::vector<std::string_view> &args)
{
	if (args.size() != 1)
		return usage_error("sim remove takes one device GUID");
	auto g = guid_arg(args[0]);
	if (!g)
		return kExitUsage;
	return sim_request("sim remove", HVSIM_CMD_DEV_DEL, 0,
			   [&](nl_msg *m) { return nla_put(m, HVSIM_A_INSTANCE, 16, g->b.data()) == 0; },
			   nullptr);
}

int cmd_sim_list(const std::vector<std::string_view> &args)
{
	bool json = false;
	if (int r = walk_args(args, 0, "sim list", nullptr, json_flag(json)))
		return r;
	struct Row {
		std::string type, instance;
		uint32_t relid, channels, open, cpu;
		uint64_t in, out, signals, monitor_signals, space_signals;
		bool monitored;
		uint64_t int_page_signals;
		bool no_dedicated;
	};
	std::vector<Row> rows;
	auto u32 = [](nlattr *a) { return a ? nla_get_u32(a) : 0u; };
	auto u64 = [](nlattr *a) { return a ? static_cast<uint64_t>(nla_get_u64(a)) : uint64_t(0); };
	int r = sim_request("sim list", HVSIM_CMD_DEV_GET, NLM_F_DUMP, nullptr, [&](nlattr **a) {
		rows.push_back({a[HVSIM_A_TYPE] ? nla_get_string(a[HVSIM_A_TYPE]) : "",
				hvkit::format_guid(attr_guid(a[HVSIM_A_INSTANCE])), u32(a[HVSIM_A_RELID]),
				u32(a[HVSIM_A_CHANNELS]), u32(a[HVSIM_A_OPEN]), u32(a[HVSIM_A_CPU]),
				u64(a[HVSIM_A_PKTS_IN]), u64(a[HVSIM_A_PKTS_OUT]), u64(a[HVSIM_A_SIGNALS]),
				u64(a[HVSIM_A_MONITOR_SIGNALS]), u64(a[HVSIM_A_SPACE_SIGNALS]),
				a[HVSIM_A_MONITORED] != nullptr, u64(a[HVSIM_A_INT_PAGE_SIGNALS]),
				a[HVSIM_A_NO_DEDICATED_INTERRUPT] != nullptr});
	});
	if (r)
		return r;
	if (json) {
		std::printf("[");
		for (size_t i = 0; i < rows.size(); i++) {
			const auto &r = rows[i];
			std::printf("%s{\"type\":%s,\"instance\":%s,\"relid\":%u,\"channels\":%u,\"open\":%u,\"cpu\":%u,\"packets_in\":%llu,\"packets_out\":%llu,\"monitored\":%s,\"signals\":%llu,\"monitor_signals\":%llu,\"dedicated_interrupt\":%s,\"int_page_signals\":%llu,\"space_signals\":%llu}",
				    i ? "," : "", json_str(r.type).c_str(), json_str(r.instance).c_str(),
				    r.relid, r.channels, r.open, r.cpu, static_cast<unsigned long long>(r.in),
				    static_cast<unsigned long long>(r.out), r.monitored ? "true" : "false",
				    static_cast<unsigned long long>(r.signals),
				    static_cast<unsigned long long>(r.monitor_signals),
				    r.no_dedicated ? "false" : "true",
				    static_cast<unsigned long long>(r.int_page_signals),
				    static_cast<unsigned long long>(r.space_signals));
		}
		std::printf("]\n");
		return 0;
	}
	// SIGNALS: the guest's hypercalls that named the device's connection;
	// MONITOR: what the host's poll of the monitor page found ("-": not
	// monitored); INTPAGE: what the host found in the guest's interrupt
	// page ("-": the device has a dedicated interrupt); SPACE: the host's
	// signals that the guest's outbound ring has the room its
	// pending_send_sz asked for.
	std::printf("%-6s %-36s %5s %8s %4s %3s %12s %12s %10s %10s %10s %10s\n", "TYPE",
		    "INSTANCE", "RELID", "CHANNELS", "OPEN", "CPU", "PKTS_IN", "PKTS_OUT", "SIGNALS",
		    "MONITOR", "INTPAGE", "SPACE");
	for (const auto &r : rows)
		std::printf("%-6s %-36s %5u %8u %4u %3u %12llu %12llu %10llu %10s %10s %10llu\n",
			    r.type.c_str(), r.instance.c_str(), r.relid, r.channels, r.open, r.cpu,
			    static_cast<unsigned long long>(r.in), static_cast<unsigned long long>(r.out),
			    static_cast<unsigned long long>(r.signals),
			    r.monitored ? std::to_string(r.monitor_signals).c_str() : "-",
			    r.no_dedicated ? std::to_string(r.int_page_signals).c_str() : "-",
			    static_cast<unsigned long long>(r.space_signals));
	return 0;
}

int cmd_sim_fault(const std::vector<std::string_view> &args)
{
	if (args.size() != 2)
		return usage_error("sim fault takes a fault name and a count");
	uint32_t count = 0;
	auto s = args[1];
	auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), count);
	if (ec != std::errc() || p != s.data() + s.size())
		return usage_error("sim fault: the count must be a whole number");
	std::string name(args[0]);
	return sim_request("sim fault " + name, HVSIM_CMD_FAULT_SET, 0,
			   [&](nl_msg *m) {
				   return nla_put_string(m, HVSIM_A_FAULT_NAME, name.c_str()) == 0 &&
					  nla_put_u32(m, HVSIM_A_COUNT, count) == 0;
			   },
			   nullptr);
}

int cmd_sim_faults(const std::vector<std::string_view> &args)
{
	bool json = false;
	if (int r = walk_args(args, 0, "sim faults", nullptr, json_flag(json)))
		return r;
	struct Row {
		std::string name;
		uint32_t armed, hits;
	};
	std::vector<Row> rows;
	int r = sim_request("sim faults", HVSIM_CMD_FAULT_GET, NLM_F_DUMP, nullptr, [&](nlattr **a) {
		rows.push_back({a[HVSIM_A_FAULT_NAME] ? nla_get_string(a[HVSIM_A_FAULT_NAME]) : "",
				a[HVSIM_A_COUNT] ? nla_get_u32(a[HVSIM_A_COUNT]) : 0,
				a[HVSIM_A_HITS] ? nla_get_u32(a[HVSIM_A_HITS]) : 0});
	});
	if (r)
		return r;
	if (json) {
		std::printf("[");
		for (size_t i = 0; i < rows.size(); i++)
			std::printf("%s{\"name\":%s,\"armed\":%u,\"hits\":%u}", i ? "," : "",
				    json_str(rows[i].name).c_str(), rows[i].armed, rows[i].hits);
		std::printf("]\n");
		return 0;
	}
	std::printf("%-22s %8s %8s\n", "FAULT", "ARMED", "HITS");
	for (const auto &r : rows)
		std::printf("%-22s %8u %8u\n", r.name.c_str(), r.armed, r.hits);
	return 0;
}

int cmd_sim(const std::vector<std::string_view> &args)
{
	if (args.empty())
		return usage_error("sim needs a command: add, remove, list, fault, faults, or a service's");
	std::vector<std::string_view> rest(args.begin() + 1, args.end());
	for (const auto &c : sim_service_cmds)
		if (args[0] == c.name)
			return c.run(rest);
	if (args[0] == "add")
		return cmd_sim_add(rest);
	if (args[0] == "remove")
		return cmd_sim_remove(rest);
	if (args[0] == "list")
		return cmd_sim_list(rest);
	if (args[0] == "fault")
		return cmd_sim_fault(rest);
	if (args[0] == "faults")
		return cmd_sim_faults(rest);
	return usage_error("unknown sim command '" + std::string(args[0]) + "'");
}

} // namespace

} // namespace hvctl

int main(int argc, char **argv)
{
	using namespace hvctl;
	std::vector<std::string_view> args(argv + 1, argv + argc);
	if (args.empty())
		return usage_error("a command is required");
	if (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		std::fputs(kUsage, stdout);
		std::fputs("\nThe simulated host's integration services (needs root):\n", stdout);
		for (const auto &c : sim_service_cmds)
			std::fputs(c.usage, stdout);
		std::fputs(kKvpUsage, stdout);
		std::fputs(kUsageEnd, stdout);
		return 0;
	}
	std::vector<std::string_view> rest(args.begin() + 1, args.end());
	if (args[0] == "list")
		return cmd_list(rest);
	if (args[0] == "sim")
		return cmd_sim(rest);
	if (args[0] == "kvp")
		return cmd_kvp(rest);
	return usage_error("unknown command '" + std::string(args[0]) + "'");
}
