#!/usr/bin/env bats
# The container lifecycle through the CLI, checked against the kernel's view.
load helpers

setup() {
	setup_runtime_bundle
}

teardown() {
	teardown_bundle
}

# The init's pid as `state` reports it.
state_pid() { husk state "$1" | jq -r .pid; }
state_status() { husk state "$1" | jq -r .status; }

@test "run: /bin/true exits 0 and leaves nothing" {
	cfg '.process.args = ["/bin/true"]'
	run husk run "$CID"
	[ "$status" -eq 0 ]
	assert_no_leftovers "$CID"
}

@test "run: the container's exit status is husk's" {
	cfg '.process.args = ["sh", "-c", "exit 7"]'
	run husk run "$CID"
	[ "$status" -eq 7 ]
	assert_no_leftovers "$CID"
}

# husk run in the foreground, in the background of the test (RUNPID), until
# the container runs.
run_in_background() {
	"$HUSK" --root "$HUSK_ROOT" run "$CID" &
	RUNPID=$!
	for _ in $(seq 100); do [ "$(state_status "$CID" 2>/dev/null)" = running ] && break; sleep 0.05; done
}

# The husk run in the background ended with STATUS.
run_exited_with() { # STATUS
	local rc=0
	wait "$RUNPID" || rc=$?
	[ "$rc" -eq "$1" ]
}

@test "run: killed by a signal gives 128+N" {
	cfg '.process.args = ["sleep", "100"]'
	run_in_background
	husk kill "$CID" KILL
	run_exited_with 137
	assert_no_leftovers "$CID"
}

@test "run: signals sent to husk reach the container init" {
	cfg '.process.args = ["sh", "-c", "trap \"echo got-usr1 > /tmp/sig; exit 3\" USR1; while :; do sleep 0.05; done"]'
	run_in_background
	sleep 0.2 # the shell installs its trap
	kill -USR1 "$RUNPID"
	run_exited_with 3
	[ "$(cat "$BUNDLE/rootfs/tmp/sig")" = got-usr1 ]
	assert_no_leftovers "$CID"
}

@test "create/start/kill/delete: states follow the kernel's view" {
	cfg '.process.args = ["sh", "-c", "echo started > /tmp/started; trap \"exit 0\" TERM; while :; do sleep 0.05; done"]'
	husk create --pid-file "$TEST_TMP/pid" "$CID"
	# The pid file exists when create returns and names a live process.
	[ -s "$TEST_TMP/pid" ]
	local pid
	pid=$(cat "$TEST_TMP/pid")
	[ "$(state_pid "$CID")" = "$pid" ]
	[ -d "/proc/$pid" ]
	[ "$(state_status "$CID")" = created ]
	# Not started yet: the user process has not run.
	[ ! -e "$BUNDLE/rootfs/tmp/started" ]
	husk start "$CID"
	[ "$(state_status "$CID")" = running ]
	for _ in $(seq 100); do [ -e "$BUNDLE/rootfs/tmp/started" ] && break; sleep 0.05; done
	[ -e "$BUNDLE/rootfs/tmp/started" ]
	husk kill "$CID" TERM
	for _ in $(seq 100); do [ "$(state_status "$CID")" = stopped ] && break; sleep 0.05; done
	[ "$(state_status "$CID")" = stopped ]
	[ "$(state_pid "$CID")" = 0 ]
	husk delete "$CID"
	[ ! -d "/proc/$pid" ] || ! grep -q "^State:.*[RS]" "/proc/$pid/status"
	assert_no_leftovers "$CID"
}

@test "state: runc's fields" {
	cfg '.process.args = ["sleep", "100"] | .annotations = {"org.example.a": "b"}'
	husk create "$CID"
	run husk state "$CID"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e --arg id "$CID" --arg b "$BUNDLE" '
		.ociVersion == "1.2.0" and .id == $id and .status == "created" and (.pid > 0)
		and .bundle == $b and .rootfs == ($b + "/rootfs") and (.created | test("^[0-9-]+T[0-9:.]+Z$"))
		and .annotations["org.example.a"] == "b" and has("owner")'
	husk delete --force "$CID"
	assert_no_leftovers "$CID"
}

@test "start: twice fails, start of a stopped container fails" {
	cfg '.process.args = ["sleep", "100"]'
	husk create "$CID"
	husk start "$CID"
	run husk start "$CID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot start an already running container"* ]]
	husk kill "$CID" KILL
	for _ in $(seq 100); do [ "$(state_status "$CID")" = stopped ] && break; sleep 0.05; done
	run husk start "$CID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot start a container that has stopped"* ]]
	husk delete "$CID"
	assert_no_leftovers "$CID"
}

