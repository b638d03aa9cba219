#!/usr/bin/env bats
# Docker (Debian's docker.io 20.10) with a husk-vm link registered in
# daemon.json `runtimes` and made the default: every container is a microVM.
# The same scenarios as engine_docker.bats, from
# tests/engines/docker_scenarios.bash, checking the guest's view where a VM
# differs (engine_vm).  Needs hardware virtualization: tests/run-tests.sh runs
# this file in the nested harness (tests/nested/run) where the host has none;
# dockerd's data and exec roots are private, under L1's /tmp.  No time bounds.
# Not here, as they check a container's kernel objects that a guest does not
# share: --sysctl, --tmpfs/--shm-size, --device, the seccomp status of pid 1.

bats_require_minimum_version 1.5.0
load helpers
load ../engines/docker_scenarios

setup_file() {
	export ENGINE_TIMEOUT=300
	engine_use_husk_vm
	engine_setup_file "$DOCKERD_BIN" dkr_start dkr_import_busybox
}
teardown_file() {
	dkr_stop
	engine_vm_cleanup
}
setup() {
	engine_setup
	NAME=vd$BATS_TEST_NUMBER-$RANDOM
}
# after each test: nothing of its containers left (docker.bash)
teardown() {
	dkr_remove_all
	dkr_check_nothing_left
}

@test "docker vm: husk-vm is the daemon's default runtime, its containers VMs" { dkr_sc_default_runtime; }
@test "docker vm: run prints the output and passes the exit status; a missing binary is 127" { dkr_sc_run_output_and_status; }
@test "docker vm: the process sees the guest's kernel, not the host's" { dkr_sc_kernel; }
@test "docker vm: run -i passes stdin through" { dkr_sc_run_stdin; }
@test "docker vm: run -t gives the process a terminal" { dkr_sc_run_tty; }
@test "docker vm: --env, --user and --workdir reach the process" { dkr_sc_env_user_workdir; }
@test "docker vm: --read-only makes the guest's root read-only" { dkr_sc_read_only; }
@test "docker vm: --memory and --cpus size the guest, and the cgroup" { dkr_sc_limits; }
@test "docker vm: exec runs in the guest and returns its exit status" { dkr_sc_exec_inside; }
@test "docker vm: run -d, then top, logs, stop, start and rm" { dkr_sc_detached_lifecycle; }
@test "docker vm: pause freezes the VM, unpause thaws it" { dkr_sc_pause; }
@test "docker vm: update applies CPU limits and refuses memory ones, saying why" { dkr_sc_update; }
@test "docker vm: stats reports the VM's usage against its limit" { dkr_sc_stats; }
@test "docker vm: a healthcheck runs in the guest and turns it healthy" { dkr_sc_healthcheck; }
@test "docker vm: --init runs docker-init in the guest, reaping for the command" { dkr_sc_init; }
@test "docker vm: --ulimit sets the process's rlimits in the guest" { dkr_sc_ulimit; }
@test "docker vm: bind and named volumes are shared with the host" { dkr_sc_volumes; }
@test "docker vm: restart policies and docker restart boot the VM again" { dkr_sc_restart; }
@test "docker vm: nothing is left behind once the containers are removed" { dkr_sc_nothing_left; }
