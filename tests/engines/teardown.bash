# Shared by the engine harnesses (containerd.bash, podman.bash): the last steps
# of tearing a private engine down.

# End processes by pid: TERM, up to 5 s for them to go, then KILL.
#   engine_end_processes PIDS-FUNCTION   (prints the pids still to end)
engine_end_processes() {
	local list=$1 pids i
	pids=$($list)
	[ -n "$pids" ] && kill $pids 2>/dev/null
	for ((i = 0; i < 50; i++)); do
		pids=$($list)
		[ -z "$pids" ] && break
		sleep 0.1
	done
	[ -n "$pids" ] && kill -9 $pids 2>/dev/null
	return 0
}

# Unmount (lazily, deepest first) everything mounted under DIR, then remove the
# given cgroup directories with their children, and DIR itself.
#   engine_remove_tree DIR [CGROUP-DIR...]
engine_remove_tree() {
	local dir=$1 p
	shift
	awk -v t="$dir" 'index($5, t) == 1 {print $5}' /proc/self/mountinfo | sort -r |
		xargs -r -n1 umount -l 2>/dev/null
	for p in "$@"; do
		[ -d "$p" ] && find "$p" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	rm -rf "$dir"
	return 0
}

# Host directories an engine makes whatever its flags (containerd shims'
# socket dir, ctr's default fifo dir, dockerd's plugin dir).  Note at start
# which of them do not exist yet; at the end remove those, if empty, and never
# one that existed before.  List parents after their children.
#   NEW=$(engine_new_dirs DIR...)   ...   engine_remove_new_dirs $NEW
engine_new_dirs() {
	local d
	for d in "$@"; do
		[ -e "$d" ] || echo "$d"
	done
	return 0
}

engine_remove_new_dirs() {
	local d
	for d in "$@"; do
		rmdir "$d" 2>/dev/null
	done
	return 0
}
