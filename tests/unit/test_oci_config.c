/* oci_config_parse: a realistic config with every runtime-spec 1.2 Linux field
 * decodes to the right values; unknown keys, null values and repeated keys
 * behave as runc does; husk's own default spec parses back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <cmocka.h>

#include "common/util.h"
#include "oci/default_spec.h"
#include "oci/spec.h"

#define FIXTURE "tests/fuzz/corpus/oci/config/full.json"

static struct oci_config *load_fixture(void)
{
	struct husk_err *err = NULL;
	struct oci_config *cfg = NULL;
	int r = oci_config_load(FIXTURE, &cfg, &err);
	if (r < 0)
		fail_msg("load %s: %s", FIXTURE, err->msg);
	return cfg;
}

static struct oci_config *parse_ok(const char *json)
{
	struct husk_err *err = NULL;
	struct oci_config *cfg = NULL;
	if (oci_config_parse(json, strlen(json), "config.json", &cfg, &err) < 0)
		fail_msg("unexpected error: %s", err->msg);
	return cfg;
}

static void test_top_level(void **state)
{
	struct oci_config *cfg = load_fixture();
	assert_string_equal(cfg->oci_version, "1.2.0");
	assert_string_equal(cfg->root.path, "rootfs");
	assert_true(cfg->root.readonly);
	assert_string_equal(cfg->hostname, "husk-host");
	assert_string_equal(cfg->domainname, "example.org");
	assert_int_equal(cfg->annotations.n, 2);
	assert_string_equal(oci_config_annotation(cfg, "com.example.key"), "value");
	assert_string_equal(oci_config_annotation(cfg, "org.opencontainers.image.os"), "linux");
	assert_null(oci_config_annotation(cfg, "missing"));
	oci_config_free(cfg);
}

static void test_mounts(void **state)
{
	struct oci_config *cfg = load_fixture();
	assert_int_equal(cfg->n_mounts, 3);
	assert_string_equal(cfg->mounts[0].destination, "/proc");
	assert_string_equal(cfg->mounts[0].type, "proc");
	assert_string_equal(cfg->mounts[0].source, "proc");
	assert_int_equal(cfg->mounts[0].options.n, 0);
	assert_null(cfg->mounts[0].options.v);
	const struct oci_mount *m = &cfg->mounts[1];
	assert_int_equal(m->options.n, 4);
	assert_string_equal(m->options.v[3], "size=65536k");
	assert_null(m->options.v[4]);
	m = &cfg->mounts[2];
	assert_int_equal(m->n_uid_mappings, 1);
	assert_int_equal(m->uid_mappings[0].host_id, 100000);
	assert_int_equal(m->uid_mappings[0].size, 65536);
	assert_int_equal(m->n_gid_mappings, 1);
	assert_int_equal(m->gid_mappings[0].host_id, 200000);
	oci_config_free(cfg);
}

static void test_process(void **state)
{
	struct oci_config *cfg = load_fixture();
	const struct oci_process *p = &cfg->process;
	assert_true(p->present);
	assert_true(p->terminal);
	assert_true(p->console_height.set);
	assert_int_equal(p->console_height.v, 25);
	assert_int_equal(p->console_width.v, 80);
	assert_int_equal(p->user.uid, 1000);
	assert_int_equal(p->user.gid, 1001);
	assert_true(p->user.umask.set);
	assert_int_equal(p->user.umask.v, 022);
	assert_int_equal(p->user.n_additional_gids, 3);
	assert_int_equal(p->user.additional_gids[2], 4294967295u);
	assert_string_equal(p->user.username, "alice");
	assert_int_equal(p->args.n, 3);
	assert_string_equal(p->args.v[2], "echo hi");
	assert_null(p->args.v[3]);
	assert_string_equal(p->command_line, "ignored on linux");
	assert_int_equal(p->env.n, 3);
	assert_string_equal(p->env.v[2], "EMPTY=");
	assert_string_equal(p->cwd, "/home/alice");
	assert_true(p->no_new_privileges);
	assert_string_equal(p->apparmor_profile, "husk-default");
	assert_true(p->oom_score_adj.set);
	assert_int_equal(p->oom_score_adj.v, -500);
	assert_string_equal(p->selinux_label, "system_u:system_r:container_t:s0:c1,c2");
	assert_string_equal(p->exec_cpu_affinity.initial, "0");
	assert_string_equal(p->exec_cpu_affinity.final, "0-1,3");
	oci_config_free(cfg);
}

static void test_capabilities_rlimits(void **state)
{
	struct oci_config *cfg = load_fixture();
	const struct oci_process *p = &cfg->process;
	assert_true(p->capabilities.present);
	assert_int_equal(p->capabilities.bounding.n, 3);
	assert_string_equal(p->capabilities.bounding.v[2], "CAP_NET_BIND_SERVICE");
	assert_int_equal(p->capabilities.effective.n, 1);
	assert_int_equal(p->capabilities.inheritable.n, 0);
	assert_non_null(p->capabilities.inheritable.v); /* present but empty */
	assert_int_equal(p->capabilities.permitted.n, 2);
	assert_int_equal(p->capabilities.ambient.n, 1);
	assert_int_equal(p->n_rlimits, 2);
	assert_string_equal(p->rlimits[0].type, "RLIMIT_NOFILE");
	assert_int_equal(p->rlimits[0].resource, RLIMIT_NOFILE);
	assert_int_equal(p->rlimits[0].soft, 1024);
	assert_int_equal(p->rlimits[0].hard, 4096);
	assert_int_equal(p->rlimits[1].resource, RLIMIT_CORE);
	assert_true(p->rlimits[1].hard == UINT64_MAX);
	oci_config_free(cfg);
}

