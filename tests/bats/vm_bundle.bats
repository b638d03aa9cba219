#!/usr/bin/env bats
# `husk run --vm`: the busybox bundle of `make demo` in a microVM, husk as the
# guest's init, the container's root over virtio-fs.  Needs hardware
# virtualization: on a host without it, tests/run-tests.sh runs this file in
# the nested harness (tests/nested/run).  A guest boot under emulation takes
# seconds: no test has a time bound.

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
	teardown_bundle
}

vm_run() { # [husk run flags...]: run the bundle in a VM, $output is stdout only
	# $EXPECT_STATUS (e.g. -127): bats's own check of the exit status
	run ${EXPECT_STATUS:+"$EXPECT_STATUS"} --separate-stderr husk run --vm "$@" "$CID"
	echo "status $status"
	echo "stdout: $output"
	echo "stderr: $stderr"
}

@test "vm bundle: the demo greeting comes from inside the guest" {
	cfg '.process.args = ["sh", "-c", "echo \"Hello from inside a husk VM: kernel $(uname -r) hostname=$(hostname)\"; cat /proc/cmdline"]'
	vm_run
	[ "$status" -eq 0 ]
	[[ "$output" == *"Hello from inside a husk VM: kernel "* ]]
	# the guest's kernel, booted by husk with its agent as init
	[[ "$output" == *"HUSK_AGENT=1"* ]]
	[[ "$output" != *"kernel $(uname -r) "* ]]
	[[ "$output" == *"hostname=husk"* ]]
	assert_no_leftovers "$CID"
}

@test "vm bundle: the exit code is passed through" {
	cfg '.process.args = ["sh", "-c", "exit 7"]'
	vm_run
	[ "$status" -eq 7 ]
	assert_no_leftovers "$CID"
}

@test "vm bundle: stdout and stderr arrive separately" {
	cfg '.process.args = ["sh", "-c", "echo to-out; echo to-err >&2; echo more-out"]'
	vm_run
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'to-out\nmore-out')" ]
	[ "$stderr" = "to-err" ]
}

@test "vm bundle: stdin is piped to the workload, and its end reaches it" {
	cfg '.process.args = ["sh", "-c", "wc -l; echo after-eof"]'
	run --separate-stderr bash -c 'printf "a\nb\nc\n" | "$1" --root "$2" run --vm "$3"' _ \
		"$HUSK" "$HUSK_ROOT" "$CID"
	echo "$output / $stderr"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '3\nafter-eof')" ]
}

@test "vm bundle: process.terminal gives a pty in the guest" {
	command -v script >/dev/null || skip "script(1) not installed"
	# the size is the spec's (and the outer terminal's): the guest's pty has it from the start
	cfg '.process.terminal = true | .process.consoleSize = {"height": 33, "width": 101}'
	cfg '.process.args = ["sh", "-c", "tty; stty size"]'
	run run_on_pty 600 "bash -c 'stty rows 33 cols 101; exec $HUSK --root $HUSK_ROOT run --vm $CID'"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"/dev/pts/"* ]]
	[[ "$output" == *"33 101"* ]]
	assert_no_leftovers "$CID"
}

@test "vm bundle: a file the workload writes appears in the bundle's rootfs" {
	cfg '.process.args = ["sh", "-c", "echo written-in-the-guest > /tmp/from-guest"]'
	vm_run
	[ "$status" -eq 0 ]
	[ "$(cat "$BUNDLE/rootfs/tmp/from-guest")" = written-in-the-guest ]
}

@test "vm bundle: a readonly root refuses the write" {
	cfg '.root.readonly = true | .process.args = ["sh", "-c", "echo x > /tmp/nope; echo rc=$?"]'
	vm_run
	[ "$status" -eq 0 ]
	[[ "$output" == *"rc=1"* ]]
	[[ "$stderr" == *"Read-only file system"* ]]
	[ ! -e "$BUNDLE/rootfs/tmp/nope" ]
}

