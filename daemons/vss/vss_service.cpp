// SPDX-License-Identifier: GPL-2.0
// hypervvssd's message loop (vss_service.h).
#include "vss_service.h"

#include <cerrno>
#include <cstring>

#include <unistd.h>

#include "daemon.h"
#include "hvkit/uapi/hv_ic_dev.h"

namespace hvkit::vss {

using daemon::log;

namespace {

const char *op_name(unsigned op)
{
	static const char *const names[] = { "CREATE", "DELETE", "HOT_BACKUP", "GET_DM_INFO",
					     "BU_COMPLETE", "FREEZE", "THAW", "AUTO_RECOVER" };
	return op < HVK_VSS_OP_COUNT ? names[op] : "unknown";
}

void log_notes(const std::vector<std::string> &notes)
{
	for (const std::string &n : notes)
		log(LOG_INFO, "%s", n.c_str());
}

} // namespace

bool VssService::register_daemon()
{
	hvk_vss_msg m {};
	m.vss_hdr.operation = HVK_VSS_OP_REGISTER1;
	if (::write(fd_, &m, sizeof(m)) != sizeof(m)) {
		log(LOG_ERR, "cannot register with the VSS device: %s", std::strerror(errno));
		return false;
	}
	handshake_ = true;
	return true;
}

uint32_t VssService::do_freeze()
{
	std::string err;
	std::vector<std::string> notes;
	bool ok = fz_.freeze(err, notes);
	// Frozen: nothing is logged until the host has its answer (serve()).
	// Not frozen: the log is safe again.
	if (ok) {
		timer_.set(thaw_after_, [this] { watchdog_expired(); });
		return HVK_S_OK;
	}
	log_notes(notes);
	log(LOG_ERR, "FREEZE failed: %s", err.c_str());
	return HVK_E_FAIL;
}

uint32_t VssService::do_thaw()
{
	timer_.cancel();
	std::string err;
	std::vector<std::string> notes;
	bool ok = fz_.thaw(err, notes);
	log_notes(notes);
	if (!ok) {
		log(LOG_ERR, "THAW failed: %s", err.c_str());
		return HVK_E_FAIL;
	}
	log(LOG_INFO, "thawed");
	return HVK_S_OK;
}

void VssService::watchdog_expired()
{
	if (!fz_.frozen())
		return;
	std::string err;
	std::vector<std::string> notes;
	bool ok = fz_.thaw(err, notes);
	log(LOG_WARNING, "no THAW came within %lld s of the FREEZE; thawed by the watchdog",
	    static_cast<long long>(std::chrono::duration_cast<std::chrono::seconds>(thaw_after_).count()));
	log_notes(notes);
	if (!ok)
		log(LOG_ERR, "the watchdog's thaw failed: %s", err.c_str());
}

void VssService::stop()
{
	timer_.cancel();
	if (!fz_.frozen())
		return;
	std::string err;
	std::vector<std::string> notes;
	if (fz_.thaw(err, notes))
		log(LOG_INFO, "thawed before stopping");
	else
		log(LOG_ERR, "thawing before stopping failed: %s", err.c_str());
	log_notes(notes);
}

Served VssService::serve()
{
	uint8_t buf[64];
	ssize_t n = ::read(fd_, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return Served::ok;
	if (n <= 0) {
		if (n == 0)
			log(LOG_ERR, "the VSS device closed");
		else
			log(LOG_ERR, "cannot read the VSS device: %s", std::strerror(errno));
		stop();
		return Served::gone;
	}
	auto len = static_cast<size_t>(n);
	if (handshake_) {
		if (len != sizeof(uint32_t)) {
			log(LOG_ERR, "the device answered the registration with %zu bytes, not 4", len);
			return Served::gone;
		}
		uint32_t v;
		std::memcpy(&v, buf, sizeof(v));
		handshake_ = false;
		log(LOG_INFO, "registered; the kernel's VSS version is %u", v);
		return Served::ok;
	}
	hvk_vss_msg m {};
	uint32_t status;
	unsigned op = 0xff;
	if (len != sizeof(m)) {
		log(LOG_ERR, "request refused: a message of %zu bytes, not 12", len);
		status = HVK_E_FAIL;
	} else {
		std::memcpy(&m, buf, sizeof(m));
		op = m.vss_hdr.operation;
		log(LOG_DEBUG, "request: %s (%u)", op_name(op), op);
		switch (op) {
		case HVK_VSS_OP_FREEZE:
			status = do_freeze();
			break;
		case HVK_VSS_OP_THAW:
			status = do_thaw();
			break;
		case HVK_VSS_OP_HOT_BACKUP:
		case HVK_VSS_OP_GET_DM_INFO:
		case HVK_VSS_OP_CREATE:
		case HVK_VSS_OP_DELETE:
		case HVK_VSS_OP_BU_COMPLETE:
		case HVK_VSS_OP_AUTO_RECOVER:
			status = HVK_S_OK;
			break;
		default:
			log(LOG_ERR, "request refused: operation %u is not one VSS defines", op);
			status = HVK_E_FAIL;
		}
	}
	m.error = static_cast<int32_t>(status);
	if (::write(fd_, &m, sizeof(m)) != sizeof(m)) {
		// A late answer: the host has E_FAIL already and will not
		// THAW a FREEZE it thinks failed.
		log(LOG_WARNING, "the device refused the answer to %s (%s); thawing and registering again",
		    op_name(op), std::strerror(errno));
		stop();
		return Served::reopen;
	}
	if (op == HVK_VSS_OP_FREEZE && status == HVK_S_OK)
		log(LOG_INFO, "froze %zu filesystem%s", fz_.frozen_dirs().size(),
		    fz_.frozen_dirs().size() == 1 ? "" : "s");
	return Served::ok;
}

} // namespace hvkit::vss
