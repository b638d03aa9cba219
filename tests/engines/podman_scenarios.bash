# podman's engine scenarios, one function each, shared by
# tests/bats/engine_podman.bats (the container runtime, on the host) and
# tests/bats/vm_engine_podman.bats (husk-vm, in the nested harness).  Where a
# VM differs, the scenario checks the guest's view (engine_vm; checks.bash):
# the state's pid is the monitor, the process runs under the guest's kernel,
# limits are seen inside the guest.  Each runs as NAME, with podman's private
# store (podman.bash).

source "$(dirname "${BASH_SOURCE[0]}")/podman.bash"
source "$(dirname "${BASH_SOURCE[0]}")/checks.bash"

pdm_sc_run_output_and_status() {
	run pdm_run run --rm --name "$NAME" "$PDM_IMAGE" sh -c "$ENGINE_HELLO_CMD"
	echo "$output"
	[ "$status" -eq 0 ]
	engine_check_hello "$output"
	run pdm_run run --rm --name "$NAME" "$PDM_IMAGE" sh -c 'exit 9'
	[ "$status" -eq 9 ]
}

pdm_sc_kernel() {
	run pdm_run run --rm --name "$NAME" "$PDM_IMAGE" sh -c "$ENGINE_KERNEL_CMD"
	engine_check_kernel
}

pdm_sc_run_missing_binary() {
	# podman run documents 127 for "the contained command cannot be found"; it
	# decides so from the runtime's error text (runc's "no such file or
	# directory" / "executable file not found").  In a VM the guest's agent
	# finds it missing: the container's status is 127.
	run -127 pdm_run run --rm --name "$NAME" "$PDM_IMAGE" /no-such-binary-here
	echo "$output"
	[[ "$output" == *"/no-such-binary-here"* ]]
}

pdm_sc_run_stdin() {
	run bash -c "$(declare -f pdm_ pdm_run); printf 'a\nb\n' | pdm_run run --rm -i --name $NAME $PDM_IMAGE sh -c 'wc -l; echo after-eof'"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '2\nafter-eof')" ]
}

pdm_sc_run_tty() {
	SHELL=/bin/bash run script -qec "$(declare -f pdm_ pdm_run); pdm_run run --rm -t --name $NAME $PDM_IMAGE sh -c 'tty; test -t 1 && echo out-is-tty'" /dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"/dev/pts/"* ]]
	[[ "$output" == *"out-is-tty"* ]]
}

pdm_sc_run_user_workdir_env() {
	run pdm_run run --rm --user 65534:65534 --workdir /tmp --env FOO=bar --name "$NAME" "$PDM_IMAGE" \
		sh -c 'echo "$(id -u):$(id -g) $(pwd) $FOO"'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "65534:65534 /tmp bar" ]
}

pdm_sc_detached_logs() {
	run pdm_run run -d --name "$NAME" "$PDM_IMAGE" sh -c 'echo first-line; echo second-line >&2; exec sleep 1000'
	[ "$status" -eq 0 ]
	pdm_wait_state "$NAME" running
	local i
	for ((i = 0; i < ENGINE_TIMEOUT * 10; i++)); do
		run pdm_ logs "$NAME"
		[[ "$output" == *second-line* ]] && break
		sleep 0.1
	done
	echo "$output"
	[[ "$output" == *first-line* ]]
	[[ "$output" == *second-line* ]]
	local pid
	pid=$(pdm_pid "$NAME")
	if engine_vm; then
		# the monitor, still running the guest
		[ -d /proc/"$pid" ]
		[ "$(pdm_state "$NAME")" = running ]
	else
		[ "$(cat /proc/"$pid"/comm)" = sleep ]
	fi
}

pdm_sc_exec_inside() {
	pdm_run run -d --name "$NAME" "$PDM_IMAGE" sleep 1000
	pdm_wait_state "$NAME" running
	local pid
	pid=$(pdm_pid "$NAME")
	run pdm_ exec "$NAME" sh -c "$(engine_exec_inside_cmd)"
	engine_check_exec_inside "$pid"
	engine_vm && return
	run pdm_ exec "$NAME" cat /proc/self/cgroup
	diff <(sort <<<"$output") <(sort /proc/"$pid"/cgroup)
}

