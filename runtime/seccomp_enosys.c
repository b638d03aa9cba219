/* The ENOSYS stub: a system call newer than every one the profile names gets
 * -ENOSYS instead of the default action.
 *
 * A profile written before clone3, faccessat2 or openat2 existed sends them
 * to its default action, typically EPERM; glibc only falls back to the older
 * call on ENOSYS, so programs break on newer kernels.  runc and crun stub such
 * calls; husk decides "newer" the same way in spirit: per architecture of the
 * filter, a call whose number is above the highest number among the names in
 * the profile (any action) is newer than the profile.  Calls at or below it
 * that the profile does not name keep the default action: they existed when
 * the profile was written, leaving them out was a choice.
 *
 * Classic BPF in front of libseccomp's program:
 *   for each arch A:  ld arch; jeq A ? next : skip; ld nr;
 *                     [x86_64: jge X32 bit -> main]  jgt max(A) -> enosys : main
 *   ja main; enosys: ret ERRNO|ENOSYS; main: ...
 * Only when the default action denies: under ALLOW (or LOG) the new call runs. */
#include "runtime/seccomp_filter.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

#define X32_SYSCALL_BIT 0x40000000u
#define MAX_ARCHES	8

struct arch_max {
	uint32_t arch;
	uint32_t max;
};

static void note_arch(struct arch_max *a, size_t *n, uint32_t arch)
{
	/* x32 shares AUDIT_ARCH_X86_64: its calls carry the X32 bit and are left
	 * to the main program. */
	if (arch == SCMP_ARCH_X32)
		return;
	for (size_t i = 0; i < *n; i++)
		if (a[i].arch == arch)
			return;
	if (*n < MAX_ARCHES)
		a[(*n)++] = (struct arch_max){.arch = arch, .max = 0};
}

static size_t collect(const struct oci_seccomp *s, struct arch_max *a)
{
	size_t n = 0;
	note_arch(a, &n, seccomp_arch_native());
	for (size_t i = 0; i < s->architectures.n; i++) {
		uint32_t arch;
		struct husk_err *err = NULL;
		if (seccomp_arch_parse(s->architectures.v[i], &arch, &err) == 0)
			note_arch(a, &n, arch);
		husk_err_free(&err);
	}
	for (size_t k = 0; k < n; k++)
		for (size_t i = 0; i < s->n_syscalls; i++)
			for (size_t j = 0; j < s->syscalls[i].names.n; j++) {
				int nr = seccomp_syscall_resolve_name_arch(
				    a[k].arch, s->syscalls[i].names.v[j]);
				/* negative: unknown here, or a multiplexed pseudo-call */
				if (nr >= 0 && (uint32_t)nr > a[k].max &&
				    !((uint32_t)nr & X32_SYSCALL_BIT))
					a[k].max = (uint32_t)nr;
			}
	return n;
}

static bool default_denies(uint32_t def_action)
{
	return def_action != SCMP_ACT_ALLOW && def_action != SCMP_ACT_LOG;
}

int seccomp_prog_add_enosys_stub(const struct oci_seccomp *s, uint32_t def_action,
				 struct seccomp_prog *p, struct husk_err **err)
{
	if (!default_denies(def_action) || !s->n_syscalls)
		return 0;
	struct arch_max a[MAX_ARCHES];
	size_t n = collect(s, a);
	struct sock_filter stub[MAX_ARCHES * 5 + 2];
	size_t len = 0;
	/* Block sizes first, so that forward jumps are known. */
	size_t block[MAX_ARCHES], total = 0;
	for (size_t i = 0; i < n; i++) {
		block[i] = a[i].arch == AUDIT_ARCH_X86_64 ? 5 : 4;
		total += block[i];
	}
	size_t enosys_at = total + 1, main_at = total + 2;
	for (size_t i = 0, at = 0; i < n; at += block[i], i++) {
		if (a[i].max == 0)
			continue; /* nothing of this arch named: no notion of "newer" */
		size_t next = at + block[i];
		stub[at] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
							offsetof(struct seccomp_data, arch));
		stub[at + 1] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, a[i].arch, 0,
							    (uint8_t)(next - (at + 2)));
		stub[at + 2] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
							    offsetof(struct seccomp_data, nr));
		size_t j = at + 3;
		if (block[i] == 5) {
			stub[j] =
			    (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, X32_SYSCALL_BIT,
							 (uint8_t)(main_at - (j + 1)), 0);
			j++;
		}
		stub[j] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, a[i].max,
						       (uint8_t)(enosys_at - (j + 1)),
						       (uint8_t)(main_at - (j + 1)));
	}
	/* Arches without a max: their blocks become plain jumps to the next one. */
	for (size_t i = 0, at = 0; i < n; at += block[i], i++)
		if (a[i].max == 0)
			for (size_t k = 0; k < block[i]; k++)
				stub[at + k] = (struct sock_filter)BPF_STMT(BPF_JMP | BPF_JA, 0);
	len = total;
	stub[len++] = (struct sock_filter)BPF_STMT(BPF_JMP | BPF_JA, 1);
	stub[len++] =
	    (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & 0xffff));
	if (p->n_insns + len > BPF_MAXINSNS)
		return husk_err_set(
		    err, E2BIG, "seccomp filter with the ENOSYS stub has %zu instructions (max %d)",
		    p->n_insns + len, BPF_MAXINSNS);
	struct sock_filter *all = xcalloc(p->n_insns + len, sizeof(*all));
	memcpy(all, stub, len * sizeof(*all));
	memcpy(all + len, p->insns, p->n_insns * sizeof(*all));
	free(p->insns);
	p->insns = all;
	p->n_insns = (unsigned short)(p->n_insns + len);
	return 0;
}
