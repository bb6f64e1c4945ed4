// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/bus/vmbus/devices/<instance>/channels/<relid>/: one directory per
 * channel, with upstream's attribute names, and the live ring state a test
 * or a bug report wants (hvctl list -v reads these).
 */
#include <linux/slab.h>
#include "core.h"

struct hvk_chan_attr {
	struct attribute attr;
	ssize_t (*show)(struct hvk_channel *ch, char *buf);
	ssize_t (*store)(struct hvk_channel *ch, const char *buf, size_t n);
};

#define HVK_CHAN_ATTR(_name) \
	static struct hvk_chan_attr hvk_chan_attr_##_name = __ATTR_RO(_name)

static ssize_t hvk_chan_attr_show(struct kobject *kobj, struct attribute *attr, char *buf)
{
	struct hvk_chan_attr *a = container_of(attr, struct hvk_chan_attr, attr);
	struct hvk_channel *ch = container_of(kobj, struct hvk_channel, kobj);

	return a->show(ch, buf);
}

static ssize_t hvk_chan_attr_store(struct kobject *kobj, struct attribute *attr,
				   const char *buf, size_t n)
{
	struct hvk_chan_attr *a = container_of(attr, struct hvk_chan_attr, attr);
	struct hvk_channel *ch = container_of(kobj, struct hvk_channel, kobj);

	return a->store ? a->store(ch, buf, n) : -EIO;
}

static const struct sysfs_ops hvk_chan_sysfs_ops = {
	.show = hvk_chan_attr_show,
	.store = hvk_chan_attr_store,
};

/* A ring's shared field, or -1 while the channel is not open. */
enum hvk_ring_field { RF_READ, RF_WRITE, RF_MASK, RF_PENDING, RF_READABLE, RF_WRITABLE };

static ssize_t hvk_ring_show(struct hvk_channel *ch, bool in, enum hvk_ring_field f, char *buf)
{
	const struct hvk_ring *r = in ? &ch->in : &ch->out;
	long long v = -1;
	u32 rd, wr;

	mutex_lock(&ch->lock);
	if (ch->state == HVK_CHAN_OPEN) {
		rd = READ_ONCE(r->ctl->read_index);
		wr = READ_ONCE(r->ctl->write_index);
		switch (f) {
		case RF_READ:
			v = rd;
			break;
		case RF_WRITE:
			v = wr;
			break;
		case RF_MASK:
			v = READ_ONCE(r->ctl->interrupt_mask);
			break;
		case RF_PENDING:
			v = READ_ONCE(r->ctl->pending_send_sz);
			break;
		case RF_READABLE:
		case RF_WRITABLE:
			/* The host's index may be anything: show what is sane. */
			if (rd >= r->size || wr >= r->size)
				break;
			v = hvk_ring_used(wr, rd, r->size);
			if (f == RF_WRITABLE)
				v = r->size - v;
			break;
		}
	}
	mutex_unlock(&ch->lock);
	return sysfs_emit(buf, "%lld\n", v);
}

#define HVK_RING_ATTR(_name, _in, _f) \
	static ssize_t _name##_show(struct hvk_channel *ch, char *buf) \
	{ return hvk_ring_show(ch, _in, _f, buf); } \
	HVK_CHAN_ATTR(_name)

HVK_RING_ATTR(in_read_index, true, RF_READ);
HVK_RING_ATTR(in_write_index, true, RF_WRITE);
HVK_RING_ATTR(in_mask, true, RF_MASK);
HVK_RING_ATTR(in_pending_send_sz, true, RF_PENDING);
HVK_RING_ATTR(in_read_bytes_avail, true, RF_READABLE);
HVK_RING_ATTR(in_write_bytes_avail, true, RF_WRITABLE);
HVK_RING_ATTR(out_read_index, false, RF_READ);
HVK_RING_ATTR(out_write_index, false, RF_WRITE);
HVK_RING_ATTR(out_mask, false, RF_MASK);
HVK_RING_ATTR(out_pending_send_sz, false, RF_PENDING);
HVK_RING_ATTR(out_read_bytes_avail, false, RF_READABLE);
HVK_RING_ATTR(out_write_bytes_avail, false, RF_WRITABLE);

static ssize_t cpu_show(struct hvk_channel *ch, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(ch->target_cpu));
}

/* Writing a CPU number moves the channel's interrupts there. */
static ssize_t cpu_store(struct hvk_channel *ch, const char *buf, size_t n)
{
	unsigned int cpu;
	int ret;

	if (kstrtouint(buf, 10, &cpu))
		return -EINVAL;
	ret = hvk_chan_modify_cpu(ch, cpu);
	return ret ?: n;
}
static struct hvk_chan_attr hvk_chan_attr_cpu = __ATTR_RW(cpu);

static ssize_t subchannel_id_show(struct hvk_channel *ch, char *buf)
{
	return sysfs_emit(buf, "%u\n", ch->offer.sub_channel_index);
}
HVK_CHAN_ATTR(subchannel_id);

static ssize_t monitor_id_show(struct hvk_channel *ch, char *buf)
{
	return sysfs_emit(buf, "%u\n", ch->monitor_id);
}
HVK_CHAN_ATTR(monitor_id);

/*
 * The host owns these words: they are read as plain numbers, once, and
 * never used as an index or a length.
 */
