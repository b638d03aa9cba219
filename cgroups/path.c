/* linux.cgroupsPath -> the container's cgroup path inside each hierarchy.
 *
 *   absolute  "/a/b"      used as is, below each hierarchy's root (runc)
 *   relative  "a/b"       below husk's default parent: /husk/a/b
 *   absent                /husk/<id>
 *   systemd   "slice:prefix:name" (with --systemd-cgroup) -> the path systemd
 *             would give the scope: /a.slice/a-b.slice/prefix-name.scope.  husk
 *             does not talk to systemd over D-Bus; it makes the same directories.
 *
 * runc puts relative paths under its own cgroup; husk uses a fixed parent so a
 * container never lands inside a cgroup that holds processes (v2 forbids
 * controllers there) and so no /proc/self/cgroup read is needed per start. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cgroups/internal.h"
#include "common/cleanup.h"
#include "common/util.h"

/* Lexical clean like runc's CleanPath: "//" and "." dropped, ".." never climbs
 * above the root.  Always returns an absolute path. */
char *cg_clean_path(const char *p)
{
	size_t cap = strlen(p) + 2;
	char *out = xmalloc(cap);
	size_t len = 0;
	out[0] = '\0';
	const char *s = p;
	while (*s) {
		while (*s == '/')
			s++;
		size_t n = strcspn(s, "/");
		if (n == 0)
			break;
		if (n == 1 && s[0] == '.') {
			/* skip */
		} else if (n == 2 && s[0] == '.' && s[1] == '.') {
			while (len > 0 && out[len - 1] != '/')
				len--;
			if (len > 0)
				len--;
			out[len] = '\0';
		} else {
			out[len++] = '/';
			memcpy(out + len, s, n);
			len += n;
			out[len] = '\0';
		}
		s += n;
	}
	if (len == 0) {
		out[0] = '/';
		out[1] = '\0';
	}
	return out;
}

static int check_chars(const char *p, struct husk_err **err)
{
	for (const char *s = p; *s; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return husk_err_set(
			    err, EINVAL, "cgroupsPath %s: control characters are not allowed", p);
	}
	return 0;
}

/* "a-b-c.slice" -> "/a.slice/a-b.slice/a-b-c.slice" (systemd's slice nesting). */
static int expand_slice(const char *slice, char **out, struct husk_err **err)
{
	size_t sl = strlen(slice);
	if (strcmp(slice, "-.slice") == 0 || sl == 0) {
		*out = xstrdup("");
		return 0;
	}
	if (sl < 7 || strcmp(slice + sl - 6, ".slice") != 0 || strchr(slice, '/'))
		return husk_err_set(err, EINVAL, "invalid systemd slice %s", slice);
	size_t base = sl - 6;
	if (slice[0] == '-' || slice[base - 1] == '-' || strstr(slice, "--"))
		return husk_err_set(err, EINVAL, "invalid systemd slice %s", slice);
	cleanup_free char *acc = xstrdup("");
	for (size_t i = 0; i <= base; i++) {
		if (i == base || slice[i] == '-') {
			char *next = xasprintf("%s/%.*s.slice", acc, (int)i, slice);
			free(acc);
			acc = next;
		}
	}
	*out = steal_ptr(&acc);
	return 0;
}

static int resolve_systemd(const char *id, const char *p, char **out, struct husk_err **err)
{
	cleanup_free char *dup = xstrdup(p ? p : "");
	char *slice = "system.slice", *prefix = "husk", *name = (char *)id;
	if (*dup) {
		char *c1 = strchr(dup, ':');
		char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c1 || !c2 || strchr(c2 + 1, ':'))
			return husk_err_set(err, EINVAL,
					    "cgroupsPath %s: expected \"slice:prefix:name\" with "
					    "--systemd-cgroup",
					    p);
		*c1 = *c2 = '\0';
		if (*dup)
			slice = dup;
		prefix = c1 + 1;
		name = c2 + 1;
		if (!*name)
			return husk_err_set(err, EINVAL, "cgroupsPath %s: empty name", p);
	}
	cleanup_free char *sp = NULL;
	if (expand_slice(slice, &sp, err) < 0)
		return husk_err_wrap(err, "cgroupsPath %s", p ? p : "");
	size_t nl = strlen(name);
	cleanup_free char *unit = NULL;
	if (nl > 6 && strcmp(name + nl - 6, ".slice") == 0) {
		/* The name is a slice of its own: the container is that slice. */
		cleanup_free char *np = NULL;
		if (expand_slice(name, &np, err) < 0)
			return husk_err_wrap(err, "cgroupsPath %s", p);
		unit = xstrdup(strrchr(np, '/') + 1);
	} else if (*prefix) {
		unit = xasprintf("%s-%s.scope", prefix, name);
	} else {
		unit = xasprintf("%s.scope", name);
	}
	if (strchr(unit, '/'))
		return husk_err_set(err, EINVAL, "cgroupsPath %s: '/' in unit name", p);
	cleanup_free char *joined = xasprintf("%s/%s", sp, unit);
	*out = cg_clean_path(joined);
	return 0;
}

int cg_resolve_path(const char *id, const char *cgroups_path, bool systemd, char **out,
		    struct husk_err **err)
{
	if (cgroups_path && check_chars(cgroups_path, err) < 0)
		return -1;
	if (systemd)
		return resolve_systemd(id, cgroups_path, out, err);
	cleanup_free char *joined = NULL;
	if (!cgroups_path || !*cgroups_path)
		joined = xasprintf("%s/%s", CGROUP_DEFAULT_PARENT, id);
	else if (cgroups_path[0] == '/')
		joined = xstrdup(cgroups_path);
	else {
		/* Clean the relative part on its own so ".." cannot leave the parent. */
		cleanup_free char *rel = cg_clean_path(cgroups_path);
		if (strcmp(rel, "/") == 0)
			return husk_err_set(err, EINVAL,
					    "cgroupsPath %s: names no cgroup below the parent",
					    cgroups_path);
		joined = xasprintf("%s%s", CGROUP_DEFAULT_PARENT, rel);
	}
	char *p = cg_clean_path(joined);
	if (strcmp(p, "/") == 0) {
		free(p);
		return husk_err_set(err, EINVAL,
				    "cgroupsPath %s: the root cgroup cannot hold a container",
				    cgroups_path);
	}
	*out = p;
	return 0;
}
