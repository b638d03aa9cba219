/* The cgroup manager against this host's real cgroupfs: hybrid (v1 controllers
 * plus the unified mount), or legacy when run under a v1-only view of
 * /sys/fs/cgroup (tests/bats/cgroups_legacy.bats does that).  Forked children stand in for a
 * container's init. Every cgroup is named husk-cgtest-<pid>-... and removed; a final test checks
 * that nothing with this pid is left anywhere under /sys/fs/cgroup. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "tests/unit/helpers/unit_main.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sched.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroups/internal.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "tests/unit/helpers/cgroup_live.h"

static char parent[64]; /* /husk-cgtest-PID */

static enum cgroup_mode mode;

static bool is_root_v1(void)
{
	struct husk_err *err = NULL;
	if (geteuid() != 0 || cgroup_detect_mode(&mode, &err) < 0) {
		husk_err_free(&err);
		return false;
	}
	return mode == CGROUP_MODE_HYBRID || mode == CGROUP_MODE_LEGACY;
}

#define REQUIRE_V1()                                                                               \
	do {                                                                                       \
		if (!is_root_v1()) {                                                               \
			fprintf(stderr, "# skip: needs root on a hybrid or v1 cgroup host\n");     \
			skip();                                                                    \
		}                                                                                  \
	} while (0)

/* A child that blocks until told to exit (or killed). */
struct kid {
	pid_t pid;
	int ctl; /* write end: closing it lets the child exit */
};

