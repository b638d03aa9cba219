#!/usr/bin/env bats
# The command line the way runc's callers use it: global flags in every
# spelling, version/help, errors in the log (JSON for containerd's shim),
# preserve-fds and socket activation.
bats_require_minimum_version 1.5.0
load helpers

setup() {
	setup_runtime_bundle
}

teardown() {
	teardown_bundle
}

@test "--version and -v: runc's shape" {
	for flag in --version -v -version; do
		run "$HUSK" $flag
		[ "$status" -eq 0 ]
		[[ "${lines[0]}" =~ ^husk\ version\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
		[[ "${lines[1]}" == "commit: "* ]]
		[ "${lines[2]}" = "spec: 1.2.0" ]
	done
}

@test "--help lists the commands; a command's --help its flags" {
	run "$HUSK" --help
	[ "$status" -eq 0 ]
	for c in create start run state kill delete list spec; do
		[[ "$output" == *"   $c "* ]] || { echo "missing $c"; false; }
	done
	run "$HUSK" create --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"--bundle"*"--console-socket"*"--pid-file"*"--preserve-fds"* ]]
}

@test "unknown command and unknown flag: exit 1 with a clear message" {
	run "$HUSK" frobnicate
	[ "$status" -eq 1 ]
	[[ "$output" == *'unknown command "frobnicate"'* ]]
	run "$HUSK" --root "$HUSK_ROOT" state --frob x
	[ "$status" -eq 1 ]
	[[ "$output" == *"flag provided but not defined: -frob"* ]]
	run "$HUSK" --root "$HUSK_ROOT" state
	[ "$status" -eq 1 ]
	[[ "$output" == *"requires exactly 1 argument"* ]]
}

@test "global flags: --root X, --root=X, -root X, -root=X" {
	cfg '.process.args = ["sleep", "100"]'
	"$HUSK" --root "$HUSK_ROOT" create "$CID"
	for spelling in "--root=$HUSK_ROOT" "-root=$HUSK_ROOT"; do
		run "$HUSK" "$spelling" state "$CID"
		[ "$status" -eq 0 ]
	done
	run "$HUSK" -root "$HUSK_ROOT" --debug list -q
	[ "$output" = "$CID" ]
	[ -d "$HUSK_ROOT/$CID" ]
	"$HUSK" --root "$HUSK_ROOT" delete "$CID"
}

@test "command flags: -b DIR, --bundle=DIR, flags after the id" {
	cfg '.process.args = ["/bin/true"]'
	cd /
	"$HUSK" --root "$HUSK_ROOT" run -b "$BUNDLE" "$CID"
	"$HUSK" --root "$HUSK_ROOT" run --bundle="$BUNDLE" "$CID"
	"$HUSK" --root "$HUSK_ROOT" run "$CID" --bundle "$BUNDLE"
	assert_no_leftovers "$CID"
}

@test "--log-format json: errors are JSON lines in the log, and on stderr" {
	run "$HUSK" --root "$HUSK_ROOT" --log "$TEST_TMP/log.json" --log-format json state nosuch
	[ "$status" -eq 1 ]
	[ "$output" = "container nosuch does not exist" ]
	jq -e '.level == "error" and .msg == "container nosuch does not exist" and (.time | test("^[0-9-]+T[0-9:.]+Z$"))' "$TEST_TMP/log.json"
}

@test "--log-format text to stderr" {
	run "$HUSK" --root "$HUSK_ROOT" state nosuch
	[ "$status" -eq 1 ]
	[ "$output" = "husk: container nosuch does not exist" ]
	run "$HUSK" --log-format yaml list
	[ "$status" -eq 1 ]
	[[ "$output" == *"log-format"* ]]
}

@test "spec: writes config.json, refuses to overwrite; --rootless maps the caller" {
	mkdir "$TEST_TMP/s"
	"$HUSK" spec --bundle "$TEST_TMP/s"
	jq -e '.ociVersion and .process.args and .root.path == "rootfs"' "$TEST_TMP/s/config.json"
	run "$HUSK" spec --bundle "$TEST_TMP/s"
	[ "$status" -eq 1 ]
	[[ "$output" == *"exists"* ]]
	mkdir "$TEST_TMP/r"
	(cd "$TEST_TMP/r" && "$HUSK" spec --rootless)
	jq -e '.linux.uidMappings[0].hostID == 0 and any(.linux.namespaces[]; .type == "user")' "$TEST_TMP/r/config.json"
}

# The fds the container's process holds, as the kernel lists them: husk run
# in the background, its process a shell that ends in `exec sleep` (a listing
# from inside would show the lister's own fds, and busybox ash runs ls
# in-process with its redirections saved on fd 10).
init_fds() {
	wait_status "$CID" running
	local pid
	pid=$(husk state "$CID" | jq .pid)
	for i in $(seq 100); do
		[ "$(cat /proc/"$pid"/comm)" = sleep ] && break
		sleep 0.05
	done
	ls /proc/"$pid"/fd | sort -n | tr '\n' ' '
}

end_run() {
	husk kill "$CID" KILL
	wait
	husk delete --force "$CID" 2>/dev/null || true
	assert_no_leftovers "$CID"
}

@test "--preserve-fds N: fds 3..3+N-1 reach the process, others do not" {
	echo first > "$TEST_TMP/f3"
	echo second > "$TEST_TMP/f4"
	cfg '.process.args = ["sh", "-c", "cat <&3 > /tmp/fds; cat <&4 >> /tmp/fds; exec sleep 1000"]'
	"$HUSK" --root "$HUSK_ROOT" run --preserve-fds 2 "$CID" 3<"$TEST_TMP/f3" 4<"$TEST_TMP/f4" 5<"$TEST_TMP/f4" >/dev/null 2>&1 &
	run init_fds
	echo "$output"
	[ "$output" = "0 1 2 3 4 " ]
	[ "$(head -1 "$BUNDLE/rootfs/tmp/fds")" = first ]
	[ "$(tail -1 "$BUNDLE/rootfs/tmp/fds")" = second ]
	end_run
}

@test "without --preserve-fds nothing beyond stdio is inherited" {
	cfg '.process.args = ["sh", "-c", "exec sleep 1000"]'
	# bats' own fd 3 is open here too: it must not reach the container either
	"$HUSK" --root "$HUSK_ROOT" run "$CID" 5<"$BUNDLE/config.json" 7<"$BUNDLE/config.json" >/dev/null 2>&1 &
	run init_fds
	echo "$output"
	[ "$output" = "0 1 2 " ]
	end_run
}

@test "socket activation: LISTEN_FDS for husk become LISTEN_FDS=N LISTEN_PID=1 inside" {
	echo activated > "$TEST_TMP/sock"
	cfg '.process.args = ["sh", "-c", "echo $LISTEN_FDS $LISTEN_PID > /tmp/listen; cat <&3 >> /tmp/listen"]'
	bash -c 'export LISTEN_FDS=1 LISTEN_PID=$$; exec "$0" --root "$1" run "$2" 3<"$3"' \
		"$HUSK" "$HUSK_ROOT" "$CID" "$TEST_TMP/sock"
	[ "$(head -1 "$BUNDLE/rootfs/tmp/listen")" = "1 1" ]
	[ "$(tail -1 "$BUNDLE/rootfs/tmp/listen")" = activated ]
}
