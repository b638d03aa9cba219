/* The cgroup v1 writer: linux.resources onto memory, cpu, cpuset, pids, blkio,
 * hugetlb, net_cls, net_prio and devices.  Only fields that are set are
 * written (update relies on that), and nothing is read unless an ordering
 * rule of the kernel needs it. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgroups/internal.h"
#include "common/cleanup.h"
#include "common/util.h"

static int need(const struct cg1_dirs *d, enum cg_ctrl c, struct husk_err **err)
{
	if (d->fd[c] >= 0)
		return d->fd[c];
	return husk_err_set(err, ENOTSUP,
			    "the %s cgroup controller is not mounted, but "
			    "linux.resources asks for it",
			    cg_ctrl_name(c));
}

/* Two knobs that constrain each other (limit <= memsw, quota vs period):
 * write a then b; if the kernel refuses a, the other order is the valid one. */
static int write_pair(int fd, const char *fa, const char *va, const char *fb, const char *vb,
		      struct husk_err **err)
{
	if (!va)
		return vb ? cg_write(fd, fb, vb, err) : 0;
	if (!vb)
		return cg_write(fd, fa, va, err);
	if (cg_write(fd, fa, va, err) == 0)
		return cg_write(fd, fb, vb, err);
	if ((*err)->errnum != EINVAL)
		return -1;
	husk_err_free(err);
	if (cg_write(fd, fb, vb, err) < 0)
		return -1;
	return cg_write(fd, fa, va, err);
}

static char *i64_or_unlimited(oci_opt_i64 v)
{
	if (!v.set)
		return NULL;
	return v.v < 0 ? xstrdup("-1") : xasprintf("%" PRId64, v.v);
}

/* memory.limit_in_bytes <= memory.memsw.limit_in_bytes at every moment, so
 * the order of the two writes depends on the direction (as runc does it):
 * memsw first when it becomes unlimited or grows past the current limit,
 * the limit first otherwise.  An unlimited memory limit without a swap value
 * makes memsw unlimited too (`update --memory -1` with a swap limit set). */
static int write_memory_limits(int fd, const struct oci_memory *m, struct husk_err **err)
{
	oci_opt_i64 swap = m->swap;
	bool have_memsw = faccessat(fd, "memory.memsw.limit_in_bytes", F_OK, 0) == 0;
	if (m->limit.set && m->limit.v == -1 && !swap.set && have_memsw)
		swap = (oci_opt_i64){.set = true, .v = -1};
	cleanup_free char *limit = i64_or_unlimited(m->limit);
	cleanup_free char *memsw = i64_or_unlimited(swap);
	if (!limit || !memsw)
		return write_pair(fd, "memory.limit_in_bytes", limit, "memory.memsw.limit_in_bytes",
				  memsw, err);
	cleanup_free char *cur = NULL;
	unsigned long long cur_limit;
	if (cg_read(fd, "memory.limit_in_bytes", &cur, err) < 0)
		return -1;
	bool memsw_first = swap.v == -1 || (parse_u64(cur, &cur_limit) == 0 &&
					    cur_limit < (unsigned long long)swap.v);
	if (memsw_first)
		return write_pair(fd, "memory.memsw.limit_in_bytes", memsw, "memory.limit_in_bytes",
				  limit, err);
	return write_pair(fd, "memory.limit_in_bytes", limit, "memory.memsw.limit_in_bytes", memsw,
			  err);
}

/* The kernel says EBUSY when it cannot reclaim down to a new limit: name the
 * numbers, as runc does. */
static int memory_limit_busy(int fd, int64_t limit, struct husk_err **err)
{
	cleanup_free char *usage = NULL, *peak = NULL;
	struct husk_err *ignored = NULL;
	cg_read(fd, "memory.usage_in_bytes", &usage, &ignored);
	husk_err_free(&ignored);
	cg_read(fd, "memory.max_usage_in_bytes", &peak, &ignored);
	husk_err_free(&ignored);
	husk_err_free(err);
	return husk_err_set(err, EBUSY,
			    "unable to set memory limit to %" PRId64 " (current usage: %s, peak "
			    "usage: %s)",
			    limit, usage ? usage : "unknown", peak ? peak : "unknown");
}

