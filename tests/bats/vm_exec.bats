#!/usr/bin/env bats
# `husk exec` into a VM container: the guest agent starts the process, a relay
# on the host (the --pid-file pid) carries its stdio, signals and status.
# Needs hardware virtualization: tests/run-tests.sh runs this file in the
# nested harness (tests/nested/run) where the host has none.  No time bounds.

load helpers
bats_require_minimum_version 1.5.0

KERNEL=${BUILD:-$REPO_ROOT/build}/guest-kernel/vmlinux

setup() {
	[ -c /dev/kvm ] || skip "no /dev/kvm on this host"
	grep -qwE 'vmx|svm' /proc/cpuinfo ||
		skip "no hardware virtualization (no vmx/svm flag): run in tests/nested/run"
	[ -f "$KERNEL" ] || skip "guest kernel not built: run 'make guest-kernel'"
	export HUSK_VM_KERNEL=$KERNEL
	setup_runtime_bundle
}

teardown() {
	stop_host_marker
	teardown_bundle
}

wait_file() { # PATH
	local i
	for i in $(seq 1200); do
		[ -e "$1" ] && return 0
		sleep 0.5
	done
	return 1
}

wait_gone() { # PID
	local i
	for i in $(seq 1200); do
		[ -e "/proc/$1" ] || return 0
		sleep 0.5
	done
	return 1
}

# A VM container whose workload waits; the guest is up once it wrote /tmp/up.
start_vm() {
	cfg '.process.args = ["sh", "-c", "touch /tmp/up; while :; do sleep 1; done"]'
	husk create --vm "$CID" </dev/null >/dev/null 2>&1
	husk start "$CID"
	wait_file "$BUNDLE/rootfs/tmp/up"
}

hx() { # husk exec ARGS...: $output is stdout, $stderr
	run --separate-stderr "$HUSK" --root "$HUSK_ROOT" exec "$@"
	echo "status $status"
	echo "stdout: $output"
	echo "stderr: $stderr"
}

@test "vm exec: the process runs in the guest; stdio, stdin's end and exit code relayed" {
	start_vm
	hx "$CID" sh -c 'echo out; echo err >&2; exit 3'
	[ "$status" -eq 3 ]
	[ "$output" = out ]
	[ "$stderr" = err ]
	# the guest's kernel command line: husk is its init (the agent)
	hx "$CID" cat /proc/cmdline
	[ "$status" -eq 0 ]
	[[ "$output" == *"HUSK_AGENT=1"* ]]
	run bash -c 'printf "a\nb\n" | "$0" --root "$1" exec "$2" sh -c "wc -l; echo after-eof"' \
		"$HUSK" "$HUSK_ROOT" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '2\nafter-eof')" ]
	# the container's own process goes on
	[ "$(husk state "$CID" | jq -r .status)" = running ]
	husk kill "$CID" KILL
	wait_status "$CID" stopped
	husk delete "$CID"
	assert_no_leftovers "$CID"
}

@test "vm exec: --env, --cwd, --user and --process apply in the guest" {
	start_vm
	hx --env FOO=bar --cwd /tmp --user 1000:1001 "$CID" sh -c 'echo "$FOO $(pwd) $(id -u):$(id -g)"'
	[ "$status" -eq 0 ]
	[ "$output" = "bar /tmp 1000:1001" ]
	jq -n '{args: ["sh", "-c", "echo \"$X $(pwd) $(id -u)\""], env: ["PATH=/bin:/usr/bin", "X=from-json"], cwd: "/etc", user: {uid: 7, gid: 7}}' >"$TEST_TMP/p.json"
	hx --process "$TEST_TMP/p.json" "$CID"
	[ "$status" -eq 0 ]
	[ "$output" = "from-json /etc 7" ]
}

@test "vm exec: a missing executable is an error from the guest" {
	start_vm
	hx "$CID" /no/such/binary
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"/no/such/binary"* ]]
	# the VM still serves the next one
	hx "$CID" true
	[ "$status" -eq 0 ]
}

@test "vm exec: --detach --pid-file: the host pid lives as long as the process and relays signals" {
	start_vm
	# detached, the relay keeps the stdio it is given: not bats' capture pipe
	"$HUSK" --root "$HUSK_ROOT" exec -d --pid-file "$TEST_TMP/pid" "$CID" sh -c 'trap "echo term > /tmp/got-term; exit 5" TERM; echo $$ > /tmp/exec-pid; while :; do sleep 1; done' </dev/null >/dev/null 2>&1
	local pid
	pid=$(cat "$TEST_TMP/pid")
	wait_file "$BUNDLE/rootfs/tmp/exec-pid"
	[ -e "/proc/$pid" ]
	kill -TERM "$pid"
	wait_gone "$pid"
	[ "$(cat "$BUNDLE/rootfs/tmp/got-term")" = term ]
	# SIGKILL of the host pid ends the process in the guest too
	rm -f "$BUNDLE/rootfs/tmp/exec-pid"
	"$HUSK" --root "$HUSK_ROOT" exec -d --pid-file "$TEST_TMP/pid2" "$CID" sh -c 'echo $$ > /tmp/exec-pid; while :; do sleep 1; done' </dev/null >/dev/null 2>&1
	pid=$(cat "$TEST_TMP/pid2")
	wait_file "$BUNDLE/rootfs/tmp/exec-pid"
	local gpid
	gpid=$(cat "$BUNDLE/rootfs/tmp/exec-pid")
	hx "$CID" kill -0 "$gpid"
	[ "$status" -eq 0 ]
	kill -KILL "$pid"
	wait_gone "$pid"
	local i gone=
	for i in $(seq 600); do
		hx "$CID" kill -0 "$gpid"
		[ "$status" -ne 0 ] && { gone=1; break; }
		sleep 0.5
	done
	[ -n "$gone" ]
}

