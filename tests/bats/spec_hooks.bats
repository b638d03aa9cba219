#!/usr/bin/env bats
# runtime-spec config.md "POSIX-platform Hooks" and the hook steps of
# runtime.md "Lifecycle".  HUSK=/usr/sbin/runc runs them against runc.
#
# Where the OCI runtime-tools validation suite expects something else:
#  - its prestart test expects the spec 1.0.0 timing (prestart hooks at
#    `start`); the current spec calls them during `create`, before the
#    createRuntime hooks.  These tests follow the current spec.
#  - poststart failure: spec 1.0.2 through 1.2 (and the runtime-tools suite)
#    say a failing poststart hook only logs a warning and the lifecycle goes
#    on; runtime-spec PR #1262 later made it an error that stops the
#    container.  husk's contract is the warning (what the suite checks, and
#    what crun does); see the test below.
#
# runc 1.1.5 fails five of these, each against the spec's text: it runs
# poststart hooks inside `create` (so they see status "created" and run before
# the user program), fails `create` when a poststart hook fails, fails
# `delete` and skips the remaining hooks when a poststop hook fails, and
# returns success from `start` when a startContainer hook fails.

bats_require_minimum_version 1.5.0
load helpers
load ../engines/spec

setup() {
	spec_bundle
	HOOKS=$TEST_TMP/hooks
	LOG=$TEST_TMP/hook.log
	mkdir -p "$HOOKS"
}
teardown() { spec_teardown; }

# hook NAME 'shell code': a host script $HOOKS/NAME (sh; stdin is the state)
hook() {
	printf '#!/bin/sh\n%s\n' "$2" >"$HOOKS/$1"
	chmod +x "$HOOKS/$1"
}

# add_hook KIND NAME [TIMEOUT]: append {path: $HOOKS/NAME} to hooks.KIND
add_hook() {
	if [ -n "${3:-}" ]; then
		cfg --arg k "$1" --arg p "$HOOKS/$2" --argjson t "$3" '.hooks[$k] += [{path: $p, args: [$p], timeout: $t}]'
	else
		cfg --arg k "$1" --arg p "$HOOKS/$2" '.hooks[$k] += [{path: $p, args: [$p]}]'
	fi
}

log_lines() { tr '\n' ' ' <"$LOG" | sed 's/ $//'; }

@test "config.md#posix-platform-hooks: hooks are called in the listed order" {
	local k n
	for k in createRuntime poststart poststop; do
		for n in 1 2 3; do
			hook "$k$n" "echo $k$n >> $LOG"
			add_hook "$k" "$k$n"
		done
	done
	cfg '.process.args = ["sleep", "1000"]'
	create_detached
	husk start "$CID"
	husk kill "$CID" KILL
	wait_status stopped
	husk delete "$CID"
	[ "$(log_lines)" = "createRuntime1 createRuntime2 createRuntime3 poststart1 poststart2 poststart3 poststop1 poststop2 poststop3" ]
}

@test "config.md#posix-platform-hooks: the container state is passed to hooks on stdin" {
	local k
	for k in createRuntime poststart poststop; do
		hook "$k" "cat > $TEST_TMP/state-$k.json"
		add_hook "$k" "$k"
	done
	create_detached
	local pid
	pid=$(state_pid)
	husk start "$CID"
	husk kill "$CID" KILL
	wait_status stopped
	husk delete "$CID"
	for k in createRuntime poststart poststop; do
		echo "$k: $(cat "$TEST_TMP/state-$k.json")"
		jq -e --arg id "$CID" --arg b "$BUNDLE" \
			'.id == $id and .bundle == $b and (.ociVersion | length > 0) and (.status | type == "string")' \
			"$TEST_TMP/state-$k.json"
	done
	# While the container exists the state carries its pid.
	jq -e --argjson pid "$pid" '.pid == $pid' "$TEST_TMP/state-createRuntime.json"
	jq -e --argjson pid "$pid" '.pid == $pid and .status == "running"' "$TEST_TMP/state-poststart.json"
}

@test "config.md#posix-platform-hooks: a hook runs path with exactly its args and env" {
	hook argv 'echo "$0|$1|${FOO-unset}|${HUSK_SPEC_LEAK-unset}" > '"$TEST_TMP/argv"
	cfg --arg p "$HOOKS/argv" '.hooks.createRuntime = [{path: $p, args: ["custom-argv0", "first"], env: ["FOO=bar"]}]'
	HUSK_SPEC_LEAK=1 create_detached
	# $0 of a script is its path; args[1..] follow; env is the hook's own.
	[ "$(cat "$TEST_TMP/argv")" = "$HOOKS/argv|first|bar|unset" ]
}

