/* The VM monitor's own seccomp filter, loaded for real in a child process:
 * what the monitor needs passes, the rest kills it.  The ioctl requests are
 * checked one by one: the monitor's stdio may be the user's terminal, so
 * TIOCSTI (typing into it) must be out of reach while termios calls work. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/err.h"
#include "runtime/vm_monitor.h"

/* Runs PROBE on a fresh pty under the monitor's filter, in a child.  Returns
 * the child's wait status: exit 0 if PROBE returned 0, the signal if the
 * filter killed it. */
static int under_monitor_filter(int (*probe)(int tty))
{
	int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	assert_true(master >= 0);
	assert_int_equal(grantpt(master), 0);
	assert_int_equal(unlockpt(master), 0);
	int tty = open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
	assert_true(tty >= 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct husk_err *err = NULL;
		unsetenv("HUSK_VM_DEBUG"); /* the production action: kill */
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || vm_monitor_seccomp_load(&err) < 0)
			_exit(100);
		_exit(probe(tty) == 0 ? 0 : 101);
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	close(tty);
	close(master);
	return status;
}

static int termios_and_winsize(int tty)
{
	struct termios t;
	struct winsize ws = {.ws_row = 24, .ws_col = 80};
	if (tcgetattr(tty, &t) < 0)
		return -1;
	cfmakeraw(&t);
	if (tcsetattr(tty, TCSANOW, &t) < 0)
		return -1;
	return ioctl(tty, TIOCSWINSZ, &ws) < 0 || ioctl(tty, TIOCGWINSZ, &ws) < 0 ? -1 : 0;
}

/* A KVM request on a non-KVM fd: the filter lets it through (type 0xAE),
 * the kernel refuses it. */
static int kvm_request_reaches_the_kernel(int tty)
{
	return ioctl(tty, KVM_GET_API_VERSION, 0) < 0 && errno == ENOTTY ? 0 : -1;
}

static int push_input(int tty)
{
	char c = 'x';
	ioctl(tty, TIOCSTI, &c);
	return 0;
}

static int unlisted_request(int tty)
{
	int on = 1;
	ioctl(tty, TIOCEXCL, &on);
	return 0;
}

static int exec_something(int tty)
{
	(void)tty;
	char *argv[] = {"/bin/true", NULL};
	execv(argv[0], argv);
	return 0;
}

static void test_monitor_needs_pass(void **state)
{
	(void)state;
	int st = under_monitor_filter(termios_and_winsize);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	st = under_monitor_filter(kvm_request_reaches_the_kernel);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void assert_killed(int st)
{
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGSYS);
}

static void test_tiocsti_kills(void **state)
{
	(void)state;
	assert_killed(under_monitor_filter(push_input));
}

static void test_unlisted_ioctl_kills(void **state)
{
	(void)state;
	assert_killed(under_monitor_filter(unlisted_request));
}

static void test_exec_kills(void **state)
{
	(void)state;
	assert_killed(under_monitor_filter(exec_something));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_monitor_needs_pass),
	    cmocka_unit_test(test_tiocsti_kills),
	    cmocka_unit_test(test_unlisted_ioctl_kills),
	    cmocka_unit_test(test_exec_kills),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
