/* Turning husk's privileged child into the configured container process.
 *
 * apply() order, and why:
 *   rlimits, oomScoreAdj, scheduler, ioPriority, personality, memoryPolicy
 *                        as root: raising limits/priorities needs privileges
 *   LSM exec labels      as root (/proc/self is root-owned once non-dumpable)
 *                        and before NNP, which restricts LSM transitions; like
 *                        runc, they only take effect at execve
 *   bounding set         needs CAP_SETPCAP, which the user switch may drop
 *   KEEPCAPS + setgroups/setresgid/setresuid
 *                        so the permitted set survives a switch to non-root
 *   capset (E, P, I), ambient
 *   NNP
 * load_seccomp() then installs the filter as the very last step.
 *
 * Without NNP, installing a filter needs CAP_SYS_ADMIN in the effective set.
 * When the configured sets lack it, apply() keeps CAP_SYS_ADMIN (only) until
 * load_seccomp() has installed the filter and then sets the final sets: the
 * filter sees just capset and prctl(PR_CAP_AMBIENT) from husk, where runc
 * loads it before the whole user switch. */
#include "runtime/process_security.h"

#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "runtime/caps.h"
#include "runtime/process_security_internal.h"
#include "runtime/seccomp_filter.h"

struct process_security {
	const struct oci_config *cfg;
	const struct oci_process *proc;
	bool userns;
	struct process_attrs *attrs;
	bool caps_present;
	struct caps_sets caps;
	uint64_t bounding; /* ours at prepare, when caps or a root user need it */
	struct lsm_plan lsm;
	struct seccomp_prog *seccomp;
	struct seccomp_listener *listener;
	bool caps_deferred; /* final capset waits for load_seccomp() */
	bool applied;
	bool loaded;
};

void process_security_free(struct process_security *ps)
{
	if (!ps)
		return;
	process_attrs_free(ps->attrs);
	lsm_release(&ps->lsm);
	seccomp_prog_free(ps->seccomp);
	seccomp_listener_free(ps->listener);
	free(ps);
}

/* Our pid as the agent sees it.  Before pivot_root /proc is still the host's
 * procfs, whose "self" names us in the host pid namespace even from inside a
 * new one; getpid() would say 1. */
static pid_t host_pid(void)
{
	char buf[32];
	ssize_t n = readlink("/proc/self", buf, sizeof(buf) - 1);
	if (n <= 0)
		return getpid();
	buf[n] = '\0';
	long v = strtol(buf, NULL, 10);
	return v > 0 ? (pid_t)v : getpid();
}

static bool config_uses_notify(const struct oci_seccomp *sc)
{
	for (size_t i = 0; sc->present && i < sc->n_syscalls; i++)
		if (sc->syscalls[i].action && !strcmp(sc->syscalls[i].action, "SCMP_ACT_NOTIFY"))
			return true;
	return false;
}

/* The agent hears "running" for a process exec adds to a running container. */
static int connect_listener(const struct process_security_opts *opts, struct seccomp_listener **out,
			    struct husk_err **err)
{
	return seccomp_listener_connect(opts->cfg, opts->container_id, opts->bundle,
					opts->container_pid > 0 ? opts->container_pid : host_pid(),
					opts->exec || (opts->proc && opts->proc != &opts->cfg->process),
					out, err);
}

int process_security_connect_listener(const struct process_security_opts *opts,
				      struct seccomp_listener **out, struct husk_err **err)
{
	*out = NULL;
	if (!config_uses_notify(&opts->cfg->linux_.seccomp))
		return 0;
	return connect_listener(opts, out, err);
}

void process_security_listener_free(struct seccomp_listener *l)
{
	seccomp_listener_free(l);
}

int process_security_prepare(const struct process_security_opts *opts,
			     struct process_security **out, struct husk_err **err)
{
	const struct oci_process *proc = opts->proc ? opts->proc : &opts->cfg->process;
	struct process_security *ps = xcalloc(1, sizeof(*ps));
	ps->cfg = opts->cfg;
	ps->proc = proc;
	ps->userns = opts->userns;
	ps->lsm.apparmor_fd = ps->lsm.selinux_exec_fd = ps->lsm.selinux_keycreate_fd = -1;
	ps->listener = opts->listener;

