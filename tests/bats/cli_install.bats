#!/usr/bin/env bats
# make install / uninstall with DESTDIR and PREFIX, and the man pages that
# come out: every page renders with man -l without a warning.
load helpers

BUILD=${BUILD:-$REPO_ROOT/build}

setup() {
	TEST_TMP=$(mktemp -d /tmp/husk-install.XXXXXX)
}

teardown() {
	rm -rf "$TEST_TMP"
}

make_husk() {
	make -s -C "$REPO_ROOT" BUILD="$BUILD" "$@"
}

# The commands husk --help lists, and the subcommands of those that have them
# ("vm boot"), as man page names: husk-run, husk-vm-boot.
expected_pages() {
	echo husk
	local c s
	for c in $("$HUSK" --help | awk '/^COMMANDS:/{on=1; next} /^$/{on=0} on {print $1}'); do
		echo "husk-$c"
		for s in $("$HUSK" "$c" --help 2>/dev/null | awk '/^SUBCOMMANDS:/{on=1; next} /^$/{on=0} on {print $1}'); do
			echo "husk-$c-$s"
		done
	done
}

@test "make install DESTDIR: husk, husk-vm, man pages, completion; uninstall leaves the dir empty" {
	dest=$TEST_TMP/dest
	mkdir "$dest"
	run make_husk install DESTDIR="$dest"
	echo "$output"
	[ "$status" -eq 0 ]
	p=$dest/usr/local
	[ -x "$p/bin/husk" ] && [ ! -L "$p/bin/husk" ]
	[ "$(readlink "$p/bin/husk-vm")" = husk ]
	run "$p/bin/husk" --version
	[ "$status" -eq 0 ]
	[ -f "$p/share/bash-completion/completions/husk" ]
	[ "$(readlink "$p/share/bash-completion/completions/husk-vm")" = husk ]
	# exactly one page per command and subcommand, nothing else
	diff <(expected_pages | sed 's/$/.8/' | sort) <(ls "$p/share/man/man8" | sort)
	if [ -f "$BUILD/guest-kernel/vmlinux" ]; then
		cmp "$BUILD/guest-kernel/vmlinux" "$p/lib/husk/guest/vmlinux"
		cmp "$BUILD/guest-kernel/bzImage" "$p/lib/husk/guest/bzImage"
	else
		[ ! -e "$p/lib" ]
	fi
	run make_husk uninstall DESTDIR="$dest"
	echo "$output"
	[ "$status" -eq 0 ]
	run find "$dest" -mindepth 1
	echo "left: $output"
	[ -z "$output" ]
	[ -d "$dest" ]
}

@test "make install PREFIX: everything lands under the prefix" {
	dest=$TEST_TMP/dest
	run make_husk install DESTDIR="$dest" PREFIX=/opt/husk
	[ "$status" -eq 0 ]
	[ -x "$dest/opt/husk/bin/husk" ]
	[ -f "$dest/opt/husk/share/man/man8/husk.8" ]
	[ "$(find "$dest" -mindepth 1 -maxdepth 1)" = "$dest/opt" ]
	run make_husk uninstall DESTDIR="$dest" PREFIX=/opt/husk
	[ "$status" -eq 0 ]
	[ -z "$(find "$dest" -mindepth 1)" ]
}

@test "make install: the guest kernel, when built, goes to lib/husk/guest" {
	# a stand-in for `make guest-kernel`'s output (the real one takes 30 min)
	mkdir "$TEST_TMP/gk"
	echo vmlinux >"$TEST_TMP/gk/vmlinux"
	echo bzImage >"$TEST_TMP/gk/bzImage"
	dest=$TEST_TMP/dest
	run make_husk install DESTDIR="$dest" GUEST_KERNEL_DIR="$TEST_TMP/gk"
	[ "$status" -eq 0 ]
	cmp "$TEST_TMP/gk/vmlinux" "$dest/usr/local/lib/husk/guest/vmlinux"
	cmp "$TEST_TMP/gk/bzImage" "$dest/usr/local/lib/husk/guest/bzImage"
	run make_husk uninstall DESTDIR="$dest" GUEST_KERNEL_DIR="$TEST_TMP/gk"
	[ "$status" -eq 0 ]
	[ -z "$(find "$dest" -mindepth 1)" ]
}

@test "uninstall removes only what install put there" {
	dest=$TEST_TMP/dest
	make_husk install DESTDIR="$dest"
	echo mine >"$dest/usr/local/bin/other-tool"
	echo mine >"$dest/usr/local/share/man/man8/other.8"
	make_husk uninstall DESTDIR="$dest"
	[ "$(cat "$dest/usr/local/bin/other-tool")" = mine ]
	[ -f "$dest/usr/local/share/man/man8/other.8" ]
	[ ! -e "$dest/usr/local/bin/husk" ] && [ ! -L "$dest/usr/local/bin/husk-vm" ]
	[ -z "$(find "$dest/usr/local/share/man/man8" -name 'husk*')" ]
	[ ! -e "$dest/usr/local/share/bash-completion" ]
}

@test "man -l renders every page without a warning" {
	"$HUSK" __gen-man "$TEST_TMP/man"
	n=0
	for page in "$TEST_TMP"/man/*.8; do
		name=$(basename "$page" .8)
		run env MANWIDTH=80 man --warnings -l "$page"
		[ "$status" -eq 0 ]
		[[ "${lines[0]}" == "${name^^}(8)"* ]] || { echo "$name: header ${lines[0]}"; false; }
		[[ "$output" == *NAME*"$name - "*SYNOPSIS* ]] || { echo "$name: no NAME"; false; }
		# warnings go to stderr: render again keeping only stderr
		warn=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
		[ -z "$warn" ] || { echo "$name: $warn"; false; }
		n=$((n + 1))
	done
	[ "$n" -ge 15 ]
}
