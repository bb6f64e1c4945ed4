// SPDX-License-Identifier: GPL-2.0
/*
 * The file copy IC's host side, as Hyper-V's guest services copy
 * (Copy-VMFile) runs it: START_FILE_COPY names the target (path and file
 * name in UTF-16, the OVER_WRITE / CREATE_PATH flags, the size), then
 * WRITE_TO_FILE carries the file in order, at most 6 KiB a request, then
 * COMPLETE_FCOPY closes it. The first request the guest fails (COMPLETE
 * included) ends the copy, and the host then sends CANCEL_FCOPY so that
 * the guest drops what it wrote.
 *
 * HVSIM_CMD_FCOPY plays the host's disk with a file of the guest's own
 * filesystem (FCOPY_SRC, opened in the caller's context), read one chunk
 * at a time, so a file of any size is copied with one chunk in memory.
 * HVSIM_CMD_FCOPY_CANCEL, from another socket, stops the copy under way:
 * the copy sends CANCEL_FCOPY after the request in flight and its command
 * fails with -ECANCELED.
 */
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <net/genetlink.h>
#include <hvkit/ic_fcopy.h>
#include "sim.h"

/* Hyper-V offers file copy 1.1 (WIN8_SRV_VERSION), framework 3.0 and 1.0. */
static const u32 sim_fcopy_fw[] = { HVK_IC_FW_3_0, HVK_IC_FW_1_0 };
static const u32 sim_fcopy_srv[] = { HVK_IC_FCOPY_1_1 };

struct sim_fcopy {
	/* lock protects everything below; never held while waiting for the guest. */
	spinlock_t lock;
	bool copying;		/* a FCOPY command is under way */
	bool cancel;		/* ... and FCOPY_CANCEL asked it to stop */
	u64 gen;		/* copies started */
	u64 cancelled;		/* the last copy that stopped for a cancel */
	int cancel_err;		/* its CANCEL_FCOPY: 0 and the guest's status, or an error */
	u32 cancel_status;
	u64 bytes;		/* the copy's bytes the guest took, so far */
	wait_queue_head_t wq;	/* a copy ended */
};

static int sim_fcopy_init(struct sim_ic *ic)
{
	struct sim_fcopy *fc = ic->priv;

	spin_lock_init(&fc->lock);
	init_waitqueue_head(&fc->wq);
	return 0;
}

/* One request and the guest's status. */
static int sim_fcopy_req(struct sim_ic *ic, const void *m, u32 len, u32 *status, u32 timeout)
{
	u32 rlen;
	int ret;

	mutex_lock(&ic->lock);
	ret = sim_ic_request(ic, HVK_ICMSG_FCOPY, m, len, len, ic->rbuf, &rlen, status, timeout);
	mutex_unlock(&ic->lock);
	return ret == -ERESTARTSYS ? -EINTR : ret;
}

/* The request's target, converted to UTF-16; the message is refused if a name is not. */
static int sim_fcopy_start_msg(struct genl_info *info, struct hvk_fcopy_start *m, u32 flags,
			       u64 size)
{
	const struct nlattr *path = info->attrs[HVSIM_A_FCOPY_PATH];
	const struct nlattr *name = info->attrs[HVSIM_A_FCOPY_NAME];
	int which, ret;

	ret = hvk_fcopy_start_init(m, nla_data(path), nla_len(path), nla_data(name), nla_len(name),
				   flags, size, &which);
	if (!ret)
		return 0;
	if (ret == -ENOSPC)
		NL_SET_ERR_MSG_ATTR(info->extack, which ? name : path,
				    "longer than the protocol's 259 UTF-16 units and a terminator");
	else
		NL_SET_ERR_MSG_ATTR(info->extack, which ? name : path, "not valid UTF-8");
	return -EINVAL;
}

/*
 * Copy @f into the guest. Returns 0 with the first status the guest
 * failed a request with (or S_OK) in *first; -ECANCELED; -EIO (reading
 * the file failed; the guest got CANCEL_FCOPY); or an error of
 * sim_ic_request() (the copy stopped where it was).
 */
