# Shared by the engine harnesses (podman.bash, containerd.bash, docker.bash)
# and their bats files: the runtime under test, skipping when the engine is
# missing, polling, the processes and cgroups of a private engine, teardown.
#
#   RUNTIME   runtime binary under test (default: $HUSK); RUNTIME=/usr/sbin/runc
#             validates the tests.  A runtime named husk-vm (the argv[0]
#             symlink) runs every container in a microVM: engine_vm is then
#             true and the scenarios check the guest's view.

source "$(dirname "${BASH_SOURCE[0]}")/teardown.bash"

# This directory (make-busybox-image.sh, recv-fd.py).
ENGINE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# RUNTIME as an absolute path.  The last component is kept as it is: a
# husk-vm symlink selects VM mode by its name, so it must not be resolved.
engine_resolve_runtime() {
	RUNTIME=${RUNTIME:-$HUSK}
	local dir
	dir=$(cd "$(dirname "$RUNTIME")" && pwd -P) || return 1
	RUNTIME=$dir/$(basename "$RUNTIME")
	export RUNTIME
}

# Does the runtime under test run containers in microVMs?
engine_vm() { [ "$(basename "${RUNTIME:-}")" = husk-vm ]; }

# For setup_file: resolve the runtime, then start the engine with the given
# steps, unless its binary is missing.  A skip in setup_file fails the file
# with bats 1.8 (its teardown_file then counts as failed), so the reason is
# left in ENGINE_SKIP for engine_setup.
#   engine_setup_file BINARY STEP...
engine_setup_file() {
	local bin=$1 step
	shift
	export ENGINE_SKIP=${ENGINE_SKIP:-} ENGINE_READY=
	[ -z "$ENGINE_SKIP" ] || return 0
	engine_resolve_runtime
	if [ "$(id -u)" != 0 ]; then
		ENGINE_SKIP="needs root"
		return 0
	fi
	if ! command -v "$bin" >/dev/null && [ ! -x "$bin" ]; then
		ENGINE_SKIP="$(basename "$bin") is not installed (scripts/deps.d/engines.txt)"
		return 0
	fi
	for step in "$@"; do
		"$step" || return 1
	done
	ENGINE_READY=1
}

# For the VM engine suites' setup_file, before engine_setup_file: the
# runtime under test becomes a husk-vm link to $HUSK in a private directory
# (ENGINE_VM_DIR, removed by engine_vm_cleanup), or ENGINE_SKIP says why the
# host cannot boot guests.
engine_use_husk_vm() {
	local kernel=${BUILD:-$REPO_ROOT/build}/guest-kernel/vmlinux
	export ENGINE_SKIP=
	if [ ! -c /dev/kvm ]; then
		ENGINE_SKIP="no /dev/kvm on this host"
	elif ! grep -qwE 'vmx|svm' /proc/cpuinfo; then
		ENGINE_SKIP="no hardware virtualization (no vmx/svm flag): run in tests/nested/run"
	elif [ ! -f "$kernel" ]; then
		ENGINE_SKIP="guest kernel not built: run 'make guest-kernel'"
	else
		ENGINE_VM_DIR=$(mktemp -d /tmp/husk-engines-vm.XXXXXX)
		ln -s "$(readlink -f "$HUSK")" "$ENGINE_VM_DIR/husk-vm"
		export RUNTIME=$ENGINE_VM_DIR/husk-vm HUSK_VM_KERNEL=$kernel ENGINE_VM_DIR
	fi
}

engine_vm_cleanup() {
	[ -n "${ENGINE_VM_DIR:-}" ] && rm -rf "$ENGINE_VM_DIR"
	return 0
}

# For setup: skip with the reason setup_file left, or when the engine did
# not come up.
engine_setup() {
	[ -z "${ENGINE_SKIP:-}" ] || skip "$ENGINE_SKIP"
	[ -n "${ENGINE_READY:-}" ] || skip "the engine's set-up failed (see setup_file's output)"
}

