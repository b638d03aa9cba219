#!/usr/bin/env bats
# pause, resume, update, ps, events, kill --all and delete --force on real
# containers, checked against the kernel's files wherever the host's layout
# puts them.  cgroups_commands_v2view.bats is this file again (a symlink), run
# with husk seeing a cgroup2 mount at /sys/fs/cgroup (tests/bats/cgroup_view.bash).

bats_require_minimum_version 1.5.0
load helpers
load cgroup_view

setup() {
	cg_view_setup
	setup_runtime_bundle sh -c 'sleep 1000 & sleep 1000 & read x </tmp/never'
	mkfifo "$BUNDLE/rootfs/tmp/never"
}

teardown() {
	cg_view_teardown
}

start_container() {
	cg_start_container
	# the two sleeps are up
	for i in $(seq 100); do
		[ "$(cg_get procs | wc -l)" -ge 3 ] && break
		sleep 0.05
	done
}

@test "cgroups: pause freezes every process, resume thaws them" {
	start_container
	husk pause "$CID"
	[ "$(husk state "$CID" | jq -r .status)" = paused ]
	[ "$(cg_get frozen)" = 1 ]
	for p in $(cg_get procs); do
		# frozen tasks sleep in the refrigerator
		grep -q '^State:.*[DS]' "/proc/$p/status"
	done
	run husk pause "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"container not running"* ]]
	husk resume "$CID"
	[ "$(husk state "$CID" | jq -r .status)" = running ]
	[ "$(cg_get frozen)" = 0 ]
	run husk resume "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"container not paused"* ]]
	husk delete --force "$CID"
	assert_no_leftovers "$CID"
}

@test "cgroups: delete --force on a frozen container kills it and leaves nothing" {
	start_container
	pids=$(cg_get procs)
	[ -n "$pids" ]
	husk pause "$CID"
	[ "$(cg_get frozen)" = 1 ]
	husk delete --force "$CID"
	for p in $pids; do
		process_ended "$p"
	done
	assert_no_leftovers "$CID"
}

@test "cgroups: kill --all signals every process of the container" {
	start_container
	pids=$(cg_get procs)
	[ "$(wc -w <<<"$pids")" -ge 3 ]
	husk kill --all "$CID" KILL
	for i in $(seq 100); do
		[ -z "$(cg_get procs 2>/dev/null)" ] && break
		sleep 0.05
	done
	for p in $pids; do
		process_ended "$p"
	done
	husk delete --force "$CID"
	assert_no_leftovers "$CID"
}

@test "cgroups: update flags change the cgroup files, and only what is given" {
	cg_require memory cpu cpuset pids
	cfg '.linux.resources.pids = {"limit": 50} | .linux.resources.cpu = {"shares": 256}'
	start_container
	husk update --memory 32m --memory-swap 64m --cpu-quota 20000 --cpu-period 100000 \
		--cpuset-cpus 0 --pids-limit 12 "$CID"
	[ "$(cg_get memory.limit)" = 33554432 ]
	[ "$(cg_get memory.swap)" = 67108864 ]
	[ "$(cg_get cpu.quota)" = 20000 ]
	[ "$(cg_get cpu.period)" = 100000 ]
	[ "$(cg_get cpuset.cpus)" = 0 ]
	[ "$(cg_get pids.max)" = 12 ]
	[ "$(cg_get cpu.shares)" = "$(cg_shares_as_shown 256)" ] # untouched
	husk update --pids-limit -1 --cpu-quota -1 "$CID"
	[ "$(cg_get pids.max)" = max ]
	[ "$(cg_get cpu.quota)" = max ]
	[ "$(cg_get memory.limit)" = 33554432 ] # untouched
	run husk update --memory lots "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"--memory"* ]]
	husk delete --force "$CID"
	assert_no_leftovers "$CID"
}

