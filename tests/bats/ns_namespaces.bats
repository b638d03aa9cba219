#!/usr/bin/env bats
# Namespaces: new ones differ from the host's, joined ones are the very
# namespace given, user-namespace maps and time offsets as configured.
load helpers

setup() {
	setup_runtime_bundle
	cfg '.process.args = ["sleep", "100"]'
}

teardown() {
	teardown_bundle
}

ns_inode() { stat -L -c %i "/proc/$1/ns/$2"; }

all_namespaces='[{"type":"pid"},{"type":"network"},{"type":"mount"},{"type":"ipc"},{"type":"uts"},{"type":"cgroup"},{"type":"time"}]'

@test "every namespace type is new" {
	cfg --argjson ns "$all_namespaces" '.linux.namespaces = $ns'
	husk run -d --pid-file "$TEST_TMP/pid" "$CID"
	local pid
	pid=$(cat "$TEST_TMP/pid")
	for ns in pid net mnt ipc uts cgroup time; do
		[ "$(ns_inode "$pid" $ns)" != "$(ns_inode self $ns)" ] || { echo "$ns not new"; false; }
	done
	# The user namespace was not asked for: shared with the host.
	[ "$(ns_inode "$pid" user)" = "$(ns_inode self user)" ]
	# pid 1 inside its pid namespace.
	[ "$(awk '/^NSpid/ {print $3}' "/proc/$pid/status")" = 1 ]
	husk delete -f "$CID"
	assert_no_leftovers "$CID"
}

# The new network namespace is made ahead by a thread of husk and joined by the
# init first thing (runtime/netns_early.h): it must still be a fresh, private
# one, in place before /sys is mounted, and never shared between containers.
@test "a new network namespace: only lo, in /proc and in the container's /sys" {
	cfg '.process.args = ["sh", "-c", "ls /sys/class/net | tr \"\\n\" \" \"; echo; sed 1,2d /proc/net/dev | cut -d: -f1 | tr -d \" \" | tr \"\\n\" \" \"; echo; readlink /proc/self/ns/net; sleep 100"]'
	husk run -d --pid-file "$TEST_TMP/pid" "$CID" >"$TEST_TMP/out"
	local pid
	pid=$(cat "$TEST_TMP/pid")
	for _ in $(seq 100); do [ "$(wc -l <"$TEST_TMP/out")" -ge 3 ] && break; sleep 0.05; done
	cat "$TEST_TMP/out"
	[ "$(sed -n 1p "$TEST_TMP/out")" = "lo " ]
	[ "$(sed -n 2p "$TEST_TMP/out")" = "lo " ]
	# The init's own namespace, not the host's.
	[ "$(sed -n 3p "$TEST_TMP/out")" = "$(readlink /proc/$pid/ns/net)" ]
	[ "$(ns_inode "$pid" net)" != "$(ns_inode self net)" ]
	# A second container gets another one; husk itself kept none open.
	husk run -d --pid-file "$TEST_TMP/pid2" "$CID-2" >/dev/null
	[ "$(ns_inode "$(cat "$TEST_TMP/pid2")" net)" != "$(ns_inode "$pid" net)" ]
	husk delete -f "$CID-2"
	husk delete -f "$CID"
	assert_no_leftovers "$CID"
}

@test "a namespace left out of the config is the host's" {
	cfg '.linux.namespaces |= map(select(.type != "network" and .type != "ipc"))'
	husk run -d --pid-file "$TEST_TMP/pid" "$CID"
	local pid
	pid=$(cat "$TEST_TMP/pid")
	[ "$(ns_inode "$pid" net)" = "$(ns_inode self net)" ]
	[ "$(ns_inode "$pid" ipc)" = "$(ns_inode self ipc)" ]
	[ "$(ns_inode "$pid" mnt)" != "$(ns_inode self mnt)" ]
	husk delete -f "$CID"
}

@test "joined by path: net, ipc, uts and pid of another container" {
	cfg --argjson ns "$all_namespaces" '.linux.namespaces = $ns'
	husk run -d --pid-file "$TEST_TMP/pid1" "$CID-a"
	local a
	a=$(cat "$TEST_TMP/pid1")
	cfg --arg p "/proc/$a/ns" '.linux.namespaces |= map(
		if .type == "network" then .path = $p + "/net"
		elif .type == "ipc" then .path = $p + "/ipc"
		elif .type == "uts" then .path = $p + "/uts"
		elif .type == "pid" then .path = $p + "/pid"
		else . end) | del(.hostname)'
	husk run -d --pid-file "$TEST_TMP/pid2" "$CID-b"
	local b
	b=$(cat "$TEST_TMP/pid2")
	for ns in net ipc uts pid; do
		[ "$(ns_inode "$b" $ns)" = "$(ns_inode "$a" $ns)" ] || { echo "$ns not joined"; false; }
	done
	[ "$(ns_inode "$b" mnt)" != "$(ns_inode "$a" mnt)" ]
	# In a's pid namespace, b is not pid 1.
	[ "$(awk '/^NSpid/ {print $3}' "/proc/$b/status")" != 1 ]
	husk delete -f "$CID-b"
	husk delete -f "$CID-a"
	assert_no_leftovers "$CID-a"
	assert_no_leftovers "$CID-b"
}

