/* Which cgroup layout the host has, and where its hierarchies are.
 *
 * The mode comes from statfs alone: cgroup2 at /sys/fs/cgroup is unified; a
 * tmpfs there with a cgroup2 mount at /sys/fs/cgroup/unified is hybrid;
 * otherwise legacy.  v1 hierarchies are found by listing the root once (each
 * mount dir is named after its controllers, "cpu,cpuacct" with "cpu" and
 * "cpuacct" symlinks); a mount is confirmed by its superblock magic. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "cgroups/internal.h"
#include "common/cleanup.h"
#include "common/util.h"

int cgroup_detect_mode(enum cgroup_mode *mode, struct husk_err **err)
{
	static int cached = -1;
	if (cached >= 0) {
		*mode = (enum cgroup_mode)cached;
		return 0;
	}
	struct statfs fs;
	if (statfs(CGROUP_DEFAULT_ROOT, &fs) < 0)
		return husk_err_sys(err, "statfs %s", CGROUP_DEFAULT_ROOT);
	if (fs.f_type == CGROUP2_SUPER_MAGIC) {
		cached = CGROUP_MODE_UNIFIED;
	} else if (fs.f_type == TMPFS_MAGIC) {
		if (statfs(CGROUP_DEFAULT_ROOT "/unified", &fs) == 0 &&
		    fs.f_type == CGROUP2_SUPER_MAGIC)
			cached = CGROUP_MODE_HYBRID;
		else
			cached = CGROUP_MODE_LEGACY;
	} else {
		return husk_err_set(err, ENOTSUP,
				    "%s is neither cgroup2 nor a tmpfs of cgroup v1 mounts",
				    CGROUP_DEFAULT_ROOT);
	}
	*mode = (enum cgroup_mode)cached;
	return 0;
}

static void add_hier(struct cgroup_manager *cm, const char *dir, bool v2, uint32_t ctrls)
{
	struct cg_hier *h = &cm->h[cm->n++];
	h->dir = xstrdup(dir);
	h->v2 = v2;
	h->ctrls = ctrls;
	h->fd = -1;
	h->created = false;
}

/* A real mount (not a symlink, and a cgroup superblock when on the real root). */
static bool is_v1_mount(int rootfd, const char *name, bool check_magic)
{
	if (!check_magic)
		return true;
	cleanup_fd int fd = openat(rootfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct statfs fs;
	return fd >= 0 && fstatfs(fd, &fs) == 0 && fs.f_type == CGROUP_SUPER_MAGIC;
}

int cg_discover(const char *root, enum cgroup_mode mode, struct cgroup_manager *cm,
		struct husk_err **err)
{
	if (mode == CGROUP_MODE_UNIFIED) {
		add_hier(cm, "", true, 0);
		return 0;
	}
	bool real = strcmp(root, CGROUP_DEFAULT_ROOT) == 0;
	int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return husk_err_sys(err, "open %s", root);
	cleanup_dir DIR *d = fdopendir(rootfd);
	if (!d) {
		close(rootfd);
		return husk_err_sys(err, "opendir %s", root);
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue; /* symlinks like cpu -> cpu,cpuacct are aliases */
		uint32_t ctrls = cg_ctrls_from_dirname(de->d_name);
		if (!ctrls)
			continue;
		if (!is_v1_mount(rootfd, de->d_name, real))
			continue;
		if (cm->n == CGROUP_MAX_HIER - 1)
			break;
		add_hier(cm, de->d_name, false, ctrls);
	}
	if (mode == CGROUP_MODE_HYBRID)
		add_hier(cm, "unified", true, 0);
	if (cm->n == 0)
		return husk_err_set(err, ENOENT, "no cgroup hierarchy is mounted under %s", root);
	return 0;
}

int cg_find(const struct cgroup_manager *cm, int c)
{
	for (size_t i = 0; i < cm->n; i++)
		if (!cm->h[i].v2 && (cm->h[i].ctrls & CG_BIT(c)))
			return (int)i;
	return -1;
}

int cg_find_v2(const struct cgroup_manager *cm)
{
	for (size_t i = 0; i < cm->n; i++)
		if (cm->h[i].v2)
			return (int)i;
	return -1;
}
