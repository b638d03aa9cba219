/* CVE-2019-5736: the container must not be able to overwrite the husk binary
 * through /proc/self/exe or /proc/PID/exe.
 *
 * This test binary plays husk: it calls ensure_sealed_binary() and then acts
 * like a container that attacks it.  It always attacks a copy of itself in a
 * temp dir, so a failure never damages the build.  Each attack also runs
 * against an unprotected copy first (control), proving the technique works on
 * this host and that the test can fail. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"
#include "runtime/process_security.h"

#define ATTACK_SUFFIX ".attack"
#define EXIT_WROTE 0
#define EXIT_BLOCKED 10
#define EXIT_SETUP 20

/* ---- child side --------------------------------------------------------- */

/* Running as the interpreter of a "#!/proc/self/exe" script, i.e. as the
 * container's own process: keep an O_PATH fd on our exe, stop executing it
 * (exec a shell), and write through the fd. */
static int interpreter_attack(void)
{
	int fd = open("/proc/self/exe", O_PATH);
	if (fd < 0)
		return EXIT_SETUP;
	char cmd[256];
	snprintf(cmd, sizeof(cmd),
		 "sleep 0.05; (printf '#PWNED' >> /proc/self/fd/%d) 2>/dev/null && exit %d; exit %d", fd,
		 EXIT_WROTE, EXIT_BLOCKED);
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	return EXIT_SETUP;
}

static int child_main(int argc, char **argv, char **envp)
{
	const char *mode = argv[1];
	if (strcmp(mode, "sealed-script") == 0 || strcmp(mode, "sealed-sleep") == 0 ||
	    strcmp(mode, "sealed-check") == 0) {
		struct husk_err *err = NULL;
		if (ensure_sealed_binary(argv, envp, &err) < 0) {
			fprintf(stderr, "ensure_sealed_binary: %s\n", err->msg);
			return EXIT_SETUP;
		}
	}
	if (strstr(mode, "-script")) {
		execl(argv[2], argv[2], (char *)NULL);
		return EXIT_SETUP;
	}
	if (strstr(mode, "-sleep")) {
		if (write(1, "R", 1) != 1)
			return EXIT_SETUP;
		pause();
		return 0;
	}
	if (strcmp(mode, "sealed-check") == 0) {
		/* Report how we are protected: 'r' read-only mount, 's' sealed memfd. */
		int fd = open("/proc/self/exe", O_RDONLY);
		struct statvfs v;
		char c = '?';
		if (fstatvfs(fd, &v) == 0 && (v.f_flag & ST_RDONLY))
			c = 'r';
		else if (fcntl(fd, F_GET_SEALS) > 0)
			c = 's';
		return write(1, &c, 1) == 1 ? 0 : EXIT_SETUP;
	}
	return EXIT_SETUP;
}

/* ---- parent side -------------------------------------------------------- */

struct sandbox {
	char dir[64];
	char exe[128];
	char script[160];
	char *orig;
	size_t orig_len;
};

static void sandbox_setup(struct sandbox *s)
{
	memset(s, 0, sizeof(*s));
	strcpy(s->dir, "/tmp/husk-security-sealed-XXXXXX");
	assert_non_null(mkdtemp(s->dir));
	snprintf(s->exe, sizeof(s->exe), "%s/husk", s->dir);
	snprintf(s->script, sizeof(s->script), "%s/entrypoint" ATTACK_SUFFIX, s->dir);
	assert_int_equal(read_file_at(AT_FDCWD, "/proc/self/exe", &s->orig, &s->orig_len, NULL), 0);
	assert_int_equal(write_file_atomic_at(AT_FDCWD, s->exe, s->orig, s->orig_len, 0755, NULL), 0);
	const char *shebang = "#!/proc/self/exe\n";
	assert_int_equal(write_file_atomic_at(AT_FDCWD, s->script, shebang, strlen(shebang), 0755, NULL),
			 0);
}

static bool sandbox_exe_intact(struct sandbox *s)
{
	char *now = NULL;
	size_t len = 0;
	assert_int_equal(read_file_at(AT_FDCWD, s->exe, &now, &len, NULL), 0);
	bool same = len == s->orig_len && memcmp(now, s->orig, len) == 0;
	free(now);
	return same;
}

static void sandbox_restore(struct sandbox *s)
{
	unlink(s->exe);
	assert_int_equal(write_file_atomic_at(AT_FDCWD, s->exe, s->orig, s->orig_len, 0755, NULL), 0);
}

