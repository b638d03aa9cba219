/* process_security_prepare/apply/load_seccomp in forked children, checked
 * through the kernel's own view (/proc/self/status, errno of a filtered call).
 * The configs are built by hand (the oci parser is exercised elsewhere). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "tests/unit/helpers/unit_main.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"
#include "runtime/process_security.h"
#include "helpers/security_child.h"

#define strv sec_strv
#define new_cfg sec_new_cfg
#define status_hex sec_status_hex
#define status_num sec_status_num
#define one_rule sec_rule
#define result sec_result

static int run_child(const struct oci_config *cfg, void (*probe)(struct sec_result *, void *),
		     void *arg, struct sec_result *out)
{
	struct sec_hooks h = {.probe = probe, .arg = arg};
	return sec_run_child(cfg, &h, out);
}

#define BIT(c) (1ULL << (c))
/* numbers from linux/capability.h */
#define C_CHOWN 0
#define C_KILL 5
#define C_SETPCAP 8
#define C_NET_BIND 10
#define C_NET_RAW 13
#define C_SYS_ADMIN 21
#define C_SYS_RESOURCE 24

/* ---- capabilities ------------------------------------------------------- */

/* Run the config in a child; the test fails unless it got to STEP (0: the
 * exec, 1: refused while applying). */
static struct result run_at_step(const struct oci_config *c, int step)
{
	struct result r;
	run_child(c, NULL, NULL, &r);
	assert_int_equal(r.step, step);
	return r;
}

/* The bounding, permitted and effective sets are the same two capabilities. */
static void same_caps(struct oci_config *c, const char *a, const char *b)
{
	c->process.capabilities.present = true;
	c->process.capabilities.bounding = strv(a, b, NULL);
	c->process.capabilities.permitted = strv(a, b, NULL);
	c->process.capabilities.effective = strv(a, b, NULL);
}

static void test_caps_nonroot_exact_sets(void **state)
{
	struct oci_config *c = new_cfg(1000, 1000);
	c->process.capabilities.present = true;
	c->process.capabilities.bounding = strv("CAP_CHOWN", "CAP_NET_BIND_SERVICE", "CAP_KILL", NULL);
	c->process.capabilities.permitted = strv("CAP_CHOWN", "CAP_NET_BIND_SERVICE", NULL);
	c->process.capabilities.effective = strv("CAP_CHOWN", NULL);
	c->process.capabilities.inheritable = strv("CAP_NET_BIND_SERVICE", NULL);
	c->process.capabilities.ambient = strv("CAP_NET_BIND_SERVICE", NULL);
	struct result r;
	int st = run_child(c, NULL, NULL, &r);
	assert_true(WIFEXITED(st));
	assert_int_equal(r.step, 0);
	assert_int_equal(status_hex(&r, "CapBnd:\t"), BIT(C_CHOWN) | BIT(C_NET_BIND) | BIT(C_KILL));
	assert_int_equal(status_hex(&r, "CapPrm:\t"), BIT(C_CHOWN) | BIT(C_NET_BIND));
	assert_int_equal(status_hex(&r, "CapEff:\t"), BIT(C_CHOWN));
	assert_int_equal(status_hex(&r, "CapInh:\t"), BIT(C_NET_BIND));
	assert_int_equal(status_hex(&r, "CapAmb:\t"), BIT(C_NET_BIND));
	assert_non_null(strstr(r.status, "Uid:\t1000\t1000\t1000\t1000"));
	assert_non_null(strstr(r.status, "Gid:\t1000\t1000\t1000\t1000"));
	assert_non_null(strstr(r.status, "Groups:\t \n"));
}

static void test_caps_root_subset(void **state)
{
	struct oci_config *c = new_cfg(0, 0);
	same_caps(c, "CAP_CHOWN", "CAP_NET_RAW");
	struct result r = run_at_step(c, 0);
	assert_int_equal(status_hex(&r, "CapBnd:\t"), BIT(C_CHOWN) | BIT(C_NET_RAW));
	assert_int_equal(status_hex(&r, "CapEff:\t"), BIT(C_CHOWN) | BIT(C_NET_RAW));
	assert_int_equal(status_hex(&r, "CapPrm:\t"), BIT(C_CHOWN) | BIT(C_NET_RAW));
	assert_int_equal(status_hex(&r, "CapInh:\t"), 0);
	assert_int_equal(status_hex(&r, "CapAmb:\t"), 0);
}

