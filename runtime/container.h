/* The container lifecycle: create (clone the init and set it up), start,
 * kill, delete, and the in-process create+start of `run`. */
#ifndef HUSK_RUNTIME_CONTAINER_H
#define HUSK_RUNTIME_CONTAINER_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#include "common/err.h"
#include "oci/spec.h"
#include "runtime/state.h"

enum container_create_mode {
	CREATE_WAIT_FIFO, /* `create`: init waits on exec.fifo for `start` */
	CREATE_RUN,       /* `run`: the caller starts it with container_run_start */
};

struct container_create_opts {
	const char *root;
	const char *id;
	const char *bundle;          /* NULL: cwd */
	const char *pid_file;
	const char *console_socket;
	bool no_pivot;
	bool no_new_keyring;
	unsigned preserve_fds;
	bool systemd_cgroup;
	enum container_create_mode mode;
	int argc;                    /* husk's command line, for the sealed-binary re-exec */
	char **argv;
	const sigset_t *block;       /* signals to keep blocked in husk (run's forwarding); the
				      * init restores the original mask before execve */
};

struct container_handle {
	pid_t pid;                   /* container init, host pid namespace */
	int sync_fd;                 /* run: control socket to the init */
	int pty_master;              /* run without --console-socket: master to proxy, else -1 */
	struct oci_config *cfg;
	struct container_state *st;
};

int container_create(const struct container_create_opts *opts, struct container_handle **out,
		     struct husk_err **err);
/* run: release the init and run poststart hooks. */
int container_run_start(const char *root, struct container_handle *h, struct husk_err **err);
void container_handle_free(struct container_handle *h);

/* `start ID` */
int container_start(const char *root, const char *id, struct husk_err **err);
/* `kill [--all] ID SIG` */
int container_kill(const char *root, const char *id, int sig, bool all, struct husk_err **err);
/* `delete [--force] ID`.  Missing container: ENOENT error (callers with --force ignore it). */
int container_delete(const char *root, const char *id, bool force, struct husk_err **err);

/* State JSON as hooks get it (runtime-spec fields); full: `state` output (indented, with
 * rootfs, created, owner like runc). Heap string. */
char *container_state_json(const struct container_state *st, enum oci_status status, pid_t pid,
			   bool full);

/* The config saved at create (only when poststart/poststop hooks exist); NULL if none. */
struct oci_config *container_saved_config(const struct container_state *st);

#endif
