# Security module test artifacts:
#   - the seccomp fuzz target (libFuzzer, clang) for `make fuzz`, and its corpus
#     replay binary (gcc) that the bats suite runs;
#   - a seccomp notify agent for the listenerPath integration tests.

SEC_FUZZ_SRCS := $(wildcard oci/*.c) $(wildcard common/*.c) runtime/seccomp_filter.c runtime/seccomp_cache.c
SEC_BUILD_DIR := $(BUILD)/tests/security

$(SEC_BUILD_DIR)/fuzz_seccomp_replay: tests/fuzz/fuzz_seccomp.c $(LIBHUSK)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DFUZZ_REPLAY $(LDFLAGS) -o $@ $< $(LIBHUSK) $(LDLIBS)

$(SEC_BUILD_DIR)/notify_agent: tests/security/notify_agent.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LDLIBS)

test-artifacts: $(SEC_BUILD_DIR)/fuzz_seccomp_replay $(SEC_BUILD_DIR)/notify_agent

# libFuzzer build: everything the target touches is instrumented.
build-fuzz/fuzz_seccomp: tests/fuzz/fuzz_seccomp.c $(SEC_FUZZ_SRCS)
	@mkdir -p $(dir $@)
	clang -g -O1 -fsanitize=fuzzer,address,undefined -std=gnu11 -I. -D_GNU_SOURCE \
		-DHUSK_VERSION='"$(VERSION)"' -DHUSK_COMMIT='"$(COMMIT)"' \
		$(shell pkg-config --cflags $(PKGS) 2>/dev/null) -o $@ $^ $(LDLIBS)

.PHONY: fuzz-seccomp
fuzz-seccomp: build-fuzz/fuzz_seccomp
	mkdir -p build-fuzz/corpus-seccomp
	build-fuzz/fuzz_seccomp -max_total_time=$${FUZZ_SECONDS:-60} build-fuzz/corpus-seccomp tests/fuzz/corpus/seccomp

fuzz: fuzz-seccomp
