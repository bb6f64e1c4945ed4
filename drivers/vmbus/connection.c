// SPDX-License-Identifier: GPL-2.0
/*
 * The connection to the host: version negotiation, the request for
 * offers, and UNLOAD. One transport at a time.
 */
#include <linux/delay.h>
#include <linux/module.h>
#include <linux/panic_notifier.h>
#include <linux/slab.h>
#include <linux/gfp.h>
#include <asm/io.h>
#include "core.h"

static uint max_version;
module_param(max_version, uint, 0444);
MODULE_PARM_DESC(max_version,
		 "highest VMBus protocol version to ask for, (major << 16) | minor, e.g. 0x40000 for 4.0; 0: the newest known");

/* Newest first: the guest asks for each until the host agrees. */
static const u32 hvk_versions[] = {
	HVK_VMBUS_WIN10_V5_3, HVK_VMBUS_WIN10_V5_2, HVK_VMBUS_WIN10_V5_1,
	HVK_VMBUS_WIN10_V5, HVK_VMBUS_WIN10_V4_1, HVK_VMBUS_WIN10,
	HVK_VMBUS_WIN8_1, HVK_VMBUS_WIN8,
};

#define HVK_OFFERS_TIMEOUT	(30 * HZ)

struct hvk_conn hvk_conn;

/* The hypervisor's VP number of @cpu. */
u32 hvk_vp(unsigned int cpu)
{
	const struct hvk_transport_ops *ops = READ_ONCE(hvk_conn.ops);

	return ops && ops->vp_index ? ops->vp_index(cpu) : cpu;
}

u64 hvk_ref_counter(void)
{
	const struct hvk_transport_ops *ops = READ_ONCE(hvk_conn.ops);

	return ops && ops->ref_counter ? ops->ref_counter() : 0;
}
EXPORT_SYMBOL_GPL(hvk_ref_counter);

u32 hvk_cpu_vp(unsigned int cpu)
{
	return hvk_vp(cpu);
}
EXPORT_SYMBOL_GPL(hvk_cpu_vp);

int hvk_retarget_msi(const struct hvk_msi_target *t)
{
	const struct hvk_transport_ops *ops = READ_ONCE(hvk_conn.ops);

	if (!ops)
		return -ENODEV;
	if (!ops->retarget_msi)
		return -EOPNOTSUPP;
	return ops->retarget_msi(t);
}
EXPORT_SYMBOL_GPL(hvk_retarget_msi);

/*
 * HvPostMessage, with upstream vmbus_post_msg()'s retries: a host out of
 * buffers or memory, or not ready for the connection yet, is asked again
 * up to HVK_POST_TRIES times, with sleeps that double from 1 us to
 * HVK_POST_MAX_SLEEP_US (at most about 10 s in all). Process context only:
 * it sleeps. Every caller sends a request or a reply to the host from a
 * driver's open or close, a GPADL call, or a work item.
 */
#define HVK_POST_TRIES		100
#define HVK_POST_MAX_SLEEP_US	(128 * USEC_PER_MSEC)

int hvk_post(u32 conn_id, const void *msg, u32 len)
{
	const struct hvk_transport_ops *ops = READ_ONCE(hvk_conn.ops);
	const struct hvk_chanmsg_hdr *h = msg;
	unsigned long us = 1;
	u16 status = 0;
	int ret, tries;

	might_sleep();
	if (!ops || READ_ONCE(hvk_conn.unloaded))
		return -ENODEV;
	if (len < sizeof(*h) || len > HVK_MESSAGE_PAYLOAD)
		return -EMSGSIZE;
	for (tries = 0; tries < HVK_POST_TRIES; tries++) {
		status = ops->post_msg(conn_id, msg, len);
		ret = hvk_post_errno(status, h->msgtype);
		if (ret != -EAGAIN && ret != -ENOBUFS)
			break;
		fsleep(us);
		us = min(us * 2, HVK_POST_MAX_SLEEP_US);
	}
	if (ret && !(ret == -EINVAL && status == HVK_HV_STATUS_INVALID_CONNECTION_ID))
		pr_err_ratelimited("hvkit_vmbus: %s refused message type %u on connection %#x: status %u%s\n",
				   ops->name, h->msgtype, conn_id, status,
				   ret == -EINVAL ? "" : ", after every retry");
	return ret;
}