@test "vm exec: --tty gives a pty in the guest, proxied to husk's terminal" {
	command -v script >/dev/null || skip "script(1) not installed"
	start_vm
	run run_on_pty 600 "bash -c 'stty rows 21 cols 77; exec $HUSK --root $HUSK_ROOT exec -t $CID sh -c \"tty; stty size; exit 4\"'"
	echo "$output"
	[ "$status" -eq 4 ]
	[[ "$output" == *"/dev/pts/"* ]]
	[[ "$output" == *"21 77"* ]]
}

@test "vm exec: --tty --console-socket hands over the pty master" {
	start_vm
	python3 "$REPO_ROOT/tests/engines/recv-fd.py" "$TEST_TMP/cs" "$TEST_TMP/cs.out" --pty-input $'echo via-pty; exit 0\n' --timeout 600 &
	local receiver=$!
	wait_file "$TEST_TMP/cs.out.ready"
	"$HUSK" --root "$HUSK_ROOT" exec -d -t --console-socket "$TEST_TMP/cs" --pid-file "$TEST_TMP/p" "$CID" sh </dev/null >/dev/null 2>&1
	wait "$receiver"
	cat "$TEST_TMP/cs.out"
	grep -q '^payload=/dev/' "$TEST_TMP/cs.out"
	grep -q 'via-pty' "$TEST_TMP/cs.out"
}

# A host process with an argv no guest process has.
start_host_marker() {
	MARKER=husk-host-marker-$$-$RANDOM
	bash -c "exec -a $MARKER sleep 100000" </dev/null >/dev/null 2>&1 &
	MARKER_PID=$!
}

stop_host_marker() {
	[ -n "${MARKER_PID:-}" ] || return 0
	kill "$MARKER_PID" 2>/dev/null
	wait "$MARKER_PID" 2>/dev/null || true # killed by SIGTERM: 143
	MARKER_PID=
}

# What a process sees of its kernel, processes and devices, into /tmp/$1.*
# (the rootfs: the host reads it in $BUNDLE/rootfs/tmp).
OBSERVE='uname -r > /tmp/$1.uname; cat /proc/version > /tmp/$1.version; cat /proc/[0-9]*/cmdline | tr "\0" " " > /tmp/$1.procs; for f in /proc/self/fd/* /proc/1/fd/*; do readlink "$f"; done > /tmp/$1.fds 2>/dev/null; ls /dev > /tmp/$1.dev; cat /proc/devices /proc/misc > /tmp/$1.drivers 2>&1; :'

# Neither the guest's kernel nor its processes, fds or devices are the host's.
assert_isolated() { # NAME (files /tmp/NAME.* in the rootfs)
	local t=$BUNDLE/rootfs/tmp/$1
	echo "--- $1: $(cat "$t.uname") / $(cat "$t.version")"
	[ -s "$t.uname" ]
	[ "$(cat "$t.uname")" != "$(uname -r)" ]
	[ "$(cat "$t.version")" != "$(cat /proc/version)" ]
	grep -q 'sleep' "$t.procs" # the guest's own processes are there
	run ! grep -e "$MARKER" -e bats "$t.procs"
	run ! grep -i kvm "$t.fds"
	run ! grep -qx kvm "$t.dev"
	# the guest kernel has no KVM driver: /dev/kvm cannot be made either
	run ! grep -qw kvm "$t.drivers"
}

@test "vm exec: isolation: the container's process and an exec see the guest's kernel, processes and devices only" {
	start_host_marker
	# the container's own process looks before anything else runs
	cfg --arg o "$OBSERVE" '.process.args = ["sh", "-c", ("set -- main; " + $o + "; touch /tmp/up; while :; do sleep 1; done")]'
	husk create --vm "$CID" </dev/null >/dev/null 2>&1
	husk start "$CID"
	wait_file "$BUNDLE/rootfs/tmp/up"
	assert_isolated main
	hx "$CID" sh -c "set -- exec; $OBSERVE"
	[ "$status" -eq 0 ]
	assert_isolated exec
	# root with CAP_MKNOD in the guest: the host's kvm (10:232) and its
	# disks are no devices there
	# disks are no devices there (the guest's /dev is its own devtmpfs)
	hx --cap CAP_MKNOD "$CID" sh -c 'mknod /dev/t-kvm c 10 232 && cat /dev/t-kvm; echo "kvm: $?"; mknod /dev/t-sda b 8 0 && head -c1 /dev/t-sda; echo "sda: $?"'
	[[ "$output" == *"kvm: 1"* ]]
	[[ "$stderr" == *"t-kvm"*"No such device"* ]]
	[[ "$output" == *"sda: 1"* ]]
	[[ "$stderr" == *"t-sda"*"No such device"* ]]
	stop_host_marker
}
