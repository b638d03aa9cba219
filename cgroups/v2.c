/* The cgroup v2 writer: linux.resources onto memory.*, cpu.*, cpuset.*,
 * pids.max, io.*, hugetlb.*, rdma.max, plus `unified` keys verbatim.
 * Conversions follow runc so a config means the same on every runtime. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroups/internal.h"
#include "common/cleanup.h"
#include "common/util.h"

/* A v1 weight in [lo, hi] (clamped) to a v2 weight in [1, 10000], linearly;
 * 0 stays 0 (unset). */
static uint64_t to_v2_weight(uint64_t v, uint64_t lo, uint64_t hi)
{
	if (v == 0)
		return 0;
	if (v < lo)
		v = lo;
	if (v > hi)
		v = hi;
	return 1 + ((v - lo) * 9999) / (hi - lo);
}

uint64_t cg2_shares_to_weight(uint64_t shares)
{
	return to_v2_weight(shares, 2, 262144); /* runc/crun */
}

uint64_t cg2_blkio_to_io_weight(uint64_t w)
{
	return to_v2_weight(w, 10, 1000);
}

static bool memory_set(const struct oci_memory *m)
{
	return m->present && (m->limit.set || m->reservation.set || m->swap.set);
}

static bool cpu_set(const struct oci_cpu *c)
{
	return c->present &&
	       (c->shares.set || c->quota.set || c->period.set || c->burst.set || c->idle.set);
}

static bool io_set(const struct oci_blockio *b)
{
	return b->present &&
	       (b->weight.set || b->n_weight_device || b->throttle_read_bps.n ||
		b->throttle_write_bps.n || b->throttle_read_iops.n || b->throttle_write_iops.n);
}

static void add_ctrl(char *buf, size_t len, const char *c)
{
	/* Each controller once; the buffer is a space separated list. */
	size_t cl = strlen(c);
	for (const char *s = buf; (s = strstr(s, c)); s += cl)
		if ((s == buf || s[-1] == ' ') && (s[cl] == ' ' || s[cl] == '\0'))
			return;
	if (*buf)
		strncat(buf, " ", len - strlen(buf) - 1);
	strncat(buf, c, len - strlen(buf) - 1);
}

char *cg2_needed_controllers(const struct oci_resources *r)
{
	char buf[512] = "";
	if (memory_set(&r->memory))
		add_ctrl(buf, sizeof(buf), "memory");
	if (cpu_set(&r->cpu))
		add_ctrl(buf, sizeof(buf), "cpu");
	if (r->cpu.present && (r->cpu.cpus || r->cpu.mems))
		add_ctrl(buf, sizeof(buf), "cpuset");
	if (r->pids_limit.set)
		add_ctrl(buf, sizeof(buf), "pids");
	if (io_set(&r->block_io))
		add_ctrl(buf, sizeof(buf), "io");
	if (r->n_hugepage_limits)
		add_ctrl(buf, sizeof(buf), "hugetlb");
	if (r->n_rdma)
		add_ctrl(buf, sizeof(buf), "rdma");
	for (size_t i = 0; i < r->unified.n; i++) {
		const char *k = r->unified.v[i].key;
		const char *dot = strchr(k, '.');
		if (!dot || dot == k || (size_t)(dot - k) >= 32)
			continue;
		char c[32];
		snprintf(c, sizeof(c), "%.*s", (int)(dot - k), k);
		if (strcmp(c, "cgroup") != 0)
			add_ctrl(buf, sizeof(buf), c);
	}
	return xstrdup(buf);
}

/* "+a +b" into fd's subtree_control.  The kernel takes all or nothing, so on
 * a refusal each controller is tried alone (as runc does): a level that
 * cannot enable one (a cgroup of someone else's that holds processes, a
 * controller the parent lacks) must not stop the others.  What stays missing
 * shows up as a clear ENOENT on the knob that needs it. */
