// SPDX-License-Identifier: GPL-2.0
// A file copy request as a hostile host may send it, checked by the guest
// (hvk_fcopy_to_daemon()) in a buffer of exactly its size: the checker
// must read nothing past it, and what it accepts must be safe to hand
// upstream's daemon: names NUL-terminated within the daemon's fields,
// valid UTF-8 of at most 259 bytes, known flags, a WRITE whose data lies
// in the message and the fragment and whose offset fits an off_t.
extern "C" {
#include <hvkit/ic.h>
#include <hvkit/ic_fcopy.h>
}
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

void check_name(const uint8_t *field, bool file)
{
	const char *s = reinterpret_cast<const char *>(field);
	size_t n = strnlen(s, HVK_W_MAX_PATH);
	if (n > HVK_FCOPY_UTF8_MAX || (file && !n))
		abort();
	for (size_t i = n; i < HVK_W_MAX_PATH; i++)
		if (field[i])
			abort();
	// Valid UTF-8: it converts back to UTF-16.
	uint8_t back[2 * HVK_W_MAX_PATH + 2];
	if (hvk_utf8_to_utf16(s, static_cast<u32>(n), back, sizeof(back)) < 0)
		abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *in, size_t n)
{
	if (n > 8192)
		return 0;
	std::vector<uint8_t> body(in, in + n);
	hvk_fcopy_daemon_msg out;
	const char *why = nullptr;
	int len = hvk_fcopy_to_daemon(body.data(), static_cast<u32>(n), &out, &why);
	if (len < 0) {
		if (len != -EBADMSG || !why)
			abort();
		return 0;
	}
	uint32_t op;
	std::memcpy(&op, body.data(), 4);
	const auto *o = reinterpret_cast<const uint8_t *>(&out);
	switch (op) {
	case HVK_FCOPY_START_FILE_COPY:
		if (len != sizeof(hvk_fcopy_start) || n < sizeof(hvk_fcopy_start) ||
		    (out.start.copy_flags & ~HVK_FCOPY_FLAGS))
			abort();
		check_name(o + offsetof(hvk_fcopy_start, file_name), true);
		check_name(o + offsetof(hvk_fcopy_start, path_name), false);
		break;
	case HVK_FCOPY_WRITE_TO_FILE: {
		uint32_t size = out.data.size;
		uint64_t offset = out.data.offset;
		if (len != sizeof(hvk_fcopy_data) || size > HVK_FCOPY_DATA_FRAGMENT ||
		    size > n - HVK_FCOPY_DATA_HDR || offset > static_cast<uint64_t>(INT64_MAX) - size ||
		    std::memcmp(out.data.data, body.data() + HVK_FCOPY_DATA_HDR, size))
			abort();
		break;
	}
	case HVK_FCOPY_COMPLETE:
	case HVK_FCOPY_CANCEL:
		if (len != sizeof(hvk_fcopy_hdr))
			abort();
		break;
	default:
		abort();
	}
	return 0;
}
