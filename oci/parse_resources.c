/* linux.resources (also the document of `update --resources`). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "oci/names.h"
#include "oci/parse_util.h"

static int decode_device_rule(struct pctx *c, const struct jt_node *n, void *elem)
{
	static const struct field tab[] = {
	    FLD(struct oci_device_cgroup, "allow", FK_BOOL, allow, F_REQ),
	    FLD(struct oci_device_cgroup, "type", FK_STR, type, 0),
	    FLD(struct oci_device_cgroup, "major", FK_OI64, major, 0),
	    FLD(struct oci_device_cgroup, "minor", FK_OI64, minor, 0),
	    FLD(struct oci_device_cgroup, "access", FK_STR, access, 0),
	};
	struct oci_device_cgroup *d = elem;
	int r = pc_object(c, n, tab, ARRAY_SIZE(tab), d);
	if (r < 0)
		return r;
	if (d->type && strcmp(d->type, "a") && strcmp(d->type, "b") && strcmp(d->type, "c")) {
		size_t old = pc_push_key(c, "type");
		r = pc_fail(c, "unknown device type \"%s\" (expected a, b or c)", d->type);
		pc_pop(c, old);
		return r;
	}
	/* Wildcards are spelled by omission (or -1, as Go tools write). */
	oci_opt_i64 *mm[] = {&d->major, &d->minor};
	for (size_t i = 0; i < 2; i++) {
		if (mm[i]->set && mm[i]->v < -1) {
			size_t old = pc_push_key(c, i ? "minor" : "major");
			r = pc_fail(c, "must be a device number or -1, got %lld",
				    (long long)mm[i]->v);
			pc_pop(c, old);
			return r;
		}
	}
	if (d->access) {
		const char *a = d->access;
		bool bad = strspn(a, "rwm") != strlen(a);
		for (const char *p = a; *p && !bad; p++)
			bad = strchr(p + 1, *p) != NULL;
		if (bad) {
			size_t old = pc_push_key(c, "access");
			r = pc_fail(c, "must be a combination of r, w and m, got \"%s\"", a);
			pc_pop(c, old);
		}
	}
	return r;
}

static int decode_devices(struct pctx *c, const struct jt_node *n, void *base)
{
	struct oci_resources *r = base;
	return pc_array(c, n, sizeof(*r->devices), (void **)&r->devices, &r->n_devices,
			decode_device_rule);
}

/* Byte counts where -1 alone means unlimited (as the kernel and runc take
 * them): any other negative value is a typo that must not drop a limit. */
static int decode_memory(struct pctx *c, const struct jt_node *n, void *base)
{
	static const struct field tab[] = {
	    FLD_RANGE(struct oci_memory, "limit", FK_OI64, limit, 0, -1, INT64_MAX),
	    FLD_RANGE(struct oci_memory, "reservation", FK_OI64, reservation, 0, -1, INT64_MAX),
	    FLD_RANGE(struct oci_memory, "swap", FK_OI64, swap, 0, -1, INT64_MAX),
	    FLD_RANGE(struct oci_memory, "kernel", FK_OI64, kernel, 0, -1, INT64_MAX),
	    FLD_RANGE(struct oci_memory, "kernelTCP", FK_OI64, kernel_tcp, 0, -1, INT64_MAX),
	    FLD_RANGE(struct oci_memory, "swappiness", FK_OU64, swappiness, 0, 0, 100),
	    FLD(struct oci_memory, "disableOOMKiller", FK_OBOOL, disable_oom_killer, 0),
	    FLD(struct oci_memory, "useHierarchy", FK_OBOOL, use_hierarchy, 0),
	    FLD(struct oci_memory, "checkBeforeUpdate", FK_OBOOL, check_before_update, 0),
	};
	struct oci_memory *m = &((struct oci_resources *)base)->memory;
	int r = pc_object(c, n, tab, ARRAY_SIZE(tab), m);
	m->present = r == 0;
	return r;
}

