// SPDX-License-Identifier: GPL-2.0
// hypervvssd's freeze logic: which filesystems a backup freezes, in which
// order, what happens when one fails, and the admin's hooks around it. The
// mount table, the ioctls and the hooks are behind System, so host tests
// drive it with a fake.
//
// What is frozen, as upstream's hv_vss_daemon: every mount of a /dev/* block
// device that is not read-only, not vfat and not on a loop device. Unlike
// upstream, a filesystem mounted more than once (bind mounts, btrfs
// subvolumes, a device mounted twice) is frozen once (by st_dev), and one
// that cannot be frozen at all (EOPNOTSUPP) is skipped rather than failing
// the backup.
//
// Order: mount order reversed, so a filesystem is frozen before the one it is
// mounted on, and "/" last; thawing runs the other way, "/" first. Nothing is
// logged between the first FIFREEZE and the last FITHAW: a log line can
// write to a frozen disk, and the daemon would wait on itself.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <sys/types.h>

namespace hvkit::vss {

struct Mount {
	std::string fsname;	// what is mounted (/dev/sda1)
	std::string dir;	// where
	std::string type;	// ext4
	std::string opts;	// rw,relatime,...
};

class System {
public:
	virtual ~System() = default;
	// The mount table in mount order (/proc/self/mounts). False (and
	// *err) when it cannot be read.
	virtual bool mounts(std::vector<Mount> &out, std::string &err) = 0;
	// The st_dev of the filesystem mounted at @dir: 0 or an errno.
	virtual int dev_of(const std::string &dir, dev_t &dev) = 0;
	// Whether @fsname is a loop device or stacked on one (upstream's
	// check through /sys/dev/block/M:m/{loop,slaves}).
	virtual bool is_loop(const std::string &fsname) = 0;
	// FIFREEZE / FITHAW on the filesystem at @dir: 0 or an errno.
	virtual int freeze(const std::string &dir) = 0;
	virtual int thaw(const std::string &dir) = 0;
	// Run hook @path with @arg ("freeze" / "thaw"): its exit status, or -1
	// if it could not be run, was killed, or outran its time.
	virtual int run_hook(const std::string &path, const char *arg) = 0;
};

// The running system: /proc/self/mounts, stat(2), sysfs, ioctl(2), and
// hooks run with a time limit of @hook_timeout each.
class RealSystem : public System {
public:
	explicit RealSystem(std::chrono::seconds hook_timeout = std::chrono::seconds(60)) :
		hook_timeout_(hook_timeout)
	{
	}
	bool mounts(std::vector<Mount> &out, std::string &err) override;
	int dev_of(const std::string &dir, dev_t &dev) override;
	bool is_loop(const std::string &fsname) override;
	int freeze(const std::string &dir) override;
	int thaw(const std::string &dir) override;
	int run_hook(const std::string &path, const char *arg) override;

private:
	std::chrono::seconds hook_timeout_;
};

// Where hooks live by default: <dir>/pre-freeze.d and <dir>/post-thaw.d.
inline constexpr const char *kHookDir = "/etc/hyperv/vss.d";

class Freezer {
public:
	// @hook_dir: holds pre-freeze.d/ and post-thaw.d/, each of executables
	// run in name order (dotfiles and non-executables skipped); "" for none.
	Freezer(System &sys, std::string hook_dir) : sys_(sys), hook_dir_(std::move(hook_dir)) {}

	// The mount points to freeze, in freezing order. @notes gets one line
	// per mount skipped for a reason worth logging.
	bool plan(std::vector<std::string> &order, std::vector<std::string> &notes,
		  std::string &err);

	// Run the pre-freeze hooks, then freeze. On success the filesystems
	// stay frozen until thaw(). On failure everything frozen is thawed
	// again, the post-thaw hooks run, and *err says which filesystem (or
	// hook) failed and why. Logs nothing itself; *notes is for the caller
	// to log once the host has its answer.
	bool freeze(std::string &err, std::vector<std::string> &notes);
	// Thaw what freeze() froze, "/" first, then run the post-thaw hooks.
	// With nothing frozen by this process (a daemon started after another
	// froze), thaw every filesystem freeze() would freeze; one that is not
	// frozen is not an error. False if one could not be thawed (*err).
	bool thaw(std::string &err, std::vector<std::string> &notes);

	bool frozen() const { return !frozen_.empty(); }
	const std::vector<std::string> &frozen_dirs() const { return frozen_; }

private:
	bool run_hooks(const char *phase, const char *arg, std::string &err,
		       std::vector<std::string> &notes);
	// Thaw frozen_ in reverse; the first failure in *err.
	bool thaw_frozen(std::string &err);

	System &sys_;
	std::string hook_dir_;
	std::vector<std::string> frozen_;	// in freezing order
};

} // namespace hvkit::vss
