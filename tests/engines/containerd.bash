# containerd harness for the engine tests (sourced by tests/bats/engine_containerd.bats).
#
# Starts a private containerd (own root, state, sockets, namespace; CRI and the
# snapshotters this host cannot use disabled), imports the local busybox image
# and drives it with ctr.  The runc v2 shim runs the runtime under test through
# BinaryName (ctr's --runc-binary sets the shim option of that name).
#
#   RUNTIME   runtime binary under test (default: $HUSK, i.e. build/husk);
#             RUNTIME=/usr/sbin/runc validates the tests themselves.
#
# Everything lives under $CTRD_DIR and is torn down by ctrd_stop: tasks are
# killed and deleted, the daemon and its shims are ended by pid (only processes
# whose command line names our private socket), mounts under $CTRD_DIR are
# undone and the namespace's cgroups are removed.

source "$(dirname "${BASH_SOURCE[0]}")/common.bash"

: "${ENGINE_TIMEOUT:=30}"
export ENGINE_TIMEOUT

# Made outside $CTRD_DIR whatever the flags: the shims' sockets; ctr's fifos
# go to $CTRD_DIR/fifo (--fifo-dir), but note the default dir all the same.
CTRD_HOST_DIRS="/run/containerd/s /run/containerd/fifo /run/containerd"

ctrd_start() {
	CTRD_NEW_DIRS=$(engine_new_dirs $CTRD_HOST_DIRS)
	export CTRD_NEW_DIRS
	CTRD_DIR=$(mktemp -d /tmp/husk-engines-ctrd.XXXXXX)
	CTRD_SOCK=$CTRD_DIR/containerd.sock
	CTRD_NS=husk-engines-$$
	export CTRD_DIR CTRD_SOCK CTRD_NS
	# The shim is found on PATH; the runtime under test through BinaryName.
	cat >"$CTRD_DIR/config.toml" <<TOML
version = 2
root = "$CTRD_DIR/root"
state = "$CTRD_DIR/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing"]
[grpc]
  address = "$CTRD_SOCK"
[ttrpc]
  address = "$CTRD_SOCK.ttrpc"
[debug]
  address = "$CTRD_DIR/debug.sock"
  level = "debug"
[metrics]
  address = ""
[plugins."io.containerd.runtime.v2.task"]
  platforms = ["linux/amd64"]
[plugins."io.containerd.monitor.v1.cgroups"]
  no_prometheus = true
TOML
	containerd --config "$CTRD_DIR/config.toml" >"$CTRD_DIR/containerd.log" 2>&1 &
	CTRD_PID=$!
	export CTRD_PID
	echo "$CTRD_PID" >"$CTRD_DIR/containerd.pid"
	local i
	for ((i = 0; i < ENGINE_TIMEOUT * 10; i++)); do
		[ -S "$CTRD_SOCK" ] && ctr_ version >/dev/null 2>&1 && return 0
		kill -0 "$CTRD_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "containerd did not come up; its log:" >&2
	tail -n 30 "$CTRD_DIR/containerd.log" >&2
	return 1
}

# ctr against the private daemon and namespace; every call is time-bounded.
ctr_() {
	timeout --foreground -k 5 "$ENGINE_TIMEOUT" ctr --address "$CTRD_SOCK" --namespace "${CTRD_NS:-husk-engines}" "$@"
}

ctrd_import_busybox() { # -> CTRD_IMAGE
	local img=$CTRD_DIR/image
	CTRD_IMAGE=$("$ENGINE_DIR/make-busybox-image.sh" "$img")
	export CTRD_IMAGE
	ctr_ image import "$img/oci.tar" >&2
	ctr_ image ls -q | grep -qx "$CTRD_IMAGE"
}

# ctr run with the runtime under test: ctrd_run [CTR-RUN-FLAGS...] ID [CMD...]
ctrd_run() {
	local flags=() id
	while [ $# -gt 0 ] && [ "${1#-}" != "$1" ]; do flags+=("$1"); shift; done
	id=$1; shift
	ctr_ run --fifo-dir "$CTRD_DIR/fifo" --runc-binary "$RUNTIME" --runc-root "$CTRD_DIR/runtime-root" --cgroup "/$CTRD_NS/$id" "${flags[@]}" "$CTRD_IMAGE" "$id" "$@"
}

ctrd_task_status() { # ID -> RUNNING / PAUSED / STOPPED / CREATED, or nothing
	ctr_ task ls 2>/dev/null | awk -v id="$1" '$1 == id {print $3}'
}

ctrd_wait_status() { engine_wait_for ctrd_task_status "$@"; } # ID STATUS [SECONDS]

ctrd_task_pid() { # ID
	ctr_ task ls 2>/dev/null | awk -v id="$1" '$1 == id {print $2}'
}

# Processes that belong to our daemon: it and the shims it started (their
# command line names our socket).  Printed as pids.
ctrd_own_pids() { engine_pids_under "$CTRD_DIR"; }

ctrd_remove_all() {
	local c
	for c in $(ctr_ task ls -q 2>/dev/null); do
		ctr_ task kill -s SIGKILL "$c" >/dev/null 2>&1
		ctr_ task delete -f "$c" >/dev/null 2>&1
	done
	for c in $(ctr_ container ls -q 2>/dev/null); do
		ctr_ container delete "$c" >/dev/null 2>&1
	done
}

# Last resort for containers the shim could not delete: the runtime's own
# state lives under our private --runc-root.
ctrd_runtime_sweep() {
	local root id
	for root in "$CTRD_DIR"/runtime-root/*/; do
		[ -d "$root" ] || continue
		for id in $("$RUNTIME" --root "$root" list -q 2>/dev/null); do
			timeout 30 "$RUNTIME" --root "$root" delete -f "$id" >/dev/null 2>&1
		done
	done
	return 0
}

ctrd_stop() {
	[ -n "${CTRD_DIR:-}" ] && [ -d "$CTRD_DIR" ] || return 0
	ctrd_remove_all
	ctrd_runtime_sweep
	engine_end_processes ctrd_own_pids
	engine_remove_tree "$CTRD_DIR" /sys/fs/cgroup/*/"$CTRD_NS" /sys/fs/cgroup/"$CTRD_NS"
	engine_remove_new_dirs ${CTRD_NEW_DIRS:-}
}

# ctr task exec with its fifos under $CTRD_DIR: ctrd_exec [FLAGS...] ID CMD...
ctrd_exec() {
	ctr_ task exec --fifo-dir "$CTRD_DIR/fifo" "$@"
}

# A limit of the task's cgroup as the kernel holds it (engine_cgroup_value's KINDs).
ctrd_cg() { engine_cgroup_value "$(ctrd_task_pid "$1")" "$2"; } # ID KIND