static struct kid spawn_kid(void)
{
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[1]);
		char c;
		while (read(p[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(p[0]);
	return (struct kid){pid, p[1]};
}

static bool dir_exists(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static const char *const v1_dirs[] = {"memory", "cpu",	   "cpuacct", "cpuset", "pids",
				      "blkio",	"devices", "freezer", "systemd"};

/* A manager for PARENT/LEAF with a fresh kid in it. */
static struct cgroup_manager *make_entered(const char *leaf, struct kid *k)
{
	struct cgroup_manager *cm = cglive_make(parent, leaf, NULL);
	struct husk_err *err = NULL;
	*k = spawn_kid();
	if (cgroup_enter(cm, k->pid, &err) < 0)
		fail_msg("enter %s: %s", leaf, err->msg);
	return cm;
}

/* Reap a kid that was killed or told to exit. */
static void kid_end(struct kid *k)
{
	cglive_reap(k->pid);
	close(k->ctl);
}

static void test_create_enter_destroy(void **state)
{
	REQUIRE_V1();
	struct cgroup_manager *cm = cglive_make(parent, "basic", NULL);
	struct husk_err *err = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(v1_dirs); i++) {
		cleanup_free char *d = xasprintf("/sys/fs/cgroup/%s%s/basic", v1_dirs[i], parent);
		assert_true(dir_exists(d));
	}
	bool hybrid = mode == CGROUP_MODE_HYBRID;
	cleanup_free char *u = xasprintf("/sys/fs/cgroup/unified%s/basic", parent);
	assert_int_equal(dir_exists(u), hybrid);
	struct kid k = spawn_kid();
	assert_int_equal(cgroup_enter(cm, k.pid, &err), 0);
	/* The empty cpuset levels got their parent's cpus/mems, or no task could join. */
	cleanup_free char *cs = xasprintf("/sys/fs/cgroup/cpuset%s/basic", parent);
	cleanup_free char *cpus = cglive_read(cs, "cpuset.cpus");
	assert_non_null(cpus);
	assert_true(*cpus);
	/* The kernel's view: the child is in path in every hierarchy. */
	cleanup_free char *procf = xasprintf("/proc/%d/cgroup", k.pid);
	cleanup_free char *cg = NULL;
	assert_int_equal(read_file_at(AT_FDCWD, procf, &cg, NULL, &err), 0);
	cleanup_free char *want = xasprintf(":%s/basic\n", parent);
	int lines = 0;
	for (char *s = cg; (s = strstr(s, want)); s++)
		lines++;
	assert_int_equal(lines, (int)ARRAY_SIZE(v1_dirs) + hybrid);

	pid_t *pids = NULL;
	size_t n = 0;
	assert_int_equal(cgroup_pids(cm, &pids, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(pids[0], k.pid);
	free(pids);

	/* destroy of a live container kills it and removes every directory. */
	assert_int_equal(cgroup_destroy(cm, &err), 0);
	int st = cglive_reap(k.pid);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	close(k.ctl);
	for (size_t i = 0; i < ARRAY_SIZE(v1_dirs); i++) {
		cleanup_free char *d = xasprintf("/sys/fs/cgroup/%s%s/basic", v1_dirs[i], parent);
		assert_false(dir_exists(d));
	}
	assert_false(dir_exists(u));
	cgroup_manager_free(cm);
	assert_int_equal(cgroup_detect_mode(&mode, &err), 0);
}

static void test_serialize_load(void **state)
{
	REQUIRE_V1();
	struct cgroup_manager *cm = cglive_make(parent, "ser ialized", NULL);
	struct husk_err *err = NULL;
	cleanup_free char *s = cgroup_manager_serialize(cm);
	assert_null(strchr(s, '\n'));
	struct cgroup_manager *again = NULL;
	assert_int_equal(cgroup_manager_load(s, &again, &err), 0);
	cleanup_free char *s2 = cgroup_manager_serialize(again);
	assert_string_equal(s, s2);
	assert_string_equal(again->path, cm->path);
	assert_int_equal(again->n, cm->n);
	assert_int_equal(again->mode, mode);
	/* The loaded manager drives the same cgroups. */
	struct kid k = spawn_kid();
	assert_int_equal(cgroup_enter(again, k.pid, &err), 0);
	pid_t *pids = NULL;
	size_t n = 0;
	assert_int_equal(cgroup_pids(cm, &pids, &n, &err), 0);
	assert_int_equal(n, 1);
	free(pids);
	assert_int_equal(cgroup_kill_all(again, SIGKILL, &err), 0);
	int st = cglive_reap(k.pid);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	close(k.ctl);
	assert_int_equal(cgroup_destroy(again, &err), 0);
	cgroup_manager_free(again);
	cgroup_manager_free(cm);

	assert_int_not_equal(cgroup_manager_load("garbage", &again, &err), 0);
	assert_non_null(err);
	husk_err_free(&err);
	assert_int_not_equal(cgroup_manager_load("husk-cgroup/1 weird /r /p a", &again, &err), 0);
	husk_err_free(&err);
}

static void test_freeze_thaw(void **state)
{
	REQUIRE_V1();
	struct kid k;
	struct cgroup_manager *cm = make_entered("freeze", &k);
	struct husk_err *err = NULL;
	assert_false(cgroup_is_frozen(cm));
	assert_int_equal(cgroup_freeze(cm, true, &err), 0);
	cleanup_free char *fz = xasprintf("/sys/fs/cgroup/freezer%s/freeze", parent);
	cleanup_free char *st1 = cglive_read(fz, "freezer.state");
	assert_string_equal(st1, "FROZEN");
	assert_true(cgroup_is_frozen(cm));
	assert_int_equal(cgroup_freeze(cm, false, &err), 0);
	cleanup_free char *st2 = cglive_read(fz, "freezer.state");
	assert_string_equal(st2, "THAWED");
	assert_false(cgroup_is_frozen(cm));

	/* A frozen container still dies on delete --force (kill, then thaw). */
	assert_int_equal(cgroup_freeze(cm, true, &err), 0);
	assert_int_equal(cgroup_destroy(cm, &err), 0);
	int st = cglive_reap(k.pid);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	close(k.ctl);
	assert_false(dir_exists(fz));
	cgroup_manager_free(cm);
}

static void test_kill_all_other_signal(void **state)
{
	REQUIRE_V1();
	/* The kids fork before the manager exists: a forked child exits with a
	 * leak check under valgrind, and in it the parent's cm is unreachable. */
	struct kid a = spawn_kid(), b = spawn_kid();
	struct cgroup_manager *cm = cglive_make(parent, "sigterm", NULL);
	struct husk_err *err = NULL;
	assert_int_equal(cgroup_enter(cm, a.pid, &err), 0);
	assert_int_equal(cgroup_enter(cm, b.pid, &err), 0);
	assert_int_equal(cgroup_kill_all(cm, SIGTERM, &err), 0);
	int st = cglive_reap(a.pid);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
	st = cglive_reap(b.pid);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
	close(a.ctl);
	close(b.ctl);
	/* the freeze around the signal was undone */
	assert_false(cgroup_is_frozen(cm));
	assert_int_equal(cgroup_destroy(cm, &err), 0);
	cgroup_manager_free(cm);
}

static void test_busy_leaf_refused(void **state)
{
	REQUIRE_V1();
	struct kid k;
	struct cgroup_manager *cm = make_entered("busy", &k);
	struct husk_err *err = NULL;
	cleanup_free char *path = xasprintf("%s/busy", parent);
	struct cgroup_manager *cm2 = NULL;
	assert_int_not_equal(cgroup_manager_create(NULL, path, false, &cm2, &err), 0);
	assert_int_equal(err->errnum, EBUSY);
	husk_err_free(&err);
	/* The refused create left the first container's dirs alone. */
	cleanup_free char *d = xasprintf("/sys/fs/cgroup/memory%s/busy", parent);
	assert_true(dir_exists(d));
	assert_int_equal(cgroup_destroy(cm, &err), 0);
	kid_end(&k);
	cgroup_manager_free(cm);
}

/* A create that fails half-way removes what it made, and only that. */
static void test_failed_create_leaks_nothing(void **state)
{
	REQUIRE_V1();
	struct husk_err *err = NULL;
	/* Someone else's busy cgroup in the freezer hierarchy only. */
	cleanup_free char *fzp = xasprintf("/sys/fs/cgroup/freezer%s", parent);
	cleanup_free char *fz = xasprintf("%s/partial", fzp);
	assert_int_equal(mkdir_p_at(AT_FDCWD, fz, 0755, &err), 0);
	struct kid k = spawn_kid();
	cleanup_free char *procs = xasprintf("%s/cgroup.procs", fz);
	char pid[16];
	snprintf(pid, sizeof(pid), "%d", k.pid);
	assert_int_equal(write_string_at(AT_FDCWD, procs, pid, &err), 0);

	cleanup_free char *path = xasprintf("%s/partial", parent);
	struct cgroup_manager *cm = NULL;
	assert_int_not_equal(cgroup_manager_create(NULL, path, false, &cm, &err), 0);
	assert_int_equal(err->errnum, EBUSY);
	husk_err_free(&err);
	assert_null(cm);
	for (size_t i = 0; i < ARRAY_SIZE(v1_dirs); i++) {
		cleanup_free char *d = xasprintf("/sys/fs/cgroup/%s%s/partial", v1_dirs[i], parent);
		assert_int_equal(dir_exists(d), strcmp(v1_dirs[i], "freezer") == 0);
	}
	cleanup_free char *u = xasprintf("/sys/fs/cgroup/unified%s/partial", parent);
	assert_false(dir_exists(u));
	kill(k.pid, SIGKILL);
	kid_end(&k);
	assert_int_equal(rmdir(fz), 0);
}

static void test_apply_v1(void **state)
{
	REQUIRE_V1();
	struct cgroup_manager *cm = cglive_make(parent, "apply", NULL);
	struct husk_err *err = NULL;
	struct oci_resources r = {0};
	r.memory.present = true;
	r.memory.limit = (oci_opt_i64){true, 64 << 20};
	r.memory.swap = (oci_opt_i64){true, 128 << 20};
	r.cpu.present = true;
	r.cpu.shares = (oci_opt_u64){true, 512};
	r.cpu.quota = (oci_opt_i64){true, 50000};
	r.cpu.period = (oci_opt_u64){true, 200000};
	r.cpu.cpus = (char *)"0";
	r.pids_limit = (oci_opt_i64){true, 42};
	r.pids_present = true;
	struct oci_device_cgroup devs[] = {{.allow = false, .access = (char *)"rwm"}};
	r.devices = devs;
	r.n_devices = 1;
	if (cgroup_apply(cm, &r, &err) < 0)
		fail_msg("%s", err->msg);
	char buf[128];
#define CHECK(ctl, file, want)                                                                     \
	do {                                                                                       \
		snprintf(buf, sizeof(buf), "/sys/fs/cgroup/%s%s/apply", ctl, parent);              \
		cleanup_free char *v = cglive_read(buf, file);                                     \
		assert_non_null(v);                                                                \
		assert_string_equal(v, want);                                                      \
	} while (0)
	CHECK("memory", "memory.limit_in_bytes", "67108864");
	CHECK("memory", "memory.memsw.limit_in_bytes", "134217728");
	CHECK("cpu", "cpu.shares", "512");
	CHECK("cpu", "cpu.cfs_quota_us", "50000");
	CHECK("cpu", "cpu.cfs_period_us", "200000");
	CHECK("cpuset", "cpuset.cpus", "0");
	CHECK("pids", "pids.max", "42");
	/* deny all, then runc's default allow list */
	snprintf(buf, sizeof(buf), "/sys/fs/cgroup/devices%s/apply", parent);
	cleanup_free char *list = cglive_read(buf, "devices.list");
	assert_non_null(strstr(list, "c 1:3 rwm"));
	assert_non_null(strstr(list, "c 136:* rwm"));
	assert_null(strstr(list, "a *:* rwm"));

	/* update: lower memory below memsw, then raise both (ordering). */
	struct oci_resources u = {0};
	u.memory.present = true;
	u.memory.limit = (oci_opt_i64){true, 256 << 20};
	u.memory.swap = (oci_opt_i64){true, 512 << 20};
	if (cgroup_apply(cm, &u, &err) < 0)
		fail_msg("%s", err->msg);
	CHECK("memory", "memory.limit_in_bytes", "268435456");
	CHECK("memory", "memory.memsw.limit_in_bytes", "536870912");
	u.memory.limit.v = 32 << 20;
	u.memory.swap.v = 48 << 20;
	if (cgroup_apply(cm, &u, &err) < 0)
		fail_msg("%s", err->msg);
	CHECK("memory", "memory.limit_in_bytes", "33554432");
	CHECK("memory", "memory.memsw.limit_in_bytes", "50331648");
	/* fields not set are left alone */
	CHECK("pids", "pids.max", "42");
	u = (struct oci_resources){0};
	u.pids_limit = (oci_opt_i64){true, -1};
	assert_int_equal(cgroup_apply(cm, &u, &err), 0);
	CHECK("pids", "pids.max", "max");
	CHECK("cpu", "cpu.shares", "512");
#undef CHECK
	assert_int_equal(cgroup_destroy(cm, &err), 0);
	cgroup_manager_free(cm);
}

/* A child that waits for a byte, then runs fn and exits with its result. */
static pid_t spawn_gated(int *gate, int (*fn)(void))
{
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[1]);
		char c;
		if (read(p[0], &c, 1) != 1)
			_exit(99);
		_exit(fn());
	}
	close(p[0]);
	*gate = p[1];
	return pid;
}

static int eat_memory(void)
{
	/* Touch 64 MiB, far past the 16 MiB limit. */
	for (int i = 0; i < 64; i++) {
		char *m = malloc(1 << 20);
		if (!m)
			return 2;
		memset(m, i + 1, 1 << 20);
	}
	return 0;
}

static void test_memory_limit_oom(void **state)
{
	REQUIRE_V1();
	struct cgroup_manager *cm = cglive_make(parent, "oom", NULL);
	struct husk_err *err = NULL;
	struct oci_resources r = {0};
	r.memory.present = true;
	r.memory.limit = (oci_opt_i64){true, 16 << 20};
	r.memory.swap = (oci_opt_i64){true, 16 << 20}; /* no swap to escape to */
	if (cgroup_apply(cm, &r, &err) < 0)
		fail_msg("%s", err->msg);
	struct cgroup_oom_watch *w = NULL;
	if (cgroup_oom_watch_open(cm, &w, &err) < 0)
		fail_msg("%s", err->msg);
	int gate;
	pid_t pid = spawn_gated(&gate, eat_memory);
	assert_int_equal(cgroup_enter(cm, pid, &err), 0);
	assert_int_equal(write(gate, "x", 1), 1);
	int st = cglive_reap(pid);
	close(gate);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGKILL);
	short ev;
	struct pollfd pfd = {.fd = cgroup_oom_watch_fd(w, &ev)};
	pfd.events = ev;
	assert_int_equal(poll(&pfd, 1, 5000), 1);
	uint64_t n = 0;
	assert_int_equal(cgroup_oom_watch_check(w, &n, &err), 0);
	assert_true(n >= 1);
	struct cgroup_stats s;
	assert_int_equal(cgroup_stats(cm, &s, &err), 0);
	assert_true(s.oom_kill >= 1);
	assert_int_equal(s.mem.limit, 16 << 20);
	/* the peak reached the limit (failcnt stays 0 on this kernel) */
	assert_true(s.mem.max > (15 << 20) && s.mem.max <= (16 << 20));
	assert_true(s.n_mem_raw > 10);
	cgroup_stats_free(&s);
	assert_int_equal(cgroup_destroy(cm, &err), 0);
	/* removal wakes the watch, which then reports the cgroup gone */
	assert_int_equal(poll(&pfd, 1, 5000), 1);
	assert_int_not_equal(cgroup_oom_watch_check(w, &n, &err), 0);
	assert_int_equal(err->errnum, ENOENT);
	husk_err_free(&err);
	cgroup_oom_watch_free(w);
	cgroup_manager_free(cm);
}

static int fork_bomb(void)
{
	/* Fork until refused; report how many children we got (they pause). */
	int made = 0;
	for (int i = 0; i < 64; i++) {
		pid_t p = fork();
		if (p < 0)
			return errno == EAGAIN ? made : 100;
		if (p == 0) {
			pause();
			_exit(0);
		}
		made++;
	}
	return 101;
}

static void test_pids_limit_bites(void **state)
{
	REQUIRE_V1();
	struct cgroup_manager *cm = cglive_make(parent, "forkbomb", NULL);
	struct husk_err *err = NULL;
	struct oci_resources r = {.pids_present = true, .pids_limit = {true, 8}};
	if (cgroup_apply(cm, &r, &err) < 0)
		fail_msg("%s", err->msg);
	int gate;
	pid_t pid = spawn_gated(&gate, fork_bomb);
	assert_int_equal(cgroup_enter(cm, pid, &err), 0);
	assert_int_equal(write(gate, "x", 1), 1);
	int st = cglive_reap(pid);
	close(gate);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 7); /* 8 = the bomb itself + 7 children */
	struct cgroup_stats s;
	assert_int_equal(cgroup_stats(cm, &s, &err), 0);
	assert_int_equal(s.pids_limit, 8);
	assert_int_equal(s.pids_current, 7); /* the orphans, still paused */
	cgroup_stats_free(&s);
	/* delete --force: the orphans die with the cgroup */
	assert_int_equal(cgroup_destroy(cm, &err), 0);
	cleanup_free char *d = xasprintf("/sys/fs/cgroup/pids%s/forkbomb", parent);
	assert_false(dir_exists(d));
	cgroup_manager_free(cm);
}

