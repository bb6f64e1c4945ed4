// SPDX-License-Identifier: GPL-2.0
/*
 * IC messages: parse, negotiate, build. Pure code over include/hvkit/ic.h,
 * compiled into hvkit_utils (the guest), hvkit_sim (the host, through
 * drivers/sim/ic_wire.c) and the host-side tests and fuzzers. Everything
 * read here may come from a hostile peer.
 */
#include <hvkit/ic.h>

#ifdef __KERNEL__
#include <linux/export.h>
#include <linux/module.h>
#endif

static void hvk_ic_put_ver(struct hvk_ic_version *v, u32 ver)
{
	struct hvk_ic_version tmp = { .major = HVK_IC_MAJOR(ver), .minor = HVK_IC_MINOR(ver) };

	memcpy(v, &tmp, sizeof(tmp));
}

static u32 hvk_ic_get_ver(const struct hvk_ic_version *v)
{
	struct hvk_ic_version tmp;

	memcpy(&tmp, v, sizeof(tmp));
	return HVK_IC_VER(tmp.major, tmp.minor);
}

/* The first of @ours (newest first) found among @n host versions at @theirs. */
static bool hvk_ic_pick(const struct hvk_ic_version *theirs, u32 n, const u32 *ours, u32 nours,
			u32 *picked)
{
	u32 i, j;

	for (i = 0; i < nours; i++)
		for (j = 0; j < n; j++)
			if (hvk_ic_get_ver(&theirs[j]) == ours[i]) {
				*picked = ours[i];
				return true;
			}
	return false;
}

int hvk_ic_negotiate(u8 *pkt, u32 len, const u32 *fw, u32 nfw, const u32 *srv, u32 nsrv,
		     u32 *fw_ver, u32 *srv_ver, u32 *resp_len)
{
	const u32 hdrs = HVK_IC_HDRS + sizeof(struct hvk_ic_negotiate);
	struct hvk_ic_hdr *h = (struct hvk_ic_hdr *)(pkt + sizeof(struct hvk_ic_pipe_hdr));
	struct hvk_ic_negotiate *n = (struct hvk_ic_negotiate *)(pkt + HVK_IC_HDRS);
	u32 nframe, nmsg, f = 0, s = 0;
	bool ok = false;
	int ret = -EBADMSG;

	*resp_len = 0;
	*fw_ver = 0;
	*srv_ver = 0;
	if (len < hdrs)
		return -EBADMSG;
	nframe = n->icframe_vercnt;
	nmsg = n->icmsg_vercnt;
	/* The response holds two versions, whatever the request held. */
	if (nframe <= HVK_IC_MAX_VERCNT && nmsg <= HVK_IC_MAX_VERCNT &&
	    hdrs + (nframe + nmsg) * sizeof(struct hvk_ic_version) <= len &&
	    len >= hdrs + 2 * sizeof(struct hvk_ic_version)) {
		ret = -ENOENT;
		ok = hvk_ic_pick(n->icversion_data, nframe, fw, nfw, &f) &&
		     hvk_ic_pick(n->icversion_data + nframe, nmsg, srv, nsrv, &s);
	} else if (len < hdrs + 2 * sizeof(struct hvk_ic_version)) {
		return -EBADMSG;	/* no room for an answer */
	}
	if (ok) {
		ret = 0;
		*fw_ver = f;
		*srv_ver = s;
	} else {
		f = 0;
		s = 0;
	}
	n->icframe_vercnt = ok;
	n->icmsg_vercnt = ok;
	hvk_ic_put_ver(&n->icversion_data[0], f);
	hvk_ic_put_ver(&n->icversion_data[1], s);
	/* upstream's 0x10: negotiate header and two versions */
	h->icmsgsize = sizeof(*n) + 2 * sizeof(struct hvk_ic_version);
	h->icflags = HVK_ICFLAG_TRANSACTION | HVK_ICFLAG_RESPONSE;
	h->status = ok ? HVK_S_OK : HVK_E_FAIL;
	*resp_len = hdrs + 2 * sizeof(struct hvk_ic_version);
	return ret;
}

