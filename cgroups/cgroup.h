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
#include "oci/features.h"
#include "oci/spec.h"

enum cgroup_mode { CGROUP_MODE_UNIFIED, CGROUP_MODE_LEGACY, CGROUP_MODE_HYBRID };

struct cgroup_manager;

/* Detects the host layout (cached per process). */
int cgroup_detect_mode(enum cgroup_mode *mode, struct husk_err **err);

/* Resolve linux.cgroupsPath (absolute, relative, or NULL -> default for id) and
 * create the cgroup directories.  Nothing is applied yet. */
int cgroup_manager_create(const char *id, const char *cgroups_path, bool systemd,
			  struct cgroup_manager **out, struct husk_err **err);
/* The same in two steps: prepare resolves the path and the hierarchies (the
 * manager can be serialized then), make_dirs creates the directories.  On a
 * make_dirs failure the caller frees the manager: it must not destroy what it
 * did not make. */
int cgroup_manager_prepare(const char *id, const char *cgroups_path, bool systemd,
			   struct cgroup_manager **out, struct husk_err **err);
int cgroup_manager_make_dirs(struct cgroup_manager *cm, struct husk_err **err);
/* Move pid (the container init) into the cgroup(s). */
int cgroup_enter(struct cgroup_manager *cm, pid_t pid, struct husk_err **err);
/* exec --cgroup (runc 1.1): move pid into existing sub-cgroups of the
 * container's, given as "PATH" or "CTRL[,CTRL]:PATH" arguments. */
int cgroup_enter_sub(struct cgroup_manager *cm, pid_t pid, const char *const *args, size_t nargs,
		     struct husk_err **err);
/* The fast way in, for the runtime.  A process moved by another (cgroup_enter)
 * costs the kernel's global threadgroup lock and an RCU grace period per
 * start (3-15 ms measured here); a single-threaded process moving itself into
 * a v1 hierarchy through "tasks" skips it, and clone3(CLONE_INTO_CGROUP) puts
 * a child into the v2 cgroup for free.  So:
 *   - parent: cgroup_clone_fd() is the v2 cgroup's dir fd for clone3's
 *     cgroup field (-1 when the host has no v2 hierarchy);
 *   - child, right after the clone, before it unshares its user or cgroup
 *     namespace and while single-threaded: cgroup_enter_self(cm, cloned_into).
 *     cloned_into says the clone already placed it in the v2 cgroup.
 * The manager must have been created before the clone (the child uses the
 * directory fds it inherited).  cgroup_enter(pid) remains the general way. */
int cgroup_clone_fd(struct cgroup_manager *cm);
int cgroup_enter_self(struct cgroup_manager *cm, bool cloned_into_v2, struct husk_err **err);
/* Write linux.resources (also used by `update`, with only the fields that are set). */
int cgroup_apply(struct cgroup_manager *cm, const struct oci_resources *res, struct husk_err **err);
/* The create-time apply: linux.resources, and the device rules runc gives a
 * container (the config's rules, then the standard /dev nodes).  Prefer this over cgroup_apply at create. */
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

/* ---- statistics (`events`) ------------------------------------------------ */

struct cgroup_mem_entry {
	uint64_t limit, usage, max, failcnt; /* limit 0: unlimited or unknown */
};
struct cgroup_blkio_entry {
	uint64_t major, minor;
	const char *op; /* "Read", "Write", "Sync", "Async", "Discard", "Total" (static) */
	uint64_t value;
};
struct cgroup_hugetlb_stat {
	char page_size[16]; /* "2MB" */
	uint64_t usage, max, failcnt;
};
struct cgroup_stat_kv {
	char *key;
	uint64_t value;
};
/* runc's stats shape (types/events.go); fields the host lacks stay 0/empty. */
struct cgroup_stats {
	uint64_t cpu_total, cpu_user, cpu_kernel; /* ns */
	uint64_t *percpu;
	size_t n_percpu;
	uint64_t periods, throttled_periods, throttled_time;
	uint64_t mem_cache;
	struct cgroup_mem_entry mem, swap, kernel, kernel_tcp;
	struct cgroup_stat_kv *mem_raw; /* memory.stat */
	size_t n_mem_raw;
	uint64_t oom_kill;
	uint64_t pids_current, pids_limit; /* limit 0: max */
	struct cgroup_blkio_entry *io_bytes, *io_ops;
	size_t n_io_bytes, n_io_ops;
	struct cgroup_hugetlb_stat *hugetlb;
	size_t n_hugetlb;
};
int cgroup_stats(struct cgroup_manager *cm, struct cgroup_stats *st, struct husk_err **err);
void cgroup_stats_free(struct cgroup_stats *st);

/* OOM notifications: an fd to poll (for *events) that fires when the kernel
 * hits the container's memory limit; then cgroup_oom_watch_check says how many
 * OOM events happened since the last check (0 for spurious wakeups) and fails
 * with ENOENT once the cgroup is gone. */
struct cgroup_oom_watch;
int cgroup_oom_watch_open(struct cgroup_manager *cm, struct cgroup_oom_watch **out,
			  struct husk_err **err);
int cgroup_oom_watch_fd(const struct cgroup_oom_watch *w, short *events);
int cgroup_oom_watch_check(struct cgroup_oom_watch *w, uint64_t *new_ooms, struct husk_err **err);
void cgroup_oom_watch_free(struct cgroup_oom_watch *w);

/* Persist / reload: an opaque single-line string stored in the state dir. */
char *cgroup_manager_serialize(const struct cgroup_manager *cm);
int cgroup_manager_load(const char *serialized, struct cgroup_manager **out, struct husk_err **err);

/* `features`: the cgroup drivers this module has. */
void cgroup_features(struct oci_features *f);

#endif
