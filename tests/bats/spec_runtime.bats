#!/usr/bin/env bats
# runtime-spec runtime.md: state, lifecycle, errors and the create / start /
# kill / delete / state operations, one test per MUST that a runtime CLI can
# be held to.  HUSK=/usr/sbin/runc runs them against runc.

bats_require_minimum_version 1.5.0
load helpers
load ../engines/spec

setup() { spec_bundle; }
teardown() { spec_teardown; }

@test "runtime.md#state: a created container's state has ociVersion, id, status created, pid and an absolute bundle" {
	create_detached
	run state_json
	echo "$output"
	[ "$status" -eq 0 ]
	jq -e --arg id "$CID" --arg b "$BUNDLE" '
		(.ociVersion | test("^[0-9]+\\.[0-9]+\\.[0-9]+(-[0-9A-Za-z.-]+)?(\\+[0-9A-Za-z.-]+)?$")) and
		.id == $id and .status == "created" and (.pid | type == "number") and .pid > 0 and
		.bundle == $b' <<<"$output"
}

@test "runtime.md#state: pid is the container process as the host sees it" {
	create_detached
	local pid
	pid=$(state_pid)
	pid_alive "$pid"
	# It lives in the container's new pid and mount namespaces.
	[ "$(readlink /proc/"$pid"/ns/pid_for_children)" != "$(readlink /proc/self/ns/pid)" ] ||
		[ "$(readlink /proc/"$pid"/ns/pid)" != "$(readlink /proc/self/ns/pid)" ]
	[ "$(readlink /proc/"$pid"/ns/mnt)" != "$(readlink /proc/self/ns/mnt)" ]
	husk start "$CID"
	wait_status running
	# After start the same pid runs the user-specified program.
	[ "$(state_pid)" = "$pid" ]
	[ "$(tr '\0' ' ' </proc/"$pid"/cmdline)" = "sleep 1000 " ]
}

@test "runtime.md#state: bundle is absolute even when create was given a relative path" {
	cd "$TEST_TMP"
	husk create --bundle bundle "$CID" </dev/null >/dev/null 2>&1
	[ "$(state_json | jq -r .bundle)" = "$BUNDLE" ]
}

@test "runtime.md#state: annotations of config.json are in the state" {
	cfg '.annotations = {"org.example.key": "value", "org.example.other": "x y"}'
	create_detached
	run state_json
	jq -e '.annotations["org.example.key"] == "value" and .annotations["org.example.other"] == "x y"' <<<"$output"
}

@test "runtime.md#state: status is running after start and stopped once the process exited" {
	cfg '.process.args = ["sh", "-c", "read x < /dev/null; sleep 0.5"]'
	create_detached
	[ "$(state_status)" = created ]
	husk start "$CID"
	[ "$(state_status)" = running ]
	wait_status stopped
}

@test "runtime.md#lifecycle: the user-specified program does not run at create" {
	cfg '.process.args = ["sh", "-c", "echo ran >> /ran; sleep 1000"]'
	create_detached
	sleep 0.3
	[ ! -e "$BUNDLE/rootfs/ran" ]
	husk start "$CID"
	wait_file "$BUNDLE/rootfs/ran"
	[ "$(cat "$BUNDLE/rootfs/ran")" = ran ]
}

@test "runtime.md#lifecycle: updates to config.json after create do not affect the container" {
	cfg '.process.args = ["sh", "-c", "echo original > /out; sleep 1000"]'
	create_detached
	cfg '.process.args = ["sh", "-c", "echo updated > /out; sleep 1000"] | .hostname = "changed"'
	husk start "$CID"
	wait_file "$BUNDLE/rootfs/out"
	sleep 0.1
	[ "$(cat "$BUNDLE/rootfs/out")" = original ]
	local pid
	pid=$(state_pid)
	[ "$(nsenter -t "$pid" -u hostname)" = spec ]
}

@test "runtime.md#lifecycle: if the environment cannot be created, create fails" {
	cfg '.mounts += [{destination: "/data", type: "none", source: "/nonexistent-husk-spec-source", options: ["rbind"]}]'
	create_refused
}