void hvk_ic_hdr_init(u8 *pkt, u16 msgtype, u32 fw_ver, u32 srv_ver, u8 xid, u8 flags,
		     u16 body_len)
{
	struct hvk_ic_pipe_hdr p = { .flags = 0, .msgsize = sizeof(struct hvk_ic_hdr) + body_len };
	struct hvk_ic_hdr h = {
		.icmsgtype = msgtype,
		.icmsgsize = body_len,
		.status = HVK_S_OK,
		.ictransaction_id = xid,
		.icflags = flags,
	};

	hvk_ic_put_ver(&h.icverframe, fw_ver);
	hvk_ic_put_ver(&h.icvermsg, srv_ver);
	memcpy(pkt, &p, sizeof(p));
	memcpy(pkt + sizeof(p), &h, sizeof(h));
}

int hvk_ic_negotiate_request(u8 *pkt, u32 room, u16 msgtype, u8 xid, const u32 *fw, u32 nfw,
			     const u32 *srv, u32 nsrv)
{
	u32 body = sizeof(struct hvk_ic_negotiate) + (nfw + nsrv) * sizeof(struct hvk_ic_version);
	struct hvk_ic_negotiate n = { .icframe_vercnt = nfw, .icmsg_vercnt = nsrv };
	struct hvk_ic_version *v;
	u32 i;

	if (nfw > 0xffff || nsrv > 0xffff || body > 0xffff || HVK_IC_HDRS + body > room)
		return -ENOSPC;
	/* Upstream's framework/message version fields of a negotiate: 1.0 / 1.0. */
	hvk_ic_hdr_init(pkt, msgtype, HVK_IC_FW_1_0, HVK_IC_VER(1, 0), xid,
			HVK_ICFLAG_TRANSACTION | HVK_ICFLAG_REQUEST, body);
	memcpy(pkt + HVK_IC_HDRS, &n, sizeof(n));
	v = (struct hvk_ic_version *)(pkt + HVK_IC_HDRS + sizeof(n));
	for (i = 0; i < nfw; i++)
		hvk_ic_put_ver(v++, fw[i]);
	for (i = 0; i < nsrv; i++)
		hvk_ic_put_ver(v++, srv[i]);
	return HVK_IC_HDRS + body;
}

static bool hvk_ic_listed(u32 v, const u32 *list, u32 n)
{
	u32 i;

	for (i = 0; i < n; i++)
		if (list[i] == v)
			return true;
	return false;
}

int hvk_ic_negotiate_response(const u8 *pkt, u32 len, const u32 *fw, u32 nfw, const u32 *srv,
			      u32 nsrv, u32 *fw_ver, u32 *srv_ver)
{
	const char *why;
	struct hvk_ic_negotiate n;
	u32 body, f, s;

	if (!hvk_ic_parse(pkt, len, &body, &why) ||
	    body < sizeof(n) + 2 * sizeof(struct hvk_ic_version))
		return -EBADMSG;
	memcpy(&n, pkt + HVK_IC_HDRS, sizeof(n));
	if (n.icframe_vercnt == 0 && n.icmsg_vercnt == 0)
		return -ENOENT;
	if (n.icframe_vercnt != 1 || n.icmsg_vercnt != 1)
		return -EBADMSG;
	f = hvk_ic_get_ver((const void *)(pkt + HVK_IC_HDRS + sizeof(n)));
	s = hvk_ic_get_ver((const void *)(pkt + HVK_IC_HDRS + sizeof(n) +
					  sizeof(struct hvk_ic_version)));
	if (!hvk_ic_listed(f, fw, nfw) || !hvk_ic_listed(s, srv, nsrv))
		return -EBADMSG;
	*fw_ver = f;
	*srv_ver = s;
	return 0;
}

const struct hvk_ic_hdr *hvk_ic_parse(const u8 *pkt, u32 len, u32 *body_len, const char **why)
{
	const struct hvk_ic_hdr *h = (const void *)(pkt + sizeof(struct hvk_ic_pipe_hdr));
	u16 size;

	*body_len = 0;
	if (len < HVK_IC_HDRS) {
		*why = "shorter than the IC headers";
		return NULL;
	}
	memcpy(&size, &h->icmsgsize, sizeof(size));
	if (size > len - HVK_IC_HDRS) {
		*why = "icmsgsize runs past the packet";
		return NULL;
	}
	*body_len = size;
	return h;
}