/*
 * Test modules only (selftests/kmod/post_test.c): post a raw channel
 * message on the connection in force, as a buggy or hostile guest might,
 * so that the tests prove what the host refuses. No driver may use it.
 */
int hvk_test_post(const void *msg, u32 len)
{
	if (!READ_ONCE(hvk_conn.version))
		return -ENOTCONN;
	return hvk_post(READ_ONCE(hvk_conn.msg_conn_id), msg, len);
}
EXPORT_SYMBOL_GPL(hvk_test_post);

static int hvk_negotiate(u32 version)
{
	struct hvk_msg_initiate_contact m = {};
	struct hvk_msg_version_response resp = {};
	struct hvk_xact x;
	u32 conn_id;
	int ret;

	m.hdr.msgtype = HVK_CHANMSG_INITIATE_CONTACT;
	m.version_requested = version;
	m.target_vcpu = hvk_vp(HVK_CONNECT_CPU);	/* messages arrive there */
	if (version >= HVK_VMBUS_WIN10_V5) {
		/* 5.0 on: the SINT travels in the message, on connection 4. */
		m.msg_sint = HVK_VMBUS_SINT;
		m.msg_vtl = hvk_conn.ops->vtl;
		conn_id = HVK_CONN_ID_MESSAGE_4;
	} else {
		m.interrupt_page = virt_to_phys(hvk_conn.int_page);
		conn_id = HVK_CONN_ID_MESSAGE;
	}
	m.monitor_page1 = virt_to_phys(hvk_conn.monitor_pages[0]);
	m.monitor_page2 = virt_to_phys(hvk_conn.monitor_pages[1]);

	hvk_xact_start(&x, HVK_CHANMSG_VERSION_RESPONSE, 0, 0);
	ret = hvk_xact_send(&x, conn_id, &m, sizeof(m));
	if (ret)
		return ret;
	memcpy(&resp, x.buf, min_t(u32, x.len, sizeof(resp)));
	if (!resp.version_supported)
		return -EPROTONOSUPPORT;
	hvk_conn.version = version;
	/* From 5.0 the host names the connection id for later messages. */
	hvk_conn.msg_conn_id = version >= HVK_VMBUS_WIN10_V5 ? resp.msg_conn_id :
							       HVK_CONN_ID_MESSAGE;
	return 0;
}

static int hvk_connect(void)
{
	struct hvk_chanmsg_hdr req = { .msgtype = HVK_CHANMSG_REQUESTOFFERS };
	int ret = -EPROTONOSUPPORT;
	unsigned int i;

	/* A new host starts from clean signalling pages. */
	clear_page(hvk_conn.int_page);
	clear_page(hvk_conn.monitor_pages[0]);
	clear_page(hvk_conn.monitor_pages[1]);
	for (i = 0; i < ARRAY_SIZE(hvk_versions); i++) {
		if (max_version && hvk_versions[i] > max_version)
			continue;
		ret = hvk_negotiate(hvk_versions[i]);
		/*
		 * As upstream: an older version is tried when the host said no,
		 * or refused the post itself (-EINVAL: a host older than 5.0
		 * refuses connection 4). A host that does not answer, or
		 * anything else, ends it.
		 */
		if (ret != -EPROTONOSUPPORT && ret != -EINVAL)
			break;
	}
	if (ret) {
		pr_err("hvkit_vmbus: no VMBus protocol version agreed with %s (%s)\n",
		       hvk_conn.ops->name,
		       ret == -ETIMEDOUT ? "the host did not answer" : "none of ours is supported");
		return ret;
	}
	pr_info("hvkit_vmbus: connected to %s, VMBus protocol %u.%u\n", hvk_conn.ops->name,
		HVK_VMBUS_VERSION_MAJOR(hvk_conn.version),
		HVK_VMBUS_VERSION_MINOR(hvk_conn.version));

	reinit_completion(&hvk_conn.offers_done);
	ret = hvk_post(hvk_conn.msg_conn_id, &req, sizeof(req));
	if (!ret && !wait_for_completion_timeout(&hvk_conn.offers_done, HVK_OFFERS_TIMEOUT))
		ret = -ETIMEDOUT;
	if (ret) {
		pr_err("hvkit_vmbus: %s did not deliver its offers (%d)\n", hvk_conn.ops->name, ret);
		return ret;
	}
	/* The offers are handled in order: every device exists after this. */
	flush_workqueue(hvk_conn.msg_wq);
	flush_workqueue(hvk_conn.dev_wq);
	flush_workqueue(hvk_conn.sc_wq);
	return 0;
}

