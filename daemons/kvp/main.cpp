// SPDX-License-Identifier: GPL-2.0
// hypervkvpd: hvkit's KVP (data exchange) daemon, a drop-in for upstream's
// hv_kvp_daemon. `hypervkvpd --help` says how to run it; man/hypervkvpd.8
// and docs/daemons.md say what it does.
#include "daemon.h"
#include "text.h"
#include "handler.h"
#include "ipconfig.h"

#include <cstdio>
#include <cstring>
#include <functional>

#include <fcntl.h>

namespace {

using namespace hvkit;
using namespace hvkit::daemon;

constexpr const char *kUsage = R"(usage: hypervkvpd [OPTIONS]
Serves the host's KVP (data exchange) requests from /dev/vmbus/hv_kvp:
the pools in /var/lib/hyperv/.kvp_pool_0 to _4, the system's intrinsic
items, and the adapters' IP configuration.

  -n, --no-daemon, --foreground   stay in the foreground
  -d, --debug-enabled, --debug    log each request (keys, never values)
  --device PATH                   the device (default /dev/vmbus/hv_kvp)
  --pool-dir DIR                  the pools' directory (default /var/lib/hyperv)
  -h, --help                      this text
)";

std::string slurp(const char *path)
{
	return hvkit::daemon::read_text(path).value_or("");
}

std::vector<std::string> system_dns()
{
	// Behind systemd-resolved's stub, the servers it really uses.
	auto servers = kvp::nameservers(slurp("/etc/resolv.conf"));
	if (servers.size() == 1 && servers[0] == "127.0.0.53") {
		auto real = kvp::nameservers(slurp("/run/systemd/resolve/resolv.conf"));
		if (!real.empty())
			return real;
	}
	return servers;
}

} // namespace

int main(int argc, char **argv)
{
	auto opts = parse_options(argc, argv, "hypervkvpd", {"pool-dir"});
	if (!opts)
		return 2;
	if (opts->help) {
		std::fputs(kUsage, stdout);
		return 0;
	}
	log_init("hypervkvpd", opts->debug);
	if (!daemonize_unless_foreground(*opts))
		return 1;

	std::string device = opts->device.empty() ? "/dev/vmbus/hv_kvp" : opts->device;
	kvp::Env env{kvp::PoolDir(option(*opts, "pool-dir").value_or("/var/lib/hyperv")),
		     kvp::system_info(slurp("/etc/os-release")), kvp::read_net, system_dns,
		     kvp::set_ip_info_system};
	std::string err;
	if (!env.pools.ensure_dir(err)) {
		log(LOG_ERR, "%s", err.c_str());
		return 1;
	}
	kvp::Handler handler(std::move(env));

	Fd sfd = signal_fd();
	if (!sfd)
		return 1;
	Loop loop(sfd.get());
	Fd dev;
	bool stop = false;
	// Opens the device and registers; false to stop. At start it waits
	// for the device; on a reset it reopens it at once, and when it is
	// gone (the channel was rescinded, the module unloaded) stops, as
	// upstream's daemon does (under systemd the unit BindsTo the device,
	// and udev starts it again when a device comes).
	std::function<bool(bool)> attach;
	attach = [&](bool first) -> bool {
		if (dev) {
			loop.remove(dev.get());
			dev.reset(); // the device takes one opener at a time
		}
		if (first) {
			dev = wait_for_device(device, sfd.get());
		} else {
			dev = Fd(::open(device.c_str(), O_RDWR | O_CLOEXEC));
			if (!dev)
				log(LOG_INFO, "cannot reopen %s (%s); stopping", device.c_str(),
				    std::strerror(errno));
		}
		if (!dev) {
			stop = true;
			return false;
		}
		handler.start_handshake();
		if (!kvp::register_daemon(dev.get())) {
			log(LOG_ERR, "cannot register with %s: %s", device.c_str(), std::strerror(errno));
			return false;
		}
		loop.add(dev.get(), [&]() {
			if (kvp::serve_one(dev.get(), handler) == kvp::Step::Reset)
				return attach(false);
			return true;
		});
		return true;
	};
	if (!attach(true))
		return stop ? 0 : 1;
	log(LOG_INFO, "serving %s; pools in %s", device.c_str(), handler.env().pools.dir().c_str());
	notify_ready();
	int rc = loop.run();
	return stop ? 0 : rc;
}
