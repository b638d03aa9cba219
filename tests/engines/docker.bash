# Docker harness for the engine tests (sourced through docker_scenarios.bash by
# tests/bats/engine_docker.bats and vm_engine_docker.bats).
#
# A private dockerd (Debian's docker.io 20.10): its own data root, exec root,
# pidfile, socket and daemon.json under $DKR_DIR (under /tmp: L1's tmpfs in
# the nested harness), the containerd it manages itself (state under the exec
# root), vfs storage, the cgroupfs driver and a cgroup parent of our own, no
# bridge and no iptables (every container runs with --network none).  The
# runtime under test ($RUNTIME, common.bash) is registered in daemon.json
# under `runtimes` and made the default, as a user would drop it in; a
# husk-vm link there runs every container in a microVM.
# dkr_stop removes every container, ends dockerd by its pid, then whatever is
# left whose command line names $DKR_DIR (containerd, shims), unmounts and
# removes $DKR_DIR and the cgroups.

source "$(dirname "${BASH_SOURCE[0]}")/common.bash"

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
	"$ENGINE_DIR/make-busybox-image.sh" "$img" >/dev/null
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

dkr_own_pids() { engine_pids_under "$DKR_DIR"; }

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

dkr_wait_state() { engine_wait_for dkr_state "$@"; } # NAME STATE [SECONDS]

# The container's cgroup directory holding controller CTRL, and a limit as
# the kernel holds it (engine_cgroup_value's KINDs).
dkr_cgroup_dir() { engine_cgroup_dir "$(dkr_pid "$1")" "$2"; } # NAME CTRL
dkr_cg() { engine_cgroup_value "$(dkr_pid "$1")" "$2"; }       # NAME KIND

# Once the containers are removed (dkr_remove_all): nothing of them is left in
# the runtime's state, the processes (shims, a VM's monitor), the cgroups
# under our parent, the mounts of containerd's task dirs; with an ID, nothing
# that names it either.  Says what is left and fails.
dkr_check_nothing_left() { # [ID]
	local root
	if root=$(dkr_runtime_root); then
		[ -z "$("$RUNTIME" --root "$root" list -q)" ] || { echo "runtime state left in $root"; return 1; }
	fi
	engine_until 10 eval '[ -z "$(dkr_leftover_pids "${1:-}")" ]' || {
		echo "processes left:"
		dkr_leftover_pids "${1:-}" | xargs -r ps -o pid,args -p
		return 1
	}
	local left
	left=$(find /sys/fs/cgroup/*/"${DKR_CGROUP_PARENT#/}" -mindepth 1 -type d 2>/dev/null || true)
	[ -z "$left" ] || { echo "cgroups left: $left"; return 1; }
	left=$(grep -F "$DKR_DIR/exec/containerd/daemon/io.containerd.runtime.v2.task" /proc/self/mountinfo || true)
	[ -z "$left" ] || { echo "mounts left: $left"; return 1; }
	[ -z "${1:-}" ] && return 0
	left=$(find /sys/fs/cgroup -maxdepth 3 -type d -name "$1" 2>/dev/null || true)
	[ -z "$left" ] || { echo "cgroups left: $left"; return 1; }
	! grep -qF "$1" /proc/self/mountinfo || { echo "mounts naming $1 left"; return 1; }
}

# Shims of our containerd, processes in our cgroup parent, and with an ID
# any process naming it in its cgroups or command line.
dkr_leftover_pids() { # [ID]
	local p cmd
	for p in /proc/[0-9]*; do
		cmd=$(tr '\0' ' ' 2>/dev/null <"$p/cmdline") || continue
		if [[ $cmd == *containerd-shim*"$DKR_DIR/"* ]] ||
			grep -qsF "$DKR_CGROUP_PARENT/" "$p/cgroup" ||
			{ [ -n "$1" ] && { [[ $cmd == *"$1"* ]] || grep -qsF "$1" "$p/cgroup"; }; }; then
			echo "${p#/proc/}"
		fi
	done
	return 0
}
