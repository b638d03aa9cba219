#!/bin/sh
# Build husk's minimal guest kernel from Debian's linux-source-6.1.
#   build.sh OUTDIR
# Produces OUTDIR/bzImage and OUTDIR/vmlinux (ELF with the PVH note).  Slow:
# it is `make guest-kernel`, never part of `make check`.
set -eu
out=$1
here=$(cd "$(dirname "$0")" && pwd)
tarball=${LINUX_SOURCE_TARBALL:-/usr/src/linux-source-6.1.tar.xz}
[ -f "$tarball" ] || { echo "guest-kernel: $tarball missing (apt-get install linux-source-6.1)" >&2; exit 1; }
mkdir -p "$out"
src="$out/src"
if [ ! -f "$src/Makefile" ]; then
	rm -rf "$src.tmp"
	mkdir -p "$src.tmp"
	tar -xf "$tarball" -C "$src.tmp" --strip-components=1
	mv "$src.tmp" "$src"
fi
jobs=$(nproc)
make -C "$src" -s ARCH=x86_64 KCONFIG_ALLCONFIG="$here/husk.config" allnoconfig
# Every option the fragment asks for must have survived Kconfig's dependencies.
missing=""
for opt in $(sed -n 's/^\(CONFIG_[A-Z0-9_]*\)=y$/\1/p' "$here/husk.config"); do
	grep -q "^$opt=y" "$src/.config" || missing="$missing $opt"
done
if [ -n "$missing" ]; then
	echo "guest-kernel: Kconfig dropped:$missing" >&2
	exit 1
fi
make -C "$src" -s ARCH=x86_64 -j"$jobs" bzImage
cp "$src/arch/x86/boot/bzImage" "$out/bzImage"
cp "$src/vmlinux" "$out/vmlinux"
ls -l "$out/bzImage" "$out/vmlinux"
