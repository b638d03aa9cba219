/* The "cgroup" mount type, as runc does it.
 *
 * Pure cgroup v2: a cgroup2 mount (inside a cgroup namespace it shows the
 * container's own subtree).  v1 or hybrid hosts: a tmpfs at the destination with
 * one directory per hierarchy the container belongs to, each a bind of the
 * container's own cgroup directory (found in /proc/self/cgroup: the runtime has
 * already placed us in our cgroups), or, with a cgroup namespace, a fresh mount
 * of that hierarchy.  Co-mounted controllers ("cpu,cpuacct") get symlinks.
 *
 * Host hierarchies are looked up by the conventional name below /sys/fs/cgroup
 * (the controller list, "name=" dropped; "unified" for the v2 part of a hybrid
 * host) rather than by parsing mountinfo, which is slow; a hierarchy mounted
 * elsewhere is skipped. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "rootfs/internal.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

static bool has_cgroupns(const struct oci_config *cfg)
{
	return rootfs_has_ns(cfg, OCI_NS_CGROUP);
}

/* A fresh mount of one hierarchy (cgroup namespace case). */
static int new_hierarchy_mount(const char *ctrls, uint64_t attrs, struct husk_err **err)
{
	struct mount_opts o = {0};
	cleanup_free char *data = NULL;
	if (!ctrls)
		return fs_new_mount("cgroup2", "cgroup", NULL, attrs, err);
	if (strncmp(ctrls, "name=", 5) == 0)
		data = xasprintf("none,%s", ctrls);
	else
		data = xstrdup(ctrls);
	o.data = data;
	return fs_new_mount("cgroup", "cgroup", &o, attrs, err);
}

