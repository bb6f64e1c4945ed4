// SPDX-License-Identifier: GPL-2.0
// hypervfcopyd's file operations (fcopy_file.h).
#include "fcopy_file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hvkit/uapi/hv_ic_dev.h"

namespace hvkit::fcopy {

uint32_t status_for_errno(int err)
{
	switch (err) {
	case ENOSPC:
	case EDQUOT:
	case EFBIG:
		return HVK_ERROR_DISK_FULL;
	case EACCES:
	case EPERM:
	case EROFS:
		return E_ACCESSDENIED;
	default:
		return HVK_E_FAIL;
	}
}

const char *status_name(uint32_t status)
{
	switch (status) {
	case HVK_S_OK:
		return "S_OK";
	case HVK_E_FAIL:
		return "E_FAIL";
	case HVK_ERROR_ALREADY_EXISTS:
		return "ERROR_ALREADY_EXISTS";
	case HVK_ERROR_DISK_FULL:
		return "ERROR_DISK_FULL";
	case E_ACCESSDENIED:
		return "E_ACCESSDENIED";
	default:
		return "an error";
	}
}

bool Chunk::append(std::span<const uint8_t> d)
{
	if (!base_) {
		void *p = ::mmap(nullptr, cap_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return false;
		base_ = static_cast<uint8_t *>(p);
	}
	std::memcpy(base_ + len_, d.data(), d.size());
	len_ += d.size();
	return true;
}

void Chunk::release()
{
	if (base_)
		::munmap(base_, cap_);
	base_ = nullptr;
	len_ = 0;
}

uint32_t FileCopy::fail(uint32_t status, std::string why)
{
	error_ = std::move(why);
	return status;
}

uint32_t FileCopy::fail_errno(const std::string &what)
{
	int err = errno;
	return fail(status_for_errno(err), what + ": " + std::strerror(err));
}

void FileCopy::discard()
{
	pending_.release();
	if (tmp_) {
		tmp_.reset();
		::unlinkat(dir_.get(), tmp_name_.c_str(), 0);
	}
	dir_.reset();
	tmp_name_.clear();
	written_ = 0;
}

namespace {

// mkdir -p @dir (absolute), as CREATE_PATH asks. Returns 0 or an errno.
int make_dirs(const std::string &dir)
{
	for (size_t pos = 1; pos <= dir.size(); pos++) {
		if (pos != dir.size() && dir[pos] != '/')
			continue;
		std::string prefix = dir.substr(0, pos);
		if (::mkdir(prefix.c_str(), 0755) < 0 && errno != EEXIST)
			return errno;
	}
	return 0;
}

} // namespace

uint32_t FileCopy::start(std::string_view dir, std::string_view name, uint32_t flags,
			 uint64_t file_size)
{
	discard();
	error_.clear();
	if (name.empty() || name == "." || name == ".." ||
	    name.find('/') != std::string_view::npos)
		return fail(HVK_E_FAIL, "the file name '" + std::string(name) +
						"' is not a name in a directory");
	if (dir.empty() || dir[0] != '/')
		return fail(HVK_E_FAIL, "the directory '" + std::string(dir) +
						"' is not an absolute path");
	while (dir.size() > 1 && dir.back() == '/')
		dir.remove_suffix(1);
	dir_name_ = root_ + std::string(dir);
	name_ = name;
	flags_ = flags;
	std::string where = dir_name_ + (dir_name_ == "/" ? "" : "/") + name_;

	if (flags & HVK_FCOPY_CREATE_PATH) {
		if (int err = make_dirs(dir_name_)) {
			errno = err;
			return fail_errno("cannot create the directory " + dir_name_);
		}
	}
	dir_.reset(::open(dir_name_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	if (!dir_) {
		if (errno == ENOENT || errno == ENOTDIR)
			return fail(HVK_E_FAIL, "the directory " + dir_name_ +
							" does not exist (and CREATE_PATH is not set)");
		return fail_errno("cannot open the directory " + dir_name_);
	}

	struct stat st {};
	if (::fstatat(dir_.get(), name_.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISLNK(st.st_mode)) {
			dir_.reset();
			return fail(HVK_E_FAIL, where + " is a symbolic link, which is not followed");
		}
		if (!S_ISREG(st.st_mode)) {
			dir_.reset();
			return fail(HVK_E_FAIL, where + " exists and is not a regular file");
		}
		if (!(flags & HVK_FCOPY_OVER_WRITE)) {
			dir_.reset();
			return fail(HVK_ERROR_ALREADY_EXISTS,
				    where + " exists (and OVER_WRITE is not set)");
		}
	} else if (errno != ENOENT) {
		uint32_t s = fail_errno("cannot look at " + where);
		dir_.reset();
		return s;
	}

	// A hidden name of our own beside the destination; O_EXCL and
	// O_NOFOLLOW: never anything that was there before.
	static unsigned counter;
	for (int tries = 0; tries < 100; tries++) {
		char suffix[48];
		std::snprintf(suffix, sizeof(suffix), ".~hvfcopy.%d.%u", static_cast<int>(::getpid()),
			      counter++);
		tmp_name_ = "." + name_ + suffix;
		if (tmp_name_.size() > 255)
			tmp_name_ = ".hvfcopy" + std::string(suffix);
		// Upstream's daemons create the file 0744; keep that for
		// those who copy scripts.
		tmp_.reset(::openat(dir_.get(), tmp_name_.c_str(),
				    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0744));
		if (tmp_ || errno != EEXIST)
			break;
	}
	if (!tmp_) {
		uint32_t s = fail_errno("cannot create a temporary file in " + dir_name_);
		dir_.reset();
		tmp_name_.clear();
		return s;
	}
	(void)file_size;
	return HVK_S_OK;
}

uint32_t FileCopy::write(uint64_t offset, std::span<const uint8_t> data)
{
	if (!tmp_)
		return fail(HVK_E_FAIL, "WRITE_TO_FILE with no copy started");
	// Gathered when it follows what is gathered and fits.
	if (!pending_.empty() && (offset != pending_at_ + pending_.size() ||
				  pending_.size() + data.size() > kWriteChunk)) {
		if (uint32_t s = flush(); s != HVK_S_OK)
			return s;
	}
	if (data.size() > kWriteChunk)
		return write_now(offset, data);
	if (pending_.empty())
		pending_at_ = offset;
	if (!pending_.append(data))
		return fail_errno("cannot take memory for the copy of " + name_);
	if (pending_.size() == kWriteChunk)
		return flush();
	return HVK_S_OK;
}

uint32_t FileCopy::flush()
{
	if (pending_.empty())
		return HVK_S_OK;
	uint32_t s = write_now(pending_at_, pending_.bytes());
	pending_.clear();
	return s;
}

uint32_t FileCopy::write_now(uint64_t offset, std::span<const uint8_t> data)
{
	const uint8_t *p = data.data();
	size_t left = data.size();
	while (left) {
		ssize_t n = ::pwrite(tmp_.get(), p, left, static_cast<off_t>(offset));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = ENOSPC;
			uint32_t s = fail_errno("cannot write to " + dir_name_ + "/" + tmp_name_);
			return s;
		}
		p += n;
		left -= static_cast<size_t>(n);
		offset += static_cast<uint64_t>(n);
	}
	written_ += data.size();
	return HVK_S_OK;
}

// Without OVER_WRITE the rename must not replace a file that appeared
// meanwhile: RENAME_NOREPLACE, or where a filesystem lacks it, a hard link
// (which fails with EEXIST too) and an unlink of the temporary name.
bool FileCopy::rename_into_place()
{
	const char *tmp = tmp_name_.c_str(), *name = name_.c_str();
	if (flags_ & HVK_FCOPY_OVER_WRITE)
		return ::renameat(dir_.get(), tmp, dir_.get(), name) == 0;
	if (::renameat2(dir_.get(), tmp, dir_.get(), name, RENAME_NOREPLACE) == 0)
		return true;
	if (errno != EINVAL && errno != ENOSYS)
		return false;
	if (::linkat(dir_.get(), tmp, dir_.get(), name, 0) == 0) {
		::unlinkat(dir_.get(), tmp, 0);
		return true;
	}
	if (errno == EEXIST)
		return false;
	struct stat st {};
	if (::fstatat(dir_.get(), name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		errno = EEXIST;
		return false;
	}
	return ::renameat(dir_.get(), tmp, dir_.get(), name) == 0;
}

uint32_t FileCopy::complete()
{
	if (!tmp_)
		return fail(HVK_E_FAIL, "COMPLETE_FCOPY with no copy started");
	std::string where = dir_name_ + (dir_name_ == "/" ? "" : "/") + name_;
	if (uint32_t s = flush(); s != HVK_S_OK) {
		discard();
		return s;
	}
	pending_.release();
	if (::fsync(tmp_.get()) < 0) {
		uint32_t s = fail_errno("cannot write " + where + " to disk");
		discard();
		return s;
	}
	tmp_.reset();
	if (!rename_into_place()) {
		uint32_t s = errno == EEXIST
				     ? fail(HVK_ERROR_ALREADY_EXISTS,
					    where + " was created during the copy")
				     : fail_errno("cannot rename the copy to " + where);
		::unlinkat(dir_.get(), tmp_name_.c_str(), 0);
		dir_.reset();
		tmp_name_.clear();
		return s;
	}
	::fsync(dir_.get());
	dir_.reset();
	tmp_name_.clear();
	written_ = 0;
	return HVK_S_OK;
}

uint32_t FileCopy::cancel()
{
	discard();
	return HVK_S_OK;
}

} // namespace hvkit::fcopy
