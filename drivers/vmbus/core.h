/* SPDX-License-Identifier: GPL-2.0 */
/* Private to the hvkit_vmbus module: what its files share. */
#ifndef _HVK_CORE_H
#define _HVK_CORE_H

#include <linux/completion.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <hvk_compat.h>
#include "hvk_vmbus.h"
#include "transport.h"

/* The connection to the host (connection.c). */
struct hvk_conn {
	/*
	 * lock serialises attach, detach and the requests made under them.
	 * ops is written under it and read with READ_ONCE anywhere.
	 */
	struct mutex lock;
	const struct hvk_transport_ops *ops;
	struct device *parent;
	u32 version;		/* negotiated; 0 when not connected */
	u32 msg_conn_id;	/* connection id for our messages */
	struct workqueue_struct *msg_wq;	/* ordered: host messages */
	void *int_page;		/* before 5.0: signalling bitmap */
	void *monitor_pages[2];	/* host to guest, guest to host */
	struct completion offers_done;

	/* The one request awaiting its reply; req_lock protects req_*. */
	spinlock_t req_lock;
	u32 req_type;		/* message type awaited, 0: none */
	u32 req_len;
	struct completion req_done;
	u8 req_buf[HVK_MESSAGE_PAYLOAD];
};

extern struct hvk_conn hvk_conn;
extern hvk_bus_type hvk_bus;

int hvk_bus_init(void);
void hvk_bus_exit(void);
int hvk_synic_init(void);
void hvk_synic_exit(void);
int hvk_conn_init(void);
void hvk_conn_exit(void);

int hvk_post(u32 conn_id, const void *msg, u32 len);
void hvk_conn_reply(u32 type, const void *msg, u32 len);
void hvk_msg_receive(const struct hvk_hv_message *slot);

#endif /* _HVK_CORE_H */
