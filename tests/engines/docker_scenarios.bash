# Docker's engine scenarios, one function each, shared by
# tests/bats/engine_docker.bats (the container runtime, on the host) and
# tests/bats/vm_engine_docker.bats (husk-vm, in the nested harness).  Where a
# VM differs, the scenario checks the guest's view (engine_vm): the state's
# pid is the monitor, the process runs under the guest's kernel (its pid is
# not 1: the agent is the guest's init), and limits are seen inside the
# guest as well as in the cgroup (with the engines' common checks,
# checks.bash).  Each runs as NAME against the private dockerd of docker.bash.

source "$(dirname "${BASH_SOURCE[0]}")/docker.bash"
source "$(dirname "${BASH_SOURCE[0]}")/checks.bash"

dkr_sc_default_runtime() {
	run dkr_ info --format '{{.DefaultRuntime}}'
	[ "$output" = husk-under-test ]
	dkr_run run -d --name "$NAME" "$DKR_IMAGE" sleep 1000
	local id
	id=$(dkr_cid "$NAME")
	# the runtime's own state: its state root is under our exec root
	run "$RUNTIME" --root "$(dkr_runtime_root)" state "$id"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(jq -r .status <<<"$output")" = running ]
	[ "$(jq -r .pid <<<"$output")" = "$(dkr_pid "$NAME")" ]
	# the kernel's view: the state's pid holds a KVM VM in a VM's case only
	local fds
	fds=$(readlink /proc/"$(dkr_pid "$NAME")"/fd/*)
	if engine_vm; then
		grep -q '^anon_inode:kvm-vm$' <<<"$fds"
	else
		run ! grep -q kvm <<<"$fds"
	fi
}

dkr_sc_run_output_and_status() {
	run dkr_run run --rm --name "$NAME" "$DKR_IMAGE" sh -c "$ENGINE_HELLO_CMD"
	echo "$output"
	[ "$status" -eq 0 ]
	engine_check_hello "$output"
	run -9 dkr_run run --rm --name "$NAME" "$DKR_IMAGE" sh -c 'exit 9'
	# docker documents 127 for "the contained command cannot be found", from the
	# runtime's error text (in a VM, the guest agent's).
	run -127 dkr_run run --rm --name "$NAME" "$DKR_IMAGE" /no-such-binary-here
	echo "$output"
	[[ "$output" == *"/no-such-binary-here"* ]]
}

dkr_sc_kernel() {
	run dkr_run run --rm --name "$NAME" "$DKR_IMAGE" sh -c "$ENGINE_KERNEL_CMD"
	engine_check_kernel
}

dkr_sc_run_stdin() {
	run dkr_run run --rm -i --name "$NAME" "$DKR_IMAGE" sh -c 'read line; echo "got $line"; cat' <<<$'one\ntwo'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "got one" ]
	[ "${lines[1]}" = "two" ]
	# without -i the process's stdin is empty
	run dkr_run run --rm --name "$NAME" "$DKR_IMAGE" sh -c 'cat; echo "eof"' <<<'not-passed'
	[ "$output" = eof ]
}

dkr_sc_run_tty() {
	SHELL=/bin/bash run script -qec "$(declare -f dkr_ dkr_run); dkr_run run --rm -t --name $NAME $DKR_IMAGE sh -c 'tty; test -t 1 && echo out-is-tty; stty size'" /dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"/dev/pts/"* ]]
	[[ "$output" == *"out-is-tty"* ]]
}

dkr_sc_env_user_workdir() {
	run dkr_run run --rm --name "$NAME" -e FOO=bar -u 65534:65534 -w /tmp "$DKR_IMAGE" \
		sh -c 'echo "$(id -u):$(id -g) $(pwd) $FOO"'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "65534:65534 /tmp bar" ]
}

dkr_sc_read_only() {
	dkr_run run -d --read-only --name "$NAME" "$DKR_IMAGE" sleep 1000
	dkr_wait_state "$NAME" running
	local pid
	pid=$(dkr_pid "$NAME")
	# the host kernel's view: the container's / is mounted ro.  In a VM, pid
	# is the monitor, inside that mount namespace: the guest's share is served
	# from it (its own mount of the share is rw, so that the engine's rw
	# mounts under / stay writable), and the host refuses writes to /.
	awk '$5 == "/" {print $6}' /proc/"$pid"/mountinfo | grep -qE '(^|,)ro(,|$)'
	run dkr_ exec "$NAME" sh -c "$ENGINE_READ_ONLY_CMD"
	engine_check_read_only
}

# A CPU quota of QUOTA us per 100 ms: --cpus where the host has 2 CPUs; Docker
# refuses more CPUs than the host's (L1 of the nested harness has one), so
# there the same quota as period and quota (and an update must use the form
# the container was created with).
dkr_cpu_flags() { # QUOTA
	if [ "$(nproc)" -ge 2 ]; then
		echo --cpus "$(awk -v q="$1" 'BEGIN { print q / 100000 }')"
	else
		echo --cpu-period 100000 --cpu-quota "$1"
	fi
}

# ENGINE_CPUS is more than the host's CPUs, which Docker's --cpus refuses:
# the same quota as period and quota.
dkr_sc_limits() {
	dkr_run run -d --name "$NAME" --memory "${ENGINE_MEMORY_MIB}m" --cpu-period 100000 \
		--cpu-quota $((ENGINE_CPUS * 100000)) --pids-limit 42 "$DKR_IMAGE" sleep 1000
	dkr_wait_state "$NAME" running
	[ "$(dkr_cg "$NAME" memory)" = $((ENGINE_MEMORY_MIB * 1024 * 1024)) ]
	[ "$(dkr_cg "$NAME" cpu)" = "$((ENGINE_CPUS * 100000)) 100000" ]
	[ "$(dkr_cg "$NAME" pids)" = 42 ]
	# what the process sees: the host's in a container, the guest's in a VM
	run dkr_ exec "$NAME" sh -c "$ENGINE_MEMTOTAL_CMD"
	engine_check_memtotal
	run dkr_ exec "$NAME" nproc
	engine_check_nproc
}

dkr_sc_exec_inside() {
	dkr_run run -d --name "$NAME" "$DKR_IMAGE" sleep 1000
	dkr_wait_state "$NAME" running
	run dkr_ exec "$NAME" sh -c "$(engine_exec_inside_cmd)"
	engine_check_exec_inside "$(dkr_pid "$NAME")"
}

dkr_sc_detached_lifecycle() {
	# the trap is set before "started" is written: a VM's start returns
	# before the guest has booted
	dkr_run run -d --name "$NAME" "$DKR_IMAGE" sh -c 'trap "echo got-term; exit 3" TERM; echo started; while :; do sleep 0.1; done'
	dkr_wait_state "$NAME" running
	local pid
	pid=$(dkr_pid "$NAME")
	engine_until "$ENGINE_TIMEOUT" eval '[ "$(dkr_ logs "$NAME")" = started ]'
	# top lists the container's host processes (a VM's: the monitor)
	run dkr_ top "$NAME"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"$pid"* ]]
	run dkr_ logs "$NAME"
	[ "$output" = started ]
	run dkr_ stop -t 30 "$NAME"
	[ "$status" -eq 0 ]
	[ "$(dkr_state "$NAME")" = exited ]
	[ "$(dkr_ inspect --format '{{.State.ExitCode}}' "$NAME")" = 3 ]
	process_ended "$pid"
	run dkr_ start "$NAME"
	[ "$status" -eq 0 ]
	dkr_wait_state "$NAME" running
	[ "$(dkr_pid "$NAME")" != "$pid" ]
	engine_until "$ENGINE_TIMEOUT" eval '[ "$(dkr_ logs "$NAME")" = "$(printf "started\ngot-term\nstarted")" ]'
	run dkr_ rm -f "$NAME"
	[ "$status" -eq 0 ]
	run dkr_ inspect "$NAME"
	[ "$status" -ne 0 ]
}

dkr_sc_pause() {
	dkr_run run -d --name "$NAME" "$DKR_IMAGE" sh -c "$ENGINE_TICK_CMD"
	dkr_wait_state "$NAME" running
	local pid
	pid=$(dkr_pid "$NAME")
	engine_tick_started "$pid"
	dkr_ pause "$NAME"
	[ "$(dkr_state "$NAME")" = paused ]
	engine_check_frozen "$pid"
	run dkr_ exec "$NAME" true
	[ "$status" -ne 0 ]
	[[ "$output" == *paused* ]]
	dkr_ unpause "$NAME"
	[ "$(dkr_state "$NAME")" = running ]
	engine_check_thawed "$pid"
	run dkr_ exec "$NAME" echo alive
	[ "$output" = alive ]
}

dkr_sc_update() {
	dkr_run run -d --name "$NAME" --memory 128m $(dkr_cpu_flags 50000) --pids-limit 42 "$DKR_IMAGE" sleep 1000
	dkr_wait_state "$NAME" running
	if engine_vm; then
		# guest RAM is fixed at boot: a memory limit is refused, saying why
		run dkr_ update --memory 256m "$NAME"
		echo "$output"
		[ "$status" -ne 0 ]
		[[ "$output" == *"VM"* ]]
		[ "$(dkr_cg "$NAME" memory)" = 134217728 ]
	else
		# Docker sends a zero for every field not given: they must stay as
		# they are (Docker made memsw 2 x 128m).
		run dkr_ update --memory 256m "$NAME"
		echo "$output"
		[ "$status" -eq 0 ]
		[ "$(dkr_cg "$NAME" memory)" = 268435456 ]
		[ "$(dkr_cg "$NAME" cpu)" = "50000 100000" ]
		[ "$(dkr_cg "$NAME" pids)" = 42 ]
	fi
	run dkr_ update $(dkr_cpu_flags 200000) --pids-limit 7 "$NAME"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(dkr_cg "$NAME" cpu)" = "200000 100000" ]
	[ "$(dkr_cg "$NAME" pids)" = 7 ]
	engine_vm && return 0
	[ "$(dkr_cg "$NAME" memory)" = 268435456 ]
	# and a container started without any limit at all
	dkr_ rm -f "$NAME" >/dev/null
	dkr_run run -d --name "$NAME" "$DKR_IMAGE" sleep 1000
	dkr_wait_state "$NAME" running
	[ "$(dkr_cg "$NAME" memory)" = max ]
	# (Docker itself refuses --memory alone here: "should be smaller than
	# already set memoryswap limit")
	run dkr_ update --memory 100m --memory-swap -1 "$NAME"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(dkr_cg "$NAME" memory)" = 104857600 ]
}

dkr_sc_stats() {
	dkr_run run -d --name "$NAME" --memory 128m "$DKR_IMAGE" sleep 1000
	dkr_wait_state "$NAME" running
	run dkr_ stats --no-stream --format '{{.Name}} {{.MemUsage}} {{.PIDs}}' "$NAME"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" != "$NAME 0B / 128MiB"* ]]
	if engine_vm; then
		# the monitor's threads: vCPU, I/O, relay
		[[ "$output" =~ ^"$NAME "[^/]*" / 128MiB "[0-9]+$ ]]
	else
		[[ "$output" == "$NAME "*" / 128MiB 1" ]]
	fi
}

dkr_sc_healthcheck() {
	dkr_run run -d --name "$NAME" --health-cmd 'test -e /tmp/ready' --health-interval 1s \
		--health-retries 1 "$DKR_IMAGE" sh -c 'sleep 2; touch /tmp/ready; exec sleep 1000'
	dkr_wait_state "$NAME" running
	health() { [ "$(dkr_ inspect --format '{{.State.Health.Status}}' "$NAME")" = "$1" ]; }
	engine_until "$ENGINE_TIMEOUT" health healthy
	dkr_ exec "$NAME" rm /tmp/ready
	engine_until "$ENGINE_TIMEOUT" health unhealthy
}

dkr_sc_init() {
	dkr_run run -d --init --name "$NAME" "$DKR_IMAGE" sleep 1000
	dkr_wait_state "$NAME" running
	local pid
	pid=$(dkr_pid "$NAME")
	if engine_vm; then
		# in the guest, beside the agent (its init): docker-init runs sleep
		run dkr_ exec "$NAME" sh -c 'tr "\0" " " </proc/$(pidof docker-init)/cmdline'
	else
		# Docker binds docker-init at /sbin/docker-init
		[ "$(readlink /proc/"$pid"/exe)" = /sbin/docker-init ]
		run dkr_ exec "$NAME" sh -c 'cat /proc/1/cmdline | tr "\0" " "'
	fi
	echo "$output"
	[[ "$output" == "/sbin/docker-init -- sleep 1000"* ]]
	# docker stop: TERM reaches sleep through the init, which exits with it
	run dkr_ stop -t 20 "$NAME"
	[ "$status" -eq 0 ]
	[ "$(dkr_ inspect --format '{{.State.ExitCode}}' "$NAME")" = 143 ]
}

dkr_sc_ulimit() {
	dkr_run run -d --name "$NAME" --ulimit nofile=1024:2048 --ulimit nproc=500:600 "$DKR_IMAGE" sleep 1000
	dkr_wait_state "$NAME" running
	run dkr_ exec "$NAME" cat /proc/self/limits
	echo "$output"
	grep -E '^Max open files +1024 +2048 ' <<<"$output"
	grep -E '^Max processes +500 +600 ' <<<"$output"
	engine_vm && return 0
	local pid
	pid=$(dkr_pid "$NAME")
	grep -E '^Max open files +1024 +2048 ' /proc/"$pid"/limits
	grep -E '^Max processes +500 +600 ' /proc/"$pid"/limits
}

dkr_sc_sysctl() {
	dkr_run run -d --name "$NAME" --sysctl kernel.msgmax=12345 \
		--sysctl net.ipv4.ip_unprivileged_port_start=99 "$DKR_IMAGE" sleep 1000
	dkr_wait_state "$NAME" running
	run dkr_ exec "$NAME" cat /proc/sys/kernel/msgmax /proc/sys/net/ipv4/ip_unprivileged_port_start
	[ "${lines[0]}" = 12345 ]
	[ "${lines[1]}" = 99 ]
	[ "$(cat /proc/sys/kernel/msgmax)" != 12345 ]
	# a sysctl that is not namespaced is refused
	run dkr_run run --rm --name "$NAME-x" --sysctl kernel.panic=1 "$DKR_IMAGE" true
	[ "$status" -ne 0 ]
}

# "FSTYPE SUPER-OPTIONS" of the mount at PATH in /proc/PID/mountinfo
mount_of() { # PID PATH
	awk -v p="$2" '$5 == p { for (i = 7; $i != "-"; i++); print $(i + 1), $(i + 3) }' /proc/"$1"/mountinfo
}

dkr_sc_tmpfs_shm() {
	dkr_run run -d --name "$NAME" --tmpfs /scratch:size=1m,mode=1700 --shm-size 8m "$DKR_IMAGE" sleep 1000
	dkr_wait_state "$NAME" running
	local pid
	pid=$(dkr_pid "$NAME")
	run mount_of "$pid" /scratch
	echo "$output"
	[[ "$output" == "tmpfs "*size=1024k* ]]
	[[ "$output" == *mode=1700* ]]
	run mount_of "$pid" /dev/shm
	echo "$output"
	[[ "$output" == "tmpfs "*size=8192k* ]]
}

dkr_sc_volumes() {
	engine_volume_dirs "$DKR_DIR" "$NAME"
	run dkr_run run --rm --name "$NAME" -v "$ENGINE_VOL_RW:/rw" -v "$ENGINE_VOL_RO:/ro:ro" \
		"$DKR_IMAGE" sh -c "{ $ENGINE_VOLUME_CMD; } 2>&1" # one stream: in order
	engine_check_volumes
	# a named volume keeps what a container wrote for the next one
	dkr_ volume create "vol-$NAME" >/dev/null
	run dkr_run run --rm --name "$NAME" -v "vol-$NAME:/named" "$DKR_IMAGE" sh -c 'echo kept >/named/f'
	[ "$status" -eq 0 ]
	run dkr_run run --rm --name "$NAME" -v "vol-$NAME:/named:ro" "$DKR_IMAGE" \
		sh -c 'cat /named/f; touch /named/g'
	echo "$output"
	[ "$status" -ne 0 ]
	# stdout and stderr come through separate streams: in any order
	[[ "$output" == *kept* ]]
	[[ "$output" == *"/named/g: Read-only file system"* ]]
	dkr_ volume rm "vol-$NAME" >/dev/null
}

dkr_sc_device() {
	dkr_run run -d --name "$NAME" --device /dev/zero:/dev/xzero "$DKR_IMAGE" sleep 1000
	dkr_wait_state "$NAME" running
	run dkr_ exec "$NAME" sh -c 'stat -c "%t:%T %F" /dev/xzero; head -c 4 /dev/xzero | od -An -tx1'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "1:5 character special file" ]
	[ "$(echo ${lines[1]})" = "00 00 00 00" ]
	# a node made inside (mknod is allowed) of a device not passed cannot be opened
	run dkr_ exec "$NAME" sh -c 'mknod /tmp/mem c 1 1 && head -c 1 /tmp/mem'
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Operation not permitted"* ]]
}

dkr_sc_seccomp() {
	dkr_run run -d --name "$NAME" "$DKR_IMAGE" sleep 1000
	dkr_wait_state "$NAME" running
	grep -qE '^Seccomp:[[:space:]]+2$' /proc/"$(dkr_pid "$NAME")"/status
	# Docker's profile refuses unshare(CLONE_NEWUSER... ) without CAP_SYS_ADMIN
	run dkr_ exec "$NAME" unshare -U true
	echo "$output"
	[ "$status" -ne 0 ]
	dkr_run run -d --name "$NAME-u" --security-opt seccomp=unconfined "$DKR_IMAGE" sleep 1000
	dkr_wait_state "$NAME-u" running
	grep -qE '^Seccomp:[[:space:]]+0$' /proc/"$(dkr_pid "$NAME-u")"/status
}

# What Docker says of NAME, and fail (for a wait that ran out).
dkr_say_state() { # NAME
	dkr_ inspect --format '{{.RestartCount}} {{.State.Status}} pid {{.State.Pid}} exit {{.State.ExitCode}} {{.State.Error}}' "$1"
	dkr_ logs "$1" 2>&1 | tail -n 5
	return 1
}

# A restart policy, a container killed from outside, and docker restart: each
# starts the container again through the runtime (a VM boots again).
dkr_sc_restart() {
	dkr_run run -d --name "$NAME" --restart on-failure:2 "$DKR_IMAGE" sh -c 'exit 3'
	restarted_twice() {
		[ "$(dkr_ inspect --format '{{.RestartCount}} {{.State.Status}}' "$NAME")" = "2 exited" ]
	}
	engine_until "$ENGINE_TIMEOUT" restarted_twice || dkr_say_state "$NAME"
	[ "$(dkr_ inspect --format '{{.State.ExitCode}}' "$NAME")" = 3 ]
	# --restart always: a container killed from outside comes back with a new pid
	dkr_run run -d --name "$NAME-a" --restart always "$DKR_IMAGE" sh -c 'echo up; exec sleep 1000'
	dkr_wait_state "$NAME-a" running
	local pid
	pid=$(dkr_pid "$NAME-a")
	kill -9 "$pid"
	new_pid() {
		local p
		p=$(dkr_pid "$NAME-a")
		[ "$p" != 0 ] && [ "$p" != "$pid" ] && [ "$(dkr_state "$NAME-a")" = running ]
	}
	engine_until "$ENGINE_TIMEOUT" new_pid || dkr_say_state "$NAME-a"
	# docker restart: stopped, then started again
	pid=$(dkr_pid "$NAME-a")
	run dkr_ restart -t 30 "$NAME-a"
	echo "$output"
	[ "$status" -eq 0 ]
	engine_until "$ENGINE_TIMEOUT" new_pid || dkr_say_state "$NAME-a"
	process_ended "$pid"
	# the process ran once per start (up to the last, maybe still booting)
	engine_until "$ENGINE_TIMEOUT" eval '[ "$(dkr_ logs "$NAME-a" | grep -c "^up$")" = 3 ]'
}

dkr_sc_nothing_left() {
	dkr_run run -d --name "$NAME" --memory 128m "$DKR_IMAGE" sleep 1000
	dkr_wait_state "$NAME" running
	local id pid
	id=$(dkr_cid "$NAME")
	pid=$(dkr_pid "$NAME")
	[ -n "$(find /sys/fs/cgroup -maxdepth 3 -type d -name "$id")" ]
	dkr_ rm -f "$NAME"
	# the runtime's state, the process (a VM's monitor), the cgroups and the
	# rootfs mounts are gone
	run "$RUNTIME" --root "$(dkr_runtime_root)" list -q
	[ -z "$output" ]
	[ ! -e "$(dkr_runtime_root)/$id" ]
	engine_until 10 process_ended "$pid"
	[ -z "$(find /sys/fs/cgroup -maxdepth 3 -type d -name "$id")" ]
	run grep -c "$id" /proc/self/mountinfo
	[ "$output" = 0 ]
	# no process in its cgroups or naming it (the shim goes once it has
	# deleted the container)
	dkr_check_nothing_left "$id"
}