static void test_io_priority_scheduler(void **state)
{
	struct oci_config *cfg = load_fixture();
	const struct oci_process *p = &cfg->process;
	assert_true(p->io_priority.present);
	assert_string_equal(p->io_priority.klass, "IOPRIO_CLASS_BE");
	assert_int_equal(p->io_priority.priority, 4);
	const struct oci_scheduler *s = &p->scheduler;
	assert_true(s->present);
	assert_string_equal(s->policy, "SCHED_DEADLINE");
	assert_true(s->nice.set);
	assert_int_equal(s->nice.v, -5);
	assert_true(s->priority.set);
	assert_int_equal(s->priority.v, 0);
	assert_int_equal(s->flags.n, 2);
	assert_string_equal(s->flags.v[1], "SCHED_FLAG_RECLAIM");
	assert_int_equal(s->runtime.v, 10000000);
	assert_int_equal(s->deadline.v, 20000000);
	assert_int_equal(s->period.v, 30000000);
	oci_config_free(cfg);
}

static void test_hooks(void **state)
{
	struct oci_config *cfg = load_fixture();
	const struct oci_hooks *h = &cfg->hooks;
	assert_int_equal(h->prestart.n, 1);
	assert_string_equal(h->prestart.v[0].path, "/usr/bin/prestart");
	assert_int_equal(h->prestart.v[0].args.n, 2);
	assert_string_equal(h->prestart.v[0].env.v[0], "A=1");
	assert_false(h->prestart.v[0].timeout.set);
	assert_int_equal(h->create_runtime.n, 2);
	assert_true(h->create_runtime.v[1].timeout.set);
	assert_int_equal(h->create_runtime.v[1].timeout.v, 5);
	assert_int_equal(h->create_container.n, 1);
	assert_int_equal(h->start_container.n, 1);
	assert_int_equal(h->start_container.v[0].timeout.v, 1);
	assert_int_equal(h->poststart.n, 1);
	assert_int_equal(h->poststop.n, 1);
	assert_int_equal(h->poststop.v[0].timeout.v, 60);
	oci_config_free(cfg);
}

