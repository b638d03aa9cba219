#!/usr/bin/env bats
# husk vm boot with the test guests (tests/guests/): each guest checks what
# the boot protocol promised and drives the devices, then prints one TAP-ish
# line per check on the serial port and resets the VM through the i8042.

load helpers

GUESTS=${BUILD:-$REPO_ROOT/build}/tests/guests

setup() {
	[ -e /dev/kvm ] || skip "no /dev/kvm on this host"
	[ -f "$GUESTS/guest-bzimage" ] || skip "test guests not built (make test-artifacts)"
	VM_TMP=$(mktemp -d /tmp/husk-vmcore.XXXXXX)
	# A disk with random contents, and an initrd the guest checksums.
	head -c 1048576 /dev/urandom >"$VM_TMP/disk.img"
	head -c 6000 /dev/urandom >"$VM_TMP/initrd"
	DISK_SUM=$(head -c 4096 "$VM_TMP/disk.img" | cksum | cut -d' ' -f1)
	read -r INITRD_SUM INITRD_SIZE _ < <(cksum "$VM_TMP/initrd")
}

# A host peer for guest port 1234: husk's vsock device connects to PATH_1234.
start_vsock_peer() {
	/usr/bin/python3 "$BATS_TEST_DIRNAME/vm/vsock_echo.py" "$VM_TMP/vsock_1234" >"$VM_TMP/peer.out" &
	PEER_PID=$!
	for _ in $(seq 50); do [ -S "$VM_TMP/vsock_1234" ] && return 0; sleep 0.1; done
	return 1
}

teardown() {
	[ -n "${PEER_PID:-}" ] && kill "$PEER_PID" 2>/dev/null
	[ -n "${VM_TMP:-}" ] && rm -rf "$VM_TMP"
	true
}

# boot_guest KERNEL [EXTRA-CMDLINE] [husk args...]: everything the guest can check
boot_guest() {
	local kernel=$1 extra=${2:-}
	shift 2 || shift $#
	local cmdline="console=ttyS0 husk.guest=1 husk.mem=64 husk.cpus=2 husk.in=ping"
	cmdline+=" husk.initrd=$INITRD_SIZE,$INITRD_SUM husk.disk_sectors=2048 husk.disk_cksum=$DISK_SUM"
	cmdline+=" husk.vsock_cid=7 husk.vsock_port=1234 $extra"
	start_vsock_peer
	run bash -c 'printf ping | "$@"' _ "$HUSK" vm boot --kernel "$kernel" --initrd "$VM_TMP/initrd" \
		--memory 64 --cpus 2 --disk "$VM_TMP/disk.img" --vsock "7:$VM_TMP/vsock" \
		--cmdline "$cmdline" "$@"
}

assert_all_checks_pass() {
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"husk-guest: PASS"* ]]
	grep -q '^not ok' <<<"$output" && return 1
	# every device got its checks: blk, console, rng
	grep -q '^ok .* - virtio-blk: sector 8 reads back' <<<"$output"
	grep -q '^ok .* - virtio-rng: 32 random bytes' <<<"$output"
	grep -q '^husk-guest: hello through virtio-console' <<<"$output"
	grep -q '^ok .* - initrd: contents match the file' <<<"$output"
	grep -q '^ok .* - serial: console input arrives on RBR' <<<"$output"
	grep -q '^ok .* - virtio-vsock: the host peer.s echo comes back' <<<"$output"
	grep -q '^ok .* - virtio-vsock: connection closed' <<<"$output"
	grep -q '^ok .* - smp: APIC id 1 runs the SIPI trampoline' <<<"$output"
	# the guest's write reached the image file
	dd if="$VM_TMP/disk.img" bs=512 skip=8 count=1 2>/dev/null | grep -q 'husk-guest wrote this sector'
}

# The guest ran to its end (status 0, "husk-guest: PASS") and reported each
# CHECK as passed ("ok N - CHECK", CHECK a grep pattern).
guest_passed() { # CHECK...
	echo "$output"
	[ "$status" -eq 0 ] || return 1
	local check
	for check in "$@"; do
		grep -q "^ok .* - $check" <<<"$output" || { echo "not passed: $check"; return 1; }
	done
	[[ "$output" == *"husk-guest: PASS"* ]]
}

@test "vm boot: bzImage guest (64-bit entry) passes every check" {
	boot_guest "$GUESTS/guest-bzimage"
	assert_all_checks_pass
	grep -q '^husk-guest: 64-bit boot' <<<"$output"
}

@test "vm boot: ELF guest with a PVH note passes every check" {
	boot_guest "$GUESTS/guest-pvh.elf"
	assert_all_checks_pass
	grep -q '^husk-guest: PVH boot' <<<"$output"
}

@test "vm boot: ELF guest without PVH note takes the 64-bit entry" {
	boot_guest "$GUESTS/guest-elf64.elf"
	assert_all_checks_pass
	grep -q '^husk-guest: 64-bit boot' <<<"$output"
}

