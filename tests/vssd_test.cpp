// SPDX-License-Identifier: GPL-2.0
// hypervvssd: what is frozen and in which order, partial failure and the
// thaw after it, hooks, the watchdog, and the message loop against a
// socketpair playing /dev/vmbus/hv_vss. A fake System stands for the mount
// table and the ioctls, and records what was done.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "freeze.h"
#include "vss_service.h"
#include "tmpdir.h"

extern "C" {
#include <hvkit/uapi/hv_ic_dev.h>
}

namespace fs = std::filesystem;
using hvkit::daemon::Fd;
using namespace hvkit::vss;
using Strings = std::vector<std::string>;

namespace {

class FakeSystem : public System {
public:
	// fsname, dir, type, opts; st_dev
	void add(const std::string &fsname, const std::string &dir, const std::string &type,
		 const std::string &opts, dev_t dev)
	{
		table.push_back({ fsname, dir, type, opts });
		devs[dir] = dev;
	}
	bool mounts(std::vector<Mount> &out, std::string &err) override
	{
		if (unreadable) {
			err = "cannot read /proc/self/mounts: denied";
			return false;
		}
		out = table;
		return true;
	}
	int dev_of(const std::string &dir, dev_t &dev) override
	{
		auto it = devs.find(dir);
		if (it == devs.end())
			return ENOENT;
		dev = it->second;
		return 0;
	}
	bool is_loop(const std::string &fsname) override { return loops.count(fsname) != 0; }
	int freeze(const std::string &dir) override
	{
		events.push_back("freeze " + dir);
		auto it = freeze_err.find(dir);
		if (it != freeze_err.end())
			return it->second;
		if (frozen.count(dir))
			return EBUSY;
		frozen[dir] = true;
		return 0;
	}
	int thaw(const std::string &dir) override
	{
		events.push_back("thaw " + dir);
		if (!frozen.count(dir))
			return EINVAL;
		frozen.erase(dir);
		return 0;
	}
	int run_hook(const std::string &path, const char *arg) override
	{
		events.push_back("hook " + fs::path(path).filename().string() + " " + arg);
		auto it = hook_rc.find(fs::path(path).filename().string());
		return it == hook_rc.end() ? 0 : it->second;
	}

	std::vector<Mount> table;
	std::map<std::string, dev_t> devs;
	std::map<std::string, bool> loops;
	std::map<std::string, int> freeze_err;
	std::map<std::string, int> hook_rc;
	std::map<std::string, bool> frozen;
	Strings events;
	bool unreadable = false;
};

// A guest's mount table, in mount order.
void typical(FakeSystem &s)
{
	s.add("/dev/sda1", "/", "ext4", "rw,relatime", 1);
	s.add("proc", "/proc", "proc", "rw,nosuid", 2);
	s.add("tmpfs", "/run", "tmpfs", "rw,nosuid", 3);
	s.add("/dev/sda2", "/boot", "ext4", "rw,relatime", 4);
	s.add("/dev/sda3", "/boot/efi", "vfat", "rw,relatime", 5);
	s.add("/dev/sdb1", "/home", "xfs", "rw,relatime", 6);
	s.add("/dev/sdc1", "/mnt/ro", "ext4", "ro,relatime", 7);
	s.add("/dev/loop0", "/mnt/image", "ext4", "rw", 8);
	s.add("/dev/mapper/vg-lv", "/mnt/on-loop", "ext4", "rw", 9);
	s.loops["/dev/loop0"] = true;
	s.loops["/dev/mapper/vg-lv"] = true;	// stacked on a loop device
	s.add("/dev/sdb1", "/srv/bind", "xfs", "rw,relatime", 6);	// bind mount of /home
	s.add("/dev/sdd1", "/home/data", "ext4", "rw,relatime", 10);
	s.add("/dev/sda1", "/var/lib/bind-of-root", "ext4", "rw", 1);
}

void hook(const std::string &dir, const std::string &phase, const std::string &name,
	  const std::string &body, unsigned mode = 0755)
{
	fs::create_directories(dir + "/" + phase);
	std::string p = dir + "/" + phase + "/" + name;
	std::ofstream(p) << "#!/bin/sh\n" << body << "\n";
	::chmod(p.c_str(), mode);
}

} // namespace

TEST(VssFreeze, FreezesEachWritableDiskFilesystemOnceChildrenFirstRootLast)
{
	FakeSystem s;
	typical(s);
	Freezer fz(s, "");
	std::string err;
	Strings notes;
	ASSERT_TRUE(fz.freeze(err, notes)) << err;
	// Not: proc/tmpfs (not /dev/*), vfat, read-only, loop devices and
	// what is stacked on them, and the bind mounts of /home and /.
	EXPECT_EQ((Strings { "freeze /home/data", "freeze /home", "freeze /boot", "freeze /" }),
		  s.events);
	s.events.clear();
	ASSERT_TRUE(fz.thaw(err, notes)) << err;
	EXPECT_EQ((Strings { "thaw /", "thaw /boot", "thaw /home", "thaw /home/data" }), s.events);
	EXPECT_TRUE(s.frozen.empty());
	EXPECT_FALSE(fz.frozen());
}

