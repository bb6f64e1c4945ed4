// SPDX-License-Identifier: GPL-2.0
/*
 * hvkit_storvsc: the guest driver of Hyper-V's synthetic SCSI controller.
 *
 * Probe opens the channel and initialises the protocol as upstream's
 * storvsc does: BEGIN_INITIALIZATION, QUERY_PROTOCOL_VERSION down from
 * Windows 10's 6.2 to Windows 8's 5.1, QUERY_PROPERTIES (the host's
 * maximum transfer), END_INITIALIZATION. Then it registers a Scsi_Host
 * with the host's limits and scans it.
 *
 * Each SCSI command becomes one EXECUTE_SRB. Its data goes as one
 * GPA-direct range built from the DMA-mapped scatterlist: the SCSI host's
 * virt_boundary keeps every segment but the first starting on a page and
 * every one but the last ending on one, so the segments' pages make one
 * range, with no bounce copy. The transaction id is the request's unique
 * tag plus one.
 *
 * Completions come back in the channel's tasklet (softirq, scheduled by
 * the channel's interrupt, as upstream's channel callbacks run; no work
 * item and no context switch between the host's answer and scsi_done()).
 * Everything in them
 * is the host's word and is checked first (hvk_vstor_completion_check()):
 * an id that names no request in flight, a packet too short, a data length
 * past the request's, an unknown SRB status, a sense length past the
 * packet's sense field. Each is counted (stor_stats), logged (ratelimited)
 * and, where it names a request, fails that request with DID_ERROR, which
 * the SCSI midlayer retries.
 *
 * A rescind fails every request in flight with DID_NO_CONNECT and the
 * device's removal takes the SCSI host away.
 */
#include <linux/blk-mq.h>
#include <linux/interrupt.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <scsi/scsi.h>
#include <scsi/scsi_cmnd.h>
#include <scsi/scsi_device.h>
#include <scsi/scsi_host.h>
#include <scsi/scsi_tcq.h>
#include <hvkit/storvsc.h>
#include "hvk_vmbus.h"

static uint ring_kb = 256;
module_param(ring_kb, uint, 0444);
MODULE_PARM_DESC(ring_kb, "size of each ring in KiB, control page included (default 256)");

static int sub_channels = -1;
module_param(sub_channels, int, 0444);
MODULE_PARM_DESC(sub_channels,
		 "sub-channels to ask the host for, at most what it offers (default -1: one per CPU but the first)");

#define STOR_MAX_XFER		(1024 * 1024)	/* what a request's descriptor has room for */
#define STOR_MAX_PFNS		(STOR_MAX_XFER / HVK_HV_PAGE_SIZE + 1)
#define STOR_CAN_QUEUE		128
#define STOR_INIT_ID		(1ull << 48)	/* no tag is that large */
#define STOR_RESET_ID		(STOR_INIT_ID + 1)
#define STOR_TIMEOUT		(10 * HZ)	/* for an initialisation step */
#define STOR_POLL_BUDGET	64	/* packets a channel drains per softirq turn */

/* Protocol versions, newest first: upstream 6.12's list. */
static const u16 stor_versions[] = { HVK_VSTOR_WIN10, HVK_VSTOR_WIN8_1, HVK_VSTOR_WIN8 };

struct stor_dev;

/*
 * One channel: the primary or a sub-channel, each drained by its own
 * tasklet. draining and rxbuf belong to the tasklet (one run at a time).
 */
struct stor_chan {
	struct stor_dev *sd;
	struct hvk_channel *ch;
	u16 idx;			/* sub-channel index, 0: the primary */
	struct tasklet_struct rx;	/* drains completions */
	bool draining;			/* between drain_begin() and drain_end() */
	u8 *rxbuf;
};

struct stor_dev {
	struct hvk_device *hdev;
	struct hvk_channel *ch;		/* the primary */
	struct Scsi_Host *shost;
	wait_queue_head_t wq;
	/*
	 * The open channels by sub-channel index, [0] the primary, which
	 * stays until remove(). Written under chan_lock; queuecommand reads
	 * them under RCU (a sub-channel is unpublished, then a grace period,
	 * then closed).
	 */
	struct stor_chan __rcu *chans[HVK_MAX_SUBCHANNELS];
	struct mutex chan_lock;
	atomic_t sc_open;		/* sub-channels open */
	u16 nr_queues;			/* hardware queues: the primary and sub-channels 1.. */
	struct work_struct gone_work;	/* a rescind: fail what is in flight */
	struct work_struct scan_work;	/* the host asked for a rescan */
	struct workqueue_struct *err_wq;	/* scans and LUN removals, in order */
	bool gone;			/* rescinded or removed: send nothing more */
	bool scanning;			/* scan_work may run (the host is added) */

	/* The one initialisation request; probe only. */
	struct hvk_vstor_packet init;
	bool init_done;			/* its answer is in init (release/acquire) */
	/* The reset of the bus (the error handler, one at a time). */
	struct hvk_vstor_packet reset;
	bool reset_done;

	u16 version;
	u32 max_xfer;
	u16 max_sub;

	/* The host's bad answers. */
	atomic64_t unknown_id, short_pkt, bad_operation, bad_srb_status, bad_length, bad_sense;
};

