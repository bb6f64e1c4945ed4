// SPDX-License-Identifier: GPL-2.0
/*
 * Time sync: the host sends its wall-clock time (100 ns units since 1601),
 * a SYNC when the guest must take it now (the channel opened: boot, resume,
 * restore), a SAMPLE every few seconds after. As upstream's hv_util.c:
 *
 * - Every message becomes the last sample: the host's time and the
 *   partition reference counter (hvk_ref_counter()) when it arrived. A 4.0
 *   message also says at which reference count the host read its clock
 *   (vmreferencetime), and the time it took to reach the guest is added.
 * - SYNC sets CLOCK_REALTIME (do_settimeofday64(), from a work item) to
 *   the host's time as of then. So does a SAMPLE that finds the guest 5 s
 *   or more behind, with timesync_implicit set.
 * - A PTP clock ("hyperv", /dev/ptpN) reads the host's time now: the last
 *   sample plus the reference counter's advance since. chrony can
 *   discipline the clock with it (refclock PHC /dev/ptpN). Kernels
 *   without PTP clocks (CONFIG_PTP_1588_CLOCK off: ptp_clock_register()
 *   returns NULL) get no PTP clock; SYNC still works.
 */
#include <linux/module.h>
#include <linux/ptp_clock_kernel.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/timekeeping.h>
#include <hvkit/ic_sdts.h>
#include "util.h"

static bool timesync_implicit;
module_param(timesync_implicit, bool, 0644);
MODULE_PARM_DESC(timesync_implicit,
		 "time sync: a SAMPLE that finds the clock 5 s or more behind the host's sets it, as a SYNC does (upstream's hv_utils.timesync_implicit)");

static const u32 ts_fw[] = { HVK_IC_FW_3_0, HVK_IC_FW_1_0 };
static const u32 ts_srv[] = { HVK_IC_TS_4_0, HVK_IC_TS_3_0, HVK_IC_TS_1_0 };

/* upstream's hv_implicit_sync(): how far behind a SAMPLE must find us */
#define TS_IMPLICIT_BEHIND_NS	(5 * NSEC_PER_SEC)

#define ts_info(ic, fmt, ...) \
	dev_info_ratelimited(&(ic)->hdev->dev, "%s: " fmt, (ic)->svc->name, ##__VA_ARGS__)

struct ts {
	struct hvk_ic *ic;
	/*
	 * lock protects the last sample: the host's time (100 ns units since
	 * 1601) as of reference count ref_time. The IC's work writes it, the
	 * clock setter and the PTP clock's readers read it (process context).
	 */
	spinlock_t lock;
	u64 host_time;
	u64 ref_time;
	bool have;		/* a sample came */
	bool stale_warned;	/* said once that it is older than 10 minutes */
	struct work_struct set_work;	/* SYNC: sets CLOCK_REALTIME */
	struct ptp_clock_info ptp_info;
	struct ptp_clock *ptp;	/* set by negotiated(), gone in remove() */
};

/*
 * The host's time now, as upstream's hv_get_adj_host_time(): the last
 * sample plus the reference counter's advance since. -EAGAIN before the
 * first sample; -ESTALE (and *now set) when the sample is older than 10
 * minutes; -ERANGE past what a timespec64 of nanoseconds holds.
 */
static int ts_host_now(struct ts *ts, struct timespec64 *now)
{
	bool warn = false;
	u64 elapsed;
	s64 ns = 0;
	int ret;

	spin_lock(&ts->lock);
	if (!ts->have) {
		spin_unlock(&ts->lock);
		return -EAGAIN;
	}
	elapsed = hvk_ref_counter() - ts->ref_time;
	ret = hvk_ts_unix_ns(ts->host_time, elapsed, &ns);
	if (!ret && elapsed > HVK_TS_STALE_100NS) {
		ret = -ESTALE;
		warn = !ts->stale_warned;
		ts->stale_warned = true;
	}
	spin_unlock(&ts->lock);
	if (warn)
		dev_warn(&ts->ic->hdev->dev, "timesync: the host's last time sample is %llu s old\n",
			 elapsed / 10000000);
	if (ret && ret != -ESTALE)
		return ret;
	*now = ns_to_timespec64(ns);
	return ret;
}

static void ts_set_clock(struct work_struct *work)
{
	struct ts *ts = container_of(work, struct ts, set_work);
	struct timespec64 host;
	s64 step;
	int ret;

	/* upstream's hv_set_host_time(): not from a stale sample */
	if (ts_host_now(ts, &host))
		return;
	step = timespec64_to_ns(&host) - ktime_get_real();
	ret = do_settimeofday64(&host);
	if (ret)
		ic_err(ts->ic, "cannot set the clock to the host's time (%d)\n", ret);
	else
		ts_info(ts->ic, "clock set to the host's time, a step of %lld ms\n",
			div_s64(step, NSEC_PER_MSEC));
}

static enum hvk_ic_verdict ts_request(struct hvk_ic *ic, struct hvk_ic_hdr *h, u8 *body, u32 len)
{
	struct ts *ts = ic->priv;
	struct hvk_ts_sample s;
	u64 now, delay;
	s64 ns;

	h->status = HVK_E_FAIL;
	if (hvk_ts_parse(body, len, ic->srv_ver, &s)) {
		atomic_long_inc(&ic->bad);
		ic_err(ic, "message of %u bytes refused: version %u.%u's is %zu\n", len,
		       HVK_IC_MAJOR(ic->srv_ver), HVK_IC_MINOR(ic->srv_ver),
		       ic->srv_ver >= HVK_IC_TS_4_0 ? sizeof(struct hvk_ic_timesync_ref) :
						      sizeof(struct hvk_ic_timesync));
		return HVK_IC_ANSWER;
	}
	now = hvk_ref_counter();
	/* upstream's adj_guesttime(): below 4.0 the time is as of now */
	if (s.has_ref && s.reftime > now) {
		atomic_long_inc(&ic->bad);
		ic_err(ic, "sample refused: taken at reference count %llu, later than now (%llu)\n",
		       s.reftime, now);
		return HVK_IC_ANSWER;
	}
	delay = s.has_ref ? now - s.reftime : 0;
	if (hvk_ts_unix_ns(s.parenttime, delay, &ns)) {
		atomic_long_inc(&ic->bad);
		ic_err(ic, "sample refused: %llu (100 ns units since 1601) is not between 1970 and 2262\n",
		       s.parenttime);
		return HVK_IC_ANSWER;
	}
	spin_lock(&ts->lock);
	ts->host_time = s.parenttime + delay;
	ts->ref_time = now;
	ts->have = true;
	ts->stale_warned = false;
	spin_unlock(&ts->lock);
	h->status = HVK_S_OK;
	if ((s.flags & HVK_IC_TS_FLAG_SYNC) ||
	    (READ_ONCE(timesync_implicit) && ns >= ktime_get_real() + TS_IMPLICIT_BEHIND_NS))
		queue_work(system_wq, &ts->set_work);
	return HVK_IC_ANSWER;
}

/* The PTP clock: it only reads; the host's time cannot be set or steered. */
static int ts_ptp_gettime(struct ptp_clock_info *info, struct timespec64 *t)
{
	return ts_host_now(container_of(info, struct ts, ptp_info), t);
}

static int ts_ptp_settime(struct ptp_clock_info *info, const struct timespec64 *t)
{
	return -EOPNOTSUPP;
}

static int ts_ptp_adjfine(struct ptp_clock_info *info, long scaled_ppm)
{
	return -EOPNOTSUPP;
}

static int ts_ptp_adjtime(struct ptp_clock_info *info, s64 delta)
{
	return -EOPNOTSUPP;
}

static int ts_ptp_enable(struct ptp_clock_info *info, struct ptp_clock_request *rq, int on)
{
	return -EOPNOTSUPP;
}

/*
 * Upstream's name: udev rules and chrony configurations written for
 * Hyper-V guests look for clock_name "hyperv" (/dev/ptp_hyperv).
 */
static const struct ptp_clock_info ts_ptp_template = {
	.owner = THIS_MODULE,
	.name = "hyperv",
	.gettime64 = ts_ptp_gettime,
	.settime64 = ts_ptp_settime,
	.adjfine = ts_ptp_adjfine,
	.adjtime = ts_ptp_adjtime,
	.enable = ts_ptp_enable,
};

/* The channel is open and a version agreed on: the PTP clock appears. */
static void ts_negotiated(struct hvk_ic *ic)
{
	struct ts *ts = ic->priv;
	struct ptp_clock *p;

	p = ptp_clock_register(&ts->ptp_info, &ic->hdev->dev);
	if (IS_ERR_OR_NULL(p)) {
		dev_warn(&ic->hdev->dev, "timesync: no PTP clock (%d); SYNC still sets the clock\n",
			 PTR_ERR_OR_ZERO(p));
		return;
	}
	ts->ptp = p;
	ic_info(ic, "PTP clock ptp%d (\"%s\") reads the host's time\n", ptp_clock_index(p),
		ts->ptp_info.name);
}

static int ts_init(struct hvk_ic *ic)
{
	struct ts *ts = kzalloc(sizeof(*ts), GFP_KERNEL);

	if (!ts)
		return -ENOMEM;
	ts->ic = ic;
	spin_lock_init(&ts->lock);
	INIT_WORK(&ts->set_work, ts_set_clock);
	ts->ptp_info = ts_ptp_template;
	ic->priv = ts;
	return 0;
}

/* The IC's work has stopped: negotiated() is done, no request comes. */
static void ts_remove(struct hvk_ic *ic)
{
	struct ts *ts = ic->priv;

	if (ts->ptp)
		ptp_clock_unregister(ts->ptp);
	cancel_work_sync(&ts->set_work);
	kfree(ts);
}

const struct hvk_ic_service hvk_ic_timesync = {
	.name = "timesync",
	.msgtype = HVK_ICMSG_TIMESYNC,
	.fw_versions = ts_fw,
	.nfw = ARRAY_SIZE(ts_fw),
	.srv_versions = ts_srv,
	.nsrv = ARRAY_SIZE(ts_srv),
	.init = ts_init,
	.negotiated = ts_negotiated,
	.request = ts_request,
	.remove = ts_remove,
};
