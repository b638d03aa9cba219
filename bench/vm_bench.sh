#!/bin/bash
# The microVM monitor on this machine:
#   - time from process start (just before execve) to the first KVM_RUN
#   - the monitor's own RSS outside guest memory (resident guest pages are
#     counted with mincore and subtracted)
#   - wall time of a whole test-guest run (boot, all checks, reset)
#   - virtio-blk throughput through the driver harness vs pread
#   bench/vm_bench.sh [RUNS]     (make bench-vm builds what it needs)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$repo/build}
runs=${1:-30}
husk=$build/husk
guest=$build/tests/guests/guest-bzimage
work=$(mktemp -d /tmp/husk-vmbench.XXXXXX)
trap 'rm -rf "$work"' EXIT

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
minimum() { sort -n | head -1; }

for i in $(seq "$runs"); do
	t0=$(date +%s%N)
	"$build/bench/vm_launch" "$husk" vm boot --kernel "$guest" --memory 128 --console none \
		--trace --cmdline "husk.guest=1" </dev/null 2>>"$work/trace"
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000)) >>"$work/wall"
done
grep -o 'first KVM_RUN [0-9]* us' "$work/trace" | awk '{print $3}' >"$work/first"
grep -o 'monitor [0-9]* KiB' "$work/trace" | awk '{print $2}' >"$work/rss"
echo "husk vm boot, $runs runs of the test guest (128 MiB, 1 vCPU, console+rng devices):"
echo "  process start -> first KVM_RUN: min $(minimum <"$work/first") us, median $(median <"$work/first") us   (goal <= 2000 us)"
echo "  monitor RSS outside guest memory: min $(minimum <"$work/rss") KiB, median $(median <"$work/rss") KiB   (goal <= 3072 KiB)"
best=$(minimum <"$work/first")
echo "  fastest run's setup phases:"
grep -B1 "first KVM_RUN $best us" "$work/trace" | head -2 | sed 's/^/    /'
echo "  whole run (boot, checks, reset, exit): min $(( $(minimum <"$work/wall") / 1000 )) ms, median $(( $(median <"$work/wall") / 1000 )) ms"
head -c $((64 << 20)) /dev/urandom >"$work/disk.img"
echo -n "  "
"$build/bench/vm_blk" "$work/disk.img"
echo "  load average during the run: $(cut -d' ' -f1-3 /proc/loadavg)"
