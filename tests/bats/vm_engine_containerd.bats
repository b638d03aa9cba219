#!/usr/bin/env bats
# containerd 1.6 (Debian's package): the runc v2 shim runs husk-vm through
# BinaryName (ctr --runc-binary), every task is a microVM.  The same scenarios
# as engine_containerd.bats, from tests/engines/containerd_scenarios.bash,
# checking the guest's view where a VM differs (engine_vm).  Needs hardware
# virtualization: tests/run-tests.sh runs this file in the nested harness
# (tests/nested/run) where the host has none; the daemon's root and state are
# private, under L1's /tmp.  No time bounds.

bats_require_minimum_version 1.5.0
load helpers
load ../engines/containerd_scenarios

setup_file() {
	export ENGINE_TIMEOUT=300
	engine_use_husk_vm
	engine_setup_file containerd ctrd_start ctrd_import_busybox
}
teardown_file() {
	ctrd_stop
	engine_vm_cleanup
}
setup() {
	engine_setup
	ID=vc$BATS_TEST_NUMBER-$RANDOM
}
teardown() {
	ctrd_remove_all
	ctrd_assert_nothing_left
}

@test "containerd vm: ctr run prints the process's output" { ctrd_sc_run_output; }
@test "containerd vm: the process sees the guest's kernel, not the host's" { ctrd_sc_kernel; }
@test "containerd vm: ctr run passes the process's exit status through" { ctrd_sc_exit_status; }
@test "containerd vm: ctr run passes stdin" { ctrd_sc_stdin; }
@test "containerd vm: ctr run --tty gives the process a terminal" { ctrd_sc_tty; }
@test "containerd vm: ctr run with --env and --cwd" { ctrd_sc_env_workdir; }
@test "containerd vm: a missing binary exits 127 with the agent's error" { ctrd_sc_missing_binary; }
@test "containerd vm: ctr run -d keeps the VM running and its log holds its output" { ctrd_sc_detached_logs; }
@test "containerd vm: ctr task exec runs in the guest and returns its exit status" { ctrd_sc_exec_inside; }
@test "containerd vm: ctr task exec with --user and --cwd, the container's env" { ctrd_sc_exec_user_workdir_env; }
@test "containerd vm: ctr task exec --tty gives the exec'd process a terminal" { ctrd_sc_exec_tty; }
@test "containerd vm: a failing ctr task exec leaves the runtime's error in the bundle's log.json" { ctrd_sc_exec_missing_binary; }
@test "containerd vm: ctr task kill delivers the signal and the task stops" { ctrd_sc_kill; }
@test "containerd vm: ctr task kill --all reaches exec'd processes too" { ctrd_sc_kill_all; }
@test "containerd vm: ctr task pause freezes the VM, resume thaws it" { ctrd_sc_pause; }
@test "containerd vm: ctr task start boots a stopped container again" { ctrd_sc_restart; }
@test "containerd vm: ctr task delete removes the task, its runtime state and its cgroup" { ctrd_sc_delete; }
@test "containerd vm: --memory-limit sizes the guest's RAM and the cgroup" { ctrd_sc_memory; }
@test "containerd vm: --cpus gives the guest its CPUs and the cgroup its quota" { ctrd_sc_cpus; }
@test "containerd vm: --read-only makes the guest's root read-only" { ctrd_sc_read_only; }
@test "containerd vm: --mount bind mounts, read-write and read-only" { ctrd_sc_volumes; }
