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
#include "tests/unit/helpers/unit_main.h"

#include "common/util.h"
#include "oci/spec.h"
#include "rootfs/plan.h"

/* The configs below are valid: a parse error is a broken test. */
static struct oci_config *parse(const char *json)
{
	struct oci_config *cfg = NULL;
	assert_int_equal(oci_config_parse(json, strlen(json), "config.json", &cfg, NULL), 0);
	return cfg;
}

/* The plan as "name[index]" words, for one comparison per check. */
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

/* Build one phase's plan and compare it with want; returns the plan (free it). */
static struct rootfs_plan expect_plan(const struct oci_config *cfg, const struct rootfs_opts *opts,
				      bool finalize, const char *want)
{
	struct rootfs_plan p = {0};
	struct husk_err *err = NULL;
	int r = finalize ? rootfs_plan_finalize(cfg, opts, &p, &err)
			 : rootfs_plan_prepare(cfg, opts, &p, &err);
	if (r < 0)
		fail_msg("plan: %s", err->msg);
	char *s = render(&p);
	assert_string_equal(s, want);
	free(s);
	return p;
}

#define CONFIG(linux_, extra)                                                                      \
	"{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"" extra "},"                       \
	"\"process\":{\"cwd\":\"/\",\"args\":[\"sh\"],\"user\":{\"uid\":0,\"gid\":0}},"            \
	"\"linux\":{" linux_ "}}"

static const struct rootfs_opts plain = {.rootfs = "/b/rootfs", .console_pty_fd = -1};

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

static void test_full_config_order(void **state)
{
	(void)state;
	struct oci_config *cfg = parse(full_config);
	struct rootfs_plan p = expect_plan(
	    cfg, &plain, false, "root-propagation bind-rootfs mount[0] mount[1] mount[2] dev");
	/* rslave: the same on / as the default, recursively */
	assert_int_equal(p.ops[0].flags, MS_REC | MS_SLAVE);
	rootfs_plan_free(&p);
	p = expect_plan(cfg, &plain, true,
			"cgroup-binds sysctls readonly-path[0] masked-path[0] "
			"masked-path[1] pivot-root rootfs-propagation root-readonly");
	assert_string_equal(p.ops[3].path, "/proc/kcore");
	assert_string_equal(p.ops[4].path, "/proc/keys");
	rootfs_plan_free(&p);
	/* --no-pivot moves the root instead, at the same place */
	struct rootfs_opts no_pivot = plain;
	no_pivot.no_pivot = true;
	p = expect_plan(cfg, &no_pivot, true,
			"cgroup-binds sysctls readonly-path[0] masked-path[0] "
			"masked-path[1] move-root rootfs-propagation root-readonly");
	rootfs_plan_free(&p);
	oci_config_free(cfg);
}

static void test_propagation(void **state)
{
	(void)state;
	struct oci_config *cfg = parse(
	    CONFIG("\"namespaces\":[{\"type\":\"mount\"}],\"rootfsPropagation\":\"shared\"", ""));
	/* shared: pivot_root needs the rootfs's parent mount private first */
	struct rootfs_plan p =
	    expect_plan(cfg, &plain, false, "root-propagation parent-private bind-rootfs dev");
	assert_int_equal(p.ops[0].flags, MS_REC | MS_SHARED);
	rootfs_plan_free(&p);
	p = expect_plan(cfg, &plain, true, "cgroup-binds sysctls pivot-root rootfs-propagation");
	rootfs_plan_free(&p);
	oci_config_free(cfg);
	/* an unbindable tree could not be bound onto itself: private first, and
	 * unbindable only once the new root is in place */
	cfg = parse(CONFIG(
	    "\"namespaces\":[{\"type\":\"mount\"}],\"rootfsPropagation\":\"unbindable\"", ""));
	p = expect_plan(cfg, &plain, false, "root-propagation bind-rootfs dev");
	assert_int_equal(p.ops[0].flags, MS_REC | MS_PRIVATE);
	rootfs_plan_free(&p);
	p = expect_plan(cfg, &plain, true, "cgroup-binds sysctls pivot-root rootfs-propagation");
	assert_int_equal(p.ops[p.n - 1].flags, MS_UNBINDABLE);
	rootfs_plan_free(&p);
	oci_config_free(cfg);
}

/* Without a mount namespace there is no plan: the host's mounts are never touched. */
static void test_refused_without_mount_ns(void **state)
{
	(void)state;
	struct oci_config *cfg = parse(CONFIG("\"namespaces\":[{\"type\":\"pid\"}]", ""));
	struct rootfs_plan p = {0};
	struct husk_err *err = NULL;
	assert_true(rootfs_plan_prepare(cfg, &plain, &p, &err) < 0);
	assert_non_null(strstr(err->msg, "no mount namespace"));
	husk_err_free(&err);
	assert_true(rootfs_plan_finalize(cfg, &plain, &p, &err) < 0);
	husk_err_free(&err);
	assert_int_equal(p.n, 0);
	oci_config_free(cfg);
}

UNIT_MAIN(NULL, NULL, cmocka_unit_test(test_full_config_order), cmocka_unit_test(test_propagation),
	  cmocka_unit_test(test_refused_without_mount_ns))
