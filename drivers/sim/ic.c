// SPDX-License-Identifier: GPL-2.0
/*
 * The host side of the integration components, as Hyper-V runs them: once
 * the guest opens an IC channel, the host negotiates (it sends the
 * framework and service versions it speaks, the guest picks one of each),
 * then sends requests one at a time and waits for each answer. Answers
 * are matched by the VMBus transaction id the host chose; anything else
 * from the guest is counted and dropped.
 *
 * Each service (sim_heartbeat.c, ...) is a struct sim_ic_service; the
 * device-type hooks here are common to all of them (SIM_IC_TYPE()).
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <net/genetlink.h>
#include "sim.h"

#define SIM_IC_NEGO_TIMEOUT_MS	55000	/* upstream's HV_UTIL_NEGO_TIMEOUT */

static struct sim_ic *sim_ic_of(const struct sim_dev *d)
{
	return d->priv;
}

/* Set up the versions this host offers: the service's, or the test's pins. */
static int sim_ic_versions(struct genl_info *info, int attr, const u32 *def, u32 ndef,
			   u32 *out, u32 *n)
{
	const struct nlattr *a = info ? info->attrs[attr] : NULL;
	u32 len, i;

	if (!a) {
		memcpy(out, def, ndef * sizeof(u32));
		*n = ndef;
		return 0;
	}
	len = nla_len(a);
	if (!len || len % sizeof(u32) || len / sizeof(u32) > SIM_IC_MAX_VERS) {
		NL_SET_ERR_MSG_ATTR(info->extack, a, "a version list is 1 to 16 u32s");
		return -EINVAL;
	}
	*n = len / sizeof(u32);
	memcpy(out, nla_data(a), len);
	for (i = 0; i < *n; i++)
		if (!out[i]) {
			NL_SET_ERR_MSG_ATTR(info->extack, a, "version 0.0 does not exist");
			return -EINVAL;
		}
	return 0;
}

int sim_ic_init(struct sim_dev *d, struct genl_info *info)
{
	const struct sim_ic_service *svc = d->type->ic;
	struct sim_ic *ic;
	int ret;

	if (d->nchans != 1) {
		if (info)
			NL_SET_ERR_MSG(info->extack, "an integration service has one channel");
		return -EINVAL;
	}
	ic = kvzalloc(sizeof(*ic), GFP_KERNEL);
	if (!ic)
		return -ENOMEM;
	ret = sim_ic_versions(info, HVSIM_A_IC_FW_VERSIONS, svc->fw, svc->nfw, ic->offer_fw,
			      &ic->nfw);
	if (!ret)
		ret = sim_ic_versions(info, HVSIM_A_IC_SRV_VERSIONS, svc->srv, svc->nsrv,
				      ic->offer_srv, &ic->nsrv);
	if (!ret && svc->priv_size) {
		ic->priv = kzalloc(svc->priv_size, GFP_KERNEL);
		if (!ic->priv)
			ret = -ENOMEM;
	}
	if (ret) {
		kvfree(ic);
		return ret;
	}
	ic->d = d;
	ic->svc = svc;
	mutex_init(&ic->lock);
	spin_lock_init(&ic->tx_lock);
	init_waitqueue_head(&ic->wq);
	INIT_WORK(&ic->negotiate_work, sim_ic_negotiate_work);
	ic->next_tid = 1;
	d->priv = ic;
	if (svc->init) {
		ret = svc->init(ic);
		if (ret) {
			kfree(ic->priv);
			kvfree(ic);
			d->priv = NULL;
		}
	}
	return ret;
}

void sim_ic_destroy(struct sim_dev *d)
{
	struct sim_ic *ic = sim_ic_of(d);

	if (!ic)
		return;
	cancel_work_sync(&ic->negotiate_work);
	if (ic->svc->destroy)
		ic->svc->destroy(ic);
	kfree(ic->priv);
	kvfree(ic);
}

/* Under sim.lock; the host starts with the negotiation, from its work. */
void sim_ic_opened(struct sim_chan *c)
{
	struct sim_ic *ic = sim_ic_of(c->dev);

	spin_lock_bh(&ic->tx_lock);
	ic->c = c;
	ic->fw_ver = 0;
	ic->srv_ver = 0;
	spin_unlock_bh(&ic->tx_lock);
	queue_work(system_wq, &ic->negotiate_work);
}

/* Under sim.lock, the serve work stopped: no more sends, waiters fail. */
void sim_ic_closed(struct sim_chan *c)
{
	struct sim_ic *ic = sim_ic_of(c->dev);

	spin_lock_bh(&ic->tx_lock);
	ic->c = NULL;
	ic->fw_ver = 0;
	ic->srv_ver = 0;
	spin_unlock_bh(&ic->tx_lock);
	wake_up_all(&ic->wq);
	/* Neither takes sim.lock: the waiters above return at once. */
	cancel_work_sync(&ic->negotiate_work);
	if (ic->svc->stop)
		ic->svc->stop(ic);
}

