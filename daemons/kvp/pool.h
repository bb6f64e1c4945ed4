// SPDX-License-Identifier: GPL-2.0
// The KVP pools on disk: /var/lib/hyperv/.kvp_pool_0 to _4, in upstream's
// format (tools/hv/hv_kvp_daemon.c): an array of records, no header, each
// a 512-byte key and a 2048-byte value, NUL-padded UTF-8. Shared by
// hypervkvpd and `hvctl kvp`.
//
// Locking: a whole-file fcntl lock, as upstream's daemon takes (F_SETLKW,
// l_start 0, l_len 0), but as an open-file-description lock (F_OFD_SETLKW),
// which conflicts with upstream's classic locks and, unlike them, is not
// dropped when some other fd of the process on the same file is closed,
// and excludes threads of one process from each other too. Readers take
// F_RDLCK, writers F_WRLCK.
//
// hvkit's writers also queue on an flock(2) of the pool directory before
// they lock the pool, so that none starves (the pool's inode changes
// with every write).
//
// Writes are atomic and durable: under the write lock on the current file,
// the new pool goes into a temporary file in the same directory
// (.kvp_pool_N.tmp.XXXXXX), which is fsync'd and renamed over the pool,
// and the directory is fsync'd; then the lock is released. The old inode
// is never written to, so a reader that waited for the lock on it, or
// still holds it open, reads the complete old pool, never a mix. Every
// hvkit reader and writer checks after locking that the inode it locked is
// still the one at the path, and starts again if not, so it never acts on
// a stale pool. Temp files left by a writer that was killed are removed
// by the first write to that pool through a PoolDir (a daemon's first
// after it starts, each `hvctl kvp set`), under the lock (only a lock
// holder makes one, so any it finds is stale); later writes through the
// same PoolDir do not look again. docs/daemons.md says why this and not
// an in-place scheme.
//
// hypervkvpd keeps each pool parsed in memory (PoolCache below) and reads
// the file again only when it may have changed.
#pragma once

#include "daemon.h"

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <sys/stat.h>
#include <time.h>

