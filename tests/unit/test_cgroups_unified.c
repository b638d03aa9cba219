/* The v2 driver against a real cgroup2 mount: this hybrid host's
 * /sys/fs/cgroup/unified.  Its only controller is hugetlb, so this covers the
 * core files (cgroup.procs, cgroup.freeze, cgroup.events, cgroup.kill,
 * cgroup.subtree_control), hugetlb, and the eBPF device program (which needs
 * no controller).  The other v2 resource files are covered against a mock
 * tree in test_cgroups_v2_files.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "tests/unit/helpers/unit_main.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroups/internal.h"
#include "common/cleanup.h"
#include "tests/unit/helpers/dev_rules.h"
#include "common/util.h"
#include "tests/unit/helpers/cgroup_live.h"

#define V2ROOT "/sys/fs/cgroup/unified"

static char parent[64];

static bool have_v2(void)
{
	struct statfs fs;
	return geteuid() == 0 && statfs(V2ROOT, &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
}

#define REQUIRE_V2()                                                                               \
	do {                                                                                       \
		if (!have_v2()) {                                                                  \
			fprintf(stderr, "# skip: needs root and a cgroup2 mount at " V2ROOT "\n"); \
			skip();                                                                    \
		}                                                                                  \
	} while (0)

/* A child that runs commands from a pipe: 'o' + path -> tries open(path) and
 * answers with the errno (0 on success); 'q' -> exits. */
struct kid {
	pid_t pid;
	int cmd, ans;
};

static struct kid spawn_kid(void)
{
	int c[2], a[2];
	assert_int_equal(pipe2(c, O_CLOEXEC), 0);
	assert_int_equal(pipe2(a, O_CLOEXEC), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(c[1]);
		close(a[0]);
		char buf[256];
		for (;;) {
			ssize_t n = read(c[0], buf, sizeof(buf) - 1);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0 || buf[0] == 'q')
				_exit(0);
			buf[n] = '\0';
			int fd = open(buf + 1, O_RDONLY | O_CLOEXEC);
			int e = fd < 0 ? errno : 0;
			if (fd >= 0)
				close(fd);
			if (write(a[1], &e, sizeof(e)) != sizeof(e))
				_exit(1);
		}
	}
	close(c[0]);
	close(a[1]);
	return (struct kid){pid, c[1], a[0]};
}

static int kid_open(struct kid *k, const char *path)
{
	char buf[256];
	int n = snprintf(buf, sizeof(buf), "o%s", path);
	assert_int_equal(write(k->cmd, buf, n), n);
	int e = -1;
	assert_int_equal(read(k->ans, &e, sizeof(e)), sizeof(e));
	return e;
}

static void kid_close(struct kid *k)
{
	close(k->cmd);
	close(k->ans);
}

static char *knob(const char *leaf, const char *file)
{
	cleanup_free char *dir = xasprintf(V2ROOT "%s/%s", parent, leaf);
	return cglive_read(dir, file);
}

static void test_procs_freeze_kill(void **state)
{
	REQUIRE_V2();
	struct cgroup_manager *cm = cglive_make(parent, "core", V2ROOT);
	struct husk_err *err = NULL;
	/* pure v2 enables what the parent offers for the container */
	cleanup_free char *pdir = xasprintf(V2ROOT "%s", parent);
	cleanup_free char *sub = NULL;
	assert_int_equal(cg_read(AT_FDCWD, "/dev/null", &sub, &err), 0);
	free(steal_ptr(&sub));
	cleanup_free char *stc = xasprintf("%s/cgroup.subtree_control", pdir);
	assert_int_equal(cg_read(AT_FDCWD, stc, &sub, &err), 0);
	assert_string_equal(sub, "hugetlb");

	struct kid k = spawn_kid();
	assert_int_equal(cgroup_enter(cm, k.pid, &err), 0);
	cleanup_free char *procs = knob("core", "cgroup.procs");
	char want[32];
	snprintf(want, sizeof(want), "%d", k.pid);
	assert_string_equal(procs, want);

	assert_int_equal(cgroup_freeze(cm, true, &err), 0);
	cleanup_free char *fz = knob("core", "cgroup.freeze");
	assert_string_equal(fz, "1");
	cleanup_free char *ev = knob("core", "cgroup.events");
	assert_non_null(strstr(ev, "frozen 1"));
	assert_true(cgroup_is_frozen(cm));
	assert_int_equal(cgroup_freeze(cm, false, &err), 0);
	cleanup_free char *ev2 = knob("core", "cgroup.events");
	assert_non_null(strstr(ev2, "frozen 0"));
	assert_false(cgroup_is_frozen(cm));
	/* thawed: the child answers again */
	assert_int_equal(kid_open(&k, "/dev/null"), 0);

	/* kill --all on a frozen cgroup: cgroup.kill reaches frozen tasks. */
	assert_int_equal(cgroup_freeze(cm, true, &err), 0);
	assert_int_equal(cgroup_kill_all(cm, SIGKILL, &err), 0);
	int st = cglive_reap(k.pid);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	kid_close(&k);
	assert_int_equal(cgroup_destroy(cm, &err), 0);
	cleanup_free char *gone = xasprintf("%s/core", pdir);
	assert_int_equal(access(gone, F_OK), -1);
	cgroup_manager_free(cm);
}

