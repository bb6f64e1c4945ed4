// SPDX-License-Identifier: GPL-2.0
/*
 * File copy messages: the checks the guest makes on what the host sends,
 * and the conversion into the daemon's ABI (include/hvkit/ic_fcopy.h).
 * Compiled into hvkit_utils, hvkit_sim (drivers/sim/fcopy_wire.c) and the
 * host-side tests and fuzzer. Everything read here may come from a
 * hostile host.
 */
#include <hvkit/ic.h>
#include <hvkit/ic_fcopy.h>

#ifdef __KERNEL__
#include <linux/export.h>
#include <linux/module.h>
#endif

#define HVK_S64_MAX	((u64)~0ULL >> 1)
/* The names' places in struct hvk_fcopy_start (u16 arrays, not aligned). */
#define FNAME		offsetof(struct hvk_fcopy_start, file_name)
#define PNAME		offsetof(struct hvk_fcopy_start, path_name)

const char *hvk_fcopy_op_name(u32 op)
{
	switch (op) {
	case HVK_FCOPY_START_FILE_COPY:
		return "START_FILE_COPY";
	case HVK_FCOPY_WRITE_TO_FILE:
		return "WRITE_TO_FILE";
	case HVK_FCOPY_COMPLETE:
		return "COMPLETE_FCOPY";
	case HVK_FCOPY_CANCEL:
		return "CANCEL_FCOPY";
	}
	return "unknown";
}

/*
 * One name of START_FILE_COPY: @in is HVK_W_MAX_PATH UTF-16LE units that
 * must hold a NUL; @out (HVK_W_MAX_PATH bytes, zeroed) gets it in UTF-8.
 */
static int hvk_fcopy_name(const u8 *in, u8 *out, bool file, const char **why)
{
	u32 units = 0;
	int ret;

	while (units < HVK_W_MAX_PATH && (in[2 * units] || in[2 * units + 1]))
		units++;
	if (units == HVK_W_MAX_PATH) {
		*why = file ? "the file name is not terminated within its 260 UTF-16 units" :
			      "the path is not terminated within its 260 UTF-16 units";
		return -EBADMSG;
	}
	if (file && !units) {
		*why = "the file name is empty";
		return -EBADMSG;
	}
	ret = hvk_utf16_to_utf8(in, 2 * units, (char *)out, HVK_FCOPY_UTF8_MAX + 1);
	if (ret == -EILSEQ) {
		*why = file ? "the file name is not valid UTF-16" : "the path is not valid UTF-16";
		return -EBADMSG;
	}
	if (ret < 0) {
		*why = file ? "the file name is longer than 259 bytes of UTF-8" :
			      "the path is longer than 259 bytes of UTF-8";
		return -EBADMSG;
	}
	return 0;
}

static int hvk_fcopy_start(const u8 *body, u32 len, struct hvk_fcopy_start *out,
			   const char **why)
{
	const struct hvk_fcopy_start *in = (const void *)body;
	u32 flags;
	int ret;

	if (len < sizeof(*in)) {
		*why = "START_FILE_COPY is shorter than its struct";
		return -EBADMSG;
	}
	memcpy(&flags, &in->copy_flags, sizeof(flags));
	if (flags & ~HVK_FCOPY_FLAGS) {
		*why = "START_FILE_COPY has copy flags the protocol does not define";
		return -EBADMSG;
	}
	memset(out, 0, sizeof(*out));
	memcpy(&out->hdr, &in->hdr, sizeof(out->hdr));
	ret = hvk_fcopy_name(body + FNAME, (u8 *)out + FNAME, true, why);
	if (!ret)
		ret = hvk_fcopy_name(body + PNAME, (u8 *)out + PNAME, false, why);
	if (ret)
		return ret;
	out->copy_flags = flags;
	memcpy(&out->file_size, &in->file_size, sizeof(out->file_size));
	return sizeof(*out);
}

static int hvk_fcopy_write(const u8 *body, u32 len, struct hvk_fcopy_data *out,
			   const char **why)
{
	const struct hvk_fcopy_data *in = (const void *)body;
	u64 offset;
	u32 size;

	if (len < HVK_FCOPY_DATA_HDR) {
		*why = "WRITE_TO_FILE is shorter than its header";
		return -EBADMSG;
	}
	memcpy(&offset, &in->offset, sizeof(offset));
	memcpy(&size, &in->size, sizeof(size));
	if (size > HVK_FCOPY_DATA_FRAGMENT) {
		*why = "WRITE_TO_FILE's size is past the 6 KiB fragment";
		return -EBADMSG;
	}
	if (size > len - HVK_FCOPY_DATA_HDR) {
		*why = "WRITE_TO_FILE's size is past the end of the message";
		return -EBADMSG;
	}
	if (offset > HVK_S64_MAX - size) {
		*why = "WRITE_TO_FILE's offset is past the largest file offset";
		return -EBADMSG;
	}
	memset(out, 0, sizeof(*out));
	memcpy(&out->hdr, &in->hdr, sizeof(out->hdr));
	out->offset = offset;
	out->size = size;
	memcpy(out->data, in->data, size);
	return sizeof(*out);
}

int hvk_fcopy_to_daemon(const u8 *body, u32 len, union hvk_fcopy_daemon_msg *out,
			const char **why)
{
	u32 op;

	if (len < sizeof(struct hvk_fcopy_hdr)) {
		*why = "shorter than the file copy header";
		return -EBADMSG;
	}
	memcpy(&op, body, sizeof(op));
	switch (op) {
	case HVK_FCOPY_START_FILE_COPY:
		return hvk_fcopy_start(body, len, &out->start, why);
	case HVK_FCOPY_WRITE_TO_FILE:
		return hvk_fcopy_write(body, len, &out->data, why);
	case HVK_FCOPY_COMPLETE:
	case HVK_FCOPY_CANCEL:
		memcpy(&out->hdr, body, sizeof(out->hdr));
		return sizeof(out->hdr);
	}
	*why = "an operation the file copy protocol does not define";
	return -EBADMSG;
}

int hvk_fcopy_start_init(struct hvk_fcopy_start *m, const char *path_name, u32 path_len,
			 const char *file_name, u32 name_len, u32 copy_flags, u64 file_size,
			 int *which)
{
	int ret;

	memset(m, 0, sizeof(*m));
	m->hdr.operation = HVK_FCOPY_START_FILE_COPY;
	*which = 0;
	ret = hvk_utf8_to_utf16(path_name, path_len, (u8 *)m + PNAME, sizeof(m->path_name));
	if (ret < 0)
		return ret;
	*which = 1;
	ret = hvk_utf8_to_utf16(file_name, name_len, (u8 *)m + FNAME, sizeof(m->file_name));
	if (ret < 0)
		return ret;
	m->copy_flags = copy_flags;
	m->file_size = file_size;
	return 0;
}

#if defined(__KERNEL__) && defined(HVK_IC_WIRE_EXPORT)
EXPORT_SYMBOL_GPL(hvk_fcopy_to_daemon);
EXPORT_SYMBOL_GPL(hvk_fcopy_op_name);
EXPORT_SYMBOL_GPL(hvk_fcopy_start_init);
#endif
