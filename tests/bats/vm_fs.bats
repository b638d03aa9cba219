#!/usr/bin/env bats
# virtio-fs with a real Linux guest: husk's guest kernel mounts two host
# directories (`husk vm boot --fs`), a read-write one and a read-only one,
# does file operations and tries to get out; the host then checks what
# happened in the directories, and that nothing next to them changed.
# One boot serves every test here (setup_file): each test reads its part of
# the guest's output and the host's view.
#
# Linux needs hardware virtualization: where /dev/kvm is missing or is PVM,
# `make check` runs this suite inside the nested harness (tests/nested/run);
# run by hand there, it skips and says so.

load helpers

CMDLINE="console=ttyS0 reboot=k panic=-1 rdinit=/init quiet"

# The guest's side: busybox sh, one line per result.
GUEST_SCRIPT='
mkdir -p /mnt/rw /mnt/ro
mount -t virtiofs rw /mnt/rw && echo "fs: mounted rw"
mount -t virtiofs ro /mnt/ro && echo "fs: mounted ro"
cd /mnt/rw || exit
echo "fs: host file says $(cat host.txt)"
echo hello-from-the-guest >new.txt && echo "fs: created"
mkdir dir && echo "fs: mkdir"
mv new.txt dir/moved.txt && echo "fs: renamed"
ln -s dir/moved.txt link && echo "fs: symlink reads $(cat link)"
ln dir/moved.txt hard && echo "fs: hard link count $(stat -c %h hard)"
chmod 640 dir/moved.txt && echo "fs: chmod $(stat -c %a dir/moved.txt)"
echo 0123456789 >trunc.txt && truncate -s 4 trunc.txt && echo "fs: truncated to $(stat -c %s trunc.txt)"
rm unlink-me && echo "fs: unlinked"
mkdir gone && rmdir gone && echo "fs: rmdir"
echo "fs: listing $(ls | tr "\n" " ")"
# Escapes: each line says whether the guest got out.
cat /mnt/rw/../outside/secret 2>/dev/null && echo "escape: dotdot READ THE SECRET" || echo "escape: dotdot stays in the guest view"
cd /mnt/rw && cd .. && cd .. && ls outside >/dev/null 2>&1 && echo "escape: cd up FOUND outside" || echo "escape: cd up finds nothing"
cd /mnt/rw
echo "escape: host symlink to /etc resolves in the guest: $(cat hostetc/husk-guest-marker 2>&1)"
cat up 2>/dev/null && echo "escape: relative symlink READ THE SECRET" || echo "escape: relative symlink stays in the guest view"
ln /etc/husk-guest-marker /mnt/rw/guest-link 2>/dev/null && echo "escape: cross-fs hard link MADE" || echo "escape: cross-fs hard link refused"
mknod /mnt/rw/null c 1 3 2>/dev/null && echo "escape: mknod MADE A DEVICE" || echo "escape: mknod refused"
mknod /mnt/rw/fifo p && echo "fs: mknod fifo"
# The read-only share.
echo "ro: reads $(cat /mnt/ro/file.txt)"
echo x >/mnt/ro/file.txt 2>/dev/null && echo "ro: WROTE" || echo "ro: write refused"
touch /mnt/ro/new 2>/dev/null && echo "ro: CREATED" || echo "ro: create refused"
rm /mnt/ro/file.txt 2>/dev/null && echo "ro: REMOVED" || echo "ro: remove refused"
mkdir /mnt/ro/d 2>/dev/null && echo "ro: MKDIR" || echo "ro: mkdir refused"
cd /
sync
umount /mnt/rw && umount /mnt/ro && echo "fs: unmounted"
reboot -f
'

