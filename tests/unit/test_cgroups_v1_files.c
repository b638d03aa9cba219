/* The cgroup v1 resource writer, file by file.
 *
 * MOCK: net_cls, net_prio and a v1 hugetlb hierarchy are not mounted on this
 * host, and blkio throttles need a real block device, so these tests point the
 * v1 writer at temp dirs of empty files standing in for each controller's
 * cgroup directory (tests/unit/helpers/cgroup_mock.c) and check the exact
 * file and value written.  The controllers this host does mount (memory,
 * cpu, cpuset, pids, devices, freezer) are checked for real in
 * test_cgroups_manager.c and tests/bats/cgroups_*.bats. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "tests/unit/helpers/unit_main.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroups/internal.h"
#include "common/cleanup.h"
#include "tests/unit/helpers/cgroup_mock.h"

static const char *const mem_files[] = {
    "memory.limit_in_bytes",	  "memory.memsw.limit_in_bytes",
    "memory.soft_limit_in_bytes", "memory.kmem.tcp.limit_in_bytes",
    "memory.swappiness",	  "memory.oom_control",
    "memory.usage_in_bytes",	  NULL};
static const char *const cpu_files[] = {
    "cpu.shares",	"cpu.cfs_period_us", "cpu.cfs_quota_us", "cpu.cfs_burst_us",
    "cpu.rt_period_us", "cpu.rt_runtime_us", "cpu.idle",	 NULL};
static const char *const blkio_files[] = {"blkio.bfq.weight", "blkio.bfq.weight_device",
					  "blkio.throttle.read_bps_device",
					  "blkio.throttle.write_iops_device", NULL};
static const char *const misc_files[] = {"net_cls.classid", "net_prio.ifpriomap",
					 "hugetlb.2MB.limit_in_bytes", "pids.max", NULL};

struct mocks {
	char dirs[4][128];
	int fds[4];
	struct cg1_dirs d;
};

static int setup(void **state)
{
	struct mocks *m = calloc(1, sizeof(*m));
	const char *const *lists[4] = {mem_files, cpu_files, blkio_files, misc_files};
	for (int i = 0; i < 4; i++)
		if ((m->fds[i] = cgmock_open(m->dirs[i], sizeof(m->dirs[i]), lists[i])) < 0)
			return -1;
	for (int c = 0; c < CG_CTRL_COUNT; c++)
		m->d.fd[c] = -1;
	m->d.fd[CG_MEMORY] = m->fds[0];
	m->d.fd[CG_CPU] = m->fds[1];
	m->d.fd[CG_BLKIO] = m->fds[2];
	m->d.fd[CG_NET_CLS] = m->d.fd[CG_NET_PRIO] = m->d.fd[CG_HUGETLB] = m->d.fd[CG_PIDS] =
	    m->fds[3];
	*state = m;
	return 0;
}

static int teardown(void **state)
{
	struct mocks *m = *state;
	const char *const *lists[4] = {mem_files, cpu_files, blkio_files, misc_files};
	for (int i = 0; i < 4; i++)
		cgmock_close(m->fds[i], m->dirs[i], lists[i]);
	free(m);
	return 0;
}

#define EXPECT(fd, file, want)                                                                     \
	do {                                                                                       \
		cleanup_free char *got_ = cgmock_get(fd, file);                                    \
		assert_non_null(got_);                                                             \
		assert_string_equal(got_, want);                                                   \
	} while (0)

static void apply_ok(struct mocks *m, const struct oci_resources *r)
{
	struct husk_err *err = NULL;
	if (cg1_apply(&m->d, r, &err) < 0)
		fail_msg("%s", err->msg);
}

static void test_memory(void **state)
{
	struct mocks *m = *state;
	struct oci_resources r = {0};
	r.memory.present = true;
	r.memory.limit = (oci_opt_i64){true, 1 << 20};
	r.memory.swap = (oci_opt_i64){true, -1};
	r.memory.reservation = (oci_opt_i64){true, 1 << 19};
	r.memory.kernel_tcp = (oci_opt_i64){true, 1 << 18};
	r.memory.kernel = (oci_opt_i64){true, 1 << 17}; /* deprecated: not written */
	r.memory.swappiness = (oci_opt_u64){true, 0};
	r.memory.disable_oom_killer = (oci_opt_bool){true, true};
	apply_ok(m, &r);
	EXPECT(m->fds[0], "memory.limit_in_bytes", "1048576");
	EXPECT(m->fds[0], "memory.memsw.limit_in_bytes", "-1");
	EXPECT(m->fds[0], "memory.soft_limit_in_bytes", "524288");
	EXPECT(m->fds[0], "memory.kmem.tcp.limit_in_bytes", "262144");
	EXPECT(m->fds[0], "memory.swappiness", "0");
	EXPECT(m->fds[0], "memory.oom_control", "1");
	struct husk_err *err = NULL;
	r = (struct oci_resources){0};
	r.memory.present = true;
	r.memory.swappiness = (oci_opt_u64){true, 101};
	assert_int_not_equal(cg1_apply(&m->d, &r, &err), 0);
	assert_int_equal(err->errnum, EINVAL);
	husk_err_free(&err);
}

