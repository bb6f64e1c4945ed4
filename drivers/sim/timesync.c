// SPDX-License-Identifier: GPL-2.0
/*
 * The time sync IC's host side, as Hyper-V (and openvmm's timesync IC)
 * runs it: once the guest negotiated, a SYNC with the host's time, then a
 * SAMPLE every ts_interval_ms (Hyper-V: 5 s), each a transaction the guest
 * answers. The host's clock is this kernel's CLOCK_REALTIME (the sim has
 * no other), in 100 ns units since 1601. From version 4.0 a message also
 * carries the partition reference count at which the host read its clock
 * (sim_ref_counter(), the counter the guest reads through
 * hvk_ref_counter()); older versions carry the time alone.
 *
 * HVSIM_CMD_TIMESYNC sends one message with any flags (1 SYNC, 2 SAMPLE)
 * and a time: TS_TIME_NS (absolute, ns since the Unix epoch), TS_OFFSET_NS
 * (the clock now plus this), or the clock now; with TS_DELAY_NS it is sent
 * as if it had taken that long to arrive (the time and, from 4.0, the
 * reference count it carries are that much older), which a 4.0 guest
 * corrects for and an older one cannot. It replies with the status the
 * guest answered.
 */
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/timekeeping.h>
#include <net/genetlink.h>
#include "sim.h"

static uint ts_interval_ms = 5000;
module_param(ts_interval_ms, uint, 0644);
MODULE_PARM_DESC(ts_interval_ms, "time sync IC: how often the host sends a SAMPLE (default 5000 ms, as Hyper-V)");

static const u32 sim_ts_fw[] = { HVK_IC_FW_3_0, HVK_IC_FW_1_0 };
static const u32 sim_ts_srv[] = { HVK_IC_TS_4_0, HVK_IC_TS_3_0, HVK_IC_TS_1_0 };

/*
 * The bodies Hyper-V sends (openvmm's TimesyncMessage and
 * TimesyncMessageV4): the structs upstream's guest reads, then reserved
 * bytes up to 28 and 24.
 */
#define SIM_TS_BODY		28
#define SIM_TS_REF_BODY		24
static_assert(SIM_TS_BODY >= sizeof(struct hvk_ic_timesync));
static_assert(SIM_TS_REF_BODY >= sizeof(struct hvk_ic_timesync_ref));

struct sim_ts {
	struct sim_ic *ic;
	struct delayed_work tick;	/* the SYNC, then every SAMPLE */
	bool synced;			/* the SYNC went; under ic->lock */
};

/*
 * One message with @flags, the host's time read now and moved to @ns (ns
 * since the Unix epoch) if @absolute, or by @ns otherwise; and @delay_ns
 * late: the clock and the reference count as the host read them that long
 * before it sends. Under ic->lock. sim_ic_request()'s errors; -ERANGE
 * when the offset overflows, -EDOM when the delay reaches back before the
 * partition (the reference counter) started.
 */
static int sim_ts_send(struct sim_ic *ic, u8 flags, bool absolute, s64 ns, u64 delay_ns,
		       u32 timeout_ms, u32 *status)
{
	u8 body[SIM_TS_BODY] = {};
	u64 ref, wintime;
	u32 len, rlen;
	s64 t;

	lockdep_assert_held(&ic->lock);
	/* The clock and the reference count, read together. */
	ref = sim_ref_counter();
	t = ktime_get_real();
	if (absolute)
		t = ns;
	else if (check_add_overflow(t, ns, &t))
		return -ERANGE;
	if (div_u64(delay_ns, 100) > ref)
		return -EDOM;
	ref -= div_u64(delay_ns, 100);
	if (check_sub_overflow(t, (s64)delay_ns, &t))
		return -ERANGE;
	/* Any s64 of ns is within 1601 + 2^64 x 100 ns: no range to check. */
	wintime = HVK_WLTIMEDELTA + div_s64(t, 100);
	if (READ_ONCE(ic->srv_ver) >= HVK_IC_TS_4_0) {
		struct hvk_ic_timesync_ref m = {
			.parenttime = wintime,
			.vmreferencetime = ref,
			.flags = flags,
		};

		memcpy(body, &m, sizeof(m));
		len = SIM_TS_REF_BODY;
	} else {
		struct hvk_ic_timesync m = { .parenttime = wintime, .flags = flags };

		memcpy(body, &m, sizeof(m));
		len = SIM_TS_BODY;
	}
	return sim_ic_request(ic, HVK_ICMSG_TIMESYNC, body, len, len, ic->rbuf, &rlen, status,
			      timeout_ms);
}

