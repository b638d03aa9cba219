#!/usr/bin/env bats
# Faults and bad input tried from outside (issue 12): husk must refuse clearly,
# never hang, and leave nothing behind.
load helpers

setup() {
	setup_runtime_bundle
}

teardown() {
	if [ -f "${TEST_TMP:-/nonexistent}/stray.pid" ]; then
		for p in $(cat "$TEST_TMP/stray.pid"); do kill "$p" 2>/dev/null; done
	fi
	teardown_bundle
}

@test "memory.limit below -1 is an error naming the field; -1 is unlimited" {
	for f in limit swap reservation; do
		cfg --arg f "$f" '.linux.resources.memory = {($f): -5} | .process.args = ["true"]'
		run husk run "$CID"
		echo "$output"
		[ "$status" -ne 0 ]
		[[ "$output" == *"linux.resources.memory.$f"* ]]
		assert_no_leftovers "$CID"
	done
	cfg '.linux.resources.memory = {limit: -1} | .process.args = ["true"]'
	run husk run "$CID"
	[ "$status" -eq 0 ]
	# update --resources takes the same document.
	cfg '.linux.resources.memory = {} | .process.args = ["sleep", "100"]'
	husk run -d "$CID"
	run husk update --resources - "$CID" <<<'{"memory": {"limit": -5}}'
	[ "$status" -ne 0 ]
	[[ "$output" == *"memory.limit"* ]]
}

@test "a memory limit below what the init needs to start is refused with the numbers, not exit 137" {
	cfg '.linux.resources.memory = {limit: 65536} | .process.args = ["echo", "RAN"]'
	run husk run "$CID"
	echo "$output"
	[ "$status" -ne 0 ] && [ "$status" -ne 137 ]
	[[ "$output" != *RAN* ]]
	[[ "$output" == *"OOM killer"* ]]
	[[ "$output" == *"memory limit (65536 bytes)"* ]]
	[[ "$output" == *"peak usage"* ]]
	assert_no_leftovers "$CID"
}

@test "a workload the OOM killer ends: exit 137 and a warning that says why" {
	cfg '.linux.resources.memory = {limit: 4194304} |
	     .process.args = ["sh", "-c", "x=$(head -c 16000000 /dev/zero | tr \"\\\\0\" a); echo ${#x}"]'
	run husk run "$CID"
	echo "$output"
	[ "$status" -eq 137 ]
	[[ "$output" == *"killed by the OOM killer (memory limit: 4194304 bytes"* ]]
	assert_no_leftovers "$CID"
}

@test "update below the current usage on cgroup v1: runc's message with the numbers" {
	[ -f /sys/fs/cgroup/memory/memory.limit_in_bytes ] || skip "no v1 memory controller"
	# tmpfs pages stay charged to the cgroup: nothing to reclaim without swap.
	cfg '.process.args = ["sh", "-c", "head -c 8000000 /dev/zero > /dev/shm/fill; echo up > /tmp/up; sleep 100"] |
	     .linux.resources.memory = {limit: 67108864}'
	husk run -d "$CID"
	for _ in $(seq 200); do [ -e rootfs/tmp/up ] && break; sleep 0.05; done
	run husk update --memory 1m "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"unable to set memory limit to 1048576 (current usage: "*", peak usage: "*")"* ]]
}

