#!/usr/bin/env bats
# `husk run --vm` on a host that cannot boot a Linux guest (no /dev/kvm, or
# PVM: no vmx/svm flag) fails at create with the reason, never runs the
# bundle as a container instead, and leaves nothing.  Runs directly on the
# host (not in the nested harness: it is about this host).

load helpers

setup() {
	if [ -c /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo; then
		skip "this host has hardware virtualization: --vm would run"
	fi
	setup_runtime_bundle sh -c 'echo ran-as-container > /tmp/evidence'
}

teardown() {
	teardown_bundle
}

assert_refused() {
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"no hardware virtualization"* ]]
	if [ -c /dev/kvm ]; then
		[[ "$output" == *"neither vmx nor svm"* ]]
	else
		[[ "$output" == *"/dev/kvm is missing"* ]]
	fi
	[[ "$output" == *"not run as a container instead"* ]]
	[ ! -e "$BUNDLE/rootfs/tmp/evidence" ]
	assert_no_leftovers "$CID"
}

@test "vm host: run --vm without hardware virtualization fails at create, says why, leaves nothing" {
	run husk run --vm "$CID"
	assert_refused
}

@test "vm host: create --vm refuses too; the annotation org.husk.vm=true selects the VM" {
	run husk create --vm "$CID"
	assert_refused
	cfg '.annotations["org.husk.vm"] = "true"'
	run husk run "$CID"
	assert_refused
}

@test "vm host: husk invoked as husk-vm runs bundles in VMs" {
	ln -s "$HUSK" "$TEST_TMP/husk-vm"
	run "$TEST_TMP/husk-vm" --root "$HUSK_ROOT" run "$CID"
	assert_refused
	# the same binary under its own name still runs containers
	run husk run "$CID"
	[ "$status" -eq 0 ]
	[ "$(cat "$BUNDLE/rootfs/tmp/evidence")" = ran-as-container ]
}