namespace hvkit::kvp {

constexpr size_t kKeySize = 512;
constexpr size_t kValueSize = 2048;
constexpr size_t kRecordSize = kKeySize + kValueSize;
constexpr int kPoolCount = 5;
// A pool file larger than this is refused, not read (6553 records).
constexpr size_t kMaxPoolBytes = 16u << 20;

// One record: the bytes of its key and value up to the first NUL within
// their fields (all of the field when it has none).
struct Record {
	std::string key;
	std::string value;
	bool operator==(const Record &) const = default;
};

// What a pool file holds, and what was odd about it.
struct Parsed {
	std::vector<Record> records;
	size_t unterminated = 0; // records whose key or value has no NUL
	size_t trailing = 0;	 // bytes of a last record that is cut short
	bool salvaged = false;	 // ... kept, as its key was whole
};

// Parses a pool file's bytes. A file cut short (not a whole number of
// records) keeps its last record if that one's key is whole and not
// empty, with as much of the value as there is; otherwise the tail is
// ignored, as upstream's fread() ignores it.
Parsed parse_pool(std::span<const uint8_t> data);
// The file's bytes for @records (fields cut at their size).
std::string serialize_pool(const std::vector<Record> &records);

// Upstream's operations on a pool's records. A key matches a record whose
// key is the same string.
const Record *find(const std::vector<Record> &records, std::string_view key);
// Adds @key or changes its value; false when the key or value does not
// fit its field with a NUL (511 and 2047 bytes), or the key is empty.
bool set(std::vector<Record> &records, std::string_view key, std::string_view value);
// Removes @key; false when there is none. Later records move up.
bool erase_key(std::vector<Record> &records, std::string_view key);

class PoolDir {
public:
	explicit PoolDir(std::string dir = "/var/lib/hyperv") : dir_(std::move(dir)) {}
	const std::string &dir() const { return dir_; }
	std::string path(int pool) const;
	// Creates the directory (0755) if it is missing; its parent must exist.
	bool ensure_dir(std::string &err) const;
	// Reads pool @pool under a read lock. A missing file is an empty pool.
	// On error (@err: one sentence) @out is untouched. What was odd in
	// the file is in @out; describe_oddities() words it for a log line.
	bool read(int pool, Parsed &out, std::string &err) const;
	// Reads, lets @fn change the records, and when it returns true writes
	// them back atomically, all under the write lock. Creates the file.
	bool update(int pool, const std::function<bool(std::vector<Record> &)> &fn,
		    std::string &err) const;

private:
	std::string dir_;
	// Per pool: whether this PoolDir (and its copies) looked for stale
	// temp files yet. Set under the pool's write lock.
	std::shared_ptr<std::array<std::atomic<bool>, kPoolCount>> swept_ =
		std::make_shared<std::array<std::atomic<bool>, kPoolCount>>();
};

// One sentence on what was odd in @p, or "" when nothing was.
std::string describe_oddities(const Parsed &p);

// Whether a file whose stat(2) was @st when it was read, at @read_at by
// CLOCK_REALTIME_COARSE (whose resolution is @clock_res_ns), can be known
// unchanged later by its stat alone: its mtime and ctime are older than
// @read_at by more than the clock's resolution and the file system's
// timestamp granularity. Otherwise a write after the read could leave
// them, and the size, as they were (git's "racy" rule). The granularity
// is taken from the timestamps: the largest power of ten that divides both
// nanosecond parts, and 2 s when both are whole seconds (1 s file systems,
// FAT's 2 s mtime).
bool stat_settled(const struct stat &st, const struct timespec &read_at, int64_t clock_res_ns);

// hypervkvpd's pools, each kept parsed in memory between requests and read
// again only when it may have changed. Each request still locks the pool
// as upstream's daemon does (a whole-file read lock, here on a descriptor
// kept open for the purpose, released before the answer), and under it
// stat(2)s the path: the cached records are used when the path is the
// inode they were read from, with the same st_dev, st_ino, st_size,
// st_mtim and st_ctim, and they were settled (stat_settled()) when read.
// Anything else, a write in place under upstream's lock (cloud-init,
// WALinuxAgent, hv_kvp_daemon), a rename over the pool (hvkit's writers),
// a racy timestamp, reads the file again under that lock. The descriptor
// kept on the inode also keeps its number from being reused while the
// records read from it are cached.
//
// Not thread-safe: one per thread (hypervkvpd has one thread).
class PoolCache {
public:
	explicit PoolCache(PoolDir dir);
	const PoolDir &dir() const { return dir_; }
	// The records of @pool as its file holds them now (a missing file is
	// an empty pool), valid until the next call. nullptr on error, with
	// @err one sentence. @fresh, when given, tells whether the file was
	// read (a new Parsed, whose oddities are worth a log line).
	const Parsed *get(int pool, std::string &err, bool *fresh = nullptr);
	// Tests: how many times a pool file's contents were read.
	uint64_t reads() const { return reads_; }
	// Tests: applied to every stat the cache takes, to play a file system
	// with coarser timestamps than the test's.
	void set_stat_filter(std::function<void(struct stat &)> f) { filter_ = std::move(f); }

private:
	struct Entry {
		daemon::Fd fd;	   // the inode read, kept open; unlocked between calls
		struct stat st {}; // its stat when read
		bool settled = false;
		Parsed data;
	};
	const Parsed *load(Entry &e, const std::string &path, std::string &err);
	bool do_stat(const char *path, struct stat &st) const;

	PoolDir dir_;
	std::array<Entry, kPoolCount> pools_;
	Parsed empty_;
	int64_t clock_res_ns_ = 0;
	uint64_t reads_ = 0;
	std::function<void(struct stat &)> filter_;
};

} // namespace hvkit::kvp