@test "hooks get only stdio; a createRuntime hook's background child blocks nothing" {
	# sh -c, not a script (its shell holds the script on an fd of its own); ls
	# lists what the hook process was given (plus its own directory fd).
	local script="sleep 1000 </dev/null >/dev/null 2>&1 &
echo \$! > $TEST_TMP/stray.pid
sleep 1000 &
echo \$! >> $TEST_TMP/stray.pid
exec ls /proc/self/fd > $TEST_TMP/hook.fds"
	cfg --arg s "$script" '.process.args = ["sleep", "100"] |
		.hooks.createRuntime = [{path: "/bin/sh", args: ["sh", "-c", $s]}]'
	# An fd husk inherits from its caller must not reach the hook either.
	timeout 20 "$HUSK" --root "$HUSK_ROOT" create "$CID" 7>"$TEST_TMP/inherited"
	# Only 0, 1, 2 (ls's own directory fd may show as 3).
	run cat "$TEST_TMP/hook.fds"
	echo "$output"
	[ "$(grep -cvxE '[0-3]' "$TEST_TMP/hook.fds")" -eq 0 ]
	for p in $(cat "$TEST_TMP/stray.pid"); do
		for fd in /proc/$p/fd/*; do
			[ "$(readlink "$fd")" != "$HUSK_ROOT/$CID" ] || { echo "stray $p holds the state dir"; false; }
		done
	done
	timeout 20 "$HUSK" --root "$HUSK_ROOT" state "$CID"
	timeout 20 "$HUSK" --root "$HUSK_ROOT" ps "$CID"
	timeout 20 "$HUSK" --root "$HUSK_ROOT" start "$CID"
	timeout 20 "$HUSK" --root "$HUSK_ROOT" kill "$CID" 0
	timeout 20 "$HUSK" --root "$HUSK_ROOT" delete --force "$CID"
	assert_no_leftovers "$CID"
}

@test "husk SIGKILLed during create (by its own hook): delete --force removes the cgroups too" {
	cfg '.process.args = ["sleep", "100"] |
	     .hooks.createRuntime = [{path: "/bin/sh", args: ["sh", "-c", "kill -9 $PPID"]}]'
	run husk create "$CID"
	[ "$status" -eq 137 ]
	# Killed after the cgroups were made and before the state was saved.
	[ -n "$(find /sys/fs/cgroup -maxdepth 3 -type d -name "$CID")" ]
	[ ! -e "$HUSK_ROOT/$CID/state.json" ]
	husk delete --force "$CID"
	assert_no_leftovers "$CID"
}

@test "husk SIGKILLed at random points of run: delete --force always leaves nothing" {
	cfg '.process.args = ["true"]'
	for i in $(seq 20); do
		local id=$CID-$i
		"$HUSK" --root "$HUSK_ROOT" run "$id" >/dev/null 2>&1 &
		local pid=$!
		# 0 to 40 ms: before, during and after the cgroups are made.
		sleep "0.0$(( RANDOM % 40 ))"
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" || true
		husk delete --force "$id"
		assert_no_leftovers "$id"
	done
}

@test "root.path naming the host's / (spelled / or ../../..) is refused, the same way" {
	local up
	up=$(printf '../%.0s' $(seq 30))
	for p in / "$up" "/tmp/../"; do
		cfg --arg p "$p" '.root.path = $p | .process.args = ["sh", "-c", "touch /husk-was-here-'"$CID"'"]'
		run husk run "$CID"
		echo "$output"
		[ "$status" -ne 0 ]
		[[ "$output" == *"is the host's root directory"* ]]
		[ ! -e "/husk-was-here-$CID" ]
		assert_no_leftovers "$CID"
	done
}

@test "a 1 MB hostname or mount path: the child's real error, cut to a sane length" {
	head -c 1048576 /dev/zero | tr '\0' h > "$TEST_TMP/big"
	cfg --rawfile h "$TEST_TMP/big" '.hostname = $h | .process.args = ["true"]'
	run husk run "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" != *"malformed error message"* ]]
	[[ "$output" == *sethostname* ]]
	[[ "$output" == *"bytes cut"* ]]
	[ "${#output}" -lt 20000 ]
	assert_no_leftovers "$CID"
	cfg --rawfile d "$TEST_TMP/big" '.hostname = "h" | .mounts += [{destination: ("/" + $d), type: "tmpfs", source: "tmpfs"}]'
	run husk run "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" != *"malformed error message"* ]]
	[[ "$output" == *"bytes cut"* ]]
	[ "${#output}" -lt 20000 ]
	echo "${output:0:300}"
	assert_no_leftovers "$CID"
}
