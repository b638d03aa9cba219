#!/usr/bin/env bats
# config.json as husk's users meet it: `husk spec` writes what runc writes, bad
# configs are refused with the field path before anything is created, unknown
# keys are ignored.

load helpers

setup() {
	setup_bundle echo config-ok
}

teardown() {
	teardown_bundle
}

# husk run must fail, print MESSAGE, and leave nothing behind.
refused_with() { # MESSAGE
	run husk run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"$1"* ]]
	assert_no_leftovers "$CID"
}

@test "oci: husk spec writes runc's template with hostname husk" {
	command -v runc >/dev/null || skip "runc is not installed"
	mkdir "$TEST_TMP/h" "$TEST_TMP/r"
	(cd "$TEST_TMP/h" && "$HUSK" spec)
	(cd "$TEST_TMP/r" && runc spec)
	jq -S 'del(.ociVersion)' "$TEST_TMP/h/config.json" >"$TEST_TMP/h.json"
	jq -S 'del(.ociVersion) | .hostname = "husk"' "$TEST_TMP/r/config.json" >"$TEST_TMP/r.json"
	diff -u "$TEST_TMP/r.json" "$TEST_TMP/h.json"
	[ "$(jq -r .ociVersion "$TEST_TMP/h/config.json")" = "1.2.0" ]
}

@test "oci: husk spec --rootless writes runc's rootless template" {
	command -v runc >/dev/null || skip "runc is not installed"
	mkdir "$TEST_TMP/h" "$TEST_TMP/r"
	(cd "$TEST_TMP/h" && "$HUSK" spec --rootless)
	(cd "$TEST_TMP/r" && runc spec --rootless)
	jq -S 'del(.ociVersion)' "$TEST_TMP/h/config.json" >"$TEST_TMP/h.json"
	jq -S 'del(.ociVersion) | .hostname = "husk"' "$TEST_TMP/r/config.json" >"$TEST_TMP/r.json"
	diff -u "$TEST_TMP/r.json" "$TEST_TMP/h.json"
}

@test "oci: unknown keys anywhere are ignored" {
	cfg '. + {"x-vendor": {"a": [1, {"b": null}]}}
		| .process += {"futureField": true}
		| .process.user += {"sid": "S-1"}
		| .root += {"extra": 1}
		| .linux += {"futureLinux": {}}
		| .linux.namespaces[0] += {"flavour": "x"}
		| .mounts[0] += {"newOption": "y"}'
	run husk run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *config-ok* ]]
}

@test "oci: a relative mount destination is refused with its index" {
	cfg '.mounts[2].destination = "dev/pts"'
	refused_with 'config.json: mounts[2].destination: must be an absolute path, got "dev/pts"'
}

@test "oci: a non-numeric uid is refused" {
	cfg '.process.user.uid = "root"'
	refused_with 'config.json: process.user.uid: expected a non-negative integer, got "root"'
}

@test "oci: an out-of-range gid is refused" {
	cfg '.process.user.gid = 4294967296'
	refused_with 'config.json: process.user.gid: 4294967296 is out of range (maximum 4294967295)'
}

@test "oci: an unknown namespace type is refused" {
	cfg '.linux.namespaces[1].type = "foo"'
	refused_with 'config.json: linux.namespaces[1].type: unknown namespace type "foo"'
}

@test "oci: a duplicate namespace is refused" {
	cfg '.linux.namespaces += [{"type": "pid"}]'
	refused_with 'duplicate namespace type "pid"'
}

@test "oci: duplicate and unknown rlimits are refused" {
	cfg '.process.rlimits += [{"type": "RLIMIT_NOFILE", "soft": 1, "hard": 1}]'
	refused_with 'config.json: process.rlimits[1].type: duplicate rlimit type "RLIMIT_NOFILE"'
	cfg '.process.rlimits = [{"type": "RLIMIT_BOGUS", "soft": 1, "hard": 1}]'
	refused_with 'config.json: process.rlimits[0].type: unknown rlimit type "RLIMIT_BOGUS"'
}

@test "oci: a hook with a zero timeout is refused" {
	cfg '.hooks.poststop = [{"path": "/bin/true", "timeout": 0}]'
	refused_with 'config.json: hooks.poststop[0].timeout: must be greater than zero, got 0'
}

@test "oci: a truncated config.json is refused as invalid JSON" {
	head -c 200 "$BUNDLE/config.json" >"$BUNDLE/c" && mv "$BUNDLE/c" "$BUNDLE/config.json"
	refused_with 'config.json: invalid JSON: premature EOF'
}

@test "oci: a config without ociVersion is refused" {
	cfg 'del(.ociVersion)'
	refused_with 'config.json: ociVersion: required field is missing'
}
