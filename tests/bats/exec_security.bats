#!/usr/bin/env bats
# husk exec keeps the defences init has: no host fd or cwd leaks into the
# container (CVE-2024-21626), a sealed husk binary (CVE-2019-5736), the
# container's masked/readonly paths, capability bounds and root.
# HUSK=/usr/sbin/runc runs them against runc.

bats_require_minimum_version 1.5.0
load exec_helpers

setup() {
	spec_bundle
	mkdir -p "$TEST_TMP/hostdir"
	echo host-secret >"$TEST_TMP/hostdir/marker"
}
teardown() {
	[ -n "${HPID:-}" ] && kill "$HPID" 2>/dev/null
	spec_teardown
}

@test "exec CVE-2024-21626: a host directory fd open in husk's caller does not reach the process" {
	start_container
	run bash -c 'exec 7<"$3"; timeout 30 "$0" --root "$1" exec "$2" ls /proc/self/fd </dev/null' \
		"$HUSK" "$HUSK_ROOT" "$CID" "$TEST_TMP/hostdir"
	echo "$output"
	[ "$status" -eq 0 ]
	# 0, 1, 2 and ls's own directory fd (3); never 7.
	[[ " $(tr '\n' ' ' <<<"$output") " != *" 7 "* ]]
}

@test "exec CVE-2024-21626: --cwd through a leaked fd cannot reach the host" {
	start_container
	local fd
	for fd in 7 /proc/self/fd/7; do :; done
	run bash -c 'exec 7<"$3"; timeout 30 "$0" --root "$1" exec --cwd /proc/self/fd/7 "$2" cat marker </dev/null' \
		"$HUSK" "$HUSK_ROOT" "$CID" "$TEST_TMP/hostdir"
	echo "$output"
	[[ "$output" != *host-secret* ]]
	[ "$status" -ne 0 ]
	# The same through a process.json cwd.
	jq -n '{args: ["cat", "marker"], cwd: "/proc/self/fd/7", env: ["PATH=/bin"], user: {uid: 0, gid: 0}}' >"$TEST_TMP/p.json"
	run bash -c 'exec 7<"$3"; timeout 30 "$0" --root "$1" exec --process "$4" "$2" </dev/null' \
		"$HUSK" "$HUSK_ROOT" "$CID" "$TEST_TMP/hostdir" "$TEST_TMP/p.json"
	echo "$output"
	[[ "$output" != *host-secret* ]]
	[ "$status" -ne 0 ]
}

@test "exec CVE-2024-21626: a cwd that is a symlink out of the rootfs stays inside the container" {
	ln -s ../../../../../../.. "$BUNDLE/rootfs/escape"
	start_container
	run timeout 30 "$HUSK" --root "$HUSK_ROOT" exec --cwd /escape "$CID" sh -c 'pwd -P; ls /' </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = / ]
	# The container's root, not the host's (the bundle dir is not in it).
	[[ "$output" != *"$(basename "$TEST_TMP")"* ]]
	[ ! -e "$BUNDLE/rootfs/tmp/$(basename "$TEST_TMP")" ]
}

@test "exec CVE-2019-5736: husk's binary cannot be reopened for writing through /proc/PID/exe" {
	# The attack: hold /proc/<husk>/exe open (O_PATH) while husk runs, then
	# reopen it for writing once husk has exited.  A private copy of the binary
	# is used so no other husk process keeps it busy (ETXTBSY would hide the
	# flaw); husk must run from a sealed copy or a read-only mount of it.
	# The exec'd process is a fork of this husk process, so until its execve it
	# shares this exe, inside the container's pid namespace.  (runc 1.1.5 fails
	# here by design: it seals only `runc init`, the process containers see.)
	cp "$(readlink -f "$HUSK")" "$TEST_TMP/husk-copy"
	start_container
	"$TEST_TMP/husk-copy" --root "$HUSK_ROOT" exec "$CID" sleep 2 </dev/null >/dev/null 2>&1 &
	HPID=$!
	run python3 - "$HPID" <<'PY'
import os, sys, time
pid = int(sys.argv[1])
fd = None
deadline = time.time() + 10
# Hold the exe once husk is settled (past any re-exec of its own) and waits
# for the exec'd process; the same moment as an attacker inside would.
while fd is None and time.time() < deadline:
    try:
        if os.path.exists("/proc/%d/task" % pid) and len(os.listdir("/proc/%d/task" % pid)) >= 1:
            time.sleep(0.3)
            fd = os.open("/proc/%d/exe" % pid, os.O_PATH)
    except OSError:
        time.sleep(0.02)
if fd is None:
    print("NOFD")
    sys.exit(1)
while True:
    try:
        if open("/proc/%d/stat" % pid).read().split()[2] == "Z":
            break
    except OSError:
        break
    time.sleep(0.05)
try:
    w = os.open("/proc/self/fd/%d" % fd, os.O_WRONLY | os.O_APPEND)
    os.close(w)
    print("WRITABLE")
except OSError as e:
    print("refused: %s" % e.strerror)
PY
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == refused:* ]]
	cmp "$TEST_TMP/husk-copy" "$(readlink -f "$HUSK")"
}

@test "exec: the process cannot open husk through /proc/<pid>/exe of its exec'd siblings" {
	# An exec'd process only ever sees container binaries as /proc/PID/exe of
	# other exec'd processes: husk has exec()d before anything is visible.
	start_container
	timeout 30 "$HUSK" --root "$HUSK_ROOT" exec -d "$CID" sleep 100 </dev/null
	run timeout 30 "$HUSK" --root "$HUSK_ROOT" exec "$CID" sh -c 'for p in /proc/[0-9]*; do readlink $p/exe; done' </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" != *husk* ]]
	[[ "$output" != *runc* ]]
}

@test "exec: the container's masked and readonly paths hold for the process" {
	mkdir -p "$BUNDLE/rootfs/secretdir"
	echo secret >"$BUNDLE/rootfs/secretdir/file"
	cfg '.linux.maskedPaths += ["/secretdir", "/proc/keys"]'
	start_container
	run timeout 30 "$HUSK" --root "$HUSK_ROOT" exec "$CID" sh -c 'ls -A /secretdir | wc -l; cat /proc/keys | wc -c; echo 1 2>/dev/null > /proc/sys/kernel/domainname || echo procsys-ro' </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "0
0
procsys-ro" ]
}

@test "exec: the process's capabilities stay within the container's bounding set" {
	start_container
	run timeout 30 "$HUSK" --root "$HUSK_ROOT" exec "$CID" grep -E '^Cap(Bnd|Eff|Prm)' /proc/self/status </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	local bnd
	bnd=$(awk '/CapBnd/ {print $2}' /proc/"$PID"/status)
	[[ "$output" == *"CapBnd:	$bnd"* ]]
	[[ "$output" == *"CapEff:	$bnd"* ]]
	# CAP_SYS_ADMIN (21) and CAP_SYS_PTRACE (19) are not in it.
	[ $((16#$bnd & (1 << 21))) -eq 0 ]
	[ $((16#$bnd & (1 << 19))) -eq 0 ]
}

@test "exec: a container whose init died is not entered" {
	start_container
	kill -KILL "$PID"
	local i
	for ((i = 0; i < 100; i++)); do pid_alive "$PID" || break; sleep 0.05; done
	run timeout 30 "$HUSK" --root "$HUSK_ROOT" exec "$CID" true </dev/null
	echo "$output"
	[ "$status" -ne 0 ]
}
