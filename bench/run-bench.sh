#!/bin/bash
# Side-by-side: N sequential `run`s of a busybox /bin/true bundle with husk, crun
# and runc, plus the bare `unshare + chroot` floor.  All runtimes use the same
# config.json (from `runc spec`, terminal off) and run under
# shared/tools/cgroup-v1-view, because crun 1.8.1 refuses this host's hybrid
# cgroup layout; husk gets the same view so the comparison is fair.
#
#   bench/run-bench.sh [HUSK] [-n RUNS_PER_ROUND] [-r ROUNDS]
# Prints ms/run for each, the ratios, and each runtime's peak RSS.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
husk=$repo/build/husk
if [ $# -gt 0 ] && [[ $1 != -* ]]; then husk=$1; shift; fi
runs=20 rounds=5
while getopts n:r: o; do case $o in n) runs=$OPTARG;; r) rounds=$OPTARG;; *) exit 2;; esac; done
husk=$(readlink -f "$husk")

view=$repo/../shared/tools/cgroup-v1-view
[ -x "$view" ] || view=/work/shared/tools/cgroup-v1-view
[ -x "$view" ] || view=""
[ -n "$view" ] || echo "# note: shared/tools/cgroup-v1-view not found; crun may refuse this host"

work=$(mktemp -d /tmp/husk-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
HUSK=runc "$repo/scripts/make-bundle.sh" "$work/bundle" /bin/true >/dev/null
# One config for everyone: runc's default spec, non-interactive.
(cd "$work" && runc spec && jq '.process.args=["/bin/true"] | .process.terminal=false' config.json > "$work/bundle/config.json")
rootfs=$work/bundle/rootfs

declare -A cmd
cmd[husk]="$husk --root $work/state-husk run --bundle $work/bundle"
cmd[crun]="crun --root $work/state-crun run --bundle $work/bundle"
cmd[runc]="runc --root $work/state-runc run --bundle $work/bundle"
cmd[floor]="unshare --mount --uts --ipc --pid --net --fork chroot $rootfs /bin/true"
order=(husk crun runc floor)

# The timing loop runs inside the cgroup view: one shell per batch.
batch() { # name -> prints total ns for $runs sequential runs, or FAIL
	local name=$1 c=${cmd[$1]}
	$view bash -c '
		c=$1; n=$2; name=$3
		start=$(date +%s%N)
		for i in $(seq "$n"); do
			if [ "$name" = floor ]; then $c || exit 1
			else $c "b$name-$$-$i" >/dev/null 2>"$0.err" || { cat "$0.err" >&2; exit 1; }; fi
		done
		echo $(( $(date +%s%N) - start ))' "$work/$name" "$c" "$runs" "$name" || echo FAIL
}

declare -A total ok
for n in "${order[@]}"; do total[$n]=0; ok[$n]=1; done
for r in $(seq "$rounds"); do
	for n in "${order[@]}"; do
		[ "${ok[$n]}" = 1 ] || continue
		t=$(batch "$n")
		if [ "$t" = FAIL ]; then ok[$n]=0; echo "# $n failed; left out"; continue; fi
		total[$n]=$(( ${total[$n]} + t ))
	done
done

peak_rss() { # name -> max RSS in KiB of one run (GNU time)
	local c=${cmd[$1]} id="rss$1-$$"
	[ "$1" = floor ] && id=""
	$view /usr/bin/time -f %M $c $id 2>&1 >/dev/null | tail -1
}

n_all=$((runs * rounds))
echo "husk $(basename "$husk") vs crun $(crun --version | head -1 | awk '{print $3}') vs runc $(runc --version | head -1 | awk '{print $3}'), $n_all runs each, interleaved in $rounds rounds"
declare -A ms
for n in "${order[@]}"; do
	if [ "${ok[$n]}" = 1 ]; then
		ms[$n]=$(echo "scale=3; ${total[$n]} / $n_all / 1000000" | bc)
		printf '%-6s %8.3f ms/run   peak RSS %s KiB\n' "$n" "${ms[$n]}" "$(peak_rss "$n")"
	else
		printf '%-6s failed\n' "$n"
	fi
done
ratio() { [ "${ok[$1]}" = 1 ] && [ "${ok[$2]}" = 1 ] && printf '%-12s %.3f\n' "$1/$2" "$(echo "scale=4; ${ms[$1]} / ${ms[$2]}" | bc)" || true; }
echo "ratios (wall time):"
ratio husk crun; ratio husk runc; ratio crun runc; ratio floor crun; ratio husk floor
