/* SPDX-License-Identifier: GPL-2.0 */
/* hvkit_sim: what its files share. */
#ifndef _HVK_SIM_H
#define _HVK_SIM_H

#include <linux/hrtimer.h>
#include <linux/irq_work.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/smp.h>
#include <linux/spinlock.h>
#include <linux/uuid.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <hvkit/vmbus.h>
#include <hvkit/ring.h>
#include <hvkit/ic.h>
#include <hvkit/uapi/hvsim.h>

/* A message in flight, either direction. */
struct sim_msg {
	struct list_head node;
	u32 conn_id;		/* guest to host only */
	u32 len;
	u8 data[HVK_MESSAGE_PAYLOAD] __aligned(8);
};

/* A GPADL as the host holds it: the guest's pages, mapped. */
struct sim_gpadl {
	struct list_head node;	/* sim.gpadls */
	u32 handle;
	u32 relid;
	u32 npfns;		/* announced in the header */
	u32 have;		/* received so far */
	u32 byte_count;
	u64 *pfns;
	struct page **pages;
	void *va;		/* all pages, mapped, once complete */
	bool created;
	bool in_use;		/* rings of an open channel */
};

struct sim_dev;

struct sim_chan {
	struct sim_dev *dev;
	u32 relid;
	u16 subidx;
	u32 conn_id;		/* the guest signals us on this */
	u8 monitor_id;		/* SIM_NOT_MONITORED, or our poll's bit */
	/*
	 * Offered without a dedicated interrupt (below 5.0 only): the guest
	 * signals it on the shared event connection, and the host finds it
	 * by its bit in the interrupt page. Written under sim.lock when the
	 * channel is offered; read by signal_event under RCU.
	 */
	bool shared_int;
	bool offered;		/* to this guest, since its INITIATE_CONTACT */
	bool rescinded;

	/* Open state: written by the server under sim.lock. */
	bool open;
	u32 target_cpu;
	struct sim_gpadl *ring;
	struct hvk_ring rx;	/* guest to host: we consume */
	struct hvk_ring tx;	/* host to guest: we produce; tx_lock */
	spinlock_t tx_lock;	/* taken with interrupts off too (the fast path) */
	struct work_struct work;	/* serves rx */
	/*
	 * The fast path (types with serve_atomic): a function call on
	 * another CPU serves rx with interrupts off (from that CPU's
	 * interrupt, or its idle loop), for a guest that polls for the
	 * answer with interrupts off (vPCI's CREATE_INTERRUPT) while the
	 * work may have no CPU to run on: the other CPU can sit in an IPI
	 * wait for the polling one with preemption off, and only an
	 * interrupt still runs there. Hyper-V's host has CPUs of its own.
	 * fast_busy: the kicks since the call in flight was sent, 0 when
	 * none is (the sender sets it, the call's end clears it; close and
	 * free wait for 0).
	 */
	call_single_data_t fast_csd;
	atomic_t fast_busy;
	/*
	 * SIM_CHAN_SERVING: who reads rx and owns buf, stash and
	 * deferred_len: the work or the fast path, never both. The work
	 * waits for the fast path (it never sleeps); the fast path leaves
	 * the packets to a work that holds it, which holds it with
	 * preemption off but while serve sleeps.
	 */
	unsigned long serving;
#define SIM_CHAN_SERVING	0
	u32 deferred_len;	/* a packet in buf the fast path left to the work */
	bool serving_atomic;	/* in serve_atomic: the type must not sleep; the bit's */
	u8 *buf;		/* one packet */
	u32 stash_len;		/* a reply waiting for tx space */
	bool tx_corrupted;	/* bad_ring_index fired: we write no more */
	u8 *stash;
	u64 pkts_in, pkts_out;	/* the bit's holder; tx_lock */
	atomic_long_t signals;		/* by HvSignalEvent */
	atomic_long_t monitor_signals;	/* found in the monitor page */
	atomic_long_t int_page_signals;	/* found in the interrupt page */
	atomic_long_t space_signals;	/* to the guest: its pending_send_sz fits */
};

#define SIM_NOT_MONITORED	0xff

struct genl_info;
struct sk_buff;
struct sim_ic_service;

