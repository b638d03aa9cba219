#!/usr/bin/env bats
# pause, resume, ps, events --stats and update on a VM container: the
# monitor (with its vCPU threads) is the container's cgroup, so the cgroup
# commands act on the VM, checked against the kernel's files.
# Needs hardware virtualization: tests/run-tests.sh runs this file in the
# nested harness (tests/nested/run) where the host has none.  No time bounds.

load helpers
load cgroup_view
bats_require_minimum_version 1.5.0

KERNEL=${BUILD:-$REPO_ROOT/build}/guest-kernel/vmlinux

setup_file() {
	cg_view_start
}

teardown_file() {
	cg_view_stop
}

setup() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	[ -c /dev/kvm ] || skip "no /dev/kvm on this host"
	grep -qwE 'vmx|svm' /proc/cpuinfo ||
		skip "no hardware virtualization (no vmx/svm flag): run in tests/nested/run"
	[ -f "$KERNEL" ] || skip "guest kernel not built: run 'make guest-kernel'"
	export HUSK_VM_KERNEL=$KERNEL
	cg_view_setup
	setup_runtime_bundle
}

teardown() {
	cg_view_teardown
}

wait_file() { # PATH
	local i
	for i in $(seq 1200); do
		[ -s "$1" ] && return 0
		sleep 0.5
	done
	return 1
}

# A VM container whose workload counts in /tmp/count (the rootfs, served to
# the guest over virtio-fs: the host reads it in $BUNDLE/rootfs/tmp).
start_counter() {
	cfg '.process.args = ["sh", "-c", "i=0; while :; do i=$((i + 1)); echo $i > /tmp/count.new; mv /tmp/count.new /tmp/count; sleep 0.2; done"]'
	husk create --vm "$CID" </dev/null >/dev/null 2>&1
	husk start "$CID"
	wait_file "$BUNDLE/rootfs/tmp/count"
}

count() { cat "$BUNDLE/rootfs/tmp/count"; }

# Until the counter passed $1; fails after 600 s.
wait_count_above() { # N
	local i
	for i in $(seq 1200); do
		[ "$(count)" -gt "$1" ] && return 0
		sleep 0.5
	done
	echo "the counter stayed at $(count) (waited for more than $1)"
	return 1
}

is_kthread() { # PID: PF_KTHREAD in /proc/PID/stat's flags
	local flags
	flags=$(sed 's/^.*) //' "/proc/$1/stat" | cut -d' ' -f7)
	[ $((flags & 0x200000)) -ne 0 ]
}