@test "vm boot: a guest check can fail (wrong initrd checksum is reported)" {
	INITRD_SUM=12345
	boot_guest "$GUESTS/guest-bzimage"
	echo "$output"
	[ "$status" -eq 0 ]
	grep -q '^not ok .* - initrd: contents match the file' <<<"$output"
	[[ "$output" == *"husk-guest: FAIL"* ]]
}

@test "vm boot: virtio-net on a tap in a private netns: the guest's ARP gets the host's reply" {
	command -v ip >/dev/null || skip "iproute2 not installed"
	[ -c /dev/net/tun ] || skip "no /dev/net/tun"
	run unshare -n bash -c 'ip link set lo up &&
		ip tuntap add dev husktap0 mode tap &&
		ip addr add 10.0.2.2/24 dev husktap0 &&
		ip link set husktap0 up &&
		exec "$0" vm boot --kernel "$1" --memory 16 --net tap=husktap0 \
			--cmdline "husk.guest=1 husk.net_ip=10.0.2.15 husk.net_peer=10.0.2.2" </dev/null' \
		"$HUSK" "$GUESTS/guest-bzimage"
	guest_passed 'virtio-net: the host answers through the tap (ARP reply)'
}

@test "vm boot: one vCPU, no devices, no initrd" {
	run "$HUSK" vm boot --kernel "$GUESTS/guest-bzimage" --memory 16 \
		--cmdline "husk.guest=1 husk.mem=16" </dev/null
	guest_passed 'initrd: none given, none announced' \
		'mptable: one processor entry per vCPU'
}

@test "vm boot: memory above 3 GiB is split around the MMIO hole" {
	run "$HUSK" vm boot --kernel "$GUESTS/guest-pvh.elf" --memory 4096 \
		--cmdline "husk.guest=1 husk.mem=4096" </dev/null
	guest_passed 'e820: RAM adds up to --memory'
}

@test "vm boot: --hugepages boots from the hugetlb pool, or says the pool is short" {
	local free
	free=$(awk '/^HugePages_Free/ {print $2}' /proc/meminfo)
	run "$HUSK" vm boot --kernel "$GUESTS/guest-bzimage" --memory 16 --hugepages \
		--cmdline "husk.guest=1 husk.mem=16" </dev/null
	echo "$output"
	if [ "${free:-0}" -ge 8 ]; then
		[ "$status" -eq 0 ]
		[[ "$output" == *"husk-guest: PASS"* ]]
	else
		[ "$status" -eq 1 ]
		[[ "$output" == *"in 2 MiB hugepages (is the pool big enough?"* ]]
	fi
	run "$HUSK" vm boot --kernel "$GUESTS/guest-bzimage" --memory 17 --hugepages </dev/null
	[ "$status" -eq 1 ]
	[[ "$output" == *"multiples of 2 MiB"* ]]
}

@test "vm boot: a triple fault stops the VM as a reset" {
	run "$HUSK" vm boot --kernel "$GUESTS/guest-bzimage" --memory 16 --trace \
		--cmdline "husk.guest=1 husk.end=triple" </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	grep -q 'vm: stopped: reset' <<<"$output"
	grep -q 'triple fault' <<<"$output"
}

@test "vm boot: SIGTERM stops a running guest cleanly (exit 2)" {
	"$HUSK" vm boot --kernel "$GUESTS/guest-bzimage" --memory 16 --trace \
		--cmdline "husk.guest=1 husk.end=hang" </dev/null >"$VM_TMP/out" 2>&1 &
	local pid=$!
	for _ in $(seq 50); do grep -q 'husk-guest: PASS' "$VM_TMP/out" && break; sleep 0.1; done
	vm_sigterm_stops "$pid" "$VM_TMP/out"
}

