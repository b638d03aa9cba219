/* An existing container, opened for one operation: its lock, saved state,
 * status and cgroup manager (crun's libcrun_container_* shape).  The
 * operations on it and every status rule they follow live here, so the CLI
 * only parses and prints. */
#ifndef HUSK_RUNTIME_CONTAINER_OPEN_H
#define HUSK_RUNTIME_CONTAINER_OPEN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "cgroups/cgroup.h"
#include "common/err.h"
#include "oci/spec.h"
#include "runtime/state.h"

enum container_lock_mode {
	CONTAINER_READ,	 /* shared: the container is only looked at */
	CONTAINER_WRITE, /* exclusive: the operation changes it */
};

struct container {
	struct container_state *st;
	struct cgroup_manager *cm;
	enum oci_status status;
	int lock_fd;
};

/* Lock <root>/<id>, load its state, status and cgroup manager.  A container
 * without a cgroup is an error naming it. */
int container_open(const char *root, const char *id, enum container_lock_mode mode,
		   struct container *c, struct husk_err **err);
/* Drop the lock early (long-running readers such as events). */
void container_unlock(struct container *c);
void container_close(struct container *c);

/* `pause` (freeze) and `resume` (thaw), with runc's status rules. */
int container_set_paused(const char *root, const char *id, bool pause, struct husk_err **err);
/* `update`: apply res to a container that is not stopped. */
int container_update(const char *root, const char *id, const struct oci_resources *res,
		     struct husk_err **err);
/* `ps`: the pids in the container's cgroup (heap array). */
int container_pids(const char *root, const char *id, pid_t **pids, size_t *n,
		   struct husk_err **err);

/* `state`: the state document as runc prints it (heap JSON). */
int container_state_report(const char *root, const char *id, char **json, struct husk_err **err);

/* `list`: every container under root, sorted by id; what is not a container
 * yet (a create half-way) or not husk's is left out. */
struct container_entry {
	struct container_state *st;
	enum oci_status status;
	pid_t pid; /* 0 once stopped, as runc lists it */
};
size_t container_list(const char *root, struct container_entry **out);
void container_list_free(struct container_entry *v, size_t n);

/* One event for the caller to report: "stats" with s, or "oom" with s NULL. */
typedef int (*container_event_fn)(void *arg, const char *type, const struct cgroup_stats *s,
				  struct husk_err **err);
/* `events`: interval_ms <= 0: one stats event; else stats every interval and
 * OOM kills as they happen, until the container's cgroup goes away (the lock
 * is dropped meanwhile, so delete is not blocked). */
int container_events(const char *root, const char *id, long long interval_ms,
		     container_event_fn emit, void *arg, struct husk_err **err);

#endif
