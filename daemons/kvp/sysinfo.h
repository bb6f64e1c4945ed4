// SPDX-License-Identifier: GPL-2.0
// What the host enumerates from the AUTO pool (pool 2), computed from the
// running system as upstream's hv_kvp_daemon computes it
// (kvp_get_os_info, kvp_get_domain_name), and the network facts behind
// NetworkAddressIPv4/IPv6 and GET_IP_INFO, read over rtnetlink with
// libnl-route and from resolv.conf, with no shell-outs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

extern "C" {
#include <hvkit/uapi/hv_ic_dev.h>
}

namespace hvkit::kvp {

struct SystemInfo {
	std::string fqdn;	// FullyQualifiedDomainName
	std::string os_build;	// OSBuildNumber: uname -r
	std::string os_name;	// OSName: os-release NAME, else uname -s
	std::string os_major;	// OSMajorVersion: os-release VERSION_ID
	std::string os_minor;	// OSMinorVersion: "" with os-release
	std::string os_version; // OSVersion: uname -r up to the first '-'
	std::string arch;	// ProcessorArchitecture: uname -m
};

// @os_release: /etc/os-release's text ("" when there is none).
SystemInfo system_info(const std::string &os_release);
// The host name, canonicalised by getaddrinfo(AI_CANONNAME) as upstream
// does; the plain host name when that fails.
std::string fully_qualified_domain_name();
// Upstream's unquoting of one os-release value.
std::string os_release_value(const std::string &text, const std::string &name);

// The network, as one rtnetlink dump.
struct NetLink {
	int ifindex = 0;
	std::string name;
	std::string mac; // upper case, as the host sends it: 00:15:5D:01:02:03
	bool loopback = false;
};
struct NetAddr {
	int ifindex = 0;
	int family = 0; // AF_INET, AF_INET6
	std::string addr;
	int prefixlen = 0;
	bool dynamic = false; // a finite valid lifetime: a DHCP (or SLAAC) lease
};
struct NetRoute {
	int ifindex = 0;
	int family = 0;
	std::string gateway;
};
struct NetState {
	std::vector<NetLink> links;
	std::vector<NetAddr> addrs;
	std::vector<NetRoute> default_routes; // main table, with a gateway
};
// Dumps links, addresses and default routes of the current network
// namespace. false with @err (one sentence) on a netlink error.
bool read_net(NetState &out, std::string &err);

// AUTO pool NetworkAddressIPv4/IPv6: every address of @family on a
// non-loopback interface, ';'-separated, as upstream's getifaddrs() walk.
std::string all_addresses(const NetState &net, int family);

// Name servers from resolv.conf text, in order.
std::vector<std::string> nameservers(const std::string &resolv_conf);

// GET_IP_INFO: fills @v for the adapter whose MAC is @v.adapter_id (UTF-8,
// as the kernel passes it; compared without regard to case). The strings
// are upstream's: addresses and subnets ';'-separated (IPv4 subnets as
// masks, IPv6 ones as "/64"), gateways and DNS servers each followed by
// ';'; dhcp_enabled when an IPv4 address has a finite lifetime.
// Returns HVK_S_OK, or HVK_E_FAIL when no such adapter has an address.
uint32_t fill_ip_info(const NetState &net, const std::vector<std::string> &dns,
		      struct hvk_kvp_ipaddr_value &v);

// The message's u16 string fields, which the kernel fills with UTF-8
// bytes: read up to a NUL within the field, or written with a NUL, cut
// to what the kernel turns into at most units - 1 characters.
enum class IpField { adapter, addr, subnet, gateway, dns };
std::string ip_field(const struct hvk_kvp_ipaddr_value &v, IpField f);
void set_ip_field(struct hvk_kvp_ipaddr_value &v, IpField f, const std::string &s);

} // namespace hvkit::kvp