/*
 * UNLOAD: the host drops everything it holds for us, so that a kexec'd
 * kernel or a reloaded core finds a host that negotiates afresh. Hosts
 * before 3.0 (Windows Server 2012) cannot reconnect and do not take it.
 * The caller holds hvk_conn.lock; nothing is posted afterwards.
 */
static void hvk_unload(void)
{
	struct hvk_chanmsg_hdr m = { .msgtype = HVK_CHANMSG_UNLOAD };
	struct hvk_xact x;

	if (hvk_conn.version >= HVK_VMBUS_WIN8_1) {
		hvk_xact_start(&x, HVK_CHANMSG_UNLOAD_RESPONSE, 0, 0);
		if (hvk_xact_send(&x, hvk_conn.msg_conn_id, &m, sizeof(m)))
			pr_warn("hvkit_vmbus: %s did not answer UNLOAD\n", hvk_conn.ops->name);
	}
	WRITE_ONCE(hvk_conn.unloaded, true);
}

/*
 * Undo an attach. New offers are refused first, and any offer already
 * being handled is let finish, so that every device that exists is seen
 * and removed; the host is told; offers it sent meanwhile are dropped;
 * the transport is let go.
 */
static void hvk_detach(void)
{
	WRITE_ONCE(hvk_conn.state, HVK_CONN_DISCONNECTING);
	flush_workqueue(hvk_conn.msg_wq);
	hvk_chan_remove_all();
	if (hvk_conn.version)
		hvk_unload();
	hvk_conn.version = 0;
	flush_workqueue(hvk_conn.msg_wq);
	flush_workqueue(hvk_conn.sc_wq);
	flush_workqueue(hvk_conn.dev_wq);
	WRITE_ONCE(hvk_conn.state, HVK_CONN_DISCONNECTED);
	WRITE_ONCE(hvk_conn.ops, NULL);
}

int hvk_transport_register(const struct hvk_transport_ops *ops, struct device *parent)
{
	int ret;

	mutex_lock(&hvk_conn.lock);
	if (hvk_conn.ops) {
		mutex_unlock(&hvk_conn.lock);
		return -EBUSY;
	}
	WRITE_ONCE(hvk_conn.ops, ops);
	WRITE_ONCE(hvk_conn.unloaded, false);
	WRITE_ONCE(hvk_conn.state, HVK_CONN_CONNECTING);
	hvk_conn.parent = parent;
	ret = hvk_connect();
	if (ret)
		hvk_detach();
	else
		WRITE_ONCE(hvk_conn.state, HVK_CONN_CONNECTED);
	mutex_unlock(&hvk_conn.lock);
	return ret;
}
EXPORT_SYMBOL_GPL(hvk_transport_register);

void hvk_transport_unregister(const struct hvk_transport_ops *ops)
{
	mutex_lock(&hvk_conn.lock);
	if (hvk_conn.ops == ops)
		hvk_detach();
	mutex_unlock(&hvk_conn.lock);
}
EXPORT_SYMBOL_GPL(hvk_transport_unregister);

/*
 * Reboot, power off, halt and kexec: syscore shutdown runs after
 * device_shutdown(), so every driver's .shutdown (a disk's cache flush)
 * has reached the host before we let go of it. Devices stay registered:
 * the machine is going down. Everything posted after this fails fast.
 */
static void hvk_shutdown_unload(void)
{
	mutex_lock(&hvk_conn.lock);
	if (hvk_conn.ops && READ_ONCE(hvk_conn.state) == HVK_CONN_CONNECTED) {
		WRITE_ONCE(hvk_conn.state, HVK_CONN_DISCONNECTING);
		hvk_unload();
		pr_info("hvkit_vmbus: %s UNLOAD to %s after devices shut down\n",
			hvk_conn.version >= HVK_VMBUS_WIN8_1 ? "sent" : "no (VMBus < 3.0)",
			hvk_conn.ops->name);
		WRITE_ONCE(hvk_conn.state, HVK_CONN_DISCONNECTED);
	}
	mutex_unlock(&hvk_conn.lock);
}
HVK_SYSCORE_SHUTDOWN(hvk_syscore, hvk_shutdown_unload);

