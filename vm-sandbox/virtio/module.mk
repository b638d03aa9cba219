# virtio device models: libFuzzer targets and benchmark.
#   make fuzz-virtio [FUZZ_TIME=seconds]   build and run the virtqueue fuzzer
#   make fuzz-virtiofs [FUZZ_TIME=seconds] build and run the virtio-fs request fuzzer
#   make bench-virtio                      virtio-blk and virtio-fs throughput via the harness
#                                          vs pread/pwrite

FUZZ_BUILD   ?= build-fuzz
FUZZ_CC      ?= clang
FUZZ_TIME    ?= 60
VIRTIO_FUZZ  := $(FUZZ_BUILD)/fuzz_virtq
VIRTIO_FUZZ_SRCS := tests/fuzz/fuzz_virtq.c $(wildcard vm-sandbox/virtio/*.c) \
	common/err.c common/util.c common/log.c

$(VIRTIO_FUZZ): $(VIRTIO_FUZZ_SRCS) $(wildcard vm-sandbox/virtio/*.h) vm-sandbox/vm_device.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -std=gnu11 -g -O1 -I. -D_GNU_SOURCE -Wall -Wno-unused-parameter \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-o $@ $(VIRTIO_FUZZ_SRCS) -lpthread

# The virtio-fs FUSE server alone, request sequences against a temp tree.
VIRTIOFS_FUZZ := $(FUZZ_BUILD)/fuzz_virtiofs
VIRTIOFS_FUZZ_SRCS := tests/fuzz/fuzz_virtiofs.c $(wildcard vm-sandbox/virtio/fs_*.c) \
	vm-sandbox/virtio/virtqueue.c common/err.c common/util.c common/log.c

$(VIRTIOFS_FUZZ): $(VIRTIOFS_FUZZ_SRCS) $(wildcard vm-sandbox/virtio/*.h) vm-sandbox/vm_device.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -std=gnu11 -g -O1 -I. -D_GNU_SOURCE -Wall -Wno-unused-parameter \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-o $@ $(VIRTIOFS_FUZZ_SRCS) -lpthread

.PHONY: fuzz-virtiofs
fuzz-virtiofs: $(VIRTIOFS_FUZZ)
	@mkdir -p $(FUZZ_BUILD)/corpus/virtiofs
	$(VIRTIOFS_FUZZ) -max_total_time=$(FUZZ_TIME) -max_len=16384 -timeout=10 \
		-print_final_stats=1 -artifact_prefix=$(FUZZ_BUILD)/ $(FUZZ_BUILD)/corpus/virtiofs

fuzz: fuzz-virtiofs
test-artifacts: $(VIRTIOFS_FUZZ)

.PHONY: fuzz-virtio
fuzz-virtio: $(VIRTIO_FUZZ)
	@mkdir -p $(FUZZ_BUILD)/corpus/virtq $(FUZZ_BUILD)/seeds/virtq
	HUSK_FUZZ_SEEDS=$(FUZZ_BUILD)/seeds/virtq $(VIRTIO_FUZZ) -max_total_time=$(FUZZ_TIME) \
		-max_len=8192 -timeout=10 -print_final_stats=1 -artifact_prefix=$(FUZZ_BUILD)/ \
		$(FUZZ_BUILD)/corpus/virtq $(FUZZ_BUILD)/seeds/virtq

fuzz: fuzz-virtio

# The bats smoke test runs the fuzzer binary; build it with the other artifacts.
test-artifacts: $(VIRTIO_FUZZ)

VIRTIO_BENCH := $(BUILD)/bench/virtio_blk_bench
$(VIRTIO_BENCH): bench/virtio_blk_bench.c tests/unit/helpers/virtio_driver.c $(LIBHUSK)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ bench/virtio_blk_bench.c tests/unit/helpers/virtio_driver.c \
		$(LIBHUSK) $(LDLIBS)

VIRTIOFS_BENCH := $(BUILD)/bench/virtio_fs_bench
$(VIRTIOFS_BENCH): bench/virtio_fs_bench.c tests/unit/helpers/virtio_driver.c \
		tests/unit/helpers/fuse_client.c $(LIBHUSK)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ bench/virtio_fs_bench.c tests/unit/helpers/virtio_driver.c \
		tests/unit/helpers/fuse_client.c $(LIBHUSK) $(LDLIBS)

.PHONY: bench-virtio
bench-virtio: $(VIRTIO_BENCH) $(VIRTIOFS_BENCH)
	$(VIRTIO_BENCH)
	$(VIRTIOFS_BENCH)

bench: bench-virtio
