// SPDX-License-Identifier: GPL-2.0
// What hypervkvpd reads from /dev/vmbus/hv_kvp, as a broken or hostile
// kernel side may write it (daemons/kvp/handler.cpp): any message, of any
// size, over a socketpair standing in for the device. A message of the
// wrong size gets no answer and a reset; a whole one gets exactly one
// whole answer. Pools live in a temporary directory, removed when the
// fuzzer exits (../tmpdir.h).
//
// Input: one byte, then the message. Bit 0 of the byte set: the message
// is made exactly one struct hvk_kvp_msg long (zero-padded or cut), with
// bit 1 choosing the operation from the six (with the pool below 5) and
// bit 2 starting a handshake first; clear: sent as it is, of any size.
#include "handler.h"
#include "ipconfig.h"
#include "../tmpdir.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include <sys/socket.h>
#include <unistd.h>

namespace {

using namespace hvkit::kvp;

struct World {
	int kernel = -1, daemon = -1;
	const hvkit::test::TmpDir dir{"hvkit-kvp-fuzz"};
	std::unique_ptr<Handler> h;
	World()
	{
		int sv[2];
		if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
			abort();
		kernel = sv[0];
		daemon = sv[1];
		Env env{PoolDir(dir.path), SystemInfo{"vm", "6.12.0-1", "Linux", "12", "", "6.12.0", "x86_64"},
			[](NetState &n, std::string &) {
				n.links = {{2, "eth0", "00:15:5D:01:02:03", false}};
				n.addrs = {{2, AF_INET, "10.0.0.4", 24, true}, {2, AF_INET6, "fe80::1", 64, false}};
				n.default_routes = {{2, AF_INET, "10.0.0.1"}};
				return true;
			},
			[] { return std::vector<std::string>{"10.0.0.53"}; },
			[](const hvk_kvp_ipaddr_value &v, std::string &why) {
				IpConfig c;
				return parse_ip_config(v, c, why) ? HVK_S_OK : HVK_E_FAIL;
			}};
		h = std::make_unique<Handler>(std::move(env));
	}
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static World w;
	if (size < 1 || size > 16384)
		return 0;
	uint8_t mode = data[0];
	std::vector<uint8_t> msg(data + 1, data + size);
	if (mode & 1) {
		msg.resize(sizeof(hvk_kvp_msg));
		if (mode & 2) {
			msg[0] %= HVK_KVP_OP_COUNT;
			msg[1] %= HVK_KVP_POOL_COUNT;
		}
		if (mode & 4)
			w.h->start_handshake();
	}
	size = msg.size();
	if (::send(w.kernel, msg.data(), size, 0) != static_cast<ssize_t>(size))
		abort();
	Step s = serve_one(w.daemon, *w.h);
	char buf[sizeof(hvk_kvp_msg) + 64];
	ssize_t n = ::recv(w.kernel, buf, sizeof(buf), MSG_DONTWAIT);
	if (size != sizeof(hvk_kvp_msg)) {
		if (s != Step::Reset || n >= 0)
			abort();
	} else if (n >= 0 && n != static_cast<ssize_t>(sizeof(hvk_kvp_msg))) {
		abort();
	}
	return 0;
}
