/* runtime/process_start.c with real processes: the clone, the CLONE_PARENT
 * fork and its SYNC_PID, EOF before and after SYNC_EXEC, errors from the
 * child, the caller's messages, the pid file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"
#include "runtime/process_start.h"

enum child_kind {
	CHILD_FORK_EXEC,     /* fork (SYNC_PID), EXEC, execve /bin/true */
	CHILD_DIE,	     /* exit without a word */
	CHILD_FORK_DIE,	     /* fork (SYNC_PID), then the process dies before EXEC */
	CHILD_ERROR,	     /* SYNC_ERROR "boom" */
	CHILD_READY,	     /* a caller's message: SYNC_READY, then stay until killed */
	CHILD_EXEC_DIRECTLY, /* no fork: EXEC, execve /bin/true */
};

__attribute__((noreturn)) static void child_main(int fd, enum child_kind kind)
{
	struct husk_err *err = NULL;
	switch (kind) {
	case CHILD_FORK_EXEC:
	case CHILD_FORK_DIE:
		if (process_start_fork(fd, &err) < 0)
			_exit(3);
		if (kind == CHILD_FORK_DIE)
			_exit(0);
		/* fallthrough */
	case CHILD_EXEC_DIRECTLY:
		if (sync_send(fd, SYNC_EXEC, NULL) < 0)
			_exit(4);
		execl("/bin/true", "true", (char *)NULL);
		_exit(5);
	case CHILD_DIE:
		_exit(0);
	case CHILD_ERROR:
		husk_err_set(&err, ENOENT, "boom");
		process_start_report(fd, err);
		_exit(1);
	case CHILD_READY:
		sync_send(fd, SYNC_READY, NULL);
		pause();
		_exit(0);
	}
	_exit(6);
}

static pid_t start(struct process_start *ps, enum child_kind kind)
{
	struct husk_err *err = NULL;
	assert_int_equal(process_start_open(ps, NULL, NULL, &err), 0);
	pid_t pid = process_start_clone(ps, 0, -1, NULL);
	if (pid == 0)
		child_main(ps->sync_fd, kind);
	assert_true(pid > 0);
	assert_int_equal(ps->child, pid);
	assert_int_equal(ps->peer_fd, -1);
	return pid;
}

static int wait_status(pid_t pid)
{
	int st = -1;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return st;
}

static void test_fork_then_exec(void **state)
{
	struct process_start ps;
	pid_t helper = start(&ps, CHILD_FORK_EXEC);
	struct husk_err *err = NULL;
	assert_int_equal(process_start_converse(&ps, "test", NULL, NULL, &err), 0);
	assert_null(err);
	assert_true(ps.exec_reached);
	/* SYNC_PID named the forked process, our child through CLONE_PARENT; the
	 * helper that forked it is reaped already. */
	assert_true(ps.pid > 0);
	assert_int_not_equal(ps.pid, helper);
	assert_int_equal(ps.child, ps.pid);
	assert_int_equal(waitpid(helper, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	int st = wait_status(ps.pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	process_start_close(&ps, false);
}

static void test_exec_without_fork(void **state)
{
	struct process_start ps;
	pid_t pid = start(&ps, CHILD_EXEC_DIRECTLY);
	ps.pid = pid; /* the clone is the process itself, as create's init */
	struct husk_err *err = NULL;
	assert_int_equal(process_start_converse(&ps, "test", NULL, NULL, &err), 0);
	assert_int_equal(ps.pid, pid);
	int st = wait_status(pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	process_start_close(&ps, false);
}

/* The conversation fails with errnum and a message containing msg, and the
 * abort leaves nothing to reap. */
static void expect_failure(enum child_kind kind, int errnum, const char *msg)
{
	struct process_start ps;
	start(&ps, kind);
	struct husk_err *err = NULL;
	assert_true(process_start_converse(&ps, "test child", NULL, NULL, &err) < 0);
	assert_non_null(err);
	assert_int_equal(err->errnum, errnum);
	assert_non_null(strstr(err->msg, msg));
	husk_err_free(&err);
	process_start_abort(&ps);
	assert_int_equal(ps.child, 0);
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	process_start_close(&ps, false);
}

/* EOF is success only after SYNC_EXEC: a process that dies on the way, before
 * or after SYNC_PID, is an error. */
static void test_death_before_exec(void **state)
{
	expect_failure(CHILD_DIE, ECHILD, "test child exited during set-up");
	expect_failure(CHILD_FORK_DIE, ECHILD, "test child exited during set-up");
}

/* The child's own error, as it reported it. */
static void test_child_error(void **state)
{
	expect_failure(CHILD_ERROR, ENOENT, "boom");
}

static int on_ready(void *arg, enum sync_type t, struct husk_err **err)
{
	(*(int *)arg)++;
	return t == SYNC_READY ? 1 : husk_err_set(err, EPROTO, "not ready");
}

/* SYNC_READY is the caller's: its handler ends the conversation (1); without a
 * handler, a message not every start speaks is an error. */
static void test_caller_messages(void **state)
{
	for (int with_handler = 1; with_handler >= 0; with_handler--) {
		struct process_start ps;
		start(&ps, CHILD_READY);
		ps.pid = ps.child;
		struct husk_err *err = NULL;
		int calls = 0;
		int r = process_start_converse(&ps, "test", with_handler ? on_ready : NULL, &calls,
					       &err);
		assert_int_equal(r < 0, !with_handler);
		assert_int_equal(calls, with_handler);
		assert_true(with_handler ? err == NULL : err->errnum == EPROTO);
		husk_err_free(&err);
		process_start_abort(&ps);
		process_start_close(&ps, false);
	}
}

static void test_pid_file(void **state)
{
	char dir[] = "/tmp/husk-ps-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *path = xasprintf("%s/pid", dir);
	struct husk_err *err = NULL;
	assert_int_equal(process_start_write_pid_file(NULL, 42, &err), 0);
	assert_int_equal(process_start_write_pid_file("", 42, &err), 0);
	assert_int_equal(process_start_write_pid_file(path, 4242, &err), 0);
	char *text = NULL;
	size_t len = 0;
	assert_int_equal(read_file_at(AT_FDCWD, path, &text, &len, &err), 0);
	assert_string_equal(text, "4242");
	free(text);
	unlink(path);
	rmdir(dir);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fork_then_exec),    cmocka_unit_test(test_exec_without_fork),
	    cmocka_unit_test(test_death_before_exec), cmocka_unit_test(test_child_error),
	    cmocka_unit_test(test_caller_messages),   cmocka_unit_test(test_pid_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
