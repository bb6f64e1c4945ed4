// SPDX-License-Identifier: GPL-2.0
// SET_IP_INFO (ipconfig.h).
#include "ipconfig.h"

#include "daemon.h"
#include "sysinfo.h"
#include "text.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <arpa/inet.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace hvkit::kvp {

namespace {

std::vector<std::string> split(const std::string &s)
{
	std::vector<std::string> out;
	std::string cur;
	for (char c : s) {
		if (c == ';' || c == ',' || c == ' ') {
			if (!cur.empty())
				out.push_back(cur);
			cur.clear();
		} else {
			cur += c;
		}
	}
	if (!cur.empty())
		out.push_back(cur);
	return out;
}

bool is_addr(int family, const std::string &s)
{
	unsigned char buf[16];
	return ::inet_pton(family, s.c_str(), buf) == 1;
}

// A subnet as the host sends it: an IPv4 mask, or a prefix length with or without '/'.
int prefix_of(int family, const std::string &s)
{
	std::string t = s.starts_with("/") ? s.substr(1) : s;
	if (family == AF_INET && is_addr(AF_INET, t)) {
		uint32_t m = 0;
		::inet_pton(AF_INET, t.c_str(), &m);
		m = ntohl(m);
		int n = __builtin_popcount(m);
		// A mask is ones then zeros.
		return (n == 0 ? m == 0 : (m << n) == 0 && (m >> (32 - n)) == (0xffffffffu >> (32 - n)))
			       ? n : -1;
	}
	if (t.empty() || t.size() > 3 || !std::all_of(t.begin(), t.end(), ::isdigit))
		return -1;
	int n = std::stoi(t);
	return n <= (family == AF_INET ? 32 : 128) ? n : -1;
}

// Runs @argv (no shell); true when it exits 0.
bool run(const std::vector<std::string> &argv, std::string &why)
{
	std::vector<char *> a;
	a.reserve(argv.size() + 1);
	for (const std::string &s : argv)
		a.push_back(const_cast<char *>(s.c_str()));
	a.push_back(nullptr);
	pid_t pid = ::fork();
	if (pid < 0) {
		why = std::string("cannot fork: ") + std::strerror(errno);
		return false;
	}
	if (pid == 0) {
		::execv(a[0], a.data());
		::_exit(127);
	}
	int st = 0;
	while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return true;
	why = argv[0] + " " + (argv.size() > 1 ? argv[1] : "") + " failed (status " +
	      std::to_string(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st)) + ")";
	return false;
}

bool put(const std::string &path, const std::string &text, unsigned mode, std::string &why)
{
	return daemon::write_file_atomic(path, text, mode, why);
}

std::string find_prog(const char *name)
{
	for (const char *dir : {"/usr/bin/", "/bin/", "/usr/sbin/", "/sbin/"})
		if (::access((std::string(dir) + name).c_str(), X_OK) == 0)
			return std::string(dir) + name;
	return name;
}

} // namespace

bool parse_ip_config(const hvk_kvp_ipaddr_value &v, IpConfig &c, std::string &why)
{
	c.dhcp = v.dhcp_enabled != 0;
	auto addrs = split(ip_field(v, IpField::addr));
	auto subnets = split(ip_field(v, IpField::subnet));
	size_t si = 0;
	for (const std::string &a : addrs) {
		int fam = is_addr(AF_INET, a) ? AF_INET : (is_addr(AF_INET6, a) ? AF_INET6 : 0);
		if (!fam) {
			why = "'" + a + "' is not an IP address";
			return false;
		}
		int plen = si < subnets.size() ? prefix_of(fam, subnets[si++]) : (fam == AF_INET ? 32 : 128);
		if (plen < 0) {
			why = "subnet '" + subnets[si - 1] + "' does not fit address " + a;
			return false;
		}
		(fam == AF_INET ? c.v4 : c.v6).emplace_back(a, plen);
	}
	for (const std::string &g : split(ip_field(v, IpField::gateway))) {
		if (is_addr(AF_INET, g))
			c.gw4.push_back(g);
		else if (is_addr(AF_INET6, g))
			c.gw6.push_back(g);
		else {
			why = "gateway '" + g + "' is not an IP address";
			return false;
		}
	}
	for (const std::string &d : split(ip_field(v, IpField::dns))) {
		if (!is_addr(AF_INET, d) && !is_addr(AF_INET6, d)) {
			why = "DNS server '" + d + "' is not an IP address";
			return false;
		}
		c.dns.push_back(d);
	}
	if (!c.dhcp && c.v4.empty() && c.v6.empty()) {
		why = "neither DHCP nor an address was given";
		return false;
	}
	return true;
}

