# Shared set-up for husk's bats tests.  Each test gets its own state root and
# bundle under a private temp dir; teardown checks nothing was left behind.

HUSK=${HUSK:-$BATS_TEST_DIRNAME/../../build/husk}
REPO_ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)

setup_bundle() { # [ARG...]: process.args
	TEST_TMP=$(mktemp -d /tmp/husk-test.XXXXXX)
	HUSK_ROOT=$TEST_TMP/state
	BUNDLE=$TEST_TMP/bundle
	HUSK="$HUSK" "$REPO_ROOT/scripts/make-bundle.sh" "$BUNDLE" "$@" >/dev/null
	CID=t$$-$BATS_TEST_NUMBER-$RANDOM
}

# husk with this test's private state root
husk() {
	"$HUSK" --root "$HUSK_ROOT" "$@"
}

# Edit config.json with a jq filter: cfg '.process.args = ["true"]'
cfg() {
	jq "$@" "$BUNDLE/config.json" > "$BUNDLE/config.json.new" && mv "$BUNDLE/config.json.new" "$BUNDLE/config.json"
}

teardown_bundle() {
	if [ -n "${HUSK_ROOT:-}" ] && [ -d "$HUSK_ROOT" ]; then
		for d in "$HUSK_ROOT"/*/; do
			[ -d "$d" ] && "$HUSK" --root "$HUSK_ROOT" delete --force "$(basename "$d")" >/dev/null 2>&1
		done
	fi
	# Nothing of this test may stay mounted.
	if [ -n "${TEST_TMP:-}" ]; then
		grep -q " $TEST_TMP" /proc/self/mountinfo && awk -v t="$TEST_TMP" '$5 ~ "^"t {print $5}' /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l
		rm -rf "$TEST_TMP"
	fi
}

# Assert that a container id left nothing: no state dir, no cgroup dirs.
assert_no_leftovers() { # ID
	local id=$1
	[ ! -e "$HUSK_ROOT/$id" ] || { echo "state dir left: $HUSK_ROOT/$id"; return 1; }
	local left
	# find fails when another test removes a cgroup during the walk: that is not ours.
	left=$(find /sys/fs/cgroup -maxdepth 3 -type d -name "*$id*" 2>/dev/null || true)
	[ -z "$left" ] || { echo "cgroups left: $left"; return 1; }
	if grep -q "$TEST_TMP/bundle" /proc/self/mountinfo; then
		echo "mounts left"
		return 1
	fi
}

# The process has ended: gone, or a zombie its parent has not reaped yet.
process_ended() { # PID
	[ ! -d "/proc/$1" ] || grep -q '^State:.*Z' "/proc/$1/status"
}

# Bundle for the runtime's lifecycle tests: cwd is the bundle (like engines call
# runc), and process.capabilities.ambient is dropped: the default spec lists
# ambient caps without inheritable ones, which the security module rejects
# (runc/crun only warn); that is not what these tests are about.  The rootfs is
# writable so the container can leave evidence in $BUNDLE/rootfs/tmp.
setup_runtime_bundle() { # [ARG...]
	setup_bundle "$@"
	cfg 'del(.process.capabilities.ambient) | .root.readonly = false'
	# mktemp made it 0700: a container root mapped to another uid must reach the bundle.
	chmod 755 "$TEST_TMP"
	cd "$BUNDLE"
}

# A new user namespace that maps the container's ids 0-65535 to the host's
# from HOST-UID and HOST-GID, and a bundle the mapped root can reach (with
# "chown", the rootfs becomes the mapped root's, as with any engine).
userns_config() { # HOST-UID HOST-GID [chown]
	cfg --argjson u "$1" --argjson g "$2" '.linux.namespaces += [{type: "user"}]
		| .linux.uidMappings = [{containerID: 0, hostID: $u, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: $g, size: 65536}]'
	[ "${3:-}" != chown ] || chown -R "$1:$2" "$BUNDLE/rootfs"
	chmod 755 "$TEST_TMP" "$BUNDLE"
}

# For the files that load ../engines/spec (try_create): create fails, and
# leaves no container that `state` would show.
create_refused() {
	try_create
	echo "$output"
	[ "$status" -ne 0 ] || return 1
	run husk state "$CID"
	[ "$status" -ne 0 ]
}

# The first of $lines are these, in order.
lines_are() { # LINE...
	local i=0 want
	for want in "$@"; do
		[ "${lines[$i]}" = "$want" ] || { echo "line $i: '${lines[$i]}', expected '$want'"; return 1; }
		i=$((i + 1))
	done
}

# $output holds each TEXT.
output_has() { # TEXT...
	local t
	for t in "$@"; do
		[[ "$output" == *"$t"* ]] || { echo "not in the output: $t"; return 1; }
	done
}

# SIGTERM a `husk vm boot` monitor started in the background (its output in
# FILE): it stops the guest, says so, exits 2 and is gone.
vm_sigterm_stops() { # PID FILE
	kill -TERM "$1"
	local rc=0
	wait "$1" || rc=$?
	cat "$2"
	[ "$rc" -eq 2 ] || return 1
	grep -q 'vm: stopped: signal' "$2" || return 1
	kill -0 "$1" 2>/dev/null && return 1
	return 0
}

# Poll (bounded) until `husk state ID` reports STATUS.
wait_status() { # ID STATUS
	local i
	for i in $(seq 200); do
		[ "$(husk state "$1" 2>/dev/null | jq -r .status)" = "$2" ] && return 0
		sleep 0.02
	done
	echo "container $1 never reached status $2"
	return 1
}

# Is $HUSK the ASan+UBSan build (make asan)?  Its shadow memory and allocator
# need more than a tiny cgroup memory limit allows before the execve.
husk_is_asan() {
	ldd "$HUSK" 2>/dev/null | grep -q libasan
}

# Runs a shell command string on a fresh pseudoterminal (script(1)), as a
# user's terminal would.  script runs the string with $SHELL, which CI may not
# set (dash then), and a non-exec'ing shell leaves the command in a background
# process group where a tcsetattr stops it with SIGTTOU.  So: bash, and exec,
# which makes the command the session leader and the terminal's foreground.
#   run run_on_pty SECONDS 'command string'
run_on_pty() {
	local seconds=$1
	shift
	SHELL=/bin/bash timeout -k 5 "$seconds" script -qec "exec $*" /dev/null
}

# The security suites' bundle: cwd is the bundle and the rootfs is writable,
# so a test can plant files or let the container leave evidence there.
setup_writable_bundle() { # [ARG...]: process.args
	setup_bundle "$@"
	cd "$BUNDLE"
	cfg '.root.readonly = false'
}

# Run SHELL-COMMAND as the container's process: $output/$status as bats run.
in_ctr() { # SHELL-COMMAND
	cfg --arg c "$1" '.process.args = ["sh", "-c", $c]'
	run husk run "$CID"
}

# The container is refused before its process runs, and the error names WHAT.
refused_before_run() { # WHAT
	in_ctr 'echo RAN'
	echo "$output"
	[ "$status" -ne 0 ] || return 1
	[[ "$output" == *"$1"* ]] || return 1
	[[ "$output" != *RAN* ]]
}
