/* Which zero values mean "not set" in linux.resources.
 *
 * Engines send whole structs: Docker's create carries "blockIO": {"weight": 0}
 * and "cpu": {"shares": 0}, and its update JSON carries a zero for every field
 * the user left alone.  runc (and crun) keep these fields as plain integers,
 * so a zero there cannot mean anything but "leave it": husk does the same, for
 * create and update, on every cgroup layout.  Fields runc keeps as pointers
 * (swappiness, cpu burst and idle) keep their zero. */
#include <stdint.h>

#include "cgroups/internal.h"

#define ZERO_IS_UNSET(opt)                                                                         \
	do {                                                                                       \
		if ((opt).set && (opt).v == 0)                                                     \
			(opt).set = false;                                                         \
	} while (0)

static void memory_view(struct oci_memory *m)
{
	ZERO_IS_UNSET(m->limit);
	ZERO_IS_UNSET(m->reservation);
	ZERO_IS_UNSET(m->swap);
	ZERO_IS_UNSET(m->kernel);
	ZERO_IS_UNSET(m->kernel_tcp);
	/* runc: a swappiness of (uint64)-1 is unset; only a true disables the
	 * OOM killer (false leaves the kernel's setting). */
	if (m->swappiness.set && m->swappiness.v == UINT64_MAX)
		m->swappiness.set = false;
	if (m->disable_oom_killer.set && !m->disable_oom_killer.v)
		m->disable_oom_killer.set = false;
	m->present =
	    m->present && (m->limit.set || m->reservation.set || m->swap.set || m->kernel.set ||
			   m->kernel_tcp.set || m->swappiness.set || m->disable_oom_killer.set ||
			   (m->check_before_update.set && m->check_before_update.v));
}

static void cpu_view(struct oci_cpu *c)
{
	ZERO_IS_UNSET(c->shares);
	ZERO_IS_UNSET(c->quota);
	ZERO_IS_UNSET(c->period);
	ZERO_IS_UNSET(c->realtime_runtime);
	ZERO_IS_UNSET(c->realtime_period);
	if (c->cpus && !*c->cpus)
		c->cpus = NULL;
	if (c->mems && !*c->mems)
		c->mems = NULL;
	c->present = c->present &&
		     (c->shares.set || c->quota.set || c->period.set || c->realtime_runtime.set ||
		      c->realtime_period.set || c->burst.set || c->idle.set || c->cpus || c->mems);
}

static void blkio_view(struct oci_blockio *b)
{
	/* Per-device weights of 0 are skipped by the writers themselves. */
	ZERO_IS_UNSET(b->weight);
	ZERO_IS_UNSET(b->leaf_weight);
	b->present = b->present && (b->weight.set || b->leaf_weight.set || b->n_weight_device ||
				    b->throttle_read_bps.n || b->throttle_write_bps.n ||
				    b->throttle_read_iops.n || b->throttle_write_iops.n);
}

void cg_resources_runc_view(const struct oci_resources *in, struct oci_resources *out)
{
	*out = *in;
	memory_view(&out->memory);
	cpu_view(&out->cpu);
	blkio_view(&out->block_io);
	ZERO_IS_UNSET(out->pids_limit);
	out->pids_present = out->pids_present && out->pids_limit.set;
	ZERO_IS_UNSET(out->network.class_id);
	out->network.present =
	    out->network.present && (out->network.class_id.set || out->network.n_priorities);
}
