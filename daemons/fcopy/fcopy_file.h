// SPDX-License-Identifier: GPL-2.0
// hypervfcopyd's file operations: one copy from the host at a time, written
// into a temporary file beside its destination and renamed over it when the
// host says it is complete, so nobody ever sees a half-written file.
//
// Each operation returns the status that goes back to the host, Hyper-V's
// HRESULTs (uapi/hv_ic_dev.h): S_OK, E_FAIL, ERROR_ALREADY_EXISTS,
// ERROR_DISK_FULL, and E_ACCESSDENIED below, which upstream's daemons never
// send (they answer E_FAIL for a permission error).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "daemon.h"

namespace hvkit::fcopy {

// Windows' E_ACCESSDENIED, HRESULT_FROM_WIN32(ERROR_ACCESS_DENIED).
inline constexpr uint32_t E_ACCESSDENIED = 0x80070005u;

// The host's status for a failed system call's errno: ENOSPC, EDQUOT and
// EFBIG are a full disk, EACCES, EPERM and EROFS a denied access, anything
// else E_FAIL.
uint32_t status_for_errno(int err);
// "S_OK", "E_FAIL", ... for log lines.
const char *status_name(uint32_t status);

// Room for the bytes FileCopy gathers: a mapping of its own, taken at a
// copy's first write and unmapped at its end, so its pages go back to the
// system (a freed heap block of this size would stay resident).
class Chunk {
public:
	explicit Chunk(size_t capacity) : cap_(capacity) {}
	Chunk(const Chunk &) = delete;
	Chunk &operator=(const Chunk &) = delete;
	~Chunk() { release(); }
	bool empty() const { return len_ == 0; }
	size_t size() const { return len_; }
	std::span<const uint8_t> bytes() const { return { base_, len_ }; }
	// Appends @d, which must fit; false (errno set) when no room can be
	// mapped.
	bool append(std::span<const uint8_t> d);
	void clear() { len_ = 0; }
	// Empties it and gives its pages back.
	void release();

private:
	size_t cap_;
	uint8_t *base_ = nullptr;
	size_t len_ = 0;
};

class FileCopy {
public:
	FileCopy() = default;
	// Every destination under @root (no trailing '/'): the fuzzer's
	// sandbox. The daemon uses "/", the default.
	explicit FileCopy(std::string root) : root_(std::move(root)) {}
	FileCopy(const FileCopy &) = delete;
	FileCopy &operator=(const FileCopy &) = delete;
	// A copy still open (the daemon stops mid-copy) leaves no temp file.
	~FileCopy() { cancel(); }

	// START_FILE_COPY: @dir (absolute) and @name (no '/', not "." or
	// ".."), UTF-8. CREATE_PATH creates every missing directory of @dir
	// (mode 0755); without it a missing directory is E_FAIL. An existing
	// destination without OVER_WRITE is ERROR_ALREADY_EXISTS and stays as
	// it is. The last component must not be a symlink, nor anything but a
	// regular file (E_FAIL): symlinks in @dir are followed, as any path.
	// A copy still open is cancelled first.
	uint32_t start(std::string_view dir, std::string_view name, uint32_t flags,
		       uint64_t file_size);
	// WRITE_TO_FILE: @data at @offset of the temporary file. Fragments
	// that follow each other are gathered and written kWriteChunk bytes at
	// a time (the host sends 6 KiB ones): a failed write (a full disk) is
	// answered to the fragment that completes the chunk, or to COMPLETE.
	uint32_t write(uint64_t offset, std::span<const uint8_t> data);
	// COMPLETE_FCOPY: write what is gathered, flush the temporary file to
	// disk and rename it to the destination (without OVER_WRITE, only if
	// that still does not exist). Any failure removes the temporary file.
	uint32_t complete();
	// How many bytes write() gathers before it writes them.
	static constexpr size_t kWriteChunk = size_t{64} * 1024;
	// CANCEL_FCOPY: remove the temporary file. S_OK also with no copy open.
	uint32_t cancel();

	bool open() const { return tmp_.valid(); }
	// The temporary file's name in the destination's directory (tests).
	const std::string &tmp_name() const { return tmp_name_; }
	// What the last failure was, one sentence, for the log.
	const std::string &error() const { return error_; }

private:
	uint32_t fail(uint32_t status, std::string why);
	uint32_t fail_errno(const std::string &what);
	void discard();
	bool rename_into_place();
	// Writes the gathered bytes to the temporary file.
	uint32_t flush();
	// Writes @data at @offset of the temporary file, all of it.
	uint32_t write_now(uint64_t offset, std::span<const uint8_t> data);

	std::string root_;
	daemon::Fd dir_;
	daemon::Fd tmp_;
	std::string dir_name_;
	std::string name_;
	std::string tmp_name_;
	uint32_t flags_ = 0;
	uint64_t written_ = 0;
	// Bytes from the host not written yet, for offset pending_at_ on;
	// its room is taken at a copy's first write and given back at its end.
	Chunk pending_ { kWriteChunk };
	uint64_t pending_at_ = 0;
	std::string error_;
};

} // namespace hvkit::fcopy