@test "vm boot: --console none keeps the guest's output off stdout" {
	run "$HUSK" vm boot --kernel "$GUESTS/guest-bzimage" --memory 16 --console none \
		--cmdline "husk.guest=1" </dev/null
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "vm boot: a console reader that goes away does not kill the monitor" {
	run bash -c '"$1" vm boot --kernel "$2" --memory 16 --trace --cmdline husk.guest=1 </dev/null \
		2>"$3" | head -1; echo "rc=${PIPESTATUS[0]}"' _ "$HUSK" "$GUESTS/guest-bzimage" "$VM_TMP/err"
	echo "$output"
	cat "$VM_TMP/err"
	[[ "$output" == *"rc=0"* ]]
	grep -q 'vm: stopped: reset' "$VM_TMP/err"
}

# husk vm boot refuses KERNEL: exit 1, and MESSAGE says why.
kernel_refused() { # KERNEL MESSAGE
	run "$HUSK" vm boot --kernel "$1" --memory 16
	echo "$output"
	[ "$status" -eq 1 ] || return 1
	[[ "$output" == *"$2"* ]]
}

@test "vm boot: missing kernel is a clear error" {
	kernel_refused "$VM_TMP/nope" "kernel $VM_TMP/nope: open: no such file or directory"
}

@test "vm boot: truncated bzImage is a clear error" {
	head -c 8192 "$GUESTS/guest-bzimage" >"$VM_TMP/short"
	kernel_refused "$VM_TMP/short" "bzImage truncated"
}

@test "vm boot: truncated ELF is a clear error" {
	head -c 3000 "$GUESTS/guest-pvh.elf" >"$VM_TMP/short.elf"
	kernel_refused "$VM_TMP/short.elf" "ELF truncated"
}

@test "vm boot: a file that is no kernel is a clear error" {
	echo "not a kernel" >"$VM_TMP/text"
	kernel_refused "$VM_TMP/text" "not a kernel image: neither ELF nor bzImage"
}

@test "vm boot: too little memory is a clear error" {
	run "$HUSK" vm boot --kernel "$GUESTS/guest-bzimage" --memory 4
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"--memory 4"*"memory too small"* ]]
	# a kernel whose init_size does not fit in the VM
	cp "$GUESTS/guest-bzimage" "$VM_TMP/big"
	printf '\x00\x00\x00\x10' | dd of="$VM_TMP/big" bs=1 seek=$((0x260)) conv=notrunc 2>/dev/null
	kernel_refused "$VM_TMP/big" "memory too small"
}

@test "vm boot: an old boot protocol is refused" {
	cp "$GUESTS/guest-bzimage" "$VM_TMP/old"
	printf '\x0a\x02' | dd of="$VM_TMP/old" bs=1 seek=$((0x206)) conv=notrunc 2>/dev/null
	kernel_refused "$VM_TMP/old" "boot protocol 2.10 is too old"
}

@test "vm boot: no /dev/kvm is a clear error" {
	command -v unshare >/dev/null || skip "no unshare"
	run unshare -m sh -c 'mount -t tmpfs none /dev && exec "$0" vm boot --kernel "$1" --memory 16' \
		"$HUSK" "$GUESTS/guest-bzimage"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"no /dev/kvm"* ]]
}

@test "vm boot: bad arguments are usage errors" {
	run "$HUSK" vm boot --memory 16
	[ "$status" -eq 1 ]
	[[ "$output" == *"--kernel FILE is required"* ]]
	run "$HUSK" vm boot --kernel x --console tty
	[ "$status" -eq 1 ]
	[[ "$output" == *"want stdio or none"* ]]
	run "$HUSK" vm boot --kernel x --net eth0
	[ "$status" -eq 1 ]
	[[ "$output" == *"want tap=NAME"* ]]
	run "$HUSK" vm frob
	[ "$status" -eq 1 ]
	[[ "$output" == *"unknown subcommand"* ]]
	run "$HUSK" vm boot --kernel "$GUESTS/guest-bzimage" --memory 16 --disk "$VM_TMP/none.img"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"--disk $VM_TMP/none.img"* ]]
}

@test "vm boot: --fs mistakes are clear errors before the guest runs" {
	run "$HUSK" vm boot --kernel "$GUESTS/guest-bzimage" --fs nocolon
	[ "$status" -eq 1 ]
	[[ "$output" == *"--fs nocolon: want TAG:DIR[,ro]"* ]]
	run "$HUSK" vm boot --kernel "$GUESTS/guest-bzimage" --memory 16 --fs "t:$VM_TMP/none" </dev/null
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"--fs t: virtio-fs: $VM_TMP/none: no such file or directory"* ]]
	run "$HUSK" vm boot --kernel "$GUESTS/guest-bzimage" --memory 16 --fs "t:$VM_TMP/disk.img" </dev/null
	[ "$status" -eq 1 ]
	[[ "$output" == *"$VM_TMP/disk.img is not a directory"* ]]
	run "$HUSK" vm boot --kernel "$GUESTS/guest-bzimage" --memory 16 \
		--fs "$(printf 't%.0s' {1..37}):$VM_TMP" </dev/null
	[ "$status" -eq 1 ]
	[[ "$output" == *"want 1 to 36 bytes"* ]]
	run "$HUSK" vm boot --kernel "$GUESTS/guest-bzimage" --memory 16 --fs "t:$VM_TMP" \
		--fs "t:$VM_TMP,ro" </dev/null
	[ "$status" -eq 1 ]
	[[ "$output" == *"tag t given twice"* ]]
}

@test "vm boot: a device that fails after the vCPU started stops the VM with its error" {
	# devices are created on the I/O thread while the boot vCPU runs
	run "$HUSK" vm boot --kernel "$GUESTS/guest-bzimage" --memory 16 \
		--vsock "3:$VM_TMP/no/such/dir/sock" --cmdline "husk.guest=1" </dev/null
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"--vsock 3:$VM_TMP/no/such/dir/sock: virtio-vsock: bind"* ]]
	[[ "$output" != *"husk-guest: PASS"* ]]
}