static int apply_memory_limits(int fd, const struct oci_memory *m, struct husk_err **err)
{
	int r = write_memory_limits(fd, m, err);
	if (r < 0 && m->limit.set && m->limit.v >= 0 && (*err)->errnum == EBUSY)
		return memory_limit_busy(fd, m->limit.v, err);
	return r;
}

static int apply_memory(const struct cg1_dirs *d, const struct oci_memory *m, struct husk_err **err)
{
	int fd = need(d, CG_MEMORY, err);
	if (fd < 0)
		return -1;
	if (cg_check_before_update(fd, "memory.usage_in_bytes", m, err) < 0)
		return -1;
	if (apply_memory_limits(fd, m, err) < 0)
		return -1;
	if (m->reservation.set) {
		cleanup_free char *r = i64_or_unlimited(m->reservation);
		if (cg_write(fd, "memory.soft_limit_in_bytes", r, err) < 0)
			return -1;
	}
	if (m->kernel_tcp.set) {
		cleanup_free char *r = i64_or_unlimited(m->kernel_tcp);
		if (cg_write(fd, "memory.kmem.tcp.limit_in_bytes", r, err) < 0)
			return -1;
	}
	/* memory.kernel is deprecated and the kernel no longer accepts a kmem limit
	 * (EOPNOTSUPP since 5.16); runc ignores it too. */
	if (m->swappiness.set) {
		if (m->swappiness.v > 100)
			return husk_err_set(err, EINVAL,
					    "memory.swappiness %" PRIu64 " is out of range 0-100",
					    m->swappiness.v);
		if (cg_writef(fd, "memory.swappiness", err, "%" PRIu64, m->swappiness.v) < 0)
			return -1;
	}
	if (m->disable_oom_killer.set &&
	    cg_write(fd, "memory.oom_control", m->disable_oom_killer.v ? "1" : "0", err) < 0)
		return -1;
	return 0;
}

static int apply_cpu(const struct cg1_dirs *d, const struct oci_cpu *c, struct husk_err **err)
{
	bool any_cpu = c->shares.set || c->quota.set || c->period.set || c->burst.set ||
		       c->realtime_runtime.set || c->realtime_period.set || c->idle.set;
	if (any_cpu) {
		int fd = need(d, CG_CPU, err);
		if (fd < 0)
			return -1;
		if (c->shares.set && cg_writef(fd, "cpu.shares", err, "%" PRIu64, c->shares.v) < 0)
			return -1;
		cleanup_free char *period =
		    c->period.set ? xasprintf("%" PRIu64, c->period.v) : NULL;
		cleanup_free char *quota = i64_or_unlimited(c->quota);
		if (write_pair(fd, "cpu.cfs_period_us", period, "cpu.cfs_quota_us", quota, err) < 0)
			return -1;
		if (c->burst.set &&
		    cg_writef(fd, "cpu.cfs_burst_us", err, "%" PRIu64, c->burst.v) < 0)
			return -1;
		cleanup_free char *rtp =
		    c->realtime_period.set ? xasprintf("%" PRIu64, c->realtime_period.v) : NULL;
		cleanup_free char *rtr =
		    c->realtime_runtime.set ? xasprintf("%" PRId64, c->realtime_runtime.v) : NULL;
		if (write_pair(fd, "cpu.rt_period_us", rtp, "cpu.rt_runtime_us", rtr, err) < 0)
			return -1;
		if (c->idle.set && cg_writef(fd, "cpu.idle", err, "%" PRId64, c->idle.v) < 0)
			return -1;
	}
	if (c->cpus || c->mems) {
		int fd = need(d, CG_CPUSET, err);
		if (fd < 0)
			return -1;
		/* mems first: a task must always have somewhere to allocate. */
		if (c->mems && cg_write(fd, "cpuset.mems", c->mems, err) < 0)
			return -1;
		if (c->cpus && cg_write(fd, "cpuset.cpus", c->cpus, err) < 0)
			return -1;
	}
	return 0;
}

