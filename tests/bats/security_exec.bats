#!/usr/bin/env bats
# Process security for `husk exec`: identity (-u), capabilities, NNP, seccomp
# and the CVE classes that exec reaches (a leaked-fd cwd; overwriting husk
# through a #!/proc/self/exe binary the exec runs - the original 2019-5736
# vector).
bats_require_minimum_version 1.5.0
load helpers

setup() {
	setup_writable_bundle
	cfg '.process.args = ["sh", "-c", "trap \"exit 0\" TERM; while :; do sleep 0.05; done"]'
}

teardown() {
	teardown_bundle
}

start_ctr() {
	husk run -d "$CID" >/dev/null 2>&1 || { husk create "$CID" && husk start "$CID"; }
	wait_status "$CID" running
}

status_line() { printf '%s\n' "$output" | awk -v k="$1:" '$1 == k { $1 = ""; sub(/^ /, ""); gsub(/\t/, " "); print; exit }'; }

@test "exec -u: uid and gid as the kernel sees them" {
	start_ctr
	run husk exec -u 1:1 "$CID" cat /proc/self/status
	[ "$status" -eq 0 ]
	[ "$(status_line Uid)" = "1 1 1 1" ]
	[ "$(status_line Gid)" = "1 1 1 1" ]
	run husk exec -u 1000 "$CID" cat /proc/self/status
	[ "$status" -eq 0 ]
	[ "$(status_line Uid)" = "1000 1000 1000 1000" ]
}

@test "exec -u: (uid_t)-1 is refused, it would mean 'stay root'" {
	start_ctr
	for u in 4294967295 0:4294967295 4294967295:0; do
		run husk exec -u "$u" "$CID" sh -c 'echo RAN as $(id -u)'
		echo "$u: $status $output"
		[ "$status" -ne 0 ]
		[[ "$output" != *RAN* ]]
	done
}

@test "exec: capabilities, NNP and the container's seccomp reach the exec'd process" {
	cfg '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 42}]}
	     | .process.noNewPrivileges = false'
	start_ctr
	cat > "$TEST_TMP/process.json" <<'JSON'
{ "user": {"uid": 0, "gid": 0}, "cwd": "/", "args": ["sh", "-c", "grep -E '^(CapEff|CapBnd|NoNewPrivs|Seccomp):' /proc/self/status; mkdir /tmp/x; echo rc=$?"],
  "env": ["PATH=/bin:/usr/bin"], "noNewPrivileges": true,
  "capabilities": {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]} }
JSON
	run husk exec --process "$TEST_TMP/process.json" "$CID"
	[ "$status" -eq 0 ]
	[ "$(status_line CapEff)" = 0000000000000020 ]
	[ "$(status_line CapBnd)" = 0000000000000020 ]
	[ "$(status_line NoNewPrivs)" = 1 ]
	[ "$(status_line Seccomp)" = 2 ]
	[[ "$output" == *"No message of desired type"* ]]
}

@test "exec: --cwd through a leaked fd is refused (CVE-2024-21626)" {
	start_ctr
	exec 7</ 8</etc
	for n in 3 4 5 6 7 8 9; do
		run husk exec --cwd "/proc/self/fd/$n" "$CID" sh -c 'echo RAN in $(pwd)'
		echo "fd $n: $status $output"
		[ "$status" -ne 0 ]
		[[ "$output" != *RAN* ]]
	done
	exec 7<&- 8<&-
	run husk exec "$CID" sh -c 'ls /proc/self/fd | tr "\n" " "'
	[ "$status" -eq 0 ]
	[ "$output" = "0 1 2 3 " ]
}

@test "exec: a #!/proc/self/exe binary cannot overwrite husk (CVE-2019-5736)" {
	mkdir -p "$TEST_TMP/bin"
	cp "$HUSK" "$TEST_TMP/bin/husk"
	local hc=$TEST_TMP/bin/husk sha
	sha=$(sha256sum "$hc" | cut -d' ' -f1)
	# What the 2019 exploit did: the container replaces a binary the admin will
	# exec with "#!/proc/self/exe"; runc (here husk) becomes the interpreter
	# inside the container.  If husk is dynamic, the container offers its
	# loader and libraries (an attacker brings them anyway).
	local lib
	for lib in $(ldd "$hc" | awk '/=> \// {print $3} /^\t\/.*ld-linux/ {print $1}'); do
		mkdir -p "rootfs$(dirname "$lib")"
		cp -L "$lib" "rootfs$lib"
	done
	mkfifo rootfs/tmp/hold
	printf '#!/proc/self/exe --log=/tmp/hold\n' > rootfs/evil
	chmod +x rootfs/evil
	# pid 1 of the container is the attacker: it waits for the interpreter,
	# keeps its exe open, lets it go, then writes through the fd.
	cat > rootfs/attack.sh <<'SH'
#!/bin/sh
res=/tmp/result
: > $res
i=0
while [ $i -lt 4000 ]; do
	for d in /proc/[0-9]*; do
		c=$(tr '\0' ' ' < $d/cmdline 2>/dev/null)
		case "$c" in *"--log=/tmp/hold"*) ;; *) continue ;; esac
		if (exec 3< $d/exe) 2>/dev/null; then
			exec 3< $d/exe
			echo opened >> $res
			cat /tmp/hold > /dev/null &
			j=0
			while [ $j -lt 300 ]; do
				if (printf '#PWNED' >> /proc/self/fd/3) 2>> $res.err; then echo WROTE >> $res; exit 0; fi
				j=$((j + 1)); usleep 10000
			done
			echo GAVEUP >> $res; exit 0
		fi
	done
	i=$((i + 1)); usleep 5000
done
SH
	cfg '.process.args = ["sh", "/attack.sh"]'
	"$hc" --root "$HUSK_ROOT" create "$CID"
	"$hc" --root "$HUSK_ROOT" start "$CID"
	run "$hc" --root "$HUSK_ROOT" exec "$CID" /evil
	for _ in $(seq 400); do grep -qE "GAVEUP|WROTE" rootfs/tmp/result 2>/dev/null && break; sleep 0.02; done
	cat rootfs/tmp/result rootfs/tmp/result.err || true
	grep -q opened rootfs/tmp/result
	grep -q "Read-only file system" rootfs/tmp/result.err
	run ! grep -q WROTE rootfs/tmp/result
	[ "$(sha256sum "$hc" | cut -d' ' -f1)" = "$sha" ]
}
