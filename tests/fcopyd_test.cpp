// SPDX-License-Identifier: GPL-2.0
// hypervfcopyd: the file semantics (temp file and rename, overwrite,
// create-path, symlinks, cancel, disk full, access denied), the char-device
// loop against a socketpair, and the uio transport against rings in a memfd
// served by a simulated host thread with the same ring code.
#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fcopy_file.h"
#include "fcopy_service.h"
#include "tmpdir.h"

extern "C" {
#include <hvkit/ic.h>
#include <hvkit/ic_fcopy.h>
#include <hvkit/ring.h>
}

namespace fs = std::filesystem;
using hvkit::daemon::Fd;
using namespace hvkit::fcopy;

namespace {

std::string slurp(const std::string &p)
{
	std::ifstream f(p, std::ios::binary);
	std::stringstream ss;
	ss << f.rdbuf();
	return ss.str();
}

void spit(const std::string &p, const std::string &data)
{
	std::ofstream f(p, std::ios::binary);
	f << data;
}

std::span<const uint8_t> bytes(const std::string &s)
{
	return { reinterpret_cast<const uint8_t *>(s.data()), s.size() };
}

// What is in @dir besides @keep.
std::vector<std::string> others(const std::string &dir, const std::string &keep)
{
	std::vector<std::string> v;
	for (const auto &e : fs::directory_iterator(dir))
		if (e.path().filename() != keep)
			v.push_back(e.path().filename().string());
	return v;
}

} // namespace

TEST(FcopyFile, WritesIntoATempFileBesideTheDestinationAndRenamesOnComplete)
{
	const hvkit::test::TmpDir d("fcopyd-test");
	FileCopy fc;
	ASSERT_EQ(HVK_S_OK, fc.start(d.path, "out.bin", 0, 11)) << fc.error();
	EXPECT_EQ(HVK_S_OK, fc.write(0, bytes("hello ")));
	EXPECT_EQ(HVK_S_OK, fc.write(6, bytes("world")));
	// Nobody sees the destination while the copy runs; the temp file sits
	// in the same directory (so the rename is atomic). (What it holds yet
	// is gathered in memory: FileCopy::kWriteChunk.)
	EXPECT_FALSE(fs::exists(d.path + "/out.bin"));
	ASSERT_FALSE(fc.tmp_name().empty());
	EXPECT_TRUE(fs::is_regular_file(d.path + "/" + fc.tmp_name()));
	EXPECT_EQ(HVK_S_OK, fc.complete()) << fc.error();
	EXPECT_EQ("hello world", slurp(d.path + "/out.bin"));
	EXPECT_TRUE(others(d.path, "out.bin").empty()) << "a temp file was left behind";
}

TEST(FcopyFile, AnExistingFileWithoutOverwriteIsAlreadyExistsAndLeftAlone)
{
	const hvkit::test::TmpDir d("fcopyd-test");
	spit(d.path + "/f", "old");
	FileCopy fc;
	EXPECT_EQ(HVK_ERROR_ALREADY_EXISTS, fc.start(d.path, "f", 0, 3));
	EXPECT_FALSE(fc.open());
	EXPECT_EQ("old", slurp(d.path + "/f"));
	EXPECT_TRUE(others(d.path, "f").empty());
}

TEST(FcopyFile, OverwriteReplacesTheFileOnlyOnComplete)
{
	const hvkit::test::TmpDir d("fcopyd-test");
	spit(d.path + "/f", "old contents");
	FileCopy fc;
	ASSERT_EQ(HVK_S_OK, fc.start(d.path, "f", HVK_FCOPY_OVER_WRITE, 3)) << fc.error();
	EXPECT_EQ(HVK_S_OK, fc.write(0, bytes("new")));
	EXPECT_EQ("old contents", slurp(d.path + "/f"));
	EXPECT_EQ(HVK_S_OK, fc.complete());
	EXPECT_EQ("new", slurp(d.path + "/f"));
}

TEST(FcopyFile, AFileCreatedDuringACopyWithoutOverwriteIsNotReplaced)
{
	const hvkit::test::TmpDir d("fcopyd-test");
	FileCopy fc;
	ASSERT_EQ(HVK_S_OK, fc.start(d.path, "f", 0, 3));
	EXPECT_EQ(HVK_S_OK, fc.write(0, bytes("new")));
	spit(d.path + "/f", "someone else's");
	EXPECT_EQ(HVK_ERROR_ALREADY_EXISTS, fc.complete());
	EXPECT_EQ("someone else's", slurp(d.path + "/f"));
	EXPECT_TRUE(others(d.path, "f").empty());
}