static int write_throttle(int fd, const char *file, const struct oci_throttle_list *l,
			  struct husk_err **err)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct oci_throttle_device *t = &l->v[i];
		if (cg_writef(fd, file, err, "%" PRId64 ":%" PRId64 " %" PRIu64, t->major, t->minor,
			      t->rate) < 0)
			return -1;
	}
	return 0;
}

/* CFQ's blkio.weight is gone since 5.0; BFQ offers blkio.bfq.weight. */
static int write_weight(int fd, const char *cfq, const char *bfq, const char *val,
			struct husk_err **err)
{
	if (cg_write(fd, cfq, val, err) == 0)
		return 0;
	if ((*err)->errnum != ENOENT)
		return -1;
	husk_err_free(err);
	return cg_write(fd, bfq, val, err);
}

static int apply_blkio(const struct cg1_dirs *d, const struct oci_blockio *b, struct husk_err **err)
{
	bool any = b->weight.set || b->leaf_weight.set || b->n_weight_device ||
		   b->throttle_read_bps.n || b->throttle_write_bps.n || b->throttle_read_iops.n ||
		   b->throttle_write_iops.n;
	if (!any)
		return 0;
	int fd = need(d, CG_BLKIO, err);
	if (fd < 0)
		return -1;
	char buf[64];
	if (b->weight.set) {
		snprintf(buf, sizeof(buf), "%" PRIu64, b->weight.v);
		if (write_weight(fd, "blkio.weight", "blkio.bfq.weight", buf, err) < 0)
			return -1;
	}
	if (b->leaf_weight.set &&
	    cg_writef(fd, "blkio.leaf_weight", err, "%" PRIu64, b->leaf_weight.v) < 0)
		return -1;
	for (size_t i = 0; i < b->n_weight_device; i++) {
		const struct oci_weight_device *w = &b->weight_device[i];
		if (w->weight.set && w->weight.v) { /* 0: unset, as runc */
			snprintf(buf, sizeof(buf), "%" PRId64 ":%" PRId64 " %" PRIu64, w->major,
				 w->minor, w->weight.v);
			if (write_weight(fd, "blkio.weight_device", "blkio.bfq.weight_device", buf,
					 err) < 0)
				return -1;
		}
		if (w->leaf_weight.set && w->leaf_weight.v &&
		    cg_writef(fd, "blkio.leaf_weight_device", err,
			      "%" PRId64 ":%" PRId64 " %" PRIu64, w->major, w->minor,
			      w->leaf_weight.v) < 0)
			return -1;
	}
	if (write_throttle(fd, "blkio.throttle.read_bps_device", &b->throttle_read_bps, err) < 0 ||
	    write_throttle(fd, "blkio.throttle.write_bps_device", &b->throttle_write_bps, err) <
		0 ||
	    write_throttle(fd, "blkio.throttle.read_iops_device", &b->throttle_read_iops, err) <
		0 ||
	    write_throttle(fd, "blkio.throttle.write_iops_device", &b->throttle_write_iops, err) <
		0)
		return -1;
	return 0;
}

static int apply_hugetlb(const struct cg1_dirs *d, const struct oci_resources *r,
			 struct husk_err **err)
{
	if (!r->n_hugepage_limits)
		return 0;
	int fd = need(d, CG_HUGETLB, err);
	if (fd < 0)
		return -1;
	for (size_t i = 0; i < r->n_hugepage_limits; i++) {
		char file[96];
		snprintf(file, sizeof(file), "hugetlb.%s.limit_in_bytes",
			 r->hugepage_limits[i].page_size);
		if (strchr(r->hugepage_limits[i].page_size, '/'))
			return husk_err_set(err, EINVAL, "invalid hugepage size %s",
					    r->hugepage_limits[i].page_size);
		if (cg_writef(fd, file, err, "%" PRIu64, r->hugepage_limits[i].limit) < 0)
			return -1;
	}
	return 0;
}