static int decode_cpu(struct pctx *c, const struct jt_node *n, void *base)
{
	static const struct field tab[] = {
	    FLD(struct oci_cpu, "shares", FK_OU64, shares, 0),
	    FLD(struct oci_cpu, "quota", FK_OI64, quota, 0),
	    FLD(struct oci_cpu, "burst", FK_OU64, burst, 0),
	    FLD(struct oci_cpu, "period", FK_OU64, period, 0),
	    FLD(struct oci_cpu, "realtimeRuntime", FK_OI64, realtime_runtime, 0),
	    FLD(struct oci_cpu, "realtimePeriod", FK_OU64, realtime_period, 0),
	    FLD(struct oci_cpu, "cpus", FK_STR, cpus, 0),
	    FLD(struct oci_cpu, "mems", FK_STR, mems, 0),
	    FLD(struct oci_cpu, "idle", FK_OI64, idle, 0),
	};
	struct oci_cpu *cpu = &((struct oci_resources *)base)->cpu;
	int r = pc_object(c, n, tab, ARRAY_SIZE(tab), cpu);
	if (r < 0)
		return r;
	cpu->present = true;
	/* An empty string means "unchanged/inherit" to runc and crun. */
	const char *keys[] = {"cpus", "mems"};
	const char *vals[] = {cpu->cpus, cpu->mems};
	for (size_t i = 0; i < 2; i++) {
		if (vals[i] && vals[i][0] && !oci_cpu_list_valid(vals[i])) {
			size_t old = pc_push_key(c, keys[i]);
			r = pc_fail(c, "invalid list \"%s\" (expected e.g. \"0-3,7\")", vals[i]);
			pc_pop(c, old);
			return r;
		}
	}
	return 0;
}

static int decode_pids(struct pctx *c, const struct jt_node *n, void *base)
{
	static const struct field tab[] = {
	    FLD(struct oci_resources, "limit", FK_OI64, pids_limit, F_REQ),
	};
	struct oci_resources *r = base;
	int rc = pc_object(c, n, tab, ARRAY_SIZE(tab), r);
	r->pids_present = rc == 0;
	return rc;
}

static int decode_weight_device(struct pctx *c, const struct jt_node *n, void *elem)
{
	static const struct field tab[] = {
	    FLD(struct oci_weight_device, "major", FK_I64, major, F_REQ),
	    FLD(struct oci_weight_device, "minor", FK_I64, minor, F_REQ),
	    FLD_RANGE(struct oci_weight_device, "weight", FK_OU64, weight, 0, 0, UINT16_MAX),
	    FLD_RANGE(struct oci_weight_device, "leafWeight", FK_OU64, leaf_weight, 0, 0,
		      UINT16_MAX),
	};
	return pc_object(c, n, tab, ARRAY_SIZE(tab), elem);
}

static int decode_weight_devices(struct pctx *c, const struct jt_node *n, void *base)
{
	struct oci_blockio *b = base;
	return pc_array(c, n, sizeof(*b->weight_device), (void **)&b->weight_device,
			&b->n_weight_device, decode_weight_device);
}

static int decode_throttle(struct pctx *c, const struct jt_node *n, void *elem)
{
	static const struct field tab[] = {
	    FLD(struct oci_throttle_device, "major", FK_I64, major, F_REQ),
	    FLD(struct oci_throttle_device, "minor", FK_I64, minor, F_REQ),
	    FLD(struct oci_throttle_device, "rate", FK_U64, rate, F_REQ),
	};
	return pc_object(c, n, tab, ARRAY_SIZE(tab), elem);
}

#define THROTTLE_FN(fname, member) PC_LIST_FN(fname, struct oci_blockio, member, decode_throttle)
THROTTLE_FN(decode_read_bps, throttle_read_bps)
THROTTLE_FN(decode_write_bps, throttle_write_bps)
THROTTLE_FN(decode_read_iops, throttle_read_iops)
THROTTLE_FN(decode_write_iops, throttle_write_iops)

static int decode_blockio(struct pctx *c, const struct jt_node *n, void *base)
{
	static const struct field tab[] = {
	    FLD_RANGE(struct oci_blockio, "weight", FK_OU64, weight, 0, 0, UINT16_MAX),
	    FLD_RANGE(struct oci_blockio, "leafWeight", FK_OU64, leaf_weight, 0, 0, UINT16_MAX),
	    FLD_FN("weightDevice", decode_weight_devices, 0),
	    FLD_FN("throttleReadBpsDevice", decode_read_bps, 0),
	    FLD_FN("throttleWriteBpsDevice", decode_write_bps, 0),
	    FLD_FN("throttleReadIOPSDevice", decode_read_iops, 0),
	    FLD_FN("throttleWriteIOPSDevice", decode_write_iops, 0),
	};
	struct oci_blockio *b = &((struct oci_resources *)base)->block_io;
	int r = pc_object(c, n, tab, ARRAY_SIZE(tab), b);
	b->present = r == 0;
	return r;
}

