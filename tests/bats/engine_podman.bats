#!/usr/bin/env bats
# podman (Debian's package) with --runtime set to the runtime under test,
# vfs storage, the cgroupfs manager and no network; all its state is private
# to this file (tests/engines/podman.bash).  The scenarios are shared with
# vm_engine_podman.bats (tests/engines/podman_scenarios.bash).
#   RUNTIME=/usr/sbin/runc bats tests/bats/engine_podman.bats   validates the tests.

bats_require_minimum_version 1.5.0
load helpers
load ../engines/podman_scenarios

setup_file() { engine_setup_file podman pdm_start pdm_import_busybox; }
teardown_file() { pdm_stop; }
setup() {
	engine_setup
	NAME=p$BATS_TEST_NUMBER-$RANDOM
}
teardown() {
	pdm_remove_all
	pdm_assert_nothing_left
}

@test "podman: run prints the process's output and passes its exit status" { pdm_sc_run_output_and_status; }
@test "podman: the process sees the host's kernel" { pdm_sc_kernel; }
@test "podman: run of a missing binary fails with the runtime's error" { pdm_sc_run_missing_binary; }
@test "podman: run -i passes stdin and its end" { pdm_sc_run_stdin; }
@test "podman: run -t gives the process a terminal" { pdm_sc_run_tty; }
@test "podman: run with --user, --workdir and --env" { pdm_sc_run_user_workdir_env; }
@test "podman: run -d keeps the container running and logs holds its output" { pdm_sc_detached_logs; }
@test "podman: exec runs in the container's namespaces and cgroup and returns its exit status" { pdm_sc_exec_inside; }
@test "podman: exec with --user, --workdir and --env" { pdm_sc_exec_user_workdir_env; }
@test "podman: exec -t gives the exec'd process a terminal" { pdm_sc_exec_tty; }
@test "podman: exec of a missing binary fails and the container keeps running" { pdm_sc_exec_missing_binary; }
@test "podman: stop sends SIGTERM, then SIGKILL after the timeout" { pdm_sc_stop; }
@test "podman: kill delivers the chosen signal" { pdm_sc_kill; }
@test "podman: pause freezes the container and unpause thaws it" { pdm_sc_pause; }
@test "podman: restart runs the container again" { pdm_sc_restart; }
@test "podman: rm -f removes a running container and everything it had" { pdm_sc_rm_force; }
@test "podman: --memory sets the container's memory limit" { pdm_sc_memory; }
@test "podman: --cpus sets the container's CPU quota" { pdm_sc_cpus; }
@test "podman: --pids-limit sets the container's pids limit" { pdm_sc_pids_limit; }
@test "podman: --read-only makes the root filesystem read-only" { pdm_sc_read_only; }
@test "podman: -v bind volumes, read-write and read-only" { pdm_sc_volumes; }
@test "podman: --cap-drop removes the capability from the process" { pdm_sc_cap_drop; }
@test "podman: --security-opt seccomp=FILE applies that profile" { pdm_sc_seccomp; }
@test "podman: no shared-memory lock is left for the host's own podman" { pdm_sc_no_shm_lock; }
