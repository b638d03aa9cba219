#!/usr/bin/env bats
# Docker (Debian's docker.io 20.10) with the runtime under test registered in
# daemon.json `runtimes` and made the default, as a user would drop husk in.
# A private dockerd for this file: own data root, exec root, socket, the
# containerd it manages, vfs storage, cgroupfs, no bridge and no iptables
# (tests/engines/docker.bash).  Limits are checked in the container's cgroup
# files and /proc, wherever the host's layout puts them.  The scenarios are
# shared with vm_engine_docker.bats (tests/engines/docker_scenarios.bash).
#   RUNTIME=/usr/sbin/runc bats tests/bats/engine_docker.bats   validates the tests.

bats_require_minimum_version 1.5.0
load helpers
load ../engines/docker_scenarios

setup_file() { engine_setup_file "$DOCKERD_BIN" dkr_start dkr_import_busybox; }
teardown_file() { dkr_stop; }
setup() {
	engine_setup
	NAME=d$BATS_TEST_NUMBER-$RANDOM
}
# after each test: nothing of its containers left (docker.bash)
teardown() {
	dkr_remove_all
	dkr_check_nothing_left
}

@test "docker: the runtime under test is the daemon's default" { dkr_sc_default_runtime; }
@test "docker: run prints the output and passes the exit status; a missing binary is 127" { dkr_sc_run_output_and_status; }
@test "docker: the process sees the host's kernel" { dkr_sc_kernel; }
@test "docker: run -i passes stdin through" { dkr_sc_run_stdin; }
@test "docker: run -t gives the process a terminal" { dkr_sc_run_tty; }
@test "docker: --env, --user and --workdir reach the process" { dkr_sc_env_user_workdir; }
@test "docker: --read-only mounts the root read-only" { dkr_sc_read_only; }
@test "docker: --memory, --cpus and --pids-limit are in the container's cgroup" { dkr_sc_limits; }
@test "docker: exec runs in the container's namespaces and returns its exit status" { dkr_sc_exec_inside; }
@test "docker: run -d, then top, logs, stop, start and rm" { dkr_sc_detached_lifecycle; }
@test "docker: pause freezes the cgroup, unpause thaws it" { dkr_sc_pause; }
@test "docker: update changes the limits in the cgroup, and only those given" { dkr_sc_update; }
@test "docker: stats reports the container's usage against its limit" { dkr_sc_stats; }
@test "docker: a healthcheck runs in the container and turns it healthy" { dkr_sc_healthcheck; }
@test "docker: --init runs docker-init as pid 1, reaping for the command" { dkr_sc_init; }
@test "docker: --ulimit sets the process's rlimits" { dkr_sc_ulimit; }
@test "docker: --sysctl sets namespaced sysctls in the container only" { dkr_sc_sysctl; }
@test "docker: --tmpfs and --shm-size mount what was asked" { dkr_sc_tmpfs_shm; }
@test "docker: bind and named volumes are shared with the host" { dkr_sc_volumes; }
@test "docker: --device passes the node and its cgroup permission, nothing more" { dkr_sc_device; }
@test "docker: the default seccomp profile filters; unconfined does not" { dkr_sc_seccomp; }
@test "docker: restart policies and docker restart start the container again" { dkr_sc_restart; }
@test "docker: nothing is left behind once the containers are removed" { dkr_sc_nothing_left; }
