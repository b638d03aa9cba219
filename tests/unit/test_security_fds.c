/* CVE-2024-21626: a host fd left open into the container, used as the cwd
 * (process.cwd = /proc/self/fd/N) or reached after execve, gives the container
 * the host filesystem.  Each test runs the attack in a child that has its own
 * mount namespace and a chroot standing in for the container root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "tests/unit/helpers/unit_main.h"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"
#include "helpers/security_child.h"
#include "runtime/process_security.h"

static char tmpdir[64];

static int setup(void **state)
{
	strcpy(tmpdir, "/tmp/husk-security-fds-XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	char p[128];
	const char *dirs[] = {"rootfs", "rootfs/proc", "rootfs/bin", "rootfs/work", "host-secret"};
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		snprintf(p, sizeof(p), "%s/%s", tmpdir, dirs[i]);
		assert_int_equal(mkdir(p, 0755), 0);
	}
	snprintf(p, sizeof(p), "%s/host-secret/flag", tmpdir);
	assert_int_equal(write_file_atomic_at(AT_FDCWD, p, "host", 4, 0644, NULL), 0);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* In a child: private mount ns, proc mounted in the fake rootfs, a host
 * directory fd left open at fd 7 (no CLOEXEC), chroot.  Then fn(). Returns
 * fn's exit code. */
static int in_container(int (*fn)(void *), void *arg)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		signal(SIGSEGV, SIG_DFL);
		signal(SIGABRT, SIG_DFL);
		char p[128];
		if (unshare(CLONE_NEWNS) < 0 || mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0)
			_exit(90);
		snprintf(p, sizeof(p), "%s/rootfs/proc", tmpdir);
		if (mount("proc", p, "proc", 0, NULL) < 0)
			_exit(91);
		snprintf(p, sizeof(p), "%s/host-secret", tmpdir);
		int host = open(p, O_RDONLY | O_DIRECTORY);
		if (host < 0 || dup2(host, 7) < 0)
			_exit(92);
		snprintf(p, sizeof(p), "%s/rootfs", tmpdir);
		if (chdir(p) < 0 || chroot(".") < 0)
			_exit(93);
		_exit(fn(arg));
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static int chdir_attack(void *arg)
{
	struct husk_err *err = NULL;
	int r = process_chdir_checked((const char *)arg, &err);
	if (r == 0) {
		/* Did we land on the host? */
		return access("flag", F_OK) == 0 ? 1 : 2;
	}
	fprintf(stderr, "# refused: %s\n", err->msg);
	husk_err_free(&err);
	return 0;
}

static void test_cwd_through_leaked_fd_is_refused(void **state)
{
	SEC_SKIP_UNDER_VALGRIND("it emulates /proc/self/fd");
	assert_int_equal(in_container(chdir_attack, "/proc/self/fd/7"), 0);
	assert_int_equal(in_container(chdir_attack, "/proc/self/fd/7/.."), 0);
	assert_int_equal(in_container(chdir_attack, "/proc/thread-self/cwd/.."), 0);
}

/* Kernels before 5.6 (no openat2): the getcwd() proof alone must refuse. */
static int chdir_attack_without_openat2(void *arg)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx || seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(openat2), 0) < 0 ||
	    seccomp_load(ctx) < 0)
		return 94;
	seccomp_release(ctx);
	return chdir_attack(arg);
}

static void test_cwd_refused_without_openat2(void **state)
{
	SEC_SKIP_UNDER_VALGRIND("seccomp filters");
	assert_int_equal(in_container(chdir_attack_without_openat2, "/proc/self/fd/7"), 0);
	assert_int_equal(in_container(chdir_attack_without_openat2, "/proc/self/fd/7/.."), 0);
}

/* Control: a plain chdir really does reach the host through the fd. */
static int plain_chdir(void *arg)
{
	if (chdir("/proc/self/fd/7") < 0)
		return 3;
	return access("flag", F_OK) == 0 ? 1 : 2;
}

static void test_control_plain_chdir_escapes(void **state)
{
	assert_int_equal(in_container(plain_chdir, NULL), 1);
}

static int chdir_inside(void *arg)
{
	struct husk_err *err = NULL;
	if (process_chdir_checked("/work", &err) < 0)
		return 4;
	char buf[64];
	return getcwd(buf, sizeof(buf)) && strcmp(buf, "/work") == 0 ? 0 : 5;
}

static void test_cwd_inside_root_works(void **state)
{
	assert_int_equal(in_container(chdir_inside, NULL), 0);
}

static int relative_cwd(void *arg)
{
	struct husk_err *err = NULL;
	int r = process_chdir_checked("work", &err);
	husk_err_free(&err);
	return r < 0 ? 0 : 1;
}

static void test_cwd_must_be_absolute(void **state)
{
	assert_int_equal(in_container(relative_cwd, NULL), 0);
}

/* After process_close_inherited_fds(3) and execve, the new program holds only
 * 0, 1, 2: read the kernel's list from /proc/self/fd in the exec'd shell. */
static int exec_and_count_fds(bool protect)
{
	int p[2];
	assert_int_equal(pipe(p), 0); /* deliberately not CLOEXEC: a "leak" itself */
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int host = open("/", O_RDONLY | O_DIRECTORY); /* leaked host fd */
		if (host < 0)
			_exit(90);
		dup2(p[1], 1);
		if (protect) {
			struct husk_err *err = NULL;
			if (process_close_inherited_fds(3, &err) < 0)
				_exit(91);
		}
		execl("/bin/sh", "sh", "-c", "ls /proc/self/fd | wc -l", (char *)NULL);
		_exit(92);
	}
	close(p[1]);
	char buf[32] = {0};
	ssize_t n = read_all(p[0], buf, sizeof(buf) - 1);
	close(p[0]);
	int st;
	waitpid(pid, &st, 0);
	assert_true(n > 0);
	return atoi(buf);
}

static void test_no_fd_reaches_the_exec(void **state)
{
	/* ls itself opens one fd for the directory listing: 0,1,2 + that one. */
	assert_int_equal(exec_and_count_fds(true), 4);
	/* Control: without it the leaked host fds are there. */
	assert_true(exec_and_count_fds(false) > 4);
}

UNIT_MAIN(setup, teardown, cmocka_unit_test(test_control_plain_chdir_escapes),
	  cmocka_unit_test(test_cwd_through_leaked_fd_is_refused),
	  cmocka_unit_test(test_cwd_refused_without_openat2),
	  cmocka_unit_test(test_cwd_inside_root_works), cmocka_unit_test(test_cwd_must_be_absolute),
	  cmocka_unit_test(test_no_fd_reaches_the_exec))
