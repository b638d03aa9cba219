#!/usr/bin/env bats
# The nested harness (tests/nested/run) itself: what a command prints and
# returns comes back exactly, the host's files are read-only but for --rw,
# L1 looks like the host, and no QEMU outlives a timeout, a silent L1 or a
# signal.  Each test boots an L1 under QEMU TCG (about 10 s).

load helpers

NESTED=$REPO_ROOT/tests/nested/run

setup() {
	command -v qemu-system-x86_64 >/dev/null ||
		skip "qemu-system-x86_64 is not installed: the harness cannot run here (make deps)"
	"$REPO_ROOT/tests/nested/l1-kernel.sh" >/dev/null 2>"$BATS_TEST_TMPDIR/kernel.err" ||
		skip "no L1 kernel for the harness: $(cat "$BATS_TEST_TMPDIR/kernel.err")"
	TEST_TMP=$(mktemp -d /tmp/husk-nested-test.XXXXXX)
}

teardown() {
	[ -n "${TEST_TMP:-}" ] && rm -rf "$TEST_TMP"
	true
}

# QEMU processes of this test: their command line names $TEST_TMP (--rw).
qemus_of_this_test() {
	pgrep -f "qemu-system-x86_64 .*path=$TEST_TMP" || true
}

@test "nested: stdout, stderr and the exit status come back separately and exactly" {
	local rc=0
	"$NESTED" sh -c 'printf "line 1\n\nno newline"; printf "to stderr\n" >/dev/stderr; exit 3' \
		>"$TEST_TMP/out" 2>"$TEST_TMP/err" || rc=$?
	cat "$TEST_TMP/err"
	[ "$rc" -eq 3 ]
	printf 'line 1\n\nno newline' | cmp - "$TEST_TMP/out"
	printf 'to stderr\n' | cmp - "$TEST_TMP/err"
}

@test "nested: a command killed by SIGKILL exits 137, as it would on the host" {
	run "$NESTED" sh -c 'kill -KILL $$'
	echo "$output"
	[ "$status" -eq 137 ]
}

@test "nested: arguments, environment and working directory reach the command as given" {
	cd "$REPO_ROOT/tests"
	HUSK_NESTED_PROBE='two  words $x' run "$NESTED" bash -c 'printf "<%s>" "$@" "$HUSK_NESTED_PROBE" "$PWD"; exit 0' \
		_ 'a b' '' "c'd" '*'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "<a b><><c'd><*><two  words \$x><$REPO_ROOT/tests>" ]
}

@test "nested: a working directory under /tmp (L1's own tmpfs) is shared read-only; --ro DIR too" {
	mkdir "$TEST_TMP/cwd" "$TEST_TMP/ro"
	echo in-cwd >"$TEST_TMP/cwd/f"
	echo in-ro >"$TEST_TMP/ro/f"
	cd "$TEST_TMP/cwd"
	run "$NESTED" --ro "$TEST_TMP/ro" sh -c '
		cat f "$1/ro/f" || exit 7
		if touch g 2>/dev/null || touch "$1/ro/g" 2>/dev/null; then exit 9; fi' _ "$TEST_TMP"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'in-cwd\nin-ro')" ]
	[ ! -e "$TEST_TMP/cwd/g" ] && [ ! -e "$TEST_TMP/ro/g" ]
}

@test "nested: --rw DIR is writable and shared; the rest of the host is read-only" {
	mkdir "$TEST_TMP/rw"
	echo from-host >"$TEST_TMP/rw/in"
	run "$NESTED" --rw "$TEST_TMP/rw" sh -c '
		cat "$1/rw/in" && echo from-l1 >"$1/rw/out" && mkdir "$1/rw/sub" &&
		if touch "$2/.husk-nested-probe" 2>"$1/rw/err"; then exit 9; fi' _ "$TEST_TMP" "$REPO_ROOT"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = from-host ]
	[ "$(cat "$TEST_TMP/rw/out")" = from-l1 ]
	[ -d "$TEST_TMP/rw/sub" ]
	grep -q 'Read-only file system' "$TEST_TMP/rw/err"
	[ ! -e "$REPO_ROOT/.husk-nested-probe" ]
}

