// SPDX-License-Identifier: GPL-2.0
/*
 * Heartbeat: the host sends a sequence number now and then; the guest
 * answers with the number plus one, which tells the host it is alive.
 */
#include "util.h"

static const u32 hb_fw[] = { HVK_IC_FW_3_0, HVK_IC_FW_1_0 };
static const u32 hb_srv[] = { HVK_IC_HB_3_0, HVK_IC_HB_1_0 };

static enum hvk_ic_verdict hb_request(struct hvk_ic *ic, struct hvk_ic_hdr *h, u8 *body, u32 len)
{
	u64 seq;

	/* The reserved words need not be there (upstream checks the u64 only). */
	if (len < sizeof(seq)) {
		atomic_long_inc(&ic->bad);
		ic_err(ic, "heartbeat of %u bytes, too short for its sequence number\n", len);
		h->status = HVK_E_FAIL;
		return HVK_IC_ANSWER;
	}
	memcpy(&seq, body, sizeof(seq));
	seq++;
	memcpy(body, &seq, sizeof(seq));
	h->status = HVK_S_OK;
	return HVK_IC_ANSWER;
}

const struct hvk_ic_service hvk_ic_heartbeat = {
	.name = "heartbeat",
	.msgtype = HVK_ICMSG_HEARTBEAT,
	.fw_versions = hb_fw,
	.nfw = ARRAY_SIZE(hb_fw),
	.srv_versions = hb_srv,
	.nsrv = ARRAY_SIZE(hb_srv),
	.request = hb_request,
};
