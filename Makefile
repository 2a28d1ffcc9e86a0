# tcfw build. `make` builds everything into build/; `make SAN=1` builds user space with
# AddressSanitizer + UndefinedBehaviorSanitizer into build/san/. `make V=1` shows commands.
#
#   make            datapath, skeleton, libraries, fwd, fwctl, tests
#   make deps       install build and test dependencies (Debian, idempotent)
#   make demo       deps + build + the demo gateway in network namespaces
#   make test       deps + build + the whole test suite (lint, unit, sanitizers, datapath, e2e)
#   make bench      deps + build + the benchmark harness (bench/README.md)
#   make install    fwd, fwctl, tcfw.service, man pages, bash completion, an example policy
#                   (PREFIX=/usr/local, DESTDIR=; see "install" below); make uninstall

.DELETE_ON_ERROR:
# Keep objects that only feed one program (unit tests): no rebuild on the next make.
.SECONDARY:
.SUFFIXES:

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

SAN ?= 0
ifeq ($(SAN),1)
OUT ?= build/san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
else
OUT ?= build
SANFLAGS :=
endif
# BPF objects, vmlinux.h and skeletons do not depend on SAN: they always live in build/.
GEN := build/gen

CC ?= gcc
CLANG ?= clang
BPFTOOL ?= bpftool
ARCH := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')

PKGS := libbpf libelf zlib libmnl libnl-3.0 libnl-route-3.0 json-c libmicrohttpd
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CFLAGS ?= -O2 -g
override CFLAGS += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -MMD -MP $(SANFLAGS) \
	-I. -Ibpf -Ilib -Ipolicy -I$(GEN) $(PKG_CFLAGS)
override LDFLAGS += $(SANFLAGS)
LDLIBS := $(PKG_LIBS)
# fwd alone talks to systemd (fwd/notify.c); lib/log.c only uses sd-daemon.h's macros.
FWD_LIBS := $(shell pkg-config --libs libsystemd 2>/dev/null)

# fwd's event log sends to journald (sd_journal_sendv): libsystemd.
EVENTLOG_PKGS := libsystemd
override CFLAGS += $(shell pkg-config --cflags $(EVENTLOG_PKGS) 2>/dev/null)
LDLIBS += $(shell pkg-config --libs $(EVENTLOG_PKGS) 2>/dev/null)

BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	-I$(GEN) -Ibpf -MMD -MP

# ---- sources --------------------------------------------------------------------------------
BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(GEN)/%.bpf.o,$(BPF_SRCS))
SKELS := $(patsubst bpf/%.bpf.c,$(GEN)/%.skel.h,$(BPF_SRCS))

