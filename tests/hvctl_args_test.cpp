// SPDX-License-Identifier: GPL-2.0
// hvctl's "sim ..." command lines, run as a user runs them: a word the
// command does not know, or --instance without its GUID, is bad usage
// (exit 2, one sentence naming the command); a whole command line gets
// past the parsing (to the simulated host, absent here: exit 1).
#include "tmpdir.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <sys/wait.h>

namespace {

struct CmdResult {
	int status;
	std::string out, err;
};

std::string slurp(const std::string &p)
{
	std::ifstream f(p);
	std::stringstream s;
	s << f.rdbuf();
	return s.str();
}

// Runs hvctl with @args (no quotes in them); its exit status, stdout and stderr.
CmdResult hvctl(const std::vector<std::string> &args)
{
	const hvkit::test::TmpDir tmp("hvkit-hvctl");
	std::string cmd = HVKIT_HVCTL;
	for (const std::string &a : args)
		cmd += " '" + a + "'";
	cmd += " >" + tmp.path + "/out 2>" + tmp.path + "/err";
	int st = std::system(cmd.c_str());
	return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, slurp(tmp.path + "/out"), slurp(tmp.path + "/err")};
}

std::vector<std::string> words(const std::string &s)
{
	std::vector<std::string> v;
	std::istringstream in(s);
	for (std::string w; in >> w;)
		v.push_back(w);
	return v;
}

constexpr const char *kGuid = "f8615163-df3e-46c5-913f-f2d2f965ed0e";

// The commands under test: how each is invoked up to its options, and the
// name its messages carry.
struct Sub {
	const char *cmd, *what;
};
const std::vector<Sub> kSubs = {
	{"sim heartbeat", "sim heartbeat"},
	{"sim vss freeze", "sim vss"},
	{"sim scsi add-lun 1", "sim scsi add-lun"},
	{"sim shutdown poweroff", "sim shutdown"},
	{"sim nic link up", "sim nic link"},
};

} // namespace

// An unknown option, and --instance without its GUID, after each command.
TEST(HvctlSimArgs, AnUnknownOptionOrAMissingGuidIsBadUsageNamingTheCommand)
{
	const std::vector<std::pair<std::string, std::string>> bad = {
		{"--bogus", "unknown option '--bogus'"},
		{"--instance", "--instance needs a device GUID"},
	};
	for (const auto &s : kSubs) {
		for (const auto &[arg, says] : bad) {
			auto args = words(s.cmd);
			args.push_back(arg);
			CmdResult r = hvctl(args);
			EXPECT_EQ(r.status, 2) << s.cmd << " " << arg;
			EXPECT_EQ(r.err, std::string("hvctl: ") + s.what + ": " + says + " (see 'hvctl --help')\n");
			EXPECT_EQ(r.out, "");
		}
	}
}

TEST(HvctlSimArgs, AStrayWordIsBadUsageAndABadGuidIsNamed)
{
	CmdResult r = hvctl({"sim", "heartbeat", "now"});
	EXPECT_EQ(r.status, 2);
	EXPECT_EQ(r.err, "hvctl: sim heartbeat: unexpected argument 'now' (see 'hvctl --help')\n");
	r = hvctl({"sim", "nic", "link", "up", "down"});
	EXPECT_EQ(r.status, 2);
	EXPECT_EQ(r.err, "hvctl: sim nic link: unexpected argument 'down' (see 'hvctl --help')\n");
	r = hvctl({"sim", "vss", "freeze", "--instance", "not-a-guid"});
	EXPECT_EQ(r.status, 2);
	EXPECT_NE(r.err.find("'not-a-guid' is not a GUID"), std::string::npos) << r.err;
}

TEST(HvctlSimArgs, AnOptionsValueIsCheckedWithTheCommandsName)
{
	CmdResult r = hvctl({"sim", "vss", "freeze", "--timeout-ms", "0"});
	EXPECT_EQ(r.status, 2);
	EXPECT_EQ(r.err, "hvctl: sim vss: --timeout-ms takes a number of milliseconds above 0 (see 'hvctl --help')\n");
	r = hvctl({"sim", "shutdown", "poweroff", "--timeout-ms"});
	EXPECT_EQ(r.status, 2);
	EXPECT_EQ(r.err, "hvctl: sim shutdown: --timeout-ms takes a number of milliseconds above 0 (see 'hvctl --help')\n");
	r = hvctl({"sim", "scsi", "add-lun", "1", "--size"});
	EXPECT_EQ(r.status, 2);
	EXPECT_EQ(r.err, "hvctl: sim scsi add-lun: --size takes a number of bytes, with K, M or G after it for "
			 "KiB, MiB or GiB (see 'hvctl --help')\n");
}

// --instance GUID and each option's value are taken, wherever they stand:
// the command gets past its arguments to the simulated host, which is not
// loaded on the machine that runs these tests (exit 1, not 2).
TEST(HvctlSimArgs, AWholeCommandLineGetsPastTheParsing)
{
	const std::vector<std::vector<std::string>> ok = {
		{"sim", "heartbeat", "--instance", kGuid, "--json"},
		{"sim", "vss", "--instance", kGuid, "freeze", "--flags", "3", "--timeout-ms", "500"},
		{"sim", "scsi", "add-lun", "--instance", kGuid, "2", "--size", "8M", "--read-only"},
		{"sim", "shutdown", "restart", "--reason", "--instance", "--instance", kGuid},
		{"sim", "nic", "link", "--instance", kGuid, "down"},
		{"sim", "kvp", "get", "--pool", "1", "--instance", kGuid, "Key"},
	};
	for (const auto &args : ok) {
		CmdResult r = hvctl(args);
		EXPECT_EQ(r.status, 1) << args[1] << ": " << r.err;
		EXPECT_EQ(r.err.find("see 'hvctl --help'"), std::string::npos) << r.err;
	}
}