/* This host's bounding set lacks CAP_SYS_RESOURCE: asked for, it is dropped
 * with a warning and everything else still applies. */
static void test_caps_missing_from_host_bounding_is_dropped(void **state)
{
	if (prctl(PR_CAPBSET_READ, C_SYS_RESOURCE, 0, 0, 0) == 1) {
		print_message("# skip: this host's bounding set has CAP_SYS_RESOURCE\n");
		skip();
	}
	struct oci_config *c = new_cfg(0, 0);
	same_caps(c, "CAP_CHOWN", "CAP_SYS_RESOURCE");
	struct result r = run_at_step(c, 0);
	assert_int_equal(status_hex(&r, "CapEff:\t"), BIT(C_CHOWN));
	assert_int_equal(status_hex(&r, "CapBnd:\t"), BIT(C_CHOWN));
}

static void test_caps_unknown_name_is_error(void **state)
{
	struct oci_config *c = new_cfg(0, 0);
	c->process.capabilities.present = true;
	c->process.capabilities.effective = strv("CAP_CHOWN", "CAP_NOT_A_CAP", NULL);
	struct result r = run_at_step(c, 1);
	assert_non_null(strstr(r.msg, "CAP_NOT_A_CAP"));
	assert_non_null(strstr(r.msg, "effective"));
}

static void test_caps_absent_nonroot_has_none(void **state)
{
	struct oci_config *c = new_cfg(65534, 65534);
	struct result r = run_at_step(c, 0);
	assert_int_equal(status_hex(&r, "CapEff:\t"), 0);
	assert_int_equal(status_hex(&r, "CapPrm:\t"), 0);
	assert_non_null(strstr(r.status, "Uid:\t65534\t65534\t65534\t65534"));
}

static void test_additional_gids(void **state)
{
	struct oci_config *c = new_cfg(1000, 1000);
	static uint32_t gids[] = {10, 20, 30};
	c->process.user.additional_gids = gids;
	c->process.user.n_additional_gids = 3;
	struct result r = run_at_step(c, 0);
	assert_non_null(strstr(r.status, "Groups:\t10 20 30"));
}

static void test_additional_gids_too_many(void **state)
{
	struct oci_config *c = new_cfg(1000, 1000);
	size_t n = (size_t)sysconf(_SC_NGROUPS_MAX) + 1;
	c->process.user.additional_gids = sec_calloc(n, sizeof(uint32_t));
	c->process.user.n_additional_gids = n;
	struct result r = run_at_step(c, 1);
	assert_int_equal(r.rc, E2BIG);
	assert_non_null(strstr(r.msg, "additionalGids"));
}

/* ---- NNP, rlimits, umask ------------------------------------------------ */

static void test_nnp(void **state)
{
	struct oci_config *c = new_cfg(0, 0);
	struct result r;
	run_child(c, NULL, NULL, &r);
	assert_int_equal(status_num(&r, "NoNewPrivs:\t"), 0);
	c->process.no_new_privileges = true;
	run_child(c, NULL, NULL, &r);
	assert_int_equal(r.step, 0);
	assert_int_equal(status_num(&r, "NoNewPrivs:\t"), 1);
}

static void probe_rlimits(struct result *r, void *arg)
{
	struct rlimit l;
	getrlimit(RLIMIT_NOFILE, &l);
	r->extra[0] = (long)l.rlim_cur;
	r->extra[1] = (long)l.rlim_max;
	getrlimit(RLIMIT_CORE, &l);
	r->extra[2] = (long)l.rlim_cur;
	r->extra[3] = (long)l.rlim_max;
	mode_t m = umask(0);
	r->extra[4] = (long)m;
}

static void test_rlimits_and_umask(void **state)
{
	SEC_SKIP_UNDER_VALGRIND("it emulates RLIMIT_NOFILE");
	struct oci_config *c = new_cfg(1000, 1000);
	struct oci_rlimit rl[2] = {{.type = "RLIMIT_NOFILE", .soft = 100, .hard = 200},
				   {.type = "RLIMIT_CORE", .soft = 0, .hard = 4096}};
	c->process.rlimits = rl;
	c->process.n_rlimits = 2;
	c->process.user.umask = (oci_opt_u64){true, 027};
	struct result r;
	run_child(c, probe_rlimits, NULL, &r);
	assert_int_equal(r.step, 0);
	assert_int_equal(r.extra[0], 100);
	assert_int_equal(r.extra[1], 200);
	assert_int_equal(r.extra[2], 0);
	assert_int_equal(r.extra[3], 4096);
	assert_int_equal(r.extra[4], 027);
}