@test "user namespace: maps written, root inside is mapped" {
	userns_config 100000 200000 chown
	husk run -d --pid-file "$TEST_TMP/pid" "$CID"
	local pid
	pid=$(cat "$TEST_TMP/pid")
	[ "$(ns_inode "$pid" user)" != "$(ns_inode self user)" ]
	[ "$(awk '{print $1, $2, $3}' "/proc/$pid/uid_map")" = "0 100000 65536" ]
	[ "$(awk '{print $1, $2, $3}' "/proc/$pid/gid_map")" = "0 200000 65536" ]
	# Seen from the host the init runs as the mapped ids.
	[ "$(awk '/^Uid/ {print $2}' "/proc/$pid/status")" = 100000 ]
	[ "$(awk '/^Gid/ {print $2}' "/proc/$pid/status")" = 200000 ]
	husk delete -f "$CID"
	assert_no_leftovers "$CID"
}

@test "user namespace without mappings is refused" {
	cfg '.linux.namespaces += [{"type":"user"}] | del(.linux.uidMappings, .linux.gidMappings)'
	run husk create "$CID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"uidMappings"* ]]
	assert_no_leftovers "$CID"
}

@test "user namespace new while others are joined (slow path)" {
	husk run -d --pid-file "$TEST_TMP/pid1" "$CID-a"
	local a
	a=$(cat "$TEST_TMP/pid1")
	cfg --arg p "/proc/$a/ns" '.linux.namespaces |= map(if .type == "network" then .path = $p + "/net" else . end)'
	userns_config 100000 100000 chown
	husk run -d --pid-file "$TEST_TMP/pid2" "$CID-b"
	local b
	b=$(cat "$TEST_TMP/pid2")
	[ "$(ns_inode "$b" net)" = "$(ns_inode "$a" net)" ]
	[ "$(ns_inode "$b" user)" != "$(ns_inode self user)" ]
	[ "$(awk '{print $2}' "/proc/$b/uid_map")" = 100000 ]
	[ "$(awk '/^NSpid/ {print $3}' "/proc/$b/status")" = 1 ]
	husk delete -f "$CID-b"
	husk delete -f "$CID-a"
	assert_no_leftovers "$CID-b"
}

@test "hostname and domainname in the new uts namespace" {
	cfg '.hostname = "husk-host" | .domainname = "husk.example"
		| .process.args = ["sh", "-c", "echo $(hostname) $(cat /proc/sys/kernel/domainname) > /tmp/uts"]'
	husk run "$CID"
	[ "$(cat "$BUNDLE/rootfs/tmp/uts")" = "husk-host husk.example" ]
	[ "$(hostname)" != husk-host ]
}

@test "hostname without a uts namespace is refused" {
	cfg '.hostname = "x" | .linux.namespaces |= map(select(.type != "uts"))'
	run husk create "$CID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"hostname"* ]]
	[[ "$output" == *[Uu][Tt][Ss]" namespace"* ]]
	assert_no_leftovers "$CID"
}

@test "time namespace offsets: uptime moves, the offsets file shows them" {
	cfg '.linux.namespaces += [{"type":"time"}]
		| .linux.timeOffsets = {"boottime": {"secs": 86400, "nanosecs": 0}, "monotonic": {"secs": 3600, "nanosecs": 5}}
		| .process.args = ["sh", "-c", "cat /proc/uptime > /tmp/uptime; exec sleep 100"]'
	husk run -d --pid-file "$TEST_TMP/pid" "$CID"
	local pid
	pid=$(cat "$TEST_TMP/pid")
	[ "$(ns_inode "$pid" time)" != "$(ns_inode self time)" ]
	grep -q "^monotonic *3600 *5$" "/proc/$pid/timens_offsets"
	grep -q "^boottime *86400 *0$" "/proc/$pid/timens_offsets"
	for _ in $(seq 100); do [ -s "$BUNDLE/rootfs/tmp/uptime" ] && break; sleep 0.02; done
	local host inside
	host=$(cut -d. -f1 /proc/uptime)
	inside=$(cut -d. -f1 "$BUNDLE/rootfs/tmp/uptime")
	[ $((inside - host)) -ge 86300 ]
	husk delete -f "$CID"
}

@test "time offsets without a time namespace are refused" {
	cfg '.linux.timeOffsets = {"monotonic": {"secs": 1}}'
	run husk create "$CID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"time namespace"* ]]
	assert_no_leftovers "$CID"
}

@test "cgroup namespace: the container sees its cgroup as the root" {
	cfg '.linux.namespaces += [{"type":"cgroup"}] | .process.args = ["sh", "-c", "cat /proc/self/cgroup > /tmp/cg; exec sleep 100"]'
	husk run -d --pid-file "$TEST_TMP/pid" "$CID"
	for _ in $(seq 100); do [ -s "$BUNDLE/rootfs/tmp/cg" ] && break; sleep 0.02; done
	# Every hierarchy's path is "/" inside (the host sees the container's own path).
	run grep -v ':/$' "$BUNDLE/rootfs/tmp/cg"
	[ -z "$output" ]
	grep -q "$CID" "/proc/$(cat "$TEST_TMP/pid")/cgroup"
	husk delete -f "$CID"
	assert_no_leftovers "$CID"
}
