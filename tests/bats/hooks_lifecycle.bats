#!/usr/bin/env bats
# OCI hooks: when each kind runs, in which namespace, what it gets on stdin,
# and what a failure or a timeout does.
bats_require_minimum_version 1.5.0
load helpers

setup() {
	setup_runtime_bundle
	LOG=$TEST_TMP/hooks.log
	touch "$LOG"
	# A host-side hook that records its kind, the state it got and its mount ns.
	cat > "$TEST_TMP/hook.sh" <<HOOK
#!/bin/sh
state=\$(cat)
echo "\$1 \$(echo "\$state" | jq -c '[.id, .status, .pid > 0, .bundle]') \$(readlink /proc/self/ns/mnt) env=\$HOOK_ENV" >> $LOG
HOOK
	chmod +x "$TEST_TMP/hook.sh"
	chmod 755 "$TEST_TMP"
}

teardown() {
	teardown_bundle
}

hook() { # KIND -> one hook object that runs hook.sh KIND
	printf '{"path": "%s", "args": ["hook.sh", "%s"], "env": ["HOOK_ENV=%s", "PATH=/usr/bin:/bin"]}' "$TEST_TMP/hook.sh" "$1" "$1"
}

kinds() { awk '{print $1}' "$LOG" | tr '\n' ' '; }

@test "all six kinds run in order, with the state on stdin and their own env" {
	# startContainer runs inside the container (after pivot_root): a path of the rootfs.
	cfg --argjson pre "$(hook prestart)" --argjson cr "$(hook createRuntime)" \
		--argjson cc "$(hook createContainer)" --argjson ps "$(hook poststart)" \
		--argjson pst "$(hook poststop)" '
		.process.args = ["sleep", "100"]
		| .hooks = {prestart: [$pre], createRuntime: [$cr], createContainer: [$cc],
			startContainer: [{"path": "/bin/sh", "args": ["sh", "-c", "echo startContainer > /tmp/sc"]}],
			poststart: [$ps], poststop: [$pst]}'
	husk create "$CID"
	[ "$(kinds)" = "prestart createRuntime createContainer " ]
	[ ! -e "$BUNDLE/rootfs/tmp/sc" ]
	husk start "$CID"
	[ "$(kinds)" = "prestart createRuntime createContainer poststart " ]
	for _ in $(seq 100); do [ -s "$BUNDLE/rootfs/tmp/sc" ] && break; sleep 0.02; done
	grep -q '^startContainer' "$BUNDLE/rootfs/tmp/sc"
	husk delete -f "$CID"
	[ "$(kinds)" = "prestart createRuntime createContainer poststart poststop " ]
	# State on stdin: id, status, pid, bundle.
	grep -q "^createRuntime \[\"$CID\",\"creating\",true,\"$BUNDLE\"\]" "$LOG"
	grep -q "^poststart \[\"$CID\",\"running\",true,\"$BUNDLE\"\]" "$LOG"
	grep -q "^poststop \[\"$CID\",\"stopped\",false,\"$BUNDLE\"\]" "$LOG"
	# Their own env, not husk's.
	grep -q "^prestart .* env=prestart$" "$LOG"
	# Runtime-namespace hooks see the host's mount namespace, createContainer the container's.
	local host
	host=$(readlink /proc/self/ns/mnt)
	[ "$(grep '^createRuntime' "$LOG" | awk '{print $3}')" = "$host" ]
	[ "$(grep '^poststart' "$LOG" | awk '{print $3}')" = "$host" ]
	[ "$(grep '^createContainer' "$LOG" | awk '{print $3}')" != "$host" ]
	assert_no_leftovers "$CID"
}

@test "run: hooks run around a foreground container" {
	cfg --argjson pre "$(hook prestart)" --argjson ps "$(hook poststart)" --argjson pst "$(hook poststop)" '
		.process.args = ["/bin/true"] | .hooks = {prestart: [$pre], poststart: [$ps], poststop: [$pst]}'
	husk run "$CID"
	[ "$(kinds)" = "prestart poststart poststop " ]
	assert_no_leftovers "$CID"
}

@test "failing prestart, createRuntime, createContainer: create fails, nothing left" {
	for kind in prestart createRuntime createContainer; do
		cfg --arg k "$kind" '.process.args = ["sleep", "4343"]
			| .hooks = {($k): [{"path": "/bin/sh", "args": ["sh", "-c", "echo nope-\($k) >&2; exit 1"]}]}'
		run husk create "$CID"
		echo "$output"
		[ "$status" -eq 1 ]
		[[ "$output" == *"$kind"* ]]
		[[ "$output" == *"nope-$kind"* ]]
		assert_no_leftovers "$CID"
	done
	run ! pgrep -f "sleep 4343"
}

@test "failing startContainer: the process never runs" {
	cfg '.process.args = ["sh", "-c", "echo ran > /tmp/ran"]
		| .hooks.startContainer = [{"path": "/bin/false"}]'
	run husk run "$CID"
	[ "$status" -ne 0 ]
	[ ! -e "$BUNDLE/rootfs/tmp/ran" ]
	assert_no_leftovers "$CID"
}

@test "failing poststart and poststop only warn" {
	cfg '.process.args = ["sh", "-c", "echo ran > /tmp/ran"]
		| .hooks.poststart = [{"path": "/bin/false"}] | .hooks.poststop = [{"path": "/bin/false"}]'
	run husk run "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"warning"*"poststart"* ]]
	[[ "$output" == *"warning"*"poststop"* ]]
	[ -e "$BUNDLE/rootfs/tmp/ran" ]
	assert_no_leftovers "$CID"
}

@test "a hook that outlives its timeout is killed and fails the container" {
	cfg '.process.args = ["sleep", "4444"]
		| .hooks.createRuntime = [{"path": "/bin/sleep", "args": ["sleep", "30"], "timeout": 1}]'
	local t0=$SECONDS
	run husk create "$CID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"timed out"* ]]
	[ $((SECONDS - t0)) -lt 10 ]
	run ! pgrep -f "sleep 30$"
	assert_no_leftovers "$CID"
}

@test "a hook may ask husk for the container's state" {
	cfg --arg husk "$HUSK" --arg root "$HUSK_ROOT" --arg log "$LOG" '.process.args = ["sleep", "100"]
		| .hooks.poststart = [{"path": "/bin/sh", "args": ["sh", "-c", "id=$(jq -r .id); \($husk) --root \($root) state $id | jq -r .status > \($log)"]}]'
	husk run -d "$CID"
	[ "$(cat "$LOG")" = running ]
	husk delete -f "$CID"
}

@test "poststart runs after the user process started; a failing startContainer fails start" {
	cfg --arg log "$LOG" '.process.args = ["sleep", "100"]
		| .hooks.poststart = [{"path": "/bin/sh", "args": ["sh", "-c", "pid=$(jq -r .pid); tr \"\\\\0\" \" \" < /proc/$pid/cmdline > \($log)"]}]'
	husk create "$CID"
	husk start "$CID"
	# By the time poststart ran, the init had exec'd the user's program.
	[ "$(cat "$LOG")" = "sleep 100 " ]
	husk delete -f "$CID"

	cfg '.hooks = {"startContainer": [{"path": "/bin/sh", "args": ["sh", "-c", "echo start-hook-failed >&2; exit 4"]}]}'
	husk create "$CID"
	run husk start "$CID"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"startContainer"*"start-hook-failed"* ]]
	wait_status "$CID" stopped
	husk delete "$CID"
	assert_no_leftovers "$CID"
}
