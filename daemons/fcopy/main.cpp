// SPDX-License-Identifier: GPL-2.0
// hypervfcopyd: Hyper-V's guest file copy (Copy-VMFile), through
// /dev/vmbus/hv_fcopy or, on kernels from 6.10, uio_hv_generic.
// See man/hypervfcopyd.8 and docs/daemons.md.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "fcopy_file.h"
#include "fcopy_service.h"

using namespace hvkit;
using daemon::Fd;
using daemon::log;

namespace {

constexpr const char *kDevice = "/dev/vmbus/hv_fcopy";
// Upstream's hv_fcopy_uio_daemon: the file copy device's instance GUID.
constexpr const char *kUioDevice = "/sys/bus/vmbus/devices/eb765408-105f-49b6-b4aa-c123b64d17d4";

void usage(const char *prog)
{
	std::printf("Usage: %s [options]\n"
		    "Hyper-V file copy daemon: receives the files the host copies in (Copy-VMFile).\n"
		    "\n"
		    "  -n, --no-daemon, --foreground  stay in the foreground\n"
		    "  -d, --debug                    log each request\n"
		    "  -h, --help                     print this help\n"
		    "  --transport auto|chardev|uio   how to reach the host (default auto:\n"
		    "                                 uio when uio_hv_generic holds the device)\n"
		    "  --device PATH                  the char device (default %s)\n"
		    "  --uio-device DIR               the VMBus device in sysfs, for uio\n"
		    "                                 (default %s)\n",
		    prog, kDevice, kUioDevice);
}

// The first entry of @dir whose name starts with @prefix, or "".
std::string first_entry(const std::string &dir, const char *prefix)
{
	std::string found;
	DIR *d = ::opendir(dir.c_str());
	if (!d)
		return found;
	while (dirent *e = ::readdir(d)) {
		if (e->d_name[0] != '.' && std::strncmp(e->d_name, prefix, std::strlen(prefix)) == 0) {
			found = e->d_name;
			break;
		}
	}
	::closedir(d);
	return found;
}

struct Mapping {
	void *addr = MAP_FAILED;
	size_t len = 0;
	Mapping() = default;
	Mapping(const Mapping &) = delete;
	Mapping &operator=(const Mapping &) = delete;
	~Mapping()
	{
		if (addr != MAP_FAILED)
			::munmap(addr, len);
	}
};

int run_uio(const std::string &sysdir, int sfd)
{
	std::string uio = first_entry(sysdir + "/uio", "uio");
	std::string chan = first_entry(sysdir + "/channels", "");
	struct stat st {};
	if (uio.empty() || chan.empty() ||
	    ::stat((sysdir + "/channels/" + chan + "/ring").c_str(), &st) < 0) {
		log(LOG_ERR, "%s is not bound to uio_hv_generic, or its channel is not open", sysdir.c_str());
		return 1;
	}
	// The ring file holds both rings.
	auto ring_size = static_cast<uint32_t>(st.st_size / 2);
	Fd fd = daemon::wait_for_device("/dev/" + uio, sfd);
	if (!fd)
		return 1;
	Mapping m;
	m.len = 2 * static_cast<size_t>(ring_size);
	m.addr = ::mmap(nullptr, m.len, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
	if (m.addr == MAP_FAILED) {
		log(LOG_ERR, "cannot map the rings of /dev/%s: %s", uio.c_str(), std::strerror(errno));
		return 1;
	}
	fcopy::FileCopy fc;
	fcopy::Uio chan_io(fd.get(), m.addr, ring_size, fc);
	std::string err;
	if (!chan_io.init(err)) {
		log(LOG_ERR, "/dev/%s: %s", uio.c_str(), err.c_str());
		return 1;
	}
	if (chan_io.drain() != fcopy::Served::ok)
		return 1;
	log(LOG_INFO, "serving file copy through /dev/%s (rings of %u bytes)", uio.c_str(), ring_size);
	daemon::notify_ready();
	daemon::notify_status("serving file copy through uio");
	daemon::Loop loop(sfd);
	loop.add(fd.get(), [&] { return chan_io.serve() == fcopy::Served::ok; });
	return loop.run();
}

int run_chardev(const std::string &path, int sfd)
{
	bool ready = false;
	for (;;) {
		Fd fd = daemon::wait_for_device(path, sfd);
		if (!fd)
			return 1;
		fcopy::FileCopy fc;
		fcopy::CharDev dev(fd.get(), fc);
		if (!dev.register_daemon())
			return 1;
		if (!ready) {
			log(LOG_INFO, "serving file copy through %s", path.c_str());
			daemon::notify_ready();
			daemon::notify_status("serving file copy through " + path);
			ready = true;
		}
		fcopy::Served why = fcopy::Served::ok;
		daemon::Loop loop(sfd);
		auto watchdog = daemon::watchdog_period();
		loop.add(fd.get(), [&] {
			why = dev.serve();
			// A START: serve the copy's messages without the loop.
			if (why == fcopy::Served::ok && fc.open())
				why = dev.serve_copy(watchdog);
			return why == fcopy::Served::ok;
		});
		int rc = loop.run();
		if (rc == 0 || why == fcopy::Served::ok)
			return rc;
		if (why == fcopy::Served::gone) {
			// As upstream's daemon: udev starts the service again
			// when a device comes back.
			log(LOG_INFO, "the file copy device is gone; exiting");
			return 0;
		}
	}
}

} // namespace

int main(int argc, char **argv)
{
	auto o = daemon::parse_options(argc, argv, "hypervfcopyd", { "transport", "uio-device" });
	if (!o)
		return 2;
	if (o->help) {
		usage(argv[0]);
		return 0;
	}
	std::string transport = daemon::option(*o, "transport").value_or("auto");
	std::string sysdir = daemon::option(*o, "uio-device").value_or(kUioDevice);
	if (transport != "auto" && transport != "chardev" && transport != "uio") {
		std::fprintf(stderr, "hypervfcopyd: --transport takes auto, chardev or uio, not '%s'\n",
			     transport.c_str());
		return 2;
	}
	std::string path = o->device.empty() ? kDevice : o->device;
	daemon::log_init("hypervfcopyd", o->debug);
	if (!daemon::daemonize_unless_foreground(*o))
		return 1;
	Fd sfd = daemon::signal_fd();
	if (!sfd)
		return 1;
	if (transport == "auto") {
		struct stat st {};
		transport = (::access(path.c_str(), F_OK) != 0 &&
			     ::stat((sysdir + "/uio").c_str(), &st) == 0) ? "uio" : "chardev";
	}
	return transport == "uio" ? run_uio(sysdir, sfd.get()) : run_chardev(path, sfd.get());
}
