/* cgroup v2 device access: a BPF_PROG_TYPE_CGROUP_DEVICE program built from
 * the OCI rules, loaded and attached with raw bpf(2) (no libbpf).
 *
 * OCI rules are ordered and later ones win, so the program tests them last to
 * first and returns the verdict of the first match; no match denies (runc and
 * crun do the same).  The program is attached with BPF_F_ALLOW_MULTI and any
 * program attached before (an earlier apply) is detached afterwards, so access
 * never opens up in between. */
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroups/internal.h"
#include "common/cleanup.h"
#include "common/util.h"

#define INSN(c, d, s, o, i)                                                                        \
	((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})
#define LDX_W(d, s, o)	 INSN(BPF_LDX | BPF_MEM | BPF_W, d, s, o, 0)
#define MOV32_REG(d, s)	 INSN(BPF_ALU | BPF_MOV | BPF_X, d, s, 0, 0)
#define MOV32_IMM(d, i)	 INSN(BPF_ALU | BPF_MOV | BPF_K, d, 0, 0, i)
#define AND32_IMM(d, i)	 INSN(BPF_ALU | BPF_AND | BPF_K, d, 0, 0, i)
#define RSH32_IMM(d, i)	 INSN(BPF_ALU | BPF_RSH | BPF_K, d, 0, 0, i)
#define JNE_IMM(d, i, o) INSN(BPF_JMP | BPF_JNE | BPF_K, d, 0, o, i)
#define EXIT()		 INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

static int rule_access_mask(const char *acc)
{
	int m = 0;
	for (const char *s = acc ? acc : "rwm"; *s; s++)
		m |= *s == 'r'	 ? BPF_DEVCG_ACC_READ
		     : *s == 'w' ? BPF_DEVCG_ACC_WRITE
				 : BPF_DEVCG_ACC_MKNOD;
	return m;
}

int cg2_devices_build(const struct oci_device_cgroup *devs, size_t n, struct bpf_insn **out,
		      size_t *n_out, struct husk_err **err)
{
	/* Prologue 5 + per rule at most 8 + epilogue 2. */
	struct bpf_insn *p = xcalloc(5 + n * 8 + 2, sizeof(*p));
	size_t k = 0;
	/* r2 = type, r3 = access, r4 = major, r5 = minor (from bpf_cgroup_dev_ctx). */
	p[k++] = LDX_W(BPF_REG_2, BPF_REG_1, 0);
	p[k++] = AND32_IMM(BPF_REG_2, 0xffff);
	p[k++] = LDX_W(BPF_REG_3, BPF_REG_1, 0);
	p[k++] = RSH32_IMM(BPF_REG_3, 16);
	p[k++] = LDX_W(BPF_REG_4, BPF_REG_1, 4);
	p[k++] = LDX_W(BPF_REG_5, BPF_REG_1, 8);
	bool catch_all = false;
	for (size_t i = n; i-- > 0 && !catch_all;) {
		const struct oci_device_cgroup *r = &devs[i];
		if (cg_device_rule_check(r, err) < 0) {
			free(p);
			return -1;
		}
		const char *t = r->type ? r->type : "a";
		int mask = rule_access_mask(r->access);
		bool all_access =
		    mask == (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD);
		/* The block's tests, each jumping past the block on mismatch. */
		struct bpf_insn tests[8];
		size_t nt = 0;
		if (strcmp(t, "a") != 0)
			tests[nt++] = JNE_IMM(
			    BPF_REG_2, t[0] == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK, 0);
		if (!all_access) {
			/* Every requested access bit must be among the rule's. */
			tests[nt++] = MOV32_REG(BPF_REG_6, BPF_REG_3);
			tests[nt++] = AND32_IMM(BPF_REG_6, ~mask & 7);
			tests[nt++] = JNE_IMM(BPF_REG_6, 0, 0);
		}
		if (r->major.set)
			tests[nt++] = JNE_IMM(BPF_REG_4, (int32_t)r->major.v, 0);
		if (r->minor.set)
			tests[nt++] = JNE_IMM(BPF_REG_5, (int32_t)r->minor.v, 0);
		size_t block = nt + 2; /* tests + mov r0 + exit */
		for (size_t j = 0; j < nt; j++) {
			if (BPF_CLASS(tests[j].code) == BPF_JMP)
				tests[j].off = (int16_t)(block - j - 1);
			p[k++] = tests[j];
		}
		p[k++] = MOV32_IMM(BPF_REG_0, r->allow ? 1 : 0);
		p[k++] = EXIT();
		/* A rule that matches everything hides every earlier one (and the
		 * verifier rejects unreachable code). */
		catch_all = nt == 0;
	}
	if (!catch_all) {
		p[k++] = MOV32_IMM(BPF_REG_0, 0);
		p[k++] = EXIT();
	}
	*out = p;
	*n_out = k;
	return 0;
}

