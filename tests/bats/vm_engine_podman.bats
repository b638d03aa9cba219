#!/usr/bin/env bats
# podman (Debian's 4.3) with `--runtime .../husk-vm`: every container is a
# microVM.  The same scenarios as engine_podman.bats, from
# tests/engines/podman_scenarios.bash, checking the guest's view where a VM
# differs (engine_vm).  Needs hardware virtualization: tests/run-tests.sh runs
# this file in the nested harness (tests/nested/run) where the host has none;
# podman's store is private, under L1's /tmp.  No time bounds.

bats_require_minimum_version 1.5.0
load helpers
load ../engines/podman_scenarios

setup_file() {
	export ENGINE_TIMEOUT=300
	engine_use_husk_vm
	engine_setup_file podman pdm_start pdm_import_busybox
}
teardown_file() {
	pdm_stop
	engine_vm_cleanup
}
setup() {
	engine_setup
	NAME=vp$BATS_TEST_NUMBER-$RANDOM
}
teardown() {
	pdm_remove_all
	pdm_assert_nothing_left
}

@test "podman vm: run prints the process's output and passes its exit status" { pdm_sc_run_output_and_status; }
@test "podman vm: the process sees the guest's kernel, not the host's" { pdm_sc_kernel; }
@test "podman vm: run of a missing binary exits 127 with the agent's error" { pdm_sc_run_missing_binary; }
@test "podman vm: run -i passes stdin and its end" { pdm_sc_run_stdin; }
@test "podman vm: run -t gives the process a terminal" { pdm_sc_run_tty; }
@test "podman vm: run with --user, --workdir and --env" { pdm_sc_run_user_workdir_env; }
@test "podman vm: run -d keeps the VM running and logs holds its output" { pdm_sc_detached_logs; }
@test "podman vm: exec runs in the guest and returns its exit status" { pdm_sc_exec_inside; }
@test "podman vm: exec with --user, --workdir and --env" { pdm_sc_exec_user_workdir_env; }
@test "podman vm: exec -t gives the exec'd process a terminal" { pdm_sc_exec_tty; }
@test "podman vm: exec of a missing binary fails and the VM keeps running" { pdm_sc_exec_missing_binary; }
@test "podman vm: stop sends SIGTERM, then SIGKILL after the timeout" { pdm_sc_stop; }
@test "podman vm: kill delivers the chosen signal" { pdm_sc_kill; }
@test "podman vm: pause freezes the VM and unpause thaws it" { pdm_sc_pause; }
@test "podman vm: restart boots the container again" { pdm_sc_restart; }
@test "podman vm: rm -f removes a running VM and everything it had" { pdm_sc_rm_force; }
@test "podman vm: --memory sizes the guest's RAM and the cgroup" { pdm_sc_memory; }
@test "podman vm: --cpus gives the guest its CPUs and the cgroup its quota" { pdm_sc_cpus; }
@test "podman vm: --pids-limit sets the VM's pids limit" { pdm_sc_pids_limit; }
@test "podman vm: --read-only makes the guest's root read-only" { pdm_sc_read_only; }
@test "podman vm: -v bind volumes, read-write and read-only" { pdm_sc_volumes; }
@test "podman vm: --cap-drop removes the capability from the process" { pdm_sc_cap_drop; }
@test "podman vm: --security-opt seccomp=FILE applies that profile" { pdm_sc_seccomp; }
@test "podman vm: no shared-memory lock is left for the host's own podman" { pdm_sc_no_shm_lock; }
