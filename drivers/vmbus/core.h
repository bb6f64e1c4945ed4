/* SPDX-License-Identifier: GPL-2.0 */
/* Private to the hvkit_vmbus module: what its files share. */
#ifndef _HVK_CORE_H
#define _HVK_CORE_H

#include <linux/completion.h>
#include <linux/interrupt.h>
#include <linux/kobject.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <hvkit/ring.h>
#include <hvk_compat.h>
#include "hvk_vmbus.h"
#include "transport.h"

/* hvk_channel.monitor_id of a channel the host does not poll. */
#define HVK_NOT_MONITORED	0xff

/* Control messages arrive on this CPU; it cannot go offline. */
#define HVK_CONNECT_CPU		0
/* hvk_channel.next_cpu when no move is under way. */
#define HVK_NO_CPU		UINT_MAX
/* A CPU going offline waits this many times 10-20 ms for its event bits. */
#define HVK_OFFLINE_EVENT_TRIES	3

enum hvk_conn_state {
	HVK_CONN_DISCONNECTED,
	HVK_CONN_CONNECTING,	/* negotiating, taking the offers */
	HVK_CONN_CONNECTED,
	HVK_CONN_DISCONNECTING,	/* detach or shutdown: offers are refused */
};

/* The connection to the host (connection.c). */
struct hvk_conn {
	/*
	 * lock serialises attach and detach. ops is written under it and
	 * read with READ_ONCE anywhere; a transport calls nothing after
	 * hvk_transport_unregister() returns.
	 */
	struct mutex lock;
	const struct hvk_transport_ops *ops;
	struct device *parent;
	u32 version;		/* negotiated; 0 when not connected */
	bool unloaded;		/* UNLOAD sent: post nothing more */
	/*
	 * Written under lock (and by the panic path, with xchg); read with
	 * READ_ONCE by the offer handler, which drops offers unless
	 * CONNECTING or CONNECTED.
	 */
	int state;		/* enum hvk_conn_state */
	u32 msg_conn_id;	/* connection id for our messages */
	struct workqueue_struct *msg_wq;	/* ordered: host messages */
	struct workqueue_struct *dev_wq;	/* ordered: primary channels' devices */
	struct workqueue_struct *sc_wq;		/* ordered: sub-channels' add/remove */
	void *int_page;		/* before 5.0: signalling bitmap */
	void *monitor_pages[2];	/* host to guest, guest to host */
	struct completion offers_done;
};

extern struct hvk_conn hvk_conn;
extern hvk_bus_type hvk_bus;

/* A control request awaiting the host's reply (xact.c). */
struct hvk_xact {
	struct list_head node;
	u32 reply_type;
	u32 key;		/* relid or GPADL handle in the reply */
	u32 relid;		/* the channel it concerns, 0: none */
	int err;
	struct completion done;
	u32 len;
	u8 buf[HVK_MESSAGE_PAYLOAD] __aligned(8);
};

void hvk_xact_start(struct hvk_xact *x, u32 reply_type, u32 key, u32 relid);
struct hvk_channel;
int hvk_xact_start_chan(struct hvk_xact *x, u32 reply_type, u32 key, struct hvk_channel *ch);
int hvk_xact_send_chan(struct hvk_xact *x, u32 reply_type, u32 key, struct hvk_channel *ch,
		       const void *msg, u32 len);
int hvk_xact_send(struct hvk_xact *x, u32 conn_id, const void *msg, u32 len);
int hvk_xact_wait(struct hvk_xact *x);
void hvk_xact_cancel(struct hvk_xact *x);
bool hvk_xact_reply(u32 type, const void *msg, u32 len);
void hvk_xact_fail_relid(u32 relid, int err);

enum hvk_chan_state {
	HVK_CHAN_OFFERED,	/* known, not open */
	HVK_CHAN_OPEN,		/* rings attached, host serving */
};

/*
 * One channel (channel.c). Lifetime: created by the offer, freed when the
 * last reference goes (kobj), after the relid was released. The offer
 * fields are written once, before the channel is published in the relid
 * table, and read-only after that.
 */
struct hvk_channel {
	struct kobject kobj;		/* channels/<relid> in sysfs */
	struct hvk_offer offer;
	u32 relid;
	u32 sig_conn_id;		/* HvSignalEvent connection id */
	u8 monitor_id;			/* or HVK_NOT_MONITORED */
	bool dedicated_interrupt;
	struct hvk_device *hdev;	/* primary: its device */
	struct hvk_channel *primary;	/* sub-channel: its primary */
	/* Primary: the driver's sub-channel hooks; under sc_lock. */
	struct mutex sc_lock;
	void (*sc_added)(struct hvk_channel *sc, void *ctx);
	void (*sc_removed)(struct hvk_channel *sc, void *ctx);
	void *sc_ctx;
	bool sc_live;			/* sub-channel: sc_added ran for it */

