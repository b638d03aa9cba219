/* Pure translation and parsing: capability names, the strict uid[:gid]
 * parser, and linux.seccomp -> BPF (rule counts, errors). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "tests/unit/helpers/unit_main.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <string.h>

#include "common/util.h"
#include "helpers/security_child.h"
#include "runtime/caps.h"
#include "runtime/process_security.h"
#include "runtime/seccomp_filter.h"

/* ---- capability names --------------------------------------------------- */

static void test_cap_names(void **state)
{
	int cap = -1;
	assert_int_equal(caps_from_name("CAP_CHOWN", &cap, NULL), 0);
	assert_int_equal(cap, 0);
	assert_int_equal(caps_from_name("CAP_SYS_ADMIN", &cap, NULL), 0);
	assert_int_equal(cap, 21);
	assert_int_equal(caps_from_name("CAP_CHECKPOINT_RESTORE", &cap, NULL), 0);
	assert_int_equal(cap, 40);
	assert_int_equal(caps_from_name("cap_net_raw", &cap, NULL), 0);
	assert_int_equal(cap, 13);
	assert_string_equal(caps_to_name(21), "CAP_SYS_ADMIN");
	assert_string_equal(caps_to_name(0), "CAP_CHOWN");
}

static void test_cap_names_rejected(void **state)
{
	const char *bad[] = {"CHOWN", "CAP_", "CAP_12", "12", "CAP_CHOWN,CAP_KILL", "CAP_CHOWN+ep",
			     "CAP_NOT_A_CAP", "", "CAP_CHOWN ", "all"};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct husk_err *err = NULL;
		int cap = -1;
		assert_true(caps_from_name(bad[i], &cap, &err) < 0);
		assert_non_null(err);
		assert_non_null(strstr(err->msg, "unknown capability"));
		husk_err_free(&err);
	}
}

static void test_caps_parse_sets_and_host_bounding(void **state)
{
	struct oci_capabilities c = {.present = true};
	c.bounding = sec_strv("CAP_CHOWN", "CAP_KILL", "CAP_SYS_RESOURCE", NULL);
	c.effective = sec_strv("CAP_KILL", NULL);
	c.ambient = sec_strv("CAP_SYS_RESOURCE", NULL);
	struct caps_sets s;
	uint64_t host = ~CAP_BIT(24); /* a host without CAP_SYS_RESOURCE */
	assert_int_equal(caps_parse(&c, host, &s, NULL), 0);
	assert_int_equal(s.bounding, CAP_BIT(0) | CAP_BIT(5));
	assert_int_equal(s.effective, CAP_BIT(5));
	assert_int_equal(s.ambient, 0);
	assert_int_equal(s.permitted, 0);
	/* The same config on a host that has it keeps it. */
	assert_int_equal(caps_parse(&c, ~0ULL, &s, NULL), 0);
	assert_int_equal(s.bounding, CAP_BIT(0) | CAP_BIT(5) | CAP_BIT(24));
}

static void test_caps_parse_error_names_the_set(void **state)
{
	struct oci_capabilities c = {.present = true};
	c.permitted = sec_strv("CAP_KILL", "CAP_FLY", NULL);
	struct caps_sets s;
	struct husk_err *err = NULL;
	assert_true(caps_parse(&c, ~0ULL, &s, &err) < 0);
	assert_non_null(strstr(err->msg, "process.capabilities.permitted[1]"));
	assert_non_null(strstr(err->msg, "CAP_FLY"));
	husk_err_free(&err);
}

/* ---- uid[:gid] ---------------------------------------------------------- */

static void test_user_parse_valid(void **state)
{
	uint32_t uid = 9, gid = 9;
	bool has_gid = true;
	assert_int_equal(process_user_parse("1", &uid, &gid, &has_gid, NULL), 0);
	assert_int_equal(uid, 1);
	assert_false(has_gid);
	assert_int_equal(process_user_parse("1:1", &uid, &gid, &has_gid, NULL), 0);
	assert_int_equal(uid, 1);
	assert_int_equal(gid, 1);
	assert_true(has_gid);
	assert_int_equal(process_user_parse("0:0", &uid, &gid, &has_gid, NULL), 0);
	assert_int_equal(process_user_parse("4294967294:4294967294", &uid, &gid, &has_gid, NULL), 0);
	assert_int_equal(uid, 4294967294u);
	assert_int_equal(gid, 4294967294u);
}