static int decode_hugepage(struct pctx *c, const struct jt_node *n, void *elem)
{
	static const struct field tab[] = {
	    FLD(struct oci_hugepage_limit, "pageSize", FK_STR, page_size, F_REQ | F_NONEMPTY),
	    FLD(struct oci_hugepage_limit, "limit", FK_U64, limit, F_REQ),
	};
	return pc_object(c, n, tab, ARRAY_SIZE(tab), elem);
}

static int decode_hugepages(struct pctx *c, const struct jt_node *n, void *base)
{
	struct oci_resources *r = base;
	return pc_array(c, n, sizeof(*r->hugepage_limits), (void **)&r->hugepage_limits,
			&r->n_hugepage_limits, decode_hugepage);
}

static int decode_net_priority(struct pctx *c, const struct jt_node *n, void *elem)
{
	static const struct field tab[] = {
	    FLD(struct oci_net_priority, "name", FK_STR, name, F_REQ | F_NONEMPTY),
	    FLD(struct oci_net_priority, "priority", FK_U32, priority, F_REQ),
	};
	return pc_object(c, n, tab, ARRAY_SIZE(tab), elem);
}

static int decode_net_priorities(struct pctx *c, const struct jt_node *n, void *base)
{
	struct oci_network *net = base;
	return pc_array(c, n, sizeof(*net->priorities), (void **)&net->priorities,
			&net->n_priorities, decode_net_priority);
}

static int decode_network(struct pctx *c, const struct jt_node *n, void *base)
{
	static const struct field tab[] = {
	    FLD_RANGE(struct oci_network, "classID", FK_OU64, class_id, 0, 0, UINT32_MAX),
	    FLD_FN("priorities", decode_net_priorities, 0),
	};
	struct oci_network *net = &((struct oci_resources *)base)->network;
	int r = pc_object(c, n, tab, ARRAY_SIZE(tab), net);
	net->present = r == 0;
	return r;
}

/* "rdma": { "mlx5_1": { "hcaHandles": 3, "hcaObjects": 10000 } } */
static int decode_rdma(struct pctx *c, const struct jt_node *n, void *base)
{
	static const struct field tab[] = {
	    FLD_RANGE(struct oci_rdma, "hcaHandles", FK_OU64, hca_handles, 0, 0, UINT32_MAX),
	    FLD_RANGE(struct oci_rdma, "hcaObjects", FK_OU64, hca_objects, 0, 0, UINT32_MAX),
	};
	struct oci_resources *r = base;
	if (pc_expect(c, n, JT_OBJECT) < 0)
		return -1;
	r->rdma = xcalloc(n->u.kids.n ? n->u.kids.n : 1, sizeof(*r->rdma));
	jt_foreach(e, n)
	{
		struct oci_rdma *d = NULL;
		for (size_t i = 0; i < r->n_rdma; i++)
			if (strcmp(r->rdma[i].device, e->key) == 0)
				d = &r->rdma[i]; /* repeated key: last one wins */
		if (d) {
			d->hca_handles.set = d->hca_objects.set = false;
		} else {
			d = &r->rdma[r->n_rdma++];
			d->device = xstrdup(e->key);
		}
		size_t old = pc_push_mapkey(c, e->key);
		int rc = pc_map_key_check(c, e);
		if (rc == 0)
			rc = pc_object(c, e, tab, ARRAY_SIZE(tab), d);
		pc_pop(c, old);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int oci_decode_resources(struct pctx *c, const struct jt_node *n, struct oci_resources *r)
{
	static const struct field tab[] = {
	    FLD_FN("devices", decode_devices, 0),
	    FLD_FN("memory", decode_memory, 0),
	    FLD_FN("cpu", decode_cpu, 0),
	    FLD_FN("pids", decode_pids, 0),
	    FLD_FN("blockIO", decode_blockio, 0),
	    FLD_FN("hugepageLimits", decode_hugepages, 0),
	    FLD_FN("network", decode_network, 0),
	    FLD_FN("rdma", decode_rdma, 0),
	    FLD(struct oci_resources, "unified", FK_KVV, unified, 0),
	};
	return pc_object(c, n, tab, ARRAY_SIZE(tab), r);
}