@test "nested: L1 looks like the host: /dev/kvm on SVM, cgroups as mounted here, /dev/fd, tmpfs /tmp and /run" {
	local host_cgroups
	host_cgroups=$(awk '$5 ~ "^/sys/fs/cgroup" { for (i = 7; $i != "-"; i++); print $5, $(i + 1) }' /proc/self/mountinfo)
	run "$NESTED" bash -c '
		[ -c /dev/kvm ] && grep -qw svm /proc/cpuinfo || exit 11
		[ "$(id -u)" = 0 ] || exit 12
		echo hi >/dev/fd/2 && [ -e /dev/stdin ] && [ -c /dev/pts/ptmx ] || exit 13
		for d in /tmp /run /dev/shm; do [ "$(stat -f -c %T $d)" = tmpfs ] || exit 14; done
		ip -o link show lo | grep -q "UP" || exit 15
		awk '\''$5 ~ "^/sys/fs/cgroup" { for (i = 7; $i != "-"; i++); print $5, $(i + 1) }'\'' /proc/self/mountinfo'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "hi"$'\n'"$host_cgroups" ]
}

@test "nested: --timeout stops the L1 with exit 124 and leaves no QEMU behind" {
	run "$NESTED" --timeout 25 --rw "$TEST_TMP" sleep 1000
	echo "$output"
	[ "$status" -eq 124 ]
	[[ "$output" == *"timed out after 25 s"* ]]
	[ -z "$(qemus_of_this_test)" ]
}

@test "nested: an L1 that goes silent is stopped with its console log" {
	# Freeze L1's heartbeat (the processes writing to the "beat" port).
	run "$NESTED" --silence 15 --rw "$TEST_TMP" sh -c '
		beat=$(grep -l "^beat$" /sys/class/virtio-ports/*/name); beat=/dev/$(basename "$(dirname "$beat")")
		for p in /proc/[0-9]*; do
			[ "$(readlink "$p/fd/1")" = "$beat" ] && kill -STOP "${p#/proc/}"
		done
		sleep 1000'
	echo "$output"
	[ "$status" -eq 124 ]
	[[ "$output" == *"L1 went silent for 15 s"* ]]
	[[ "$output" == *"last lines of L1's console"* ]]
	[ -z "$(qemus_of_this_test)" ]
}

@test "nested: SIGTERM to the harness stops QEMU" {
	"$NESTED" --rw "$TEST_TMP" sleep 1000 >"$TEST_TMP/out" 2>&1 &
	local pid=$! q=
	for _ in $(seq 100); do
		q=$(qemus_of_this_test)
		[ -n "$q" ] && break
		sleep 0.2
	done
	[ -n "$q" ]
	sleep 2
	kill -TERM "$pid"
	local rc=0
	wait "$pid" || rc=$?
	cat "$TEST_TMP/out"
	[ "$rc" -eq 143 ]
	[ -z "$(qemus_of_this_test)" ]
}

@test "nested: SIGKILL to the harness stops QEMU; the next run removes the orphaned run directory" {
	"$NESTED" --rw "$TEST_TMP" sleep 1000 >/dev/null 2>&1 &
	local pid=$! q= run_dir=
	for _ in $(seq 100); do
		q=$(qemus_of_this_test)
		[ -n "$q" ] && break
		sleep 0.2
	done
	[ -n "$q" ]
	run_dir=$(tr '\0' '\n' <"/proc/$q/cmdline" | sed -n 's|.*path=\(/tmp/husk-nested\.[^/,]*\)/ctl.*|\1|p' | head -1)
	[ -n "$run_dir" ] && [ -d "$run_dir" ]
	kill -KILL "$pid"
	wait "$pid" || true
	for _ in $(seq 100); do
		[ -z "$(qemus_of_this_test)" ] && break
		sleep 0.2
	done
	[ -z "$(qemus_of_this_test)" ]
	[ -d "$run_dir" ] # nobody could remove it
	run "$NESTED" true
	[ "$status" -eq 0 ]
	[ ! -e "$run_dir" ]
}

@test "nested: a QEMU that cannot start, and bad arguments, are clear errors (exit 125)" {
	run "$NESTED" --memory 99999999999 true
	echo "$output"
	[ "$status" -eq 125 ]
	[[ "$output" == *"QEMU could not start an L1"* ]]
	run env PATH=/nonexistent /bin/bash "$NESTED" true
	echo "$output"
	[ "$status" -eq 125 ]
	[[ "$output" == *"qemu-system-x86_64 is not installed"* ]]
	run "$NESTED" --rw "$TEST_TMP/none" true
	[ "$status" -eq 125 ]
	[[ "$output" == *"--rw $TEST_TMP/none: not a directory"* ]]
	run "$NESTED" --timeout soon true
	[ "$status" -eq 125 ]
	[[ "$output" == *"positive integers"* ]]
}