@test "runtime.md#lifecycle: delete destroys what create made (process, cgroup, state)" {
	create_detached
	local pid
	pid=$(state_pid)
	[ -d "$(cgroup_dir memory)" ]
	husk start "$CID"
	husk kill "$CID" KILL
	wait_status stopped
	husk delete "$CID"
	if pid_alive "$pid"; then echo "process $pid still alive"; false; fi
	[ ! -d "$(cgroup_dir memory)" ]
	[ ! -d "$(cgroup_dir pids)" ]
	run husk state "$CID"
	[ "$status" -ne 0 ]
	assert_no_leftovers "$CID"
}

@test "runtime.md#errors: a failed create leaves no state dir, cgroup, mount or process behind" {
	cfg '.process.args = ["/no-such-program"]'
	try_create
	# runc reports a missing program at create; a runtime that exec()s late may
	# fail at start instead.  Either way nothing may remain after the failure.
	if [ "$status" -eq 0 ]; then
		run husk start "$CID"
		[ "$status" -ne 0 ]
		husk delete -f "$CID" || true
	fi
	run husk state "$CID"
	[ "$status" -ne 0 ]
	assert_no_leftovers "$CID"
	[ ! -d "$(cgroup_dir memory)" ]
	[ -z "$(pgrep -f "$BUNDLE")" ]
}

@test "runtime.md#errors: a create that fails on a duplicate id leaves the first container untouched" {
	create_detached
	local pid
	pid=$(state_pid)
	try_create
	[ "$status" -ne 0 ]
	[ "$(state_status)" = created ]
	[ "$(state_pid)" = "$pid" ]
	pid_alive "$pid"
}

@test "runtime.md#query-state: state without an id fails" {
	run husk state
	[ "$status" -ne 0 ]
}

@test "runtime.md#query-state: state of a container that does not exist fails" {
	run husk state "no-such-$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"does not exist"* ]]
}

@test "runtime.md#create: create without an id fails" {
	run bash -c '"$0" --root "$1" create --bundle "$2" </dev/null >/dev/null 2>&1' "$HUSK" "$HUSK_ROOT" "$BUNDLE"
	[ "$status" -ne 0 ]
	[ -z "$(ls -A "$HUSK_ROOT" 2>/dev/null)" ]
}

@test "runtime.md#create: create with a bundle path that does not exist fails" {
	try_create "$CID" "$TEST_TMP/no-such-bundle"
	[ "$status" -ne 0 ]
	run husk state "$CID"
	[ "$status" -ne 0 ]
}

@test "runtime.md#create: an id that is already in use fails and creates nothing new" {
	create_detached
	cp -a "$BUNDLE" "$TEST_TMP/bundle2"
	try_create "$CID" "$TEST_TMP/bundle2"
	echo "$output"
	[ "$status" -ne 0 ]
	[ "$(state_json | jq -r .bundle)" = "$BUNDLE" ]
}

@test "runtime.md#create: an invalid id fails and creates nothing" {
	local id
	for id in "../$CID" "a/$CID" "." ".."; do
		try_create "$id"
		echo "$id: $output"
		[ "$status" -ne 0 ]
	done
	[ ! -e "$TEST_TMP/$CID" ]
	[ -z "$(find "$HUSK_ROOT" -mindepth 1 -maxdepth 1 2>/dev/null)" ]
	[ -z "$(find /sys/fs/cgroup/*/"$SPEC_CGROUP_PARENT" /sys/fs/cgroup/"$SPEC_CGROUP_PARENT" -mindepth 1 -type d 2>/dev/null)" ]
}

@test "runtime.md#create: a successful create leaves the container in status created, with its cgroup" {
	create_detached
	[ "$(state_status)" = created ]
	local pid
	pid=$(state_pid)
	grep -qx "$pid" "$(cgroup_dir pids)/cgroup.procs"
}

@test "runtime.md#start: start without an id fails" {
	run husk start
	[ "$status" -ne 0 ]
}

@test "runtime.md#start: start of a container that does not exist fails" {
	run husk start "no-such-$CID"
	[ "$status" -ne 0 ]
}

@test "runtime.md#start: start runs the user-specified program" {
	cfg '.process.args = ["sh", "-c", "echo \"$0 $1 $FOO\" > /out; sleep 1000", "arg0", "arg1"] | .process.env += ["FOO=bar"]'
	create_detached
	husk start "$CID"
	wait_file "$BUNDLE/rootfs/out"
	sleep 0.1
	[ "$(cat "$BUNDLE/rootfs/out")" = "arg0 arg1 bar" ]
}