@test "vm bundle: kill reaches the workload in the guest; run exits with its status" {
	cfg '.process.args = ["sh", "-c", "trap \"echo got-term; exit 42\" TERM; echo ready; while :; do sleep 1; done"]'
	"$HUSK" --root "$HUSK_ROOT" run --vm "$CID" >"$TEST_TMP/out" 2>&1 &
	local runner=$!
	local i
	for i in $(seq 600); do
		grep -q ready "$TEST_TMP/out" && break
		sleep 0.5
	done
	husk kill "$CID" TERM
	local rc=0
	wait "$runner" || rc=$?
	cat "$TEST_TMP/out"
	[ "$rc" -eq 42 ]
	grep -q got-term "$TEST_TMP/out"
	assert_no_leftovers "$CID"
}

@test "vm bundle: create, start, state, kill, delete" {
	cfg '.process.args = ["sh", "-c", "echo started > /tmp/started; while :; do sleep 1; done"]'
	husk create --vm "$CID" </dev/null >/dev/null 2>&1
	[ "$(husk state "$CID" | jq -r .status)" = created ]
	husk start "$CID"
	[ "$(husk state "$CID" | jq -r .status)" = running ]
	local i
	for i in $(seq 600); do
		[ -e "$BUNDLE/rootfs/tmp/started" ] && break
		sleep 0.5
	done
	[ -e "$BUNDLE/rootfs/tmp/started" ]
	local pid
	pid=$(husk state "$CID" | jq -r .pid)
	husk kill "$CID" KILL
	wait_status "$CID" stopped
	# SIGKILL of the monitor ends the VM: no vCPU thread, no process left
	[ ! -e "/proc/$pid" ]
	husk delete "$CID"
	assert_no_leftovers "$CID"
}

@test "vm bundle: guest memory and vCPUs follow the spec" {
	cfg '.linux.resources.memory.limit = 536870912 | .linux.resources.cpu = {"quota": 200000, "period": 100000}'
	cfg '.process.args = ["sh", "-c", "grep MemTotal /proc/meminfo; nproc"]'
	vm_run
	[ "$status" -eq 0 ]
	local kib
	kib=$(awk '/MemTotal/ {print $2}' <<<"$output")
	# 512 MiB limit - the monitor's 32 MiB = 480 MiB of guest RAM, less what the kernel keeps
	[ "$kib" -gt $((400 * 1024)) ]
	[ "$kib" -le $((480 * 1024)) ]
	[ "$(tail -n1 <<<"$output")" = 2 ]
	cfg '.annotations["org.husk.vm.memory"] = "200" | .annotations["org.husk.vm.cpus"] = "1"'
	vm_run
	kib=$(awk '/MemTotal/ {print $2}' <<<"$output")
	[ "$kib" -le $((200 * 1024)) ]
	[ "$(tail -n1 <<<"$output")" = 1 ]
}

@test "vm bundle: a memory limit too small to boot is a clear error; nothing left" {
	cfg '.linux.resources.memory.limit = 67108864'
	vm_run
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"too small for a VM"* ]]
	assert_no_leftovers "$CID"
}

@test "vm bundle: a guest that does not boot is an error; nothing left" {
	printf 'not a kernel\n' >"$TEST_TMP/bogus"
	cfg --arg k "$TEST_TMP/bogus" '.annotations["org.husk.vm.kernel"] = $k'
	vm_run
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"not a kernel image"* ]]
	assert_no_leftovers "$CID"
	# a kernel that is not there fails at create
	cfg '.annotations["org.husk.vm.kernel"] = "/nonexistent/vmlinux"'
	vm_run
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"/nonexistent/vmlinux"* ]]
	assert_no_leftovers "$CID"
}

@test "vm bundle: a missing executable is reported from the guest" {
	cfg '.process.args = ["no-such-program"]'
	EXPECT_STATUS=-127 vm_run
	[ "$status" -eq 127 ]
	[[ "$stderr" == *"no-such-program"* ]]
	assert_no_leftovers "$CID"
}

@test "vm bundle: the agent alone, without the root share (HUSK_VM_NO_ROOT_SHARE)" {
	cfg '.process.args = ["/init", "--version"]'
	HUSK_VM_NO_ROOT_SHARE=1 vm_run
	[ "$status" -eq 0 ]
	[[ "$output" == "husk version "* ]]
	assert_no_leftovers "$CID"
}
