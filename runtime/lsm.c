/* AppArmor and SELinux exec labels.
 *
 * Labels are written to /proc/self/attr files opened through a verified procfs
 * (proc_self_open), so a symlinked or overmounted /proc in the rootfs cannot
 * swallow the write and leave the container unconfined.  They are written as
 * root, before the user switch and NNP (runc's order); the kernel applies them
 * at execve. */
#include "runtime/process_security_internal.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"

#define SELINUX_MAGIC 0xf97cff8c

bool lsm_apparmor_enabled(void)
{
	char c = 0;
	cleanup_fd int fd = open("/sys/module/apparmor/parameters/enabled", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, &c, 1) != 1 || c != 'Y')
		return false;
	return access("/sys/kernel/security/apparmor", F_OK) == 0;
}

bool lsm_selinux_enabled(void)
{
	struct statfs sfs;
	return statfs("/sys/fs/selinux", &sfs) == 0 && (uint32_t)sfs.f_type == SELINUX_MAGIC;
}

int lsm_prepare(const struct oci_config *cfg, const struct oci_process *proc,
		struct lsm_plan *plan, struct husk_err **err)
{
	memset(plan, 0, sizeof(*plan));
	plan->apparmor_fd = plan->selinux_exec_fd = plan->selinux_keycreate_fd = -1;
	if (proc->apparmor_profile && *proc->apparmor_profile) {
		if (!lsm_apparmor_enabled())
			return husk_err_set(err, EOPNOTSUPP,
					    "process.apparmorProfile \"%s\": apparmor is not enabled "
					    "on this host",
					    proc->apparmor_profile);
		plan->apparmor_profile = xstrdup(proc->apparmor_profile);
	}
	if (proc->selinux_label && *proc->selinux_label) {
		if (!lsm_selinux_enabled())
			return husk_err_set(err, EOPNOTSUPP,
					    "process.selinuxLabel \"%s\": selinux is not enabled on "
					    "this host",
					    proc->selinux_label);
		plan->selinux_label = xstrdup(proc->selinux_label);
	}
	/* linux.mountLabel is a mount option the rootfs applies; with SELinux off runc
	 * ignores it, and so do we (mounts would fail with an unknown context=). */
	(void)cfg;
	return 0;
}

int lsm_open(struct lsm_plan *plan, struct husk_err **err)
{
	if (plan->apparmor_profile) {
		/* Since 5.8 AppArmor has its own attr directory; older kernels share attr/exec. */
		plan->apparmor_fd = proc_self_open("attr/apparmor/exec", O_WRONLY, NULL);
		if (plan->apparmor_fd < 0)
			plan->apparmor_fd = proc_self_open("attr/exec", O_WRONLY, err);
		if (plan->apparmor_fd < 0)
			return husk_err_wrap(err, "apparmor");
	}
	if (plan->selinux_label) {
		plan->selinux_exec_fd = proc_self_open("attr/exec", O_WRONLY, err);
		if (plan->selinux_exec_fd < 0)
			return husk_err_wrap(err, "selinux");
		plan->selinux_keycreate_fd = proc_self_open("attr/keycreate", O_WRONLY, err);
		if (plan->selinux_keycreate_fd < 0)
			return husk_err_wrap(err, "selinux");
	}
	return 0;
}

static int write_attr(int fd, const char *value, const char *what, struct husk_err **err)
{
	size_t len = strlen(value);
	if (write(fd, value, len) != (ssize_t)len)
		return husk_err_sys(err, "setting %s \"%s\"", what, value);
	return 0;
}

int lsm_apply(struct lsm_plan *plan, struct husk_err **err)
{
	if (plan->apparmor_profile) {
		cleanup_free char *cmd = xasprintf("exec %s", plan->apparmor_profile);
		if (write_attr(plan->apparmor_fd, cmd, "apparmor profile", err) < 0)
			return -1;
	}
	if (plan->selinux_label) {
		if (write_attr(plan->selinux_keycreate_fd, plan->selinux_label,
			       "selinux keycreate label", err) < 0 ||
		    write_attr(plan->selinux_exec_fd, plan->selinux_label, "selinux exec label",
			       err) < 0)
			return -1;
	}
	return 0;
}

void lsm_release(struct lsm_plan *plan)
{
	free(plan->apparmor_profile);
	free(plan->selinux_label);
	plan->apparmor_profile = plan->selinux_label = NULL;
	int *fds[] = {&plan->apparmor_fd, &plan->selinux_exec_fd, &plan->selinux_keycreate_fd};
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}
