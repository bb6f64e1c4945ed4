// SPDX-License-Identifier: GPL-2.0
// hypervfcopyd's parsing of what the host sends, both ways it arrives:
//  - byte 0 even: the rest is a series of char-device messages (each a
//    2-byte length and its bytes), run by handle_message();
//  - byte 0 odd: the rest is a series of VMBus packet payloads the host
//    writes into the uio transport's ring (each a 2-byte length and its
//    bytes), answered by Uio::drain() through the shared ring and IC code.
// Files land in a sandbox directory (/tmp/fcopyd-fuzz.*), emptied after
// each input and removed when the fuzzer exits (../tmpdir.h). Whatever
// comes in, no temp file outlives a cancel and every status is one the
// host knows.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fcopy_file.h"
#include "fcopy_service.h"
#include "../tmpdir.h"

extern "C" {
#include <hvkit/ic.h>
#include <hvkit/ring.h>
}

namespace {

const std::string &sandbox()
{
	static const hvkit::test::TmpDir dir("fcopyd-fuzz");
	return dir.path;
}

bool known(uint32_t s)
{
	return s == HVK_S_OK || s == HVK_E_FAIL || s == HVK_ERROR_ALREADY_EXISTS ||
	       s == HVK_ERROR_DISK_FULL || s == hvkit::fcopy::E_ACCESSDENIED;
}

template <typename F> void chunks(const uint8_t *p, size_t n, F fn)
{
	while (n >= 2) {
		size_t len = p[0] | static_cast<size_t>(p[1]) << 8;
		p += 2;
		n -= 2;
		len = std::min(len, n);
		fn(p, len);
		p += len;
		n -= len;
	}
}

void chardev(const uint8_t *p, size_t n)
{
	hvkit::fcopy::FileCopy fc(sandbox());
	chunks(p, n, [&](const uint8_t *m, size_t len) {
		// The device hands over a copy of exactly the message.
		std::vector<uint8_t> copy(m, m + len);
		std::string why;
		if (!known(hvkit::fcopy::handle_message(fc, copy, why)))
			std::abort();
	});
	fc.cancel();
}

void uio(const uint8_t *p, size_t n)
{
	constexpr size_t ring = 4 * 4096;
	static uint8_t *map = [] {
		void *m = ::mmap(nullptr, 2 * ring, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED)
			std::abort();
		return static_cast<uint8_t *>(m);
	}();
	std::memset(map, 0, 2 * ring);
	int sv[2];
	if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		std::abort();
	hvkit::daemon::Fd guest(sv[0]), host(sv[1]);
	hvkit::fcopy::FileCopy fc(sandbox());
	hvkit::fcopy::Uio u(guest.get(), map, ring, fc);
	std::string err;
	if (!u.init(err))
		std::abort();
	hvk_ring out {}, in {};
	hvk_ring_init(&out, reinterpret_cast<hvk_ring_ctl *>(map + ring),
		      map + ring + HVK_RING_CTL_SIZE, ring - HVK_RING_CTL_SIZE, false);
	hvk_ring_init(&in, reinterpret_cast<hvk_ring_ctl *>(map), map + HVK_RING_CTL_SIZE,
		      ring - HVK_RING_CTL_SIZE, false);
	std::vector<uint8_t> buf(ring);
	chunks(p, n, [&](const uint8_t *m, size_t len) {
		hvk_pkt_desc d {};
		d.type = HVK_PKT_DATA_INBAND;
		d.offset8 = 2;
		d.len8 = static_cast<u16>((16 + len + 7) / 8);
		hvk_kvec v[2] = { { &d, sizeof(d) }, { m, static_cast<u32>(len) } };
		bool sig = false;
		if (hvk_ring_write(&out, v, 2, &sig))
			return;
		if (u.drain() != hvkit::fcopy::Served::ok)
			return;
		// Take the answers, so the ring to the host never fills.
		uint32_t got = 0;
		while (hvk_ring_read(&in, buf.data(), static_cast<u32>(buf.size()), &got) == 0) {
		}
		hvk_ring_commit(&in);
		// And the guest's signals, so its writes never block.
		while (::recv(host.get(), buf.data(), buf.size(), MSG_DONTWAIT) > 0) {
		}
	});
	fc.cancel();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	if (data[0] & 1)
		uio(data + 1, size - 1);
	else
		chardev(data + 1, size - 1);
	std::error_code ec;
	for (const auto &e : std::filesystem::directory_iterator(sandbox(), ec))
		std::filesystem::remove_all(e.path(), ec);
	return 0;
}
