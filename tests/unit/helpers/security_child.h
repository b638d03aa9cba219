/* Test harness for process security: run prepare/apply/load_seccomp in a
 * forked child and bring back what the kernel says about it. */
#ifndef HUSK_TESTS_SECURITY_CHILD_H
#define HUSK_TESTS_SECURITY_CHILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "oci/spec.h"

struct sec_result {
	int rc;    /* errno of the failing step (or -1) */
	int step;  /* 0 all fine, 1 prepare, 2 apply, 3 load_seccomp */
	char msg[512];
	char status[4096]; /* /proc/self/status at the end */
	long extra[16];    /* filled by the probe */
};

struct sec_hooks {
	void (*pre)(void *arg);                         /* child, before prepare */
	void (*probe)(struct sec_result *r, void *arg); /* child, after load */
	void (*parent)(pid_t child, void *arg);         /* parent, while the child runs */
	void *arg;
};

/* Returns the child's wait status; *out is zeroed with rc=-999 when the child
 * died before reporting. */
int sec_run_child(const struct oci_config *cfg, const struct sec_hooks *h, struct sec_result *out);

/* Test memory: everything the helpers (and tests, through sec_calloc /
 * sec_strdup) allocate for hand-built configs is released at once by
 * sec_group_teardown, so the suites stay clean under LeakSanitizer. */
void *sec_calloc(size_t n, size_t size);
char *sec_strdup(const char *s);
int sec_group_teardown(void **state);

/* Valgrind cannot run code under a seccomp filter (its own system calls would
 * be filtered) and emulates some calls (openat2, setrlimit NOFILE) its own
 * way: tests that need the real kernel behaviour skip under it. */
bool sec_under_valgrind(void);
#define SEC_SKIP_UNDER_VALGRIND(why)                                                               \
	do {                                                                                       \
		if (sec_under_valgrind()) {                                                        \
			print_message("# skip: under valgrind: %s\n", why);                       \
			skip();                                                                    \
		}                                                                                  \
	} while (0)

oci_strv sec_strv(const char *first, ...); /* NULL-terminated list */
struct oci_config *sec_new_cfg(uint32_t uid, uint32_t gid);
/* One syscalls[] entry; errno_ret < 0: unset. */
struct oci_seccomp_syscall *sec_rule(const char *name, const char *action, int errno_ret);
/* Make cfg->linux_.seccomp present with this default and these n rules. */
void sec_set_seccomp(struct oci_config *cfg, const char *def_action,
		     struct oci_seccomp_syscall *rules, size_t n);

unsigned long long sec_status_hex(const struct sec_result *r, const char *key);
long sec_status_num(const struct sec_result *r, const char *key);

#endif