/* A SCSI command's private part: its packet and its GPA-direct descriptor. */
struct stor_cmd {
	struct hvk_vstor_packet pkt;
	unsigned long inflight;		/* bit 0: sent, not yet completed */
	u32 len;			/* bytes of data */
	u16 chan;			/* the channel it went on */
	struct {
		struct hvk_pkt_gpa_direct h;
		struct hvk_gpa_range r;
		u64 pfn[STOR_MAX_PFNS];
	} desc;
};

struct stor_host {
	struct stor_dev *sd;
};

static struct stor_dev *shost_sd(struct Scsi_Host *shost)
{
	return ((struct stor_host *)shost_priv(shost))->sd;
}

static const char *const stor_bad_names[] = {
	[HVK_VSTOR_BAD_SHORT] = "shorter than a vstor packet",
	[HVK_VSTOR_BAD_OPERATION] = "not a COMPLETE_IO",
	[HVK_VSTOR_BAD_SRB_STATUS] = "an SRB status no host sends",
	[HVK_VSTOR_BAD_LENGTH] = "more data than the request had room for",
	[HVK_VSTOR_BAD_SENSE] = "a sense length past the packet's sense field",
};

static void stor_count_bad(struct stor_dev *sd, enum hvk_vstor_bad bad, u64 id)
{
	atomic64_t *c[] = {
		[HVK_VSTOR_BAD_SHORT] = &sd->short_pkt,
		[HVK_VSTOR_BAD_OPERATION] = &sd->bad_operation,
		[HVK_VSTOR_BAD_SRB_STATUS] = &sd->bad_srb_status,
		[HVK_VSTOR_BAD_LENGTH] = &sd->bad_length,
		[HVK_VSTOR_BAD_SENSE] = &sd->bad_sense,
	};

	atomic64_inc(c[bad]);
	dev_err_ratelimited(&sd->hdev->dev, "completion of request %llu refused: %s\n", id,
			    stor_bad_names[bad]);
}

/* A LUN the host says is not there (INVALID_LUN): remove it, as upstream. */
struct stor_lun_work {
	struct work_struct work;
	struct Scsi_Host *shost;
	unsigned int channel, id;
	u64 lun;
};

static void stor_remove_lun(struct work_struct *work)
{
	struct stor_lun_work *w = container_of(work, struct stor_lun_work, work);
	struct scsi_device *sdev;

	sdev = scsi_device_lookup(w->shost, w->channel, w->id, w->lun);
	if (sdev) {
		scsi_remove_device(sdev);
		scsi_device_put(sdev);
	}
	kfree(w);
}

static void stor_queue_remove_lun(struct stor_dev *sd, struct scsi_device *sdev)
{
	struct stor_lun_work *w;

	if (!READ_ONCE(sd->scanning))
		return;
	w = kzalloc(sizeof(*w), GFP_ATOMIC);	/* the completion's softirq */
	if (!w)
		return;
	INIT_WORK(&w->work, stor_remove_lun);
	w->shost = sd->shost;
	w->channel = sdev->channel;
	w->id = sdev->id;
	w->lun = sdev->lun;
	queue_work(sd->err_wq, &w->work);
}

/*
 * The host's status, mapped to a SCSI result as upstream's
 * storvsc_on_io_completion() and storvsc_handle_error() map it.
 */
static void stor_map_status(struct stor_dev *sd, struct scsi_cmnd *scmnd,
			    const struct hvk_vmscsi_request *srb)
{
	struct stor_cmd *cmd = scsi_cmd_priv(scmnd);
	u8 srb_status = srb->srb_status, scsi_status = srb->scsi_status;
	u32 done = srb->data_transfer_length;
	bool sense = false;

	/* Hyper-V gets these wrong on some hosts; upstream takes them as done. */
	if (scmnd->cmnd[0] == INQUIRY || scmnd->cmnd[0] == MODE_SENSE ||
	    scmnd->cmnd[0] == MODE_SENSE_10) {
		scsi_status = 0;
		srb_status = HVK_SRB_STATUS_SUCCESS;
	}
	if (scsi_status == SAM_STAT_CHECK_CONDITION &&
	    (srb_status & HVK_SRB_STATUS_AUTOSENSE_VALID)) {
		memcpy(scmnd->sense_buffer, srb->sense_data,
		       min_t(u32, srb->sense_info_length, SCSI_SENSE_BUFFERSIZE));
		sense = true;
	}
	scmnd->result = scsi_status;
	if (srb_status != HVK_SRB_STATUS_SUCCESS) {
		/* With sense, the midlayer reports it (or expects it: ILLEGAL REQUEST). */
		if (!sense)
			dev_warn_ratelimited(&sd->hdev->dev,
					     "cmd 0x%x: scsi status 0x%x srb status 0x%x\n",
					     scmnd->cmnd[0], scsi_status, srb_status);
		switch (HVK_SRB_STATUS(srb_status)) {
		case HVK_SRB_STATUS_INVALID_LUN:
			set_host_byte(scmnd, DID_NO_CONNECT);
			stor_queue_remove_lun(sd, scmnd->device);
			break;
		case HVK_SRB_STATUS_SUCCESS:
			break;
		default:
			if (sense) {
				struct scsi_sense_hdr h;

				/* Capacity or parameters changed: rescan, retry. */
				if (scsi_normalize_sense(scmnd->sense_buffer, SCSI_SENSE_BUFFERSIZE,
							 &h) &&
				    ((h.asc == 0x2a && h.ascq == 0x09) ||
				     (h.asc == 0x3f && h.ascq != 0x03 && h.ascq != 0x0e))) {
					set_host_byte(scmnd, DID_REQUEUE);
					if (READ_ONCE(sd->scanning))
						queue_work(sd->err_wq, &sd->scan_work);
				}
				break;
			}
			if (scmnd->cmnd[0] == ATA_16 || scmnd->cmnd[0] == ATA_12)
				set_host_byte(scmnd, DID_PASSTHROUGH);
			else if (scmnd->cmnd[0] != TEST_UNIT_READY)
				set_host_byte(scmnd, DID_ERROR);
		}
		if (HVK_SRB_STATUS(srb_status) != HVK_SRB_STATUS_DATA_OVERRUN)
			done = 0;
	}
	scsi_set_resid(scmnd, cmd->len - done);
}

