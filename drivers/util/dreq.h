/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A host request that a daemon carries out (VSS and file copy): upstream's
 * hvutil_device_state machine (hv_snapshot.c, hv_fcopy.c) around one char
 * device, with the answer to the host owed exactly once:
 *
 *   no daemon      the device is closed, or open but not registered:
 *                  the request is answered E_FAIL at once
 *   registered     the daemon did its handshake: a request is written to
 *                  the device and a timer armed (busy)
 *   busy           ends with the first of: the daemon's answer (its
 *                  status goes to the host), the timer (E_FAIL), the
 *                  daemon closing the device or dying (E_FAIL), removal
 *                  (E_FAIL)
 *
 * A daemon's answer that comes when nothing is busy (after the timer) is
 * refused with -EINVAL, as upstream: upstream's daemons then reopen the
 * device (the VSS daemon thaws what it froze first, the file copy daemon
 * removes the file it was writing).
 */
#ifndef _HVK_DREQ_H
#define _HVK_DREQ_H

#include "util.h"

struct hvk_dreq {
	struct hvk_ic *ic;
	/* Rewrites the host's request body before it is answered (may be NULL). */
	void (*patch)(u8 *body, u32 len, u32 tag);
	/*
	 * lock protects everything below. It is taken after ic->lock (the
	 * service's request()) and after the char device's callback lock
	 * (on_msg, on_reset), and nothing is taken under it but the char
	 * device's queue lock (hvk_devif_send()): the host is answered from
	 * the answer work, which takes ic->lock with lock released.
	 */
	struct mutex lock;
	struct hvk_devif *dev;		/* the char device, once created */
	bool registered;		/* a daemon did its handshake */
	bool busy;			/* a request is with the daemon */
	bool owed;			/* the host is owed status (and tag) */
	bool stopped;			/* removal: nothing more is sent */
	u32 status;
	u32 tag;			/* the service's, for patch() */
	unsigned long deadline;		/* jiffies: when busy times out */
	wait_queue_head_t dev_wq;	/* dev was set */
	struct delayed_work timeout;
	struct work_struct answer;
};

void hvk_dreq_init(struct hvk_dreq *r, struct hvk_ic *ic,
		   void (*patch)(u8 *body, u32 len, u32 tag));
/* negotiated(): create /dev/vmbus/@name. Logs a failure (no daemon then). */
void hvk_dreq_create_dev(struct hvk_dreq *r, const char *name, const char *service,
			 const struct hvk_devif_ops *ops, void *ctx);
/*
 * The char device, for a callback that must answer the daemon: a daemon
 * can write before the creator has stored the pointer.
 */
struct hvk_devif *hvk_dreq_dev(struct hvk_dreq *r);
/*
 * request(): hand @msg to the daemon, answered within @timeout_s seconds.
 * 0: the request is the daemon's (return HVK_IC_PENDING); -ENOTCONN: no
 * daemon registered; another error: it could not be queued (the daemon
 * did not read the previous one). Takes lock.
 */
int hvk_dreq_send(struct hvk_dreq *r, const void *msg, u32 len, unsigned int timeout_s);
/* Under lock, busy: the host gets @status (and @tag for patch()). */
void hvk_dreq_answer(struct hvk_dreq *r, u32 status, u32 tag);
/* on_reset: the daemon closed the device or died. */
void hvk_dreq_reset(struct hvk_dreq *r);
/* remove(): the device goes, and a request still owed is answered E_FAIL. */
void hvk_dreq_stop(struct hvk_dreq *r);

#endif /* _HVK_DREQ_H */