static int sim_fcopy_run(struct sim_ic *ic, struct file *f, const struct hvk_fcopy_start *start,
			 u32 chunk, u32 timeout, u64 gen, u32 *first)
{
	struct hvk_fcopy_hdr hdr = { .operation = HVK_FCOPY_COMPLETE };
	struct sim_fcopy *fc = ic->priv;
	struct hvk_fcopy_data *data;
	u32 status = HVK_S_OK, cstatus = 0;
	bool cancel = false;
	loff_t pos = 0;
	ssize_t n;
	int ret;

	*first = HVK_S_OK;
	data = kvzalloc(sizeof(*data), GFP_KERNEL);
	if (!data)
		return -ENOMEM;
	ret = sim_fcopy_req(ic, start, sizeof(*start), &status, timeout);
	while (!ret && status == HVK_S_OK) {
		if (READ_ONCE(fc->cancel)) {
			ret = -ECANCELED;
			break;
		}
		n = kernel_read(f, data->data, chunk, &pos);
		if (n < 0) {
			pr_err_ratelimited("hvkit_sim: fcopy: reading the source failed (%zd)\n", n);
			ret = -EIO;
			break;
		}
		if (!n)
			break;
		data->hdr.operation = HVK_FCOPY_WRITE_TO_FILE;
		data->offset = pos - n;
		data->size = n;
		memset(data->data + n, 0, sizeof(data->data) - n);
		ret = sim_fcopy_req(ic, data, sizeof(*data), &status, timeout);
		if (!ret && status == HVK_S_OK) {
			spin_lock(&fc->lock);
			fc->bytes += n;
			spin_unlock(&fc->lock);
		}
	}
	if (!ret && status == HVK_S_OK)
		ret = sim_fcopy_req(ic, &hdr, sizeof(hdr), &status, timeout);
	if ((!ret && status != HVK_S_OK) || ret == -ECANCELED || ret == -EIO) {
		if (!ret)
			*first = status;
		cancel = ret == -ECANCELED;
		hdr.operation = HVK_FCOPY_CANCEL;
		n = sim_fcopy_req(ic, &hdr, sizeof(hdr), &cstatus, timeout);
		if (cancel) {
			spin_lock(&fc->lock);
			fc->cancelled = gen;
			fc->cancel_err = n;
			fc->cancel_status = cstatus;
			spin_unlock(&fc->lock);
		}
	}
	kvfree(data);
	return ret;
}

static int sim_fcopy_copy(struct sim_ic *ic, struct genl_info *info)
{
	const struct nlattr *src = info->attrs[HVSIM_A_FCOPY_SRC];
	struct sim_fcopy *fc = ic->priv;
	u32 flags = 0, chunk = HVK_FCOPY_DATA_FRAGMENT, first = 0;
	struct hvk_fcopy_start *start;
	struct sk_buff *msg;
	struct file *f;
	u64 gen, bytes;
	void *hdr;
	int ret;

	if (!src || !info->attrs[HVSIM_A_FCOPY_PATH] || !info->attrs[HVSIM_A_FCOPY_NAME]) {
		NL_SET_ERR_MSG(info->extack, "FCOPY needs FCOPY_SRC, FCOPY_PATH and FCOPY_NAME");
		return -EINVAL;
	}
	if (info->attrs[HVSIM_A_FCOPY_FLAGS])
		flags = nla_get_u32(info->attrs[HVSIM_A_FCOPY_FLAGS]);
	if (info->attrs[HVSIM_A_FCOPY_CHUNK])
		chunk = nla_get_u32(info->attrs[HVSIM_A_FCOPY_CHUNK]);
	start = kzalloc(sizeof(*start), GFP_KERNEL);
	if (!start)
		return -ENOMEM;
	f = filp_open(nla_data(src), O_RDONLY | O_LARGEFILE, 0);
	if (IS_ERR(f)) {
		NL_SET_ERR_MSG_ATTR(info->extack, src, "cannot open the source file");
		kfree(start);
		return PTR_ERR(f);
	}
	if (!S_ISREG(file_inode(f)->i_mode)) {
		NL_SET_ERR_MSG_ATTR(info->extack, src, "the source is not a regular file");
		ret = -EINVAL;
		goto out;
	}
	ret = sim_fcopy_start_msg(info, start, flags, i_size_read(file_inode(f)));
	if (ret)
		goto out;

	spin_lock(&fc->lock);
	if (fc->copying) {
		spin_unlock(&fc->lock);
		NL_SET_ERR_MSG(info->extack, "a copy is already under way on this device");
		ret = -EBUSY;
		goto out;
	}
	fc->copying = true;
	fc->cancel = false;
	fc->bytes = 0;
	gen = ++fc->gen;
	spin_unlock(&fc->lock);

	ret = sim_fcopy_run(ic, f, start, chunk, sim_ic_timeout(info), gen, &first);

	spin_lock(&fc->lock);
	fc->copying = false;
	bytes = fc->bytes;
	spin_unlock(&fc->lock);
	wake_up_all(&fc->wq);

	if (ret == -ECANCELED) {
		NL_SET_ERR_MSG(info->extack, "the copy was cancelled: the guest got CANCEL_FCOPY");
		goto out;
	}
	if (ret == -EIO) {
		NL_SET_ERR_MSG_ATTR(info->extack, src,
				    "reading the source failed: the guest got CANCEL_FCOPY");
		goto out;
	}
	if (ret) {
		sim_ic_nl_err(info, ret);
		goto out;
	}
	ret = -ENOMEM;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		goto out;
	hdr = sim_nl_put_reply(msg, info);
	if (!hdr || nla_put_u32(msg, HVSIM_A_IC_STATUS, first) ||
	    nla_put_u64_64bit(msg, HVSIM_A_FCOPY_BYTES, bytes, HVSIM_A_PAD)) {
		nlmsg_free(msg);
		ret = -EMSGSIZE;
		goto out;
	}
	genlmsg_end(msg, hdr);
	ret = genlmsg_reply(msg, info);
out:
	filp_close(f, NULL);
	kfree(start);
	return ret;
}

