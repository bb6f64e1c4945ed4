// SPDX-License-Identifier: GPL-2.0
// The AUTO pool's items and the network facts for GET_IP_INFO (sysinfo.h).
#include "sysinfo.h"

#include "text.h"

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstring>
#include <memory>

#include <arpa/inet.h>
#include <net/if.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>

namespace hvkit::kvp {

std::string os_release_value(const std::string &text, const std::string &name)
{
	std::string found;
	for (std::string_view line : daemon::split_lines(text)) {
		if (line.empty() || line[0] == '#')
			continue;
		auto eq = line.find('=');
		if (eq == std::string_view::npos || line.substr(0, eq) != name)
			continue;
		// Upstream's unquoting: drop quotes, keep what a backslash escapes.
		std::string v;
		for (size_t i = eq + 1; i < line.size(); i++) {
			char c = line[i];
			if (c == '\\') {
				if (++i >= line.size())
					break;
				v += line[i];
			} else if (c != '\'' && c != '"') {
				v += c;
			}
		}
		found = v; // the last one wins, as upstream's loop
	}
	return found;
}

SystemInfo system_info(const std::string &os_release)
{
	SystemInfo s;
	struct utsname u {};
	::uname(&u);
	s.os_build = u.release;
	s.os_version = s.os_build.substr(0, s.os_build.find('-'));
	s.os_name = u.sysname;
	s.arch = u.machine;
	if (!os_release.empty()) {
		// Upstream takes NAME and VERSION_ID when they are there.
		if (std::string n = os_release_value(os_release, "NAME"); !n.empty())
			s.os_name = n;
		s.os_major = os_release_value(os_release, "VERSION_ID");
	}
	s.fqdn = fully_qualified_domain_name();
	return s;
}

std::string fully_qualified_domain_name()
{
	char host[HOST_NAME_MAX + 1] = {};
	::gethostname(host, sizeof(host) - 1);
	struct addrinfo hints {};
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_CANONNAME;
	struct addrinfo *info = nullptr;
	if (::getaddrinfo(host, nullptr, &hints, &info) != 0 || !info)
		return host;
	std::string name = info->ai_canonname ? info->ai_canonname : host;
	::freeaddrinfo(info);
	return name;
}

namespace {

template <typename T, void (*F)(T *)> struct Free {
	void operator()(T *p) const { F(p); }
};
using Sock = std::unique_ptr<nl_sock, Free<nl_sock, nl_socket_free>>;
using Cache = std::unique_ptr<nl_cache, Free<nl_cache, nl_cache_free>>;

std::string addr_text(nl_addr *a)
{
	if (!a)
		return {};
	char buf[INET6_ADDRSTRLEN] = {};
	int fam = nl_addr_get_family(a);
	if ((fam != AF_INET && fam != AF_INET6) ||
	    !::inet_ntop(fam, nl_addr_get_binary_addr(a), buf, sizeof(buf)))
		return {};
	return buf;
}

std::string upper(std::string s)
{
	for (char &c : s)
		c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
	return s;
}

} // namespace

bool read_net(NetState &out, std::string &err)
{
	Sock sk(nl_socket_alloc());
	if (!sk) {
		err = "cannot allocate a netlink socket";
		return false;
	}
	if (int e = nl_connect(sk.get(), NETLINK_ROUTE); e < 0) {
		err = std::string("cannot connect to rtnetlink: ") + nl_geterror(e);
		return false;
	}
	nl_cache *lc = nullptr, *ac = nullptr, *rc = nullptr;
	if (int e = rtnl_link_alloc_cache(sk.get(), AF_UNSPEC, &lc); e < 0) {
		err = std::string("cannot list the network links: ") + nl_geterror(e);
		return false;
	}
	Cache links(lc);
	if (int e = rtnl_addr_alloc_cache(sk.get(), &ac); e < 0) {
		err = std::string("cannot list the addresses: ") + nl_geterror(e);
		return false;
	}
	Cache addrs(ac);
	if (int e = rtnl_route_alloc_cache(sk.get(), AF_UNSPEC, 0, &rc); e < 0) {
		err = std::string("cannot list the routes: ") + nl_geterror(e);
		return false;
	}
	Cache routes(rc);

	NetState n;
	for (nl_object *o = nl_cache_get_first(links.get()); o; o = nl_cache_get_next(o)) {
		auto *l = reinterpret_cast<rtnl_link *>(o);
		NetLink nl;
		nl.ifindex = rtnl_link_get_ifindex(l);
		nl.name = rtnl_link_get_name(l) ? rtnl_link_get_name(l) : "";
		nl.loopback = (rtnl_link_get_flags(l) & IFF_LOOPBACK) != 0;
		if (nl_addr *mac = rtnl_link_get_addr(l); mac && nl_addr_get_len(mac) == 6) {
			char buf[32];
			nl_addr2str(mac, buf, sizeof(buf));
			nl.mac = upper(buf);
		}
		n.links.push_back(std::move(nl));
	}
	for (nl_object *o = nl_cache_get_first(addrs.get()); o; o = nl_cache_get_next(o)) {
		auto *a = reinterpret_cast<rtnl_addr *>(o);
		NetAddr na;
		na.ifindex = rtnl_addr_get_ifindex(a);
		na.family = rtnl_addr_get_family(a);
		na.addr = addr_text(rtnl_addr_get_local(a));
		na.prefixlen = rtnl_addr_get_prefixlen(a);
		na.dynamic = rtnl_addr_get_valid_lifetime(a) != 0xffffffffu;
		if (na.addr.empty())
			continue;
		n.addrs.push_back(std::move(na));
	}
	// getifaddrs() lists IPv4 before IPv6, each by interface; so do we.
	std::stable_sort(n.addrs.begin(), n.addrs.end(), [](const NetAddr &x, const NetAddr &y) {
		return x.family != y.family ? x.family == AF_INET : x.ifindex < y.ifindex;
	});
	for (nl_object *o = nl_cache_get_first(routes.get()); o; o = nl_cache_get_next(o)) {
		auto *r = reinterpret_cast<rtnl_route *>(o);
		nl_addr *dst = rtnl_route_get_dst(r);
		if (rtnl_route_get_table(r) != RT_TABLE_MAIN || rtnl_route_get_type(r) != RTN_UNICAST ||
		    (dst && nl_addr_get_prefixlen(dst) != 0))
			continue;
		for (int i = 0; i < rtnl_route_get_nnexthops(r); i++) {
			rtnl_nexthop *nh = rtnl_route_nexthop_n(r, i);
			std::string gw = addr_text(rtnl_route_nh_get_gateway(nh));
			if (!gw.empty())
				n.default_routes.push_back({rtnl_route_nh_get_ifindex(nh),
							    rtnl_route_get_family(r), gw});
		}
	}
	std::stable_sort(n.default_routes.begin(), n.default_routes.end(),
			 [](const NetRoute &x, const NetRoute &y) {
				 return x.family != y.family && x.family == AF_INET;
			 });
	out = std::move(n);
	return true;
}

std::string all_addresses(const NetState &net, int family)
{
	std::string s;
	for (const NetAddr &a : net.addrs) {
		auto l = std::find_if(net.links.begin(), net.links.end(),
				      [&](const NetLink &x) { return x.ifindex == a.ifindex; });
		if (a.family != family || l == net.links.end() || l->loopback)
			continue;
		if (s.size() + a.addr.size() + 1 >= HVK_KVP_MAX_VALUE_SIZE)
			break;
		if (!s.empty())
			s += ';';
		s += a.addr;
	}
	return s;
}

std::vector<std::string> nameservers(const std::string &resolv_conf)
{
	std::vector<std::string> out;
	for (std::string_view line : daemon::split_lines(resolv_conf)) {
		auto w = daemon::split_words(line);
		if (w.size() >= 2 && w[0] == "nameserver")
			out.emplace_back(w[1]);
	}
	return out;
}

namespace {

// Where field @f is in the message, and its size in u16 units.
std::pair<size_t, size_t> ip_field_at(IpField f)
{
	using V = hvk_kvp_ipaddr_value;
	switch (f) {
	case IpField::adapter: return {offsetof(V, adapter_id), HVK_MAX_ADAPTER_ID_SIZE};
	case IpField::addr: return {offsetof(V, ip_addr), HVK_MAX_IP_ADDR_SIZE};
	case IpField::subnet: return {offsetof(V, sub_net), HVK_MAX_IP_ADDR_SIZE};
	case IpField::gateway: return {offsetof(V, gate_way), HVK_MAX_GATEWAY_SIZE};
	case IpField::dns: return {offsetof(V, dns_addr), HVK_MAX_IP_ADDR_SIZE};
	}
	return {0, 0};
}

} // namespace

std::string ip_field(const hvk_kvp_ipaddr_value &v, IpField f)
{
	auto [off, units] = ip_field_at(f);
	const char *p = reinterpret_cast<const char *>(&v) + off;
	size_t bytes = units * sizeof(u16);
	const void *nul = std::memchr(p, 0, bytes);
	return {p, nul ? static_cast<size_t>(static_cast<const char *>(nul) - p) : bytes};
}

void set_ip_field(hvk_kvp_ipaddr_value &v, IpField f, const std::string &s)
{
	auto [off, units] = ip_field_at(f);
	// The kernel turns the UTF-8 into UTF-16 of @units units with the
	// NUL, so at most units - 1 characters (ASCII here) arrive.
	size_t n = std::min(s.size(), units - 1);
	char *p = reinterpret_cast<char *>(&v) + off;
	std::memset(p, 0, units * sizeof(u16));
	s.copy(p, n);
}

namespace {

// Appends @item to @list (a field of @units units) with @sep before it,
// or after it when @trailing, if it fits whole.
void append(std::string &list, const std::string &item, size_t units, bool trailing)
{
	std::string add = trailing ? item + ";" : (list.empty() ? item : ";" + item);
	if (list.size() + add.size() < units)
		list += add;
}

std::string mask4(int prefixlen)
{
	uint32_t m = prefixlen <= 0 ? 0 : (prefixlen >= 32 ? 0xffffffffu : ~(0xffffffffu >> prefixlen));
	m = htonl(m);
	char buf[INET_ADDRSTRLEN];
	::inet_ntop(AF_INET, &m, buf, sizeof(buf));
	return buf;
}

} // namespace

uint32_t fill_ip_info(const NetState &net, const std::vector<std::string> &dns,
		      struct hvk_kvp_ipaddr_value &v)
{
	std::string mac = upper(ip_field(v, IpField::adapter));
	// Upstream skips a NIC with the MAC but no address (an SR-IOV VF).
	for (const NetLink &l : net.links) {
		if (l.mac.empty() || l.mac != mac || l.loopback)
			continue;
		std::string addrs, subnets, gws, servers;
		uint8_t family = 0;
		bool dhcp = false;
		for (const NetAddr &a : net.addrs) {
			if (a.ifindex != l.ifindex)
				continue;
			if (a.family == AF_INET) {
				family |= HVK_ADDR_FAMILY_IPV4;
				dhcp = dhcp || a.dynamic;
				append(subnets, mask4(a.prefixlen), HVK_MAX_IP_ADDR_SIZE, false);
			} else {
				family |= HVK_ADDR_FAMILY_IPV6;
				append(subnets, "/" + std::to_string(a.prefixlen), HVK_MAX_IP_ADDR_SIZE, false);
			}
			append(addrs, a.addr, HVK_MAX_IP_ADDR_SIZE, false);
		}
		if (addrs.empty())
			continue;
		for (const NetRoute &r : net.default_routes)
			if (r.ifindex == l.ifindex)
				append(gws, r.gateway, HVK_MAX_GATEWAY_SIZE, true);
		for (const std::string &d : dns)
			append(servers, d, HVK_MAX_IP_ADDR_SIZE, true);
		set_ip_field(v, IpField::addr, addrs);
		set_ip_field(v, IpField::subnet, subnets);
		set_ip_field(v, IpField::gateway, gws);
		set_ip_field(v, IpField::dns, servers);
		v.addr_family = family;
		v.dhcp_enabled = dhcp ? 1 : 0;
		return HVK_S_OK;
	}
	return HVK_E_FAIL;
}

} // namespace hvkit::kvp
