#!/usr/bin/env bats
# Resource limits on real containers, checked in the kernel's own files
# wherever the host's layout puts them, and shown to bite: a fork bomb stops
# at pids.max, an allocation past the memory limit is OOM-killed and reported
# by `events`.  cgroups_limits_v2view.bats is this file again (a symlink), with
# husk seeing a cgroup2 mount at /sys/fs/cgroup (tests/bats/cgroup_view.bash).

bats_require_minimum_version 1.5.0
load helpers
load cgroup_view

setup() {
	cg_view_setup
	setup_runtime_bundle sleep 1000
}

teardown() {
	cg_view_teardown
	# the cgroupsPath test's parent, should it fail half-way
	local d
	for d in /sys/fs/cgroup/husk-cgtest-$$ /sys/fs/cgroup/*/husk-cgtest-$$ \
		"$(cg_root pids)/husk-cgtest-$$"; do
		[ ! -d "$d" ] || find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	return 0
}

start_container() { cg_start_container; }

@test "cgroups: linux.resources land in the cgroup files" {
	cg_require memory pids cpu cpuset
	cfg '.linux.resources.memory = {"limit": 67108864, "reservation": 33554432, "swap": 134217728}
	   | .linux.resources.pids = {"limit": 77}
	   | .linux.resources.cpu = {"shares": 512, "quota": 25000, "period": 50000, "cpus": "0"}
	   | .linux.resources.devices = [{"allow": false, "access": "rwm"},
	                                 {"allow": true, "type": "c", "major": 1, "minor": 7, "access": "r"}]'
	start_container
	[ "$(cg_get memory.limit)" = 67108864 ]
	[ "$(cg_get memory.reservation)" = 33554432 ]
	[ "$(cg_get memory.swap)" = 134217728 ]
	[ "$(cg_get pids.max)" = 77 ]
	[ "$(cg_get cpu.shares)" = "$(cg_shares_as_shown 512)" ]
	[ "$(cg_get cpu.quota)" = 25000 ]
	[ "$(cg_get cpu.period)" = 50000 ]
	[ "$(cg_get cpuset.cpus)" = 0 ]
	# deny all, the config's read-only /dev/full, and runc's default /dev nodes
	# (v1's list; v2 has an eBPF program, tested by what it lets through)
	if ! cg_is_v2 devices; then
		run cat "$(cg_dir devices)/devices.list"
		[[ "$output" == *"c 1:7 r"* ]]
		[[ "$output" == *"c 1:3 rwm"* ]]
		[[ "$output" == *"c 136:* rwm"* ]]
		[[ "$output" != *"a *:* rwm"* ]]
	fi
	# the init is in the container's cgroup everywhere, unified mount included
	pid=$(husk state "$CID" | jq .pid)
	cg_get procs | grep -qx "$pid"
	if [ "$CG_VIEW" = host ] && [ -d /sys/fs/cgroup/unified ]; then
		grep -qx "$pid" "/sys/fs/cgroup/unified/husk/$CID/cgroup.procs"
	fi
	husk delete --force "$CID"
	assert_no_leftovers "$CID"
}

@test "cgroups: a device the rules deny is EPERM inside the container" {
	# /dev/fuse (c 10:229) opens without any capability: only the device
	# cgroup can refuse it.
	cfg '.process.args = ["sh", "-c", "(exec 3</dev/fuse); echo fuse=$?; echo x >/dev/null && echo null=ok"]
	   | .linux.resources.devices = [{"allow": false, "access": "rwm"}]
	   | .mounts += [{"destination": "/dev/fuse", "type": "bind", "source": "/dev/fuse", "options": ["bind"]}]'
	run husk run "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"/dev/fuse"*"Operation not permitted"* ]]
	[[ "$output" == *"fuse="[12]* ]]
	[[ "$output" == *"null=ok"* ]]
	# allowed by a rule, the same open works
	cfg '.linux.resources.devices += [{"allow": true, "type": "c", "major": 10, "minor": 229, "access": "rw"}]'
	run husk run "$CID"
	echo "$output"
	[[ "$output" == *"fuse=0"* ]]
	assert_no_leftovers "$CID"
}

@test "cgroups: a fork bomb stops at pids.max" {
	cg_require pids
	# The bomb runs in a subshell (busybox sh gives up on the first refused
	# fork); the init then blocks on a fifo, which needs no fork.
	cfg '.linux.resources.pids = {"limit": 10}
	   | .process.args = ["sh", "-c", "(i=0; while [ $i -lt 40 ]; do sleep 1000 & i=$((i+1)); done) 2>/tmp/forkerr; echo bombed >/tmp/status; read x </tmp/never"]'
	mkfifo "$BUNDLE/rootfs/tmp/never"
	start_container
	for i in $(seq 100); do
		[ -s "$BUNDLE/rootfs/tmp/status" ] && break
		sleep 0.05
	done
	[ "$(cat "$BUNDLE/rootfs/tmp/status")" = bombed ]
	grep -q "can't fork" "$BUNDLE/rootfs/tmp/forkerr"
	[ "$(cg_get pids.max)" = 10 ]
	# the kernel refused forks at the limit, and the count never passed it
	[ "$(grep -o 'max [0-9]*' "$(cg_dir pids)/pids.events" | cut -d' ' -f2)" -gt 0 ]
	if [ -f "$(cg_dir pids)/pids.peak" ]; then
		[ "$(cat "$(cg_dir pids)/pids.peak")" = 10 ]
	fi
	[ "$(cg_get pids.current)" -le 10 ]
	[ "$(husk state "$CID" | jq -r .status)" = running ]
	# the sleeps are the container's: ps lists them, kill --all ends them
	[ "$(husk ps --format json "$CID" | jq length)" = "$(cg_get pids.current)" ]
	husk delete --force "$CID"
	assert_no_leftovers "$CID"
}

@test "cgroups: an allocation past memory.limit is OOM-killed and events reports it" {
	cg_require memory
	# 16 MiB limit, no swap to escape to; dd's 64 MiB buffer cannot fit
	cfg '.linux.resources.memory = {"limit": 16777216, "swap": 16777216}
	   | .process.args = ["sh", "-c", "read x </tmp/go; dd if=/dev/zero of=/dev/null bs=64M count=1; sleep 1000"]'
	cfg '.root.readonly = false'
	mkfifo "$BUNDLE/rootfs/tmp/go"
	start_container
	"${HUSK_CMD[@]}" --root "$HUSK_ROOT" events --interval 1h "$CID" >"$TEST_TMP/events" &
	evpid=$!
	sleep 0.3 # the watch is armed
	echo go >"$BUNDLE/rootfs/tmp/go"
	for i in $(seq 100); do
		grep -q '"type":"oom"' "$TEST_TMP/events" && break
		sleep 0.05
	done
	cat "$TEST_TMP/events"
	grep -qx "{\"type\":\"oom\",\"id\":\"$CID\"}" "$TEST_TMP/events"
	[ "$(cg_get oom_kills)" -ge 1 ]
	# the stats say so too
	run husk events --stats "$CID"
	[ "$status" -eq 0 ]
	[ "$(jq .data.memory.usage.limit <<<"$output")" = 16777216 ]
	husk delete --force "$CID"
	# the cgroup is gone: the event stream ends by itself
	for i in $(seq 100); do kill -0 "$evpid" 2>/dev/null || break; sleep 0.05; done
	run ! kill -0 "$evpid"
	wait "$evpid"
	assert_no_leftovers "$CID"
}

@test "cgroups: a container starts under a 512 KiB memory limit" {
	husk_is_asan && skip "the ASan build's init needs more than 512 KiB before its execve"
	cg_require memory
	cfg '.linux.resources.memory = {"limit": 524288} | .process.args = ["sh", "-c", "echo small"]'
	run husk run "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = small ]
	assert_no_leftovers "$CID"
}

@test "cgroups: a container starts with pids.max = 1" {
	cg_require pids
	cfg '.linux.resources.pids = {"limit": 1} | .process.args = ["echo", "one"]'
	run husk run "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = one ]
	# and that one pid is all it gets
	cfg '.process.args = ["sh", "-c", "true & wait; echo rc=$?"]'
	run husk run "$CID"
	echo "$output"
	[[ "$output" == *"can't fork"* || "$output" == *"Resource temporarily unavailable"* ]]
	assert_no_leftovers "$CID"
}

@test "cgroups: hugetlb limits land where the hugetlb controller is (v1, or the unified mount)" {
	cg_require hugetlb
	[ -d /sys/kernel/mm/hugepages/hugepages-2048kB ] || skip "no 2MB huge pages"
	cfg '.linux.resources.hugepageLimits = [{"pageSize": "2MB", "limit": 4194304}]'
	start_container
	if cg_is_v2 hugetlb; then
		[ "$(cat "$(cg_dir hugetlb)/hugetlb.2MB.max")" = 4194304 ]
	else
		[ "$(cat "$(cg_dir hugetlb)/hugetlb.2MB.limit_in_bytes")" = 4194304 ]
	fi
	husk delete --force "$CID"
	assert_no_leftovers "$CID"
}

@test "cgroups: cgroupsPath absolute and relative" {
	cfg ".linux.cgroupsPath = \"/husk-cgtest-$$/abs-$CID\""
	start_container
	pid=$(husk state "$CID" | jq .pid)
	# every hierarchy husk manages names the path (v1 lines and the "0::" one;
	# a unified husk, v2 view included, has no v1 hierarchy to manage)
	if [ "$CG_VIEW" = v2 ] || [ "$(cg_fstype /sys/fs/cgroup)" = cgroup2fs ]; then
		grep -qx "0::/husk-cgtest-$$/abs-$CID" "/proc/$pid/cgroup"
	else
		[ "$(grep -c ":/husk-cgtest-$$/abs-$CID\$" "/proc/$pid/cgroup")" = "$(wc -l <"/proc/$pid/cgroup")" ]
	fi
	local top
	top=$(cg_root pids)
	[ -d "$top/husk-cgtest-$$/abs-$CID" ]
	husk delete --force "$CID"
	[ ! -e "$top/husk-cgtest-$$/abs-$CID" ]
	for d in /sys/fs/cgroup/*/husk-cgtest-$$ "$top/husk-cgtest-$$"; do [ ! -d "$d" ] || rmdir "$d"; done
	cfg ".linux.cgroupsPath = \"rel-$CID\""
	start_container
	[ -d "$top/husk/rel-$CID" ]
	husk delete --force "$CID"
	[ ! -e "$top/husk/rel-$CID" ]
	assert_no_leftovers "$CID"
}
