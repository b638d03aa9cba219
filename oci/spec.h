/* The OCI runtime-spec 1.2 config.json for Linux, as typed C structs.
 *
 * Produced by oci_config_parse*() (oci/parse_*.c) and consumed read-only by
 * everything downstream: runtime/, ns/, rootfs/, cgroups/, vm-sandbox/.
 * Conventions:
 *   - optional scalars use the oci_opt_* wrappers: .set tells whether the key
 *     was present;
 *   - arrays are (pointer, count) pairs;
 *   - strings are heap-allocated, NULL when absent;
 *   - the whole tree is released by oci_config_free().
 */
#ifndef HUSK_OCI_SPEC_H
#define HUSK_OCI_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define OCI_SPEC_VERSION "1.2.0"

typedef struct { bool set; int64_t v; } oci_opt_i64;
typedef struct { bool set; uint64_t v; } oci_opt_u64;
typedef struct { bool set; bool v; } oci_opt_bool;
typedef struct { char **v; size_t n; } oci_strv;          /* v[n] == NULL */
struct oci_kv { char *key; char *value; };
typedef struct { struct oci_kv *v; size_t n; } oci_kvv;   /* object of string -> string */

/* ---- root, mounts -------------------------------------------------------- */

struct oci_root {
	char *path;
	bool readonly;
};

struct oci_id_mapping {
	uint32_t container_id;
	uint32_t host_id;
	uint32_t size;
};

struct oci_mount {
	char *destination;
	char *source;
	char *type;
	oci_strv options;
	struct oci_id_mapping *uid_mappings; /* idmapped mounts */
	size_t n_uid_mappings;
	struct oci_id_mapping *gid_mappings;
	size_t n_gid_mappings;
};

/* ---- process ------------------------------------------------------------- */

struct oci_user {
	uint32_t uid;
	uint32_t gid;
	oci_opt_u64 umask;
	uint32_t *additional_gids;
	size_t n_additional_gids;
	char *username;
};

struct oci_capabilities {
	bool present; /* process.capabilities key present at all */
	oci_strv bounding, effective, inheritable, permitted, ambient;
};

struct oci_rlimit {
	char *type; /* "RLIMIT_NOFILE" */
	int resource; /* resolved RLIMIT_* number */
	uint64_t soft;
	uint64_t hard;
};

struct oci_io_priority {
	bool present;
	char *klass; /* IOPRIO_CLASS_RT | IOPRIO_CLASS_BE | IOPRIO_CLASS_IDLE */
	int64_t priority;
};

struct oci_scheduler {
	bool present;
	char *policy; /* SCHED_OTHER, SCHED_FIFO, ... */
	oci_opt_i64 nice;
	oci_opt_i64 priority;
	oci_strv flags; /* SCHED_FLAG_* */
	oci_opt_u64 runtime, deadline, period;
};

struct oci_exec_cpu_affinity {
	char *initial;
	char *final;
};

struct oci_process {
	bool present;
	bool terminal;
	oci_opt_u64 console_height, console_width;
	struct oci_user user;
	oci_strv args;
	char *command_line; /* windows only; kept for completeness */
	oci_strv env;
	char *cwd;
	struct oci_capabilities capabilities;
	struct oci_rlimit *rlimits;
	size_t n_rlimits;
	bool no_new_privileges;
	char *apparmor_profile;
	oci_opt_i64 oom_score_adj;
	char *selinux_label;
	struct oci_io_priority io_priority;
	struct oci_scheduler scheduler;
	struct oci_exec_cpu_affinity exec_cpu_affinity;
};

/* ---- hooks --------------------------------------------------------------- */

struct oci_hook {
	char *path;
	oci_strv args;
	oci_strv env;
	oci_opt_i64 timeout; /* seconds, > 0 when set */
};

struct oci_hook_list {
	struct oci_hook *v;
	size_t n;
};

struct oci_hooks {
	struct oci_hook_list prestart; /* deprecated but still run, before createRuntime */
	struct oci_hook_list create_runtime;
	struct oci_hook_list create_container;
	struct oci_hook_list start_container;
	struct oci_hook_list poststart;
	struct oci_hook_list poststop;
};

/* ---- linux --------------------------------------------------------------- */

enum oci_ns_type {
	OCI_NS_PID,
	OCI_NS_NETWORK,
	OCI_NS_MOUNT,
	OCI_NS_IPC,
	OCI_NS_UTS,
	OCI_NS_USER,
	OCI_NS_CGROUP,
	OCI_NS_TIME,
	OCI_NS_COUNT
};

struct oci_namespace {
	enum oci_ns_type type;
	char *path; /* NULL: create a new one */
};

struct oci_time_offset {
	bool set;
	int64_t secs;
	uint32_t nanosecs;
};

struct oci_device {
	char *type; /* "c", "b", "u", "p" */
	char *path;
	int64_t major, minor;
	oci_opt_u64 file_mode;
	oci_opt_u64 uid, gid;
};

/* linux.resources.devices[] */
struct oci_device_cgroup {
	bool allow;
	char *type;   /* "a", "c", "b"; NULL means "a" */
	oci_opt_i64 major, minor; /* unset means wildcard */
	char *access; /* subset of "rwm"; NULL means "rwm" */
};

struct oci_memory {
	bool present;
	oci_opt_i64 limit, reservation, swap, kernel, kernel_tcp;
	oci_opt_u64 swappiness;
	oci_opt_bool disable_oom_killer, use_hierarchy, check_before_update;
};

