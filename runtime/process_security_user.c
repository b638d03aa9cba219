/* The identity switch: umask, supplementary groups, gid, uid; and the strict
 * "uid[:gid]" parser used by exec -u. */
#include "runtime/process_security.h"
#include "runtime/process_security_internal.h"

#include <grp.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"

/* (uid_t)-1 means "unchanged" to setresuid, so it is never a valid id. */
#define ID_MAX UINT32_C(0xfffffffe)

static int parse_id(const char *s, size_t len, const char *what, const char *spec, uint32_t *out,
		    struct husk_err **err)
{
	if (len == 0)
		return husk_err_set(err, EINVAL, "user \"%s\": empty %s", spec, what);
	if (len > 1 && s[0] == '0')
		return husk_err_set(err, EINVAL, "user \"%s\": %s has a leading zero", spec, what);
	uint64_t v = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return husk_err_set(err, EINVAL,
					    "user \"%s\": %s must be a decimal number (names are "
					    "not resolved)",
					    spec, what);
		v = v * 10 + (uint64_t)(s[i] - '0');
		if (v > ID_MAX)
			return husk_err_set(err, ERANGE, "user \"%s\": %s is above %u", spec, what,
					    ID_MAX);
	}
	*out = (uint32_t)v;
	return 0;
}

int process_user_parse(const char *spec, uint32_t *uid, uint32_t *gid, bool *has_gid,
		       struct husk_err **err)
{
	if (!spec)
		return husk_err_set(err, EINVAL, "user: missing value");
	const char *colon = strchr(spec, ':');
	size_t ulen = colon ? (size_t)(colon - spec) : strlen(spec);
	uint32_t u, g = 0;
	if (parse_id(spec, ulen, "uid", spec, &u, err) < 0)
		return -1;
	if (colon && parse_id(colon + 1, strlen(colon + 1), "gid", spec, &g, err) < 0)
		return -1;
	*uid = u;
	*gid = g;
	*has_gid = colon != NULL;
	return 0;
}

static long ngroups_max(void)
{
	long n = sysconf(_SC_NGROUPS_MAX);
	return n > 0 ? n : NGROUPS_MAX;
}

int process_user_validate(const struct oci_user *u, struct husk_err **err)
{
	if (u->uid > ID_MAX)
		return husk_err_set(err, ERANGE, "process.user.uid: %u is not a valid id", u->uid);
	if (u->gid > ID_MAX)
		return husk_err_set(err, ERANGE, "process.user.gid: %u is not a valid id", u->gid);
	if ((long)u->n_additional_gids > ngroups_max())
		return husk_err_set(err, E2BIG,
				    "process.user.additionalGids: %zu groups, the kernel allows "
				    "at most %ld",
				    u->n_additional_gids, ngroups_max());
	for (size_t i = 0; i < u->n_additional_gids; i++)
		if (u->additional_gids[i] > ID_MAX)
			return husk_err_set(err, ERANGE,
					    "process.user.additionalGids[%zu]: %u is not a valid id",
					    i, u->additional_gids[i]);
	if (u->umask.set && u->umask.v > 0777)
		return husk_err_set(err, EINVAL, "process.user.umask: %#llo is not a mode",
				    (unsigned long long)u->umask.v);
	return 0;
}

/* As runc: stdio (a terminal, pipes) is handed to the process's uid so that a
 * non-root user can use its own console.  The group stays: devpts gives the
 * slave its gid= mount option (5, tty, in the default config).  /dev/null is
 * left alone, and so is what this process may not change (an owner not mapped
 * in the user namespace, a read-only /dev). */
int process_stdio_chown(uid_t uid, struct husk_err **err)
{
	struct stat null;
	bool have_null = stat("/dev/null", &null) == 0;
	for (int fd = 0; fd <= 2; fd++) {
		struct stat st;
		if (fstat(fd, &st) < 0) {
			if (errno == EBADF)
				continue;
			return husk_err_sys(err, "stat stdio fd %d", fd);
		}
		if (st.st_uid == uid || (have_null && S_ISCHR(st.st_mode) && st.st_rdev == null.st_rdev))
			continue;
		if (fchown(fd, uid, (gid_t)-1) < 0 && errno != EINVAL && errno != EPERM &&
		    errno != EROFS)
			return husk_err_sys(err, "give stdio fd %d to uid %u", fd, (unsigned)uid);
	}
	return 0;
}

int process_user_switch(const struct oci_user *u, bool keep_caps, bool userns,
			struct husk_err **err)
{
	umask(u->umask.set ? (mode_t)u->umask.v : 022);

	gid_t *gids = NULL;
	if (u->n_additional_gids) {
		gids = xcalloc(u->n_additional_gids, sizeof(*gids));
		for (size_t i = 0; i < u->n_additional_gids; i++)
			gids[i] = u->additional_gids[i];
	}
	int r = setgroups(u->n_additional_gids, gids);
	int e = errno;
	free(gids);
	/* A user namespace with setgroups "deny" cannot drop groups; it has none to drop. */
	if (r < 0 && !(e == EPERM && userns && u->n_additional_gids == 0))
		return husk_err_set(err, e, "setgroups(%zu groups)", u->n_additional_gids);

	if (keep_caps && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return husk_err_sys(err, "prctl(PR_SET_KEEPCAPS)");
	if (setresgid(u->gid, u->gid, u->gid) < 0)
		return husk_err_sys(err, "setresgid(%u)%s", u->gid,
				    errno == EINVAL ? " (gid not mapped in the user namespace)" : "");
	if (setresuid(u->uid, u->uid, u->uid) < 0)
		return husk_err_sys(err, "setresuid(%u)%s", u->uid,
				    errno == EINVAL ? " (uid not mapped in the user namespace)" : "");
	if (keep_caps && prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return husk_err_sys(err, "prctl(PR_SET_KEEPCAPS, 0)");
	return 0;
}
