// SPDX-License-Identifier: GPL-2.0
// hvctl kvp get|set|list|delete: the guest's KVP pool files, read and
// written with hypervkvpd's pool library (daemons/kvp/pool.h), so with
// the same locking and the same atomic replacement.
#include "hvctl.h"

#include "pool.h"

#include <charconv>
#include <cstdio>
#include <string>

namespace hvctl {

const char *const kKvpUsage = R"(
The guest's KVP pools (/var/lib/hyperv/.kvp_pool_N; writing needs root):
  kvp list [--pool N] [--json]   every key and value, of one pool or all five
  kvp get [--pool N] KEY         the value of KEY (exit 1: no such key)
  kvp set [--pool N] KEY VALUE   add or change KEY (key up to 511 bytes,
                                 value up to 2047)
  kvp delete [--pool N] KEY      remove KEY (exit 1: no such key)
                                 --pool: 0 external, 1 guest (the default),
                                 2 auto, 3 auto external, 4 auto internal;
                                 --dir DIR: pools in DIR (tests)
)";

namespace {

namespace kvp = hvkit::kvp;

struct KvpArgs {
	std::optional<int> pool;
	std::string dir = "/var/lib/hyperv";
	bool json = false;
	std::vector<std::string_view> words;
};

int parse(const std::vector<std::string_view> &args, KvpArgs &out)
{
	for (size_t i = 0; i < args.size(); i++) {
		std::string_view a = args[i];
		if (a == "--pool" && i + 1 < args.size()) {
			std::string_view v = args[++i];
			int n = -1;
			auto r = std::from_chars(v.data(), v.data() + v.size(), n);
			if (r.ec != std::errc() || r.ptr != v.data() + v.size() || n < 0 ||
			    n >= kvp::kPoolCount)
				return usage_error("--pool takes a pool number from 0 to 4, not '" +
						   std::string(v) + "'");
			out.pool = n;
		} else if (a == "--dir" && i + 1 < args.size()) {
			out.dir = args[++i];
		} else if (a == "--json") {
			out.json = true;
		} else if (a == "--") {
			out.words.insert(out.words.end(), args.begin() + static_cast<long>(i) + 1, args.end());
			break;
		} else if (a.starts_with("--")) {
			return usage_error("unknown kvp option '" + std::string(a) + "'");
		} else {
			out.words.push_back(a);
		}
	}
	return 0;
}

int words_error(const char *cmd, size_t want, size_t got)
{
	return usage_error(std::string("kvp ") + cmd + " takes " + std::to_string(want) +
			   " argument(s), not " + std::to_string(got));
}

} // namespace

int cmd_kvp(const std::vector<std::string_view> &args)
{
	if (args.empty())
		return usage_error("kvp needs a command: list, get, set or delete");
	std::string_view cmd = args[0];
	KvpArgs a;
	if (int rc = parse({args.begin() + 1, args.end()}, a))
		return rc;
	kvp::PoolDir dir(a.dir);
	int pool = a.pool.value_or(1);
	std::string err;

	if (cmd == "list") {
		if (!a.words.empty())
			return words_error("list", 0, a.words.size());
		int first = a.pool.value_or(0), last = a.pool.value_or(kvp::kPoolCount - 1);
		std::string out = a.json ? "[" : "";
		for (int p = first; p <= last; p++) {
			kvp::Parsed parsed;
			if (!dir.read(p, parsed, err))
				return fail(err);
			if (std::string odd = kvp::describe_oddities(parsed); !odd.empty())
				std::fprintf(stderr, "hvctl: pool %d: %s\n", p, odd.c_str());
			for (const kvp::Record &r : parsed.records) {
				if (a.json)
					out += std::string(out.size() > 1 ? "," : "") + "{\"pool\":" +
					       std::to_string(p) + ",\"key\":" + json_str(r.key) +
					       ",\"value\":" + json_str(r.value) + "}";
				else
					out += std::to_string(p) + " " + r.key + "=" + r.value + "\n";
			}
		}
		if (a.json)
			out += "]\n";
		std::fputs(out.c_str(), stdout);
		return 0;
	}
	if (cmd == "get") {
		if (a.words.size() != 1)
			return words_error("get", 1, a.words.size());
		kvp::Parsed parsed;
		if (!dir.read(pool, parsed, err))
			return fail(err);
		const kvp::Record *r = kvp::find(parsed.records, a.words[0]);
		if (!r)
			return fail("pool " + std::to_string(pool) + " has no key '" +
				    std::string(a.words[0]) + "'");
		std::printf("%s\n", r->value.c_str());
		return 0;
	}
	if (cmd == "set") {
		if (a.words.size() != 2)
			return words_error("set", 2, a.words.size());
		std::string_view key = a.words[0], value = a.words[1];
		if (key.empty() || key.size() >= kvp::kKeySize)
			return usage_error("a key takes 1 to 511 bytes, not " + std::to_string(key.size()));
		if (value.size() >= kvp::kValueSize)
			return usage_error("a value takes up to 2047 bytes, not " +
					   std::to_string(value.size()));
		if (!dir.ensure_dir(err) ||
		    !dir.update(pool, [&](std::vector<kvp::Record> &recs) {
			    return kvp::set(recs, key, value);
		    }, err))
			return fail(err);
		return 0;
	}
	if (cmd == "delete") {
		if (a.words.size() != 1)
			return words_error("delete", 1, a.words.size());
		bool found = false;
		if (!dir.update(pool, [&](std::vector<kvp::Record> &recs) {
			    found = kvp::erase_key(recs, a.words[0]);
			    return found;
		    }, err))
			return fail(err);
		if (!found)
			return fail("pool " + std::to_string(pool) + " has no key '" +
				    std::string(a.words[0]) + "'");
		return 0;
	}
	return usage_error("unknown kvp command '" + std::string(cmd) + "'");
}

} // namespace hvctl
