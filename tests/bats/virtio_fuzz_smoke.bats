#!/usr/bin/env bats
# The virtqueue fuzzer (tests/fuzz/fuzz_virtq.c) runs for a bounded time over
# every virtio device model and must end without a crash, leak or sanitizer
# report.  `make fuzz-virtio` is the long run; this is the smoke test.

load helpers

FUZZER=${FUZZ_BUILD:-$REPO_ROOT/build-fuzz}/fuzz_virtq

setup() {
	[ -x "$FUZZER" ] || skip "fuzzer not built ($FUZZER): make $FUZZER needs clang with libFuzzer"
	WORK=$(mktemp -d /tmp/husk-virtio-fuzz-smoke.XXXXXX)
}

teardown() {
	[ -n "${WORK:-}" ] && rm -rf "$WORK"
}

@test "virtqueue fuzzer: 15 s over all devices, no crash" {
	mkdir "$WORK/corpus" "$WORK/seeds"
	HUSK_FUZZ_SEEDS=$WORK/seeds run timeout 120 "$FUZZER" -max_total_time=15 -max_len=8192 \
		-timeout=10 -print_final_stats=1 -artifact_prefix="$WORK/" "$WORK/corpus" "$WORK/seeds"
	echo "$output" | tail -n 20
	[ "$status" -eq 0 ]
	[[ "$output" == *"Done "*" runs in "* ]]
	[[ "$output" != *"ERROR: AddressSanitizer"* ]]
	[[ "$output" != *"runtime error"* ]]
	# It did real work: many runs, over every seed (one per device and request
	# type), and it found coverage beyond them.
	runs=$(echo "$output" | sed -n 's/^stat::number_of_executed_units: *//p')
	added=$(echo "$output" | sed -n 's/^stat::new_units_added: *//p')
	[ "${runs:-0}" -gt 10000 ]
	[ "$(ls "$WORK/seeds" | wc -l)" -ge 15 ]
	[ "${added:-0}" -gt 0 ]
	[ -z "$(ls "$WORK"/crash-* "$WORK"/leak-* "$WORK"/timeout-* 2>/dev/null)" ]
}

@test "virtqueue fuzzer: a hostile loop input replays cleanly" {
	# Header: rng, no flags, queue 0, size 2^4; then a descriptor table in
	# which descriptor 0 chains to itself, and avail idx 1 -> head 0.
	printf '\x00\x00\x00\x04\x00\x00' >"$WORK/loop"
	head -c 14 /dev/zero >>"$WORK/loop"                      # xor fields, kicks, npokes
	printf '\x00\x00\x01\x00\x00\x00\x00\x00\x10\x00\x00\x00\x03\x00\x00\x00' >>"$WORK/loop"
	head -c $((16 * 15)) /dev/zero >>"$WORK/loop"            # rest of the table
	printf '\x00\x00\x01\x00\x00\x00' >>"$WORK/loop"         # avail: flags, idx=1, ring[0]=0
	run timeout 60 "$FUZZER" "$WORK/loop"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Executed $WORK/loop"* ]]
}
