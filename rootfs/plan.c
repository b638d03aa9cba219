/* Building the rootfs set-up plan (plan.h): pure, no system call. */
#include "rootfs/plan.h"

#include <stdlib.h>
#include <sys/mount.h>

#include "common/util.h"
#include "rootfs/internal.h"

static void add(struct rootfs_plan *p, struct rootfs_op op)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 16;
		p->ops = xrealloc(p->ops, p->cap * sizeof(*p->ops));
	}
	p->ops[p->n++] = op;
}

/* rootfsPropagation as MS_* flags; 0 when absent. */
static int root_propagation(const struct oci_config *cfg, unsigned long *out, struct husk_err **err)
{
	const char *p = cfg->linux_.rootfs_propagation;
	*out = 0;
	if (!p || !*p)
		return 0;
	*out = mount_propagation_flags(p);
	if (!*out)
		return husk_err_set(err, EINVAL, "linux.rootfsPropagation: unknown value \"%s\"",
				    p);
	return 0;
}

/* Every step changes the mount namespace we are in: never the host's. */
static int check_mount_ns(const struct oci_config *cfg, struct husk_err **err)
{
	if (rootfs_has_ns(cfg, OCI_NS_MOUNT))
		return 0;
	return husk_err_set(err, EINVAL,
			    "rootfs: the config has no mount namespace; refusing to change the "
			    "host's mounts");
}

static void add_paths(struct rootfs_plan *plan, enum rootfs_step step, const oci_strv *paths)
{
	for (size_t i = 0; i < paths->n; i++)
		add(plan, (struct rootfs_op){.step = step, .index = i, .path = paths->v[i]});
}

int rootfs_plan_prepare(const struct oci_config *cfg, const struct rootfs_opts *opts,
			struct rootfs_plan *plan, struct husk_err **err)
{
	if (!opts->rootfs || opts->rootfs[0] != '/')
		return husk_err_set(err, EINVAL, "rootfs: an absolute rootfs path is required");
	if (check_mount_ns(cfg, err) < 0)
		return -1;
	unsigned long prop;
	if (root_propagation(cfg, &prop, err) < 0)
		return -1;
	/* Nothing done in this mount namespace may propagate back to the host.  The
	 * default is runc's rslave: host mounts still reach the container, which
	 * "rslave" bind mounts (Kubernetes' HostToContainer propagation) rely on.
	 * An unbindable tree could not be bound onto itself below: it starts
	 * private, and finalize makes the new / unbindable once it is in place. */
	unsigned long first;
	if (!prop)
		first = MS_REC | MS_SLAVE;
	else if (prop & MS_UNBINDABLE)
		first = MS_REC | MS_PRIVATE;
	else
		first = MS_REC | (prop & ~(unsigned long)MS_REC);
	add(plan, (struct rootfs_op){.step = RSTEP_ROOT_PROPAGATION, .flags = first});
	if (prop & MS_SHARED)
		add(plan, (struct rootfs_op){.step = RSTEP_PARENT_PRIVATE});
	add(plan, (struct rootfs_op){.step = RSTEP_BIND_ROOTFS});
	for (size_t i = 0; i < cfg->n_mounts; i++)
		add(plan, (struct rootfs_op){.step = RSTEP_MOUNT, .index = i});
	add(plan, (struct rootfs_op){.step = RSTEP_DEV});
	return 0;
}

int rootfs_plan_finalize(const struct oci_config *cfg, const struct rootfs_opts *opts,
			 struct rootfs_plan *plan, struct husk_err **err)
{
	if (!opts->rootfs)
		return husk_err_set(err, EINVAL, "rootfs: no rootfs path");
	unsigned long prop;
	if (check_mount_ns(cfg, err) < 0 || root_propagation(cfg, &prop, err) < 0)
		return -1;
	add(plan, (struct rootfs_op){.step = RSTEP_CGROUP_BINDS});
	/* Before the switch, resolved inside the new root: once pivot_root has
	 * stacked the old root on "/", a ".." at the root (a readonly path that is
	 * a symlink to "../data") steps up into the old root's mounts until its
	 * detach has finished, and a bind made there is lost with it
	 * (tests/unit/test_rootfs_cve.c, symlinks to the host). */
	add(plan, (struct rootfs_op){.step = RSTEP_SYSCTLS});
	add_paths(plan, RSTEP_READONLY_PATH, &cfg->linux_.readonly_paths);
	add_paths(plan, RSTEP_MASKED_PATH, &cfg->linux_.masked_paths);
	add(plan, (struct rootfs_op){.step = opts->no_pivot ? RSTEP_MOVE_ROOT : RSTEP_PIVOT_ROOT});
	if (prop)
		add(plan, (struct rootfs_op){.step = RSTEP_ROOTFS_PROPAGATION, .flags = prop});
	if (cfg->root.readonly)
		add(plan, (struct rootfs_op){.step = RSTEP_ROOT_READONLY});
	return 0;
}

int rootfs_plan_run(const struct rootfs_plan *plan,
		    int (*step)(void *ctx, const struct rootfs_op *op, struct husk_err **err),
		    void *ctx, struct husk_err **err)
{
	for (size_t i = 0; i < plan->n; i++)
		if (step(ctx, &plan->ops[i], err) < 0)
			return -1;
	return 0;
}

void rootfs_plan_free(struct rootfs_plan *plan)
{
	free(plan->ops);
	*plan = (struct rootfs_plan){0};
}

const char *rootfs_step_name(enum rootfs_step s)
{
	static const char *const names[] = {
	    [RSTEP_ROOT_PROPAGATION] = "root-propagation",
	    [RSTEP_PARENT_PRIVATE] = "parent-private",
	    [RSTEP_BIND_ROOTFS] = "bind-rootfs",
	    [RSTEP_MOUNT] = "mount",
	    [RSTEP_DEV] = "dev",
	    [RSTEP_CGROUP_BINDS] = "cgroup-binds",
	    [RSTEP_SYSCTLS] = "sysctls",
	    [RSTEP_READONLY_PATH] = "readonly-path",
	    [RSTEP_MASKED_PATH] = "masked-path",
	    [RSTEP_PIVOT_ROOT] = "pivot-root",
	    [RSTEP_MOVE_ROOT] = "move-root",
	    [RSTEP_ROOTFS_PROPAGATION] = "rootfs-propagation",
	    [RSTEP_ROOT_READONLY] = "root-readonly",
	};
	return (unsigned)s < ARRAY_SIZE(names) && names[s] ? names[s] : "unknown";
}
