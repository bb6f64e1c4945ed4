// SPDX-License-Identifier: GPL-2.0
// hypervfcopyd's two transports, each feeding FileCopy (fcopy_file.h):
//
//  - CharDev: /dev/vmbus/hv_fcopy, the pre-6.10 ABI (hvkit's modules, and
//    the in-tree hv_utils before 6.10): the daemon writes its version, reads
//    the kernel's u32 version, then reads one message (names in UTF-8) and
//    writes an int status for each (docs/util.md, "file copy").
//  - Uio: the file-copy channel's rings mapped through uio_hv_generic
//    (in-tree kernels from 6.10): the daemon reads the host's VMBus packets
//    itself, negotiates the IC versions, checks each message with the shared
//    IC codec (include/hvkit/ic_fcopy.h) and answers in the other ring, with
//    the ring code the kernel modules use (include/hvkit/ring.h).
//
// Both take a plain fd, so tests drive them through a socketpair and a
// memfd.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "fcopy_file.h"
extern "C" {
#include "hvkit/ring.h"
}

namespace hvkit::fcopy {

// Run one message in the char device's format (struct hvk_fcopy_start,
// hvk_fcopy_data or hvk_fcopy_hdr, names UTF-8): the status for the host.
// A message too short for its operation, with an unknown operation, a
// WRITE_TO_FILE whose size runs past the message or the fragment, or a
// name with no NUL in its field is E_FAIL, and does nothing; *why says why.
// Logs what it does (names, never data).
uint32_t handle_message(FileCopy &fc, std::span<const uint8_t> msg, std::string &why);

enum class Served {
	ok,	// carry on
	reopen,	// the device refused our answer (late): reopen and register
	gone,	// the device is gone or broken: wait for it again
};

class CharDev {
public:
	CharDev(int fd, FileCopy &fc) : fd_(fd), fc_(fc) {}
	// Write FCOPY_VERSION_1. False (logged) if the device refuses it.
	bool register_daemon();
	// Read one message from the device and answer it.
	Served serve();
	// While a copy is open, serve its messages one after the other with
	// blocking reads, no poll(2) before each (as upstream's daemon reads),
	// until it is complete or cancelled, or a signal comes (SIGTERM,
	// SIGINT, SIGHUP: left pending for the event loop's signalfd; the
	// copy stays open). Pings the systemd watchdog every @watchdog, if
	// given. Served::ok when the caller's loop should go on.
	Served serve_copy(std::optional<std::chrono::milliseconds> watchdog);

private:
	int fd_;
	FileCopy &fc_;
	bool handshake_ = true;
	std::vector<uint8_t> buf_ = std::vector<uint8_t>(8192);
};

class Uio {
public:
	// @map: 2 * @ring_size bytes, the guest-to-host ring then the
	// host-to-guest ring, each a 4 KiB control page and its data, as
	// uio_hv_generic maps them. @fd: the uio device (read: wait for an
	// interrupt; write 1: unmask and signal the host).
	Uio(int fd, void *map, uint32_t ring_size, FileCopy &fc) :
		fd_(fd), map_(static_cast<uint8_t *>(map)), ring_size_(ring_size), fc_(fc)
	{
	}
	// Attach to both rings (their indices as the kernel left them).
	bool init(std::string &err);
	// Wait for the host's interrupt (a 4-byte read), answer every packet
	// in the ring, signal the host.
	Served serve();
	// Answer every packet in the ring now (init and serve call it).
	Served drain();
	uint32_t fcopy_version() const { return srv_ver_; }

private:
	Served answer(const uint8_t *pkt, uint32_t len);
	bool signal_host();

	int fd_;
	uint8_t *map_;
	uint32_t ring_size_;
	FileCopy &fc_;
	hvk_ring tx_{};
	hvk_ring rx_{};
	uint32_t fw_ver_ = 0, srv_ver_ = 0;
	std::vector<uint8_t> in_;
};

} // namespace hvkit::fcopy
