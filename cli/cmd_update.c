/* husk update [flags] <id>: change a running container's resources.
 *
 * --resources FILE|- takes LinuxResources JSON (as runc; the other flags are
 * then ignored).  Otherwise runc's flags build the resources; only what is
 * given is written.  Memory sizes take runc's units (512k, 64m, 1g; -1 for
 * unlimited). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/vm_container.h"
#include "cli/cgroup_cmd.h"
#include "cli/cmd_util.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "runtime/container.h"
#include "runtime/state.h"

static int parse_int(const char *flag, const char *s, int64_t *out, struct husk_err **err)
{
	long long v;
	if (parse_i64(s, &v) < 0)
		return husk_err_set(err, EINVAL, "invalid value \"%s\" for flag --%s", s, flag);
	*out = v;
	return 0;
}

static int parse_uint(const char *flag, const char *s, uint64_t *out, struct husk_err **err)
{
	unsigned long long v;
	if (parse_u64(s, &v) < 0)
		return husk_err_set(err, EINVAL, "invalid value \"%s\" for flag --%s", s, flag);
	*out = v;
	return 0;
}

struct update_flags {
	const char *resources, *blkio_weight, *cpu_period, *cpu_quota, *cpu_share, *cpu_burst,
	    *cpu_rt_period, *cpu_rt_runtime, *cpu_idle, *cpuset_cpus, *cpuset_mems, *kernel_memory,
	    *kernel_memory_tcp, *memory, *memory_reservation, *memory_swap, *pids_limit,
	    *l3_cache_schema, *mem_bw_schema;
};

#define OPT_U64(flag, str, dst)                                                                    \
	do {                                                                                       \
		if ((str) && parse_uint(flag, str, &(dst).v, err) < 0)                             \
			return -1;                                                                 \
		(dst).set = (dst).set || (str);                                                    \
	} while (0)
#define OPT_I64(flag, str, dst)                                                                    \
	do {                                                                                       \
		if ((str) && parse_int(flag, str, &(dst).v, err) < 0)                              \
			return -1;                                                                 \
		(dst).set = (dst).set || (str);                                                    \
	} while (0)
#define OPT_BYTES(flag, str, dst)                                                                  \
	do {                                                                                       \
		if ((str) && update_parse_bytes(str, &(dst).v) < 0)                                \
			return husk_err_set(err, EINVAL, "invalid value \"%s\" for flag --%s",     \
					    str, flag);                                            \
		(dst).set = (dst).set || (str);                                                    \
	} while (0)

static int from_flags(const struct update_flags *f, struct oci_resources *r, struct husk_err **err)
{
	if (f->l3_cache_schema || f->mem_bw_schema)
		return husk_err_set(err, ENOTSUP, "Intel RDT is not supported by husk");
	OPT_U64("blkio-weight", f->blkio_weight, r->block_io.weight);
	r->block_io.present = r->block_io.weight.set;
	OPT_U64("cpu-period", f->cpu_period, r->cpu.period);
	OPT_I64("cpu-quota", f->cpu_quota, r->cpu.quota);
	OPT_U64("cpu-share", f->cpu_share, r->cpu.shares);
	OPT_U64("cpu-burst", f->cpu_burst, r->cpu.burst);
	OPT_U64("cpu-rt-period", f->cpu_rt_period, r->cpu.realtime_period);
	OPT_I64("cpu-rt-runtime", f->cpu_rt_runtime, r->cpu.realtime_runtime);
	OPT_I64("cpu-idle", f->cpu_idle, r->cpu.idle);
	r->cpu.cpus = f->cpuset_cpus ? xstrdup(f->cpuset_cpus) : NULL;
	r->cpu.mems = f->cpuset_mems ? xstrdup(f->cpuset_mems) : NULL;
	r->cpu.present = r->cpu.period.set || r->cpu.quota.set || r->cpu.shares.set ||
			 r->cpu.burst.set || r->cpu.realtime_period.set ||
			 r->cpu.realtime_runtime.set || r->cpu.idle.set || r->cpu.cpus ||
			 r->cpu.mems;
	OPT_BYTES("kernel-memory", f->kernel_memory, r->memory.kernel);
	OPT_BYTES("kernel-memory-tcp", f->kernel_memory_tcp, r->memory.kernel_tcp);
	OPT_BYTES("memory", f->memory, r->memory.limit);
	OPT_BYTES("memory-reservation", f->memory_reservation, r->memory.reservation);
	OPT_BYTES("memory-swap", f->memory_swap, r->memory.swap);
	r->memory.present = r->memory.kernel.set || r->memory.kernel_tcp.set ||
			    r->memory.limit.set || r->memory.reservation.set || r->memory.swap.set;
	OPT_I64("pids-limit", f->pids_limit, r->pids_limit);
	r->pids_present = r->pids_limit.set;
	return 0;
}

static int read_resources(const char *path, struct oci_resources **out, struct husk_err **err)
{
	cleanup_free char *json = NULL;
	size_t len = 0;
	if (strcmp(path, "-") == 0) {
		size_t cap = 4096;
		json = xmalloc(cap);
		for (;;) {
			if (len + 1 >= cap)
				json = xrealloc(json, cap *= 2);
			ssize_t n = read(0, json + len, cap - len - 1);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return husk_err_sys(err, "read resources from stdin");
			if (n == 0)
				break;
			len += (size_t)n;
		}
		json[len] = '\0';
	} else if (read_file_at(AT_FDCWD, path, &json, &len, err) < 0) {
		return husk_err_wrap(err, "update --resources");
	}
	return oci_resources_parse(json, len, strcmp(path, "-") ? path : "stdin", out, err);
}

/* A memory field asks for a change: given, not zero (zero is unset, as in
 * runc) and not what the container was created with. */
