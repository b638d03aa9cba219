#!/usr/bin/env bats
# runtime-spec config-linux.md: default filesystems, namespaces, id mappings,
# devices, /dev symlinks, cgroups, sysctl, seccomp, rootfs propagation,
# masked and readonly paths, personality, intelRdt.
# HUSK=/usr/sbin/runc runs them against runc.  runc 1.1.5 fails four, each
# against the spec's text: it mounts a device over a non-device file instead of
# failing, accepts a seccomp rule with no names, leaves the rootfs mount
# private under rootfsPropagation "shared", and predates linux.personality.

bats_require_minimum_version 1.5.0
load helpers
load ../engines/spec

setup() { spec_bundle; }
teardown() {
	[ -n "${HOLDER:-}" ] && kill "$HOLDER" 2>/dev/null
	spec_teardown
}

run_proc() {
	cfg ".process.args = $1"
	run run_container
	echo "$output"
}

# A process of ours holding fresh namespaces (unshare flags), for "path" tests.
hold_ns() {
	unshare "$@" sleep 1000 &
	HOLDER=$!
	local i
	for ((i = 0; i < 50; i++)); do
		[ "$(readlink /proc/$HOLDER/ns/net)" != "$(readlink /proc/self/ns/net)" ] ||
			[ "$(readlink /proc/$HOLDER/ns/uts)" != "$(readlink /proc/self/ns/uts)" ] ||
			[ "$(readlink /proc/$HOLDER/ns/ipc)" != "$(readlink /proc/self/ns/ipc)" ] && return 0
		sleep 0.05
	done
}

@test "config-linux.md#default-filesystems: /proc, /sys, /dev/pts and /dev/shm are available" {
	run_proc '["sh", "-c", "for m in /proc /sys /dev/pts /dev/shm; do awk -v m=$m \"\\$5 == m {print \\$5, \\$(NF-2)}\" /proc/self/mountinfo; done"]'
	[ "$status" -eq 0 ]
	[ "$output" = "/proc proc
/sys sysfs
/dev/pts devpts
/dev/shm tmpfs" ]
}

@test "config-linux.md#namespaces: a namespace listed without a path is new" {
	cfg '.linux.namespaces = [{type: "pid"}, {type: "network"}, {type: "ipc"}, {type: "uts"}, {type: "mount"}, {type: "cgroup"}]'
	create_detached
	local pid n
	pid=$(state_pid)
	for n in pid net ipc uts mnt cgroup; do
		echo "$n: $(readlink /proc/"$pid"/ns/$n) vs $(readlink /proc/self/ns/$n)"
		[ "$(readlink /proc/"$pid"/ns/$n)" != "$(readlink /proc/self/ns/$n)" ]
	done
}

@test "config-linux.md#namespaces: a namespace type not listed is inherited from the runtime" {
	cfg '.linux.namespaces = [{type: "pid"}, {type: "mount"}] | del(.hostname)'
	create_detached
	local pid n
	pid=$(state_pid)
	for n in net ipc uts cgroup; do
		[ "$(readlink /proc/"$pid"/ns/$n)" = "$(readlink /proc/self/ns/$n)" ]
	done
}

@test "config-linux.md#namespaces: a namespace with a path is joined" {
	hold_ns --net --ipc --uts
	cfg --arg p "/proc/$HOLDER/ns" 'del(.hostname) | .linux.namespaces = [{type: "pid"}, {type: "mount"},
		{type: "network", path: ($p + "/net")}, {type: "ipc", path: ($p + "/ipc")}, {type: "uts", path: ($p + "/uts")}]'
	create_detached
	local pid n
	pid=$(state_pid)
	for n in net ipc uts; do
		[ "$(readlink /proc/"$pid"/ns/$n)" = "$(readlink /proc/$HOLDER/ns/$n)" ]
	done
}

