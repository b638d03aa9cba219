/* Namespace plans: flags, validation, path type checks, id-map formatting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "tests/unit/helpers/unit_main.h"
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "ns/ns.h"

static struct oci_namespace ns_new[] = {
    {OCI_NS_PID, NULL}, {OCI_NS_NETWORK, NULL}, {OCI_NS_UTS, NULL}};

/* ns_plan_build on a config that lists only these N namespaces. */
static int build(struct oci_namespace *ns, size_t n, struct ns_plan *plan, struct husk_err **err)
{
	struct oci_config cfg = {0};
	cfg.linux_.namespaces = ns;
	cfg.linux_.n_namespaces = n;
	return ns_plan_build(&cfg, plan, err);
}

static void test_new_flags(void **state)
{
	struct ns_plan plan;
	struct husk_err *err = NULL;
	assert_int_equal(build(ns_new, 3, &plan, &err), 0);
	assert_true(plan.new_flags == (CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWUTS));
	assert_false(plan.any_join);
	ns_plan_close(&plan);
}

static void test_join_path_type_checked(void **state)
{
	struct oci_namespace ns[] = {{OCI_NS_NETWORK, "/proc/self/ns/net"}};
	struct ns_plan plan;
	struct husk_err *err = NULL;
	assert_int_equal(build(ns, 1, &plan, &err), 0);
	assert_true(plan.any_join);
	assert_true(plan.join_fd[OCI_NS_NETWORK] >= 0);
	ns_plan_close(&plan);
	assert_int_equal(plan.join_fd[OCI_NS_NETWORK], -1);

	ns[0].path = "/proc/self/ns/uts";
	assert_true(build(ns, 1, &plan, &err) < 0);
	assert_non_null(strstr(err->msg, "is not a network namespace"));
	husk_err_free(&err);
	ns[0].path = "/etc/hostname";
	assert_true(build(ns, 1, &plan, &err) < 0);
	assert_non_null(strstr(err->msg, "not a namespace file"));
	husk_err_free(&err);
}

static void test_validation(void **state)
{
	struct oci_namespace twice[] = {{OCI_NS_PID, NULL}, {OCI_NS_PID, NULL}};
	struct oci_config cfg = {0};
	struct ns_plan plan;
	struct husk_err *err = NULL;
	cfg.linux_.namespaces = twice;
	cfg.linux_.n_namespaces = 2;
	assert_true(ns_plan_build(&cfg, &plan, &err) < 0);
	assert_non_null(strstr(err->msg, "listed twice"));
	husk_err_free(&err);

	struct oci_namespace user[] = {{OCI_NS_USER, NULL}};
	cfg.linux_.namespaces = user;
	cfg.linux_.n_namespaces = 1;
	assert_true(ns_plan_build(&cfg, &plan, &err) < 0);
	assert_non_null(strstr(err->msg, "uidMappings"));
	husk_err_free(&err);

	cfg.linux_.namespaces = ns_new;
	cfg.linux_.n_namespaces = 1; /* pid only */
	cfg.linux_.time_monotonic.set = true;
	assert_true(ns_plan_build(&cfg, &plan, &err) < 0);
	assert_non_null(strstr(err->msg, "time namespace"));
	husk_err_free(&err);
	cfg.linux_.time_monotonic.set = false;
	cfg.hostname = "x";
	assert_true(ns_plan_build(&cfg, &plan, &err) < 0);
	assert_non_null(strstr(err->msg, "uts namespace"));
	husk_err_free(&err);
}

static void test_id_map_format(void **state)
{
	struct oci_id_mapping m[] = {{0, 100000, 1}, {1, 200000, 65535}};
	char *s = ns_format_id_map(m, 2);
	assert_string_equal(s, "0 100000 1\n1 200000 65535\n");
	free(s);
	s = ns_format_id_map(m, 0);
	assert_string_equal(s, "");
	free(s);
}

UNIT_MAIN(NULL, NULL, cmocka_unit_test(test_new_flags),
	  cmocka_unit_test(test_join_path_type_checked), cmocka_unit_test(test_validation),
	  cmocka_unit_test(test_id_map_format))