static void sim_ts_tick(struct work_struct *work)
{
	struct sim_ts *ts = container_of(to_delayed_work(work), struct sim_ts, tick);
	struct sim_ic *ic = ts->ic;
	u32 status;
	int ret;

	mutex_lock(&ic->lock);
	ret = sim_ts_send(ic, ts->synced ? HVK_IC_TS_FLAG_SAMPLE : HVK_IC_TS_FLAG_SYNC, false, 0, 0,
			  SIM_IC_TIMEOUT_MS, &status);
	if (!ret)
		ts->synced = true;
	mutex_unlock(&ic->lock);
	if (ret != -ENOTCONN)
		schedule_delayed_work(&ts->tick, msecs_to_jiffies(READ_ONCE(ts_interval_ms) ?: 1));
}

static int sim_ts_init(struct sim_ic *ic)
{
	struct sim_ts *ts = ic->priv;

	ts->ic = ic;
	INIT_DELAYED_WORK(&ts->tick, sim_ts_tick);
	return 0;
}

/* Negotiated (again): the guest's clock is set first. */
static void sim_ts_ready(struct sim_ic *ic)
{
	struct sim_ts *ts = ic->priv;

	mutex_lock(&ic->lock);
	ts->synced = false;
	mutex_unlock(&ic->lock);
	mod_delayed_work(system_wq, &ts->tick, 0);
}

static void sim_ts_stop(struct sim_ic *ic)
{
	struct sim_ts *ts = ic->priv;

	cancel_delayed_work_sync(&ts->tick);
}

static int sim_ts_cmd(struct sim_ic *ic, struct genl_info *info)
{
	struct nlattr *at = info->attrs[HVSIM_A_TS_TIME_NS], *ao = info->attrs[HVSIM_A_TS_OFFSET_NS];
	struct nlattr *ad = info->attrs[HVSIM_A_TS_DELAY_NS];
	struct sk_buff *msg;
	u32 status = 0;
	void *hdr;
	int ret;

	if (info->genlhdr->cmd != HVSIM_CMD_TIMESYNC) {
		NL_SET_ERR_MSG(info->extack, "a timesync device takes TIMESYNC and IC_RAW");
		return -EOPNOTSUPP;
	}
	if (!info->attrs[HVSIM_A_TS_FLAGS]) {
		NL_SET_ERR_MSG(info->extack, "TS_FLAGS is required: 1 for a SYNC, 2 for a SAMPLE");
		return -EINVAL;
	}
	if (at && ao) {
		NL_SET_ERR_MSG(info->extack, "give the host's time or an offset from it, not both");
		return -EINVAL;
	}
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	mutex_lock(&ic->lock);
	ret = sim_ts_send(ic, nla_get_u32(info->attrs[HVSIM_A_TS_FLAGS]), at,
			  at ? nla_get_s64(at) : ao ? nla_get_s64(ao) : 0,
			  ad ? nla_get_u64(ad) : 0, sim_ic_timeout(info), &status);
	mutex_unlock(&ic->lock);
	if (ret == -ERANGE)
		NL_SET_ERR_MSG(info->extack, "the time, offset and delay go past what 64 bits of ns hold");
	else if (ret == -EDOM)
		NL_SET_ERR_MSG_ATTR(info->extack, ad,
				    "the delay reaches back before the partition's reference counter started");
	else if (ret)
		sim_ic_nl_err(info, ret);
	if (!ret) {
		hdr = sim_nl_put_reply(msg, info);
		if (!hdr || nla_put_u32(msg, HVSIM_A_IC_STATUS, status))
			ret = -EMSGSIZE;
		else
			genlmsg_end(msg, hdr);
	}
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	return genlmsg_reply(msg, info);
}

static const struct sim_ic_service sim_ts_service = {
	.msgtype = HVK_ICMSG_TIMESYNC,
	.fw = sim_ts_fw,
	.nfw = ARRAY_SIZE(sim_ts_fw),
	.srv = sim_ts_srv,
	.nsrv = ARRAY_SIZE(sim_ts_srv),
	.priv_size = sizeof(struct sim_ts),
	.init = sim_ts_init,
	.ready = sim_ts_ready,
	.stop = sim_ts_stop,
	.cmd = sim_ts_cmd,
};

const struct sim_dev_type sim_timesync_type =
	SIM_IC_TYPE("timesync", HVK_IC_GUID_TIMESYNC, sim_ts_service);
