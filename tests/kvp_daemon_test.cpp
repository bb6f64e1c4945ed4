// SPDX-License-Identifier: GPL-2.0
// hypervkvpd's pool files and request handling: upstream's on-disk format
// byte for byte, the locking against concurrent writers, survival of a
// writer killed at any point, IP information from a network namespace,
// and the message loop over a socketpair standing in for /dev/vmbus/hv_kvp.
#include "daemon.h"
#include "handler.h"
#include "ipconfig.h"
#include "pool.h"
#include "sysinfo.h"
#include "tmpdir.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include <arpa/inet.h>
#include <net/if.h>
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/route.h>

using namespace hvkit::kvp;

namespace hvkit::kvp {
// For gtest's messages: a record as KEY=VALUE.
void PrintTo(const Record &r, std::ostream *os)
{
	*os << r.key << "=" << r.value;
}
} // namespace hvkit::kvp

namespace {

// Upstream's record, as tools/hv/hv_kvp_daemon.c declares it.
struct upstream_kvp_record {
	char key[512];
	char value[2048];
};
static_assert(sizeof(upstream_kvp_record) == 2560);

// A directory that lasts until the tests end.
std::string tmpdir()
{
	return hvkit::test::tmpdir("hvkit-kvp");
}

// Writes a pool as upstream's daemon does: its records, back to back.
void write_upstream(const std::string &path, const std::vector<std::pair<std::string, std::string>> &kv)
{
	hvkit::daemon::Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
	ASSERT_TRUE(fd);
	for (const auto &[k, v] : kv) {
		upstream_kvp_record r;
		std::memset(&r, 0, sizeof(r));
		std::snprintf(r.key, sizeof(r.key), "%s", k.c_str());
		std::snprintf(r.value, sizeof(r.value), "%s", v.c_str());
		ASSERT_EQ(::write(fd.get(), &r, sizeof(r)), static_cast<ssize_t>(sizeof(r)));
	}
}

// Reads a pool as upstream's daemon does: whole records, a cut-short one ignored.
std::vector<std::pair<std::string, std::string>> read_upstream(const std::string &path)
{
	std::vector<std::pair<std::string, std::string>> out;
	hvkit::daemon::Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
	upstream_kvp_record r;
	while (fd && ::read(fd.get(), &r, sizeof(r)) == static_cast<ssize_t>(sizeof(r)))
		out.emplace_back(std::string(r.key, strnlen(r.key, sizeof(r.key))),
				 std::string(r.value, strnlen(r.value, sizeof(r.value))));
	return out;
}

std::string slurp(const std::string &p)
{
	std::ifstream f(p, std::ios::binary);
	std::stringstream s;
	s << f.rdbuf();
	return s.str();
}

std::vector<std::string> dir_names(const std::string &dir)
{
	std::vector<std::string> out;
	DIR *d = ::opendir(dir.c_str());
	while (dirent *e = ::readdir(d))
		if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0)
			out.emplace_back(e->d_name);
	::closedir(d);
	return out;
}

std::vector<Record> read_ok(const PoolDir &d, int pool)
{
	Parsed p;
	std::string err;
	EXPECT_TRUE(d.read(pool, p, err)) << err;
	return p.records;
}

} // namespace

// ---- the pool files ---------------------------------------------------

TEST(KvpPool, ReadsWhatUpstreamsDaemonWrote)
{
	PoolDir d(tmpdir());
	write_upstream(d.path(0), {{"Color", "blue"}, {"VirtualMachineName", "vm1"}, {"Empty", ""}});
	auto recs = read_ok(d, 0);
	ASSERT_EQ(recs.size(), 3u);
	EXPECT_EQ(recs[0], (Record{"Color", "blue"}));
	EXPECT_EQ(recs[1], (Record{"VirtualMachineName", "vm1"}));
	EXPECT_EQ(recs[2], (Record{"Empty", ""}));
}

TEST(KvpPool, WritesWhatUpstreamsDaemonReads)
{
	PoolDir d(tmpdir());
	write_upstream(d.path(1), {{"a", "1"}, {"b", "2"}, {"c", "3"}});
	std::string before = slurp(d.path(1));
	std::string err;
	ASSERT_TRUE(d.update(1, [](std::vector<Record> &r) { return set(r, "b", "two"); }, err)) << err;
	ASSERT_TRUE(d.update(1, [](std::vector<Record> &r) { return set(r, "d", "4"); }, err)) << err;
	ASSERT_TRUE(d.update(1, [](std::vector<Record> &r) { return erase_key(r, "a"); }, err)) << err;
	auto got = read_upstream(d.path(1));
	std::vector<std::pair<std::string, std::string>> want = {{"b", "two"}, {"c", "3"}, {"d", "4"}};
	EXPECT_EQ(got, want);
	EXPECT_EQ(slurp(d.path(1)).size(), 3 * sizeof(upstream_kvp_record));
	// Byte for byte what upstream would write for the same records.
	std::string ref = d.path(1) + ".ref";
	write_upstream(ref, want);
	EXPECT_EQ(slurp(d.path(1)), slurp(ref));
	struct stat st {};
	ASSERT_EQ(::stat(d.path(1).c_str(), &st), 0);
	EXPECT_EQ(st.st_mode & 0777, 0644u);
	(void)before;
}

TEST(KvpPool, MissingPoolIsEmptyAndSetCreatesIt)
{
	PoolDir d(tmpdir() + "/hyperv");
	std::string err;
	EXPECT_TRUE(read_ok(d, 3).empty());
	ASSERT_TRUE(d.ensure_dir(err)) << err;
	ASSERT_TRUE(d.update(3, [](std::vector<Record> &r) { return set(r, "k", "v"); }, err)) << err;
	EXPECT_EQ(read_ok(d, 3), (std::vector<Record>{{"k", "v"}}));
}

TEST(KvpPool, KeysAndValuesMustFitUpstreamsFields)
{
	std::vector<Record> r;
	EXPECT_FALSE(set(r, "", "v"));
	EXPECT_FALSE(set(r, std::string(512, 'k'), "v"));
	EXPECT_TRUE(set(r, std::string(511, 'k'), std::string(2047, 'v')));
	EXPECT_FALSE(set(r, "k", std::string(2048, 'v')));
	EXPECT_FALSE(set(r, std::string("a\0b", 3), "v"));
	EXPECT_EQ(r.size(), 1u);
	EXPECT_EQ(serialize_pool(r).size(), kRecordSize);
}

TEST(KvpPool, TruncatedPoolKeepsWholeRecordsAndAWholeKey)
{
	PoolDir d(tmpdir());
	write_upstream(d.path(0), {{"one", "1"}, {"two", "22222"}});
	// Cut into the second record's value: its key is whole, "22" remains.
	ASSERT_EQ(::truncate(d.path(0).c_str(), 2560 + 512 + 2), 0);
	Parsed p;
	std::string err;
	ASSERT_TRUE(d.read(0, p, err)) << err;
	ASSERT_EQ(p.records.size(), 2u);
	EXPECT_EQ(p.records[1], (Record{"two", "22"}));
	EXPECT_TRUE(p.salvaged);
	EXPECT_NE(describe_oddities(p).find("key is whole"), std::string::npos);
	// Cut into the key: that record is ignored, as upstream's fread ignores it.
	ASSERT_EQ(::truncate(d.path(0).c_str(), 2560 + 100), 0);
	ASSERT_TRUE(d.read(0, p, err)) << err;
	EXPECT_EQ(p.records, (std::vector<Record>{{"one", "1"}}));
	EXPECT_EQ(p.trailing, 100u);
	// The next write leaves a file of whole records.
	ASSERT_TRUE(d.update(0, [](std::vector<Record> &r) { return set(r, "three", "3"); }, err));
	EXPECT_EQ(slurp(d.path(0)).size(), 2 * kRecordSize);
}