static void test_stats_cpu(void **state)
{
	REQUIRE_V1();
	struct kid k;
	struct cgroup_manager *cm = make_entered("stats", &k);
	struct husk_err *err = NULL;
	struct cgroup_stats s;
	assert_int_equal(cgroup_stats(cm, &s, &err), 0);
	assert_int_equal(s.pids_current, 1);
	assert_int_equal(s.n_percpu, (size_t)sysconf(_SC_NPROCESSORS_CONF));
	cgroup_stats_free(&s);
	assert_int_equal(cgroup_destroy(cm, &err), 0);
	kid_end(&k);
	/* stats of a removed cgroup is an error */
	assert_int_not_equal(cgroup_stats(cm, &s, &err), 0);
	husk_err_free(&err);
	cgroup_manager_free(cm);
}

/* The runtime's fast path: clone3 into the v2 cgroup, then the child joins the
 * v1 hierarchies itself.  The kernel's view must equal cgroup_enter's. */
static void test_clone_into_and_enter_self(void **state)
{
	REQUIRE_V1();
	struct cgroup_manager *cm = cglive_make(parent, "self", NULL);
	struct husk_err *err = NULL;
	int v2fd = cgroup_clone_fd(cm);
	assert_int_equal(v2fd >= 0, mode == CGROUP_MODE_HYBRID);
	int p[2], q[2];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(pipe2(q, O_CLOEXEC), 0);
	struct clone_args ca = {.exit_signal = SIGCHLD};
	if (v2fd >= 0) {
		ca.flags = CLONE_INTO_CGROUP;
		ca.cgroup = (uint64_t)v2fd;
	}
	pid_t pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
	if (pid < 0 && errno == ENOSYS) {
		/* valgrind 3.19 does not know clone3 */
		for (int i = 0; i < 2; i++) {
			close(p[i]);
			close(q[i]);
		}
		assert_int_equal(cgroup_destroy(cm, &err), 0);
		cgroup_manager_free(cm);
		print_message("# skip: clone3: ENOSYS (valgrind?)\n");
		skip();
	}
	assert_true(pid >= 0);
	if (pid == 0) {
		struct husk_err *e = NULL;
		unsigned long long t0 = now_ns();
		int r = cgroup_enter_self(cm, v2fd >= 0, &e);
		unsigned long long us = (now_ns() - t0) / 1000;
		if (write(p[1], &us, sizeof(us)) != sizeof(us))
			_exit(3);
		char c;
		if (read(q[0], &c, 1) < 0)
			_exit(4);
		_exit(r == 0 ? 0 : 2);
	}
	unsigned long long us = 0;
	assert_int_equal(read(p[0], &us, sizeof(us)), sizeof(us));
	printf("# enter_self took %llu us\n", us);
	cleanup_free char *procf = xasprintf("/proc/%d/cgroup", pid);
	cleanup_free char *cg = NULL;
	assert_int_equal(read_file_at(AT_FDCWD, procf, &cg, NULL, &err), 0);
	cleanup_free char *want = xasprintf(":%s/self\n", parent);
	int lines = 0;
	for (char *s = cg; (s = strstr(s, want)); s++)
		lines++;
	assert_int_equal(lines, (int)ARRAY_SIZE(v1_dirs) + (mode == CGROUP_MODE_HYBRID));
	assert_int_equal(write(q[1], "x", 1), 1);
	int st = cglive_reap(pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
	assert_int_equal(cgroup_destroy(cm, &err), 0);
	cgroup_manager_free(cm);
}

static void test_no_leftovers(void **state)
{
	REQUIRE_V1();
	struct husk_err *err = NULL;
	const char *all[ARRAY_SIZE(v1_dirs) + 1];
	memcpy(all, v1_dirs, sizeof(v1_dirs));
	all[ARRAY_SIZE(v1_dirs)] = "unified";
	for (size_t i = 0; i < ARRAY_SIZE(all); i++) {
		cleanup_free char *d = xasprintf("/sys/fs/cgroup/%s%s", all[i], parent);
		/* only the shared parent may remain, and it must be empty */
		if (rmdir(d) < 0)
			assert_int_equal(errno, ENOENT);
	}
	cglive_assert_none_left();
	(void)err;
}

static int name_parent(void **state)
{
	snprintf(parent, sizeof(parent), "/husk-cgtest-%d", (int)getpid());
	if (is_root_v1())
		printf("# cgroup mode: %s\n", mode == CGROUP_MODE_LEGACY ? "legacy" : "hybrid");
	return 0;
}

UNIT_MAIN(name_parent, NULL, cmocka_unit_test(test_create_enter_destroy),
	  cmocka_unit_test(test_serialize_load), cmocka_unit_test(test_freeze_thaw),
	  cmocka_unit_test(test_kill_all_other_signal), cmocka_unit_test(test_busy_leaf_refused),
	  cmocka_unit_test(test_failed_create_leaks_nothing), cmocka_unit_test(test_apply_v1),
	  cmocka_unit_test(test_memory_limit_oom), cmocka_unit_test(test_pids_limit_bites),
	  cmocka_unit_test(test_stats_cpu), cmocka_unit_test(test_clone_into_and_enter_self),
	  cmocka_unit_test(test_no_leftovers))
