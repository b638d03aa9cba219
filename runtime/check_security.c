/* husk check, process security: seccomp (actions, notify, filter flags),
 * the LSMs, and the capabilities missing from husk's bounding set. */
#include <errno.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/check.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "runtime/caps.h"
#include "runtime/process_security_internal.h"
#include "runtime/seccomp_filter.h"

#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

static const struct {
	const char *name; /* as /proc/sys/kernel/seccomp/actions_avail names them */
	uint32_t action;
} actions[] = {
    {"kill_process", SECCOMP_RET_KILL_PROCESS},
    {"kill_thread", SECCOMP_RET_KILL_THREAD},
    {"trap", SECCOMP_RET_TRAP},
    {"errno", SECCOMP_RET_ERRNO},
    {"user_notif", SECCOMP_RET_USER_NOTIF},
    {"trace", SECCOMP_RET_TRACE},
    {"log", SECCOMP_RET_LOG},
    {"allow", SECCOMP_RET_ALLOW},
};

static const struct {
	const char *name;
	unsigned int flag;
} filter_flags[] = {
    {"TSYNC", SECCOMP_FILTER_FLAG_TSYNC},
    {"LOG", SECCOMP_FILTER_FLAG_LOG},
    {"SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
    {"NEW_LISTENER", SECCOMP_FILTER_FLAG_NEW_LISTENER},
    {"TSYNC_ESRCH", SECCOMP_FILTER_FLAG_TSYNC_ESRCH},
    {"WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV},
};

static bool action_avail(uint32_t action)
{
	return syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0;
}

/* The "Seccomp:" mode husk itself runs under (0 none, 2 filter), -1 unknown. */
static int own_seccomp_mode(void)
{
	cleanup_file FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	int mode = -1;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Seccomp: %d", &mode) == 1)
			break;
	return mode;
}

static void probe_seccomp(struct check_report *r)
{
	if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0 && errno == EINVAL) {
		check_add(r, "seccomp", "filters", CHECK_MISSING,
			  "no seccomp in the kernel: linux.seccomp is refused",
			  "not in the kernel");
		return;
	}
	cleanup_free char *avail = xstrdup(""), *unavail = xstrdup("");
	for (size_t i = 0; i < ARRAY_SIZE(actions); i++)
		check_list_append(action_avail(actions[i].action) ? &avail : &unavail,
				  actions[i].name);
	cleanup_free char *detail = xasprintf("actions: %s", avail);
	check_add_set(r, "seccomp", "filters", unavail,
		      "rules with %s are refused (the kernel lacks them)",
		      "linux.seccomp profiles load with every action", detail);

	bool notify = action_avail(SECCOMP_RET_USER_NOTIF) &&
		      seccomp_flag_supported(SECCOMP_FILTER_FLAG_NEW_LISTENER);
	check_add(r, "seccomp", "notify", notify ? CHECK_OK : CHECK_MISSING,
		  notify ? "SCMP_ACT_NOTIFY rules go to linux.seccomp.listenerPath"
			 : "SCMP_ACT_NOTIFY and listenerPath are refused",
		  notify ? "user_notif, NEW_LISTENER" : "no user_notif listener");

	cleanup_free char *flags_ok = xstrdup(""), *flags_no = xstrdup("");
	for (size_t i = 0; i < ARRAY_SIZE(filter_flags); i++)
		check_list_append(seccomp_flag_supported(filter_flags[i].flag) ? &flags_ok
									       : &flags_no,
				  filter_flags[i].name);
	check_add_set(r, "seccomp", "filter flags", flags_no, "linux.seccomp.flags %s are refused",
		      "every linux.seccomp.flags value works", flags_ok);

	int mode = own_seccomp_mode();
	if (mode == 0)
		check_add(r, "seccomp", "husk's own filter", CHECK_OK,
			  "husk itself runs unfiltered", "none");
	else
		check_add(r, "seccomp", "husk's own filter", CHECK_LIMITED,
			  "husk runs under a seccomp filter: what it blocks is blocked in "
			  "containers too",
			  "Seccomp: %d", mode);
}

static void probe_lsm(struct check_report *r)
{
	cleanup_free char *lsm = check_read_line("/sys/kernel/security/lsm");
	if (lsm)
		check_add(r, "lsm", "enabled", CHECK_OK, "the kernel's security modules", "%s",
			  lsm);
	else
		check_add(r, "lsm", "enabled", CHECK_LIMITED,
			  "securityfs is not mounted: the enabled LSMs cannot be listed",
			  "no /sys/kernel/security/lsm");
	bool aa = lsm_apparmor_enabled(), se = lsm_selinux_enabled();
	check_add(r, "lsm", "apparmor", aa ? CHECK_OK : CHECK_MISSING,
		  aa ? "process.apparmorProfile is applied"
		     : "process.apparmorProfile is an error (as with runc)",
		  aa ? "enabled" : "not enabled");
	check_add(r, "lsm", "selinux", se ? CHECK_OK : CHECK_MISSING,
		  se ? "process.selinuxLabel and mountLabel are applied"
		     : "process.selinuxLabel is an error (as with runc)",
		  se ? "enabled" : "not enabled");
}

/* What a capability missing from the bounding set takes away: husk lacks it,
 * and no container can be given it (it is dropped with a warning). */
static const char *cap_effect(int cap)
{
	switch (cap) {
	case CAP_SYS_ADMIN:
		return "no mounts, namespaces or pivot_root: containers cannot be created";
	case CAP_SYS_RESOURCE:
		return "process.rlimits cannot raise a hard limit, nor oomScoreAdj go below the "
		       "current one";
	case CAP_SETUID:
	case CAP_SETGID:
		return "process.user cannot switch to another uid or gid";
	case CAP_MKNOD:
		return "linux.devices cannot be created with mknod";
	case CAP_NET_ADMIN:
		return "network sysctls and interfaces cannot be set up for containers";
	case CAP_SYS_NICE:
		return "process.scheduler, ioPriority and negative nice values are refused";
#ifdef CAP_BPF
	case CAP_BPF:
		return "cgroup v2 device rules need CAP_SYS_ADMIN to load their BPF program";
#endif
	case CAP_SYS_PTRACE:
		return "containers cannot trace processes; husk ps still works";
	case CAP_DAC_OVERRIDE:
	case CAP_DAC_READ_SEARCH:
	case CAP_FOWNER:
	case CAP_CHOWN:
		return "husk may fail on bundle files it does not own";
	default:
		return "containers cannot be given it (dropped with a warning)";
	}
}

static void probe_caps(struct check_report *r)
{
	uint64_t bnd = caps_current_bounding();
	int last = caps_last_cap(), missing = 0;
	cleanup_free char *names = xstrdup("");
	for (int c = 0; c <= last; c++)
		if (!(bnd & CAP_BIT(c))) {
			check_list_append(&names, caps_to_name(c));
			missing++;
		}
	if (missing)
		check_add(r, "capabilities", "bounding set", CHECK_LIMITED,
			  "the capabilities below are missing: their effect follows",
			  "%d of %d; missing %s", last + 1 - missing, last + 1, names);
	else
		check_add(r, "capabilities", "bounding set", CHECK_OK,
			  "containers can be given any capability", "all %d", last + 1);
	for (int c = 0; c <= last; c++)
		if (!(bnd & CAP_BIT(c)))
			check_add(r, "capabilities", caps_to_name(c), CHECK_MISSING, cap_effect(c),
				  "not in the bounding set");
	if (geteuid() != 0)
		check_add(r, "capabilities", "privilege", CHECK_LIMITED,
			  "husk is not root: only rootless containers (user namespace) work",
			  "euid %u", (unsigned)geteuid());
	else
		check_add(r, "capabilities", "privilege", CHECK_OK, "husk runs as root", "euid 0");
}

static void probe_security(struct check_report *r)
{
	probe_seccomp(r);
	probe_lsm(r);
	probe_caps(r);
}

HUSK_CHECK(security_check, {.order = 30, .probe = probe_security});
