#!/usr/bin/env bats
# Bad input: a clear error, exit 1, and nothing left behind.
load helpers

setup() {
	setup_runtime_bundle
}

teardown() {
	teardown_bundle
}

expect_failure() { # MESSAGE-SUBSTRING, runs `husk create $CID` in $BUNDLE
	run husk create --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$1"* ]]
	assert_no_leftovers "$CID"
	[ -z "$(pgrep -f "husk-no-such-binary|sleep 4242")" ]
}

@test "missing config.json" {
	rm "$BUNDLE/config.json"
	expect_failure "config.json"
}

@test "config.json that is not JSON" {
	echo '{"ociVersion": ' > "$BUNDLE/config.json"
	expect_failure "config.json"
}

@test "missing rootfs" {
	cfg '.root.path = "nope"'
	expect_failure "nope"
}

@test "executable not found" {
	cfg '.process.args = ["husk-no-such-binary"]'
	expect_failure 'exec: "husk-no-such-binary": executable file not found in $PATH'
}

@test "executable path not found: runc's words, which Docker maps to exit 127" {
	cfg '.process.args = ["/husk-no-such-binary"]'
	expect_failure 'exec: "/husk-no-such-binary": stat /husk-no-such-binary: no such file or directory'
}

@test "empty process.args" {
	cfg '.process.args = []'
	expect_failure "args"
}

@test "invalid container id" {
	run husk create --bundle "$BUNDLE" "../evil"
	[ "$status" -eq 1 ]
	[[ "$output" == *"invalid container id"* ]]
	[ ! -e "$HUSK_ROOT/../evil" ]
}

@test "namespace path of the wrong type" {
	cfg '.linux.namespaces |= map(if .type == "network" then .path = "/proc/self/ns/uts" else . end)'
	expect_failure "is not a network namespace"
}

@test "namespace path that does not exist" {
	cfg '.linux.namespaces |= map(if .type == "ipc" then .path = "/nonexistent/ns" else . end)'
	expect_failure "/nonexistent/ns"
}

@test "terminal without --console-socket in create" {
	cfg '.process.terminal = true'
	expect_failure "console-socket"
}

@test "failing createRuntime hook: create fails and the init is gone" {
	cfg '.process.args = ["sleep", "4242"] | .hooks.createRuntime = [{"path": "/bin/sh", "args": ["sh", "-c", "echo hook-said-no >&2; exit 3"]}]'
	expect_failure "hook-said-no"
}

@test "--systemd-cgroup is refused clearly" {
	run "$HUSK" --root "$HUSK_ROOT" --systemd-cgroup create --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"systemd"* ]]
	assert_no_leftovers "$CID"
}
