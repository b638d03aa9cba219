#!/usr/bin/env bats
# `husk features` reports what husk really supports: every seccomp action,
# operator, arch and flag it lists is accepted by a real container, and the
# LSM and capability entries match the host.
load helpers

setup() {
	setup_writable_bundle
	cfg '.process.args = ["true"]'
	run husk features
	[ "$status" -eq 0 ]
	FEATURES=$output
}

teardown() {
	teardown_bundle
}

feat() { jq -r "$1" <<<"$FEATURES"; }

@test "features: a valid document with the seccomp and LSM sections" {
	[ "$(feat .ociVersionMax)" = 1.2.0 ]
	[ "$(feat .linux.seccomp.enabled)" = true ]
	[ "$(feat '.annotations["io.github.seccomp.libseccomp.version"]')" = \
	  "$(pkg-config --modversion libseccomp 2>/dev/null || feat '.annotations["io.github.seccomp.libseccomp.version"]')" ]
	aa=false
	[ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ] && aa=true
	[ "$(feat .linux.apparmor.enabled)" = "$aa" ]
	se=false
	[ -e /sys/fs/selinux/enforce ] && se=true
	[ "$(feat .linux.selinux.enabled)" = "$se" ]
}

@test "features: capabilities are the kernel's, by number" {
	last=$(cat /proc/sys/kernel/cap_last_cap)
	[ "$(feat '.linux.capabilities | length')" -eq $((last + 1)) ]
	[ "$(feat '.linux.capabilities[0]')" = CAP_CHOWN ]
	[ "$(feat '.linux.capabilities[21]')" = CAP_SYS_ADMIN ]
}

# A container runs with linux.seccomp = PROFILE (a jq object, $v in it) for
# every value V the features document lists at QUERY.
runs_with_each() { # QUERY PROFILE
	local v
	for v in $(feat "$1"); do
		cfg --arg v "$v" ".linux.seccomp = $2"
		run husk run "$CID"
		echo "$v: $status $output"
		[ "$status" -eq 0 ] || return 1
	done
}

@test "features: every listed seccomp action runs in a container" {
	# SCMP_ACT_NOTIFY needs an agent: security_seccomp.bats
	runs_with_each '.linux.seccomp.actions[] | select(. != "SCMP_ACT_NOTIFY")' \
		'{defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["reboot"], action: $v}]}'
}

@test "features: every listed operator, arch and supported flag runs in a container" {
	runs_with_each '.linux.seccomp.operators[]' '{defaultAction: "SCMP_ACT_ALLOW",
		syscalls: [{names: ["reboot"], action: "SCMP_ACT_ERRNO",
			     args: [{index: 0, value: 1, valueTwo: 1, op: $v}]}]}'
	runs_with_each '.linux.seccomp.archs[]' '{defaultAction: "SCMP_ACT_ALLOW", architectures: [$v],
		syscalls: [{names: ["reboot"], action: "SCMP_ACT_ERRNO"}]}'
	runs_with_each '.linux.seccomp.supportedFlags[]' '{defaultAction: "SCMP_ACT_ALLOW", flags: [$v],
		syscalls: [{names: ["reboot"], action: "SCMP_ACT_ERRNO"}]}'
}

@test "features: an arch it does not list is refused" {
	cfg '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_VAX"]}'
	run husk run "$CID"
	[ "$status" -ne 0 ]
	[ -z "$(feat '.linux.seccomp.archs[]' | grep -x SCMP_ARCH_VAX)" ]
}
