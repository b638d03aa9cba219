/* The cgroup v2 resource writer, file by file.
 *
 * MOCK: this host's only cgroup2 mount carries hugetlb alone, so memory.*,
 * cpu.*, cpuset.*, pids.*, io.* and rdma.* cannot be written for real here.
 * These tests point the v2 writer at a temp dir of empty files standing in for
 * a container's cgroup2 directory (tests/unit/helpers/cgroup_mock.c) and check
 * the exact file and value the kernel would receive.  What the kernel does
 * with them is covered on real hardware only for hugetlb and the core files
 * (test_cgroups_unified.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "tests/unit/helpers/unit_main.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroups/internal.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "tests/unit/helpers/cgroup_mock.h"

static const char *const knobs[] = {
    "memory.max",      "memory.swap.max",  "memory.low",  "memory.high",
    "memory.current",  "memory.oom.group", "cpu.weight",  "cpu.max",
    "cpu.max.burst",   "cpu.idle",	   "cpuset.cpus", "cpuset.mems",
    "pids.max",	       "io.weight",	   "io.max",	  "hugetlb.2MB.max",
    "hugetlb.1GB.max", "rdma.max",	   NULL,
};

struct mock {
	char dir[128];
	int fd;
};

static int setup(void **state)
{
	struct mock *m = calloc(1, sizeof(*m));
	m->fd = cgmock_open(m->dir, sizeof(m->dir), knobs);
	if (m->fd < 0)
		return -1;
	*state = m;
	return 0;
}

static int teardown(void **state)
{
	struct mock *m = *state;
	cgmock_close(m->fd, m->dir, knobs);
	free(m);
	return 0;
}

#define EXPECT(file, want)                                                                         \
	do {                                                                                       \
		cleanup_free char *got_ = cgmock_get(m->fd, file);                                 \
		assert_non_null(got_);                                                             \
		assert_string_equal(got_, want);                                                   \
	} while (0)

static void apply_ok(struct mock *m, const struct oci_resources *r)
{
	struct husk_err *err = NULL;
	if (cg2_apply(m->fd, r, &err) < 0)
		fail_msg("%s", err->msg);
}

static void test_memory(void **state)
{
	struct mock *m = *state;
	struct oci_resources r = {0};
	r.memory.present = true;
	r.memory.limit = (oci_opt_i64){true, 100 << 20};
	r.memory.swap = (oci_opt_i64){true, 300 << 20};
	r.memory.reservation = (oci_opt_i64){true, 50 << 20};
	r.memory.swappiness = (oci_opt_u64){true, 10}; /* no v2 knob: ignored */
	apply_ok(m, &r);
	EXPECT("memory.max", "104857600");
	EXPECT("memory.swap.max", "209715200"); /* OCI swap is memory+swap */
	EXPECT("memory.low", "52428800");
	EXPECT("memory.high", "");

	cgmock_reset(m->fd, knobs);
	r = (struct oci_resources){0};
	r.memory.present = true;
	r.memory.limit = (oci_opt_i64){true, -1};
	apply_ok(m, &r);
	EXPECT("memory.max", "max");
	EXPECT("memory.swap.max", "max"); /* unlimited memory, swap unset: both */
	EXPECT("memory.low", "");

	/* swap below the limit, or swap without a limit, is an error */
	struct husk_err *err = NULL;
	r.memory.limit = (oci_opt_i64){true, 100 << 20};
	r.memory.swap = (oci_opt_i64){true, 50 << 20};
	assert_int_not_equal(cg2_apply(m->fd, &r, &err), 0);
	assert_int_equal(err->errnum, EINVAL);
	husk_err_free(&err);
	r.memory.limit.set = false;
	assert_int_not_equal(cg2_apply(m->fd, &r, &err), 0);
	husk_err_free(&err);
}

