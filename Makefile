# SPDX-License-Identifier: GPL-2.0
#
# cmisc: the Rust misc-device tutorial's driver, in C, with its own VM lab.
#
#   make run      build everything, boot the VM, replay the tutorial
#   make run STEP=n  only task n of the tutorial (7 to 11: tutorial/, docs/tutorial.md)
#   make check    every test, on every kernel of the default list
#                 (TESTS=pattern alone: those tests on the fast tiny kernel)
#   make shell    an interactive shell in the VM with the module loaded
#                 (on the tiny kernel; KERNEL=distro for Debian's)
#   make gdb      gdb on the tiny kernel, cmisc's symbols loaded as it loads
#                 (GDB_SCRIPT=file runs gdb in batch mode)
#   make compare  cmisc and upstream's Rust driver, the same random calls, compared
#   make bench    benchmarks against the kernel's own baselines
#   make kernels  every kernel the lab knows (lab/kernels/), version, and the
#                 cache's entries (${XDG_CACHE_HOME:-~/.cache}/cmisc)
#   make clean-cache  empty that cache (CMISC_CACHE=off: a run without it)
#   make lint     checkpatch --strict, sparse, W=1, shellcheck, the CI files
#   make ci-files the CI files (.github/workflows/check.yml, .gitlab-ci.yml),
#                 one job per kernel of lab/kernels/ (docs/ci.md)
#   make detectors  buggy builds that KASAN, kmemleak, lockdep and fail-nth must catch
#   make newcomer   make run and make deb on a bare Debian 12, built under build/
#   make doctor   check this machine: Secure Boot and DKMS's key, headers,
#                 KVM, disk space, the archive, root (lab/doctor.sh)
#
# Variables: KERNEL=a,b (kernels from make kernels), KDIR=/path (boot and
# build against your own kernel tree), LLVM=1, TESTS=pattern (without
# KERNEL=, on the tiny kernel: the edit loop),
# TIMEOUT=seconds (per VM), TEST_TIMEOUT=seconds (per test program),
# ROOTFS=debian, STEP=n (make run: one tutorial task).

BUILD   ?= $(CURDIR)/build
VERSION := $(shell cat VERSION)
export BUILD

.PHONY: all run check shell gdb compare doctor bench detectors kernels clean-cache newcomer lint ci-files ci-lint clean userspace tools modules help print-programs
all: userspace

run check shell gdb compare bench detectors kernels clean-cache:
	@lab/lab.sh $@

# A bare Debian 12 under build/ runs make run, make deb and the Debian
# guest's setup: every package the project forgets turns it red.
newcomer:
	@lab/newcomer.sh

# What trips up a newcomer on this host, a line each, with its fix.
doctor:
	@lab/doctor.sh

help:
	@sed -n '3,/^$$/{/^$$/d;p}' Makefile

# ---------------------------------------------------------------- userspace
# Static binaries for the initramfs, plus a 32-bit build of the ABI tests
# (named *-m32) to exercise the driver's compat_ioctl path. Dynamic host
# builds of the tools land in $(BUILD)/host. The lab cross-builds an arm64
# guest's with USR=$(BUILD)/user-arm64 CC=aarch64-linux-gnu-gcc
# CC32=arm-linux-gnueabihf-gcc.

CC       ?= gcc
# The 32-bit build: Debian's cross compiler for the host's 32-bit sibling.
CC32     ?= $(if $(filter aarch64,$(shell uname -m)),arm-linux-gnueabihf-gcc,i686-linux-gnu-gcc)
CFLAGS   ?= -O2 -g
WARN     := -std=c11 -Wall -Wextra -Werror
override CPPFLAGS += -D_GNU_SOURCE -Iinclude/uapi -Itools -DCMISC_VERSION='"$(VERSION)"'
KSFT     := $(BUILD)/ksft
KUNIT_PARSER := $(KSFT)/kunit/kunit_parser.py
USR      ?= $(BUILD)/user
LIB_SRC  := tools/lib/cmisc.c
LIB_HDR  := tools/lib/cmisc.h include/uapi/linux/cmisc.h

