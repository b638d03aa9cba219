# containerd's engine scenarios, one function each, shared by
# tests/bats/engine_containerd.bats (the container runtime, on the host) and
# tests/bats/vm_engine_containerd.bats (husk-vm, in the nested harness).
# Where a VM differs, the scenario checks the guest's view (engine_vm;
# checks.bash): the task's pid is the monitor, the process runs under the
# guest's kernel, limits are seen inside the guest.  Each runs as task ID in the private daemon (containerd.bash).

source "$(dirname "${BASH_SOURCE[0]}")/containerd.bash"
source "$(dirname "${BASH_SOURCE[0]}")/checks.bash"

# ctr on a pty (run_on_pty, helpers.bash), against our daemon and namespace.
ctrd_on_pty() { # ARGS...: one shell command line after "ctr"
	run_on_pty 120 "ctr --address $CTRD_SOCK --namespace $CTRD_NS $*"
}

ctrd_sc_run_output() {
	run ctrd_run --rm "$ID" sh -c "$ENGINE_HELLO_CMD; readlink /proc/self/ns/mnt"
	echo "$output"
	[ "$status" -eq 0 ]
	engine_check_hello "${lines[0]}"
	engine_vm || [ "${lines[1]}" != "$(readlink /proc/self/ns/mnt)" ]
}

ctrd_sc_kernel() {
	run ctrd_run --rm "$ID" sh -c "$ENGINE_KERNEL_CMD"
	engine_check_kernel
}

ctrd_sc_exit_status() {
	run ctrd_run --rm "$ID" sh -c 'exit 7'
	[ "$status" -eq 7 ]
}

# ctr run never tells the shim that its stdin ended (no CloseIO): the
# process reads what it needs and exits by itself.
ctrd_sc_stdin() {
	run bash -c "$(declare -f ctr_ ctrd_run); printf 'a\nb\n' | ctrd_run --rm $ID sh -c 'read x; read y; echo \$x-\$y'"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = a-b ]
}

ctrd_sc_tty() {
	run ctrd_on_pty "run --runc-binary $RUNTIME --runc-root $CTRD_DIR/runtime-root --cgroup /$CTRD_NS/$ID --rm -t $CTRD_IMAGE $ID sh -c 'tty; test -t 0 && echo stdin-is-tty'"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"/dev/pts/"* ]]
	[[ "$output" == *"stdin-is-tty"* ]]
}

ctrd_sc_env_workdir() {
	run ctrd_run --rm --env=FOO=bar --cwd=/tmp "$ID" sh -c 'echo "$(pwd) $FOO"'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "/tmp bar" ]
}

ctrd_sc_missing_binary() {
	if engine_vm; then
		# the guest's agent finds it missing, after start: the task's status
		run -127 ctrd_run --rm "$ID" /no-such-binary-here
		echo "$output"
		[[ "$output" == *"/no-such-binary-here"* ]]
		return
	fi
	run ctrd_run --rm "$ID" /no-such-binary-here
	echo "$output"
	[[ "$output" == *"/no-such-binary-here"* ]]
	[ "$status" -ne 0 ]
	# The shim reads the runtime's last error from <bundle>/log.json; without
	# it, all ctr can say is "did not terminate successfully: exit status 1".
	[[ "$output" == *"OCI runtime create failed"* ]]
	[[ "$output" != *"did not terminate successfully"* ]]
	[ -z "$(ctrd_task_status "$ID")" ]
}

ctrd_sc_exec_inside() {
	ctrd_run -d "$ID" sleep 1000
	ctrd_wait_status "$ID" RUNNING
	local pid
	pid=$(ctrd_task_pid "$ID")
	run ctrd_exec --exec-id e1 "$ID" sh -c "$(engine_exec_inside_cmd)"
	engine_check_exec_inside "$pid"
	engine_vm && return
	# Same cgroup lines as init (the exec'd cat is in /proc/self; init is pid 1).
	run ctrd_exec --exec-id e2 "$ID" cat /proc/self/cgroup
	echo "$output"
	[ "$status" -eq 0 ]
	diff <(sort <<<"$output") <(sort /proc/"$pid"/cgroup)
}

ctrd_sc_exec_user_workdir_env() {
	# (ctr task exec has no --env: the process has the container's)
	ctrd_run -d --env=FOO=bar "$ID" sleep 1000
	ctrd_wait_status "$ID" RUNNING
	run ctrd_exec --exec-id e1 --user 65534 --cwd /tmp "$ID" sh -c 'echo "$(id -u) $(pwd) $FOO"'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "65534 /tmp bar" ]
}

