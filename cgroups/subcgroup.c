/* exec --cgroup: the process joins an existing sub-cgroup of the container's,
 * as runc 1.1 does.  Arguments are "PATH" (every hierarchy) or
 * "CTRL[,CTRL...]:PATH" (those controllers' hierarchies; PATH for the others
 * comes from a plain argument, else the container's own cgroup). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroups/cgroup.h"
#include "cgroups/internal.h"
#include "common/cleanup.h"
#include "common/util.h"

struct sub_spec {
	const char *all;		/* PATH without a controller */
	const char *per[CG_CTRL_COUNT]; /* CTRL:PATH */
	const char *v2;			/* "unified:PATH" (hybrid's cgroup2 hierarchy) */
};

static int ctrl_by_name(const char *name, size_t len)
{
	for (int c = 0; c < CG_CTRL_COUNT; c++) {
		const char *n = cg_ctrl_name((enum cg_ctrl)c);
		if (strlen(n) == len && !strncmp(n, name, len))
			return c;
	}
	return -1;
}

static int parse_one(const char *arg, size_t nargs, struct sub_spec *s, struct husk_err **err)
{
	const char *colon = strchr(arg, ':');
	if (!colon) {
		if (nargs != 1)
			return husk_err_set(err, EINVAL,
					    "invalid --cgroup argument: %s (missing <controller>: "
					    "prefix)",
					    arg);
		s->all = arg;
		return 0;
	}
	const char *path = colon + 1;
	if (strchr(path, ':'))
		return husk_err_set(err, EINVAL, "invalid --cgroup argument: %s", arg);
	for (const char *c = arg; c < colon;) {
		size_t len = strcspn(c, ",:");
		if (len == 0)
			return husk_err_set(
			    err, EINVAL,
			    "invalid --cgroup argument: %s (empty <controller> prefix)", arg);
		const char **slot = NULL;
		if (len == 7 && !strncmp(c, "unified", 7)) {
			slot = &s->v2;
		} else {
			int ctrl = ctrl_by_name(c, len);
			if (ctrl < 0)
				return husk_err_set(
				    err, EINVAL,
				    "invalid --cgroup argument: %s (unknown controller "
				    "%.*s)",
				    arg, (int)len, c);
			slot = &s->per[ctrl];
		}
		if (*slot)
			return husk_err_set(
			    err, EINVAL,
			    "invalid --cgroup argument(s): controller %.*s specified "
			    "multiple times",
			    (int)len, c);
		*slot = path;
		c += len;
		if (*c == ',')
			c++;
	}
	return 0;
}

/* The sub-path for hierarchy h, NULL for the container's own cgroup. */
static int sub_for(const struct cg_hier *h, const struct sub_spec *s, const char **out,
		   struct husk_err **err)
{
	*out = NULL;
	if (h->v2) {
		*out = s->v2 ? s->v2 : s->all;
		return 0;
	}
	for (int c = 0; c < CG_CTRL_COUNT; c++) {
		if (!(h->ctrls & CG_BIT(c)) || !s->per[c])
			continue;
		if (*out && strcmp(*out, s->per[c]))
			return husk_err_set(
			    err, EINVAL,
			    "--cgroup: controllers of the %s hierarchy get different "
			    "paths (%s, %s)",
			    h->dir, *out, s->per[c]);
		*out = s->per[c];
	}
	if (!*out)
		*out = s->all;
	return 0;
}

int cgroup_enter_sub(struct cgroup_manager *cm, pid_t pid, const char *const *args, size_t nargs,
		     struct husk_err **err)
{
	struct sub_spec s = {0};
	for (size_t i = 0; i < nargs; i++)
		if (parse_one(args[i], nargs, &s, err) < 0)
			return -1;
	char pidbuf[32];
	snprintf(pidbuf, sizeof(pidbuf), "%d", (int)pid);
	for (size_t i = 0; i < cm->n; i++) {
		const char *sub = NULL;
		if (sub_for(&cm->h[i], &s, &sub, err) < 0)
			return -1;
		int base = cg_fd(cm, i, err);
		if (base < 0)
			return -1;
		/* Cleaned as an absolute path: ".." cannot climb out of the container's cgroup. */
		cleanup_free char *clean = cg_clean_path(sub ? sub : "/");
		const char *rel = clean[1] ? clean + 1 : ".";
		cleanup_fd int fd = openat(base, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return husk_err_sys(err, "--cgroup: %s%s in the %s hierarchy", cm->path,
					    clean[1] ? clean : "",
					    *cm->h[i].dir ? cm->h[i].dir : "cgroup2");
		if (cg_write(fd, "cgroup.procs", pidbuf, err) < 0)
			return husk_err_wrap(err, "--cgroup: move pid %d into %s%s", (int)pid,
					     cm->path, clean[1] ? clean : "");
	}
	return 0;
}
