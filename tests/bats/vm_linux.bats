#!/usr/bin/env bats
# A real Linux guest: the kernel from `make guest-kernel` (build/guest-kernel)
# with an initramfs whose /init prints a line and reboots (reboot=k: the
# i8042 reset, which stops the VM).  Linux needs hardware virtualization:
# where KVM's ring 0 is emulated (PVM, no vmx/svm flag), a stock kernel dies
# on cmpxchg16b/xrstor/int3, so the test skips and says why.

load helpers

KERNEL_DIR=${BUILD:-$REPO_ROOT/build}/guest-kernel

setup() {
	[ -e /dev/kvm ] || skip "no /dev/kvm on this host"
	if ! grep -qwE 'vmx|svm' /proc/cpuinfo; then
		local how="KVM without vmx/svm"
		[ -d /sys/module/kvm_pvm ] && how="KVM is the kvm_pvm module (ring 0 emulated)"
		skip "no hardware virtualization: no vmx/svm flag in /proc/cpuinfo; $how, a stock Linux kernel cannot boot here"
	fi
	[ -f "$KERNEL_DIR/bzImage" ] || skip "guest kernel not built: run 'make guest-kernel'"
	command -v busybox >/dev/null || skip "busybox not installed"
	VM_TMP=$(mktemp -d /tmp/husk-vmlinux.XXXXXX)
	mkdir -p "$VM_TMP/root/bin"
	cp "$(command -v busybox)" "$VM_TMP/root/bin/busybox"
	cat >"$VM_TMP/root/init" <<-'INIT'
	#!/bin/busybox sh
	/bin/busybox echo "husk-linux-guest: hello from $(/bin/busybox uname -r)"
	/bin/busybox reboot -f
	INIT
	chmod +x "$VM_TMP/root/init"
	(cd "$VM_TMP/root" && find . | cpio -o -H newc --quiet) >"$VM_TMP/initramfs"
}

teardown() {
	[ -n "${VM_TMP:-}" ] && rm -rf "$VM_TMP"
	true
}

@test "vm linux: the guest kernel boots (bzImage) and powers off" {
	run timeout 120 "$HUSK" vm boot --kernel "$KERNEL_DIR/bzImage" --initrd "$VM_TMP/initramfs" \
		--memory 256 --cmdline "console=ttyS0 reboot=k panic=-1 rdinit=/init" </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"husk-linux-guest: hello from 6.1"* ]]
}

@test "vm linux: the guest kernel boots through PVH (vmlinux)" {
	run timeout 120 "$HUSK" vm boot --kernel "$KERNEL_DIR/vmlinux" --initrd "$VM_TMP/initramfs" \
		--memory 256 --cmdline "console=ttyS0 reboot=k panic=-1 rdinit=/init" </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"husk-linux-guest: hello from 6.1"* ]]
}
