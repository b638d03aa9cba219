/* Translation of linux.seccomp into BPF with libseccomp.
 *
 * The program is exported as raw BPF at prepare time and installed later with
 * a bare seccomp(2) call: libseccomp's seccomp_load() would set NNP on its own
 * and make further system calls (frees, its own state) after the filter is
 * live, which a profile could trap. */
#include "runtime/seccomp_filter.h"

#include <ctype.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

/* Index-aligned with oci_seccomp_op_names (oci/names.c). */
static const int seccomp_op_values[] = {
	SCMP_CMP_NE, SCMP_CMP_LT, SCMP_CMP_LE, SCMP_CMP_EQ,
	SCMP_CMP_GE, SCMP_CMP_GT, SCMP_CMP_MASKED_EQ,
};

/* Index-aligned with oci_seccomp_flag_names (oci/names.c). */
static const unsigned int seccomp_flag_values[] = {
	SECCOMP_FILTER_FLAG_TSYNC,
	SECCOMP_FILTER_FLAG_LOG,
	SECCOMP_FILTER_FLAG_SPEC_ALLOW,
	SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
};

static int find_name(const char *const *names, const char *name)
{
	for (int i = 0; name && names[i]; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -1;
}

int seccomp_action_parse(const char *name, const oci_opt_u64 *errno_ret, uint32_t *action,
			 struct husk_err **err)
{
	bool has_ret = errno_ret && errno_ret->set;
	uint64_t ret = has_ret ? errno_ret->v : 0;
	if (has_ret && ret > 0xffff)
		return husk_err_set(err, ERANGE, "errnoRet %llu does not fit in 16 bits",
				    (unsigned long long)ret);
	if (!name)
		return husk_err_set(err, EINVAL, "missing seccomp action");
	if (strcmp(name, "SCMP_ACT_KILL") == 0 || strcmp(name, "SCMP_ACT_KILL_THREAD") == 0)
		*action = SCMP_ACT_KILL_THREAD;
	else if (strcmp(name, "SCMP_ACT_KILL_PROCESS") == 0)
		*action = SCMP_ACT_KILL_PROCESS;
	else if (strcmp(name, "SCMP_ACT_TRAP") == 0)
		*action = SCMP_ACT_TRAP;
	else if (strcmp(name, "SCMP_ACT_ERRNO") == 0)
		*action = SCMP_ACT_ERRNO(has_ret ? (uint16_t)ret : EPERM);
	else if (strcmp(name, "SCMP_ACT_TRACE") == 0)
		*action = SCMP_ACT_TRACE(has_ret ? (uint16_t)ret : EPERM);
	else if (strcmp(name, "SCMP_ACT_ALLOW") == 0)
		*action = SCMP_ACT_ALLOW;
	else if (strcmp(name, "SCMP_ACT_LOG") == 0)
		*action = SCMP_ACT_LOG;
	else if (strcmp(name, "SCMP_ACT_NOTIFY") == 0)
		*action = SCMP_ACT_NOTIFY;
	else
		return husk_err_set(err, EINVAL, "unknown seccomp action \"%s\"", name);
	return 0;
}

/* "SCMP_ARCH_X86_64" -> libseccomp's "x86_64". */
static uint32_t arch_token(const char *name)
{
	if (!name || strncmp(name, "SCMP_ARCH_", 10) != 0 || !name[10] || strlen(name) > 40)
		return 0;
	char lower[32];
	size_t i;
	for (i = 0; name[10 + i] && i + 1 < sizeof(lower); i++) {
		char c = name[10 + i];
		if (!isupper((unsigned char)c) && !isdigit((unsigned char)c) && c != '_')
			return 0; /* the spec spells them in capitals */
		lower[i] = (char)tolower((unsigned char)c);
	}
	lower[i] = '\0';
	return seccomp_arch_resolve_name(lower);
}

int seccomp_arch_parse(const char *name, uint32_t *arch, struct husk_err **err)
{
	uint32_t a = arch_token(name);
	if (!a)
		return husk_err_set(err, EINVAL, "unknown or unsupported seccomp architecture \"%s\"",
				    name ? name : "");
	*arch = a;
	return 0;
}

/* Known to libseccomp and able to share a filter with the native arch (a
 * big-endian arch cannot go into a little-endian filter, for one). */
bool seccomp_arch_supported(const char *name)
{
	uint32_t token = arch_token(name);
	if (!token)
		return false;
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return false;
	int r = seccomp_arch_add(ctx, token);
	seccomp_release(ctx);
	return r == 0 || r == -EEXIST;
}

int seccomp_op_parse(const char *name, int *op, struct husk_err **err)
{
	int i = find_name(oci_seccomp_op_names, name);
	if (i < 0)
		return husk_err_set(err, EINVAL, "unknown seccomp operator \"%s\"", name ? name : "");
	*op = seccomp_op_values[i];
	return 0;
}

int seccomp_flag_parse(const char *name, unsigned int *flag, struct husk_err **err)
{
	int i = find_name(oci_seccomp_flag_names, name);
	if (i < 0)
		return husk_err_set(err, EINVAL, "unknown seccomp flag \"%s\"", name ? name : "");
	*flag = seccomp_flag_values[i];
	return 0;
}

bool seccomp_flag_supported(unsigned int flag)
{
	/* The kernel checks the flags before the (NULL) program: EFAULT means known. */
	/* WAIT_KILLABLE_RECV is only valid together with a listener. */
	if (flag & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
		flag |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
	errno = 0;
	long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flag, NULL);
	return r < 0 && errno == EFAULT;
}

bool seccomp_action_supported(const char *name)
{
	uint32_t act;
	if (seccomp_action_parse(name, NULL, &act, NULL) < 0)
		return false;
	unsigned int api = seccomp_api_get();
	if ((act == SCMP_ACT_LOG || act == SCMP_ACT_KILL_PROCESS) && api < 3)
		return false;
	if (act == SCMP_ACT_NOTIFY && api < 5)
		return false;
	uint32_t kact = act & SECCOMP_RET_ACTION_FULL;
	return syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &kact) == 0;
}