static void stor_finish(struct scsi_cmnd *scmnd)
{
	scsi_dma_unmap(scmnd);
	scsi_done(scmnd);
}

static void stor_complete(struct stor_dev *sd, u64 id, const u8 *p, u32 len)
{
	struct scsi_cmnd *scmnd = NULL;
	struct hvk_vstor_packet v;
	enum hvk_vstor_bad bad;
	struct Scsi_Host *shost = READ_ONCE(sd->shost);	/* NULL: probe is not done */
	struct stor_cmd *cmd;

	if (shost && id && id - 1 <= S32_MAX)
		scmnd = scsi_host_find_tag(shost, (int)(id - 1));
	cmd = scmnd ? scsi_cmd_priv(scmnd) : NULL;
	if (!cmd || !test_and_clear_bit(0, &cmd->inflight)) {
		atomic64_inc(&sd->unknown_id);
		dev_err_ratelimited(&sd->hdev->dev,
				    "completion for request %llu, which is not in flight, dropped\n",
				    id);
		return;
	}
	bad = hvk_vstor_completion_check(p, len, cmd->len);
	if (bad) {
		stor_count_bad(sd, bad, id);
		scmnd->result = DID_ERROR << 16;
		scsi_set_resid(scmnd, cmd->len);
		stor_finish(scmnd);
		return;
	}
	memcpy(&v, p, sizeof(v));
	stor_map_status(sd, scmnd, &v.srb);
	stor_finish(scmnd);
}

/* A packet the host sent on its own (ENUMERATE_BUS, REMOVE_DEVICE). */
static void stor_host_packet(struct stor_dev *sd, const u8 *p, u32 len)
{
	u32 op;

	if (len < sizeof(op))
		return;
	memcpy(&op, p, sizeof(op));
	if ((op == HVK_VSTOR_ENUMERATE_BUS || op == HVK_VSTOR_REMOVE_DEVICE) &&
	    READ_ONCE(sd->scanning))
		queue_work(sd->err_wq, &sd->scan_work);
}

/* The answer to the one init or reset request in flight, into @dst. */
static void stor_answer(struct stor_dev *sd, u64 id, const u8 *p, u32 len,
			struct hvk_vstor_packet *dst, bool *done)
{
	if (len < sizeof(*dst)) {
		stor_count_bad(sd, HVK_VSTOR_BAD_SHORT, id);
	} else if (READ_ONCE(*done)) {
		atomic64_inc(&sd->unknown_id);
		dev_err_ratelimited(&sd->hdev->dev,
				    "completion for request %llu, which is not in flight, dropped\n",
				    id);
	} else {
		memcpy(dst, p, sizeof(*dst));
		smp_store_release(done, true);
		wake_up(&sd->wq);
	}
}

/*
 * The channel's tasklet (softirq): at most STOR_POLL_BUDGET packets a
 * run. While it has more to do the host's interrupts stay masked and it
 * schedules itself again, so other softirqs get their turn.
 */
static void stor_poll(struct tasklet_struct *t)
{
	struct stor_chan *sc = from_tasklet(sc, t, rx);
	const struct hvk_pkt_desc *d = (const void *)sc->rxbuf;
	struct stor_dev *sd = sc->sd;
	int ret, done = 0, budget = STOR_POLL_BUDGET;
	u32 len, off;

	if (!sc->draining) {
		hvk_channel_drain_begin(sc->ch);
		sc->draining = true;
	}
	for (;;) {
		while (done < budget &&
		       !(ret = hvk_channel_recv(sc->ch, sc->rxbuf, HVK_PKT_MAX_LEN, &len))) {
			done++;
			/* The core checked offset8 against the packet's length. */
			off = d->offset8 * 8;
			if (d->trans_id == STOR_INIT_ID) {
				stor_answer(sd, d->trans_id, sc->rxbuf + off, len - off, &sd->init,
					    &sd->init_done);
			} else if (d->trans_id == STOR_RESET_ID) {
				stor_answer(sd, d->trans_id, sc->rxbuf + off, len - off, &sd->reset,
					    &sd->reset_done);
			} else if (d->type == HVK_PKT_COMP) {
				stor_complete(sd, d->trans_id, sc->rxbuf + off, len - off);
			} else {
				stor_host_packet(sd, sc->rxbuf + off, len - off);
			}
		}
		if (done >= budget) {
			tasklet_schedule(t);	/* more to do, still masked */
			return;
		}
		if (ret != -EAGAIN)
			break;	/* a broken ring: the core logged it; requests time out */
		if (!hvk_channel_drain_end(sc->ch))
			break;
		hvk_channel_drain_begin(sc->ch);
	}
	sc->draining = false;
}