static int mount_one_hierarchy(int tmpfs_fd, int host_root_fd, const char *ctrls,
			       const char *cgpath, bool cgns, const struct mount_opts *o,
			       struct husk_err **err)
{
	/* directory name: the controller list with "name=" prefixes dropped */
	cleanup_free char *name = NULL;
	if (!ctrls) {
		name = xstrdup("unified");
	} else {
		name = xmalloc(strlen(ctrls) + 1);
		char *w = name;
		for (const char *s = ctrls; *s;) {
			if (strncmp(s, "name=", 5) == 0)
				s += 5;
			while (*s && *s != ',')
				*w++ = *s++;
			if (*s == ',')
				*w++ = *s++;
		}
		*w = '\0';
	}
	cleanup_fd int tree = -1;
	if (cgns) {
		tree = new_hierarchy_mount(ctrls, o->attr_set, err);
		if (tree < 0)
			return husk_err_wrap(err, "cgroup hierarchy %s", name);
	} else {
		cleanup_free char *src = xasprintf("%s%s", name, cgpath);
		tree = open_tree(host_root_fd, src,
				 OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
		if (tree < 0) {
			if (errno == ENOENT)
				return 0; /* hierarchy not mounted at the conventional place */
			return husk_err_sys(err, "bind %s/%s", CGROUP_ROOT, src);
		}
		if ((o->attr_set || o->attr_clr) &&
		    sys_setattr(tree, false, o->attr_set, o->attr_clr, 0) < 0)
			return husk_err_sys(err, "set attributes of %s", name);
	}
	/* A fresh directory in our own, still private tmpfs: attached by name,
	 * without following symlinks (no MOVE_MOUNT_T_SYMLINKS). */
	if (mkdirat(tmpfs_fd, name, 0755) < 0)
		return husk_err_sys(err, "mkdir %s", name);
	if (move_mount(tree, "", tmpfs_fd, name, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return husk_err_sys(err, "move_mount %s", name);
	if (strchr(name, ',')) {
		cleanup_free char *parts = xstrdup(name);
		char *save = NULL;
		for (char *p = strtok_r(parts, ",", &save); p; p = strtok_r(NULL, ",", &save))
			if (symlinkat(name, tmpfs_fd, p) < 0 && errno != EEXIST)
				return husk_err_sys(err, "symlink %s", p);
	}
	return 0;
}

/* Fill the tmpfs (tmpfs_fd: its root) with the hierarchies listed in our
 * /proc/self/cgroup, then apply ro and propagation to it. */
static int populate_v1_tree(int tmpfs, bool cgns, const char *dest, const struct mount_opts *o,
			    struct husk_err **err)
{
	cleanup_fd int host_root = -1;
	if (!cgns) {
		host_root = open(CGROUP_ROOT, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (host_root < 0)
			return husk_err_sys(err, "open %s", CGROUP_ROOT);
	}
	cleanup_free char *self = NULL;
	if (read_file_at(AT_FDCWD, "/proc/self/cgroup", &self, NULL, err) < 0)
		return -1;
	for (char *line = self, *nl; line && *line; line = nl) {
		nl = strchr(line, '\n');
		if (nl)
			*nl++ = '\0';
		char *c1 = strchr(line, ':');
		char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c2 = '\0';
		const char *ctrls = c1 + 1;
		const char *path = c2 + 1;
		if (!*ctrls) {
			/* the v2 part of a hybrid host, only if it is mounted */
			struct statfs sfs;
			if (statfs(CGROUP_ROOT "/unified", &sfs) < 0 ||
			    sfs.f_type != CGROUP2_SUPER_MAGIC)
				continue;
			ctrls = NULL;
		}
		if (mount_one_hierarchy(tmpfs, host_root, ctrls, path, cgns, o, err) < 0)
			return -1;
	}
	if ((o->attr_set & MOUNT_ATTR_RDONLY) &&
	    sys_setattr(tmpfs, false, MOUNT_ATTR_RDONLY, 0, 0) < 0)
		return husk_err_sys(err, "make %s read-only", dest);
	if (o->propagation && sys_setattr(tmpfs, o->propagation_rec, 0, 0, o->propagation) < 0)
		return husk_err_sys(err, "set propagation");
	return 0;
}

/* Without a cgroup namespace the binds need our final cgroup paths, and the
 * runtime may still be moving us into our cgroups while rootfs_prepare runs:
 * only the tmpfs is mounted here, rootfs_cgroup_populate() fills it in from
 * rootfs_finalize(), before pivot_root. */
/* The tmpfs mounts rootfs_prepare made for that, by mount id: rootfs_finalize
 * fills in only these (both run in the container's init). */
static uint64_t pending_tmpfs[16];
static size_t n_pending_tmpfs;

static int mount_v1_tree(struct rootfs_ctx *ctx, const char *dest, const struct mount_opts *o,
			 struct husk_err **err)
{
	struct mount_opts t = {.data = (char *)"mode=755"};
	uint64_t attrs = (o->attr_set & ~(uint64_t)MOUNT_ATTR_RDONLY) | MOUNT_ATTR_NOSUID |
			 MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
	cleanup_fd int tmpfs = fs_new_mount("tmpfs", "tmpfs", &t, attrs, err);
	if (tmpfs < 0)
		return -1;
	if (place_mount(ctx, tmpfs, dest, TARGET_DIR, err) < 0)
		return -1;
	if (has_cgroupns(ctx->cfg))
		return populate_v1_tree(tmpfs, true, dest, o, err);
	uint64_t id;
	if (sys_statx_mnt(tmpfs, &id, NULL) < 0)
		return husk_err_sys(err, "statx");
	if (n_pending_tmpfs == ARRAY_SIZE(pending_tmpfs))
		return husk_err_set(err, E2BIG, "too many cgroup mounts");
	pending_tmpfs[n_pending_tmpfs++] = id;
	return 0;
}

static bool is_cgroup_entry(const struct oci_mount *m)
{
	if (!m->type || strcmp(m->type, "cgroup") != 0 || !m->destination)
		return false;
	for (size_t i = 0; i < m->options.n; i++)
		if (!strcmp(m->options.v[i], "bind") || !strcmp(m->options.v[i], "rbind") ||
		    !strcmp(m->options.v[i], "remount"))
			return false;
	return true;
}

int rootfs_cgroup_populate(const struct oci_config *cfg, int root_fd, struct husk_err **err)
{
	if (has_cgroupns(cfg))
		return 0;
	bool v1 = false, checked = false;
	for (size_t i = 0; i < cfg->n_mounts; i++) {
		const struct oci_mount *m = &cfg->mounts[i];
		if (!is_cgroup_entry(m))
			continue;
		if (!checked) {
			struct statfs sfs;
			if (statfs(CGROUP_ROOT, &sfs) < 0)
				return husk_err_sys(err, "statfs %s", CGROUP_ROOT);
			v1 = sfs.f_type != CGROUP2_SUPER_MAGIC;
			checked = true;
		}
		if (!v1)
			return 0;
		struct mount_opts o;
		if (mount_opts_parse(&m->options, &o, err) < 0)
			return -1;
		cleanup_free char *dest = clean_path(m->destination);
		/* it must still be the tmpfs rootfs_prepare put there */
		cleanup_fd int fd = open_in_root_raw(root_fd, dest, O_RDONLY | O_DIRECTORY, 0);
		uint64_t id = 0;
		int r = 0;
		if (fd < 0)
			r = husk_err_set(err, -fd, "open");
		else if (sys_statx_mnt(fd, &id, NULL) < 0)
			r = husk_err_sys(err, "statx");
		bool ours = false;
		for (size_t j = 0; r == 0 && j < n_pending_tmpfs; j++)
			if (pending_tmpfs[j] == id) {
				ours = true;
				pending_tmpfs[j] = 0; /* fill each one once */
			}
		/* not our tmpfs (a later config mount covers it): nothing to fill in */
		if (r == 0 && ours)
			r = populate_v1_tree(fd, false, dest, &o, err);
		mount_opts_free(&o);
		if (r < 0)
			return husk_err_wrap(err, "mount \"%s\" on \"%s\"",
					     m->source ? m->source : "cgroup", m->destination);
	}
	return 0;
}

static int mount_v2(struct rootfs_ctx *ctx, const char *dest, const struct mount_opts *o,
		    struct husk_err **err)
{
	struct husk_err *first = NULL;
	cleanup_fd int mfd = fs_new_mount("cgroup2", "cgroup", o, o->attr_set, &first);
	if (mfd < 0 && !has_cgroupns(ctx->cfg) &&
	    (first->errnum == EPERM || first->errnum == EBUSY)) {
		/* no cgroup namespace in a user namespace: bind our own subtree */
		cleanup_free char *self = NULL;
		if (read_file_at(AT_FDCWD, "/proc/self/cgroup", &self, NULL, err) < 0) {
			husk_err_free(&first);
			return -1;
		}
		char *p = strstr(self, "0::");
		char *nl = p ? strchr(p, '\n') : NULL;
		if (nl)
			*nl = '\0';
		cleanup_free char *src = xasprintf(CGROUP_ROOT "%s", p ? p + 3 : "/");
		mfd = open_tree(AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
		if (mfd < 0) {
			husk_err_free(&first);
			return husk_err_sys(err, "bind %s", src);
		}
		if (sys_setattr(mfd, false, o->attr_set, o->attr_clr, 0) < 0) {
			husk_err_free(&first);
			return husk_err_sys(err, "set attributes");
		}
	}
	if (mfd < 0) {
		int code = husk_err_code(first);
		if (err && !*err)
			*err = first;
		else
			husk_err_free(&first);
		return code;
	}
	husk_err_free(&first);
	if (place_mount(ctx, mfd, dest, TARGET_DIR, err) < 0)
		return -1;
	if (o->propagation && sys_setattr(mfd, o->propagation_rec, 0, 0, o->propagation) < 0)
		return husk_err_sys(err, "set propagation");
	return 0;
}

int mount_cgroup(struct rootfs_ctx *ctx, const struct oci_mount *m, const struct mount_opts *o,
		 struct husk_err **err)
{
	cleanup_free char *dest = clean_path(m->destination);
	struct statfs sfs;
	if (statfs(CGROUP_ROOT, &sfs) < 0)
		return husk_err_sys(err, "statfs %s", CGROUP_ROOT);
	if (sfs.f_type == CGROUP2_SUPER_MAGIC)
		return mount_v2(ctx, dest, o, err);
	return mount_v1_tree(ctx, dest, o, err);
}