	if (process_user_validate(&proc->user, err) < 0 ||
	    process_attrs_prepare(opts->cfg, proc, &ps->attrs, err) < 0 ||
	    lsm_prepare(opts->cfg, proc, &ps->lsm, err) < 0)
		goto fail;
	ps->caps_present = proc->capabilities.present;
	/* One read of the bounding set (a prctl per capability): nothing changes
	 * it until apply. */
	if (ps->caps_present || proc->user.uid == 0)
		ps->bounding = caps_current_bounding();
	if (ps->caps_present && caps_parse(&proc->capabilities, ps->bounding, &ps->caps, err) < 0)
		goto fail;
	const struct oci_seccomp *sc = &opts->cfg->linux_.seccomp;
	if (sc->present) {
		cleanup_free char *cache = opts->state_root && opts->state_root[0] == '/'
						   ? xasprintf("%s/.seccomp-cache", opts->state_root)
						   : NULL;
		if (seccomp_prog_build(sc, cache, &ps->seccomp, err) < 0)
			goto fail;
		/* The listener lives at a host path: connect while the host is visible
		 * (the init, before pivot_root), unless the caller already did (exec). */
		if (!ps->seccomp->uses_notify) {
			seccomp_listener_free(ps->listener);
			ps->listener = NULL;
		} else if (!ps->listener && connect_listener(opts, &ps->listener, err) < 0) {
			goto fail;
		}
	}
	/* CVE-2016-9962: nothing in the container may ptrace or open /proc/PID of
	 * this process while it still holds host resources; execve resets it. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
		husk_err_sys(err, "prctl(PR_SET_DUMPABLE, 0)");
		goto fail;
	}
	*out = ps;
	return 0;
fail:
	process_security_free(ps);
	return -1;
}

/* The sets the process must end with.  Without process.capabilities the kernel's
 * own rule applies: root keeps what it has, any other uid ends with none. */
static void final_sets(const struct process_security *ps, struct caps_sets *s)
{
	if (ps->caps_present) {
		*s = ps->caps;
		return;
	}
	memset(s, 0, sizeof(*s));
	if (ps->proc->user.uid == 0) {
		s->bounding = ps->bounding;
		s->effective = s->permitted = s->bounding;
	}
}

static int set_caps(const struct caps_sets *s, struct husk_err **err)
{
	if (caps_set_eip(s->effective, s->inheritable, s->permitted, err) < 0 ||
	    caps_set_ambient(s->ambient, err) < 0)
		return husk_err_wrap(err, "process.capabilities");
	return 0;
}

int process_security_apply(struct process_security *ps, struct husk_err **err)
{
	if (ps->applied)
		return husk_err_set(err, EALREADY, "process security already applied");
	ps->applied = true;
	if (process_attrs_apply(ps->attrs, err) < 0 || lsm_open(&ps->lsm, err) < 0 ||
	    lsm_apply(&ps->lsm, err) < 0)
		return -1;
	if (ps->caps_present && caps_drop_bounding(ps->bounding & ~ps->caps.bounding, err) < 0)
		return husk_err_wrap(err, "process.capabilities.bounding");

	struct caps_sets fin;
	final_sets(ps, &fin);
	bool nnp = ps->proc->no_new_privileges;
	ps->caps_deferred = ps->seccomp && !nnp && !(fin.effective & CAP_BIT(CAP_SYS_ADMIN));
	bool root_unchanged = !ps->caps_present && ps->proc->user.uid == 0;

	if (process_stdio_chown(ps->proc->user.uid, err) < 0)
		return -1;
	if (process_user_switch(&ps->proc->user, !root_unchanged || ps->caps_deferred, ps->userns,
				err) < 0)
		return husk_err_wrap(err, "process.user");

	if (ps->caps_deferred) {
		uint64_t admin = CAP_BIT(CAP_SYS_ADMIN);
		if (caps_set_eip(fin.effective | admin, fin.inheritable, fin.permitted | admin,
				 err) < 0)
			return husk_err_wrap(err, "keeping CAP_SYS_ADMIN to load seccomp "
						  "without noNewPrivileges");
	} else if (!root_unchanged && set_caps(&fin, err) < 0) {
		return -1;
	}
	if (nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return husk_err_sys(err, "process.noNewPrivileges");
	return 0;
}

int process_security_load_seccomp(struct process_security *ps, struct husk_err **err)
{
	if (!ps->applied)
		return husk_err_set(err, EINVAL, "seccomp: process security not applied yet");
	if (ps->loaded || !ps->seccomp)
		return 0;
	ps->loaded = true;
	if (ps->listener) {
		if (seccomp_listener_install(ps->listener, ps->seccomp, err) < 0)
			return husk_err_wrap(err, "linux.seccomp");
	} else if (seccomp_prog_install(ps->seccomp, 0) < 0) {
		return husk_err_sys(err, "linux.seccomp: loading the filter");
	}
	if (ps->caps_deferred) {
		struct caps_sets fin;
		final_sets(ps, &fin);
		if (set_caps(&fin, err) < 0)
			return husk_err_wrap(err, "after loading seccomp (the profile must allow "
						  "capset and prctl without noNewPrivileges)");
	}
	return 0;
}