static void test_linux_namespaces_ids(void **state)
{
	struct oci_config *cfg = load_fixture();
	const struct oci_linux *l = &cfg->linux_;
	assert_true(l->present);
	assert_int_equal(l->n_namespaces, 8);
	assert_int_equal(l->namespaces[0].type, OCI_NS_PID);
	assert_null(l->namespaces[0].path);
	const struct oci_namespace *net = oci_config_find_ns(cfg, OCI_NS_NETWORK);
	assert_non_null(net);
	assert_string_equal(net->path, "/var/run/netns/ctr");
	assert_non_null(oci_config_find_ns(cfg, OCI_NS_TIME));
	assert_non_null(oci_config_find_ns(cfg, OCI_NS_CGROUP));
	assert_int_equal(l->n_uid_mappings, 1);
	assert_int_equal(l->uid_mappings[0].container_id, 0);
	assert_int_equal(l->uid_mappings[0].host_id, 100000);
	assert_int_equal(l->n_gid_mappings, 2);
	assert_int_equal(l->gid_mappings[1].container_id, 65536);
	assert_int_equal(l->gid_mappings[1].size, 1);
	assert_true(l->time_monotonic.set);
	assert_int_equal(l->time_monotonic.secs, -86400);
	assert_int_equal(l->time_monotonic.nanosecs, 500);
	assert_true(l->time_boottime.set);
	assert_int_equal(l->time_boottime.secs, 172800);
	assert_int_equal(l->time_boottime.nanosecs, 0);
	oci_config_free(cfg);
}

static void test_linux_devices_misc(void **state)
{
	struct oci_config *cfg = load_fixture();
	const struct oci_linux *l = &cfg->linux_;
	assert_int_equal(l->n_devices, 2);
	assert_string_equal(l->devices[0].type, "c");
	assert_string_equal(l->devices[0].path, "/dev/fuse");
	assert_int_equal(l->devices[0].major, 10);
	assert_int_equal(l->devices[0].minor, 229);
	assert_true(l->devices[0].file_mode.set);
	assert_int_equal(l->devices[0].file_mode.v, 0666);
	assert_true(l->devices[0].uid.set);
	assert_string_equal(l->devices[1].type, "p");
	assert_false(l->devices[1].file_mode.set);
	assert_string_equal(l->cgroups_path, "/husk/ctr1");
	assert_int_equal(l->sysctl.n, 2);
	assert_string_equal(l->sysctl.v[0].key, "net.ipv4.ip_forward");
	assert_string_equal(l->sysctl.v[0].value, "1");
	assert_string_equal(l->rootfs_propagation, "rslave");
	assert_int_equal(l->masked_paths.n, 2);
	assert_string_equal(l->masked_paths.v[1], "/sys/firmware");
	assert_int_equal(l->readonly_paths.n, 2);
	assert_string_equal(l->mount_label, "system_u:object_r:container_file_t:s0:c1,c2");
	assert_true(l->personality.present);
	assert_string_equal(l->personality.domain, "LINUX32");
	assert_int_equal(l->personality.flags.n, 0);
	assert_int_equal(l->n_net_devices, 2);
	assert_string_equal(l->net_devices[0].host_name, "eth1");
	assert_string_equal(l->net_devices[0].name, "ctr1");
	assert_string_equal(l->net_devices[1].host_name, "dummy0");
	assert_null(l->net_devices[1].name);
	assert_true(l->memory_policy.present);
	assert_string_equal(l->memory_policy.mode, "MPOL_INTERLEAVE");
	assert_string_equal(l->memory_policy.nodes, "0-1,3");
	assert_string_equal(l->memory_policy.flags.v[0], "MPOL_F_STATIC_NODES");
	assert_true(l->intel_rdt.present);
	assert_string_equal(l->intel_rdt.clos_id, "guaranteed_group");
	assert_string_equal(l->intel_rdt.l3_cache_schema, "L3:0=7f0;1=1f");
	assert_string_equal(l->intel_rdt.mem_bw_schema, "MB:0=20;1=70");
	assert_true(l->intel_rdt.enable_cmt.set && l->intel_rdt.enable_cmt.v);
	assert_true(l->intel_rdt.enable_mbm.set && !l->intel_rdt.enable_mbm.v);
	oci_config_free(cfg);
}

