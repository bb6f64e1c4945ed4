// SPDX-License-Identifier: GPL-2.0
#include "daemon.h"

#include <libudev.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/time.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <unistd.h>

namespace hvkit::daemon {

void Fd::reset(int fd)
{
	if (fd_ >= 0)
		::close(fd_);
	fd_ = fd;
}

// ---- logging ----------------------------------------------------------

namespace {
struct LogState {
	std::string ident = "hvkit";
	bool debug = false;
	bool journal = false;
	bool syslog = false;
};
LogState &logstate()
{
	static LogState s;
	return s;
}
} // namespace

void log_init(const char *ident, bool debug)
{
	LogState &s = logstate();
	s.ident = ident;
	s.debug = debug;
	s.journal = std::getenv("JOURNAL_STREAM") != nullptr;
}

void log_to_syslog()
{
	LogState &s = logstate();
	if (s.journal || s.syslog)
		return;
	openlog(s.ident.c_str(), LOG_PID, LOG_DAEMON);
	s.syslog = true;
}

bool log_debug_enabled()
{
	return logstate().debug;
}

void log(int prio, const char *fmt, ...)
{
	const LogState &s = logstate();
	if (prio >= LOG_DEBUG && !s.debug)
		return;
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	std::vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (s.syslog)
		syslog(prio, "%s", buf);
	else if (s.journal)
		std::fprintf(stderr, "<%d>%s\n", prio, buf);
	else
		std::fprintf(stderr, "%s: %s\n", s.ident.c_str(), buf);
}

// ---- systemd ----------------------------------------------------------
//
// The notify protocol, spoken directly (sd_notify(3) documents it as
// stable): one datagram to the AF_UNIX socket $NOTIFY_SOCKET names, "@"
// meaning the abstract namespace. Not through libsystemd: that library and
// the compressors and crypto it pulls in were a third of each daemon's
// resident memory, for these four lines of protocol.

namespace {

void notify(const std::string &msg)
{
	const char *path = std::getenv("NOTIFY_SOCKET");
	if (!path || (path[0] != '/' && path[0] != '@'))
		return;
	sockaddr_un sa{};
	sa.sun_family = AF_UNIX;
	size_t len = std::strlen(path);
	if (len < 2 || len >= sizeof(sa.sun_path))
		return;
	std::memcpy(sa.sun_path, path, len);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0';
	Fd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
	if (!fd)
		return;
	auto salen = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + len);
	// A lost notification is systemd's to time out on; nothing to do here.
	(void)::sendto(fd.get(), msg.data(), msg.size(), MSG_NOSIGNAL,
		       reinterpret_cast<const sockaddr *>(&sa), salen);
}

} // namespace

void notify_ready()
{
	notify("READY=1");
}

void notify_status(const std::string &status)
{
	notify("STATUS=" + status);
}

void notify_stopping()
{
	notify("STOPPING=1");
}

void notify_watchdog()
{
	notify("WATCHDOG=1");
}

std::optional<std::chrono::milliseconds> watchdog_period()
{
	// $WATCHDOG_USEC, for this process when $WATCHDOG_PID says so.
	// strtoull takes blanks and a sign: only digits are a number here.
	auto digits = [](const char *v) { return v[0] >= '0' && v[0] <= '9'; };
	const char *usec_s = std::getenv("WATCHDOG_USEC");
	if (!usec_s || !digits(usec_s))
		return std::nullopt;
	if (const char *pid_s = std::getenv("WATCHDOG_PID")) {
		char *end = nullptr;
		errno = 0;
		unsigned long long pid = std::strtoull(pid_s, &end, 10);
		if (!digits(pid_s) || errno || end == pid_s || *end || pid != static_cast<unsigned long long>(::getpid()))
			return std::nullopt;
	}
	char *end = nullptr;
	errno = 0;
	unsigned long long usec = std::strtoull(usec_s, &end, 10);
	if (errno || end == usec_s || *end || usec == 0)
		return std::nullopt;
	return std::chrono::milliseconds(std::max<unsigned long long>(usec / 2000, 1));
}

// ---- signals ----------------------------------------------------------

namespace {
// The signals that stop a daemon (TERM, INT) or reload it (HUP).
sigset_t stop_set()
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	return set;
}
} // namespace

