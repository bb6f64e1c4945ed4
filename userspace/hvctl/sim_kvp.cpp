// SPDX-License-Identifier: GPL-2.0
// hvctl sim kvp ...: the host's side of KVP (data exchange), as Hyper-V
// uses it: get, set, delete and enumerate the guest's key-value pools, and
// get or set an adapter's IP configuration. Each command is one
// HVSIM_CMD_KVP request (enumerate: one per index); the guest's status is
// printed in words.
#include "hvctl.h"

extern "C" {
#include <hvkit/ic_kvp.h>
#include <hvkit/uapi/hvsim.h>
}

#include <netlink/attr.h>
#include <netlink/msg.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace hvctl {

namespace {

// Enumeration stops here even if the guest never says "no more".
constexpr uint32_t kMaxEnumerate = 100000;

// What the guest's status means, for operation @op.
std::string status_text(uint32_t status, uint32_t op)
{
	switch (status) {
	case HVK_S_OK:
		return "ok";
	case HVK_S_CONT:
		if (op == HVK_KVP_OP_ENUMERATE)
			return "no more items";
		if (op == HVK_KVP_OP_GET || op == HVK_KVP_OP_DELETE)
			return "no such key";
		return "not done (S_CONT)";
	case HVK_E_FAIL:
		return "failed (E_FAIL)";
	case HVK_ERROR_NOT_SUPPORTED:
		return "not supported";
	case HVK_GUID_NOTFOUND:
		return "no such adapter";
	case HVK_INVALIDARG:
		return "invalid argument";
	case HVK_ERROR_ALREADY_EXISTS:
		return "already exists";
	case HVK_ERROR_DISK_FULL:
		return "disk full";
	case HVK_ERROR_DEVICE_NOT_CONNECTED:
		return "device not connected";
	case HVK_ERROR_MACHINE_LOCKED:
		return "machine locked";
	}
	char buf[32];
	std::snprintf(buf, sizeof(buf), "status 0x%08x", status);
	return buf;
}

// One request's options and the guest's answer.
struct KvpReq {
	SimTarget target{"kvp", {}};
	uint32_t op = 0;
	std::optional<uint32_t> pool, index, value_type, family;
	std::optional<std::string> key, value, adapter, ip_addr, subnet, gateway, dns;
	bool dhcp = false;
	uint32_t timeout_ms = 0;
	uint32_t repeat = 0;	// --repeat N: N requests, timed (benchmarks)
	bool json = false;
	std::vector<std::string_view> positional;
};

struct KvpAnswer {
	uint32_t status = 0;
	std::string key, value, adapter, ip_addr, subnet, gateway, dns;
	uint32_t value_type = 0, dhcp = 0, family = 0;
};

std::string attr_str(nlattr *a)
{
	if (!a)
		return {};
	std::string s(static_cast<const char *>(nla_data(a)), static_cast<size_t>(nla_len(a)));
	if (auto z = s.find('\0'); z != std::string::npos)
		s.resize(z);
	return s;
}

// A value of the answer in words: a string, or a number for REG_U32/64.
std::string attr_value(nlattr *a, uint32_t type)
{
	if (a && (type == HVK_REG_U32 || type == HVK_REG_U64 || type == HVK_REG_QWORD)) {
		uint64_t v = 0;
		std::memcpy(&v, nla_data(a), std::min<size_t>(static_cast<size_t>(nla_len(a)), sizeof(v)));
		return std::to_string(v);
	}
	return attr_str(a);
}

bool put_str(nl_msg *m, int attr, const std::optional<std::string> &s)
{
	return !s || nla_put(m, attr, static_cast<int>(s->size()), s->data()) == 0;
}

bool put_cstr(nl_msg *m, int attr, const std::optional<std::string> &s)
{
	return !s || nla_put_string(m, attr, s->c_str()) == 0;
}

bool put_u32(nl_msg *m, int attr, const std::optional<uint32_t> &v)
{
	return !v || nla_put_u32(m, attr, *v) == 0;
}

// The value attribute: UTF-8 for REG_SZ (and unknown types), 4 or 8 bytes for numbers.
bool put_value(nl_msg *m, const KvpReq &r)
{
	if (!r.value)
		return true;
	uint32_t type = r.value_type.value_or(HVK_REG_SZ);
	if (type == HVK_REG_U32 || type == HVK_REG_U64 || type == HVK_REG_QWORD) {
		uint64_t v = 0;
		parse_uint(*r.value, v, UINT64_MAX);	// checked when parsed
		if (type == HVK_REG_U32) {
			auto v32 = static_cast<uint32_t>(v);
			return nla_put(m, HVSIM_A_KVP_VALUE, 4, &v32) == 0;
		}
		return nla_put(m, HVSIM_A_KVP_VALUE, 8, &v) == 0;
	}
	return put_str(m, HVSIM_A_KVP_VALUE, r.value);
}

hvkit::NlError kvp_request(hvkit::GenlClient &nl, const KvpReq &r, KvpAnswer &ans)
{
	ans = KvpAnswer{};
	return nl.request(
		HVSIM_CMD_KVP, 0, HVSIM_A_MAX,
		[&](nl_msg *m) {
			return put_target(m, r.target) && nla_put_u32(m, HVSIM_A_KVP_OP, r.op) == 0 &&
			       nla_put_u32(m, HVSIM_A_KVP_POOL, r.pool.value_or(0)) == 0 &&
			       put_str(m, HVSIM_A_KVP_KEY, r.key) && put_value(m, r) &&
			       put_u32(m, HVSIM_A_KVP_VALUE_TYPE, r.value_type) &&
			       put_u32(m, HVSIM_A_KVP_INDEX, r.index) &&
			       put_u32(m, HVSIM_A_KVP_IP_FAMILY, r.family) &&
			       put_cstr(m, HVSIM_A_KVP_IP_ADAPTER, r.adapter) &&
			       (!r.dhcp || nla_put_u32(m, HVSIM_A_KVP_IP_DHCP, 1) == 0) &&
			       put_cstr(m, HVSIM_A_KVP_IP_ADDR, r.ip_addr) &&
			       put_cstr(m, HVSIM_A_KVP_IP_SUBNET, r.subnet) &&
			       put_cstr(m, HVSIM_A_KVP_IP_GATEWAY, r.gateway) &&
			       put_cstr(m, HVSIM_A_KVP_IP_DNS, r.dns) &&
			       (!r.timeout_ms || nla_put_u32(m, HVSIM_A_IC_TIMEOUT_MS, r.timeout_ms) == 0);
		},
		[&](nlattr **a) {
			if (a[HVSIM_A_IC_STATUS])
				ans.status = nla_get_u32(a[HVSIM_A_IC_STATUS]);
			if (a[HVSIM_A_KVP_VALUE_TYPE])
				ans.value_type = nla_get_u32(a[HVSIM_A_KVP_VALUE_TYPE]);
			ans.key = attr_str(a[HVSIM_A_KVP_KEY]);
			ans.value = attr_value(a[HVSIM_A_KVP_VALUE], ans.value_type);
			ans.adapter = attr_str(a[HVSIM_A_KVP_IP_ADAPTER]);
			ans.ip_addr = attr_str(a[HVSIM_A_KVP_IP_ADDR]);
			ans.subnet = attr_str(a[HVSIM_A_KVP_IP_SUBNET]);
			ans.gateway = attr_str(a[HVSIM_A_KVP_IP_GATEWAY]);
			ans.dns = attr_str(a[HVSIM_A_KVP_IP_DNS]);
			if (a[HVSIM_A_KVP_IP_DHCP])
				ans.dhcp = nla_get_u32(a[HVSIM_A_KVP_IP_DHCP]);
			if (a[HVSIM_A_KVP_IP_FAMILY])
				ans.family = nla_get_u32(a[HVSIM_A_KVP_IP_FAMILY]);
		});
}

std::string family_text(uint32_t f)
{
	std::string s;
	if (f & HVK_ADDR_FAMILY_IPV4)
		s = "ipv4";
	if (f & HVK_ADDR_FAMILY_IPV6)
		s += s.empty() ? "ipv6" : ",ipv6";
	return s.empty() ? "none" : s;
}

// The options every kvp command takes; the rest are its positional arguments.
int parse_opts(const std::vector<std::string_view> &args, size_t from, const char *what, KvpReq &r)
{
	auto bad = [&](std::string_view opt, const char *takes) {
		return usage_error(std::string(what) + ": " + std::string(opt) + " takes " + takes);
	};
	return walk_args(args, from, what, &r.target, [&](ArgWalk &w) {
		const std::string_view a = w.arg();
		uint64_t v = 0;
		if (a == "--json") {
			r.json = true;
		} else if (a == "--dhcp") {
			r.dhcp = true;
		} else if (a == "--timeout-ms") {
			return timeout_arg(w, what, r.timeout_ms);
		} else if (a == "--repeat") {
			auto n = w.value();
			if (!n || !parse_uint(*n, v, 10000000) || !v)
				return bad(a, "a number of requests from 1 to 10000000");
			r.repeat = static_cast<uint32_t>(v);
		} else if (a == "--pool" || a == "--index" || a == "--family") {
			uint64_t max = a == "--index" ? UINT32_MAX : 255;
			auto n = w.value();
			if (!n || !parse_uint(*n, v, max))
				return bad(a, a == "--pool" ? "a pool number (0 to 4; up to 255 is sent as given)"
					   : a == "--family" ? "a number from 0 to 255 (1 IPv4, 2 IPv6, 3 both)"
					   : "a number");
			(a == "--pool" ? r.pool : a == "--index" ? r.index : r.family) = static_cast<uint32_t>(v);
		} else if (a == "--type") {
			auto ty = w.value();
			if (!ty)
				return bad(a, "sz, u32, u64, qword or a number");
			if (*ty == "sz")
				r.value_type = HVK_REG_SZ;
			else if (*ty == "u32")
				r.value_type = HVK_REG_U32;
			else if (*ty == "u64")
				r.value_type = HVK_REG_U64;
			else if (*ty == "qword")
				r.value_type = HVK_REG_QWORD;
			else if (parse_uint(*ty, v, UINT32_MAX))
				r.value_type = static_cast<uint32_t>(v);
			else
				return bad(a, "sz, u32, u64, qword or a number");
		} else if (a == "--addr" || a == "--subnet" || a == "--gateway" || a == "--dns") {
			auto s = w.value();
			if (!s)
				return bad(a, "a ';'-separated list");
			(a == "--addr" ? r.ip_addr : a == "--subnet" ? r.subnet : a == "--gateway" ? r.gateway : r.dns) =
				std::string(*s);
		} else if (a.starts_with("--")) {
			return kArgUnknown;
		} else {
			r.positional.push_back(a);
		}
		return 0;
	});
}

// The guest answered with a status other than S_OK: one sentence, exit 1.
int guest_refused(const char *what, const KvpReq &r, uint32_t status)
{
	char hex[16];
	std::snprintf(hex, sizeof(hex), "0x%08x", status);
	return fail(std::string(what) + ": the guest answered: " + status_text(status, r.op) + " (" + hex + ")");
}

void print_status_json(const KvpReq &r, const KvpAnswer &ans, const std::string &extra)
{
	std::printf("{\"status\":%u,\"status_text\":%s%s}\n", ans.status,
		    json_str(status_text(ans.status, r.op)).c_str(), extra.c_str());
}

// --repeat N: the same request N times, one at a time, each timed; prints
// requests per second and the round trip's p50 and p99. Every answer must
// be S_OK.
int run_repeat(const char *what, hvkit::GenlClient &nl, const KvpReq &r)
{
	using clock = std::chrono::steady_clock;
	std::vector<double> us;
	us.reserve(r.repeat);
	KvpAnswer ans;
	auto start = clock::now();
	for (uint32_t i = 0; i < r.repeat; i++) {
		auto t0 = clock::now();
		auto e = kvp_request(nl, r, ans);
		if (e.err)
			return genl_failure(e, what);
		if (ans.status != HVK_S_OK)
			return guest_refused(what, r, ans.status);
		us.push_back(std::chrono::duration<double, std::micro>(clock::now() - t0).count());
	}
	double secs = std::chrono::duration<double>(clock::now() - start).count();
	std::sort(us.begin(), us.end());
	auto pct = [&](double p) { return us[std::min(us.size() - 1, static_cast<size_t>(p * static_cast<double>(us.size())))]; };
	std::printf("requests %u per_second %.1f p50_us %.1f p99_us %.1f\n", r.repeat,
		    static_cast<double>(r.repeat) / secs, pct(0.50), pct(0.99));
	return 0;
}

// get, set, delete, ipinfo-get, ipinfo-set, op: one request.
int run_one(const char *what, KvpReq &r)
{
	hvkit::GenlClient nl(HVSIM_GENL_NAME);
	if (!nl.ok())
		return genl_failure(nl.error(), what);
	KvpAnswer ans;
	if (r.repeat)
		return run_repeat(what, nl, r);
	auto e = kvp_request(nl, r, ans);
	if (e.err)
		return genl_failure(e, what);
	bool ok = ans.status == HVK_S_OK;
	std::string extra;
	if (ok && r.op == HVK_KVP_OP_GET) {
		extra = ",\"key\":" + json_str(ans.key) + ",\"value\":" + json_str(ans.value) +
			",\"value_type\":" + std::to_string(ans.value_type);
	} else if (ok && r.op == HVK_KVP_OP_GET_IP_INFO) {
		extra = ",\"adapter\":" + json_str(ans.adapter) + ",\"addresses\":" + json_str(ans.ip_addr) +
			",\"subnets\":" + json_str(ans.subnet) + ",\"gateways\":" + json_str(ans.gateway) +
			",\"dns\":" + json_str(ans.dns) + ",\"dhcp\":" + (ans.dhcp ? "true" : "false") +
			",\"family\":" + std::to_string(ans.family);
	}
	if (r.json)
		print_status_json(r, ans, extra);
	if (!ok)
		return guest_refused(what, r, ans.status);
	if (r.json)
		return 0;
	if (r.op == HVK_KVP_OP_GET) {
		std::printf("%s\n", ans.value.c_str());
	} else if (r.op == HVK_KVP_OP_GET_IP_INFO) {
		std::printf("adapter: %s\naddresses: %s\nsubnets: %s\ngateways: %s\ndns: %s\ndhcp: %s\nfamily: %s\n",
			    ans.adapter.c_str(), ans.ip_addr.c_str(), ans.subnet.c_str(), ans.gateway.c_str(),
			    ans.dns.c_str(), ans.dhcp ? "enabled" : "disabled", family_text(ans.family).c_str());
	} else {
		std::printf("ok\n");
	}
	return 0;
}

// enumerate: one index, or every index from 0 until the guest says "no more".
int run_enumerate(KvpReq &r)
{
	const char *what = "sim kvp enumerate";
	hvkit::GenlClient nl(HVSIM_GENL_NAME);
	if (!nl.ok())
		return genl_failure(nl.error(), what);
	bool walk = !r.index;
	uint32_t first = r.index.value_or(0);
	std::string items;
	KvpAnswer ans;
	uint32_t n = 0;
	for (uint32_t i = first; walk ? i < kMaxEnumerate : i == first; i++) {
		r.index = i;
		auto e = kvp_request(nl, r, ans);
		if (e.err)
			return genl_failure(e, what);
		if (ans.status != HVK_S_OK)
			break;
		n++;
		if (r.json)
			items += std::string(items.empty() ? "" : ",") + "{\"index\":" + std::to_string(i) +
				 ",\"key\":" + json_str(ans.key) + ",\"value\":" + json_str(ans.value) + "}";
		else
			std::printf("%s=%s\n", ans.key.c_str(), ans.value.c_str());
	}
	// Walking, "no more items" is the end; any other status is the guest's failure.
	bool ok = ans.status == HVK_S_OK || (walk && ans.status == HVK_S_CONT);
	if (r.json)
		std::printf("{\"pool\":%u,\"count\":%u,\"status\":%u,\"status_text\":%s,\"items\":[%s]}\n",
			    r.pool.value_or(0), n, ans.status, json_str(status_text(ans.status, r.op)).c_str(),
			    items.c_str());
	if (walk && ans.status == HVK_S_OK)
		return fail(std::string(what) + ": the guest never said \"no more items\" in " +
			    std::to_string(kMaxEnumerate) + " indexes");
	return ok ? 0 : guest_refused(what, r, ans.status);
}

} // namespace

