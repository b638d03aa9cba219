#!/usr/bin/env bats
# linux.seccomp on real containers: the errno a filtered call returns, the
# signal a killed one dies of, Seccomp: in /proc/self/status, and the
# listenerPath hand-off to an agent.
load helpers

AGENT=${BUILD:-$REPO_ROOT/build}/tests/security/notify_agent

setup() { setup_writable_bundle; }

teardown() {
	[ -n "${agent_pid:-}" ] && kill "$agent_pid" 2>/dev/null
	teardown_bundle
}

seccomp() { # jq object for linux.seccomp
	cfg ".linux.seccomp = $1"
}

@test "seccomp: an ERRNO rule with errnoRet, and Seccomp: 2" {
	seccomp '{defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
		  syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 42}]}'
	in_ctr 'grep ^Seccomp: /proc/self/status; mkdir /tmp/blocked; echo "rc=$?"'
	[ "$status" -eq 0 ]
	[[ "$output" == *"Seccomp:"*2* ]]
	# errno 42 is ENOMSG
	[[ "$output" == *"No message of desired type"* ]]
	[[ "$output" == *"rc=1"* ]]
	[ ! -e rootfs/tmp/blocked ]
}

@test "seccomp: args with MASKED_EQ select what is blocked" {
	# open(2) with O_TRUNC (01000) in its flags is refused, without it allowed
	seccomp '{defaultAction: "SCMP_ACT_ALLOW",
		  syscalls: [{names: ["open"], action: "SCMP_ACT_ERRNO", errnoRet: 1,
			      args: [{index: 1, value: 512, valueTwo: 512, op: "SCMP_CMP_MASKED_EQ"}]},
			     {names: ["openat"], action: "SCMP_ACT_ERRNO", errnoRet: 1,
			      args: [{index: 2, value: 512, valueTwo: 512, op: "SCMP_CMP_MASKED_EQ"}]}]}'
	in_ctr 'echo x > /tmp/a; echo "a=$?"; echo x >> /tmp/b; echo "b=$?"'
	[ "$status" -eq 0 ]
	[[ "$output" == *"a=1"* ]] || [[ "$output" == *"a=2"* ]]
	[[ "$output" == *"b=0"* ]]
	[ ! -e rootfs/tmp/a ]
	[ -f rootfs/tmp/b ]
}

@test "seccomp: KILL_PROCESS ends the container with SIGSYS" {
	seccomp '{defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["uname"], action: "SCMP_ACT_KILL_PROCESS"}]}'
	cfg '.process.args = ["uname"]'
	run husk run "$CID"
	[ "$status" -eq 159 ]
}

@test "seccomp: TRAP raises SIGSYS, TRACE without tracer gives ENOSYS, LOG allows" {
	seccomp '{defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["uname"], action: "SCMP_ACT_TRAP"}]}'
	cfg '.process.args = ["uname"]'
	run husk run "$CID"
	[ "$status" -eq 159 ]
	seccomp '{defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_TRACE"}]}'
	in_ctr 'mkdir /tmp/t; echo "rc=$?"'
	[[ "$output" == *"not implemented"* ]] || [[ "$output" == *"Function not implemented"* ]]
	seccomp '{defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_LOG"}]}'
	in_ctr 'mkdir /tmp/logged && echo made'
	[ "$status" -eq 0 ]
	[[ "$output" == *made* ]]
}

@test "seccomp: without noNewPrivileges and without CAP_SYS_ADMIN" {
	# Docker's usual shape.  Loading needs CAP_SYS_ADMIN then; the container must
	# still not end up with it.
	cfg '.process.noNewPrivileges = false'
	seccomp '{defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO"}]}'
	in_ctr 'grep -E "^(CapEff|CapPrm|NoNewPrivs|Seccomp):" /proc/self/status; mkdir /tmp/x; echo "rc=$?"'
	[ "$status" -eq 0 ]
	[[ "$output" == *"NoNewPrivs:"*0* ]]
	[[ "$output" == *"Seccomp:"*2* ]]
	[[ "$output" == *"rc=1"* ]]
	eff=$(printf '%s\n' "$output" | awk '/^CapEff/ {print $2}')
	[ $(( 0x$eff >> 21 & 1 )) -eq 0 ]
}

