#!/usr/bin/env bats
# husk exec with a terminal: --tty with a console socket (containerd, conmon),
# --tty in the foreground without one (husk makes and proxies the pty itself,
# as CRI-O's streaming exec needs), and non-tty stdio.
# HUSK=/usr/sbin/runc runs them against runc.

bats_require_minimum_version 1.5.0
load exec_helpers

setup() { spec_bundle; }
teardown() { spec_teardown; }

# Run a command line under a pty of our own (script), output in $output.
under_pty() { # COMMAND-STRING [STDIN-TEXT]
	status=0
	printf '%s' "${2:-}" | SHELL=/bin/bash timeout -k 5 30 script -qec "exec $1" /dev/null >"$TEST_TMP/pty.out" 2>&1 || status=$?
	output=$(tr -d '\r' <"$TEST_TMP/pty.out")
	echo "status $status"
	echo "$output"
}

@test "exec --tty in the foreground: husk creates the pty and proxies it" {
	start_container
	under_pty "$HUSK --root $HUSK_ROOT exec --tty $CID sh -c 'tty; test -t 0 && test -t 1 && echo both-tty; exit 4'"
	[ "$status" -eq 4 ]
	[[ "$output" == *"/dev/pts/"* ]]
	[[ "$output" == *both-tty* ]]
}

@test "exec --tty in the foreground: the pty is the container's own devpts" {
	start_container
	under_pty "$HUSK --root $HUSK_ROOT exec -t $CID sh -c 'stat -c %d \$(tty); stat -c %d /dev/pts/ptmx'"
	[ "$status" -eq 0 ]
	local a b
	# (the terminal may echo a NUL typed by script as "^@" before the first line)
	a=$(grep -oE '[0-9]+$' <<<"$output" | sed -n 1p)
	b=$(grep -oE '[0-9]+$' <<<"$output" | sed -n 2p)
	[ -n "$a" ]
	[ "$a" = "$b" ]
}

@test "exec --tty in the foreground: input typed on husk's terminal reaches the process" {
	start_container
	under_pty "$HUSK --root $HUSK_ROOT exec -t $CID sh -c 'read line; echo \"got:\$line\"'" $'hello husk\n'
	[ "$status" -eq 0 ]
	[[ "$output" == *"got:hello husk"* ]]
}

@test "exec --tty: consoleSize from --process sets the window size" {
	start_container
	jq -n '{terminal: true, consoleSize: {height: 33, width: 111}, args: ["stty", "size"], env: ["PATH=/bin"], cwd: "/", user: {uid: 0, gid: 0}}' >"$TEST_TMP/p.json"
	python3 "$REPO_ROOT/tests/engines/recv-fd.py" "$TEST_TMP/cs" "$TEST_TMP/cs.out" --pty-input '' --timeout 10 &
	wait_file "$TEST_TMP/cs.out.ready"
	run timeout 30 "$HUSK" --root "$HUSK_ROOT" exec -d --console-socket "$TEST_TMP/cs" --process "$TEST_TMP/p.json" "$CID"
	[ "$status" -eq 0 ]
	wait_file "$TEST_TMP/cs.out" 15
	cat "$TEST_TMP/cs.out"
	grep -q '^output=33 111' "$TEST_TMP/cs.out"
}

@test "exec --tty --console-socket: the pty master goes to the socket, the process talks through it" {
	start_container
	python3 "$REPO_ROOT/tests/engines/recv-fd.py" "$TEST_TMP/cs" "$TEST_TMP/cs.out" --pty-input $'echo via-pty; exit 0\n' --timeout 10 &
	wait_file "$TEST_TMP/cs.out.ready"
	run timeout 30 "$HUSK" --root "$HUSK_ROOT" exec -d -t --console-socket "$TEST_TMP/cs" --pid-file "$TEST_TMP/p" "$CID" sh
	echo "$output"
	[ "$status" -eq 0 ]
	wait_file "$TEST_TMP/cs.out" 15
	cat "$TEST_TMP/cs.out"
	# The payload names the pty (runc says /dev/ptmx, husk the slave's name).
	grep -q '^payload=/dev/' "$TEST_TMP/cs.out"
	grep -q '^fd=/dev/pts/ptmx' "$TEST_TMP/cs.out"
	grep -q 'via-pty' "$TEST_TMP/cs.out"
}

@test "exec --tty --detach without a console socket is refused" {
	start_container
	run timeout 30 "$HUSK" --root "$HUSK_ROOT" exec -d -t "$CID" true </dev/null
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *console* ]]
}

@test "exec without --tty: stdin, stdout and stderr are husk's own" {
	start_container
	run bash -c 'echo from-stdin | timeout 30 "$0" --root "$1" exec "$2" sh -c "cat; echo to-stderr >&2; test -t 0 || echo no-tty"' "$HUSK" "$HUSK_ROOT" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *from-stdin* ]]
	[[ "$output" == *to-stderr* ]]
	[[ "$output" == *no-tty* ]]
}