/* Hard interrupt context: the host signalled. */
static void stor_callback(void *ctx)
{
	struct stor_chan *sc = ctx;

	tasklet_schedule(&sc->rx);
}

static struct stor_chan *stor_chan_open(struct stor_dev *sd, struct hvk_channel *ch)
{
	u32 ring = ring_kb * 1024;
	struct stor_chan *sc;
	int ret;

	sc = kzalloc(sizeof(*sc), GFP_KERNEL);
	if (!sc)
		return ERR_PTR(-ENOMEM);
	sc->rxbuf = kvmalloc(HVK_PKT_MAX_LEN, GFP_KERNEL);
	if (!sc->rxbuf) {
		kfree(sc);
		return ERR_PTR(-ENOMEM);
	}
	sc->sd = sd;
	sc->ch = ch;
	sc->idx = hvk_channel_subidx(ch);
	tasklet_setup(&sc->rx, stor_poll);
	ret = hvk_channel_open(ch, ring, ring, NULL, 0, stor_callback, sc);
	if (ret) {
		dev_err(&sd->hdev->dev, "cannot open channel %u (%d)\n", sc->idx, ret);
		tasklet_kill(&sc->rx);	/* a signal may have come first */
		kvfree(sc->rxbuf);
		kfree(sc);
		return ERR_PTR(ret);
	}
	return sc;
}

/*
 * No callback and no tasklet run of @sc after this (process context; may
 * run more than once, and at once on two threads). With the callbacks
 * stopped only the tasklet schedules itself, and tasklet_kill() keeps it
 * from doing so while it waits.
 */
static void stor_chan_stop(struct stor_chan *sc)
{
	hvk_channel_stop_callbacks(sc->ch);
	tasklet_kill(&sc->rx);
}

static void stor_chan_close(struct stor_chan *sc)
{
	stor_chan_stop(sc);
	hvk_channel_close(sc->ch);
	kvfree(sc->rxbuf);
	kfree(sc);
}

static bool stor_fail_one(struct scsi_cmnd *scmnd, void *data)
{
	struct stor_cmd *cmd = scsi_cmd_priv(scmnd);

	if (test_and_clear_bit(0, &cmd->inflight)) {
		scmnd->result = DID_NO_CONNECT << 16;
		stor_finish(scmnd);
	}
	return true;
}

/*
 * The host is gone: no completion will come. Stop reading every channel,
 * then fail every request still in flight. Safe to run more than once.
 */
static void stor_fail_all(struct stor_dev *sd)
{
	struct stor_chan *sc;
	unsigned int i;

	mutex_lock(&sd->chan_lock);
	for (i = 0; i < HVK_MAX_SUBCHANNELS; i++) {
		sc = rcu_dereference_protected(sd->chans[i], lockdep_is_held(&sd->chan_lock));
		if (sc)
			stor_chan_stop(sc);
	}
	mutex_unlock(&sd->chan_lock);
	scsi_host_busy_iter(sd->shost, stor_fail_one, NULL);
}

/* A sub-channel went: what was in flight on it goes again, elsewhere. */
static bool stor_requeue_one(struct scsi_cmnd *scmnd, void *data)
{
	struct stor_cmd *cmd = scsi_cmd_priv(scmnd);

	if (cmd->chan == *(u16 *)data && test_and_clear_bit(0, &cmd->inflight)) {
		scmnd->result = DID_REQUEUE << 16;
		stor_finish(scmnd);
	}
	return true;
}

/* The core's sub-channel work: the host offered sub-channel @ch. */
static void stor_sc_added(struct hvk_channel *ch, void *ctx)
{
	struct stor_dev *sd = ctx;
	u16 idx = hvk_channel_subidx(ch);
	struct stor_chan *sc;

	mutex_lock(&sd->chan_lock);
	if (idx && idx < HVK_MAX_SUBCHANNELS && !rcu_access_pointer(sd->chans[idx]) &&
	    !READ_ONCE(sd->gone)) {
		sc = stor_chan_open(sd, ch);
		if (!IS_ERR(sc)) {
			rcu_assign_pointer(sd->chans[idx], sc);
			atomic_inc(&sd->sc_open);
		}
	}
	mutex_unlock(&sd->chan_lock);
	wake_up(&sd->wq);
}

/* The core's sub-channel work: sub-channel @ch goes (rescind, or remove()). */
static void stor_sc_removed(struct hvk_channel *ch, void *ctx)
{
	struct stor_dev *sd = ctx;
	u16 idx = hvk_channel_subidx(ch);
	struct stor_chan *sc;

	if (!idx || idx >= HVK_MAX_SUBCHANNELS)
		return;
	mutex_lock(&sd->chan_lock);
	sc = rcu_dereference_protected(sd->chans[idx], lockdep_is_held(&sd->chan_lock));
	if (sc && sc->ch == ch) {
		RCU_INIT_POINTER(sd->chans[idx], NULL);
		synchronize_rcu();	/* no queuecommand sends on it now */
		stor_chan_stop(sc);
		if (READ_ONCE(sd->shost))
			scsi_host_busy_iter(sd->shost, stor_requeue_one, &idx);
		stor_chan_close(sc);
		atomic_dec(&sd->sc_open);
	}
	mutex_unlock(&sd->chan_lock);
}

