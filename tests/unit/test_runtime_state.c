/* The state dir: round trip, id validation, liveness from the kernel's view. */
#include <stdio.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "tests/unit/helpers/unit_main.h"
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"
#include "runtime/state.h"

static char root[] = "/tmp/husk-unit-state.XXXXXX";

static void test_id_validate(void **state)
{
	const char *good[] = {"a", "abc-DEF_1.2+3", "0x"};
	const char *bad[] = {"", "-a", ".a", "a/b", "a..b", "a b", "../x"};
	for (size_t i = 0; i < 3; i++) {
		struct husk_err *err = NULL;
		assert_int_equal(container_id_validate(good[i], &err), 0);
	}
	for (size_t i = 0; i < 7; i++) {
		struct husk_err *err = NULL;
		assert_true(container_id_validate(bad[i], &err) < 0);
		husk_err_free(&err);
	}
}

static void test_round_trip_and_status(void **state)
{
	struct kv_init {
		const char *k, *v;
	};
	struct oci_kv ann[] = {{"a.b", "1"}, {"quote", "x\"y"}};
	struct container_state st = {.id = "c1",
				     .bundle = "/bundle",
				     .rootfs = "/bundle/rootfs",
				     .pid = getpid(),
				     .pid_start_time = proc_start_time(getpid()),
				     .created = "2026-01-01T00:00:00.000000000Z",
				     .owner = "root",
				     .userns = true,
				     .annotations = {.v = ann, .n = 2}};
	assert_true(st.pid_start_time > 0);
	char *dir = container_dir(root, "c1");
	assert_int_equal(mkdir(dir, 0700), 0);
	struct husk_err *err = NULL;
	assert_int_equal(container_state_save(root, &st, &err), 0);
	struct container_state *back = NULL;
	assert_int_equal(container_state_load(root, "c1", &back, &err), 0);
	assert_string_equal(back->bundle, "/bundle");
	assert_string_equal(back->rootfs, "/bundle/rootfs");
	assert_int_equal(back->pid, getpid());
	assert_true(back->pid_start_time == st.pid_start_time);
	assert_true(back->userns);
	assert_int_equal(back->annotations.n, 2);
	assert_string_equal(back->annotations.v[1].value, "x\"y");
	/* Our own pid is alive and has no exec.fifo: running. */
	assert_int_equal(container_status(root, back), OCI_STATUS_RUNNING);
	/* A different start time means the pid was recycled: stopped. */
	back->pid_start_time++;
	assert_int_equal(container_status(root, back), OCI_STATUS_STOPPED);
	container_state_free(back);

	/* A zombie counts as stopped. */
	pid_t child = fork();
	if (child == 0) {
		free(dir); /* its copy: valgrind checks a forked child's leaks too */
		_exit(0);
	}
	st.pid = child;
	st.pid_start_time = proc_start_time(child);
	siginfo_t si;
	/* Wait for the exit without reaping: the child stays a zombie. */
	assert_int_equal(waitid(P_PID, child, &si, WEXITED | WNOWAIT), 0);
	assert_int_equal(proc_start_time(child), 0);
	waitpid(child, NULL, 0);

	int lock = -1;
	assert_int_equal(container_lock(root, "c1", true, &lock, &err), 0);
	close(lock);
	assert_int_equal(container_dir_remove(root, "c1", &err), 0);
	assert_true(access(dir, F_OK) < 0);
	free(dir);
}

static void test_missing(void **state)
{
	struct container_state *st = NULL;
	struct husk_err *err = NULL;
	assert_true(container_state_load(root, "nosuch", &st, &err) < 0);
	assert_string_equal(err->msg, "container nosuch does not exist");
	assert_int_equal(err->errnum, ENOENT);
	husk_err_free(&err);
	int lock = -1;
	assert_true(container_lock(root, "nosuch", false, &lock, &err) < 0);
	assert_non_null(strstr(err->msg, "does not exist"));
	husk_err_free(&err);
}

static int setup(void **state)
{
	return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state)
{
	/* A removed container's directory is kept, emptied, for the next create. */
	char spare[sizeof(root) + 32];
	snprintf(spare, sizeof(spare), "%s/.spare-state-dir", root);
	rmdir(spare);
	return rmdir(root);
}

UNIT_MAIN(setup, teardown, cmocka_unit_test(test_id_validate),
	  cmocka_unit_test(test_round_trip_and_status), cmocka_unit_test(test_missing))
