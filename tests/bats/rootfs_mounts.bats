#!/usr/bin/env bats
# The container's filesystem view, checked from inside real containers (mountinfo,
# device nodes, masked and read-only paths) and from the host afterwards (nothing
# left mounted, nothing outside the rootfs touched).
load helpers

setup() {
	setup_runtime_bundle
}

teardown() {
	teardown_bundle
}

# Run the container with `sh -c SCRIPT`; output in $output.
run_in() {
	cfg --arg s "$1" '.process.args = ["sh", "-c", $s]'
	run husk run "$CID"
}

# mountinfo line of mount point $2 in the output $1 (fields: opts and fstype)
mnt_line() { echo "$1" | awk -v mp="$2" '$5 == mp' | tail -1; }

@test "rootfs: default mounts have the right types and options" {
	cfg '.root.readonly = true'
	run_in 'cat /proc/self/mountinfo'
	[ "$status" -eq 0 ]
	[[ "$(mnt_line "$output" /)" =~ " / ro," ]]
	[[ "$(mnt_line "$output" /proc)" =~ " - proc " ]]
	[[ "$(mnt_line "$output" /dev)" =~ " rw,nosuid - tmpfs ".*"mode=755" ]]
	[[ "$(mnt_line "$output" /dev/pts)" =~ " - devpts ".*"ptmxmode=666" ]]
	[[ "$(mnt_line "$output" /dev/shm)" =~ "nosuid,nodev,noexec".*" - tmpfs " ]]
	[[ "$(mnt_line "$output" /dev/mqueue)" =~ " - mqueue " ]]
	[[ "$(mnt_line "$output" /sys)" =~ " ro,nosuid,nodev,noexec".*" - sysfs " ]]
	[[ "$(mnt_line "$output" /sys/fs/cgroup)" =~ " ro,".*" - tmpfs " ]]
	# no mount of the container propagates anywhere
	[[ "$output" != *"shared:"* ]]
	# the host's mounts are gone
	[[ "$output" != *" /mnt/sandboxing"* ]]
	assert_no_leftovers "$CID"
}

@test "rootfs: cgroup mount shows the container's own cgroups read-only" {
	# a v1 pids hierarchy, or the cgroup2 root on a unified host
	run_in 'cat /proc/self/cgroup; echo ---; cat /proc/self/mountinfo; echo ---; d=/sys/fs/cgroup/pids; [ -d $d ] || d=/sys/fs/cgroup; echo x > $d/cgroup.procs'
	[ "$status" -ne 0 ]
	[[ "$output" =~ "Read-only file system" ]]
	if [[ "$(mnt_line "$output" /sys/fs/cgroup)" =~ " - cgroup2 " ]]; then
		# unified: a read-only cgroup2 mount, and the process in the
		# container's cgroup (no cgroup namespace in this config: as with
		# runc, the mount's root is the hierarchy's)
		[[ "$(mnt_line "$output" /sys/fs/cgroup)" =~ " ro,".*" - cgroup2 " ]]
		grep -qx "0::/husk/$CID" <<<"$output"
		return
	fi
	local mem
	mem=$(echo "$output" | sed -n 's/^[0-9]*:memory://p' | head -1)
	[ -n "$mem" ] || skip "no memory v1 hierarchy on this host"
	local line
	line=$(mnt_line "$output" /sys/fs/cgroup/memory)
	[[ "$line" =~ " - cgroup " ]]
	[ "$(echo "$line" | awk '{print $4}')" = "$mem" ]
}