namespace {

// o << a << b, without iostreams: strings as they are, numbers in decimal.
void emit1(std::string &o, std::string_view v)
{
	o += v;
}

void emit1(std::string &o, int v)
{
	o += std::to_string(v);
}

void emit1(std::string &o, size_t v)
{
	o += std::to_string(v);
}

template <typename... T>
void emit(std::string &o, const T &...v)
{
	(emit1(o, v), ...);
}

} // namespace

std::string networkd_file(const IpConfig &c)
{
	std::string o;
	emit(o, "# Written by hypervkvpd for the Hyper-V host's SET_IP_INFO.\n[Match]\n");
	if (!c.mac.empty())
		emit(o, "MACAddress=", c.mac, "\n");
	else
		emit(o, "Name=", c.ifname, "\n");
	emit(o, "\n[Network]\n");
	if (c.dhcp)
		emit(o, "DHCP=yes\n");
	for (const auto &[a, p] : c.v4)
		emit(o, "Address=", a, "/", p, "\n");
	for (const auto &[a, p] : c.v6)
		emit(o, "Address=", a, "/", p, "\n");
	for (const auto &g : c.gw4)
		emit(o, "Gateway=", g, "\n");
	for (const auto &g : c.gw6)
		emit(o, "Gateway=", g, "\n");
	for (const auto &d : c.dns)
		emit(o, "DNS=", d, "\n");
	return o;
}

std::string nm_keyfile(const IpConfig &c)
{
	std::string o;
	emit(o, "# Written by hypervkvpd for the Hyper-V host's SET_IP_INFO.\n",
	     "[connection]\nid=hvkit-", c.ifname, "\ntype=ethernet\ninterface-name=", c.ifname,
	     "\n\n[ethernet]\n");
	if (!c.mac.empty())
		emit(o, "mac-address=", c.mac, "\n");
	auto section = [&](const char *name, const auto &addrs, const auto &gws, int fam) {
		emit(o, "\n[", name, "]\n");
		if (fam == AF_INET && c.dhcp) {
			emit(o, "method=auto\n");
		} else if (addrs.empty()) {
			emit(o, "method=", (fam == AF_INET ? "disabled" : "auto"), "\n");
			return;
		} else {
			emit(o, "method=manual\n");
		}
		int i = 1;
		for (const auto &[a, p] : addrs)
			emit(o, "address", i++, "=", a, "/", p, "\n");
		if (!gws.empty())
			emit(o, "gateway=", gws.front(), "\n");
		std::string dns;
		for (const auto &d : c.dns)
			if (is_addr(fam, d))
				dns += d + ";";
		if (!dns.empty())
			emit(o, "dns=", dns, "\n");
	};
	section("ipv4", c.v4, c.gw4, AF_INET);
	section("ipv6", c.v6, c.gw6, AF_INET6);
	return o;
}

std::string ifcfg_file(const IpConfig &c)
{
	std::string o;
	emit(o, "HWADDR=", c.mac, "\nDEVICE=", c.ifname, "\nBOOTPROTO=", (c.dhcp ? "dhcp" : "none"),
	     "\n");
	for (size_t i = 0; i < c.v4.size(); i++) {
		std::string sfx = i ? std::to_string(i) : "";
		uint32_t m = c.v4[i].second ? htonl(~(0xffffffffu >> c.v4[i].second)) : 0;
		char mask[INET_ADDRSTRLEN];
		::inet_ntop(AF_INET, &m, mask, sizeof(mask));
		emit(o, "IPADDR", sfx, "=", c.v4[i].first, "\nNETMASK", sfx, "=", mask, "\n");
	}
	for (size_t i = 0; i < c.gw4.size(); i++)
		emit(o, "GATEWAY", (i ? std::to_string(i) : ""), "=", c.gw4[i], "\n");
	for (size_t i = 0; i < c.v6.size(); i++) {
		std::string sfx = i ? std::to_string(i) : "";
		emit(o, "IPV6ADDR", sfx, "=", c.v6[i].first, "\nIPV6NETMASK", sfx, "=",
		     c.v6[i].second, "\n");
	}
	if (!c.gw6.empty())
		emit(o, "IPV6_DEFAULTGW=", c.gw6.front(), "\n");
	for (size_t i = 0; i < c.dns.size(); i++)
		emit(o, "DNS", i + 1, "=", c.dns[i], "\n");
	return o;
}