static void stor_gone_work(struct work_struct *work)
{
	stor_fail_all(container_of(work, struct stor_dev, gone_work));
}

/* Atomic context: the host rescinded the channel. */
static void stor_rescinded(void *ctx)
{
	struct stor_dev *sd = ctx;

	WRITE_ONCE(sd->gone, true);
	wake_up(&sd->wq);
	if (sd->shost)
		queue_work(system_long_wq, &sd->gone_work);
}

/*
 * The host's LUNs changed. A TEST UNIT READY to every LUN known finds
 * those that went (INVALID_LUN removes them), then a scan finds the new
 * ones: upstream's way.
 */
static void stor_scan_work(struct work_struct *work)
{
	struct stor_dev *sd = container_of(work, struct stor_dev, scan_work);
	struct Scsi_Host *shost = sd->shost;
	struct scsi_device *sdev;

	if (!READ_ONCE(sd->scanning) || READ_ONCE(sd->gone))
		return;
	mutex_lock(&shost->scan_mutex);
	shost_for_each_device(sdev, shost)
		scsi_test_unit_ready(sdev, HZ, 1, NULL);
	mutex_unlock(&shost->scan_mutex);
	scsi_scan_host(shost);
}

static bool stor_forget_one(struct scsi_cmnd *scmnd, void *data)
{
	struct stor_cmd *cmd = scsi_cmd_priv(scmnd);

	if (test_and_clear_bit(0, &cmd->inflight))
		scsi_dma_unmap(scmnd);
	return true;
}

/*
 * The error handler's last resort, once every command outstanding has
 * failed or timed out: reset the bus. The host abandons what it had;
 * the error handler owns the commands and retries them, and a late
 * completion of one is an id not in flight.
 */
static int stor_host_reset(struct scsi_cmnd *scmnd)
{
	struct stor_dev *sd = shost_sd(scmnd->device->host);
	int ret;

	memset(&sd->reset, 0, sizeof(sd->reset));
	sd->reset.operation = HVK_VSTOR_RESET_BUS;
	sd->reset.flags = HVK_VSTOR_REQUEST_COMPLETION;
	WRITE_ONCE(sd->reset_done, false);
	ret = hvk_channel_send(sd->ch, &sd->reset, sizeof(sd->reset), STOR_RESET_ID,
			       HVK_PKT_DATA_INBAND, HVK_PKT_FLAG_COMPLETION_REQUESTED);
	if (ret) {
		dev_err(&sd->hdev->dev, "cannot send a bus reset (%d)\n", ret);
		return FAILED;
	}
	if (!wait_event_timeout(sd->wq, smp_load_acquire(&sd->reset_done) || READ_ONCE(sd->gone),
				STOR_TIMEOUT) || !smp_load_acquire(&sd->reset_done)) {
		dev_err(&sd->hdev->dev, "the host did not answer a bus reset\n");
		return FAILED;
	}
	if (sd->reset.operation != HVK_VSTOR_COMPLETE_IO || sd->reset.status) {
		dev_err(&sd->hdev->dev, "the host refused a bus reset (status 0x%x)\n",
			sd->reset.status);
		return FAILED;
	}
	scsi_host_busy_iter(sd->shost, stor_forget_one, NULL);
	dev_info(&sd->hdev->dev, "the host reset its bus\n");
	return SUCCESS;
}