@test "rootfs: default device nodes, symlinks and ptmx" {
	run_in 'for d in null zero full random urandom tty; do stat -c "%n %F %t:%T %a" /dev/$d; done; for l in fd stdin stdout stderr ptmx; do readlink /dev/$l; done; echo hi > /dev/null && echo null-ok'
	[ "$status" -eq 0 ]
	[[ "$output" =~ "/dev/null character special file 1:3 666" ]]
	[[ "$output" =~ "/dev/zero character special file 1:5 666" ]]
	[[ "$output" =~ "/dev/full character special file 1:7 666" ]]
	[[ "$output" =~ "/dev/random character special file 1:8 666" ]]
	[[ "$output" =~ "/dev/urandom character special file 1:9 666" ]]
	[[ "$output" =~ "/dev/tty character special file 5:0 666" ]]
	[[ "$output" =~ "/proc/self/fd"$'\n'"/proc/self/fd/0"$'\n'"/proc/self/fd/1"$'\n'"/proc/self/fd/2"$'\n'"pts/ptmx" ]]
	[[ "$output" =~ "null-ok" ]]
}

@test "rootfs: linux.devices are created as asked" {
	cfg '.linux.devices = [{"path": "/dev/mynull", "type": "c", "major": 1, "minor": 3, "fileMode": 384, "uid": 1000, "gid": 1001},
		{"path": "/dev/sub/fifo", "type": "p", "fileMode": 420}]'
	run_in 'stat -c "%n %F %t:%T %a %u %g" /dev/mynull /dev/sub/fifo'
	[ "$status" -eq 0 ]
	[[ "$output" =~ "/dev/mynull character special file 1:3 600 1000 1001" ]]
	[[ "$output" =~ "/dev/sub/fifo fifo 0:0 644 0 0" ]]
}

@test "rootfs: masked paths read empty, read-only paths refuse writes" {
	run_in 'for f in /proc/kcore /proc/keys /proc/timer_list; do [ -e $f ] && echo "$f:$(wc -c < $f)"; done; ls -A /sys/firmware | wc -l; echo 1 > /proc/sys/kernel/domainname || echo ro-ok; mkdir /sys/firmware/x || echo masked-ro-ok'
	[ "$status" -eq 0 ]
	[[ "$output" =~ "/proc/timer_list:0" ]]
	[ -z "$(grep -E "^/proc/[a-z_]+:[1-9]" <<<"$output")" ]
	[[ "$output" =~ "ro-ok" ]]
	[[ "$output" =~ "masked-ro-ok" ]]
}

@test "rootfs: bind mounts (relative source, ro, file target) and nothing left on the host" {
	mkdir -p "$BUNDLE/vol"
	echo from-host > "$BUNDLE/vol/data"
	echo file > "$TEST_TMP/single"
	cfg --arg f "$TEST_TMP/single" '.mounts += [
		{"destination": "/mnt/vol", "type": "bind", "source": "vol", "options": ["bind", "ro", "nosuid"]},
		{"destination": "/etc/single", "type": "none", "source": $f, "options": ["rbind"]}]'
	run_in 'cat /mnt/vol/data /etc/single; touch /mnt/vol/new || echo ro-ok; grep " /mnt/vol " /proc/self/mountinfo'
	[ "$status" -eq 0 ]
	[[ "$output" =~ "from-host"$'\n'"file" ]]
	[[ "$output" =~ "ro-ok" ]]
	[[ "$output" =~ " /mnt/vol ro,nosuid" ]]
	[ ! -e "$BUNDLE/vol/new" ]
	assert_no_leftovers "$CID"
}

@test "rootfs: a mount destination that is a symlink to a host path stays in the rootfs" {
	mkdir "$TEST_TMP/hostdir"
	ln -s "$TEST_TMP/hostdir" "$BUNDLE/rootfs/evil"
	ln -s ../../../../../../../../.. "$BUNDLE/rootfs/up"
	cfg '.mounts += [{"destination": "/evil", "type": "tmpfs", "source": "tmpfs"},
		{"destination": "/up/tmp/husk-escape", "type": "tmpfs", "source": "tmpfs"}]'
	run_in 'echo pwned > /evil/x && echo pwned > /up/tmp/husk-escape/x && echo wrote'
	[ "$status" -eq 0 ]
	[[ "$output" =~ "wrote" ]]
	# the host directory is untouched and nothing is mounted there
	[ -z "$(ls -A "$TEST_TMP/hostdir")" ]
	[ -z "$(grep " $TEST_TMP/hostdir " /proc/self/mountinfo)" ]
	[ ! -e /tmp/husk-escape/x ]
	# the mount points were created inside the rootfs
	[ -d "$BUNDLE/rootfs$TEST_TMP/hostdir" ]
	assert_no_leftovers "$CID"
}