@test "config.md#hostname: a uts namespace joined by path gets the hostname; the runtime's own never does" {
	hold_ns --uts
	cfg --arg p "/proc/$HOLDER/ns/uts" '.hostname = "husk-joined-uts" | .linux.namespaces |= map(select(.type != "uts")) + [{type: "uts", path: $p}]'
	create_detached
	[ "$(readlink /proc/"$(state_pid)"/ns/uts)" = "$(readlink /proc/$HOLDER/ns/uts)" ]
	[ "$(nsenter -t "$HOLDER" -u hostname)" = husk-joined-uts ]
	[ "$(hostname)" != husk-joined-uts ]
}

@test "config-linux.md#namespaces: a path that is not a namespace of that type is an error" {
	hold_ns --net --uts
	cfg --arg p "/proc/$HOLDER/ns/uts" '.linux.namespaces = [{type: "pid"}, {type: "mount"}, {type: "network", path: $p}]'
	create_refused
	assert_no_leftovers "$CID"
}

@test "config-linux.md#namespaces: a namespace path that is not absolute is an error" {
	hold_ns --net
	cfg --arg p "proc/$HOLDER/ns/net" '.linux.namespaces = [{type: "pid"}, {type: "mount"}, {type: "network", path: $p}]'
	cd /
	create_refused
}

@test "config-linux.md#namespaces: duplicated namespace types are an error" {
	cfg '.linux.namespaces += [{type: "network"}]'
	create_refused
}

@test "config-linux.md#user-namespace-mappings: uid and gid mappings are written for a new user namespace" {
	userns_config 100000 200000
	run_proc '["sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map; id -u"]'
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^\ *0\ +100000\ +65536$ ]]
	[[ "${lines[1]}" =~ ^\ *0\ +200000\ +65536$ ]]
	[ "${lines[2]}" = 0 ]
}

@test "config-linux.md#devices: listed devices are available with their type, numbers, mode and owner" {
	cfg '.linux.devices = [{path: "/dev/spec-null", type: "c", major: 1, minor: 3, fileMode: 432, uid: 1000, gid: 1001}] |
		.linux.resources.devices += [{allow: true, type: "c", major: 1, minor: 3, access: "rwm"}]'
	run_proc '["sh", "-c", "stat -c \"%F %t:%T %a %u:%g\" /dev/spec-null; echo x > /dev/spec-null && echo writable"]'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "character special file 1:3 660 1000:1001" ]
	[ "${lines[1]}" = writable ]
}

@test "config-linux.md#devices: a file at path that does not match the device is an error" {
	echo "not a device" >"$BUNDLE/rootfs/spec-dev"
	cfg '.linux.devices = [{path: "/spec-dev", type: "c", major: 1, minor: 3}]'
	create_refused
}

@test "config-linux.md#default-devices: null, zero, full, random, urandom, tty and ptmx are supplied" {
	run_proc '["sh", "-c", "for d in null zero full random urandom tty; do stat -c \"%n %F %t:%T\" /dev/$d; done; readlink /dev/ptmx || stat -c \"%n %F %t:%T\" /dev/ptmx; head -c 4 /dev/zero | wc -c; echo x > /dev/null && echo null-ok"]'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "/dev/null character special file 1:3" ]
	[ "${lines[1]}" = "/dev/zero character special file 1:5" ]
	[ "${lines[2]}" = "/dev/full character special file 1:7" ]
	[ "${lines[3]}" = "/dev/random character special file 1:8" ]
	[ "${lines[4]}" = "/dev/urandom character special file 1:9" ]
	[ "${lines[5]}" = "/dev/tty character special file 5:0" ]
	# /dev/ptmx: a symlink to pts/ptmx, or a bind mount of it (5:2).
	[[ "${lines[6]}" == "pts/ptmx" || "${lines[6]}" == "/dev/pts/ptmx" || "${lines[6]}" == "/dev/ptmx character special file 5:2" ]]
	[ "${lines[7]}" = 4 ]
	[ "${lines[8]}" = null-ok ]
}

