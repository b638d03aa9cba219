/* linux.seccomp -> a BPF program (libseccomp), loaded later with seccomp(2).
 * Private to runtime/ (process security and `features`). */
#ifndef HUSK_RUNTIME_SECCOMP_FILTER_H
#define HUSK_RUNTIME_SECCOMP_FILTER_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "oci/spec.h"

struct seccomp_prog {
	struct sock_filter *insns;
	unsigned short n_insns;
	unsigned int flags;   /* SECCOMP_FILTER_FLAG_* asked for by linux.seccomp.flags */
	bool uses_notify;     /* some rule is SCMP_ACT_NOTIFY */
	size_t n_rules;       /* rules added (tests) */
	size_t n_skipped;     /* unknown syscall names skipped with a warning */
};

/* Spec names -> values, for translation and for `features`. */
int seccomp_action_parse(const char *name, const oci_opt_u64 *errno_ret, uint32_t *action,
			 struct husk_err **err);
int seccomp_arch_parse(const char *name, uint32_t *arch, struct husk_err **err);
int seccomp_op_parse(const char *name, int *op, struct husk_err **err);
int seccomp_flag_parse(const char *name, unsigned int *flag, struct husk_err **err);

extern const char *const seccomp_action_names[]; /* NULL-terminated, spec spelling */
extern const char *const seccomp_op_names[];
extern const char *const seccomp_arch_names[];
extern const char *const seccomp_flag_names[];
/* Whether libseccomp (API level) and the kernel support this action / flag. */
bool seccomp_action_supported(const char *name);
bool seccomp_flag_supported(unsigned int flag);
bool seccomp_arch_supported(const char *name);

/* Translate.  Unknown syscall names are skipped with a warning (runc does the
 * same); unknown actions, operators, architectures and flags are errors. */
int seccomp_prog_build(const struct oci_seccomp *s, struct seccomp_prog **out,
		       struct husk_err **err);
void seccomp_prog_free(struct seccomp_prog *p);

/* seccomp(SECCOMP_SET_MODE_FILTER).  With NEW_LISTENER in extra_flags returns
 * the notify fd; else 0.  Makes no other system call. */
int seccomp_prog_install(const struct seccomp_prog *p, unsigned int extra_flags);

#endif