static int stor_queuecommand(struct Scsi_Host *shost, struct scsi_cmnd *scmnd)
{
	struct stor_dev *sd = shost_sd(shost);
	struct stor_cmd *cmd = scsi_cmd_priv(scmnd);
	struct hvk_vmscsi_request *srb = &cmd->pkt.srb;
	u32 tag = blk_mq_unique_tag(scsi_cmd_to_rq(scmnd));
	u64 id = (u64)tag + 1;
	u16 hwq = blk_mq_unique_tag_to_hwq(tag);
	struct stor_chan *sc;
	struct scatterlist *sg;
	int ret, n, i;
	u32 k = 0;

	if (READ_ONCE(sd->gone)) {
		scmnd->result = DID_NO_CONNECT << 16;
		scsi_done(scmnd);
		return 0;
	}
	memset(&cmd->pkt, 0, sizeof(cmd->pkt));
	cmd->pkt.operation = HVK_VSTOR_EXECUTE_SRB;
	cmd->pkt.flags = HVK_VSTOR_REQUEST_COMPLETION;
	cmd->len = scsi_bufflen(scmnd);
	srb->length = sizeof(*srb);
	srb->port_number = shost->host_no;
	srb->path_id = scmnd->device->channel;
	srb->target_id = scmnd->device->id;
	srb->lun = scmnd->device->lun;
	srb->cdb_length = scmnd->cmd_len;
	memcpy(srb->cdb, scmnd->cmnd, min_t(u32, scmnd->cmd_len, HVK_VSTOR_CDB_LEN));
	srb->sense_info_length = HVK_VSTOR_SENSE_LEN;
	srb->data_transfer_length = cmd->len;
	srb->time_out_value = 60;
	srb->srb_flags = HVK_SRB_FLAGS_DISABLE_SYNCH_TRANSFER;
	if (scmnd->device->tagged_supported) {
		srb->srb_flags |= HVK_SRB_FLAGS_QUEUE_ACTION_ENABLE | HVK_SRB_FLAGS_NO_QUEUE_FREEZE;
		srb->queue_tag = 0xff;		/* untagged: the host picks */
		srb->queue_action = 0x20;	/* simple */
	}
	switch (scmnd->sc_data_direction) {
	case DMA_TO_DEVICE:
		srb->data_in = HVK_SRB_WRITE;
		srb->srb_flags |= HVK_SRB_FLAGS_DATA_OUT;
		break;
	case DMA_FROM_DEVICE:
		srb->data_in = HVK_SRB_READ;
		srb->srb_flags |= HVK_SRB_FLAGS_DATA_IN;
		break;
	case DMA_NONE:
		srb->data_in = HVK_SRB_UNKNOWN;
		break;
	default:
		scmnd->result = DID_ERROR << 16;
		scsi_done(scmnd);
		return 0;
	}

	if (cmd->len) {
		n = scsi_dma_map(scmnd);
		if (n < 0)
			return SCSI_MLQUEUE_HOST_BUSY;
		cmd->desc.h.range_cnt = 1;
		cmd->desc.r.byte_count = cmd->len;
		cmd->desc.r.byte_offset = 0;
		scsi_for_each_sg(scmnd, sg, n, i) {
			u64 addr = sg_dma_address(sg), pfn = addr / HVK_HV_PAGE_SIZE;
			u64 end = DIV_ROUND_UP(addr + sg_dma_len(sg), HVK_HV_PAGE_SIZE);

			if (!i)
				cmd->desc.r.byte_offset = addr % HVK_HV_PAGE_SIZE;
			for (; pfn < end; pfn++) {
				if (k == STOR_MAX_PFNS)
					break;
				cmd->desc.pfn[k++] = pfn;
			}
		}
	}
	/* The hardware queue's channel; the primary if it went. */
	rcu_read_lock();
	sc = hwq < HVK_MAX_SUBCHANNELS ? rcu_dereference(sd->chans[hwq]) : NULL;
	if (!sc)
		sc = rcu_dereference(sd->chans[0]);
	cmd->chan = sc->idx;
	set_bit(0, &cmd->inflight);
	if (cmd->len)
		ret = hvk_channel_send_gpa(sc->ch, &cmd->desc.h,
					   sizeof(cmd->desc.h) + sizeof(cmd->desc.r) + k * 8,
					   &cmd->pkt, sizeof(cmd->pkt), id);
	else
		ret = hvk_channel_send(sc->ch, &cmd->pkt, sizeof(cmd->pkt), id,
				       HVK_PKT_DATA_INBAND, HVK_PKT_FLAG_COMPLETION_REQUESTED);
	rcu_read_unlock();
	if (!ret)
		return 0;
	if (!test_and_clear_bit(0, &cmd->inflight))
		return 0;	/* someone completed it (a host guessing ids) */
	scsi_dma_unmap(scmnd);
	if (ret == -EAGAIN)
		return SCSI_MLQUEUE_DEVICE_BUSY;	/* the ring is full: as upstream */
	/* -EINVAL: the scatterlist did not make one range (logged by the core). */
	scmnd->result = (ret == -ENODEV ? DID_NO_CONNECT : DID_ERROR) << 16;
	scsi_done(scmnd);
	return 0;
}

static struct scsi_host_template stor_template = {
	.module = THIS_MODULE,
	.name = "hvkit_storvsc",
	.proc_name = "hvkit_storvsc",
	.cmd_size = sizeof(struct stor_cmd),
	.queuecommand = stor_queuecommand,
	.eh_host_reset_handler = stor_host_reset,
	.can_queue = STOR_CAN_QUEUE,
	.cmd_per_lun = STOR_CAN_QUEUE,
	.this_id = -1,
	.max_sectors = STOR_MAX_XFER >> 9,
	.sg_tablesize = STOR_MAX_PFNS,
	/* No gaps: the segments' pages make one GPA-direct range. */
	.virt_boundary_mask = HVK_HV_PAGE_SIZE - 1,
	.track_queue_depth = 1,
};

/* One initialisation step: send it, wait for its answer in sd->init. */
static int stor_init_op(struct stor_dev *sd, u32 op, u16 arg)
{
	int ret;

	memset(&sd->init, 0, sizeof(sd->init));
	sd->init.operation = op;
	sd->init.flags = HVK_VSTOR_REQUEST_COMPLETION;
	if (op == HVK_VSTOR_CREATE_SUB_CHANNELS)
		sd->init.sub_channel_count = arg;
	else
		sd->init.version.major_minor = arg;
	WRITE_ONCE(sd->init_done, false);
	ret = hvk_channel_send(sd->ch, &sd->init, sizeof(sd->init), STOR_INIT_ID,
			       HVK_PKT_DATA_INBAND, HVK_PKT_FLAG_COMPLETION_REQUESTED);
	if (ret)
		return ret;
	if (!wait_event_timeout(sd->wq, smp_load_acquire(&sd->init_done) || READ_ONCE(sd->gone),
				STOR_TIMEOUT))
		return -ETIMEDOUT;
	if (!smp_load_acquire(&sd->init_done))
		return -ENODEV;
	if (sd->init.operation != HVK_VSTOR_COMPLETE_IO) {
		dev_err(&sd->hdev->dev, "the host answered step %u with operation %u\n", op,
			sd->init.operation);
		return -EPROTO;
	}
	return sd->init.status ? -EREMOTEIO : 0;
}

