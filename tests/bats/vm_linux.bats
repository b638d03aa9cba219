#!/usr/bin/env bats
# Real Linux guests through husk's monitor: the kernel from `make guest-kernel`
# (cached once per machine; HUSK_GUEST_KERNEL_DIR overrides where) with a
# busybox initramfs this file builds, whose /init is each test's script.
# Every virtio device is driven by Linux's own driver.
#
# Linux needs hardware virtualization: where /dev/kvm is missing or is PVM
# (no vmx/svm flag), `make check` and `make check-vm` run this suite inside
# the nested harness (tests/nested/run); run by hand there, it skips and says so.

load helpers

CMDLINE="console=ttyS0 reboot=k panic=-1 rdinit=/init quiet"

setup() {
	local why probe
	if ! why=$("$REPO_ROOT/tests/nested/host-kvm.sh"); then
		probe=$("$REPO_ROOT/tests/nested/probe.sh") || skip "$why; $probe"
		skip "$why: run it through tests/nested/run (make check-vm does)"
	fi
	KERNEL_DIR=${HUSK_GUEST_KERNEL_DIR:-$("$REPO_ROOT/vm-sandbox/guest-kernel/build.sh" --print-cache-dir)}
	[ -f "$KERNEL_DIR/bzImage" ] && [ -f "$KERNEL_DIR/vmlinux" ] ||
		skip "guest kernel not built in $KERNEL_DIR: run 'make guest-kernel'"
	command -v busybox >/dev/null || skip "busybox not installed"
	VM_TMP=$(mktemp -d /tmp/husk-vmlinux.XXXXXX)
}

teardown() {
	[ -n "${PEER_PID:-}" ] && kill "$PEER_PID" 2>/dev/null
	[ -n "${VM_TMP:-}" ] && rm -rf "$VM_TMP"
	true
}

# The guest's initramfs: busybox, the vsock client, and an /init that mounts
# proc, sysfs and devtmpfs, then runs SCRIPT (busybox sh).
make_initramfs() { # SCRIPT
	local root=$VM_TMP/root
	mkdir -p "$root"/{bin,proc,sys,dev}
	cp "$(command -v busybox)" "$root/bin/busybox"
	cp "$BUILD/tests/vsock-ping" "$root/bin/vsock-ping"
	{
		echo '#!/bin/busybox sh'
		echo '/bin/busybox --install -s /bin'
		echo 'mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs devtmpfs /dev'
		echo "$1"
	} >"$root/init"
	chmod +x "$root/init"
	(cd "$root" && find . | cpio -o -H newc --quiet) >"$VM_TMP/initramfs"
}

# boot KERNEL-FILE [husk vm boot args...]: boot the guest, wait for it to stop.
boot() {
	local kernel=$1
	shift
	run timeout -k 5 300 "$HUSK" vm boot --kernel "$KERNEL_DIR/$kernel" --initrd "$VM_TMP/initramfs" \
		--memory 256 --cmdline "$CMDLINE" --trace "$@" </dev/null
	echo "$output"
}

# The guest reaches userspace with N vCPUs and reboots: husk exits 0.
boots_with_cpus() { # KERNEL-FILE N
	make_initramfs 'echo "husk-linux-guest: $(uname -r), $(nproc) cpus, $(cut -d" " -f1 /proc/uptime) s"
		reboot -f'
	boot "$1" --cpus "$2"
	[ "$status" -eq 0 ]
	[[ "$output" == *"husk-linux-guest: 6.1."*", $2 cpus"* ]]
	grep -q 'vm: stopped: reset' <<<"$output"
}

@test "vm linux: bzImage, 1 vCPU, boots to userspace" {
	boots_with_cpus bzImage 1
}

@test "vm linux: bzImage, 2 vCPUs, boots to userspace" {
	boots_with_cpus bzImage 2
}

@test "vm linux: PVH vmlinux, 1 vCPU, boots to userspace" {
	boots_with_cpus vmlinux 1
}

@test "vm linux: PVH vmlinux, 2 vCPUs, boots to userspace" {
	boots_with_cpus vmlinux 2
}

@test "vm linux: virtio-blk: reads the image, writes reach the file, a read-only disk refuses writes" {
	head -c 1048576 /dev/urandom >"$VM_TMP/read.img"
	head -c 1048576 /dev/zero >"$VM_TMP/write.img"
	head -c 1048576 /dev/urandom >"$VM_TMP/ro.img"
	local read_sum ro_sum
	read_sum=$(md5sum <"$VM_TMP/read.img")
	ro_sum=$(md5sum <"$VM_TMP/ro.img")
	make_initramfs 'echo "vda: $(md5sum </dev/vda)"
		echo "vdb size: $(cat /sys/block/vdb/size) sectors"
		echo husk-linux-wrote-this | dd of=/dev/vdb bs=512 seek=5 conv=sync,notrunc,fsync 2>/dev/null &&
			echo "vdb: written"
		echo "vdc ro: $(cat /sys/block/vdc/ro)"
		if echo x | dd of=/dev/vdc bs=512 conv=sync,notrunc,fsync 2>/dev/null; then
			echo "vdc: written"
		else
			echo "vdc: write refused"
		fi
		reboot -f'
	boot bzImage --disk "$VM_TMP/read.img" --disk "$VM_TMP/write.img" --disk "$VM_TMP/ro.img,ro"
	[ "$status" -eq 0 ]
	[[ "$output" == *"vda: $read_sum"* ]]
	[[ "$output" == *"vdb size: 2048 sectors"* ]]
	[[ "$output" == *"vdb: written"* ]]
	[ "$(dd if="$VM_TMP/write.img" bs=512 skip=5 count=1 2>/dev/null | tr -d '\0')" = husk-linux-wrote-this ]
	[[ "$output" == *"vdc ro: 1"* ]]
	[[ "$output" == *"vdc: write refused"* ]]
	[ "$(md5sum <"$VM_TMP/ro.img")" = "$ro_sum" ]
}