static bool dup_arg_index(const struct oci_seccomp_syscall *sc)
{
	for (size_t i = 0; i < sc->n_args; i++)
		for (size_t j = i + 1; j < sc->n_args; j++)
			if (sc->args[i].index == sc->args[j].index)
				return true;
	return false;
}

static int add_rule(scmp_filter_ctx ctx, uint32_t action, int nr, const char *name,
		    unsigned n, const struct scmp_arg_cmp *cmps, struct husk_err **err)
{
	int r = seccomp_rule_add_array(ctx, action, nr, n, cmps);
	if (r < 0)
		return husk_err_set(err, -r, "adding a rule for syscall \"%s\"", name);
	return 0;
}

/* ctx NULL: the validation pass (errors, warnings, counts, no libseccomp
 * work); ctx set: the compile pass, silent, on input the first pass accepted. */
static int add_syscall(scmp_filter_ctx ctx, const struct oci_seccomp_syscall *sc, size_t idx,
		       uint32_t def_action, struct seccomp_prog *p, struct husk_err **err)
{
	uint32_t action;
	if (seccomp_action_parse(sc->action, &sc->errno_ret, &action, err) < 0)
		return husk_err_wrap(err, "linux.seccomp.syscalls[%zu].action", idx);
	if (action == SCMP_ACT_NOTIFY)
		p->uses_notify = true;
	if (sc->n_args > 6)
		return husk_err_set(err, EINVAL, "linux.seccomp.syscalls[%zu].args: more than 6",
				    idx);
	struct scmp_arg_cmp cmps[6];
	for (size_t i = 0; i < sc->n_args; i++) {
		const struct oci_seccomp_arg *a = &sc->args[i];
		int op;
		if (seccomp_op_parse(a->op, &op, err) < 0)
			return husk_err_wrap(err, "linux.seccomp.syscalls[%zu].args[%zu].op", idx, i);
		if (a->index > 5)
			return husk_err_set(err, EINVAL,
					    "linux.seccomp.syscalls[%zu].args[%zu].index: %u is "
					    "above 5",
					    idx, i, a->index);
		/* MASKED_EQ: (arg & value) == valueTwo, as runc passes them. */
		cmps[i] = (struct scmp_arg_cmp){.arg = a->index,
						.op = (enum scmp_compare)op,
						.datum_a = a->value,
						.datum_b = a->value_two};
	}
	/* libseccomp refuses a rule equal to the default action: it is a no-op. */
	if (action == def_action)
		return 0;
	bool split = dup_arg_index(sc);
	for (size_t n = 0; n < sc->names.n; n++) {
		const char *name = sc->names.v[n];
		int nr = seccomp_syscall_resolve_name(name);
		if (nr == __NR_SCMP_ERROR) {
			if (!ctx) {
				log_warn("linux.seccomp: unknown syscall \"%s\", skipping it", name);
				p->n_skipped++;
			}
			continue;
		}
		/* Several conditions on one argument: libseccomp cannot AND them, so each
		 * becomes its own rule (OR), which is what runc does. */
		size_t rules = split ? sc->n_args : 1;
		if (!ctx) {
			p->n_rules += rules;
			continue;
		}
		for (size_t i = 0; i < rules; i++) {
			unsigned n_cmp = split ? 1 : (unsigned)sc->n_args;
			if (add_rule(ctx, action, nr, name, n_cmp, split ? &cmps[i] : cmps, err) < 0)
				return husk_err_wrap(err, "linux.seccomp.syscalls[%zu]", idx);
		}
	}
	return 0;
}

static int export_bpf(scmp_filter_ctx ctx, struct seccomp_prog *p, struct husk_err **err)
{
	cleanup_fd int fd = memfd_create("husk-seccomp", MFD_CLOEXEC);
	if (fd < 0)
		return husk_err_sys(err, "memfd_create");
	int r = seccomp_export_bpf(ctx, fd);
	if (r < 0)
		return husk_err_set(err, -r, "exporting the seccomp filter");
	struct stat st;
	if (fstat(fd, &st) < 0)
		return husk_err_sys(err, "fstat");
	size_t n = (size_t)st.st_size / sizeof(struct sock_filter);
	if (n == 0 || n > BPF_MAXINSNS)
		return husk_err_set(err, E2BIG, "seccomp filter has %zu instructions (max %d)", n,
				    BPF_MAXINSNS);
	p->insns = xcalloc(n, sizeof(struct sock_filter));
	if (pread(fd, p->insns, n * sizeof(struct sock_filter), 0) !=
	    (ssize_t)(n * sizeof(struct sock_filter)))
		return husk_err_sys(err, "reading the seccomp filter back");
	p->n_insns = (unsigned short)n;
	return 0;
}

