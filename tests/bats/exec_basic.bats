#!/usr/bin/env bats
# husk exec: every flag, exit codes, namespaces and cgroup joined, the
# container's settings applied.  HUSK=/usr/sbin/runc runs them against runc.

bats_require_minimum_version 1.5.0
load exec_helpers

setup() {
	spec_bundle
	cfg '.process.rlimits = [{type: "RLIMIT_NOFILE", soft: 321, hard: 654}]'
}
teardown() { spec_teardown; }

# husk exec with output through a file (no pipe a stray process could hold).
hexec() {
	status=0
	timeout -k 5 30 "$HUSK" --root "$HUSK_ROOT" exec "$@" </dev/null >"$TEST_TMP/exec.out" 2>&1 || status=$?
	output=$(cat "$TEST_TMP/exec.out")
	mapfile -t lines <<<"$output"
	echo "exec $*: status $status"
	echo "$output"
}

@test "exec: runs the command in the container and returns its exit status" {
	start_container
	hexec "$CID" sh -c 'echo out; echo err >&2; exit 7'
	[ "$status" -eq 7 ]
	[[ "$output" == *out* ]]
	[[ "$output" == *err* ]]
	hexec "$CID" true
	[ "$status" -eq 0 ]
}

@test "exec: a process killed by a signal gives 128+signal" {
	start_container
	hexec "$CID" sh -c 'kill -TERM $$'
	[ "$status" -eq 143 ]
}

@test "exec: arguments after the container id belong to the command" {
	start_container
	hexec "$CID" sh -c 'echo "$@"' sh -a --tty --env X=1
	[ "$status" -eq 0 ]
	[ "$output" = "-a --tty --env X=1" ]
}

@test "exec: joins every namespace of the container" {
	cfg '.linux.namespaces += [{type: "cgroup"}]'
	start_container
	hexec "$CID" sh -c 'for n in pid mnt net ipc uts cgroup; do readlink /proc/self/ns/$n; done'
	[ "$status" -eq 0 ]
	local i=0 n
	for n in pid mnt net ipc uts cgroup; do
		[ "${lines[$i]}" = "$(readlink /proc/"$PID"/ns/$n)" ]
		i=$((i + 1))
	done
	hexec "$CID" hostname
	[ "$output" = spec ]
}

@test "exec: joins a container's user namespace" {
	userns_config 100000 100000
	start_container
	hexec "$CID" sh -c 'readlink /proc/self/ns/user; cat /proc/self/uid_map; id -u'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(readlink /proc/"$PID"/ns/user)" ]
	[[ "${lines[1]}" =~ ^\ *0\ +100000\ +65536$ ]]
	[ "${lines[2]}" = 0 ]
}

@test "exec: the process is in the container's cgroup in every hierarchy" {
	start_container
	hexec "$CID" cat /proc/self/cgroup
	[ "$status" -eq 0 ]
	diff <(sort <<<"$output") <(sort /proc/"$PID"/cgroup)
	# and the kernel lists it in the container's cgroup while it runs
	hexec -d --pid-file "$TEST_TMP/p" "$CID" sleep 100
	grep -qx "$(cat "$TEST_TMP/p")" "$(cgroup_dir pids)/cgroup.procs"
}

@test "exec: sees the container's pid 1 and its own pid in the container's pid namespace" {
	start_container
	hexec "$CID" sh -c 'cat /proc/1/cmdline | tr "\0" " "; echo; echo $$'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "sleep 1000 " ]
	[ "${lines[1]}" -gt 1 ]
	[ "${lines[1]}" -lt 100 ]
}

@test "exec --env adds to the container's environment" {
	# (runc's flag parser refuses mixing -e and --env in one call; husk takes both.)
	cfg '.process.env += ["FROM_CONFIG=yes"]'
	start_container
	hexec --env A=1 --env "B=two words" "$CID" sh -c 'echo "$A|$B|$FROM_CONFIG"'
	[ "$status" -eq 0 ]
	[ "$output" = "1|two words|yes" ]
}

@test "exec: husk's own environment does not reach the process" {
	start_container
	HUSK_EXEC_SECRET=leak hexec "$CID" sh -c 'echo "${HUSK_EXEC_SECRET-unset}"'
	[ "$output" = unset ]
}

