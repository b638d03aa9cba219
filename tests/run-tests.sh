#!/bin/bash
# Runs every test husk has and prints one closing line:
#   N passed, N failed, N skipped
# Unit tests (cmocka) and integration tests (bats) both speak TAP here, so one
# counter serves both.  A test binary that crashes counts as one failure.
#   TESTS=regex    only run suites whose path matches
set -u
: "${HUSK:?HUSK must point at the husk binary}"
: "${BUILD:?BUILD must point at the build dir}"
export HUSK BUILD
cd "$(dirname "$0")/.."
# The suite never reads the caller's terminal: CI may hand us a closed or odd
# stdin, and script(1) spins on a closed one.
exec </dev/null

passed=0 failed=0 skipped=0
filter=${TESTS:-.}

count_tap() { # $1: tap output file, $2: exit code, $3: suite name
	local p f s
	local ns
	p=$(grep -cE '^ok ' "$1" | tr -d ' ')
	s=$(grep -ciE '^ok .*# skip' "$1" | tr -d ' ')
	# cmocka's TAP writes a skipped test as "not ok N # SKIP": a skip, not a failure.
	ns=$(grep -ciE '^not ok .*# skip' "$1" | tr -d ' ')
	f=$(grep -cE '^not ok ' "$1" | tr -d ' ')
	p=$((p - s)); f=$((f - ns)); s=$((s + ns))
	# A plan ("1..N") with fewer results: the suite died partway (a VM
	# harness that timed out, a crash); each missing test is a failure.
	local plan missing
	plan=$(grep -E '^1\.\.[0-9]+$' "$1" | cut -d. -f3)
	if [ "$(wc -w <<<"$plan")" -eq 1 ]; then
		missing=$((plan - p - f - s))
		if [ "$missing" -gt 0 ]; then
			echo "# $3: $missing of $plan tests reported nothing: counted as failures"
			f=$((f + missing))
		fi
	fi
	if [ "$2" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "# $3: exited with status $2 without reporting a failed test: counted as one failure"
		f=1
	fi
	passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
}

out=$(mktemp); trap 'rm -f "$out"' EXIT

# Leak check: cgroups under any husk parent and mounts of test dirs that exist
# after the suite but not before it count as one failure each.
husk_leftovers() {
	find /sys/fs/cgroup -mindepth 2 -maxdepth 4 -type d -path '*/husk/*' 2>/dev/null | sort
	awk '$5 ~ "^/tmp/husk-" {print "mount " $5}' /proc/self/mountinfo | sort
}
leftovers_before=$(mktemp); trap 'rm -f "$out" "$leftovers_before"' EXIT
husk_leftovers >"$leftovers_before"

for t in "$BUILD"/tests/unit/test_*; do
	[ -x "$t" ] || continue
	[[ "$t" =~ $filter ]] || continue
	echo "# unit: $(basename "$t")"
	wrap=()
	[ -n "${VALGRIND:-}" ] && wrap=(valgrind -q --suppressions=tests/valgrind/husk.supp --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --trace-children=no)
	CMOCKA_MESSAGE_OUTPUT=TAP timeout 600 "${wrap[@]}" "$t" >"$out" 2>&1
	rc=$?
	cat "$out"
	count_tap "$out" "$rc" "$(basename "$t")"
done

# VM suites: every tests/bats/vm_*.bats boots guests with /dev/kvm.  Where
# the host cannot (no /dev/kvm, or PVM), they run inside the nested harness
# (tests/nested/run), which gives them an L1 with KVM on emulated SVM.  They
# run directly, and skip with their own reasons, only when even the harness
# cannot run.  Before the first of them: the guest kernel (built once per
# machine, cached; see vm-sandbox/guest-kernel/build.sh).
is_vm_suite() { [[ "$(basename "$1")" == vm_*.bats ]]; }
vm_wrap=() vm_ready=
vm_prepare() {
	vm_ready=1
	local why probe
	if why=$(tests/nested/host-kvm.sh); then
		echo "# VM suites run directly (hardware virtualization)"
	elif probe=$(tests/nested/probe.sh); then
		echo "# VM suites run in the nested harness: $why"
		# The harness stops L1 at its own --timeout; timeout(1) bounds the rest.
		vm_wrap=(timeout -k 30 2700 tests/nested/run --timeout 2400)
		# L1 has its own tmpfs /tmp and /run: a build dir or husk there
		# (BUILD=/tmp/b) must be shared, or the suites see nothing.
		local d shared=" "
		for d in "$BUILD" "$(dirname "$HUSK")"; do
			d=$(readlink -f "$d")
			case $shared in *" $d "*) continue ;; esac
			case $d/ in "$PWD"/*) ;; /tmp/* | /run/*) vm_wrap+=(--ro "$d") shared+="$d " ;; esac
		done
	else
		echo "# VM suites run directly, their tests will skip: $why; $probe"
	fi
	echo "# guest kernel: $(vm-sandbox/guest-kernel/build.sh --print-cache-dir)"
	if ! vm-sandbox/guest-kernel/build.sh "$BUILD/guest-kernel" >"$out" 2>&1; then
		cat "$out"
		echo "not ok - the guest kernel does not build (vm-sandbox/guest-kernel/build.sh)"
		failed=$((failed + 1))
	fi
}

for t in tests/bats/*.bats; do
	[ -f "$t" ] || continue
	[[ "$t" =~ $filter ]] || continue
	echo "# bats: $t"
	wrap=(timeout 1200)
	if is_vm_suite "$t"; then
		[ -n "$vm_ready" ] || vm_prepare
		[ ${#vm_wrap[@]} -gt 0 ] && wrap=("${vm_wrap[@]}")
	fi
	t0=$SECONDS
	"${wrap[@]}" bats --tap "$t" >"$out" 2>&1
	rc=$?
	cat "$out"
	is_vm_suite "$t" && echo "# $t: $((SECONDS - t0)) s${vm_wrap:+ in the nested harness}"
	count_tap "$out" "$rc" "$t"
done

if [ -z "${VALGRIND:-}" ] && [[ "$filter" == . ]]; then
	leaked=$(husk_leftovers | comm -13 "$leftovers_before" -)
	if [ -n "$leaked" ]; then
		echo "not ok - the suite left cgroups or mounts behind:"
		echo "$leaked" | sed 's/^/#   /'
		failed=$((failed + 1))
	else
		echo "ok - no cgroups or mounts left behind"
		passed=$((passed + 1))
	fi
fi

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
