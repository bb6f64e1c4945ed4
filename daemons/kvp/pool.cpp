// SPDX-License-Identifier: GPL-2.0
// The KVP pool files: format, locking and atomic replacement (pool.h).
#include "pool.h"

#include "daemon.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <ctime>

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace hvkit::kvp {

using daemon::Fd;

namespace {

std::string field(const uint8_t *p, size_t size, bool &unterminated)
{
	const auto *end = static_cast<const uint8_t *>(std::memchr(p, 0, size));
	unterminated = end == nullptr;
	return {reinterpret_cast<const char *>(p), end ? static_cast<size_t>(end - p) : size};
}

std::string errno_text(const std::string &what)
{
	return what + ": " + std::strerror(errno);
}

// A whole-file open-file-description lock; waits for it.
bool lock(int fd, short type)
{
	struct flock fl {};
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	while (::fcntl(fd, F_OFD_SETLKW, &fl) < 0)
		if (errno != EINTR)
			return false;
	return true;
}

bool unlock(int fd)
{
	struct flock fl {};
	fl.l_type = F_UNLCK;
	fl.l_whence = SEEK_SET;
	return ::fcntl(fd, F_OFD_SETLK, &fl) == 0;
}

// Opens @path as a pool file: a regular file, not through a symlink, and
// locked with @type, the inode at @path when the lock was granted.
// Returns an invalid Fd with @err set on error, or with @err empty when
// the file does not exist and @create is false. @st_out, when given, gets
// the file's stat taken under the lock.
Fd open_locked(const std::string &path, bool create, short type, std::string &err,
	       struct stat *st_out = nullptr)
{
	err.clear();
	for (int tries = 0; tries < 10000; tries++) {
		int flags = (type == F_WRLCK ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK;
		if (create)
			flags |= O_CREAT;
		Fd fd(::open(path.c_str(), flags, 0644));
		if (!fd) {
			if (errno == ENOENT && !create)
				return Fd();
			if (errno == ELOOP)
				err = path + " is a symbolic link, which is not a pool file; left alone";
			else
				err = errno_text("cannot open " + path);
			return Fd();
		}
		struct stat st {};
		if (::fstat(fd.get(), &st) < 0) {
			err = errno_text("cannot stat " + path);
			return Fd();
		}
		if (!S_ISREG(st.st_mode)) {
			err = path + " is not a regular file, so not a pool file; left alone";
			return Fd();
		}
		if (!lock(fd.get(), type)) {
			err = errno_text("cannot lock " + path);
			return Fd();
		}
		// Replaced while we waited for the lock? Then lock the new one.
		struct stat now {};
		if (::stat(path.c_str(), &now) == 0 && now.st_ino == st.st_ino &&
		    now.st_dev == st.st_dev) {
			if (st_out)
				*st_out = now;
			return fd;
		}
		if (errno == ENOENT && !create)
			return Fd();
	}
	err = path + " keeps being replaced; gave up locking it";
	return Fd();
}

// Reads the pool file open at @fd; @st_out, when given, gets its stat.
// @known: its stat taken under the lock held now, if the caller has one.
bool read_fd(int fd, const std::string &path, Parsed &out, std::string &err,
	     struct stat *st_out = nullptr, const struct stat *known = nullptr)
{
	struct stat st {};
	if (known) {
		st = *known;
	} else if (::fstat(fd, &st) < 0) {
		err = errno_text("cannot stat " + path);
		return false;
	}
	if (static_cast<uint64_t>(st.st_size) > kMaxPoolBytes) {
		err = path + " is larger than a pool can be (" + std::to_string(st.st_size) +
		      " bytes); not read";
		return false;
	}
	// Not zeroed first: only the bytes read are parsed.
	auto size = static_cast<size_t>(st.st_size);
	auto buf = std::make_unique_for_overwrite<uint8_t[]>(size);
	size_t got = 0;
	while (got < size) {
		ssize_t n = ::pread(fd, buf.get() + got, size - got, static_cast<off_t>(got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = errno_text("cannot read " + path);
			return false;
		}
		if (n == 0)
			break;
		got += static_cast<size_t>(n);
	}
	out = parse_pool({buf.get(), got});
	if (st_out)
		*st_out = st;
	return true;
}

int64_t ns_of(const struct timespec &t)
{
	return static_cast<int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
}

// The same file in the same state, as far as stat(2) can tell.
bool same_state(const struct stat &a, const struct stat &b)
{
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino && a.st_size == b.st_size &&
	       ns_of(a.st_mtim) == ns_of(b.st_mtim) && ns_of(a.st_ctim) == ns_of(b.st_ctim);
}

std::string dir_of(const std::string &path)
{
	auto slash = path.rfind('/');
	return slash == std::string::npos ? "." : (slash ? path.substr(0, slash) : "/");
}

// Removes temp files of @name that a killed writer left. The caller holds
// the pool's write lock, and only a lock holder makes one.
void remove_stale_temps(const std::string &dir, const std::string &name)
{
	DIR *d = ::opendir(dir.c_str());
	if (!d)
		return;
	std::string prefix = name + ".tmp.";
	while (struct dirent *e = ::readdir(d)) {
		std::string_view n = e->d_name;
		if (n.size() == prefix.size() + 6 && n.starts_with(prefix) &&
		    ::unlinkat(::dirfd(d), e->d_name, 0) == 0)
			daemon::log(LOG_NOTICE, "removed %s/%s, left by a writer that was stopped",
				    dir.c_str(), e->d_name);
	}
	::closedir(d);
}

// Replaces @path (in directory @dir, open at @dir_fd) with @data: a temp
// file, written, fsync'd, renamed over @path; then the directory fsync'd.
bool replace(const std::string &path, const std::string &data, int dir_fd, std::string &err)
{
	std::string dir = dir_of(path);
	std::string name = path.substr(path.rfind('/') + 1);
	std::string tmp = dir + "/" + name + ".tmp.XXXXXX";
	std::vector<char> tmpl(tmp.begin(), tmp.end());
	tmpl.push_back('\0');
	Fd fd(::mkostemp(tmpl.data(), O_CLOEXEC));
	if (!fd) {
		err = errno_text("cannot create a temporary file in " + dir);
		return false;
	}
	tmp = tmpl.data();
	auto fail = [&](const char *what) {
		err = errno_text(std::string(what) + " " + tmp);
		::unlink(tmp.c_str());
		return false;
	};
	if (::fchmod(fd.get(), 0644) < 0)
		return fail("cannot set the mode of");
	if (!daemon::write_all(fd.get(), data.data(), data.size()))
		return fail("cannot write");
	if (::fsync(fd.get()) < 0)
		return fail("cannot sync");
	if (::rename(tmp.c_str(), path.c_str()) < 0)
		return fail(("cannot rename to " + path + ":").c_str());
	if (::fsync(dir_fd) < 0) {
		err = errno_text("cannot sync " + dir);
		return false;
	}
	return true;
}

} // namespace

bool stat_settled(const struct stat &st, const struct timespec &read_at, int64_t clock_res_ns)
{
	const struct timespec &m = st.st_mtim, &c = st.st_ctim;
	int64_t gran = 1;
	if (m.tv_nsec == 0 && c.tv_nsec == 0)
		gran = 2'000'000'000;
	else
		while (gran < 100'000'000 && m.tv_nsec % (gran * 10) == 0 &&
		       c.tv_nsec % (gran * 10) == 0)
			gran *= 10;
	int64_t limit = ns_of(read_at) - std::max<int64_t>(clock_res_ns, 0) - gran;
	return ns_of(m) <= limit && ns_of(c) <= limit;
}

Parsed parse_pool(std::span<const uint8_t> data)
{
	Parsed p;
	size_t n = data.size() / kRecordSize;
	p.records.reserve(n + 1);
	for (size_t i = 0; i < n; i++) {
		const uint8_t *r = data.data() + i * kRecordSize;
		bool uk = false, uv = false;
		Record rec{field(r, kKeySize, uk), field(r + kKeySize, kValueSize, uv)};
		if (uk || uv)
			p.unterminated++;
		p.records.push_back(std::move(rec));
	}
	p.trailing = data.size() % kRecordSize;
	if (p.trailing > kKeySize) {
		const uint8_t *r = data.data() + n * kRecordSize;
		bool uk = false, uv = false;
		Record rec{field(r, kKeySize, uk), field(r + kKeySize, p.trailing - kKeySize, uv)};
		if (!uk && !rec.key.empty()) {
			p.records.push_back(std::move(rec));
			p.salvaged = true;
		}
	}
	return p;
}

std::string serialize_pool(const std::vector<Record> &records)
{
	std::string out(records.size() * kRecordSize, '\0');
	for (size_t i = 0; i < records.size(); i++) {
		char *r = out.data() + i * kRecordSize;
		const Record &rec = records[i];
		rec.key.copy(r, std::min(rec.key.size(), kKeySize));
		rec.value.copy(r + kKeySize, std::min(rec.value.size(), kValueSize));
	}
	return out;
}

std::string describe_oddities(const Parsed &p)
{
	std::string s;
	if (p.unterminated)
		s += std::to_string(p.unterminated) + " record(s) with a key or value that fills its field with no NUL (kept as they are)";
	if (p.trailing) {
		if (!s.empty())
			s += "; ";
		s += "the file ends " + std::to_string(p.trailing) + " bytes into a record, " +
		     (p.salvaged ? std::string("whose key is whole and is kept")
				 : std::string("which has no whole key and is ignored"));
	}
	return s;
}

const Record *find(const std::vector<Record> &records, std::string_view key)
{
	auto it = std::find_if(records.begin(), records.end(),
			       [&](const Record &r) { return r.key == key; });
	return it == records.end() ? nullptr : &*it;
}

bool set(std::vector<Record> &records, std::string_view key, std::string_view value)
{
	if (key.empty() || key.size() >= kKeySize || value.size() >= kValueSize ||
	    key.find('\0') != std::string_view::npos || value.find('\0') != std::string_view::npos)
		return false;
	for (Record &r : records) {
		if (r.key == key) {
			r.value = value;
			return true;
		}
	}
	records.push_back({std::string(key), std::string(value)});
	return true;
}

bool erase_key(std::vector<Record> &records, std::string_view key)
{
	auto it = std::find_if(records.begin(), records.end(),
			       [&](const Record &r) { return r.key == key; });
	if (it == records.end())
		return false;
	records.erase(it);
	return true;
}

std::string PoolDir::path(int pool) const
{
	return dir_ + "/.kvp_pool_" + std::to_string(pool);
}

bool PoolDir::ensure_dir(std::string &err) const
{
	if (::mkdir(dir_.c_str(), 0755) == 0 || errno == EEXIST) {
		struct stat st {};
		if (::stat(dir_.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
			return true;
		err = dir_ + " exists and is not a directory";
		return false;
	}
	err = errno_text("cannot create " + dir_);
	return false;
}

bool PoolDir::read(int pool, Parsed &out, std::string &err) const
{
	if (pool < 0 || pool >= kPoolCount) {
		err = "there is no pool " + std::to_string(pool) + " (pools are 0 to 4)";
		return false;
	}
	std::string p = path(pool);
	Fd fd = open_locked(p, false, F_RDLCK, err);
	if (!fd) {
		if (!err.empty())
			return false;
		out = Parsed{};
		return true;
	}
	return read_fd(fd.get(), p, out, err);
}

bool PoolDir::update(int pool, const std::function<bool(std::vector<Record> &)> &fn,
		     std::string &err) const
{
	if (pool < 0 || pool >= kPoolCount) {
		err = "there is no pool " + std::to_string(pool) + " (pools are 0 to 4)";
		return false;
	}
	std::string p = path(pool);
	// hvkit's writers queue on the directory first (flock, which needs no
	// write access): the pool's inode changes with every write, and a
	// writer waiting on an old one would lose to newcomers again and again.
	Fd dir(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	if (!dir) {
		err = errno_text("cannot open " + dir_);
		return false;
	}
	while (::flock(dir.get(), LOCK_EX) < 0) {
		if (errno != EINTR) {
			err = errno_text("cannot lock " + dir_);
			return false;
		}
	}
	// Held until the new file is in place: a writer that waits on the old
	// inode finds it replaced and locks the new one.
	struct stat st {};
	Fd fd = open_locked(p, true, F_WRLCK, err, &st);
	if (!fd)
		return false;
	// Temp files a killed writer left: looked for by this PoolDir's first
	// writer of the pool (under the lock: only a lock holder makes one, so
	// any found is stale), not on every write.
	if (!(*swept_)[static_cast<size_t>(pool)].exchange(true))
		remove_stale_temps(dir_, p.substr(p.rfind('/') + 1));
	Parsed cur;
	if (!read_fd(fd.get(), p, cur, err, nullptr, &st))
		return false;
	if (!fn(cur.records))
		return true;
	return replace(p, serialize_pool(cur.records), dir.get(), err);
}

PoolCache::PoolCache(PoolDir dir) : dir_(std::move(dir))
{
	struct timespec res {};
	// Without it, a tick of 10 ms (HZ=100) is the coarsest there is.
	clock_res_ns_ = ::clock_getres(CLOCK_REALTIME_COARSE, &res) == 0 ? ns_of(res) : 10'000'000;
}

bool PoolCache::do_stat(const char *path, struct stat &st) const
{
	// lstat: a symbolic link put where the pool was is another file (and
	// refused when opened, O_NOFOLLOW), even if it points to the pool.
	if (::lstat(path, &st) < 0)
		return false;
	if (filter_)
		filter_(st);
	return true;
}

const Parsed *PoolCache::load(Entry &e, const std::string &path, std::string &err)
{
	// Under the lock: a write in place waits for it, so any write after
	// this read stamps the file at this time or later.
	struct timespec now {};
	::clock_gettime(CLOCK_REALTIME_COARSE, &now);
	struct stat st {};
	Parsed p;
	if (!read_fd(e.fd.get(), path, p, err, &st)) {
		e.fd.reset();
		return nullptr;
	}
	if (filter_)
		filter_(st);
	reads_++;
	e.st = st;
	e.settled = stat_settled(st, now, clock_res_ns_);
	e.data = std::move(p);
	return &e.data;
}

const Parsed *PoolCache::get(int pool, std::string &err, bool *fresh)
{
	if (fresh)
		*fresh = false;
	if (pool < 0 || pool >= kPoolCount) {
		err = "there is no pool " + std::to_string(pool) + " (pools are 0 to 4)";
		return nullptr;
	}
	Entry &e = pools_[pool];
	std::string path = dir_.path(pool);
	// Releases the read lock on the way out; a lock that cannot be
	// released goes with its descriptor.
	struct Unlocker {
		Entry &e;
		~Unlocker()
		{
			if (e.fd && !unlock(e.fd.get()))
				e.fd.reset();
		}
	};
	if (e.fd && lock(e.fd.get(), F_RDLCK)) {
		Unlocker u{e};
		struct stat now {};
		if (do_stat(path.c_str(), now) && now.st_dev == e.st.st_dev &&
		    now.st_ino == e.st.st_ino) {
			if (e.settled && same_state(now, e.st))
				return &e.data;
			if (fresh)
				*fresh = true;
			return load(e, path, err);
		}
	}
	// Not open yet, or the path is another inode now (or none).
	e.fd = open_locked(path, false, F_RDLCK, err);
	if (!e.fd) {
		if (!err.empty())
			return nullptr;
		if (fresh)
			*fresh = true;
		return &empty_;
	}
	Unlocker u{e};
	if (fresh)
		*fresh = true;
	return load(e, path, err);
}

} // namespace hvkit::kvp
