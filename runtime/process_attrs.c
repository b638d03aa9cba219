/* Per-process scheduling and resource attributes: rlimits, oomScoreAdj,
 * scheduler (sched_setattr), ioPriority, personality, memoryPolicy.
 * Everything is validated in prepare (clear errors before any change) and
 * applied in one go, as root, before the user switch. */
#include "runtime/process_security_internal.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"

#define MPOL_MAX_NODES 1024
#define ULONG_BITS (8 * sizeof(unsigned long))

struct sched_attr_k {
	uint32_t size;
	uint32_t sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime;
	uint64_t sched_deadline;
	uint64_t sched_period;
	uint32_t sched_util_min;
	uint32_t sched_util_max;
};

struct attr_rlimit {
	int resource;
	struct rlimit lim;
};

struct process_attrs {
	struct attr_rlimit *rlimits;
	size_t n_rlimits;
	bool oom_set;
	int oom_score_adj;
	bool sched_set;
	struct sched_attr_k sched;
	bool ioprio_set;
	int ioprio;
	bool personality_set;
	unsigned long persona;
	bool mempolicy_set;
	int mpol_mode;
	unsigned long nodemask[MPOL_MAX_NODES / ULONG_BITS];
};

struct name_value {
	const char *name;
	long value;
};

static const struct name_value rlimit_names[] = {
	{"RLIMIT_AS", RLIMIT_AS},		{"RLIMIT_CORE", RLIMIT_CORE},
	{"RLIMIT_CPU", RLIMIT_CPU},		{"RLIMIT_DATA", RLIMIT_DATA},
	{"RLIMIT_FSIZE", RLIMIT_FSIZE},		{"RLIMIT_LOCKS", RLIMIT_LOCKS},
	{"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},	{"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
	{"RLIMIT_NICE", RLIMIT_NICE},		{"RLIMIT_NOFILE", RLIMIT_NOFILE},
	{"RLIMIT_NPROC", RLIMIT_NPROC},		{"RLIMIT_RSS", RLIMIT_RSS},
	{"RLIMIT_RTPRIO", RLIMIT_RTPRIO},	{"RLIMIT_RTTIME", RLIMIT_RTTIME},
	{"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING}, {"RLIMIT_STACK", RLIMIT_STACK},
	{NULL, 0},
};

static const struct name_value sched_policies[] = {
	{"SCHED_OTHER", 0}, {"SCHED_FIFO", 1}, {"SCHED_RR", 2}, {"SCHED_BATCH", 3},
	{"SCHED_ISO", 4},   {"SCHED_IDLE", 5}, {"SCHED_DEADLINE", 6}, {NULL, 0},
};

static const struct name_value sched_flags[] = {
	{"SCHED_FLAG_RESET_ON_FORK", 0x01}, {"SCHED_FLAG_RECLAIM", 0x02},
	{"SCHED_FLAG_DL_OVERRUN", 0x04},    {"SCHED_FLAG_KEEP_POLICY", 0x08},
	{"SCHED_FLAG_KEEP_PARAMS", 0x10},   {"SCHED_FLAG_UTIL_CLAMP_MIN", 0x20},
	{"SCHED_FLAG_UTIL_CLAMP_MAX", 0x40}, {NULL, 0},
};

static const struct name_value ioprio_classes[] = {
	{"IOPRIO_CLASS_RT", 1}, {"IOPRIO_CLASS_BE", 2}, {"IOPRIO_CLASS_IDLE", 3}, {NULL, 0},
};

static const struct name_value mpol_modes[] = {
	{"MPOL_DEFAULT", 0}, {"MPOL_PREFERRED", 1},	 {"MPOL_BIND", 2},
	{"MPOL_INTERLEAVE", 3}, {"MPOL_LOCAL", 4},	 {"MPOL_PREFERRED_MANY", 5},
	{"MPOL_WEIGHTED_INTERLEAVE", 6}, {NULL, 0},
};

static const struct name_value mpol_flags[] = {
	{"MPOL_F_NUMA_BALANCING", 1 << 13},
	{"MPOL_F_RELATIVE_NODES", 1 << 14},
	{"MPOL_F_STATIC_NODES", 1 << 15},
	{NULL, 0},
};

static int lookup(const struct name_value *t, const char *name, long *out)
{
	for (; name && t->name; t++)
		if (strcmp(t->name, name) == 0) {
			*out = t->value;
			return 0;
		}
	return -1;
}

static int prepare_rlimits(const struct oci_process *proc, struct process_attrs *pa,
			   struct husk_err **err)
{
	if (!proc->n_rlimits)
		return 0;
	pa->rlimits = xcalloc(proc->n_rlimits, sizeof(*pa->rlimits));
	for (size_t i = 0; i < proc->n_rlimits; i++) {
		const struct oci_rlimit *r = &proc->rlimits[i];
		long res;
		if (lookup(rlimit_names, r->type, &res) < 0)
			return husk_err_set(err, EINVAL, "process.rlimits[%zu].type: unknown rlimit \"%s\"",
					    i, r->type ? r->type : "");
		for (size_t j = 0; j < i; j++)
			if (pa->rlimits[j].resource == res)
				return husk_err_set(err, EINVAL,
						    "process.rlimits[%zu]: duplicate rlimit %s", i,
						    r->type);
		if (r->soft > r->hard)
			return husk_err_set(err, EINVAL,
					    "process.rlimits[%zu]: %s soft limit %llu is above the "
					    "hard limit %llu",
					    i, r->type, (unsigned long long)r->soft,
					    (unsigned long long)r->hard);
		pa->rlimits[i].resource = (int)res;
		pa->rlimits[i].lim.rlim_cur = r->soft;
		pa->rlimits[i].lim.rlim_max = r->hard;
	}
	pa->n_rlimits = proc->n_rlimits;
	return 0;
}

static int prepare_scheduler(const struct oci_scheduler *s, struct process_attrs *pa,
			     struct husk_err **err)
{
	if (!s->present)
		return 0;
	long policy, flag;
	if (lookup(sched_policies, s->policy, &policy) < 0)
		return husk_err_set(err, EINVAL, "process.scheduler.policy: unknown policy \"%s\"",
				    s->policy ? s->policy : "");
	struct sched_attr_k *a = &pa->sched;
	a->size = sizeof(*a);
	a->sched_policy = (uint32_t)policy;
	for (size_t i = 0; i < s->flags.n; i++) {
		if (lookup(sched_flags, s->flags.v[i], &flag) < 0)
			return husk_err_set(err, EINVAL,
					    "process.scheduler.flags[%zu]: unknown flag \"%s\"", i,
					    s->flags.v[i]);
		a->sched_flags |= (uint64_t)flag;
	}
	if (s->nice.set) {
		if (s->nice.v < -20 || s->nice.v > 19)
			return husk_err_set(err, EINVAL,
					    "process.scheduler.nice: %lld is outside -20..19",
					    (long long)s->nice.v);
		a->sched_nice = (int32_t)s->nice.v;
	}
	bool realtime = policy == 1 || policy == 2;
	if (s->priority.set && s->priority.v != 0) {
		if (!realtime)
			return husk_err_set(err, EINVAL,
					    "process.scheduler.priority: only SCHED_FIFO and "
					    "SCHED_RR take a priority");
		if (s->priority.v < 1 || s->priority.v > 99)
			return husk_err_set(err, EINVAL,
					    "process.scheduler.priority: %lld is outside 1..99",
					    (long long)s->priority.v);
		a->sched_priority = (uint32_t)s->priority.v;
	}
	bool dl_fields = (s->runtime.set && s->runtime.v) || (s->deadline.set && s->deadline.v) ||
			 (s->period.set && s->period.v);
	if (dl_fields && policy != 6)
		return husk_err_set(err, EINVAL,
				    "process.scheduler: runtime, deadline and period are only "
				    "valid with SCHED_DEADLINE");
	a->sched_runtime = s->runtime.set ? s->runtime.v : 0;
	a->sched_deadline = s->deadline.set ? s->deadline.v : 0;
	a->sched_period = s->period.set ? s->period.v : 0;
	pa->sched_set = true;
	return 0;
}

static int prepare_ioprio(const struct oci_io_priority *io, struct process_attrs *pa,
			  struct husk_err **err)
{
	if (!io->present)
		return 0;
	long klass;
	if (lookup(ioprio_classes, io->klass, &klass) < 0)
		return husk_err_set(err, EINVAL, "process.ioPriority.class: unknown class \"%s\"",
				    io->klass ? io->klass : "");
	if (io->priority < 0 || io->priority > 7)
		return husk_err_set(err, EINVAL,
				    "process.ioPriority.priority: %lld is outside 0..7",
				    (long long)io->priority);
	pa->ioprio = (int)((klass << 13) | io->priority);
	pa->ioprio_set = true;
	return 0;
}

static int prepare_personality(const struct oci_personality *p, struct process_attrs *pa,
			       struct husk_err **err)
{
	if (!p->present)
		return 0;
	if (p->domain && strcmp(p->domain, "LINUX") == 0)
		pa->persona = PER_LINUX;
	else if (p->domain && strcmp(p->domain, "LINUX32") == 0)
		pa->persona = PER_LINUX32;
	else
		return husk_err_set(err, EINVAL,
				    "linux.personality.domain: unknown domain \"%s\" (LINUX or "
				    "LINUX32)",
				    p->domain ? p->domain : "");
	if (p->flags.n)
		return husk_err_set(err, EINVAL,
				    "linux.personality.flags: \"%s\" is not supported (the spec "
				    "defines no flags)",
				    p->flags.v[0]);
	pa->personality_set = true;
	return 0;
}

/* "0-3,7" into a node bitmask; returns the number of nodes set. */
static int parse_nodes(const char *s, unsigned long *mask, struct husk_err **err)
{
	int count = 0;
	const char *p = s;
	while (*p) {
		char *end;
		if (*p < '0' || *p > '9')
			goto bad;
		unsigned long lo = strtoul(p, &end, 10), hi = lo;
		p = end;
		if (*p == '-') {
			p++;
			if (*p < '0' || *p > '9')
				goto bad;
			hi = strtoul(p, &end, 10);
			p = end;
		}
		if (lo > hi || hi >= MPOL_MAX_NODES)
			goto bad;
		for (unsigned long n = lo; n <= hi; n++, count++)
			mask[n / ULONG_BITS] |= 1UL << (n % ULONG_BITS);
		if (*p == ',' && p[1])
			p++;
		else if (*p)
			goto bad;
	}
	return count;
bad:
	return husk_err_set(err, EINVAL,
			    "linux.memoryPolicy.nodes: \"%s\" is not a node list like \"0-3,7\" "
			    "(nodes 0..%d)",
			    s, MPOL_MAX_NODES - 1);
}

static int prepare_mempolicy(const struct oci_memory_policy *m, struct process_attrs *pa,
			     struct husk_err **err)
{
	if (!m->present)
		return 0;
	long mode, flag, flags = 0;
	if (lookup(mpol_modes, m->mode, &mode) < 0)
		return husk_err_set(err, EINVAL, "linux.memoryPolicy.mode: unknown mode \"%s\"",
				    m->mode ? m->mode : "");
	for (size_t i = 0; i < m->flags.n; i++) {
		if (lookup(mpol_flags, m->flags.v[i], &flag) < 0)
			return husk_err_set(err, EINVAL,
					    "linux.memoryPolicy.flags[%zu]: unknown flag \"%s\"", i,
					    m->flags.v[i]);
		flags |= flag;
	}
	if ((flags & (1 << 14)) && (flags & (1 << 15)))
		return husk_err_set(err, EINVAL,
				    "linux.memoryPolicy.flags: MPOL_F_RELATIVE_NODES and "
				    "MPOL_F_STATIC_NODES exclude each other");
	int n = 0;
	if (m->nodes && *m->nodes) {
		n = parse_nodes(m->nodes, pa->nodemask, err);
		if (n < 0)
			return -1;
	}
	if ((mode == 0 || mode == 4) && n)
		return husk_err_set(err, EINVAL, "linux.memoryPolicy: %s takes no nodes", m->mode);
	if (mode != 0 && mode != 4 && mode != 1 && !n)
		return husk_err_set(err, EINVAL, "linux.memoryPolicy: %s needs nodes", m->mode);
	pa->mpol_mode = (int)(mode | flags);
	pa->mempolicy_set = true;
	return 0;
}

int process_attrs_prepare(const struct oci_config *cfg, const struct oci_process *proc,
			  struct process_attrs **out, struct husk_err **err)
{
	struct process_attrs *pa = xcalloc(1, sizeof(*pa));
	if (prepare_rlimits(proc, pa, err) < 0 ||
	    prepare_scheduler(&proc->scheduler, pa, err) < 0 ||
	    prepare_ioprio(&proc->io_priority, pa, err) < 0 ||
	    prepare_personality(&cfg->linux_.personality, pa, err) < 0 ||
	    prepare_mempolicy(&cfg->linux_.memory_policy, pa, err) < 0)
		goto fail;
	if (proc->oom_score_adj.set) {
		if (proc->oom_score_adj.v < -1000 || proc->oom_score_adj.v > 1000) {
			husk_err_set(err, EINVAL, "process.oomScoreAdj: %lld is outside -1000..1000",
				     (long long)proc->oom_score_adj.v);
			goto fail;
		}
		pa->oom_set = true;
		pa->oom_score_adj = (int)proc->oom_score_adj.v;
	}
	*out = pa;
	return 0;
fail:
	process_attrs_free(pa);
	return -1;
}

static int apply_rlimits(const struct process_attrs *pa, struct husk_err **err)
{
	for (size_t i = 0; i < pa->n_rlimits; i++) {
		const struct attr_rlimit *r = &pa->rlimits[i];
		if (setrlimit(r->resource, &r->lim) == 0)
			continue;
		int e = errno;
		const char *name = "?";
		for (const struct name_value *t = rlimit_names; t->name; t++)
			if (t->value == r->resource)
				name = t->name;
		struct rlimit cur;
		if (e == EPERM && getrlimit(r->resource, &cur) == 0 && r->lim.rlim_max > cur.rlim_max)
			return husk_err_set(err, e,
					    "setting %s to %llu:%llu: raising the hard limit above "
					    "%llu needs CAP_SYS_RESOURCE",
					    name, (unsigned long long)r->lim.rlim_cur,
					    (unsigned long long)r->lim.rlim_max,
					    (unsigned long long)cur.rlim_max);
		return husk_err_set(err, e, "setting %s to %llu:%llu", name,
				    (unsigned long long)r->lim.rlim_cur,
				    (unsigned long long)r->lim.rlim_max);
	}
	return 0;
}

static int apply_oom(const struct process_attrs *pa, struct husk_err **err)
{
	char buf[16];
	snprintf(buf, sizeof(buf), "%d", pa->oom_score_adj);
	if (proc_self_write("oom_score_adj", buf, err) == 0)
		return 0;
	if ((*err)->errnum == EACCES || (*err)->errnum == EPERM)
		return husk_err_wrap(err, "process.oomScoreAdj %d (lowering it needs "
					  "CAP_SYS_RESOURCE)",
				     pa->oom_score_adj);
	return husk_err_wrap(err, "process.oomScoreAdj");
}

int process_attrs_apply(const struct process_attrs *pa, struct husk_err **err)
{
	if (apply_rlimits(pa, err) < 0)
		return -1;
	if (pa->oom_set && apply_oom(pa, err) < 0)
		return -1;
	if (pa->sched_set && syscall(SYS_sched_setattr, 0, &pa->sched, 0) < 0) {
		bool rt = pa->sched.sched_policy == 1 || pa->sched.sched_policy == 2;
		return husk_err_sys(err, "process.scheduler: sched_setattr(policy %u)%s",
				    pa->sched.sched_policy,
				    rt && errno == EPERM
					    ? " (with cgroup v1 real-time group scheduling the "
					      "container's cgroup needs "
					      "linux.resources.cpu.realtimeRuntime)"
					    : "");
	}
	if (pa->ioprio_set && syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, pa->ioprio) < 0)
		return husk_err_sys(err, "process.ioPriority: ioprio_set");
	if (pa->personality_set && personality(pa->persona) < 0)
		return husk_err_sys(err, "linux.personality: personality(0x%lx)", pa->persona);
	if (pa->mempolicy_set &&
	    syscall(SYS_set_mempolicy, pa->mpol_mode, pa->nodemask, (unsigned long)MPOL_MAX_NODES + 1) < 0)
		return husk_err_sys(err, "linux.memoryPolicy: set_mempolicy");
	return 0;
}

void process_attrs_free(struct process_attrs *pa)
{
	if (!pa)
		return;
	free(pa->rlimits);
	free(pa);
}
