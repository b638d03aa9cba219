#!/usr/bin/env bats
# What husk does on the unified (cgroup2) mount of this hybrid host, with real
# containers.  The v1 hierarchy that would otherwise do the job is hidden in a
# private mount namespace (a hybrid host without it), so the v2 path is the
# only one left:
#   - no v1 devices controller: the eBPF device program on the unified cgroup
#     is the only device policy, and a denied open is EPERM in the container;
#   - no v1 freezer: pause and resume go through cgroup.freeze.
# The container's cgroup.procs and cgroup.kill are checked on the way.

load helpers
load cgroup_hide

setup() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	[ -f /sys/fs/cgroup/unified/cgroup.procs ] ||
		skip "not a hybrid host (a unified host runs the v2 paths in cgroups_commands/limits.bats)"
	setup_runtime_bundle sleep 1000
}

teardown() {
	teardown_bundle
}

# Run husk with v1 hierarchy $1 hidden under /sys/fs/cgroup.
husk_without() { # CTL ARGS...
	local hide=$1
	shift
	cg_hide "$hide" "$HUSK" --root "$HUSK_ROOT" "$@"
}

# Run SCRIPT (sh) with the host's /dev/fuse bound in, under the device rules
# "deny all" then RULE (a JSON object), v1's devices hierarchy hidden.
# /dev/fuse (c 10:229) opens without any capability: only the device policy
# can refuse it.
run_fuse_policy() { # SCRIPT RULE
	cfg --arg s "$1" --argjson rule "$2" '.process.args = ["sh", "-c", $s]
	   | .linux.resources.devices = [{"allow": false, "access": "rwm"}, $rule]
	   | .mounts += [{"destination": "/dev/fuse", "type": "bind", "source": "/dev/fuse", "options": ["bind"]}]'
	run husk_without devices run "$CID"
	echo "$output"
}

@test "cgroups: the eBPF device program denies a device inside the container (EPERM)" {
	run_fuse_policy '(exec 3</dev/fuse); echo fuse=$?; head -c1 /dev/full | od -An -tx1; echo x >/dev/null && echo null=ok' \
		'{"allow": true, "type": "c", "major": 1, "minor": 7, "access": "r"}'
	[ "$status" -eq 0 ]
	[[ "$output" == *"/dev/fuse"*"Operation not permitted"* ]]
	[[ "$output" == *"fuse="[12]* ]]
	[[ "$output" == *" 00"* ]]                      # /dev/full: allowed read
	[[ "$output" == *"null=ok"* ]]                  # runc's default device list
	assert_no_leftovers "$CID"
}

@test "cgroups: a rule allowing the device lets the same open succeed" {
	run_fuse_policy '(exec 3</dev/fuse); echo fuse=$?' \
		'{"allow": true, "type": "c", "major": 10, "minor": 229, "access": "rw"}'
	[ "$status" -eq 0 ]
	[[ "$output" == *"fuse=0"* ]]
	assert_no_leftovers "$CID"
}

@test "cgroups: pause and resume through cgroup.freeze when v1 has no freezer" {
	husk_without freezer create "$CID"
	husk_without freezer start "$CID"
	wait_status "$CID" running
	u=/sys/fs/cgroup/unified/husk/$CID
	pid=$(husk state "$CID" | jq .pid)
	grep -qx "$pid" "$u/cgroup.procs"
	[ ! -e "/sys/fs/cgroup/freezer/husk/$CID" ]
	husk_without freezer pause "$CID"
	[ "$(cat "$u/cgroup.freeze")" = 1 ]
	grep -qx "frozen 1" "$u/cgroup.events"
	[ "$(husk_without freezer state "$CID" | jq -r .status)" = paused ]
	husk_without freezer resume "$CID"
	[ "$(cat "$u/cgroup.freeze")" = 0 ]
	grep -qx "frozen 0" "$u/cgroup.events"
	# kill --all on the unified cgroup (cgroup.kill) empties it
	husk_without freezer kill --all "$CID" KILL
	for i in $(seq 100); do
		grep -qx "populated 0" "$u/cgroup.events" && break
		sleep 0.05
	done
	grep -qx "populated 0" "$u/cgroup.events"
	husk_without freezer delete --force "$CID"
	assert_no_leftovers "$CID"
}
