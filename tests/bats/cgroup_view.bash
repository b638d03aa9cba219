# The container's cgroup files on whatever layout the host has, and a cgroup
# v2 view for hosts that are not unified (loaded by tests/bats/cgroups_*.bats).
#
#   CG_VIEW=host  husk sees the host's own layout: unified, hybrid or legacy.
#   CG_VIEW=v2    the same tests from a file named *_v2view.bats (a symlink):
#                 husk runs in a private mount namespace whose /sys/fs/cgroup is
#                 a cgroup2 mount, so it takes its unified code paths on a hybrid
#                 or legacy host too.  A controller bound to a v1 hierarchy
#                 cannot be enabled on v2 at the same time, so only those the
#                 cgroup2 root lists are there (hugetlb alone on this
#                 development host); freezing (cgroup.freeze), cgroup.kill,
#                 cgroup.events, cgroup.procs and the eBPF device filter need
#                 no controller and are exercised for real.  A test that needs
#                 a missing controller skips and says which.  On a unified host
#                 the host view is that already: the v2 view skips.
#
# The container's cgroup is husk's default, /husk/$CID.

cg_fstype() { stat -fc %T "$1" 2>/dev/null; }

# setup_file: choose the view; for v2, a holder process keeps the namespace.
cg_view_start() {
	CG_VIEW=host
	case "$BATS_TEST_FILENAME" in *_v2view.bats) CG_VIEW=v2 ;; esac
	# (a skip in setup_file fails the file in bats 1.8: setup() skips instead)
	export CG_VIEW CG_HOLD= CG_SKIP=
	[ "$CG_VIEW" = v2 ] || return 0
	if [ "$(id -u)" != 0 ]; then
		CG_SKIP="needs root"
		return 0
	fi
	if [ "$(cg_fstype /sys/fs/cgroup)" = cgroup2fs ]; then
		CG_SKIP="the host is unified: its own view is cgroup v2 already"
		return 0
	fi
	# No fd of bats' may stay open in the holder (bats waits for fd 3).  It
	# says its pid once the mount is there.
	local pidfile i
	pidfile=$(mktemp /tmp/husk-cgview.XXXXXX)
	unshare -m --propagation private sh -c \
		'mount -t cgroup2 cgroup2 /sys/fs/cgroup && echo $$ >"$0" && exec sleep infinity' "$pidfile" \
		</dev/null >/dev/null 2>&1 3>&- &
	for i in $(seq 100); do
		CG_HOLD=$(cat "$pidfile")
		[ -n "$CG_HOLD" ] && [ "$(cg_fstype /proc/$CG_HOLD/root/sys/fs/cgroup)" = cgroup2fs ] && break
		CG_HOLD=
		sleep 0.05
	done
	rm -f "$pidfile"
	[ -n "$CG_HOLD" ] && return 0
	echo "could not mount cgroup2 in a private mount namespace" >&2
	return 1
}

cg_view_stop() {
	if [ -n "${CG_HOLD:-}" ]; then
		kill "$CG_HOLD" 2>/dev/null
	fi
	return 0
}

# The suites that load this file run all their tests in the chosen view.
setup_file() { cg_view_start; }
teardown_file() { cg_view_stop; }

# setup: husk (and $HUSK_CMD for timeout & co.) inside the view.
cg_view_setup() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	[ -z "$CG_SKIP" ] || skip "$CG_SKIP"
	if [ "$CG_VIEW" = v2 ]; then
		[ -n "$CG_HOLD" ] || skip "no cgroup v2 view"
		HUSK_CMD=(nsenter --mount="/proc/$CG_HOLD/ns/mnt" --wd=. -- "$HUSK")
	else
		HUSK_CMD=("$HUSK")
	fi
}

husk() {
	"${HUSK_CMD[@]}" --root "$HUSK_ROOT" "$@"
}

