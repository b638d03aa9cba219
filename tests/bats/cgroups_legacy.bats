#!/usr/bin/env bats
# The cgroup manager on a pure cgroup v1 host.  This machine is hybrid, so the
# test builds a v1-only view of /sys/fs/cgroup in a private mount namespace
# (the unified mount hidden, every v1 hierarchy bound back) and runs the
# manager's unit suite there: detection must say legacy and every test of the
# suite must pass without the unified hierarchy.

load helpers
load cgroup_hide

# Run CMD with only the v1 hierarchies under /sys/fs/cgroup.
v1_view() { # CMD...
	cg_hide unified "$@"
}

@test "cgroups: the manager suite passes on a v1-only (legacy) view" {
	[ "$(id -u)" = 0 ] || skip "needs root"
	[ -d /sys/fs/cgroup/memory ] || skip "no cgroup v1 hierarchies on this host"
	bin=$BUILD/tests/unit/test_cgroups_manager
	[ -x "$bin" ] || skip "unit tests not built"
	run v1_view env CMOCKA_MESSAGE_OUTPUT=TAP "$bin"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"1.."* ]]
	[ "$(grep -c "^not ok" <<<"$output")" = 0 ]
	[ "$(grep -ci "# skip" <<<"$output")" = 0 ]
	# detection saw a legacy host, and nothing leaked in any hierarchy
	grep -q "^# cgroup mode: legacy" <<<"$output"
	[ -z "$(find /sys/fs/cgroup -name 'husk-cgtest*' 2>/dev/null)" ]
}
