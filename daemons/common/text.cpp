// SPDX-License-Identifier: GPL-2.0
#include "text.h"

#include "daemon.h"

#include <algorithm>
#include <cerrno>

#include <fcntl.h>
#include <unistd.h>

namespace hvkit::daemon {

std::optional<std::string> read_text(const std::string &path, size_t max)
{
	Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
	if (!fd)
		return std::nullopt;
	std::string out;
	char buf[4096];
	while (out.size() < max) {
		ssize_t n = ::read(fd.get(), buf, std::min(sizeof(buf), max - out.size()));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return std::nullopt;
		if (n == 0)
			break;
		out.append(buf, static_cast<size_t>(n));
	}
	return out;
}

std::string read_line(const std::string &path)
{
	auto t = read_text(path, 4096);
	if (!t)
		return {};
	return t->substr(0, t->find('\n'));
}

std::vector<std::string_view> split_lines(std::string_view text)
{
	std::vector<std::string_view> out;
	while (!text.empty()) {
		size_t nl = text.find('\n');
		out.push_back(text.substr(0, nl));
		if (nl == std::string_view::npos)
			break;
		text.remove_prefix(nl + 1);
	}
	return out;
}

std::vector<std::string_view> split_words(std::string_view line)
{
	std::vector<std::string_view> out;
	constexpr std::string_view blanks = " \t\r";
	size_t i = line.find_first_not_of(blanks);
	while (i != std::string_view::npos) {
		size_t end = line.find_first_of(blanks, i);
		out.push_back(line.substr(i, end == std::string_view::npos ? end : end - i));
		i = line.find_first_not_of(blanks, end);
	}
	return out;
}

} // namespace hvkit::daemon
