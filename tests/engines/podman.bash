# podman harness for the engine tests (sourced by tests/bats/engine_podman.bats).
#
# Everything podman keeps (images, containers, conmon's state, events, logs)
# lives under $PDM_DIR: private --root/--runroot/--tmpdir, vfs storage, the
# cgroupfs manager, no network, a containers.conf of our own (CONTAINERS_CONF),
# and every container's cgroups under a parent of our own.  The OCI runtime is
# the one under test:
#   RUNTIME   runtime binary (default: $HUSK); RUNTIME=/usr/sbin/runc validates the tests.
# pdm_stop removes every container, ends leftover conmons by pid (only those
# whose command line names $PDM_DIR), unmounts and removes $PDM_DIR and the cgroups.

source "$(dirname "${BASH_SOURCE[0]}")/common.bash"

: "${ENGINE_TIMEOUT:=30}"
export ENGINE_TIMEOUT

# Rootful podman's default lock is one shared-memory segment for the host,
# /dev/shm/libpod_lock, sized by the first podman to make it: one left by us
# breaks the user's own podman ("failed to open N locks").  Our podman takes
# file locks under its private tmp_dir instead (checked by the last test).
PDM_SHM_LOCK=/dev/shm/libpod_lock

# Made outside $PDM_DIR whatever the flags: the image blob-info cache's dir.
PDM_HOST_DIRS="/var/lib/containers/cache /var/lib/containers"

pdm_start() {
	PDM_SHM_LOCK_BEFORE=$([ -e "$PDM_SHM_LOCK" ] && echo yes || echo no)
	PDM_NEW_DIRS=$(engine_new_dirs $PDM_HOST_DIRS)
	export PDM_SHM_LOCK_BEFORE PDM_NEW_DIRS
	PDM_DIR=$(mktemp -d /tmp/husk-engines-podman.XXXXXX)
	PDM_CGROUP_PARENT=/husk-engines-podman-$$
	mkdir -p "$PDM_DIR"/{root,runroot,tmp,runtime-root}
	# Rootful podman raises RLIMIT_NOFILE/NPROC to 1048576/max, which needs
	# CAP_SYS_RESOURCE; this machine's root lacks it (bounding set), so the
	# containers get the limits we have.
	cat >"$PDM_DIR/containers.conf" <<CONF
[containers]
netns = "none"
log_driver = "k8s-file"
cgroupns = "private"
default_ulimits = []
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$PDM_DIR/events.log"
tmp_dir = "$PDM_DIR/tmp"
# image copies, else /var/tmp (read-only in the nested harness)
image_copy_tmp_dir = "$PDM_DIR/tmp"
static_dir = "$PDM_DIR/root/libpod"
volume_path = "$PDM_DIR/root/volumes"
lock_type = "file"
CONF
	# An empty registries list: nothing may be pulled.
	printf 'unqualified-search-registries = []\n' >"$PDM_DIR/registries.conf"
	export CONTAINERS_CONF=$PDM_DIR/containers.conf
	export CONTAINERS_REGISTRIES_CONF=$PDM_DIR/registries.conf
	export PDM_DIR PDM_CGROUP_PARENT
	pdm_ info --format '{{.Host.OCIRuntime.Path}}' >"$PDM_DIR/info.out" 2>&1 || {
		cat "$PDM_DIR/info.out" >&2
		return 1
	}
}

# podman against the private store, with the runtime under test; time-bounded.
# TMPDIR: containers/storage's scratch files, else /var/tmp.
pdm_() {
	TMPDIR=$PDM_DIR/tmp timeout --foreground -k 5 "$ENGINE_TIMEOUT" podman --root "$PDM_DIR/root" --runroot "$PDM_DIR/runroot" \
		--tmpdir "$PDM_DIR/tmp" --storage-driver vfs --cgroup-manager cgroupfs \
		--events-backend file --runtime "$RUNTIME" "$@"
}

pdm_import_busybox() { # -> PDM_IMAGE
	local img=$PDM_DIR/image
	"$ENGINE_DIR/make-busybox-image.sh" "$img" >/dev/null
	PDM_IMAGE=localhost/husk-busybox:latest
	pdm_ import --change 'CMD ["sh"]' "$img/rootfs.tar" "$PDM_IMAGE" >&2
	export PDM_IMAGE
}

# podman run/create with our cgroup parent and no network: pdm_run run|create [FLAGS...] ...
pdm_run() {
	local verb=$1; shift
	pdm_ "$verb" --cgroup-parent "$PDM_CGROUP_PARENT" --network none "$@"
}

pdm_own_pids() { engine_pids_under "$PDM_DIR"; }

pdm_remove_all() {
	ENGINE_TIMEOUT=120 pdm_ rm -f -a -t 0 >/dev/null 2>&1
	return 0
}

# Last resort when podman could not remove a container (a timeout on a loaded
# machine): podman runs the runtime with its default state root, so ask the
# runtime itself for containers whose bundle is ours and delete them.
pdm_runtime_sweep() {
	local id
	"$RUNTIME" list --format json 2>/dev/null |
		jq -r --arg d "$PDM_DIR/" '.[]? | select(.bundle | startswith($d)) | .id' 2>/dev/null |
		while read -r id; do
			[ -n "$id" ] && timeout 30 "$RUNTIME" delete -f "$id" >/dev/null 2>&1
		done
	return 0
}

pdm_stop() {
	[ -n "${PDM_DIR:-}" ] && [ -d "$PDM_DIR" ] || return 0
	pdm_remove_all
	pdm_runtime_sweep
	engine_end_processes pdm_own_pids
	engine_remove_tree "$PDM_DIR" /sys/fs/cgroup/*"$PDM_CGROUP_PARENT" /sys/fs/cgroup/*/"${PDM_CGROUP_PARENT#/}"
	engine_remove_new_dirs ${PDM_NEW_DIRS:-}
}

# The container's init pid as podman sees it.
pdm_pid() { pdm_ inspect --format '{{.State.Pid}}' "$1"; }
pdm_state() { pdm_ inspect --format '{{.State.Status}}' "$1"; }

pdm_wait_state() { engine_wait_for pdm_state "$@"; } # NAME STATE [SECONDS]

# The container's cgroup directory holding controller CTRL, and a limit as
# the kernel holds it (engine_cgroup_value's KINDs).
pdm_cgroup_dir() { engine_cgroup_dir "$(pdm_pid "$1")" "$2"; } # NAME CTRL
pdm_cg() { engine_cgroup_value "$(pdm_pid "$1")" "$2"; }       # NAME KIND