@test "cgroups: update --resources takes LinuxResources JSON from a file or stdin" {
	cg_require memory cpu pids
	start_container
	echo '{"memory": {"limit": 41943040}, "pids": {"limit": 9}, "cpu": {"shares": 100}}' >"$TEST_TMP/r.json"
	husk update --resources "$TEST_TMP/r.json" "$CID"
	[ "$(cg_get memory.limit)" = 41943040 ]
	[ "$(cg_get pids.max)" = 9 ]
	[ "$(cg_get cpu.shares)" = "$(cg_shares_as_shown 100)" ]
	echo '{"pids": {"limit": 7}}' | husk update -r - "$CID"
	[ "$(cg_get pids.max)" = 7 ]
	[ "$(cg_get memory.limit)" = 41943040 ]
	run husk update -r - "$CID" <<<'{"pids": {"limit": "seven"}}'
	[ "$status" -ne 0 ]
	[[ "$output" == *pids* ]]
	husk delete --force "$CID"
	run husk update --pids-limit 3 "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"does not exist"* ]]
	assert_no_leftovers "$CID"
}

@test "cgroups: a zero means unset, as runc: Docker's create and update JSON" {
	cg_require memory cpu pids
	# What Docker 20.10 sends at create when no limit is given ...
	cfg '.linux.resources.blockIO = {"weight": 0} |
		.linux.resources.cpu = {"shares": 0, "quota": 0, "period": 0} |
		.linux.resources.memory = {"limit": 0, "reservation": 0, "swap": 0, "disableOOMKiller": false} |
		.linux.resources.pids = {"limit": 0}'
	start_container
	[ "$(cg_get cpu.shares)" = "$(cg_shares_as_shown 1024)" ] # the kernel's default
	[ "$(cg_get cpu.quota)" = max ]
	[ "$(cg_get pids.max)" = max ]
	# ... and at `docker update --memory 128m`: a zero for every field left alone.
	husk update -r - "$CID" <<<'{"memory": {"limit": 134217728, "reservation": 0, "kernel": 0},
		"cpu": {"shares": 0, "quota": 0, "period": 0, "realtimeRuntime": 0, "realtimePeriod": 0},
		"blockIO": {"weight": 0}, "pids": {"limit": 0}}'
	[ "$(cg_get memory.limit)" = 134217728 ]
	[ "$(cg_get cpu.shares)" = "$(cg_shares_as_shown 1024)" ]
	[ "$(cg_get cpu.quota)" = max ]
	[ "$(cg_get pids.max)" = max ]
	husk delete --force "$CID"
	assert_no_leftovers "$CID"
}

@test "cgroups: ps lists the container's processes (json and table)" {
	start_container
	run husk ps --format json "$CID"
	[ "$status" -eq 0 ]
	[ "$(jq length <<<"$output")" = 3 ]
	init=$(husk state "$CID" | jq .pid)
	jq -e "index($init)" <<<"$output"
	run husk ps "$CID"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *PID* ]]
	[ "$(grep -c ' sleep 1000$' <<<"$output")" = 2 ]
	run husk ps "$CID" -o pid,comm
	[ "$status" -eq 0 ]
	[ "$(grep -c sleep <<<"$output")" = 2 ]
	run husk ps --format yaml "$CID"
	[ "$status" -ne 0 ]
	husk delete --force "$CID"
	assert_no_leftovers "$CID"
}

@test "cgroups: events --stats prints runc's stats event" {
	cg_require memory pids
	cfg '.linux.resources.memory = {"limit": 67108864} | .linux.resources.pids = {"limit": 99}'
	start_container
	run husk events --stats "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(jq -r .type <<<"$output")" = stats ]
	[ "$(jq -r .id <<<"$output")" = "$CID" ]
	[ "$(jq .data.pids.current <<<"$output")" = 3 ]
	[ "$(jq .data.pids.limit <<<"$output")" = 99 ]
	[ "$(jq .data.memory.usage.limit <<<"$output")" = 67108864 ]
	[ "$(jq '.data.memory.usage.usage > 0' <<<"$output")" = true ]
	[ "$(jq '.data.cpu.usage.percpu | length' <<<"$output")" -ge 1 ]
	jq -e '.data.memory.raw.rss != null' <<<"$output"
	# a stream: stats every interval
	run timeout 1 "${HUSK_CMD[@]}" --root "$HUSK_ROOT" events --interval 200ms "$CID"
	[ "$(grep -c '"type":"stats"' <<<"$output")" -ge 3 ]
	run husk events --interval nonsense "$CID"
	[ "$status" -ne 0 ]
	husk delete --force "$CID"
	run husk events --stats "$CID"
	[ "$status" -ne 0 ]
	assert_no_leftovers "$CID"
}
