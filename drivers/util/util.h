/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hvkit_utils: the integration components. main.c is the IC framework:
 * it opens each IC channel, reads the host's requests one at a time,
 * answers the negotiation, and hands every other request to its service
 * (heartbeat.c, shutdown.c, timesync.c, kvp.c, vss.c, fcopy.c). devif.c
 * is the char-device transport KVP, VSS and file copy reach their daemons
 * through.
 */
#ifndef _HVK_UTIL_H
#define _HVK_UTIL_H

#include <linux/atomic.h>
#include <linux/miscdevice.h>
#include <linux/mutex.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <hvkit/ic.h>
#include "hvk_vmbus.h"

/* The longest IC packet a host sends (file copy's data: 6 KiB + headers). */
#define HVK_IC_BUF_SIZE		(8 * 1024)

/* upstream's HV_UTIL_TIMEOUT: a daemon's answer, in seconds */
#define HVK_IC_DAEMON_TIMEOUT	30

struct hvk_ic;

/* What a service's request() did with a request. */
enum hvk_ic_verdict {
	HVK_IC_ANSWER,		/* answer now: status and body are in place */
	HVK_IC_PENDING,		/* answered later, by hvk_ic_respond() */
};

struct hvk_ic_service {
	const char *name;		/* "heartbeat", ...: log lines, sysfs */
	u16 msgtype;			/* HVK_ICMSG_*: the requests it serves */
	const u32 *fw_versions;		/* newest first */
	u32 nfw;
	const u32 *srv_versions;	/* newest first */
	u32 nsrv;
	/*
	 * probe: before the channel opens (allocate ic->priv). May be NULL.
	 * A failure fails the probe.
	 */
	int (*init)(struct hvk_ic *ic);
	/*
	 * After the first successful negotiation (e.g. register a char
	 * device), from the IC's work without ic->lock, before any later
	 * request is served.
	 */
	void (*negotiated)(struct hvk_ic *ic);
	/*
	 * A request of @msgtype after negotiation, in process context (the
	 * IC's work), one at a time. @h and @body (icmsgsize bytes, checked
	 * to be in the packet) are in ic->buf: write the answer in place and
	 * set h->status. HVK_IC_PENDING: nothing more is read from the host
	 * until the service calls hvk_ic_respond().
	 */
	enum hvk_ic_verdict (*request)(struct hvk_ic *ic, struct hvk_ic_hdr *h, u8 *body,
				       u32 len);
	/*
	 * remove: callbacks and work are stopped and no request will be
	 * served again (hvk_ic_respond() says -ENODEV); the channel is still
	 * open. Drop what is pending and undo everything init() and
	 * negotiated() made. May be NULL.
	 */
	void (*remove)(struct hvk_ic *ic);
};

struct hvk_ic {
	struct hvk_device *hdev;
	struct hvk_channel *ch;
	const struct hvk_ic_service *svc;
	void *priv;			/* the service's */
	struct work_struct work;	/* reads and serves requests */
	wait_queue_head_t space_wq;	/* the channel's callback: room to answer? */
	/*
	 * lock protects everything below. The IC's work holds it while it
	 * serves a request; hvk_ic_respond() takes it.
	 */
	struct mutex lock;
	u32 fw_ver, srv_ver;		/* negotiated; 0: not yet */
	u8 *buf;			/* the request being served, answered in place */
	u32 len;			/* its bytes */
	u64 trans_id;			/* its VMBus transaction id, echoed */
	bool pending;			/* a service owes the host an answer */
	bool started;			/* the channel is open: answers can go */
	bool dead;			/* removed: no more answers */
	bool announce;			/* negotiated() is to run, outside the lock */
	bool announced;			/* negotiated() ran */
	/* Counters, shown in sysfs (ic_stats). */
	atomic_long_t requests;		/* served, negotiation included */
	atomic_long_t bad;		/* malformed, answered with an error or dropped */
	atomic_long_t failed;		/* answered with a status other than S_OK */
};

/*
 * Answer the pending request with @status (its body, in ic->buf, as the
 * service left it), then read the next one. -ENOENT if none is pending
 * (a late daemon: its answer came after a timeout), -ENODEV once the IC is
 * going away. Process context.
 */
int hvk_ic_respond(struct hvk_ic *ic, u32 status);

/*
 * The body of the pending request (and its length), for a service that
 * answers later; NULL when none is pending. Call under ic->lock.
 */
u8 *hvk_ic_pending_body(struct hvk_ic *ic, u32 *len);

#define ic_err(ic, fmt, ...) \
	dev_err_ratelimited(&(ic)->hdev->dev, "%s: " fmt, (ic)->svc->name, ##__VA_ARGS__)
#define ic_info(ic, fmt, ...) \
	dev_info(&(ic)->hdev->dev, "%s: " fmt, (ic)->svc->name, ##__VA_ARGS__)

/* ---- devif.c: the char device of a service, upstream's ABI ---- */
struct hvk_devif;

struct hvk_devif_ops {
	/* A whole message the daemon wrote; returns 0 or -errno (write's result). */
	int (*on_msg)(void *ctx, const void *msg, u32 len);
	/* The daemon closed the device (or died): fail what it owed. */
	void (*on_reset)(void *ctx);
};

/*
 * /dev/vmbus/@name (misc device, e.g. "hv_kvp"), one opener at a time.
 * Each read returns one whole message (-EINVAL if the buffer is short, as
 * upstream), each write hands one whole message to on_msg(). Its sysfs
 * attribute hvkit_service reads @service ("kvp"), for udev rules.
 * Callbacks run in the daemon's context, one at a time, and may call
 * hvk_devif_send() and hvk_ic_respond().
 */
struct hvk_devif *hvk_devif_create(const char *name, const char *service,
				   const struct hvk_devif_ops *ops, void *ctx, struct device *parent);
/* No callback runs once this returns; a reader is woken with -ENODEV. */
void hvk_devif_destroy(struct hvk_devif *d);
/*
 * Queue one message for the daemon. -ENODEV: no daemon has the device
 * open; -EBUSY: the previous message was not read yet.
 */
int hvk_devif_send(struct hvk_devif *d, const void *msg, u32 len);
bool hvk_devif_opened(struct hvk_devif *d);

/* The services. */
extern const struct hvk_ic_service hvk_ic_heartbeat;
extern const struct hvk_ic_service hvk_ic_shutdown;
extern const struct hvk_ic_service hvk_ic_timesync;
extern const struct hvk_ic_service hvk_ic_kvp;
extern const struct hvk_ic_service hvk_ic_vss;
extern const struct hvk_ic_service hvk_ic_fcopy;

#endif /* _HVK_UTIL_H */