# Poll every 0.1 s, up to SECONDS, until CMD succeeds.
#   engine_until SECONDS CMD...
engine_until() {
	local n=$1 i
	shift
	for ((i = 0; i < n * 10; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# Wait until STATE-FN NAME prints WANTED; say what it was otherwise.
#   engine_wait_for STATE-FN NAME WANTED [SECONDS]
engine_wait_for() {
	local fn=$1 name=$2 want=$3 i
	for ((i = 0; i < ${4:-$ENGINE_TIMEOUT} * 10; i++)); do
		[ "$("$fn" "$name" 2>/dev/null)" = "$want" ] && return 0
		sleep 0.1
	done
	echo "$name: state $("$fn" "$name" 2>&1), wanted $want" >&2
	return 1
}

# The pids whose command line names a path under DIR (a private engine's
# daemon, conmons and shims).
engine_pids_under() { # DIR
	local p cmd
	for p in /proc/[0-9]*; do
		cmd=$(tr '\0' ' ' 2>/dev/null <"$p/cmdline") || continue
		[[ $cmd == *"$1/"* ]] && echo "${p#/proc/}"
	done
	return 0
}

# The cgroup directory of PID holding controller CTRL, as the kernel shows it
# in /proc/PID/cgroup: the v1 hierarchy naming CTRL, else the unified one
# (/sys/fs/cgroup on a unified host, /sys/fs/cgroup/unified on a hybrid one).
engine_cgroup_dir() { # PID CTRL
	local path
	path=$(awk -F: -v c="$2" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' /proc/"$1"/cgroup)
	if [ -n "$path" ]; then
		echo "/sys/fs/cgroup/$2$path"
		return
	fi
	path=$(awk -F: '$1 == 0 {print $3}' /proc/"$1"/cgroup)
	if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
		echo "/sys/fs/cgroup$path"
	else
		echo "/sys/fs/cgroup/unified$path"
	fi
}

# A limit of PID's cgroup as the kernel holds it, the same on v1 and v2:
#   memory -> bytes or max      (memory.limit_in_bytes | memory.max)
#   cpu    -> "QUOTA PERIOD"    (cpu.cfs_quota_us + cpu.cfs_period_us | cpu.max)
#   pids   -> N or max          (pids.max)
#   frozen -> 1 or 0            (freezer.state | cgroup.freeze)
engine_cgroup_value() { # PID KIND
	local ctrl=$2 dir v
	[ "$2" = frozen ] && ctrl=freezer
	dir=$(engine_cgroup_dir "$1" "$ctrl")
	case "$2:$dir" in
	memory:/sys/fs/cgroup/memory/*)
		v=$(cat "$dir/memory.limit_in_bytes")
		# v1 shows "unlimited" as the largest page-aligned value.
		[ "$v" -ge 9223372036854000000 ] && v=max
		echo "$v" ;;
	memory:*) cat "$dir/memory.max" ;;
	cpu:/sys/fs/cgroup/cpu/*) echo "$(cat "$dir/cpu.cfs_quota_us") $(cat "$dir/cpu.cfs_period_us")" ;;
	cpu:*) cat "$dir/cpu.max" ;;
	pids:*) cat "$dir/pids.max" ;;
	frozen:/sys/fs/cgroup/freezer/*)
		# a hybrid host's runtime may freeze through the unified hierarchy
		if [ "$(cat "$dir/freezer.state")" = FROZEN ]; then
			echo 1
		else
			cat "/sys/fs/cgroup/unified${dir#/sys/fs/cgroup/freezer}/cgroup.freeze" 2>/dev/null || echo 0
		fi ;;
	frozen:*) cat "$dir/cgroup.freeze" ;;
	esac
}

# Wait for PID to be gone (or a zombie): true once it is.
engine_pid_gone() { [ ! -d "/proc/$1" ] || grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }
