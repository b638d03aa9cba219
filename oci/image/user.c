/* The image's User, as engines resolve it (runc's libcontainer/user rules):
 * "", "name", "uid", "name:group", "uid:gid", "name:gid", "uid:group".
 * A name must be in the rootfs's /etc/passwd (/etc/group for a group); a
 * number need not be.  Without an explicit group the user's primary group
 * from /etc/passwd is used (0 when the uid is not listed), and the groups
 * of /etc/group that list the user become additionalGids; its home
 * directory becomes HOME when Env has none (as podman and umoci do).  The files are
 * opened under the rootfs fd, so a symlinked /etc/passwd stays inside it. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "oci/image/internal.h"
#include "rootfs/rootfs.h"

#define DB_MAX (4u << 20)

/* The file, or NULL when the image has none. */
static int read_db(int root_fd, const char *path, char **out, struct husk_err **err)
{
	*out = NULL;
	int fd = rootfs_resolve_in_root(root_fd, path, O_RDONLY | O_NONBLOCK, 0);
	if (fd == -ENOENT || fd == -ENOTDIR)
		return 0;
	if (fd < 0)
		return husk_err_set(err, -fd, "open %s in the rootfs", path);
	cleanup_fd int cfd = fd;
	cleanup_free char *buf = xmalloc(DB_MAX + 1);
	ssize_t n = read_all(cfd, buf, DB_MAX);
	if (n < 0)
		return husk_err_sys(err, "read %s in the rootfs", path);
	buf[n] = '\0';
	*out = steal_ptr(&buf);
	return 0;
}

static bool parse_id(const char *s, uint32_t *out)
{
	unsigned long long v;
	if (parse_u64(s, &v) < 0 || v > UINT32_MAX - 1)
		return false;
	*out = v;
	return true;
}

/* The n-th ':' field of line (0-based) into buf; false when missing. */
static bool field(const char *line, int n, char *buf, size_t size)
{
	const char *p = line;
	for (int i = 0; i < n; i++) {
		p = strchr(p, ':');
		if (!p)
			return false;
		p++;
	}
	size_t len = strcspn(p, ":");
	if (len >= size)
		return false;
	memcpy(buf, p, len);
	buf[len] = '\0';
	return true;
}

/* Each non-comment line of db, NUL-terminated in place (db is modified). */
#define foreach_line(line, db)                                                                     \
	for (char *line = (db), *line##_next; line; line = line##_next)                            \
		if ((line##_next = strchr(line, '\n')) ? (*line##_next++ = '\0', 1) : 1)           \
			if (line[0] != '#' && line[0])

struct ent {
	char name[256];
	char home[1024];
	uint32_t id, gid;
	bool found;
};

/* passwd: by name or by uid. */
static struct ent find_user(char *db, const char *name, bool by_id, uint32_t uid)
{
	struct ent r = {0};
	foreach_line(line, db)
	{
		char f0[256], f2[32], f3[32], f5[1024];
		uint32_t id, gid;
		if (!field(line, 0, f0, sizeof(f0)) || !field(line, 2, f2, sizeof(f2)) ||
		    !field(line, 3, f3, sizeof(f3)) || !parse_id(f2, &id) || !parse_id(f3, &gid))
			continue;
		if (by_id ? id == uid : !strcmp(f0, name)) {
			snprintf(r.name, sizeof(r.name), "%s", f0);
			if (field(line, 5, f5, sizeof(f5)))
				snprintf(r.home, sizeof(r.home), "%s", f5);
			r.id = id;
			r.gid = gid;
			r.found = true;
			return r;
		}
	}
	return r;
}

static bool find_group(char *db, const char *name, uint32_t *gid)
{
	foreach_line(line, db)
	{
		char f0[256], f2[32];
		if (field(line, 0, f0, sizeof(f0)) && field(line, 2, f2, sizeof(f2)) &&
		    !strcmp(f0, name) && parse_id(f2, gid))
			return true;
	}
	return false;
}

/* Groups whose member list (4th field) names user. */
static void member_groups(char *db, const char *user, uint32_t primary, struct img_user *u)
{
	foreach_line(line, db)
	{
		char f2[32];
		uint32_t gid;
		const char *members = line;
		for (int i = 0; i < 3 && members; i++)
			if ((members = strchr(members, ':')))
				members++;
		if (!members || !field(line, 2, f2, sizeof(f2)) || !parse_id(f2, &gid) ||
		    gid == primary)
			continue;
		for (const char *m = members; *m;) {
			size_t len = strcspn(m, ",");
			if (len == strlen(user) && !strncmp(m, user, len)) {
				bool dup = false;
				for (size_t i = 0; i < u->n_gids; i++)
					dup |= u->gids[i] == gid;
				if (!dup) {
					u->gids =
					    xrealloc(u->gids, (u->n_gids + 1) * sizeof(uint32_t));
					u->gids[u->n_gids++] = gid;
				}
				break;
			}
			m += len + (m[len] == ',');
		}
	}
}

int img_user_resolve(int root_fd, const char *spec, struct img_user *out, struct husk_err **err)
{
	*out = (struct img_user){0};
	if (!spec)
		spec = "";
	cleanup_free char *user = xstrdup(spec);
	char *group = strchr(user, ':');
	if (group)
		*group++ = '\0';
	cleanup_free char *passwd = NULL, *groups = NULL, *groups_copy = NULL;
	if (read_db(root_fd, "/etc/passwd", &passwd, err) < 0 ||
	    read_db(root_fd, "/etc/group", &groups, err) < 0)
		return -1;
	groups_copy = groups ? xstrdup(groups) : NULL;

	struct ent pw = {0};
	uint32_t uid = 0;
	if (!*user) {
		pw = passwd ? find_user(passwd, NULL, true, 0) : pw; /* root */
	} else if (parse_id(user, &uid)) {
		pw = passwd ? find_user(passwd, NULL, true, uid) : pw;
	} else {
		pw = passwd ? find_user(passwd, user, false, 0) : pw;
		if (!pw.found)
			return husk_err_set(err, 0,
					    "image user \"%s\": no such user in /etc/passwd", user);
		uid = pw.id;
	}
	out->uid = uid;
	out->gid = pw.found ? pw.gid : 0;
	if (group && *group) {
		if (!parse_id(group, &out->gid) &&
		    !(groups && find_group(groups, group, &out->gid)))
			return husk_err_set(err, 0,
					    "image user \"%s\": no such group \"%s\" in /etc/group",
					    spec, group);
	} else if (pw.found && groups_copy) {
		member_groups(groups_copy, pw.name, out->gid, out);
	}
	if (pw.found && pw.home[0])
		out->home = xstrdup(pw.home);
	return 0;
}

void img_user_clear(struct img_user *u)
{
	free(u->gids);
	free(u->home);
	*u = (struct img_user){0};
}
