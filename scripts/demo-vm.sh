#!/bin/sh
# `make demo-vm`: the busybox bundle of `make demo`, run with `husk run --vm`:
# same bundle, but in a microVM whose init is husk.  On a host without
# hardware virtualization it runs in the nested harness (tests/nested/run).
#   demo-vm.sh DIR
set -e
dir=$1
here=$(cd "$(dirname "$0")" && pwd)
husk=${HUSK:-$here/../build/husk}
export HUSK_VM_KERNEL=${HUSK_VM_KERNEL:-${BUILD:-$here/../build}/guest-kernel/vmlinux}
HUSK=$husk "$here/make-bundle.sh" "$dir" sh -c 'echo "Hello from inside a husk VM: kernel $(uname -r), $(nproc) vCPU, $(awk "/MemTotal/ {print int(\$2/1024)}" /proc/meminfo) MiB, hostname=$(hostname) pid=$$ uid=$(id -u)"; echo "root filesystem (the bundle over virtio-fs):"; ls /'
if [ -c /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo; then
	exec "$husk" --root "$dir/state" run --vm --bundle "$dir" "husk-demo-vm-$$"
fi
echo "# no hardware virtualization here: running in the nested harness (emulated, slow)"
exec "$here/../tests/nested/run" --rw "$dir" --timeout 900 \
	"$husk" run --vm --bundle "$dir" "husk-demo-vm-$$"