static void test_hugetlb(void **state)
{
	REQUIRE_V2();
	cleanup_free char *ctl = NULL;
	struct husk_err *err = NULL;
	assert_int_equal(cg_read(AT_FDCWD, V2ROOT "/cgroup.controllers", &ctl, &err), 0);
	if (!strstr(ctl, "hugetlb"))
		skip();
	struct cgroup_manager *cm = cglive_make(parent, "huge", V2ROOT);
	struct oci_hugepage_limit hl[] = {{(char *)"2MB", 4 << 21}};
	struct oci_resources r = {.hugepage_limits = hl, .n_hugepage_limits = 1};
	if (cgroup_apply(cm, &r, &err) < 0)
		fail_msg("%s", err->msg);
	cleanup_free char *max = knob("huge", "hugetlb.2MB.max");
	assert_string_equal(max, "8388608");
	cleanup_free char *rsvd = knob("huge", "hugetlb.2MB.rsvd.max");
	if (rsvd)
		assert_string_equal(rsvd, "8388608");
	/* a page size the kernel lacks is an error naming the file */
	struct oci_hugepage_limit bad[] = {{(char *)"3MB", 1}};
	r.hugepage_limits = bad;
	assert_int_not_equal(cgroup_apply(cm, &r, &err), 0);
	assert_non_null(strstr(err->msg, "hugetlb.3MB.max"));
	husk_err_free(&err);
	assert_int_equal(cgroup_destroy(cm, &err), 0);
	cgroup_manager_free(cm);
}

static void test_ebpf_devices(void **state)
{
	REQUIRE_V2();
	/* The kid forks before the manager exists: a forked child exits with a
	 * leak check under valgrind, and in it the parent's cm is unreachable. */
	struct kid k = spawn_kid();
	struct cgroup_manager *cm = cglive_make(parent, "dev", V2ROOT);
	struct husk_err *err = NULL;
	assert_int_equal(cgroup_enter(cm, k.pid, &err), 0);
	assert_int_equal(kid_open(&k, "/dev/kmsg"), 0);

	/* deny all, allow /dev/full read-only; the runc defaults come on top */
	struct oci_device_cgroup rules[] = {
	    {.allow = false, .access = (char *)"rwm"},
	    DEV_RULE(true, "c", 1, 7, "r"),
	};
	struct oci_linux lnx = {.resources_present = true};
	lnx.resources.devices = rules;
	lnx.resources.n_devices = 2;
	if (cgroup_apply_config(cm, &lnx, &err) < 0)
		fail_msg("%s", err->msg);
	assert_true(cm->bpf_prog_fd >= 0);
	assert_int_equal(kid_open(&k, "/dev/kmsg"), EPERM); /* c 1:11, not allowed */
	assert_int_equal(kid_open(&k, "/dev/null"), 0);	    /* runc default */
	assert_int_equal(kid_open(&k, "/dev/full"), 0);

	/* replace: now also deny /dev/null explicitly (last rule wins) */
	struct oci_device_cgroup rules2[] = {
	    {.allow = false, .access = (char *)"rwm"},
	    DEV_RULE(true, "c", 1, 11, "rw"),
	};
	struct oci_resources r2 = {.devices = rules2, .n_devices = 2};
	if (cgroup_apply(cm, &r2, &err) < 0)
		fail_msg("%s", err->msg);
	assert_int_equal(kid_open(&k, "/dev/kmsg"), 0);
	/* only one husk program stays attached: the old one was detached */
	uint32_t ids[8];
	union bpf_attr_q {
		struct {
			uint32_t target_fd, attach_type, query_flags, attach_flags;
			uint64_t prog_ids;
			uint32_t prog_cnt;
		} q;
		char pad[128];
	} a;
	memset(&a, 0, sizeof(a));
	a.q.target_fd = (uint32_t)cg_fd(cm, 0, &err);
	a.q.attach_type = 6; /* BPF_CGROUP_DEVICE */
	a.q.prog_ids = (uint64_t)(uintptr_t)ids;
	a.q.prog_cnt = 8;
	assert_int_equal(syscall(321 /* bpf */, 16 /* BPF_PROG_QUERY */, &a, sizeof(a)), 0);
	assert_int_equal(a.q.prog_cnt, 1);

	assert_int_equal(write(k.cmd, "q", 1), 1);
	cglive_reap(k.pid);
	kid_close(&k);
	assert_int_equal(cgroup_destroy(cm, &err), 0);
	cgroup_manager_free(cm);
}

static void test_no_leftovers(void **state)
{
	REQUIRE_V2();
	cleanup_free char *d = xasprintf(V2ROOT "%s", parent);
	if (rmdir(d) < 0)
		assert_int_equal(errno, ENOENT);
	cglive_assert_none_left();
}

static int name_parent(void **state)
{
	snprintf(parent, sizeof(parent), "/husk-cgtest-%d", (int)getpid());
	return 0;
}

UNIT_MAIN(name_parent, NULL, cmocka_unit_test(test_procs_freeze_kill),
	  cmocka_unit_test(test_hugetlb), cmocka_unit_test(test_ebpf_devices),
	  cmocka_unit_test(test_no_leftovers))
