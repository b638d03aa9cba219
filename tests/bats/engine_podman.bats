#!/usr/bin/env bats
# podman (Debian's package) with --runtime set to the runtime under test,
# vfs storage, the cgroupfs manager and no network; all its state is private
# to this file (tests/engines/podman.bash).
#   RUNTIME=/usr/sbin/runc bats tests/bats/engine_podman.bats   validates the tests.

bats_require_minimum_version 1.5.0
load helpers
load ../engines/podman

setup_file() {
	export RUNTIME=${RUNTIME:-$HUSK}
	RUNTIME=$(readlink -f "$RUNTIME")
	# (a skip here would fail the file with bats 1.8: setup skips instead)
	export PDM_SKIP=
	if ! command -v podman >/dev/null; then
		PDM_SKIP="podman is not installed (scripts/deps.d/engines.txt)"
		return 0
	fi
	pdm_start
	pdm_import_busybox
}

teardown_file() {
	pdm_stop
}

setup() {
	[ -z "$PDM_SKIP" ] || skip "$PDM_SKIP"
	[ -n "${PDM_IMAGE:-}" ] || skip "podman set-up failed"
	NAME=p$BATS_TEST_NUMBER-$RANDOM
}

teardown() {
	pdm_remove_all
}

@test "podman: run prints the process's output and passes its exit status" {
	run pdm_run run --rm --name "$NAME" "$PDM_IMAGE" sh -c 'echo "hello from pid $$"'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "hello from pid 1" ]
	run pdm_run run --rm --name "$NAME" "$PDM_IMAGE" sh -c 'exit 9'
	[ "$status" -eq 9 ]
}

@test "podman: run of a missing binary fails with the runtime's error" {
	# podman run documents 127 for "the contained command cannot be found"; it
	# decides so from the runtime's error text (runc's "no such file or
	# directory" / "executable file not found").
	run -127 pdm_run run --rm --name "$NAME" "$PDM_IMAGE" /no-such-binary-here
	echo "$output"
	[[ "$output" == *"/no-such-binary-here"* ]]
}

@test "podman: run -t gives the process a terminal" {
	SHELL=/bin/bash run script -qec "$(declare -f pdm_ pdm_run); pdm_run run --rm -t --name $NAME $PDM_IMAGE sh -c 'tty; test -t 1 && echo out-is-tty'" /dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"/dev/pts/"* ]]
	[[ "$output" == *"out-is-tty"* ]]
}

@test "podman: run -d keeps the container running and logs holds its output" {
	run pdm_run run -d --name "$NAME" "$PDM_IMAGE" sh -c 'echo first-line; echo second-line >&2; exec sleep 1000'
	[ "$status" -eq 0 ]
	pdm_wait_state "$NAME" running
	local i
	for ((i = 0; i < 50; i++)); do
		run pdm_ logs "$NAME"
		[[ "$output" == *second-line* ]] && break
		sleep 0.1
	done
	echo "$output"
	[[ "$output" == *first-line* ]]
	[[ "$output" == *second-line* ]]
	local pid
	pid=$(pdm_pid "$NAME")
	[ "$(cat /proc/"$pid"/comm)" = sleep ]
}

@test "podman: exec runs in the container's namespaces and cgroup and returns its exit status" {
	pdm_run run -d --name "$NAME" "$PDM_IMAGE" sleep 1000
	pdm_wait_state "$NAME" running
	local pid
	pid=$(pdm_pid "$NAME")
	run pdm_ exec "$NAME" sh -c 'cat /proc/1/comm; for n in pid mnt uts ipc net cgroup; do readlink /proc/self/ns/$n; done; exit 6'
	echo "$output"
	[ "$status" -eq 6 ]
	[ "${lines[0]}" = sleep ]
	local i=1 n
	for n in pid mnt uts ipc net cgroup; do
		[ "${lines[$i]}" = "$(readlink /proc/"$pid"/ns/$n)" ]
		i=$((i + 1))
	done
	run pdm_ exec "$NAME" cat /proc/self/cgroup
	diff <(sort <<<"$output") <(sort /proc/"$pid"/cgroup)
}

