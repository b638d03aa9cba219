/* Container statistics in runc's shape, from v1 files (cpuacct, cpu, memory,
 * pids, blkio, hugetlb) or v2 files (cpu.stat, memory.*, pids.*, io.stat,
 * hugetlb.*).  A file the host lacks leaves its fields at zero; only a
 * vanished cgroup is an error. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroups/internal.h"
#include "common/cleanup.h"
#include "common/util.h"

/* "max" reads as UINT64_MAX, as runc reports it. */
static bool read_u64(int fd, const char *file, uint64_t *v)
{
	cleanup_free char *s = NULL;
	cleanup_err struct husk_err *err = NULL;
	if (fd < 0 || cg_read(fd, file, &s, &err) < 0)
		return false;
	unsigned long long x;
	if (strcmp(s, "max") == 0)
		x = UINT64_MAX;
	else if (parse_u64(s, &x) < 0)
		return false;
	*v = x;
	return true;
}

/* Value of key in a "key value" per line file. */
static bool kv_get(const char *text, const char *key, uint64_t *v)
{
	size_t kl = strlen(key);
	for (const char *s = text; s && *s; s = strchr(s, '\n'), s = s ? s + 1 : NULL) {
		if (strncmp(s, key, kl) == 0 && s[kl] == ' ') {
			*v = strtoull(s + kl + 1, NULL, 10);
			return true;
		}
	}
	return false;
}

static char *read_text(int fd, const char *file)
{
	cleanup_err struct husk_err *err = NULL;
	char *s = NULL;
	if (fd < 0 || read_file_at(fd, file, &s, NULL, &err) < 0)
		return NULL;
	return s;
}

static void parse_raw(const char *text, struct cgroup_stats *st)
{
	size_t cap = 0;
	for (const char *s = text; s && *s;) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);
		const char *sp = memchr(s, ' ', len);
		if (sp) {
			if (st->n_mem_raw == cap) {
				cap = cap ? cap * 2 : 32;
				st->mem_raw = xrealloc(st->mem_raw, cap * sizeof(*st->mem_raw));
			}
			st->mem_raw[st->n_mem_raw].key = xasprintf("%.*s", (int)(sp - s), s);
			st->mem_raw[st->n_mem_raw].value = strtoull(sp + 1, NULL, 10);
			st->n_mem_raw++;
		}
		s = nl ? nl + 1 : NULL;
	}
}

static void push_io(struct cgroup_blkio_entry **v, size_t *n, uint64_t maj, uint64_t min,
		    const char *op, uint64_t value)
{
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = (struct cgroup_blkio_entry){maj, min, op, value};
}

static const char *io_op(const char *s)
{
	static const char *const ops[] = {"Read", "Write", "Sync", "Async", "Discard", "Total"};
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++)
		if (strcmp(s, ops[i]) == 0)
			return ops[i];
	return NULL;
}

/* v1 blkio "8:0 Read 1234" lines (a final "Total N" line has no device). */
static void parse_blkio_v1(const char *text, struct cgroup_blkio_entry **v, size_t *n)
{
	for (const char *s = text; s && *s;) {
		unsigned long long maj, min, val;
		char op[16];
		if (sscanf(s, "%llu:%llu %15s %llu", &maj, &min, op, &val) == 4 && io_op(op))
			push_io(v, n, maj, min, io_op(op), val);
		s = strchr(s, '\n');
		s = s ? s + 1 : NULL;
	}
}

/* v2 io.stat "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0". */
static void parse_io_stat(const char *text, struct cgroup_stats *st)
{
	for (const char *s = text; s && *s;) {
		unsigned long long maj, min;
		int off = 0;
		const char *nl = strchr(s, '\n');
		if (sscanf(s, "%llu:%llu%n", &maj, &min, &off) == 2) {
			uint64_t rb = 0, wb = 0, ri = 0, wi = 0;
			const char *p = s + off, *end = nl ? nl : s + strlen(s);
			while (p < end) {
				while (p < end && *p == ' ')
					p++;
				unsigned long long x;
				char key[16];
				int used = 0;
				if (sscanf(p, "%15[a-z]=%llu%n", key, &x, &used) != 2)
					break;
				if (!strcmp(key, "rbytes"))
					rb = x;
				else if (!strcmp(key, "wbytes"))
					wb = x;
				else if (!strcmp(key, "rios"))
					ri = x;
				else if (!strcmp(key, "wios"))
					wi = x;
				p += used;
			}
			push_io(&st->io_bytes, &st->n_io_bytes, maj, min, "Read", rb);
			push_io(&st->io_bytes, &st->n_io_bytes, maj, min, "Write", wb);
			push_io(&st->io_ops, &st->n_io_ops, maj, min, "Read", ri);
			push_io(&st->io_ops, &st->n_io_ops, maj, min, "Write", wi);
		}
		s = nl ? nl + 1 : NULL;
	}
}