static void test_resources(void **state)
{
	struct oci_config *cfg = load_fixture();
	assert_true(cfg->linux_.resources_present);
	const struct oci_resources *r = &cfg->linux_.resources;
	assert_int_equal(r->n_devices, 3);
	assert_false(r->devices[0].allow);
	assert_null(r->devices[0].type);
	assert_false(r->devices[0].major.set);
	assert_string_equal(r->devices[0].access, "rwm");
	assert_true(r->devices[1].allow);
	assert_string_equal(r->devices[1].type, "c");
	assert_int_equal(r->devices[1].major.v, 10);
	assert_int_equal(r->devices[1].minor.v, 229);
	assert_int_equal(r->devices[2].major.v, -1);
	assert_false(r->devices[2].minor.set);

	assert_true(r->memory.present);
	assert_int_equal(r->memory.limit.v, 536870912);
	assert_int_equal(r->memory.reservation.v, 268435456);
	assert_int_equal(r->memory.swap.v, -1);
	assert_true(r->memory.kernel.set);
	assert_int_equal(r->memory.kernel_tcp.v, 1048576);
	assert_int_equal(r->memory.swappiness.v, 60);
	assert_true(r->memory.disable_oom_killer.set && !r->memory.disable_oom_killer.v);
	assert_true(r->memory.use_hierarchy.v);
	assert_true(r->memory.check_before_update.v);

	assert_true(r->cpu.present);
	assert_int_equal(r->cpu.shares.v, 1024);
	assert_int_equal(r->cpu.quota.v, 100000);
	assert_int_equal(r->cpu.burst.v, 5000);
	assert_int_equal(r->cpu.period.v, 100000);
	assert_int_equal(r->cpu.realtime_runtime.v, 950000);
	assert_int_equal(r->cpu.realtime_period.v, 1000000);
	assert_string_equal(r->cpu.cpus, "0-1");
	assert_string_equal(r->cpu.mems, "0");
	assert_int_equal(r->cpu.idle.v, 1);

	assert_true(r->pids_present);
	assert_int_equal(r->pids_limit.v, 32768);

	const struct oci_blockio *b = &r->block_io;
	assert_true(b->present);
	assert_int_equal(b->weight.v, 500);
	assert_int_equal(b->leaf_weight.v, 300);
	assert_int_equal(b->n_weight_device, 2);
	assert_int_equal(b->weight_device[0].major, 8);
	assert_int_equal(b->weight_device[0].weight.v, 600);
	assert_int_equal(b->weight_device[0].leaf_weight.v, 200);
	assert_false(b->weight_device[1].weight.set);
	assert_int_equal(b->weight_device[1].minor, 16);
	assert_int_equal(b->throttle_read_bps.n, 1);
	assert_int_equal(b->throttle_read_bps.v[0].rate, 104857600);
	assert_int_equal(b->throttle_write_bps.v[0].rate, 52428800);
	assert_int_equal(b->throttle_read_iops.v[0].rate, 1000);
	assert_int_equal(b->throttle_write_iops.n, 2);
	assert_int_equal(b->throttle_write_iops.v[1].rate, 300);

	assert_int_equal(r->n_hugepage_limits, 2);
	assert_string_equal(r->hugepage_limits[0].page_size, "2MB");
	assert_int_equal(r->hugepage_limits[0].limit, 209715200);
	assert_string_equal(r->hugepage_limits[1].page_size, "1GB");

	assert_true(r->network.present);
	assert_int_equal(r->network.class_id.v, 1048577);
	assert_int_equal(r->network.n_priorities, 2);
	assert_string_equal(r->network.priorities[1].name, "eth1");
	assert_int_equal(r->network.priorities[1].priority, 1000);

	assert_int_equal(r->n_rdma, 2);
	assert_string_equal(r->rdma[0].device, "mlx5_1");
	assert_int_equal(r->rdma[0].hca_handles.v, 3);
	assert_int_equal(r->rdma[0].hca_objects.v, 10000);
	assert_false(r->rdma[1].hca_handles.set);
	assert_int_equal(r->rdma[1].hca_objects.v, 1000);

	assert_int_equal(r->unified.n, 2);
	assert_string_equal(r->unified.v[0].key, "io.weight");
	assert_string_equal(r->unified.v[0].value, "default 100");
	oci_config_free(cfg);
}

