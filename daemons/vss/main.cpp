// SPDX-License-Identifier: GPL-2.0
// hypervvssd: Hyper-V's backup (VSS) integration: freezes the filesystems
// while the host takes a snapshot, through /dev/vmbus/hv_vss.
// See man/hypervvssd.8 and docs/daemons.md.
#include <charconv>
#include <cstdio>
#include <string>

#include "daemon.h"
#include "freeze.h"
#include "vss_service.h"

using namespace hvkit;
using daemon::Fd;
using daemon::log;

namespace {

constexpr const char *kDevice = "/dev/vmbus/hv_vss";
constexpr unsigned kThawAfter = 600;	// seconds; the kernel gives FREEZE 900

void usage(const char *prog)
{
	std::printf("Usage: %s [options]\n"
		    "Hyper-V VSS daemon: freezes the filesystems while the host takes a backup.\n"
		    "\n"
		    "  -n, --no-daemon, --foreground  stay in the foreground\n"
		    "  -d, --debug                    log each request\n"
		    "  -h, --help                     print this help\n"
		    "  --device PATH                  the device (default %s)\n"
		    "  --hook-dir DIR                 pre-freeze.d/ and post-thaw.d/ hooks\n"
		    "                                 (default %s; \"\" for none)\n"
		    "  --thaw-timeout SECONDS         thaw by itself when no THAW comes\n"
		    "                                 this long after a FREEZE (default %u)\n",
		    prog, kDevice, vss::kHookDir, kThawAfter);
}

class LoopTimer : public vss::Timer {
public:
	explicit LoopTimer(daemon::Loop &loop) : loop_(loop) {}
	void set(std::chrono::milliseconds after, std::function<void()> fn) override
	{
		loop_.set_timer(after, [fn = std::move(fn)] {
			fn();
			return true;
		});
	}
	void cancel() override { loop_.cancel_timer(); }

private:
	daemon::Loop &loop_;
};

} // namespace

int main(int argc, char **argv)
{
	auto o = daemon::parse_options(argc, argv, "hypervvssd", { "hook-dir", "thaw-timeout" });
	if (!o)
		return 2;
	if (o->help) {
		usage(argv[0]);
		return 0;
	}
	unsigned thaw_after = kThawAfter;
	if (auto t = daemon::option(*o, "thaw-timeout")) {
		auto [p, ec] = std::from_chars(t->data(), t->data() + t->size(), thaw_after);
		if (ec != std::errc() || p != t->data() + t->size() || thaw_after < 1 ||
		    thaw_after > 86400) {
			std::fprintf(stderr, "hypervvssd: --thaw-timeout takes 1 to 86400 seconds, not '%s'\n",
				     t->c_str());
			return 2;
		}
	}
	std::string hooks = daemon::option(*o, "hook-dir").value_or(vss::kHookDir);
	std::string path = o->device.empty() ? kDevice : o->device;
	daemon::log_init("hypervvssd", o->debug);
	if (!daemon::daemonize_unless_foreground(*o))
		return 1;
	Fd sfd = daemon::signal_fd();
	if (!sfd)
		return 1;

	vss::RealSystem sys;
	vss::Freezer fz(sys, hooks);
	bool ready = false;
	for (;;) {
		Fd fd = daemon::wait_for_device(path, sfd.get());
		if (!fd)
			return 1;
		daemon::Loop loop(sfd.get());
		LoopTimer timer(loop);
		vss::VssService svc(fd.get(), fz, timer, std::chrono::seconds(thaw_after));
		if (!svc.register_daemon())
			return 1;
		if (!ready) {
			log(LOG_INFO, "serving VSS through %s (thaw timeout %u s, hooks in %s)", path.c_str(),
			    thaw_after, hooks.empty() ? "none" : hooks.c_str());
			daemon::notify_ready();
			daemon::notify_status("serving VSS through " + path);
			ready = true;
		}
		vss::Served why = vss::Served::ok;
		loop.add(fd.get(), [&] {
			why = svc.serve();
			return why == vss::Served::ok;
		});
		int rc = loop.run();
		svc.stop();	// a SIGTERM while frozen thaws first
		if (rc == 0 || why == vss::Served::ok)
			return rc;
		if (why == vss::Served::gone) {
			// As upstream's daemon: udev starts the service again
			// when a device comes back.
			log(LOG_INFO, "the VSS device is gone; exiting");
			return 0;
		}
	}
}
