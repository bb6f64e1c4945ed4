/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The echo device: hvkit_sim's test device type and the hvkit_echo guest
 * driver speak this over an ordinary VMBus channel. Every in-band packet
 * starts with a u32 op.
 */
#ifndef _HVKIT_ECHO_H
#define _HVKIT_ECHO_H

#include "port.h"

/* Class GUID 3a4b8f52-7c1e-4f0b-9d63-6b1e0c2f8a71, in wire byte order. */
#define HVK_ECHO_CLASS_BYTES \
	0x52, 0x8f, 0x4b, 0x3a, 0x1e, 0x7c, 0x0b, 0x4f, \
	0x9d, 0x63, 0x6b, 0x1e, 0x0c, 0x2f, 0x8a, 0x71

enum hvk_echo_op {
	HVK_ECHO_DATA = 1,		/* the host returns the packet as it is */
	HVK_ECHO_GPADL_CHECK = 2,	/* the host checks a GPADL's bytes */
	HVK_ECHO_SUBCHANNELS = 3,	/* the host offers sub-channels */
	HVK_ECHO_GPA = 4,		/* the host reads or writes page buffers */
	HVK_ECHO_FLUSH = 5,		/* the guest shuts down: the host notes it and answers */
};

struct hvk_echo_hdr {
	u32 op;
	u32 reserved;
};

/*
 * The host reads @size bytes of GPADL @handle through its own mapping of
 * the guest's pages and checks byte i == (u8)(seed + i * 7 + (i >> 12)).
 */
struct hvk_echo_gpadl_check {
	struct hvk_echo_hdr hdr;
	u32 handle;
	u32 size;
	u32 seed;
	u32 status;		/* reply: 0 ok, 1 wrong bytes, 2 no such GPADL */
};

/* Asks for up to @count sub-channels; the reply says how many will come. */
struct hvk_echo_subchannels {
	struct hvk_echo_hdr hdr;
	u32 count;
	u32 reserved;
};

/*
 * Sent in a GPA-direct packet, after its ranges: the host reads every byte
 * the ranges describe (@write 0) and checks byte i, counted across the
 * ranges in order, against hvk_echo_pattern(@seed, i), or writes that
 * pattern there (@write 1). It answers with a completion packet that
 * carries this back with @status and @bytes filled in.
 */
struct hvk_echo_gpa {
	struct hvk_echo_hdr hdr;
	u32 seed;
	u32 write;
	u32 status;		/* reply: enum hvk_echo_gpa_status */
	u32 bytes;		/* reply: bytes the ranges describe */
};

enum hvk_echo_gpa_status {
	HVK_ECHO_GPA_OK = 0,
	HVK_ECHO_GPA_MISMATCH = 1,	/* a byte read differs from the pattern */
	HVK_ECHO_GPA_NOT_RAM = 2,	/* a page number that is not guest RAM */
	HVK_ECHO_GPA_BAD_RANGES = 3,	/* the ranges fail hvk_gpa_desc_check() */
};

static inline u8 hvk_echo_pattern(u32 seed, u32 i)
{
	return (u8)(seed + i * 7 + (i >> 12));
}

#endif /* _HVKIT_ECHO_H */
