// SPDX-License-Identifier: GPL-2.0
// hypervvssd's message loop fed what a broken or hostile kernel could
// hand it: the input is a series of reads (each a 1-byte length and its
// bytes) served by VssService over a socketpair, against a fake mount table
// whose ioctls only count. Whatever comes in, every answer is a whole
// 12-byte message, and after a THAW, or the loop stopping, nothing is
// left frozen.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include <sys/socket.h>
#include <unistd.h>

#include "daemon.h"
#include "freeze.h"
#include "vss_service.h"

extern "C" {
#include <hvkit/uapi/hv_ic_dev.h>
}

namespace {

using namespace hvkit::vss;

class Fake : public System {
public:
	bool mounts(std::vector<Mount> &out, std::string &) override
	{
		out = { { "/dev/sda1", "/", "ext4", "rw" }, { "/dev/sdb1", "/home", "xfs", "rw" },
			{ "/dev/sdb1", "/srv", "xfs", "rw" }, { "/dev/loop0", "/img", "ext4", "rw" } };
		return true;
	}
	int dev_of(const std::string &dir, dev_t &dev) override
	{
		dev = dir == "/" ? 1 : 2;
		return 0;
	}
	bool is_loop(const std::string &fsname) override { return fsname == "/dev/loop0"; }
	int freeze(const std::string &dir) override
	{
		if (frozen[dir])
			return EBUSY;
		frozen[dir] = true;
		return 0;
	}
	int thaw(const std::string &dir) override
	{
		if (!frozen[dir])
			return EINVAL;
		frozen[dir] = false;
		return 0;
	}
	int run_hook(const std::string &, const char *) override { return 0; }
	bool any() const
	{
		for (const auto &f : frozen)
			if (f.second)
				return true;
		return false;
	}
	std::map<std::string, bool> frozen;
};

class NoTimer : public Timer {
public:
	void set(std::chrono::milliseconds, std::function<void()>) override {}
	void cancel() override {}
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int sv[2];
	if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		std::abort();
	hvkit::daemon::Fd d(sv[0]), k(sv[1]);
	Fake sys;
	Freezer fz(sys, "");
	NoTimer t;
	VssService svc(d.get(), fz, t, std::chrono::seconds(1));
	if (!svc.register_daemon())
		std::abort();
	uint8_t reg[64];
	if (::read(k.get(), reg, sizeof(reg)) != 12)
		std::abort();
	bool thawed_last = false;
	while (size >= 2) {
		size_t len = std::min<size_t>(std::max<size_t>(data[0], 1), size - 1);
		if (::write(k.get(), data + 1, len) != static_cast<ssize_t>(len))
			std::abort();
		bool handshake_reply = false;
		Served s = svc.serve();
		if (s != Served::ok)
			break;
		uint8_t ans[64];
		ssize_t n = ::recv(k.get(), ans, sizeof(ans), MSG_DONTWAIT);
		if (n < 0)
			handshake_reply = true;	// the registration answer: none
		else if (n != 12)
			std::abort();
		thawed_last = !handshake_reply && len == 12 && data[1] == HVK_VSS_OP_THAW;
		data += 1 + len;
		size -= 1 + len;
	}
	if (thawed_last && sys.any())
		std::abort();
	svc.stop();
	if (sys.any())
		std::abort();
	return 0;
}
