// SPDX-License-Identifier: GPL-2.0
/*
 * hvkit_scsi_floor_test: a SCSI host whose one disk does no work. Every READ
 * and WRITE completes inside queuecommand (a READ gives zeros, a WRITE is
 * dropped); the commands the disk driver sends at probe get the least
 * answer it accepts. It is the floor of what a 4 KiB request costs
 * through the SCSI midlayer, sd and blk-mq on this kernel and machine,
 * with no device behind them: make bench runs fio on it beside
 * hvkit_storvsc and brd, so the bench shows how much of a SCSI disk's
 * cost is the midlayer's. Bench only: never loaded by users, never
 * holds data.
 *
 * A second host's disk (model "irq_floor") does the same work but
 * completes each command from an interrupt: queuecommand puts it on its
 * CPU's list and raises an irq_work there, a self-IPI, whose handler
 * completes everything on the list. That is the least an interrupt-driven
 * device can cost: one interrupt per batch, no ring, no host, no copy. The
 * difference between the two disks is what asynchronous completion itself
 * costs on this kernel and machine, whatever the device.
 *
 * size_mb: each disk's size (default 256).
 */
#include <linux/device.h>
#include <linux/irq_work.h>
#include <linux/llist.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/scatterlist.h>
#include <scsi/scsi.h>
#include <scsi/scsi_cmnd.h>
#include <scsi/scsi_common.h>
#include <scsi/scsi_device.h>
#include <scsi/scsi_host.h>
#include <scsi/scsi_proto.h>

static uint size_mb = 256;
module_param(size_mb, uint, 0444);
MODULE_PARM_DESC(size_mb, "the disk's size in MiB (default 256)");

#define FLOOR_BLOCK	512

static struct device *floor_root;
static struct Scsi_Host *floor_host, *floor_irq_host;

/*
 * The irq disk's commands waiting for their interrupt, per CPU: added by
 * queuecommand on that CPU, taken by the irq_work's handler there.
 */
struct floor_pending {
	struct llist_head cmds;
	struct irq_work iw;
};

static DEFINE_PER_CPU(struct floor_pending, floor_pending);

/* A command's private part (the irq disk's only). */
struct floor_cmd {
	struct llist_node node;
	struct scsi_cmnd *cmd;
};

/* Hard interrupt context, on the CPU that queued the commands. */
static void floor_irq(struct irq_work *iw)
{
	struct floor_pending *p = container_of(iw, struct floor_pending, iw);
	struct llist_node *n = llist_del_all(&p->cmds);
	struct floor_cmd *fc, *t;

	llist_for_each_entry_safe(fc, t, llist_reverse_order(n), node)
		scsi_done(fc->cmd);
}

static void floor_reply(struct scsi_cmnd *cmd, const void *buf, u32 len)
{
	u32 alloc = scsi_bufflen(cmd);

	scsi_sg_copy_from_buffer(cmd, buf, min(len, alloc));
	scsi_set_resid(cmd, alloc > len ? alloc - len : 0);
}

static void floor_inquiry(struct scsi_cmnd *cmd)
{
	u8 b[36] = {};

	if (cmd->cmnd[1] & 1) {
		/* Vital product data: none, but the list of pages (0x00). */
		if (cmd->cmnd[2]) {
			scsi_build_sense(cmd, 0, ILLEGAL_REQUEST, 0x24, 0);
			return;
		}
		floor_reply(cmd, b, 4);
		return;
	}
	b[0] = TYPE_DISK;
	b[2] = 5;		/* SPC-3 */
	b[3] = 2;		/* response data format */
	b[4] = sizeof(b) - 5;
	b[7] = 0x02;		/* CmdQue */
	memcpy(b + 8, "hvkit   ", 8);
	memcpy(b + 16, cmd->device->host == floor_irq_host ? "irq_floor       " :
	       "scsi_floor      ", 16);
	memcpy(b + 32, "1   ", 4);
	floor_reply(cmd, b, sizeof(b));
}

static void floor_be32(u8 *at, u32 v)
{
	__be32 b = cpu_to_be32(v);

	memcpy(at, &b, sizeof(b));
}

static void floor_capacity(struct scsi_cmnd *cmd, bool rc16)
{
	u64 last = (u64)size_mb * (SZ_1M / FLOOR_BLOCK) - 1;
	u8 b[32] = {};

	if (!rc16) {
		floor_be32(b, min_t(u64, last, U32_MAX));
		floor_be32(b + 4, FLOOR_BLOCK);
		floor_reply(cmd, b, 8);
		return;
	}
	floor_be32(b, upper_32_bits(last));
	floor_be32(b + 4, lower_32_bits(last));
	floor_be32(b + 8, FLOOR_BLOCK);
	floor_reply(cmd, b, sizeof(b));
}

