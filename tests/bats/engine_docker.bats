#!/usr/bin/env bats
# Docker (Debian's docker.io 20.10) with the runtime under test registered in
# daemon.json `runtimes` and made the default, as a user would drop husk in.
# A private dockerd for this file: own data root, exec root, socket, the
# containerd it manages, vfs storage, cgroupfs, no bridge and no iptables
# (tests/engines/docker.bash).  Limits are checked in the container's cgroup
# files and /proc, wherever the host's layout puts them.
#   RUNTIME=/usr/sbin/runc bats tests/bats/engine_docker.bats   validates the tests.

bats_require_minimum_version 1.5.0
load helpers
load ../engines/docker

# A skip in setup_file fails the file with bats 1.8 (its teardown_file then
# counts as failed): setup_file leaves the reason, setup skips.
setup_file() {
	export RUNTIME=${RUNTIME:-$HUSK}
	RUNTIME=$(readlink -f "$RUNTIME")
	export DKR_SKIP=
	if [ "$(id -u)" != 0 ]; then
		DKR_SKIP="needs root"
	elif [ ! -x "$DOCKERD_BIN" ]; then
		DKR_SKIP="docker.io is not installed (scripts/deps.d/engines.txt)"
	else
		dkr_start
		dkr_import_busybox
	fi
}

teardown_file() {
	dkr_stop
}

setup() {
	[ -z "$DKR_SKIP" ] || skip "$DKR_SKIP"
	[ -n "${DKR_IMAGE:-}" ] || skip "docker set-up failed"
	NAME=d$BATS_TEST_NUMBER-$RANDOM
}

teardown() {
	dkr_remove_all
}

# Poll (bounded) until CMD succeeds.
until_true() { # SECONDS CMD...
	local n=$1 i
	shift
	for ((i = 0; i < n * 10; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

@test "docker: the runtime under test is the daemon's default" {
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
}

@test "docker: run prints the output and passes the exit status; a missing binary is 127" {
	run dkr_run run --rm --name "$NAME" "$DKR_IMAGE" sh -c 'echo "hello from pid $$"'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "hello from pid 1" ]
	run -9 dkr_run run --rm --name "$NAME" "$DKR_IMAGE" sh -c 'exit 9'
	# docker documents 127 for "the contained command cannot be found", from the
	# runtime's error text.
	run -127 dkr_run run --rm --name "$NAME" "$DKR_IMAGE" /no-such-binary-here
	echo "$output"
	[[ "$output" == *"/no-such-binary-here"* ]]
}

@test "docker: run -i passes stdin through" {
	run dkr_run run --rm -i --name "$NAME" "$DKR_IMAGE" sh -c 'read line; echo "got $line"; cat' <<<$'one\ntwo'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "got one" ]
	[ "${lines[1]}" = "two" ]
	# without -i the process's stdin is empty
	run dkr_run run --rm --name "$NAME" "$DKR_IMAGE" sh -c 'cat; echo "eof"' <<<'not-passed'
	[ "$output" = eof ]
}

@test "docker: run -t gives the process a terminal" {
	SHELL=/bin/bash run script -qec "$(declare -f dkr_ dkr_run); dkr_run run --rm -t --name $NAME $DKR_IMAGE sh -c 'tty; test -t 1 && echo out-is-tty; stty size'" /dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"/dev/pts/0"* ]]
	[[ "$output" == *"out-is-tty"* ]]
}

@test "docker: --env, --user and --workdir reach the process" {
	run dkr_run run --rm --name "$NAME" -e FOO=bar -u 65534:65534 -w /tmp "$DKR_IMAGE" \
		sh -c 'echo "$(id -u):$(id -g) $(pwd) $FOO"'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "65534:65534 /tmp bar" ]
}

@test "docker: --read-only mounts the root read-only" {
	dkr_run run -d --read-only --name "$NAME" "$DKR_IMAGE" sleep 1000
	dkr_wait_state "$NAME" running
	local pid
	pid=$(dkr_pid "$NAME")
	# the kernel's view: the container's / is mounted ro
	awk '$5 == "/" {print $6}' /proc/"$pid"/mountinfo | grep -qE '(^|,)ro(,|$)'
	run dkr_ exec "$NAME" touch /newfile
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Read-only file system"* ]]
}

@test "docker: --memory, --cpus and --pids-limit are in the container's cgroup" {
	dkr_run run -d --name "$NAME" --memory 64m --cpus 0.5 --pids-limit 42 "$DKR_IMAGE" sleep 1000
	dkr_wait_state "$NAME" running
	[ "$(dkr_cg "$NAME" memory)" = 67108864 ]
	[ "$(dkr_cg "$NAME" cpu)" = "50000 100000" ]
	[ "$(dkr_cg "$NAME" pids)" = 42 ]
}

