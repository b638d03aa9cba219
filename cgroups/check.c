/* husk check, cgroups: the layout (v2, v1 or hybrid), the controllers each
 * hierarchy has, and whether husk may create cgroups there. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroups/internal.h"
#include "common/check.h"
#include "common/cleanup.h"
#include "common/util.h"

/* The controllers husk's resources map onto; a hierarchy without one of
 * these refuses the matching linux.resources entry. */
static const char *const v1_wanted[] = {"cpu",	"cpuacct", "cpuset",  "memory",
					"pids", "devices", "freezer", "blkio"};
static const char *const v2_wanted[] = {"cpu", "cpuset", "memory", "pids", "io"};

static bool in_list(const char *list, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = list; (p = strstr(p, word)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return true;
	return false;
}

/* Controllers /proc/cgroups says the kernel has, enabled. */
static char *kernel_controllers(void)
{
	cleanup_file FILE *f = fopen("/proc/cgroups", "re");
	char *list = xstrdup("");
	char line[256], name[64];
	int hier, num, enabled;
	while (f && fgets(line, sizeof(line), f))
		if (line[0] != '#' &&
		    sscanf(line, "%63s %d %d %d", name, &hier, &num, &enabled) == 4 && enabled)
			check_list_append(&list, name);
	return list;
}

/* Controllers of the v1 hierarchies in mountinfo (their super options). */
static char *v1_mounted(const char *known)
{
	cleanup_file FILE *f = fopen("/proc/self/mountinfo", "re");
	char *list = xstrdup("");
	cleanup_free char *line = NULL;
	size_t cap = 0;
	while (f && getline(&line, &cap, f) > 0) {
		char *sep = strstr(line, " - ");
		char fstype[32], src[256], opts[512];
		if (!sep || sscanf(sep + 3, "%31s %255s %511s", fstype, src, opts) != 3 ||
		    strcmp(fstype, "cgroup") != 0)
			continue;
		char *save = NULL;
		for (char *o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save))
			if (in_list(known, o) && !in_list(list, o))
				check_list_append(&list, o);
	}
	return list;
}

static char *missing_of(const char *have, const char *const *wanted, size_t n)
{
	char *miss = xstrdup("");
	for (size_t i = 0; i < n; i++)
		if (!in_list(have, wanted[i]))
			check_list_append(&miss, wanted[i]);
	return miss;
}

static void probe_v1(struct check_report *r)
{
	cleanup_free char *known = kernel_controllers();
	cleanup_free char *mounted = v1_mounted(known);
	cleanup_free char *miss = missing_of(mounted, v1_wanted, ARRAY_SIZE(v1_wanted));
	check_add_set(r, "cgroups", "v1 controllers", miss,
		      "no v1 hierarchy for %s: the matching linux.resources are refused",
		      "every resource husk applies has its v1 hierarchy", mounted);
}

static void probe_v2(struct check_report *r, const char *root, bool hybrid)
{
	cleanup_free char *path = xasprintf("%s/cgroup.controllers", root);
	cleanup_free char *have = check_read_line(path);
	if (!have) {
		check_add(r, "cgroups", "v2 controllers", CHECK_MISSING,
			  "cannot read the cgroup2 root's controllers", "no %s", path);
		return;
	}
	if (hybrid) {
		check_add(r, "cgroups", "v2 controllers", CHECK_OK,
			  "the cgroup2 hierarchy tracks processes; limits go through v1", "%s",
			  *have ? have : "(none)");
		return;
	}
	cleanup_free char *miss = missing_of(have, v2_wanted, ARRAY_SIZE(v2_wanted));
	check_add_set(r, "cgroups", "v2 controllers", miss,
		      "%s not available: the matching linux.resources are refused",
		      "every resource husk applies has its controller", have);
}

static void probe_cgroups(struct check_report *r)
{
	enum cgroup_mode mode;
	struct husk_err *err = NULL;
	if (cgroup_detect_mode(&mode, &err) < 0) {
		check_add(r, "cgroups", "layout", CHECK_MISSING,
			  "no cgroups: containers cannot get resource limits", "%s", err->msg);
		husk_err_free(&err);
		return;
	}
	bool writable = access(CGROUP_DEFAULT_ROOT, W_OK) == 0;
	const char *where = mode == CGROUP_MODE_UNIFIED	 ? "v2 (unified)"
			    : mode == CGROUP_MODE_HYBRID ? "hybrid (v1 controllers, cgroup2 at "
							   "/sys/fs/cgroup/unified)"
							 : "v1 (legacy)";
	if (!writable)
		check_add(r, "cgroups", "layout", CHECK_LIMITED,
			  "husk cannot create cgroups here (read-only or not owned): limits fail",
			  "%s, not writable", where);
	else
		check_add(r, "cgroups", "layout", CHECK_OK,
			  mode == CGROUP_MODE_UNIFIED ? "limits through the cgroup2 controllers"
						      : "limits through the v1 controllers",
			  "%s", where);
	if (mode != CGROUP_MODE_UNIFIED)
		probe_v1(r);
	if (mode == CGROUP_MODE_UNIFIED)
		probe_v2(r, CGROUP_DEFAULT_ROOT, false);
	else if (mode == CGROUP_MODE_HYBRID)
		probe_v2(r, CGROUP_DEFAULT_ROOT "/unified", true);
}

HUSK_CHECK(cgroups_check, {.order = 20, .probe = probe_cgroups});
