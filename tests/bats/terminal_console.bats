#!/usr/bin/env bats
# process.terminal: the pty over --console-socket, consoleSize, the foreground
# proxy of `run`, and the flags that go with it.
bats_require_minimum_version 1.5.0
load helpers

RECEIVER=$BATS_TEST_DIRNAME/../helpers/console_receiver.py

setup() {
	setup_runtime_bundle
	cfg '.process.terminal = true'
	SOCK=$TEST_TMP/console.sock
}

teardown() {
	[ -n "${RECV_PID:-}" ] && kill "$RECV_PID" 2>/dev/null
	teardown_bundle
}

start_receiver() { # [INPUT]
	python3 "$RECEIVER" "$SOCK" "$TEST_TMP/console.out" "$@" &
	RECV_PID=$!
	for _ in $(seq 200); do [ -e "$SOCK.ready" ] && return 0; sleep 0.02; done
	return 1
}

# husk run -d with the console socket; the receiver's copy of what the
# container wrote on its terminal is in $TEST_TMP/console.out (and printed).
run_on_console() {
	start_receiver
	husk run -d --console-socket "$SOCK" "$CID"
	wait "$RECV_PID"
	RECV_PID=
	cat "$TEST_TMP/console.out"
}

# create with --console-socket SOCKET fails (exit 1) saying MESSAGE, and
# leaves nothing behind.
create_refused_with_socket() { # SOCKET MESSAGE
	run husk create --console-socket "$1" "$CID"
	[ "$status" -eq 1 ] || return 1
	[[ "$output" == *"$2"* ]] || return 1
	assert_no_leftovers "$CID"
}

@test "console socket: the process's stdio is the pty the socket received" {
	cfg '.process.args = ["sh", "-c", "[ -t 0 ] && [ -t 1 ] && echo stdio-is-a-tty; tty"]'
	run_on_console
	grep -q "stdio-is-a-tty" "$TEST_TMP/console.out"
	# The pty comes from the container's own devpts: its name inside is /dev/pts/N.
	grep -q "^/dev/pts/[0-9]" "$TEST_TMP/console.out"
	# The payload is the pty's name, as runc sends it.
	grep -q "^/dev/pts/" "$TEST_TMP/console.out.name"
	wait_status "$CID" stopped
	husk delete "$CID"
	assert_no_leftovers "$CID"
}

@test "console socket: create + start, input reaches the process" {
	cfg '.process.args = ["sh", "-c", "read line; echo got:$line"]'
	start_receiver $'hello-tty\n'
	husk create --console-socket "$SOCK" "$CID"
	husk start "$CID"
	wait "$RECV_PID"
	RECV_PID=
	grep -q "got:hello-tty" "$TEST_TMP/console.out"
	husk delete -f "$CID"
	assert_no_leftovers "$CID"
}

@test "consoleSize is the terminal's size" {
	cfg '.process.consoleSize = {"height": 33, "width": 111} | .process.args = ["stty", "size"]'
	run_on_console
	grep -q "^33 111" "$TEST_TMP/console.out"
	husk delete -f "$CID"
}

@test "/dev/console is the container's terminal" {
	cfg '.process.args = ["sh", "-c", "echo via-console > /dev/console"]'
	run_on_console
	grep -q "via-console" "$TEST_TMP/console.out"
	husk delete -f "$CID"
}

@test "foreground run without a socket: husk proxies its stdio to the pty" {
	cfg '.process.args = ["sh", "-c", "[ -t 1 ] && echo tty-yes; read x; echo read:$x; exit 5"]'
	run bash -c "echo from-stdin | '$HUSK' --root '$HUSK_ROOT' run '$CID'"
	echo "$output"
	[ "$status" -eq 5 ]
	[[ "$output" == *"tty-yes"* ]]
	[[ "$output" == *"read:from-stdin"* ]]
	assert_no_leftovers "$CID"
}

@test "terminal false with --console-socket is refused" {
	cfg '.process.terminal = false'
	create_refused_with_socket "$SOCK" "terminal is false"
}

@test "console socket nobody listens on: create fails cleanly" {
	cfg '.process.args = ["sleep", "4545"]'
	create_refused_with_socket "$TEST_TMP/nobody.sock" "console socket"
	run ! pgrep -f "sleep 4545"
}

@test "terminal owner: process.user.uid 1000 owns its pty, the group stays tty (5), as runc" {
	cfg '.process.user = {"uid": 1000, "gid": 1000} |
	     .process.args = ["sh", "-c", "stat -c owner=%u:%g $(tty); ls -ln /proc/self/fd/0 >/dev/null && echo done"]'
	run_on_console
	grep -q "owner=1000:5" "$TEST_TMP/console.out"
	wait_status "$CID" stopped
	husk delete "$CID"
	# exec -t -u gets the same.
	cfg '.process.user = {"uid": 0, "gid": 0} | .process.args = ["sleep", "100"] | .process.terminal = false'
	husk run -d "$CID"
	rm -f "$SOCK" "$SOCK.ready" "$TEST_TMP/console.out"
	start_receiver
	husk exec -d -t -u 1000:1000 --console-socket "$SOCK" "$CID" sh -c 'stat -c owner=%u:%g $(tty)'
	wait "$RECV_PID"
	RECV_PID=
	cat "$TEST_TMP/console.out"
	grep -q "owner=1000:5" "$TEST_TMP/console.out"
}
