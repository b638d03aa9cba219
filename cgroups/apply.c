/* linux.resources -> the drivers, per host layout.
 *
 *   unified  everything through the v2 writer, devices as an eBPF program
 *   legacy   everything through the v1 writer
 *   hybrid   v1 writer for the controllers mounted as v1; what only the
 *            unified mount carries (hugetlb here, `unified` keys) goes there */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroups/internal.h"
#include "common/cleanup.h"
#include "common/util.h"

/* Enable ctrls (space separated) for the container on the v2 hierarchy i. */
static int v2_enable(struct cgroup_manager *cm, size_t i, const char *ctrls, struct husk_err **err)
{
	if (!*ctrls)
		return 0;
	cleanup_free char *root =
	    *cm->h[i].dir ? xasprintf("%s/%s", cm->root, cm->h[i].dir) : xstrdup(cm->root);
	cleanup_fd int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return husk_err_sys(err, "open %s", root);
	return cg2_enable_controllers(rootfd, cm->path, ctrls, err);
}

static int apply_devices_v2(struct cgroup_manager *cm, int fd, const struct cg_dev_rules *rules,
			    struct husk_err **err)
{
	int prog = -1;
	if (cg2_devices_apply(fd, rules->v, rules->n, &prog, err) < 0)
		return -1;
	if (cm->bpf_prog_fd >= 0)
		close(cm->bpf_prog_fd);
	cm->bpf_prog_fd = prog;
	return 0;
}

static int apply_unified(struct cgroup_manager *cm, const struct oci_resources *r,
			 const struct cg_dev_rules *rules, struct husk_err **err)
{
	int i = cg_find_v2(cm);
	cleanup_free char *ctrls = cg2_needed_controllers(r);
	if (v2_enable(cm, (size_t)i, ctrls, err) < 0)
		return -1;
	int fd = cg_fd(cm, (size_t)i, err);
	if (fd < 0 || cg2_apply(fd, r, err) < 0)
		return -1;
	if (rules->n && apply_devices_v2(cm, fd, rules, err) < 0)
		return -1;
	return 0;
}

static int apply_v1(struct cgroup_manager *cm, const struct oci_resources *r,
		    const struct cg_dev_rules *rules, struct husk_err **err)
{
	struct cg1_dirs d;
	int v2 = cg_find_v2(cm);
	/* Open only the hierarchies the resources touch. */
	bool want[CG_CTRL_COUNT] = {0};
	want[CG_MEMORY] = r->memory.present;
	want[CG_CPU] = r->cpu.present;
	want[CG_CPUSET] = r->cpu.present && (r->cpu.cpus || r->cpu.mems);
	want[CG_PIDS] = r->pids_limit.set;
	want[CG_BLKIO] = r->block_io.present;
	want[CG_NET_CLS] = r->network.class_id.set;
	want[CG_NET_PRIO] = r->network.n_priorities > 0;
	want[CG_DEVICES] = rules->n > 0;
	/* hugetlb goes to v1 when it is mounted there, else to the unified mount. */
	int hug = cg_find(cm, CG_HUGETLB);
	want[CG_HUGETLB] = r->n_hugepage_limits > 0 && hug >= 0;
	for (int c = 0; c < CG_CTRL_COUNT; c++) {
		d.fd[c] = -1;
		int i = want[c] ? cg_find(cm, c) : -1;
		if (i >= 0 && (d.fd[c] = cg_fd(cm, (size_t)i, err)) < 0)
			return -1;
	}
	/* Devices through v1 when its controller is mounted (runc's choice on
	 * hybrid hosts); a hybrid host without it gets the eBPF program on the
	 * unified hierarchy, which needs no controller. */
	bool bpf_devices = rules->n && cg_find(cm, CG_DEVICES) < 0 && v2 >= 0;
	struct oci_resources v1r = *r;
	v1r.devices = rules->v;
	v1r.n_devices = bpf_devices ? 0 : rules->n;
	if (hug < 0 && v2 >= 0)
		v1r.n_hugepage_limits = 0;
	v1r.unified.n = 0;
	if (cg1_apply(&d, &v1r, err) < 0)
		return -1;
	if (v2 < 0) {
		if (r->unified.n)
			return husk_err_set(err, ENOTSUP,
					    "linux.resources.unified needs cgroup v2, and this "
					    "host has only v1");
		return 0;
	}
	/* Hybrid: the rest lives on the unified mount. */
	struct oci_resources v2r = {0};
	if (hug < 0) {
		v2r.hugepage_limits = r->hugepage_limits;
		v2r.n_hugepage_limits = r->n_hugepage_limits;
	}
	v2r.unified = r->unified;
	if (!v2r.n_hugepage_limits && !v2r.unified.n && !bpf_devices)
		return 0;
	cleanup_free char *ctrls = cg2_needed_controllers(&v2r);
	if (v2_enable(cm, (size_t)v2, ctrls, err) < 0)
		return -1;
	int fd = cg_fd(cm, (size_t)v2, err);
	if (fd < 0 || cg2_apply(fd, &v2r, err) < 0)
		return -1;
	return bpf_devices ? apply_devices_v2(cm, fd, rules, err) : 0;
}

static int apply_rules(struct cgroup_manager *cm, const struct oci_resources *res,
		       const struct cg_dev_rules *rules, struct husk_err **err)
{
	struct oci_resources view;
	const struct oci_resources *r = &view;
	cg_resources_runc_view(res, &view);
	int rc = cm->mode == CGROUP_MODE_UNIFIED ? apply_unified(cm, r, rules, err)
						 : apply_v1(cm, r, rules, err);
	return rc < 0 ? husk_err_wrap(err, "cgroup %s: apply resources", cm->path) : 0;
}

int cgroup_apply(struct cgroup_manager *cm, const struct oci_resources *res, struct husk_err **err)
{
	static const struct oci_resources none;
	if (!res)
		res = &none;
	struct cg_dev_rules rules = {0};
	if (res->n_devices)
		cg_devices_merge(res->devices, res->n_devices, NULL, 0, &rules);
	int rc = apply_rules(cm, res, &rules, err);
	free(rules.v);
	return rc;
}

int cgroup_apply_config(struct cgroup_manager *cm, const struct oci_linux *lnx,
			struct husk_err **err)
{
	static const struct oci_resources none;
	const struct oci_resources *res = lnx && lnx->resources_present ? &lnx->resources : &none;
	struct cg_dev_rules rules = {0};
	/* linux.devices get no rule of their own, as with runc: the config's rules
	 * decide, in order (engines add allow rules for the devices they pass). */
	cg_devices_merge(res->devices, res->n_devices, NULL, 0, &rules);
	/* Without a single rule from the config the default is allow-all: then
	 * the default allow list changes nothing and nothing is written. */
	if (!res->n_devices)
		rules.n = 0;
	int rc = apply_rules(cm, res, &rules, err);
	free(rules.v);
	return rc;
}
