#!/usr/bin/env bats
# husk itself under valgrind (memcheck) on the main CLI paths: no invalid
# access, no uninitialised value, no definite leak, on success and on failure.
# `make valgrind` runs this with VALGRIND_CLI=1; elsewhere it skips (slow).
#
# What valgrind 3.19 (Debian 12) cannot run, and how this file copes:
#   - clone3 is unknown to it (ENOSYS): husk falls back to clone, which
#     valgrind treats as a fork (namespace flags pass through).
#   - open_tree/move_mount/fsopen/fsmount/mount_setattr are unknown (ENOSYS):
#     the container init, still under valgrind after the clone, cannot build
#     the rootfs.  So `create`/`run` are checked on that failure path (the
#     parent's and the init's cleanup under memcheck, nothing left behind), and
#     the real container of the lifecycle test is created natively; every
#     later command (state, list, ps, start, pause, resume, kill --all,
#     delete) runs under valgrind against it.
#   - pidfd_open is unknown (ENOSYS): `kill` without --all and `delete
#     --force` of a live container need it; the test kills through the
#     cgroup (--all) and deletes the stopped container.
#   - the sealed-binary re-exec (runtime/sealed_binary.c; create, run and exec,
#     first thing in main) execs husk again, and with --trace-children=no that
#     copy would run natively; valgrind 3.19 fails its execveat(fd, "",
#     AT_EMPTY_PATH) with ENOENT, so create and run are checked on that failure
#     path; the config parser is reached through a husk on a read-only mount,
#     which needs no re-exec (ro_husk); `exec` is not covered.
load helpers

VG_REPORT=99

setup() {
	[ "${VALGRIND_CLI:-}" = 1 ] || skip "husk under valgrind is slow: set VALGRIND_CLI=1 (make valgrind does)"
	command -v valgrind >/dev/null || skip "valgrind is not installed"
	setup_runtime_bundle
	VG_LOG=$TEST_TMP/valgrind.log
}

teardown() {
	if [ -n "${VG_HUSK_BIN:-}" ]; then umount "$TEST_TMP/ro" 2>/dev/null || true; fi
	teardown_bundle
}

# A copy of husk on a read-only bind mount: already protected, so it is not
# re-executed and valgrind follows it into the config parser.
ro_husk() {
	mkdir -p "$TEST_TMP/ro"
	cp "$HUSK" "$TEST_TMP/ro/husk"
	mount --bind "$TEST_TMP/ro" "$TEST_TMP/ro"
	mount -o remount,bind,ro "$TEST_TMP/ro"
	VG_HUSK_BIN=$TEST_TMP/ro/husk
}

# husk with this test's state root, under memcheck.  Memcheck's reports go to
# $VG_LOG (printed on failure); a report makes the exit status $VG_REPORT.
# --track-fds lists the fds open at exit: one husk opened and never closed is
# reported too (see assert_vg_clean).
vg_husk() {
	valgrind -q --suppressions="$REPO_ROOT/tests/valgrind/husk.supp" --track-fds=yes \
		--error-exitcode=$VG_REPORT --leak-check=full --errors-for-leak-kinds=definite \
		--trace-children=no --log-file="$VG_LOG.%p" "${VG_HUSK_BIN:-$HUSK}" --root "$HUSK_ROOT" "$@"
}

# The memcheck reports in a log: "==PID==" lines ("--PID--" ones are
# valgrind's own notes, e.g. the unhandled syscalls above), without the
# --track-fds summary of fds inherited from bats.
vg_reports() { # LOG
	awk '/FILE DESCRIPTORS: / { next }
	     /^==[0-9]+== Open / { hdr = $0; getline; if ($0 ~ /<inherited from parent>/) next
	                           print hdr; print; next }
	     /^==[0-9]+== *$/ { next }
	     /^==[0-9]+== / { print }' "$1"
}

# Fail when any process of the last vg_husk (the init child included) left a
# memcheck report or an fd it opened.
assert_vg_clean() {
	local f reports=""
	for f in "$VG_LOG".*; do
		[ -e "$f" ] || continue
		[ -z "$(vg_reports "$f")" ] || reports+="$(cat "$f")"$'\n'
		rm -f "$f"
	done
	[ -z "$reports" ] || { echo "memcheck reports:"; echo "$reports"; return 1; }
}

