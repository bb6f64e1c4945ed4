// SPDX-License-Identifier: GPL-2.0
// hypervkvpd's side of /dev/vmbus/hv_kvp: registration, and each request
// from the kernel answered in place, as upstream's hv_kvp_daemon answers
// it (its main loop), but with every field checked before use. The
// transport is an fd, so tests drive it over a socketpair.
#pragma once

#include "pool.h"
#include "sysinfo.h"

#include <array>
#include <functional>
#include <memory>
#include <string>

namespace hvkit::kvp {

// What the handler reads and changes, injectable for tests.
struct Env {
	PoolDir pools;
	SystemInfo sys;
	// The network now (GET_IP_INFO, NetworkAddressIPv4/IPv6).
	std::function<bool(NetState &, std::string &)> net = read_net;
	// The name servers now.
	std::function<std::vector<std::string>()> dns;
	// SET_IP_INFO: returns the status for the host; @why is logged.
	std::function<uint32_t(const struct hvk_kvp_ipaddr_value &, std::string &why)> set_ip;
};

class Handler {
public:
	explicit Handler(Env env) : env_(std::move(env)), cache_(env_.pools) {}
	// Handles one message from the kernel, in place. Returns false when
	// no answer is owed (the kernel's answer to our registration).
	bool handle(struct hvk_kvp_msg &m);
	// After (re)registering: the next REGISTER1 is the kernel's answer.
	void start_handshake() { in_handshake_ = true; }
	const std::string &lic_version() const { return lic_version_; }
	Env &env() { return env_; }
	// The pools as GET and ENUMERATE read them (tests count its reads).
	PoolCache &cache() { return cache_; }
	// serve_one()'s message buffer: room for more than one message, so
	// an oversized one shows. Kept, so no request zeroes 3 kB of stack.
	union IoBuf {
		struct hvk_kvp_msg m;
		char raw[sizeof(struct hvk_kvp_msg) + 512];
	};
	IoBuf &io_buf() { return *io_; }

private:
	uint32_t get(struct hvk_kvp_msg &m);
	uint32_t set(struct hvk_kvp_msg &m);
	uint32_t del(struct hvk_kvp_msg &m);
	uint32_t enumerate(struct hvk_kvp_msg &m);
	uint32_t enumerate_auto(struct hvk_kvp_msg &m);
	const Parsed *read_pool(int pool);

	Env env_;
	PoolCache cache_; // GET's and ENUMERATE's; SET and DELETE go to env_.pools
	bool in_handshake_ = false;
	std::string lic_version_ = "Unknown version"; // upstream's until the kernel says
	std::array<std::string, kPoolCount> odd_; // what was last logged as odd, per pool
	std::unique_ptr<IoBuf> io_ = std::make_unique<IoBuf>();
};

// The device protocol over @fd.
enum class Step {
	Ok,    // served (or nothing to do)
	Reset, // out of step with the kernel: reopen the device and register
};
// Writes the registration (KVP_OP_REGISTER1); false with errno set.
bool register_daemon(int fd);
// Reads one message, handles it, writes the answer.
Step serve_one(int fd, Handler &h);

} // namespace hvkit::kvp