pdm_sc_exec_user_workdir_env() {
	pdm_run run -d --name "$NAME" "$PDM_IMAGE" sleep 1000
	pdm_wait_state "$NAME" running
	run pdm_ exec --user 65534:65534 --workdir /tmp --env FOO=bar "$NAME" sh -c 'echo "$(id -u):$(id -g) $(pwd) $FOO"'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "65534:65534 /tmp bar" ]
}

pdm_sc_exec_tty() {
	pdm_run run -d --name "$NAME" "$PDM_IMAGE" sleep 1000
	pdm_wait_state "$NAME" running
	SHELL=/bin/bash run script -qec "$(declare -f pdm_); pdm_ exec -t $NAME sh -c 'tty; test -t 1 && echo out-is-tty; exit 5'" /dev/null
	echo "$output"
	[ "$status" -eq 5 ]
	[[ "$output" == *"/dev/pts/"* ]]
	[[ "$output" == *"out-is-tty"* ]]
}

pdm_sc_exec_missing_binary() {
	pdm_run run -d --name "$NAME" "$PDM_IMAGE" sleep 1000
	pdm_wait_state "$NAME" running
	# podman exec documents 127 for a command that cannot be found.
	run -127 pdm_ exec "$NAME" /no-such-exec-binary
	echo "$output"
	[ "$(pdm_state "$NAME")" = running ]
}

pdm_sc_stop() {
	pdm_run run -d --name "$NAME" "$PDM_IMAGE" sh -c "trap 'exit 42' TERM; $ENGINE_UP_CMD; while :; do sleep 0.1; done"
	pdm_wait_state "$NAME" running
	engine_wait_up "$(pdm_pid "$NAME")"
	run pdm_ stop -t 10 "$NAME"
	[ "$status" -eq 0 ]
	[ "$(pdm_state "$NAME")" = exited ]
	[ "$(pdm_ inspect --format '{{.State.ExitCode}}' "$NAME")" = 42 ]
	# A process that ignores TERM: only the SIGKILL after the timeout ends it.
	pdm_ rm "$NAME"
	pdm_run run -d --name "$NAME" "$PDM_IMAGE" sh -c "trap '' TERM; $ENGINE_UP_CMD; exec sleep 1000"
	pdm_wait_state "$NAME" running
	engine_wait_up "$(pdm_pid "$NAME")"
	run pdm_ stop -t 1 "$NAME"
	[ "$status" -eq 0 ]
	[ "$(pdm_state "$NAME")" = exited ]
	[ "$(pdm_ inspect --format '{{.State.ExitCode}}' "$NAME")" = 137 ]
}

pdm_sc_kill() {
	pdm_run run -d --name "$NAME" "$PDM_IMAGE" sh -c "trap 'exit 10' USR1; $ENGINE_UP_CMD; while :; do sleep 0.1; done"
	pdm_wait_state "$NAME" running
	engine_wait_up "$(pdm_pid "$NAME")"
	run pdm_ kill -s USR1 "$NAME"
	[ "$status" -eq 0 ]
	pdm_wait_state "$NAME" exited
	[ "$(pdm_ inspect --format '{{.State.ExitCode}}' "$NAME")" = 10 ]
}

pdm_sc_pause() {
	pdm_run run -d --name "$NAME" "$PDM_IMAGE" sh -c "$ENGINE_TICK_CMD"
	pdm_wait_state "$NAME" running
	local pid
	pid=$(pdm_pid "$NAME")
	engine_tick_started "$pid"
	run pdm_ pause "$NAME"
	[ "$status" -eq 0 ]
	[ "$(pdm_state "$NAME")" = paused ]
	engine_check_frozen "$pid"
	run pdm_ unpause "$NAME"
	[ "$status" -eq 0 ]
	[ "$(pdm_state "$NAME")" = running ]
	engine_check_thawed "$pid"
}

pdm_sc_restart() {
	pdm_run run -d --name "$NAME" "$PDM_IMAGE" sh -c "$ENGINE_RUNS_CMD"
	pdm_wait_state "$NAME" running
	local pid1 pid2
	pid1=$(pdm_pid "$NAME")
	engine_wait_runs "$pid1" 1
	run pdm_ restart -t 1 "$NAME"
	echo "$output"
	[ "$status" -eq 0 ]
	pdm_wait_state "$NAME" running
	pid2=$(pdm_pid "$NAME")
	[ "$pid1" != "$pid2" ]
	engine_pid_gone "$pid1"
	engine_wait_runs "$pid2" 2
	# the same rootfs, run twice; exec reaches the new one
	run pdm_ exec "$NAME" cat /tmp/runs
	echo "$output"
	[ "$output" = "$(printf 'started\nstarted')" ]
}