	/*
	 * lock (a mutex) serialises open, close and rescind of this channel
	 * and protects state and rescinded.
	 */
	struct mutex lock;
	enum hvk_chan_state state;
	bool rescinded;
	bool removing;			/* remove_work queued: xchg, once */
	struct work_struct add_work;	/* primary: dev_wq, sub-channel: sc_wq */
	struct work_struct remove_work;	/* the same queue */
	/* Primary: its device is registered, or failed; all-completed, once. */
	struct completion ready;
	/* Runs the driver's callback, scheduled by the host's signal. */
	struct tasklet_struct tasklet;

	/*
	 * The CPU the host interrupts for this channel: chosen at offer (set
	 * before the channel is published), changed by MODIFYCHANNEL under
	 * ch->lock and hvk_place_lock (channel.c), WRITE_ONCE. next_cpu: the
	 * CPU a move under way goes to, else HVK_NO_CPU; written under
	 * cpus_read_lock() to name a CPU. The hotplug callback keeps both
	 * online (hvk_cpu_busy()).
	 */
	u32 target_cpu;
	u32 next_cpu;

	/* Set while open: */
	void *ring_buf;			/* both rings, one GPADL */
	u32 ring_bytes;
	struct hvk_gpadl ring_gpadl;
	hvk_channel_cb callback;	/* tasklet; release/acquire with cb_ctx */
	void *cb_ctx;
	hvk_channel_cb rescind_cb;	/* message workqueue; release/acquire */
	void *rescind_ctx;

	/* out_lock serialises writers of the outbound ring. */
	spinlock_t out_lock;
	struct hvk_ring out;
	/* The inbound ring has one reader: the driver's drain. */
	struct hvk_ring in;

	/*
	 * Request ids handed to the host as trans_id: slot i (id i + 1)
	 * holds a caller's u64 while its bit is set. rqst_lock protects
	 * them; sized at open, one per packet the ring can hold.
	 */
	spinlock_t rqst_lock;
	u64 *rqst_ctx;
	unsigned long *rqst_used;
	u32 rqst_size;
	u32 rqst_next;

	/* statistics, read without locks */
	u64 interrupts;			/* host signalled us */
	u64 events;			/* we signalled the host */
	u64 out_full;			/* sends refused: ring full */
};

int hvk_bus_init(void);
void hvk_bus_exit(void);
int hvk_synic_init(void);
void hvk_synic_exit(void);
int hvk_conn_init(void);
void hvk_conn_exit(void);
int hvk_chan_init(void);
void hvk_chan_exit(void);

int hvk_post(u32 conn_id, const void *msg, u32 len);
u32 hvk_vp(unsigned int cpu);
/* A host message, copied out of its SynIC slot (msg.c). */
struct hvk_msg_work {
	struct work_struct work;
	u32 len;
	u8 data[HVK_MESSAGE_PAYLOAD] __aligned(8);
};

struct hvk_msg_work *hvk_msg_alloc(gfp_t gfp);
int hvk_msg_receive(const struct hvk_hv_message *slot, struct hvk_msg_work *w);
void hvk_slot_free(struct hvk_hv_message *slot, u32 type);
void hvk_msg_debugfs_init(void);
void hvk_msg_debugfs_exit(void);

void hvk_chan_offer(const struct hvk_msg_offer *m);
void hvk_chan_dev_registered(struct hvk_device *hdev);
void hvk_chan_rescind(u32 relid);
void hvk_chan_event(u32 relid);
int hvk_chan_modify_cpu(struct hvk_channel *ch, unsigned int cpu);
void hvk_chan_remove_all(void);
u32 hvk_chan_max_relid(void);

/* What the host wrote for a monitored channel in monitor page 0 or 1. */
enum hvk_monitor_field { HVK_MON_PENDING, HVK_MON_LATENCY, HVK_MON_CONN_ID };
u32 hvk_monitor_read(const struct hvk_channel *ch, unsigned int page, enum hvk_monitor_field f);
int hvk_chan_sysfs_add(struct hvk_channel *ch);
void hvk_chan_sysfs_del(struct hvk_channel *ch);
void hvk_chan_release(struct kobject *kobj);
extern const struct kobj_type hvk_chan_ktype;

#endif /* _HVK_CORE_H */
