// SPDX-License-Identifier: GPL-2.0
// hypervvssd's message loop on /dev/vmbus/hv_vss (upstream's ABI, docs/util.md
// "VSS"): the daemon writes REGISTER1, reads the kernel's u32 version, then
// reads one 12-byte struct hvk_vss_msg per request and writes it back with
// its status in the first four bytes.
//
//   FREEZE      freeze (Freezer); on success a watchdog thaws by itself if
//               no THAW comes within the bound
//   THAW        thaw, cancel the watchdog
//   HOT_BACKUP  S_OK (upstream's daemon only says yes)
//   GET_DM_INFO and the other operations upstream knows: S_OK, as upstream
//   an operation past AUTO_RECOVER: E_FAIL
//
// A message that is not exactly 12 bytes is answered E_FAIL. When the
// device refuses an answer (it came after the kernel's timeout), what is
// frozen is thawed and the daemon registers again, as upstream's does.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

#include "freeze.h"

namespace hvkit::vss {

// The watchdog's timer: Loop::set_timer in the daemon, a fake in tests.
class Timer {
public:
	virtual ~Timer() = default;
	virtual void set(std::chrono::milliseconds after, std::function<void()> fn) = 0;
	virtual void cancel() = 0;
};

enum class Served {
	ok,
	reopen,	// the device refused our answer: register again
	gone,	// the device is gone: wait for it again
};

class VssService {
public:
	VssService(int fd, Freezer &fz, Timer &timer, std::chrono::milliseconds thaw_after) :
		fd_(fd), fz_(fz), timer_(timer), thaw_after_(thaw_after)
	{
	}
	bool register_daemon();
	Served serve();
	// The watchdog: no THAW within the bound. Thaws and logs.
	void watchdog_expired();
	// Stopping (SIGTERM, the device gone): thaw what is frozen.
	void stop();
	bool frozen() const { return fz_.frozen(); }

private:
	// Returns the status for the host.
	uint32_t do_freeze();
	uint32_t do_thaw();

	int fd_;
	Freezer &fz_;
	Timer &timer_;
	std::chrono::milliseconds thaw_after_;
	bool handshake_ = true;
};

} // namespace hvkit::vss