/*
 * A device type: how the host serves one class of device. Every hook but
 * serve may be NULL. Contexts:
 *   init     DEV_ADD, under sim.lock: read the type's attributes from
 *            @info (errors with NL_SET_ERR_MSG), set up d->priv.
 *   destroy  the device's last reference went (its channels are all
 *            freed, no netlink command uses it); no lock held.
 *   opened   the guest opened channel @c and was told so (after
 *            OPENCHANNEL_RESULT); under sim.lock. The host may start
 *            talking (queue work: not from here).
 *   closed   @c was open and is closed now (guest CLOSECHANNEL, rescind,
 *            UNLOAD, removal); under sim.lock, after the serve work
 *            stopped. Wake whoever waits for the guest.
 *   serve    a packet from the guest, in the channel's serve work; reply
 *            with sim_chan_reply().
 *   serve_atomic  the fast path (struct sim_chan): a packet from the
 *            guest, atomic (interrupts off, on another CPU's function
 *            call; or preemption off, in the work; c->serving_atomic set
 *            either way). Serve it (true) if it can be served without
 *            sleeping; false leaves it to serve, in the work, in order.
 *   cmd      a type's netlink command (HVSIM_CMD_HEARTBEAT_GET and later):
 *            no lock held, the device referenced; may sleep and wait for
 *            the guest. Reply with genlmsg_reply() on @info, or return an
 *            error with an extended ACK.
 *   fill     DEV_GET: the type's attributes, under sim.lock.
 */
struct sim_dev_type {
	const char *name;
	guid_t class_id;
	int (*init)(struct sim_dev *d, struct genl_info *info);
	void (*destroy)(struct sim_dev *d);
	void (*opened)(struct sim_chan *c);
	void (*closed)(struct sim_chan *c);
	int (*serve)(struct sim_chan *c, const u8 *pkt, u32 len);
	bool (*serve_atomic)(struct sim_chan *c, const u8 *pkt, u32 len);
	int (*cmd)(struct sim_dev *d, struct genl_info *info);
	int (*fill)(const struct sim_dev *d, struct sk_buff *skb);
	const struct sim_ic_service *ic;	/* IC types (ic.c): the service */
};

struct sim_dev {
	struct list_head node;	/* sim.devs */
	const struct sim_dev_type *type;
	/*
	 * References: sim.devs holds one until the last channel is freed;
	 * a netlink command holds one while it runs.
	 */
	struct kref ref;
	void *priv;		/* the type's */
	guid_t instance;
	bool no_dedicated_int;	/* offer without a dedicated interrupt */
	u32 sc_wanted;		/* sub-channels the guest asked for */
	u32 nchans;
	struct sim_chan *chans[];	/* [0]: primary */
};

struct sim {
	/*
	 * lock serialises the server (host messages), the control interface
	 * and device add/remove; it protects everything below it here and
	 * the server-side state of every device and channel.
	 */
	struct mutex lock;
	struct list_head devs;
	/*
	 * gpadl_lock protects gpadls and every sim_gpadl; taken after lock,
	 * and alone by a channel's serve work (which lock-holders cancel).
	 */
	struct mutex gpadl_lock;
	struct list_head gpadls;
	struct xarray chans;	/* relid -> sim_chan, RCU-read by signal_event */
	u32 next_relid;
	u32 version;		/* agreed with the guest; 0: not connected */
	u32 msg_conn_id;	/* what the guest must post on after 5.0 */
	/*
	 * The connection id handed out at a 5.0+ agreement, which
	 * HvPostMessage then serves (0: none); read by post_msg with
	 * READ_ONCE, in the guest's context.
	 */
	u32 served_conn_id;
	/*
	 * The guest's interrupt page (INITIATE_CONTACT below 5.0), mapped;
	 * its second half is the guest-to-host one. Read by signal_event
	 * under RCU; replaced under lock, unmapped after a grace period.
	 */
	unsigned long *int_page;
	bool offers_requested;
	struct sim_dev *rescind_after;	/* rescind_on_open: once unlocked */

	/* Guest to host: handled in order by the server's work. */
	spinlock_t in_lock;	/* protects in */
	struct list_head in;
	struct work_struct in_work;

	/*
	 * Host to guest: queued, then put into the guest's SynIC slot on
	 * msg_cpu one at a time, as Hyper-V does: the next only after the
	 * guest freed the slot (EOM when it was flagged pending). out_lock
	 * protects out and the slot writes.
	 */
	raw_spinlock_t out_lock;
	struct list_head out;
	unsigned int msg_cpu;
	atomic_t delayed;	/* messages the delay_msg fault holds */
	/*
	 * Channels' serve work. WQ_MEM_RECLAIM: a synthetic disk's requests
	 * are served here, and the guest's writeback waits on them under
	 * memory pressure. Such work may flush only work of a reclaim queue:
	 * flush_wq holds what it flushes (vPCI's msi_work).
	 */
	struct workqueue_struct *chan_wq;
	struct workqueue_struct *flush_wq;
	struct work_struct offer_work;	/* offers sub-channels asked for */

