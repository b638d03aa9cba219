/* scheduler, ioPriority, personality, memoryPolicy, oomScoreAdj, LSM labels:
 * applied in a forked child and read back from the kernel. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "tests/unit/helpers/unit_main.h"

#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"
#include "helpers/security_child.h"
#include "runtime/process_security_internal.h"

struct sched_attr_t {
	uint32_t size, policy;
	uint64_t flags;
	int32_t nice;
	uint32_t priority;
	uint64_t runtime, deadline, period;
	uint32_t util_min, util_max;
};

/* Make openat2 fail with ENOSYS, as on kernels before 5.6 (and valgrind). */
static int without_openat2(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int r = ctx ? seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(openat2), 0) : -1;
	if (r == 0)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	return r;
}

static struct sec_result run(struct oci_config *c, void (*probe)(struct sec_result *, void *))
{
	struct sec_hooks h = {.probe = probe};
	struct sec_result r;
	sec_run_child(c, &h, &r);
	return r;
}

/* ---- scheduler ---------------------------------------------------------- */

static void probe_sched(struct sec_result *r, void *arg)
{
	struct sched_attr_t a = {0};
	r->extra[0] = syscall(SYS_sched_getattr, 0, &a, sizeof(a), 0);
	r->extra[1] = a.policy;
	r->extra[2] = a.nice;
	r->extra[3] = a.priority;
	r->extra[4] = (long)a.flags;
}

static void test_sched_batch_nice(void **state)
{
	struct oci_config *c = sec_new_cfg(0, 0);
	c->process.scheduler.present = true;
	c->process.scheduler.policy = sec_strdup("SCHED_BATCH");
	c->process.scheduler.nice = (oci_opt_i64){true, 7};
	c->process.scheduler.flags = sec_strv("SCHED_FLAG_RESET_ON_FORK", NULL);
	struct sec_result r = run(c, probe_sched);
	assert_int_equal(r.step, 0);
	assert_int_equal(r.extra[0], 0);
	assert_int_equal(r.extra[1], SCHED_BATCH);
	assert_int_equal(r.extra[2], 7);
	assert_true(r.extra[4] & 0x01);
}

static void test_sched_fifo_priority(void **state)
{
	struct oci_config *c = sec_new_cfg(0, 0);
	c->process.scheduler.present = true;
	c->process.scheduler.policy = sec_strdup("SCHED_FIFO");
	c->process.scheduler.priority = (oci_opt_i64){true, 3};
	struct sec_result r = run(c, probe_sched);
	assert_int_equal(r.step, 0);
	assert_int_equal(r.extra[1], SCHED_FIFO);
	assert_int_equal(r.extra[3], 3);
}

static void test_sched_invalid(void **state)
{
	struct oci_config *c = sec_new_cfg(0, 0);
	c->process.scheduler.present = true;
	c->process.scheduler.policy = sec_strdup("SCHED_TURBO");
	struct sec_result r = run(c, NULL);
	assert_int_equal(r.step, 1);
	assert_non_null(strstr(r.msg, "SCHED_TURBO"));
	c->process.scheduler.policy = sec_strdup("SCHED_OTHER");
	c->process.scheduler.priority = (oci_opt_i64){true, 5};
	r = run(c, NULL);
	assert_int_equal(r.step, 1);
	assert_non_null(strstr(r.msg, "priority"));
	c->process.scheduler.priority.set = false;
	c->process.scheduler.nice = (oci_opt_i64){true, 40};
	r = run(c, NULL);
	assert_int_equal(r.step, 1);
	assert_non_null(strstr(r.msg, "nice"));
}

/* ---- ioPriority --------------------------------------------------------- */

static void probe_ioprio(struct sec_result *r, void *arg)
{
	r->extra[0] = syscall(SYS_ioprio_get, 1, 0);
}

static void test_ioprio(void **state)
{
	struct oci_config *c = sec_new_cfg(0, 0);
	c->process.io_priority.present = true;
	c->process.io_priority.klass = sec_strdup("IOPRIO_CLASS_IDLE");
	c->process.io_priority.priority = 5;
	struct sec_result r = run(c, probe_ioprio);
	assert_int_equal(r.step, 0);
	assert_int_equal(r.extra[0] >> 13, 3);
	c->process.io_priority.klass = sec_strdup("IOPRIO_CLASS_BE");
	c->process.io_priority.priority = 6;
	r = run(c, probe_ioprio);
	assert_int_equal(r.extra[0], (2 << 13) | 6);
	c->process.io_priority.klass = sec_strdup("IOPRIO_CLASS_MAGIC");
	r = run(c, NULL);
	assert_int_equal(r.step, 1);
	assert_non_null(strstr(r.msg, "IOPRIO_CLASS_MAGIC"));
}

