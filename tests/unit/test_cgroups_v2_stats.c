/* cgroup v2 statistics and OOM accounting, read from a mock tree.
 *
 * MOCK: the unified mount here has no memory, cpu, io or pids controller, so
 * cpu.stat, memory.*, io.stat and pids.* of a v2 cgroup cannot be read for
 * real.  A manager in unified mode is pointed at a temp dir laid out like a
 * cgroup2 mount (tests/unit/helpers/cgroup_mock.c) whose files hold what the
 * kernel would print; the test checks the mapping to runc's stats fields and
 * the oom_kill bookkeeping of the OOM watch.  The v1 equivalents run for real
 * in test_cgroups_manager.c. */
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
#include <sys/stat.h>
#include <unistd.h>

#include "cgroups/internal.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "tests/unit/helpers/cgroup_mock.h"

static const char *const root_files[] = {"cgroup.controllers", "cgroup.subtree_control", NULL};
static const char *const leaf_files[] = {"cgroup.procs",
					 "cpu.stat",
					 "memory.current",
					 "memory.max",
					 "memory.peak",
					 "memory.swap.current",
					 "memory.swap.max",
					 "memory.stat",
					 "memory.events",
					 "pids.current",
					 "pids.max",
					 "io.stat",
					 NULL};

struct fx {
	char root[128];
	int rootfd, leaffd;
	struct cgroup_manager *cm;
};

static void put(int fd, const char *file, const char *text)
{
	cleanup_fd int f = openat(fd, file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(f >= 0);
	assert_int_equal(write(f, text, strlen(text)), (ssize_t)strlen(text));
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	f->rootfd = cgmock_open(f->root, sizeof(f->root), root_files);
	if (f->rootfd < 0)
		return -1;
	struct husk_err *err = NULL;
	if (cgroup_manager_create_at(CGROUP_MODE_UNIFIED, f->root, "/ctr", &f->cm, &err) < 0) {
		fprintf(stderr, "%s\n", err->msg);
		return -1;
	}
	f->leaffd = openat(f->rootfd, "ctr", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (size_t i = 0; leaf_files[i]; i++)
		put(f->leaffd, leaf_files[i], "");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	for (size_t i = 0; leaf_files[i]; i++)
		unlinkat(f->leaffd, leaf_files[i], 0);
	close(f->leaffd);
	unlinkat(f->rootfd, "ctr", AT_REMOVEDIR);
	cgmock_close(f->rootfd, f->root, root_files);
	cgroup_manager_free(f->cm);
	free(f);
	return 0;
}

static void test_stats_mapping(void **state)
{
	struct fx *f = *state;
	put(f->leaffd, "cpu.stat",
	    "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 7\nnr_throttled 2\n"
	    "throttled_usec 30\n");
	put(f->leaffd, "memory.current", "4096\n");
	put(f->leaffd, "memory.max", "max\n");
	put(f->leaffd, "memory.peak", "8192\n");
	put(f->leaffd, "memory.swap.current", "0\n");
	put(f->leaffd, "memory.swap.max", "1048576\n");
	put(f->leaffd, "memory.stat", "anon 100\nfile 200\nkernel 300\n");
	put(f->leaffd, "memory.events", "low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\n");
	put(f->leaffd, "pids.current", "3\n");
	put(f->leaffd, "pids.max", "max\n");
	put(f->leaffd, "io.stat", "8:0 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=0 dios=0\n");
	struct cgroup_stats s;
	struct husk_err *err = NULL;
	assert_int_equal(cgroup_stats(f->cm, &s, &err), 0);
	assert_int_equal(s.cpu_total, 1500000);
	assert_int_equal(s.cpu_user, 1000000);
	assert_int_equal(s.cpu_kernel, 500000);
	assert_int_equal(s.periods, 7);
	assert_int_equal(s.throttled_periods, 2);
	assert_int_equal(s.throttled_time, 30000);
	assert_int_equal(s.mem.usage, 4096);
	assert_true(s.mem.limit == UINT64_MAX); /* "max", as runc reports it */
	assert_int_equal(s.mem.max, 8192);
	assert_int_equal(s.mem.failcnt, 4);
	assert_int_equal(s.swap.limit, 1048576);
	assert_int_equal(s.mem_cache, 200);
	assert_int_equal(s.n_mem_raw, 3);
	assert_string_equal(s.mem_raw[2].key, "kernel");
	assert_int_equal(s.mem_raw[2].value, 300);
	assert_int_equal(s.oom_kill, 1);
	assert_int_equal(s.pids_current, 3);
	assert_int_equal(s.pids_limit, 0); /* max */
	assert_int_equal(s.n_io_bytes, 2);
	assert_string_equal(s.io_bytes[1].op, "Write");
	assert_int_equal(s.io_bytes[1].value, 20);
	assert_int_equal(s.io_ops[0].value, 1);
	assert_int_equal(s.io_ops[0].major, 8);
	cgroup_stats_free(&s);
}

static void test_oom_watch_counts(void **state)
{
	struct fx *f = *state;
	put(f->leaffd, "memory.events", "oom 0\noom_kill 0\n");
	struct cgroup_oom_watch *w = NULL;
	struct husk_err *err = NULL;
	if (cgroup_oom_watch_open(f->cm, &w, &err) < 0)
		fail_msg("%s", err->msg);
	short ev;
	assert_true(cgroup_oom_watch_fd(w, &ev) >= 0);
	uint64_t n = 99;
	assert_int_equal(cgroup_oom_watch_check(w, &n, &err), 0);
	assert_int_equal(n, 0);
	put(f->leaffd, "memory.events", "oom 2\noom_kill 2\n");
	assert_int_equal(cgroup_oom_watch_check(w, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(cgroup_oom_watch_check(w, &n, &err), 0);
	assert_int_equal(n, 0);			/* counted once */
	unlinkat(f->leaffd, "cgroup.procs", 0); /* the cgroup is going away */
	assert_int_not_equal(cgroup_oom_watch_check(w, &n, &err), 0);
	assert_int_equal(err->errnum, ENOENT);
	husk_err_free(&err);
	cgroup_oom_watch_free(w);
}

UNIT_MAIN(NULL, NULL, cmocka_unit_test_setup_teardown(test_stats_mapping, setup, teardown),
	  cmocka_unit_test_setup_teardown(test_oom_watch_counts, setup, teardown))