static int floor_queuecommand(struct Scsi_Host *shost, struct scsi_cmnd *cmd)
{
	u8 b[16] = {};

	cmd->result = 0;
	switch (cmd->cmnd[0]) {
	case READ_6:
	case READ_10:
	case READ_16:
		/* Zeros: stale memory must not reach a reader (or the partition scan). */
		sg_zero_buffer(scsi_sglist(cmd), scsi_sg_count(cmd), scsi_bufflen(cmd), 0);
		scsi_set_resid(cmd, 0);
		break;
	case WRITE_6:
	case WRITE_10:
	case WRITE_16:
		scsi_set_resid(cmd, 0);
		break;
	case TEST_UNIT_READY:
	case SYNCHRONIZE_CACHE:
		break;
	case INQUIRY:
		floor_inquiry(cmd);
		break;
	case READ_CAPACITY:
		floor_capacity(cmd, false);
		break;
	case SERVICE_ACTION_IN_16:
		if ((cmd->cmnd[1] & 0x1f) == SAI_READ_CAPACITY_16)
			floor_capacity(cmd, true);
		else
			scsi_build_sense(cmd, 0, ILLEGAL_REQUEST, 0x20, 0);
		break;
	case REPORT_LUNS:
		b[3] = 8;	/* one LUN, LUN 0: the list's 8 bytes after the header */
		floor_reply(cmd, b, 16);
		break;
	case MODE_SENSE:
		b[0] = 3;	/* mode data length: the header alone */
		floor_reply(cmd, b, 4);
		break;
	case MODE_SENSE_10:
		b[1] = 6;
		floor_reply(cmd, b, 8);
		break;
	default:
		scsi_build_sense(cmd, 0, ILLEGAL_REQUEST, 0x20, 0);
		break;
	}
	if (shost == floor_irq_host) {
		struct floor_cmd *fc = scsi_cmd_priv(cmd);
		struct floor_pending *p = get_cpu_ptr(&floor_pending);

		fc->cmd = cmd;
		llist_add(&fc->node, &p->cmds);
		irq_work_queue(&p->iw);
		put_cpu_ptr(&floor_pending);
		return 0;
	}
	scsi_done(cmd);
	return 0;
}

static struct scsi_host_template floor_sht = {
	.module = THIS_MODULE,
	.name = "hvkit_scsi_floor_test",
	.proc_name = "hvkit_scsi_floor_test",
	.queuecommand = floor_queuecommand,
	.can_queue = 128,
	.cmd_per_lun = 128,
	.this_id = -1,
	.sg_tablesize = SG_ALL,
	.max_sectors = 2048,
	.cmd_size = sizeof(struct floor_cmd),
};

static struct Scsi_Host *floor_add(void)
{
	struct Scsi_Host *h = scsi_host_alloc(&floor_sht, 0);
	int ret;

	if (!h)
		return ERR_PTR(-ENOMEM);
	h->max_id = 1;
	h->max_lun = 1;
	h->max_channel = 0;
	h->nr_hw_queues = num_online_cpus();
	ret = scsi_add_host(h, floor_root);
	if (ret) {
		scsi_host_put(h);
		return ERR_PTR(ret);
	}
	return h;
}

static void floor_remove(struct Scsi_Host *h)
{
	scsi_remove_host(h);
	scsi_host_put(h);
}

static int __init floor_init(void)
{
	int cpu, ret;

	if (!size_mb)
		return -EINVAL;
	for_each_possible_cpu(cpu) {
		struct floor_pending *p = per_cpu_ptr(&floor_pending, cpu);

		init_llist_head(&p->cmds);
		p->iw = IRQ_WORK_INIT_HARD(floor_irq);
	}
	floor_root = root_device_register("hvkit_scsi_floor_test");
	if (IS_ERR(floor_root))
		return PTR_ERR(floor_root);
	floor_host = floor_add();
	if (IS_ERR(floor_host)) {
		ret = PTR_ERR(floor_host);
		goto fail_root;
	}
	floor_irq_host = floor_add();
	if (IS_ERR(floor_irq_host)) {
		ret = PTR_ERR(floor_irq_host);
		goto fail_host;
	}
	scsi_scan_host(floor_host);
	scsi_scan_host(floor_irq_host);
	return 0;

fail_host:
	floor_remove(floor_host);
fail_root:
	root_device_unregister(floor_root);
	return ret;
}

static void __exit floor_exit(void)
{
	int cpu;

	floor_remove(floor_irq_host);
	floor_remove(floor_host);
	/* Every command completed, so no handler has work; none is left running. */
	for_each_possible_cpu(cpu)
		irq_work_sync(&per_cpu_ptr(&floor_pending, cpu)->iw);
	root_device_unregister(floor_root);
}

module_init(floor_init);
module_exit(floor_exit);
MODULE_DESCRIPTION("hvkit bench: SCSI disks that do no work, the midlayer's floor, inline and from an interrupt");
MODULE_LICENSE("GPL");
