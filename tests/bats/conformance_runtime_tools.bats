#!/usr/bin/env bats
# The OCI runtime-tools validation suite against husk (tests/conformance/
# run-runtime-tools.sh).  It needs the suite's source (validation/ and
# cmd/runtimetest/), which Debian's -dev package does not ship: point
# RUNTIME_TOOLS_SRC at a runtime-tools tree to run it.  To stay within a few
# minutes under `make check`, this runs a representative subset: lifecycle,
# state, kill, hooks, namespaces, cgroups (about 40 s).  It leaves out the
# files that no spec-following runtime passes on this host (see
# tests/conformance/README.md: prestart, start, delete, pidfile, hooks,
# misc_props, linux_ns_itype, blkio/network/hugetlb/memory cgroups).  Set
# RUNTIME_TOOLS_FILTER=. for every file.

load helpers

@test "runtime-tools validation suite: husk passes the selected files" {
	src=${RUNTIME_TOOLS_SRC:-/usr/share/gocode/src/github.com/opencontainers/runtime-tools}
	[ -d "$src/validation" ] && [ -d "$src/cmd/runtimetest" ] ||
		skip "runtime-tools validation programs not available: $src has no validation/ (Debian ships only the library); set RUNTIME_TOOLS_SRC"
	# the harness installs Go (Debian's golang-go) on demand
	filter=${RUNTIME_TOOLS_FILTER:-'^(create|state|kill|kill_no_effect|killsig|hooks_stdin|prestart_fail|poststart|poststart_fail|poststop|poststop_fail|config_updates_without_affect|process_capabilities_fail|linux_ns_nopath|linux_ns_path|linux_ns_path_type|linux_cgroups_pids|linux_cgroups_relative_pids|linux_cgroups_cpus|linux_cgroups_devices|delete_resources|delete_only_create_resources)$'}
	run env BUILD="${BUILD:-$REPO_ROOT/build}" HUSK="$HUSK" TIMEOUT=60 \
		"$REPO_ROOT/tests/conformance/run-runtime-tools.sh" "$HUSK" "$filter"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" =~ ([0-9]+)\ of\ ([0-9]+)\ files\ passed ]]
	[ "${BASH_REMATCH[2]}" -gt 0 ]
}
