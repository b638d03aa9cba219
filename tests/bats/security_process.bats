#!/usr/bin/env bats
# rlimits, oomScoreAdj, scheduler, ioPriority, personality of a real container,
# each read back through the kernel (/proc/self/*, syscalls of busybox tools).
load helpers

setup() { setup_writable_bundle; }
teardown() { teardown_bundle; }

@test "rlimits: soft and hard as /proc/self/limits shows them" {
	cfg '.process.rlimits = [{type: "RLIMIT_NOFILE", soft: 123, hard: 456},
				 {type: "RLIMIT_CORE", soft: 0, hard: 1048576},
				 {type: "RLIMIT_NPROC", soft: 777, hard: 888}]'
	in_ctr 'grep -E "^Max (open files|core file size|processes)" /proc/self/limits'
	[ "$status" -eq 0 ]
	[[ "$output" == *"Max open files"*123*456* ]]
	[[ "$output" == *"Max core file size"*0*1048576* ]]
	[[ "$output" == *"Max processes"*777*888* ]]
}

@test "rlimits: an unknown type and soft above hard are errors" {
	cfg '.process.rlimits = [{type: "RLIMIT_NOFILE", soft: 10, hard: 5}]'
	in_ctr true
	[ "$status" -ne 0 ]
	[[ "$output" == *rlimits* ]]
	cfg '.process.rlimits = [{type: "RLIMIT_WINGS", soft: 1, hard: 1}]'
	in_ctr true
	[ "$status" -ne 0 ]
	[[ "$output" == *RLIMIT_WINGS* ]]
}

@test "oomScoreAdj" {
	cfg '.process.oomScoreAdj = 456'
	in_ctr 'cat /proc/self/oom_score_adj'
	[ "$status" -eq 0 ]
	[ "$output" = 456 ]
}

@test "scheduler: SCHED_BATCH with nice, from /proc/self/stat" {
	cfg '.process.scheduler = {policy: "SCHED_BATCH", nice: 7}'
	in_ctr 'cut -d" " -f19,41 /proc/self/stat'
	[ "$status" -eq 0 ]
	[ "$output" = "7 3" ]
}

@test "scheduler: SCHED_IDLE" {
	cfg '.process.scheduler = {policy: "SCHED_IDLE"}'
	in_ctr 'cut -d" " -f41 /proc/self/stat'
	[ "$status" -eq 0 ]
	[ "$output" = 5 ]
}

@test "scheduler: SCHED_FIFO priority" {
	cfg '.process.scheduler = {policy: "SCHED_FIFO", priority: 5}'
	in_ctr 'cut -d" " -f40,41 /proc/self/stat'
	if [ "$status" -ne 0 ] && [[ "$output" == *realtimeRuntime* ]]; then
		skip "the container's cgroup v1 has no real-time runtime (RT group scheduling): $output"
	fi
	[ "$status" -eq 0 ]
	[ "$output" = "5 1" ]
}

@test "scheduler: an invalid combination is an error" {
	cfg '.process.scheduler = {policy: "SCHED_OTHER", priority: 5}'
	in_ctr true
	[ "$status" -ne 0 ]
	[[ "$output" == *priority* ]]
}

@test "ioPriority" {
	cfg '.process.ioPriority = {class: "IOPRIO_CLASS_BE", priority: 6}'
	in_ctr 'ionice -p $$'
	[ "$status" -eq 0 ]
	[[ "$output" == *"best-effort"*6* ]]
	cfg '.process.ioPriority = {class: "IOPRIO_CLASS_IDLE", priority: 0}'
	in_ctr 'ionice -p $$'
	[ "$status" -eq 0 ]
	[[ "$output" == *idle* ]]
}

@test "personality: LINUX32 makes uname say i686" {
	[ "$(uname -m)" = x86_64 ] || skip "not an x86_64 host"
	cfg '.linux.personality = {domain: "LINUX32"}'
	in_ctr 'uname -m'
	[ "$status" -eq 0 ]
	[[ "$output" == i?86 ]]
	cfg '.linux.personality = {domain: "LINUX"}'
	in_ctr 'uname -m'
	[ "$output" = x86_64 ]
}

@test "memoryPolicy: an invalid one is refused before the container runs" {
	cfg '.linux.memoryPolicy = {mode: "MPOL_BIND", nodes: "x"}'
	refused_before_run memoryPolicy
	cfg '.linux.memoryPolicy = {mode: "MPOL_BIND", nodes: "0"}'
	in_ctr 'echo RAN'
	[ "$status" -eq 0 ]
	[ "$output" = RAN ]
}

@test "apparmorProfile and selinuxLabel fail clearly when the LSM is off" {
	if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ]; then
		skip "AppArmor is enabled on this host"
	fi
	cfg '.process.apparmorProfile = "husk-test"'
	in_ctr 'echo RAN'
	[ "$status" -ne 0 ]
	[[ "$output" == *"apparmor is not enabled"* ]]
	[[ "$output" != *RAN* ]]
	if [ -d /sys/fs/selinux ] && [ -e /sys/fs/selinux/enforce ]; then
		return 0
	fi
	cfg 'del(.process.apparmorProfile) | .process.selinuxLabel = "system_u:system_r:container_t:s0"'
	in_ctr 'echo RAN'
	[ "$status" -ne 0 ]
	[[ "$output" == *"selinux is not enabled"* ]]
}