TEST(FcopyFile, AMissingDirectoryFailsWithoutCreatePathAndIsMadeWithIt)
{
	const hvkit::test::TmpDir d("fcopyd-test");
	FileCopy fc;
	std::string dir = d.path + "/a/b/c";
	EXPECT_EQ(HVK_E_FAIL, fc.start(dir, "f", 0, 1));
	EXPECT_FALSE(fs::exists(d.path + "/a"));
	ASSERT_EQ(HVK_S_OK, fc.start(dir, "f", HVK_FCOPY_CREATE_PATH, 1)) << fc.error();
	EXPECT_EQ(HVK_S_OK, fc.write(0, bytes("x")));
	EXPECT_EQ(HVK_S_OK, fc.complete());
	EXPECT_EQ("x", slurp(dir + "/f"));
	// A trailing slash (as the host sends it) is the same directory.
	ASSERT_EQ(HVK_S_OK, fc.start(dir + "/", "g", 0, 0));
	EXPECT_EQ(HVK_S_OK, fc.complete());
	EXPECT_TRUE(fs::exists(dir + "/g"));
}

TEST(FcopyFile, ASymlinkInTheLastComponentIsRefusedEvenWithOverwrite)
{
	const hvkit::test::TmpDir d("fcopyd-test");
	spit(d.path + "/target", "precious");
	fs::create_symlink(d.path + "/target", d.path + "/link");
	FileCopy fc;
	EXPECT_EQ(HVK_E_FAIL, fc.start(d.path, "link", HVK_FCOPY_OVER_WRITE, 3));
	EXPECT_NE(std::string::npos, fc.error().find("symbolic link")) << fc.error();
	EXPECT_EQ("precious", slurp(d.path + "/target"));
	EXPECT_TRUE(fs::is_symlink(d.path + "/link"));
	// A dangling one too: nothing is created through it.
	fs::create_symlink(d.path + "/nowhere", d.path + "/dangling");
	EXPECT_EQ(HVK_E_FAIL, fc.start(d.path, "dangling", 0, 3));
	EXPECT_FALSE(fs::exists(d.path + "/nowhere"));
}

TEST(FcopyFile, NamesThatAreNotANameInTheDirectoryAreRefused)
{
	const hvkit::test::TmpDir d("fcopyd-test");
	FileCopy fc;
	EXPECT_EQ(HVK_E_FAIL, fc.start(d.path, "../escape", HVK_FCOPY_OVER_WRITE, 1));
	EXPECT_EQ(HVK_E_FAIL, fc.start(d.path, "..", HVK_FCOPY_OVER_WRITE, 1));
	EXPECT_EQ(HVK_E_FAIL, fc.start(d.path, "", 0, 1));
	EXPECT_EQ(HVK_E_FAIL, fc.start("relative/dir", "f", 0, 1));
	fs::create_directory(d.path + "/dir");
	EXPECT_EQ(HVK_E_FAIL, fc.start(d.path, "dir", HVK_FCOPY_OVER_WRITE, 1));
	EXPECT_TRUE(fs::is_directory(d.path + "/dir"));
}

TEST(FcopyFile, CancelRemovesTheTempFileAndCreatesNothing)
{
	const hvkit::test::TmpDir d("fcopyd-test");
	FileCopy fc;
	ASSERT_EQ(HVK_S_OK, fc.start(d.path, "f", 0, 3));
	EXPECT_EQ(HVK_S_OK, fc.write(0, bytes("abc")));
	EXPECT_EQ(HVK_S_OK, fc.cancel());
	EXPECT_TRUE(others(d.path, "").empty());
	// And a write or complete after it fails.
	EXPECT_EQ(HVK_E_FAIL, fc.write(0, bytes("x")));
	EXPECT_EQ(HVK_E_FAIL, fc.complete());
	EXPECT_TRUE(others(d.path, "").empty());
}

TEST(FcopyFile, AStartDuringACopyDropsTheFirstCopysTempFile)
{
	const hvkit::test::TmpDir d("fcopyd-test");
	FileCopy fc;
	ASSERT_EQ(HVK_S_OK, fc.start(d.path, "one", 0, 3));
	std::string first = fc.tmp_name();
	ASSERT_EQ(HVK_S_OK, fc.start(d.path, "two", 0, 3));
	EXPECT_FALSE(fs::exists(d.path + "/" + first));
	EXPECT_EQ(HVK_S_OK, fc.complete());
	EXPECT_EQ(std::vector<std::string>{}, others(d.path, "two"));
}

TEST(FcopyFile, TheDaemonStoppingMidCopyLeavesNoTempFile)
{
	const hvkit::test::TmpDir d("fcopyd-test");
	{
		FileCopy fc;
		ASSERT_EQ(HVK_S_OK, fc.start(d.path, "f", 0, 3));
	}
	EXPECT_TRUE(others(d.path, "").empty());
}

