// SPDX-License-Identifier: GPL-2.0
// hypervfcopyd's transports (fcopy_service.h).
#include "fcopy_service.h"

#include <cerrno>
#include <cstring>
#include <memory>

#include <unistd.h>

extern "C" {
#include "hvkit/ic.h"
#include "hvkit/ic_fcopy.h"
}

namespace hvkit::fcopy {

using daemon::log;

namespace {

// A UTF-8 name of the char device's START_FILE_COPY: @field bytes that
// must hold a NUL.
bool name_in(const uint8_t *field, size_t size, std::string &out)
{
	const auto *end = static_cast<const uint8_t *>(std::memchr(field, 0, size));
	if (!end)
		return false;
	out.assign(reinterpret_cast<const char *>(field), static_cast<size_t>(end - field));
	return true;
}

template <typename T> T get(const uint8_t *p)
{
	T v;
	std::memcpy(&v, p, sizeof(v));
	return v;
}

} // namespace

uint32_t handle_message(FileCopy &fc, std::span<const uint8_t> msg, std::string &why)
{
	why.clear();
	if (msg.size() < sizeof(hvk_fcopy_hdr)) {
		why = "a message of " + std::to_string(msg.size()) +
		      " bytes is shorter than the 36-byte file copy header";
		return HVK_E_FAIL;
	}
	const uint8_t *p = msg.data();
	uint32_t op = get<uint32_t>(p);
	uint32_t status = HVK_E_FAIL;
	switch (op) {
	case HVK_FCOPY_START_FILE_COPY: {
		if (msg.size() < sizeof(hvk_fcopy_start)) {
			why = "START_FILE_COPY of " + std::to_string(msg.size()) +
			      " bytes is shorter than its 1088";
			return HVK_E_FAIL;
		}
		std::string name, dir;
		if (!name_in(p + offsetof(hvk_fcopy_start, file_name), sizeof(hvk_fcopy_start::file_name),
			     name) ||
		    !name_in(p + offsetof(hvk_fcopy_start, path_name), sizeof(hvk_fcopy_start::path_name),
			     dir)) {
			why = "START_FILE_COPY has a name with no NUL in its field";
			return HVK_E_FAIL;
		}
		auto flags = get<uint32_t>(p + offsetof(hvk_fcopy_start, copy_flags));
		auto size = get<uint64_t>(p + offsetof(hvk_fcopy_start, file_size));
		status = fc.start(dir, name, flags, size);
		if (status == HVK_S_OK)
			log(LOG_INFO, "copying %s/%s (%llu bytes%s%s)", dir.c_str(), name.c_str(),
			    static_cast<unsigned long long>(size),
			    (flags & HVK_FCOPY_OVER_WRITE) ? ", overwrite" : "",
			    (flags & HVK_FCOPY_CREATE_PATH) ? ", create path" : "");
		break;
	}
	case HVK_FCOPY_WRITE_TO_FILE: {
		if (msg.size() < HVK_FCOPY_DATA_HDR) {
			why = "WRITE_TO_FILE of " + std::to_string(msg.size()) +
			      " bytes is shorter than its 52-byte header";
			return HVK_E_FAIL;
		}
		auto offset = get<uint64_t>(p + offsetof(hvk_fcopy_data, offset));
		auto size = get<uint32_t>(p + offsetof(hvk_fcopy_data, size));
		if (size > HVK_FCOPY_DATA_FRAGMENT || size > msg.size() - HVK_FCOPY_DATA_HDR) {
			why = "WRITE_TO_FILE's size " + std::to_string(size) +
			      " is past the fragment or the message";
			return HVK_E_FAIL;
		}
		if (offset > static_cast<uint64_t>(INT64_MAX) - size) {
			why = "WRITE_TO_FILE's offset is past the largest file offset";
			return HVK_E_FAIL;
		}
		log(LOG_DEBUG, "WRITE_TO_FILE: %u bytes at %llu", size,
		    static_cast<unsigned long long>(offset));
		status = fc.write(offset, msg.subspan(HVK_FCOPY_DATA_HDR, size));
		break;
	}
	case HVK_FCOPY_COMPLETE:
		status = fc.complete();
		if (status == HVK_S_OK)
			log(LOG_INFO, "copy complete");
		break;
	case HVK_FCOPY_CANCEL:
		status = fc.cancel();
		log(LOG_INFO, "copy cancelled by the host");
		break;
	default:
		why = "operation " + std::to_string(op) + " is not one the protocol defines";
		return HVK_E_FAIL;
	}
	if (status != HVK_S_OK)
		log(LOG_ERR, "%s failed (%s): %s", hvk_fcopy_op_name(op), status_name(status),
		    fc.error().c_str());
	return status;
}

// ---- the char device ----------------------------------------------------

bool CharDev::register_daemon()
{
	int version = HVK_FCOPY_VERSION_1;
	if (::write(fd_, &version, sizeof(version)) != sizeof(version)) {
		log(LOG_ERR, "cannot register with the file copy device: %s", std::strerror(errno));
		return false;
	}
	handshake_ = true;
	return true;
}

Served CharDev::serve()
{
	ssize_t n = ::read(fd_, buf_.data(), buf_.size());
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return Served::ok;
	if (n <= 0) {
		if (n == 0)
			log(LOG_ERR, "the file copy device closed");
		else
			log(LOG_ERR, "cannot read the file copy device: %s", std::strerror(errno));
		fc_.cancel();
		return Served::gone;
	}
	auto len = static_cast<size_t>(n);
	if (handshake_) {
		if (len != sizeof(uint32_t)) {
			log(LOG_ERR, "the device answered the registration with %zu bytes, not 4", len);
			return Served::gone;
		}
		handshake_ = false;
		log(LOG_INFO, "registered; the kernel's file copy version is %u",
		    get<uint32_t>(buf_.data()));
		return Served::ok;
	}
	std::string why;
	uint32_t status;
	if (len > sizeof(hvk_fcopy_data)) {
		why = "a message of " + std::to_string(len) + " bytes is longer than any request";
		status = HVK_E_FAIL;
	} else {
		status = handle_message(fc_, std::span<const uint8_t>(buf_.data(), len), why);
	}
	if (!why.empty())
		log(LOG_ERR, "request refused: %s", why.c_str());
	int answer = static_cast<int>(status);
	if (::write(fd_, &answer, sizeof(answer)) != sizeof(answer)) {
		// The kernel refuses a late answer (its timer answered the
		// host): the copy is over for the host, so it is over here.
		log(LOG_WARNING, "the device refused the answer (%s); registering again",
		    std::strerror(errno));
		fc_.cancel();
		return Served::reopen;
	}
	return Served::ok;
}

Served CharDev::serve_copy(std::optional<std::chrono::milliseconds> watchdog)
{
	using namespace std::chrono_literals;
	// The host sends the next fragment when it has our answer: a copy is
	// a stream of read, write to the file, answer. A poll() before each
	// read was a quarter of the system calls of a copy. Signals interrupt
	// the blocking read instead, and a tick (1 s, or the watchdog's
	// period if shorter) bounds how long one that lands just before the
	// read waits, and pings the watchdog.
	daemon::SignalWindow window(std::min<std::chrono::milliseconds>(watchdog.value_or(1s), 1s));
	while (fc_.open() && !window.signalled()) {
		Served s = serve();
		if (s != Served::ok)
			return s;
		if (window.ticked() && watchdog)
			daemon::notify_watchdog();
	}
	return Served::ok;
}

// ---- uio ------------------------------------------------------------------

bool Uio::init(std::string &err)
{
	if (ring_size_ <= HVK_RING_CTL_SIZE || ring_size_ % 4096) {
		err = "the ring size " + std::to_string(ring_size_) + " is not a whole number of pages past the control page";
		return false;
	}
	uint32_t data = ring_size_ - HVK_RING_CTL_SIZE;
	auto *tx_ctl = reinterpret_cast<hvk_ring_ctl *>(map_);
	auto *rx_ctl = reinterpret_cast<hvk_ring_ctl *>(map_ + ring_size_);
	if (hvk_ring_init(&tx_, tx_ctl, map_ + HVK_RING_CTL_SIZE, data, false) ||
	    hvk_ring_init(&rx_, rx_ctl, map_ + ring_size_ + HVK_RING_CTL_SIZE, data, false)) {
		err = "the ring's indices are out of range";
		return false;
	}
	in_.resize(data);
	return true;
}

bool Uio::signal_host()
{
	int one = 1;
	if (::write(fd_, &one, sizeof(one)) != sizeof(one)) {
		log(LOG_ERR, "cannot signal the host: %s", std::strerror(errno));
		return false;
	}
	return true;
}

Served Uio::serve()
{
	int32_t count;
	ssize_t n = ::read(fd_, &count, sizeof(count));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return Served::ok;
	if (n != sizeof(count)) {
		log(LOG_ERR, "cannot wait for the host: %s",
		    n < 0 ? std::strerror(errno) : "short read");
		fc_.cancel();
		return Served::gone;
	}
	return drain();
}

Served Uio::drain()
{
	bool answered = false;
	for (;;) {
		hvk_ring_mask(&rx_);
		for (;;) {
			uint32_t len = 0;
			int ret = hvk_ring_read(&rx_, in_.data(), static_cast<uint32_t>(in_.size()), &len);
			if (ret == -EAGAIN)
				break;
			if (ret) {
				log(LOG_ERR, "the host's ring is corrupt (%s); stopping",
				    rx_.broken ? rx_.broken : std::strerror(-ret));
				fc_.cancel();
				return Served::gone;
			}
			Served s = answer(in_.data(), len);
			if (s != Served::ok)
				return s;
			answered = true;
		}
		hvk_ring_commit(&rx_);
		if (!hvk_ring_unmask(&rx_))
			break;
	}
	// Writing 1 to the uio device also clears the interrupt mask, as
	// upstream's daemon does after each answer.
	if (answered && !signal_host())
		return Served::gone;
	return Served::ok;
}

Served Uio::answer(const uint8_t *pkt, uint32_t len)
{
	hvk_pkt_desc d;
	std::memcpy(&d, pkt, sizeof(d));
	uint32_t off = d.offset8 * 8u;
	if (d.type != HVK_PKT_DATA_INBAND || off < sizeof(d) || off > len) {
		log(LOG_ERR, "ignored a packet of type %u that is not an in-band IC message", d.type);
		return Served::ok;
	}
	uint8_t *payload = in_.data() + off;
	uint32_t plen = len - off;
	uint32_t body_len = 0;
	const char *why = nullptr;
	const hvk_ic_hdr *h = hvk_ic_parse(payload, plen, &body_len, &why);
	if (!h) {
		log(LOG_ERR, "ignored a malformed IC message: %s", why);
		return Served::ok;
	}
	auto *hdr = reinterpret_cast<hvk_ic_hdr *>(payload + sizeof(hvk_ic_pipe_hdr));
	uint32_t resp_len = HVK_IC_HDRS + body_len;
	if (hdr->icmsgtype == HVK_ICMSG_NEGOTIATE) {
		static const u32 fw[] = { HVK_IC_FW_3_0 };
		static const u32 srv[] = { HVK_IC_FCOPY_1_1 };
		int ret = hvk_ic_negotiate(payload, plen, fw, 1, srv, 1, &fw_ver_, &srv_ver_, &resp_len);
		if (ret == 0)
			log(LOG_INFO, "negotiated framework %u.%u, file copy %u.%u",
			    HVK_IC_MAJOR(fw_ver_), HVK_IC_MINOR(fw_ver_), HVK_IC_MAJOR(srv_ver_),
			    HVK_IC_MINOR(srv_ver_));
		else
			log(LOG_ERR, "the host offers no version we speak (framework 3.0, file copy 1.1)");
		if (!resp_len)
			return Served::ok;
	} else {
		uint32_t status = HVK_E_FAIL;
		if (hdr->icmsgtype != HVK_ICMSG_FCOPY) {
			log(LOG_ERR, "refused an IC message of type %u", hdr->icmsgtype);
		} else {
			auto msg = std::make_unique<hvk_fcopy_daemon_msg>();
			const char *bad = nullptr;
			int n = hvk_fcopy_to_daemon(payload + HVK_IC_HDRS, body_len, msg.get(), &bad);
			if (n < 0) {
				log(LOG_ERR, "request refused: %s", bad);
			} else {
				std::string why2;
				status = handle_message(
					fc_,
					std::span<const uint8_t>(reinterpret_cast<const uint8_t *>(msg.get()),
								 static_cast<size_t>(n)),
					why2);
				if (!why2.empty())
					log(LOG_ERR, "request refused: %s", why2.c_str());
			}
		}
		hdr->status = status;
		hdr->icflags = HVK_ICFLAG_TRANSACTION | HVK_ICFLAG_RESPONSE;
	}
	// The answer is the request's payload with the status set (and
	// for a negotiation the versions chosen), under our own descriptor.
	hvk_pkt_desc od{};
	od.type = HVK_PKT_DATA_INBAND;
	od.offset8 = sizeof(od) / 8;
	od.len8 = static_cast<u16>((sizeof(od) + resp_len + 7) / 8);
	od.flags = 0;
	od.trans_id = d.trans_id;
	hvk_kvec v[2] = { { &od, sizeof(od) }, { payload, resp_len } };
	bool sig = false;
	int ret = hvk_ring_write(&tx_, v, 2, &sig);
	if (ret == -EAGAIN) {
		// The host sends one request at a time and reads each
		// answer: a full ring is a host that stopped reading.
		log(LOG_ERR, "the ring to the host is full; dropping an answer");
	} else if (ret) {
		log(LOG_ERR, "cannot answer the host: %s", tx_.broken ? tx_.broken : std::strerror(-ret));
		fc_.cancel();
		return Served::gone;
	}
	return Served::ok;
}

} // namespace hvkit::fcopy
