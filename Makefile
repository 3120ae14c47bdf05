# SPDX-License-Identifier: GPL-2.0
#
# rv6: USAGI/KAME/LinShim6 IPv6 work as Rust-for-Linux modules.
#
#   make run      build what is missing, boot the rv6 kernel, load the modules, demo each
#   make check    set up, build and run every test layer; ends with "N passed, N failed"
#
# Other targets: deps kernel modules tools test-host test-guest shell check-debug clean.
# DEBUG=1 selects the debug kernel (KASAN, UBSAN, lockdep, kmemleak) for any target.

SHELL := /bin/bash
export DEBUG ?= 0

.PHONY: all deps kernel rustdoc modules tools test-host fuzz test-guest check check-debug run shell bench clean

all: kernel modules tools

deps:
	@scripts/deps.sh

kernel:
	@scripts/kernel.sh

# The kernel crate's documentation, rv6's abstractions included (no warnings allowed).
rustdoc: kernel
	@scripts/rustdoc.sh

# Out-of-tree modules: built against the kernel build tree, objects in build/modules.
modules:
	@scripts/modules.sh

tools:
	@scripts/tools.sh

test-host:
	@scripts/test-host.sh

fuzz:
	@scripts/fuzz.sh

test-guest: tools
	@scripts/test-guest.sh


check:
	@scripts/check.sh

bench:
	@scripts/bench.sh

check-debug:
	@DEBUG=1 scripts/check.sh

run:
	@scripts/run.sh

shell: tools
	@scripts/run.sh --shell

# The kernel cache (~/.cache/rv6) is left alone: remove it by hand to rebuild the kernel.
clean:
	rm -rf build tools/target
	find . -path ./build -prune -o \( -name '*.o' -o -name '*.ko' -o -name '.*.cmd' \) -print | xargs -r rm -f
