// SPDX-License-Identifier: GPL-2.0
// A KVP pool file as anything may have left it (daemons/kvp/pool.cpp):
// any bytes parse, and what is written back parses to the same records,
// so a rewrite loses nothing the parser kept.
#include "pool.h"

#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	using namespace hvkit::kvp;
	Parsed p = parse_pool({data, size});
	if (p.records.size() > size / kRecordSize + 1)
		abort();
	for (const Record &r : p.records)
		if (r.key.size() > kKeySize || r.value.size() > kValueSize)
			abort();
	std::string out = serialize_pool(p.records);
	if (out.size() != p.records.size() * kRecordSize)
		abort();
	Parsed again = parse_pool({reinterpret_cast<const uint8_t *>(out.data()), out.size()});
	if (again.records != p.records || again.trailing != 0)
		abort();
	(void)describe_oddities(p);
	return 0;
}
