#!/bin/bash
# Side-by-side: N sequential `exec`s of /bin/true into a running busybox
# container, with husk, crun and runc.  Each runtime gets its own container
# (`run -d` of `sleep`), from the same config.json (runc's default spec), under
# shared/tools/cgroup-v1-view as in run-bench.sh (crun 1.8.1 refuses this
# host's hybrid layout).  The floor is `nsenter` into the same namespaces
# (of husk's container) + chroot: what an exec cannot do without.
#
#   bench/exec-bench.sh [HUSK] [-n EXECS_PER_ROUND] [-r ROUNDS]
# Prints ms/exec for each, the ratios, and each runtime's peak RSS for one exec.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
husk=$repo/build/husk
if [ $# -gt 0 ] && [[ $1 != -* ]]; then husk=$1; shift; fi
runs=20 rounds=5
while getopts n:r: o; do case $o in n) runs=$OPTARG ;; r) rounds=$OPTARG ;; *) exit 2 ;; esac done
husk=$(readlink -f "$husk")

view=$repo/../shared/tools/cgroup-v1-view
[ -x "$view" ] || view=/work/shared/tools/cgroup-v1-view
[ -x "$view" ] || view=""
[ -n "$view" ] || echo "# note: shared/tools/cgroup-v1-view not found; crun may refuse this host"

work=$(mktemp -d /tmp/husk-exec-bench.XXXXXX)
id=xb$$
order=(husk crun runc floor)
declare -A rt=([husk]="$husk" [crun]=crun [runc]=runc)
cleanup() {
	for n in husk crun runc; do
		$view ${rt[$n]} --root "$work/state-$n" delete -f "$id-$n" >/dev/null 2>&1 || true
	done
	rm -rf "$work"
}
trap cleanup EXIT

HUSK=runc "$repo/scripts/make-bundle.sh" "$work/bundle" /bin/true >/dev/null
(cd "$work" && runc spec && jq '.process.args=["sleep","100000"] | .process.terminal=false' config.json >"$work/bundle/config.json")

for n in husk crun runc; do
	$view ${rt[$n]} --root "$work/state-$n" run -d --bundle "$work/bundle" "$id-$n" </dev/null >/dev/null 2>"$work/$n.err" ||
		{ echo "# $n: run -d failed: $(cat "$work/$n.err")"; exit 1; }
done
pid=$($husk --root "$work/state-husk" state "$id-husk" | jq .pid)

declare -A cmd
for n in husk crun runc; do cmd[$n]="${rt[$n]} --root $work/state-$n exec $id-$n /bin/true"; done
cmd[floor]="nsenter -t $pid -m -u -i -n -p -r -w /bin/true"

batch() { # name -> total ns for $runs sequential execs, or FAIL
	$view bash -c '
		c=$1; n=$2
		start=$(date +%s%N)
		for i in $(seq "$n"); do $c >/dev/null 2>"$0.err" || { cat "$0.err" >&2; exit 1; }; done
		echo $(( $(date +%s%N) - start ))' "$work/$1" "${cmd[$1]}" "$runs" || echo FAIL
}

declare -A total ok
for n in "${order[@]}"; do total[$n]=0 ok[$n]=1; done
for _ in $(seq "$rounds"); do
	for n in "${order[@]}"; do
		[ "${ok[$n]}" = 1 ] || continue
		t=$(batch "$n")
		if [ "$t" = FAIL ]; then ok[$n]=0; echo "# $n failed; left out"; continue; fi
		total[$n]=$((${total[$n]} + t))
	done
done

n_all=$((runs * rounds))
echo "exec: husk $(basename "$husk") vs crun $(crun --version | head -1 | awk '{print $3}') vs runc $(runc --version | head -1 | awk '{print $3}'), $n_all execs each, interleaved in $rounds rounds"
declare -A ms
for n in "${order[@]}"; do
	if [ "${ok[$n]}" = 1 ]; then
		ms[$n]=$(echo "scale=3; ${total[$n]} / $n_all / 1000000" | bc)
		rss=$($view /usr/bin/time -f %M ${cmd[$n]} 2>&1 >/dev/null | tail -1)
		printf '%-6s %8.3f ms/exec   peak RSS %s KiB\n' "$n" "${ms[$n]}" "$rss"
	else
		printf '%-6s failed\n' "$n"
	fi
done
ratio() { [ "${ok[$1]}" = 1 ] && [ "${ok[$2]}" = 1 ] && printf '%-12s %.3f\n' "$1/$2" "$(echo "scale=4; ${ms[$1]} / ${ms[$2]}" | bc)" || true; }
echo "ratios (wall time):"
ratio husk crun; ratio husk runc; ratio crun runc; ratio husk floor
