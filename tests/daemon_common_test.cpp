// SPDX-License-Identifier: GPL-2.0
// The daemons' shared pieces: upstream's command line, durable file
// replacement, and the event loop's signal and timer handling.
#include "daemon.h"
#include "text.h"
#include "tmpdir.h"

#include <gtest/gtest.h>

#include <csignal>
#include <cstddef>
#include <cstring>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <dirent.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

using namespace hvkit::daemon;

namespace {

std::optional<Options> parse(std::vector<std::string> args, const std::vector<std::string_view> &own = {})
{
	std::vector<char *> argv;
	static std::string prog = "hypervtestd";
	argv.push_back(prog.data());
	for (auto &a : args)
		argv.push_back(a.data());
	return parse_options(static_cast<int>(argv.size()), argv.data(), "hypervtestd", own);
}

std::string slurp(const std::string &p)
{
	std::ifstream f(p);
	std::stringstream s;
	s << f.rdbuf();
	return s.str();
}

int entries(const std::string &dir)
{
	int n = 0;
	DIR *d = ::opendir(dir.c_str());
	while (dirent *e = ::readdir(d))
		n += e->d_name[0] != '.' || (e->d_name[1] && e->d_name[1] != '.');
	::closedir(d);
	return n;
}

} // namespace

TEST(DaemonOptions, UpstreamFlagsAndClusters)
{
	auto o = parse({ "-n" });
	ASSERT_TRUE(o);
	EXPECT_TRUE(o->foreground);
	o = parse({ "--no-daemon", "--debug-enabled" });
	ASSERT_TRUE(o);
	EXPECT_TRUE(o->foreground && o->debug);
	o = parse({ "-nd" });
	ASSERT_TRUE(o);
	EXPECT_TRUE(o->foreground && o->debug && !o->help);
	o = parse({ "--foreground", "--debug", "-h" });
	ASSERT_TRUE(o);
	EXPECT_TRUE(o->foreground && o->debug && o->help);
}

TEST(DaemonOptions, OwnOptionsTakeValuesBothWays)
{
	auto o = parse({ "--pool-dir", "/tmp/p", "--device=/dev/x", "--pool-dir=/tmp/q" }, { "pool-dir" });
	ASSERT_TRUE(o);
	EXPECT_EQ(o->device, "/dev/x");
	EXPECT_EQ(option(*o, "pool-dir"), "/tmp/q");
	EXPECT_FALSE(option(*o, "pool"));
}

TEST(DaemonOptions, BadInputIsRefused)
{
	testing::internal::CaptureStderr();
	EXPECT_FALSE(parse({ "--bogus" }));
	EXPECT_FALSE(parse({ "-x" }));
	EXPECT_FALSE(parse({ "stray" }));
	EXPECT_FALSE(parse({ "--pool-dir" }, { "pool-dir" }));
	std::string err = testing::internal::GetCapturedStderr();
	EXPECT_NE(err.find("hypervtestd: unknown option '--bogus' (see 'hypervtestd --help')"),
		  std::string::npos);
	EXPECT_NE(err.find("needs a value"), std::string::npos);
}

TEST(DaemonFiles, AtomicWriteReplacesAndLeavesNoTemp)
{
	const hvkit::test::TmpDir tmp("hvkit-daemon");
	std::string d = tmp.path, p = d + "/state", err;
	ASSERT_TRUE(write_file_atomic(p, "one", 0600, err)) << err;
	ASSERT_TRUE(write_file_atomic(p, "two, longer", 0640, err)) << err;
	EXPECT_EQ(slurp(p), "two, longer");
	struct stat st;
	ASSERT_EQ(::stat(p.c_str(), &st), 0);
	EXPECT_EQ(st.st_mode & 0777, 0640u);
	EXPECT_EQ(entries(d), 1);
}

TEST(DaemonFiles, AFailedWriteKeepsTheOldFile)
{
	const hvkit::test::TmpDir tmp("hvkit-daemon");
	std::string d = tmp.path, p = d + "/state", err;
	ASSERT_TRUE(write_file_atomic(p, "kept", 0600, err)) << err;
	// Renaming over a directory fails: the old contents must survive.
	std::string dirpath = d + "/sub";
	ASSERT_EQ(::mkdir(dirpath.c_str(), 0700), 0);
	ASSERT_EQ(::mkdir((dirpath + "/x").c_str(), 0700), 0);
	EXPECT_FALSE(write_file_atomic(dirpath, "new", 0600, err));
	EXPECT_NE(err.find("cannot rename"), std::string::npos) << err;
	EXPECT_EQ(slurp(p), "kept");
	EXPECT_EQ(entries(d), 2);
	EXPECT_FALSE(write_file_atomic(d + "/missing/f", "x", 0600, err));
	EXPECT_NE(err.find("cannot create a temporary file in " + d + "/missing"), std::string::npos);
}

