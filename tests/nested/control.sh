#!/bin/bash
# The nested harness's control share, read by L1's /init:
#   control.sh DIR [--rw=PATH]... [--ro=PATH]... -- CMD [ARG]...
# writes
#   DIR/run      a bash script: the caller's working directory, environment
#                and command, with stdin from /dev/null
#   DIR/rw       "TAG PATH MODE" per --rw (rw0.., MODE rw) and --ro (ro0..,
#                MODE ro) directory, parents first
#   DIR/cgroups  the host's cgroup mounts, "FSTYPE MOUNTPOINT OPTIONS" in the
#                host's order, then "link NAME TARGET" per symlink in
#                /sys/fs/cgroup
# L1 writes DIR/status: the command's exit status.
set -euo pipefail
dir=$1
shift
mkdir -p "$dir"
rw=() ro=()
while [ "$1" != -- ]; do
	case $1 in
	--rw=*) rw+=("${1#--rw=}") ;;
	--ro=*) ro+=("${1#--ro=}") ;;
	esac
	shift
done
shift

{
	printf 'cd -- %q || { echo "husk-nested: the working directory %q is not in L1 (under /tmp? share it with --rw)" >&2; exit 125; }\n' "$PWD" "$PWD"
	printf 'exec /usr/bin/env -i --'
	while IFS= read -r -d '' kv; do
		printf ' %q' "$kv"
	done < <(env -0)
	printf ' HUSK_NESTED=1'
	printf ' %q' "$@"
	printf ' </dev/null\n'
} >"$dir/run"

{
	i=0
	for d in "${rw[@]}"; do
		echo "rw$i $d rw"
		i=$((i + 1))
	done
	i=0
	for d in "${ro[@]}"; do
		echo "ro$i $d ro"
		i=$((i + 1))
	done
} | sort -k2 >"$dir/rw"

{
	# mountinfo: ... MOUNTPOINT ... - FSTYPE SOURCE SUPEROPTS
	# A v1 hierarchy without controllers (name=systemd) mounts with "none".
	awk 'NR == FNR { if (!/^#/) ctrl[$1] = 1; next }
	$5 ~ "^/sys/fs/cgroup(/|$)" {
		for (i = 7; $i != "-"; i++);
		type = $(i + 1); opts = $(i + 3)
		if (type == "cgroup") {
			n = split(opts, o, ","); has = 0
			for (j = 1; j <= n; j++) if (o[j] in ctrl) has = 1
			if (!has) opts = "none," opts
		}
		print type, $5, opts
	}' /proc/cgroups /proc/self/mountinfo
	find /sys/fs/cgroup -mindepth 1 -maxdepth 1 -type l -printf 'link %f %l\n' 2>/dev/null
} >"$dir/cgroups"
