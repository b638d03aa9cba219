/* Device rules: the eBPF program's verdicts and the v1 devices.allow/deny writes.
 *
 * The program is run here by a tiny interpreter of the few instructions the
 * builder emits (BPF_PROG_TYPE_CGROUP_DEVICE has no BPF_PROG_TEST_RUN), so
 * rule order, wildcards and partial access are checked exhaustively; the
 * kernel's own verdict on a real open() is in test_cgroups_unified.c.
 * The v1 writer is pointed at a mock dir (devices.allow/devices.deny as plain
 * files would keep only the last write, so each case writes one rule). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "tests/unit/helpers/unit_main.h"

#include <errno.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>

#include "cgroups/internal.h"
#include "common/cleanup.h"
#include "tests/unit/helpers/dev_rules.h"
#include "tests/unit/helpers/cgroup_mock.h"

/* Runs insns on (type, access, major, minor); returns r0, or -1 on an
 * instruction the builder should never emit. */
static int run(const struct bpf_insn *p, size_t n, int type, int access, uint32_t major,
	       uint32_t minor)
{
	uint32_t ctx[3] = {(uint32_t)(access << 16) | (uint32_t)type, major, minor};
	uint64_t r[11] = {0};
	for (size_t pc = 0; pc < n; pc++) {
		const struct bpf_insn *i = &p[pc];
		switch (i->code) {
		case BPF_LDX | BPF_MEM | BPF_W:
			assert_int_equal(i->src_reg, BPF_REG_1);
			r[i->dst_reg] = ctx[i->off / 4];
			break;
		case BPF_ALU | BPF_AND | BPF_K:
			r[i->dst_reg] = (uint32_t)r[i->dst_reg] & (uint32_t)i->imm;
			break;
		case BPF_ALU | BPF_RSH | BPF_K:
			r[i->dst_reg] = (uint32_t)r[i->dst_reg] >> i->imm;
			break;
		case BPF_ALU | BPF_MOV | BPF_K:
			r[i->dst_reg] = (uint32_t)i->imm;
			break;
		case BPF_ALU | BPF_MOV | BPF_X:
			r[i->dst_reg] = (uint32_t)r[i->src_reg];
			break;
		case BPF_JMP | BPF_JNE | BPF_K:
			if (r[i->dst_reg] != (uint64_t)(uint32_t)i->imm)
				pc += i->off;
			break;
		case BPF_JMP | BPF_EXIT:
			return (int)r[0];
		default:
			return -1;
		}
	}
	return -1; /* fell off the end: the verifier would refuse it */
}

#define C BPF_DEVCG_DEV_CHAR
#define B BPF_DEVCG_DEV_BLOCK
#define R BPF_DEVCG_ACC_READ
#define W BPF_DEVCG_ACC_WRITE
#define M BPF_DEVCG_ACC_MKNOD

struct prog {
	struct bpf_insn *p;
	size_t n;
};

static struct prog build(const struct oci_device_cgroup *rules, size_t n)
{
	struct prog pr;
	struct husk_err *err = NULL;
	if (cg2_devices_build(rules, n, &pr.p, &pr.n, &err) < 0)
		fail_msg("%s", err->msg);
	return pr;
}

static void test_deny_all_then_allow(void **state)
{
	struct oci_device_cgroup rules[] = {
	    {.allow = false, .access = (char *)"rwm"},
	    DEV_RULE(true, "c", 1, 3, "rw"),
	    {.allow = true, .type = (char *)"c", .major = {true, 136}, .access = (char *)"rwm"},
	};
	struct prog p = build(rules, 3);
	assert_int_equal(run(p.p, p.n, C, R, 1, 3), 1);
	assert_int_equal(run(p.p, p.n, C, R | W, 1, 3), 1);
	assert_int_equal(run(p.p, p.n, C, M, 1, 3), 0); /* mknod not granted */
	assert_int_equal(run(p.p, p.n, B, R, 1, 3), 0); /* block 1:3 is another device */
	assert_int_equal(run(p.p, p.n, C, R, 1, 5), 0);
	assert_int_equal(run(p.p, p.n, C, R | W, 136, 7), 1); /* minor wildcard */
	assert_int_equal(run(p.p, p.n, C, W, 4, 1), 0);
	free(p.p);
}

