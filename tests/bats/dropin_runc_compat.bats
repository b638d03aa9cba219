#!/usr/bin/env bats
# Behaviour engines and runc's own integration suite rely on (issue 12): where
# husk follows runc 1.1 even when the spec leaves it open.
load helpers

AGENT=${BUILD:-$REPO_ROOT/build}/tests/security/notify_agent

setup() {
	setup_runtime_bundle
}

teardown() {
	for p in ${agent_pids:-}; do kill "$p" 2>/dev/null; done
	if [ -n "${frozen_dir:-}" ]; then
		echo THAWED > "$frozen_dir/freezer.state" 2>/dev/null || echo 0 > "$frozen_dir/cgroup.freeze"
		rmdir "$frozen_dir/child" 2>/dev/null
		rmdir "$frozen_dir"
	fi
	teardown_bundle
}

start_agent() { # STATEFILE SYSCALL ERRNO ...: an agent on $sock (a new one replaces the path)
	local statef=$1
	shift
	"$AGENT" "$sock" "$statef" "$@" 3>&- &
	agent_pids="${agent_pids:-} $!"
	for _ in $(seq 100); do [ -S "$sock" ] && [ "$(stat -c %i "$sock")" != "${old_sock_ino:-}" ] && break; sleep 0.02; done
	old_sock_ino=$(stat -c %i "$sock")
}

@test "husk with no arguments prints the help and exits 0, as runc" {
	run "$HUSK"
	[ "$status" -eq 0 ]
	[[ "$output" == *USAGE:* ]]
	[[ "$output" == *COMMANDS:* ]]
}

@test "kill ID 0: a liveness check, as runc (no signal sent)" {
	cfg '.process.args = ["sh", "-c", "trap \"echo GOT > /tmp/got\" USR1 TERM HUP; while :; do sleep 0.1; done"]'
	husk run -d --pid-file "$TEST_TMP/pid" "$CID"
	run husk kill "$CID" 0
	[ "$status" -eq 0 ]
	husk kill "$CID" SIGKILL
	wait_status "$CID" stopped
	[ ! -e rootfs/tmp/got ]
	run husk kill "$CID" 0
	[ "$status" -ne 0 ]
	[[ "$output" == *"container not running"* ]]
}

@test "seccomp notify on exec: the listenerPath is a host path, as for run" {
	[ -x "$AGENT" ] || skip "notify agent not built ($AGENT)"
	sock=$TEST_TMP/agent.sock
	start_agent "$TEST_TMP/init.state" mkdir 13 mkdirat 13
	cfg --arg s "$sock" '.process.args = ["sleep", "100"] |
		.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", listenerPath: $s,
				  syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_NOTIFY"}]}'
	husk run -d "$CID"
	# A second agent takes the path over for the exec'd process.
	start_agent "$TEST_TMP/exec.state" mkdir 1 mkdirat 1
	run husk exec "$CID" sh -c 'mkdir /tmp/e; echo "rc=$?"'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Operation not permitted"* ]]
	[[ "$output" == *"rc=1"* ]]
	grep -q '^fd=yes$' "$TEST_TMP/exec.state"
	[ "$(head -n1 "$TEST_TMP/exec.state" | jq -r .state.status)" = running ]
	[ "$(head -n1 "$TEST_TMP/exec.state" | jq -r .state.id)" = "$CID" ]
}

v1_memory_dir() { # PID: the v1 memory cgroup dir of PID
	echo "/sys/fs/cgroup/memory$(awk -F: '$2 == "memory" {print $3}' "/proc/$1/cgroup")"
}

@test "update --memory -1 on cgroup v1 with a swap limit: memsw goes first, both unlimited" {
	[ -f /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes ] || skip "no v1 memory controller with swap accounting"
	cfg '.process.args = ["sleep", "100"] | .linux.resources.memory = {limit: 33554432, swap: 67108864}'
	husk run -d --pid-file "$TEST_TMP/pid" "$CID"
	d=$(v1_memory_dir "$(cat "$TEST_TMP/pid")")
	[ "$(cat "$d/memory.memsw.limit_in_bytes")" = 67108864 ]
	run husk update --memory -1 "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	unlimited=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes)
	[ "$(cat "$d/memory.limit_in_bytes")" = "$unlimited" ]
	[ "$(cat "$d/memory.memsw.limit_in_bytes")" = "$unlimited" ]
	# Both directions with both values: down, then up past the old memsw.
	husk update --memory 16m --memory-swap 32m "$CID"
	[ "$(cat "$d/memory.limit_in_bytes")" = 16777216 ]
	[ "$(cat "$d/memory.memsw.limit_in_bytes")" = 33554432 ]
	husk update --memory 64m --memory-swap 128m "$CID"
	[ "$(cat "$d/memory.limit_in_bytes")" = 67108864 ]
	[ "$(cat "$d/memory.memsw.limit_in_bytes")" = 134217728 ]
	husk update --memory 8m --memory-swap 12m "$CID"
	[ "$(cat "$d/memory.limit_in_bytes")" = 8388608 ]
	[ "$(cat "$d/memory.memsw.limit_in_bytes")" = 12582912 ]
}