TEST(DaemonLoop, TimersHandlersAndSigterm)
{
	// Block the signals in this thread (signal_fd does), then raise SIGTERM
	// from a handler: the loop ends with 0 after the handler ran.
	Fd sfd = signal_fd();
	ASSERT_TRUE(sfd);
	int pipefd[2];
	ASSERT_EQ(::pipe(pipefd), 0);
	Fd rd(pipefd[0]), wr(pipefd[1]);
	Loop loop(sfd.get());
	int reads = 0, timers = 0;
	loop.add(rd.get(), [&] {
		char c;
		EXPECT_EQ(::read(rd.get(), &c, 1), 1);
		reads++;
		::kill(::getpid(), SIGTERM);
		return true;
	});
	loop.set_timer(std::chrono::milliseconds(1), [&] {
		timers++;
		EXPECT_EQ(::write(wr.get(), "x", 1), 1);
		return true;
	});
	EXPECT_EQ(loop.run(), 0);
	EXPECT_EQ(reads, 1);
	EXPECT_EQ(timers, 1);
}

TEST(DaemonLoop, AFailingHandlerEndsTheLoopWithFailure)
{
	Fd sfd = signal_fd();
	Loop loop(sfd.get());
	loop.set_timer(std::chrono::milliseconds(0), [] { return false; });
	EXPECT_EQ(loop.run(), 1);
}

namespace {

// A datagram socket standing in for systemd's notify socket.
struct NotifySocket {
	Fd fd;
	explicit NotifySocket(const std::string &name, bool abstract)
		: fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0))
	{
		sockaddr_un sa{};
		sa.sun_family = AF_UNIX;
		std::memcpy(sa.sun_path + (abstract ? 1 : 0), name.data(), name.size());
		auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size() + (abstract ? 1 : 0));
		EXPECT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr *>(&sa), len), 0);
		::setenv("NOTIFY_SOCKET", ((abstract ? "@" : "") + name).c_str(), 1);
	}
	~NotifySocket() { ::unsetenv("NOTIFY_SOCKET"); }
	NotifySocket(const NotifySocket &) = delete;
	NotifySocket &operator=(const NotifySocket &) = delete;
	std::string next()
	{
		char buf[256];
		ssize_t n = ::recv(fd.get(), buf, sizeof(buf), MSG_DONTWAIT);
		return n < 0 ? std::string("(nothing)") : std::string(buf, static_cast<size_t>(n));
	}
};

} // namespace

TEST(DaemonNotify, ReachesAPathAndAnAbstractSocket)
{
	const hvkit::test::TmpDir tmp("hvkit-daemon");
	const std::string &dir = tmp.path;
	{
		NotifySocket s(dir + "/notify", false);
		notify_ready();
		notify_status("serving");
		notify_watchdog();
		notify_stopping();
		EXPECT_EQ(s.next(), "READY=1");
		EXPECT_EQ(s.next(), "STATUS=serving");
		EXPECT_EQ(s.next(), "WATCHDOG=1");
		EXPECT_EQ(s.next(), "STOPPING=1");
	}
	{
		NotifySocket s("hvkit-notify-test-" + std::to_string(::getpid()), true);
		notify_ready();
		EXPECT_EQ(s.next(), "READY=1");
	}
	// No socket, or a relative name: nothing is sent, nothing fails.
	::setenv("NOTIFY_SOCKET", "relative", 1);
	notify_ready();
	::unsetenv("NOTIFY_SOCKET");
	notify_ready();
}

TEST(DaemonNotify, WatchdogPeriodIsHalfOfWatchdogUsecForThisProcessOnly)
{
	::unsetenv("WATCHDOG_PID");
	::unsetenv("WATCHDOG_USEC");
	EXPECT_FALSE(watchdog_period());
	::setenv("WATCHDOG_USEC", "30000000", 1);
	EXPECT_EQ(watchdog_period(), std::chrono::milliseconds(15000));
	::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
	EXPECT_EQ(watchdog_period(), std::chrono::milliseconds(15000));
	::setenv("WATCHDOG_PID", std::to_string(::getpid() + 1).c_str(), 1);
	EXPECT_FALSE(watchdog_period()) << "a watchdog meant for another process";
	::unsetenv("WATCHDOG_PID");
	for (const char *bad : {"0", "", "12x", "-5", "99999999999999999999999"}) {
		::setenv("WATCHDOG_USEC", bad, 1);
		EXPECT_FALSE(watchdog_period()) << bad;
	}
	::unsetenv("WATCHDOG_USEC");
}

TEST(DaemonText, LinesAndWords)
{
	using V = std::vector<std::string_view>;
	EXPECT_EQ(split_lines(""), V{});
	EXPECT_EQ(split_lines("a\nb"), (V{"a", "b"}));
	EXPECT_EQ(split_lines("a\n\nb\n"), (V{"a", "", "b"}));
	EXPECT_EQ(split_words("  nameserver\t10.0.0.1  # x\r"), (V{"nameserver", "10.0.0.1", "#", "x"}));
	EXPECT_EQ(split_words(" \t "), V{});
}

TEST(DaemonText, ReadTextLineAndLimit)
{
	const hvkit::test::TmpDir tmp("hvkit-daemon");
	std::string f = tmp.path + "/t";
	{
		std::ofstream o(f);
		o << "first line\nsecond\n";
	}
	EXPECT_EQ(read_text(f), "first line\nsecond\n");
	EXPECT_EQ(read_text(f, 5), "first");
	EXPECT_EQ(read_line(f), "first line");
	EXPECT_FALSE(read_text(tmp.path + "/missing"));
	EXPECT_EQ(read_line(tmp.path + "/missing"), "");
}