@test "config.md#posix-platform-hooks: a hook that outlives its timeout fails the operation" {
	hook slow 'exec sleep 30'
	add_hook createRuntime slow 1
	local t0=$SECONDS
	try_create
	echo "$output"
	[ "$status" -ne 0 ]
	[ $((SECONDS - t0)) -lt 15 ]
	run husk state "$CID"
	[ "$status" -ne 0 ]
	assert_no_leftovers "$CID"
}

@test "config.md#posix-platform-hooks: a hook path that is not absolute is an error" {
	cfg '.hooks.createRuntime = [{path: "bin/true"}]'
	create_refused
}

@test "config.md#posix-platform-hooks: a timeout that is not greater than zero is an error" {
	cfg '.hooks.createRuntime = [{path: "/bin/true", timeout: 0}]'
	create_refused
}

@test "config.md#prestart: prestart hooks run during create, in the runtime namespace, before createRuntime" {
	# Current spec timing; the runtime-tools prestart test still expects 1.0.0's
	# "after start is called" and so fails on a runtime that follows the spec.
	hook pre "echo prestart >> $LOG; readlink /proc/self/ns/mnt /proc/self/ns/net > $TEST_TMP/pre-ns"
	hook cr "echo createRuntime >> $LOG"
	add_hook prestart pre
	add_hook createRuntime cr
	cfg '.process.args = ["sh", "-c", "echo user > /user; sleep 1000"]'
	create_detached
	[ "$(log_lines)" = "prestart createRuntime" ]
	[ ! -e "$BUNDLE/rootfs/user" ]
	[ "$(sed -n 1p "$TEST_TMP/pre-ns")" = "$(readlink /proc/self/ns/mnt)" ]
	[ "$(sed -n 2p "$TEST_TMP/pre-ns")" = "$(readlink /proc/self/ns/net)" ]
}

@test "config.md#createruntime-hooks: createRuntime hooks run during create, in the runtime namespace, once the container namespaces exist" {
	hook cr '
pid=$(sed -n "s/.*\"pid\": *\([0-9]*\).*/\1/p")
readlink /proc/self/ns/mnt /proc/$pid/ns/mnt /proc/$pid/ns/net > '"$TEST_TMP/cr-ns"
	add_hook createRuntime cr
	cfg '.process.args = ["sh", "-c", "echo user > /user; sleep 1000"]'
	create_detached
	[ ! -e "$BUNDLE/rootfs/user" ]
	local pid
	pid=$(state_pid)
	cat "$TEST_TMP/cr-ns"
	[ "$(sed -n 1p "$TEST_TMP/cr-ns")" = "$(readlink /proc/self/ns/mnt)" ]
	[ "$(sed -n 2p "$TEST_TMP/cr-ns")" = "$(readlink /proc/"$pid"/ns/mnt)" ]
	[ "$(sed -n 3p "$TEST_TMP/cr-ns")" = "$(readlink /proc/"$pid"/ns/net)" ]
	[ "$(sed -n 2p "$TEST_TMP/cr-ns")" != "$(readlink /proc/self/ns/mnt)" ]
}

@test "config.md#createcontainer-hooks: createContainer hooks run during create, after createRuntime, in the container namespace, before pivot_root" {
	hook cr "echo createRuntime >> $LOG"
	# The path is a host file (it resolves in the runtime namespace); the hook
	# records its namespaces and whether the bundle is still reachable, which
	# it is only before pivot_root.
	hook cc "echo createContainer >> $LOG
readlink /proc/self/ns/mnt /proc/self/ns/net /proc/self/ns/uts > $TEST_TMP/cc-ns
[ -e $BUNDLE/config.json ] && echo before-pivot >> $TEST_TMP/cc-ns"
	add_hook createRuntime cr
	add_hook createContainer cc
	cfg '.process.args = ["sh", "-c", "echo user > /user; sleep 1000"]'
	create_detached
	[ "$(log_lines)" = "createRuntime createContainer" ]
	[ ! -e "$BUNDLE/rootfs/user" ]
	local pid
	pid=$(state_pid)
	cat "$TEST_TMP/cc-ns"
	[ "$(sed -n 1p "$TEST_TMP/cc-ns")" = "$(readlink /proc/"$pid"/ns/mnt)" ]
	[ "$(sed -n 2p "$TEST_TMP/cc-ns")" = "$(readlink /proc/"$pid"/ns/net)" ]
	[ "$(sed -n 3p "$TEST_TMP/cc-ns")" = "$(readlink /proc/"$pid"/ns/uts)" ]
	[ "$(sed -n 4p "$TEST_TMP/cc-ns")" = before-pivot ]
}

