// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection: each fault is a rule that fires on its next COUNT
 * chances, then disarms itself, in the manner of scsi_debug's error rules.
 * The guest must survive every one: an error logged, the channel or the
 * request failed cleanly, nothing worse.
 */
#include <linux/atomic.h>
#include <linux/module.h>
#include "sim.h"

static const char *const sim_fault_names[HVSIM_FAULT_COUNT] = {
	[HVSIM_FAULT_DROP_MSG] = "drop_msg",
	[HVSIM_FAULT_DELAY_MSG] = "delay_msg",
	[HVSIM_FAULT_SHORT_MSG] = "short_msg",
	[HVSIM_FAULT_BAD_RELID] = "bad_relid",
	[HVSIM_FAULT_DUP_RELID] = "dup_relid",
	[HVSIM_FAULT_RESCIND_ON_OPEN] = "rescind_on_open",
	[HVSIM_FAULT_GPADL_REORDER] = "gpadl_reorder",
	[HVSIM_FAULT_BAD_RING_INDEX] = "bad_ring_index",
	[HVSIM_FAULT_BAD_PKT_LEN] = "bad_pkt_len",
	[HVSIM_FAULT_BAD_PKT_OFFSET] = "bad_pkt_offset",
	[HVSIM_FAULT_BAD_TRANS_ID] = "bad_trans_id",
	[HVSIM_FAULT_RESCIND_PRIMARY_FIRST] = "rescind_primary_first",
	[HVSIM_FAULT_RESCIND_AFTER_GPADL] = "rescind_after_gpadl",
	[HVSIM_FAULT_OFFER_ON_UNLOAD] = "offer_on_unload",
	[HVSIM_FAULT_POST_BUSY] = "post_busy",
	[HVSIM_FAULT_POST_INVALID] = "post_invalid",
	[HVSIM_FAULT_SCSI_BAD_LENGTH] = "scsi_bad_length",
	[HVSIM_FAULT_SCSI_BAD_SRB_STATUS] = "scsi_bad_srb_status",
	[HVSIM_FAULT_SCSI_BAD_SENSE_LEN] = "scsi_bad_sense_len",
	[HVSIM_FAULT_SCSI_UNKNOWN_ID] = "scsi_unknown_id",
	[HVSIM_FAULT_NIC_BAD_RNDIS_LEN] = "nic_bad_rndis_len",
	[HVSIM_FAULT_NIC_BAD_RNDIS_OFFSET] = "nic_bad_rndis_offset",
	[HVSIM_FAULT_NIC_BOGUS_COMPLETION] = "nic_bogus_completion",
	[HVSIM_FAULT_NIC_BAD_RECV_RANGE] = "nic_bad_recv_range",
	[HVSIM_FAULT_NIC_BAD_NVSP_VERSION] = "nic_bad_nvsp_version",
	[HVSIM_FAULT_VPCI_BAD_RELATIONS] = "vpci_bad_relations",
	[HVSIM_FAULT_VPCI_REL_COUNT] = "vpci_rel_count",
	[HVSIM_FAULT_VPCI_DUP_SLOT] = "vpci_dup_slot",
	[HVSIM_FAULT_VPCI_BAD_RESOURCES] = "vpci_bad_resources",
	[HVSIM_FAULT_VPCI_INT_COUNT] = "vpci_int_count",
	[HVSIM_FAULT_NIC_BAD_PPI_SIZE] = "nic_bad_ppi_size",
	[HVSIM_FAULT_NIC_BAD_CSUM_PPI] = "nic_bad_csum_ppi",
	[HVSIM_FAULT_NIC_BAD_RSC] = "nic_bad_rsc",
	[HVSIM_FAULT_NIC_SHORT_SPEED] = "nic_short_speed",
	[HVSIM_FAULT_NIC_BAD_SEND_TABLE] = "nic_bad_send_table",
	[HVSIM_FAULT_SERVE_STALL] = "serve_stall",
};

static atomic_t sim_fault_left[HVSIM_FAULT_COUNT];
static atomic_t sim_fault_hits[HVSIM_FAULT_COUNT];

const char *sim_fault_name(unsigned int f)
{
	return f < HVSIM_FAULT_COUNT ? sim_fault_names[f] : NULL;
}

int sim_fault_lookup(const char *name)
{
	unsigned int f;

	for (f = 0; f < HVSIM_FAULT_COUNT; f++)
		if (!strcmp(sim_fault_names[f], name))
			return f;
	return -ENOENT;
}

void sim_fault_arm(unsigned int f, u32 count)
{
	atomic_set(&sim_fault_left[f], min_t(u32, count, INT_MAX));
}

void sim_fault_state(unsigned int f, u32 *left, u32 *hits)
{
	*left = atomic_read(&sim_fault_left[f]);
	*hits = atomic_read(&sim_fault_hits[f]);
}

/* Any context: does fault @f fire now? */
bool sim_fault(unsigned int f)
{
	if (atomic_dec_if_positive(&sim_fault_left[f]) < 0)
		return false;
	atomic_inc(&sim_fault_hits[f]);
	pr_info("hvkit_sim: fault %s fires\n", sim_fault_names[f]);
	return true;
}

void sim_fault_reset(void)
{
	unsigned int f;

	for (f = 0; f < HVSIM_FAULT_COUNT; f++) {
		atomic_set(&sim_fault_left[f], 0);
		atomic_set(&sim_fault_hits[f], 0);
	}
}