TEST(VssFreeze, APartialFailureNamesTheFilesystemAndThawsWhatWasFrozen)
{
	FakeSystem s;
	typical(s);
	s.freeze_err["/boot"] = EIO;
	Freezer fz(s, "");
	std::string err;
	Strings notes;
	EXPECT_FALSE(fz.freeze(err, notes));
	EXPECT_EQ("cannot freeze /boot: Input/output error; thawed the 2 filesystems frozen before it",
		  err);
	EXPECT_EQ((Strings { "freeze /home/data", "freeze /home", "freeze /boot", "thaw /home",
			     "thaw /home/data" }),
		  s.events);
	EXPECT_TRUE(s.frozen.empty()) << "left frozen after a failed FREEZE";
	EXPECT_FALSE(fz.frozen());
}

TEST(VssFreeze, RootFailingLastThawsEverythingElse)
{
	FakeSystem s;
	typical(s);
	s.freeze_err["/"] = EPERM;
	Freezer fz(s, "");
	std::string err;
	Strings notes;
	EXPECT_FALSE(fz.freeze(err, notes));
	EXPECT_NE(std::string::npos, err.find("cannot freeze /: ")) << err;
	EXPECT_TRUE(s.frozen.empty());
}

TEST(VssFreeze, AlreadyFrozenAndUnfreezableFilesystemsAreSkippedAndNotThawed)
{
	FakeSystem s;
	typical(s);
	s.freeze_err["/home"] = EBUSY;		// frozen by someone else
	s.freeze_err["/home/data"] = EOPNOTSUPP;	// cannot freeze at all
	Freezer fz(s, "");
	std::string err;
	Strings notes;
	ASSERT_TRUE(fz.freeze(err, notes)) << err;
	EXPECT_EQ((Strings { "/boot", "/" }), fz.frozen_dirs());
	EXPECT_EQ(2u, notes.size());
	s.events.clear();
	ASSERT_TRUE(fz.thaw(err, notes));
	EXPECT_EQ((Strings { "thaw /", "thaw /boot" }), s.events);
}

TEST(VssFreeze, AThawFromADaemonThatDidNotFreezeThawsEverythingFreezable)
{
	FakeSystem s;
	typical(s);
	s.frozen["/home"] = true;	// left by a daemon that was killed
	s.frozen["/"] = true;
	Freezer fz(s, "");
	std::string err;
	Strings notes;
	EXPECT_TRUE(fz.thaw(err, notes)) << err;	// not frozen (EINVAL) is no error
	EXPECT_TRUE(s.frozen.empty());
}

TEST(VssFreeze, AnUnreadableMountTableFailsTheFreezeWithNothingFrozen)
{
	FakeSystem s;
	typical(s);
	s.unreadable = true;
	Freezer fz(s, "");
	std::string err;
	Strings notes;
	EXPECT_FALSE(fz.freeze(err, notes));
	EXPECT_NE(std::string::npos, err.find("/proc/self/mounts")) << err;
	EXPECT_TRUE(s.events.empty());
}

TEST(VssHooks, PreFreezeHooksRunInNameOrderBeforeTheFreezeAndPostThawAfterTheThaw)
{
	const hvkit::test::TmpDir d("vssd-test");
	hook(d.path, "pre-freeze.d", "20-db", "true");
	hook(d.path, "pre-freeze.d", "10-app", "true");
	hook(d.path, "pre-freeze.d", "30-not-executable", "true", 0644);
	hook(d.path, "pre-freeze.d", ".hidden", "true");
	hook(d.path, "post-thaw.d", "10-app", "true");
	FakeSystem s;
	s.add("/dev/sda1", "/", "ext4", "rw", 1);
	Freezer fz(s, d.path);
	std::string err;
	Strings notes;
	ASSERT_TRUE(fz.freeze(err, notes)) << err;
	ASSERT_TRUE(fz.thaw(err, notes)) << err;
	EXPECT_EQ((Strings { "hook 10-app freeze", "hook 20-db freeze", "freeze /", "thaw /",
			     "hook 10-app thaw" }),
		  s.events);
}