static void test_memory_check_before_update(void **state)
{
	struct mock *m = *state;
	struct husk_err *err = NULL;
	assert_int_equal(cg_write(m->fd, "memory.current", "2000000", &err), 0);
	struct oci_resources r = {0};
	r.memory.present = true;
	r.memory.limit = (oci_opt_i64){true, 1000000};
	r.memory.check_before_update = (oci_opt_bool){true, true};
	assert_int_not_equal(cg2_apply(m->fd, &r, &err), 0);
	assert_int_equal(err->errnum, EBUSY);
	husk_err_free(&err);
	EXPECT("memory.max", "");
	r.memory.limit.v = 3000000;
	apply_ok(m, &r);
	EXPECT("memory.max", "3000000");
}

static void test_cpu(void **state)
{
	struct mock *m = *state;
	struct oci_resources r = {0};
	r.cpu.present = true;
	r.cpu.shares = (oci_opt_u64){true, 1024};
	r.cpu.quota = (oci_opt_i64){true, 50000};
	r.cpu.period = (oci_opt_u64){true, 100000};
	r.cpu.burst = (oci_opt_u64){true, 1000};
	r.cpu.idle = (oci_opt_i64){true, 1};
	r.cpu.cpus = (char *)"0-1";
	r.cpu.mems = (char *)"0";
	apply_ok(m, &r);
	EXPECT("cpu.weight", "39"); /* 1 + (1024-2)*9999/262142 */
	EXPECT("cpu.max", "50000 100000");
	EXPECT("cpu.max.burst", "1000");
	EXPECT("cpu.idle", "1");
	EXPECT("cpuset.cpus", "0-1");
	EXPECT("cpuset.mems", "0");

	/* quota -1: unlimited; period alone keeps the current quota */
	cgmock_reset(m->fd, knobs);
	r = (struct oci_resources){0};
	r.cpu.present = true;
	r.cpu.quota = (oci_opt_i64){true, -1};
	apply_ok(m, &r);
	EXPECT("cpu.max", "max");
	EXPECT("cpu.weight", "");
	struct husk_err *err = NULL;
	assert_int_equal(cg_write(m->fd, "cpu.max", "20000 100000", &err), 0);
	r.cpu.quota.set = false;
	r.cpu.period = (oci_opt_u64){true, 250000};
	apply_ok(m, &r);
	EXPECT("cpu.max", "20000 250000");

	/* realtime has no v2 knob: an error, not a silent drop */
	r = (struct oci_resources){0};
	r.cpu.present = true;
	r.cpu.realtime_runtime = (oci_opt_i64){true, 1000};
	assert_int_not_equal(cg2_apply(m->fd, &r, &err), 0);
	assert_int_equal(err->errnum, ENOTSUP);
	husk_err_free(&err);
}

static void test_conversions(void **state)
{
	assert_int_equal(cg2_shares_to_weight(2), 1);
	assert_int_equal(cg2_shares_to_weight(262144), 10000);
	assert_int_equal(cg2_shares_to_weight(1024), 39);
	assert_int_equal(cg2_shares_to_weight(0), 0);
	assert_int_equal(cg2_blkio_to_io_weight(10), 1);
	assert_int_equal(cg2_blkio_to_io_weight(1000), 10000);
	assert_int_equal(cg2_blkio_to_io_weight(500), 4950);
}

static void test_pids(void **state)
{
	struct mock *m = *state;
	struct oci_resources r = {.pids_present = true, .pids_limit = {true, 1}};
	apply_ok(m, &r);
	EXPECT("pids.max", "1");
	r.pids_limit.v = -1;
	cgmock_reset(m->fd, knobs);
	apply_ok(m, &r);
	EXPECT("pids.max", "max");
}