static int add_arches(scmp_filter_ctx ctx, const struct oci_seccomp *s, struct husk_err **err)
{
	for (size_t i = 0; i < s->architectures.n; i++) {
		uint32_t arch = 0;
		if (seccomp_arch_parse(s->architectures.v[i], &arch, err) < 0)
			return husk_err_wrap(err, "linux.seccomp.architectures[%zu]", i);
		int r = seccomp_arch_add(ctx, arch);
		if (r < 0 && r != -EEXIST)
			return husk_err_set(err, -r, "linux.seccomp.architectures[%zu]: adding %s", i,
					    s->architectures.v[i]);
	}
	return 0;
}

/* Everything but the (slow) compile: names, flags, arches, counts, warnings. */
static int validate(const struct oci_seccomp *s, uint32_t def_action, struct seccomp_prog *p,
		    struct husk_err **err)
{
	/* Adding arches to an empty filter is cheap and catches the ones libseccomp
	 * cannot combine with the native one (EDOM). */
	scmp_filter_ctx probe = seccomp_init(SCMP_ACT_ALLOW);
	if (!probe)
		return husk_err_set(err, ENOMEM, "seccomp_init");
	int r = add_arches(probe, s, err);
	seccomp_release(probe);
	if (r < 0)
		return -1;
	for (size_t i = 0; i < s->flags.n; i++) {
		unsigned int flag;
		if (seccomp_flag_parse(s->flags.v[i], &flag, err) < 0)
			return husk_err_wrap(err, "linux.seccomp.flags[%zu]", i);
		if (!seccomp_flag_supported(flag))
			return husk_err_set(err, EOPNOTSUPP,
					    "linux.seccomp.flags[%zu]: the kernel does not support %s",
					    i, s->flags.v[i]);
		p->flags |= flag;
	}
	for (size_t i = 0; i < s->n_syscalls; i++)
		if (add_syscall(NULL, &s->syscalls[i], i, def_action, p, err) < 0)
			return -1;
	/* It only changes how a notified task waits; the kernel refuses it without a
	 * listener, and without NOTIFY rules there is nothing for it to change. */
	if (!p->uses_notify)
		p->flags &= ~(unsigned int)SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
	if (p->uses_notify && !s->listener_path)
		return husk_err_set(err, EINVAL,
				    "linux.seccomp: SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath");
	return 0;
}

static int compile(const struct oci_seccomp *s, uint32_t def_action, struct seccomp_prog *p,
		   struct husk_err **err)
{
	scmp_filter_ctx ctx = seccomp_init(def_action);
	if (!ctx)
		return husk_err_set(err, ENOMEM, "seccomp_init");
	int r = add_arches(ctx, s, err);
	for (size_t i = 0; r == 0 && i < s->n_syscalls; i++)
		r = add_syscall(ctx, &s->syscalls[i], i, def_action, p, err);
	if (r == 0)
		r = export_bpf(ctx, p, err);
	if (r == 0)
		r = seccomp_prog_add_enosys_stub(s, def_action, p, err);
	seccomp_release(ctx);
	return r < 0 ? -1 : 0;
}

int seccomp_prog_build(const struct oci_seccomp *s, const char *cache_dir,
		       struct seccomp_prog **out, struct husk_err **err)
{
	uint32_t def_action;
	if (seccomp_action_parse(s->default_action, &s->default_errno_ret, &def_action, err) < 0)
		return husk_err_wrap(err, "linux.seccomp.defaultAction");
	/* Every system call, husk's own included, would wait for a listener that
	 * has not been told about the filter yet. */
	if (def_action == SCMP_ACT_NOTIFY)
		return husk_err_set(err, EINVAL,
				    "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the "
				    "default action");
	struct seccomp_prog *p = xcalloc(1, sizeof(*p));
	if (validate(s, def_action, p, err) < 0)
		goto fail;
	if (cache_dir && seccomp_cache_load(cache_dir, s, p) == 0) {
		p->from_cache = true;
	} else {
		if (compile(s, def_action, p, err) < 0)
			goto fail;
		if (cache_dir)
			seccomp_cache_store(cache_dir, s, p);
	}
	*out = p;
	return 0;
fail:
	seccomp_prog_free(p);
	return -1;
}

void seccomp_prog_free(struct seccomp_prog *p)
{
	if (!p)
		return;
	free(p->insns);
	free(p);
}

int seccomp_prog_install(const struct seccomp_prog *p, unsigned int extra_flags)
{
	struct sock_fprog prog = {.len = p->n_insns, .filter = p->insns};
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, p->flags | extra_flags, &prog);
}