	/*
	 * Monitored channels (monitor.c). The guest's two monitor pages are
	 * mapped from an accepted INITIATE_CONTACT to UNLOAD; monitor[] is
	 * written under lock and read by the poll with READ_ONCE, and is
	 * cleared before the poll is cancelled and the pages unmapped.
	 * monitored maps a monitor id to its channel (RCU-read by the poll);
	 * the poll runs while monitor_open, the count of open monitored
	 * channels, is not zero. Only the owner of bit 0 of monitor_armed
	 * starts or forwards the timer: a start from an opening channel
	 * while the callback forwards it is a race hrtimer warns about.
	 */
	struct hvk_monitor_page *monitor[2];
	struct xarray monitored;
	atomic_t monitor_open;
	unsigned long monitor_armed;
	struct hrtimer monitor_poll;
};

extern struct sim sim;
extern const struct sim_dev_type sim_echo_type;
extern const struct sim_dev_type sim_heartbeat_type;
extern const struct sim_dev_type sim_kvp_type;
extern const struct sim_dev_type sim_vss_type;
extern const struct sim_dev_type sim_fcopy_type;
extern const struct sim_dev_type sim_shutdown_type;
extern const struct sim_dev_type sim_timesync_type;
extern const struct sim_dev_type sim_scsi_type;
extern const struct sim_dev_type sim_nic_type;
extern const struct sim_dev_type sim_vpci_type;

/*
 * ic.c: the host side of an integration component. A service is a
 * struct sim_ic_service; its device type is SIM_IC_TYPE(). Hooks, all
 * optional:
 *   init/destroy  with the device (ic->priv is priv_size bytes, zeroed)
 *   ready         the guest negotiated (the negotiation's work; no lock
 *                 held; must not take sim.lock): start periodic requests
 *   stop          the channel closed (under sim.lock): cancel them; a
 *                 request in flight already failed with -ENOTCONN
 *   cmd           the service's netlink command (no lock held)
 *   fill          DEV_GET attributes (under sim.lock)
 * Requests: take ic->lock, sim_ic_request(), read the answer in ic->rbuf.
 */
#define SIM_IC_BUF		(8 * 1024)
#define SIM_IC_MAX_VERS		16
#define SIM_IC_TIMEOUT_MS	35000	/* a command's default wait for the guest */

struct sim_ic;

struct sim_ic_service {
	u16 msgtype;			/* HVK_ICMSG_* */
	const u32 *fw, *srv;		/* what Hyper-V offers, newest first */
	u32 nfw, nsrv;
	size_t priv_size;
	int (*init)(struct sim_ic *ic);
	void (*destroy)(struct sim_ic *ic);
	void (*ready)(struct sim_ic *ic);
	void (*stop)(struct sim_ic *ic);
	int (*cmd)(struct sim_ic *ic, struct genl_info *info);
	int (*fill)(struct sim_ic *ic, struct sk_buff *skb);
};

struct sim_ic {
	struct sim_dev *d;
	const struct sim_ic_service *svc;
	void *priv;
	u32 offer_fw[SIM_IC_MAX_VERS], nfw;	/* what this host offers */
	u32 offer_srv[SIM_IC_MAX_VERS], nsrv;
	struct work_struct negotiate_work;
	wait_queue_head_t wq;
	/* lock: one request at a time; it protects msg, pkt and rbuf. */
	struct mutex lock;
	u8 msg[SIM_IC_BUF];		/* a request being built */
	u8 pkt[SIM_IC_BUF + 24];	/* ... with its VMBus descriptor */
	u8 rbuf[SIM_IC_BUF];		/* the answer */
	u32 fw_ver, srv_ver;		/* negotiated, 0: not yet (READ_ONCE) */
	/*
	 * tx_lock protects the fields below and orders every send against
	 * the channel's close: c is the open channel or NULL.
	 */
	spinlock_t tx_lock;
	struct sim_chan *c;
	u64 next_tid;
	u64 wait_tid;			/* the request waiting for its answer */
	u8 *dst;			/* where its answer goes */
	u32 dst_len;
	bool done;			/* it came */
	atomic_long_t unexpected;	/* guest packets that answer nothing */
	atomic_long_t nego_failed;
};

int sim_ic_init(struct sim_dev *d, struct genl_info *info);
void sim_ic_destroy(struct sim_dev *d);
void sim_ic_opened(struct sim_chan *c);
void sim_ic_closed(struct sim_chan *c);
int sim_ic_serve(struct sim_chan *c, const u8 *pkt, u32 len);
int sim_ic_cmd(struct sim_dev *d, struct genl_info *info);
int sim_ic_fill(const struct sim_dev *d, struct sk_buff *skb);
void sim_ic_negotiate_work(struct work_struct *work);
/* One raw message (headers included) and its answer; under ic->lock. */
int sim_ic_transact(struct sim_ic *ic, const u8 *msg, u32 len, u8 *resp, u32 *resp_len,
		    u32 timeout_ms);