@test "vm linux: virtio-console: a line written to hvc0 comes out on stdout" {
	make_initramfs 'echo "husk-hvc0-line from $(cat /sys/class/tty/hvc0/dev)" >/dev/hvc0
		reboot -f'
	boot bzImage
	[ "$status" -eq 0 ]
	[[ "$output" == *"husk-hvc0-line from 229:0"* ]]
}

@test "vm linux: virtio-rng: /dev/hwrng is virtio's and gives random bytes" {
	make_initramfs 'echo "rng: $(cat /sys/class/misc/hw_random/rng_current)"
		dd if=/dev/hwrng of=/a bs=64 count=1 2>/dev/null
		dd if=/dev/hwrng of=/b bs=64 count=1 2>/dev/null
		echo "hwrng: $(wc -c </a) bytes"
		cmp -s /a /b || echo "hwrng: two reads differ"
		reboot -f'
	boot bzImage
	[ "$status" -eq 0 ]
	[[ "$output" == *"rng: virtio_rng."* ]]
	[[ "$output" == *"hwrng: 64 bytes"* ]]
	[[ "$output" == *"hwrng: two reads differ"* ]]
}

@test "vm linux: virtio-vsock: a guest connection to the host reaches a UNIX socket and the echo comes back" {
	/usr/bin/python3 "$BATS_TEST_DIRNAME/vm/vsock_echo.py" "$VM_TMP/vsock_1234" >/dev/null &
	PEER_PID=$!
	for _ in $(seq 100); do [ -S "$VM_TMP/vsock_1234" ] && break; sleep 0.1; done
	local word=husk-vsock-$RANDOM
	make_initramfs "echo \"echoed: \$(vsock-ping 1234 $word)\"
		reboot -f"
	boot bzImage --vsock "3:$VM_TMP/vsock"
	[ "$status" -eq 0 ]
	[[ "$output" == *"echoed: $word"* ]]
}

@test "vm linux: virtio-net on a tap: the host side answers the guest's ARP and ping" {
	command -v ip >/dev/null || skip "iproute2 not installed"
	[ -c /dev/net/tun ] || skip "no /dev/net/tun"
	make_initramfs 'ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0
		ping -c 2 -W 10 10.0.2.2 | grep -E "packets|bytes from"
		echo "neighbour: $(ip neigh show 10.0.2.2)"
		reboot -f'
	# The tap lives in a private network namespace: it goes with the namespace.
	run unshare -n bash -c 'ip link set lo up &&
		ip tuntap add dev husktap0 mode tap &&
		ip addr add 10.0.2.2/24 dev husktap0 &&
		ip link set husktap0 up &&
		exec timeout -k 5 300 "$0" vm boot --kernel "$1" --initrd "$2" --memory 256 \
			--net tap=husktap0 --cmdline "$3" </dev/null' \
		"$HUSK" "$KERNEL_DIR/bzImage" "$VM_TMP/initramfs" "$CMDLINE"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"bytes from 10.0.2.2"* ]]
	[[ "$output" == *"2 packets transmitted, 2 packets received"* ]]
	[[ "$output" =~ neighbour:\ 10.0.2.2\ dev\ eth0\ lladdr\ ([0-9a-f]{2}:){5}[0-9a-f]{2} ]]
}

# How a guest stops.  Reboot (the i8042 reset with reboot=k) ends the VM with
# status 0 (see the boot tests above).  The guest kernel has no ACPI, so
# Linux's poweroff has no way to tell the monitor: it halts every CPU with
# interrupts off, and the monitor runs until it gets a signal.
@test "vm linux: poweroff halts the guest; SIGTERM then stops the monitor with exit 2" {
	make_initramfs 'echo husk-linux-guest: powering off
		poweroff -f'
	"$HUSK" vm boot --kernel "$KERNEL_DIR/bzImage" --initrd "$VM_TMP/initramfs" --memory 256 \
		--cmdline "$CMDLINE" --trace </dev/null >"$VM_TMP/out" 2>&1 &
	local pid=$!
	for _ in $(seq 600); do grep -q 'reboot: System halted' "$VM_TMP/out" && break; sleep 0.2; done
	grep -q 'reboot: System halted' "$VM_TMP/out"
	kill -0 "$pid"
	vm_sigterm_stops "$pid" "$VM_TMP/out"
}

@test "vm linux: SIGTERM stops a running guest (exit 2)" {
	make_initramfs 'echo husk-linux-guest: running
		while :; do sleep 1; done'
	"$HUSK" vm boot --kernel "$KERNEL_DIR/vmlinux" --cpus 2 --initrd "$VM_TMP/initramfs" --memory 256 \
		--cmdline "$CMDLINE" --trace </dev/null >"$VM_TMP/out" 2>&1 &
	local pid=$!
	for _ in $(seq 600); do grep -q 'husk-linux-guest: running' "$VM_TMP/out" && break; sleep 0.2; done
	grep -q 'husk-linux-guest: running' "$VM_TMP/out"
	vm_sigterm_stops "$pid" "$VM_TMP/out"
}

# panic=-1: a panicking kernel restarts at once, through the same reset as a
# reboot (the monitor has no pvpanic device to tell them apart): status 0,
# and the panic is on the console.
@test "vm linux: a guest panic (init exits) resets the VM, with the panic on the console" {
	make_initramfs 'echo husk-linux-guest: init exits
		exit 3'
	boot bzImage
	[ "$status" -eq 0 ]
	[[ "$output" == *"Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000300"* ]]
	grep -q 'vm: stopped: reset' <<<"$output"
}