static void enable_at(int fd, char *plus)
{
	cleanup_err struct husk_err *err = NULL;
	if (cg_write(fd, "cgroup.subtree_control", plus, &err) == 0)
		return;
	cleanup_free char *dup = xstrdup(plus);
	char *save = NULL;
	for (char *tok = strtok_r(dup, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		cleanup_err struct husk_err *e = NULL;
		cg_write(fd, "cgroup.subtree_control", tok, &e);
	}
}

int cg2_enable_controllers(int rootfd, const char *path, const char *ctrls, struct husk_err **err)
{
	if (!*ctrls)
		return 0;
	/* "memory pids" -> "+memory +pids" */
	size_t cap = strlen(ctrls) * 2 + 2;
	cleanup_free char *plus = xmalloc(cap);
	size_t len = 0;
	for (const char *s = ctrls; *s;) {
		while (*s == ' ')
			s++;
		size_t n = strcspn(s, " ");
		if (!n)
			break;
		len += snprintf(plus + len, cap - len, "%s+%.*s", len ? " " : "", (int)n, s);
		s += n;
	}
	/* Every level above the leaf: the root ("."), then each ancestor. */
	cleanup_free char *p = xstrdup(path[0] == '/' ? path + 1 : path);
	char *leaf = strrchr(p, '/');
	enable_at(rootfd, plus);
	if (!leaf)
		return 0;
	*leaf = '\0';
	for (char *s = p;; s++) {
		char c = *s;
		if (c == '/' || c == '\0') {
			*s = '\0';
			cleanup_fd int fd = openat(rootfd, p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (fd < 0)
				return husk_err_sys(err, "open %s", p);
			enable_at(fd, plus);
			*s = c;
		}
		if (c == '\0')
			break;
	}
	return 0;
}

/* OCI swap is memory+swap; v2's memory.swap.max is swap alone (runc's rule). */
static int swap_value(const struct oci_memory *m, char *buf, size_t len, struct husk_err **err)
{
	int64_t mem = m->limit.set ? m->limit.v : 0;
	int64_t sw = m->swap.v;
	if (sw == -1) {
		snprintf(buf, len, "max");
		return 0;
	}
	if (sw == 0) {
		buf[0] = '\0';
		return 0;
	}
	if (mem <= 0)
		return husk_err_set(
		    err, EINVAL, "memory.swap %" PRId64 " needs a memory.limit on cgroup v2", sw);
	if (sw < mem)
		return husk_err_set(err, EINVAL,
				    "memory.swap %" PRId64 " is below memory.limit %" PRId64
				    " (swap is memory+swap)",
				    sw, mem);
	snprintf(buf, len, "%" PRId64, sw - mem);
	return 0;
}

static void fmt_limit(char *buf, size_t len, int64_t v)
{
	if (v < 0)
		snprintf(buf, len, "max");
	else
		snprintf(buf, len, "%" PRId64, v);
}

static int apply_memory(int fd, const struct oci_memory *m, struct husk_err **err)
{
	char buf[64];
	if (cg_check_before_update(fd, "memory.current", m, err) < 0)
		return -1;
	/* memory.limit -1 with swap unset means both unlimited (runc). */
	if (m->swap.set || (m->limit.set && m->limit.v == -1)) {
		struct oci_memory mm = *m;
		if (!mm.swap.set) {
			mm.swap.set = true;
			mm.swap.v = -1;
		}
		if (swap_value(&mm, buf, sizeof(buf), err) < 0)
			return -1;
		/* Before memory.max: lowering both must not leave swap > allowed. */
		if (*buf && cg_write(fd, "memory.swap.max", buf, err) < 0)
			return -1;
	}
	if (m->limit.set) {
		fmt_limit(buf, sizeof(buf), m->limit.v);
		if (cg_write(fd, "memory.max", buf, err) < 0)
			return -1;
	}
	if (m->reservation.set) {
		fmt_limit(buf, sizeof(buf), m->reservation.v);
		if (cg_write(fd, "memory.low", buf, err) < 0)
			return -1;
	}
	/* swappiness, kernel, kernelTCP and disableOOMKiller have no v2 knob:
	 * ignored, as runc does. */
	return 0;
}

static int apply_cpu(int fd, const struct oci_cpu *c, struct husk_err **err)
{
	if (c->shares.set && c->shares.v) {
		if (cg_writef(fd, "cpu.weight", err, "%" PRIu64,
			      cg2_shares_to_weight(c->shares.v)) < 0)
			return -1;
	}
	if ((c->quota.set && c->quota.v != 0) || (c->period.set && c->period.v != 0)) {
		char quota[32] = "max";
		if (c->quota.set && c->quota.v > 0) {
			snprintf(quota, sizeof(quota), "%" PRId64, c->quota.v);
		} else if (!c->quota.set) {
			/* period alone: keep the current quota. */
			cleanup_free char *cur = NULL;
			if (cg_read(fd, "cpu.max", &cur, err) < 0)
				return -1;
			snprintf(quota, sizeof(quota), "%.*s", (int)strcspn(cur, " "), cur);
		}
		int r = (c->period.set && c->period.v)
			    ? cg_writef(fd, "cpu.max", err, "%s %" PRIu64, quota, c->period.v)
			    : cg_write(fd, "cpu.max", quota, err);
		if (r < 0)
			return -1;
	}
	if (c->burst.set && cg_writef(fd, "cpu.max.burst", err, "%" PRIu64, c->burst.v) < 0)
		return -1;
	if (c->idle.set && cg_writef(fd, "cpu.idle", err, "%" PRId64, c->idle.v) < 0)
		return -1;
	if ((c->realtime_runtime.set && c->realtime_runtime.v) ||
	    (c->realtime_period.set && c->realtime_period.v))
		return husk_err_set(err, ENOTSUP,
				    "cpu.realtimeRuntime/realtimePeriod are not "
				    "supported on cgroup v2");
	if (c->mems && cg_write(fd, "cpuset.mems", c->mems, err) < 0)
		return -1;
	if (c->cpus && cg_write(fd, "cpuset.cpus", c->cpus, err) < 0)
		return -1;
	return 0;
}

/* BFQ's io.bfq.weight takes blkio's own scale; io.weight needs conversion. */
static int write_io_weight(int fd, const char *dev, uint64_t w, struct husk_err **err)
{
	int r = dev ? cg_writef(fd, "io.bfq.weight", err, "%s %" PRIu64, dev, w)
		    : cg_writef(fd, "io.bfq.weight", err, "%" PRIu64, w);
	if (r == 0)
		return 0;
	if ((*err)->errnum != ENOENT)
		return -1;
	husk_err_free(err);
	uint64_t iw = cg2_blkio_to_io_weight(w);
	return dev ? cg_writef(fd, "io.weight", err, "%s %" PRIu64, dev, iw)
		   : cg_writef(fd, "io.weight", err, "default %" PRIu64, iw);
}

static int write_io_max(int fd, const char *key, const struct oci_throttle_list *l,
			struct husk_err **err)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct oci_throttle_device *t = &l->v[i];
		char rate[32] = "max";
		if (t->rate)
			snprintf(rate, sizeof(rate), "%" PRIu64, t->rate);
		if (cg_writef(fd, "io.max", err, "%" PRId64 ":%" PRId64 " %s=%s", t->major,
			      t->minor, key, rate) < 0)
			return -1;
	}
	return 0;
}