LIB_SRCS := $(wildcard lib/*.c)
POLICY_SRCS := $(wildcard policy/*.c)
FWD_SRCS := $(wildcard fwd/*.c)
FWCTL_SRCS := $(wildcard fwctl/*.c)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
# The test kit (tests/lib): what the datapath tests and the bench share (packet builder, the
# BPF_PROG_TEST_RUN wrapper).
KIT_SRCS := $(wildcard tests/lib/*.c)
# Datapath cases (tests/datapath/*.c, each registered by DP_CASE) and their harness.
DP_CASE_SRCS := $(wildcard tests/datapath/*.c)
DP_SRCS := $(DP_CASE_SRCS) $(wildcard tests/datapath/harness/*.c)
BENCH_SRCS := $(wildcard bench/*.c)
BENCH_COMMON_SRCS := $(wildcard bench/common/*.c)

obj = $(patsubst %.c,$(OUT)/obj/%.o,$(1))

LIBTCFW := $(OUT)/libtcfw.a
LIBPOLICY := $(OUT)/libtcfwpolicy.a
FWD := $(OUT)/fwd
FWCTL := $(OUT)/fwctl
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUT)/tests/unit/%,$(UNIT_SRCS))
DP_BIN := $(if $(DP_CASE_SRCS),$(OUT)/tests/datapath/dp_test)
BENCH_BINS := $(patsubst bench/%.c,$(OUT)/bench/%,$(BENCH_SRCS))

# Man pages from the manuals (docs/*.md); they do not depend on SAN: always in build/man.
MAN := build/man
MAN_PAGES := $(MAN)/fwd.8 $(MAN)/fwctl.8 $(MAN)/tcfw.policy.5

.PHONY: all deps demo test test-lint test-unit test-docs test-datapath test-e2e test-install \
	test-fuzz fuzz bench clean format install uninstall
all: $(BPF_OBJS) $(SKELS) $(FWD) $(FWCTL) $(UNIT_BINS) $(DP_BIN) $(BENCH_BINS) $(MAN_PAGES)

# ---- datapath ----------------------------------------------------------------------------------
$(GEN)/vmlinux.h:
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@

$(GEN)/%.bpf.o: bpf/%.bpf.c $(GEN)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(GEN)/%.skel.h: $(GEN)/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*) > $@

# ---- user space --------------------------------------------------------------------------------
# Objects that include a skeleton must wait for it; -MMD tracks every later edit.
$(OUT)/obj/%.o: %.c | $(SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

# Each archive depends on the list of its sources, rewritten only when it changes: a .c file
# added or removed rebuilds the archive (else a removed file's object would stay in it).
.PHONY: FORCE
$(OUT)/%.members: FORCE
	$(Q)mkdir -p $(@D)
	$(Q)echo '$(MEMBERS)' | cmp -s - $@ || echo '$(MEMBERS)' > $@
$(OUT)/libtcfw.members: MEMBERS = $(LIB_SRCS)
$(OUT)/libtcfwpolicy.members: MEMBERS = $(POLICY_SRCS)

$(LIBTCFW): $(call obj,$(LIB_SRCS)) $(OUT)/libtcfw.members
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $(filter %.o,$^)

$(LIBPOLICY): $(call obj,$(POLICY_SRCS)) $(OUT)/libtcfwpolicy.members
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $(filter %.o,$^)

$(FWD): $(call obj,$(FWD_SRCS)) $(LIBPOLICY) $(LIBTCFW)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) $(FWD_LIBS) -o $@

$(FWCTL): $(call obj,$(FWCTL_SRCS)) $(LIBPOLICY) $(LIBTCFW)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# Each unit test is one cmocka binary linked against the libraries it exercises.
$(OUT)/tests/unit/%: $(OUT)/obj/tests/unit/%.o $(LIBPOLICY) $(LIBTCFW)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -lcmocka -o $@

# Unit tests of fwd's modules that need no kernel link the module's object too (before the
# libraries it calls into).
$(OUT)/tests/unit/test_metrics_format: $(OUT)/obj/tests/unit/test_metrics_format.o \
		$(OUT)/obj/fwd/metrics.o $(LIBPOLICY) $(LIBTCFW)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -lcmocka -o $@

# fwd's command line (the options table), with metrics_http.c's listen parser stubbed out.
$(OUT)/tests/unit/test_fwd_options: $(OUT)/obj/tests/unit/test_fwd_options.o \
		$(OUT)/obj/fwd/options.o $(LIBPOLICY) $(LIBTCFW)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -lcmocka -o $@

# The gateway pair's entry <-> record translation (pure: no maps touched).
$(OUT)/tests/unit/test_sync_ct: $(OUT)/obj/tests/unit/test_sync_ct.o \
		$(OUT)/obj/fwd/sync_ct.o $(LIBPOLICY) $(LIBTCFW)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -lcmocka -o $@

# The cases include the harness's headers (dp.h) and the kit's (pkt.h) by name.
# -Wmissing-declarations: a case defined as a plain function (not DP_CASE) would never run;
# without a declaration anywhere it fails the build instead.
$(call obj,$(DP_SRCS)): override CFLAGS += -Itests/datapath/harness -Itests/lib \
	-Wmissing-declarations

$(OUT)/tests/datapath/dp_test: $(call obj,$(DP_SRCS) $(KIT_SRCS)) $(LIBPOLICY) $(LIBTCFW)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# Each bench/*.c is one program (micro-benchmarks with BPF_PROG_TEST_RUN, table fillers);
# bench/common/*.c are helpers linked into every one of them, on top of the test kit.
$(OUT)/bench/%: $(OUT)/obj/bench/%.o $(call obj,$(BENCH_COMMON_SRCS) $(KIT_SRCS)) $(LIBPOLICY) \
		$(LIBTCFW)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# libFuzzer targets (tests/fuzz): clang with -fsanitize=fuzzer,address,undefined over the
# user-space sources they exercise, in build/fuzz. tests/run-all.sh's fuzz layer runs each for a
# few seconds; tests/fuzz/README.md says how to run them for hours.
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(FUZZ_SRCS))
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all -Wall -Wextra -Werror -Wno-string-concatenation -I. -Ibpf -Ilib \
	-Ipolicy $(PKG_CFLAGS)
# lib/ files that need the BPF skeleton or a running datapath are left out: the targets never
# reach them.
FUZZ_LIB_SRCS := $(POLICY_SRCS) $(filter-out lib/policy_maps.c,$(LIB_SRCS))
build/fuzz/%: tests/fuzz/%.c $(FUZZ_LIB_SRCS) | $(SKELS)
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $< $(FUZZ_LIB_SRCS) $(PKG_LIBS) -o $@
fuzz: $(FUZZ_BINS)
# ---- man pages -----------------------------------------------------------------------------------
# NAME lines (whatis, apropos); the page itself is the manual, converted (scripts/md2man.sh).
man_desc_fwd := the tcfw firewall and NAT daemon
man_desc_fwctl := control tcfw: connections, NAT, counters, policy, events
man_desc_tcfw.policy := the tcfw policy language

$(MAN)/%.8: docs/%.md scripts/md2man.sh
	$(call msg,MAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)scripts/md2man.sh $< $* 8 "$(man_desc_$*)" > $@

$(MAN)/tcfw.%.5: docs/%.md scripts/md2man.sh
	$(call msg,MAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)scripts/md2man.sh $< tcfw.$* 5 "$(man_desc_tcfw.$*)" > $@

# ---- install -------------------------------------------------------------------------------------
# PREFIX=/usr for a distribution package. The policy lives in /etc whatever the prefix: it is
# fwd's default -c. DESTDIR stages the tree (packaging, tests/install).
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
UNITDIR ?= $(PREFIX)/lib/systemd/system
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
SYSCONFDIR ?= /etc
POLICY := $(DESTDIR)$(SYSCONFDIR)/tcfw/policy.conf

# fwd in sbin (root's daemon); fwctl in bin: --group members and `fwctl policy check` need no
# root, and a user's PATH has no sbin on Debian.
install: $(FWD) $(FWCTL) $(MAN_PAGES)
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)install -D -m 0755 $(FWD) $(DESTDIR)$(SBINDIR)/fwd
	$(Q)install -D -m 0755 $(FWCTL) $(DESTDIR)$(BINDIR)/fwctl
	$(Q)mkdir -p $(DESTDIR)$(UNITDIR)
	$(Q)sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@BINDIR@|$(BINDIR)|g' \
		dist/systemd/tcfw.service.in > $(DESTDIR)$(UNITDIR)/tcfw.service
	$(Q)chmod 0644 $(DESTDIR)$(UNITDIR)/tcfw.service
	$(Q)install -D -m 0644 $(MAN)/fwd.8 $(DESTDIR)$(MANDIR)/man8/fwd.8
	$(Q)install -D -m 0644 $(MAN)/fwctl.8 $(DESTDIR)$(MANDIR)/man8/fwctl.8
	$(Q)install -D -m 0644 $(MAN)/tcfw.policy.5 $(DESTDIR)$(MANDIR)/man5/tcfw.policy.5
	$(Q)install -D -m 0644 dist/bash-completion/fwctl $(DESTDIR)$(BASHCOMPDIR)/fwctl
	@# An existing policy is the operator's: never overwritten.
	$(Q)if [ -e $(POLICY) ]; then \
		echo "  KEEP     $(POLICY) (exists; the example is dist/policy.conf)"; \
	else \
		install -D -m 0644 dist/policy.conf $(POLICY); \
	fi

# Removes what install put, except a policy that was edited since.
uninstall:
	$(call msg,UNINSTALL,$(DESTDIR)$(PREFIX))
	$(Q)rm -f $(DESTDIR)$(SBINDIR)/fwd $(DESTDIR)$(BINDIR)/fwctl \
		$(DESTDIR)$(UNITDIR)/tcfw.service $(DESTDIR)$(MANDIR)/man8/fwd.8 \
		$(DESTDIR)$(MANDIR)/man8/fwctl.8 $(DESTDIR)$(MANDIR)/man5/tcfw.policy.5 \
		$(DESTDIR)$(BASHCOMPDIR)/fwctl
	$(Q)if [ -e $(POLICY) ] && ! cmp -s dist/policy.conf $(POLICY); then \
		echo "  KEEP     $(POLICY) (edited since install)"; \
	else \
		rm -f $(POLICY); rmdir $(DESTDIR)$(SYSCONFDIR)/tcfw 2>/dev/null || true; \
	fi

# ---- entry points ------------------------------------------------------------------------------
deps:
	$(Q)scripts/install-deps.sh

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/demo.sh

test: deps
	$(Q)$(MAKE) --no-print-directory all fuzz
	$(Q)$(MAKE) --no-print-directory SAN=1 all-user
	$(Q)tests/run-all.sh

# shellcheck over every shell script: needs no build.
test-lint:
	$(Q)tests/run-all.sh lint

# The sanitizer build too: the suites run it where it exists, and a stale one would test old code.
test-fuzz: fuzz
	$(Q)tests/run-all.sh fuzz

test-unit test-docs test-datapath test-install test-e2e: all
	$(Q)$(MAKE) --no-print-directory SAN=1 all-user
	$(Q)tests/run-all.sh $(patsubst test-%,%,$@)

# The sanitizer build skips the datapath (it is the same BPF object).
.PHONY: all-user
all-user: $(FWD) $(FWCTL) $(UNIT_BINS) $(DP_BIN)

bench: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)bench/run.sh $(BENCH_ARGS)

format:
	$(Q)clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	$(call msg,CLEAN,build)
	$(Q)rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
