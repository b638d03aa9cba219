#!/usr/bin/env bats
# containerd (Debian's package) drives the runtime under test through the runc
# v2 shim's BinaryName.  A private containerd is started for this file and
# stopped at the end (tests/engines/containerd.bash).
#   RUNTIME=/usr/sbin/runc bats tests/bats/engine_containerd.bats   validates the tests.

load helpers
load ../engines/containerd

setup_file() {
	export RUNTIME=${RUNTIME:-$HUSK}
	RUNTIME=$(readlink -f "$RUNTIME")
	# (a skip here would fail the file with bats 1.8: setup skips instead)
	export CTRD_SKIP=
	if ! command -v containerd >/dev/null; then
		CTRD_SKIP="containerd is not installed (scripts/deps.d/engines.txt)"
		return 0
	fi
	ctrd_start
	ctrd_import_busybox
	export CTRD_DIR CTRD_SOCK CTRD_NS CTRD_PID CTRD_IMAGE
}

teardown_file() {
	ctrd_stop
}

setup() {
	[ -z "$CTRD_SKIP" ] || skip "$CTRD_SKIP"
	[ -n "${CTRD_DIR:-}" ] || skip "containerd did not start"
	ID=c$BATS_TEST_NUMBER-$RANDOM
}

teardown() {
	ctrd_remove_all
}

@test "containerd: ctr run of busybox prints the process's output" {
	run ctrd_run --rm "$ID" sh -c 'echo "hello from pid $$"; readlink /proc/self/ns/mnt'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "hello from pid 1" ]
	[ "${lines[1]}" != "$(readlink /proc/self/ns/mnt)" ]
}

@test "containerd: ctr run passes the container process's exit status through" {
	run ctrd_run --rm "$ID" sh -c 'exit 7'
	[ "$status" -eq 7 ]
}

@test "containerd: ctr run --tty gives the process a terminal" {
	run run_on_pty 60 "ctr --address $CTRD_SOCK --namespace $CTRD_NS run --runc-binary $RUNTIME --runc-root $CTRD_DIR/runtime-root --cgroup /$CTRD_NS/$ID --rm -t $CTRD_IMAGE $ID sh -c 'tty; test -t 0 && echo stdin-is-tty'"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"/dev/pts/"* ]]
	[[ "$output" == *"stdin-is-tty"* ]]
}

@test "containerd: a failing create reports the runtime's own error (bundle log.json)" {
	run ctrd_run --rm "$ID" /no-such-binary-here
	echo "$output"
	[ "$status" -ne 0 ]
	# The shim reads the runtime's last error from <bundle>/log.json; without
	# it, all ctr can say is "did not terminate successfully: exit status 1".
	[[ "$output" == *"OCI runtime create failed"* ]]
	[[ "$output" == *"/no-such-binary-here"* ]]
	[[ "$output" != *"did not terminate successfully"* ]]
	[ -z "$(ctrd_task_status "$ID")" ]
}

@test "containerd: ctr task exec runs inside the container and returns its exit status" {
	ctrd_run -d "$ID" sleep 1000
	ctrd_wait_status "$ID" RUNNING
	local pid
	pid=$(ctrd_task_pid "$ID")
	run ctrd_exec --exec-id e1 "$ID" sh -c 'cat /proc/1/comm; for n in pid mnt uts ipc net cgroup; do readlink /proc/self/ns/$n; done; exit 4'
	echo "$output"
	[ "$status" -eq 4 ]
	[ "${lines[0]}" = sleep ]
	local i=1 n
	for n in pid mnt uts ipc net cgroup; do
		[ "${lines[$i]}" = "$(readlink /proc/$pid/ns/$n)" ]
		i=$((i + 1))
	done
}

@test "containerd: ctr task exec joins the container's cgroup" {
	ctrd_run -d "$ID" sleep 1000
	ctrd_wait_status "$ID" RUNNING
	local pid
	pid=$(ctrd_task_pid "$ID")
	run ctrd_exec --exec-id e1 "$ID" cat /proc/self/cgroup
	echo "$output"
	[ "$status" -eq 0 ]
	# Same cgroup lines as init (the exec'd cat is in /proc/self; init is pid 1).
	diff <(sort <<<"$output") <(sort /proc/"$pid"/cgroup)
}

@test "containerd: ctr task exec --tty gives the exec'd process a terminal" {
	ctrd_run -d "$ID" sleep 1000
	ctrd_wait_status "$ID" RUNNING
	run run_on_pty 60 "ctr --address $CTRD_SOCK --namespace $CTRD_NS task exec --fifo-dir $CTRD_DIR/fifo -t --exec-id e1 $ID sh -c 'tty; test -t 1 && echo out-is-tty; exit 3'"
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *"/dev/pts/"* ]]
	[[ "$output" == *"out-is-tty"* ]]
}