@test "docker: run -d, then exec, top, logs, stop, start and rm" {
	dkr_run run -d --name "$NAME" "$DKR_IMAGE" sh -c 'echo started; trap "echo got-term; exit 3" TERM; while :; do sleep 0.1; done'
	dkr_wait_state "$NAME" running
	local pid
	pid=$(dkr_pid "$NAME")
	run dkr_ exec "$NAME" sh -c 'cat /proc/1/cmdline | tr "\0" " "; echo; for n in pid mnt uts ipc net; do readlink /proc/self/ns/$n; done; exit 4'
	echo "$output"
	[ "$status" -eq 4 ]
	[[ "${lines[0]}" == "sh -c echo started"* ]]
	local i=1 n
	for n in pid mnt uts ipc net; do
		[ "${lines[$i]}" = "$(readlink /proc/"$pid"/ns/$n)" ]
		i=$((i + 1))
	done
	run dkr_ top "$NAME"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"$pid"* ]]
	run dkr_ logs "$NAME"
	[ "$output" = started ]
	run dkr_ stop -t 10 "$NAME"
	[ "$status" -eq 0 ]
	[ "$(dkr_state "$NAME")" = exited ]
	[ "$(dkr_ inspect --format '{{.State.ExitCode}}' "$NAME")" = 3 ]
	process_ended "$pid"
	run dkr_ start "$NAME"
	[ "$status" -eq 0 ]
	dkr_wait_state "$NAME" running
	[ "$(dkr_pid "$NAME")" != "$pid" ]
	run dkr_ logs "$NAME"
	[ "$output" = "$(printf 'started\ngot-term\nstarted')" ]
	run dkr_ rm -f "$NAME"
	[ "$status" -eq 0 ]
	run dkr_ inspect "$NAME"
	[ "$status" -ne 0 ]
}

@test "docker: pause freezes the cgroup, unpause thaws it" {
	dkr_run run -d --name "$NAME" "$DKR_IMAGE" sleep 1000
	dkr_wait_state "$NAME" running
	local pid
	pid=$(dkr_pid "$NAME")
	dkr_ pause "$NAME"
	[ "$(dkr_state "$NAME")" = paused ]
	[ "$(dkr_cg "$NAME" frozen)" = 1 ]
	# frozen tasks sleep in the refrigerator
	grep -qE '^State:.*[DS]' /proc/"$pid"/status
	run dkr_ exec "$NAME" true
	[ "$status" -ne 0 ]
	[[ "$output" == *paused* ]]
	dkr_ unpause "$NAME"
	[ "$(dkr_state "$NAME")" = running ]
	[ "$(dkr_cg "$NAME" frozen)" = 0 ]
	run dkr_ exec "$NAME" echo alive
	[ "$output" = alive ]
}

@test "docker: update changes the limits in the cgroup, and only those given" {
	dkr_run run -d --name "$NAME" --memory 64m --cpus 0.5 --pids-limit 42 "$DKR_IMAGE" sleep 1000
	dkr_wait_state "$NAME" running
	# Docker sends a zero for every field not given: they must stay as they are
	# (the issue's `docker update --memory 128m`; Docker made memsw 2 x 64m).
	run dkr_ update --memory 128m "$NAME"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(dkr_cg "$NAME" memory)" = 134217728 ]
	[ "$(dkr_cg "$NAME" cpu)" = "50000 100000" ]
	[ "$(dkr_cg "$NAME" pids)" = 42 ]
	run dkr_ update --cpus 1.5 --pids-limit 7 "$NAME"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(dkr_cg "$NAME" cpu)" = "150000 100000" ]
	[ "$(dkr_cg "$NAME" pids)" = 7 ]
	[ "$(dkr_cg "$NAME" memory)" = 134217728 ]
	# and the container was started without any limit at all
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

@test "docker: stats reports the container's usage against its limit" {
	dkr_run run -d --name "$NAME" --memory 64m "$DKR_IMAGE" sleep 1000
	dkr_wait_state "$NAME" running
	run dkr_ stats --no-stream --format '{{.Name}} {{.MemUsage}} {{.PIDs}}' "$NAME"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == "$NAME "*" / 64MiB 1" ]]
	[[ "$output" != "$NAME 0B / 64MiB"* ]]
}

@test "docker: a healthcheck runs in the container and turns it healthy" {
	dkr_run run -d --name "$NAME" --health-cmd 'test -e /tmp/ready' --health-interval 1s \
		--health-retries 1 "$DKR_IMAGE" sh -c 'sleep 2; touch /tmp/ready; exec sleep 1000'
	dkr_wait_state "$NAME" running
	health() { [ "$(dkr_ inspect --format '{{.State.Health.Status}}' "$NAME")" = "$1" ]; }
	until_true 30 health healthy
	dkr_ exec "$NAME" rm /tmp/ready
	until_true 30 health unhealthy
}