static void test_seccomp(void **state)
{
	struct oci_config *cfg = load_fixture();
	const struct oci_seccomp *s = &cfg->linux_.seccomp;
	assert_true(s->present);
	assert_string_equal(s->default_action, "SCMP_ACT_ERRNO");
	assert_true(s->default_errno_ret.set);
	assert_int_equal(s->default_errno_ret.v, 38);
	assert_int_equal(s->architectures.n, 3);
	assert_string_equal(s->architectures.v[0], "SCMP_ARCH_X86_64");
	assert_int_equal(s->flags.n, 2);
	assert_string_equal(s->listener_path, "/run/seccomp-agent.sock");
	assert_string_equal(s->listener_metadata, "metadata");
	assert_int_equal(s->n_syscalls, 4);
	assert_int_equal(s->syscalls[0].names.n, 3);
	assert_string_equal(s->syscalls[0].names.v[2], "exit_group");
	assert_string_equal(s->syscalls[0].action, "SCMP_ACT_ALLOW");
	assert_false(s->syscalls[0].errno_ret.set);
	const struct oci_seccomp_syscall *sc = &s->syscalls[1];
	assert_int_equal(sc->n_args, 2);
	assert_int_equal(sc->args[0].index, 0);
	assert_true(sc->args[0].value == 4294967295ull);
	assert_string_equal(sc->args[0].op, "SCMP_CMP_EQ");
	assert_int_equal(sc->args[1].index, 5);
	assert_true(sc->args[1].value == UINT64_MAX);
	assert_true(sc->args[1].value_two == UINT64_MAX - 1);
	assert_string_equal(sc->args[1].op, "SCMP_CMP_MASKED_EQ");
	assert_true(s->syscalls[2].errno_ret.set);
	assert_int_equal(s->syscalls[2].errno_ret.v, 1);
	assert_string_equal(s->syscalls[3].action, "SCMP_ACT_NOTIFY");
	oci_config_free(cfg);
}

/* ociVersion is SemVer 2.0.0; every shape engines write is accepted. */
static void test_oci_versions(void **state)
{
	static const char *const ok[] = {"1.0.0",
					 "1.0.2-dev",
					 "1.1.0-rc.1",
					 "1.2.0+dev.7",
					 "1.0.0-rc2-dev",
					 "0.6.0",
					 "10.20.30-alpha.0.x+b-1"};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char *doc = xasprintf("{\"ociVersion\":\"%s\",\"root\":{\"path\":\"r\"}}", ok[i]);
		struct oci_config *cfg = parse_ok(doc);
		assert_string_equal(cfg->oci_version, ok[i]);
		oci_config_free(cfg);
		free(doc);
	}
}

static void test_minimal_and_absent(void **state)
{
	struct oci_config *cfg = parse_ok("{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"/r\"}}");
	assert_false(cfg->process.present);
	assert_false(cfg->linux_.present);
	assert_false(cfg->linux_.resources_present);
	assert_false(cfg->linux_.seccomp.present);
	assert_false(cfg->root.readonly);
	assert_int_equal(cfg->n_mounts, 0);
	assert_null(cfg->hostname);
	assert_null(oci_config_find_ns(cfg, OCI_NS_PID));
	oci_config_free(cfg);
}

/* runtime-spec: unknown properties MUST be ignored (they may be extensions). */
static void test_unknown_keys_ignored(void **state)
{
	struct oci_config *cfg = parse_ok(
	    "{\"ociVersion\":\"1.2.0\",\"x-vendor\":{\"deep\":[1,2,{\"a\":null}]},"
	    "\"root\":{\"path\":\"rootfs\",\"future\":true},"
	    "\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"user\":{\"uid\":0,\"gid\":0,"
	    "\"sid\":\"x\"},\"newThing\":[]},"
	    "\"windows\":{\"layerFolders\":[\"C:\\\\x\"]},\"solaris\":{},\"vm\":{\"hypervisor\":{}}"
	    ","
	    "\"linux\":{\"namespaces\":[{\"type\":\"pid\",\"flavour\":\"x\"}],\"unknownLinux\":1,"
	    "\"resources\":{\"memory\":{\"limit\":1,\"unknownKnob\":2},\"futureController\":{}}}}");
	assert_string_equal(cfg->root.path, "rootfs");
	assert_int_equal(cfg->linux_.n_namespaces, 1);
	assert_int_equal(cfg->linux_.resources.memory.limit.v, 1);
	oci_config_free(cfg);
}

