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
TOP := $(CURDIR)
BUILD ?= $(TOP)/build
DEBUG ?= 0
KOBJ := $(BUILD)/kobj$(if $(filter 1,$(DEBUG)),-debug)
MODOUT := $(BUILD)/modules$(if $(filter 1,$(DEBUG)),-debug)
TOOLS := $(TOP)/tools/target/release
export DEBUG RV6_BUILD := $(BUILD)
export PATH := $(HOME)/.cargo/bin:$(PATH)
export LIBCLANG_PATH ?= /usr/lib/llvm-19/lib

.PHONY: all deps kernel modules tools test-host test-guest check check-debug run shell bench clean

all: kernel modules tools

deps:
	@scripts/deps.sh

kernel:
	@scripts/kernel.sh

# Out-of-tree modules: built against the kernel build tree, objects in $(MODOUT).
modules:
	@mkdir -p $(MODOUT)
	@$(MAKE) -s -C $(KOBJ) M=$(TOP) MO=$(MODOUT) LLVM=-19 ARCH=x86_64 modules
	@echo "[modules] $$(find $(MODOUT) -name '*.ko' | wc -l) module(s) in $(MODOUT)"

tools:
	@cd tools && cargo build --release --quiet

test-host:
	@scripts/test-host.sh

test-guest: tools
	@scripts/test-guest.sh

check:
	@scripts/check.sh

check-debug:
	@DEBUG=1 scripts/check.sh

run:
	@scripts/run.sh

shell: kernel modules tools
	@$(TOOLS)/rv6-vm --shell --moddir $(KOBJ)/modroot/lib/modules/$$(cat $(KOBJ)/include/config/kernel.release) \
		--log $(BUILD)/logs/shell.log --timeout 86400 --append "rv6.load=1"

clean:
	rm -rf $(MODOUT) tools/target
	find . -path ./build -prune -o \( -name '*.o' -o -name '*.ko' -o -name '.*.cmd' \) -print | xargs -r rm -f
