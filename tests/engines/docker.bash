# Docker harness for the engine tests (sourced by tests/bats/engine_docker.bats).
#
# A private dockerd (Debian's docker.io 20.10): its own data root, exec root,
# pidfile, socket and daemon.json under $DKR_DIR, the containerd it manages
# itself (state under the exec root), vfs storage, the cgroupfs driver and a
# cgroup parent of our own, no bridge and no iptables (every container runs
# with --network none).  The runtime under test is registered in daemon.json
# under `runtimes` and made the default, as a user would drop it in:
#   RUNTIME   runtime binary (default: $HUSK); RUNTIME=/usr/sbin/runc validates the tests.
# dkr_stop removes every container, ends dockerd by its pid, then whatever is
# left whose command line names $DKR_DIR (containerd, shims), unmounts and
# removes $DKR_DIR and the cgroups.

source "$(dirname "${BASH_SOURCE[0]}")/teardown.bash"

: "${ENGINE_TIMEOUT:=60}"
export ENGINE_TIMEOUT
# Debian's binaries by path: /usr/local/bin may hold another docker CLI.
DOCKER_BIN=${DOCKER_BIN:-/usr/bin/docker}
DOCKERD_BIN=${DOCKERD_BIN:-/usr/sbin/dockerd}
export DOCKER_BIN DOCKERD_BIN

# Directories dockerd and the shim make outside our own tree, whatever their
# flags: plugin discovery's /run/docker/plugins, the shims' socket dir.
# Removed at the end only when they did not exist before, and only if empty.
DKR_HOST_DIRS="/run/docker/plugins /run/docker /run/containerd/s /run/containerd"

dkr_start() {
	DKR_NEW_DIRS=$(engine_new_dirs $DKR_HOST_DIRS)
	export DKR_NEW_DIRS
	DKR_DIR=$(mktemp -d /tmp/husk-engines-docker.XXXXXX)
	DKR_CGROUP_PARENT=/husk-engines-docker-$$
	DKR_SOCK=$DKR_DIR/docker.sock
	mkdir -p "$DKR_DIR"/{data,exec,cli}
	# deprecated-key-path: the daemon's identity key, else /etc/docker/key.json.
	jq -n --arg rt "$RUNTIME" --arg parent "$DKR_CGROUP_PARENT" --arg key "$DKR_DIR/key.json" '{
		"runtimes": {"husk-under-test": {"path": $rt}},
		"default-runtime": "husk-under-test",
		"storage-driver": "vfs",
		"exec-opts": ["native.cgroupdriver=cgroupfs"],
		"cgroup-parent": $parent,
		"bridge": "none",
		"iptables": false,
		"ip6tables": false,
		"ip-forward": false,
		"ip-masq": false,
		"userland-proxy": false,
		"log-driver": "json-file",
		"features": {"buildkit": false},
		"deprecated-key-path": $key
	}' >"$DKR_DIR/daemon.json"
	export DKR_DIR DKR_SOCK DKR_CGROUP_PARENT
	"$DOCKERD_BIN" --config-file "$DKR_DIR/daemon.json" --data-root "$DKR_DIR/data" \
		--exec-root "$DKR_DIR/exec" --pidfile "$DKR_DIR/docker.pid" -H "unix://$DKR_SOCK" \
		>"$DKR_DIR/dockerd.log" 2>&1 &
	DKR_PID=$!
	export DKR_PID
	local i
	for ((i = 0; i < ENGINE_TIMEOUT * 10; i++)); do
		[ -S "$DKR_SOCK" ] && dkr_ version >/dev/null 2>&1 && return 0
		kill -0 "$DKR_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "dockerd did not come up; its log:" >&2
	tail -n 30 "$DKR_DIR/dockerd.log" >&2
	return 1
}

# The docker CLI against the private daemon (own config dir: no user
# credentials or contexts); every call is time-bounded.
dkr_() {
	DOCKER_CONFIG=$DKR_DIR/cli timeout --foreground -k 5 "$ENGINE_TIMEOUT" \
		"$DOCKER_BIN" -H "unix://$DKR_SOCK" "$@"
}

dkr_import_busybox() { # -> DKR_IMAGE
	local img=$DKR_DIR/image
	"$BATS_TEST_DIRNAME/../engines/make-busybox-image.sh" "$img" >/dev/null
	DKR_IMAGE=husk-busybox:latest
	dkr_ import --change 'CMD ["sh"]' "$img/rootfs.tar" "$DKR_IMAGE" >&2
	export DKR_IMAGE
}

# docker run/create without a network: dkr_run run|create [FLAGS...] ...
dkr_run() {
	local verb=$1
	shift
	dkr_ "$verb" --network none "$@"
}

