/* SPDX-License-Identifier: GPL-2.0 */
// Small text helpers for the daemons, in place of iostreams: the C++
// runtime's stream and locale machinery was about 0.7 MB of each daemon's
// resident memory, for reading a few small files and splitting lines.
#ifndef HVKIT_DAEMON_TEXT_H
#define HVKIT_DAEMON_TEXT_H

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hvkit::daemon {

// The whole file (at most @max bytes), or nothing if it cannot be read.
std::optional<std::string> read_text(const std::string &path, size_t max = 1 << 20);
// Its first line, without the newline; empty if there is none.
std::string read_line(const std::string &path);
// The lines of @text, without their '\n' (a last line without one too).
std::vector<std::string_view> split_lines(std::string_view text);
// The words of @line: runs of characters between blanks (space, tab, CR).
std::vector<std::string_view> split_words(std::string_view line);

} // namespace hvkit::daemon

#endif
