# What the engines' scenarios (podman_scenarios.bash, containerd_scenarios.bash)
# run in a container and check of it, the same whatever the engine: each
# ENGINE_*_CMD is a shell command for the container's sh -c, each
# engine_check_* checks bats' $status/$output/$lines of it.  Where a VM differs
# (engine_vm, common.bash), they check the guest's view.

source "$(dirname "${BASH_SOURCE[0]}")/common.bash"

# pid 1 in a container; in a VM the agent is the guest's init, the process its child.
ENGINE_HELLO_CMD='echo "hello from pid $$"'
engine_check_hello() { # LINE
	if engine_vm; then
		[[ "$1" =~ ^"hello from pid "[0-9]+$ ]] && [ "$1" != "hello from pid 1" ]
	else
		[ "$1" = "hello from pid 1" ]
	fi
}

# The kernel the process sees: the host's in a container, the guest's in a VM.
ENGINE_KERNEL_CMD='uname -r; cat /proc/version'
engine_check_kernel() {
	echo "$output"
	[ "$status" -eq 0 ]
	if engine_vm; then
		[ "${lines[0]}" != "$(uname -r)" ]
		[ "${lines[1]}" != "$(cat /proc/version)" ]
	else
		[ "${lines[0]}" = "$(uname -r)" ]
	fi
}

# An exec'd process, next to `sleep 1000`, exits 6.  In a container it is in
# the init's (PID's) namespaces; in a VM it runs in the guest: the guest's
# kernel, the agent as init (its command line), the workload beside it.
engine_exec_inside_cmd() {
	if engine_vm; then
		echo 'uname -r; cat /proc/cmdline; pidof sleep >/dev/null && echo sleep-seen; exit 6'
	else
		echo 'cat /proc/1/comm; for n in pid mnt uts ipc net cgroup; do readlink /proc/self/ns/$n; done; exit 6'
	fi
}

engine_check_exec_inside() { # PID
	echo "$output"
	[ "$status" -eq 6 ]
	if engine_vm; then
		[ "${lines[0]}" != "$(uname -r)" ]
		[[ "${lines[1]}" == *HUSK_AGENT=1* ]]
		[ "${lines[2]}" = sleep-seen ]
		return
	fi
	[ "${lines[0]}" = sleep ]
	local i=1 n
	for n in pid mnt uts ipc net cgroup; do
		[ "${lines[$i]}" = "$(readlink /proc/"$1"/ns/$n)" ]
		i=$((i + 1))
	done
}

# A memory limit of ENGINE_MEMORY_MIB: the process's MemTotal (KiB) is the
# host's in a container; in a VM the guest's RAM is the limit less the
# monitor's 32 MiB (128 MiB), MemTotal a little less.
ENGINE_MEMORY_MIB=160
ENGINE_MEMTOTAL_CMD='awk "/^MemTotal:/ {print \$2}" /proc/meminfo'
engine_check_memtotal() {
	echo "$output"
	[ "$status" -eq 0 ]
	if engine_vm; then
		[ "$output" -le $(((ENGINE_MEMORY_MIB - 32) * 1024)) ]
		[ "$output" -gt $(((ENGINE_MEMORY_MIB - 64) * 1024)) ]
	else
		[ "$output" -gt $((ENGINE_MEMORY_MIB * 1024)) ]
	fi
}

# nproc under a quota of ENGINE_CPUS CPUs (more than this machine's and the
# harness's L1's): the host's in a container, that many vCPUs in a VM.
ENGINE_CPUS=3
engine_check_nproc() {
	echo "$output"
	[ "$status" -eq 0 ]
	if engine_vm; then
		[ "$output" = "$ENGINE_CPUS" ]
	else
		[ "$output" = "$(nproc)" ]
	fi
}

# Bind volumes: ENGINE_VOL_RW at /rw, ENGINE_VOL_RO (holding "in") at /ro.
engine_volume_dirs() { # DIR SUFFIX
	ENGINE_VOL_RW=$1/vol-rw-$2 ENGINE_VOL_RO=$1/vol-ro-$2
	mkdir -p "$ENGINE_VOL_RW" "$ENGINE_VOL_RO"
	echo from-host >"$ENGINE_VOL_RO/in"
}
ENGINE_VOLUME_CMD='cat /ro/in; echo from-container >/rw/out; touch /ro/x; echo ro-rc=$?'
engine_check_volumes() {
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = from-host ]
	[[ "$output" == *"ro-rc=1"* ]]
	[ "$(cat "$ENGINE_VOL_RW/out")" = from-container ]
	[ ! -e "$ENGINE_VOL_RO/x" ]
}

# A read-only root: writing / fails.
ENGINE_READ_ONLY_CMD='touch /newfile; echo rc=$?'
engine_check_read_only() {
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Read-only file system"* ]]
	[[ "$output" == *"rc=1"* ]]
}

# A counter the process bumps in its rootfs's /tmp; the host reads it
# through the init's (or the monitor's) root, PID's.
ENGINE_TICK_CMD='i=0; while :; do i=$((i + 1)); echo $i > /tmp/tick; sleep 0.05; done'
engine_tick() { cat /proc/"$1"/root/tmp/tick; } # PID
engine_tick_started() { engine_until "$ENGINE_TIMEOUT" test -s /proc/"$1"/root/tmp/tick; }

# Frozen: the cgroup's freezer (KIND frozen of engine_cgroup_value) and a
# counter that stays, left in ENGINE_TICK; thawed: it moves on from there.
engine_check_frozen() { # PID
	local t2
	[ "$(engine_cgroup_value "$1" frozen)" = 1 ]
	ENGINE_TICK=$(engine_tick "$1")
	sleep 1
	t2=$(engine_tick "$1")
	[ "$ENGINE_TICK" = "$t2" ]
}

engine_tick_moved() { [ "$(engine_tick "$1")" != "$ENGINE_TICK" ]; } # PID
engine_check_thawed() { engine_until "$ENGINE_TIMEOUT" engine_tick_moved "$1"; } # PID

# A restarted container: each run appends a line to /tmp/runs in its rootfs,
# which the host reads through the init's (or the monitor's) root.
ENGINE_RUNS_CMD='echo started >>/tmp/runs; exec sleep 1000'
engine_runs() { cat /proc/"$1"/root/tmp/runs 2>/dev/null | wc -l; } # PID
engine_runs_are() { [ "$(engine_runs "$1")" = "$2" ]; }
engine_wait_runs() { engine_until "$ENGINE_TIMEOUT" engine_runs_are "$@"; } # PID N

# The process set its traps: a signal sent now finds them (in a VM, `start`
# returns before the guest has booted).
ENGINE_UP_CMD='touch /tmp/up'
engine_wait_up() { engine_until "$ENGINE_TIMEOUT" test -e /proc/"$1"/root/tmp/up; } # PID