static void test_rlimit_unknown_and_duplicate(void **state)
{
	struct oci_config *c = new_cfg(0, 0);
	struct oci_rlimit rl[2] = {{.type = "RLIMIT_NOFILE", .soft = 1, .hard = 2},
				   {.type = "RLIMIT_BOGUS", .soft = 1, .hard = 2}};
	c->process.rlimits = rl;
	c->process.n_rlimits = 2;
	struct result r = run_at_step(c, 1);
	assert_non_null(strstr(r.msg, "RLIMIT_BOGUS"));
	rl[1].type = "RLIMIT_NOFILE";
	run_child(c, NULL, NULL, &r);
	assert_int_equal(r.step, 1);
	assert_non_null(strstr(r.msg, "duplicate"));
}

/* ---- seccomp ------------------------------------------------------------ */

static void probe_getppid(struct result *r, void *arg)
{
	errno = 0;
	r->extra[0] = syscall(SYS_getppid);
	r->extra[1] = errno;
	errno = 0;
	r->extra[2] = syscall(SYS_getpgid, 0);
	r->extra[3] = errno;
}

/* Allow everything but getppid, which fails with ERRNO; run the probe. */
static struct result run_getppid_denied(struct oci_config *c, int errno_ret)
{
	c->linux_.seccomp.present = true;
	c->linux_.seccomp.default_action = sec_strdup("SCMP_ACT_ALLOW");
	c->linux_.seccomp.syscalls = one_rule("getppid", "SCMP_ACT_ERRNO", errno_ret);
	c->linux_.seccomp.n_syscalls = 1;
	struct result r;
	run_child(c, probe_getppid, NULL, &r);
	assert_int_equal(r.step, 0);
	return r;
}

static void test_seccomp_errno_rule(void **state)
{
	struct oci_config *c = new_cfg(0, 0);
	c->process.no_new_privileges = true;
	struct result r = run_getppid_denied(c, 42);
	assert_int_equal(r.extra[0], -1);
	assert_int_equal(r.extra[1], 42);
	assert_true(r.extra[2] > 0);
	assert_int_equal(status_num(&r, "Seccomp:\t"), 2);
}

/* Docker's common case: no NNP and no CAP_SYS_ADMIN.  Loading the filter needs
 * CAP_SYS_ADMIN then; the process must still end without it. */
static void test_seccomp_without_nnp_drops_sys_admin_after_load(void **state)
{
	struct oci_config *c = new_cfg(1000, 1000);
	c->process.capabilities.present = true;
	c->process.capabilities.bounding = strv("CAP_CHOWN", "CAP_KILL", NULL);
	c->process.capabilities.permitted = strv("CAP_CHOWN", "CAP_KILL", NULL);
	c->process.capabilities.effective = strv("CAP_CHOWN", NULL);
	struct result r = run_getppid_denied(c, 7);
	assert_int_equal(r.extra[1], 7);
	assert_int_equal(status_num(&r, "NoNewPrivs:\t"), 0);
	assert_int_equal(status_num(&r, "Seccomp:\t"), 2);
	assert_int_equal(status_hex(&r, "CapEff:\t"), BIT(C_CHOWN));
	assert_int_equal(status_hex(&r, "CapPrm:\t"), BIT(C_CHOWN) | BIT(C_KILL));
	assert_int_equal(status_hex(&r, "CapBnd:\t"), BIT(C_CHOWN) | BIT(C_KILL));
}

UNIT_MAIN(NULL, sec_group_teardown, cmocka_unit_test(test_caps_nonroot_exact_sets),
	  cmocka_unit_test(test_caps_root_subset),
	  cmocka_unit_test(test_caps_missing_from_host_bounding_is_dropped),
	  cmocka_unit_test(test_caps_unknown_name_is_error),
	  cmocka_unit_test(test_caps_absent_nonroot_has_none),
	  cmocka_unit_test(test_additional_gids), cmocka_unit_test(test_additional_gids_too_many),
	  cmocka_unit_test(test_nnp), cmocka_unit_test(test_rlimits_and_umask),
	  cmocka_unit_test(test_rlimit_unknown_and_duplicate),
	  cmocka_unit_test(test_seccomp_errno_rule),
	  cmocka_unit_test(test_seccomp_without_nnp_drops_sys_admin_after_load))