int cmd_sim_kvp(const std::vector<std::string_view> &args)
{
	if (args.empty())
		return usage_error("sim kvp needs a command: get, set, delete, enumerate, ipinfo-get, ipinfo-set or op");
	std::string_view sub = args[0];
	std::string what = "sim kvp " + std::string(sub);
	KvpReq r;
	size_t from = 1;
	if (sub == "get")
		r.op = HVK_KVP_OP_GET;
	else if (sub == "set")
		r.op = HVK_KVP_OP_SET;
	else if (sub == "delete")
		r.op = HVK_KVP_OP_DELETE;
	else if (sub == "enumerate")
		r.op = HVK_KVP_OP_ENUMERATE;
	else if (sub == "ipinfo-get")
		r.op = HVK_KVP_OP_GET_IP_INFO;
	else if (sub == "ipinfo-set")
		r.op = HVK_KVP_OP_SET_IP_INFO;
	else if (sub == "op") {
		uint64_t v = 0;
		if (args.size() < 2 || !parse_uint(args[1], v, 255))
			return usage_error("sim kvp op takes an operation number from 0 to 255");
		r.op = static_cast<uint32_t>(v);
		from = 2;
	} else {
		return usage_error("unknown sim kvp command '" + std::string(sub) + "'");
	}
	if (int ret = parse_opts(args, from, what.c_str(), r))
		return ret;
	const auto &pos = r.positional;
	switch (sub == "op" ? 99 : r.op) {
	case HVK_KVP_OP_GET:
	case HVK_KVP_OP_DELETE:
		if (pos.size() != 1)
			return usage_error(what + " takes one KEY");
		r.key = std::string(pos[0]);
		break;
	case HVK_KVP_OP_SET:
		if (pos.size() != 2)
			return usage_error(what + " takes a KEY and a VALUE");
		r.key = std::string(pos[0]);
		r.value = std::string(pos[1]);
		if (auto t = r.value_type.value_or(HVK_REG_SZ);
		    t == HVK_REG_U32 || t == HVK_REG_U64 || t == HVK_REG_QWORD) {
			uint64_t v = 0;
			if (!parse_uint(*r.value, v, t == HVK_REG_U32 ? UINT32_MAX : UINT64_MAX))
				return usage_error(what + ": a " + (t == HVK_REG_U32 ? "u32" : "64-bit") +
						   " value is a number that fits it");
		}
		break;
	case HVK_KVP_OP_ENUMERATE:
		if (!pos.empty())
			return usage_error(what + " takes no KEY (--pool N, --index N)");
		break;
	case HVK_KVP_OP_GET_IP_INFO:
	case HVK_KVP_OP_SET_IP_INFO:
		if (pos.size() != 1)
			return usage_error(what + " takes the adapter's MAC address (as the daemon names it: 00:15:5D:...)");
		r.adapter = std::string(pos[0]);
		if (!r.pool)
			r.pool = HVK_KVP_POOL_GUEST;	// what Hyper-V sends with IP info
		break;
	default:	// op N: an optional KEY (IP info: the adapter) and VALUE, sent as given
		if (pos.size() > 2)
			return usage_error(what + " takes at most a KEY and a VALUE");
		if (!pos.empty() && (r.op == HVK_KVP_OP_GET_IP_INFO || r.op == HVK_KVP_OP_SET_IP_INFO))
			r.adapter = std::string(pos[0]);
		else if (!pos.empty())
			r.key = std::string(pos[0]);
		if (pos.size() == 2)
			r.value = std::string(pos[1]);
		break;
	}
	if (r.op == HVK_KVP_OP_ENUMERATE && !r.repeat)
		return run_enumerate(r);
	return run_one(what.c_str(), r);
}

} // namespace hvctl
