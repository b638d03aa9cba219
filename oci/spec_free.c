/* Release a (possibly partially filled) config tree.  Every function accepts
 * zeroed members, because the decoders write straight into the destination
 * and stop at the first error. */
#include <stdlib.h>
#include <string.h>

#include "oci/parse_util.h"

void oci_strv_clear(oci_strv *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->v[i]);
	free(v->v);
	v->v = NULL;
	v->n = 0;
}

void oci_kvv_clear(oci_kvv *v)
{
	for (size_t i = 0; i < v->n; i++) {
		free(v->v[i].key);
		free(v->v[i].value);
	}
	free(v->v);
	v->v = NULL;
	v->n = 0;
}

static void oci_process_clear(struct oci_process *p)
{
	free(p->user.additional_gids);
	free(p->user.username);
	oci_strv_clear(&p->args);
	free(p->command_line);
	oci_strv_clear(&p->env);
	free(p->cwd);
	oci_strv_clear(&p->capabilities.bounding);
	oci_strv_clear(&p->capabilities.effective);
	oci_strv_clear(&p->capabilities.inheritable);
	oci_strv_clear(&p->capabilities.permitted);
	oci_strv_clear(&p->capabilities.ambient);
	for (size_t i = 0; i < p->n_rlimits; i++)
		free(p->rlimits[i].type);
	free(p->rlimits);
	free(p->apparmor_profile);
	free(p->selinux_label);
	free(p->io_priority.klass);
	free(p->scheduler.policy);
	oci_strv_clear(&p->scheduler.flags);
	free(p->exec_cpu_affinity.initial);
	free(p->exec_cpu_affinity.final);
	memset(p, 0, sizeof(*p));
}

static void oci_resources_clear(struct oci_resources *r)
{
	for (size_t i = 0; i < r->n_devices; i++) {
		free(r->devices[i].type);
		free(r->devices[i].access);
	}
	free(r->devices);
	free(r->cpu.cpus);
	free(r->cpu.mems);
	free(r->block_io.weight_device);
	free(r->block_io.throttle_read_bps.v);
	free(r->block_io.throttle_write_bps.v);
	free(r->block_io.throttle_read_iops.v);
	free(r->block_io.throttle_write_iops.v);
	for (size_t i = 0; i < r->n_hugepage_limits; i++)
		free(r->hugepage_limits[i].page_size);
	free(r->hugepage_limits);
	for (size_t i = 0; i < r->network.n_priorities; i++)
		free(r->network.priorities[i].name);
	free(r->network.priorities);
	for (size_t i = 0; i < r->n_rdma; i++)
		free(r->rdma[i].device);
	free(r->rdma);
	oci_kvv_clear(&r->unified);
	memset(r, 0, sizeof(*r));
}

static void seccomp_clear(struct oci_seccomp *s)
{
	free(s->default_action);
	oci_strv_clear(&s->architectures);
	oci_strv_clear(&s->flags);
	free(s->listener_path);
	free(s->listener_metadata);
	for (size_t i = 0; i < s->n_syscalls; i++) {
		struct oci_seccomp_syscall *sc = &s->syscalls[i];
		oci_strv_clear(&sc->names);
		free(sc->action);
		for (size_t j = 0; j < sc->n_args; j++)
			free(sc->args[j].op);
		free(sc->args);
	}
	free(s->syscalls);
}

static void oci_linux_clear(struct oci_linux *l)
{
	for (size_t i = 0; i < l->n_namespaces; i++)
		free(l->namespaces[i].path);
	free(l->namespaces);
	free(l->uid_mappings);
	free(l->gid_mappings);
	for (size_t i = 0; i < l->n_devices; i++) {
		free(l->devices[i].type);
		free(l->devices[i].path);
	}
	free(l->devices);
	free(l->cgroups_path);
	oci_resources_clear(&l->resources);
	free(l->intel_rdt.clos_id);
	free(l->intel_rdt.l3_cache_schema);
	free(l->intel_rdt.mem_bw_schema);
	oci_kvv_clear(&l->sysctl);
	seccomp_clear(&l->seccomp);
	free(l->rootfs_propagation);
	oci_strv_clear(&l->masked_paths);
	oci_strv_clear(&l->readonly_paths);
	free(l->mount_label);
	free(l->personality.domain);
	oci_strv_clear(&l->personality.flags);
	for (size_t i = 0; i < l->n_net_devices; i++) {
		free(l->net_devices[i].host_name);
		free(l->net_devices[i].name);
	}
	free(l->net_devices);
	free(l->memory_policy.mode);
	free(l->memory_policy.nodes);
	oci_strv_clear(&l->memory_policy.flags);
	memset(l, 0, sizeof(*l));
}

static void hook_list_clear(struct oci_hook_list *hl)
{
	for (size_t i = 0; i < hl->n; i++) {
		free(hl->v[i].path);
		oci_strv_clear(&hl->v[i].args);
		oci_strv_clear(&hl->v[i].env);
	}
	free(hl->v);
}

void oci_config_free(struct oci_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->oci_version);
	free(cfg->root.path);
	for (size_t i = 0; i < cfg->n_mounts; i++) {
		struct oci_mount *m = &cfg->mounts[i];
		free(m->destination);
		free(m->source);
		free(m->type);
		oci_strv_clear(&m->options);
		free(m->uid_mappings);
		free(m->gid_mappings);
	}
	free(cfg->mounts);
	oci_process_clear(&cfg->process);
	free(cfg->hostname);
	free(cfg->domainname);
	hook_list_clear(&cfg->hooks.prestart);
	hook_list_clear(&cfg->hooks.create_runtime);
	hook_list_clear(&cfg->hooks.create_container);
	hook_list_clear(&cfg->hooks.start_container);
	hook_list_clear(&cfg->hooks.poststart);
	hook_list_clear(&cfg->hooks.poststop);
	oci_kvv_clear(&cfg->annotations);
	oci_linux_clear(&cfg->linux_);
	free(cfg);
}

void oci_resources_free(struct oci_resources *res)
{
	if (!res)
		return;
	oci_resources_clear(res);
	free(res);
}

void oci_process_free(struct oci_process *p)
{
	if (!p)
		return;
	oci_process_clear(p);
	free(p);
}
