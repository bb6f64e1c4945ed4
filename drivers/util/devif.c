// SPDX-License-Identifier: GPL-2.0
/*
 * The char devices of KVP, VSS and file copy (/dev/vmbus/hv_kvp, ...),
 * with upstream's semantics (drivers/hv/hv_utils_transport.c), so that
 * upstream's daemons and hvkit's work alike:
 *
 * - one opener at a time (-EBUSY for a second);
 * - a read returns one whole message, blocking (or -EAGAIN with
 *   O_NONBLOCK) until one is queued; a buffer shorter than the message
 *   gets -EINVAL and the message stays;
 * - a write hands one whole message to the service, which checks it;
 * - the daemon's close, or its death, resets the service (on_reset), so
 *   that what it owed the host is failed and the next daemon registers
 *   afresh.
 *
 * Lifetime: the misc device exists from hvk_devif_create() to
 * hvk_devif_destroy(). A file still open then keeps the struct (kref) but
 * no callback runs and every operation fails with -ENODEV.
 *
 * The device's sysfs attribute hvkit_service names the service ("kvp",
 * "vss", "fcopy"), for udev rules: KERNEL=="hv_kvp", ATTR{hvkit_service}=="kvp".
 */
#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "util.h"

/* A daemon message is never longer than the longest ABI struct (KVP's). */
#define HVK_DEVIF_MAX_MSG	(16 * 1024)

struct hvk_devif {
	struct miscdevice misc;
	char name[32];		/* "vmbus/hv_kvp" */
	char node[16];		/* "hv_kvp" */
	const struct hvk_devif_ops *ops;
	void *ctx;
	const char *service;	/* "kvp" */
	struct kref ref;
	wait_queue_head_t wq;
	/*
	 * cb_lock serialises the callbacks and destroy: no on_msg() or
	 * on_reset() runs concurrently with another, or after destroy. It
	 * protects gone. A callback may call hvk_devif_send() (cb_lock, then
	 * lock).
	 */
	struct mutex cb_lock;
	bool gone;		/* destroyed; read locklessly by read and poll */
	/* lock protects open, out and out_len. */
	struct mutex lock;
	bool open;		/* a daemon has the device */
	u8 *out;		/* the message queued for the daemon */
	u32 out_len;
};

static void hvk_devif_free(struct kref *ref)
{
	struct hvk_devif *d = container_of(ref, struct hvk_devif, ref);

	kfree(d->out);
	kfree(d);
}

static struct hvk_devif *hvk_devif_of(struct file *f)
{
	return container_of(f->private_data, struct hvk_devif, misc);
}

static int hvk_devif_open(struct inode *inode, struct file *f)
{
	struct hvk_devif *d = hvk_devif_of(f);
	int ret = 0;

	mutex_lock(&d->cb_lock);
	mutex_lock(&d->lock);
	if (d->gone)
		ret = -ENODEV;
	else if (d->open)
		ret = -EBUSY;
	else
		d->open = true;
	if (!ret)
		kref_get(&d->ref);
	mutex_unlock(&d->lock);
	mutex_unlock(&d->cb_lock);
	return ret;
}

static int hvk_devif_release(struct inode *inode, struct file *f)
{
	struct hvk_devif *d = hvk_devif_of(f);

	mutex_lock(&d->cb_lock);
	mutex_lock(&d->lock);
	d->open = false;
	kfree(d->out);
	d->out = NULL;
	d->out_len = 0;
	mutex_unlock(&d->lock);
	if (!d->gone)
		d->ops->on_reset(d->ctx);
	mutex_unlock(&d->cb_lock);
	kref_put(&d->ref, hvk_devif_free);
	return 0;
}

static ssize_t hvk_devif_read(struct file *f, char __user *buf, size_t count, loff_t *ppos)
{
	struct hvk_devif *d = hvk_devif_of(f);
	ssize_t ret;

	for (;;) {
		mutex_lock(&d->lock);
		if (READ_ONCE(d->gone)) {
			ret = -ENODEV;
			break;
		}
		if (d->out) {
			if (count < d->out_len) {
				ret = -EINVAL;
			} else if (copy_to_user(buf, d->out, d->out_len)) {
				ret = -EFAULT;
			} else {
				ret = d->out_len;
				kfree(d->out);
				d->out = NULL;
				d->out_len = 0;
			}
			break;
		}
		mutex_unlock(&d->lock);
		if (f->f_flags & O_NONBLOCK)
			return -EAGAIN;
		if (wait_event_interruptible(d->wq, READ_ONCE(d->out) || READ_ONCE(d->gone)))
			return -ERESTARTSYS;
	}
	mutex_unlock(&d->lock);
	return ret;
}

