# SPDX-License-Identifier: GPL-2.0
# hvkit: Hyper-V / VMBus guest suite. `make help` lists the targets.
#
# Variables:
#   KVER=6.12      kernel series for modules, vm and the guest tests (6.12, 6.1)
#   KDIR=path      build the modules against this kernel tree instead
#   T=pattern      check: run only the guest selftests whose name matches
#   SCRIPT=file    vm: run this script in the guest and exit with its status
#   V=1            verbose kbuild
#   DESTDIR=dir    install, uninstall, install-src: a staging root
#   PREFIX=/usr    install: programs, man pages, units (modules: /lib/modules)
#   SIGN_KEY=key SIGN_CERT=cert   install: sign the modules (SIGN_HASH=sha512)
KVER ?= 6.12
export KVER KDIR T V DESTDIR PREFIX SIGN_KEY SIGN_CERT SIGN_HASH SIGN_FILE

.PHONY: all help deps modules userspace check demo vm bench sparse fuzz clean debug-kernel check-debug
.PHONY: install uninstall install-src rpm

all: modules userspace

help:
	@sed -n 's/^## //p' Makefile

## make             build the modules (for KVER or KDIR) and userspace
## make deps        install what is missing (apt) and unpack the guest kernels
deps:
	@scripts/deps.sh

## make modules     build the kernel modules (W=1) into build/kmod/<release>
modules: deps
	@scripts/build-modules.sh "$$(scripts/kdir.sh)" W=1 $(if $(V),V=1) >/dev/null

## make userspace   build userspace and the host tests into build/user
userspace: deps
	@scripts/build-user.sh

## make check       build with warnings as errors, run host and guest tests
check:
	@scripts/check.sh

## make demo        boot a guest on the simulated host and show the suite work
demo:
	@scripts/demo.sh

## make vm          guest shell with everything loaded (SCRIPT=file: run it;
##                  make exits 2 when it fails, run.sh --script gives its status)
vm: modules userspace
	@selftests/run.sh --krel "$$(scripts/kdir.sh --krel)" \
		$(if $(SCRIPT),--script "$(SCRIPT)",--shell)

## make bench       benchmarks, printed as ratios against a same-run baseline
bench: modules userspace
	@echo "== host: ring buffer, two threads, against memcpy"
	@build/user/tests/hvkit_bench_ring --benchmark_min_time=0.3 --benchmark_repetitions=3 \
		--benchmark_report_aggregates_only=true 2>/dev/null | sed -n '/^ring/,$$p'
	@echo; echo "== guest ($$(scripts/kdir.sh --krel)): echo over VMBus, against in-kernel memcpy"
	@selftests/run.sh --krel "$$(scripts/kdir.sh --krel)" --script scripts/bench-guest.sh
	@echo; echo "== guest: file copy of 256 MiB, hypervfcopyd against Debian's hv_fcopy_daemon"
	@selftests/run.sh --krel "$$(scripts/kdir.sh --krel)" --mem 2048 --timeout 1200 \
		--script scripts/bench-fcopy-guest.sh 256 2
	@echo; echo "== guest: storage, the synthetic disk against brd, scsi_debug and virtio-blk"
	@selftests/run.sh --krel "$$(scripts/kdir.sh --krel)" --mem 2048 --timeout 900 \
		--script scripts/bench-storage-guest.sh
	@echo; echo "== guest: the synthetic NIC against a veth pair and virtio-net"
	@selftests/run.sh --krel "$$(scripts/kdir.sh --krel)" --mem 2048 --timeout 900 \
		--script scripts/bench-net-guest.sh
	@echo; echo "== guest: the synthetic NIC receiving, RSC on against off"
	@selftests/run.sh --krel "$$(scripts/kdir.sh --krel)" --mem 2048 --timeout 900 \
		--script scripts/bench-rsc-guest.sh

## make sparse      sparse (C=2) over every module; fails on any warning
sparse: deps
	@scripts/sparse.sh "$$(scripts/kdir.sh)"

## make fuzz        build the libFuzzer targets and run each FUZZ_SECONDS (60)
fuzz: deps
	@scripts/fuzz.sh $${FUZZ_SECONDS:-60}

## make debug-kernel  build (once, cached) a 6.12 kernel with KASAN, lockdep, kmemleak, KUnit
debug-kernel:
	@scripts/debug-kernel.sh

## make check-debug  the guest selftests on the debug kernel; fails on any report
check-debug:
	@scripts/check-debug.sh

## make install     modules (KVER/KDIR), hvctl, man pages, the driver switch;
##                  DESTDIR=, PREFIX= (docs/operations.md)
install: modules userspace
	@scripts/install.sh all

## make uninstall   remove exactly what make install put there (its manifest)
uninstall:
	@scripts/install.sh uninstall

## make install-src  the module sources and dkms.conf into /usr/src/hvkit-<version>
install-src:
	@scripts/install.sh src

## make rpm         source and binary RPMs (rpmbuild) into build/rpm
rpm: deps
	@scripts/rpm.sh

## make clean       remove build/ (the kernel image cache stays)
clean:
	rm -rf build