struct oci_cpu {
	bool present;
	oci_opt_u64 shares;
	oci_opt_i64 quota;
	oci_opt_u64 burst;
	oci_opt_u64 period;
	oci_opt_i64 realtime_runtime;
	oci_opt_u64 realtime_period;
	char *cpus;
	char *mems;
	oci_opt_bool idle_set_unused; /* reserved */
	oci_opt_i64 idle;
};

struct oci_weight_device {
	int64_t major, minor;
	oci_opt_u64 weight, leaf_weight;
};

struct oci_throttle_device {
	int64_t major, minor;
	uint64_t rate;
};

struct oci_throttle_list {
	struct oci_throttle_device *v;
	size_t n;
};

struct oci_blockio {
	bool present;
	oci_opt_u64 weight, leaf_weight;
	struct oci_weight_device *weight_device;
	size_t n_weight_device;
	struct oci_throttle_list throttle_read_bps, throttle_write_bps, throttle_read_iops,
		throttle_write_iops;
};

struct oci_hugepage_limit {
	char *page_size; /* "2MB", "1GB" */
	uint64_t limit;
};

struct oci_net_priority {
	char *name;
	uint32_t priority;
};

struct oci_network {
	bool present;
	oci_opt_u64 class_id;
	struct oci_net_priority *priorities;
	size_t n_priorities;
};

struct oci_rdma {
	char *device;
	oci_opt_u64 hca_handles, hca_objects;
};

struct oci_resources {
	struct oci_device_cgroup *devices;
	size_t n_devices;
	struct oci_memory memory;
	struct oci_cpu cpu;
	bool pids_present;
	oci_opt_i64 pids_limit;
	struct oci_blockio block_io;
	struct oci_hugepage_limit *hugepage_limits;
	size_t n_hugepage_limits;
	struct oci_network network;
	struct oci_rdma *rdma;
	size_t n_rdma;
	oci_kvv unified;
};

struct oci_seccomp_arg {
	uint32_t index;
	uint64_t value;
	uint64_t value_two;
	char *op; /* SCMP_CMP_* */
};

struct oci_seccomp_syscall {
	oci_strv names;
	char *action;
	oci_opt_u64 errno_ret;
	struct oci_seccomp_arg *args;
	size_t n_args;
};

struct oci_seccomp {
	bool present;
	char *default_action;
	oci_opt_u64 default_errno_ret;
	oci_strv architectures;
	oci_strv flags;
	char *listener_path;
	char *listener_metadata;
	struct oci_seccomp_syscall *syscalls;
	size_t n_syscalls;
};

struct oci_personality {
	bool present;
	char *domain; /* LINUX | LINUX32 */
	oci_strv flags;
};

struct oci_intel_rdt {
	bool present;
	char *clos_id;
	char *l3_cache_schema;
	char *mem_bw_schema;
	oci_opt_bool enable_cmt, enable_mbm;
};

struct oci_net_device {
	char *host_name; /* the key */
	char *name;      /* name inside the container, NULL: keep */
};

struct oci_memory_policy {
	bool present;
	char *mode;  /* MPOL_* */
	char *nodes; /* "0-3,7" */
	oci_strv flags;
};

struct oci_linux {
	bool present;
	struct oci_namespace *namespaces;
	size_t n_namespaces;
	struct oci_id_mapping *uid_mappings;
	size_t n_uid_mappings;
	struct oci_id_mapping *gid_mappings;
	size_t n_gid_mappings;
	struct oci_time_offset time_monotonic, time_boottime;
	struct oci_device *devices;
	size_t n_devices;
	char *cgroups_path;
	bool resources_present;
	struct oci_resources resources;
	struct oci_intel_rdt intel_rdt;
	oci_kvv sysctl;
	struct oci_seccomp seccomp;
	char *rootfs_propagation;
	oci_strv masked_paths;
	oci_strv readonly_paths;
	char *mount_label;
	struct oci_personality personality;
	struct oci_net_device *net_devices;
	size_t n_net_devices;
	struct oci_memory_policy memory_policy;
};

/* ---- the whole document ------------------------------------------------- */

struct oci_config {
	char *oci_version;
	struct oci_root root;
	struct oci_mount *mounts;
	size_t n_mounts;
	struct oci_process process;
	char *hostname;
	char *domainname;
	struct oci_hooks hooks;
	oci_kvv annotations;
	struct oci_linux linux_;
};

/* Parse config.json text.  Errors name the file and field path:
 *   "config.json: process.user.uid: expected a non-negative integer, got \"root\"" */
int oci_config_parse(const char *json, size_t len, const char *source_name,
		     struct oci_config **out, struct husk_err **err);
/* Read and parse a file (bundle/config.json). */
int oci_config_load(const char *path, struct oci_config **out, struct husk_err **err);
void oci_config_free(struct oci_config *cfg);

/* LinuxResources on its own: `update --resources FILE`. */
int oci_resources_parse(const char *json, size_t len, const char *source_name,
			struct oci_resources **out, struct husk_err **err);
void oci_resources_free(struct oci_resources *res);

/* A process.json (`exec --process FILE`): the "process" object on its own. */
int oci_process_parse(const char *json, size_t len, const char *source_name,
		      struct oci_process **out, struct husk_err **err);
void oci_process_free(struct oci_process *p);

/* Helpers used by several modules. */
const char *oci_ns_type_name(enum oci_ns_type t); /* "pid", "network", ... */
int oci_ns_type_from_name(const char *name);      /* -1 if unknown */
const struct oci_namespace *oci_config_find_ns(const struct oci_config *cfg, enum oci_ns_type t);
const char *oci_config_annotation(const struct oci_config *cfg, const char *key);

#endif
