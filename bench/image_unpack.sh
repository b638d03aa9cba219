#!/bin/bash
# husk image unpack vs umoci, side by side, on the same 5-layer gzip image
# (tests/image/make_image.py bench: busybox base, 3000 small files, 48 MiB in
# big files, opaque and plain whiteouts, symlinks and hard links).
#
#   bench/image_unpack.sh [HUSK] [-n RUNS] [-d]
#
# Peers: `umoci raw unpack` (rootfs only: the same work as husk's, which also
# writes config.json) and `umoci unpack` (bundle, plus its mtree manifest).
# By default the unpack target is a private tmpfs (in a mount namespace of
# its own, gone when the script ends), so the numbers are the unpackers' own
# cost; -d unpacks to the disk under /tmp instead (on this host file creation
# dominates there: ~0.6-3 ms per create).  Prints mean ms and the ratios.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
husk=$repo/build/husk
if [ $# -gt 0 ] && [[ $1 != -* ]]; then husk=$1; shift; fi
runs=10 disk=0
while getopts n:d o; do case $o in n) runs=$OPTARG;; d) disk=1;; *) exit 2;; esac; done
husk=$(readlink -f "$husk")
command -v umoci >/dev/null || { echo "umoci is not installed (scripts/deps.d/image.txt)" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "hyperfine is not installed (scripts/deps.d/bench.txt)" >&2; exit 1; }

work=$(mktemp -d /tmp/husk-image-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
echo "# building the image..." >&2
python3 "$repo/tests/image/make_image.py" bench "$work/image"
du -sh "$work/image" | awk '{print "# image: " $1 " (5 gzip layers)"}' >&2

run() {
	local out=$1
	hyperfine -N -w 1 -r "$runs" --export-json "$work/result.json" \
		--prepare "rm -rf $out/husk $out/umoci $out/raw" \
		-n "husk image unpack" "$husk image unpack oci:$work/image:bench $out/husk" \
		-n "umoci raw unpack" "umoci raw unpack --image $work/image:bench $out/raw" \
		-n "umoci unpack" "umoci unpack --image $work/image:bench $out/umoci" >&2
	rm -rf "$out/husk" "$out/umoci" "$out/raw"
}
export -f run
export husk work runs
if [ "$disk" = 1 ]; then
	mkdir "$work/out"
	run "$work/out"
	where="disk ($(df -T "$work" | awk 'NR==2 {print $2}'))"
else
	mkdir "$work/out"
	unshare -m --propagation private bash -c 'mount -t tmpfs -o size=1g tmpfs "$1" && run "$1"' \
		bash "$work/out"
	where="tmpfs"
fi
# Wall time, and CPU time (user+sys, steadier on a loaded machine).
jq -r --arg where "$where" '
	(.results | map({(.command): (.mean * 1000)}) | add) as $m |
	(.results | map({(.command): ((.user + .system) * 1000)}) | add) as $c |
	def ratio(a; b): (a / b) * 100 | floor / 100;
	"image unpack, \($where), mean of \(.results[0].times | length) runs:   wall     cpu",
	(.results[] | "  \(.command | . + (" " * (20 - length)))  \(.mean * 1000 | floor) ms  \((.user + .system) * 1000 | floor) ms"),
	"  umoci raw unpack / husk: \(ratio($m["umoci raw unpack"]; $m["husk image unpack"]))x wall, \(ratio($c["umoci raw unpack"]; $c["husk image unpack"]))x cpu",
	"  umoci unpack / husk:     \(ratio($m["umoci unpack"]; $m["husk image unpack"]))x wall, \(ratio($c["umoci unpack"]; $c["husk image unpack"]))x cpu"
' "$work/result.json"
