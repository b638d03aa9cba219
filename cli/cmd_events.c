/* husk events [--stats] [--interval 5s] <id>: runc's event stream.
 *
 * One JSON object per line: {"type":"stats","id":ID,"data":{...}} every
 * interval, {"type":"oom","id":ID} when the kernel hits the memory limit.
 * --stats prints one stats event and exits.  The stream ends when the
 * container's cgroup goes away (delete). */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
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
static int emit(const char *type, const char *id, const struct cgroup_stats *s,
		struct husk_err **err)
{
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

static int emit_stats(struct cgroup_manager *cm, const char *id, struct husk_err **err)
{
	struct cgroup_stats s;
	if (cgroup_stats(cm, &s, err) < 0)
		return -1;
	int r = emit("stats", id, &s, err);
	cgroup_stats_free(&s);
	return r;
}

static int stream(struct cgroup_manager *cm, const char *id, long long interval_ms,
		  struct husk_err **err)
{
	struct cgroup_oom_watch *w = NULL;
	struct pollfd p = {.fd = -1};
	cleanup_err struct husk_err *werr = NULL;
	if (cgroup_oom_watch_open(cm, &w, &werr) == 0)
		p.fd = cgroup_oom_watch_fd(w, &p.events);
	int r = 0;
	long long next = (long long)(now_ns() / 1000000) + interval_ms;
	for (;;) {
		long long now = (long long)(now_ns() / 1000000);
		int timeout = interval_ms > 0 ? (int)(next > now ? next - now : 0) : -1;
		int n = poll(&p, 1, timeout);
		if (n < 0 && errno != EINTR) {
			r = husk_err_sys(err, "poll");
			break;
		}
		if (n > 0) {
			uint64_t ooms = 0;
			if (cgroup_oom_watch_check(w, &ooms, err) < 0) {
				if ((*err)->errnum == ENOENT) { /* cgroup removed: the end */
					husk_err_free(err);
					break;
				}
				r = -1;
				break;
			}
			if (ooms && emit("oom", id, NULL, err) < 0) {
				r = -1;
				break;
			}
			continue;
		}
		if (n == 0) {
			if (emit_stats(cm, id, err) < 0) {
				if ((*err)->errnum == ENOENT) {
					husk_err_free(err);
					break;
				}
				r = -1;
				break;
			}
			next += interval_ms;
		}
	}
	cgroup_oom_watch_free(w);
	return r;
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
	struct container c;
	rc = 0;
	const char *id = a.pos[0];
	if (container_open(g->root, id, CONTAINER_READ, &c, &err) < 0) {
		rc = cli_fail_free(&err);
	} else {
		if (c.status == OCI_STATUS_STOPPED)
			container_err(&err, EINVAL, "container with id %s is not running", id);
		else if (stats)
			emit_stats(c.cm, id, &err);
		else {
			container_unlock(&c); /* a stream must not block delete */
			stream(c.cm, id, ms, &err);
		}
		if (err)
			rc = cli_fail_free(&err);
		container_close(&c);
	}
	cli_args_free(&a);
	return rc;
}

HUSK_COMMAND(cmd_events, {.name = "events",
			  .summary = "show container events and statistics",
			  .run = cmd_events_run});