static void parse_percpu(const char *text, struct cgroup_stats *st)
{
	for (const char *s = text; s && *s;) {
		char *end;
		unsigned long long v = strtoull(s, &end, 10);
		if (end == s)
			break;
		st->percpu = xrealloc(st->percpu, (st->n_percpu + 1) * sizeof(uint64_t));
		st->percpu[st->n_percpu++] = v;
		s = end;
		while (*s == ' ' || *s == '\n')
			s++;
	}
}

/* Hugepage sizes the kernel offers: hugepages-2048kB -> "2MB". */
static size_t hugepage_sizes(char sizes[][16], size_t max)
{
	cleanup_dir DIR *d = opendir("/sys/kernel/mm/hugepages");
	size_t n = 0;
	struct dirent *de;
	while (d && n < max && (de = readdir(d))) {
		unsigned long kb;
		if (sscanf(de->d_name, "hugepages-%lukB", &kb) != 1)
			continue;
		unsigned v = (unsigned)(kb >= 1024 * 1024 ? kb >> 20 : kb >= 1024 ? kb >> 10 : kb);
		const char *unit = kb >= 1024 * 1024 ? "GB" : kb >= 1024 ? "MB" : "KB";
		snprintf(sizes[n++], 16, "%u%.2s", v % 1000000u, unit);
	}
	return n;
}

static void hugetlb_stats(int fd, bool v2, struct cgroup_stats *st)
{
	if (fd < 0)
		return;
	char sizes[8][16];
	size_t n = hugepage_sizes(sizes, 8);
	st->hugetlb = xcalloc(n ? n : 1, sizeof(*st->hugetlb));
	for (size_t i = 0; i < n; i++) {
		struct cgroup_hugetlb_stat *h = &st->hugetlb[st->n_hugetlb];
		char f[64];
		snprintf(h->page_size, sizeof(h->page_size), "%s", sizes[i]);
		snprintf(f, sizeof(f), v2 ? "hugetlb.%s.current" : "hugetlb.%s.usage_in_bytes",
			 sizes[i]);
		if (!read_u64(fd, f, &h->usage))
			continue;
		if (v2) {
			snprintf(f, sizeof(f), "hugetlb.%s.events", sizes[i]);
			cleanup_free char *ev = read_text(fd, f);
			if (ev)
				kv_get(ev, "max", &h->failcnt);
		} else {
			snprintf(f, sizeof(f), "hugetlb.%s.max_usage_in_bytes", sizes[i]);
			read_u64(fd, f, &h->max);
			snprintf(f, sizeof(f), "hugetlb.%s.failcnt", sizes[i]);
			read_u64(fd, f, &h->failcnt);
		}
		st->n_hugetlb++;
	}
}

static void mem_entry_v1(int fd, const char *prefix, struct cgroup_mem_entry *e)
{
	char f[64];
	snprintf(f, sizeof(f), "%s.usage_in_bytes", prefix);
	read_u64(fd, f, &e->usage);
	snprintf(f, sizeof(f), "%s.max_usage_in_bytes", prefix);
	read_u64(fd, f, &e->max);
	snprintf(f, sizeof(f), "%s.failcnt", prefix);
	read_u64(fd, f, &e->failcnt);
	snprintf(f, sizeof(f), "%s.limit_in_bytes", prefix);
	read_u64(fd, f, &e->limit);
}

static int fd_of(struct cgroup_manager *cm, int ctrl)
{
	int i = cg_find(cm, ctrl);
	cleanup_err struct husk_err *err = NULL;
	return i < 0 ? -1 : cg_fd(cm, (size_t)i, &err);
}

