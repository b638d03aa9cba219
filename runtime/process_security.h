/* Everything that turns husk's privileged child into the configured container
 * process: identity, capabilities, rlimits, NNP, scheduler/ioprio/personality/
 * mempolicy/oomScoreAdj, LSM labels, seccomp.  Used by the container init and
 * by `exec`.
 *
 * Order (called by runtime/):
 *   process_security_prepare()    before pivot_root: validates, compiles the
 *                                 seccomp filter, connects the seccomp listener socket
 *   ... rootfs_finalize(), chdir ...
 *   process_security_apply()      rlimits, oom, sched, ioprio, personality, mempolicy,
 *                                 bounding set, user switch, caps, ambient, NNP, LSM
 *   process_security_load_seccomp()  last, right before execve
 */
#ifndef HUSK_PROCESS_SECURITY_H
#define HUSK_PROCESS_SECURITY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"
#include "oci/features.h"
#include "oci/spec.h"

struct process_security;
struct seccomp_listener;

struct process_security_opts {
	const struct oci_config *cfg;   /* container config (seccomp, personality, ...) */
	const struct oci_process *proc; /* the process to set up (cfg->process, or exec's) */
	const char *container_id;       /* for the seccomp listener state */
	const char *bundle;
	pid_t container_pid;            /* for the seccomp listener state (0 if unknown) */
	bool userns;                    /* running inside a new user namespace */
	bool exec;                      /* a process `exec` adds (the listener hears "running") */
	const char *state_root;         /* husk --root: compiled seccomp filters are cached in
					 * <state_root>/.seccomp-cache (NULL: no cache) */
	struct seccomp_listener *listener; /* already connected (exec connects from the
					    * host side, before it joins the container's
					    * mount namespace); prepare takes it over */
};

int process_security_prepare(const struct process_security_opts *opts,
			     struct process_security **out, struct husk_err **err);
/* linux.seccomp.listenerPath is a host path: `exec` connects to it before it
 * enters the container.  *out stays NULL when no rule is SCMP_ACT_NOTIFY. */
int process_security_connect_listener(const struct process_security_opts *opts,
				      struct seccomp_listener **out, struct husk_err **err);
void process_security_listener_free(struct seccomp_listener *l);
int process_security_apply(struct process_security *ps, struct husk_err **err);
int process_security_load_seccomp(struct process_security *ps, struct husk_err **err);
void process_security_free(struct process_security *ps);

/* CVE-2024-21626: mark every fd >= first_fd CLOEXEC (preserve-fds ends below it). */
int process_close_inherited_fds(int first_fd, struct husk_err **err);
/* fds 3..3+keep-1 pass to the process (preserve-fds, LISTEN_FDS); the fds in
 * own[] (husk's channels, updated in place) move above that range first; every
 * other fd is closed at execve. */
int process_pass_fds(int keep, int *const own[], size_t n_own, struct husk_err **err);
/* name as execve will run it: a path as given (stat'ed, executable), or the
 * first match in env's PATH (runc's default PATH without one). */
int process_find_executable(const char *name, char *const *env, char **out,
			    struct husk_err **err);
/* chdir, then prove the cwd is inside the current root. */
int process_chdir_checked(const char *cwd, struct husk_err **err);

/* Strict "uid[:gid]" (exec -u): decimal only, no names, no sign, no leading
 * zeros, 0..4294967294 ((uid_t)-1 is not an id). */
int process_user_parse(const char *spec, uint32_t *uid, uint32_t *gid, bool *has_gid,
		       struct husk_err **err);

/* CVE-2019-5736: make sure this process runs from a sealed, unwritable copy of
 * the husk binary before it enters a container.  May re-exec; call first in main(). */
int ensure_sealed_binary(char **argv, char **envp, struct husk_err **err);

/* `features`: capabilities, seccomp, AppArmor and SELinux as this host has them. */
void process_security_features(struct oci_features *f);

#endif
