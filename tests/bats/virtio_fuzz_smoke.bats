#!/usr/bin/env bats
# The virtqueue fuzzer (tests/fuzz/fuzz_virtq.c) runs for a bounded time over
# every virtio device model and must end without a crash, leak or sanitizer
# report.  `make fuzz-virtio` is the long run; this is the smoke test.  So do
# the virtio-fs fuzzer and the VM channel's (tests/fuzz/fuzz_vm_channel.c: a
# hostile guest against the host's relay, `make fuzz-vm-channel`).

load helpers

FUZZER=${FUZZ_BUILD:-$REPO_ROOT/build-fuzz}/fuzz_virtq
FS_FUZZER=${FUZZ_BUILD:-$REPO_ROOT/build-fuzz}/fuzz_virtiofs
CHAN_FUZZER=${FUZZ_BUILD:-$REPO_ROOT/build-fuzz}/fuzz_vm_channel

setup() {
	local f=$FUZZER
	[[ "$BATS_TEST_DESCRIPTION" == virtio-fs* ]] && f=$FS_FUZZER
	[[ "$BATS_TEST_DESCRIPTION" == "VM channel"* ]] && f=$CHAN_FUZZER
	[ -x "$f" ] || skip "fuzzer not built ($f): make $f needs clang with libFuzzer"
	WORK=$(mktemp -d /tmp/husk-virtio-fuzz-smoke.XXXXXX)
	# The virtio-fs fuzzer's shared tree: on tmpfs when there is one (FSYNC).
	FS_TMP=$(mktemp -d /dev/shm/husk-virtiofs-smoke.XXXXXX 2>/dev/null || mktemp -d /tmp/husk-virtiofs-smoke.XXXXXX)
}

teardown() {
	[ -n "${WORK:-}" ] && rm -rf "$WORK"
	[ -n "${FS_TMP:-}" ] && rm -rf "$FS_TMP"
	true
}

# fuzz_15s FUZZER MAX_LEN MIN_RUNS MIN_SEEDS: a 15 s run from the target's
# own seeds ends cleanly, having done real work: many runs, every seed, and
# coverage beyond them.
fuzz_15s() {
	mkdir "$WORK/corpus" "$WORK/seeds"
	HUSK_FUZZ_TMP=$FS_TMP HUSK_FUZZ_SEEDS=$WORK/seeds run timeout 120 "$1" -max_total_time=15 \
		-max_len="$2" -timeout=10 -print_final_stats=1 -artifact_prefix="$WORK/" \
		"$WORK/corpus" "$WORK/seeds"
	echo "$output" | tail -n 20
	[ "$status" -eq 0 ]
	[[ "$output" == *"Done "*" runs in "* ]]
	[[ "$output" != *"ERROR: AddressSanitizer"* ]]
	[[ "$output" != *"runtime error"* ]]
	runs=$(echo "$output" | sed -n 's/^stat::number_of_executed_units: *//p')
	added=$(echo "$output" | sed -n 's/^stat::new_units_added: *//p')
	[ "${runs:-0}" -gt "$3" ]
	[ "$(ls "$WORK/seeds" | wc -l)" -ge "$4" ]
	[ "${added:-0}" -gt 0 ]
	[ -z "$(ls "$WORK"/crash-* "$WORK"/leak-* "$WORK"/timeout-* 2>/dev/null)" ]
}

@test "virtqueue fuzzer: 15 s over all devices, no crash" {
	# one seed per device and request type
	fuzz_15s "$FUZZER" 8192 10000 15
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

@test "virtio-fs fuzzer: 15 s of request sequences, no crash, nothing outside the share touched" {
	# Every input ends with the check that the secret next to the share is
	# intact (the fuzzer aborts otherwise).
	fuzz_15s "$FS_FUZZER" 16384 1000 3
	# The fuzzer removed its tree.
	[ -z "$(ls -A "$FS_TMP")" ]
}

@test "VM channel fuzzer: 15 s of hostile guest streams against the host's relay, no crash or hang" {
	# the monitor's relay, with and without an exec client, and husk exec's
	# handshake; each input must end the relay by itself (-timeout: a hang)
	fuzz_15s "$CHAN_FUZZER" 65537 1000 3
}
