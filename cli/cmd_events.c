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
#include <yajl/yajl_gen.h>

#include "cli/cgroup_cmd.h"
#include "cli/cmd_util.h"
#include "common/cleanup.h"
#include "common/util.h"

static void gstr(yajl_gen g, const char *s)
{
	yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

static void gu64(yajl_gen g, uint64_t v)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%" PRIu64, v);
	yajl_gen_number(g, buf, (size_t)n);
}

/* key: v, skipped when zero (Go's omitempty). */
static void kv_u64(yajl_gen g, const char *k, uint64_t v, bool omitempty)
{
	if (omitempty && !v)
		return;
	gstr(g, k);
	gu64(g, v);
}

static void mem_entry(yajl_gen g, const char *k, const struct cgroup_mem_entry *e)
{
	gstr(g, k);
	yajl_gen_map_open(g);
	kv_u64(g, "limit", e->limit, false);
	kv_u64(g, "usage", e->usage, true);
	kv_u64(g, "max", e->max, true);
	kv_u64(g, "failcnt", e->failcnt, false);
	yajl_gen_map_close(g);
}

static void blkio_list(yajl_gen g, const char *k, const struct cgroup_blkio_entry *v, size_t n)
{
	if (!n)
		return;
	gstr(g, k);
	yajl_gen_array_open(g);
	for (size_t i = 0; i < n; i++) {
		yajl_gen_map_open(g);
		kv_u64(g, "major", v[i].major, true);
		kv_u64(g, "minor", v[i].minor, true);
		gstr(g, "op");
		gstr(g, v[i].op);
		kv_u64(g, "value", v[i].value, true);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
}

static void stats_data(yajl_gen g, const struct cgroup_stats *s)
{
	yajl_gen_map_open(g);
	gstr(g, "cpu");
	yajl_gen_map_open(g);
	gstr(g, "usage");
	yajl_gen_map_open(g);
	kv_u64(g, "total", s->cpu_total, true);
	if (s->n_percpu) {
		gstr(g, "percpu");
		yajl_gen_array_open(g);
		for (size_t i = 0; i < s->n_percpu; i++)
			gu64(g, s->percpu[i]);
		yajl_gen_array_close(g);
	}
	kv_u64(g, "kernel", s->cpu_kernel, false);
	kv_u64(g, "user", s->cpu_user, false);
	yajl_gen_map_close(g);
	gstr(g, "throttling");
	yajl_gen_map_open(g);
	kv_u64(g, "periods", s->periods, true);
	kv_u64(g, "throttledPeriods", s->throttled_periods, true);
	kv_u64(g, "throttledTime", s->throttled_time, true);
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);

	gstr(g, "cpuset");
	yajl_gen_map_open(g);
	static const char *const cpuset_zero[] = {
	    "cpu_exclusive",   "mem_hardwall",	     "mem_exclusive",
	    "memory_migrate",  "memory_spread_page", "memory_spread_slab",
	    "memory_pressure", "sched_load_balance", "sched_relax_domain_level"};
	for (size_t i = 0; i < ARRAY_SIZE(cpuset_zero); i++)
		kv_u64(g, cpuset_zero[i], 0, false);
	yajl_gen_map_close(g);

	gstr(g, "memory");
	yajl_gen_map_open(g);
	kv_u64(g, "cache", s->mem_cache, true);
	mem_entry(g, "usage", &s->mem);
	mem_entry(g, "swap", &s->swap);
	mem_entry(g, "kernel", &s->kernel);
	mem_entry(g, "kernelTCP", &s->kernel_tcp);
	if (s->n_mem_raw) {
		gstr(g, "raw");
		yajl_gen_map_open(g);
		for (size_t i = 0; i < s->n_mem_raw; i++)
			kv_u64(g, s->mem_raw[i].key, s->mem_raw[i].value, false);
		yajl_gen_map_close(g);
	}
	yajl_gen_map_close(g);

	gstr(g, "pids");
	yajl_gen_map_open(g);
	kv_u64(g, "current", s->pids_current, true);
	kv_u64(g, "limit", s->pids_limit, true);
	yajl_gen_map_close(g);

	gstr(g, "blkio");
	yajl_gen_map_open(g);
	blkio_list(g, "ioServiceBytesRecursive", s->io_bytes, s->n_io_bytes);
	blkio_list(g, "ioServicedRecursive", s->io_ops, s->n_io_ops);
	yajl_gen_map_close(g);

	gstr(g, "hugetlb");
	yajl_gen_map_open(g);
	for (size_t i = 0; i < s->n_hugetlb; i++) {
		gstr(g, s->hugetlb[i].page_size);
		yajl_gen_map_open(g);
		kv_u64(g, "usage", s->hugetlb[i].usage, true);
		kv_u64(g, "max", s->hugetlb[i].max, true);
		kv_u64(g, "failcnt", s->hugetlb[i].failcnt, false);
		yajl_gen_map_close(g);
	}
	yajl_gen_map_close(g);
	gstr(g, "intel_rdt");
	yajl_gen_map_open(g);
	yajl_gen_map_close(g);
	gstr(g, "network_interfaces");
	yajl_gen_null(g);
	yajl_gen_map_close(g);
}

/* Print {"type":type,"id":id[,"data":...]} and a newline, flushed. */
static void emit(const char *type, const char *id, const struct cgroup_stats *s)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	yajl_gen_map_open(g);
	gstr(g, "type");
	gstr(g, type);
	gstr(g, "id");
	gstr(g, id);
	if (s) {
		gstr(g, "data");
		stats_data(g, s);
	}
	yajl_gen_map_close(g);
	const unsigned char *buf;
	size_t len;
	yajl_gen_get_buf(g, &buf, &len);
	fwrite(buf, 1, len, stdout);
	fputc('\n', stdout);
	fflush(stdout);
	yajl_gen_free(g);
}

static int emit_stats(struct cgroup_manager *cm, const char *id, struct husk_err **err)
{
	struct cgroup_stats s;
	if (cgroup_stats(cm, &s, err) < 0)
		return -1;
	emit("stats", id, &s);
	cgroup_stats_free(&s);
	return 0;
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
			if (ooms)
				emit("oom", id, NULL);
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
	struct cgroup_cmd c;
	rc = 0;
	const char *id = a.pos[0];
	if (cgroup_cmd_open(g, id, false, &c, &err) < 0) {
		rc = cli_fail_free(&err);
	} else {
		if (c.status == OCI_STATUS_STOPPED)
			container_err(&err, EINVAL, "container with id %s is not running", id);
		else if (stats)
			emit_stats(c.cm, id, &err);
		else {
			cgroup_cmd_unlock(&c); /* a stream must not block delete */
			stream(c.cm, id, ms, &err);
		}
		if (err)
			rc = cli_fail_free(&err);
		cgroup_cmd_close(&c);
	}
	cli_args_free(&a);
	return rc;
}

HUSK_COMMAND(cmd_events, {.name = "events",
			  .summary = "show container events and statistics",
			  .run = cmd_events_run});
