// SPDX-License-Identifier: GPL-2.0
// Temporary directories for the host tests and the fuzzers: each is made
// as $TMPDIR/PREFIX.XXXXXX (/tmp without TMPDIR) and removed, with
// everything in it, by the process that made it: a TmpDir when it goes
// out of scope, a tmpdir() when the program exits (exit() or returning
// from main; a crash or _exit leaves it). A forked child removes nothing.
#pragma once

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <unistd.h>

namespace hvkit::test {

namespace detail {

// Gives the owner back every permission on @dir and the directories below
// it (tests make read-only ones), so that remove_all can empty them.
// Symbolic links are not followed.
inline void make_removable(const std::filesystem::path &dir)
{
	namespace fs = std::filesystem;
	std::error_code ec;
	fs::permissions(dir, fs::perms::owner_all, fs::perm_options::add, ec);
	for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
		std::error_code tec;
		if (it->symlink_status(tec).type() == fs::file_type::directory)
			make_removable(it->path());
	}
}

} // namespace detail

class TmpDir {
public:
	explicit TmpDir(std::string_view prefix) : path(make(prefix)), owner_(::getpid()) {}
	~TmpDir()
	{
		if (::getpid() != owner_)
			return;
		std::error_code ec;
		detail::make_removable(path);
		std::filesystem::remove_all(path, ec);
		if (ec)
			std::fprintf(stderr, "tmpdir: cannot remove %s: %s\n", path.c_str(), ec.message().c_str());
	}
	TmpDir(const TmpDir &) = delete;
	TmpDir &operator=(const TmpDir &) = delete;

	const std::string path;

private:
	static std::string make(std::string_view prefix)
	{
		std::error_code ec;
		std::filesystem::path base = std::filesystem::temp_directory_path(ec);
		if (ec)
			base = "/tmp";
		std::string t = (base / (std::string(prefix) + ".XXXXXX")).string();
		if (!::mkdtemp(t.data())) {
			std::fprintf(stderr, "tmpdir: cannot make %s: %s\n", t.c_str(), std::strerror(errno));
			std::abort();
		}
		return t;
	}
	pid_t owner_;
};

// A new directory that lasts until the program exits: for tests that hand
// its path around as a string and for fuzzers' long-lived state.
inline std::string tmpdir(std::string_view prefix)
{
	static std::mutex lock;
	static std::vector<std::unique_ptr<TmpDir>> dirs;	// destroyed (removed) at exit
	std::lock_guard<std::mutex> g(lock);
	dirs.push_back(std::make_unique<TmpDir>(prefix));
	return dirs.back()->path;
}

} // namespace hvkit::test