static void test_user_parse_invalid(void **state)
{
	const char *bad[] = {"",	  ":",		"1:",	   ":1",	  "-1",
			     "+1",	  "01",		"1:01",	   "0x10",	  "1 ",
			     " 1",	  "1:1:1",	"root",	   "1:wheel",	  "4294967295",
			     "1:4294967295", "99999999999999999999", "1.0", "١"};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		uint32_t uid = 7, gid = 7;
		bool has_gid = false;
		struct husk_err *err = NULL;
		print_message("# \"%s\"\n", bad[i]);
		assert_true(process_user_parse(bad[i], &uid, &gid, &has_gid, &err) < 0);
		assert_non_null(err);
		assert_int_equal(uid, 7);
		husk_err_free(&err);
	}
}

/* ---- seccomp translation ------------------------------------------------ */

static struct oci_seccomp base(const char *def)
{
	struct oci_seccomp s = {.present = true, .default_action = (char *)def};
	return s;
}

static void test_build_counts_rules(void **state)
{
	struct oci_seccomp s = base("SCMP_ACT_ERRNO");
	struct oci_seccomp_syscall rules[3] = {0};
	rules[0].names = sec_strv("read", "write", "no_such_call_xyz", NULL);
	rules[0].action = "SCMP_ACT_ALLOW";
	rules[1].names = sec_strv("getpid", NULL);
	rules[1].action = "SCMP_ACT_ERRNO"; /* same as default with EPERM: a no-op */
	rules[2].names = sec_strv("kill", NULL);
	rules[2].action = "SCMP_ACT_ALLOW";
	struct oci_seccomp_arg args[2] = {{.index = 1, .value = 9, .op = "SCMP_CMP_EQ"},
					  {.index = 1, .value = 15, .op = "SCMP_CMP_EQ"}};
	rules[2].args = args;
	rules[2].n_args = 2;
	s.syscalls = rules;
	s.n_syscalls = 3;
	struct seccomp_prog *p = NULL;
	assert_int_equal(seccomp_prog_build(&s, NULL, &p, NULL), 0);
	assert_int_equal(p->n_skipped, 1);
	assert_int_equal(p->n_rules, 2 + 2); /* read, write; kill split into two ORed rules */
	assert_false(p->uses_notify);
	assert_true(p->n_insns > 4);
	/* Starts by checking the architecture, like every libseccomp filter. */
	assert_int_equal(p->insns[0].code, BPF_LD | BPF_W | BPF_ABS);
	assert_int_equal(p->insns[0].k, offsetof(struct seccomp_data, arch));
	seccomp_prog_free(p);
}

static void test_build_default_errno_ret_in_bpf(void **state)
{
	struct oci_seccomp s = base("SCMP_ACT_ERRNO");
	s.default_errno_ret = (oci_opt_u64){true, 38};
	struct seccomp_prog *p = NULL;
	assert_int_equal(seccomp_prog_build(&s, NULL, &p, NULL), 0);
	bool found = false;
	for (unsigned i = 0; i < p->n_insns; i++)
		if (p->insns[i].code == (BPF_RET | BPF_K) && p->insns[i].k == (SECCOMP_RET_ERRNO | 38))
			found = true;
	assert_true(found);
	seccomp_prog_free(p);
}

static void expect_build_error(struct oci_seccomp *s, const char *needle)
{
	struct seccomp_prog *p = NULL;
	struct husk_err *err = NULL;
	assert_true(seccomp_prog_build(s, NULL, &p, &err) < 0);
	assert_null(p);
	assert_non_null(err);
	print_message("# %s\n", err->msg);
	assert_non_null(strstr(err->msg, needle));
	husk_err_free(&err);
}