/* ---- personality -------------------------------------------------------- */

static void probe_personality(struct sec_result *r, void *arg)
{
	r->extra[0] = personality(0xffffffff);
}

static void test_personality(void **state)
{
	struct oci_config *c = sec_new_cfg(0, 0);
	c->linux_.personality.present = true;
	c->linux_.personality.domain = sec_strdup("LINUX32");
	struct sec_result r = run(c, probe_personality);
	assert_int_equal(r.step, 0);
	assert_int_equal(r.extra[0] & PER_MASK, PER_LINUX32);
	c->linux_.personality.domain = sec_strdup("LINUX");
	r = run(c, probe_personality);
	assert_int_equal(r.extra[0] & PER_MASK, PER_LINUX);
	c->linux_.personality.domain = sec_strdup("BSD");
	r = run(c, NULL);
	assert_int_equal(r.step, 1);
	assert_non_null(strstr(r.msg, "BSD"));
}

/* ---- memoryPolicy ------------------------------------------------------- */

static void probe_mempolicy(struct sec_result *r, void *arg)
{
	int mode = -1;
	unsigned long mask[16] = {0};
	r->extra[0] = syscall(SYS_get_mempolicy, &mode, mask, 1024UL, NULL, 0UL);
	r->extra[1] = mode;
	r->extra[2] = (long)mask[0];
}

static void test_mempolicy(void **state)
{
	struct oci_config *c = sec_new_cfg(0, 0);
	c->linux_.memory_policy.present = true;
	c->linux_.memory_policy.mode = sec_strdup("MPOL_BIND");
	c->linux_.memory_policy.nodes = sec_strdup("0");
	c->linux_.memory_policy.flags = sec_strv("MPOL_F_STATIC_NODES", NULL);
	struct sec_result r = run(c, probe_mempolicy);
	assert_int_equal(r.step, 0);
	assert_int_equal(r.extra[0], 0);
	assert_int_equal(r.extra[1], 2 | (1 << 15)); /* MPOL_BIND | MPOL_F_STATIC_NODES */
	assert_int_equal(r.extra[2], 1);
	c->linux_.memory_policy.flags.n = 0;
	c->linux_.memory_policy.mode = sec_strdup("MPOL_INTERLEAVE");
	r = run(c, probe_mempolicy);
	assert_int_equal(r.step, 0);
	assert_int_equal(r.extra[1], 3);
}

static void test_mempolicy_invalid(void **state)
{
	struct oci_config *c = sec_new_cfg(0, 0);
	c->linux_.memory_policy.present = true;
	c->linux_.memory_policy.mode = sec_strdup("MPOL_BIND");
	c->linux_.memory_policy.nodes = sec_strdup("0-");
	struct sec_result r = run(c, NULL);
	assert_int_equal(r.step, 1);
	assert_non_null(strstr(r.msg, "nodes"));
	c->linux_.memory_policy.nodes = sec_strdup("");
	r = run(c, NULL);
	assert_int_equal(r.step, 1);
	c->linux_.memory_policy.mode = sec_strdup("MPOL_DEFAULT");
	c->linux_.memory_policy.nodes = sec_strdup("0");
	r = run(c, NULL);
	assert_int_equal(r.step, 1);
	c->linux_.memory_policy.mode = sec_strdup("MPOL_FAST");
	r = run(c, NULL);
	assert_int_equal(r.step, 1);
	assert_non_null(strstr(r.msg, "MPOL_FAST"));
}

/* ---- oomScoreAdj -------------------------------------------------------- */

static void probe_oom(struct sec_result *r, void *arg)
{
	char *s = NULL;
	size_t len;
	if (read_file_at(AT_FDCWD, "/proc/self/oom_score_adj", &s, &len, NULL) == 0)
		r->extra[0] = atol(s);
	free(s);
}

/* The fallback walk also does the ordinary job. */
static int oom_without_openat2_child(void)
{
	if (without_openat2() < 0)
		return 94;
	struct husk_err *err = NULL;
	if (proc_self_write("oom_score_adj", "123", &err) < 0)
		return 1;
	char *s = NULL;
	size_t len;
	if (read_file_at(AT_FDCWD, "/proc/self/oom_score_adj", &s, &len, NULL) < 0)
		return 2;
	return atoi(s) == 123 ? 0 : 3;
}

