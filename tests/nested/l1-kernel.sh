#!/bin/bash
# The L1 kernel of the nested harness: Debian's 6.1 kernel package, taken
# without installing it, cached once per machine in
#   ${HUSK_CACHE_DIR:-/var/cache/husk}/nested/PACKAGE_VERSION/
# which holds
#   vmlinux        the uncompressed kernel: QEMU boots it through its PVH note,
#                  which skips the XZ decompression (slow under TCG)
#   lib/modules/   the package's modules, with a modules.dep
#   version        the kernel release (uname -r)
# Prints that directory.  A cached kernel is used as is: no apt query.
set -euo pipefail
cache_root=${HUSK_CACHE_DIR:-/var/cache/husk}/nested
mkdir -p "$cache_root"

newest_cached() {
	local d
	d=$(find "$cache_root" -mindepth 2 -maxdepth 2 -name version -printf '%h\n' 2>/dev/null | sort -V | tail -1)
	[ -n "$d" ] && [ -f "$d/vmlinux" ] && echo "$d"
}

fail() {
	echo "husk-nested: cannot get the L1 kernel: $*" >&2
	exit 1
}

# One fetch at a time per machine; a second caller waits, then reuses it.
exec 9>"$cache_root/.lock"
flock 9
if dir=$(newest_cached); then
	echo "$dir"
	exit 0
fi

command -v apt-get >/dev/null || fail "no apt-get (a Debian host is needed)"
work=$(mktemp -d "$cache_root/.fetch.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
# The newest linux-image-6.1.0-N-amd64 the archive offers.
pkgs=$(apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-amd64$' | cut -d' ' -f1 | sort -V -r)
[ -n "$pkgs" ] || fail "apt knows no linux-image-6.1.0-*-amd64 (apt-get update?)"
got=
for p in $pkgs; do
	if apt-get download -q "$p" >/dev/null 2>"$work/apt.err"; then
		got=$p
		break
	fi
done
[ -n "$got" ] || fail "apt-get download failed: $(tail -1 "$work/apt.err")"
deb=$(ls ./*.deb)
dpkg-deb -x "$deb" x
release=$(basename "$(ls -d x/lib/modules/*)")
mkdir -p out/lib/modules
mv "x/lib/modules/$release" out/lib/modules/
busybox depmod -b "$work/out" "$release"

# vmlinuz is a bzImage around an XZ stream: cut from the XZ magic and
# decompress (xz then complains about the bzImage's trailer: expected).
vmlinuz=$(ls x/boot/vmlinuz-*)
off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$vmlinuz" | head -1 | cut -d: -f1)
[ -n "$off" ] || fail "$vmlinuz: no XZ stream found"
tail -c +"$((off + 1))" "$vmlinuz" | xz -dcq >out/vmlinux 2>/dev/null || true
readelf -n out/vmlinux 2>/dev/null | grep -q 'Unknown note type: (0x00000012)' ||
	fail "$vmlinuz: the decompressed kernel is no ELF with a PVH entry note"
echo "$release" >out/version

dir="$cache_root/$(basename "$deb" .deb)"
rm -rf "$dir"
mv out "$dir"
echo "$dir"
