/* The guest's root: the container's "/" over virtio-fs, with the kernel
 * filesystems of the guest itself on top (never the host's), then MS_MOVE
 * onto "/" and chroot (an initramfs cannot be pivot_root'ed away). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vm-sandbox/agent/agent.h"

#define NEWROOT "/newroot"

struct guest_mount {
	const char *source, *target, *type;
	unsigned long flags;
	const char *data;
};

static const struct guest_mount kernel_mounts[] = {
    {"proc", NEWROOT "/proc", "proc", MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL},
    {"sysfs", NEWROOT "/sys", "sysfs", MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY, NULL},
    /* /dev comes from the initramfs (moved, see below) */
    {"devpts", NEWROOT "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
     "newinstance,ptmxmode=0666,mode=0620,gid=5"},
    {"shm", NEWROOT "/dev/shm", "tmpfs", MS_NOSUID | MS_NOEXEC | MS_NODEV, "mode=1777,size=65536k"},
};

/* A mount point the rootfs lacks: made when the root is writable. */
static int ensure_dir(const char *path, struct husk_err **err)
{
	struct stat st;
	if (stat(path, &st) == 0)
		return S_ISDIR(st.st_mode)
			   ? 0
			   : husk_err_set(err, ENOTDIR, "%s is not a directory", path);
	if (mkdir(path, 0755) < 0)
		return husk_err_sys(err, "mount point %s is missing and cannot be made", path);
	return 0;
}

int agent_switch_root(const struct agent_config *cfg, struct husk_err **err)
{
	/* Read-write even for root.readonly: the share is one filesystem to
	 * the guest, and the host enforces each of the container's mounts'
	 * flags (a read-only "/", a writable tmpfs on /tmp under it). */
	unsigned long root_flags = 0;
	if (getenv(AGENT_ENV_NO_ROOT)) {
		/* A debugging aid: the initramfs itself is the root. */
		if (mount("/", NEWROOT, NULL, MS_BIND, NULL) < 0)
			return husk_err_sys(err, "bind the initramfs as the root");
	} else if (mount(AGENT_ROOT_TAG, NEWROOT, "virtiofs", root_flags, NULL) < 0) {
		return husk_err_sys(err, "mount the container's root (virtio-fs tag %s)",
				    AGENT_ROOT_TAG);
	}
	if (ensure_dir(NEWROOT "/dev", err) < 0)
		return -1;
	/* The devtmpfs the channel was opened from moves along. */
	if (mount("/dev", NEWROOT "/dev", NULL, MS_MOVE, NULL) < 0)
		return husk_err_sys(err, "move /dev into the container's root");
	for (size_t i = 0; i < sizeof(kernel_mounts) / sizeof(kernel_mounts[0]); i++) {
		const struct guest_mount *m = &kernel_mounts[i];
		if (ensure_dir(m->target, err) < 0 ||
		    mount(m->source, m->target, m->type, m->flags, m->data) < 0) {
			if (!*err)
				husk_err_sys(err, "mount %s on %s", m->type,
					     m->target + strlen(NEWROOT));
			return -1;
		}
	}
	/* ptmx through the new devpts instance, as in a container. */
	unlink(NEWROOT "/dev/ptmx");
	if (symlink("pts/ptmx", NEWROOT "/dev/ptmx") < 0 && errno != EEXIST)
		return husk_err_sys(err, "/dev/ptmx");
	if (chdir(NEWROOT) < 0 || mount(".", "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0 ||
	    chdir("/") < 0)
		return husk_err_sys(err, "switch to the container's root");
	if (cfg->hostname && *cfg->hostname &&
	    sethostname(cfg->hostname, strlen(cfg->hostname)) < 0)
		return husk_err_sys(err, "sethostname %s", cfg->hostname);
	return 0;
}