/* Go's encoding/json (runc) treats null like an absent key and keeps the last
 * of repeated keys; husk does the same. */
static void test_null_and_repeated_keys(void **state)
{
	struct oci_config *cfg = parse_ok(
	    "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"a\"},\"root\":{\"path\":\"b\"},"
	    "\"hostname\":null,\"process\":null,\"mounts\":null,\"annotations\":{\"k\":\"1\","
	    "\"k\":\"2\"},\"linux\":{\"sysctl\":null,\"seccomp\":null,\"resources\":null}}");
	assert_string_equal(cfg->root.path, "b");
	assert_null(cfg->hostname);
	assert_false(cfg->process.present);
	assert_int_equal(cfg->annotations.n, 1);
	assert_string_equal(oci_config_annotation(cfg, "k"), "2");
	assert_true(cfg->linux_.present);
	assert_false(cfg->linux_.seccomp.present);
	assert_false(cfg->linux_.resources_present);
	oci_config_free(cfg);
}

/* A member name with \u0000 is not the field its prefix spells (Go's runc
 * would ignore it too): no parser differential an attacker could use. */
static void test_nul_in_keys(void **state)
{
	struct oci_config *cfg = parse_ok(
	    "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"r\"},\"hostname\\u0000\":\"x\","
	    "\"process\\u0000x\":{\"args\":[]},\"linux\":{\"namespaces\\u0000\":7}}");
	assert_null(cfg->hostname);
	assert_false(cfg->process.present);
	assert_int_equal(cfg->linux_.n_namespaces, 0);
	oci_config_free(cfg);
}

static void test_unicode_and_escapes(void **state)
{
	struct oci_config *cfg =
	    parse_ok("{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"r\\u00f6\\/t\\tfs\"},"
		     "\"annotations\":{\"\\u2603\":\"snow\\\"man\\\\\"}}");
	assert_string_equal(cfg->root.path, "r\xc3\xb6/t\tfs");
	assert_string_equal(cfg->annotations.v[0].key, "\xe2\x98\x83");
	assert_string_equal(cfg->annotations.v[0].value, "snow\"man\\");
	oci_config_free(cfg);
}

/* The input need not be NUL-terminated: only len bytes are read. */
static void test_length_bounded(void **state)
{
	const char *doc = "{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\"}}GARBAGE";
	struct husk_err *err = NULL;
	struct oci_config *cfg = NULL;
	size_t len = strlen(doc) - strlen("GARBAGE");
	char *copy = xmalloc(len); /* no terminator: ASan catches an over-read */
	memcpy(copy, doc, len);
	assert_int_equal(oci_config_parse(copy, len, "config.json", &cfg, &err), 0);
	assert_string_equal(cfg->root.path, "r");
	oci_config_free(cfg);
	free(copy);
	assert_true(oci_config_parse(doc, strlen(doc), "config.json", &cfg, &err) < 0);
	assert_non_null(strstr(err->msg, "config.json: invalid JSON: "));
	husk_err_free(&err);
}

static void test_default_spec_parses(void **state)
{
	for (int rootless = 0; rootless < 2; rootless++) {
		char *json = NULL;
		size_t len = 0;
		struct husk_err *err = NULL;
		struct oci_config *cfg = NULL;
		assert_int_equal(oci_default_spec_json(rootless, &json, &len, &err), 0);
		if (oci_config_parse(json, len, "config.json", &cfg, &err) < 0)
			fail_msg("default spec (rootless=%d) does not parse: %s", rootless,
				 err->msg);
		assert_string_equal(cfg->hostname, "husk");
		assert_string_equal(cfg->process.args.v[0], "sh");
		assert_int_equal(cfg->n_mounts, 7);
		assert_true(cfg->process.no_new_privileges);
		assert_int_equal(oci_config_find_ns(cfg, OCI_NS_USER) != NULL, rootless);
		assert_int_equal(oci_config_find_ns(cfg, OCI_NS_NETWORK) != NULL, !rootless);
		assert_int_equal(cfg->linux_.n_uid_mappings, rootless ? 1 : 0);
		oci_config_free(cfg);
		free(json);
	}
}

