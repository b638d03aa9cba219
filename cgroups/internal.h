/* cgroups/ internals shared by the manager, the v1 and v2 drivers and the tests.
 *
 * Every driver writes through directory fds, never through path strings, so a
 * unit test can point a driver at a plain temp dir and read back exactly which
 * file got which value (for the v2 files this hybrid host cannot exercise). */
#ifndef HUSK_CGROUPS_INTERNAL_H
#define HUSK_CGROUPS_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroups/cgroup.h"
#include "common/err.h"
#include "oci/spec.h"

#define CGROUP_DEFAULT_ROOT   "/sys/fs/cgroup"
#define CGROUP_DEFAULT_PARENT "/husk"
#define CGROUP_MAX_HIER	      16

/* v1 controllers (bit per controller); a hierarchy may carry several. */
enum cg_ctrl {
	CG_CPU,
	CG_CPUACCT,
	CG_CPUSET,
	CG_MEMORY,
	CG_DEVICES,
	CG_FREEZER,
	CG_BLKIO,
	CG_PIDS,
	CG_NET_CLS,
	CG_NET_PRIO,
	CG_HUGETLB,
	CG_PERF_EVENT,
	CG_RDMA,
	CG_MISC,
	CG_NAME_SYSTEMD,
	CG_CTRL_COUNT
};
#define CG_BIT(c) (1u << (c))

const char *cg_ctrl_name(enum cg_ctrl c);
/* Controllers named by a v1 mount directory: "cpu,cpuacct" -> CPU|CPUACCT. 0 if none. */
uint32_t cg_ctrls_from_dirname(const char *name);

struct cg_hier {
	char *dir;	/* mount dir below the root: "memory", "cpu,cpuacct", "unified", "" */
	bool v2;	/* a cgroup2 hierarchy */
	uint32_t ctrls; /* v1 controllers it carries (0 for v2) */
	int fd;		/* the container's cgroup dir in this hierarchy, -1 until opened */
	bool created;	/* we made the leaf (so a failed create removes it) */
	unsigned parents_created; /* and this many levels right above it */
};

struct cgroup_manager {
	enum cgroup_mode mode;
	char *root; /* where hierarchies are mounted: /sys/fs/cgroup */
	char *path; /* the container's cgroup, absolute within each hierarchy: /husk/ID */
	size_t n;
	struct cg_hier h[CGROUP_MAX_HIER];
	int bpf_prog_fd; /* v2 device program we attached in this process, -1 if none */
};

/* Resolve cgroupsPath to a clean absolute path (no "..", no "//").  systemd
 * "slice:prefix:name" syntax is expanded to the cgroupfs path systemd would use. */
int cg_resolve_path(const char *id, const char *cgroups_path, bool systemd, char **out,
		    struct husk_err **err);

/* Lexical clean: "//" and "." dropped, ".." never above "/"; always absolute. */
char *cg_clean_path(const char *p);

/* Discover the hierarchies under root for mode (v1 mounts by directory name,
 * the unified mount in hybrid mode, the root itself in unified mode). */
int cg_discover(const char *root, enum cgroup_mode mode, struct cgroup_manager *cm,
		struct husk_err **err);

/* Manager with an explicit layout: for tests against a cgroup2 mount or a mock tree. */
int cgroup_manager_create_at(enum cgroup_mode mode, const char *root, const char *path,
			     struct cgroup_manager **out, struct husk_err **err);
/* Hierarchy index holding controller c (v1), or the v2 hierarchy for c == CG_CTRL_COUNT. */
int cg_find(const struct cgroup_manager *cm, int c);
int cg_find_v2(const struct cgroup_manager *cm);
/* The container's dir fd in hierarchy i (opened on demand). */
int cg_fd(struct cgroup_manager *cm, size_t i, struct husk_err **err);