static ssize_t hvk_devif_write(struct file *f, const char __user *buf, size_t count,
			       loff_t *ppos)
{
	struct hvk_devif *d = hvk_devif_of(f);
	void *msg;
	int ret;

	if (!count || count > HVK_DEVIF_MAX_MSG)
		return -EINVAL;
	msg = memdup_user(buf, count);
	if (IS_ERR(msg))
		return PTR_ERR(msg);
	mutex_lock(&d->cb_lock);
	ret = d->gone ? -ENODEV : d->ops->on_msg(d->ctx, msg, count);
	mutex_unlock(&d->cb_lock);
	kfree(msg);
	return ret ? ret : count;
}

static __poll_t hvk_devif_poll(struct file *f, poll_table *wait)
{
	struct hvk_devif *d = hvk_devif_of(f);
	__poll_t mask = EPOLLOUT | EPOLLWRNORM;

	poll_wait(f, &d->wq, wait);
	if (READ_ONCE(d->gone))
		return EPOLLERR | EPOLLHUP;
	if (READ_ONCE(d->out))
		mask |= EPOLLIN | EPOLLRDNORM;
	return mask;
}

static const struct file_operations hvk_devif_fops = {
	.owner = THIS_MODULE,
	.open = hvk_devif_open,
	.release = hvk_devif_release,
	.read = hvk_devif_read,
	.write = hvk_devif_write,
	.poll = hvk_devif_poll,
	.llseek = noop_llseek,
};

static ssize_t hvkit_service_show(struct device *dev, struct device_attribute *attr,
				  char *buf)
{
	struct miscdevice *m = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%s\n", container_of(m, struct hvk_devif, misc)->service);
}
static DEVICE_ATTR_RO(hvkit_service);

static struct attribute *hvk_devif_attrs[] = {
	&dev_attr_hvkit_service.attr,
	NULL,
};
ATTRIBUTE_GROUPS(hvk_devif);

struct hvk_devif *hvk_devif_create(const char *name, const char *service,
				   const struct hvk_devif_ops *ops, void *ctx, struct device *parent)
{
	struct hvk_devif *d;
	int ret;

	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return ERR_PTR(-ENOMEM);
	snprintf(d->name, sizeof(d->name), "vmbus/%s", name);
	strscpy(d->node, name, sizeof(d->node));
	d->service = service;
	d->ops = ops;
	d->ctx = ctx;
	kref_init(&d->ref);
	init_waitqueue_head(&d->wq);
	mutex_init(&d->lock);
	mutex_init(&d->cb_lock);
	d->misc.minor = MISC_DYNAMIC_MINOR;
	d->misc.name = d->name;
	d->misc.nodename = d->name;
	d->misc.fops = &hvk_devif_fops;
	d->misc.parent = parent;
	d->misc.mode = 0600;
	d->misc.groups = hvk_devif_groups;
	ret = misc_register(&d->misc);
	if (ret) {
		kfree(d);
		return ERR_PTR(ret);
	}
	return d;
}

void hvk_devif_destroy(struct hvk_devif *d)
{
	if (!d)
		return;
	misc_deregister(&d->misc);	/* no new opener */
	mutex_lock(&d->cb_lock);
	WRITE_ONCE(d->gone, true);	/* no callback after this */
	mutex_unlock(&d->cb_lock);
	wake_up_interruptible_all(&d->wq);
	kref_put(&d->ref, hvk_devif_free);
}

int hvk_devif_send(struct hvk_devif *d, const void *msg, u32 len)
{
	int ret = 0;
	u8 *copy;

	copy = kmemdup(msg, len, GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	mutex_lock(&d->lock);
	if (READ_ONCE(d->gone) || !d->open) {
		ret = -ENODEV;
	} else if (d->out) {
		ret = -EBUSY;
	} else {
		d->out = copy;
		d->out_len = len;
		copy = NULL;
	}
	mutex_unlock(&d->lock);
	kfree(copy);
	if (!ret)
		wake_up_interruptible(&d->wq);
	return ret;
}

bool hvk_devif_opened(struct hvk_devif *d)
{
	return READ_ONCE(d->open);
}