setup_file() {
	local why
	if ! why=$("$REPO_ROOT/tests/nested/host-kvm.sh"); then
		export SKIP_WHY="$why: run it through tests/nested/run (make check does)"
		return 0
	fi
	KERNEL_DIR=${HUSK_GUEST_KERNEL_DIR:-$("$REPO_ROOT/vm-sandbox/guest-kernel/build.sh" --print-cache-dir)}
	if [ ! -f "$KERNEL_DIR/bzImage" ]; then
		export SKIP_WHY="guest kernel not built in $KERNEL_DIR: run 'make guest-kernel'"
		return 0
	fi
	if ! command -v busybox >/dev/null; then
		export SKIP_WHY="busybox not installed"
		return 0
	fi
	export FS_TMP
	FS_TMP=$(mktemp -d /tmp/husk-vmfs.XXXXXX)
	local share=$FS_TMP/share ro=$FS_TMP/ro root=$FS_TMP/root
	mkdir -p "$share" "$ro" "$FS_TMP/outside" "$root"/{bin,proc,sys,dev,etc,mnt}
	echo secret >"$FS_TMP/outside/secret"
	echo from-the-host >"$share/host.txt"
	echo doomed >"$share/unlink-me"
	ln -s /etc "$share/hostetc"
	ln -s ../outside/secret "$share/up"
	echo read-only-data >"$ro/file.txt"
	# The initramfs: busybox and a marker only the guest's /etc has.
	cp "$(command -v busybox)" "$root/bin/busybox"
	echo guest-etc >"$root/etc/husk-guest-marker"
	{
		echo '#!/bin/busybox sh'
		echo '/bin/busybox --install -s /bin'
		echo 'mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs devtmpfs /dev'
		echo "$GUEST_SCRIPT"
	} >"$root/init"
	chmod +x "$root/init"
	(cd "$root" && find . | cpio -o -H newc --quiet) >"$FS_TMP/initramfs"
	timeout -k 5 600 "$HUSK" vm boot --kernel "$KERNEL_DIR/bzImage" --initrd "$FS_TMP/initramfs" \
		--memory 256 --cmdline "$CMDLINE" --fs "rw:$share" --fs "ro:$ro,ro" \
		</dev/null >"$FS_TMP/out" 2>&1
	echo $? >"$FS_TMP/status"
}

teardown_file() {
	[ -n "${FS_TMP:-}" ] && rm -rf "$FS_TMP"
	true
}

setup() {
	[ -z "${SKIP_WHY:-}" ] || skip "$SKIP_WHY"
	output=$(cat "$FS_TMP/out")
	SHARE=$FS_TMP/share
}

@test "vm fs: the guest mounts both shares, works, unmounts and reboots" {
	echo "$output"
	[ "$(cat "$FS_TMP/status")" -eq 0 ]
	output_has "fs: mounted rw" \
		"fs: mounted ro" \
		"fs: unmounted"
}

@test "vm fs: create, write, read, mkdir, rename, symlink, hard link, chmod, truncate, unlink, rmdir, mknod fifo" {
	echo "$output"
	output_has "fs: host file says from-the-host" \
		"fs: symlink reads hello-from-the-guest" \
		"fs: hard link count 2" \
		"fs: chmod 640" \
		"fs: truncated to 4" \
		"fs: unlinked" \
		"fs: rmdir" \
		"fs: mknod fifo"
	# The host sees each of them.
	[ "$(cat "$SHARE/dir/moved.txt")" = hello-from-the-guest ]
	[ ! -e "$SHARE/new.txt" ]
	[ "$(readlink "$SHARE/link")" = dir/moved.txt ]
	[ "$(stat -c %i "$SHARE/hard")" = "$(stat -c %i "$SHARE/dir/moved.txt")" ]
	[ "$(stat -c %a "$SHARE/dir/moved.txt")" = 640 ]
	[ "$(stat -c %s "$SHARE/trunc.txt")" = 4 ]
	[ ! -e "$SHARE/unlink-me" ]
	[ ! -e "$SHARE/gone" ]
	[ -p "$SHARE/fifo" ]
}

@test "vm fs: the guest cannot reach outside the share" {
	echo "$output"
	output_has "escape: dotdot stays in the guest view" \
		"escape: cd up finds nothing"
	# The host's symlink to /etc resolves in the guest's own /etc.
	output_has "escape: host symlink to /etc resolves in the guest: guest-etc" \
		"escape: relative symlink stays in the guest view" \
		"escape: cross-fs hard link refused" \
		"escape: mknod refused"
	[ ! -e "$SHARE/null" ]
	[ ! -e "$SHARE/guest-link" ]
	[ "$(cat "$FS_TMP/outside/secret")" = secret ]
	[ "$(stat -c %h "$FS_TMP/outside/secret")" = 1 ]
	[ "$(ls "$FS_TMP/outside")" = secret ]
	[ "$(readlink "$SHARE/hostetc")" = /etc ]
}

@test "vm fs: a read-only share refuses every write" {
	echo "$output"
	output_has "ro: reads read-only-data" \
		"ro: write refused" \
		"ro: create refused" \
		"ro: remove refused" \
		"ro: mkdir refused"
	[ "$(cat "$FS_TMP/ro/file.txt")" = read-only-data ]
	[ "$(ls "$FS_TMP/ro")" = file.txt ]
}