@test "config-linux.md#default-devices: /dev/console is the pseudoterminal when terminal is true" {
	cfg '.process.terminal = true | .process.args = ["sh", "-c", "stat -c \"%t %T\" /dev/console; tty"]'
	run run_on_pty 30 "$HUSK --root $HUSK_ROOT run --bundle $BUNDLE $CID"
	echo "$output"
	[ "$status" -eq 0 ]
	local tty major
	output=$(tr -cd '[:print:]\n' <<<"$output")
	tty=$(grep '/dev/pts/' <<<"$output")
	[ -n "$tty" ]
	# devpts major is 136..143 (stat prints it in hex)
	major=$(grep -oE '[0-9a-f]+ [0-9a-f]+$' <<<"$output" | head -n1 | awk '{print $1}')
	[ $((16#$major)) -ge 136 ] && [ $((16#$major)) -le 143 ]
}

@test "config-linux.md#dev-symbolic-links: /dev/fd, /dev/stdin, /dev/stdout and /dev/stderr" {
	run_proc '["sh", "-c", "for l in fd stdin stdout stderr; do readlink /dev/$l; done"]'
	[ "$status" -eq 0 ]
	[ "$output" = "/proc/self/fd
/proc/self/fd/0
/proc/self/fd/1
/proc/self/fd/2" ]
}

@test "config-linux.md#cgroups-path: an absolute cgroupsPath is relative to each hierarchy's mount point" {
	create_detached
	local pid c
	pid=$(state_pid)
	for c in memory pids cpu freezer; do
		grep -qx "$pid" "/sys/fs/cgroup/$c$CGROUP_PATH/cgroup.procs"
	done
}

@test "config-linux.md#cgroups-path: the same cgroupsPath is the same place in the hierarchy" {
	cfg '.process.args = ["true"]'
	create_detached
	local first
	first=$(awk -F: '$2 == "memory" {print $3}' /proc/"$(state_pid)"/cgroup)
	husk start "$CID"
	wait_status stopped
	husk delete "$CID"
	create_detached
	[ "$(awk -F: '$2 == "memory" {print $3}' /proc/"$(state_pid)"/cgroup)" = "$first" ]
	[ "$first" = "$CGROUP_PATH" ]
}

@test "config-linux.md#control-groups: memory, pids and cpu resources are written to the cgroup" {
	cfg '.linux.resources.memory = {limit: 67108864} | .linux.resources.pids = {limit: 33} | .linux.resources.cpu = {shares: 512, quota: 50000, period: 100000}'
	create_detached
	[ "$(cat "$(cgroup_dir memory)/memory.limit_in_bytes")" = 67108864 ]
	[ "$(cat "$(cgroup_dir pids)/pids.max")" = 33 ]
	[ "$(cat "$(cgroup_dir cpu)/cpu.shares")" = 512 ]
	[ "$(cat "$(cgroup_dir cpu)/cpu.cfs_quota_us")" = 50000 ]
	[ "$(cat "$(cgroup_dir cpu)/cpu.cfs_period_us")" = 100000 ]
}

@test "config-linux.md#device-allowlist: entries apply in the listed order" {
	# Two devices that are not default devices (those a runtime always allows):
	# tun is allowed; fuse is allowed and then denied, and the last entry wins.
	cfg '.linux.devices = [{path: "/dev/spec-tun", type: "c", major: 10, minor: 200},
			       {path: "/dev/spec-fuse", type: "c", major: 10, minor: 229}] |
		.linux.resources.devices = [{allow: false, access: "rwm"},
		{allow: true, type: "c", major: 10, minor: 200, access: "rwm"},
		{allow: true, type: "c", major: 10, minor: 229, access: "rwm"},
		{allow: false, type: "c", major: 10, minor: 229, access: "rwm"}]'
	run_proc '["sh", "-c", "true < /dev/spec-tun && echo tun-ok; true 2>/dev/null < /dev/spec-fuse || echo fuse-denied"]'
	[ "$status" -eq 0 ]
	[ "$output" = "tun-ok
fuse-denied" ]
}

@test "config-linux.md#sysctl: sysctls are set inside the container" {
	cfg '.linux.sysctl = {"net.ipv4.ip_forward": "1", "kernel.shmmni": "1234"} | .linux.namespaces += [{type: "ipc"}] | .linux.namespaces |= unique_by(.type)'
	run_proc '["sh", "-c", "cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmni"]'
	[ "$status" -eq 0 ]
	lines_are 1 1234
	[ "$(cat /proc/sys/kernel/shmmni)" != 1234 ]
}

@test "config-linux.md#seccomp: the filter is applied, with errnoRet" {
	cfg '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_X86_64"],
		syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 13},
			   {names: ["sethostname"], action: "SCMP_ACT_ERRNO"}]}'
	run_proc '["sh", "-c", "grep ^Seccomp: /proc/self/status; mkdir /d 2>&1; hostname x 2>&1; echo done"]'
	[ "$status" -eq 0 ]
	[[ "$output" == *"Seccomp:	2"* ]]
	[[ "$output" == *"Permission denied"* ]]     # mkdir: EACCES (13)
	[[ "$output" == *"Operation not permitted"* ]] # hostname: EPERM, the default
	[[ "$output" == *done* ]]
}

@test "config-linux.md#seccomp: a syscall rule with no names is an error" {
	cfg '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: [], action: "SCMP_ACT_ERRNO"}]}'
	create_refused
}

@test "config-linux.md#rootfs-mount-propagation: rootfsPropagation sets the propagation of the rootfs mount" {
	cfg '.linux.rootfsPropagation = "shared"'
	run_proc '["sh", "-c", "awk \"\\$5 == \\\"/\\\"\" /proc/self/mountinfo"]'
	[ "$status" -eq 0 ]
	[[ "$output" == *shared:* ]]
	cfg '.linux.rootfsPropagation = "private"'
	run_proc '["sh", "-c", "awk \"\\$5 == \\\"/\\\"\" /proc/self/mountinfo"]'
	[ "$status" -eq 0 ]
	[[ "$output" != *shared:* ]]
	[[ "$output" != *master:* ]]
}

@test "config-linux.md#rootfs-mount-propagation: unbindable makes the rootfs mount unbindable (and the container still starts)" {
	cfg '.linux.rootfsPropagation = "unbindable"'
	run_proc '["sh", "-c", "awk \"\\$5 == \\\"/\\\"\" /proc/self/mountinfo"]'
	[ "$status" -eq 0 ]
	[[ "$output" == *" unbindable "* ]]
}

@test "config-linux.md#masked-paths: masked files and directories cannot be read" {
	mkdir -p "$BUNDLE/rootfs/secretdir"
	echo secret >"$BUNDLE/rootfs/secretdir/file"
	echo secret >"$BUNDLE/rootfs/secretfile"
	cfg '.linux.maskedPaths = ["/secretdir", "/secretfile", "/proc/keys", "/does/not/exist"]'
	run_proc '["sh", "-c", "ls -A /secretdir | wc -l; cat /secretfile | wc -c; cat /proc/keys | wc -c"]'
	[ "$status" -eq 0 ]
	[ "$output" = "0
0
0" ]
}

@test "config-linux.md#readonly-paths: readonly paths cannot be written" {
	mkdir -p "$BUNDLE/rootfs/rodir"
	cfg '.linux.readonlyPaths = ["/rodir", "/proc/sys"]'
	run_proc '["sh", "-c", "touch /rodir/x 2>/dev/null || echo rodir-ro; echo 1 2>/dev/null > /proc/sys/kernel/domainname || echo procsys-ro; touch /tmp/x && echo tmp-rw"]'
	[ "$status" -eq 0 ]
	[ "$output" = "rodir-ro
procsys-ro
tmp-rw" ]
}

@test "config-linux.md#personality: LINUX32 changes the reported machine" {
	cfg '.linux.personality = {domain: "LINUX32"}'
	run_proc '["uname", "-m"]'
	[ "$status" -eq 0 ]
	[ "$output" = i686 ]
}

@test "config-linux.md#intelrdt: intelRdt without a mounted resctrl is an error" {
	grep -q ' resctrl ' /proc/self/mountinfo && skip "resctrl is mounted on this host"
	cfg '.linux.intelRdt = {closID: "spec", l3CacheSchema: "L3:0=ff"}'
	create_refused
	[ ! -e /sys/fs/resctrl/spec ]
}