static int sim_fcopy_cancel(struct sim_ic *ic, struct genl_info *info)
{
	struct sim_fcopy *fc = ic->priv;
	u32 status;
	struct sk_buff *msg;
	u64 gen, bytes;
	long left;
	void *hdr;
	int err;

	spin_lock(&fc->lock);
	if (!fc->copying) {
		spin_unlock(&fc->lock);
		NL_SET_ERR_MSG(info->extack, "no copy is under way on this device");
		return -ENOENT;
	}
	fc->cancel = true;
	gen = fc->gen;
	spin_unlock(&fc->lock);

	/* The copy stops after the request in flight, then sends CANCEL_FCOPY. */
	left = wait_event_interruptible_timeout(fc->wq, !READ_ONCE(fc->copying) ||
						READ_ONCE(fc->gen) != gen,
						msecs_to_jiffies(2 * sim_ic_timeout(info)));
	if (left < 0)
		return -EINTR;
	spin_lock(&fc->lock);
	if (!left && fc->copying && fc->gen == gen) {
		spin_unlock(&fc->lock);
		NL_SET_ERR_MSG(info->extack, "the copy did not stop in time");
		return -ETIMEDOUT;
	}
	if (fc->cancelled != gen) {
		spin_unlock(&fc->lock);
		NL_SET_ERR_MSG(info->extack, "the copy ended before the cancel reached it");
		return -EALREADY;
	}
	err = fc->cancel_err;
	status = fc->cancel_status;
	bytes = fc->bytes;
	spin_unlock(&fc->lock);
	if (err) {
		sim_ic_nl_err(info, err);
		return err;
	}
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = sim_nl_put_reply(msg, info);
	if (!hdr || nla_put_u32(msg, HVSIM_A_IC_STATUS, status) ||
	    nla_put_u64_64bit(msg, HVSIM_A_FCOPY_BYTES, bytes, HVSIM_A_PAD)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int sim_fcopy_cmd(struct sim_ic *ic, struct genl_info *info)
{
	switch (info->genlhdr->cmd) {
	case HVSIM_CMD_FCOPY:
		return sim_fcopy_copy(ic, info);
	case HVSIM_CMD_FCOPY_CANCEL:
		return sim_fcopy_cancel(ic, info);
	}
	NL_SET_ERR_MSG(info->extack, "an fcopy device takes FCOPY, FCOPY_CANCEL and IC_RAW");
	return -EOPNOTSUPP;
}

static const struct sim_ic_service sim_fcopy_service = {
	.msgtype = HVK_ICMSG_FCOPY,
	.fw = sim_fcopy_fw,
	.nfw = ARRAY_SIZE(sim_fcopy_fw),
	.srv = sim_fcopy_srv,
	.nsrv = ARRAY_SIZE(sim_fcopy_srv),
	.priv_size = sizeof(struct sim_fcopy),
	.init = sim_fcopy_init,
	.cmd = sim_fcopy_cmd,
};

const struct sim_dev_type sim_fcopy_type =
	SIM_IC_TYPE("fcopy", HVK_IC_GUID_FCOPY, sim_fcopy_service);
