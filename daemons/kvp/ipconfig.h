// SPDX-License-Identifier: GPL-2.0
// SET_IP_INFO: the host's static (or DHCP) configuration of one adapter,
// written for whichever network manager runs and applied:
//   - an admin-installed upstream hv_set_ifconfig script
//     (/usr/libexec/hypervkvpd/hv_set_ifconfig) is honoured first: it gets
//     upstream's ifcfg file and NetworkManager keyfile, as upstream's
//     daemon writes them, in /var/lib/hyperv;
//   - else NetworkManager (running: /run/NetworkManager exists): a keyfile
//     /etc/NetworkManager/system-connections/hvkit-IF.nmconnection (0600),
//     loaded and brought up with nmcli;
//   - else systemd-networkd (running: /run/systemd/netif exists):
//     /etc/systemd/network/10-hvkit-IF.network, applied with networkctl.
// Programs are run with execv, never through a shell.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

extern "C" {
#include <hvkit/uapi/hv_ic_dev.h>
}

namespace hvkit::kvp {

struct IpConfig {
	std::string ifname, mac;
	bool dhcp = false;
	std::vector<std::pair<std::string, int>> v4, v6; // address, prefix length
	std::vector<std::string> gw4, gw6, dns;
};

// The host's lists (';'- or ','-separated; IPv4 subnets as masks or
// prefix lengths, IPv6 ones as "/64" or "64") in @v, checked: every
// address must parse. false with @why otherwise.
bool parse_ip_config(const struct hvk_kvp_ipaddr_value &v, IpConfig &out, std::string &why);
std::string networkd_file(const IpConfig &c);
std::string nm_keyfile(const IpConfig &c);
std::string ifcfg_file(const IpConfig &c);

// The interface whose VMBus device_id (under @sysfs_net/*/device/) is the
// adapter GUID @guid (braces and case ignored); "" if none.
std::string ifname_for_guid(const std::string &guid, const std::string &sysfs_net = "/sys/class/net");

// The daemon's SET_IP_INFO: returns the host's status (HVK_GUID_NOTFOUND
// for an unknown adapter), @why says what failed.
uint32_t set_ip_info_system(const struct hvk_kvp_ipaddr_value &v, std::string &why);

} // namespace hvkit::kvp