/* The UNLOAD_RESPONSE in @cpu's slot? Frees any other message there. */
static bool hvk_poll_unload_response(unsigned int cpu)
{
	struct hvk_hv_message *slot = hvk_synic_msg_slot(cpu);
	const struct hvk_chanmsg_hdr *h = (const void *)slot->payload;
	u32 type = READ_ONCE(slot->message_type);
	bool found;

	if (type == HVK_HVMSG_NONE)
		return false;
	smp_rmb();
	found = type == HVK_HVMSG_CHANNEL && READ_ONCE(slot->payload_size) >= sizeof(*h) &&
		READ_ONCE(h->msgtype) == HVK_CHANMSG_UNLOAD_RESPONSE;
	hvk_slot_free(slot, type);
	return found;
}

#define HVK_CRASH_UNLOAD_MS	5000

/*
 * Panic or crash (kdump): interrupts may be off and nothing may sleep, so
 * UNLOAD is posted once and its answer polled for in every CPU's slot, as
 * upstream's vmbus_wait_for_unload() does, for a bounded time. Exported
 * for a transport's crash handler; a second call does nothing.
 */
void hvk_unload_crash(void)
{
	const struct hvk_transport_ops *ops = READ_ONCE(hvk_conn.ops);
	struct hvk_chanmsg_hdr m = { .msgtype = HVK_CHANMSG_UNLOAD };
	unsigned int cpu, ms;

	if (!ops || xchg(&hvk_conn.state, HVK_CONN_DISCONNECTED) != HVK_CONN_CONNECTED)
		return;
	WRITE_ONCE(hvk_conn.unloaded, true);
	if (hvk_conn.version < HVK_VMBUS_WIN8_1 ||
	    ops->post_msg(hvk_conn.msg_conn_id, &m, sizeof(m)))
		return;
	for (ms = 0; ms < HVK_CRASH_UNLOAD_MS; ms++) {
		for_each_present_cpu(cpu)
			if (hvk_poll_unload_response(cpu))
				return;
		mdelay(1);
	}
}
EXPORT_SYMBOL_GPL(hvk_unload_crash);

static int hvk_panic_notify(struct notifier_block *nb, unsigned long val, void *args)
{
	hvk_unload_crash();
	return NOTIFY_DONE;
}

static struct notifier_block hvk_panic_nb = {
	.notifier_call = hvk_panic_notify,
	.priority = INT_MIN + 1,	/* among the last: others may still need the host */
};

int hvk_conn_init(void)
{
	mutex_init(&hvk_conn.lock);
	init_completion(&hvk_conn.offers_done);
	hvk_conn.msg_wq = alloc_ordered_workqueue("hvk_msg", 0);
	hvk_conn.dev_wq = alloc_ordered_workqueue("hvk_dev", 0);
	hvk_conn.sc_wq = alloc_ordered_workqueue("hvk_subchan", 0);
	hvk_conn.int_page = (void *)get_zeroed_page(GFP_KERNEL);
	hvk_conn.monitor_pages[0] = (void *)get_zeroed_page(GFP_KERNEL);
	hvk_conn.monitor_pages[1] = (void *)get_zeroed_page(GFP_KERNEL);
	if (!hvk_conn.msg_wq || !hvk_conn.dev_wq || !hvk_conn.sc_wq || !hvk_conn.int_page || !hvk_conn.monitor_pages[0] ||
	    !hvk_conn.monitor_pages[1]) {
		hvk_conn_exit();
		return -ENOMEM;
	}
	hvk_syscore_register(&hvk_syscore);
	atomic_notifier_chain_register(&panic_notifier_list, &hvk_panic_nb);
	return 0;
}

void hvk_conn_exit(void)
{
	atomic_notifier_chain_unregister(&panic_notifier_list, &hvk_panic_nb);
	hvk_syscore_unregister(&hvk_syscore);
	if (hvk_conn.msg_wq)
		destroy_workqueue(hvk_conn.msg_wq);
	if (hvk_conn.sc_wq)
		destroy_workqueue(hvk_conn.sc_wq);
	if (hvk_conn.dev_wq)
		destroy_workqueue(hvk_conn.dev_wq);
	free_page((unsigned long)hvk_conn.int_page);
	free_page((unsigned long)hvk_conn.monitor_pages[0]);
	free_page((unsigned long)hvk_conn.monitor_pages[1]);
	memset(&hvk_conn, 0, sizeof(hvk_conn));
}
