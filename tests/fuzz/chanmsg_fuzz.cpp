// SPDX-License-Identifier: GPL-2.0
// Host-to-guest channel messages as a hostile host may write them: the
// validator must read nothing past the message (the buffer is sized
// exactly, ASan sees any overrun) and accept nothing the guest would
// then index out of bounds with.
extern "C" {
#include <hvkit/vmbus.h>
}
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *in, size_t n)
{
	if (n > HVK_MESSAGE_PAYLOAD + 16)
		return 0;
	std::vector<u8> msg(in, in + n);
	const char *why = hvk_chanmsg_check(msg.data(), static_cast<u32>(n));
	if (why)
		return 0;
	hvk_chanmsg_hdr h;
	std::memcpy(&h, msg.data(), sizeof(h));
	if (n < hvk_chanmsg_min_len(h.msgtype) || n > HVK_MESSAGE_PAYLOAD)
		abort();
	if (h.msgtype == HVK_CHANMSG_OFFERCHANNEL) {
		hvk_msg_offer o;
		std::memcpy(&o, msg.data(), sizeof(o));
		if (!o.child_relid || o.child_relid > HVK_MAX_RELID ||
		    o.offer.sub_channel_index >= HVK_MAX_SUBCHANNELS)
			abort();
	}
	return 0;
}
