/* The container state directory: <root>/<id>/, one per container.
 *
 *   state.json   husk's own record (written atomically): id, bundle, pid and its
 *                start time (guards against pid reuse), created time, cgroup
 *                manager (serialized), rootless/userns flags, annotations.
 *   exec.fifo    exists between create and start; opening it releases init.
 *
 * Every command that changes a container takes an flock on the <root>/<id>
 * directory itself; commands that only read (state, list) take it shared. */
#ifndef HUSK_RUNTIME_STATE_H
#define HUSK_RUNTIME_STATE_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/err.h"
#include "oci/spec.h"
#include "oci/state.h"

struct container_state {
	char *id;
	char *bundle;           /* absolute */
	char *rootfs;           /* absolute root.path */
	pid_t pid;              /* init pid in the host pid namespace, 0 if none */
	unsigned long long pid_start_time; /* /proc/PID/stat field 22 */
	char *created;          /* RFC3339 */
	char *owner;
	char *cgroup;           /* cgroup_manager_serialize() output, NULL if none */
	char *config_path;      /* bundle/config.json as used at create */
	bool userns;
	bool poststart_hooks;   /* the saved config has poststart/poststop hooks: only */
	bool poststop_hooks;    /* then do start/delete read it back */
	oci_kvv annotations;
};

/* In the state dir, written before the cgroups exist: what `delete --force`
 * removes when a create was killed before it saved its state. */
#define CONTAINER_CGROUP_NOTE "cgroup.pending"
/* Absolute path of <root>/<id> (heap). */
char *container_dir(const char *root, const char *id);
/* Take the parked, emptied state dir of a removed container as DIR (<root>/<id>);
 * false when there is none (or DIR exists): mkdir it then. */
bool container_dir_take_spare(const char *root, const char *dir);
/* Remove <root>/<id> and everything in it (it holds only plain files). */
int container_dir_remove(const char *root, const char *id, struct husk_err **err);
/* /proc/PID/stat field 22 (start time in clock ticks); 0 if the process is gone or
 * a zombie. */
unsigned long long proc_start_time(pid_t pid);
/* The pid is alive and is still the process recorded (start time matches). */
bool container_pid_alive(const struct container_state *st);

/* Fails with ENOENT and "container <id> does not exist" (runc's wording). */
int container_state_load(const char *root, const char *id, struct container_state **out,
			 struct husk_err **err);
int container_state_save(const char *root, const struct container_state *st,
			 struct husk_err **err);
void container_state_free(struct container_state *st);

/* created / running / stopped / paused, from the kernel's view (pid alive with the
 * same start time, exec.fifo present, cgroup frozen). */
enum oci_status container_status(const char *root, const struct container_state *st);

/* flock on the container dir; *lock_fd is closed by the caller (cleanup_fd). */
int container_lock(const char *root, const char *id, bool exclusive, int *lock_fd,
		   struct husk_err **err);

/* Validate an id: [A-Za-z0-9][A-Za-z0-9_.+-]*, no '/' or "..". */
int container_id_validate(const char *id, struct husk_err **err);

#endif