@test "config.md#startcontainer-hooks: startContainer hooks run at start, before the user program, in the container namespace" {
	# The hook exists only inside the rootfs: its path resolves in the container.
	printf '#!/bin/sh\necho startContainer >> /log\nreadlink /proc/self/ns/mnt > /sc-ns\n' >"$BUNDLE/rootfs/sc-hook"
	chmod +x "$BUNDLE/rootfs/sc-hook"
	[ ! -e /sc-hook ]
	cfg '.hooks.startContainer = [{path: "/sc-hook", args: ["/sc-hook"]}]'
	cfg '.process.args = ["sh", "-c", "echo user >> /log; sleep 1000"]'
	create_detached
	sleep 0.2
	[ ! -e "$BUNDLE/rootfs/log" ]
	husk start "$CID"
	wait_status running
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(wc -l <"$BUNDLE/rootfs/log" 2>/dev/null)" = 2 ] && break
		sleep 0.05
	done
	[ "$(tr '\n' ' ' <"$BUNDLE/rootfs/log")" = "startContainer user " ]
	[ "$(cat "$BUNDLE/rootfs/sc-ns")" = "$(readlink /proc/"$(state_pid)"/ns/mnt)" ]
}

@test "config.md#poststart: poststart hooks run after the user program started and before start returns" {
	hook ps '
pid=$(sed -n "s/.*\"pid\": *\([0-9]*\).*/\1/p")
tr "\0" " " < /proc/$pid/cmdline > '"$TEST_TMP/ps-cmdline"'
readlink /proc/self/ns/mnt > '"$TEST_TMP/ps-ns"
	add_hook poststart ps
	create_detached
	[ ! -e "$TEST_TMP/ps-cmdline" ]
	husk start "$CID"
	# No waiting: start has returned, so the hook has run.
	[ -e "$TEST_TMP/ps-cmdline" ]
	# The container process had already exec'd the user program.
	[ "$(cat "$TEST_TMP/ps-cmdline")" = "sleep 1000 " ]
	# Executed in the runtime namespace.
	[ "$(cat "$TEST_TMP/ps-ns")" = "$(readlink /proc/self/ns/mnt)" ]
}

@test "runtime.md#lifecycle: a failing poststart hook logs a warning, the remaining hooks run and the container keeps running" {
	# runtime-spec 1.0.2 step 9 (runtime-tools poststart_fail): "MUST log a
	# warning, but the remaining hooks and lifecycle continue as if the hook
	# had succeeded".  (A later spec revision turned this into an error.)
	hook fail 'exit 3'
	hook ok "echo poststart-ok >> $LOG"
	add_hook poststart fail
	add_hook poststart ok
	create_detached
	run husk start "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(log_lines)" = poststart-ok ]
	[ "$(state_status)" = running ]
}

@test "config.md#poststop: poststop hooks run after the container is deleted and before delete returns" {
	hook pst '
pid=$(sed -n "s/.*\"pid\": *\([0-9]*\).*/\1/p")
st=$(awk "/^State:/ {print \$2}" /proc/$pid/status 2>/dev/null)
if [ -n "$st" ] && [ "$st" != Z ]; then echo "process alive" >> '"$LOG"'; fi
[ -d '"$(cgroup_dir memory)"' ] && echo "cgroup left" >> '"$LOG"'
echo poststop >> '"$LOG"'
readlink /proc/self/ns/mnt > '"$TEST_TMP/pst-ns"
	add_hook poststop pst
	create_detached
	husk start "$CID"
	husk kill "$CID" KILL
	wait_status stopped
	[ ! -e "$LOG" ]
	husk delete "$CID"
	[ "$(log_lines)" = poststop ]
	[ "$(cat "$TEST_TMP/pst-ns")" = "$(readlink /proc/self/ns/mnt)" ]
}