TOOLS    := cmiscctl cmisc-hello
TEST_SRC := $(wildcard tests/*.c)
TESTS_BIN:= $(patsubst tests/%.c,$(USR)/tests/%,$(TEST_SRC))
# The compat build: the same ABI tests, as 32-bit processes.
M32_NAMES:= ioctl_test rw_test iov_test
M32_SRC  := $(filter $(patsubst %,tests/%.c,$(M32_NAMES)),$(TEST_SRC))
M32_BIN  := $(patsubst tests/%.c,$(USR)/tests/%-m32,$(M32_SRC))
BENCH_BIN:= $(patsubst bench/%.c,$(USR)/bench/%,$(wildcard bench/*.c))
# Debug-kernel-only programs: fault injection and the fuzzer.
DEBUG_BIN:= $(patsubst tests/debug/%.c,$(USR)/debug/%,$(wildcard tests/debug/*.c))

# LAB_ONLY=names: of the test programs, build only those (make check
# TESTS=... naming a program: lab/lab.sh).
LAB_ONLY ?=
SEL_BIN  := $(if $(strip $(LAB_ONLY)),$(filter $(addprefix $(USR)/tests/,$(LAB_ONLY)),$(TESTS_BIN) $(M32_BIN)),$(TESTS_BIN) $(M32_BIN))

# A test whose source is gone leaves no binary behind to be packed and run.
userspace: $(addprefix $(USR)/,$(TOOLS)) $(USR)/rust-misc-client $(SEL_BIN) $(BENCH_BIN) $(DEBUG_BIN) $(KUNIT_PARSER) $(USR)/compare/compare
	@for f in $(USR)/tests/*; do \
		case " $(notdir $(TESTS_BIN) $(M32_BIN)) " in \
		*" $${f##*/} "*) ;; \
		*) [ ! -e "$$f" ] || rm -f "$$f" ;; \
		esac; \
	done

