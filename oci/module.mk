# oci/: libFuzzer targets for the parsers of untrusted JSON (config.json,
# process.json, resources).  `make fuzz` builds them into build-fuzz/; run e.g.
#   build-fuzz/fuzz_oci_config -max_total_time=60 tests/fuzz/corpus/oci/config
FUZZ_BUILD   ?= build-fuzz
FUZZ_CC      ?= clang
FUZZ_FLAGS   ?= -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined
OCI_FUZZ_LIB := $(wildcard oci/*.c) common/err.c common/util.c
OCI_FUZZERS  := $(FUZZ_BUILD)/fuzz_oci_config $(FUZZ_BUILD)/fuzz_oci_docs

$(FUZZ_BUILD)/fuzz_oci_%: tests/fuzz/fuzz_oci_%.c $(OCI_FUZZ_LIB) $(wildcard oci/*.h common/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -I. \
		-D_GNU_SOURCE $(shell pkg-config --cflags yajl) -o $@ $< $(OCI_FUZZ_LIB) \
		$(shell pkg-config --libs yajl)

.PHONY: fuzz-oci
fuzz-oci: $(OCI_FUZZERS)
fuzz: fuzz-oci