TEST(KvpPool, UnterminatedRecordIsKeptAsItIs)
{
	PoolDir d(tmpdir());
	std::string raw(kRecordSize, 'K');			// key and value with no NUL
	raw += serialize_pool({{"ok", "fine"}});
	{
		std::ofstream(d.path(2), std::ios::binary) << raw;
	}
	Parsed p;
	std::string err;
	ASSERT_TRUE(d.read(2, p, err)) << err;
	ASSERT_EQ(p.records.size(), 2u);
	EXPECT_EQ(p.unterminated, 1u);
	EXPECT_EQ(p.records[0].key, std::string(kKeySize, 'K'));
	EXPECT_EQ(p.records[0].value, std::string(kValueSize, 'K'));
	// Changing another key leaves the odd record's bytes as they were.
	ASSERT_TRUE(d.update(2, [](std::vector<Record> &r) { return set(r, "ok", "better"); }, err));
	std::string now = slurp(d.path(2));
	EXPECT_EQ(now.substr(0, kRecordSize), raw.substr(0, kRecordSize));
	EXPECT_EQ(read_ok(d, 2)[1], (Record{"ok", "better"}));
}

TEST(KvpPool, ForeignFilesAreRefusedOrLeftAlone)
{
	std::string dir = tmpdir();
	PoolDir d(dir);
	std::string err;
	Parsed p;
	// A directory, a FIFO and a symlink where pools should be: errors, untouched.
	ASSERT_EQ(::mkdir(d.path(0).c_str(), 0755), 0);
	ASSERT_EQ(::mkfifo(d.path(1).c_str(), 0644), 0);
	std::string outside = dir + "/outside";
	write_upstream(outside, {{"secret", "x"}});
	ASSERT_EQ(::symlink(outside.c_str(), d.path(2).c_str()), 0);
	for (int pool : {0, 1, 2}) {
		err.clear();
		EXPECT_FALSE(d.read(pool, p, err)) << pool;
		EXPECT_NE(err.find("not"), std::string::npos) << err;
		EXPECT_FALSE(d.update(pool, [](std::vector<Record> &r) { return set(r, "k", "v"); }, err));
	}
	EXPECT_EQ(read_upstream(outside).size(), 1u);
	// Other files in the directory are never touched.
	write_upstream(dir + "/.kvp_pool_7", {{"x", "y"}});
	std::string foreign = slurp(dir + "/.kvp_pool_7");
	ASSERT_TRUE(d.update(4, [](std::vector<Record> &r) { return set(r, "k", "v"); }, err)) << err;
	EXPECT_EQ(slurp(dir + "/.kvp_pool_7"), foreign);
	EXPECT_FALSE(d.read(5, p, err));
	// A pool larger than any pool can be is refused, not read.
	ASSERT_EQ(::truncate(d.path(4).c_str(), static_cast<off_t>(kMaxPoolBytes + kRecordSize)), 0);
	EXPECT_FALSE(d.read(4, p, err));
	EXPECT_NE(err.find("larger"), std::string::npos) << err;
}

TEST(KvpPool, UpstreamsFcntlLockKeepsOurWriterOut)
{
	PoolDir d(tmpdir());
	write_upstream(d.path(0), {{"a", "1"}});
	int go[2], done[2];
	ASSERT_EQ(::pipe(go), 0);
	ASSERT_EQ(::pipe(done), 0);
	pid_t pid = ::fork();
	if (pid == 0) {
		// Upstream's lock: F_SETLKW, whole file, on its own fd.
		int fd = ::open(d.path(0).c_str(), O_RDWR);
		struct flock fl = {F_WRLCK, SEEK_SET, 0, 0, 0};
		if (::fcntl(fd, F_SETLKW, &fl) < 0)
			::_exit(1);
		char c = 1;
		(void)!::write(go[1], &c, 1);
		(void)!::read(done[0], &c, 1);
		::_exit(0);
	}
	char c;
	ASSERT_EQ(::read(go[0], &c, 1), 1);
	// While upstream holds it, our lock is not granted.
	int fd = ::open(d.path(0).c_str(), O_RDWR);
	struct flock fl {};
	fl.l_type = F_WRLCK;
	EXPECT_EQ(::fcntl(fd, F_OFD_SETLK, &fl), -1);
	EXPECT_EQ(errno, EAGAIN);
	::close(fd);
	(void)!::write(done[1], &c, 1);
	int st = 0;
	::waitpid(pid, &st, 0);
	EXPECT_EQ(st, 0);
	std::string err;
	EXPECT_TRUE(d.update(0, [](std::vector<Record> &r) { return set(r, "b", "2"); }, err)) << err;
}