dkr_own_pids() {
	local p cmd
	for p in /proc/[0-9]*; do
		cmd=$(tr '\0' ' ' 2>/dev/null <"$p/cmdline") || continue
		[[ $cmd == *"$DKR_DIR/"* ]] && echo "${p#/proc/}"
	done
	return 0
}

dkr_remove_all() {
	local ids
	ids=$(dkr_ ps -aq 2>/dev/null)
	[ -n "$ids" ] && ENGINE_TIMEOUT=120 dkr_ rm -f $ids >/dev/null 2>&1
	return 0
}

# Last resort when Docker could not remove a container: the runtime's state
# roots live under our exec root.
dkr_runtime_sweep() {
	local root id
	for root in "$DKR_DIR"/exec/runtime-*/moby/; do
		[ -d "$root" ] || continue
		for id in $("$RUNTIME" --root "$root" list -q 2>/dev/null); do
			timeout 30 "$RUNTIME" --root "$root" delete -f "$id" >/dev/null 2>&1
		done
	done
	return 0
}

dkr_stop() {
	[ -n "${DKR_DIR:-}" ] && [ -d "$DKR_DIR" ] || return 0
	dkr_remove_all
	dkr_runtime_sweep
	local i
	if [ -n "${DKR_PID:-}" ] && kill -0 "$DKR_PID" 2>/dev/null; then
		kill "$DKR_PID"
		for ((i = 0; i < 150; i++)); do
			kill -0 "$DKR_PID" 2>/dev/null || break
			sleep 0.1
		done
	fi
	engine_end_processes dkr_own_pids
	engine_remove_tree "$DKR_DIR" /sys/fs/cgroup/*"$DKR_CGROUP_PARENT" \
		/sys/fs/cgroup/*/"${DKR_CGROUP_PARENT#/}"
	engine_remove_new_dirs ${DKR_NEW_DIRS:-}
}

# The runtime's state root: Docker gives the runc v2 shim <exec-root>/runtime-runc
# whatever the runtime's name.
dkr_runtime_root() {
	local d
	for d in "$DKR_DIR"/exec/runtime-*/moby; do
		[ -d "$d" ] && echo "$d" && return 0
	done
	return 1
}

dkr_pid() { dkr_ inspect --format '{{.State.Pid}}' "$1"; }
dkr_state() { dkr_ inspect --format '{{.State.Status}}' "$1"; }
dkr_cid() { dkr_ inspect --format '{{.Id}}' "$1"; }

dkr_wait_state() { # NAME STATE [SECONDS]
	local i
	for ((i = 0; i < ${3:-$ENGINE_TIMEOUT} * 10; i++)); do
		[ "$(dkr_state "$1" 2>/dev/null)" = "$2" ] && return 0
		sleep 0.1
	done
	echo "container $1: state $(dkr_state "$1" 2>&1), wanted $2" >&2
	return 1
}

# The container's cgroup directory holding controller CTRL, as the kernel
# shows it in /proc/PID/cgroup: a v1 hierarchy naming CTRL, else the unified
# one (at /sys/fs/cgroup on a v2 host, /sys/fs/cgroup/unified on a hybrid one).
dkr_cgroup_dir() { # NAME CTRL
	local pid path
	pid=$(dkr_pid "$1")
	path=$(awk -F: -v c="$2" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' /proc/"$pid"/cgroup)
	if [ -n "$path" ]; then
		echo "/sys/fs/cgroup/$2$path"
		return
	fi
	path=$(awk -F: '$1 == 0 {print $3}' /proc/"$pid"/cgroup)
	if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
		echo "/sys/fs/cgroup$path"
	else
		echo "/sys/fs/cgroup/unified$path"
	fi
}

# A limit as the kernel holds it, the same on v1 and v2:
#   dkr_cg NAME memory   -> bytes or max       (memory.limit_in_bytes | memory.max)
#   dkr_cg NAME cpu      -> "QUOTA PERIOD"     (cpu.cfs_quota_us + cpu.cfs_period_us | cpu.max)
#   dkr_cg NAME pids     -> N or max           (pids.max)
#   dkr_cg NAME frozen   -> 1 or 0             (freezer.state | cgroup.freeze)
dkr_cg() { # NAME KIND
	local ctrl=$2 dir v
	[ "$2" = frozen ] && ctrl=freezer
	dir=$(dkr_cgroup_dir "$1" "$ctrl")
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
		v=$(cat "$dir/freezer.state")
		[ "$v" = FROZEN ] && echo 1 || echo 0 ;;
	frozen:*) cat "$dir/cgroup.freeze" ;;
	esac
}