@test "podman: exec with --user, --workdir and --env" {
	pdm_run run -d --name "$NAME" "$PDM_IMAGE" sleep 1000
	pdm_wait_state "$NAME" running
	run pdm_ exec --user 65534:65534 --workdir /tmp --env FOO=bar "$NAME" sh -c 'echo "$(id -u):$(id -g) $(pwd) $FOO"'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "65534:65534 /tmp bar" ]
}

@test "podman: exec -t gives the exec'd process a terminal" {
	pdm_run run -d --name "$NAME" "$PDM_IMAGE" sleep 1000
	pdm_wait_state "$NAME" running
	SHELL=/bin/bash run script -qec "$(declare -f pdm_); pdm_ exec -t $NAME sh -c 'tty; test -t 1 && echo out-is-tty; exit 5'" /dev/null
	echo "$output"
	[ "$status" -eq 5 ]
	[[ "$output" == *"/dev/pts/"* ]]
	[[ "$output" == *"out-is-tty"* ]]
}

@test "podman: exec of a missing binary fails and the container keeps running" {
	pdm_run run -d --name "$NAME" "$PDM_IMAGE" sleep 1000
	pdm_wait_state "$NAME" running
	# podman exec documents 127 for a command that cannot be found.
	run -127 pdm_ exec "$NAME" /no-such-exec-binary
	echo "$output"
	[ "$(pdm_state "$NAME")" = running ]
}

@test "podman: stop sends SIGTERM, then SIGKILL after the timeout" {
	pdm_run run -d --name "$NAME" "$PDM_IMAGE" sh -c 'trap "exit 42" TERM; while :; do sleep 0.1; done'
	pdm_wait_state "$NAME" running
	run pdm_ stop -t 10 "$NAME"
	[ "$status" -eq 0 ]
	[ "$(pdm_state "$NAME")" = exited ]
	[ "$(pdm_ inspect --format '{{.State.ExitCode}}' "$NAME")" = 42 ]
	# sleep as pid 1 ignores TERM: only the SIGKILL after the timeout ends it.
	pdm_ rm "$NAME"
	pdm_run run -d --name "$NAME" "$PDM_IMAGE" sleep 1000
	pdm_wait_state "$NAME" running
	run pdm_ stop -t 1 "$NAME"
	[ "$status" -eq 0 ]
	[ "$(pdm_state "$NAME")" = exited ]
	[ "$(pdm_ inspect --format '{{.State.ExitCode}}' "$NAME")" = 137 ]
}

@test "podman: kill delivers the chosen signal" {
	pdm_run run -d --name "$NAME" "$PDM_IMAGE" sh -c 'trap "exit 10" USR1; while :; do sleep 0.1; done'
	pdm_wait_state "$NAME" running
	run pdm_ kill -s USR1 "$NAME"
	[ "$status" -eq 0 ]
	pdm_wait_state "$NAME" exited
	[ "$(pdm_ inspect --format '{{.State.ExitCode}}' "$NAME")" = 10 ]
}