TEST(VssHooks, AFailingPreFreezeHookStopsTheFreezeAndThePostThawHooksRun)
{
	const hvkit::test::TmpDir d("vssd-test");
	hook(d.path, "pre-freeze.d", "10-a", "true");
	hook(d.path, "pre-freeze.d", "20-b", "exit 3");
	hook(d.path, "pre-freeze.d", "30-c", "true");
	hook(d.path, "post-thaw.d", "10-a", "true");
	FakeSystem s;
	s.add("/dev/sda1", "/", "ext4", "rw", 1);
	s.hook_rc["20-b"] = 3;
	Freezer fz(s, d.path);
	std::string err;
	Strings notes;
	EXPECT_FALSE(fz.freeze(err, notes));
	EXPECT_NE(std::string::npos, err.find("20-b failed with status 3")) << err;
	EXPECT_EQ((Strings { "hook 10-a freeze", "hook 20-b freeze", "hook 10-a thaw" }), s.events);
	EXPECT_TRUE(s.frozen.empty());
}

TEST(VssHooks, RealHooksRunWithTheirArgumentAndAHungOneIsKilled)
{
	const hvkit::test::TmpDir d("vssd-test");
	std::string out = d.path + "/out";
	hook(d.path, "pre-freeze.d", "ok", "echo \"$1\" >" + out);
	hook(d.path, "pre-freeze.d", "hangs", "exec sleep 30");
	RealSystem real(std::chrono::seconds(1));
	EXPECT_EQ(0, real.run_hook(d.path + "/pre-freeze.d/ok", "freeze"));
	std::ifstream f(out);
	std::string line;
	std::getline(f, line);
	EXPECT_EQ("freeze", line);
	EXPECT_EQ(-1, real.run_hook(d.path + "/pre-freeze.d/hangs", "freeze"));
	EXPECT_NE(0, real.run_hook(d.path + "/missing", "freeze"));
}

// ---- the message loop ---------------------------------------------------