static void test_io(void **state)
{
	struct mock *m = *state;
	struct oci_resources r = {0};
	r.block_io.present = true;
	r.block_io.weight = (oci_opt_u64){true, 500};
	apply_ok(m, &r); /* no io.bfq.weight in the mock: io.weight, converted */
	EXPECT("io.weight", "default 4950");
	struct oci_throttle_device rbps = {8, 0, 1048576};
	r = (struct oci_resources){0};
	r.block_io.present = true;
	r.block_io.throttle_read_bps = (struct oci_throttle_list){&rbps, 1};
	cgmock_reset(m->fd, knobs);
	apply_ok(m, &r);
	EXPECT("io.max", "8:0 rbps=1048576");
	struct oci_throttle_device wiops = {259, 1, 0};
	r.block_io.throttle_read_bps.n = 0;
	r.block_io.throttle_write_iops = (struct oci_throttle_list){&wiops, 1};
	cgmock_reset(m->fd, knobs);
	apply_ok(m, &r);
	EXPECT("io.max", "259:1 wiops=max"); /* 0 lifts the limit */
}

static void test_hugetlb_rdma(void **state)
{
	struct mock *m = *state;
	struct oci_hugepage_limit hl[] = {{(char *)"1GB", 1ULL << 30}};
	struct oci_rdma rd[] = {{(char *)"mlx5_0", {true, 3}, {false, 0}}};
	struct oci_resources r = {
	    .hugepage_limits = hl, .n_hugepage_limits = 1, .rdma = rd, .n_rdma = 1};
	apply_ok(m, &r);
	EXPECT("hugetlb.1GB.max", "1073741824");
	EXPECT("hugetlb.2MB.max", "");
	EXPECT("rdma.max", "mlx5_0 hca_handle=3 hca_object=max");
}

static void test_unified(void **state)
{
	struct mock *m = *state;
	struct oci_kv kv[] = {{(char *)"memory.high", (char *)"123456"},
			      {(char *)"memory.oom.group", (char *)"1"}};
	struct oci_resources r = {0};
	r.memory.present = true;
	r.memory.limit = (oci_opt_i64){true, 1000};
	r.unified = (oci_kvv){kv, 2};
	apply_ok(m, &r);
	EXPECT("memory.high", "123456");
	EXPECT("memory.oom.group", "1");
	EXPECT("memory.max", "1000");
	/* unified keys win over converted values: written last */
	struct oci_kv over[] = {{(char *)"memory.max", (char *)"2000"}};
	r.unified = (oci_kvv){over, 1};
	apply_ok(m, &r);
	EXPECT("memory.max", "2000");

	struct husk_err *err = NULL;
	const char *bad[] = {"../escape.x", "cgroup.procs",	      "nodot",	    ".hidden",
			     "a/b.c",	    "cgroup.subtree_control", "cgroup.kill"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct oci_kv b[] = {{(char *)bad[i], (char *)"1"}};
		r = (struct oci_resources){.unified = {b, 1}};
		assert_int_not_equal(cg2_apply(m->fd, &r, &err), 0);
		assert_non_null(strstr(err->msg, bad[i]));
		husk_err_free(&err);
	}
	/* a knob that does not exist (controller not enabled) says so */
	struct oci_kv missing[] = {{(char *)"io.latency", (char *)"8:0 target=10"}};
	r = (struct oci_resources){.unified = {missing, 1}};
	assert_int_not_equal(cg2_apply(m->fd, &r, &err), 0);
	assert_non_null(strstr(err->msg, "io.latency"));
	assert_int_equal(err->errnum, ENOENT);
	husk_err_free(&err);
}

static void test_only_set_fields(void **state)
{
	struct mock *m = *state;
	struct oci_resources r = {0};
	r.memory.present = true; /* present but nothing set */
	r.cpu.present = true;
	apply_ok(m, &r);
	for (size_t i = 0; knobs[i]; i++) {
		cleanup_free char *v = cgmock_get(m->fd, knobs[i]);
		assert_string_equal(v, "");
	}
}

static void test_needed_controllers(void **state)
{
	struct oci_kv kv[] = {{(char *)"io.latency", (char *)"x"},
			      {(char *)"cgroup.max.depth", (char *)"3"},
			      {(char *)"memory.high", (char *)"1"}};
	struct oci_resources r = {0};
	r.memory.present = true;
	r.memory.limit = (oci_opt_i64){true, 1};
	r.pids_limit = (oci_opt_i64){true, 3};
	r.unified = (oci_kvv){kv, 3};
	cleanup_free char *c = cg2_needed_controllers(&r);
	assert_string_equal(c, "memory pids io");
}

