#!/bin/sh
# Build husk's minimal guest kernel from Debian's linux-source-6.1, once per
# machine.
#   build.sh OUTDIR
# Leaves OUTDIR/bzImage and OUTDIR/vmlinux (ELF with the PVH note).
#
# The kernel is slow to build (11 min on a quiet 2-core machine, 36 min on a
# loaded one), so it is cached outside the checkout, in
#   ${HUSK_CACHE_DIR:-/var/cache/husk}/guest-kernel/KEY/
# where KEY hashes husk.config, the linux-source package version and RECIPE
# below.  A fresh clone on the same machine (CI's) reuses it; a changed config
# builds a new one.  `build.sh --print-cache-dir` prints that directory.
set -eu
# Bump when the build steps change in a way that changes the kernel.
RECIPE=1
here=$(cd "$(dirname "$0")" && pwd)
tarball=${LINUX_SOURCE_TARBALL:-/usr/src/linux-source-6.1.tar.xz}
cache_root=${HUSK_CACHE_DIR:-/var/cache/husk}/guest-kernel

cache_key() {
	srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null || stat -c %s "$tarball")
	{ cat "$here/husk.config"; echo "source $srcver"; echo "recipe $RECIPE"; } | sha256sum | cut -c1-16
}

if [ "${1:-}" = --print-cache-dir ]; then
	echo "$cache_root/$(cache_key)"
	exit 0
fi
out=$1
[ -f "$tarball" ] || { echo "guest-kernel: $tarball missing (apt-get install linux-source-6.1)" >&2; exit 1; }
cached="$cache_root/$(cache_key)"
mkdir -p "$cache_root" "$out"

# One build at a time per machine; a second caller waits and then reuses it.
exec 9>"$cache_root/.lock"
flock 9

if [ ! -f "$cached/bzImage" ] || [ ! -f "$cached/vmlinux" ]; then
	work="$cached.build"
	rm -rf "$work"
	mkdir -p "$work/src"
	echo "guest-kernel: building into $cached (about 11-40 min on 2 cores)" >&2
	tar -xf "$tarball" -C "$work/src" --strip-components=1
	make -C "$work/src" -s ARCH=x86_64 KCONFIG_ALLCONFIG="$here/husk.config" allnoconfig
	# Every option the fragment asks for must have survived Kconfig's dependencies.
	missing=""
	for opt in $(sed -n 's/^\(CONFIG_[A-Z0-9_]*\)=y$/\1/p' "$here/husk.config"); do
		grep -q "^$opt=y" "$work/src/.config" || missing="$missing $opt"
	done
	if [ -n "$missing" ]; then
		echo "guest-kernel: Kconfig dropped:$missing" >&2
		exit 1
	fi
	make -C "$work/src" -s ARCH=x86_64 -j"$(nproc)" bzImage
	mkdir -p "$work/out"
	cp "$work/src/arch/x86/boot/bzImage" "$work/src/vmlinux" "$work/src/.config" "$work/out/"
	rm -rf "$cached"
	mv "$work/out" "$cached"
	rm -rf "$work"
fi
cp "$cached/bzImage" "$cached/vmlinux" "$out/"
ls -l "$out/bzImage" "$out/vmlinux"