std::string ifname_for_guid(const std::string &guid, const std::string &sysfs_net)
{
	auto norm = [](const std::string &s) {
		std::string out;
		for (char ch : s)
			if (ch != '{' && ch != '}' && !std::isspace(static_cast<unsigned char>(ch)))
				out += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
		return out;
	};
	std::string want = norm(guid);
	if (want.empty())
		return {};
	std::error_code ec;
	for (const auto &e : std::filesystem::directory_iterator(sysfs_net, ec)) {
		std::string id = daemon::read_line(e.path() / "device" / "device_id");
		if (!id.empty() && norm(id) == want)
			return e.path().filename();
	}
	return {};
}

uint32_t set_ip_info_system(const hvk_kvp_ipaddr_value &v, std::string &why)
{
	IpConfig c;
	c.ifname = ifname_for_guid(ip_field(v, IpField::adapter));
	if (c.ifname.empty()) {
		why = "no interface has that VMBus device id";
		return HVK_GUID_NOTFOUND;
	}
	c.mac = daemon::read_line("/sys/class/net/" + c.ifname + "/address");
	if (!parse_ip_config(v, c, why))
		return HVK_E_FAIL;

	const std::string script = "/usr/libexec/hypervkvpd/hv_set_ifconfig";
	if (::access(script.c_str(), X_OK) == 0) {
		std::string ifcfg = "/var/lib/hyperv/ifcfg-" + c.ifname;
		std::string nm = "/var/lib/hyperv/" + c.ifname + ".nmconnection";
		if (!put(ifcfg, ifcfg_file(c), 0600, why) || !put(nm, nm_keyfile(c), 0600, why) ||
		    !run({script, ifcfg, nm}, why))
			return HVK_E_FAIL;
		daemon::log(LOG_INFO, "SET_IP_INFO: %s configured by %s", c.ifname.c_str(), script.c_str());
		return HVK_S_OK;
	}
	struct stat st {};
	if (::stat("/run/NetworkManager", &st) == 0) {
		std::string f = "/etc/NetworkManager/system-connections/hvkit-" + c.ifname + ".nmconnection";
		std::string nmcli = find_prog("nmcli");
		if (!put(f, nm_keyfile(c), 0600, why) || !run({nmcli, "connection", "load", f}, why) ||
		    !run({nmcli, "connection", "up", "id", "hvkit-" + c.ifname}, why))
			return HVK_E_FAIL;
		daemon::log(LOG_INFO, "SET_IP_INFO: %s configured through NetworkManager (%s)",
			    c.ifname.c_str(), f.c_str());
		return HVK_S_OK;
	}
	if (::stat("/run/systemd/netif", &st) == 0) {
		std::string f = "/etc/systemd/network/10-hvkit-" + c.ifname + ".network";
		std::string networkctl = find_prog("networkctl");
		if (!put(f, networkd_file(c), 0644, why) || !run({networkctl, "reload"}, why) ||
		    !run({networkctl, "reconfigure", c.ifname}, why))
			return HVK_E_FAIL;
		daemon::log(LOG_INFO, "SET_IP_INFO: %s configured through systemd-networkd (%s)",
			    c.ifname.c_str(), f.c_str());
		return HVK_S_OK;
	}
	why = "neither NetworkManager nor systemd-networkd runs, and no hv_set_ifconfig is installed";
	return HVK_E_FAIL;
}

} // namespace hvkit::kvp