static void test_build_errors(void **state)
{
	struct oci_seccomp s = base("SCMP_ACT_BOGUS");
	expect_build_error(&s, "SCMP_ACT_BOGUS");
	s = base(NULL);
	expect_build_error(&s, "defaultAction");
	s = base("SCMP_ACT_ALLOW");
	s.architectures = sec_strv("SCMP_ARCH_Z80", NULL);
	expect_build_error(&s, "SCMP_ARCH_Z80");
	s = base("SCMP_ACT_ALLOW");
	s.flags = sec_strv("SECCOMP_FILTER_FLAG_NEW_LISTENER", NULL);
	expect_build_error(&s, "SECCOMP_FILTER_FLAG_NEW_LISTENER");
	s = base("SCMP_ACT_ALLOW");
	struct oci_seccomp_syscall r = {.names = sec_strv("read", NULL), .action = "SCMP_ACT_ERRNO"};
	struct oci_seccomp_arg a = {.index = 6, .value = 1, .op = "SCMP_CMP_EQ"};
	r.args = &a;
	r.n_args = 1;
	s.syscalls = &r;
	s.n_syscalls = 1;
	expect_build_error(&s, "index");
	a.index = 0;
	a.op = "SCMP_CMP_SOMETIMES";
	expect_build_error(&s, "SCMP_CMP_SOMETIMES");
	a.op = "SCMP_CMP_EQ";
	r.errno_ret = (oci_opt_u64){true, 70000};
	expect_build_error(&s, "errnoRet");
}

static void test_tables_agree_with_libseccomp(void **state)
{
	/* Every action name resolves; every listed arch that libseccomp knows resolves. */
	for (size_t i = 0; oci_seccomp_action_names[i]; i++) {
		uint32_t act;
		assert_int_equal(seccomp_action_parse(oci_seccomp_action_names[i], NULL, &act, NULL), 0);
	}
	uint32_t arch;
	assert_int_equal(seccomp_arch_parse("SCMP_ARCH_X86_64", &arch, NULL), 0);
	assert_true(seccomp_arch_supported("SCMP_ARCH_AARCH64"));
	assert_false(seccomp_arch_supported("SCMP_ARCH_x86_64"));
	assert_false(seccomp_arch_supported("x86_64"));
	SEC_SKIP_UNDER_VALGRIND("seccomp(SECCOMP_GET_ACTION_AVAIL)");
	assert_true(seccomp_action_supported("SCMP_ACT_NOTIFY"));
	assert_false(seccomp_action_supported("SCMP_ACT_NOPE"));
}

/* ---- compiled-filter cache -------------------------------------------- */

/* Each cache test gets a fresh cache of its own (setup/teardown): the
 * directory's parent is a private temp dir, the cache is created inside. */
struct cache_fixture {
	char top[64]; /* mkdtemp */
	char dir[80]; /* top/c: the cache dir husk creates */
};

static int cache_setup(void **state)
{
	struct cache_fixture *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	strcpy(f->top, "/tmp/husk-security-cache-XXXXXX");
	if (!mkdtemp(f->top)) {
		free(f);
		return -1;
	}
	snprintf(f->dir, sizeof(f->dir), "%s/c", f->top);
	*state = f;
	return 0;
}

static int cache_teardown(void **state)
{
	struct cache_fixture *f = *state;
	char cmd[96];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->top);
	int rc = system(cmd);
	free(f);
	return rc == 0 ? 0 : -1;
}

static struct oci_seccomp cache_profile(int errno_ret)
{
	struct oci_seccomp s = base("SCMP_ACT_ALLOW");
	struct oci_seccomp_syscall *r = sec_calloc(1, sizeof(*r));
	r->names = sec_strv("mkdir", "mkdirat", "no_such_call_cache", NULL);
	r->action = "SCMP_ACT_ERRNO";
	r->errno_ret = (oci_opt_u64){true, (uint64_t)errno_ret};
	s.syscalls = r;
	s.n_syscalls = 1;
	s.architectures = sec_strv("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", NULL);
	return s;
}

static struct seccomp_prog *build_cached(const char *cache_dir, const struct oci_seccomp *s)
{
	struct seccomp_prog *p = NULL;
	struct husk_err *err = NULL;
	if (seccomp_prog_build(s, cache_dir, &p, &err) < 0)
		fail_msg("%s", err->msg);
	return p;
}

static void only_entry(const char *cache_dir, char *path, size_t len)
{
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "ls %s/*.bpf", cache_dir);
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	assert_non_null(fgets(path, (int)len, f));
	path[strcspn(path, "\n")] = 0;
	assert_null(fgets(cmd, sizeof(cmd), f)); /* exactly one */
	pclose(f);
}