static void test_cpu(void **state)
{
	struct mocks *m = *state;
	struct oci_resources r = {0};
	r.cpu.present = true;
	r.cpu.shares = (oci_opt_u64){true, 2048};
	r.cpu.quota = (oci_opt_i64){true, -1};
	r.cpu.period = (oci_opt_u64){true, 100000};
	r.cpu.burst = (oci_opt_u64){true, 5000};
	r.cpu.realtime_period = (oci_opt_u64){true, 1000000};
	r.cpu.realtime_runtime = (oci_opt_i64){true, 950000};
	r.cpu.idle = (oci_opt_i64){true, 0};
	apply_ok(m, &r);
	EXPECT(m->fds[1], "cpu.shares", "2048");
	EXPECT(m->fds[1], "cpu.cfs_quota_us", "-1");
	EXPECT(m->fds[1], "cpu.cfs_period_us", "100000");
	EXPECT(m->fds[1], "cpu.cfs_burst_us", "5000");
	EXPECT(m->fds[1], "cpu.rt_period_us", "1000000");
	EXPECT(m->fds[1], "cpu.rt_runtime_us", "950000");
	EXPECT(m->fds[1], "cpu.idle", "0");
	/* cpus without a cpuset hierarchy: an error that names the controller */
	struct husk_err *err = NULL;
	r = (struct oci_resources){0};
	r.cpu.present = true;
	r.cpu.cpus = (char *)"0";
	assert_int_not_equal(cg1_apply(&m->d, &r, &err), 0);
	assert_non_null(strstr(err->msg, "cpuset"));
	husk_err_free(&err);
}

static void test_blkio(void **state)
{
	struct mocks *m = *state;
	struct oci_weight_device wd = {8, 16, {true, 300}, {false, 0}};
	struct oci_throttle_device rb = {8, 0, 2097152}, wi = {253, 1, 120};
	struct oci_resources r = {0};
	r.block_io.present = true;
	r.block_io.weight = (oci_opt_u64){true, 500};
	r.block_io.weight_device = &wd;
	r.block_io.n_weight_device = 1;
	r.block_io.throttle_read_bps = (struct oci_throttle_list){&rb, 1};
	r.block_io.throttle_write_iops = (struct oci_throttle_list){&wi, 1};
	apply_ok(m, &r); /* no blkio.weight (CFQ is gone): the BFQ knobs */
	EXPECT(m->fds[2], "blkio.bfq.weight", "500");
	EXPECT(m->fds[2], "blkio.bfq.weight_device", "8:16 300");
	EXPECT(m->fds[2], "blkio.throttle.read_bps_device", "8:0 2097152");
	EXPECT(m->fds[2], "blkio.throttle.write_iops_device", "253:1 120");
}