@test "containerd: a failing ctr task exec leaves the runtime's error in the bundle's log.json" {
	ctrd_run -d "$ID" sleep 1000
	ctrd_wait_status "$ID" RUNNING
	run ctrd_exec --exec-id e1 "$ID" /no-such-exec-binary
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"/no-such-exec-binary"* ]]
	local log=$CTRD_DIR/state/io.containerd.runtime.v2.task/$CTRD_NS/$ID/log.json
	[ -s "$log" ]
	cat "$log"
	# Every line is a JSON object; one of them is the error, at level error.
	jq -e . "$log" >/dev/null
	jq -se 'map(select(.level == "error" and (.msg | contains("/no-such-exec-binary")))) | length > 0' "$log"
	# The container is still fine.
	[ "$(ctrd_task_status "$ID")" = RUNNING ]
}

@test "containerd: ctr task kill delivers the signal and the task stops" {
	ctrd_run -d "$ID" sh -c 'trap "exit 42" TERM; while :; do sleep 0.1; done'
	ctrd_wait_status "$ID" RUNNING
	run ctr_ task kill "$ID"
	[ "$status" -eq 0 ]
	ctrd_wait_status "$ID" STOPPED
	# SIGKILL on a task that ignores TERM
	ctr_ task delete "$ID"
	ctr_ container delete "$ID"
	ctrd_run -d "$ID" sleep 1000
	ctrd_wait_status "$ID" RUNNING
	run ctr_ task kill -s SIGKILL "$ID"
	[ "$status" -eq 0 ]
	ctrd_wait_status "$ID" STOPPED
}

@test "containerd: ctr task kill --all reaches exec'd processes too" {
	ctrd_run -d "$ID" sleep 1000
	ctrd_wait_status "$ID" RUNNING
	ctrd_exec -d --exec-id e1 "$ID" sleep 1001
	# The runtime's kill --all must accept the call (it errors out otherwise).
	run ctr_ task kill -a -s SIGKILL "$ID"
	[ "$status" -eq 0 ]
	ctrd_wait_status "$ID" STOPPED
}

@test "containerd: ctr task pause freezes the container, resume thaws it" {
	ctrd_run -d "$ID" sh -c 'i=0; while :; do i=$((i + 1)); echo $i > /tmp/tick; sleep 0.05; done'
	ctrd_wait_status "$ID" RUNNING
	local pid
	pid=$(ctrd_task_pid "$ID")
	ctr_ task pause "$ID"
	ctrd_wait_status "$ID" PAUSED
	# The kernel's view: the container's cgroup is frozen (v1 freezer, or
	# cgroup.freeze on the unified hierarchy, whichever the runtime drives).
	# (hybrid: /sys/fs/cgroup/unified; unified host: /sys/fs/cgroup itself).
	local v1=/sys/fs/cgroup/freezer/$CTRD_NS/$ID/freezer.state
	local v2=/sys/fs/cgroup/unified/$CTRD_NS/$ID/cgroup.freeze
	local v2root=/sys/fs/cgroup/$CTRD_NS/$ID/cgroup.freeze
	[ "$(cat "$v1" 2>/dev/null)" = FROZEN ] || [ "$(cat "$v2" 2>/dev/null)" = 1 ] ||
		[ "$(cat "$v2root" 2>/dev/null)" = 1 ]
	local t1 t2
	t1=$(cat /proc/"$pid"/root/tmp/tick)
	sleep 0.3
	t2=$(cat /proc/"$pid"/root/tmp/tick)
	[ "$t1" = "$t2" ]
	ctr_ task resume "$ID"
	ctrd_wait_status "$ID" RUNNING
	sleep 0.3
	t2=$(cat /proc/"$pid"/root/tmp/tick)
	[ "$t1" != "$t2" ]
}

@test "containerd: ctr task delete removes the task, its runtime state and its cgroup" {
	ctrd_run -d "$ID" sleep 1000
	ctrd_wait_status "$ID" RUNNING
	[ -d "$CTRD_DIR/runtime-root/$CTRD_NS/$ID" ] || [ -d "$CTRD_DIR/runtime-root/$ID" ]
	ctr_ task kill -s SIGKILL "$ID"
	ctrd_wait_status "$ID" STOPPED
	run ctr_ task delete "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$(ctrd_task_status "$ID")" ]
	[ ! -e "$CTRD_DIR/runtime-root/$CTRD_NS/$ID" ]
	[ ! -e "$CTRD_DIR/runtime-root/$ID" ]
	# no cgroup of it in any hierarchy, whatever the host's layout
	local d
	for d in /sys/fs/cgroup/*/"$CTRD_NS/$ID" /sys/fs/cgroup/"$CTRD_NS/$ID"; do
		[ ! -d "$d" ]
	done
	run ctr_ container delete "$ID"
	[ "$status" -eq 0 ]
}
