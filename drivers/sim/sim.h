/* SPDX-License-Identifier: GPL-2.0 */
/* hvkit_sim: what its files share. */
#ifndef _HVK_SIM_H
#define _HVK_SIM_H

#include <linux/irq_work.h>
#include <linux/smp.h>
#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <hvkit/vmbus.h>

/* A message in flight, either direction. */
struct sim_msg {
	struct list_head node;
	u32 conn_id;		/* guest to host only */
	u32 len;
	u8 data[HVK_MESSAGE_PAYLOAD] __aligned(8);
};

struct sim {
	/* Guest to host: handled in order by the server's work. */
	spinlock_t in_lock;		/* protects in */
	struct list_head in;
	struct work_struct in_work;

	/*
	 * Host to guest: queued, then put into the guest's SynIC slot on
	 * msg_cpu by out_iw, one at a time, as Hyper-V does: the next only
	 * after the guest freed the slot (EOM when it was flagged pending).
	 * out_lock protects out and the slot writes.
	 */
	raw_spinlock_t out_lock;
	struct list_head out;
	struct irq_work out_iw;
	call_single_data_t out_csd;	/* raises out_iw on msg_cpu */
	unsigned int msg_cpu;

	/* Server state: written by the server work only. */
	u32 version;		/* agreed with the guest; 0: not connected */
	u32 msg_conn_id;	/* what the guest must post on after 5.0 */
};

extern struct sim sim;

void sim_server_work(struct work_struct *work);
int sim_send(const void *msg, u32 len);

#endif /* _HVK_SIM_H */