/* One code point from UTF-16LE at @in[*i..]: -EILSEQ for a lone surrogate. */
static int hvk_utf16_next(const u8 *in, u32 units, u32 *i, u32 *cp)
{
	u32 u = in[2 * *i] | in[2 * *i + 1] << 8, lo;

	(*i)++;
	if (u < 0xd800 || u > 0xdfff) {
		*cp = u;
		return 0;
	}
	if (u > 0xdbff || *i >= units)
		return -EILSEQ;
	lo = in[2 * *i] | in[2 * *i + 1] << 8;
	if (lo < 0xdc00 || lo > 0xdfff)
		return -EILSEQ;
	(*i)++;
	*cp = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
	return 0;
}

int hvk_utf16_to_utf8(const u8 *in, u32 in_bytes, char *out, u32 room)
{
	u32 units = in_bytes / 2, i = 0, o = 0, cp, n;

	if (!room)
		return -ENOSPC;
	while (i < units) {
		if (!in[2 * i] && !in[2 * i + 1])
			break;
		if (hvk_utf16_next(in, units, &i, &cp))
			return -EILSEQ;
		n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
		if (o + n >= room)
			return -ENOSPC;
		if (n == 1) {
			out[o++] = cp;
		} else if (n == 2) {
			out[o++] = 0xc0 | cp >> 6;
			out[o++] = 0x80 | (cp & 0x3f);
		} else if (n == 3) {
			out[o++] = 0xe0 | cp >> 12;
			out[o++] = 0x80 | ((cp >> 6) & 0x3f);
			out[o++] = 0x80 | (cp & 0x3f);
		} else {
			out[o++] = 0xf0 | cp >> 18;
			out[o++] = 0x80 | ((cp >> 12) & 0x3f);
			out[o++] = 0x80 | ((cp >> 6) & 0x3f);
			out[o++] = 0x80 | (cp & 0x3f);
		}
	}
	out[o] = '\0';
	return o;
}

/* One code point from UTF-8: -EILSEQ for bad, overlong or surrogate forms. */
static int hvk_utf8_next(const u8 *in, u32 len, u32 *i, u32 *cp)
{
	static const u32 min[] = { 0, 0, 0x80, 0x800, 0x10000 };
	u32 c = in[(*i)++], n, k;

	if (c < 0x80) {
		*cp = c;
		return 0;
	}
	if ((c & 0xe0) == 0xc0)
		n = 2, c &= 0x1f;
	else if ((c & 0xf0) == 0xe0)
		n = 3, c &= 0x0f;
	else if ((c & 0xf8) == 0xf0)
		n = 4, c &= 0x07;
	else
		return -EILSEQ;
	if (*i + n - 1 > len)
		return -EILSEQ;
	for (k = 1; k < n; k++) {
		u32 b = in[(*i)++];

		if ((b & 0xc0) != 0x80)
			return -EILSEQ;
		c = c << 6 | (b & 0x3f);
	}
	if (c < min[n] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return -EILSEQ;
	*cp = c;
	return 0;
}

int hvk_utf8_to_utf16(const char *in, u32 in_len, u8 *out, u32 room)
{
	const u8 *s = (const u8 *)in;
	u32 i = 0, o = 0, cp;

	while (i < in_len && s[i]) {
		if (hvk_utf8_next(s, in_len, &i, &cp))
			return -EILSEQ;
		if (cp >= 0x10000) {
			u32 v = cp - 0x10000, hi = 0xd800 + (v >> 10), lo = 0xdc00 + (v & 0x3ff);

			if (o + 6 > room)
				return -ENOSPC;
			out[o++] = hi & 0xff;
			out[o++] = hi >> 8;
			out[o++] = lo & 0xff;
			out[o++] = lo >> 8;
		} else {
			if (o + 4 > room)
				return -ENOSPC;
			out[o++] = cp & 0xff;
			out[o++] = cp >> 8;
		}
	}
	if (o + 2 > room)
		return -ENOSPC;
	out[o++] = 0;
	out[o++] = 0;
	return o;
}

#if defined(__KERNEL__) && defined(HVK_IC_WIRE_EXPORT)
/* hvkit_utils exports these for hvkit_kunit's suite. */
EXPORT_SYMBOL_GPL(hvk_ic_negotiate);
EXPORT_SYMBOL_GPL(hvk_ic_negotiate_request);
EXPORT_SYMBOL_GPL(hvk_ic_negotiate_response);
EXPORT_SYMBOL_GPL(hvk_ic_parse);
EXPORT_SYMBOL_GPL(hvk_ic_hdr_init);
EXPORT_SYMBOL_GPL(hvk_utf16_to_utf8);
EXPORT_SYMBOL_GPL(hvk_utf8_to_utf16);
#endif