@test "docker: --init runs docker-init as pid 1, reaping for the command" {
	dkr_run run -d --init --name "$NAME" "$DKR_IMAGE" sleep 1000
	dkr_wait_state "$NAME" running
	local pid
	pid=$(dkr_pid "$NAME")
	# Docker binds docker-init at /sbin/docker-init
	[ "$(readlink /proc/"$pid"/exe)" = /sbin/docker-init ]
	run dkr_ exec "$NAME" sh -c 'cat /proc/1/cmdline | tr "\0" " "'
	echo "$output"
	[[ "$output" == "/sbin/docker-init -- sleep 1000"* ]]
	# docker stop: TERM reaches sleep through the init, which exits with it
	run dkr_ stop -t 20 "$NAME"
	[ "$status" -eq 0 ]
	[ "$(dkr_ inspect --format '{{.State.ExitCode}}' "$NAME")" = 143 ]
}

@test "docker: --ulimit sets the process's rlimits" {
	dkr_run run -d --name "$NAME" --ulimit nofile=1024:2048 --ulimit nproc=500:600 "$DKR_IMAGE" sleep 1000
	dkr_wait_state "$NAME" running
	local pid
	pid=$(dkr_pid "$NAME")
	grep -E '^Max open files +1024 +2048 ' /proc/"$pid"/limits
	grep -E '^Max processes +500 +600 ' /proc/"$pid"/limits
}

@test "docker: --sysctl sets namespaced sysctls in the container only" {
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

@test "docker: --tmpfs and --shm-size mount what was asked" {
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

@test "docker: bind and named volumes are shared with the host" {
	local host=$DKR_DIR/vol-$NAME
	mkdir -p "$host"
	echo from-host >"$host/in"
	dkr_ volume create "vol-$NAME" >/dev/null
	run dkr_run run --rm --name "$NAME" -v "$host:/data" -v "vol-$NAME:/named" "$DKR_IMAGE" \
		sh -c 'cat /data/in; echo from-container >/data/out; echo kept >/named/f'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = from-host ]
	[ "$(cat "$host/out")" = from-container ]
	run dkr_run run --rm --name "$NAME" -v "vol-$NAME:/named:ro" "$DKR_IMAGE" \
		sh -c 'cat /named/f; touch /named/g'
	echo "$output"
	[ "$status" -ne 0 ]
	# stdout and stderr come through separate streams: in any order
	[[ "$output" == *kept* ]]
	[[ "$output" == *"/named/g: Read-only file system"* ]]
	dkr_ volume rm "vol-$NAME" >/dev/null
}

@test "docker: --device passes the node and its cgroup permission, nothing more" {
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

@test "docker: the default seccomp profile filters; unconfined does not" {
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

@test "docker: restart policies restart the container through the runtime" {
	dkr_run run -d --name "$NAME" --restart on-failure:2 "$DKR_IMAGE" sh -c 'exit 3'
	restarted_twice() {
		[ "$(dkr_ inspect --format '{{.RestartCount}} {{.State.Status}}' "$NAME")" = "2 exited" ]
	}
	until_true 60 restarted_twice
	[ "$(dkr_ inspect --format '{{.State.ExitCode}}' "$NAME")" = 3 ]
	# --restart always: a container killed from outside comes back with a new pid
	dkr_run run -d --name "$NAME-a" --restart always "$DKR_IMAGE" sleep 1000
	dkr_wait_state "$NAME-a" running
	local pid
	pid=$(dkr_pid "$NAME-a")
	kill -9 "$pid"
	new_pid() {
		local p
		p=$(dkr_pid "$NAME-a")
		[ "$p" != 0 ] && [ "$p" != "$pid" ] && [ "$(dkr_state "$NAME-a")" = running ]
	}
	until_true 60 new_pid
}

@test "docker: nothing is left behind once the containers are removed" {
	dkr_run run -d --name "$NAME" --memory 32m "$DKR_IMAGE" sleep 1000
	dkr_wait_state "$NAME" running
	local id
	id=$(dkr_cid "$NAME")
	[ -n "$(find /sys/fs/cgroup -maxdepth 3 -type d -name "$id")" ]
	dkr_ rm -f "$NAME"
	# the runtime's state, the cgroups and the rootfs mounts are gone
	run "$RUNTIME" --root "$(dkr_runtime_root)" list -q
	[ -z "$output" ]
	[ -z "$(find /sys/fs/cgroup -maxdepth 3 -type d -name "$id")" ]
	run grep -c "$id" /proc/self/mountinfo
	[ "$output" = 0 ]
	local p left=""
	for p in /proc/[0-9]*; do
		grep -qs "$id" "$p/cgroup" && left="$left ${p#/proc/}"
	done
	[ -z "$left" ]
}