@test "rootfs: a bind-mounted /dev whose null is not the null device refuses masking" {
	mkdir "$TEST_TMP/mydev"
	echo secret > "$TEST_TMP/secret"
	ln -s "$TEST_TMP/secret" "$TEST_TMP/mydev/null"
	cfg --arg d "$TEST_TMP/mydev" '.mounts |= map(select(.destination | startswith("/dev") | not))
		| .mounts += [{"destination": "/dev", "type": "bind", "source": $d, "options": ["rbind"]}]
		| .linux.maskedPaths = ["/proc/timer_list"]'
	run husk run "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" =~ "maskedPaths[0] \"/proc/timer_list\"" ]]
	[[ "$output" =~ "is not the null device" ]]
	[ "$(cat "$TEST_TMP/secret")" = secret ]
	assert_no_leftovers "$CID"
}

@test "rootfs: tmpfs options, tmpcopyup and remount" {
	mkdir -p "$BUNDLE/rootfs/seed/sub"
	echo seeded > "$BUNDLE/rootfs/seed/sub/f"
	cfg '.mounts += [{"destination": "/seed", "type": "tmpfs", "source": "tmpfs", "options": ["tmpcopyup", "size=1m", "mode=700"]},
		{"destination": "/seed", "type": "none", "options": ["remount", "ro", "noexec"]}]'
	run_in 'cat /seed/sub/f; grep " /seed " /proc/self/mountinfo; touch /seed/x || echo ro-ok'
	[ "$status" -eq 0 ]
	[[ "$output" =~ "seeded" ]]
	[[ "$output" =~ " /seed ro,".*"noexec".*" - tmpfs ".*"size=1024k,mode=700" ]]
	[[ "$output" =~ "ro-ok" ]]
}

@test "rootfs: sysctl in the container's namespaces" {
	cfg '.linux.sysctl = {"kernel.shmmni": "2048", "net.ipv4.ip_forward": "1"}'
	run_in 'cat /proc/sys/kernel/shmmni /proc/sys/net/ipv4/ip_forward'
	[ "$status" -eq 0 ]
	[[ "$output" =~ "2048"$'\n'"1" ]]
	# the host's values are not those
	[ "$(cat /proc/sys/kernel/shmmni)" != 2048 ] || [ "$(cat /proc/sys/kernel/shmmni)" = 4096 ]
}

@test "rootfs: a non-namespaced sysctl is refused" {
	cfg '.linux.sysctl = {"kernel.pid_max": "100000"}'
	run husk run "$CID"
	[ "$status" -ne 0 ]
	# refused by the config validator, or (if that let it through) by rootfs
	[[ "$output" =~ kernel.pid_max.*(is\ not\ namespaced|is\ not\ in\ a\ separate\ kernel\ namespace) ]]
	assert_no_leftovers "$CID"
}

@test "rootfs: bad mount options fail with the mount named" {
	cfg '.mounts += [{"destination": "/x", "type": "tmpfs", "source": "tmpfs", "options": ["size=banana"]}]'
	run husk run "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" =~ "mount \"tmpfs\" on \"/x\": option size=banana" ]]
	assert_no_leftovers "$CID"
}