@test "seccomp: unknown syscall names are skipped with a warning" {
	seccomp '{defaultAction: "SCMP_ACT_ALLOW",
		  syscalls: [{names: ["husk_no_such_call", "mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 42}]}'
	in_ctr 'mkdir /tmp/x; echo "rc=$?"'
	[ "$status" -eq 0 ]
	[[ "$output" == *husk_no_such_call* ]]
	[[ "$output" == *"rc=1"* ]]
}

@test "seccomp: an unknown action or architecture is an error" {
	seccomp '{defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["mkdir"], action: "SCMP_ACT_MAYBE"}]}'
	refused_before_run SCMP_ACT_MAYBE
	seccomp '{defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_PDP11"]}'
	refused_before_run SCMP_ARCH_PDP11
}

@test "seccomp: flags are accepted and applied" {
	seccomp '{defaultAction: "SCMP_ACT_ALLOW",
		  flags: ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"],
		  syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO"}]}'
	in_ctr 'mkdir /tmp/x; echo "rc=$?"'
	[ "$status" -eq 0 ]
	[[ "$output" == *"rc=1"* ]]
}

start_agent() { # SYSCALL ERRNO ...
	sock=$TEST_TMP/agent.sock
	statef=$TEST_TMP/agent.state
	"$AGENT" "$sock" "$statef" "$@" 3>&- &
	agent_pid=$!
	for _ in $(seq 100); do [ -S "$sock" ] && return 0; sleep 0.02; done
	echo "agent did not start"
	return 1
}

@test "seccomp: SCMP_ACT_NOTIFY hands the fd and the state to listenerPath" {
	[ -x "$AGENT" ] || skip "notify agent not built ($AGENT)"
	start_agent mkdir 13 mkdirat 13
	# sendmsg, fcntl, write and futex are sent to the agent too: if husk made any
	# of those calls after loading the filter, before the agent had the fd, the
	# container would hang here.
	seccomp "{defaultAction: \"SCMP_ACT_ALLOW\", listenerPath: \"$sock\", listenerMetadata: \"husk-meta\",
		  flags: [\"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\"],
		  syscalls: [{names: [\"mkdir\", \"mkdirat\", \"sendmsg\", \"fcntl\", \"futex\", \"write\", \"close\"],
			      action: \"SCMP_ACT_NOTIFY\"}]}"
	in_ctr 'mkdir /tmp/n; echo "rc=$?"'
	[ "$status" -eq 0 ]
	[[ "$output" == *"Permission denied"* ]]
	[[ "$output" == *"rc=1"* ]]
	wait "$agent_pid" || true
	agent_pid=
	state=$(head -n1 "$statef")
	grep -q '^fd=yes$' "$statef"
	[ "$(jq -r '.fds[0]' <<<"$state")" = seccompFd ]
	[ "$(jq -r '.metadata' <<<"$state")" = husk-meta ]
	[ "$(jq -r '.state.id' <<<"$state")" = "$CID" ]
	[ "$(jq -r '.state.status' <<<"$state")" = creating ]
	[ "$(jq -r '.state.bundle' <<<"$state")" = "$BUNDLE" ]
	[ "$(jq -r '.pid' <<<"$state")" -gt 1 ]
	grep -qx mkdir "$statef.log" || grep -qx mkdirat "$statef.log"
}

@test "seccomp: NOTIFY without a listener is refused before the container runs" {
	seccomp "{defaultAction: \"SCMP_ACT_ALLOW\", listenerPath: \"$TEST_TMP/nobody.sock\",
		  syscalls: [{names: [\"mkdir\"], action: \"SCMP_ACT_NOTIFY\"}]}"
	in_ctr 'echo RAN'
	[ "$status" -ne 0 ]
	[[ "$output" == *nobody.sock* ]]
	[[ "$output" != *RAN* ]]
}

@test "seccomp: a cached compiled filter behaves like a fresh one" {
	seccomp '{defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
		  syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 42}]}'
	in_ctr 'mkdir /tmp/c1; echo "rc=$?"'
	[ "$status" -eq 0 ]
	[[ "$output" == *"No message of desired type"* ]]
	# The entry is there, root's, private.
	[ "$(find "$HUSK_ROOT/.seccomp-cache" -name '*.bpf' -user root -perm 600 | wc -l)" -eq 1 ]
	in_ctr 'mkdir /tmp/c2; echo "rc=$?"; grep ^Seccomp: /proc/self/status'
	[ "$status" -eq 0 ]
	[[ "$output" == *"No message of desired type"* ]]
	[[ "$output" == *"Seccomp:"*2* ]]
	[ ! -e rootfs/tmp/c2 ]
	# A different profile gets its own entry and its own behaviour.
	seccomp '{defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 13}]}'
	in_ctr 'mkdir /tmp/c3; echo "rc=$?"'
	[[ "$output" == *"Permission denied"* ]]
	[ "$(find "$HUSK_ROOT/.seccomp-cache" -name '*.bpf' | wc -l)" -eq 2 ]
}