vg_run() { # [ARG...]: bats `run` of vg_husk, then no memcheck report
	run vg_husk "$@"
	echo "$output"
	assert_vg_clean
	[ "$status" -ne $VG_REPORT ]
}

@test "valgrind: spec, help, version" {
	cd "$TEST_TMP"
	vg_run spec
	[ "$status" -eq 0 ]
	jq -e .ociVersion config.json
	vg_run spec
	[ "$status" -eq 1 ]
	vg_run --version
	[ "$status" -eq 0 ]
	vg_run features
	[ "$status" -eq 0 ]
	jq -e .ociVersionMax <<<"$output"
	vg_run no-such-command
	[ "$status" -ne 0 ]
}

@test "valgrind: state, list, kill, delete, ps of a missing container" {
	vg_run list
	[ "$status" -eq 0 ]
	for c in state kill delete ps pause resume start; do
		vg_run $c "nope-$CID"
		[ "$status" -eq 1 ]
		[[ "$output" == *"does not exist"* ]]
	done
	vg_run delete --force "nope-$CID"
}

@test "valgrind: bad config.json inputs fail cleanly" {
	ro_husk
	local bad
	for bad in '{"ociVersion": ' '[]' '{"ociVersion":"1.0.2","process":{"args":"x"}}' \
		'{"ociVersion":"1.0.2","root":{"path":7}}' '{"ociVersion":"1.0.2","linux":{"namespaces":[{"type":"nope"}]}}'; do
		printf '%s' "$bad" >"$BUNDLE/config.json"
		vg_run create --bundle "$BUNDLE" "$CID"
		[ "$status" -eq 1 ]
		[[ "$output" == *config* ]]
		assert_no_leftovers "$CID"
	done
	rm "$BUNDLE/config.json"
	vg_run create --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 1 ]
	assert_no_leftovers "$CID"
}

@test "valgrind: create and run fail cleanly where valgrind lacks the mount API" {
	# valgrind_has_new_mount_api: a create that gets past the rootfs means a newer
	# valgrind; then the container must run for real.
	vg_run create --bundle "$BUNDLE" "$CID"
	if [ "$status" -eq 0 ]; then
		vg_run delete --force "$CID"
		[ "$status" -eq 0 ]
	else
		[ "$status" -eq 1 ]
		# valgrind's ENOSYS for the mount API, or its ENOENT for the
		# execveat(fd, "", AT_EMPTY_PATH) of the sealed-binary re-exec
		[[ "$output" == *"function not implemented"* ||
			"$output" == *"re-executing the protected husk binary"* ]]
	fi
	assert_no_leftovers "$CID"
	vg_run run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ] || [[ "$output" == *"function not implemented"* ||
		"$output" == *"re-executing the protected husk binary"* ]]
	assert_no_leftovers "$CID"
}

@test "valgrind: state, list, start, ps, update, events, pause, resume, kill --all, delete of a real container" {
	cfg '.process.args = ["sleep", "60"]'
	husk create --bundle "$BUNDLE" "$CID" # natively: see the top of this file
	vg_run state "$CID"
	[ "$status" -eq 0 ]
	[ "$(jq -r .status <<<"$output")" = created ]
	vg_run list
	[[ "$output" == *"$CID"* ]]
	vg_run start "$CID"
	[ "$status" -eq 0 ]
	vg_run ps "$CID"
	[ "$status" -eq 0 ]
	vg_run update --pids-limit 50 "$CID"
	[ "$status" -eq 0 ]
	vg_run events --stats "$CID"
	[ "$status" -eq 0 ]
	[ "$(jq .data.pids.limit <<<"$output")" = 50 ]
	vg_run pause "$CID"
	[ "$status" -eq 0 ]
	wait_status "$CID" paused
	vg_run resume "$CID"
	[ "$status" -eq 0 ]
	wait_status "$CID" running
	vg_run delete "$CID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"not stopped"* ]]
	vg_run kill --all "$CID" KILL
	[ "$status" -eq 0 ]
	wait_status "$CID" stopped
	vg_run delete "$CID"
	[ "$status" -eq 0 ]
	assert_no_leftovers "$CID"
}
