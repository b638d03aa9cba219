/* husk check, namespaces: each type the kernel has, whether a new one can be
 * made here (tried in a child), the per-user limits, and user namespaces for
 * rootless use. */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/check.h"
#include "common/cleanup.h"
#include "common/util.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const struct {
	const char *oci;  /* linux.namespaces type */
	const char *proc; /* /proc/self/ns and /proc/sys/user names */
	unsigned long flag;
} types[] = {
    {"mount", "mnt", CLONE_NEWNS},	   {"uts", "uts", CLONE_NEWUTS},
    {"ipc", "ipc", CLONE_NEWIPC},	   {"pid", "pid", CLONE_NEWPID},
    {"network", "net", CLONE_NEWNET},	   {"user", "user", CLONE_NEWUSER},
    {"cgroup", "cgroup", CLONE_NEWCGROUP}, {"time", "time", CLONE_NEWTIME},
};

/* try_unshare: the namespace could only be made inside a new user namespace
 * (an unprivileged user: how rootless containers get theirs). */
#define VIA_USERNS 250

/* 0 when a child could unshare(flag), VIA_USERNS, or its errno. */
static int try_unshare(unsigned long flag)
{
	pid_t pid = fork();
	if (pid < 0)
		return errno;
	if (pid == 0) {
		if (unshare((int)flag) == 0)
			_exit(0);
		int e = errno;
		if (e == EPERM && flag != CLONE_NEWUSER &&
		    unshare((int)(flag | CLONE_NEWUSER)) == 0)
			_exit(VIA_USERNS);
		_exit(e & 0xff);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return errno;
	return WIFEXITED(st) ? WEXITSTATUS(st) : EINTR;
}

/* /proc/sys/user/max_X_namespaces, -1 when absent */
static long long ns_limit(const char *proc)
{
	cleanup_free char *path = xasprintf("/proc/sys/user/max_%s_namespaces", proc);
	cleanup_free char *v = check_read_line(path);
	long long n;
	return v && parse_i64(v, &n) == 0 ? n : -1;
}

static void probe_type(struct check_report *r, int i)
{
	cleanup_free char *nspath = xasprintf("/proc/self/ns/%s", types[i].proc);
	cleanup_free char *effect = NULL;
	long long limit = ns_limit(types[i].proc);
	if (access(nspath, F_OK) != 0) {
		effect = xasprintf("the kernel has no %s namespaces: a config asking for one fails",
				   types[i].oci);
		check_add(r, "namespaces", types[i].oci, CHECK_MISSING, effect,
			  "not in the kernel");
		return;
	}
	if (limit == 0) {
		effect = xasprintf("user.max_%s_namespaces is 0: no new %s namespace can be made",
				   types[i].proc, types[i].oci);
		check_add(r, "namespaces", types[i].oci, CHECK_MISSING, effect, "limit 0");
		return;
	}
	int e = try_unshare(types[i].flag);
	if (e == VIA_USERNS) {
		effect = xasprintf("a new %s namespace needs a user namespace here (rootless)",
				   types[i].oci);
		check_add(r, "namespaces", types[i].oci, CHECK_OK, effect,
			  "limit %lld, inside a new user namespace", limit);
		return;
	}
	if (e) {
		effect = xasprintf("a new %s namespace is refused here (%s); joining one by path "
				   "still works",
				   types[i].oci, strerror(e));
		check_add(r, "namespaces", types[i].oci, CHECK_LIMITED, effect, "unshare: %s",
			  strerror(e));
		return;
	}
	effect = xasprintf("containers get their own %s namespace", types[i].oci);
	if (limit > 0)
		check_add(r, "namespaces", types[i].oci, CHECK_OK, effect, "limit %lld", limit);
	else
		check_add(r, "namespaces", types[i].oci, CHECK_OK, effect, "available");
}

/* Whether an unprivileged user may make a user namespace (rootless husk):
 * Debian's kernel.unprivileged_userns_clone, Ubuntu's AppArmor restriction. */
static void probe_unprivileged_userns(struct check_report *r)
{
	cleanup_free char *clone = check_read_line("/proc/sys/kernel/unprivileged_userns_clone");
	cleanup_free char *aa =
	    check_read_line("/proc/sys/kernel/apparmor_restrict_unprivileged_userns");
	long long limit = ns_limit("user");
	bool off = (clone && !strcmp(clone, "0")) || limit == 0;
	bool restricted = aa && !strcmp(aa, "1");
	char detail[160];
	snprintf(detail, sizeof(detail), "kernel.unprivileged_userns_clone=%s%s%s",
		 clone ? clone : "(absent)", aa ? ", apparmor_restrict_unprivileged_userns=" : "",
		 aa ? aa : "");
	if (off)
		check_add(r, "namespaces", "user (unprivileged)", CHECK_MISSING,
			  "rootless containers are impossible: users cannot make user namespaces",
			  "%s", detail);
	else if (restricted)
		check_add(r, "namespaces", "user (unprivileged)", CHECK_LIMITED,
			  "rootless containers need an AppArmor profile that allows userns", "%s",
			  detail);
	else
		check_add(r, "namespaces", "user (unprivileged)", CHECK_OK,
			  "rootless containers can make their user namespace", "%s", detail);
}

/* Is husk itself in the initial user namespace?  Inside another one, only the
 * ids mapped there exist for containers. */
static void probe_own_userns(struct check_report *r)
{
	cleanup_free char *map = check_read_line("/proc/self/uid_map");
	unsigned long long inside, outside, count;
	if (!map || sscanf(map, "%llu %llu %llu", &inside, &outside, &count) != 3) {
		check_add(r, "namespaces", "user (husk's own)", CHECK_LIMITED,
			  "cannot tell which user namespace husk runs in", "no /proc/self/uid_map");
		return;
	}
	if (inside == 0 && outside == 0 && count == 4294967295ULL)
		check_add(
		    r, "namespaces", "user (husk's own)", CHECK_OK,
		    "husk runs in the initial user namespace: every uid and gid can be mapped",
		    "initial");
	else
		check_add(r, "namespaces", "user (husk's own)", CHECK_LIMITED,
			  "husk runs in a user namespace: containers can map only its ids, and "
			  "devices and some mounts are refused",
			  "uid_map %llu %llu %llu", inside, outside, count);
}

static void probe_namespaces(struct check_report *r)
{
	for (size_t i = 0; i < ARRAY_SIZE(types); i++)
		probe_type(r, (int)i);
	probe_unprivileged_userns(r);
	probe_own_userns(r);
}

HUSK_CHECK(ns_check, {.order = 10, .probe = probe_namespaces});
