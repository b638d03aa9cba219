#!/usr/bin/env bats
# containerd (Debian's package) drives the runtime under test through the runc
# v2 shim's BinaryName.  A private containerd is started for this file and
# stopped at the end (tests/engines/containerd.bash).  The scenarios are
# shared with vm_engine_containerd.bats (tests/engines/containerd_scenarios.bash).
#   RUNTIME=/usr/sbin/runc bats tests/bats/engine_containerd.bats   validates the tests.

bats_require_minimum_version 1.5.0
load helpers
load ../engines/containerd_scenarios

setup_file() { engine_setup_file containerd ctrd_start ctrd_import_busybox; }
teardown_file() { ctrd_stop; }
setup() {
	engine_setup
	ID=c$BATS_TEST_NUMBER-$RANDOM
}
teardown() {
	ctrd_remove_all
	ctrd_assert_nothing_left
}

@test "containerd: ctr run of busybox prints the process's output" { ctrd_sc_run_output; }
@test "containerd: the process sees the host's kernel" { ctrd_sc_kernel; }
@test "containerd: ctr run passes the container process's exit status through" { ctrd_sc_exit_status; }
@test "containerd: ctr run passes stdin" { ctrd_sc_stdin; }
@test "containerd: ctr run --tty gives the process a terminal" { ctrd_sc_tty; }
@test "containerd: ctr run with --env and --cwd" { ctrd_sc_env_workdir; }
@test "containerd: a failing create reports the runtime's own error (bundle log.json)" { ctrd_sc_missing_binary; }
@test "containerd: ctr run -d keeps the task running and its log holds its output" { ctrd_sc_detached_logs; }
@test "containerd: ctr task exec runs inside the container and returns its exit status" { ctrd_sc_exec_inside; }
@test "containerd: ctr task exec with --user and --cwd, the container's env" { ctrd_sc_exec_user_workdir_env; }
@test "containerd: ctr task exec --tty gives the exec'd process a terminal" { ctrd_sc_exec_tty; }
@test "containerd: a failing ctr task exec leaves the runtime's error in the bundle's log.json" { ctrd_sc_exec_missing_binary; }
@test "containerd: ctr task kill delivers the signal and the task stops" { ctrd_sc_kill; }
@test "containerd: ctr task kill --all reaches exec'd processes too" { ctrd_sc_kill_all; }
@test "containerd: ctr task pause freezes the container, resume thaws it" { ctrd_sc_pause; }
@test "containerd: ctr task start runs a stopped container again" { ctrd_sc_restart; }
@test "containerd: ctr task delete removes the task, its runtime state and its cgroup" { ctrd_sc_delete; }
@test "containerd: --memory-limit sets the container's memory limit" { ctrd_sc_memory; }
@test "containerd: --cpus sets the container's CPU quota" { ctrd_sc_cpus; }
@test "containerd: --read-only makes the root filesystem read-only" { ctrd_sc_read_only; }
@test "containerd: --mount bind mounts, read-write and read-only" { ctrd_sc_volumes; }