/* An answer from the guest, in the channel's serve work. */
int sim_ic_serve(struct sim_chan *c, const u8 *pkt, u32 len)
{
	const struct hvk_pkt_desc *d = (const void *)pkt;
	struct sim_ic *ic = sim_ic_of(c->dev);
	u32 off = d->offset8 * 8;
	bool match;

	spin_lock_bh(&ic->tx_lock);
	match = ic->wait_tid && d->trans_id == ic->wait_tid && !ic->done &&
		d->type == HVK_PKT_DATA_INBAND;
	if (match) {
		ic->dst_len = min_t(u32, len - off, SIM_IC_BUF);
		memcpy(ic->dst, pkt + off, ic->dst_len);
		ic->done = true;
	}
	spin_unlock_bh(&ic->tx_lock);
	if (match) {
		wake_up_all(&ic->wq);
	} else {
		atomic_long_inc(&ic->unexpected);
		pr_err_ratelimited("hvkit_sim: %s %u: packet type %u id %llu of %u bytes answers nothing asked, dropped\n",
				   c->dev->type->name, c->relid, d->type, d->trans_id, len);
	}
	return 0;
}

int sim_ic_transact(struct sim_ic *ic, const u8 *msg, u32 len, u8 *resp, u32 *resp_len,
		    u32 timeout_ms)
{
	struct hvk_pkt_desc desc = { .type = HVK_PKT_DATA_INBAND, .offset8 = sizeof(desc) / 8 };
	long left;
	int ret;

	lockdep_assert_held(&ic->lock);
	if (len > SIM_IC_BUF)
		return -EMSGSIZE;
	desc.len8 = (sizeof(desc) + len + 7) / 8;
	spin_lock_bh(&ic->tx_lock);
	if (!ic->c) {
		spin_unlock_bh(&ic->tx_lock);
		return -ENOTCONN;
	}
	desc.trans_id = ic->next_tid++;
	ic->wait_tid = desc.trans_id;
	ic->dst = resp;
	ic->done = false;
	memcpy(ic->pkt, &desc, sizeof(desc));
	memcpy(ic->pkt + sizeof(desc), msg, len);
	memset(ic->pkt + sizeof(desc) + len, 0, desc.len8 * 8 - sizeof(desc) - len);
	ret = sim_chan_reply(ic->c, ic->pkt, desc.len8 * 8);
	spin_unlock_bh(&ic->tx_lock);
	if (ret == -EAGAIN)
		ret = -ENOBUFS;	/* the guest does not read its ring */
	if (!ret) {
		left = wait_event_interruptible_timeout(ic->wq, READ_ONCE(ic->done) ||
							!READ_ONCE(ic->c),
							msecs_to_jiffies(timeout_ms));
		if (READ_ONCE(ic->done))
			ret = 0;
		else if (left < 0)
			ret = left;
		else if (!READ_ONCE(ic->c))
			ret = -ENOTCONN;
		else
			ret = -ETIMEDOUT;
	}
	spin_lock_bh(&ic->tx_lock);
	/* An answer that raced the timeout is taken all the same. */
	if (ret && ic->done)
		ret = 0;
	ic->wait_tid = 0;
	ic->dst = NULL;
	*resp_len = ret ? 0 : ic->dst_len;
	spin_unlock_bh(&ic->tx_lock);
	return ret;
}

int sim_ic_request(struct sim_ic *ic, u16 msgtype, const void *body, u32 len, u32 claimed,
		   u8 *resp, u32 *resp_len, u32 *status, u32 timeout_ms)
{
	const struct hvk_ic_hdr *h;
	const char *why;
	u32 body_len;
	int ret;

	lockdep_assert_held(&ic->lock);
	if (!READ_ONCE(ic->srv_ver))
		return -ENOTCONN;
	if (HVK_IC_HDRS + len > SIM_IC_BUF)
		return -EMSGSIZE;
	hvk_ic_hdr_init(ic->msg, msgtype, ic->fw_ver, ic->srv_ver, 0,
			HVK_ICFLAG_TRANSACTION | HVK_ICFLAG_REQUEST, claimed);
	memcpy(ic->msg + HVK_IC_HDRS, body, len);
	ret = sim_ic_transact(ic, ic->msg, HVK_IC_HDRS + len, resp, resp_len, timeout_ms);
	if (ret)
		return ret;
	h = hvk_ic_parse(resp, *resp_len, &body_len, &why);
	if (!h || h->icmsgtype != msgtype || !(h->icflags & HVK_ICFLAG_RESPONSE)) {
		atomic_long_inc(&ic->unexpected);
		pr_err_ratelimited("hvkit_sim: %s: the guest's answer is malformed: %s\n",
				   ic->d->type->name, h ? "not a response of this type" : why);
		return -EBADMSG;
	}
	*status = h->status;
	return 0;
}