/* Nested cgroups get the controllers in every ancestor's subtree_control,
 * root first, never in the leaf's own (the leaf holds the processes). */
static void test_enable_controllers(void **state)
{
	static const char *const files[] = {"cgroup.subtree_control", "a/cgroup.subtree_control",
					    "a/b/cgroup.subtree_control",
					    "a/b/leaf/cgroup.subtree_control", NULL};
	char dir[128];
	snprintf(dir, sizeof(dir), "/tmp/husk-cgtest-%d-tree.XXXXXX", (int)getpid());
	assert_non_null(mkdtemp(dir));
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct husk_err *err = NULL;
	assert_int_equal(mkdir_p_at(fd, "a/b/leaf", 0755, &err), 0);
	for (size_t i = 0; files[i]; i++)
		close(openat(fd, files[i], O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
	assert_int_equal(cg2_enable_controllers(fd, "/a/b/leaf", "memory pids", &err), 0);
	for (size_t i = 0; i < 3; i++) {
		cleanup_free char *v = cgmock_get(fd, files[i]);
		assert_string_equal(v, "+memory +pids");
	}
	cleanup_free char *leaf = cgmock_get(fd, files[3]);
	assert_string_equal(leaf, "");
	for (size_t i = 4; i-- > 0;)
		unlinkat(fd, files[i], 0);
	unlinkat(fd, "a/b/leaf", AT_REMOVEDIR);
	unlinkat(fd, "a/b", AT_REMOVEDIR);
	unlinkat(fd, "a", AT_REMOVEDIR);
	close(fd);
	rmdir(dir);
}

/* Docker's create sends "blockIO": {"weight": 0} and "cpu": {"shares": 0};
 * through runc's view of zeros nothing but the memory limit is written, and
 * the controllers asked for are memory alone. */
static void test_docker_zeros(void **state)
{
	struct mock *m = *state;
	static const char json[] =
	    "{\"memory\":{\"limit\":134217728,\"reservation\":0,\"swap\":0},"
	    "\"cpu\":{\"shares\":0,\"quota\":0,\"period\":0},\"blockIO\":{\"weight\":0},"
	    "\"pids\":{\"limit\":0}}";
	struct oci_resources *parsed = NULL, view;
	struct husk_err *err = NULL;
	if (oci_resources_parse(json, sizeof(json) - 1, "docker", &parsed, &err) < 0)
		fail_msg("%s", err->msg);
	cg_resources_runc_view(parsed, &view);
	cleanup_free char *ctrls = cg2_needed_controllers(&view);
	assert_string_equal(ctrls, "memory");
	apply_ok(m, &view);
	EXPECT("memory.max", "134217728");
	static const char *const untouched[] = {"memory.low", "memory.swap.max", "cpu.weight",
						"cpu.max",    "io.weight",	 "pids.max"};
	for (size_t i = 0; i < ARRAY_SIZE(untouched); i++)
		EXPECT(untouched[i], "");
	oci_resources_free(parsed);
}

UNIT_MAIN(NULL, NULL, cmocka_unit_test_setup_teardown(test_memory, setup, teardown),
	  cmocka_unit_test_setup_teardown(test_memory_check_before_update, setup, teardown),
	  cmocka_unit_test_setup_teardown(test_cpu, setup, teardown),
	  cmocka_unit_test(test_conversions),
	  cmocka_unit_test_setup_teardown(test_pids, setup, teardown),
	  cmocka_unit_test_setup_teardown(test_io, setup, teardown),
	  cmocka_unit_test_setup_teardown(test_hugetlb_rdma, setup, teardown),
	  cmocka_unit_test_setup_teardown(test_unified, setup, teardown),
	  cmocka_unit_test_setup_teardown(test_only_set_fields, setup, teardown),
	  cmocka_unit_test(test_needed_controllers),
	  cmocka_unit_test_setup_teardown(test_docker_zeros, setup, teardown),
	  cmocka_unit_test(test_enable_controllers))