@test "exec failures exit 255 with runc's words (engines match on them)" {
	run husk exec "nonexistent-$CID" true
	[ "$status" -eq 255 ]
	[[ "$output" == *"exec failed"*"does not exist"* ]]
	cfg '.process.args = ["sleep", "100"]'
	husk run -d "$CID"
	run husk exec "$CID" no-such-binary
	[ "$status" -eq 255 ]
	[[ "$output" == *'exec: "no-such-binary": executable file not found in $PATH'* ]]
	run husk exec "$CID" /no/such/bin
	[ "$status" -eq 255 ]
	[[ "$output" == *'exec: "/no/such/bin": stat /no/such/bin: no such file or directory'* ]]
	run husk exec "$CID" /etc/passwd
	[ "$status" -eq 255 ]
	[[ "$output" == *'exec: "/etc/passwd": permission denied'* ]]
	[[ "$output" != *"denied: "* ]]
	# The process's own status is passed through untouched; usage errors stay 1.
	run husk exec "$CID" sh -c 'exit 3'
	[ "$status" -eq 3 ]
	run husk exec "$CID"
	[ "$status" -eq 1 ]
	husk kill "$CID" KILL
	wait_status "$CID" stopped
	run husk exec "$CID" true
	[ "$status" -eq 255 ]
	[[ "$output" == *"cannot exec in a stopped container"* ]]
	run husk kill "$CID" TERM
	[ "$status" -eq 1 ]
	[[ "$output" == *"container not running"* ]]
}

# The host paths of PID's cgroups, one "hierarchy-dir path" per line.
cgroup_dirs() { # PID
	awk -F: '{ d = ($1 == 0) ? "" : $2; sub(/^name=/, "", d); if ($1 == 0 && system("test -d /sys/fs/cgroup/unified") == 0) d = "unified"; print "/sys/fs/cgroup/" d $3 }' "/proc/$1/cgroup"
}

@test "exec --cgroup: the process joins an existing sub-cgroup, as runc 1.1" {
	cfg '.process.args = ["sleep", "100"]'
	husk run -d --pid-file "$TEST_TMP/init.pid" "$CID"
	init=$(cat "$TEST_TMP/init.pid")
	# A sub-cgroup "sub" in every hierarchy of the container.
	for d in $(cgroup_dirs "$init"); do mkdir "$d/sub"; done
	husk exec -d --pid-file "$TEST_TMP/p1" --cgroup sub "$CID" sleep 50
	p1=$(cat "$TEST_TMP/p1")
	diff <(cgroup_dirs "$init" | sed 's|$|/sub|') <(cgroup_dirs "$p1")
	# ".." cannot leave the container's cgroup: it is cleaned as an absolute path.
	husk exec -d --pid-file "$TEST_TMP/p2" --cgroup ../../.. "$CID" sleep 50
	diff <(cgroup_dirs "$init") <(cgroup_dirs "$(cat "$TEST_TMP/p2")")
	# A sub-cgroup that does not exist is an error; nothing runs.
	run husk exec --cgroup nosuch "$CID" echo RAN
	[ "$status" -eq 255 ]
	[[ "$output" == *nosuch*"no such file or directory"* ]]
	[[ "$output" != *RAN* ]]
	run husk exec --cgroup a --cgroup b "$CID" true
	[ "$status" -eq 255 ]
	[[ "$output" == *"missing <controller>: prefix"* ]]
	if [ -d /sys/fs/cgroup/memory ] && grep -q ':memory:' "/proc/$init/cgroup"; then
		# CTRL:PATH moves only that controller's hierarchy.
		husk exec -d --pid-file "$TEST_TMP/p3" --cgroup memory:sub "$CID" sleep 50
		p3=$(cat "$TEST_TMP/p3")
		grep -q ':memory:.*/sub$' "/proc/$p3/cgroup"
		[ "$(grep -c '/sub$' "/proc/$p3/cgroup")" -eq 1 ]
	fi
	husk delete --force "$CID"
	assert_no_leftovers "$CID"
}