pdm_sc_rm_force() {
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
	engine_until "$ENGINE_TIMEOUT" engine_pid_gone "$pid"
	[ ! -d "$cg" ]
	pdm_assert_nothing_left
}

# After every container is gone (each test's teardown): no conmon, monitor
# or runtime process of ours, no runtime state for our bundles, no mount
# under the store but the storage's own, no cgroup under our parent but
# podman's own for conmons.
pdm_no_pids() { [ -z "$(pdm_own_pids)" ]; }
pdm_assert_nothing_left() {
	local left
	[ -n "${ENGINE_READY:-}" ] || return 0
	engine_until "$ENGINE_TIMEOUT" pdm_no_pids || { ps -o pid,args -p "$(pdm_own_pids | paste -sd,)"; return 1; }
	left=$("$RUNTIME" list --format json 2>/dev/null | jq -r --arg d "$PDM_DIR/" '.[]? | select(.bundle | startswith($d)) | .id')
	[ -z "$left" ] || { echo "runtime state left: $left"; return 1; }
	left=$(awk -v t="$PDM_DIR/" 'index($5, t) == 1 && $5 !~ "/(overlay|vfs)(-containers)?$" {print $5}' /proc/self/mountinfo)
	[ -z "$left" ] || { echo "mounts left: $left"; return 1; }
	left=$(find /sys/fs/cgroup/*"$PDM_CGROUP_PARENT" /sys/fs/cgroup/*/"${PDM_CGROUP_PARENT#/}" -mindepth 1 -type d ! -name conmon 2>/dev/null)
	[ -z "$left" ] || { echo "cgroups left: $left"; return 1; }
}

# --memory and --cpus: the cgroup's limits; in a VM also the guest's RAM and CPUs.
pdm_sc_memory() {
	run pdm_run run --rm --memory "${ENGINE_MEMORY_MIB}m" --name "$NAME" "$PDM_IMAGE" sh -c "$ENGINE_MEMTOTAL_CMD"
	engine_check_memtotal
	pdm_run run -d --memory "${ENGINE_MEMORY_MIB}m" --name "$NAME" "$PDM_IMAGE" sleep 1000
	pdm_wait_state "$NAME" running
	[ "$(pdm_cg "$NAME" memory)" = $((ENGINE_MEMORY_MIB * 1024 * 1024)) ]
}

pdm_sc_cpus() {
	run pdm_run run --rm --cpus "$ENGINE_CPUS" --name "$NAME" "$PDM_IMAGE" nproc
	engine_check_nproc
	pdm_run run -d --cpus "$ENGINE_CPUS" --name "$NAME" "$PDM_IMAGE" sleep 1000
	pdm_wait_state "$NAME" running
	[ "$(pdm_cg "$NAME" cpu)" = "${ENGINE_CPUS}00000 100000" ]
}

pdm_sc_pids_limit() {
	pdm_run run -d --pids-limit 42 --name "$NAME" "$PDM_IMAGE" sleep 1000
	pdm_wait_state "$NAME" running
	[ "$(pdm_cg "$NAME" pids)" = 42 ]
}

# podman's --read-only also mounts a tmpfs on /tmp.
pdm_sc_read_only() {
	run pdm_run run --rm --read-only --name "$NAME" "$PDM_IMAGE" sh -c "$ENGINE_READ_ONLY_CMD; touch /tmp/ok && echo tmp-writable"
	engine_check_read_only
	[[ "$output" == *"tmp-writable"* ]]
}

pdm_sc_volumes() {
	engine_volume_dirs "$PDM_DIR" "$NAME"
	run pdm_run run --rm -v "$ENGINE_VOL_RW:/rw" -v "$ENGINE_VOL_RO:/ro:ro" --name "$NAME" "$PDM_IMAGE" sh -c "$ENGINE_VOLUME_CMD"
	engine_check_volumes
}

pdm_sc_cap_drop() {
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

pdm_sc_seccomp() {
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

pdm_sc_no_shm_lock() {
	run pdm_run run --rm --name "$NAME" "$PDM_IMAGE" true
	[ "$status" -eq 0 ]
	if [ "$PDM_SHM_LOCK_BEFORE" = no ]; then
		[ ! -e "$PDM_SHM_LOCK" ]
	fi
	# file locks, in our private tmp_dir
	[ -d "$PDM_DIR/tmp/locks" ]
}
