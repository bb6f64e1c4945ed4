// SPDX-License-Identifier: GPL-2.0
#include "genl.h"

#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>

#include <cerrno>
#include <vector>

namespace hvkit {

void GenlClient::SockDeleter::operator()(nl_sock *s) const
{
	nl_socket_free(s);
}

GenlClient::GenlClient(const char *family) : sock_(nl_socket_alloc())
{
	if (!sock_) {
		err_ = {-ENOMEM, "no memory for a netlink socket"};
		return;
	}
	int r = genl_connect(sock_.get());
	if (r < 0) {
		err_ = {-EIO, std::string("cannot open a generic netlink socket: ") + nl_geterror(r)};
		return;
	}
	int one = 1;
	// Ask for extended ACK messages, and acks without the echoed request.
	setsockopt(nl_socket_get_fd(sock_.get()), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(nl_socket_get_fd(sock_.get()), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	family_id_ = genl_ctrl_resolve(sock_.get(), family);
	if (family_id_ < 0)
		err_ = {-ENOENT, ""};
}

namespace {

struct Ctx {
	int maxattr;
	const GenlClient::OnReply *on_reply;
	NlError err;
	bool done = false;
};

int on_valid(nl_msg *msg, void *arg)
{
	auto *ctx = static_cast<Ctx *>(arg);
	std::vector<nlattr *> attrs(ctx->maxattr + 1, nullptr);
	if (genlmsg_parse(nlmsg_hdr(msg), 0, attrs.data(), ctx->maxattr, nullptr) == 0 &&
	    *ctx->on_reply)
		(*ctx->on_reply)(attrs.data());
	return NL_OK;
}

// The kernel's error, with the extended ACK's message if it sent one.
int on_error(sockaddr_nl *, nlmsgerr *e, void *arg)
{
	auto *ctx = static_cast<Ctx *>(arg);
	ctx->err.err = e->error;
	ctx->done = true;
	auto *nlh = reinterpret_cast<nlmsghdr *>(reinterpret_cast<char *>(e) - NLMSG_HDRLEN);
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NL_STOP;
	// With NETLINK_CAP_ACK the request is not echoed: TLVs follow nlmsgerr.
	size_t off = NLMSG_HDRLEN + sizeof(*e);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	if (nlh->nlmsg_len <= off)
		return NL_STOP;
	nlattr *tb[NLMSGERR_ATTR_MAX + 1] = {};
	auto *start = reinterpret_cast<nlattr *>(reinterpret_cast<char *>(nlh) + off);
	if (nla_parse(tb, NLMSGERR_ATTR_MAX, start, nlh->nlmsg_len - off, nullptr) == 0 &&
	    tb[NLMSGERR_ATTR_MSG])
		ctx->err.msg = nla_get_string(tb[NLMSGERR_ATTR_MSG]);
	return NL_STOP;
}

int on_ack(nl_msg *, void *arg)
{
	static_cast<Ctx *>(arg)->done = true;
	return NL_STOP;
}

int on_finish(nl_msg *, void *arg)
{
	static_cast<Ctx *>(arg)->done = true;
	return NL_STOP;
}

struct MsgDeleter {
	void operator()(nl_msg *m) const { nlmsg_free(m); }
};
struct CbDeleter {
	void operator()(nl_cb *c) const { nl_cb_put(c); }
};

} // namespace

NlError GenlClient::request(int cmd, int flags, int maxattr, const Fill &fill,
			    const OnReply &on_reply)
{
	if (!ok())
		return err_;
	// Room for the largest request (an IC message body of 8 KiB, IC_RAW).
	std::unique_ptr<nl_msg, MsgDeleter> msg(nlmsg_alloc_size(16384));
	std::unique_ptr<nl_cb, CbDeleter> cb(nl_cb_alloc(NL_CB_DEFAULT));
	if (!msg || !cb)
		return {-ENOMEM, "no memory for a netlink message"};
	if (!genlmsg_put(msg.get(), NL_AUTO_PORT, NL_AUTO_SEQ, family_id_, 0, flags | NLM_F_ACK,
			 cmd, 1) ||
	    (fill && !fill(msg.get())))
		return {-EMSGSIZE, "the request does not fit a netlink message"};

	Ctx ctx{maxattr, &on_reply, {}};
	nl_cb_set(cb.get(), NL_CB_VALID, NL_CB_CUSTOM, on_valid, &ctx);
	nl_cb_set(cb.get(), NL_CB_ACK, NL_CB_CUSTOM, on_ack, &ctx);
	nl_cb_set(cb.get(), NL_CB_FINISH, NL_CB_CUSTOM, on_finish, &ctx);
	nl_cb_err(cb.get(), NL_CB_CUSTOM, on_error, &ctx);
	int r = nl_send_auto(sock_.get(), msg.get());
	if (r < 0)
		return {-EIO, std::string("netlink send failed: ") + nl_geterror(r)};
	while (!ctx.done) {
		r = nl_recvmsgs(sock_.get(), cb.get());
		if (r < 0 && !ctx.done)
			return {ctx.err.err ? ctx.err.err : -EIO,
				ctx.err.msg.empty() ? std::string(nl_geterror(r)) : ctx.err.msg};
	}
	return ctx.err;
}

} // namespace hvkit