static void test_net_hugetlb_pids(void **state)
{
	struct mocks *m = *state;
	struct oci_net_priority prio = {(char *)"eth0", 5};
	struct oci_hugepage_limit hl = {(char *)"2MB", 8388608};
	struct oci_resources r = {0};
	r.network.present = true;
	r.network.class_id = (oci_opt_u64){true, 0x100001};
	r.network.priorities = &prio;
	r.network.n_priorities = 1;
	r.hugepage_limits = &hl;
	r.n_hugepage_limits = 1;
	r.pids_limit = (oci_opt_i64){true, -1}; /* negative: no limit, as runc */
	apply_ok(m, &r);
	EXPECT(m->fds[3], "net_cls.classid", "1048577");
	EXPECT(m->fds[3], "net_prio.ifpriomap", "eth0 5");
	EXPECT(m->fds[3], "hugetlb.2MB.limit_in_bytes", "8388608");
	EXPECT(m->fds[3], "pids.max", "max");
}

/* Docker's update JSON for `docker update --memory 128m` on a container with
 * no other limit: a zero in every field it leaves alone.  Through runc's view
 * of zeros only memory.limit_in_bytes is written (runc: 0 is unset). */
static void test_docker_zeros(void **state)
{
	struct mocks *m = *state;
	static const char json[] =
	    "{\"memory\":{\"limit\":134217728,\"reservation\":0,\"kernel\":0,"
	    "\"disableOOMKiller\":false},\"cpu\":{\"shares\":0,\"quota\":0,\"period\":0,"
	    "\"realtimeRuntime\":0,\"realtimePeriod\":0,\"cpus\":\"\",\"mems\":\"\"},"
	    "\"blockIO\":{\"weight\":0,\"leafWeight\":0,"
	    "\"weightDevice\":[{\"major\":8,\"minor\":0,\"weight\":0}]},"
	    "\"pids\":{\"limit\":0},\"network\":{\"classID\":0}}";
	struct oci_resources *parsed = NULL, view;
	struct husk_err *err = NULL;
	if (oci_resources_parse(json, sizeof(json) - 1, "docker", &parsed, &err) < 0)
		fail_msg("%s", err->msg);
	cg_resources_runc_view(parsed, &view);
	assert_false(view.cpu.present);
	assert_false(view.pids_present);
	assert_false(view.network.present);
	struct cg1_dirs none;
	for (int c = 0; c < CG_CTRL_COUNT; c++)
		none.fd[c] = -1;
	none.fd[CG_MEMORY] = m->fds[0];
	none.fd[CG_BLKIO] = m->fds[2];
	/* Only memory and blkio are there: nothing else may be asked for. */
	if (cg1_apply(&none, &view, &err) < 0)
		fail_msg("%s", err->msg);
	EXPECT(m->fds[0], "memory.limit_in_bytes", "134217728");
	const char *const untouched[] = {"memory.soft_limit_in_bytes",
					 "memory.memsw.limit_in_bytes", "memory.oom_control",
					 "memory.kmem.tcp.limit_in_bytes"};
	for (size_t i = 0; i < sizeof(untouched) / sizeof(*untouched); i++)
		EXPECT(m->fds[0], untouched[i], "");
	EXPECT(m->fds[2], "blkio.bfq.weight", "");
	EXPECT(m->fds[2], "blkio.bfq.weight_device", "");
	oci_resources_free(parsed);
}

static void test_missing_controller(void **state)
{
	struct mocks *m = *state;
	struct cg1_dirs none;
	for (int c = 0; c < CG_CTRL_COUNT; c++)
		none.fd[c] = -1;
	struct oci_resources r = {.pids_limit = {true, 5}};
	struct husk_err *err = NULL;
	assert_int_not_equal(cg1_apply(&none, &r, &err), 0);
	assert_int_equal(err->errnum, ENOTSUP);
	assert_non_null(strstr(err->msg, "pids"));
	husk_err_free(&err);
	/* nothing set: nothing needed, nothing written */
	r = (struct oci_resources){0};
	assert_int_equal(cg1_apply(&none, &r, &err), 0);
	(void)m;
}

UNIT_MAIN(NULL, NULL, cmocka_unit_test_setup_teardown(test_memory, setup, teardown),
	  cmocka_unit_test_setup_teardown(test_cpu, setup, teardown),
	  cmocka_unit_test_setup_teardown(test_blkio, setup, teardown),
	  cmocka_unit_test_setup_teardown(test_net_hugetlb_pids, setup, teardown),
	  cmocka_unit_test_setup_teardown(test_missing_controller, setup, teardown),
	  cmocka_unit_test_setup_teardown(test_docker_zeros, setup, teardown))