Fd signal_fd()
{
	sigset_t set = stop_set();
	if (sigprocmask(SIG_BLOCK, &set, nullptr) < 0) {
		log(LOG_ERR, "cannot block signals: %s", std::strerror(errno));
		return Fd();
	}
	signal(SIGPIPE, SIG_IGN);
	Fd fd(signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
	if (!fd)
		log(LOG_ERR, "cannot create a signalfd: %s", std::strerror(errno));
	return fd;
}

int read_signal(int sfd)
{
	signalfd_siginfo si;
	ssize_t n = ::read(sfd, &si, sizeof(si));
	return n == sizeof(si) ? static_cast<int>(si.ssi_signo) : 0;
}

namespace {
volatile sig_atomic_t g_caught; // the signal number a SignalWindow caught
volatile sig_atomic_t g_ticks;

void on_window_signal(int sig)
{
	if (sig == SIGALRM)
		g_ticks = 1;
	else if (!g_caught || sig != SIGHUP) // a stop signal wins over SIGHUP
		g_caught = sig;
}

sigset_t window_set()
{
	sigset_t set = stop_set();
	sigaddset(&set, SIGALRM);
	return set;
}
} // namespace

SignalWindow::SignalWindow(std::chrono::milliseconds tick)
{
	g_caught = 0;
	g_ticks = 0;
	struct sigaction sa {};
	sa.sa_handler = on_window_signal; // no SA_RESTART: a blocking read returns EINTR
	sigemptyset(&sa.sa_mask);
	for (int sig : { SIGTERM, SIGINT, SIGHUP, SIGALRM })
		sigaction(sig, &sa, nullptr);
	auto us = std::chrono::duration_cast<std::chrono::microseconds>(tick).count();
	us = std::max<long long>(us, 1000);
	struct itimerval it {};
	it.it_interval.tv_sec = static_cast<time_t>(us / 1'000'000);
	it.it_interval.tv_usec = static_cast<suseconds_t>(us % 1'000'000);
	it.it_value = it.it_interval;
	setitimer(ITIMER_REAL, &it, nullptr);
	sigset_t set = window_set();
	sigprocmask(SIG_UNBLOCK, &set, &old_mask_);
}

SignalWindow::~SignalWindow()
{
	sigset_t set = window_set();
	sigprocmask(SIG_BLOCK, &set, nullptr);
	struct itimerval off {};
	setitimer(ITIMER_REAL, &off, nullptr);
	// A SIGALRM still pending is the timer's: drop it.
	sigset_t alrm;
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	sigset_t pending;
	if (sigpending(&pending) == 0 && sigismember(&pending, SIGALRM)) {
		struct timespec zero {};
		sigtimedwait(&alrm, nullptr, &zero);
	}
	// Pending again, blocked: the event loop's signalfd reads it.
	if (g_caught)
		::kill(::getpid(), g_caught);
	g_caught = 0;
	sigprocmask(SIG_SETMASK, &old_mask_, nullptr);
}

bool SignalWindow::signalled() const
{
	return g_caught != 0;
}

bool SignalWindow::ticked()
{
	if (!g_ticks)
		return false;
	g_ticks = 0;
	return true;
}

// ---- the device -------------------------------------------------------

namespace {
struct UdevDel {
	void operator()(udev *u) const { udev_unref(u); }
	void operator()(udev_monitor *m) const { udev_monitor_unref(m); }
	void operator()(udev_device *d) const { udev_device_unref(d); }
};
using UdevPtr = std::unique_ptr<udev, UdevDel>;
using MonPtr = std::unique_ptr<udev_monitor, UdevDel>;
using DevPtr = std::unique_ptr<udev_device, UdevDel>;

Fd open_dev(const std::string &path, int extra_flags)
{
	return Fd(::open(path.c_str(), O_RDWR | O_CLOEXEC | extra_flags));
}
} // namespace

Fd wait_for_device(const std::string &path, int sfd, int extra_flags)
{
	Fd fd = open_dev(path, extra_flags);
	if (fd || errno != ENOENT) {
		if (!fd)
			log(LOG_ERR, "cannot open %s: %s", path.c_str(), std::strerror(errno));
		return fd;
	}
	UdevPtr u(udev_new());
	if (!u) {
		log(LOG_ERR, "cannot talk to udev: %s", std::strerror(errno));
		return Fd();
	}
	// Without udevd nobody relays the kernel's events; take them directly
	// (devtmpfs creates the node before the kernel sends "add").
	bool udevd = ::access("/run/udev/control", F_OK) == 0;
	MonPtr mon(udev_monitor_new_from_netlink(u.get(), udevd ? "udev" : "kernel"));
	if (!mon || udev_monitor_enable_receiving(mon.get()) < 0) {
		log(LOG_ERR, "cannot listen for device events: %s", std::strerror(errno));
		return Fd();
	}
	// The monitor is listening: a node that appeared meanwhile is seen here.
	fd = open_dev(path, extra_flags);
	if (fd || errno != ENOENT) {
		if (!fd)
			log(LOG_ERR, "cannot open %s: %s", path.c_str(), std::strerror(errno));
		return fd;
	}
	log(LOG_INFO, "waiting for %s", path.c_str());
	notify_status("waiting for " + path);
	auto period = watchdog_period();
	for (;;) {
		pollfd p[2] = { { udev_monitor_get_fd(mon.get()), POLLIN, 0 }, { sfd, POLLIN, 0 } };
		int n = ::poll(p, 2, period ? static_cast<int>(period->count()) : -1);
		if (n < 0 && errno != EINTR) {
			log(LOG_ERR, "poll: %s", std::strerror(errno));
			return Fd();
		}
		if (period)
			notify_watchdog();
		if (p[1].revents)
			return Fd();
		if (!(p[0].revents & POLLIN))
			continue;
		DevPtr d(udev_monitor_receive_device(mon.get()));
		if (!d)
			continue;
		const char *act = udev_device_get_action(d.get());
		if (!act || std::strcmp(act, "add") != 0)
			continue;
		fd = open_dev(path, extra_flags);
		if (fd)
			return fd;
		if (errno != ENOENT) {
			log(LOG_ERR, "cannot open %s: %s", path.c_str(), std::strerror(errno));
			return Fd();
		}
	}
}

// ---- the event loop ---------------------------------------------------

Loop::Loop(int sfd) : sfd_(sfd) {}

void Loop::add(int fd, std::function<bool()> on_readable)
{
	entries_.push_back(std::make_unique<Entry>(Entry{ fd, std::move(on_readable) }));
}

void Loop::remove(int fd)
{
	for (auto it = entries_.begin(); it != entries_.end();) {
		if ((*it)->fd == fd) {
			retired_.push_back(std::move(*it));
			it = entries_.erase(it);
		} else {
			++it;
		}
	}
}

void Loop::set_timer(std::chrono::milliseconds after, std::function<bool()> fn)
{
	deadline_ = std::chrono::steady_clock::now() + after;
	timer_fn_ = std::move(fn);
}

void Loop::cancel_timer()
{
	deadline_.reset();
	timer_fn_ = nullptr;
}

int Loop::run()
{
	using namespace std::chrono;
	auto period = watchdog_period();
	auto next_ping = steady_clock::now();
	std::vector<pollfd> p;
	for (;;) {
		retired_.clear(); // no handler runs now
		// The clock only when something is timed.
		auto now = period || deadline_ ? steady_clock::now() : steady_clock::time_point();
		if (period && now >= next_ping) {
			notify_watchdog();
			next_ping = now + *period;
		}
		if (deadline_ && now >= *deadline_) {
			auto fn = std::move(timer_fn_);
			cancel_timer();
			if (fn && !fn())
				return 1;
			continue;
		}
		int timeout = -1;
		auto until = [&](steady_clock::time_point t) {
			auto ms = duration_cast<milliseconds>(t - now).count() + 1;
			if (timeout < 0 || ms < timeout)
				timeout = static_cast<int>(ms);
		};
		if (period)
			until(next_ping);
		if (deadline_)
			until(*deadline_);

		p.clear();
		p.push_back({ sfd_, POLLIN, 0 });
		for (const auto &e : entries_)
			p.push_back({ e->fd, POLLIN, 0 });
		int n = ::poll(p.data(), p.size(), timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log(LOG_ERR, "poll: %s", std::strerror(errno));
			return 1;
		}
		if (p[0].revents & POLLIN) {
			int sig = read_signal(sfd_);
			if (sig == SIGTERM || sig == SIGINT) {
				log(LOG_INFO, "%s: stopping", strsignal(sig));
				notify_stopping();
				return 0;
			}
			if (sig == SIGHUP && on_hup)
				on_hup();
		}
		// Handlers may add or remove entries: dispatch by fd, re-looking each up.
		for (size_t i = 1; i < p.size(); i++) {
			if (!p[i].revents)
				continue;
			auto it = std::find_if(entries_.begin(), entries_.end(),
					       [&](const auto &e) { return e->fd == p[i].fd; });
			if (it == entries_.end())
				continue;
			Entry *e = it->get(); // alive until the next turn, removed or not
			if (!e->fn())
				return 1;
		}
	}
}

// ---- the command line -------------------------------------------------

std::optional<Options> parse_options(int argc, char **argv, const char *prog,
				     const std::vector<std::string_view> &own)
{
	Options o;
	auto bad = [&](const std::string &why) -> std::optional<Options> {
		std::fprintf(stderr, "%s: %s (see '%s --help')\n", prog, why.c_str(), prog);
		return std::nullopt;
	};
	for (int i = 1; i < argc; i++) {
		std::string_view a = argv[i];
		if (a == "-n" || a == "--no-daemon" || a == "--foreground") {
			o.foreground = true;
		} else if (a == "-d" || a == "--debug" || a == "--debug-enabled") {
			o.debug = true;
		} else if (a == "-h" || a == "--help") {
			o.help = true;
		} else if (a.starts_with("--")) {
			std::string_view name = a.substr(2), value;
			bool has_value = false;
			if (auto eq = name.find('='); eq != std::string_view::npos) {
				value = name.substr(eq + 1);
				name = name.substr(0, eq);
				has_value = true;
			}
			bool is_own = name == "device" ||
				std::find(own.begin(), own.end(), name) != own.end();
			if (!is_own)
				return bad("unknown option '" + std::string(a) + "'");
			if (!has_value) {
				if (i + 1 >= argc)
					return bad("option '--" + std::string(name) + "' needs a value");
				value = argv[++i];
			}
			if (name == "device")
				o.device = value;
			else
				o.extra.push_back(std::string(name) + "=" + std::string(value));
		} else if (a.size() > 1 && a[0] == '-') {
			// Clustered short options, as getopt takes them: -nd.
			for (char c : a.substr(1)) {
				if (c == 'n')
					o.foreground = true;
				else if (c == 'd')
					o.debug = true;
				else if (c == 'h')
					o.help = true;
				else
					return bad(std::string("unknown option '-") + c + "'");
			}
		} else {
			return bad("unexpected argument '" + std::string(a) + "'");
		}
	}
	return o;
}

std::optional<std::string> option(const Options &o, std::string_view name)
{
	std::optional<std::string> v;
	for (const std::string &e : o.extra)
		if (e.size() > name.size() && e.compare(0, name.size(), name) == 0 &&
		    e[name.size()] == '=')
			v = e.substr(name.size() + 1);	// the last one given wins
	return v;
}

bool daemonize_unless_foreground(const Options &o)
{
	if (o.foreground || std::getenv("NOTIFY_SOCKET") || std::getenv("INVOCATION_ID"))
		return true;
	if (::daemon(1, 0) < 0) {
		log(LOG_ERR, "cannot go into the background: %s", std::strerror(errno));
		return false;
	}
	log_to_syslog();
	return true;
}

// ---- files ------------------------------------------------------------

bool write_all(int fd, const void *buf, size_t len)
{
	const auto *p = static_cast<const char *>(buf);
	while (len) {
		ssize_t n = ::write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		if (n == 0) {
			errno = EIO;
			return false;
		}
		p += n;
		len -= static_cast<size_t>(n);
	}
	return true;
}

bool write_file_atomic(const std::string &path, std::string_view data, unsigned mode,
		       std::string &err)
{
	auto slash = path.rfind('/');
	std::string dir = slash == std::string::npos ? "." : (slash ? path.substr(0, slash) : "/");
	std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
	std::string tmp = dir + "/." + name + ".XXXXXX";
	std::vector<char> tmpl(tmp.begin(), tmp.end());
	tmpl.push_back('\0');
	Fd fd(::mkostemp(tmpl.data(), O_CLOEXEC));
	if (!fd) {
		err = "cannot create a temporary file in " + dir + ": " + std::strerror(errno);
		return false;
	}
	tmp = tmpl.data();
	auto fail = [&](const char *what) {
		err = std::string(what) + " " + tmp + ": " + std::strerror(errno);
		::unlink(tmp.c_str());
		return false;
	};
	if (::fchmod(fd.get(), mode) < 0)
		return fail("cannot set the mode of");
	if (!write_all(fd.get(), data.data(), data.size()))
		return fail("cannot write");
	if (::fsync(fd.get()) < 0)
		return fail("cannot sync");
	fd.reset();
	if (::rename(tmp.c_str(), path.c_str()) < 0) {
		err = "cannot rename " + tmp + " to " + path + ": " + std::strerror(errno);
		::unlink(tmp.c_str());
		return false;
	}
	Fd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	if (d)
		::fsync(d.get());
	return true;
}

} // namespace hvkit::daemon
