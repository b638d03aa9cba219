#!/bin/bash
# `husk run --vm` next to `husk run`, for a busybox bundle running /bin/true:
#   - wall time per run (sequential runs)
#   - for one VM run: time from process start to the first KVM_RUN and to the
#     workload's execve in the guest, and the monitor's RSS outside guest
#     memory (HUSK_VM_TRACE, started through bench/vm_launch)
#   bench/vm_run.sh [RUNS]            (make bench-vm-run)
# Needs hardware virtualization; without it (no vmx/svm, PVM) the script runs
# itself in the nested harness, where only the structure of the numbers means
# anything: the guest's CPU is emulated.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$repo/build}
runs=${1:-5}
husk=$build/husk
if ! { [ -c /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo; }; then
	if [ -z "${HUSK_BENCH_NESTED:-}" ] && [ -x "$repo/tests/nested/run" ]; then
		echo "# no hardware virtualization here: measuring in the nested harness (emulated CPU)"
		exec env HUSK_BENCH_NESTED=1 BUILD="$build" "$repo/tests/nested/run" --timeout 3000 "$0" "$@"
	fi
	echo "no hardware virtualization and no nested harness: nothing to measure" >&2
	exit 1
fi
export HUSK_VM_KERNEL=${HUSK_VM_KERNEL:-$build/guest-kernel/vmlinux}
work=$(mktemp -d /tmp/husk-vmrun-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
HUSK=$husk "$repo/scripts/make-bundle.sh" "$work/bundle" /bin/true >/dev/null

per_run_ms() { # husk run flags...
	local t0 t1 i
	t0=$(date +%s%N)
	for i in $(seq "$runs"); do
		"$husk" --root "$work/state" run --bundle "$work/bundle" "$@" "b$$-$i" </dev/null >/dev/null
	done
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000 / runs))
}

echo "husk run of /bin/true, $runs sequential runs each:"
echo "  container: $(per_run_ms) ms/run"
echo "  --vm:      $(per_run_ms --vm) ms/run"
# --debug: the monitor's trace goes to husk's log (stderr) at info level
HUSK_VM_TRACE=1 "$build/bench/vm_launch" "$husk" --debug --root "$work/state" run --vm \
	--bundle "$work/bundle" "b$$-trace" </dev/null >/dev/null 2>"$work/trace"
first=$(grep -o 'first KVM_RUN [0-9]* us' "$work/trace" | awk '{print $3}' || true)
exec_us=$(grep -o "exec'd in the guest [0-9]* us" "$work/trace" | awk '{print $5}' || true)
rss=$(grep -o 'monitor [0-9]* KiB' "$work/trace" | awk '{print $2}' || true)
echo "one --vm run (HUSK_VM_TRACE):"
echo "  process start -> first KVM_RUN:            ${first:-?} us"
echo "  process start -> workload execve in guest: ${exec_us:-?} us"
echo "  monitor RSS outside guest memory:          ${rss:-?} KiB"
