/* The container lifecycle: create (clone the init and set it up), start,
 * kill, delete, and the in-process create+start of `run`. */
#ifndef HUSK_RUNTIME_CONTAINER_H
#define HUSK_RUNTIME_CONTAINER_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"
#include "oci/spec.h"
#include "runtime/state.h"

enum container_create_mode {
	CREATE_WAIT_FIFO, /* `create`: init waits on exec.fifo for `start` */
	CREATE_RUN,	  /* `run` (container_run): the process runs once created */
};

struct container_create_opts {
	const char *root;
	const char *id;
	const char *bundle; /* NULL: cwd */
	const char *pid_file;
	const char *console_socket;
	const char *pidfd_socket; /* receives a pidfd of the init (runc 1.2) */
	bool no_pivot;
	bool no_new_keyring;
	unsigned preserve_fds;
	bool systemd_cgroup;
	bool vm; /* run the bundle in a microVM (also: annotation org.husk.vm=true) */
	enum container_create_mode mode;
	char **argv;	       /* husk's command line, for the sealed-binary re-exec */
	const sigset_t *block; /* signals to keep blocked in husk (run's forwarding); the
				* init restores the original mask before execve */
};

struct container_handle {
	pid_t pid;	/* container init, host pid namespace */
	int pty_master; /* run without --console-socket: master to proxy, else -1 */
	struct oci_config *cfg;
	struct container_state *st;
};

/* out may be NULL (`create` keeps nothing). */
int container_create(const struct container_create_opts *opts, struct container_handle **out,
		     struct husk_err **err);
/* run: the process has exec'd when container_create returns; this runs the poststart hooks. */
void container_run_start(const struct container_handle *h);
void container_handle_free(struct container_handle *h);

struct container_run_opts {
	struct container_create_opts create; /* its mode and block are run's own */
	const char *image; /* unpack into a private bundle, removed on delete (create.bundle
			    * must be NULL) */
	bool detach;	   /* return once the process runs */
	bool keep;	   /* foreground: do not delete the container after it exits */
};

/* `run`: create the container and start its process; in the foreground, wait
 * for it (forwarding signals, proxying its terminal: foreground.h), then
 * delete it unless keep.  *status: the process's wait status (0 detached).
 * On failure nothing is left behind. */
int container_run(const struct container_run_opts *o, int *status, struct husk_err **err);

/* `start ID` */
int container_start(const char *root, const char *id, struct husk_err **err);
/* `kill [--all] ID SIG` */
int container_kill(const char *root, const char *id, int sig, bool all, struct husk_err **err);
/* `delete [--force] ID`.  A missing container is an ENOENT error, and fine
 * with force (runc). */
int container_delete(const char *root, const char *id, bool force, struct husk_err **err);

/* State JSON as hooks get it (runtime-spec fields); full: `state` output (indented, with
 * rootfs, created, owner like runc). Heap string; NULL (with a warning) when a
 * field is not valid UTF-8. */
char *container_state_json(const struct container_state *st, enum oci_status status, pid_t pid,
			   bool full);

/* A sentence naming the memory limit and usage when the container's cgroup
 * saw an OOM kill (during_setup: the init's, before its execve), else NULL.
 * Heap string. */
struct cgroup_manager;
char *container_oom_note(struct cgroup_manager *cm, bool during_setup);
char *container_oom_note_saved(const struct container_state *st);

/* The config saved at create; NULL (with a warning) if it cannot be read. */
struct oci_config *container_saved_config(const struct container_state *st);

/* `exec`: start proc inside the running container (its namespaces, cgroup and
 * security settings).  Returns once the process runs (its execve happened). */
/* Changes to the container's own process when exec gets no --process file. */
struct exec_overrides {
	char *const *args; /* the command (required) */
	size_t nargs;
	const char *const *env; /* appended */
	size_t nenv;
	const char *cwd;
	bool user_set;
	uint32_t uid, gid;
	bool tty;
	bool no_new_privs;
	const char *const *caps;   /* added to bounding, effective and permitted (and
				    * ambient when the inheritable set is not empty) */
	size_t ncaps;
	const uint32_t *additional_gids; /* replace user.additionalGids when ngids > 0 */
	size_t ngids;
	const char *apparmor;      /* process.apparmorProfile */
	const char *process_label; /* process.selinuxLabel */
};

struct container_exec_opts {
	const char *root;
	const char *id;
	const struct oci_process *proc; /* --process FILE, or NULL: the container's process
					 * with overrides applied */
	const struct exec_overrides *ov;
	const char *pid_file;
	const char *console_socket;
	const char *pidfd_socket;       /* receives a pidfd of the process (runc 1.2) */
	unsigned preserve_fds;
	bool ignore_paused;
	const char *const *sub_cgroups;	/* exec --cgroup arguments (runc 1.1) */
	size_t n_sub_cgroups;
	const sigset_t *block; /* kept blocked in husk, restored in the process */
};

struct exec_result {
	pid_t pid;	/* the process, husk's child */
	int pty_master; /* process.terminal without --console-socket: to proxy, else -1 */
};

int container_exec(const struct container_exec_opts *o, struct exec_result *res,
		   struct husk_err **err);

/* `features`: the runtime-spec features document, each module's part (heap). */
int container_features_json(char **json, size_t *len, struct husk_err **err);

#endif
