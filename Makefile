# husk build.  Sources are discovered per module directory; a module that needs
# extra rules (test guests, kernel config, ...) adds them in its own module.mk.

VERSION   := 0.1.0
COMMIT    := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
BUILD     ?= build
CC        ?= cc
PKGS      := yajl libseccomp libcap

MODULES   := common cli oci runtime ns rootfs cgroups vm-sandbox
# make install: PREFIX is also compiled in (vm-sandbox/module.mk: where the
# installed guest kernel is).
PREFIX    ?= /usr/local
CFLAGS_BASE := -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -g -I. \
	-D_GNU_SOURCE -DHUSK_VERSION='"$(VERSION)"' -DHUSK_COMMIT='"$(COMMIT)"' \
	$(shell pkg-config --cflags $(PKGS) 2>/dev/null)
OPT       ?= -O2
CFLAGS    ?=
CFLAGS    += $(OPT) $(CFLAGS_BASE)
# libarchive (image layers, the VM guest's initramfs) with only the
# compression libraries husk asks it for; the linker takes just the objects used.
ARCHIVE_LIBS := -larchive -lzstd -llzma -lbz2 -lz
# nettle: the digests of image blobs (sha256 with SHA-NI where the CPU has it).
CRYPTO_LIBS := -lnettle
# yajl, libseccomp and libcap are linked statically (Debian's -dev packages ship
# the .a): each shared object costs the dynamic loader time at every husk start
# (husk --version: 1.07 -> 0.67 ms task-clock).
STATIC_LIBS := -Wl,-Bstatic -lyajl_s -lseccomp -lcap $(ARCHIVE_LIBS) $(CRYPTO_LIBS) -Wl,-Bdynamic
LDLIBS    += $(STATIC_LIBS) -lpthread
LDFLAGS   ?=
# The husk binary itself is linked fully static (non-PIE): no dynamic loader,
# no relocations at start.  husk execs itself twice per `run` (the
# CVE-2019-5736 re-exec), and on this host that made `run` 1.1 ms faster
# (7.5 -> 6.4 ms) and its peak RSS 2.1 -> 1.3 MiB.  It also leaves nothing for
# an LD_PRELOAD in a container to hook when husk runs there as an interpreter.
# HUSK_STATIC=0 links it like the tests (ASan and valgrind need that).
HUSK_STATIC ?= 1
ifeq ($(HUSK_STATIC),1)
HUSK_LINK := -static
HUSK_LDLIBS := -lyajl_s -lseccomp -lcap $(ARCHIVE_LIBS) $(CRYPTO_LIBS) -lpthread
else
HUSK_LDLIBS := $(LDLIBS)
endif

