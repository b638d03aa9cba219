#!/bin/bash
# The nested harness's L1 initramfs:
#   initramfs.sh KERNEL_DIR OUT
# KERNEL_DIR is from l1-kernel.sh.  OUT (newc cpio, uncompressed: nothing to
# decompress under TCG) holds busybox-static, tests/nested/init and the
# modules listed in tests/nested/modules with their dependencies, in load
# order in /modules.load.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
kdir=$1 out=$2
release=$(cat "$kdir/version")
mdir=lib/modules/$release
busybox=$(command -v busybox) || { echo "husk-nested: busybox not installed (make deps)" >&2; exit 1; }
file -L "$busybox" | grep -q 'statically linked' ||
	{ echo "husk-nested: $busybox is not static (install busybox-static)" >&2; exit 1; }

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,proc,sys,dev,newroot} "$root/$mdir"
cp "$busybox" "$root/bin/busybox"
cp "$here/init" "$root/init"

# Dependencies first, each module once.
declare -A seen
load_order=()
add() { # module path relative to $mdir
	[ -n "${seen[$1]:-}" ] && return
	seen[$1]=1
	local dep
	for dep in $(awk -v m="$1:" '$1 == m { $1 = ""; print }' "$kdir/$mdir/modules.dep"); do
		add "$dep"
	done
	load_order+=("$1")
}
for name in $(sed 's/#.*//' "$here/modules"); do
	path=$(awk -F: -v n="/$name.ko" 'index($1, n) && substr($1, length($1) - length(n) + 1) == n { print $1; exit }' \
		"$kdir/$mdir/modules.dep")
	[ -n "$path" ] || { echo "husk-nested: module $name not in $kdir/$mdir" >&2; exit 1; }
	add "$path"
done
for m in "${load_order[@]}"; do
	mkdir -p "$root/$mdir/$(dirname "$m")"
	cp "$kdir/$mdir/$m" "$root/$mdir/$m"
	echo "$mdir/$m"
done >"$root/modules.load"
(cd "$root" && find . | cpio -o -H newc --quiet) >"$out"
