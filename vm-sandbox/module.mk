# vm-sandbox extras: the test guests (built for `make check`) and the minimal
# Linux guest kernel (`make guest-kernel`, slow, never part of check).

GUEST_DIR    := $(BUILD)/tests/guests
GUEST_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter -I. \
	-ffreestanding -fno-pic -fno-pie -mno-red-zone -mgeneral-regs-only \
	-fno-stack-protector -fno-asynchronous-unwind-tables -fcf-protection=none
GUEST_LDFLAGS := -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-z,noexecstack \
	-Wl,--no-warn-rwx-segments
GUEST_C      := tests/guests/main.c tests/guests/lib.c tests/guests/virtio.c
GUEST_C_OBJS := $(patsubst tests/guests/%.c,$(GUEST_DIR)/%.o,$(GUEST_C))
GUEST_BZIMAGE := $(GUEST_DIR)/guest-bzimage
GUEST_PVH     := $(GUEST_DIR)/guest-pvh.elf
GUEST_ELF64   := $(GUEST_DIR)/guest-elf64.elf

$(GUEST_DIR)/%.o: tests/guests/%.c tests/guests/guest.h vm-sandbox/x86/bootproto.h vm-sandbox/x86/layout.h
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CFLAGS) -c $< -o $@

$(GUEST_DIR)/%.o: tests/guests/%.S
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CFLAGS) -c $< -o $@

$(GUEST_DIR)/guest-bzimage.elf: $(GUEST_DIR)/entry_bzimage.o $(GUEST_DIR)/start.o $(GUEST_C_OBJS) tests/guests/bzimage.ld
	$(CC) $(GUEST_LDFLAGS) -Wl,-T,tests/guests/bzimage.ld -o $@ $(filter %.o,$^)

$(GUEST_BZIMAGE): $(GUEST_DIR)/guest-bzimage.elf
	objcopy -O binary $< $@

$(GUEST_PVH): $(GUEST_DIR)/entry_pvh.o $(GUEST_DIR)/start.o $(GUEST_C_OBJS) tests/guests/pvh.ld
	$(CC) $(GUEST_LDFLAGS) -Wl,-T,tests/guests/pvh.ld -o $@ $(filter %.o,$^)

$(GUEST_ELF64): $(GUEST_DIR)/entry_bzimage.o $(GUEST_DIR)/start.o $(GUEST_C_OBJS) tests/guests/elf64.ld
	$(CC) $(GUEST_LDFLAGS) -Wl,-T,tests/guests/elf64.ld -o $@ $(filter %.o,$^)

.PHONY: test-guests
test-guests: $(GUEST_BZIMAGE) $(GUEST_PVH) $(GUEST_ELF64)
test-artifacts: test-guests

# The vsock client that tests/bats/vm_linux.bats puts in its Linux guest.
VSOCK_PING := $(BUILD)/tests/vsock-ping
$(VSOCK_PING): tests/bats/vm/vsock_ping.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 -Wall -Wextra -Werror -static -o $@ $<
test-artifacts: $(VSOCK_PING)

# The minimal Linux guest: `make guest-kernel` (slow, separate from check).
GUEST_KERNEL_DIR := $(BUILD)/guest-kernel
.PHONY: guest-kernel
guest-kernel:
	vm-sandbox/guest-kernel/build.sh $(GUEST_KERNEL_DIR)

# `make bench-vm`: the monitor's start-up time, memory and virtio-blk throughput.
$(BUILD)/bench/vm_launch: bench/vm_launch.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $<

$(BUILD)/bench/vm_blk: bench/vm_blk.c tests/unit/helpers/virtio_driver.c $(LIBHUSK)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ bench/vm_blk.c tests/unit/helpers/virtio_driver.c $(LIBHUSK) $(LDLIBS)

.PHONY: bench-vm
bench-vm: husk test-guests $(BUILD)/bench/vm_launch $(BUILD)/bench/vm_blk
	BUILD=$(abspath $(BUILD)) bench/vm_bench.sh

# Where vm_guest_kernel_find() looks (vm-sandbox/guest.h): the installed kernel,
# then this build tree's (husk runs from a sealed copy, so it cannot find the
# tree from /proc/self/exe).
PREFIX ?= /usr/local
$(BUILD)/vm-sandbox/guest_kernel.o: CFLAGS += \
	-DHUSK_GUEST_KERNEL_INSTALLED='"$(PREFIX)/lib/husk/guest/vmlinux"' \
	-DHUSK_GUEST_KERNEL_BUILD='"$(abspath $(BUILD))/guest-kernel/vmlinux"'
$(BUILD)/vm-sandbox/guest_kernel.o: vm-sandbox/module.mk

# `make bench-vm-run`: `husk run --vm` next to `husk run` (bench/vm_run.sh).
.PHONY: bench-vm-run
bench-vm-run: husk $(BUILD)/bench/vm_launch
	BUILD=$(abspath $(BUILD)) bench/vm_run.sh

# `make demo-vm`: the demo bundle in a microVM (scripts/demo-vm.sh).
.PHONY: demo-vm
demo-vm: deps
	$(MAKE) husk guest-kernel
	HUSK=$(abspath $(HUSK)) BUILD=$(abspath $(BUILD)) scripts/demo-vm.sh $(BUILD)/demo-vm-bundle

# The host's side of the VM channel against a hostile guest (libFuzzer):
#   make fuzz-vm-channel [FUZZ_TIME=seconds]
FUZZ_BUILD ?= build-fuzz
FUZZ_CC    ?= clang
FUZZ_TIME  ?= 60
VMCHAN_FUZZ := $(FUZZ_BUILD)/fuzz_vm_channel
VMCHAN_FUZZ_SRCS := tests/fuzz/fuzz_vm_channel.c vm-sandbox/agent/channel.c \
	vm-sandbox/agent/host_relay.c common/err.c common/util.c common/log.c

$(VMCHAN_FUZZ): $(VMCHAN_FUZZ_SRCS) vm-sandbox/agent/channel.h vm-sandbox/agent/host_relay.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -std=gnu11 -g -O1 -I. -D_GNU_SOURCE -Wall -Wno-unused-parameter \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-o $@ $(VMCHAN_FUZZ_SRCS) -lpthread

.PHONY: fuzz-vm-channel
fuzz-vm-channel: $(VMCHAN_FUZZ)
	@mkdir -p $(FUZZ_BUILD)/corpus/vm-channel $(FUZZ_BUILD)/seeds/vm-channel
	HUSK_FUZZ_SEEDS=$(FUZZ_BUILD)/seeds/vm-channel $(VMCHAN_FUZZ) -max_total_time=$(FUZZ_TIME) \
		-max_len=65537 -timeout=10 -print_final_stats=1 -artifact_prefix=$(FUZZ_BUILD)/ \
		$(FUZZ_BUILD)/corpus/vm-channel $(FUZZ_BUILD)/seeds/vm-channel

fuzz: fuzz-vm-channel
# tests/bats/virtio_fuzz_smoke.bats runs it; built with the other artifacts.
test-artifacts: $(VMCHAN_FUZZ)
