#!/bin/sh
# Can this host run the VM tests directly?  Exit 0 when /dev/kvm works and
# /proc/cpuinfo shows hardware virtualization (vmx or svm); otherwise exit 1
# and say why on stdout: the VM tests then run inside tests/nested/run.
# A /dev/kvm without vmx/svm is PVM (kvm_pvm): guest ring 0 is emulated there,
# and a stock Linux kernel cannot boot.
if [ ! -c /dev/kvm ]; then
	echo "no /dev/kvm on this host"
	exit 1
fi
if ! grep -qwE 'vmx|svm' /proc/cpuinfo; then
	how="KVM without vmx/svm in /proc/cpuinfo"
	[ -d /sys/module/kvm_pvm ] && how="KVM is the kvm_pvm module (ring 0 emulated)"
	echo "no hardware virtualization: $how"
	exit 1
fi
if ! { : <>/dev/kvm; } 2>/dev/null; then
	echo "/dev/kvm cannot be opened read-write"
	exit 1
fi
exit 0
