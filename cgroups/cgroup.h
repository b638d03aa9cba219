/* One cgroup interface over three host layouts: unified (v2), legacy (v1) and
 * hybrid (v1 controllers plus a cgroup2 mount at /sys/fs/cgroup/unified).
 *
 * The runtime creates a manager at `create`, persists cgroup_manager_serialize()
 * in the container's state, and rebuilds it with cgroup_manager_load() for
 * later commands (kill --all, pause, resume, update, ps, events, delete). */
#ifndef HUSK_CGROUP_H
#define HUSK_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"
#include "oci/spec.h"

enum cgroup_mode { CGROUP_MODE_UNIFIED, CGROUP_MODE_LEGACY, CGROUP_MODE_HYBRID };

struct cgroup_manager;

/* Detects the host layout (cached per process). */
int cgroup_detect_mode(enum cgroup_mode *mode, struct husk_err **err);

/* Resolve linux.cgroupsPath (absolute, relative, or NULL -> default for id) and
 * create the cgroup directories.  Nothing is applied yet. */
int cgroup_manager_create(const char *id, const char *cgroups_path, bool systemd,
			  struct cgroup_manager **out, struct husk_err **err);
/* Move pid (the container init) into the cgroup(s). */
int cgroup_enter(struct cgroup_manager *cm, pid_t pid, struct husk_err **err);
/* Write linux.resources (also used by `update`, with only the fields that are set). */
int cgroup_apply(struct cgroup_manager *cm, const struct oci_resources *res,
		 struct husk_err **err);
/* The create-time apply: linux.resources, and the device rules runc gives a
 * container (the config's rules, then the standard /dev nodes, then an allow
 * rule per linux.devices entry).  Prefer this over cgroup_apply at create. */
int cgroup_apply_config(struct cgroup_manager *cm, const struct oci_linux *lnx,
			struct husk_err **err);
int cgroup_freeze(struct cgroup_manager *cm, bool frozen, struct husk_err **err);
/* Send sig to every process in the cgroup (cgroup.kill for SIGKILL on v2). */
int cgroup_kill_all(struct cgroup_manager *cm, int sig, struct husk_err **err);
/* pids currently in the cgroup; *pids heap-allocated. */
int cgroup_pids(struct cgroup_manager *cm, pid_t **pids, size_t *n, struct husk_err **err);
bool cgroup_is_frozen(struct cgroup_manager *cm);
/* Kill what is left, thaw, remove the directories. Safe on a half-created manager. */
int cgroup_destroy(struct cgroup_manager *cm, struct husk_err **err);
void cgroup_manager_free(struct cgroup_manager *cm);

/* Persist / reload: an opaque single-line string stored in the state dir. */
char *cgroup_manager_serialize(const struct cgroup_manager *cm);
int cgroup_manager_load(const char *serialized, struct cgroup_manager **out, struct husk_err **err);

#endif
