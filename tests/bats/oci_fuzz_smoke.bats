#!/usr/bin/env bats
# The libFuzzer targets of the oci/ parsers (config.json, process.json,
# resources) and of the image layer reader (oci/image) build and survive a
# bounded run from the seed corpus.

load helpers

setup() {
	FUZZ_TMP=$(mktemp -d /tmp/husk-oci-fuzz.XXXXXX)
	# libFuzzer ships with clang's compiler-rt; without it there is nothing to run.
	command -v clang >/dev/null || skip "clang is not installed"
	echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }' >"$FUZZ_TMP/probe.c"
	clang -fsanitize=fuzzer -o "$FUZZ_TMP/probe" "$FUZZ_TMP/probe.c" 2>/dev/null ||
		skip "clang cannot link -fsanitize=fuzzer (libclang-rt-dev missing)"
	FUZZ_BUILD=$REPO_ROOT/build-fuzz
	make -C "$REPO_ROOT" -s fuzz-oci fuzz-image >"$FUZZ_TMP/build.log" 2>&1 || {
		cat "$FUZZ_TMP/build.log"
		return 1
	}
}

teardown() {
	rm -rf "$FUZZ_TMP"
}

# Run a fuzzer: new inputs go to a scratch dir, the repo's seeds are read only.
run_fuzzer() { # NAME SEED_DIR SECONDS
	mkdir -p "$FUZZ_TMP/corpus"
	run "$FUZZ_BUILD/$1" -max_total_time="$3" -runs=2000000 -rss_limit_mb=1024 \
		-dict="$REPO_ROOT/tests/fuzz/oci.dict" -artifact_prefix="$FUZZ_TMP/" \
		"$FUZZ_TMP/corpus" "$2"
	echo "$output" | tail -5
	[ "$status" -eq 0 ]
	[[ "$output" == *"Done "* ]]
	[ -z "$(ls "$FUZZ_TMP"/crash-* "$FUZZ_TMP"/leak-* "$FUZZ_TMP"/oom-* 2>/dev/null)" ]
}

@test "oci fuzz: every seed passes the config fuzzer's invariants" {
	run "$FUZZ_BUILD/fuzz_oci_config" -runs=0 "$REPO_ROOT/tests/fuzz/corpus/oci/config"
	[ "$status" -eq 0 ]
}

@test "oci fuzz: config.json parser survives 20 s of fuzzing" {
	run_fuzzer fuzz_oci_config "$REPO_ROOT/tests/fuzz/corpus/oci/config" 20
}

@test "oci fuzz: process.json/resources parsers survive 10 s of fuzzing" {
	run_fuzzer fuzz_oci_docs "$REPO_ROOT/tests/fuzz/corpus/oci/docs" 10
}

@test "image fuzz: every layer seed applies without breaking the invariants" {
	run "$FUZZ_BUILD/fuzz_image_layer" -runs=0 "$REPO_ROOT/tests/fuzz/corpus/image"
	[ "$status" -eq 0 ]
}

@test "image fuzz: the layer reader survives 20 s of fuzzing, nothing written outside the rootfs" {
	mkdir -p "$FUZZ_TMP/corpus"
	run "$FUZZ_BUILD/fuzz_image_layer" -max_total_time=20 -rss_limit_mb=1024 -max_len=65536 \
		-artifact_prefix="$FUZZ_TMP/" "$FUZZ_TMP/corpus" "$REPO_ROOT/tests/fuzz/corpus/image"
	echo "$output" | tail -5
	[ "$status" -eq 0 ]
	[[ "$output" == *"Done "* ]]
	[ -z "$(ls "$FUZZ_TMP"/crash-* "$FUZZ_TMP"/leak-* "$FUZZ_TMP"/oom-* 2>/dev/null)" ]
	# its scratch directory went away with it
	run ls -d /tmp/husk-fuzz-image.*
	[ "$status" -ne 0 ]
}