static int apply_io(int fd, const struct oci_blockio *b, struct husk_err **err)
{
	if (b->weight.set && b->weight.v && write_io_weight(fd, NULL, b->weight.v, err) < 0)
		return -1;
	for (size_t i = 0; i < b->n_weight_device; i++) {
		const struct oci_weight_device *w = &b->weight_device[i];
		if (!w->weight.set || !w->weight.v) /* 0: unset, as runc */
			continue;
		char dev[48];
		snprintf(dev, sizeof(dev), "%" PRId64 ":%" PRId64, w->major, w->minor);
		if (write_io_weight(fd, dev, w->weight.v, err) < 0)
			return -1;
	}
	if (write_io_max(fd, "rbps", &b->throttle_read_bps, err) < 0 ||
	    write_io_max(fd, "wbps", &b->throttle_write_bps, err) < 0 ||
	    write_io_max(fd, "riops", &b->throttle_read_iops, err) < 0 ||
	    write_io_max(fd, "wiops", &b->throttle_write_iops, err) < 0)
		return -1;
	return 0;
}

static int apply_hugetlb(int fd, const struct oci_resources *r, struct husk_err **err)
{
	for (size_t i = 0; i < r->n_hugepage_limits; i++) {
		const struct oci_hugepage_limit *h = &r->hugepage_limits[i];
		if (!h->page_size || !*h->page_size || strchr(h->page_size, '/'))
			return husk_err_set(err, EINVAL, "invalid hugepage size \"%s\"",
					    h->page_size ? h->page_size : "");
		char file[96];
		snprintf(file, sizeof(file), "hugetlb.%s.max", h->page_size);
		if (cg_writef(fd, file, err, "%" PRIu64, h->limit) < 0)
			return -1;
		/* Reservations too when the kernel tracks them, so a mapping cannot
		 * reserve beyond the limit and fault later. */
		snprintf(file, sizeof(file), "hugetlb.%s.rsvd.max", h->page_size);
		if (cg_writef(fd, file, err, "%" PRIu64, h->limit) < 0) {
			if ((*err)->errnum != ENOENT)
				return -1;
			husk_err_free(err);
		}
	}
	return 0;
}

