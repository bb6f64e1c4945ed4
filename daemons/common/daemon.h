// SPDX-License-Identifier: GPL-2.0
// What hvkit's three daemons (hypervkvpd, hypervvssd, hypervfcopyd) share:
// an owned fd, logging at journald priorities, sd_notify, signals as an fd,
// waiting for a device node through libudev, upstream's command line, and
// durable file replacement.
//
// Nothing here logs a message's payload: KVP values can hold credentials,
// so callers log keys, lengths and outcomes, never values.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <signal.h>
#include <syslog.h>

namespace hvkit::daemon {

// One owned file descriptor; closed when it goes out of scope.
class Fd {
public:
	Fd() = default;
	explicit Fd(int fd) : fd_(fd) {}
	Fd(Fd &&o) noexcept : fd_(o.release()) {}
	Fd &operator=(Fd &&o) noexcept
	{
		if (this != &o)
			reset(o.release());
		return *this;
	}
	Fd(const Fd &) = delete;
	Fd &operator=(const Fd &) = delete;
	~Fd() { reset(); }

	int get() const { return fd_; }
	bool valid() const { return fd_ >= 0; }
	explicit operator bool() const { return valid(); }
	int release()
	{
		int fd = fd_;
		fd_ = -1;
		return fd;
	}
	void reset(int fd = -1);

private:
	int fd_ = -1;
};

// ---- logging ----------------------------------------------------------
// Messages go to stderr. Under systemd (JOURNAL_STREAM set) each line
// starts with "<N>", which journald reads as the priority; otherwise with
// "IDENT: ". LOG_DEBUG lines are dropped unless debug is on. When the
// process daemonizes away from a terminal, lines go to syslog(3).
void log_init(const char *ident, bool debug);
void log_to_syslog();
bool log_debug_enabled();
[[gnu::format(printf, 2, 3)]] void log(int prio, const char *fmt, ...);

// ---- systemd ----------------------------------------------------------
// sd_notify(3); no-ops when not started by systemd (no NOTIFY_SOCKET).
void notify_ready();
void notify_status(const std::string &status);
void notify_stopping();
void notify_watchdog();
// Half the unit's WatchdogSec, or nullopt when no watchdog is asked for.
std::optional<std::chrono::milliseconds> watchdog_period();

// ---- signals ----------------------------------------------------------
// Blocks SIGTERM, SIGINT and SIGHUP (and ignores SIGPIPE) and returns a
// signalfd for them. read_signal() returns the signal number, or 0.
Fd signal_fd();
int read_signal(int sfd);

// A stretch of blocking calls that signals interrupt, for a loop that
// reads its device without a poll(2) before each read (hypervfcopyd during
// a copy). While one is alive, SIGTERM, SIGINT and SIGHUP are unblocked and
// caught without SA_RESTART, so a blocking read() returns EINTR when one
// comes, and SIGALRM comes every @tick, so a signal that lands between the
// caller's check and its read() waits one tick at most. When it ends, the
// signals are blocked again and the one caught is made pending again, for
// the signalfd. One at a time, in a single-threaded process (or with the
// signals blocked in every other thread).
class SignalWindow {
public:
	explicit SignalWindow(std::chrono::milliseconds tick);
	~SignalWindow();
	SignalWindow(const SignalWindow &) = delete;
	SignalWindow &operator=(const SignalWindow &) = delete;
	// A signal came (SIGTERM, SIGINT or SIGHUP): the caller should return
	// to its event loop.
	bool signalled() const;
	// True once for each tick (or more) that passed since the last call.
	bool ticked();

private:
	sigset_t old_mask_ {};
};

// ---- the device -------------------------------------------------------
// Opens @path (O_RDWR | O_CLOEXEC | @extra_flags). If it does not exist
// yet, waits for it with a libudev monitor (udev events when udevd runs,
// the kernel's uevents when not: devtmpfs has made the node by then), with
// no polling loop. Returns an invalid Fd when a signal in @sfd arrives
// first (the signal is left unread) or on an error, which is logged.
Fd wait_for_device(const std::string &path, int sfd, int extra_flags = 0);

// ---- the event loop ---------------------------------------------------
// poll(2) over a few fds plus the signal fd, pinging the systemd watchdog
// in time. A handler returns false to end the loop with failure.
class Loop {
public:
	explicit Loop(int sfd);
	void add(int fd, std::function<bool()> on_readable);
	void remove(int fd);
	// Calls @fn after @after (once); replaces an earlier timer.
	void set_timer(std::chrono::milliseconds after, std::function<bool()> fn);
	void cancel_timer();
	// Until SIGTERM/SIGINT (returns 0), or a handler fails (returns 1).
	// SIGHUP calls @on_hup if set.
	int run();
	std::function<void()> on_hup;

private:
	struct Entry {
		int fd;
		std::function<bool()> fn;
	};
	int sfd_;
	// Each entry stays where it is while its handler runs, even when the
	// handler removes it (it then waits in retired_ until the next turn),
	// so no handler is copied to be called.
	std::vector<std::unique_ptr<Entry>> entries_;
	std::vector<std::unique_ptr<Entry>> retired_;
	std::optional<std::chrono::steady_clock::time_point> deadline_;
	std::function<bool()> timer_fn_;
};

// ---- the command line -------------------------------------------------
// Upstream's daemons take -n/--no-daemon and -h/--help (hv_kvp_daemon also
// -d/--debug-enabled); hvkit's add --foreground (= -n) and --debug (= -d).
struct Options {
	bool foreground = false;
	bool debug = false;
	bool help = false;
	std::string device;		// --device PATH (tests)
	std::vector<std::string> extra;	// --name=value / --name value of the daemon's own
};
// @own lists the daemon's own long options that take a value ("pool-dir").
// Returns nullopt after printing one sentence and the usage hint.
std::optional<Options> parse_options(int argc, char **argv, const char *prog,
				     const std::vector<std::string_view> &own = {});
// The value of one of the daemon's own options, if given.
std::optional<std::string> option(const Options &o, std::string_view name);
// Like upstream's daemon(1, 0) when not --foreground and not run by
// systemd: fork into the background, stdio to /dev/null.
bool daemonize_unless_foreground(const Options &o);

// ---- files ------------------------------------------------------------
// Replace @path with @data durably: a temp file in the same directory,
// written in full, fsync'd, renamed over @path, and the directory fsync'd.
// On failure @path is as it was, no temp file is left, and @err says why.
bool write_file_atomic(const std::string &path, std::string_view data, unsigned mode,
		       std::string &err);
// Write all of @len bytes, retrying on EINTR and short writes.
bool write_all(int fd, const void *buf, size_t len);

} // namespace hvkit::daemon