static int apply_network(const struct cg1_dirs *d, const struct oci_network *n,
			 struct husk_err **err)
{
	if (n->class_id.set) {
		int fd = need(d, CG_NET_CLS, err);
		if (fd < 0 || cg_writef(fd, "net_cls.classid", err, "%" PRIu64, n->class_id.v) < 0)
			return -1;
	}
	if (n->n_priorities) {
		int fd = need(d, CG_NET_PRIO, err);
		if (fd < 0)
			return -1;
		for (size_t i = 0; i < n->n_priorities; i++)
			if (cg_writef(fd, "net_prio.ifpriomap", err, "%s %u", n->priorities[i].name,
				      n->priorities[i].priority) < 0)
				return -1;
	}
	return 0;
}

static int apply_pids(const struct cg1_dirs *d, const struct oci_resources *r,
		      struct husk_err **err)
{
	if (!r->pids_limit.set)
		return 0;
	int fd = need(d, CG_PIDS, err);
	if (fd < 0)
		return -1;
	if (r->pids_limit.v > 0)
		return cg_writef(fd, "pids.max", err, "%" PRId64, r->pids_limit.v);
	return cg_write(fd, "pids.max", "max", err);
}

int cg1_apply(const struct cg1_dirs *d, const struct oci_resources *r, struct husk_err **err)
{
	if (r->memory.present && apply_memory(d, &r->memory, err) < 0)
		return -1;
	if (r->cpu.present && apply_cpu(d, &r->cpu, err) < 0)
		return -1;
	if (apply_pids(d, r, err) < 0)
		return -1;
	if (r->block_io.present && apply_blkio(d, &r->block_io, err) < 0)
		return -1;
	if (apply_hugetlb(d, r, err) < 0)
		return -1;
	if (r->network.present && apply_network(d, &r->network, err) < 0)
		return -1;
	if (r->n_rdma)
		return husk_err_set(err, ENOTSUP,
				    "linux.resources.rdma: the rdma controller is not available");
	if (r->n_devices) {
		int fd = need(d, CG_DEVICES, err);
		if (fd < 0 || cg1_devices_apply(fd, r->devices, r->n_devices, err) < 0)
			return -1;
	}
	return 0;
}

int cg1_cpuset_init(int parentfd, int fd, struct husk_err **err)
{
	static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		cleanup_free char *mine = NULL;
		if (cg_read(fd, files[i], &mine, err) < 0)
			return -1;
		if (*mine)
			continue; /* clone_children, or set already */
		cleanup_free char *val = NULL;
		if (cg_read(parentfd, files[i], &val, err) < 0)
			return -1;
		if (cg_write(fd, files[i], val, err) < 0)
			return -1;
	}
	return 0;
}

/* freezer.state goes FREEZING -> FROZEN once every task stopped; a task in an
 * uninterruptible sleep can hold that up, so wait a bounded time and undo. */
int cg1_freeze(int fd, bool frozen, struct husk_err **err)
{
	if (!frozen)
		return cg_write(fd, "freezer.state", "THAWED", err);
	long waited_us = 0;
	for (unsigned attempt = 0;; attempt++) {
		if (cg_write(fd, "freezer.state", "FROZEN", err) < 0)
			return -1;
		cleanup_free char *st = NULL;
		if (cg_read(fd, "freezer.state", &st, err) < 0)
			return -1;
		if (strcmp(st, "FROZEN") == 0)
			return 0;
		if (waited_us > 2000000) {
			cleanup_err struct husk_err *e2 = NULL;
			cg_write(fd, "freezer.state", "THAWED", &e2);
			return husk_err_set(err, EBUSY, "freezer.state stuck in %s", st);
		}
		long us = attempt < 10 ? 100 : 10000;
		struct timespec ts = {0, us * 1000};
		nanosleep(&ts, NULL);
		waited_us += us;
	}
}