ctrd_sc_exec_tty() {
	ctrd_run -d "$ID" sleep 1000
	ctrd_wait_status "$ID" RUNNING
	run ctrd_on_pty "task exec --fifo-dir $CTRD_DIR/fifo -t --exec-id e1 $ID sh -c 'tty; test -t 1 && echo out-is-tty; exit 3'"
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *"/dev/pts/"* ]]
	[[ "$output" == *"out-is-tty"* ]]
}

ctrd_sc_exec_missing_binary() {
	ctrd_run -d "$ID" sleep 1000
	ctrd_wait_status "$ID" RUNNING
	run ctrd_exec --exec-id e1 "$ID" /no-such-exec-binary
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"/no-such-exec-binary"* ]]
	local log=$CTRD_DIR/state/io.containerd.runtime.v2.task/$CTRD_NS/$ID/log.json
	[ -s "$log" ]
	cat "$log"
	# Every line is a JSON object; one of them is the error, at level error.
	jq -e . "$log" >/dev/null
	jq -se 'map(select(.level == "error" and (.msg | contains("/no-such-exec-binary")))) | length > 0' "$log"
	# The container is still fine.
	[ "$(ctrd_task_status "$ID")" = RUNNING ]
}

ctrd_sc_detached_logs() {
	ctr_ run -d --fifo-dir "$CTRD_DIR/fifo" --runc-binary "$RUNTIME" --runc-root "$CTRD_DIR/runtime-root" \
		--cgroup "/$CTRD_NS/$ID" --log-uri "file://$CTRD_DIR/log-$ID" "$CTRD_IMAGE" "$ID" \
		sh -c 'echo first-line; echo second-line >&2; exec sleep 1000'
	ctrd_wait_status "$ID" RUNNING
	engine_until "$ENGINE_TIMEOUT" grep -q second-line "$CTRD_DIR/log-$ID"
	cat "$CTRD_DIR/log-$ID"
	grep -q first-line "$CTRD_DIR/log-$ID"
}

ctrd_sc_kill() {
	ctrd_run -d "$ID" sh -c "trap 'exit 42' TERM; $ENGINE_UP_CMD; while :; do sleep 0.1; done"
	ctrd_wait_status "$ID" RUNNING
	engine_wait_up "$(ctrd_task_pid "$ID")"
	run ctr_ task kill "$ID"
	[ "$status" -eq 0 ]
	ctrd_wait_status "$ID" STOPPED
	# SIGKILL on a task that ignores TERM
	ctr_ task delete "$ID"
	ctr_ container delete "$ID"
	ctrd_run -d "$ID" sh -c "trap '' TERM; $ENGINE_UP_CMD; exec sleep 1000"
	ctrd_wait_status "$ID" RUNNING
	engine_wait_up "$(ctrd_task_pid "$ID")"
	run ctr_ task kill -s SIGKILL "$ID"
	[ "$status" -eq 0 ]
	ctrd_wait_status "$ID" STOPPED
}

ctrd_sc_kill_all() {
	ctrd_run -d "$ID" sleep 1000
	ctrd_wait_status "$ID" RUNNING
	ctrd_exec -d --exec-id e1 "$ID" sleep 1001
	# The runtime's kill --all must accept the call (it errors out otherwise).
	run ctr_ task kill -a -s SIGKILL "$ID"
	[ "$status" -eq 0 ]
	ctrd_wait_status "$ID" STOPPED
}

ctrd_sc_pause() {
	ctrd_run -d "$ID" sh -c "$ENGINE_TICK_CMD"
	ctrd_wait_status "$ID" RUNNING
	local pid
	pid=$(ctrd_task_pid "$ID")
	engine_tick_started "$pid"
	ctr_ task pause "$ID"
	ctrd_wait_status "$ID" PAUSED
	engine_check_frozen "$pid"
	ctr_ task resume "$ID"
	ctrd_wait_status "$ID" RUNNING
	engine_check_thawed "$pid"
}

# A stopped container's task started again (ctr has no restart).
ctrd_sc_restart() {
	ctrd_run -d "$ID" sh -c "$ENGINE_RUNS_CMD"
	ctrd_wait_status "$ID" RUNNING
	local pid1 pid2
	pid1=$(ctrd_task_pid "$ID")
	engine_wait_runs "$pid1" 1
	ctr_ task kill -s SIGKILL "$ID"
	ctrd_wait_status "$ID" STOPPED
	ctr_ task delete "$ID"
	ctr_ task start -d --fifo-dir "$CTRD_DIR/fifo" "$ID"
	ctrd_wait_status "$ID" RUNNING
	pid2=$(ctrd_task_pid "$ID")
	[ "$pid1" != "$pid2" ]
	engine_wait_runs "$pid2" 2
	# the same rootfs, run twice; exec reaches the new one
	run ctrd_exec --exec-id e1 "$ID" cat /tmp/runs
	echo "$output"
	[ "$output" = "$(printf 'started\nstarted')" ]
}