@test "podman: pause freezes the container and unpause thaws it" {
	pdm_run run -d --name "$NAME" "$PDM_IMAGE" sh -c 'i=0; while :; do i=$((i + 1)); echo $i > /tmp/tick; sleep 0.05; done'
	pdm_wait_state "$NAME" running
	local pid t1 t2
	pid=$(pdm_pid "$NAME")
	run pdm_ pause "$NAME"
	[ "$status" -eq 0 ]
	[ "$(pdm_state "$NAME")" = paused ]
	local fz
	fz=$(pdm_cgroup_dir "$NAME" freezer)
	[ "$(cat "$fz/freezer.state" 2>/dev/null)" = FROZEN ] ||
		[ "$(cat "$fz/cgroup.freeze" 2>/dev/null)" = 1 ] ||
		[ "$(cat "/sys/fs/cgroup/unified${fz#/sys/fs/cgroup/freezer}/cgroup.freeze" 2>/dev/null)" = 1 ]
	t1=$(cat /proc/"$pid"/root/tmp/tick)
	sleep 0.3
	t2=$(cat /proc/"$pid"/root/tmp/tick)
	[ "$t1" = "$t2" ]
	run pdm_ unpause "$NAME"
	[ "$status" -eq 0 ]
	[ "$(pdm_state "$NAME")" = running ]
	sleep 0.3
	t2=$(cat /proc/"$pid"/root/tmp/tick)
	[ "$t1" != "$t2" ]
}

@test "podman: rm -f removes a running container and everything it had" {
	pdm_run run -d --name "$NAME" "$PDM_IMAGE" sleep 1000
	pdm_wait_state "$NAME" running
	local pid cg
	pid=$(pdm_pid "$NAME")
	cg=$(pdm_cgroup_dir "$NAME" pids)
	[ -d "$cg" ]
	run pdm_ rm -f -t 0 "$NAME"
	[ "$status" -eq 0 ]
	run pdm_ inspect "$NAME"
	[ "$status" -ne 0 ]
	local i
	for ((i = 0; i < 50; i++)); do
		[ -e /proc/"$pid" ] || break
		sleep 0.1
	done
	[ ! -e /proc/"$pid" ]
	[ ! -d "$cg" ]
}

@test "podman: --memory sets the container's memory limit" {
	pdm_run run -d --memory 64m --name "$NAME" "$PDM_IMAGE" sleep 1000
	pdm_wait_state "$NAME" running
	local cg
	cg=$(pdm_cgroup_dir "$NAME" memory)
	# v1 memory.limit_in_bytes, or v2 memory.max
	[ "$(cat "$cg/memory.limit_in_bytes" 2>/dev/null || cat "$cg/memory.max")" = $((64 * 1024 * 1024)) ]
}

@test "podman: --pids-limit sets the container's pids limit" {
	pdm_run run -d --pids-limit 42 --name "$NAME" "$PDM_IMAGE" sleep 1000
	pdm_wait_state "$NAME" running
	local cg
	cg=$(pdm_cgroup_dir "$NAME" pids)
	[ "$(cat "$cg/pids.max")" = 42 ]
}

@test "podman: --read-only makes the root filesystem read-only" {
	run pdm_run run --rm --read-only --name "$NAME" "$PDM_IMAGE" sh -c 'touch /newfile; echo rc=$?; touch /tmp/ok && echo tmp-writable'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Read-only file system"* ]]
	[[ "$output" == *"rc=1"* ]]
	[[ "$output" == *"tmp-writable"* ]]
}

@test "podman: --cap-drop removes the capability from the process" {
	run pdm_run run --rm --cap-drop all --cap-add CHOWN --name "$NAME" "$PDM_IMAGE" sh -c 'grep -E "^Cap(Eff|Prm|Bnd):" /proc/self/status'
	echo "$output"
	[ "$status" -eq 0 ]
	# CAP_CHOWN alone is bit 0.
	[[ "$output" == *"CapPrm:	0000000000000001"* ]]
	[[ "$output" == *"CapEff:	0000000000000001"* ]]
	[[ "$output" == *"CapBnd:	0000000000000001"* ]]
	run pdm_run run --rm --cap-drop NET_RAW --name "$NAME" "$PDM_IMAGE" sh -c 'grep CapEff /proc/self/status'
	local eff=$((16#$(awk '{print $2}' <<<"$output")))
	[ $((eff & (1 << 13))) -eq 0 ] # CAP_NET_RAW
	[ $((eff & 1)) -ne 0 ]
}

@test "podman: --security-opt seccomp=FILE applies that profile" {
	# Allow everything but mkdir/mkdirat, which fail with EPERM.
	jq -n '{defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_X86_64"],
		syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 1}]}' \
		>"$PDM_DIR/seccomp-$NAME.json"
	run pdm_run run --rm --security-opt seccomp="$PDM_DIR/seccomp-$NAME.json" --name "$NAME" "$PDM_IMAGE" \
		sh -c 'grep "^Seccomp:" /proc/self/status; mkdir /tmp/d; echo mkdir=$?; touch /tmp/f && echo touch-ok'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Seccomp:	2"* ]]
	[[ "$output" == *"Operation not permitted"* ]]
	[[ "$output" == *"mkdir=1"* ]]
	[[ "$output" == *"touch-ok"* ]]
}

@test "podman: no shared-memory lock is left for the host's own podman" {
	run pdm_run run --rm --name "$NAME" "$PDM_IMAGE" true
	[ "$status" -eq 0 ]
	if [ "$PDM_SHM_LOCK_BEFORE" = no ]; then
		[ ! -e "$PDM_SHM_LOCK" ]
	fi
	# file locks, in our private tmp_dir
	[ -d "$PDM_DIR/tmp/locks" ]
}