static void sandbox_teardown(struct sandbox *s)
{
	unlink(s->exe);
	unlink(s->script);
	rmdir(s->dir);
	free(s->orig);
}

/* Run the copy with MODE; returns the exit code (or 128+signal). stdout -> out. */
static int run_copy(struct sandbox *s, const char *mode, const char *env_mode, char *out, size_t outlen,
		    pid_t *pid_out, int *stdout_fd)
{
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(p[1], 1);
		if (env_mode)
			setenv("HUSK_SEALED_BINARY", env_mode, 1);
		else
			unsetenv("HUSK_SEALED_BINARY");
		execl(s->exe, s->exe, mode, s->script, (char *)NULL);
		_exit(EXIT_SETUP);
	}
	close(p[1]);
	if (pid_out) {
		*pid_out = pid;
		*stdout_fd = p[0];
		return 0;
	}
	ssize_t n = read_all(p[0], out, outlen - 1);
	out[n > 0 ? n : 0] = '\0';
	close(p[0]);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void script_attack(const char *env_mode)
{
	struct sandbox s;
	char out[64];
	sandbox_setup(&s);
	/* Control: unprotected, the technique overwrites the binary. */
	assert_int_equal(run_copy(&s, "unsealed-script", NULL, out, sizeof(out), NULL, NULL), EXIT_WROTE);
	assert_false(sandbox_exe_intact(&s));
	sandbox_restore(&s);
	/* Protected: the write is refused and the binary on disk is unchanged. */
	assert_int_equal(run_copy(&s, "sealed-script", env_mode, out, sizeof(out), NULL, NULL), EXIT_BLOCKED);
	assert_true(sandbox_exe_intact(&s));
	sandbox_teardown(&s);
}

static void test_script_attack_ro_mount(void **state)
{
	script_attack(NULL);
}

static void test_script_attack_memfd(void **state)
{
	script_attack("memfd");
}

/* Another process (the container, sharing a pid namespace) grabs
 * /proc/PID/exe of a running husk, waits for it to exit, then writes. */
static int pid_exe_attack(struct sandbox *s, const char *mode, const char *env_mode)
{
	pid_t pid;
	int out;
	run_copy(s, mode, env_mode, NULL, 0, &pid, &out);
	char c;
	assert_int_equal(read(out, &c, 1), 1); /* ready (after any re-exec) */
	close(out);
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	int fd = open(path, O_PATH | O_CLOEXEC);
	assert_true(fd >= 0);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	int w = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	int result = w >= 0 && write(w, "#PWNED", 6) == 6 ? EXIT_WROTE : EXIT_BLOCKED;
	if (w >= 0)
		close(w);
	close(fd);
	return result;
}

static void test_proc_pid_exe_attack(void **state)
{
	struct sandbox s;
	sandbox_setup(&s);
	assert_int_equal(pid_exe_attack(&s, "unsealed-sleep", NULL), EXIT_WROTE);
	assert_false(sandbox_exe_intact(&s));
	sandbox_restore(&s);
	assert_int_equal(pid_exe_attack(&s, "sealed-sleep", NULL), EXIT_BLOCKED);
	assert_true(sandbox_exe_intact(&s));
	assert_int_equal(pid_exe_attack(&s, "sealed-sleep", "memfd"), EXIT_BLOCKED);
	assert_true(sandbox_exe_intact(&s));
	sandbox_teardown(&s);
}

static void test_protection_kind(void **state)
{
	struct sandbox s;
	char out[8];
	sandbox_setup(&s);
	assert_int_equal(run_copy(&s, "sealed-check", NULL, out, sizeof(out), NULL, NULL), 0);
	assert_string_equal(out, "r");
	assert_int_equal(run_copy(&s, "sealed-check", "memfd", out, sizeof(out), NULL, NULL), 0);
	assert_string_equal(out, "s");
	sandbox_teardown(&s);
}

int main(int argc, char **argv, char **envp)
{
	if (argc >= 2) {
		size_t n = strlen(argv[1]), k = strlen(ATTACK_SUFFIX);
		if (n > k && strcmp(argv[1] + n - k, ATTACK_SUFFIX) == 0)
			return interpreter_attack();
		if (strchr(argv[1], '-') && argv[1][0] != '-')
			return child_main(argc, argv, envp);
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_script_attack_ro_mount),
		cmocka_unit_test(test_script_attack_memfd),
		cmocka_unit_test(test_proc_pid_exe_attack),
		cmocka_unit_test(test_protection_kind),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