@test "exec --cwd sets the working directory; default is the container's cwd" {
	mkdir -p "$BUNDLE/rootfs/work/here" "$BUNDLE/rootfs/cfgcwd"
	cfg '.process.cwd = "/cfgcwd"'
	start_container
	hexec --cwd /work/here "$CID" pwd
	[ "$output" = /work/here ]
	hexec "$CID" pwd
	[ "$output" = /cfgcwd ]
	hexec --cwd /no/such/dir "$CID" pwd
	[ "$status" -ne 0 ]
}

@test "exec --user uid:gid, --user uid (gid 0), and bad values" {
	start_container
	hexec --user 1000:1001 "$CID" sh -c 'echo $(id -u):$(id -g)'
	[ "$output" = 1000:1001 ]
	hexec -u 65534 "$CID" sh -c 'echo $(id -u):$(id -g)'
	[ "$output" = 65534:0 ]
	hexec --user nobody "$CID" true
	[ "$status" -ne 0 ]
	hexec --user 1:-2 "$CID" true
	[ "$status" -ne 0 ]
}

@test "exec --additional-gids sets the supplementary groups" {
	start_container
	hexec --user 1000:1000 --additional-gids 2000 --additional-gids 2001 "$CID" id -G
	[ "$status" -eq 0 ]
	[ "$output" = "1000 2000 2001" ]
}