ctrd_sc_delete() {
	ctrd_run -d "$ID" sleep 1000
	ctrd_wait_status "$ID" RUNNING
	[ -d "$CTRD_DIR/runtime-root/$CTRD_NS/$ID" ] || [ -d "$CTRD_DIR/runtime-root/$ID" ]
	local pid
	pid=$(ctrd_task_pid "$ID")
	ctr_ task kill -s SIGKILL "$ID"
	ctrd_wait_status "$ID" STOPPED
	run ctr_ task delete "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$(ctrd_task_status "$ID")" ]
	[ ! -e "$CTRD_DIR/runtime-root/$CTRD_NS/$ID" ]
	[ ! -e "$CTRD_DIR/runtime-root/$ID" ]
	engine_until "$ENGINE_TIMEOUT" engine_pid_gone "$pid"
	# no cgroup of it in any hierarchy, whatever the host's layout
	local d
	for d in /sys/fs/cgroup/*/"$CTRD_NS/$ID" /sys/fs/cgroup/"$CTRD_NS/$ID"; do
		[ ! -d "$d" ]
	done
	# no mount of its rootfs, no shim of it
	run ! grep -F "/$ID/rootfs" /proc/self/mountinfo
	[ -z "$(engine_pids_under "$CTRD_DIR/state/io.containerd.runtime.v2.task/$CTRD_NS/$ID")" ]
	run ctr_ container delete "$ID"
	[ "$status" -eq 0 ]
}

# --memory-limit and --cpus: the cgroup's limits; in a VM also the guest's
# RAM and CPUs.
ctrd_sc_memory() {
	local bytes=$((ENGINE_MEMORY_MIB * 1024 * 1024))
	run ctrd_run --rm --memory-limit="$bytes" "$ID" sh -c "$ENGINE_MEMTOTAL_CMD"
	engine_check_memtotal
	ctrd_run -d --memory-limit="$bytes" "$ID" sleep 1000
	ctrd_wait_status "$ID" RUNNING
	[ "$(ctrd_cg "$ID" memory)" = "$bytes" ]
}

ctrd_sc_cpus() {
	run ctrd_run --rm --cpus="$ENGINE_CPUS" "$ID" nproc
	engine_check_nproc
	ctrd_run -d --cpus="$ENGINE_CPUS" "$ID" sleep 1000
	ctrd_wait_status "$ID" RUNNING
	[ "$(ctrd_cg "$ID" cpu)" = "${ENGINE_CPUS}00000 100000" ]
}

ctrd_sc_read_only() {
	run ctrd_run --rm --read-only "$ID" sh -c "$ENGINE_READ_ONLY_CMD"
	engine_check_read_only
}

ctrd_sc_volumes() {
	engine_volume_dirs "$CTRD_DIR" "$ID"
	run ctrd_run --rm --mount="type=bind,src=$ENGINE_VOL_RW,dst=/rw,options=rbind:rw" \
		--mount="type=bind,src=$ENGINE_VOL_RO,dst=/ro,options=rbind:ro" "$ID" sh -c "$ENGINE_VOLUME_CMD"
	engine_check_volumes
}

# After every task and container is gone (each test's teardown): no shim or
# monitor of ours (the daemon stays), no runtime state, no rootfs mount, no
# cgroup in our namespace's.
ctrd_shim_pids() { engine_pids_under "$CTRD_DIR" | grep -vx "$CTRD_PID"; }
ctrd_no_shims() { [ -z "$(ctrd_shim_pids)" ]; }
ctrd_assert_nothing_left() {
	local left
	[ -n "${ENGINE_READY:-}" ] || return 0
	engine_until "$ENGINE_TIMEOUT" ctrd_no_shims || { ps -o pid,args -p "$(ctrd_shim_pids | paste -sd,)"; return 1; }
	# (husk keeps an empty dir to reuse, .spare-state-dir: no container id starts with '.')
	left=$(find "$CTRD_DIR/runtime-root" -mindepth 2 -maxdepth 2 ! -name '.*' 2>/dev/null)
	[ -z "$left" ] || { echo "runtime state left: $left"; return 1; }
	left=$(awk -v t="$CTRD_DIR/state/" 'index($5, t) == 1 {print $5}' /proc/self/mountinfo)
	[ -z "$left" ] || { echo "mounts left: $left"; return 1; }
	left=$(find /sys/fs/cgroup/*/"$CTRD_NS" /sys/fs/cgroup/"$CTRD_NS" -mindepth 1 -type d 2>/dev/null)
	[ -z "$left" ] || { echo "cgroups left: $left"; return 1; }
}