static void test_cache_hit_is_identical(void **state)
{
	if (geteuid() != 0) {
		print_message("# skip: the cache only trusts root-owned entries\n");
		skip();
	}
	const char *cache_dir = ((struct cache_fixture *)*state)->dir;
	struct oci_seccomp s = cache_profile(42);
	struct seccomp_prog *cold = build_cached(cache_dir, &s);
	assert_false(cold->from_cache);
	struct seccomp_prog *warm = build_cached(cache_dir, &s);
	assert_true(warm->from_cache);
	assert_int_equal(cold->n_insns, warm->n_insns);
	assert_memory_equal(cold->insns, warm->insns, cold->n_insns * sizeof(cold->insns[0]));
	/* Validation still ran: the same counts and warnings either way. */
	assert_int_equal(warm->n_skipped, 1);
	assert_int_equal(warm->n_rules, cold->n_rules);
	/* A different profile is a different entry, never the cached program. */
	struct oci_seccomp other = cache_profile(43);
	struct seccomp_prog *o = build_cached(cache_dir, &other);
	assert_false(o->from_cache);
	bool differs = o->n_insns != cold->n_insns ||
		       memcmp(o->insns, cold->insns, cold->n_insns * sizeof(cold->insns[0])) != 0;
	assert_true(differs);
	seccomp_prog_free(cold);
	seccomp_prog_free(warm);
	seccomp_prog_free(o);
}

static void test_cache_rejects_tampering(void **state)
{
	if (geteuid() != 0) {
		print_message("# skip: the cache only trusts root-owned entries\n");
		skip();
	}
	const char *cache_dir = ((struct cache_fixture *)*state)->dir;
	char entry[200];
	struct oci_seccomp s = cache_profile(42);
	seccomp_prog_free(build_cached(cache_dir, &s));
	only_entry(cache_dir, entry, sizeof(entry));

	/* Someone else could have written it: group-writable is a miss. */
	assert_int_equal(chmod(entry, 0620), 0);
	struct seccomp_prog *p = build_cached(cache_dir, &s);
	assert_false(p->from_cache);
	seccomp_prog_free(p);
	assert_int_equal(chmod(entry, 0600), 0);

	/* A filter stored under this key but for other input (a forged or
	 * colliding entry): the stored key text differs, so it is a miss. */
	char *text = NULL;
	size_t len = 0;
	assert_int_equal(read_file_at(AT_FDCWD, entry, &text, &len, NULL), 0);
	char *hit = memmem(text, len, "errno 1 42", 10);
	assert_non_null(hit);
	hit[9] = '3';
	assert_int_equal(write_file_atomic_at(AT_FDCWD, entry, text, len, 0600, NULL), 0);
	free(text);
	p = build_cached(cache_dir, &s);
	assert_false(p->from_cache);
	seccomp_prog_free(p);

	/* Truncated: a miss, and the rebuilt entry works again. */
	assert_int_equal(truncate(entry, 20), 0);
	p = build_cached(cache_dir, &s);
	assert_false(p->from_cache);
	seccomp_prog_free(p);
	p = build_cached(cache_dir, &s);
	assert_true(p->from_cache);
	seccomp_prog_free(p);

	/* A directory others can write to is not used at all. */
	assert_int_equal(chmod(cache_dir, 0777), 0);
	p = build_cached(cache_dir, &s);
	assert_false(p->from_cache);
	seccomp_prog_free(p);
}

UNIT_MAIN(NULL, sec_group_teardown, cmocka_unit_test(test_cap_names),
	  cmocka_unit_test(test_cap_names_rejected),
	  cmocka_unit_test(test_caps_parse_sets_and_host_bounding),
	  cmocka_unit_test(test_caps_parse_error_names_the_set),
	  cmocka_unit_test(test_user_parse_valid), cmocka_unit_test(test_user_parse_invalid),
	  cmocka_unit_test(test_build_counts_rules),
	  cmocka_unit_test(test_build_default_errno_ret_in_bpf),
	  cmocka_unit_test(test_build_errors), cmocka_unit_test(test_tables_agree_with_libseccomp),
	  cmocka_unit_test_setup_teardown(test_cache_hit_is_identical, cache_setup, cache_teardown),
	  cmocka_unit_test_setup_teardown(test_cache_rejects_tampering, cache_setup,
					  cache_teardown))