@test "a pre-frozen cgroup (or a child of one) is refused, as runc; husk does not freeze itself" {
	local p=/husk-test-frozen-$CID dir
	if [ -d /sys/fs/cgroup/freezer ]; then
		dir=/sys/fs/cgroup/freezer$p
		mkdir "$dir"
		echo FROZEN > "$dir/freezer.state"
	else
		dir=/sys/fs/cgroup$p
		mkdir "$dir"
		echo 1 > "$dir/cgroup.freeze"
	fi
	frozen_dir=$dir
	cfg '.process.args = ["echo", "RAN"]'
	for cg in "$p" "$p/child"; do
		cfg --arg c "$cg" '.linux.cgroupsPath = $c'
		run timeout 30 "$HUSK" --root "$HUSK_ROOT" run "$CID"
		echo "$output"
		[ "$status" -ne 124 ] # no hang
		[ "$status" -ne 0 ]
		[[ "$output" == *"container's cgroup unexpectedly frozen"* ]]
		[[ "$output" != *RAN* ]]
		[ ! -e "$HUSK_ROOT/$CID" ]
		[ ! -e "$dir/child" ]
	done
	# The frozen cgroup was not husk's: it is still there; husk made none elsewhere.
	[ -d "$dir" ]
	[ "$(find /sys/fs/cgroup -maxdepth 3 -type d -name "husk-test-frozen-$CID" | wc -l)" -eq 1 ]
}

@test "a bind of the host's /proc without a pid namespace is allowed, as runc; with one it is refused" {
	cfg '.process.args = ["cat", "/proc/1/comm"] |
	     .linux.namespaces |= map(select(.type != "pid")) |
	     .mounts |= map(if .destination == "/proc" then {destination: "/proc", type: "bind", source: "/proc", options: ["rbind", "nosuid", "noexec", "nodev"]} else . end)'
	run husk run "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "$(cat /proc/1/comm)" ]
	assert_no_leftovers "$CID"
	cfg '.linux.namespaces += [{type: "pid"}]'
	run husk run "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"only allowed without a pid namespace"* ]]
	assert_no_leftovers "$CID"
	# Anything else than a procfs stays refused on /proc.
	cfg '.linux.namespaces |= map(select(.type != "pid")) |
	     .mounts |= map(if .destination == "/proc" then .source = "/tmp" else . end)'
	run husk run "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"only a proc filesystem may be mounted on /proc"* ]]
}

@test "no mount namespace in the config: it runs in the host's (spec), chrooted, with a loud warning" {
	# Blocks on a fifo, not in sleep: it must stay up until the checks are done.
	mkfifo rootfs/tmp/never
	cfg '.linux.namespaces |= map(select(.type != "mount")) | .process.args = ["sh", "-c", "echo hi > /tmp/evidence; read x < /tmp/never"]'
	# To a file: the detached container keeps its stdio open.
	husk run -d --pid-file "$TEST_TMP/pid" "$CID" >"$TEST_TMP/out" 2>&1 </dev/null
	cat "$TEST_TMP/out"
	grep -q "warning.*no mount namespace.*mounts nothing" "$TEST_TMP/out"
	pid=$(cat "$TEST_TMP/pid")
	[ "$(readlink "/proc/$pid/ns/mnt")" = "$(readlink /proc/$$/ns/mnt)" ]
	[ "$(readlink "/proc/$pid/root")" = "$BUNDLE/rootfs" ]
	for _ in $(seq 100); do [ -s rootfs/tmp/evidence ] && break; sleep 0.05; done
	[ "$(cat rootfs/tmp/evidence)" = hi ]
	# Nothing of the config's mounts reached the host's mount table.
	run grep " $BUNDLE/rootfs" /proc/self/mountinfo
	[ "$status" -ne 0 ]
	husk delete --force "$CID"
	assert_no_leftovers "$CID"
}

@test "startContainer hooks run under the container's seccomp filter; createContainer hooks start in the rootfs (runc)" {
	cfg '.process.args = ["true"] |
	     .linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 42}]} |
	     .hooks.startContainer = [{path: "/bin/sh", args: ["sh", "-c", "mkdir /tmp/by-hook; echo $? > /tmp/hook-rc"]}] |
	     .hooks.createContainer = [{path: "/bin/sh", args: ["sh", "-c", "pwd > \"$0\"", "'"$TEST_TMP"'/cc-cwd"]}]'
	run husk run "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(cat rootfs/tmp/hook-rc)" = 1 ]
	[ ! -e rootfs/tmp/by-hook ]
	[ "$(cat "$TEST_TMP/cc-cwd")" = "$BUNDLE/rootfs" ]
}

@test "user namespace: a bind source the mapped root may not reach is opened by the runtime, as runc" {
	[ "$(cat /proc/sys/user/max_user_namespaces 2>/dev/null || echo 0)" -gt 0 ] || skip "user namespaces are disabled on this host"
	mkdir -p "$TEST_TMP/private/inner"
	echo secret > "$TEST_TMP/private/inner/f"
	chmod 700 "$TEST_TMP/private"
	cfg --arg s "$TEST_TMP/private/inner" '.linux.namespaces += [{type: "user"}] |
	     .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}] |
	     .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}] |
	     .mounts += [{destination: "/home", type: "bind", source: $s, options: ["rbind"]}] |
	     .process.args = ["cat", "/home/f"]'
	run husk run "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = secret ]
	assert_no_leftovers "$CID"
}