static int stor_channel_init(struct stor_dev *sd)
{
	struct device *dev = &sd->hdev->dev;
	unsigned int i;
	int ret;

	ret = stor_init_op(sd, HVK_VSTOR_BEGIN_INITIALIZATION, 0);
	if (ret)
		goto fail;
	for (i = 0; i < ARRAY_SIZE(stor_versions); i++) {
		ret = stor_init_op(sd, HVK_VSTOR_QUERY_PROTOCOL_VERSION, stor_versions[i]);
		if (ret != -EREMOTEIO)
			break;
	}
	if (ret) {
		if (ret == -EREMOTEIO)
			dev_err(dev, "the host speaks none of protocol 6.2, 6.0 and 5.1\n");
		goto fail;
	}
	sd->version = stor_versions[i];
	ret = stor_init_op(sd, HVK_VSTOR_QUERY_PROPERTIES, 0);
	if (ret)
		goto fail;
	sd->max_xfer = round_down(sd->init.props.max_transfer_bytes, HVK_HV_PAGE_SIZE);
	if (!sd->max_xfer) {
		dev_err(dev, "the host's maximum transfer (%u bytes) is less than a page\n",
			sd->init.props.max_transfer_bytes);
		return -EPROTO;
	}
	sd->max_xfer = min_t(u32, sd->max_xfer, STOR_MAX_XFER);
	sd->max_sub = sd->init.props.flags & HVK_VSTOR_MULTI_CHANNEL ?
		      sd->init.props.max_channel_cnt : 0;
	ret = stor_init_op(sd, HVK_VSTOR_END_INITIALIZATION, 0);
	if (!ret)
		return 0;
fail:
	dev_err(dev, "protocol initialisation failed (%d, host status 0x%x)\n", ret,
		sd->init.status);
	return ret;
}

static ssize_t stor_stats_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct stor_dev *sd = dev_get_drvdata(dev);

	return sysfs_emit(buf,
			  "version=%u.%u max_transfer=%u sub_channels_offered=%u sub_channels_open=%d queues=%u unknown_id=%lld short=%lld bad_operation=%lld bad_srb_status=%lld bad_length=%lld bad_sense=%lld\n",
			  sd->version >> 8, sd->version & 0xff, sd->max_xfer, sd->max_sub,
			  atomic_read(&sd->sc_open), sd->nr_queues,
			  atomic64_read(&sd->unknown_id), atomic64_read(&sd->short_pkt),
			  atomic64_read(&sd->bad_operation), atomic64_read(&sd->bad_srb_status),
			  atomic64_read(&sd->bad_length), atomic64_read(&sd->bad_sense));
}
static DEVICE_ATTR_RO(stor_stats);

static struct attribute *stor_attrs[] = {
	&dev_attr_stor_stats.attr,
	NULL,
};
ATTRIBUTE_GROUPS(stor);

static void stor_free(struct stor_dev *sd)
{
	if (sd->err_wq)
		destroy_workqueue(sd->err_wq);
	kfree(sd);
}

/*
 * Ask the host for sub-channels and wait until it offered and we opened
 * them (stor_sc_added(), on the core's sub-channel work). Returns the
 * hardware queues: one for each channel asked for, open or not yet. A
 * sub-channel that comes late (after the wait, after the SCSI host was
 * added) still gets its queue's commands: stor_queuecommand() looks the
 * channel up at each command and uses the primary until it is there.
 */
static u16 stor_open_subchannels(struct stor_dev *sd)
{
	int want = sub_channels < 0 ? (int)num_online_cpus() - 1 : sub_channels;
	int ret;

	want = min_t(int, want, sd->max_sub);
	want = min_t(int, want, HVK_MAX_SUBCHANNELS - 1);
	if (want <= 0)
		return 1;
	hvk_channel_set_subchannel_cbs(sd->ch, stor_sc_added, stor_sc_removed, sd);
	ret = stor_init_op(sd, HVK_VSTOR_CREATE_SUB_CHANNELS, want);
	if (ret) {
		dev_warn(&sd->hdev->dev, "the host gave no sub-channels (%d); one queue\n", ret);
		return 1;
	}
	if (!wait_event_timeout(sd->wq, atomic_read(&sd->sc_open) >= want || READ_ONCE(sd->gone),
				STOR_TIMEOUT))
		dev_warn(&sd->hdev->dev,
			 "%d of %d sub-channels open after %d s; the rest are used when they come\n",
			 atomic_read(&sd->sc_open), want, STOR_TIMEOUT / HZ);
	return want + 1;
}

