#include "security_child.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"
#include "runtime/process_security.h"

static void **arena;
static size_t arena_n, arena_cap;

static void *track(void *p)
{
	if (!p)
		abort();
	if (arena_n == arena_cap) {
		arena_cap = arena_cap ? 2 * arena_cap : 256;
		arena = realloc(arena, arena_cap * sizeof(*arena));
		if (!arena)
			abort();
	}
	arena[arena_n++] = p;
	return p;
}

void *sec_calloc(size_t n, size_t size)
{
	return track(calloc(n ? n : 1, size ? size : 1));
}

char *sec_strdup(const char *s)
{
	return track(strdup(s));
}

int sec_group_teardown(void **state)
{
	for (size_t i = 0; i < arena_n; i++)
		free(arena[i]);
	free(arena);
	arena = NULL;
	arena_n = arena_cap = 0;
	return 0;
}

oci_strv sec_strv(const char *first, ...)
{
	oci_strv s = {0};
	s.v = sec_calloc(64, sizeof(char *));
	va_list ap;
	va_start(ap, first);
	for (const char *x = first; x && s.n < 63; x = va_arg(ap, const char *))
		s.v[s.n++] = sec_strdup(x);
	va_end(ap);
	return s;
}

struct oci_config *sec_new_cfg(uint32_t uid, uint32_t gid)
{
	struct oci_config *c = sec_calloc(1, sizeof(*c));
	c->process.present = true;
	c->process.user.uid = uid;
	c->process.user.gid = gid;
	c->process.cwd = sec_strdup("/");
	return c;
}

struct oci_seccomp_syscall *sec_rule(const char *name, const char *action, int errno_ret)
{
	struct oci_seccomp_syscall *s = sec_calloc(1, sizeof(*s));
	s->names = sec_strv(name, NULL);
	s->action = sec_strdup(action);
	if (errno_ret >= 0)
		s->errno_ret = (oci_opt_u64){true, (uint64_t)errno_ret};
	return s;
}

void sec_set_seccomp(struct oci_config *cfg, const char *def_action,
		     struct oci_seccomp_syscall *rules, size_t n)
{
	cfg->linux_.seccomp.present = true;
	cfg->linux_.seccomp.default_action = sec_strdup(def_action);
	cfg->linux_.seccomp.syscalls = rules;
	cfg->linux_.seccomp.n_syscalls = n;
}

bool sec_under_valgrind(void)
{
	const char *p = getenv("LD_PRELOAD");
	return p && strstr(p, "vgpreload");
}

static void read_status(char *buf, size_t len)
{
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, len - 1) : -1;
	buf[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
}

int sec_run_child(const struct oci_config *cfg, const struct sec_hooks *h, struct sec_result *out)
{
	static const struct sec_hooks none;
	if (!h)
		h = &none;
	if (cfg->linux_.seccomp.present)
		SEC_SKIP_UNDER_VALGRIND("seccomp filters");
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* cmocka catches SIGSYS/SIGSEGV/... to report failures; in the child those
		 * signals must do what they do in a container. */
		const int sigs[] = {SIGSYS, SIGSEGV, SIGILL, SIGFPE, SIGBUS, SIGABRT};
		for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
			signal(sigs[i], SIG_DFL);
		close(p[0]);
		struct sec_result r;
		memset(&r, 0, sizeof(r));
		if (h->pre)
			h->pre(h->arg);
		struct husk_err *err = NULL;
		struct process_security *ps = NULL;
		struct process_security_opts o = {.cfg = cfg,
						  .proc = &cfg->process,
						  .container_id = "sec-test",
						  .bundle = "/tmp/sec-bundle",
						  .container_pid = getpid()};
		if (process_security_prepare(&o, &ps, &err) < 0)
			r.step = 1;
		else if (process_security_apply(ps, &err) < 0)
			r.step = 2;
		else if (process_security_load_seccomp(ps, &err) < 0)
			r.step = 3;
		if (err) {
			r.rc = err->errnum ? err->errnum : -1;
			snprintf(r.msg, sizeof(r.msg), "%s", err->msg);
		}
		if (!r.step && h->probe)
			h->probe(&r, h->arg);
		read_status(r.status, sizeof(r.status));
		if (write(p[1], &r, sizeof(r)) != sizeof(r))
			_exit(3);
		_exit(0);
	}
	close(p[1]);
	if (h->parent)
		h->parent(pid, h->arg);
	memset(out, 0, sizeof(*out));
	ssize_t n = read_all(p[0], out, sizeof(*out));
	close(p[0]);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (n != sizeof(*out)) {
		memset(out, 0, sizeof(*out));
		out->rc = -999;
	}
	return st;
}

unsigned long long sec_status_hex(const struct sec_result *r, const char *key)
{
	const char *p = strstr(r->status, key);
	if (!p)
		fail_msg("%s not in /proc/self/status", key);
	return strtoull(p + strlen(key), NULL, 16);
}

long sec_status_num(const struct sec_result *r, const char *key)
{
	const char *p = strstr(r->status, key);
	if (!p)
		fail_msg("%s not in /proc/self/status", key);
	return strtol(p + strlen(key), NULL, 10);
}
