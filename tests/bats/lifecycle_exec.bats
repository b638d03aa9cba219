#!/usr/bin/env bats
# exec: a process in a running container, in its namespaces and cgroup.
load helpers

setup() {
	setup_runtime_bundle
	cfg '.process.args = ["sleep", "100"]'
	husk run -d --pid-file "$TEST_TMP/init.pid" "$CID"
	INIT=$(cat "$TEST_TMP/init.pid")
}

teardown() {
	teardown_bundle
}

ns_inode() { stat -L -c %i "/proc/$1/ns/$2"; }

@test "exec: same namespaces and cgroup as the init, exit status passed through" {
	run husk exec "$CID" sh -c 'echo $$; for n in mnt pid net ipc uts; do readlink /proc/self/ns/$n; done; exit 6'
	echo "$output"
	[ "$status" -eq 6 ]
	# pid 1 is the init: the exec'd shell has another pid in the container's namespace.
	[ "${lines[0]}" != 1 ]
	local i=1
	for n in mnt pid net ipc uts; do
		[ "${lines[$i]}" = "$(readlink "/proc/$INIT/ns/$n")" ] || { echo "$n differs"; false; }
		i=$((i + 1))
	done
}

@test "exec -d --pid-file: the process runs in the container's cgroup and outlives husk" {
	husk exec -d --pid-file "$TEST_TMP/exec.pid" "$CID" sleep 77
	local pid
	pid=$(cat "$TEST_TMP/exec.pid")
	grep -q "sleep 77" "/proc/$pid/cmdline" 2>/dev/null || tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q "sleep.77"
	[ "$(ns_inode "$pid" pid)" = "$(ns_inode "$INIT" pid)" ]
	diff <(sort "/proc/$pid/cgroup") <(sort "/proc/$INIT/cgroup")
	husk delete -f "$CID"
	process_ended "$pid"
	assert_no_leftovers "$CID"
}

@test "exec: --env, --cwd and --user change the container's process" {
	run husk exec -e FOO=bar --env BAZ=qux --cwd /tmp -u 65534:65534 "$CID" sh -c 'echo $FOO $BAZ $(pwd) $(id -u):$(id -g)'
	[ "$status" -eq 0 ]
	[ "$output" = "bar qux /tmp 65534:65534" ]
}

@test "exec --process: the process.json as given" {
	cat > "$TEST_TMP/process.json" <<'JSON'
{"args": ["sh", "-c", "echo $ONLY; pwd"], "env": ["ONLY=this", "PATH=/bin"], "cwd": "/etc", "user": {"uid": 0, "gid": 0}}
JSON
	run husk exec --process "$TEST_TMP/process.json" "$CID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = this ]
	[ "${lines[1]}" = /etc ]
}

@test "exec: a missing binary fails, the container keeps running" {
	run husk exec "$CID" no-such-binary
	[ "$status" -eq 255 ] # runc's status for a failed exec
	[[ "$output" == *'exec: "no-such-binary": executable file not found in $PATH'* ]]
	[ "$(husk state "$CID" | jq -r .status)" = running ]
}

@test "exec: a missing binary by path fails in runc's words" {
	run husk exec "$CID" /no-such-binary
	[ "$status" -ne 0 ]
	[[ "$output" == *'exec: "/no-such-binary": stat /no-such-binary: no such file or directory'* ]]
}

@test "exec: in a stopped or unknown container it fails clearly" {
	husk kill "$CID" KILL
	wait_status "$CID" stopped
	run husk exec "$CID" true
	[ "$status" -eq 255 ]
	[[ "$output" == *"cannot exec in a stopped container"* ]]
	run husk exec nosuch-$CID true
	[ "$status" -eq 255 ]
	[[ "$output" == *"does not exist"* ]]
	run husk exec "$CID"
	[ "$status" -eq 1 ]
}

@test "exec -t: a terminal from the container's devpts, proxied in the foreground" {
	run bash -c "echo typed | '$HUSK' --root '$HUSK_ROOT' exec -t '$CID' sh -c 'tty; read x; echo got:\$x'"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"/dev/pts/"* ]]
	[[ "$output" == *"got:typed"* ]]
}

@test "kill --all reaches exec'd processes" {
	husk exec -d --pid-file "$TEST_TMP/exec.pid" "$CID" sleep 88
	local pid
	pid=$(cat "$TEST_TMP/exec.pid")
	husk kill --all "$CID" KILL
	for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$pid/status" || break; sleep 0.02; done
	process_ended "$pid"
}
