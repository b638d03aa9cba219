/* The rootfs set-up plan: the order of the steps, checked without mounting
 * anything.  The order is part of the security story: masked and read-only
 * paths before the pivot (resolved inside the new root), the read-only root
 * last, config mounts in config order after the rootfs bind, /dev after them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include <cmocka.h>

#include "common/util.h"
#include "oci/spec.h"
#include "rootfs/plan.h"

static struct oci_config *parse(const char *json)
{
	struct oci_config *cfg = NULL;
	struct husk_err *err = NULL;
	if (oci_config_parse(json, strlen(json), "config.json", &cfg, &err) < 0)
		fail_msg("parse: %s", err->msg);
	return cfg;
}

/* The plan as "name[index]" words, for one comparison per test. */
static char *render(const struct rootfs_plan *p)
{
	char *out = xstrdup("");
	for (size_t i = 0; i < p->n; i++) {
		const struct rootfs_op *op = &p->ops[i];
		char *next;
		if (op->step == RSTEP_MOUNT || op->step == RSTEP_READONLY_PATH ||
		    op->step == RSTEP_MASKED_PATH)
			next = xasprintf("%s%s%s[%zu]", out, i ? " " : "",
					 rootfs_step_name(op->step), op->index);
		else
			next = xasprintf("%s%s%s", out, i ? " " : "", rootfs_step_name(op->step));
		free(out);
		out = next;
	}
	return out;
}

static const char *full_config =
    "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\",\"readonly\":true},"
    "\"process\":{\"cwd\":\"/\",\"args\":[\"sh\"],\"user\":{\"uid\":0,\"gid\":0}},"
    "\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
    "{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\"},"
    "{\"destination\":\"/sys\",\"type\":\"sysfs\",\"source\":\"sysfs\"}],"
    "\"linux\":{\"namespaces\":[{\"type\":\"mount\"}],"
    "\"maskedPaths\":[\"/proc/kcore\",\"/proc/keys\"],"
    "\"readonlyPaths\":[\"/proc/sys\"],"
    "\"rootfsPropagation\":\"rslave\"}}";

static void test_prepare_order(void **state)
{
	(void)state;
	struct oci_config *cfg = parse(full_config);
	struct rootfs_opts opts = {.rootfs = "/b/rootfs", .console_pty_fd = -1};
	struct rootfs_plan p = {0};
	struct husk_err *err = NULL;
	assert_int_equal(rootfs_plan_prepare(cfg, &opts, &p, &err), 0);
	char *s = render(&p);
	assert_string_equal(s, "root-propagation bind-rootfs mount[0] mount[1] mount[2] dev");
	/* rslave: the same on / as the default, recursively */
	assert_int_equal(p.ops[0].flags, MS_REC | MS_SLAVE);
	free(s);
	rootfs_plan_free(&p);
	oci_config_free(cfg);
}

static void test_finalize_order(void **state)
{
	(void)state;
	struct oci_config *cfg = parse(full_config);
	struct rootfs_opts opts = {.rootfs = "/b/rootfs", .console_pty_fd = -1};
	struct rootfs_plan p = {0};
	struct husk_err *err = NULL;
	assert_int_equal(rootfs_plan_finalize(cfg, &opts, &p, &err), 0);
	char *s = render(&p);
	assert_string_equal(s, "cgroup-binds sysctls readonly-path[0] masked-path[0] "
			       "masked-path[1] pivot-root rootfs-propagation root-readonly");
	assert_string_equal(p.ops[3].path, "/proc/kcore");
	assert_string_equal(p.ops[4].path, "/proc/keys");
	free(s);
	rootfs_plan_free(&p);
	/* --no-pivot moves the root instead, at the same place */
	opts.no_pivot = true;
	assert_int_equal(rootfs_plan_finalize(cfg, &opts, &p, &err), 0);
	s = render(&p);
	assert_string_equal(s, "cgroup-binds sysctls readonly-path[0] masked-path[0] "
			       "masked-path[1] move-root rootfs-propagation root-readonly");
	free(s);
	rootfs_plan_free(&p);
	oci_config_free(cfg);
}

static void test_minimal_and_shared(void **state)
{
	(void)state;
	struct oci_config *cfg = parse(
	    "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"},"
	    "\"process\":{\"cwd\":\"/\",\"args\":[\"sh\"],\"user\":{\"uid\":0,\"gid\":0}},"
	    "\"linux\":{\"namespaces\":[{\"type\":\"mount\"}],\"rootfsPropagation\":\"shared\"}}");
	struct rootfs_opts opts = {.rootfs = "/b/rootfs", .console_pty_fd = -1};
	struct rootfs_plan p = {0};
	struct husk_err *err = NULL;
	assert_int_equal(rootfs_plan_prepare(cfg, &opts, &p, &err), 0);
	char *s = render(&p);
	/* shared: pivot_root needs the rootfs's parent mount private first */
	assert_string_equal(s, "root-propagation parent-private bind-rootfs dev");
	assert_int_equal(p.ops[0].flags, MS_REC | MS_SHARED);
	free(s);
	rootfs_plan_free(&p);
	assert_int_equal(rootfs_plan_finalize(cfg, &opts, &p, &err), 0);
	s = render(&p);
	assert_string_equal(s, "cgroup-binds sysctls pivot-root rootfs-propagation");
	free(s);
	rootfs_plan_free(&p);
	oci_config_free(cfg);
}

static void test_unbindable_starts_private(void **state)
{
	(void)state;
	struct oci_config *cfg =
	    parse("{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"},"
		  "\"process\":{\"cwd\":\"/\",\"args\":[\"sh\"],\"user\":{\"uid\":0,\"gid\":0}},"
		  "\"linux\":{\"namespaces\":[{\"type\":\"mount\"}],"
		  "\"rootfsPropagation\":\"unbindable\"}}");
	struct rootfs_opts opts = {.rootfs = "/b/rootfs", .console_pty_fd = -1};
	struct rootfs_plan p = {0};
	struct husk_err *err = NULL;
	assert_int_equal(rootfs_plan_prepare(cfg, &opts, &p, &err), 0);
	/* an unbindable tree could not be bound onto itself: private first, and
	 * unbindable only once the new root is in place */
	assert_int_equal(p.ops[0].flags, MS_REC | MS_PRIVATE);
	rootfs_plan_free(&p);
	assert_int_equal(rootfs_plan_finalize(cfg, &opts, &p, &err), 0);
	assert_int_equal(p.ops[p.n - 1].step, RSTEP_ROOTFS_PROPAGATION);
	assert_int_equal(p.ops[p.n - 1].flags, MS_UNBINDABLE);
	rootfs_plan_free(&p);
	oci_config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_prepare_order),
	    cmocka_unit_test(test_finalize_order),
	    cmocka_unit_test(test_minimal_and_shared),
	    cmocka_unit_test(test_unbindable_starts_private),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