void sim_ic_negotiate_work(struct work_struct *work)
{
	struct sim_ic *ic = container_of(work, struct sim_ic, negotiate_work);
	u32 fw, srv, len;
	int ret;

	mutex_lock(&ic->lock);
	ret = hvk_ic_negotiate_request(ic->msg, SIM_IC_BUF, HVK_ICMSG_NEGOTIATE, 0, ic->offer_fw,
				       ic->nfw, ic->offer_srv, ic->nsrv);
	if (ret > 0)
		ret = sim_ic_transact(ic, ic->msg, ret, ic->rbuf, &len, SIM_IC_NEGO_TIMEOUT_MS);
	if (!ret)
		ret = hvk_ic_negotiate_response(ic->rbuf, len, ic->offer_fw, ic->nfw,
						ic->offer_srv, ic->nsrv, &fw, &srv);
	if (!ret) {
		WRITE_ONCE(ic->fw_ver, fw);
		WRITE_ONCE(ic->srv_ver, srv);
	}
	mutex_unlock(&ic->lock);
	if (ret) {
		if (ret != -ENOTCONN)
			pr_err_ratelimited("hvkit_sim: %s: negotiation failed (%d)\n",
					   ic->d->type->name, ret);
		atomic_long_inc(&ic->nego_failed);
		return;
	}
	if (ic->svc->ready)
		ic->svc->ready(ic);
}

/* HVSIM_CMD_IC_RAW: any message, as the host; the answer's body back. */
static int sim_ic_raw(struct sim_ic *ic, struct genl_info *info)
{
	struct nlattr *raw = info->attrs[HVSIM_A_RAW];
	u32 type, claimed, status = 0, len = 0, body_len;
	u32 timeout;
	struct sk_buff *msg;
	const char *why;
	void *hdr;
	int ret;

	if (!info->attrs[HVSIM_A_IC_MSGTYPE] || !raw) {
		NL_SET_ERR_MSG(info->extack, "a message type and a body are required");
		return -EINVAL;
	}
	type = nla_get_u32(info->attrs[HVSIM_A_IC_MSGTYPE]);
	claimed = info->attrs[HVSIM_A_IC_MSGSIZE] ?
		  nla_get_u32(info->attrs[HVSIM_A_IC_MSGSIZE]) : nla_len(raw);
	timeout = sim_ic_timeout(info);
	msg = genlmsg_new(NLMSG_GOODSIZE + SIM_IC_BUF, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	mutex_lock(&ic->lock);
	ret = sim_ic_request(ic, type, nla_data(raw), nla_len(raw), claimed, ic->rbuf, &len,
			     &status, timeout);
	if (!ret) {
		hvk_ic_parse(ic->rbuf, len, &body_len, &why);
		hdr = sim_nl_reply_put(msg, info);
		if (!hdr || nla_put_u32(msg, HVSIM_A_IC_STATUS, status) ||
		    nla_put(msg, HVSIM_A_RAW, body_len, ic->rbuf + HVK_IC_HDRS))
			ret = -EMSGSIZE;
		else
			genlmsg_end(msg, hdr);
	}
	mutex_unlock(&ic->lock);
	if (ret) {
		nlmsg_free(msg);
		sim_ic_nl_err(info, ret);
		return ret;
	}
	return genlmsg_reply(msg, info);
}

u32 sim_ic_timeout(struct genl_info *info)
{
	if (!info->attrs[HVSIM_A_IC_TIMEOUT_MS])
		return SIM_IC_TIMEOUT_MS;
	return min(nla_get_u32(info->attrs[HVSIM_A_IC_TIMEOUT_MS]), 600000U);
}

void sim_ic_nl_err(struct genl_info *info, int err)
{
	switch (err) {
	case -ENOTCONN:
		NL_SET_ERR_MSG(info->extack,
			       "the guest has not opened the channel or not negotiated a version");
		break;
	case -ETIMEDOUT:
		NL_SET_ERR_MSG(info->extack, "the guest did not answer in time");
		break;
	case -ENOBUFS:
		NL_SET_ERR_MSG(info->extack, "the guest's inbound ring is full: it does not read");
		break;
	case -EBADMSG:
		NL_SET_ERR_MSG(info->extack, "the guest's answer is malformed");
		break;
	case -EMSGSIZE:
		NL_SET_ERR_MSG(info->extack, "the message is too long for the channel");
		break;
	}
}

int sim_ic_cmd(struct sim_dev *d, struct genl_info *info)
{
	struct sim_ic *ic = sim_ic_of(d);

	if (info->genlhdr->cmd == HVSIM_CMD_IC_RAW)
		return sim_ic_raw(ic, info);
	if (ic->svc->cmd)
		return ic->svc->cmd(ic, info);
	NL_SET_ERR_MSG(info->extack, "the device's type has no such command");
	return -EOPNOTSUPP;
}

int sim_ic_fill(const struct sim_dev *d, struct sk_buff *skb)
{
	struct sim_ic *ic = sim_ic_of(d);

	if (nla_put_u32(skb, HVSIM_A_IC_FW_VERSION, READ_ONCE(ic->fw_ver)) ||
	    nla_put_u32(skb, HVSIM_A_IC_SRV_VERSION, READ_ONCE(ic->srv_ver)))
		return -EMSGSIZE;
	return ic->svc->fill ? ic->svc->fill(ic, skb) : 0;
}