static int stor_probe(struct hvk_device *hdev, const struct hv_vmbus_device_id *id)
{
	u32 ring = ring_kb * 1024;
	struct Scsi_Host *shost;
	struct stor_chan *sc;
	struct stor_dev *sd;
	int ret;

	if (ring < 2 * PAGE_SIZE || !PAGE_ALIGNED(ring))
		return -EINVAL;
	sd = kzalloc(sizeof(*sd), GFP_KERNEL);
	if (!sd)
		return -ENOMEM;
	sd->err_wq = alloc_ordered_workqueue("hvkit_storvsc", 0);
	if (!sd->err_wq) {
		kfree(sd);
		return -ENOMEM;
	}
	sd->hdev = hdev;
	sd->ch = hdev->channel;
	init_waitqueue_head(&sd->wq);
	mutex_init(&sd->chan_lock);
	INIT_WORK(&sd->gone_work, stor_gone_work);
	INIT_WORK(&sd->scan_work, stor_scan_work);
	dev_set_drvdata(&hdev->dev, sd);

	hvk_channel_set_rescind_cb(sd->ch, stor_rescinded, sd);
	sc = stor_chan_open(sd, sd->ch);
	if (IS_ERR(sc)) {
		stor_free(sd);
		return PTR_ERR(sc);
	}
	rcu_assign_pointer(sd->chans[0], sc);
	ret = stor_channel_init(sd);
	if (ret)
		goto close;
	sd->nr_queues = stor_open_subchannels(sd);

	shost = scsi_host_alloc(&stor_template, sizeof(struct stor_host));
	ret = -ENOMEM;
	if (!shost)
		goto close;
	((struct stor_host *)shost_priv(shost))->sd = sd;
	shost->max_lun = 255;	/* Hyper-V's: 2 targets of 255 LUNs on 8 channels */
	shost->max_id = 2;
	shost->max_channel = 7;
	shost->max_cmd_len = HVK_VSTOR_CDB_LEN;
	shost->max_sectors = sd->max_xfer >> 9;
	shost->sg_tablesize = sd->max_xfer / HVK_HV_PAGE_SIZE + 1;
	/* One hardware queue a channel; blk-mq spreads the CPUs over them. */
	shost->nr_hw_queues = sd->nr_queues;
	ret = scsi_add_host(shost, &hdev->dev);
	if (ret) {
		scsi_host_put(shost);
		goto close;
	}
	/* From here a rescind fails the requests in flight (gone_work). */
	WRITE_ONCE(sd->shost, shost);
	WRITE_ONCE(sd->scanning, true);
	if (READ_ONCE(sd->gone))
		queue_work(system_long_wq, &sd->gone_work);
	scsi_scan_host(shost);
	dev_info(&hdev->dev, "SCSI host %u: protocol %u.%u, maximum transfer %u bytes, %u queues\n",
		 shost->host_no, sd->version >> 8, sd->version & 0xff, sd->max_xfer,
		 sd->nr_queues);
	return 0;

close:
	/* Closes every sub-channel through stor_sc_removed(). */
	hvk_channel_set_subchannel_cbs(sd->ch, NULL, NULL, NULL);
	RCU_INIT_POINTER(sd->chans[0], NULL);
	stor_chan_close(sc);
	stor_free(sd);
	return ret;
}

static void stor_remove(struct hvk_device *hdev)
{
	struct stor_dev *sd = dev_get_drvdata(&hdev->dev);
	struct stor_chan *sc;

	/* No scan or LUN removal starts now; those queued are done. */
	WRITE_ONCE(sd->scanning, false);
	flush_workqueue(sd->err_wq);
	/* Rescinded: nothing in flight will complete, fail it now. */
	if (hvk_channel_rescinded(sd->ch)) {
		WRITE_ONCE(sd->gone, true);
		stor_fail_all(sd);
	}
	/* Otherwise the disks go first, with their cache flushed to the host. */
	scsi_remove_host(sd->shost);
	/* No request is left; no callback, rescind or poll after this. */
	WRITE_ONCE(sd->gone, true);
	sc = rcu_dereference_protected(sd->chans[0], true);
	stor_chan_stop(sc);
	cancel_work_sync(&sd->gone_work);
	/* Closes every sub-channel through stor_sc_removed(). */
	hvk_channel_set_subchannel_cbs(sd->ch, NULL, NULL, NULL);
	/* A scan the last completions queued finds the host gone. */
	destroy_workqueue(sd->err_wq);
	sd->err_wq = NULL;
	RCU_INIT_POINTER(sd->chans[0], NULL);
	stor_chan_close(sc);
	scsi_host_put(sd->shost);
	stor_free(sd);
}

static const struct hv_vmbus_device_id stor_ids[] = {
	{ .guid = { .b = { HVK_STORVSC_CLASS_BYTES } } },
	{ },
};
MODULE_DEVICE_TABLE(vmbus, stor_ids);

static struct hvk_driver stor_driver = {
	.name = "hvkit_storvsc",
	.id_table = stor_ids,
	.probe = stor_probe,
	.remove = stor_remove,
	.driver = {
		.dev_groups = stor_groups,
	},
};

static int __init stor_init(void)
{
	return hvk_driver_register(&stor_driver);
}

static void __exit stor_exit(void)
{
	hvk_driver_unregister(&stor_driver);
}

module_init(stor_init);
module_exit(stor_exit);
MODULE_DESCRIPTION("hvkit Hyper-V synthetic SCSI controller driver");
MODULE_LICENSE("GPL");
