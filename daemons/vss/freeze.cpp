// SPDX-License-Identifier: GPL-2.0
// hypervvssd's freeze logic (freeze.h).
#include "freeze.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <mntent.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon.h"

namespace hvkit::vss {

using daemon::Fd;

// ---- the running system ---------------------------------------------------

bool RealSystem::mounts(std::vector<Mount> &out, std::string &err)
{
	out.clear();
	FILE *f = ::setmntent("/proc/self/mounts", "re");
	if (!f) {
		err = std::string("cannot read /proc/self/mounts: ") + std::strerror(errno);
		return false;
	}
	mntent ent {};
	std::vector<char> buf(16384);
	while (::getmntent_r(f, &ent, buf.data(), static_cast<int>(buf.size())))
		out.push_back({ ent.mnt_fsname, ent.mnt_dir, ent.mnt_type, ent.mnt_opts });
	::endmntent(f);
	return true;
}

int RealSystem::dev_of(const std::string &dir, dev_t &dev)
{
	struct stat st {};
	if (::stat(dir.c_str(), &st) < 0)
		return errno;
	dev = st.st_dev;
	return 0;
}

namespace {

// /sys/dev/block/M:m (or a slaves/ entry of one): a loop device, or built
// on one, as upstream's is_dev_loop(). @depth bounds the stacking.
bool sysfs_is_loop(const std::string &blk, int depth)
{
	if (::access((blk + "/loop").c_str(), F_OK) == 0)
		return true;
	if (depth >= 8)
		return false;
	DIR *d = ::opendir((blk + "/slaves").c_str());
	if (!d)
		return false;
	bool loop = false;
	while (dirent *e = ::readdir(d)) {
		if (e->d_name[0] == '.')
			continue;
		if (sysfs_is_loop(blk + "/slaves/" + e->d_name, depth + 1)) {
			loop = true;
			break;
		}
	}
	::closedir(d);
	return loop;
}

int fs_ioctl(const std::string &dir, unsigned long cmd)
{
	Fd fd(::open(dir.c_str(), O_RDONLY | O_CLOEXEC));
	if (!fd)
		return errno;
	if (::ioctl(fd.get(), cmd, 0) < 0)
		return errno;
	return 0;
}

} // namespace

bool RealSystem::is_loop(const std::string &fsname)
{
	struct stat st {};
	if (::stat(fsname.c_str(), &st) < 0 || !S_ISBLK(st.st_mode))
		return false;
	return sysfs_is_loop("/sys/dev/block/" + std::to_string(major(st.st_rdev)) + ":" +
				     std::to_string(minor(st.st_rdev)),
			     0);
}

int RealSystem::freeze(const std::string &dir)
{
	return fs_ioctl(dir, FIFREEZE);
}

int RealSystem::thaw(const std::string &dir)
{
	return fs_ioctl(dir, FITHAW);
}

int RealSystem::run_hook(const std::string &path, const char *arg)
{
	pid_t pid = ::fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		// The daemon blocks these for its signalfd; a hook gets them back.
		sigset_t all;
		sigfillset(&all);
		::sigprocmask(SIG_UNBLOCK, &all, nullptr);
		::signal(SIGPIPE, SIG_DFL);
		int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (null >= 0)
			::dup2(null, 0);
		// SIGALRM survives exec and kills a hook that outruns its time.
		::alarm(static_cast<unsigned>(hook_timeout_.count()));
		::execl(path.c_str(), path.c_str(), arg, static_cast<char *>(nullptr));
		_exit(127);
	}
	int st = 0;
	while (::waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

// ---- the freezer ------------------------------------------------------------

namespace {

bool has_opt(const std::string &opts, std::string_view opt)
{
	size_t pos = 0;
	while (pos <= opts.size()) {
		size_t end = opts.find(',', pos);
		if (end == std::string::npos)
			end = opts.size();
		if (std::string_view(opts).substr(pos, end - pos) == opt)
			return true;
		pos = end + 1;
	}
	return false;
}

} // namespace

bool Freezer::plan(std::vector<std::string> &order, std::vector<std::string> &notes,
		   std::string &err)
{
	std::vector<Mount> table;
	if (!sys_.mounts(table, err))
		return false;
	std::vector<dev_t> seen;
	bool root = false;
	order.clear();
	for (const Mount &m : table) {
		if (m.fsname.rfind("/dev/", 0) != 0)
			continue;
		if (has_opt(m.opts, "ro") || m.type == "vfat")
			continue;
		if (sys_.is_loop(m.fsname))
			continue;
		dev_t dev = 0;
		if (int e = sys_.dev_of(m.dir, dev)) {
			notes.push_back("skipping " + m.dir + " (" + m.fsname + "): " + std::strerror(e));
			continue;
		}
		if (std::find(seen.begin(), seen.end(), dev) != seen.end())
			continue;	// mounted again (bind mount, subvolume): frozen once
		seen.push_back(dev);
		if (m.dir == "/") {
			root = true;
			continue;
		}
		order.push_back(m.dir);
	}
	std::reverse(order.begin(), order.end());
	if (root)
		order.emplace_back("/");
	return true;
}

bool Freezer::run_hooks(const char *phase, const char *arg, std::string &err,
			std::vector<std::string> &notes)
{
	if (hook_dir_.empty())
		return true;
	std::string dir = hook_dir_ + "/" + phase;
	DIR *d = ::opendir(dir.c_str());
	if (!d)
		return true;	// no hooks
	std::vector<std::string> names;
	while (dirent *e = ::readdir(d))
		if (e->d_name[0] != '.')
			names.emplace_back(e->d_name);
	::closedir(d);
	std::sort(names.begin(), names.end());
	bool ok = true;
	for (const std::string &n : names) {
		std::string path = dir;
		path += "/";
		path += n;
		struct stat st {};
		if (::stat(path.c_str(), &st) < 0 || !S_ISREG(st.st_mode) ||
		    ::access(path.c_str(), X_OK) < 0)
			continue;
		int rc = sys_.run_hook(path, arg);
		if (rc == 0) {
			notes.push_back("hook " + path + " ran");
			continue;
		}
		std::string why = "hook " + path +
				  (rc < 0 ? " could not run, was killed or ran too long"
					  : " failed with status " + std::to_string(rc));
		if (ok)
			err = why;
		else
			notes.push_back(why);
		ok = false;
		// A failed pre-freeze hook stops the freeze; the post-thaw
		// hooks all run, whatever one of them did.
		if (std::strcmp(arg, "freeze") == 0)
			break;
	}
	return ok;
}

bool Freezer::thaw_frozen(std::string &err)
{
	bool ok = true;
	for (size_t i = frozen_.size(); i-- > 0;) {
		const std::string &dir = frozen_[i];
		int e = sys_.thaw(dir);
		if (e && e != EINVAL && ok) {	// EINVAL: not frozen (any more)
			err = "cannot thaw " + dir + ": " + std::strerror(e);
			ok = false;
		}
	}
	frozen_.clear();
	return ok;
}

bool Freezer::freeze(std::string &err, std::vector<std::string> &notes)
{
	if (frozen()) {
		notes.emplace_back("already frozen; nothing more to do");
		return true;
	}
	std::vector<std::string> order;
	if (!plan(order, notes, err))
		return false;
	if (!run_hooks("pre-freeze.d", "freeze", err, notes)) {
		std::string e2;
		run_hooks("post-thaw.d", "thaw", e2, notes);
		err += "; nothing was frozen";
		return false;
	}
	for (const std::string &dir : order) {
		int e = sys_.freeze(dir);
		if (e == 0) {
			frozen_.push_back(dir);
			continue;
		}
		// EBUSY: frozen already, through another mount of the same
		// filesystem (as upstream takes it) or by someone else, whose
		// freeze it is to undo. EOPNOTSUPP: the filesystem cannot freeze.
		if (e == EBUSY || e == EOPNOTSUPP) {
			notes.push_back("not freezing " + dir + ": " + std::strerror(e));
			continue;
		}
		size_t n = frozen_.size();
		std::string thaw_err;
		bool thawed = thaw_frozen(thaw_err);
		err = "cannot freeze " + dir + ": " + std::strerror(e) + "; thawed the " +
		      std::to_string(n) + " filesystem" + (n == 1 ? "" : "s") + " frozen before it";
		if (!thawed)
			err += ", but " + thaw_err;
		std::string e2;
		if (!run_hooks("post-thaw.d", "thaw", e2, notes))
			notes.push_back(e2);
		return false;
	}
	return true;
}

bool Freezer::thaw(std::string &err, std::vector<std::string> &notes)
{
	bool ok;
	if (frozen()) {
		ok = thaw_frozen(err);
	} else {
		// Not frozen by us: thaw whatever a freeze would have frozen.
		std::vector<std::string> order;
		if (!plan(order, notes, err))
			return false;
		frozen_ = order;
		ok = thaw_frozen(err);
	}
	std::string e2;
	if (!run_hooks("post-thaw.d", "thaw", e2, notes))
		notes.push_back(e2);
	return ok;
}

} // namespace hvkit::vss