static bool memory_field_changes(oci_opt_i64 asked, oci_opt_i64 created)
{
	return asked.set && asked.v != 0 && !(created.set && created.v == asked.v);
}

/* Engines send every field on an update (Docker resends the memory limit
 * and swap given at run with a new CPU quota): a VM's memory that stays as
 * it was created is no change.  Memory updates of a VM are always refused,
 * so the saved config holds what it has; without one, any value changes. */
static bool vm_memory_changes(const char *root, const char *id, const struct oci_memory *m)
{
	struct container_state *st = NULL;
	struct husk_err *ignored = NULL;
	struct oci_config *cfg = NULL;
	if (container_state_load(root, id, &st, &ignored) == 0)
		cfg = container_saved_config(st);
	husk_err_free(&ignored);
	const struct oci_memory none = {0};
	const struct oci_memory *c = cfg ? &cfg->linux_.resources.memory : &none;
	bool changes = memory_field_changes(m->limit, c->limit) ||
		       memory_field_changes(m->reservation, c->reservation) ||
		       memory_field_changes(m->swap, c->swap);
	if (cfg)
		oci_config_free(cfg);
	if (st)
		container_state_free(st);
	return changes;
}

/* A VM's RAM is fixed at boot (no balloon): a new memory limit would only
 * squeeze or free the monitor, never change what the guest has.  CPU limits
 * throttle the vCPU threads, so they apply. */
static bool vm_refuses_update(const char *root, const char *id, const struct oci_resources *res,
			      struct husk_err **err)
{
	cleanup_free char *dir = container_dir(root, id);
	cleanup_free char *sock = xasprintf("%s/%s", dir, VM_EXEC_SOCKET);
	if (access(sock, F_OK) < 0 || !vm_memory_changes(root, id, &res->memory))
		return false;
	container_err(err, ENOTSUP,
		      "update: container %s runs in a VM whose memory is fixed when it boots: "
		      "memory limits cannot change",
		      id);
	return true;
}

