/* Pieces of process security shared between runtime/process_security*.c,
 * process_attrs*.c, lsm*.c and seccomp*.c.  Not for other modules. */
#ifndef HUSK_RUNTIME_PROCESS_SECURITY_INTERNAL_H
#define HUSK_RUNTIME_PROCESS_SECURITY_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"
#include "oci/spec.h"

/* Open /proc/self/<rel> on a verified procfs: /proc must be the root of a real
 * procfs mount, the walk may not cross mounts or follow magic links, and the
 * result must be on procfs.  A symlink or bind mount planted in the rootfs can
 * therefore never redirect the write to another file. */
int proc_self_open(const char *rel, int flags, struct husk_err **err);
/* Write s to /proc/self/<rel> (through proc_self_open). */
int proc_self_write(const char *rel, const char *s, struct husk_err **err);

/* process_attrs.c: validated in prepare, applied in apply (before the user switch). */
struct process_attrs;
int process_attrs_prepare(const struct oci_config *cfg, const struct oci_process *proc,
			  struct process_attrs **out, struct husk_err **err);
int process_attrs_apply(const struct process_attrs *pa, struct husk_err **err);
void process_attrs_free(struct process_attrs *pa);

/* process_security_user.c */
int process_user_validate(const struct oci_user *u, struct husk_err **err);
int process_stdio_chown(uid_t uid, struct husk_err **err);
int process_user_switch(const struct oci_user *u, bool keep_caps, bool userns,
			struct husk_err **err);

/* lsm.c: AppArmor profile and SELinux labels. */
struct lsm_plan {
	char *apparmor_profile; /* NULL: none asked */
	char *selinux_label;
	int apparmor_fd;        /* /proc/self/attr/{apparmor/,}exec, opened before the user switch */
	int selinux_exec_fd;    /* /proc/self/attr/exec */
	int selinux_keycreate_fd;
};
bool lsm_apparmor_enabled(void);
bool lsm_selinux_enabled(void);
/* Fails, as runc does, when a profile or label is asked for and the LSM is off. */
int lsm_prepare(const struct oci_config *cfg, const struct oci_process *proc,
		struct lsm_plan *plan, struct husk_err **err);
int lsm_open(struct lsm_plan *plan, struct husk_err **err);
int lsm_apply(struct lsm_plan *plan, struct husk_err **err);
void lsm_release(struct lsm_plan *plan);

/* seccomp_notify.c: hand the listener fd to linux.seccomp.listenerPath. */
struct seccomp_listener;
int seccomp_listener_connect(const struct oci_config *cfg, const char *container_id,
			     const char *bundle, pid_t pid, bool exec,
			     struct seccomp_listener **out, struct husk_err **err);
void seccomp_listener_free(struct seccomp_listener *l);
/* Installs prog with NEW_LISTENER and sends the fd without this thread making
 * any system call after the filter is live (a NOTIFY rule on sendmsg would
 * otherwise wait for a listener that never got the fd). */
struct seccomp_prog;
int seccomp_listener_install(struct seccomp_listener *l, const struct seccomp_prog *prog,
			     struct husk_err **err);

#endif
