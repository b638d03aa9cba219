#!/usr/bin/env bats
# Capabilities, user and NNP of a real container, read from the container's own
# /proc/self/status (the kernel's view after execve).
load helpers

setup() { setup_writable_bundle; }
teardown() { teardown_bundle; }

# Run the container; $output gets its /proc/self/status lines.
run_status() {
	cfg '.process.args = ["sh", "-c", "cat /proc/self/status"]'
	run husk run "$CID"
}

line() { # KEY -> value of "KEY:\t..." in $output
	printf '%s\n' "$output" | awk -v k="$1:" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }'
}

caps() { # the five sets as jq arrays: BND EFF PRM INH AMB
	cfg ".process.capabilities = {bounding: $1, effective: $2, permitted: $3, inheritable: $4, ambient: $5}"
}

caps_shown() { # the five masks $output shows, in the order of caps()
	local set
	for set in CapBnd CapEff CapPrm CapInh CapAmb; do
		[ "$(line $set)" = "$1" ] || { echo "$set: $(line $set), expected $1"; return 1; }
		shift
	done
}

@test "capabilities: root ends with exactly the configured sets" {
	caps '["CAP_CHOWN","CAP_KILL","CAP_NET_RAW"]' '["CAP_CHOWN","CAP_KILL","CAP_NET_RAW"]' \
		'["CAP_CHOWN","CAP_KILL","CAP_NET_RAW"]' '[]' '[]'
	run_status
	[ "$status" -eq 0 ]
	# CHOWN=0, KILL=5, NET_RAW=13
	caps_shown 0000000000002021 0000000000002021 0000000000002021 0000000000000000 0000000000000000
}

@test "capabilities: a non-root user keeps the ambient set across execve" {
	cfg '.process.user = {uid: 1000, gid: 1000}'
	caps '["CAP_CHOWN","CAP_KILL","CAP_NET_BIND_SERVICE"]' '["CAP_CHOWN","CAP_NET_BIND_SERVICE"]' \
		'["CAP_CHOWN","CAP_NET_BIND_SERVICE"]' '["CAP_NET_BIND_SERVICE"]' '["CAP_NET_BIND_SERVICE"]'
	run_status
	[ "$status" -eq 0 ]
	[ "$(line Uid)" = "1000 1000 1000 1000" ] || [ "$(line Uid | tr -s '\t ' ' ')" = "1000 1000 1000 1000" ]
	# After execve a non-root process has exactly its ambient set (kernel rule).
	caps_shown 0000000000000421 0000000000000400 0000000000000400 0000000000000400 0000000000000400
}

@test "capabilities: one the host's bounding set lacks is dropped with a warning" {
	grep -q '^CapBnd:.*' /proc/self/status
	if [ $(( 0x$(awk '/^CapBnd/ {print $2}' /proc/self/status) >> 24 & 1 )) -eq 1 ]; then
		skip "this host has CAP_SYS_RESOURCE in its bounding set"
	fi
	caps '["CAP_CHOWN","CAP_SYS_RESOURCE"]' '["CAP_CHOWN","CAP_SYS_RESOURCE"]' \
		'["CAP_CHOWN","CAP_SYS_RESOURCE"]' '[]' '[]'
	run_status
	[ "$status" -eq 0 ]
	[[ "$output" == *"CAP_SYS_RESOURCE is not in the host's bounding set"* ]]
	[ "$(line CapEff)" = 0000000000000001 ]
	[ "$(line CapBnd)" = 0000000000000001 ]
}

@test "capabilities: an unknown name is an error" {
	caps '["CAP_CHOWN"]' '["CAP_CHOWN","CAP_TELEPORT"]' '["CAP_CHOWN"]' '[]' '[]'
	run_status
	[ "$status" -ne 0 ]
	[[ "$output" == *CAP_TELEPORT* ]]
	[[ "$output" != *CapEff* ]]
}

@test "capabilities: absent, a non-root user has none" {
	cfg 'del(.process.capabilities) | .process.user = {uid: 65534, gid: 65534}'
	run_status
	[ "$status" -eq 0 ]
	[ "$(line CapEff)" = 0000000000000000 ]
	[ "$(line CapPrm)" = 0000000000000000 ]
}

@test "user: uid, gid and additionalGids" {
	cfg '.process.user = {uid: 1234, gid: 5678, additionalGids: [10, 20, 4000000000]}'
	run_status
	[ "$status" -eq 0 ]
	[ "$(line Uid | tr -s '\t ' ' ')" = "1234 1234 1234 1234" ]
	[ "$(line Gid | tr -s '\t ' ' ')" = "5678 5678 5678 5678" ]
	[ "$(line Groups | tr -s '\t ' ' ' | sed 's/ $//')" = "10 20 4000000000" ]
}

@test "user: (uid_t)-1 and too many additionalGids are refused" {
	cfg '.process.user = {uid: 4294967295, gid: 0}'
	run_status
	[ "$status" -ne 0 ]
	[[ "$output" == *uid* ]]
	cfg '.process.user = {uid: 0, gid: 0, additionalGids: [range(70000)]}'
	run_status
	[ "$status" -ne 0 ]
	[[ "$output" == *additionalGids* ]]
}

@test "user: umask" {
	cfg '.process.user.umask = 23 | .process.args = ["sh", "-c", "umask"]'
	run husk run "$CID"
	[ "$status" -eq 0 ]
	[ "$output" = 0027 ]
}

@test "noNewPrivileges: true and false as the kernel reports them" {
	cfg '.process.noNewPrivileges = true'
	run_status
	[ "$status" -eq 0 ]
	[ "$(line NoNewPrivs)" = 1 ]
	cfg '.process.noNewPrivileges = false'
	run_status
	[ "$status" -eq 0 ]
	[ "$(line NoNewPrivs)" = 0 ]
}