TEST(FcopyFile, ADiskFullIsErrorDiskFull)
{
	const hvkit::test::TmpDir d("fcopyd-test");
	FileCopy fc;
	ASSERT_EQ(HVK_S_OK, fc.start(d.path, "big", 0, 1 << 20));
	// A file size limit stands in for a full disk: EFBIG, as ENOSPC.
	std::signal(SIGXFSZ, SIG_IGN);
	rlimit old {};
	ASSERT_EQ(0, ::getrlimit(RLIMIT_FSIZE, &old));
	rlimit lim = old;
	lim.rlim_cur = 4096;
	ASSERT_EQ(0, ::setrlimit(RLIMIT_FSIZE, &lim));
	// Fragments are gathered into chunks of kWriteChunk: the failure is
	// the answer to the fragment that fills the first chunk.
	std::string chunk(6144, 'z');
	uint32_t s = HVK_S_OK;
	size_t i = 0;
	for (; i < 20 && s == HVK_S_OK; i++)
		s = fc.write(i * chunk.size(), bytes(chunk));
	::setrlimit(RLIMIT_FSIZE, &old);
	std::signal(SIGXFSZ, SIG_DFL);
	EXPECT_EQ(HVK_ERROR_DISK_FULL, s) << fc.error();
	EXPECT_EQ(FileCopy::kWriteChunk / chunk.size() + 1, i);
	EXPECT_EQ(HVK_ERROR_DISK_FULL, status_for_errno(ENOSPC));
	EXPECT_EQ(HVK_ERROR_DISK_FULL, status_for_errno(EDQUOT));
	EXPECT_EQ(HVK_S_OK, fc.cancel());
	EXPECT_TRUE(others(d.path, "").empty());
}

TEST(FcopyFile, ADiskFullInTheLastChunkIsTheAnswerToComplete)
{
	const hvkit::test::TmpDir d("fcopyd-test");
	FileCopy fc;
	ASSERT_EQ(HVK_S_OK, fc.start(d.path, "f", 0, 6144));
	std::signal(SIGXFSZ, SIG_IGN);
	rlimit old {};
	ASSERT_EQ(0, ::getrlimit(RLIMIT_FSIZE, &old));
	rlimit lim = old;
	lim.rlim_cur = 4096;
	ASSERT_EQ(0, ::setrlimit(RLIMIT_FSIZE, &lim));
	uint32_t w = fc.write(0, bytes(std::string(6144, 'z')));
	uint32_t c = fc.complete();
	::setrlimit(RLIMIT_FSIZE, &old);
	std::signal(SIGXFSZ, SIG_DFL);
	EXPECT_EQ(HVK_S_OK, w); // gathered, not written yet
	EXPECT_EQ(HVK_ERROR_DISK_FULL, c) << fc.error();
	EXPECT_FALSE(fc.open());
	EXPECT_TRUE(others(d.path, "").empty());
}

TEST(FcopyFile, GatheredFragmentsInAndOutOfOrderArriveWhole)
{
	const hvkit::test::TmpDir d("fcopyd-test");
	// 300 KiB and a bit, in 6 KiB fragments, with two out of order: the
	// host's fragments follow each other, but nothing here relies on it.
	std::string data;
	for (size_t i = 0; data.size() < 300 * 1024 + 777; i++)
		data += static_cast<char>('a' + (i * 7919) % 26);
	FileCopy fc;
	ASSERT_EQ(HVK_S_OK, fc.start(d.path, "f", 0, data.size()));
	constexpr size_t kFrag = 6144;
	std::vector<size_t> order;
	for (size_t off = 0; off < data.size(); off += kFrag)
		order.push_back(off);
	std::swap(order[3], order[20]);
	for (size_t off : order) {
		size_t n = std::min(kFrag, data.size() - off);
		ASSERT_EQ(HVK_S_OK, fc.write(off, bytes(data.substr(off, n)))) << off;
	}
	ASSERT_EQ(HVK_S_OK, fc.complete()) << fc.error();
	EXPECT_EQ(data, slurp(d.path + "/f"));
	EXPECT_EQ(std::vector<std::string>{}, others(d.path, "f"));
}

