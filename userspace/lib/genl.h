// SPDX-License-Identifier: GPL-2.0
// A generic netlink client for one family, with RAII over libnl's socket
// and errors that carry the kernel's extended-ACK message.
#pragma once

#include <functional>
#include <memory>
#include <string>

struct nl_sock;
struct nl_msg;
struct nlattr;

namespace hvkit {

// Outcome of a request: 0 or a negative errno, and the kernel's message.
struct NlError {
	int err = 0;
	std::string msg;	// from the extended ACK, may be empty
};

class GenlClient {
public:
	// Resolves @family; on failure error() says why and ok() is false.
	explicit GenlClient(const char *family);
	bool ok() const { return family_id_ > 0; }
	const NlError &error() const { return err_; }

	// One request. Attributes are added by @fill; each reply message's
	// attributes (indexed by type, up to @maxattr) go to @on_reply.
	using Fill = std::function<bool(nl_msg *)>;
	using OnReply = std::function<void(nlattr **attrs)>;
	NlError request(int cmd, int flags, int maxattr, const Fill &fill, const OnReply &on_reply);

private:
	struct SockDeleter {
		void operator()(nl_sock *s) const;
	};
	std::unique_ptr<nl_sock, SockDeleter> sock_;
	int family_id_ = -1;
	NlError err_;
};

} // namespace hvkit
