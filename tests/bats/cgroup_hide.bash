# A private view of this host's /sys/fs/cgroup with one hierarchy hidden
# (loaded by cgroups_legacy.bats and cgroups_unified.bats): the cgroup code
# then meets a host without it, and the host itself is left as it is.

# Run CMD in a private mount namespace whose /sys/fs/cgroup is a tmpfs with
# every mounted hierarchy of the host bound back except HIDE ("unified" for a
# v1-only host, "devices" or "freezer" for a hybrid host without that v1
# controller).
cg_hide() { # HIDE CMD...
	unshare -m sh -c '
set -e
hide=$1; shift
mount --make-rprivate /
hold=$(mktemp -d /tmp/husk-cgtest-view.XXXXXX)
mount --rbind /sys/fs/cgroup "$hold"
umount -l /sys/fs/cgroup
mount -t tmpfs -o mode=755 tmpfs /sys/fs/cgroup
for c in "$hold"/*; do
	name=$(basename "$c")
	[ "$name" = "$hide" ] && continue
	mountpoint -q "$c" || continue
	mkdir -p "/sys/fs/cgroup/$name"
	mount --bind "$c" "/sys/fs/cgroup/$name"
done
umount -l "$hold"; rmdir "$hold"
exec "$@"' view "$@"
}
