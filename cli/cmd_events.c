/* husk events [--stats] [--interval 5s] <id>: runc's event stream.
 *
 * One JSON object per line: {"type":"stats","id":ID,"data":{...}} every
 * interval, {"type":"oom","id":ID} when the kernel hits the memory limit.
 * --stats prints one stats event and exits.  The stream ends when the
 * container's cgroup goes away (delete). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cgroup_cmd.h"
#include "cli/cmd_util.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "oci/json_gen.h"

/* key: v, skipped when zero (Go's omitempty). */
static bool kv_u64(yajl_gen g, const char *k, uint64_t v, bool omitempty)
{
	return (omitempty && !v) || jg_ku64(g, k, v);
}

static bool mem_entry(yajl_gen g, const char *k, const struct cgroup_mem_entry *e)
{
	return jg_key(g, k) && jg_open_map(g) && kv_u64(g, "limit", e->limit, false) &&
	       kv_u64(g, "usage", e->usage, true) && kv_u64(g, "max", e->max, true) &&
	       kv_u64(g, "failcnt", e->failcnt, false) && jg_close_map(g);
}

static bool blkio_list(yajl_gen g, const char *k, const struct cgroup_blkio_entry *v, size_t n)
{
	if (!n)
		return true;
	bool ok = jg_key(g, k) && jg_open_array(g);
	for (size_t i = 0; ok && i < n; i++)
		ok = jg_open_map(g) && kv_u64(g, "major", v[i].major, true) &&
		     kv_u64(g, "minor", v[i].minor, true) && jg_kstr(g, "op", v[i].op) &&
		     kv_u64(g, "value", v[i].value, true) && jg_close_map(g);
	return ok && jg_close_array(g);
}

static bool cpu_data(yajl_gen g, const struct cgroup_stats *s)
{
	bool ok = jg_key(g, "cpu") && jg_open_map(g) && jg_key(g, "usage") && jg_open_map(g) &&
		  kv_u64(g, "total", s->cpu_total, true);
	if (ok && s->n_percpu) {
		ok = jg_key(g, "percpu") && jg_open_array(g);
		for (size_t i = 0; ok && i < s->n_percpu; i++)
			ok = jg_u64(g, s->percpu[i]);
		ok = ok && jg_close_array(g);
	}
	return ok && kv_u64(g, "kernel", s->cpu_kernel, false) &&
	       kv_u64(g, "user", s->cpu_user, false) && jg_close_map(g) &&
	       jg_key(g, "throttling") && jg_open_map(g) &&
	       kv_u64(g, "periods", s->periods, true) &&
	       kv_u64(g, "throttledPeriods", s->throttled_periods, true) &&
	       kv_u64(g, "throttledTime", s->throttled_time, true) && jg_close_map(g) &&
	       jg_close_map(g);
}

static bool memory_data(yajl_gen g, const struct cgroup_stats *s)
{
	bool ok = jg_key(g, "memory") && jg_open_map(g) && kv_u64(g, "cache", s->mem_cache, true) &&
		  mem_entry(g, "usage", &s->mem) && mem_entry(g, "swap", &s->swap) &&
		  mem_entry(g, "kernel", &s->kernel) && mem_entry(g, "kernelTCP", &s->kernel_tcp);
	if (ok && s->n_mem_raw) {
		ok = jg_key(g, "raw") && jg_open_map(g);
		for (size_t i = 0; ok && i < s->n_mem_raw; i++)
			ok = kv_u64(g, s->mem_raw[i].key, s->mem_raw[i].value, false);
		ok = ok && jg_close_map(g);
	}
	return ok && jg_close_map(g);
}

static bool stats_data(yajl_gen g, const struct cgroup_stats *s)
{
	static const char *const cpuset_zero[] = {
	    "cpu_exclusive",   "mem_hardwall",	     "mem_exclusive",
	    "memory_migrate",  "memory_spread_page", "memory_spread_slab",
	    "memory_pressure", "sched_load_balance", "sched_relax_domain_level"};
	bool ok = jg_open_map(g) && cpu_data(g, s) && jg_key(g, "cpuset") && jg_open_map(g);
	for (size_t i = 0; ok && i < ARRAY_SIZE(cpuset_zero); i++)
		ok = kv_u64(g, cpuset_zero[i], 0, false);
	ok = ok && jg_close_map(g) && memory_data(g, s) && jg_key(g, "pids") && jg_open_map(g) &&
	     kv_u64(g, "current", s->pids_current, true) &&
	     kv_u64(g, "limit", s->pids_limit, true) && jg_close_map(g) && jg_key(g, "blkio") &&
	     jg_open_map(g) &&
	     blkio_list(g, "ioServiceBytesRecursive", s->io_bytes, s->n_io_bytes) &&
	     blkio_list(g, "ioServicedRecursive", s->io_ops, s->n_io_ops) && jg_close_map(g) &&
	     jg_key(g, "hugetlb") && jg_open_map(g);
	for (size_t i = 0; ok && i < s->n_hugetlb; i++)
		ok = jg_key(g, s->hugetlb[i].page_size) && jg_open_map(g) &&
		     kv_u64(g, "usage", s->hugetlb[i].usage, true) &&
		     kv_u64(g, "max", s->hugetlb[i].max, true) &&
		     kv_u64(g, "failcnt", s->hugetlb[i].failcnt, false) && jg_close_map(g);
	return ok && jg_close_map(g) && jg_key(g, "intel_rdt") && jg_open_map(g) &&
	       jg_close_map(g) && jg_key(g, "network_interfaces") && jg_null(g) && jg_close_map(g);
}

/* Print {"type":type,"id":id[,"data":...]} and a newline, flushed. */
static int emit(void *arg, const char *type, const struct cgroup_stats *s, struct husk_err **err)
{
	const char *id = arg;
	yajl_gen g = jg_new(false);
	bool ok = jg_open_map(g) && jg_kstr(g, "type", type) && jg_kstr(g, "id", id);
	if (ok && s)
		ok = jg_key(g, "data") && stats_data(g, s);
	ok = ok && jg_close_map(g);
	cleanup_free char *out = NULL;
	if (jg_finish(g, ok, &out, NULL, err) < 0)
		return husk_err_wrap(err, "%s event", type);
	puts(out);
	fflush(stdout);
	return 0;
}

static int cmd_events_run(struct husk_globals *g, int argc, char **argv)
{
	bool stats = false;
	const char *interval = "5s";
	const struct cli_flag flags[] = {
	    {"stats", CLI_FLAG_BOOL, &stats, "print one stats event and exit", NULL},
	    {"interval", CLI_FLAG_STRING, &interval, "stats interval (default 5s)", "DURATION"},
	    {0},
	};
	struct cli_args a;
	int rc;
	if (!cli_cmd_parse("events", "[--stats] [--interval 5s] <container-id>", flags, argc, argv,
			   1, 1, &a, &rc))
		return rc;
	long long ms;
	if (events_parse_duration_ms(interval, &ms) < 0 || ms <= 0) {
		cli_args_free(&a);
		return cli_usage_error("events",
				       "invalid --interval \"%s\": want a positive "
				       "duration such as 5s or 500ms",
				       interval);
	}
	struct husk_err *err = NULL;
	rc = 0;
	const char *id = a.pos[0];
	if (container_events(g->root, id, stats ? 0 : ms, emit, (void *)id, &err) < 0)
		rc = cli_fail_free(&err);
	cli_args_free(&a);
	return rc;
}

HUSK_COMMAND(cmd_events, {.name = "events",
			  .summary = "show container events and statistics",
			  .run = cmd_events_run});
