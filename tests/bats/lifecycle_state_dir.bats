#!/usr/bin/env bats
# The state dir of a removed container is parked empty and reused by the next
# create (no rmdir: on an ext4 mounted with -o discard and no journal, freeing
# the directory's block costs a synchronous discard).
load helpers

setup() {
	setup_runtime_bundle
}

teardown() {
	teardown_bundle
}

@test "state dir: a removed container's dir is parked empty, invisible to list" {
	cfg '.process.args = ["/bin/true"]'
	run husk run "$CID"
	[ "$status" -eq 0 ]
	assert_no_leftovers "$CID"
	[ -d "$HUSK_ROOT/.spare-state-dir" ]
	[ -z "$(ls -A "$HUSK_ROOT/.spare-state-dir")" ]
	[ "$(stat -c %a "$HUSK_ROOT/.spare-state-dir")" = 711 ]
	run husk list -q
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "state dir: create takes the parked dir, emptied, and delete parks it again" {
	cfg '.process.args = ["sleep", "100"]'
	husk create "$CID"
	husk delete --force "$CID"
	local spare=$HUSK_ROOT/.spare-state-dir ino
	ino=$(stat -c %i "$spare")
	# What a crash between emptying and parking could leave behind.
	touch "$spare/exec.fifo" "$spare/state.json"
	husk create "$CID-2"
	[ ! -e "$spare" ]
	[ "$(stat -c %i "$HUSK_ROOT/$CID-2")" = "$ino" ]
	[ -p "$HUSK_ROOT/$CID-2/exec.fifo" ]
	[ "$(husk state "$CID-2" | jq -r .status)" = created ]
	husk delete --force "$CID-2"
	assert_no_leftovers "$CID-2"
	[ "$(stat -c %i "$spare")" = "$ino" ]
	[ -z "$(ls -A "$spare")" ]
}

@test "state dir: a create whose id exists fails and leaves the parked dir alone" {
	cfg '.process.args = ["sleep", "100"]'
	husk create "$CID"
	husk create "$CID-2"
	husk delete --force "$CID-2"
	[ -d "$HUSK_ROOT/.spare-state-dir" ]
	run husk create "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *exists* ]]
	[ -d "$HUSK_ROOT/.spare-state-dir" ]
	[ "$(husk state "$CID" | jq -r .status)" = created ]
	husk delete --force "$CID"
}