static int apply_rdma(int fd, const struct oci_resources *r, struct husk_err **err)
{
	for (size_t i = 0; i < r->n_rdma; i++) {
		const struct oci_rdma *d = &r->rdma[i];
		if (!d->device || !*d->device || strpbrk(d->device, " \n"))
			return husk_err_set(err, EINVAL, "invalid rdma device name");
		char handles[32] = "max", objects[32] = "max";
		if (d->hca_handles.set)
			snprintf(handles, sizeof(handles), "%" PRIu64, d->hca_handles.v);
		if (d->hca_objects.set)
			snprintf(objects, sizeof(objects), "%" PRIu64, d->hca_objects.v);
		if (cg_writef(fd, "rdma.max", err, "%s hca_handle=%s hca_object=%s", d->device,
			      handles, objects) < 0)
			return -1;
	}
	return 0;
}

static int cg2_unified_key_check(const char *key, struct husk_err **err)
{
	static const char *const reserved[] = {"cgroup.procs", "cgroup.threads",
					       "cgroup.subtree_control", "cgroup.kill",
					       "cgroup.freeze"};
	const char *dot = key ? strchr(key, '.') : NULL;
	if (!key || !dot || dot == key || !dot[1] || strchr(key, '/') || key[0] == '.')
		return husk_err_set(err, EINVAL,
				    "linux.resources.unified: \"%s\" is not a cgroup file name "
				    "(controller.knob)",
				    key ? key : "");
	for (size_t i = 0; i < ARRAY_SIZE(reserved); i++)
		if (strcmp(key, reserved[i]) == 0)
			return husk_err_set(err, EPERM,
					    "linux.resources.unified: \"%s\" is managed by the "
					    "runtime",
					    key);
	return 0;
}

static int cg2_apply_unified(int fd, const oci_kvv *u, struct husk_err **err)
{
	for (size_t i = 0; i < u->n; i++) {
		const char *k = u->v[i].key, *v = u->v[i].value ? u->v[i].value : "";
		if (cg2_unified_key_check(k, err) < 0)
			return -1;
		if (cg_write(fd, k, v, err) < 0) {
			if ((*err)->errnum == ENOENT)
				return husk_err_wrap(
				    err,
				    "linux.resources.unified: %s: no such file (is "
				    "the controller enabled?)",
				    k);
			return husk_err_wrap(err, "linux.resources.unified");
		}
	}
	return 0;
}

int cg2_apply(int fd, const struct oci_resources *r, struct husk_err **err)
{
	if (memory_set(&r->memory) && apply_memory(fd, &r->memory, err) < 0)
		return -1;
	if (r->cpu.present && apply_cpu(fd, &r->cpu, err) < 0)
		return -1;
	if (r->pids_limit.set) {
		int rc = r->pids_limit.v > 0
			     ? cg_writef(fd, "pids.max", err, "%" PRId64, r->pids_limit.v)
			     : cg_write(fd, "pids.max", "max", err);
		if (rc < 0)
			return -1;
	}
	if (io_set(&r->block_io) && apply_io(fd, &r->block_io, err) < 0)
		return -1;
	if (apply_hugetlb(fd, r, err) < 0 || apply_rdma(fd, r, err) < 0)
		return -1;
	/* Last, so an explicit unified key wins over the converted value. */
	return cg2_apply_unified(fd, &r->unified, err);
}

/* cgroup.events says "frozen 1" once every task stopped; it signals changes
 * with POLLPRI. */
static int events_frozen(int fd, int *frozen, struct husk_err **err)
{
	cleanup_free char *ev = NULL;
	if (cg_read(fd, "cgroup.events", &ev, err) < 0)
		return -1;
	const char *f = strstr(ev, "frozen ");
	*frozen = f ? f[7] == '1' : -1;
	return 0;
}

int cg2_freeze(int fd, bool frozen, struct husk_err **err)
{
	if (cg_write(fd, "cgroup.freeze", frozen ? "1" : "0", err) < 0)
		return -1;
	cleanup_fd int efd = openat(fd, "cgroup.events", O_RDONLY | O_CLOEXEC);
	if (efd < 0)
		return husk_err_sys(err, "open cgroup.events");
	for (int waited = 0;; waited += 10) {
		int cur;
		if (events_frozen(fd, &cur, err) < 0)
			return -1;
		if (cur < 0 || cur == (int)frozen)
			return 0;
		if (waited >= 5000)
			return husk_err_set(err, ETIMEDOUT, "cgroup.events did not reach frozen %d",
					    (int)frozen);
		struct pollfd p = {.fd = efd, .events = POLLPRI};
		char tmp[256];
		if (pread(efd, tmp, sizeof(tmp), 0) < 0)
			return husk_err_sys(err, "read cgroup.events");
		poll(&p, 1, 10);
	}
}