/*
 * A request of @msgtype with @len bytes of @body (icmsgsize claims
 * @claimed), under ic->lock. 0: the guest answered with *status, the
 * whole answer in @resp (*resp_len bytes, headers checked). -ENOTCONN
 * (not open or not negotiated), -ETIMEDOUT, -ENOBUFS (its ring is full),
 * -EBADMSG (a malformed answer), -EINTR.
 */
int sim_ic_request(struct sim_ic *ic, u16 msgtype, const void *body, u32 len, u32 claimed,
		   u8 *resp, u32 *resp_len, u32 *status, u32 timeout_ms);
/* IC_TIMEOUT_MS, or the default; at most 10 minutes. */
u32 sim_ic_timeout(struct genl_info *info);
/* The extended ACK for an error of sim_ic_request(). */
void sim_ic_nl_err(struct genl_info *info, int err);

#define SIM_IC_TYPE(_name, _guid, _svc) {					\
	.name = (_name), .class_id = { .b = _guid }, .ic = &(_svc),		\
	.init = sim_ic_init, .destroy = sim_ic_destroy,				\
	.opened = sim_ic_opened, .closed = sim_ic_closed,			\
	.serve = sim_ic_serve, .cmd = sim_ic_cmd, .fill = sim_ic_fill,		\
}

/* main.c */
int sim_send(const void *msg, u32 len);
void sim_signal_guest(struct sim_chan *c);
int sim_vp_to_cpu(u32 vp);
u64 sim_ref_counter(void);	/* 100 ns since load: the partition reference counter */
#define SIM_VTL			0	/* the VTL this host serves */

/* server.c */
bool sim_serves_conn(u32 conn_id);
void sim_int_page_unmap(void);

void sim_server_work(struct work_struct *work);
void sim_offer_chan(struct sim_chan *c);
void sim_offer_work(struct work_struct *work);
void sim_gpadls_drop(u32 relid);
u32 sim_gpadls_drop_all(void);
struct sim_gpadl *sim_gpadl_find(u32 handle);
void sim_gpadl_free(struct sim_gpadl *g);

/* dev.c */
const struct sim_dev_type *sim_type_find(const char *name);
struct sim_dev *sim_dev_add(const struct sim_dev_type *type, const guid_t *instance,
			    u32 nchans, bool monitored, bool no_dedicated_int,
			    struct genl_info *info, const char **err);
void sim_dev_put(struct sim_dev *d);
int sim_dev_remove(struct sim_dev *d);
struct sim_dev *sim_dev_find(const guid_t *instance);
void sim_dev_remove_all(void);
void sim_chan_close(struct sim_chan *c);
bool sim_chan_free(struct sim_chan *c);
void sim_chan_work(struct work_struct *work);
void sim_chan_signalled(struct sim_chan *c);
int sim_chan_reply(struct sim_chan *c, const void *pkt, u32 len);
/* The same; a reply that finds the ring full is kept and sent on its signal. */
int sim_chan_reply_or_stash(struct sim_chan *c, const void *pkt, u32 len);

/* nic.c */
void sim_nic_exit(void);

/* vpci.c: the transport's trapped MMIO and interrupt retarget, and unload */
u32 sim_vpci_mmio_read(phys_addr_t phys, u8 size);
void sim_vpci_mmio_write(phys_addr_t phys, u8 size, u32 val);
struct hvk_msi_target;
int sim_vpci_retarget(const struct hvk_msi_target *t);
struct dentry;
int sim_vpci_init(struct dentry *debugfs_dir);
void sim_vpci_exit(void);

/* monitor.c */
int sim_monitor_init(void);
void *sim_map_guest_page(u64 gpa, const char **why);
int sim_monitor_map(u64 gpa1, u64 gpa2, const char **why);
void sim_monitor_unmap(void);
int sim_monitor_assign(struct sim_chan *c);
void sim_monitor_release(struct sim_chan *c);
void sim_monitor_publish(const struct sim_chan *c, struct hvk_msg_offer *o);
void sim_monitor_opened(struct sim_chan *c);
void sim_monitor_closed(struct sim_chan *c);

/* fault.c */
bool sim_fault(unsigned int f);
const char *sim_fault_name(unsigned int f);
int sim_fault_lookup(const char *name);
void sim_fault_arm(unsigned int f, u32 count);
void sim_fault_state(unsigned int f, u32 *left, u32 *hits);
void sim_fault_reset(void);

/* netlink.c */
int sim_nl_init(void);
void *sim_nl_put_reply(struct sk_buff *msg, struct genl_info *info);
void sim_nl_exit(void);

#endif /* _HVK_SIM_H */