static void test_later_rule_wins(void **state)
{
	struct oci_device_cgroup rules[] = {
	    {.allow = true, .access = (char *)"rwm"},
	    {.allow = false, .type = (char *)"b", .access = (char *)"rwm"},
	    DEV_RULE(true, "b", 8, 0, "r"),
	};
	struct prog p = build(rules, 3);
	assert_int_equal(run(p.p, p.n, C, R | W | M, 5, 5), 1); /* allow all */
	assert_int_equal(run(p.p, p.n, B, R, 8, 1), 0);		/* block denied */
	assert_int_equal(run(p.p, p.n, B, R, 8, 0), 1);		/* re-allowed read */
	assert_int_equal(run(p.p, p.n, B, W, 8, 0), 0);
	free(p.p);

	/* a deny for one device after allow-all */
	struct oci_device_cgroup r2[] = {
	    {.allow = true, .access = (char *)"rwm"},
	    DEV_RULE(false, "c", 1, 11, "rwm"),
	};
	p = build(r2, 2);
	assert_int_equal(run(p.p, p.n, C, R, 1, 11), 0);
	assert_int_equal(run(p.p, p.n, C, R, 1, 12), 1);
	free(p.p);
}

static void test_defaults_merge(void **state)
{
	struct oci_device_cgroup spec[] = {{.allow = false, .access = (char *)"rwm"}};
	struct oci_device extra[] = {
	    {.type = (char *)"c", .path = (char *)"/dev/fuse", .major = 10, .minor = 229},
	    {.type = (char *)"p", .path = (char *)"/dev/fifo"},
	};
	struct cg_dev_rules m;
	cg_devices_merge(spec, 1, extra, 2, &m);
	struct prog p = build(m.v, m.n);
	assert_int_equal(run(p.p, p.n, C, R | W, 1, 3), 1);    /* /dev/null */
	assert_int_equal(run(p.p, p.n, C, R | W, 1, 9), 1);    /* /dev/urandom */
	assert_int_equal(run(p.p, p.n, C, R | W, 5, 2), 1);    /* /dev/ptmx */
	assert_int_equal(run(p.p, p.n, C, R | W, 136, 0), 1);  /* /dev/pts/0 */
	assert_int_equal(run(p.p, p.n, C, R | W, 10, 229), 1); /* linux.devices entry */
	assert_int_equal(run(p.p, p.n, C, M, 42, 42), 1);      /* mknod anything */
	assert_int_equal(run(p.p, p.n, B, M, 8, 0), 1);
	assert_int_equal(run(p.p, p.n, B, R, 8, 0), 0);
	assert_int_equal(run(p.p, p.n, C, R, 1, 11), 0); /* /dev/kmsg */
	free(p.p);
	free(m.v);
}

static void test_bad_rules(void **state)
{
	struct husk_err *err = NULL;
	struct bpf_insn *p = NULL;
	size_t n;
	struct oci_device_cgroup bad1[] = {{.allow = true, .type = (char *)"x"}};
	assert_int_not_equal(cg2_devices_build(bad1, 1, &p, &n, &err), 0);
	assert_non_null(strstr(err->msg, "\"x\""));
	husk_err_free(&err);
	struct oci_device_cgroup bad2[] = {{.allow = true, .access = (char *)"rwx"}};
	assert_int_not_equal(cg2_devices_build(bad2, 1, &p, &n, &err), 0);
	husk_err_free(&err);
	assert_null(p);
}

static void test_v1_writes(void **state)
{
	static const char *const files[] = {"devices.allow", "devices.deny", NULL};
	char dir[128];
	int fd = cgmock_open(dir, sizeof(dir), files);
	assert_true(fd >= 0);
	struct husk_err *err = NULL;
	struct {
		struct oci_device_cgroup r;
		const char *file, *want;
	} cases[] = {
	    {{.allow = false, .access = (char *)"rwm"}, "devices.deny", "a"},
	    {{.allow = true, .type = (char *)"a", .access = (char *)"rwm"}, "devices.allow", "a"},
	    {DEV_RULE(true, "c", 1, 3, "rw"),
	     "devices.allow",
	     "c 1:3 rw"},
	    {{.allow = false, .type = (char *)"b", .major = {true, 8}, .access = (char *)"w"},
	     "devices.deny",
	     "b 8:* w"},
	    {{.allow = true, .type = (char *)"c", .access = (char *)"m"},
	     "devices.allow",
	     "c *:* m"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cgmock_reset(fd, files);
		if (cg1_devices_apply(fd, &cases[i].r, 1, &err) < 0)
			fail_msg("%s", err->msg);
		cleanup_free char *got = cgmock_get(fd, cases[i].file);
		assert_string_equal(got, cases[i].want);
	}
	cgmock_close(fd, dir, files);
}

UNIT_MAIN(NULL, NULL, cmocka_unit_test(test_deny_all_then_allow),
	  cmocka_unit_test(test_later_rule_wins), cmocka_unit_test(test_defaults_merge),
	  cmocka_unit_test(test_bad_rules), cmocka_unit_test(test_v1_writes))
