/* cgroupsPath resolution and the manager's persisted form (no cgroupfs needed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "tests/unit/helpers/unit_main.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cgroups/internal.h"
#include "common/cleanup.h"

static void expect_path(const char *id, const char *p, bool systemd, const char *want)
{
	char *out = NULL;
	struct husk_err *err = NULL;
	if (cg_resolve_path(id, p, systemd, &out, &err) < 0)
		fail_msg("%s: %s", p ? p : "(null)", err->msg);
	assert_string_equal(out, want);
	free(out);
}

static void expect_bad(const char *id, const char *p, bool systemd)
{
	char *out = NULL;
	struct husk_err *err = NULL;
	assert_int_not_equal(cg_resolve_path(id, p, systemd, &out, &err), 0);
	assert_null(out);
	assert_non_null(err);
	assert_int_equal(err->errnum, EINVAL);
	husk_err_free(&err);
}

static void test_cgroupfs_paths(void **state)
{
	expect_path("c1", NULL, false, "/husk/c1");
	expect_path("c1", "", false, "/husk/c1");
	expect_path("c1", "/default/c1", false, "/default/c1");
	expect_path("c1", "/a//b/./c/", false, "/a/b/c");
	expect_path("c1", "/a/../../../b", false, "/b"); /* never above the root */
	expect_path("c1", "rel/x", false, "/husk/rel/x");
	expect_path("c1", "../../etc", false, "/husk/etc"); /* relative stays under the parent */
	expect_bad("c1", "/", false);
	expect_bad("c1", "/..", false);
	expect_bad("c1", "/a\nb", false);
}

static void test_systemd_paths(void **state)
{
	expect_path("c1", "system.slice:docker:abc", true, "/system.slice/docker-abc.scope");
	expect_path("c1", "machine-app-x.slice:pfx:id", true,
		    "/machine.slice/machine-app.slice/machine-app-x.slice/pfx-id.scope");
	expect_path("c1", NULL, true, "/system.slice/husk-c1.scope");
	expect_path("c1", ":husk:c1", true, "/system.slice/husk-c1.scope");
	expect_path("c1", "-.slice:p:n", true, "/p-n.scope");
	expect_path("c1", "system.slice:p:my-app.slice", true, "/system.slice/my-app.slice");
	expect_bad("c1", "/abs/path", true);
	expect_bad("c1", "a:b", true);
	expect_bad("c1", "bad:p:n", true);
	expect_bad("c1", "a--b.slice:p:n", true);
	expect_bad("c1", "system.slice:p:", true);
}

static void test_ctrl_names(void **state)
{
	assert_int_equal(cg_ctrls_from_dirname("cpu,cpuacct"), CG_BIT(CG_CPU) | CG_BIT(CG_CPUACCT));
	assert_int_equal(cg_ctrls_from_dirname("net_cls,net_prio"),
			 CG_BIT(CG_NET_CLS) | CG_BIT(CG_NET_PRIO));
	assert_int_equal(cg_ctrls_from_dirname("systemd"), CG_BIT(CG_NAME_SYSTEMD));
	assert_int_equal(cg_ctrls_from_dirname("unified"), 0);
	assert_int_equal(cg_ctrls_from_dirname("cpu,bogus"), 0);
}

static void test_load_rejects(void **state)
{
	struct cgroup_manager *cm = NULL;
	struct husk_err *err = NULL;
	const char *bad[] = {
	    "",
	    "husk-cgroup/2 hybrid /sys/fs/cgroup /husk/x memory",
	    "husk-cgroup/1 hybrid /sys/fs/cgroup relative memory",
	    "husk-cgroup/1 hybrid /sys/fs/cgroup /husk/x",
	    "husk-cgroup/1 hybrid /sys/fs/cgroup /husk/%zz memory",
	    "husk-cgroup/1 hybrid /sys/fs/cgroup /husk/x memory/../../etc",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_not_equal(cgroup_manager_load(bad[i], &cm, &err), 0);
		assert_null(cm);
		husk_err_free(&err);
	}
	const char *good = "husk-cgroup/1 hybrid /sys/fs/cgroup /husk/a%20b "
			   "memory:cpu,cpuacct:@unified";
	assert_int_equal(cgroup_manager_load(good, &cm, &err), 0);
	assert_string_equal(cm->path, "/husk/a b");
	assert_int_equal(cm->n, 3);
	assert_true(cm->h[2].v2);
	assert_string_equal(cm->h[2].dir, "unified");
	assert_int_equal(cm->h[1].ctrls, CG_BIT(CG_CPU) | CG_BIT(CG_CPUACCT));
	cleanup_free char *again = cgroup_manager_serialize(cm);
	assert_string_equal(again, good);
	cgroup_manager_free(cm);
}

UNIT_MAIN(NULL, NULL, cmocka_unit_test(test_cgroupfs_paths), cmocka_unit_test(test_systemd_paths),
	  cmocka_unit_test(test_ctrl_names), cmocka_unit_test(test_load_rejects))