/* Write one knob; the error names the file and value. */
int cg_write(int dirfd, const char *file, const char *val, struct husk_err **err);
int cg_writef(int dirfd, const char *file, struct husk_err **err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Read one knob, trailing newline stripped. */
int cg_read(int dirfd, const char *file, char **out, struct husk_err **err);
/* memory.checkBeforeUpdate: EBUSY when the new limit is below the usage that
 * USAGE_FILE (v1 memory.usage_in_bytes, v2 memory.current) shows. */
int cg_check_before_update(int dirfd, const char *usage_file, const struct oci_memory *m,
			   struct husk_err **err);

/* Recursively collect pids from cgroup.procs under dirfd. */
int cg_collect_pids(int dirfd, pid_t **pids, size_t *n, size_t *cap, struct husk_err **err);
/* rmdir the cgroup dir name under parentfd, children first. */
int cg_rmdir_tree(int parentfd, const char *name, struct husk_err **err);

/* linux.resources as runc reads them (unset.c): a zero in a field runc keeps
 * as a plain integer (memory limit/reservation/swap, cpu shares/quota/period,
 * blkio weight, pids limit, net_cls classid ...) means "not set", an empty
 * cpuset string too; the present flags drop when nothing is left.  A shallow
 * copy: out shares in's arrays and strings. */
void cg_resources_runc_view(const struct oci_resources *in, struct oci_resources *out);

/* ---- device rules (devices.c) --------------------------------------------- */
struct cg_dev_rules {
	struct oci_device_cgroup *v; /* shallow copies: strings belong to the inputs */
	size_t n;
};
/* spec rules, then runc's default allow list, then an allow rule per extra
 * device node (linux.devices).  Free out->v only. */
void cg_devices_merge(const struct oci_device_cgroup *spec, size_t n_spec,
		      const struct oci_device *extra, size_t n_extra, struct cg_dev_rules *out);
int cg_device_rule_check(const struct oci_device_cgroup *r, struct husk_err **err);

/* ---- v1 driver ---------------------------------------------------------- */
/* fds[c]: the container's dir in the hierarchy carrying controller c, -1 if absent. */
struct cg1_dirs {
	int fd[CG_CTRL_COUNT];
};
int cg1_apply(const struct cg1_dirs *d, const struct oci_resources *res, struct husk_err **err);
int cg1_freeze(int freezer_fd, bool frozen, struct husk_err **err);
/* Make a fresh cpuset cgroup usable: copy cpus/mems from its parent when empty. */
int cg1_cpuset_init(int parentfd, int fd, struct husk_err **err);
int cg1_devices_apply(int fd, const struct oci_device_cgroup *devs, size_t n,
		      struct husk_err **err);

/* ---- v2 driver ---------------------------------------------------------- */
int cg2_apply(int fd, const struct oci_resources *res, struct husk_err **err);
int cg2_freeze(int fd, bool frozen, struct husk_err **err);
/* Enable controllers (space separated, no '+') in subtree_control of every
 * level from rootfd down to (not including) the leaf at path. */
int cg2_enable_controllers(int rootfd, const char *path, const char *ctrls, struct husk_err **err);
/* Controllers the v2 writer needs for res: "memory pids ..." (heap). */
char *cg2_needed_controllers(const struct oci_resources *res);
/* OCI cpu.shares -> cgroup v2 cpu.weight (runc's conversion). */
uint64_t cg2_shares_to_weight(uint64_t shares);
/* blkio weight (10..1000) -> io.weight (1..10000). */
uint64_t cg2_blkio_to_io_weight(uint64_t w);

/* The eBPF device filter.  Builds the program from the rules, loads it and
 * attaches it to fd, replacing husk's previous program.  prog_fd gets the new
 * program's fd (caller closes). */
int cg2_devices_apply(int fd, const struct oci_device_cgroup *devs, size_t n, int *prog_fd,
		      struct husk_err **err);
/* The instructions alone (unit tests check the program shape). */
struct bpf_insn;
int cg2_devices_build(const struct oci_device_cgroup *devs, size_t n, struct bpf_insn **insns,
		      size_t *n_insns, struct husk_err **err);

#endif
