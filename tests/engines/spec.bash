# Shared set-up for the runtime-spec conformance tests (tests/bats/spec_*.bats).
#
# The runtime under test is $HUSK (helpers.bash); HUSK=/usr/sbin/runc runs the
# same tests against runc, which is how the tests themselves were validated.
# Each test gets its own bundle with a config.json built here (not by the
# runtime's `spec`), so every test starts from the same known baseline and
# states in jq what it changes.

SPEC_CGROUP_PARENT=husk-spec-${SPEC_CGROUP_TAG:-$PPID}

# A busybox rootfs, built once per test file and copied per test.
spec_rootfs_template() {
	local t=$BATS_FILE_TMPDIR/rootfs
	[ -x "$t/bin/busybox" ] && { echo "$t"; return; }
	mkdir -p "$t"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,root,var/run,home}
	chmod 1777 "$t/tmp"
	cp "$(command -v busybox || echo /bin/busybox)" "$t/bin/busybox"
	local a
	for a in $("$t/bin/busybox" --list); do
		[ -e "$t/bin/$a" ] || ln -s busybox "$t/bin/$a"
	done
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n' >"$t/etc/passwd"
	printf 'root:x:0:\nnobody:x:65534:\n' >"$t/etc/group"
	echo "$t"
}

# spec_bundle [ARG...]: a bundle whose process runs ARGs (default: sleep 1000).
# Sets TEST_TMP, BUNDLE, HUSK_ROOT, CID, CGROUP_PATH (relative to each hierarchy).
spec_bundle() {
	[ $# -gt 0 ] || set -- sleep 1000
	TEST_TMP=$(mktemp -d /tmp/husk-spec.XXXXXX)
	HUSK_ROOT=$TEST_TMP/state
	BUNDLE=$TEST_TMP/bundle
	CID=spec$$-$BATS_TEST_NUMBER-$RANDOM
	CGROUP_PATH=/$SPEC_CGROUP_PARENT/$CID
	mkdir -p "$BUNDLE"
	cp -a "$(spec_rootfs_template)" "$BUNDLE/rootfs"
	local args
	args=$(jq -n '$ARGS.positional' --args -- "$@")
	jq -n --argjson args "$args" --arg cg "$CGROUP_PATH" '{
	ociVersion: "1.0.2",
	process: {
		terminal: false,
		user: {uid: 0, gid: 0},
		args: $args,
		env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
		cwd: "/",
		capabilities: ({} | .bounding = $caps | .effective = $caps | .permitted = $caps),
		noNewPrivileges: false
	},
	root: {path: "rootfs", readonly: false},
	hostname: "spec",
	mounts: [
		{destination: "/proc", type: "proc", source: "proc"},
		{destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"]},
		{destination: "/dev/pts", type: "devpts", source: "devpts", options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]},
		{destination: "/dev/shm", type: "tmpfs", source: "shm", options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
		{destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"]},
		{destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"]}
	],
	linux: {
		cgroupsPath: $cg,
		resources: {devices: [{allow: false, access: "rwm"}]},
		namespaces: [{type: "pid"}, {type: "network"}, {type: "ipc"}, {type: "uts"}, {type: "mount"}],
		maskedPaths: ["/proc/kcore", "/proc/keys", "/proc/timer_list", "/sys/firmware"],
		readonlyPaths: ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
	}
}' --argjson caps '["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"]' \
		>"$BUNDLE/config.json"
}

spec_teardown() {
	teardown_bundle
	# Tests assert on leftovers themselves; here, whatever a failed test left
	# of its cgroups goes (rmdir only removes empty ones), then the parent.
	local d
	for d in /sys/fs/cgroup/*/"$SPEC_CGROUP_PARENT" /sys/fs/cgroup/"$SPEC_CGROUP_PARENT"; do
		[ -d "$d" ] || continue
		[ -n "${CID:-}" ] && find "$d" -mindepth 1 -depth -type d -name "$CID*" -exec rmdir {} + 2>/dev/null
		rmdir "$d" 2>/dev/null
	done
	return 0
}

# The runtime's view of the container: state_json ID | jq ...
state_json() { husk state "${1:-$CID}"; }
state_status() { husk state "${1:-$CID}" 2>/dev/null | jq -r .status; }
state_pid() { husk state "${1:-$CID}" | jq -r .pid; }

wait_status() { # STATUS [ID] [SECONDS]
	local i
	for ((i = 0; i < ${3:-10} * 20; i++)); do
		[ "$(state_status "${2:-$CID}")" = "$1" ] && return 0
		sleep 0.05
	done
	echo "status of ${2:-$CID}: $(state_status "${2:-$CID}"), wanted $1" >&2
	return 1
}

wait_file() { # FILE [SECONDS]
	local i
	for ((i = 0; i < ${2:-10} * 20; i++)); do
		[ -e "$1" ] && return 0
		sleep 0.05
	done
	echo "no $1 after ${2:-10}s" >&2
	return 1
}

# husk create that is expected to fail, without a pipe: if it succeeds after
# all, the container's stdio must not hold bats' output pipe open (that would
# hang the test), so output goes through a file.  Sets $status and $output.
try_create() { # [ID] [BUNDLE]
	status=0
	"$HUSK" --root "$HUSK_ROOT" create --bundle "${2:-$BUNDLE}" "${1:-$CID}" </dev/null \
		>"$TEST_TMP/try-create.out" 2>&1 || status=$?
	output=$(cat "$TEST_TMP/try-create.out")
	echo "create: status $status: $output"
}

# Create + start in the background with stdio detached from bats.
create_detached() { # [ID]
	husk create --bundle "$BUNDLE" "${1:-$CID}" </dev/null >"$TEST_TMP/create.out" 2>&1
}

# The host's v1 cgroup dir of the container in CONTROLLER.
cgroup_dir() { echo "/sys/fs/cgroup/$1$CGROUP_PATH"; }

# Run the container to completion and print its output: run_container [ID]
# Output goes through a file, never a pipe, and the run is time-bounded: a
# container that outlives the bound is killed, so nothing can hang a test.
run_container() {
	local id=${1:-$CID} rc=0
	timeout -k 5 "${SPEC_RUN_TIMEOUT:-30}" "$HUSK" --root "$HUSK_ROOT" run --bundle "$BUNDLE" "$id" \
		</dev/null >"$TEST_TMP/run.out" 2>&1 || rc=$?
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		echo "run of $id timed out" >>"$TEST_TMP/run.out"
		"$HUSK" --root "$HUSK_ROOT" delete -f "$id" >/dev/null 2>&1
	fi
	cat "$TEST_TMP/run.out"
	return "$rc"
}

# A pid that exists and is not a zombie (an exited init may wait for a reaper).
pid_alive() {
	local st
	st=$(awk '/^State:/ {print $2}' /proc/"$1"/status 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}