static void test_proc_write_without_openat2(void **state)
{
	SEC_SKIP_UNDER_VALGRIND("seccomp filters");
	pid_t pid = fork();
	if (pid == 0)
		_exit(oom_without_openat2_child());
	int st;
	waitpid(pid, &st, 0);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void test_oom_score_adj(void **state)
{
	struct oci_config *c = sec_new_cfg(1000, 1000);
	c->process.oom_score_adj = (oci_opt_i64){true, 345};
	struct sec_result r = run(c, probe_oom);
	assert_int_equal(r.step, 0);
	assert_int_equal(r.extra[0], 345);
	c->process.oom_score_adj.v = 1001;
	r = run(c, NULL);
	assert_int_equal(r.step, 1);
}

/* ---- verified procfs ---------------------------------------------------- */

/* A rootfs that puts a tmpfs (or a bind-mounted file) where procfs should be
 * must not receive husk's writes: they would silently not apply. */
static int fake_proc_child(int kind)
{
	signal(SIGABRT, SIG_DFL);
	if (kind >= 2) {
		if (without_openat2() < 0)
			return 94;
		kind -= 2;
	}
	if (unshare(CLONE_NEWNS) < 0 || mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0)
		return 90;
	if (kind == 0) {
		if (mount("tmpfs", "/proc", "tmpfs", 0, NULL) < 0)
			return 91;
		mkdir("/proc/self", 0755);
		if (write_file_atomic_at(AT_FDCWD, "/proc/self/oom_score_adj", "0", 1, 0644, NULL) < 0)
			return 92;
	} else {
		char target[64];
		snprintf(target, sizeof(target), "/proc/%d/oom_score_adj", getpid());
		if (mount("/dev/null", target, NULL, MS_BIND, NULL) < 0)
			return 93;
	}
	struct husk_err *err = NULL;
	int r = proc_self_write("oom_score_adj", "500", &err);
	if (r == 0)
		return 1;
	fprintf(stderr, "# refused: %s\n", err->msg);
	return err->errnum == EXDEV ? 0 : 2;
}

static void test_proc_writes_need_real_procfs(void **state)
{
	SEC_SKIP_UNDER_VALGRIND("it has no openat2 and rewrites /proc/self opens");
	/* 0: tmpfs on /proc, 1: a file bind-mounted over the target; 2, 3: the same
	 * without openat2 (the fallback walk). */
	for (int kind = 0; kind < 4; kind++) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(fake_proc_child(kind));
		int st;
		waitpid(pid, &st, 0);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
}

/* ---- LSM ---------------------------------------------------------------- */

static void test_apparmor_not_enabled(void **state)
{
	if (lsm_apparmor_enabled()) {
		print_message("# skip: AppArmor is enabled here, the refusal path cannot run\n");
		skip();
	}
	struct oci_config *c = sec_new_cfg(0, 0);
	c->process.apparmor_profile = sec_strdup("husk-default");
	struct sec_result r = run(c, NULL);
	assert_int_equal(r.step, 1);
	assert_non_null(strstr(r.msg, "apparmor is not enabled"));
	assert_non_null(strstr(r.msg, "husk-default"));
}

static void test_selinux_not_enabled(void **state)
{
	if (lsm_selinux_enabled()) {
		print_message("# skip: SELinux is enabled here, the refusal path cannot run\n");
		skip();
	}
	struct oci_config *c = sec_new_cfg(0, 0);
	c->process.selinux_label = sec_strdup("system_u:system_r:container_t:s0");
	struct sec_result r = run(c, NULL);
	assert_int_equal(r.step, 1);
	assert_non_null(strstr(r.msg, "selinux is not enabled"));
	/* mountLabel alone is ignored with SELinux off, as runc does. */
	c = sec_new_cfg(0, 0);
	c->linux_.mount_label = sec_strdup("system_u:object_r:container_file_t:s0");
	r = run(c, NULL);
	assert_int_equal(r.step, 0);
}

UNIT_MAIN(NULL, sec_group_teardown, cmocka_unit_test(test_sched_batch_nice),
	  cmocka_unit_test(test_sched_fifo_priority), cmocka_unit_test(test_sched_invalid),
	  cmocka_unit_test(test_ioprio), cmocka_unit_test(test_personality),
	  cmocka_unit_test(test_mempolicy), cmocka_unit_test(test_mempolicy_invalid),
	  cmocka_unit_test(test_oom_score_adj), cmocka_unit_test(test_proc_writes_need_real_procfs),
	  cmocka_unit_test(test_proc_write_without_openat2),
	  cmocka_unit_test(test_apparmor_not_enabled), cmocka_unit_test(test_selinux_not_enabled))
