#!/usr/bin/env bats
# The man pages and the bash completion are generated from the flag tables
# the commands parse with: every flag of every command is in its page and
# completes, subcommands complete, and container ids come from husk list under
# the --root on the command line.
load helpers

setup() {
	DOC_TMP=$(mktemp -d /tmp/husk-docs.XXXXXX)
	"$HUSK" __gen-man "$DOC_TMP/man"
	"$HUSK" __gen-completion >"$DOC_TMP/husk.bash"
}

teardown() {
	teardown_bundle
	rm -rf "$DOC_TMP"
}

commands() {
	"$HUSK" --help | awk '/^COMMANDS:/{on=1; next} /^$/{on=0} on {print $1}'
}

subcommands() { # CMD
	"$HUSK" "$1" --help 2>/dev/null | awk '/^SUBCOMMANDS:/{on=1; next} /^$/{on=0} on {print $1}'
}

# Every command as "run", "vm boot" (the leaves and the parents).
all_commands() {
	local c s
	for c in $(commands); do
		echo "$c"
		for s in $(subcommands "$c"); do echo "$c $s"; done
	done
}

# The spellings of the flags `husk CMD --help` prints ("--bundle", "-b").
help_flags() { # CMD...
	"$HUSK" "$@" --help | awk '/OPTIONS:/{on=1; next} on' | grep -oE '^   (--?[a-z0-9-]+)(, --?[a-z0-9-]+)*' |
		tr ',' '\n' | tr -d ' '
}

page_text() { # CMD (words)
	local page=husk${1:+-${1// /-}}
	MANWIDTH=200 man -l "$DOC_TMP/man/$page.8" 2>/dev/null
}

@test "every flag of every command is in its man page" {
	n=0
	while read -r cmd; do
		text=$(page_text "$cmd")
		for f in $(help_flags $cmd); do
			[[ "$text" == *"$f"* ]] || { echo "husk-$cmd.8 lacks $f"; false; }
			n=$((n + 1))
		done
	done < <(all_commands)
	text=$(page_text "")
	for f in $(help_flags); do
		[[ "$text" == *"$f"* ]] || { echo "husk.8 lacks global $f"; false; }
	done
	[ "$n" -ge 60 ]
}

@test "every flag table entry in cli/*.c is documented in some man page" {
	# independent of the running binary's help: the source's tables
	all=$(cat "$DOC_TMP"/man/*.8 | sed 's/\\-/-/g')
	names=$(grep -ohE '\{"[a-z0-9|-]+", CLI_FLAG_' "$REPO_ROOT"/cli/*.c "$REPO_ROOT"/cli/*.h |
		sed -E 's/^\{"([^"|]+).*/\1/' | sort -u)
	[ -n "$names" ]
	for n in $names; do
		[[ "$all" == *"--$n"* ]] || { echo "no page documents --$n"; false; }
	done
}

@test "each page names its command, summary and synopsis" {
	while read -r cmd; do
		summary=$("$HUSK" --help | awk -v c="$cmd" '$1 == c {sub(/^ *[^ ]+ +/, ""); print; exit}')
		text=$(page_text "$cmd")
		[[ "$text" == *"husk $cmd"* ]]
		[ -z "$summary" ] || [[ "$text" == *"$summary"* ]] || { echo "$cmd: $summary"; false; }
	done < <(all_commands)
	# hidden commands are not documented
	[ -z "$(ls "$DOC_TMP/man" | grep __)" ]
}

# Run the completion function on a command line; the last word is completed.
complete_words() {
	bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		_husk; [ ${#COMPREPLY[@]} -eq 0 ] || printf "%s\n" "${COMPREPLY[@]}"' _ "$DOC_TMP/husk.bash" "$@"
}

@test "completion: registered for husk and husk-vm" {
	run bash -c 'source "$1"; complete -p husk; complete -p husk-vm' _ "$DOC_TMP/husk.bash"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "complete -F _husk husk" ]
	[ "${lines[1]}" = "complete -F _husk husk-vm" ]
}

@test "completion: subcommands, and each command's flags" {
	diff <(commands | sort) <(complete_words "$HUSK" "" | sort)
	diff <(subcommands vm | sort) <(complete_words "$HUSK" vm "" | sort)
	while read -r cmd; do
		diff <(help_flags $cmd | sort) <(complete_words "$HUSK" $cmd - | sort) ||
			{ echo "flags of $cmd differ"; false; }
	done < <(all_commands)
	diff <(help_flags | sort) <(complete_words "$HUSK" - | sort)
	run complete_words "$HUSK" run --b
	[ "$output" = "--bundle" ]
}

@test "completion: flag values (directories, fixed choices) and Go's -flag spelling" {
	mkdir -p "$DOC_TMP/bundles/b1"
	run complete_words "$HUSK" run --bundle "$DOC_TMP/bundles/"
	[ "$output" = "$DOC_TMP/bundles/b1" ]
	run complete_words "$HUSK" -bundle "$DOC_TMP/bundles/"
	[ -z "$output" ] # a global: no such flag before the command
	run complete_words "$HUSK" run -bundle "$DOC_TMP/bundles/"
	[ "$output" = "$DOC_TMP/bundles/b1" ]
	run complete_words "$HUSK" --log-format ""
	[ "$(echo "$output" | sort | tr '\n' ' ')" = "json text " ]
	run complete_words "$HUSK" vm boot --console ""
	[ "$(echo "$output" | sort | tr '\n' ' ')" = "none stdio " ]
}

@test "completion: container ids from husk list under the --root given" {
	setup_runtime_bundle
	cfg '.process.args = ["sleep", "100"]'
	husk create "$CID"
	for root in "--root $HUSK_ROOT" "-root $HUSK_ROOT" "--root = $HUSK_ROOT"; do
		for cmd in kill state delete exec ps pause; do
			run complete_words "$HUSK" $root $cmd ""
			[ "$output" = "$CID" ] || { echo "$root $cmd: $output"; false; }
		done
	done
	run complete_words "$HUSK" --root "$HUSK_ROOT" kill "${CID:0:3}"
	[ "$output" = "$CID" ]
	# create and run name a new container: no ids offered
	run complete_words "$HUSK" --root "$HUSK_ROOT" create ""
	[ -z "$output" ]
	# another root: not there
	run complete_words "$HUSK" --root "$DOC_TMP" kill ""
	[ -z "$output" ]
	# past the id: no more ids
	run complete_words "$HUSK" --root "$HUSK_ROOT" kill "$CID" ""
	[ -z "$output" ]
	husk delete --force "$CID"
}