@test "exec --cap adds a capability to the process" {
	# CAP_SYS_ADMIN (21) is not in the container's sets.
	start_container
	hexec "$CID" grep CapEff /proc/self/status
	local before=$((16#$(awk '{print $2}' <<<"$output")))
	[ $((before & (1 << 21))) -eq 0 ]
	hexec --cap CAP_SYS_ADMIN "$CID" grep -E '^Cap(Eff|Bnd)' /proc/self/status
	[ "$status" -eq 0 ]
	local eff bnd
	eff=$((16#$(awk '/CapEff/ {print $2}' <<<"$output")))
	bnd=$((16#$(awk '/CapBnd/ {print $2}' <<<"$output")))
	[ $((eff & (1 << 21))) -ne 0 ]
	[ $((bnd & (1 << 21))) -ne 0 ]
	[ $((eff & before)) -eq "$before" ]
}

@test "exec --no-new-privs sets no_new_privs; the container's setting is the default" {
	start_container
	hexec "$CID" grep NoNewPrivs /proc/self/status
	[[ "$output" == *"NoNewPrivs:	0"* ]]
	hexec --no-new-privs "$CID" grep NoNewPrivs /proc/self/status
	[[ "$output" == *"NoNewPrivs:	1"* ]]
}

@test "exec: the container's noNewPrivileges applies to exec'd processes" {
	cfg '.process.noNewPrivileges = true'
	start_container
	hexec "$CID" grep NoNewPrivs /proc/self/status
	[[ "$output" == *"NoNewPrivs:	1"* ]]
}

@test "exec --apparmor and --process-label fail clearly when the LSM is not enabled" {
	[ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ] && skip "AppArmor is enabled on this host"
	start_container
	hexec --apparmor some-profile "$CID" true
	[ "$status" -ne 0 ]
	[[ "${output,,}" == *apparmor* ]]
	hexec --process-label system_u:system_r:container_t:s0 "$CID" true
	[ "$status" -ne 0 ]
	[[ "${output,,}" == *selinux* || "${output,,}" == *label* ]]
}

@test "exec: the container's rlimits apply to the process" {
	start_container
	hexec "$CID" grep 'Max open files' /proc/self/limits
	[[ "$output" =~ Max\ open\ files\ +321\ +654 ]]
}

@test "exec: the container's seccomp filter applies to the process" {
	cfg '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 1}]}'
	start_container
	hexec "$CID" sh -c 'grep ^Seccomp: /proc/self/status; mkdir /tmp/d 2>&1; echo rc=$?'
	[[ "$output" == *"Seccomp:	2"* ]]
	[[ "$output" == *"Operation not permitted"* ]]
	[[ "$output" == *"rc=1"* ]]
}

@test "exec --process FILE runs that process (args, env, cwd, user, rlimits)" {
	start_container
	jq -n '{terminal: false, user: {uid: 123, gid: 456}, args: ["sh", "-c", "echo $(id -u):$(id -g) $(pwd) $ONLY; grep \"Max open files\" /proc/self/limits"],
		env: ["PATH=/bin", "ONLY=from-file"], cwd: "/tmp",
		rlimits: [{type: "RLIMIT_NOFILE", soft: 111, hard: 222}]}' >"$TEST_TMP/process.json"
	hexec --process "$TEST_TMP/process.json" "$CID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "123:456 /tmp from-file" ]
	[[ "${lines[1]}" =~ Max\ open\ files\ +111\ +222 ]]
}

@test "exec --process with a broken file fails and names the file" {
	start_container
	echo '{"args": ["true"], "cwd": 5' >"$TEST_TMP/bad.json"
	hexec --process "$TEST_TMP/bad.json" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *bad.json* ]]
	hexec --process "$TEST_TMP/missing.json" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *missing.json* ]]
}

@test "exec --detach returns at once and the process keeps running; --pid-file has its host pid" {
	start_container
	local t0=$SECONDS
	hexec --detach --pid-file "$TEST_TMP/exec.pid" "$CID" sh -c 'sleep 1; echo done > /detached; sleep 100'
	[ "$status" -eq 0 ]
	[ $((SECONDS - t0)) -lt 3 ]
	local pid
	pid=$(cat "$TEST_TMP/exec.pid")
	pid_alive "$pid"
	[ "$(readlink /proc/"$pid"/ns/pid)" = "$(readlink /proc/"$PID"/ns/pid)" ]
	wait_file "$BUNDLE/rootfs/detached"
}

@test "exec --pid-file in the foreground writes the pid before the process ends" {
	start_container
	hexec --pid-file "$TEST_TMP/fg.pid" "$CID" sh -c 'echo $$'
	[ "$status" -eq 0 ]
	[ -s "$TEST_TMP/fg.pid" ]
	[ "$(cat "$TEST_TMP/fg.pid")" -gt 0 ]
}

@test "exec --preserve-fds N passes fds 3..3+N-1 and no others" {
	start_container
	echo three >"$TEST_TMP/f3"
	echo four >"$TEST_TMP/f4"
	echo five >"$TEST_TMP/f5"
	status=0
	timeout 30 "$HUSK" --root "$HUSK_ROOT" exec --preserve-fds 2 "$CID" \
		sh -c 'cat <&3; cat <&4; cat 2>/dev/null <&5 || echo no-fd-5' \
		3<"$TEST_TMP/f3" 4<"$TEST_TMP/f4" 5<"$TEST_TMP/f5" </dev/null >"$TEST_TMP/out" 2>&1 || status=$?
	cat "$TEST_TMP/out"
	[ "$status" -eq 0 ]
	[ "$(cat "$TEST_TMP/out")" = "three
four
no-fd-5" ]
}

@test "exec --pidfd-socket hands over a pidfd of the exec'd process" {
	start_container
	python3 "$REPO_ROOT/tests/engines/recv-fd.py" "$TEST_TMP/pidfd.sock" "$TEST_TMP/pidfd.out" --timeout 20 &
	wait_file "$TEST_TMP/pidfd.out.ready"
	hexec -d --pid-file "$TEST_TMP/p" --pidfd-socket "$TEST_TMP/pidfd.sock" "$CID" sleep 100
	[ "$status" -eq 0 ]
	wait_file "$TEST_TMP/pidfd.out"
	cat "$TEST_TMP/pidfd.out"
	grep -qx 'payload=setns' "$TEST_TMP/pidfd.out"
	grep -qx 'fd=anon_inode:\[pidfd\]' "$TEST_TMP/pidfd.out"
	grep -qx "pid=$(cat "$TEST_TMP/p")" "$TEST_TMP/pidfd.out"
}

@test "exec of a program that does not exist fails with runc's wording" {
	start_container
	hexec "$CID" no-such-program
	[ "$status" -ne 0 ]
	[[ "$output" == *'executable file not found in $PATH'* ]]
	hexec "$CID" /no/such/program
	[ "$status" -ne 0 ]
	[[ "$output" =~ [Nn]o\ such\ file\ or\ directory ]]
	# The container is unaffected.
	[ "$(state_status)" = running ]
}

@test "exec into a container that does not exist, or is stopped, fails" {
	hexec "no-such-$CID" true
	[ "$status" -ne 0 ]
	[[ "$output" == *"does not exist"* ]]
	cfg '.process.args = ["true"]'
	create_detached
	husk start "$CID"
	wait_status stopped
	hexec "$CID" true
	[ "$status" -ne 0 ]
	[[ "$output" == *"stopped"* ]]
}

@test "exec into a paused container is refused" {
	start_container
	husk pause "$CID"
	hexec "$CID" true
	[ "$status" -ne 0 ]
	[[ "$output" == *paused* ]]
	husk resume "$CID"
	hexec "$CID" true
	[ "$status" -eq 0 ]
}

@test "exec without a command or a container id is a usage error" {
	start_container
	hexec "$CID"
	[ "$status" -ne 0 ]
	hexec
	[ "$status" -ne 0 ]
}

@test "exec in the foreground forwards signals to the process" {
	start_container
	"$HUSK" --root "$HUSK_ROOT" exec "$CID" sh -c 'trap "echo got-term > /fwd; exit 3" TERM; echo ready > /ready; while :; do sleep 0.05; done' \
		</dev/null >/dev/null 2>&1 &
	local hpid=$!
	wait_file "$BUNDLE/rootfs/ready"
	kill -TERM "$hpid"
	local rc=0
	wait "$hpid" || rc=$?
	[ "$rc" -eq 3 ]
	[ "$(cat "$BUNDLE/rootfs/fwd")" = got-term ]
}

@test "create --pidfd-socket and run --pidfd-socket hand over a pidfd of the init" {
	python3 "$REPO_ROOT/tests/engines/recv-fd.py" "$TEST_TMP/c.sock" "$TEST_TMP/c.out" --timeout 20 &
	wait_file "$TEST_TMP/c.out.ready"
	husk create --pidfd-socket "$TEST_TMP/c.sock" --bundle "$BUNDLE" "$CID" </dev/null >/dev/null 2>&1
	wait_file "$TEST_TMP/c.out"
	cat "$TEST_TMP/c.out"
	grep -qx 'payload=standard' "$TEST_TMP/c.out"
	grep -qx 'fd=anon_inode:\[pidfd\]' "$TEST_TMP/c.out"
	grep -qx "pid=$(state_pid)" "$TEST_TMP/c.out"
	python3 "$REPO_ROOT/tests/engines/recv-fd.py" "$TEST_TMP/r.sock" "$TEST_TMP/r.out" --timeout 20 &
	wait_file "$TEST_TMP/r.out.ready"
	cp -a "$BUNDLE" "$TEST_TMP/bundle-r"
	jq --arg cg "$CGROUP_PATH-r" '.linux.cgroupsPath = $cg' "$BUNDLE/config.json" >"$TEST_TMP/bundle-r/config.json"
	husk run -d --pidfd-socket "$TEST_TMP/r.sock" --bundle "$TEST_TMP/bundle-r" "$CID-r" </dev/null >/dev/null 2>&1
	wait_file "$TEST_TMP/r.out"
	grep -qx 'payload=standard' "$TEST_TMP/r.out"
	grep -qx "pid=$(state_pid "$CID-r")" "$TEST_TMP/r.out"
	husk kill "$CID-r" KILL
	wait_status stopped "$CID-r"
	husk delete "$CID-r"
	# A socket nobody listens on fails create and leaves nothing behind.
	husk delete -f "$CID"
	status=0
	husk create --pidfd-socket "$TEST_TMP/nobody.sock" --bundle "$BUNDLE" "$CID-x" </dev/null >/dev/null 2>&1 || status=$?
	[ "$status" -ne 0 ]
	run husk state "$CID-x"
	[ "$status" -ne 0 ]
	assert_no_leftovers "$CID-x"
}