# teardown: containers are deleted from inside the view, then the usual.
cg_view_teardown() {
	local d
	if [ -n "${HUSK_ROOT:-}" ] && [ -d "$HUSK_ROOT" ]; then
		for d in "$HUSK_ROOT"/*/; do
			[ -d "$d" ] && husk delete --force "$(basename "$d")" >/dev/null 2>&1
		done
	fi
	teardown_bundle
}

# Create and start the bundle's container, and wait until it runs.
cg_start_container() {
	husk create "$CID"
	husk start "$CID"
	wait_status "$CID" running
}

# The mount carrying controller CTRL as husk sees it ("" for v2's core files).
cg_root() { # CTRL
	if [ "$CG_VIEW" = v2 ]; then
		echo "/proc/$CG_HOLD/root/sys/fs/cgroup"
	elif [ "$(cg_fstype /sys/fs/cgroup)" = cgroup2fs ]; then
		echo /sys/fs/cgroup
	elif [ -n "$1" ] && mountpoint -q "/sys/fs/cgroup/$1"; then
		echo "/sys/fs/cgroup/$1"
	else
		echo /sys/fs/cgroup/unified
	fi
}

cg_dir() { echo "$(cg_root "$1")/husk/$CID"; } # CTRL
cg_is_v2() { [ "$(cg_fstype "$(cg_root "$1")")" = cgroup2fs ]; } # CTRL

# Skip unless every controller is there in this view.
cg_require() { # CTRL...
	local c r
	for c in "$@"; do
		r=$(cg_root "$c")
		if [ "$(cg_fstype "$r")" = cgroup2fs ]; then
			grep -qw "$c" "$r/cgroup.controllers" ||
				skip "the $c controller is not on this cgroup2 hierarchy (bound to a v1 hierarchy on this host?)"
		else
			mountpoint -q "$r" || skip "no $c controller on this host"
		fi
	done
}

# A value as the OCI config states it, read from whichever file holds it:
#   memory.limit memory.reservation memory.swap(=memory+swap) pids.max
#   pids.current cpu.quota cpu.period cpu.shares(v2: cpu.weight) cpuset.cpus
#   frozen(1|0) procs(the pids) oom_kills.  "max" for unlimited.
cg_get() { # KIND
	local c=${1%%.*} d v
	case $1 in
	frozen) c=freezer ;;
	procs) c=pids ;;
	oom_kills) c=memory ;;
	esac
	d=$(cg_dir "$c")
	if cg_is_v2 "$c"; then
		case $1 in
		memory.limit) cat "$d/memory.max" ;;
		memory.reservation) cat "$d/memory.low" ;;
		memory.swap)
			v=$(cat "$d/memory.swap.max")
			[ "$v" = max ] && echo max || echo $((v + $(cat "$d/memory.max"))) ;;
		pids.max | pids.current | cpuset.cpus) cat "$d/$1" ;;
		cpu.quota) cut -d' ' -f1 "$d/cpu.max" ;;
		cpu.period) cut -d' ' -f2 "$d/cpu.max" ;;
		cpu.shares) cat "$d/cpu.weight" ;;
		frozen) cat "$d/cgroup.freeze" ;;
		procs) cat "$d/cgroup.procs" ;;
		oom_kills) awk '$1 == "oom_kill" {print $2}' "$d/memory.events" ;;
		esac
		return
	fi
	case $1 in
	memory.limit) v=$(cat "$d/memory.limit_in_bytes") ;;
	memory.reservation) v=$(cat "$d/memory.soft_limit_in_bytes") ;;
	memory.swap) v=$(cat "$d/memory.memsw.limit_in_bytes") ;;
	pids.max | pids.current | cpuset.cpus) v=$(cat "$d/$1") ;;
	cpu.quota) v=$(cat "$d/cpu.cfs_quota_us") ;;
	cpu.period) v=$(cat "$d/cpu.cfs_period_us") ;;
	cpu.shares) v=$(cat "$d/cpu.shares") ;;
	frozen) [ "$(cat "$d/freezer.state")" = FROZEN ] && v=1 || v=0 ;;
	procs) v=$(cat "$d/cgroup.procs") ;;
	oom_kills) v=$(awk '$1 == "oom_kill" {print $2}' "$d/memory.oom_control") ;;
	esac
	# v1 shows "unlimited" as the largest page-aligned value, and -1 quota
	case $1:$v in
	memory.*:9223372036854*) v=max ;;
	cpu.quota:-1) v=max ;;
	esac
	echo "$v"
}

# cpu.shares as the kernel shows it: itself on v1, runc's cpu.weight on v2.
cg_shares_as_shown() { # SHARES
	if cg_is_v2 cpu; then
		echo $((1 + ($1 - 2) * 9999 / 262142))
	else
		echo "$1"
	fi
}
