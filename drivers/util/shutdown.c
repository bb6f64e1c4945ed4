// SPDX-License-Identifier: GPL-2.0
/*
 * Shutdown: the host asks the guest to power off, restart or hibernate,
 * as upstream's shutdown_onchannelcallback() serves it:
 *
 *   flags 0, 1   power off   orderly_poweroff(true)
 *   flags 2, 3   restart     orderly_reboot()
 *   flags 4, 5   hibernate   a uevent EVENT=hibernate on the device, for
 *                            userspace to hibernate; refused (E_FAIL) when
 *                            the kernel could not hibernate
 *   other        E_FAIL
 *
 * Bit 0 asks for a forced shutdown; like upstream, Linux always goes the
 * orderly way, which forces the power-off itself if userspace's poweroff
 * cannot be started. The guest answers first and acts after, from a work
 * item: the host has its answer before the guest goes.
 */
#include <linux/fs.h>
#include <linux/kobject.h>
#include <linux/reboot.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <hvkit/ic_sdts.h>
#include "util.h"

static const u32 sd_fw[] = { HVK_IC_FW_3_0, HVK_IC_FW_1_0 };
static const u32 sd_srv[] = { HVK_IC_SD_3_2, HVK_IC_SD_3_1, HVK_IC_SD_3_0, HVK_IC_SD_1_0 };

/* How much of the host's display message a log line shows. */
#define SD_TEXT_LOG	128

#define sd_info(ic, fmt, ...) \
	dev_info_ratelimited(&(ic)->hdev->dev, "%s: " fmt, (ic)->svc->name, ##__VA_ARGS__)

struct sd {
	struct hvk_ic *ic;
	struct work_struct work;	/* carries out the accepted request */
	/*
	 * The accepted request: written by the IC's work under ic->lock
	 * before it queues work, read by sd_act() under ic->lock.
	 */
	enum hvk_sd_action action;
};

static const char *const sd_action_name[] = {
	[HVK_SD_POWEROFF] = "power off",
	[HVK_SD_RESTART] = "restart",
	[HVK_SD_HIBERNATE] = "hibernate",
};

static void sd_act(struct work_struct *work)
{
	struct sd *sd = container_of(work, struct sd, work);
	struct hvk_ic *ic = sd->ic;
	char *env[] = { "EVENT=hibernate", NULL };
	enum hvk_sd_action action;

	/*
	 * The IC's work holds ic->lock from the request to its answer's
	 * send: once we hold it, the host has had its answer.
	 */
	mutex_lock(&ic->lock);
	action = sd->action;
	mutex_unlock(&ic->lock);
	switch (action) {
	case HVK_SD_POWEROFF:
		ic_info(ic, "powering off (orderly_poweroff)\n");
		orderly_poweroff(true);
		break;
	case HVK_SD_RESTART:
		ic_info(ic, "restarting (orderly_reboot)\n");
		orderly_reboot();
		break;
	case HVK_SD_HIBERNATE:
		/* upstream's send_hibernate_uevent(): userspace hibernates */
		kobject_uevent_env(&ic->hdev->dev.kobj, KOBJ_CHANGE, env);
		ic_info(ic, "hibernation uevent sent (EVENT=hibernate)\n");
		break;
	}
}

/* Up to @size - 1 bytes of a sysfs file, NUL-terminated. */
static bool sd_read_file(const char *path, char *buf, size_t size)
{
	struct file *f;
	loff_t pos = 0;
	ssize_t n;

	f = filp_open(path, O_RDONLY, 0);
	if (IS_ERR(f))
		return false;
	n = kernel_read(f, buf, size - 1, &pos);
	filp_close(f, NULL);
	if (n < 0)
		return false;
	buf[n] = '\0';
	return true;
}

/*
 * Whether the kernel would hibernate now. Upstream answers from the
 * platform (ACPI S4) and leaves the rest to userspace; here the kernel
 * must also allow it and have somewhere to resume from, which modules can
 * only learn from what /sys/power shows (hibernation_available() and the
 * resume device are not exported): "disk" in /sys/power/state, and a
 * device other than 0:0 in /sys/power/resume.
 */
static bool sd_can_hibernate(void)
{
	char buf[64];

	if (!IS_ENABLED(CONFIG_HIBERNATION))
		return false;
	if (!sd_read_file("/sys/power/state", buf, sizeof(buf)) || !strstr(buf, "disk"))
		return false;
	return sd_read_file("/sys/power/resume", buf, sizeof(buf)) && !sysfs_streq(buf, "0:0");
}

static enum hvk_ic_verdict sd_request(struct hvk_ic *ic, struct hvk_ic_hdr *h, u8 *body, u32 len)
{
	struct sd *sd = ic->priv;
	struct hvk_sd_request r;
	char text[SD_TEXT_LOG];
	int ret;

	h->status = HVK_E_FAIL;
	ret = hvk_sd_parse(body, len, &r);
	if (ret == -EBADMSG) {
		atomic_long_inc(&ic->bad);
		ic_err(ic, "request of %u bytes refused: a shutdown request is %zu\n", len,
		       sizeof(struct hvk_ic_shutdown));
		return HVK_IC_ANSWER;
	}
	if (ret) {
		atomic_long_inc(&ic->bad);
		ic_err(ic, "request with unknown flags %#x refused\n", r.flags);
		return HVK_IC_ANSWER;
	}
	hvk_sd_message(body + offsetof(struct hvk_ic_shutdown, display_message),
		       sizeof_field(struct hvk_ic_shutdown, display_message), text, sizeof(text));
	sd_info(ic, "the host asks to %s%s (reason %#x, timeout %u s): \"%s\"\n",
		sd_action_name[r.action], r.force ? ", forced" : "", r.reason_code,
		r.timeout_seconds, text);
	if (r.action == HVK_SD_HIBERNATE && !sd_can_hibernate()) {
		ic_err(ic, "hibernate refused: this kernel cannot hibernate now (no resume device, or hibernation off)\n");
		return HVK_IC_ANSWER;
	}
	h->status = HVK_S_OK;
	sd->action = r.action;
	queue_work(system_wq, &sd->work);
	return HVK_IC_ANSWER;
}

static int sd_init(struct hvk_ic *ic)
{
	struct sd *sd = kzalloc(sizeof(*sd), GFP_KERNEL);

	if (!sd)
		return -ENOMEM;
	sd->ic = ic;
	INIT_WORK(&sd->work, sd_act);
	ic->priv = sd;
	return 0;
}

static void sd_remove(struct hvk_ic *ic)
{
	struct sd *sd = ic->priv;

	cancel_work_sync(&sd->work);
	kfree(sd);
}

const struct hvk_ic_service hvk_ic_shutdown = {
	.name = "shutdown",
	.msgtype = HVK_ICMSG_SHUTDOWN,
	.fw_versions = sd_fw,
	.nfw = ARRAY_SIZE(sd_fw),
	.srv_versions = sd_srv,
	.nsrv = ARRAY_SIZE(sd_srv),
	.init = sd_init,
	.request = sd_request,
	.remove = sd_remove,
};
