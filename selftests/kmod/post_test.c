// SPDX-License-Identifier: GPL-2.0
/*
 * Posts one raw channel message naming a relid, as a buggy or hostile
 * guest might, through the core's test-only hvk_test_post(): the tests
 * then read in the host's log whether it refused the request. Loaded only
 * by the guest selftests.
 *   relid=N  the channel the message names
 *   msg=     gpadl (GPADL_HEADER of one page), open (OPENCHANNEL),
 *            modify (MODIFYCHANNEL), close (CLOSECHANNEL),
 *            teardown (GPADL_TEARDOWN)
 * The module stays loaded (holding the page a GPADL names) until rmmod.
 */
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/module.h>
#include <hvk_vmbus.h>

static uint relid;
module_param(relid, uint, 0444);
MODULE_PARM_DESC(relid, "the relid the message names");

static char *msg = "gpadl";
module_param(msg, charp, 0444);
MODULE_PARM_DESC(msg, "gpadl, open, modify, close or teardown");

#define POST_TEST_GPADL		0x7e570001u

static unsigned long post_test_page;

static int post_test_gpadl(void)
{
	u8 buf[sizeof(struct hvk_msg_gpadl_header) + sizeof(struct hvk_gpa_range) + 8] = {};
	struct hvk_msg_gpadl_header *h = (void *)buf;
	struct hvk_gpa_range *r = (void *)h->range_buf;

	post_test_page = get_zeroed_page(GFP_KERNEL);
	if (!post_test_page)
		return -ENOMEM;
	h->hdr.msgtype = HVK_CHANMSG_GPADL_HEADER;
	h->child_relid = relid;
	h->gpadl = POST_TEST_GPADL;
	h->rangecount = 1;
	h->range_buflen = sizeof(*r) + sizeof(u64);
	r->byte_count = PAGE_SIZE;
	r->byte_offset = 0;
	r->pfn_array[0] = virt_to_phys((void *)post_test_page) >> PAGE_SHIFT;
	return hvk_test_post(buf, sizeof(buf));
}

static int __init post_test_init(void)
{
	union {
		struct hvk_msg_open open;
		struct hvk_msg_modifychannel modify;
		struct hvk_msg_relid close;
		struct hvk_msg_gpadl_teardown teardown;
	} m = {};

	if (!strcmp(msg, "gpadl"))
		return post_test_gpadl();
	if (!strcmp(msg, "open")) {
		m.open.hdr.msgtype = HVK_CHANMSG_OPENCHANNEL;
		m.open.child_relid = relid;
		m.open.openid = relid;
		m.open.ringbuffer_gpadl = POST_TEST_GPADL;
		m.open.downstream_page_offset = 2;
		return hvk_test_post(&m, sizeof(m.open));
	}
	if (!strcmp(msg, "modify")) {
		m.modify.hdr.msgtype = HVK_CHANMSG_MODIFYCHANNEL;
		m.modify.child_relid = relid;
		return hvk_test_post(&m, sizeof(m.modify));
	}
	if (!strcmp(msg, "close")) {
		m.close.hdr.msgtype = HVK_CHANMSG_CLOSECHANNEL;
		m.close.child_relid = relid;
		return hvk_test_post(&m, sizeof(m.close));
	}
	if (!strcmp(msg, "teardown")) {
		m.teardown.hdr.msgtype = HVK_CHANMSG_GPADL_TEARDOWN;
		m.teardown.child_relid = relid;
		m.teardown.gpadl = POST_TEST_GPADL;
		return hvk_test_post(&m, sizeof(m.teardown));
	}
	return -EINVAL;
}

static void __exit post_test_exit(void)
{
	free_page(post_test_page);
}

module_init(post_test_init);
module_exit(post_test_exit);
MODULE_DESCRIPTION("hvkit test: post a raw channel message naming a relid");
MODULE_LICENSE("GPL");
