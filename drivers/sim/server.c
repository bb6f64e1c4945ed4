// SPDX-License-Identifier: GPL-2.0
/*
 * The simulated host's VMBus server: the host side of the control
 * protocol, written from the wire facts independently of the guest core.
 */
#include <linux/module.h>
#include <linux/slab.h>
#include "sim.h"

static uint max_version = HVK_VMBUS_WIN10_V5_3;
module_param(max_version, uint, 0444);
MODULE_PARM_DESC(max_version, "highest VMBus version this host accepts (default 5.3, 0x50003)");

static uint min_version = HVK_VMBUS_WIN8;
module_param(min_version, uint, 0444);
MODULE_PARM_DESC(min_version, "lowest VMBus version this host accepts (default 2.4, 0x20004)");

/* What the host tells a 5.0+ guest to post later messages on. */
#define SIM_MSG_CONN_ID		0x10

static const u32 sim_known[] = {
	HVK_VMBUS_WIN8, HVK_VMBUS_WIN8_1, HVK_VMBUS_WIN10, HVK_VMBUS_WIN10_V4_1,
	HVK_VMBUS_WIN10_V5, HVK_VMBUS_WIN10_V5_1, HVK_VMBUS_WIN10_V5_2,
	HVK_VMBUS_WIN10_V5_3,
};

static bool sim_accepts(u32 v)
{
	unsigned int i;

	if (v < min_version || v > max_version)
		return false;
	for (i = 0; i < ARRAY_SIZE(sim_known); i++)
		if (sim_known[i] == v)
			return true;
	return false;
}

static void sim_send_hdr(u32 type)
{
	struct hvk_chanmsg_hdr h = { .msgtype = type };

	sim_send(&h, sizeof(h));
}

static void sim_initiate_contact(u32 conn_id, const struct hvk_msg_initiate_contact *m)
{
	struct hvk_msg_version_response r = {};
	u32 v = m->version_requested;
	u32 want_conn = v >= HVK_VMBUS_WIN10_V5 ? HVK_CONN_ID_MESSAGE_4 : HVK_CONN_ID_MESSAGE;

	r.hdr.msgtype = HVK_CHANMSG_VERSION_RESPONSE;
	if (conn_id != want_conn) {
		pr_err_ratelimited("hvkit_sim: INITIATE_CONTACT for %#x on connection %u, not %u: refused\n",
				   v, conn_id, want_conn);
	} else if (v >= HVK_VMBUS_WIN10_V5 && m->msg_sint != HVK_VMBUS_SINT) {
		pr_err_ratelimited("hvkit_sim: INITIATE_CONTACT asks for SINT %u, not %u: refused\n",
				   m->msg_sint, HVK_VMBUS_SINT);
	} else if (sim_accepts(v)) {
		r.version_supported = 1;
		sim.version = v;
		sim.msg_conn_id = v >= HVK_VMBUS_WIN10_V5 ? SIM_MSG_CONN_ID : HVK_CONN_ID_MESSAGE;
		r.msg_conn_id = sim.msg_conn_id;
	}
	sim_send(&r, sizeof(r));
}

static void sim_handle(const struct sim_msg *m)
{
	const struct hvk_chanmsg_hdr *h = (const void *)m->data;

	if (h->msgtype == HVK_CHANMSG_INITIATE_CONTACT) {
		if (m->len < sizeof(struct hvk_msg_initiate_contact))
			pr_err_ratelimited("hvkit_sim: short INITIATE_CONTACT (%u bytes)\n", m->len);
		else
			sim_initiate_contact(m->conn_id, (const void *)m->data);
		return;
	}
	if (!sim.version) {
		pr_err_ratelimited("hvkit_sim: message type %u before a version was agreed, dropped\n",
				   h->msgtype);
		return;
	}
	if (m->conn_id != sim.msg_conn_id) {
		pr_err_ratelimited("hvkit_sim: message type %u on connection %u, not %u, dropped\n",
				   h->msgtype, m->conn_id, sim.msg_conn_id);
		return;
	}
	switch (h->msgtype) {
	case HVK_CHANMSG_REQUESTOFFERS:
		/* No device backends yet: the offer list is empty. */
		sim_send_hdr(HVK_CHANMSG_ALLOFFERS_DELIVERED);
		break;
	case HVK_CHANMSG_UNLOAD:
		sim.version = 0;
		sim_send_hdr(HVK_CHANMSG_UNLOAD_RESPONSE);
		break;
	default:
		pr_warn_ratelimited("hvkit_sim: message type %u is not served yet, dropped\n",
				    h->msgtype);
		break;
	}
}

void sim_server_work(struct work_struct *work)
{
	struct sim_msg *m;

	for (;;) {
		spin_lock_irq(&sim.in_lock);
		m = list_first_entry_or_null(&sim.in, struct sim_msg, node);
		if (m)
			list_del(&m->node);
		spin_unlock_irq(&sim.in_lock);
		if (!m)
			return;
		sim_handle(m);
		kfree(m);
	}
}