static int do_update(struct husk_globals *g, const char *id, const struct update_flags *f,
		     struct husk_err **err)
{
	struct oci_resources *parsed = NULL;
	struct oci_resources flags_res = {0};
	const struct oci_resources *res = &flags_res;
	int r = -1;
	if (f->resources) {
		if (read_resources(f->resources, &parsed, err) < 0)
			goto out;
		res = parsed;
	} else if (from_flags(f, &flags_res, err) < 0) {
		goto out;
	}
	if (vm_refuses_update(g->root, id, res, err))
		;
	else if (container_update(g->root, id, res, err) == 0)
		r = 0;
out:
	if (parsed)
		oci_resources_free(parsed);
	free(flags_res.cpu.cpus);
	free(flags_res.cpu.mems);
	return r;
}

static int cmd_update_run(struct husk_globals *g, int argc, char **argv)
{
	struct update_flags f = {0};
	const struct cli_flag flags[] = {
	    {"resources|r", CLI_FLAG_STRING, &f.resources,
	     "path to a LinuxResources JSON file, - for stdin", "FILE"},
	    {"blkio-weight", CLI_FLAG_STRING, &f.blkio_weight, "block IO weight (10-1000)", "N"},
	    {"cpu-period", CLI_FLAG_STRING, &f.cpu_period, "CFS period (us)", "N"},
	    {"cpu-quota", CLI_FLAG_STRING, &f.cpu_quota, "CFS quota (us), -1 unlimited", "N"},
	    {"cpu-share", CLI_FLAG_STRING, &f.cpu_share, "CPU shares (relative weight)", "N"},
	    {"cpu-burst", CLI_FLAG_STRING, &f.cpu_burst, "CFS burst (us)", "N"},
	    {"cpu-rt-period", CLI_FLAG_STRING, &f.cpu_rt_period, "realtime period (us)", "N"},
	    {"cpu-rt-runtime", CLI_FLAG_STRING, &f.cpu_rt_runtime, "realtime runtime (us)", "N"},
	    {"cpu-idle", CLI_FLAG_STRING, &f.cpu_idle, "SCHED_IDLE for the cgroup (0 or 1)", "N"},
	    {"cpuset-cpus", CLI_FLAG_STRING, &f.cpuset_cpus, "CPUs to run on (0-3, 0,1)", "LIST"},
	    {"cpuset-mems", CLI_FLAG_STRING, &f.cpuset_mems, "memory nodes (0-3, 0,1)", "LIST"},
	    {"kernel-memory", CLI_FLAG_STRING, &f.kernel_memory, "deprecated, ignored", "BYTES"},
	    {"kernel-memory-tcp", CLI_FLAG_STRING, &f.kernel_memory_tcp, "kernel TCP buffer limit",
	     "BYTES"},
	    {"memory", CLI_FLAG_STRING, &f.memory, "memory limit (512k, 64m, 1g; -1 unlimited)",
	     "BYTES"},
	    {"memory-reservation", CLI_FLAG_STRING, &f.memory_reservation, "memory soft limit",
	     "BYTES"},
	    {"memory-swap", CLI_FLAG_STRING, &f.memory_swap, "memory+swap limit", "BYTES"},
	    {"pids-limit", CLI_FLAG_STRING, &f.pids_limit, "maximum number of pids, -1 unlimited",
	     "N"},
	    {"l3-cache-schema", CLI_FLAG_STRING, &f.l3_cache_schema, "Intel RDT (unsupported)",
	     "S"},
	    {"mem-bw-schema", CLI_FLAG_STRING, &f.mem_bw_schema, "Intel RDT (unsupported)", "S"},
	    {0},
	};
	struct cli_args a;
	int rc;
	if (!cli_cmd_parse("update", "[flags] <container-id>", flags, argc, argv, 1, 1, &a, &rc))
		return rc;
	struct husk_err *err = NULL;
	rc = do_update(g, a.pos[0], &f, &err) < 0 ? cli_fail_free(&err) : 0;
	cli_args_free(&a);
	return rc;
}

HUSK_COMMAND(cmd_update, {.name = "update",
			  .summary = "update a container's resource limits",
			  .run = cmd_update_run});