/* exec's process.json is decoded with runc's leniency: no user means root, no
 * (or an empty) cwd means the runtime's default; config.json stays strict. */
static void test_exec_process_defaults(void **state)
{
	const char *doc = "{\"args\":[\"ls\"],\"cwd\":\"\",\"env\":[\"A=1\"]}";
	struct husk_err *err = NULL;
	struct oci_process *p = NULL;
	assert_int_equal(oci_process_parse(doc, strlen(doc), "process.json", &p, &err), 0);
	assert_true(p->present);
	assert_int_equal(p->user.uid, 0);
	assert_int_equal(p->user.gid, 0);
	assert_string_equal(p->cwd, "");
	assert_string_equal(p->args.v[0], "ls");
	oci_process_free(p);
	const char *cfg_doc = "{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\"},\"process\":"
			      "{\"args\":[\"ls\"],\"user\":{\"uid\":0,\"gid\":0}}}";
	struct oci_config *cfg = NULL;
	assert_true(oci_config_parse(cfg_doc, strlen(cfg_doc), "config.json", &cfg, &err) < 0);
	assert_string_equal(err->msg, "config.json: process.cwd: required field is missing");
	husk_err_free(&err);
}

static void test_ns_helpers(void **state)
{
	static const char *const names[] = {"pid", "network", "mount",	"ipc",
					    "uts", "user",    "cgroup", "time"};
	for (int i = 0; i < OCI_NS_COUNT; i++) {
		assert_string_equal(oci_ns_type_name((enum oci_ns_type)i), names[i]);
		assert_int_equal(oci_ns_type_from_name(names[i]), i);
	}
	assert_int_equal(oci_ns_type_from_name("net"), -1);
	assert_int_equal(oci_ns_type_from_name(""), -1);
	assert_string_equal(oci_ns_type_name(OCI_NS_COUNT), "unknown");
}

static void test_load_missing_file(void **state)
{
	struct husk_err *err = NULL;
	struct oci_config *cfg = NULL;
	assert_true(oci_config_load("/nonexistent-husk-oci/config.json", &cfg, &err) < 0);
	assert_int_equal(err->errnum, ENOENT);
	assert_non_null(strstr(err->msg, "/nonexistent-husk-oci/config.json"));
	assert_null(cfg);
	husk_err_free(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_top_level),
	    cmocka_unit_test(test_mounts),
	    cmocka_unit_test(test_process),
	    cmocka_unit_test(test_capabilities_rlimits),
	    cmocka_unit_test(test_io_priority_scheduler),
	    cmocka_unit_test(test_hooks),
	    cmocka_unit_test(test_linux_namespaces_ids),
	    cmocka_unit_test(test_linux_devices_misc),
	    cmocka_unit_test(test_resources),
	    cmocka_unit_test(test_seccomp),
	    cmocka_unit_test(test_oci_versions),
	    cmocka_unit_test(test_minimal_and_absent),
	    cmocka_unit_test(test_unknown_keys_ignored),
	    cmocka_unit_test(test_null_and_repeated_keys),
	    cmocka_unit_test(test_nul_in_keys),
	    cmocka_unit_test(test_unicode_and_escapes),
	    cmocka_unit_test(test_length_bounded),
	    cmocka_unit_test(test_default_spec_parses),
	    cmocka_unit_test(test_exec_process_defaults),
	    cmocka_unit_test(test_ns_helpers),
	    cmocka_unit_test(test_load_missing_file),
	};
	return cmocka_run_group_tests_name("oci_config", tests, NULL, NULL);
}