@test "kill: names, SIG-names and numbers; default is SIGTERM" {
	cfg '.process.args = ["sh", "-c", "for s in USR1 USR2 HUP TERM; do trap \"echo $s >> /tmp/sigs\" $s; done; while :; do sleep 0.05; done"]'
	husk run -d "$CID"
	sleep 0.3
	local pid
	pid=$(state_pid "$CID")
	husk kill "$CID" USR1
	sleep 0.2
	husk kill "$CID" SIGUSR2
	sleep 0.2
	husk kill "$CID" 1
	sleep 0.2
	husk kill "$CID"
	for _ in $(seq 100); do [ "$(wc -l < "$BUNDLE/rootfs/tmp/sigs" 2>/dev/null)" = 4 ] && break; sleep 0.05; done
	[ "$(tr '\n' ' ' < "$BUNDLE/rootfs/tmp/sigs")" = "USR1 USR2 HUP TERM " ]
	run husk kill "$CID" NOSUCHSIG
	[ "$status" -eq 1 ]
	[[ "$output" == *"unknown signal"* ]]
	husk kill "$CID" KILL
	for _ in $(seq 100); do [ "$(state_status "$CID")" = stopped ] && break; sleep 0.05; done
	run husk kill "$CID" KILL
	[ "$status" -eq 1 ]
	[[ "$output" == *"container not running"* ]]
	husk delete "$CID"
	assert_no_leftovers "$CID"
}

@test "delete: refuses a running container, --force kills it" {
	cfg '.process.args = ["sleep", "100"]'
	husk run -d --pid-file "$TEST_TMP/pid" "$CID"
	local pid
	pid=$(cat "$TEST_TMP/pid")
	run husk delete "$CID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot delete container $CID that is not stopped: running"* ]]
	[ -d "/proc/$pid" ]
	husk delete --force "$CID"
	process_ended "$pid"
	assert_no_leftovers "$CID"
}

@test "delete: a created container goes without --force" {
	cfg '.process.args = ["sleep", "100"]'
	husk create --pid-file "$TEST_TMP/pid" "$CID"
	husk delete "$CID"
	assert_no_leftovers "$CID"
}

@test "unknown ids: does not exist, delete --force is quiet" {
	for cmd in state start delete kill; do
		run husk $cmd nosuch-$CID
		[ "$status" -eq 1 ]
		[[ "$output" == *"container nosuch-$CID does not exist"* ]]
	done
	run husk delete --force nosuch-$CID
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "create: an id in use is refused, the first container survives" {
	cfg '.process.args = ["sleep", "100"]'
	husk create "$CID"
	run husk create "$CID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"container with id exists: $CID"* ]]
	[ "$(state_status "$CID")" = created ]
	husk delete "$CID"
	assert_no_leftovers "$CID"
}

@test "list: table, json and quiet" {
	cfg '.process.args = ["sleep", "100"]'
	husk create "$CID"
	husk create "$CID-b"
	run husk list
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "ID"*"PID"*"STATUS"*"BUNDLE"*"CREATED"*"OWNER" ]]
	[[ "$output" == *"$CID "*"created"*"$BUNDLE"* ]]
	run husk list --format json
	[ "$status" -eq 0 ]
	echo "$output" | jq -e --arg id "$CID" 'length == 2 and (.[0].id == $id) and .[0].status == "created" and .[1].id == ($id + "-b")'
	run husk list -q
	[ "$output" = "$(printf '%s\n%s' "$CID" "$CID-b")" ]
	run husk list -f yaml
	[ "$status" -eq 1 ]
	husk delete "$CID"
	husk delete "$CID-b"
	run husk list -f json
	[ "$output" = null ]
	assert_no_leftovers "$CID"
}

@test "run -d: returns with the container running, pid file written" {
	cfg '.process.args = ["sleep", "100"]'
	husk run -d --pid-file "$TEST_TMP/pid" "$CID"
	[ "$(state_status "$CID")" = running ]
	[ "$(cat "$TEST_TMP/pid")" = "$(state_pid "$CID")" ]
	grep -q sleep "/proc/$(cat "$TEST_TMP/pid")/cmdline"
	husk delete -f "$CID"
	assert_no_leftovers "$CID"
}

@test "run --keep: the stopped container stays until delete" {
	cfg '.process.args = ["/bin/true"]'
	husk run --keep "$CID"
	[ "$(state_status "$CID")" = stopped ]
	husk delete "$CID"
	assert_no_leftovers "$CID"
}

@test "the cgroup mount shows the container's own cgroup (the init entered it before its mounts)" {
	# the v1 pids hierarchy (bound from the container's cgroup), or on a
	# unified host the cgroup2 mount, whose root is the container's cgroup
	# once it has a cgroup namespace (entered after its cgroup, as runc)
	if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
		cfg '.linux.namespaces += [{"type": "cgroup"}]'
	fi
	cfg '.process.args = ["sh", "-c", "d=/sys/fs/cgroup/pids; [ -d $d ] || d=/sys/fs/cgroup; find $d -mindepth 1 -type d | wc -l > /tmp/subdirs; cp $d/cgroup.procs /tmp/procs"]'
	husk run "$CID"
	# A leaf cgroup: no child cgroups, and the container's init (pid 1) in it.
	[ "$(cat "$BUNDLE/rootfs/tmp/subdirs")" = 0 ]
	grep -qx 1 "$BUNDLE/rootfs/tmp/procs"
	assert_no_leftovers "$CID"
}