static void stats_v1(struct cgroup_manager *cm, struct cgroup_stats *st)
{
	long hz = sysconf(_SC_CLK_TCK);
	int fd = fd_of(cm, CG_CPUACCT);
	read_u64(fd, "cpuacct.usage", &st->cpu_total);
	cleanup_free char *percpu = read_text(fd, "cpuacct.usage_percpu");
	parse_percpu(percpu, st);
	cleanup_free char *cst = read_text(fd, "cpuacct.stat");
	if (cst && hz > 0) {
		uint64_t u = 0, s = 0;
		kv_get(cst, "user", &u);
		kv_get(cst, "system", &s);
		st->cpu_user = u * (1000000000ULL / (uint64_t)hz);
		st->cpu_kernel = s * (1000000000ULL / (uint64_t)hz);
	}
	cleanup_free char *cpu = read_text(fd_of(cm, CG_CPU), "cpu.stat");
	if (cpu) {
		kv_get(cpu, "nr_periods", &st->periods);
		kv_get(cpu, "nr_throttled", &st->throttled_periods);
		kv_get(cpu, "throttled_time", &st->throttled_time);
	}
	fd = fd_of(cm, CG_MEMORY);
	if (fd >= 0) {
		mem_entry_v1(fd, "memory", &st->mem);
		mem_entry_v1(fd, "memory.memsw", &st->swap);
		mem_entry_v1(fd, "memory.kmem", &st->kernel);
		mem_entry_v1(fd, "memory.kmem.tcp", &st->kernel_tcp);
		cleanup_free char *ms = read_text(fd, "memory.stat");
		parse_raw(ms, st);
		if (ms)
			kv_get(ms, "cache", &st->mem_cache);
		cleanup_free char *oc = read_text(fd, "memory.oom_control");
		if (oc)
			kv_get(oc, "oom_kill", &st->oom_kill);
	}
	fd = fd_of(cm, CG_PIDS);
	read_u64(fd, "pids.current", &st->pids_current);
	read_u64(fd, "pids.max", &st->pids_limit);
	if (st->pids_limit == UINT64_MAX)
		st->pids_limit = 0;
	fd = fd_of(cm, CG_BLKIO);
	cleanup_free char *b1 = read_text(fd, "blkio.throttle.io_service_bytes_recursive");
	cleanup_free char *b2 = read_text(fd, "blkio.throttle.io_serviced_recursive");
	parse_blkio_v1(b1, &st->io_bytes, &st->n_io_bytes);
	parse_blkio_v1(b2, &st->io_ops, &st->n_io_ops);
	int hug = cg_find(cm, CG_HUGETLB);
	if (hug >= 0) {
		hugetlb_stats(fd_of(cm, CG_HUGETLB), false, st);
	} else if ((hug = cg_find_v2(cm)) >= 0) {
		cleanup_err struct husk_err *err = NULL;
		hugetlb_stats(cg_fd(cm, (size_t)hug, &err), true, st);
	}
}

static void stats_v2(int fd, struct cgroup_stats *st)
{
	cleanup_free char *cpu = read_text(fd, "cpu.stat");
	if (cpu) {
		uint64_t v = 0;
		if (kv_get(cpu, "usage_usec", &v))
			st->cpu_total = v * 1000;
		if (kv_get(cpu, "user_usec", &v))
			st->cpu_user = v * 1000;
		if (kv_get(cpu, "system_usec", &v))
			st->cpu_kernel = v * 1000;
		kv_get(cpu, "nr_periods", &st->periods);
		kv_get(cpu, "nr_throttled", &st->throttled_periods);
		if (kv_get(cpu, "throttled_usec", &v))
			st->throttled_time = v * 1000;
	}
	read_u64(fd, "memory.current", &st->mem.usage);
	read_u64(fd, "memory.max", &st->mem.limit);
	read_u64(fd, "memory.peak", &st->mem.max);
	read_u64(fd, "memory.swap.current", &st->swap.usage);
	read_u64(fd, "memory.swap.max", &st->swap.limit);
	read_u64(fd, "memory.swap.peak", &st->swap.max);
	cleanup_free char *ms = read_text(fd, "memory.stat");
	parse_raw(ms, st);
	if (ms)
		kv_get(ms, "file", &st->mem_cache);
	cleanup_free char *ev = read_text(fd, "memory.events");
	if (ev) {
		kv_get(ev, "oom_kill", &st->oom_kill);
		kv_get(ev, "max", &st->mem.failcnt);
	}
	read_u64(fd, "pids.current", &st->pids_current);
	read_u64(fd, "pids.max", &st->pids_limit);
	if (st->pids_limit == UINT64_MAX)
		st->pids_limit = 0;
	cleanup_free char *io = read_text(fd, "io.stat");
	parse_io_stat(io, st);
	hugetlb_stats(fd, true, st);
}

int cgroup_stats(struct cgroup_manager *cm, struct cgroup_stats *st, struct husk_err **err)
{
	memset(st, 0, sizeof(*st));
	/* The one hard failure: the container's cgroup is gone. */
	int i = cm->mode == CGROUP_MODE_UNIFIED ? cg_find_v2(cm) : (cm->n ? 0 : -1);
	if (i < 0 || cg_fd(cm, (size_t)i, err) < 0)
		return husk_err_wrap(err, "cgroup %s: stats", cm->path);
	if (cm->mode == CGROUP_MODE_UNIFIED)
		stats_v2(cm->h[i].fd, st);
	else
		stats_v1(cm, st);
	return 0;
}

void cgroup_stats_free(struct cgroup_stats *st)
{
	free(st->percpu);
	for (size_t i = 0; i < st->n_mem_raw; i++)
		free(st->mem_raw[i].key);
	free(st->mem_raw);
	free(st->io_bytes);
	free(st->io_ops);
	free(st->hugetlb);
	memset(st, 0, sizeof(*st));
}