@test "runtime.md#lifecycle: a failing poststop hook logs a warning, the remaining hooks run and delete succeeds" {
	hook fail 'exit 3'
	hook ok "echo poststop-ok >> $LOG"
	add_hook poststop fail
	add_hook poststop ok
	cfg '.process.args = ["true"]'
	create_detached
	husk start "$CID"
	wait_status stopped
	run husk delete "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(log_lines)" = poststop-ok ]
	run husk state "$CID"
	[ "$status" -ne 0 ]
	assert_no_leftovers "$CID"
}

create_hook_failure() { # KIND
	hook fail 'exit 3'
	hook after "echo ran-after >> $LOG"
	add_hook "$1" fail
	add_hook "$1" after
	cfg '.process.args = ["sh", "-c", "echo user > /user; sleep 1000"]'
	try_create
	echo "$output"
	[ "$status" -ne 0 ]
	# The container is stopped and destroyed: no state, process, cgroup or mount.
	run husk state "$CID"
	[ "$status" -ne 0 ]
	assert_no_leftovers "$CID"
	[ ! -d "$(cgroup_dir memory)" ]
	[ -z "$(pgrep -f "$BUNDLE")" ]
	[ ! -e "$BUNDLE/rootfs/user" ]
	# Hooks after the failing one do not run.
	[ ! -e "$LOG" ]
}

@test "runtime.md#lifecycle: a failing prestart hook fails create and the container is destroyed" {
	create_hook_failure prestart
}

@test "runtime.md#lifecycle: a failing createRuntime hook fails create and the container is destroyed" {
	create_hook_failure createRuntime
}

@test "runtime.md#lifecycle: a failing createContainer hook fails create and the container is destroyed" {
	create_hook_failure createContainer
}

@test "runtime.md#lifecycle: a failing startContainer hook fails start, the user program never runs and the container stops" {
	printf '#!/bin/sh\nexit 3\n' >"$BUNDLE/rootfs/fail-hook"
	chmod +x "$BUNDLE/rootfs/fail-hook"
	cfg '.hooks.startContainer = [{path: "/fail-hook"}]'
	cfg '.process.args = ["sh", "-c", "echo user > /user; sleep 1000"]'
	create_detached
	run husk start "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	sleep 0.2
	[ ! -e "$BUNDLE/rootfs/user" ]
	# Stopped (or already destroyed): either way no container process is left.
	local st
	st=$(state_status)
	[ -z "$st" ] || [ "$st" = stopped ]
	[ -z "$st" ] || husk delete "$CID"
	assert_no_leftovers "$CID"
}

@test "runtime.md#state: prestart hooks (lifecycle step 3, after the environment exists) see status created, with the pid and annotations" {
	hook prestart "cat > $TEST_TMP/state-prestart.json"
	add_hook prestart prestart
	cfg '.annotations = {"org.example.husk": "validation"}'
	create_detached
	local pid
	pid=$(state_pid)
	cat "$TEST_TMP/state-prestart.json"
	jq -e --argjson pid "$pid" --arg id "$CID" --arg b "$BUNDLE" \
		'.status == "created" and .pid == $pid and .id == $id and .bundle == $b and .annotations["org.example.husk"] == "validation"' \
		"$TEST_TMP/state-prestart.json"
}

@test "config.md#poststart: poststart hooks find the user program under way, not racing its first steps" {
	# The runtime-tools poststart check: the program and the hook append to one
	# file; the program's line must come first.  Racy without the wait for the
	# program's first block (it lost about 4 runs in 10 here), so repeat.
	local i
	cfg '.root.readonly = false | .process.args = ["sh", "-c", "echo program >> /order"]'
	hook order "echo hook >> $BUNDLE/rootfs/order"
	add_hook poststart order
	for i in 1 2 3 4 5 6 7 8; do
		rm -f "$BUNDLE/rootfs/order"
		create_detached "$CID-$i"
		husk start "$CID-$i"
		wait_status stopped "$CID-$i" 2>/dev/null || true
		local n
		for n in $(seq 100); do [ "$(wc -l < "$BUNDLE/rootfs/order")" -ge 2 ] && break; sleep 0.02; done
		echo "run $i: $(tr '\n' ' ' < "$BUNDLE/rootfs/order")"
		[ "$(tr '\n' ' ' < "$BUNDLE/rootfs/order")" = "program hook " ]
		husk delete --force "$CID-$i"
	done
}