@test "runtime.md#start: starting a running container fails and has no effect" {
	cfg '.process.args = ["sh", "-c", "echo x >> /count; sleep 1000"]'
	create_detached
	husk start "$CID"
	wait_file "$BUNDLE/rootfs/count"
	local pid
	pid=$(state_pid)
	run husk start "$CID"
	[ "$status" -ne 0 ]
	sleep 0.2
	[ "$(wc -l <"$BUNDLE/rootfs/count")" -eq 1 ]
	[ "$(state_status)" = running ]
	[ "$(state_pid)" = "$pid" ]
}

@test "runtime.md#start: starting a stopped container fails" {
	cfg '.process.args = ["true"]'
	create_detached
	husk start "$CID"
	wait_status stopped
	run husk start "$CID"
	[ "$status" -ne 0 ]
	[ "$(state_status)" = stopped ]
}

@test "runtime.md#kill: kill without an id fails" {
	run husk kill
	[ "$status" -ne 0 ]
}

@test "runtime.md#kill: kill sends the signal to the container process" {
	cfg '.process.args = ["sh", "-c", "trap \"echo got-usr1 > /sig; exit 0\" USR1; while :; do sleep 0.05; done"]'
	create_detached
	husk start "$CID"
	wait_status running
	sleep 0.2
	husk kill "$CID" USR1
	wait_file "$BUNDLE/rootfs/sig"
	[ "$(cat "$BUNDLE/rootfs/sig")" = got-usr1 ]
	wait_status stopped
}

@test "runtime.md#kill: kill works on a created container" {
	create_detached
	husk kill "$CID" KILL
	wait_status stopped
}

@test "runtime.md#kill: killing a stopped container fails and has no effect" {
	cfg '.process.args = ["true"]'
	create_detached
	husk start "$CID"
	wait_status stopped
	run husk kill "$CID" KILL
	[ "$status" -ne 0 ]
	[ "$(state_status)" = stopped ]
	# Still deletable: the failed kill changed nothing.
	husk delete "$CID"
}

@test "runtime.md#kill: status becomes stopped whatever ended the process" {
	cfg '.process.args = ["sh", "-c", "kill -SEGV $$"]'
	create_detached
	husk start "$CID"
	wait_status stopped
}

@test "runtime.md#delete: delete without an id fails" {
	run husk delete
	[ "$status" -ne 0 ]
}

@test "runtime.md#delete: delete of a container that does not exist fails" {
	run husk delete "no-such-$CID"
	[ "$status" -ne 0 ]
}

@test "runtime.md#delete: deleting a running container fails and it keeps running" {
	create_detached
	husk start "$CID"
	wait_status running
	local pid
	pid=$(state_pid)
	run husk delete "$CID"
	[ "$status" -ne 0 ]
	[ "$(state_status)" = running ]
	pid_alive "$pid"
	[ -d "$(cgroup_dir memory)" ]
}

@test "runtime.md#delete: delete removes what create made and nothing else" {
	# Resources the container uses but did not create: a host directory bound
	# into it, a network namespace it joined, and the cgroup parent.
	mkdir -p "$TEST_TMP/hostdir"
	echo keep >"$TEST_TMP/hostdir/file"
	unshare --net sleep 1000 &
	local holder=$!
	sleep 0.2
	local netns
	netns=$(readlink /proc/$holder/ns/net)
	cfg --arg src "$TEST_TMP/hostdir" --arg ns "/proc/$holder/ns/net" '
		.mounts += [{destination: "/hostdir", type: "none", source: $src, options: ["rbind", "rw"]}] |
		.linux.namespaces = [.linux.namespaces[] | if .type == "network" then .path = $ns else . end]'
	cfg '.process.args = ["true"]'
	create_detached
	husk start "$CID"
	wait_status stopped
	husk delete "$CID"
	[ "$(cat "$TEST_TMP/hostdir/file")" = keep ]
	[ -d "/sys/fs/cgroup/memory/$SPEC_CGROUP_PARENT" ] || [ -d "/sys/fs/cgroup/$SPEC_CGROUP_PARENT" ]
	[ "$(readlink /proc/$holder/ns/net)" = "$netns" ]
	kill "$holder"
	assert_no_leftovers "$CID"
}

@test "runtime.md#delete: the id can be used again once deleted" {
	cfg '.process.args = ["true"]'
	create_detached
	husk start "$CID"
	wait_status stopped
	husk delete "$CID"
	create_detached
	[ "$(state_status)" = created ]
}