namespace {

class FakeTimer : public Timer {
public:
	void set(std::chrono::milliseconds after, std::function<void()> fn) override
	{
		armed = true;
		bound = after;
		fn_ = std::move(fn);
	}
	void cancel() override
	{
		armed = false;
		fn_ = nullptr;
	}
	void fire()
	{
		ASSERT_TRUE(armed);
		armed = false;
		auto fn = std::move(fn_);
		fn();
	}
	bool armed = false;
	std::chrono::milliseconds bound {};

private:
	std::function<void()> fn_;
};

struct Rig {
	Rig() : fz(sys, "")
	{
		typical(sys);
		int sv[2];
		EXPECT_EQ(0, ::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
		daemon_end.reset(sv[0]);
		kernel.reset(sv[1]);
		svc = std::make_unique<VssService>(daemon_end.get(), fz, timer, std::chrono::seconds(42));
		EXPECT_TRUE(svc->register_daemon());
		hvk_vss_msg reg {};
		EXPECT_EQ(12, ::read(kernel.get(), &reg, sizeof(reg)));
		EXPECT_EQ(HVK_VSS_OP_REGISTER1, reg.vss_hdr.operation);
		uint32_t v = HVK_VSS_OP_REGISTER1;
		EXPECT_EQ(4, ::write(kernel.get(), &v, sizeof(v)));
		EXPECT_EQ(Served::ok, svc->serve());
	}
	// Send @op, serve it, return the daemon's answer.
	hvk_vss_msg request(uint8_t op, uint32_t flags = 0)
	{
		hvk_vss_msg m {};
		m.vss_hdr.operation = op;
		m.vss_cf_flags = flags;
		return raw(&m, sizeof(m));
	}
	hvk_vss_msg raw(const void *p, size_t n)
	{
		EXPECT_EQ(static_cast<ssize_t>(n), ::write(kernel.get(), p, n));
		EXPECT_EQ(Served::ok, svc->serve());
		hvk_vss_msg a {};
		EXPECT_EQ(12, ::read(kernel.get(), &a, sizeof(a)));
		return a;
	}
	FakeSystem sys;
	Freezer fz;
	FakeTimer timer;
	Fd daemon_end, kernel;
	std::unique_ptr<VssService> svc;
};

constexpr auto S_OK = static_cast<int32_t>(HVK_S_OK);
constexpr auto E_FAIL = static_cast<int32_t>(HVK_E_FAIL);

} // namespace

TEST(VssLoop, FreezeThenThawAnswersSOkAndTheWatchdogRunsOnlyWhileFrozen)
{
	Rig r;
	EXPECT_EQ(S_OK, r.request(HVK_VSS_OP_FREEZE).error);
	EXPECT_EQ(4u, r.sys.frozen.size());
	EXPECT_TRUE(r.timer.armed);
	EXPECT_EQ(std::chrono::milliseconds(42000), r.timer.bound);
	EXPECT_EQ(S_OK, r.request(HVK_VSS_OP_THAW).error);
	EXPECT_TRUE(r.sys.frozen.empty());
	EXPECT_FALSE(r.timer.armed);
}

TEST(VssLoop, TheWatchdogThawsWhenNoThawComes)
{
	Rig r;
	EXPECT_EQ(S_OK, r.request(HVK_VSS_OP_FREEZE).error);
	ASSERT_FALSE(r.sys.frozen.empty());
	r.timer.fire();
	EXPECT_TRUE(r.sys.frozen.empty()) << "the watchdog left the guest frozen";
	EXPECT_FALSE(r.svc->frozen());
	// The host's THAW, late, is still answered S_OK.
	EXPECT_EQ(S_OK, r.request(HVK_VSS_OP_THAW).error);
}

TEST(VssLoop, AFailedFreezeAnswersEFailLeavesNothingFrozenAndNoWatchdog)
{
	Rig r;
	r.sys.freeze_err["/boot"] = EIO;
	EXPECT_EQ(E_FAIL, r.request(HVK_VSS_OP_FREEZE).error);
	EXPECT_TRUE(r.sys.frozen.empty());
	EXPECT_FALSE(r.timer.armed);
}

TEST(VssLoop, HotBackupAndTheOtherKnownOperationsAreSOkAsUpstream)
{
	Rig r;
	auto a = r.request(HVK_VSS_OP_HOT_BACKUP, 0x1234);
	EXPECT_EQ(S_OK, a.error);
	EXPECT_EQ(0x1234u, a.vss_cf_flags);	// the flags come back as sent
	EXPECT_EQ(S_OK, r.request(HVK_VSS_OP_GET_DM_INFO).error);
	EXPECT_EQ(S_OK, r.request(HVK_VSS_OP_BU_COMPLETE).error);
	EXPECT_TRUE(r.sys.events.empty()) << "these must not freeze anything";
}

TEST(VssLoop, MalformedTruncatedAndOversizedMessagesAreEFailAndFreezeNothing)
{
	Rig r;
	EXPECT_EQ(E_FAIL, r.request(200).error);	// unknown operation
	hvk_vss_msg m {};
	m.vss_hdr.operation = HVK_VSS_OP_FREEZE;
	EXPECT_EQ(E_FAIL, r.raw(&m, 5).error);		// truncated
	uint8_t big[40] = { HVK_VSS_OP_FREEZE };
	EXPECT_EQ(E_FAIL, r.raw(big, sizeof(big)).error);	// oversized
	EXPECT_TRUE(r.sys.events.empty());
}

TEST(VssLoop, ARefusedAnswerToAFreezeThawsAndAsksToRegisterAgain)
{
	Rig r;
	hvk_vss_msg m {};
	m.vss_hdr.operation = HVK_VSS_OP_FREEZE;
	ASSERT_EQ(12, ::write(r.kernel.get(), &m, sizeof(m)));
	ASSERT_EQ(0, ::shutdown(r.kernel.get(), SHUT_RD));	// the answer is refused
	std::signal(SIGPIPE, SIG_IGN);
	EXPECT_EQ(Served::reopen, r.svc->serve());
	EXPECT_TRUE(r.sys.frozen.empty()) << "a FREEZE the host thinks failed stayed frozen";
	EXPECT_FALSE(r.timer.armed);
}

TEST(VssLoop, TheDeviceGoingAwayWhileFrozenThaws)
{
	Rig r;
	EXPECT_EQ(S_OK, r.request(HVK_VSS_OP_FREEZE).error);
	r.kernel.reset();
	EXPECT_EQ(Served::gone, r.svc->serve());
	EXPECT_TRUE(r.sys.frozen.empty());
}

TEST(VssLoop, StoppingWhileFrozenThaws)
{
	Rig r;
	EXPECT_EQ(S_OK, r.request(HVK_VSS_OP_FREEZE).error);
	r.svc->stop();
	EXPECT_TRUE(r.sys.frozen.empty());
	EXPECT_FALSE(r.timer.armed);
}

// The daemon's own timer (Loop::set_timer) drives the watchdog.
TEST(VssLoop, TheLoopsTimerFiresTheWatchdog)
{
	FakeSystem sys;
	typical(sys);
	Freezer fz(sys, "");
	std::string err;
	Strings notes;
	ASSERT_TRUE(fz.freeze(err, notes));
	Fd sfd = hvkit::daemon::signal_fd();
	hvkit::daemon::Loop loop(sfd.get());
	bool fired = false;
	loop.set_timer(std::chrono::milliseconds(1), [&] {
		fired = true;
		std::string e;
		Strings n;
		fz.thaw(e, n);
		return false;	// end the loop
	});
	EXPECT_EQ(1, loop.run());
	EXPECT_TRUE(fired);
	EXPECT_TRUE(sys.frozen.empty());
}