LIB_SRCS  := $(filter-out cli/main.c,$(foreach m,$(MODULES),$(wildcard $(m)/*.c) $(wildcard $(m)/*/*.c)))
LIB_OBJS  := $(patsubst %.c,$(BUILD)/%.o,$(LIB_SRCS))
MAIN_OBJ  := $(BUILD)/cli/main.o
HUSK      := $(BUILD)/husk
LIBHUSK   := $(BUILD)/libhusk.a

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_SRCS))
UNIT_HELPERS := $(wildcard tests/unit/helpers/*.c)

.PHONY: all husk deps demo check check-only check-vm asan valgrind unit fuzz clean format bench
all: husk

husk: $(HUSK)

deps:
	@scripts/install-deps.sh

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

# The object list is a prerequisite too, so removing a source file rebuilds the archive.
OBJ_LIST := $(BUILD)/libhusk.objs
$(shell mkdir -p $(BUILD); echo '$(LIB_OBJS)' | cmp -s - $(OBJ_LIST) || echo '$(LIB_OBJS)' > $(OBJ_LIST))

$(LIBHUSK): $(LIB_OBJS) $(OBJ_LIST)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $(LIB_OBJS)

$(HUSK): $(MAIN_OBJ) $(LIBHUSK)
	$(CC) $(CFLAGS) $(LDFLAGS) $(HUSK_LINK) -o $@ $(MAIN_OBJ) -Wl,--whole-archive $(LIBHUSK) -Wl,--no-whole-archive $(HUSK_LDLIBS)

# A dynamically linked husk, for the one CVE-2019-5736 test whose attacker
# injects code with LD_PRELOAD (tests/bats/security_cve.bats).
HUSK_DYNAMIC := $(BUILD)/tests/husk-dynamic
$(HUSK_DYNAMIC): $(MAIN_OBJ) $(LIBHUSK)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(MAIN_OBJ) -Wl,--whole-archive $(LIBHUSK) -Wl,--no-whole-archive $(LDLIBS)
test-artifacts: $(HUSK_DYNAMIC)

$(BUILD)/tests/unit/%: tests/unit/%.c $(LIBHUSK) $(UNIT_HELPERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(UNIT_HELPERS) $(LIBHUSK) $(LDLIBS) -lcmocka

unit: $(UNIT_BINS)

# README command 1: install what is missing, build, make the busybox demo bundle, run it.
demo: deps
	$(MAKE) husk
	scripts/make-bundle.sh $(BUILD)/demo-bundle
	$(HUSK) run --bundle $(BUILD)/demo-bundle husk-demo-$$$$

# README command 2: install what is missing, build everything, run every test.
check: deps
	$(MAKE) check-only

check-only: husk unit test-artifacts
	HUSK=$(abspath $(HUSK)) BUILD=$(abspath $(BUILD)) tests/run-tests.sh

# Only the VM suites (tests/bats/vm_*.bats) and the nested harness's own
# tests; in the nested harness where the host has no hardware virtualization.
check-vm: husk test-artifacts
	HUSK=$(abspath $(HUSK)) BUILD=$(abspath $(BUILD)) TESTS='tests/bats/(vm_|nested_)' tests/run-tests.sh

# The whole suite under ASan+UBSan.
# Every report (LeakSanitizer in a husk whose exit status a test ignores, too)
# lands in build-asan/sanitizer-logs/, and any report fails the target.
SAN_LOGS := $(abspath build-asan)/sanitizer-logs
asan:
	rm -rf $(SAN_LOGS) && mkdir -p $(SAN_LOGS)
	ASAN_OPTIONS=log_path=$(SAN_LOGS)/asan UBSAN_OPTIONS=print_stacktrace=1:log_path=$(SAN_LOGS)/ubsan \
	$(MAKE) BUILD=build-asan OPT="-O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all" \
		LDFLAGS="-fsanitize=address,undefined" HUSK_STATIC=0 check-only; rc=$$?; \
	if [ -n "$$(ls -A $(SAN_LOGS))" ]; then \
		echo "sanitizer reports ($(SAN_LOGS)):"; tail -n +1 $(SAN_LOGS)/*; exit 1; \
	fi; exit $$rc

# The unit suites under valgrind (memcheck, leaks are errors), and husk itself
# on the main CLI paths (tests/bats/valgrind_cli.bats).
# valgrind cannot replace malloc in a static binary: husk is linked dynamically
# here, in a build dir of its own.
VG_BUILD := build-valgrind
valgrind:
	$(MAKE) BUILD=$(VG_BUILD) HUSK_STATIC=0 husk unit
	VALGRIND=1 VALGRIND_CLI=1 TESTS="$${TESTS:-tests/unit|tests/bats/valgrind_cli}" HUSK=$(abspath $(VG_BUILD)/husk) BUILD=$(abspath $(VG_BUILD)) tests/run-tests.sh

bench: husk
	bench/run-bench.sh $(HUSK)
	bench/exec-bench.sh $(HUSK)

# Man pages and bash completion, written by husk itself from its flag tables
# (cli/doc*.c), so they always match the binary.
DOC_DIR := $(BUILD)/doc
.PHONY: docs install uninstall
docs: $(DOC_DIR)/man8/husk.8 $(DOC_DIR)/husk.bash
$(DOC_DIR)/man8/husk.8: $(HUSK)
	rm -rf $(DOC_DIR)/man8
	$(HUSK) __gen-man $(DOC_DIR)/man8
$(DOC_DIR)/husk.bash: $(HUSK)
	@mkdir -p $(DOC_DIR)
	$(HUSK) __gen-completion > $@.tmp && mv $@.tmp $@

# make install [PREFIX=/usr/local] [DESTDIR=staging dir]: husk, the husk-vm
# name (VM mode by argv[0]), the guest kernel when `make guest-kernel` built
# it, man pages and bash completion.  make uninstall removes exactly those;
# with a DESTDIR it also removes the directories it leaves empty there.
BINDIR        := $(PREFIX)/bin
MAN8DIR       := $(PREFIX)/share/man/man8
COMPLETIONDIR := $(PREFIX)/share/bash-completion/completions
GUESTDIR      := $(PREFIX)/lib/husk/guest
GUEST_FILES   := vmlinux bzImage
install: husk docs
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MAN8DIR) $(DESTDIR)$(COMPLETIONDIR)
	install -m 0755 $(HUSK) $(DESTDIR)$(BINDIR)/husk
	ln -sfn husk $(DESTDIR)$(BINDIR)/husk-vm
	install -m 0644 $(DOC_DIR)/man8/*.8 $(DESTDIR)$(MAN8DIR)/
	install -m 0644 $(DOC_DIR)/husk.bash $(DESTDIR)$(COMPLETIONDIR)/husk
	ln -sfn husk $(DESTDIR)$(COMPLETIONDIR)/husk-vm
	@if [ -f $(GUEST_KERNEL_DIR)/vmlinux ]; then \
		echo "install guest kernel -> $(DESTDIR)$(GUESTDIR)"; \
		install -d $(DESTDIR)$(GUESTDIR) && \
		for f in $(GUEST_FILES); do install -m 0644 $(GUEST_KERNEL_DIR)/$$f $(DESTDIR)$(GUESTDIR)/ || exit 1; done; \
	else echo "no guest kernel in $(GUEST_KERNEL_DIR) (make guest-kernel): not installed"; fi

uninstall: docs
	rm -f $(DESTDIR)$(BINDIR)/husk $(DESTDIR)$(BINDIR)/husk-vm
	for f in $(DOC_DIR)/man8/*.8; do rm -f "$(DESTDIR)$(MAN8DIR)/$${f##*/}"; done
	rm -f $(DESTDIR)$(COMPLETIONDIR)/husk $(DESTDIR)$(COMPLETIONDIR)/husk-vm
	rm -f $(addprefix $(DESTDIR)$(GUESTDIR)/,$(GUEST_FILES))
	-rmdir $(DESTDIR)$(GUESTDIR) $(DESTDIR)$(PREFIX)/lib/husk 2>/dev/null
	@if [ -n "$(DESTDIR)" ]; then \
		d=$(DESTDIR)$(PREFIX); \
		for sub in lib share/man/man8 share/man share/bash-completion/completions share/bash-completion share bin; do \
			rmdir "$$d/$$sub" 2>/dev/null || true; done; \
		p=$(PREFIX); while [ "$$p" != / ] && [ -n "$$p" ]; do \
			rmdir "$(DESTDIR)$$p" 2>/dev/null || break; p=$$(dirname "$$p"); done; \
	fi

format:
	clang-format -i $(shell git ls-files '*.c' '*.h')

clean:
	rm -rf build build-asan build-fuzz build-valgrind

# Modules hang extra artifacts (test guests, fuzzers, kernel) on these.
.PHONY: test-artifacts
test-artifacts:
-include $(wildcard */module.mk) $(wildcard tests/*/module.mk)
# Submodules with rules of their own (vm-sandbox/virtio/module.mk, ...).
-include $(filter-out tests/%,$(wildcard */*/module.mk))

-include $(LIB_OBJS:.o=.d) $(MAIN_OBJ:.o=.d)
