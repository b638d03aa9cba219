/* The rootfs set-up as data: an ordered list of steps built from the config
 * before anything is mounted, then executed in order by rootfs_prepare and
 * rootfs_finalize (the shape of bubblewrap's SetupOp list).  The order is what
 * keeps a container's view safe (masked paths before the pivot, the
 * read-only root last), so unit tests check it here without mounting. */
#ifndef HUSK_ROOTFS_PLAN_H
#define HUSK_ROOTFS_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "oci/spec.h"
#include "rootfs/rootfs.h"

enum rootfs_step {
	/* rootfs_prepare: before the createContainer hooks */
	RSTEP_ROOT_PROPAGATION, /* make / rslave (or as rootfsPropagation says): flags */
	RSTEP_PARENT_PRIVATE,	/* shared propagation: the rootfs's parent mount private */
	RSTEP_BIND_ROOTFS,	/* the rootfs bound onto itself: its root fd for the rest */
	RSTEP_MOUNT,		/* config.json mounts[index] */
	RSTEP_DEV,		/* /dev: devices, default nodes, symlinks, the console */
	/* rootfs_finalize: after the createContainer hooks */
	RSTEP_CGROUP_BINDS, /* v1 cgroup binds of our own cgroups (no cgroup ns) */
	RSTEP_SYSCTLS,
	RSTEP_READONLY_PATH, /* linux.readonlyPaths[index]: path */
	RSTEP_MASKED_PATH,   /* linux.maskedPaths[index]: path */
	RSTEP_PIVOT_ROOT,
	RSTEP_MOVE_ROOT,	  /* --no-pivot: MS_MOVE + chroot */
	RSTEP_ROOTFS_PROPAGATION, /* rootfsPropagation on the new /: flags */
	RSTEP_ROOT_READONLY,	  /* root.readonly */
};

struct rootfs_op {
	enum rootfs_step step;
	size_t index;	     /* RSTEP_MOUNT, RSTEP_READONLY_PATH, RSTEP_MASKED_PATH */
	const char *path;    /* RSTEP_READONLY_PATH, RSTEP_MASKED_PATH (the config's) */
	unsigned long flags; /* RSTEP_ROOT_PROPAGATION, RSTEP_ROOTFS_PROPAGATION: MS_* */
};

struct rootfs_plan {
	struct rootfs_op *ops;
	size_t n, cap;
};

/* Build the steps of each phase.  They check what can be checked without the
 * filesystem (a mount namespace is asked for, the rootfs path, rootfsPropagation's
 * value) and make no system call. */
int rootfs_plan_prepare(const struct oci_config *cfg, const struct rootfs_opts *opts,
			struct rootfs_plan *plan, struct husk_err **err);
int rootfs_plan_finalize(const struct oci_config *cfg, const struct rootfs_opts *opts,
			 struct rootfs_plan *plan, struct husk_err **err);
void rootfs_plan_free(struct rootfs_plan *plan);
/* Run every op in order through step (the phase's executor) until one fails. */
int rootfs_plan_run(const struct rootfs_plan *plan,
		    int (*step)(void *ctx, const struct rootfs_op *op, struct husk_err **err),
		    void *ctx, struct husk_err **err);

/* "bind-rootfs", "mount", ... for logs and tests. */
const char *rootfs_step_name(enum rootfs_step s);

#endif