u32 hvk_monitor_read(const struct hvk_channel *ch, unsigned int page, enum hvk_monitor_field f)
{
	const struct hvk_monitor_page *mp = hvk_conn.monitor_pages[page];
	unsigned int grp = ch->monitor_id / 32, bit = ch->monitor_id % 32;

	if (ch->monitor_id == HVK_NOT_MONITORED || !mp)
		return 0;
	switch (f) {
	case HVK_MON_PENDING:
		return READ_ONCE(mp->trigger_group[grp].pending);
	case HVK_MON_LATENCY:
		return READ_ONCE(mp->latency[grp][bit]);
	case HVK_MON_CONN_ID:
		return READ_ONCE(mp->parameter[grp][bit].connectionid);
	}
	return 0;
}

/* Upstream's pending and latency: the guest-to-host page's view. */
static ssize_t pending_show(struct hvk_channel *ch, char *buf)
{
	return sysfs_emit(buf, "%u\n", hvk_monitor_read(ch, 1, HVK_MON_PENDING));
}
HVK_CHAN_ATTR(pending);

static ssize_t latency_show(struct hvk_channel *ch, char *buf)
{
	return sysfs_emit(buf, "%u\n", hvk_monitor_read(ch, 1, HVK_MON_LATENCY));
}
HVK_CHAN_ATTR(latency);

static ssize_t interrupts_show(struct hvk_channel *ch, char *buf)
{
	return sysfs_emit(buf, "%llu\n", READ_ONCE(ch->interrupts));
}
HVK_CHAN_ATTR(interrupts);

static ssize_t events_show(struct hvk_channel *ch, char *buf)
{
	return sysfs_emit(buf, "%llu\n", READ_ONCE(ch->events));
}
HVK_CHAN_ATTR(events);

static ssize_t out_full_total_show(struct hvk_channel *ch, char *buf)
{
	return sysfs_emit(buf, "%llu\n", READ_ONCE(ch->out_full));
}
HVK_CHAN_ATTR(out_full_total);

static ssize_t state_show(struct hvk_channel *ch, char *buf)
{
	return sysfs_emit(buf, "%s\n", READ_ONCE(ch->rescinded) ? "rescinded" :
			  READ_ONCE(ch->state) == HVK_CHAN_OPEN ? "open" : "offered");
}
HVK_CHAN_ATTR(state);

static struct attribute *hvk_chan_attrs[] = {
	&hvk_chan_attr_cpu.attr,
	&hvk_chan_attr_subchannel_id.attr,
	&hvk_chan_attr_monitor_id.attr,
	&hvk_chan_attr_pending.attr,
	&hvk_chan_attr_latency.attr,
	&hvk_chan_attr_state.attr,
	&hvk_chan_attr_interrupts.attr,
	&hvk_chan_attr_events.attr,
	&hvk_chan_attr_out_full_total.attr,
	&hvk_chan_attr_in_read_index.attr,
	&hvk_chan_attr_in_write_index.attr,
	&hvk_chan_attr_in_mask.attr,
	&hvk_chan_attr_in_pending_send_sz.attr,
	&hvk_chan_attr_in_read_bytes_avail.attr,
	&hvk_chan_attr_in_write_bytes_avail.attr,
	&hvk_chan_attr_out_read_index.attr,
	&hvk_chan_attr_out_write_index.attr,
	&hvk_chan_attr_out_mask.attr,
	&hvk_chan_attr_out_pending_send_sz.attr,
	&hvk_chan_attr_out_read_bytes_avail.attr,
	&hvk_chan_attr_out_write_bytes_avail.attr,
	NULL,
};

/* As upstream: the monitor attributes exist only where the host monitors. */
static umode_t hvk_chan_attr_visible(struct kobject *kobj, struct attribute *attr, int n)
{
	struct hvk_channel *ch = container_of(kobj, struct hvk_channel, kobj);

	if (ch->monitor_id == HVK_NOT_MONITORED &&
	    (attr == &hvk_chan_attr_monitor_id.attr || attr == &hvk_chan_attr_pending.attr ||
	     attr == &hvk_chan_attr_latency.attr))
		return 0;
	return attr->mode;
}

static const struct attribute_group hvk_chan_group = {
	.attrs = hvk_chan_attrs,
	.is_visible = hvk_chan_attr_visible,
};
__ATTRIBUTE_GROUPS(hvk_chan);

const struct kobj_type hvk_chan_ktype = {
	.release = hvk_chan_release,
	.sysfs_ops = &hvk_chan_sysfs_ops,
	.default_groups = hvk_chan_groups,
};

int hvk_chan_sysfs_add(struct hvk_channel *ch)
{
	struct hvk_device *hdev = ch->hdev;
	int ret;

	if (!ch->primary) {
		hdev->channels_kobj = kobject_create_and_add("channels", &hdev->dev.kobj);
		if (!hdev->channels_kobj)
			return -ENOMEM;
	}
	if (!hdev->channels_kobj)
		return -ENOENT;
	ret = kobject_add(&ch->kobj, hdev->channels_kobj, "%u", ch->relid);
	if (ret)
		dev_err(&hdev->dev, "sysfs for channel %u not created (%d)\n", ch->relid, ret);
	return ret;
}

void hvk_chan_sysfs_del(struct hvk_channel *ch)
{
	if (ch->kobj.state_in_sysfs)
		kobject_del(&ch->kobj);
	if (!ch->primary && ch->hdev->channels_kobj) {
		kobject_put(ch->hdev->channels_kobj);
		ch->hdev->channels_kobj = NULL;
	}
}