# The test programs every kernel's guest must run and report, named from the
# sources, not from what the rules above built (lab/vmjob.sh holds each
# run against this list).
PROGRAMS := $(patsubst tests/%.c,%,$(wildcard tests/*.c)) $(patsubst %,%-m32,$(M32_NAMES))
print-programs:
	@printf '%s\n' $(PROGRAMS)
tools: $(addprefix $(BUILD)/host/,$(TOOLS))

$(USR)/%: tools/%.c $(LIB_SRC) $(LIB_HDR) | $(USR)/.dir
	$(CC) $(WARN) $(CFLAGS) $(CPPFLAGS) -static -o $@ $< $(LIB_SRC)

$(BUILD)/host/%: tools/%.c $(LIB_SRC) $(LIB_HDR) | $(BUILD)/host/.dir
	$(CC) $(WARN) $(CFLAGS) $(CPPFLAGS) $(LDFLAGS) -o $@ $< $(LIB_SRC)

# Upstream's own C client, from the doc comment of samples/rust/
# rust_misc_device.rs in Debian unstable's linux-source, compiled as it is
# (its own warnings are its own): never copied into this repository.
UPSTREAM_CLIENT := $(BUILD)/upstream/rust_misc_client.c
$(UPSTREAM_CLIENT):
	@mkdir -p $(@D)
	cp "$$(lab/upstream-client.sh)" $@

$(USR)/rust-misc-client: $(UPSTREAM_CLIENT) | $(USR)/.dir
	$(CC) -O2 -static -o $@ $<

TEST_DEPS := tests/harness.h tests/dev_fixture.h $(LIB_SRC) $(LIB_HDR) $(KSFT)/kselftest_harness.h
TEST_FLAGS = $(WARN) $(CFLAGS) $(CPPFLAGS) -I$(KSFT) -Wno-unused-parameter -pthread -static

$(USR)/tests/%: tests/%.c $(TEST_DEPS) | $(USR)/tests/.dir
	$(CC) $(TEST_FLAGS) -o $@ $< $(LIB_SRC)

$(USR)/tests/%-m32: tests/%.c $(TEST_DEPS) | $(USR)/tests/.dir
	$(CC32) -D_FILE_OFFSET_BITS=64 $(TEST_FLAGS) -o $@ $< $(LIB_SRC)

$(USR)/debug/%: tests/debug/%.c $(TEST_DEPS) | $(USR)/debug/.dir
	$(CC) $(TEST_FLAGS) -Itests -o $@ $< $(LIB_SRC)

$(USR)/bench/%: bench/%.c $(LIB_SRC) $(LIB_HDR) | $(USR)/bench/.dir
	$(CC) $(WARN) $(CFLAGS) $(CPPFLAGS) -pthread -static -o $@ $< $(LIB_SRC)

# Upstream's rust_misc_device and cmisc side by side, call for call (lab/guest/compare.sh).
$(USR)/compare/compare: tests/compare/compare.c include/uapi/linux/cmisc.h | $(USR)/compare/.dir
	$(CC) $(WARN) $(CFLAGS) $(CPPFLAGS) -static -o $@ $<

# The kernel's KTAP parser (kunit.py's), with which lab/verdict.py reads
# every program's results, from the same package.
$(KUNIT_PARSER):
	@mkdir -p $(KSFT)/kunit
	tar -C $(KSFT)/kunit --strip-components=4 -xJf /usr/src/linux-source-6.1.tar.xz \
		linux-source-6.1/tools/testing/kunit/kunit_parser.py \
		linux-source-6.1/tools/testing/kunit/kunit_printer.py
	@touch $@

# The kselftest harness comes from Debian's linux-source at build time.
$(KSFT)/kselftest_harness.h:
	@mkdir -p $(KSFT)
	tar -C $(KSFT) --strip-components=4 -xJf /usr/src/linux-source-6.1.tar.xz \
		linux-source-6.1/tools/testing/selftests/kselftest_harness.h \
		linux-source-6.1/tools/testing/selftests/kselftest.h
	@touch $@

%/.dir:
	@mkdir -p $(@D) && touch $@

# ------------------------------------------------------------------ install
# make install / uninstall put the module for one kernel (KDIR, default
# Debian's packaged headers) into /lib/modules/<release>/updates with depmod,
# and the tools, man pages and udev rule under PREFIX. Loading is up to you
# (modprobe cmisc): never done by this Makefile.
PREFIX  ?= /usr/local
KSRC    := $(or $(KDIR),$(shell lab/default-kdir.sh))
KREL     = $(shell $(MAKE) -s -C $(KSRC) kernelrelease)
UDEVDIR ?= /etc/udev/rules.d

.PHONY: install uninstall deb
install: tools
	$(MAKE) -C driver KDIR=$(KSRC)
	$(MAKE) -C $(KSRC) M=$(CURDIR)/driver INSTALL_MOD_DIR=updates modules_install
	depmod -a $(KREL)
	install -D -m 0755 $(BUILD)/host/cmiscctl $(DESTDIR)$(PREFIX)/bin/cmiscctl
	install -D -m 0755 $(BUILD)/host/cmisc-hello $(DESTDIR)$(PREFIX)/bin/cmisc-hello
	install -D -m 0644 tools/cmiscctl.1 $(DESTDIR)$(PREFIX)/share/man/man1/cmiscctl.1
	install -D -m 0644 tools/cmisc-hello.1 $(DESTDIR)$(PREFIX)/share/man/man1/cmisc-hello.1
	install -D -m 0644 packaging/60-cmisc.rules $(DESTDIR)$(UDEVDIR)/60-cmisc.rules
	getent group cmisc >/dev/null || addgroup --system cmisc

uninstall:
	rm -f /lib/modules/$(KREL)/updates/cmisc.ko*
	depmod -a $(KREL)
	rm -f $(DESTDIR)$(PREFIX)/bin/cmiscctl $(DESTDIR)$(PREFIX)/bin/cmisc-hello
	rm -f $(DESTDIR)$(PREFIX)/share/man/man1/cmiscctl.1 $(DESTDIR)$(PREFIX)/share/man/man1/cmisc-hello.1
	rm -f $(DESTDIR)$(UDEVDIR)/60-cmisc.rules

# The two Debian packages, built and checked with lintian in $(BUILD)/deb.
deb:
	@lab/deb.sh

# --------------------------------------------------------------------- lint
lint:
	@lab/lint.sh

ci-files:
	@lab/ci-files.py

# The CI files current and valid (also part of make lint; .ci/run runs it).
ci-lint:
	@lab/ci-lint.sh

clean:
	rm -rf $(BUILD)
	@$(MAKE) -s -C driver clean >/dev/null 2>&1 || true
	@for d in tutorial/*/; do $(MAKE) -s -C $$d clean >/dev/null 2>&1 || true; done