TEST(KvpPool, ConcurrentWritersLoseNoUpdate)
{
	PoolDir d(tmpdir());
	constexpr int kProcs = 4, kKeys = 40;
	std::vector<pid_t> kids;
	for (int p = 0; p < kProcs; p++) {
		pid_t pid = ::fork();
		if (pid == 0) {
			std::string err;
			for (int k = 0; k < kKeys; k++) {
				std::string key = "p" + std::to_string(p) + "k" + std::to_string(k);
				// A read-modify-write each time: lost updates would show.
				if (!d.update(1, [&](std::vector<Record> &r) { return set(r, key, key); }, err)) {
					std::fprintf(stderr, "writer %d: %s\n", p, err.c_str());
					::_exit(1);
				}
			}
			::_exit(0);
		}
		kids.push_back(pid);
	}
	// Threads of one process too (OFD locks are per open file).
	std::vector<std::thread> threads;
	threads.reserve(2);
	for (int t = 0; t < 2; t++)
		threads.emplace_back([&, t] {
			std::string err;
			for (int k = 0; k < kKeys; k++) {
				std::string key = "t" + std::to_string(t) + "k" + std::to_string(k);
				EXPECT_TRUE(d.update(1, [&](std::vector<Record> &r) { return set(r, key, key); }, err)) << err;
			}
		});
	for (auto &t : threads)
		t.join();
	for (pid_t pid : kids) {
		int st = 0;
		::waitpid(pid, &st, 0);
		EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	auto recs = read_ok(d, 1);
	std::set<std::string> keys;
	for (const Record &r : recs) {
		EXPECT_EQ(r.key, r.value);
		keys.insert(r.key);
	}
	EXPECT_EQ(keys.size(), static_cast<size_t>((kProcs + 2) * kKeys));
	EXPECT_EQ(recs.size(), keys.size());
}

TEST(KvpPool, WriterKilledAtAnyPointLeavesOldOrNewPool)
{
	std::string dir = tmpdir();
	PoolDir d(dir);
	constexpr int kRecords = 30;
	auto generation = [&](int g) {
		std::vector<Record> r;
		r.reserve(kRecords + 2);
		for (int i = 0; i < kRecords + g % 3; i++)
			r.push_back({"key" + std::to_string(i), "generation " + std::to_string(g)});
		return r;
	};
	std::string err;
	ASSERT_TRUE(d.update(0, [&](std::vector<Record> &r) { r = generation(0); return true; }, err));
	std::mt19937 rng(12345);
	std::uniform_int_distribution<int> delay(0, 3000);
	int last_seen = 0;
	for (int round = 0; round < 150; round++) {
		pid_t pid = ::fork();
		if (pid == 0) {
			std::string e;
			for (int g = last_seen + 1;; g++)
				d.update(0, [&](std::vector<Record> &r) { r = generation(g); return true; }, e);
		}
		::usleep(static_cast<useconds_t>(delay(rng)));
		::kill(pid, SIGKILL);
		::waitpid(pid, nullptr, 0);
		// Whole records, all of one generation, as many as it had.
		std::string raw = slurp(d.path(0));
		ASSERT_EQ(raw.size() % kRecordSize, 0u) << "round " << round;
		auto recs = read_ok(d, 0);
		ASSERT_FALSE(recs.empty());
		int g = std::stoi(recs[0].value.substr(11));
		ASSERT_GE(g, last_seen);
		ASSERT_EQ(recs, generation(g)) << "round " << round;
		last_seen = g;
	}
	EXPECT_GT(last_seen, 0) << "no writer ever finished a write";
	// The next writer to open the directory (a daemon that starts, an
	// `hvctl kvp set`) removes what killed writers left behind, with its
	// first write to the pool.
	PoolDir next(dir);
	ASSERT_TRUE(next.update(0, [](std::vector<Record> &r) { return set(r, "k", "v"); }, err));
	for (const std::string &n : dir_names(dir))
		EXPECT_EQ(n.find(".tmp."), std::string::npos) << n;
}

// ---- hypervkvpd's pool cache ------------------------------------------

namespace {

struct timespec ts(time_t sec, long nsec)
{
	struct timespec t {};
	t.tv_sec = sec;
	t.tv_nsec = nsec;
	return t;
}

struct stat stamped(struct timespec mtime, struct timespec ctime)
{
	struct stat st {};
	st.st_mtim = mtime;
	st.st_ctim = ctime;
	return st;
}

// Writes a pool in place as upstream's daemon does (kvp_update_file):
// under its classic whole-file lock on a descriptor of its own, fopen("w"),
// fwrite, fclose, unlock. The inode stays.
void write_upstream_locked(const std::string &path,
			   const std::vector<std::pair<std::string, std::string>> &kv)
{
	hvkit::daemon::Fd lk(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
	ASSERT_TRUE(lk);
	struct flock fl = {F_WRLCK, SEEK_SET, 0, 0, 0};
	ASSERT_EQ(::fcntl(lk.get(), F_SETLKW, &fl), 0);
	write_upstream(path, kv);
	fl.l_type = F_UNLCK;
	ASSERT_EQ(::fcntl(lk.get(), F_SETLK, &fl), 0);
}

std::vector<Record> cached(PoolCache &c, int pool)
{
	std::string err;
	const Parsed *p = c.get(pool, err);
	EXPECT_NE(p, nullptr) << err;
	return p ? p->records : std::vector<Record>{};
}

// Asks until an answer comes from memory: the file's timestamps have
// fallen behind the clock. The test fails when they never do.
void settle(PoolCache &c, int pool)
{
	for (int i = 0; i < 5000; i++) {
		uint64_t before = c.reads();
		cached(c, pool);
		if (c.reads() == before)
			return;
		::usleep(1000);
	}
	ADD_FAILURE() << "pool " << pool << " was read again on every request";
}

// A file system that keeps whole seconds only (ext3, ext4 with 128-byte
// inodes): two writes in one second leave the same timestamps.
void whole_seconds(struct stat &st)
{
	st.st_mtim.tv_nsec = 0;
	st.st_ctim.tv_nsec = 0;
}

struct stat stat_of(const std::string &path)
{
	struct stat st {};
	EXPECT_EQ(::stat(path.c_str(), &st), 0);
	return st;
}

} // namespace

TEST(KvpPoolCache, TimestampsAreTrustedOnlyWhenOlderThanClockAndGranularity)
{
	const int64_t res = 4'000'000; // a 4 ms tick (HZ=250)
	const struct timespec read = ts(1000, 500'000'000);
	// Written in the tick it was read in, or just before: racy.
	EXPECT_FALSE(stat_settled(stamped(read, read), read, res));
	EXPECT_FALSE(stat_settled(stamped(ts(1000, 496'000'001), ts(1000, 496'000'001)), read, res));
	// Older than a tick (and a nanosecond of granularity): settled.
	EXPECT_TRUE(stat_settled(stamped(ts(1000, 495'999'999), ts(1000, 495'999'999)), read, res));
	// Either timestamp racy is enough (a write may restore the mtime).
	EXPECT_FALSE(stat_settled(stamped(ts(990, 123'456'789), read), read, res));
	EXPECT_FALSE(stat_settled(stamped(read, ts(990, 123'456'789)), read, res));
	// Whole seconds: the file system may keep no more, so the next write in
	// the same second (or two, FAT's mtime) would stamp the same.
	EXPECT_FALSE(stat_settled(stamped(ts(1000, 0), ts(1000, 0)), read, res));
	EXPECT_FALSE(stat_settled(stamped(ts(999, 0), ts(999, 0)), read, res));
	EXPECT_TRUE(stat_settled(stamped(ts(998, 0), ts(998, 0)), read, res));
	// Hundredths of a second (exFAT): 10 ms of granularity.
	EXPECT_FALSE(stat_settled(stamped(ts(1000, 490'000'000), ts(1000, 490'000'000)), read, res));
	EXPECT_TRUE(stat_settled(stamped(ts(1000, 470'000'000), ts(1000, 470'000'000)), read, res));
}

TEST(KvpPoolCache, AHitReadsNothingAndAWriteInPlaceIsSeen)
{
	PoolDir d(tmpdir());
	write_upstream(d.path(1), {{"a", "1"}, {"b", "2"}, {"c", "3"}});
	PoolCache c(d);
	settle(c, 1);
	uint64_t reads = c.reads();
	for (int i = 0; i < 100; i++)
		ASSERT_EQ(cached(c, 1), (std::vector<Record>{{"a", "1"}, {"b", "2"}, {"c", "3"}}));
	EXPECT_EQ(c.reads(), reads) << "a pool that did not change was read again";
	// Upstream's writer, in place, the same size: seen at once.
	struct stat before = stat_of(d.path(1));
	write_upstream_locked(d.path(1), {{"a", "1"}, {"b", "7"}, {"c", "3"}});
	ASSERT_EQ(stat_of(d.path(1)).st_ino, before.st_ino);
	ASSERT_EQ(stat_of(d.path(1)).st_size, before.st_size);
	EXPECT_EQ(cached(c, 1), (std::vector<Record>{{"a", "1"}, {"b", "7"}, {"c", "3"}}));
	EXPECT_EQ(c.reads(), reads + 1);
	// A writer that puts the old mtime back (cp -p, rsync -t): the ctime
	// tells.
	settle(c, 1);
	before = stat_of(d.path(1));
	write_upstream_locked(d.path(1), {{"a", "1"}, {"b", "8"}, {"c", "3"}});
	const struct timespec times[2] = {before.st_atim, before.st_mtim};
	ASSERT_EQ(::utimensat(AT_FDCWD, d.path(1).c_str(), times, 0), 0);
	EXPECT_EQ(cached(c, 1), (std::vector<Record>{{"a", "1"}, {"b", "8"}, {"c", "3"}}));
	// Pools are cached apart; a missing one is empty and read from nowhere.
	EXPECT_TRUE(cached(c, 3).empty());
	write_upstream(d.path(0), {{"x", "y"}});
	EXPECT_EQ(cached(c, 0), (std::vector<Record>{{"x", "y"}}));
	EXPECT_EQ(cached(c, 1), (std::vector<Record>{{"a", "1"}, {"b", "8"}, {"c", "3"}}));
	std::string err;
	EXPECT_EQ(c.get(5, err), nullptr);
	EXPECT_FALSE(err.empty());
}

TEST(KvpPoolCache, AWriteOfTheSameSizeInTheSameSecondIsSeen)
{
	// On a file system with whole-second timestamps, a pool read and then
	// written in place within one second has the stat it had when read.
	PoolDir d(tmpdir());
	PoolCache c(d);
	c.set_stat_filter(whole_seconds);
	int same_second = 0;
	for (int round = 0; round < 20 && same_second < 5; round++) {
		std::string v = "generation " + std::to_string(round % 10);
		std::string w = "generation " + std::to_string((round + 1) % 10);
		write_upstream_locked(d.path(0), {{"key", v}});
		ASSERT_EQ(cached(c, 0), (std::vector<Record>{{"key", v}}));
		struct stat a = stat_of(d.path(0));
		write_upstream_locked(d.path(0), {{"key", w}});
		struct stat b = stat_of(d.path(0));
		whole_seconds(a);
		whole_seconds(b);
		ASSERT_EQ(cached(c, 0), (std::vector<Record>{{"key", w}})) << "round " << round;
		if (a.st_ino == b.st_ino && a.st_size == b.st_size &&
		    a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_ctim.tv_sec == b.st_ctim.tv_sec)
			same_second++;
	}
	EXPECT_GE(same_second, 5) << "the writes kept falling into different seconds";
}

TEST(KvpPoolCache, ARenameOverThePoolIsSeen)
{
	PoolDir d(tmpdir());
	write_upstream(d.path(2), {{"k", "old"}});
	PoolCache c(d);
	settle(c, 2);
	// Another file of the same size, stamped as the pool was, renamed over it.
	struct stat was = stat_of(d.path(2));
	std::string tmp = d.path(2) + ".new";
	write_upstream(tmp, {{"k", "new"}});
	const struct timespec times[2] = {was.st_atim, was.st_mtim};
	ASSERT_EQ(::utimensat(AT_FDCWD, tmp.c_str(), times, 0), 0);
	ASSERT_EQ(::rename(tmp.c_str(), d.path(2).c_str()), 0);
	EXPECT_EQ(cached(c, 2), (std::vector<Record>{{"k", "new"}}));
	// hvkit's writer (a rename too), and a pool removed.
	settle(c, 2);
	std::string err;
	ASSERT_TRUE(d.update(2, [](std::vector<Record> &r) { return set(r, "k", "hvk"); }, err)) << err;
	EXPECT_EQ(cached(c, 2), (std::vector<Record>{{"k", "hvk"}}));
	// A symbolic link to the very inode is no pool file.
	settle(c, 2);
	std::string real = d.path(2) + ".real";
	ASSERT_EQ(::rename(d.path(2).c_str(), real.c_str()), 0);
	ASSERT_EQ(::symlink(real.c_str(), d.path(2).c_str()), 0);
	EXPECT_EQ(c.get(2, err), nullptr);
	EXPECT_NE(err.find("symbolic link"), std::string::npos) << err;
	ASSERT_EQ(::unlink(d.path(2).c_str()), 0);
	EXPECT_TRUE(cached(c, 2).empty());
}

TEST(KvpPoolCache, EveryWriteOfAnUpstreamWriterIsSeenInOrder)
{
	// A process writing in place as fast as it can, under upstream's lock;
	// the cache never answers an older generation than it did, never a
	// torn record, and after the last write answers the last generation.
	// Once with this file system's timestamps, once with whole seconds.
	for (bool coarse : {false, true}) {
		PoolDir d(tmpdir());
		constexpr int kWrites = 300;
		auto records = [](int g) {
			std::string v = "generation " + std::to_string(1000 + g);
			return std::vector<std::pair<std::string, std::string>>{{"a", v}, {"b", v}};
		};
		write_upstream(d.path(1), records(0));
		PoolCache c(d);
		if (coarse)
			c.set_stat_filter(whole_seconds);
		pid_t pid = ::fork();
		if (pid == 0) {
			for (int g = 1; g <= kWrites; g++)
				write_upstream_locked(d.path(1), records(g));
			::_exit(::testing::Test::HasFailure() ? 1 : 0);
		}
		int last = 0;
		int status = -1;
		for (;;) {
			bool done = ::waitpid(pid, &status, WNOHANG) == pid;
			auto recs = cached(c, 1);
			ASSERT_EQ(recs.size(), 2u);
			ASSERT_EQ(recs[0].value, recs[1].value);
			int g = std::stoi(recs[0].value.substr(11)) - 1000;
			ASSERT_GE(g, last) << (coarse ? "whole seconds" : "fine timestamps");
			last = g;
			if (done)
				break;
		}
		ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		EXPECT_EQ(last, kWrites) << (coarse ? "whole seconds" : "fine timestamps");
	}
}

// ---- the AUTO pool's items and IP information --------------------------

TEST(KvpSystem, OsReleaseAsUpstreamReadsIt)
{
	std::string osr = "# comment\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nID=debian\n"
			  "PRETTY=it\\'s\n";
	EXPECT_EQ(os_release_value(osr, "NAME"), "Debian GNU/Linux");
	EXPECT_EQ(os_release_value(osr, "VERSION_ID"), "12");
	EXPECT_EQ(os_release_value(osr, "PRETTY"), "it's");
	EXPECT_EQ(os_release_value(osr, "ID_LIKE"), "");
	SystemInfo s = system_info(osr);
	EXPECT_EQ(s.os_name, "Debian GNU/Linux");
	EXPECT_EQ(s.os_major, "12");
	EXPECT_EQ(s.os_minor, "");
	EXPECT_EQ(s.os_version.find('-'), std::string::npos);
	EXPECT_EQ(s.os_build.substr(0, s.os_version.size()), s.os_version);
	EXPECT_FALSE(s.arch.empty());
	EXPECT_EQ(system_info("").os_name, "Linux");
}

TEST(KvpSystem, NameserversFromResolvConf)
{
	EXPECT_EQ(nameservers("# x\nsearch example.com\nnameserver 10.0.0.2\nnameserver  fd00::53 \n"
			      "options edns0\n"),
		  (std::vector<std::string>{"10.0.0.2", "fd00::53"}));
}

namespace {

// In a fresh network namespace: a bridge with a known MAC, addresses and
// default routes, all made with libnl. Returns "" or what failed.
std::string make_test_net()
{
	if (::unshare(CLONE_NEWNET) < 0)
		return std::string("unshare: ") + std::strerror(errno);
	nl_sock *sk = nl_socket_alloc();
	if (nl_connect(sk, NETLINK_ROUTE) < 0)
		return "nl_connect";
	if (int e = rtnl_link_bridge_add(sk, "hvk0"); e < 0)
		return std::string("bridge: ") + nl_geterror(e);
	nl_cache *lc = nullptr;
	rtnl_link_alloc_cache(sk, AF_UNSPEC, &lc);
	rtnl_link *link = rtnl_link_get_by_name(lc, "hvk0");
	int ifindex = rtnl_link_get_ifindex(link);
	rtnl_link *change = rtnl_link_alloc();
	nl_addr *mac = nullptr;
	nl_addr_parse("00:15:5d:0a:0b:0c", AF_LLC, &mac);
	rtnl_link_set_addr(change, mac);
	rtnl_link_set_flags(change, IFF_UP);
	if (int e = rtnl_link_change(sk, link, change, 0); e < 0)
		return std::string("link change: ") + nl_geterror(e);
	for (const char *a : {"10.1.2.3/24", "10.1.3.4/16", "2001:db8::5/64"}) {
		rtnl_addr *addr = rtnl_addr_alloc();
		nl_addr *local = nullptr;
		nl_addr_parse(a, AF_UNSPEC, &local);
		rtnl_addr_set_ifindex(addr, ifindex);
		rtnl_addr_set_local(addr, local);
		rtnl_addr_set_flags(addr, IFA_F_NODAD);
		if (int e = rtnl_addr_add(sk, addr, 0); e < 0)
			return std::string("addr ") + a + ": " + nl_geterror(e);
		rtnl_addr_put(addr);
		nl_addr_put(local);
	}
	for (const char *gw : {"10.1.2.1"}) {
		rtnl_route *r = rtnl_route_alloc();
		nl_addr *dst = nullptr, *via = nullptr;
		nl_addr_parse("0.0.0.0/0", AF_INET, &dst);
		nl_addr_parse(gw, AF_INET, &via);
		rtnl_route_set_dst(r, dst);
		rtnl_nexthop *nh = rtnl_route_nh_alloc();
		rtnl_route_nh_set_ifindex(nh, ifindex);
		rtnl_route_nh_set_gateway(nh, via);
		rtnl_route_nh_set_flags(nh, RTNH_F_ONLINK);
		rtnl_route_add_nexthop(r, nh);
		if (int e = rtnl_route_add(sk, r, 0); e < 0)
			return std::string("route via ") + gw + ": " + nl_geterror(e);
	}
	return "";
}

} // namespace

TEST(KvpSystem, IpInfoFromANetworkNamespace)
{
	if (::geteuid() != 0)
		GTEST_SKIP() << "needs root to make a network namespace";
	int p[2];
	ASSERT_EQ(::pipe(p), 0);
	pid_t pid = ::fork();
	if (pid == 0) {
		::close(p[0]);
		std::string err = make_test_net();
		hvk_kvp_ipaddr_value v {};
		NetState net;
		if (err.empty() && !read_net(net, err))
			err = "read_net: " + err;
		std::string all4, all6;
		if (err.empty()) {
			set_ip_field(v, IpField::adapter, "00:15:5d:0A:0B:0C");
			if (fill_ip_info(net, {"10.0.0.53", "fd00::53"}, v) != HVK_S_OK)
				err = "fill_ip_info failed";
			all4 = all_addresses(net, AF_INET);
			all6 = all_addresses(net, AF_INET6);
		}
		std::string out = err + "\n" + all4 + "\n" + all6 + "\n";
		out.append(reinterpret_cast<const char *>(&v), sizeof(v));
		(void)!::write(p[1], out.data(), out.size());
		::_exit(0);
	}
	::close(p[1]);
	std::string got;
	char buf[4096];
	for (ssize_t n; (n = ::read(p[0], buf, sizeof(buf))) > 0;)
		got.append(buf, static_cast<size_t>(n));
	::close(p[0]);
	::waitpid(pid, nullptr, 0);
	std::istringstream in(got);
	std::string err, all4, all6;
	std::getline(in, err);
	std::getline(in, all4);
	std::getline(in, all6);
	if (err.find("unshare") == 0 || err.find("bridge") == 0)
		GTEST_SKIP() << "no network namespace here: " << err;
	ASSERT_EQ(err, "");
	size_t off = err.size() + all4.size() + all6.size() + 3;
	ASSERT_EQ(got.size() - off, sizeof(hvk_kvp_ipaddr_value));
	hvk_kvp_ipaddr_value v;
	std::memcpy(&v, got.data() + off, sizeof(v));
	EXPECT_EQ(ip_field(v, IpField::addr), "10.1.2.3;10.1.3.4;2001:db8::5");
	EXPECT_EQ(ip_field(v, IpField::subnet), "255.255.255.0;255.255.0.0;/64");
	EXPECT_EQ(ip_field(v, IpField::gateway), "10.1.2.1;");
	EXPECT_EQ(ip_field(v, IpField::dns), "10.0.0.53;fd00::53;");
	EXPECT_EQ(v.addr_family, HVK_ADDR_FAMILY_IPV4 | HVK_ADDR_FAMILY_IPV6);
	EXPECT_EQ(v.dhcp_enabled, 0);
	// The AUTO pool's items: every non-loopback address (lo's are not).
	EXPECT_EQ(all4, "10.1.2.3;10.1.3.4");
	EXPECT_NE(all6.find("2001:db8::5"), std::string::npos);
	EXPECT_EQ(all6.find("::1;"), std::string::npos);
}

TEST(KvpSystem, IpInfoForAnUnknownMacFails)
{
	NetState net;
	net.links.push_back({2, "eth0", "00:15:5D:01:02:03", false});
	net.addrs.push_back({2, AF_INET, "10.0.0.4", 24, true});
	hvk_kvp_ipaddr_value v {};
	set_ip_field(v, IpField::adapter, "00:15:5D:FF:FF:FF");
	EXPECT_EQ(fill_ip_info(net, {}, v), HVK_E_FAIL);
	set_ip_field(v, IpField::adapter, "00:15:5d:01:02:03");
	EXPECT_EQ(fill_ip_info(net, {}, v), HVK_S_OK);
	EXPECT_EQ(v.dhcp_enabled, 1) << "a lease with a lifetime is DHCP's";
	EXPECT_EQ(ip_field(v, IpField::subnet), "255.255.255.0");
}

TEST(KvpSystem, SetIpInfoBecomesNetworkdAndNetworkManagerConfig)
{
	hvk_kvp_ipaddr_value v {};
	set_ip_field(v, IpField::addr, "10.0.0.5;10.0.1.5;2001:db8::7");
	set_ip_field(v, IpField::subnet, "255.255.255.0;255.255.0.0;64");
	set_ip_field(v, IpField::gateway, "10.0.0.1;2001:db8::1");
	set_ip_field(v, IpField::dns, "10.0.0.53;8.8.8.8");
	IpConfig c;
	c.ifname = "eth0";
	c.mac = "00:15:5d:01:02:03";
	std::string why;
	ASSERT_TRUE(parse_ip_config(v, c, why)) << why;
	std::string nd = networkd_file(c);
	for (const char *line : {"MACAddress=00:15:5d:01:02:03", "Address=10.0.0.5/24",
				 "Address=10.0.1.5/16", "Address=2001:db8::7/64", "Gateway=10.0.0.1",
				 "Gateway=2001:db8::1", "DNS=10.0.0.53", "DNS=8.8.8.8"})
		EXPECT_NE(nd.find(std::string(line) + "\n"), std::string::npos) << line << "\n" << nd;
	EXPECT_EQ(nd.find("DHCP"), std::string::npos);
	std::string nm = nm_keyfile(c);
	for (const char *line : {"interface-name=eth0", "method=manual", "address1=10.0.0.5/24",
				 "address2=10.0.1.5/16", "gateway=10.0.0.1", "dns=10.0.0.53;8.8.8.8;",
				 "address1=2001:db8::7/64", "gateway=2001:db8::1"})
		EXPECT_NE(nm.find(std::string(line) + "\n"), std::string::npos) << line << "\n" << nm;
	std::string ifcfg = ifcfg_file(c);
	EXPECT_NE(ifcfg.find("BOOTPROTO=none\nIPADDR=10.0.0.5\nNETMASK=255.255.255.0\n"), std::string::npos) << ifcfg;
	EXPECT_NE(ifcfg.find("IPV6ADDR=2001:db8::7\nIPV6NETMASK=64\n"), std::string::npos) << ifcfg;
	// Bad input is refused with a reason, nothing written.
	IpConfig bad;
	set_ip_field(v, IpField::addr, "10.0.0.5;not-an-address");
	EXPECT_FALSE(parse_ip_config(v, bad, why));
	EXPECT_NE(why.find("not-an-address"), std::string::npos);
	set_ip_field(v, IpField::addr, "10.0.0.5");
	set_ip_field(v, IpField::subnet, "255.0.255.0");
	EXPECT_FALSE(parse_ip_config(v, bad, why));
}

TEST(KvpSystem, AdapterGuidToInterface)
{
	std::string net = tmpdir();
	ASSERT_EQ(::mkdir((net + "/eth0").c_str(), 0755), 0);
	ASSERT_EQ(::mkdir((net + "/eth0/device").c_str(), 0755), 0);
	std::ofstream(net + "/eth0/device/device_id") << "{f8615163-df3e-46c5-913f-f2d2f965ed0e}\n";
	EXPECT_EQ(ifname_for_guid("{F8615163-DF3E-46C5-913F-F2D2F965ED0E}", net), "eth0");
	EXPECT_EQ(ifname_for_guid("f8615163-df3e-46c5-913f-f2d2f965ed0e", net), "eth0");
	EXPECT_EQ(ifname_for_guid("{00000000-0000-0000-0000-000000000000}", net), "");
	EXPECT_EQ(ifname_for_guid("", net), "");
}

// ---- the message loop over a fake device ------------------------------

namespace {

struct FakeDevice : ::testing::Test {
	int kernel = -1, daemon = -1;
	const hvkit::test::TmpDir tmp{"hvkit-kvp"};
	std::string dir = tmp.path;
	std::unique_ptr<Handler> h;
	uint32_t set_ip_calls = 0;

	void SetUp() override
	{
		int sv[2];
		ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
		kernel = sv[0];
		daemon = sv[1];
		SystemInfo sys{"vm.example.com", "6.12.0-1-amd64", "Debian GNU/Linux", "12", "",
			       "6.12.0", "x86_64"};
		Env env{PoolDir(dir), sys,
			[](NetState &n, std::string &) {
				n.links = {{1, "lo", "", true}, {2, "eth0", "00:15:5D:01:02:03", false}};
				n.addrs = {{1, AF_INET, "127.0.0.1", 8, false}, {2, AF_INET, "10.0.0.4", 24, false},
					   {2, AF_INET6, "fe80::1", 64, false}};
				n.default_routes = {{2, AF_INET, "10.0.0.1"}};
				return true;
			},
			[] { return std::vector<std::string>{"10.0.0.53"}; },
			[this](const hvk_kvp_ipaddr_value &, std::string &why) {
				set_ip_calls++;
				why = "test";
				return HVK_GUID_NOTFOUND;
			}};
		h = std::make_unique<Handler>(std::move(env));
	}
	void TearDown() override
	{
		::close(kernel);
		::close(daemon);
	}
	// The kernel's side: sends @m, lets the daemon serve it, reads the answer.
	Step send(const void *m, size_t len)
	{
		EXPECT_EQ(::write(kernel, m, len), static_cast<ssize_t>(len));
		return serve_one(daemon, *h);
	}
	hvk_kvp_msg ask(const hvk_kvp_msg &m)
	{
		EXPECT_EQ(send(&m, sizeof(m)), Step::Ok);
		hvk_kvp_msg a {};
		EXPECT_EQ(::recv(kernel, &a, sizeof(a), MSG_DONTWAIT), static_cast<ssize_t>(sizeof(a)));
		return a;
	}
	bool nothing_answered()
	{
		char c;
		return ::recv(kernel, &c, 1, MSG_DONTWAIT) < 0 && errno == EAGAIN;
	}
	static hvk_kvp_msg kv(int op, int pool, const std::string &key, const std::string &value = "")
	{
		hvk_kvp_msg m {};
		m.kvp_hdr.operation = static_cast<u8>(op);
		m.kvp_hdr.pool = static_cast<u8>(pool);
		hvk_kvp_value &v = op == HVK_KVP_OP_ENUMERATE ? m.body.kvp_enum_data.data : m.body.kvp_set;
		if (op == HVK_KVP_OP_DELETE) {
			m.body.kvp_delete.key_size = static_cast<u32>(key.size() + 1);
			std::memcpy(m.body.kvp_delete.key, key.data(), key.size());
			return m;
		}
		v.value_type = HVK_REG_SZ;
		v.key_size = static_cast<u32>(key.size() + 1);
		v.value_size = op == HVK_KVP_OP_GET ? HVK_KVP_MAX_VALUE_SIZE : static_cast<u32>(value.size() + 1);
		std::memcpy(v.key, key.data(), key.size());
		std::memcpy(v.value, value.data(), value.size());
		return m;
	}
	static hvk_kvp_msg enumerate(int pool, u32 index)
	{
		hvk_kvp_msg m {};
		m.kvp_hdr.operation = HVK_KVP_OP_ENUMERATE;
		m.kvp_hdr.pool = static_cast<u8>(pool);
		m.body.kvp_enum_data.index = index;
		return m;
	}
	static std::string str(const u8 *p, size_t n) { return {reinterpret_cast<const char *>(p), strnlen(reinterpret_cast<const char *>(p), n)}; }
};

} // namespace

TEST_F(FakeDevice, RegistersAndTakesTheKernelsVersion)
{
	ASSERT_TRUE(register_daemon(daemon));
	hvk_kvp_msg reg {};
	ASSERT_EQ(::recv(kernel, &reg, sizeof(reg) + 1, 0), static_cast<ssize_t>(sizeof(reg)));
	EXPECT_EQ(reg.kvp_hdr.operation, HVK_KVP_OP_REGISTER1);
	h->start_handshake();
	hvk_kvp_msg reply {};
	reply.kvp_hdr.operation = HVK_KVP_OP_REGISTER1;
	std::memcpy(reply.body.kvp_register.version, "3.1", 4);
	EXPECT_EQ(send(&reply, sizeof(reply)), Step::Ok);
	EXPECT_TRUE(nothing_answered()) << "the kernel's answer to a registration gets no answer";
	EXPECT_EQ(h->lic_version(), "3.1");
	hvk_kvp_msg a = ask(enumerate(HVK_KVP_POOL_AUTO, 1));
	EXPECT_EQ(static_cast<u32>(a.error), HVK_S_OK);
	EXPECT_EQ(str(a.body.kvp_enum_data.data.key, 512), "IntegrationServicesVersion");
	EXPECT_EQ(str(a.body.kvp_enum_data.data.value, 2048), "3.1");
}

TEST_F(FakeDevice, SetGetEnumerateDeleteThroughThePoolFile)
{
	hvk_kvp_msg a = ask(kv(HVK_KVP_OP_SET, 0, "Color", "blue"));
	EXPECT_EQ(static_cast<u32>(a.error), HVK_S_OK);
	EXPECT_EQ(read_upstream(dir + "/.kvp_pool_0"),
		  (std::vector<std::pair<std::string, std::string>>{{"Color", "blue"}}));
	a = ask(kv(HVK_KVP_OP_GET, 0, "Color"));
	EXPECT_EQ(static_cast<u32>(a.error), HVK_S_OK);
	EXPECT_EQ(str(a.body.kvp_get.value, 2048), "blue");
	a = ask(kv(HVK_KVP_OP_GET, 1, "Color"));
	EXPECT_EQ(static_cast<u32>(a.error), HVK_S_CONT) << "pools are separate";
	a = ask(enumerate(0, 0));
	EXPECT_EQ(static_cast<u32>(a.error), HVK_S_OK);
	EXPECT_EQ(str(a.body.kvp_enum_data.data.key, 512), "Color");
	EXPECT_EQ(str(a.body.kvp_enum_data.data.value, 2048), "blue");
	EXPECT_EQ(static_cast<u32>(ask(enumerate(0, 1)).error), HVK_S_CONT);
	EXPECT_EQ(static_cast<u32>(ask(kv(HVK_KVP_OP_DELETE, 0, "Color")).error), HVK_S_OK);
	EXPECT_EQ(static_cast<u32>(ask(kv(HVK_KVP_OP_DELETE, 0, "Color")).error), HVK_S_CONT);
	EXPECT_EQ(static_cast<u32>(ask(kv(HVK_KVP_OP_GET, 0, "Color")).error), HVK_S_CONT);
	EXPECT_TRUE(read_upstream(dir + "/.kvp_pool_0").empty());
}

TEST_F(FakeDevice, GetAndEnumerateSeeOtherWritersAndReadOnlyWhenTheyWrote)
{
	write_upstream(dir + "/.kvp_pool_1", {{"Color", "blue"}, {"Shape", "round"}});
	// Answered from memory once the file's timestamps are behind the clock.
	settle(h->cache(), 1);
	uint64_t reads = h->cache().reads();
	for (int i = 0; i < 20; i++) {
		hvk_kvp_msg a = ask(kv(HVK_KVP_OP_GET, 1, "Color"));
		ASSERT_EQ(static_cast<u32>(a.error), HVK_S_OK);
		ASSERT_EQ(str(a.body.kvp_get.value, 2048), "blue");
		a = ask(enumerate(1, 1));
		ASSERT_EQ(static_cast<u32>(a.error), HVK_S_OK);
		ASSERT_EQ(str(a.body.kvp_enum_data.data.key, 512), "Shape");
	}
	EXPECT_EQ(h->cache().reads(), reads);
	// Upstream's writer in place, the same size; then hvctl kvp (a rename).
	write_upstream_locked(dir + "/.kvp_pool_1", {{"Color", "gray"}, {"Shape", "round"}});
	hvk_kvp_msg a = ask(kv(HVK_KVP_OP_GET, 1, "Color"));
	EXPECT_EQ(str(a.body.kvp_get.value, 2048), "gray");
	PoolDir other(dir);
	std::string err;
	ASSERT_TRUE(other.update(1, [](std::vector<Record> &r) { return erase_key(r, "Color"); }, err));
	EXPECT_EQ(static_cast<u32>(ask(kv(HVK_KVP_OP_GET, 1, "Color")).error), HVK_S_CONT);
	a = ask(enumerate(1, 0));
	EXPECT_EQ(str(a.body.kvp_enum_data.data.key, 512), "Shape");
	EXPECT_EQ(static_cast<u32>(ask(enumerate(1, 1)).error), HVK_S_CONT);
	// The daemon's own SET is seen by its next GET.
	EXPECT_EQ(static_cast<u32>(ask(kv(HVK_KVP_OP_SET, 1, "Color", "teal")).error), HVK_S_OK);
	a = ask(kv(HVK_KVP_OP_GET, 1, "Color"));
	EXPECT_EQ(str(a.body.kvp_get.value, 2048), "teal");
}

TEST_F(FakeDevice, AutoPoolItemsAsUpstreamNamesThem)
{
	const char *keys[] = {"FullyQualifiedDomainName", "IntegrationServicesVersion",
			      "NetworkAddressIPv4", "NetworkAddressIPv6", "OSBuildNumber", "OSName",
			      "OSMajorVersion", "OSMinorVersion", "OSVersion", "ProcessorArchitecture"};
	const char *values[] = {"vm.example.com", "Unknown version", "10.0.0.4", "fe80::1",
				"6.12.0-1-amd64", "Debian GNU/Linux", "12", "", "6.12.0", "x86_64"};
	for (u32 i = 0; i < 10; i++) {
		hvk_kvp_msg a = ask(enumerate(HVK_KVP_POOL_AUTO, i));
		EXPECT_EQ(static_cast<u32>(a.error), HVK_S_OK) << i;
		EXPECT_EQ(str(a.body.kvp_enum_data.data.key, 512), keys[i]);
		EXPECT_EQ(str(a.body.kvp_enum_data.data.value, 2048), values[i]) << keys[i];
	}
	EXPECT_EQ(static_cast<u32>(ask(enumerate(HVK_KVP_POOL_AUTO, 10)).error), HVK_S_CONT);
	EXPECT_EQ(static_cast<u32>(ask(enumerate(HVK_KVP_POOL_AUTO, 0xffffffffu)).error), HVK_S_CONT);
}

TEST_F(FakeDevice, IpInfoByMacAndSetIpInfoStatus)
{
	hvk_kvp_msg m {};
	m.kvp_hdr.operation = HVK_KVP_OP_GET_IP_INFO;
	set_ip_field(m.body.kvp_ip_val, IpField::adapter, "00:15:5D:01:02:03");
	hvk_kvp_msg a = ask(m);
	EXPECT_EQ(static_cast<u32>(a.error), HVK_S_OK);
	EXPECT_EQ(ip_field(a.body.kvp_ip_val, IpField::addr), "10.0.0.4;fe80::1");
	EXPECT_EQ(ip_field(a.body.kvp_ip_val, IpField::gateway), "10.0.0.1;");
	EXPECT_EQ(ip_field(a.body.kvp_ip_val, IpField::dns), "10.0.0.53;");
	set_ip_field(m.body.kvp_ip_val, IpField::adapter, "00:15:5D:09:09:09");
	EXPECT_EQ(static_cast<u32>(ask(m).error), HVK_E_FAIL);
	m.kvp_hdr.operation = HVK_KVP_OP_SET_IP_INFO;
	EXPECT_EQ(static_cast<u32>(ask(m).error), HVK_GUID_NOTFOUND);
	EXPECT_EQ(set_ip_calls, 1u);
}

TEST_F(FakeDevice, MalformedRequestsGetASafeAnswerAndChangeNothing)
{
	ASSERT_EQ(static_cast<u32>(ask(kv(HVK_KVP_OP_SET, 1, "keep", "me")).error), HVK_S_OK);
	std::string before = slurp(dir + "/.kvp_pool_1");
	// A pool past 4 (upstream indexes its array with it).
	for (int op : {HVK_KVP_OP_GET, HVK_KVP_OP_SET, HVK_KVP_OP_DELETE, HVK_KVP_OP_ENUMERATE})
		EXPECT_EQ(static_cast<u32>(ask(kv(op, 200, "keep", "x")).error), HVK_S_CONT) << op;
	// Sizes past their fields, or zero.
	hvk_kvp_msg m = kv(HVK_KVP_OP_SET, 1, "keep", "x");
	m.body.kvp_set.key_size = 100000;
	EXPECT_EQ(static_cast<u32>(ask(m).error), HVK_S_CONT);
	m = kv(HVK_KVP_OP_SET, 1, "keep", "x");
	m.body.kvp_set.value_size = 4096;
	EXPECT_EQ(static_cast<u32>(ask(m).error), HVK_S_CONT);
	m = kv(HVK_KVP_OP_GET, 1, "keep");
	m.body.kvp_get.key_size = 0;
	EXPECT_EQ(static_cast<u32>(ask(m).error), HVK_S_CONT);
	m = kv(HVK_KVP_OP_DELETE, 1, "keep");
	m.body.kvp_delete.key_size = 513;
	EXPECT_EQ(static_cast<u32>(ask(m).error), HVK_S_CONT);
	// A key with no NUL in its field: read within the field, matches nothing.
	m = kv(HVK_KVP_OP_GET, 1, std::string(512, 'k'));
	m.body.kvp_get.key_size = 512;
	EXPECT_EQ(static_cast<u32>(ask(m).error), HVK_S_CONT);
	m = kv(HVK_KVP_OP_SET, 1, "", "x");
	EXPECT_EQ(static_cast<u32>(ask(m).error), HVK_S_CONT) << "an empty key is not stored";
	// An unknown operation.
	m = kv(77, 1, "keep");
	EXPECT_EQ(static_cast<u32>(ask(m).error), HVK_E_FAIL);
	EXPECT_EQ(slurp(dir + "/.kvp_pool_1"), before);
	// Truncated and oversized messages: no answer, the daemon resyncs.
	std::vector<char> raw(sizeof(hvk_kvp_msg) + 300, 0);
	EXPECT_EQ(send(raw.data(), 100), Step::Reset);
	EXPECT_EQ(send(raw.data(), raw.size()), Step::Reset);
	EXPECT_EQ(send(raw.data(), 0), Step::Reset);
	EXPECT_TRUE(nothing_answered());
	EXPECT_EQ(slurp(dir + "/.kvp_pool_1"), before);
}

TEST_F(FakeDevice, AGoneKernelSideMeansRegisterAgain)
{
	::close(kernel);
	kernel = ::open("/dev/null", O_RDONLY);
	EXPECT_EQ(serve_one(daemon, *h), Step::Reset);
}

// ---- hvctl kvp ----------------------------------------------------------

namespace {

struct CmdResult {
	int status;
	std::string out, err;
};

// Runs hvctl with @args; its exit status, stdout and stderr.
CmdResult hvctl(const std::vector<std::string> &args)
{
	const hvkit::test::TmpDir tmp("hvkit-hvctl");
	const std::string &dir = tmp.path;
	std::string cmd = HVKIT_HVCTL;
	for (const std::string &a : args)
		cmd += " '" + a + "'";
	cmd += " >" + dir + "/out 2>" + dir + "/err";
	int st = std::system(cmd.c_str());
	return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, slurp(dir + "/out"), slurp(dir + "/err")};
}

} // namespace

TEST(HvctlKvp, SetGetListDeleteInUpstreamsFormat)
{
	std::string dir = tmpdir() + "/hyperv";
	EXPECT_EQ(hvctl({"kvp", "set", "--dir", dir, "Role", "web server"}).status, 0);
	EXPECT_EQ(hvctl({"kvp", "set", "--dir", dir, "--pool", "0", "Color", "blue"}).status, 0);
	CmdResult r = hvctl({"kvp", "get", "--dir", dir, "Role"});
	EXPECT_EQ(r.status, 0);
	EXPECT_EQ(r.out, "web server\n");
	EXPECT_EQ(read_upstream(dir + "/.kvp_pool_1"),
		  (std::vector<std::pair<std::string, std::string>>{{"Role", "web server"}}));
	r = hvctl({"kvp", "list", "--dir", dir});
	EXPECT_EQ(r.out, "0 Color=blue\n1 Role=web server\n");
	r = hvctl({"kvp", "list", "--dir", dir, "--pool", "0", "--json"});
	EXPECT_EQ(r.out, "[{\"pool\":0,\"key\":\"Color\",\"value\":\"blue\"}]\n");
	EXPECT_EQ(hvctl({"kvp", "delete", "--dir", dir, "Role"}).status, 0);
	r = hvctl({"kvp", "get", "--dir", dir, "Role"});
	EXPECT_EQ(r.status, 1);
	EXPECT_EQ(r.err, "hvctl: pool 1 has no key 'Role'\n");
	EXPECT_EQ(hvctl({"kvp", "delete", "--dir", dir, "Role"}).status, 1);
	EXPECT_TRUE(read_upstream(dir + "/.kvp_pool_1").empty());
}

TEST(HvctlKvp, BadArgumentsAreRefusedAndChangeNothing)
{
	std::string dir = tmpdir();
	write_upstream(dir + "/.kvp_pool_1", {{"keep", "me"}});
	std::string before = slurp(dir + "/.kvp_pool_1");
	CmdResult r = hvctl({"kvp", "set", "--dir", dir, "--pool", "5", "k", "v"});
	EXPECT_EQ(r.status, 2);
	EXPECT_NE(r.err.find("0 to 4"), std::string::npos) << r.err;
	r = hvctl({"kvp", "set", "--dir", dir, std::string(512, 'k'), "v"});
	EXPECT_EQ(r.status, 2);
	EXPECT_NE(r.err.find("1 to 511 bytes"), std::string::npos) << r.err;
	EXPECT_EQ(hvctl({"kvp", "set", "--dir", dir, "k", std::string(2048, 'v')}).status, 2);
	EXPECT_EQ(hvctl({"kvp", "set", "--dir", dir, "k"}).status, 2);
	EXPECT_EQ(hvctl({"kvp", "frob", "--dir", dir}).status, 2);
	EXPECT_EQ(hvctl({"kvp", "get", "--dir", dir, "--bogus", "k"}).status, 2);
	EXPECT_EQ(slurp(dir + "/.kvp_pool_1"), before);
	// A pool that is not a regular file: one sentence, exit 1.
	ASSERT_EQ(::mkdir((dir + "/.kvp_pool_3").c_str(), 0755), 0);
	r = hvctl({"kvp", "list", "--dir", dir, "--pool", "3"});
	EXPECT_EQ(r.status, 1);
	EXPECT_NE(r.err.find("not a regular file"), std::string::npos) << r.err;
}