# Every thread of every user process in the container's cgroup: frozen tasks
# sleep in the freezer (v1: the refrigerator; v2: the freezer trap).  KVM's
# own kernel thread for the VM (kvm-nx-lpage-recovery-PID) is in the cgroup
# too, and kernel threads do not freeze.
all_threads_frozen() {
	local p t w n=0
	for p in $(cg_get procs); do
		is_kthread "$p" && continue
		for t in /proc/"$p"/task/*; do
			w=$(cat "$t/wchan")
			echo "thread $t: $(sed 's/^.*) //' "$t/stat" | cut -d' ' -f1) $w"
			case $w in __refrigerator | do_freezer_trap) ;; *) return 1 ;; esac
			n=$((n + 1))
		done
	done
	[ "$n" -ge 2 ] # the monitor and at least one more (vCPU, I/O, relay)
}

@test "vm lifecycle: pause stops the guest (its vCPUs frozen), resume restarts it" {
	start_counter
	local c0 t0 took
	c0=$(count)
	t0=$SECONDS
	wait_count_above $((c0 + 2))
	took=$((SECONDS - t0 + 2)) # long enough for two steps of the counter
	husk pause "$CID"
	[ "$(husk state "$CID" | jq -r .status)" = paused ]
	[ "$(cg_get frozen)" = 1 ]
	all_threads_frozen
	local c1
	c1=$(count)
	sleep "$took"
	# no progress at all while paused
	[ "$(count)" = "$c1" ]
	all_threads_frozen
	husk resume "$CID"
	[ "$(husk state "$CID" | jq -r .status)" = running ]
	[ "$(cg_get frozen)" = 0 ]
	wait_count_above "$c1"
	# the container's process is the same one: it counts on
	[ "$(count)" -gt "$c1" ]
	husk delete --force "$CID"
	assert_no_leftovers "$CID"
}

@test "vm lifecycle: exec into a paused VM is refused as for a container; --ignore-paused waits for resume" {
	start_counter
	husk pause "$CID"
	run husk exec "$CID" true
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"paused"* ]]
	# --ignore-paused: the exec waits, connected, until the VM runs again
	"$HUSK" --root "$HUSK_ROOT" exec --ignore-paused "$CID" sh -c 'echo resumed' \
		</dev/null >"$TEST_TMP/late.out" 2>&1 &
	local late=$!
	# its relay exists once it is connected to the (frozen) monitor
	local i
	for i in $(seq 600); do
		[ -n "$(pgrep -P "$late")" ] && break
		sleep 0.5
	done
	[ -n "$(pgrep -P "$late")" ]
	sleep 1
	[ -e "/proc/$late" ]
	[ ! -s "$TEST_TMP/late.out" ]
	local c
	c=$(count)
	husk resume "$CID"
	wait "$late"
	[ "$(cat "$TEST_TMP/late.out")" = resumed ]
	wait_count_above "$c"
}

@test "vm lifecycle: ps lists the monitor's host pid (and KVM's thread for the VM)" {
	start_counter
	local pid
	pid=$(husk state "$CID" | jq -r .pid)
	[ "$pid" -gt 0 ]
	run husk ps --format json "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	local pids
	pids=$(jq -r '.[]' <<<"$output" | sort -n)
	[ "$pids" = "$(cg_get procs | sort -n)" ]
	# the monitor, and nothing else but KVM's kernel thread(s) for this VM:
	# the workload's processes are the guest's, not the host's
	grep -qx "$pid" <<<"$pids"
	local p
	for p in $pids; do
		[ "$p" = "$pid" ] && continue
		echo "$p: $(cat "/proc/$p/comm")"
		is_kthread "$p"
		[[ "$(cat "/proc/$p/comm")" == kvm-* ]]
	done
	run husk ps "$CID" -o pid,comm
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(awk 'NR > 1 {print $1}' <<<"$output" | sort -n)" = "$pids" ]
	[ "$(awk -v p="$pid" '$1 == p {print $2}' <<<"$output")" = husk ]
	run ! pgrep -f 'count.new'
}

@test "vm lifecycle: events --stats reports the VM's cgroup figures" {
	cg_require memory pids cpuacct
	cfg '.linux.resources.memory = {"limit": 402653184} | .linux.resources.pids = {"limit": 77}'
	start_counter
	run husk events --stats "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(jq -r .type <<<"$output")" = stats ]
	[ "$(jq -r .id <<<"$output")" = "$CID" ]
	# guest RAM the guest touched is the monitor's memory: well over the
	# monitor's own few MiB
	[ "$(jq '.data.memory.usage.usage > 32 * 1048576' <<<"$output")" = true ]
	[ "$(jq .data.memory.usage.limit <<<"$output")" = 402653184 ]
	# the monitor's threads (vCPU, I/O, relay) are the cgroup's tasks
	local threads
	threads=$(ls "/proc/$(husk state "$CID" | jq -r .pid)/task" | wc -l)
	[ "$threads" -ge 3 ]
	[ "$(jq .data.pids.current <<<"$output")" -ge 3 ]
	[ "$(jq .data.pids.limit <<<"$output")" = 77 ]
	[ "$(jq '.data.cpu.usage.total > 0' <<<"$output")" = true ]
	husk delete --force "$CID"
	run husk events --stats "$CID"
	[ "$status" -ne 0 ]
	assert_no_leftovers "$CID"
}

@test "vm lifecycle: update refuses memory limits with the reason, applies CPU and pids limits" {
	cg_require cpu pids memory
	start_counter
	local before
	before=$(cg_get memory.limit)
	for flags in "--memory 512M" "--memory-reservation 100M" "--memory-swap 1G"; do
		# shellcheck disable=SC2086
		run husk update $flags "$CID"
		echo "$flags: $output"
		[ "$status" -ne 0 ]
		[[ "$output" == *"runs in a VM whose memory is fixed when it boots"* ]]
	done
	echo '{"memory": {"limit": 536870912}}' >"$TEST_TMP/r.json"
	run husk update --resources "$TEST_TMP/r.json" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"fixed when it boots"* ]]
	# nothing was written
	[ "$(cg_get memory.limit)" = "$before" ]
	# CPU limits throttle the vCPU threads: the monitor's cgroup has them
	husk update --cpu-quota 50000 --cpu-period 100000 "$CID"
	[ "$(cg_get cpu.quota)" = 50000 ]
	[ "$(cg_get cpu.period)" = 100000 ]
	husk update --pids-limit 123 "$CID"
	[ "$(cg_get pids.max)" = 123 ]
	# and the VM runs on
	local c
	c=$(count)
	wait_count_above "$c"
}