static int prog_load(const struct bpf_insn *insns, size_t n, struct husk_err **err)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	a.expected_attach_type = BPF_CGROUP_DEVICE;
	a.insns = (uint64_t)(uintptr_t)insns;
	a.insn_cnt = (uint32_t)n;
	a.license = (uint64_t)(uintptr_t) "Apache";
	memcpy(a.prog_name, "husk_devices", sizeof("husk_devices"));
	int fd = (int)sys_bpf(BPF_PROG_LOAD, &a);
	if (fd >= 0)
		return fd;
	int saved = errno;
	/* Load again with a log so the error says what the verifier disliked. */
	char *log = xcalloc(1, 65536);
	a.log_buf = (uint64_t)(uintptr_t)log;
	a.log_size = 65536;
	a.log_level = 1;
	fd = (int)sys_bpf(BPF_PROG_LOAD, &a);
	if (fd >= 0) {
		free(log);
		return fd;
	}
	/* The verifier's verdict is on the last lines of its log. */
	size_t l = strlen(log);
	while (l && log[l - 1] == '\n')
		log[--l] = '\0';
	char *tail = log + l;
	for (int lines = 0; tail > log && lines < 3; tail--)
		if (tail[-1] == '\n' && ++lines == 3)
			break;
	husk_err_set(err, saved, "load the eBPF device program (%zu insns)%s%s", n,
		     *tail ? ": verifier: " : "", tail);
	free(log);
	return -1;
}

/* Ids of device programs attached to the cgroup (before we attach ours). */
static int prog_query(int cgfd, uint32_t *ids, uint32_t *cnt, struct husk_err **err)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.query.target_fd = cgfd;
	a.query.attach_type = BPF_CGROUP_DEVICE;
	a.query.prog_ids = (uint64_t)(uintptr_t)ids;
	a.query.prog_cnt = *cnt;
	if (sys_bpf(BPF_PROG_QUERY, &a) < 0)
		return husk_err_sys(err, "query attached device programs");
	*cnt = a.query.prog_cnt;
	return 0;
}

static int prog_detach_id(int cgfd, uint32_t id, struct husk_err **err)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.prog_id = id;
	cleanup_fd int pfd = (int)sys_bpf(BPF_PROG_GET_FD_BY_ID, &a);
	if (pfd < 0)
		return errno == ENOENT ? 0 : husk_err_sys(err, "get eBPF program %u", id);
	memset(&a, 0, sizeof(a));
	a.target_fd = cgfd;
	a.attach_bpf_fd = pfd;
	a.attach_type = BPF_CGROUP_DEVICE;
	if (sys_bpf(BPF_PROG_DETACH, &a) < 0 && errno != ENOENT)
		return husk_err_sys(err, "detach the old eBPF device program %u", id);
	return 0;
}

int cg2_devices_apply(int cgfd, const struct oci_device_cgroup *devs, size_t n, int *prog_fd,
		      struct husk_err **err)
{
	cleanup_free struct bpf_insn *insns = NULL;
	size_t n_insns;
	if (cg2_devices_build(devs, n, &insns, &n_insns, err) < 0)
		return -1;
	uint32_t old[64], n_old = ARRAY_SIZE(old);
	if (prog_query(cgfd, old, &n_old, err) < 0)
		return -1;
	cleanup_fd int fd = prog_load(insns, n_insns, err);
	if (fd < 0)
		return -1;
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.target_fd = cgfd;
	a.attach_bpf_fd = fd;
	a.attach_type = BPF_CGROUP_DEVICE;
	a.attach_flags = BPF_F_ALLOW_MULTI;
	if (sys_bpf(BPF_PROG_ATTACH, &a) < 0)
		return husk_err_sys(err, "attach the eBPF device program");
	for (uint32_t i = 0; i < n_old; i++)
		if (prog_detach_id(cgfd, old[i], err) < 0)
			return -1;
	*prog_fd = steal_fd(&fd);
	return 0;
}