TEST(FcopyFile, APermissionErrorIsAccessDenied)
{
	const hvkit::test::TmpDir d("fcopyd-test");
	fs::create_directory(d.path + "/ro");
	::chmod((d.path + "/ro").c_str(), 0555);
	::chmod(d.path.c_str(), 0755);
	// root ignores modes: try as nobody, in a child.
	pid_t pid = ::fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		if (::geteuid() == 0 && (::setgid(65534) < 0 || ::setuid(65534) < 0))
			_exit(2);
		FileCopy fc;
		uint32_t s = fc.start(d.path + "/ro", "f", 0, 1);
		_exit(s == E_ACCESSDENIED ? 0 : 1);
	}
	int st = 0;
	ASSERT_EQ(pid, ::waitpid(pid, &st, 0));
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st)) << "2: cannot become nobody, 1: another status";
	EXPECT_EQ(E_ACCESSDENIED, status_for_errno(EPERM));
	EXPECT_EQ(E_ACCESSDENIED, status_for_errno(EROFS));
	EXPECT_EQ(HVK_E_FAIL, status_for_errno(EIO));
}

// ---- the char device, played by a socketpair ------------------------------

namespace {

struct FakeDev {
	FakeDev()
	{
		int sv[2];
		EXPECT_EQ(0, ::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
		daemon_end.reset(sv[0]);
		kernel.reset(sv[1]);
	}
	void send(const void *p, size_t n) const
	{
		ASSERT_EQ(static_cast<ssize_t>(n), ::write(kernel.get(), p, n));
	}
	template <typename T> void send(const T &m) const { send(&m, sizeof(m)); }
	// One int the daemon wrote.
	int32_t answer() const
	{
		int32_t v = 0x7777;
		EXPECT_EQ(4, ::read(kernel.get(), &v, sizeof(v)));
		return v;
	}
	Fd daemon_end, kernel;
};

hvk_fcopy_start start_msg(const std::string &dir, const std::string &name, uint32_t flags,
			  uint64_t size)
{
	hvk_fcopy_start m {};
	m.hdr.operation = HVK_FCOPY_START_FILE_COPY;
	std::memcpy(reinterpret_cast<char *>(&m) + offsetof(hvk_fcopy_start, file_name), name.c_str(),
		    name.size() + 1);
	std::memcpy(reinterpret_cast<char *>(&m) + offsetof(hvk_fcopy_start, path_name), dir.c_str(),
		    dir.size() + 1);
	m.copy_flags = flags;
	m.file_size = size;
	return m;
}

hvk_fcopy_data data_msg(uint64_t off, const std::string &data)
{
	hvk_fcopy_data m {};
	m.hdr.operation = HVK_FCOPY_WRITE_TO_FILE;
	m.offset = off;
	m.size = static_cast<uint32_t>(data.size());
	std::memcpy(m.data, data.data(), data.size());
	return m;
}

hvk_fcopy_hdr hdr_msg(uint32_t op)
{
	hvk_fcopy_hdr m {};
	m.operation = op;
	return m;
}

// The kernel sends MSG; the daemon serves it and answers S_OK.
template <typename M> void served_ok(const FakeDev &dev, CharDev &cd, const M &msg)
{
	dev.send(msg);
	ASSERT_EQ(Served::ok, cd.serve());
	EXPECT_EQ(static_cast<int32_t>(HVK_S_OK), dev.answer());
}

// Register and take the kernel's version answer.
void handshake(FakeDev &dev, CharDev &cd)
{
	ASSERT_TRUE(cd.register_daemon());
	int32_t v = 0;
	ASSERT_EQ(4, ::read(dev.kernel.get(), &v, sizeof(v)));
	EXPECT_EQ(HVK_FCOPY_VERSION_1, v);
	uint32_t kver = 1;
	dev.send(kver);
	ASSERT_EQ(Served::ok, cd.serve());
}

} // namespace

TEST(FcopyCharDev, ACopyThroughTheDeviceArrivesWhole)
{
	const hvkit::test::TmpDir d("fcopyd-test");
	FakeDev dev;
	FileCopy fc;
	CharDev cd(dev.daemon_end.get(), fc);
	handshake(dev, cd);
	ASSERT_NO_FATAL_FAILURE(served_ok(dev, cd, start_msg(d.path, "f.txt", 0, 9)));
	ASSERT_NO_FATAL_FAILURE(served_ok(dev, cd, data_msg(0, "abcd")));
	ASSERT_NO_FATAL_FAILURE(served_ok(dev, cd, data_msg(4, "efghi")));
	ASSERT_NO_FATAL_FAILURE(served_ok(dev, cd, hdr_msg(HVK_FCOPY_COMPLETE)));
	EXPECT_EQ("abcdefghi", slurp(d.path + "/f.txt"));
}

// The daemon serves a copy's messages with blocking reads, no poll before
// each (serve_copy); it ends at COMPLETE, or on a signal, with the copy
// open and the signal left for the event loop.
TEST(FcopyCharDev, ACopyIsServedWithoutTheLoopUntilItIsComplete)
{
	const hvkit::test::TmpDir d("fcopyd-test");
	FakeDev dev;
	FileCopy fc;
	CharDev cd(dev.daemon_end.get(), fc);
	handshake(dev, cd);
	ASSERT_NO_FATAL_FAILURE(served_ok(dev, cd, start_msg(d.path, "f.txt", 0, 9)));
	std::thread kernel([&] {
		dev.send(data_msg(0, "abcd"));
		EXPECT_EQ(static_cast<int32_t>(HVK_S_OK), dev.answer());
		dev.send(data_msg(4, "efghi"));
		EXPECT_EQ(static_cast<int32_t>(HVK_S_OK), dev.answer());
		dev.send(hdr_msg(HVK_FCOPY_COMPLETE));
		EXPECT_EQ(static_cast<int32_t>(HVK_S_OK), dev.answer());
	});
	EXPECT_EQ(Served::ok, cd.serve_copy(std::nullopt));
	kernel.join();
	EXPECT_FALSE(fc.open());
	EXPECT_EQ("abcdefghi", slurp(d.path + "/f.txt"));
	EXPECT_EQ(std::vector<std::string>{}, others(d.path, "f.txt"));
}

TEST(FcopyCharDev, ASigtermWhileACopyWaitsForTheHostGoesBackToTheLoop)
{
	// As the daemon: the signals blocked, for a signalfd (the thread
	// playing the kernel inherits the mask).
	Fd sfd = hvkit::daemon::signal_fd();
	ASSERT_TRUE(sfd);
	const hvkit::test::TmpDir d("fcopyd-test");
	FakeDev dev;
	FileCopy fc;
	CharDev cd(dev.daemon_end.get(), fc);
	handshake(dev, cd);
	ASSERT_NO_FATAL_FAILURE(served_ok(dev, cd, start_msg(d.path, "f.txt", 0, 9)));
	std::thread kernel([&] {
		dev.send(data_msg(0, "abcd"));
		EXPECT_EQ(static_cast<int32_t>(HVK_S_OK), dev.answer());
		// The daemon waits for the next fragment, which does not come.
		::kill(::getpid(), SIGTERM);
	});
	EXPECT_EQ(Served::ok, cd.serve_copy(std::nullopt));
	kernel.join();
	// The copy is still open, and the signal is the signalfd's to read.
	EXPECT_TRUE(fc.open());
	EXPECT_EQ(SIGTERM, hvkit::daemon::read_signal(sfd.get()));
	// The loop would stop; here the copy goes on through serve().
	ASSERT_NO_FATAL_FAILURE(served_ok(dev, cd, data_msg(4, "efghi")));
	ASSERT_NO_FATAL_FAILURE(served_ok(dev, cd, hdr_msg(HVK_FCOPY_COMPLETE)));
	EXPECT_EQ("abcdefghi", slurp(d.path + "/f.txt"));
}

TEST(FcopyCharDev, ACopyThatWaitsForTheHostStillPingsTheWatchdog)
{
	const hvkit::test::TmpDir d("fcopyd-test");
	// systemd's notify socket.
	Fd notify(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
	sockaddr_un sa {};
	sa.sun_family = AF_UNIX;
	std::string npath = d.path + "/notify";
	std::memcpy(sa.sun_path, npath.c_str(), npath.size() + 1);
	ASSERT_EQ(0, ::bind(notify.get(), reinterpret_cast<sockaddr *>(&sa), sizeof(sa)));
	::setenv("NOTIFY_SOCKET", npath.c_str(), 1);
	FakeDev dev;
	FileCopy fc;
	CharDev cd(dev.daemon_end.get(), fc);
	handshake(dev, cd);
	ASSERT_NO_FATAL_FAILURE(served_ok(dev, cd, start_msg(d.path, "f.txt", 0, 4)));
	std::thread kernel([&] {
		// The host sends nothing until the daemon has pinged the watchdog.
		char buf[64] = {};
		ssize_t n = ::recv(notify.get(), buf, sizeof(buf) - 1, 0);
		EXPECT_EQ(std::string("WATCHDOG=1"), std::string(buf, n > 0 ? static_cast<size_t>(n) : 0));
		dev.send(data_msg(0, "abcd"));
		EXPECT_EQ(static_cast<int32_t>(HVK_S_OK), dev.answer());
		dev.send(hdr_msg(HVK_FCOPY_COMPLETE));
		EXPECT_EQ(static_cast<int32_t>(HVK_S_OK), dev.answer());
	});
	EXPECT_EQ(Served::ok, cd.serve_copy(std::chrono::milliseconds(1)));
	kernel.join();
	::unsetenv("NOTIFY_SOCKET");
	EXPECT_EQ("abcd", slurp(d.path + "/f.txt"));
}

TEST(FcopyCharDev, MalformedTruncatedAndOversizedMessagesGetEFailAndDoNothing)
{
	const hvkit::test::TmpDir d("fcopyd-test");
	FakeDev dev;
	FileCopy fc;
	CharDev cd(dev.daemon_end.get(), fc);
	handshake(dev, cd);
	auto refused = [&](const void *p, size_t n) {
		dev.send(p, n);
		EXPECT_EQ(Served::ok, cd.serve());
		EXPECT_EQ(static_cast<int32_t>(HVK_E_FAIL), dev.answer()) << n << " bytes";
	};
	auto s = start_msg(d.path, "f", 0, 1);
	refused(&s, 20);			// shorter than the header
	refused(&s, sizeof(s) - 1);		// START cut short
	auto bad = hdr_msg(9);
	refused(&bad, sizeof(bad));		// unknown operation
	auto noterm = s;
	std::memset(reinterpret_cast<char *>(&noterm) + offsetof(hvk_fcopy_start, file_name), 'a',
		    sizeof(noterm.file_name));
	refused(&noterm, sizeof(noterm));	// a name with no NUL
	std::vector<uint8_t> big(9000, 0);	// longer than any request
	refused(big.data(), big.size());
	EXPECT_TRUE(others(d.path, "").empty());

	// Now a copy is open: a WRITE past its message changes nothing.
	ASSERT_NO_FATAL_FAILURE(served_ok(dev, cd, s));
	auto w = data_msg(0, "x");
	refused(&w, HVK_FCOPY_DATA_HDR - 1);	// WRITE cut in its header
	w.size = 100;
	refused(&w, HVK_FCOPY_DATA_HDR + 50);	// size past the message
	w.size = HVK_FCOPY_DATA_FRAGMENT + 1;
	refused(&w, sizeof(w));			// size past the fragment
	w.size = 1;
	w.offset = ~0ULL - 1;
	refused(&w, sizeof(w));			// offset past the largest
	std::string tmp = d.path + "/" + fc.tmp_name();
	EXPECT_EQ(0, fs::file_size(tmp));
	ASSERT_NO_FATAL_FAILURE(served_ok(dev, cd, hdr_msg(HVK_FCOPY_CANCEL)));
	EXPECT_TRUE(others(d.path, "").empty());
}

TEST(FcopyCharDev, ARefusedAnswerDropsTheCopyAndAsksToRegisterAgain)
{
	const hvkit::test::TmpDir d("fcopyd-test");
	FakeDev dev;
	FileCopy fc;
	CharDev cd(dev.daemon_end.get(), fc);
	handshake(dev, cd);
	dev.send(start_msg(d.path, "f", 0, 1));
	// The kernel refuses the daemon's (late) answer.
	ASSERT_EQ(0, ::shutdown(dev.kernel.get(), SHUT_RD));
	std::signal(SIGPIPE, SIG_IGN);
	EXPECT_EQ(Served::reopen, cd.serve());
	EXPECT_TRUE(others(d.path, "").empty());
}

TEST(FcopyCharDev, ADeviceThatGoesAwayEndsTheLoopAndTheCopy)
{
	const hvkit::test::TmpDir d("fcopyd-test");
	FakeDev dev;
	FileCopy fc;
	CharDev cd(dev.daemon_end.get(), fc);
	handshake(dev, cd);
	ASSERT_NO_FATAL_FAILURE(served_ok(dev, cd, start_msg(d.path, "f", 0, 1)));
	dev.kernel.reset();
	EXPECT_EQ(Served::gone, cd.serve());
	EXPECT_TRUE(others(d.path, "").empty());
}

TEST(FcopyCharDev, ARegistrationAnswerOfTheWrongSizeIsRefused)
{
	FakeDev dev;
	FileCopy fc;
	CharDev cd(dev.daemon_end.get(), fc);
	ASSERT_TRUE(cd.register_daemon());
	uint64_t v = 1;
	dev.send(v);
	EXPECT_EQ(Served::gone, cd.serve());
}

// ---- uio: the rings in a memfd, the host in a thread ----------------------

namespace {

constexpr size_t kRing = size_t{4} * 4096;	// each ring: control page and 12 KiB

// The host's side of the file copy channel: writes requests into the
// guest's receive ring (the second), reads answers from the first.
class SimHost {
public:
	SimHost(uint8_t *map, int irq) : irq_(irq)
	{
		auto *g2h = reinterpret_cast<hvk_ring_ctl *>(map);
		auto *h2g = reinterpret_cast<hvk_ring_ctl *>(map + kRing);
		EXPECT_EQ(0, hvk_ring_init(&out_, h2g, map + kRing + HVK_RING_CTL_SIZE,
					   static_cast<u32>(kRing - HVK_RING_CTL_SIZE), false));
		EXPECT_EQ(0, hvk_ring_init(&in_, g2h, map + HVK_RING_CTL_SIZE,
					   static_cast<u32>(kRing - HVK_RING_CTL_SIZE), false));
	}
	// Send an IC payload (pipe header, IC header, body) and interrupt.
	void send(const std::vector<uint8_t> &payload, uint64_t xid)
	{
		hvk_pkt_desc d {};
		d.type = HVK_PKT_DATA_INBAND;
		d.offset8 = 2;
		d.len8 = static_cast<u16>((16 + payload.size() + 7) / 8);
		d.flags = HVK_PKT_FLAG_COMPLETION_REQUESTED;
		d.trans_id = xid;
		hvk_kvec v[2] = { { &d, sizeof(d) }, { payload.data(), static_cast<u32>(payload.size()) } };
		bool sig = false;
		ASSERT_EQ(0, hvk_ring_write(&out_, v, 2, &sig));
		int32_t one = 1;
		ASSERT_EQ(4, ::write(irq_, &one, sizeof(one)));
	}
	// Wait for the guest's signal and take one answer: its IC payload.
	std::vector<uint8_t> recv(uint64_t *xid = nullptr)
	{
		int32_t v = 0;
		std::vector<uint8_t> buf(kRing);
		uint32_t len = 0;
		while (hvk_ring_read(&in_, buf.data(), static_cast<u32>(buf.size()), &len) == -EAGAIN)
			EXPECT_EQ(4, ::read(irq_, &v, sizeof(v)));
		hvk_ring_commit(&in_);
		hvk_pkt_desc d;
		std::memcpy(&d, buf.data(), sizeof(d));
		if (xid)
			*xid = d.trans_id;
		return { buf.begin() + static_cast<std::ptrdiff_t>(d.offset8) * 8, buf.begin() + len };
	}

private:
	int irq_;
	hvk_ring out_ {}, in_ {};
};

std::vector<uint8_t> ic_msg(uint16_t type, const void *body, size_t n)
{
	std::vector<uint8_t> p(HVK_IC_HDRS + n);
	hvk_ic_hdr_init(p.data(), type, HVK_IC_FW_3_0, HVK_IC_FCOPY_1_1, 0,
			HVK_ICFLAG_TRANSACTION | HVK_ICFLAG_REQUEST, static_cast<u16>(n));
	std::memcpy(p.data() + HVK_IC_HDRS, body, n);
	return p;
}

uint32_t status_of(const std::vector<uint8_t> &answer)
{
	hvk_ic_hdr h;
	std::memcpy(&h, answer.data() + sizeof(hvk_ic_pipe_hdr), sizeof(h));
	EXPECT_EQ(HVK_ICFLAG_TRANSACTION | HVK_ICFLAG_RESPONSE, h.icflags);
	return h.status;
}

struct UioRig {
	UioRig()
	{
		mem.reset(::memfd_create("fcopy-rings", MFD_CLOEXEC));
		EXPECT_EQ(0, ::ftruncate(mem.get(), static_cast<off_t>(2 * kRing)));
		map = static_cast<uint8_t *>(::mmap(nullptr, 2 * kRing, PROT_READ | PROT_WRITE,
						    MAP_SHARED, mem.get(), 0));
		EXPECT_NE(MAP_FAILED, map);
		int sv[2];
		EXPECT_EQ(0, ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
		guest_irq.reset(sv[0]);
		host_irq.reset(sv[1]);
	}
	~UioRig() { ::munmap(map, 2 * kRing); }
	UioRig(const UioRig &) = delete;
	UioRig &operator=(const UioRig &) = delete;
	Fd mem, guest_irq, host_irq;
	uint8_t *map = nullptr;
};

} // namespace

TEST(FcopyUio, NegotiatesAndCopiesAFileFromASimulatedHost)
{
	const hvkit::test::TmpDir d("fcopyd-test");
	UioRig rig;
	FileCopy fc;
	Uio uio(rig.guest_irq.get(), rig.map, static_cast<uint32_t>(kRing), fc);
	std::string err;
	ASSERT_TRUE(uio.init(err)) << err;

	// 20000 bytes: four fragments, more than the 12 KiB ring holds at once.
	std::string content;
	for (int i = 0; i < 20000; i++)
		content.push_back(static_cast<char>('a' + i % 26));
	std::atomic<bool> stop { false };
	std::thread guest([&] {
		while (!stop && uio.serve() == Served::ok) {
		}
	});

	SimHost host(rig.map, rig.host_irq.get());
	// Negotiation: framework 3.0 and file copy 1.1 among others.
	std::vector<uint8_t> neg(256);
	static const u32 fw[] = { HVK_IC_VER(4, 0), HVK_IC_FW_3_0 };
	static const u32 srv[] = { HVK_IC_VER(2, 0), HVK_IC_FCOPY_1_1 };
	int n = hvk_ic_negotiate_request(neg.data(), static_cast<u32>(neg.size()), HVK_ICMSG_NEGOTIATE,
					 0, fw, 2, srv, 2);
	ASSERT_GT(n, 0);
	neg.resize(static_cast<size_t>(n));
	host.send(neg, 41);
	uint64_t xid = 0;
	auto a = host.recv(&xid);
	EXPECT_EQ(41u, xid);
	u32 fv = 0, sv = 0;
	ASSERT_EQ(0, hvk_ic_negotiate_response(a.data(), static_cast<u32>(a.size()), fw, 2, srv, 2,
					      &fv, &sv));
	EXPECT_EQ(HVK_IC_FW_3_0, fv);
	EXPECT_EQ(HVK_IC_FCOPY_1_1, sv);

	hvk_fcopy_start s;
	int which = 0;
	ASSERT_EQ(0, hvk_fcopy_start_init(&s, d.path.c_str(), static_cast<u32>(d.path.size()),
					  "copied.bin", 10, HVK_FCOPY_CREATE_PATH, content.size(),
					  &which));
	host.send(ic_msg(HVK_ICMSG_FCOPY, &s, sizeof(s)), 42);
	EXPECT_EQ(HVK_S_OK, status_of(host.recv()));
	const size_t frag = sizeof(hvk_fcopy_data::data);
	for (size_t off = 0; off < content.size(); off += frag) {
		hvk_fcopy_data m = data_msg(off, content.substr(off, frag));
		host.send(ic_msg(HVK_ICMSG_FCOPY, &m, sizeof(m)), 43 + off);
		EXPECT_EQ(HVK_S_OK, status_of(host.recv()));
	}
	EXPECT_FALSE(fs::exists(d.path + "/copied.bin"));
	auto c = hdr_msg(HVK_FCOPY_COMPLETE);
	host.send(ic_msg(HVK_ICMSG_FCOPY, &c, sizeof(c)), 99);
	EXPECT_EQ(HVK_S_OK, status_of(host.recv()));
	EXPECT_EQ(content, slurp(d.path + "/copied.bin"));

	// The same file again, without OVER_WRITE: the host hears so.
	host.send(ic_msg(HVK_ICMSG_FCOPY, &s, sizeof(s)), 100);
	EXPECT_EQ(HVK_ERROR_ALREADY_EXISTS, status_of(host.recv()));
	// A request the codec refuses (flags the protocol lacks): E_FAIL.
	s.copy_flags = 0x80;
	host.send(ic_msg(HVK_ICMSG_FCOPY, &s, sizeof(s)), 101);
	EXPECT_EQ(HVK_E_FAIL, status_of(host.recv()));
	// A truncated message (icmsgsize shorter than START): E_FAIL.
	s.copy_flags = HVK_FCOPY_OVER_WRITE;
	host.send(ic_msg(HVK_ICMSG_FCOPY, &s, 100), 102);
	EXPECT_EQ(HVK_E_FAIL, status_of(host.recv()));
	EXPECT_EQ(content, slurp(d.path + "/copied.bin"));

	stop = true;
	rig.host_irq.reset();	// the guest's read ends
	guest.join();
	EXPECT_TRUE(others(d.path, "copied.bin").empty());
}

TEST(FcopyUio, ACorruptRingStopsTheTransport)
{
	UioRig rig;
	FileCopy fc;
	Uio uio(rig.guest_irq.get(), rig.map, static_cast<uint32_t>(kRing), fc);
	std::string err;
	ASSERT_TRUE(uio.init(err)) << err;
	// The host's write index past the ring.
	auto *h2g = reinterpret_cast<hvk_ring_ctl *>(rig.map + kRing);
	h2g->write_index = static_cast<u32>(3 * kRing);
	EXPECT_EQ(Served::gone, uio.drain());
}

TEST(FcopyUio, ARingOfABadSizeIsRefused)
{
	UioRig rig;
	FileCopy fc;
	Uio uio(rig.guest_irq.get(), rig.map, 4096, fc);
	std::string err;
	EXPECT_FALSE(uio.init(err));
	EXPECT_FALSE(err.empty());
}
