#!/usr/bin/env bats
# `husk features` reports what husk really supports: every seccomp action,
# operator, arch and flag it lists is accepted by a real container, and the
# LSM and capability entries match the host.
load helpers

setup() {
	setup_bundle
	cd "$BUNDLE"
	cfg '.root.readonly = false | .process.args = ["true"]'
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

@test "features: every listed seccomp action runs in a container" {
	for a in $(feat '.linux.seccomp.actions[]'); do
		extra=
		[ "$a" = SCMP_ACT_NOTIFY ] && continue # needs an agent: security_seccomp.bats
		cfg --arg a "$a" '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
			syscalls: [{names: ["reboot"], action: $a}]}'
		run husk run "$CID"
		echo "$a: $status $output"
		[ "$status" -eq 0 ]
	done
}

@test "features: every listed operator, arch and supported flag runs in a container" {
	for op in $(feat '.linux.seccomp.operators[]'); do
		cfg --arg op "$op" '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
			syscalls: [{names: ["reboot"], action: "SCMP_ACT_ERRNO",
				     args: [{index: 0, value: 1, valueTwo: 1, op: $op}]}]}'
		run husk run "$CID"
		echo "$op: $status $output"
		[ "$status" -eq 0 ]
	done
	for arch in $(feat '.linux.seccomp.archs[]'); do
		cfg --arg a "$arch" '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", architectures: [$a],
			syscalls: [{names: ["reboot"], action: "SCMP_ACT_ERRNO"}]}'
		run husk run "$CID"
		echo "$arch: $status $output"
		[ "$status" -eq 0 ]
	done
	for f in $(feat '.linux.seccomp.supportedFlags[]'); do
		cfg --arg f "$f" '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", flags: [$f],
			syscalls: [{names: ["reboot"], action: "SCMP_ACT_ERRNO"}]}'
		run husk run "$CID"
		echo "$f: $status $output"
		[ "$status" -eq 0 ]
	done
}

@test "features: an arch it does not list is refused" {
	cfg '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_VAX"]}'
	run husk run "$CID"
	[ "$status" -ne 0 ]
	[ -z "$(feat '.linux.seccomp.archs[]' | grep -x SCMP_ARCH_VAX)" ]
}