@test "rootfs: --no-pivot moves the rootfs over / and chroots" {
	run husk run --no-pivot "$CID" 2>/dev/null || true
	cfg '.process.args = ["sh", "-c", "cat /proc/self/mountinfo; ls /"]'
	run husk run --no-pivot "$CID"
	[ "$status" -eq 0 ]
	[[ "$output" =~ " - proc " ]]
	[[ "$output" =~ "bin" ]]
	assert_no_leftovers "$CID"
}

@test "rootfs: rootfsPropagation shared is applied after pivot_root" {
	cfg '.linux.rootfsPropagation = "rshared"'
	run_in 'grep -E " / " /proc/self/mountinfo'
	[ "$status" -eq 0 ]
	[[ "$output" =~ "shared:" ]]
	assert_no_leftovers "$CID"
}

@test "rootfs: user namespace: devices are bind-mounted from the host" {
	userns_config 100000 100000 chown
	run_in 'stat -c "%n %t:%T" /dev/null /dev/zero; grep " /dev/null " /proc/self/mountinfo; echo x > /dev/null && echo ok'
	[ "$status" -eq 0 ]
	[[ "$output" =~ "/dev/null 1:3" ]]
	[[ "$output" =~ " /dev/null " ]]
	[[ "$output" =~ "ok" ]]
	assert_no_leftovers "$CID"
}

@test "rootfs: terminal: the pty is bound onto /dev/console, even over a planted symlink" {
	command -v script >/dev/null || skip "script(1) is needed to give husk a terminal"
	echo host > "$TEST_TMP/hostfile"
	# /dev comes from the image (no tmpfs), and the image plants a symlink
	cfg '.mounts |= map(select(.destination != "/dev")) | .process.terminal = true'
	mkdir -p "$BUNDLE/rootfs/dev/pts"
	ln -s "$TEST_TMP/hostfile" "$BUNDLE/rootfs/dev/console"
	cfg '.process.args = ["sh", "-c", "stat -c \"%n %F %t\" /dev/console; grep \" /dev/console \" /proc/self/mountinfo"]'
	run run_on_pty 20 "$HUSK --root $HUSK_ROOT run $CID"
	[ "$status" -eq 0 ]
	[[ "$output" =~ "/dev/console character special file 88" ]]
	[[ "$output" =~ " /dev/console ".*" - devpts " ]]
	[ "$(cat "$TEST_TMP/hostfile")" = host ]
	[ -z "$(grep " $TEST_TMP/hostfile " /proc/self/mountinfo)" ]
	assert_no_leftovers "$CID"
}

@test "rootfs: idmap bind mount shows on-disk owners through the mount's mapping" {
	mkdir -p "$BUNDLE/vol"
	echo x > "$BUNDLE/vol/f"
	chown 0:0 "$BUNDLE/vol/f"
	cfg '.mounts += [{"destination": "/idm", "type": "bind", "source": "vol", "options": ["rbind", "idmap"],
		"uidMappings": [{"containerID": 0, "hostID": 1234, "size": 1}],
		"gidMappings": [{"containerID": 0, "hostID": 4321, "size": 1}]}]'
	run_in 'stat -c "%u:%g" /idm/f; grep " /idm " /proc/self/mountinfo'
	[ "$status" -eq 0 ]
	[[ "$output" =~ "1234:4321" ]]
	[[ "$output" =~ "idmapped" ]]
	# on the host the file is still 0:0
	[ "$(stat -c %u:%g "$BUNDLE/vol/f")" = 0:0 ]
	assert_no_leftovers "$CID"
}

@test "rootfs: a later bind over the cgroup mount wins (systemd-style -v /sys/fs/cgroup)" {
	cfg '.mounts += [{"destination": "/sys/fs/cgroup", "type": "bind", "source": "/sys/fs/cgroup", "options": ["rbind", "ro"]}]'
	run_in 'grep " /sys/fs/cgroup" /proc/self/mountinfo | tail -3; ls /sys/fs/cgroup'
	[ "$status" -eq 0 ]
	[[ "$output" =~ "memory" ]]
	assert_no_leftovers "$CID"
}
