/* linux.seccomp -> a BPF program (libseccomp), loaded later with seccomp(2).
 * Private to runtime/ (process security and `features`). */
#ifndef HUSK_RUNTIME_SECCOMP_FILTER_H
#define HUSK_RUNTIME_SECCOMP_FILTER_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "oci/names.h"
#include "oci/spec.h"

struct seccomp_prog {
	struct sock_filter *insns;
	unsigned short n_insns;
	unsigned int flags;   /* SECCOMP_FILTER_FLAG_* asked for by linux.seccomp.flags */
	bool uses_notify;     /* some rule is SCMP_ACT_NOTIFY */
	size_t n_rules;       /* rules added (tests) */
	size_t n_skipped;     /* unknown syscall names skipped with a warning */
	bool from_cache;      /* the BPF came from the compiled-filter cache */
};

/* Spec names -> values, for translation and for `features`. */
int seccomp_action_parse(const char *name, const oci_opt_u64 *errno_ret, uint32_t *action,
			 struct husk_err **err);
int seccomp_arch_parse(const char *name, uint32_t *arch, struct husk_err **err);
int seccomp_op_parse(const char *name, int *op, struct husk_err **err);
int seccomp_flag_parse(const char *name, unsigned int *flag, struct husk_err **err);

/* The name lists are the parser's: oci_seccomp_{action,op,arch,flag}_names. */
/* Whether libseccomp (API level) and the kernel support this action / flag. */
bool seccomp_action_supported(const char *name);
bool seccomp_flag_supported(unsigned int flag);
bool seccomp_arch_supported(const char *name);

/* Translate.  Unknown syscall names are skipped with a warning (runc does the
 * same); unknown actions, operators, architectures and flags are errors.
 * The compiled program is cached in cache_dir (NULL: no cache): libseccomp
 * needs 20-45 ms here for a podman-sized profile; a hit costs a file read.
 * Validation, errors and warnings are the same either way. */
int seccomp_prog_build(const struct oci_seccomp *s, const char *cache_dir,
		       struct seccomp_prog **out, struct husk_err **err);
void seccomp_prog_free(struct seccomp_prog *p);
/* seccomp_enosys.c: put the ENOSYS stub for calls newer than the profile in
 * front of p's program (only when the default action denies). */
int seccomp_prog_add_enosys_stub(const struct oci_seccomp *s, uint32_t def_action,
				 struct seccomp_prog *p, struct husk_err **err);

/* seccomp_cache.c.  load: 0 and p->insns set on a hit, -1 on any miss (absent,
 * not root-owned, writable by others, different input, corrupt).  store: best
 * effort, atomic. */
int seccomp_cache_load(const char *dir, const struct oci_seccomp *s, struct seccomp_prog *p);
void seccomp_cache_store(const char *dir, const struct oci_seccomp *s,
			 const struct seccomp_prog *p);

/* seccomp(SECCOMP_SET_MODE_FILTER).  With NEW_LISTENER in extra_flags returns
 * the notify fd; else 0.  Makes no other system call. */
int seccomp_prog_install(const struct seccomp_prog *p, unsigned int extra_flags);

#endif
