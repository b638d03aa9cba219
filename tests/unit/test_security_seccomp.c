/* linux.seccomp end to end in forked children: every action, every operator,
 * architectures, flags, errnoRet, and the NOTIFY listener hand-off.  Each
 * assertion is on what the kernel does to a real system call. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "tests/unit/helpers/unit_main.h"

#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"
#include "helpers/security_child.h"

/* ---- probes ------------------------------------------------------------- */

static void probe_getppid(struct sec_result *r, void *arg)
{
	errno = 0;
	r->extra[0] = syscall(SYS_getppid);
	r->extra[1] = errno;
}

/* getpgid(pid) for each pid in arg (terminated by -1): errno or 0 in extra[i]. */
static void probe_getpgid_list(struct sec_result *r, void *arg)
{
	const long *pids = arg;
	for (int i = 0; pids[i] >= 0 && i < 16; i++) {
		errno = 0;
		long v = syscall(SYS_getpgid, pids[i]);
		r->extra[i] = v < 0 ? errno : 0;
	}
}

static struct sec_result run(struct oci_config *c, void (*probe)(struct sec_result *, void *),
			     void *arg, int *wstatus)
{
	struct sec_hooks h = {.probe = probe, .arg = arg};
	struct sec_result r;
	int st = sec_run_child(c, &h, &r);
	if (wstatus)
		*wstatus = st;
	return r;
}

static struct oci_config *nnp_cfg(void)
{
	struct oci_config *c = sec_new_cfg(0, 0);
	c->process.no_new_privileges = true;
	return c;
}

/* ---- actions ------------------------------------------------------------ */

static void test_action_errno_with_errnoret(void **state)
{
	struct oci_config *c = nnp_cfg();
	sec_set_seccomp(c, "SCMP_ACT_ALLOW", sec_rule("getppid", "SCMP_ACT_ERRNO", 42), 1);
	struct sec_result r = run(c, probe_getppid, NULL, NULL);
	assert_int_equal(r.step, 0);
	assert_int_equal(r.extra[0], -1);
	assert_int_equal(r.extra[1], 42);
	assert_int_equal(sec_status_num(&r, "Seccomp:\t"), 2);
	assert_int_equal(sec_status_num(&r, "Seccomp_filters:\t"), 1);
}

static void test_action_errno_default_is_eperm(void **state)
{
	struct oci_config *c = nnp_cfg();
	sec_set_seccomp(c, "SCMP_ACT_ALLOW", sec_rule("getppid", "SCMP_ACT_ERRNO", -1), 1);
	struct sec_result r = run(c, probe_getppid, NULL, NULL);
	assert_int_equal(r.step, 0);
	assert_int_equal(r.extra[1], EPERM);
}

static void assert_killed_by_sigsys(const char *action)
{
	struct oci_config *c = nnp_cfg();
	sec_set_seccomp(c, "SCMP_ACT_ALLOW", sec_rule("getppid", action, -1), 1);
	int st;
	struct sec_result r = run(c, probe_getppid, NULL, &st);
	assert_int_equal(r.rc, -999); /* never reported */
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGSYS);
}

static void test_action_kill(void **state)
{
	assert_killed_by_sigsys("SCMP_ACT_KILL");
}

static void test_action_kill_thread(void **state)
{
	assert_killed_by_sigsys("SCMP_ACT_KILL_THREAD");
}

static void test_action_kill_process(void **state)
{
	assert_killed_by_sigsys("SCMP_ACT_KILL_PROCESS");
}

static void test_action_trap(void **state)
{
	/* TRAP raises SIGSYS, whose default disposition ends the process. */
	assert_killed_by_sigsys("SCMP_ACT_TRAP");
}

static void test_action_trace_without_tracer(void **state)
{
	/* No tracer attached: the kernel fails the call with ENOSYS. */
	struct oci_config *c = nnp_cfg();
	sec_set_seccomp(c, "SCMP_ACT_ALLOW", sec_rule("getppid", "SCMP_ACT_TRACE", -1), 1);
	struct sec_result r = run(c, probe_getppid, NULL, NULL);
	assert_int_equal(r.step, 0);
	assert_int_equal(r.extra[0], -1);
	assert_int_equal(r.extra[1], ENOSYS);
}

static void test_action_log_allows(void **state)
{
	struct oci_config *c = nnp_cfg();
	sec_set_seccomp(c, "SCMP_ACT_ALLOW", sec_rule("getppid", "SCMP_ACT_LOG", -1), 1);
	struct sec_result r = run(c, probe_getppid, NULL, NULL);
	assert_int_equal(r.step, 0);
	assert_int_equal(r.extra[0], getpid());
	assert_int_equal(sec_status_num(&r, "Seccomp:\t"), 2);
}

/* Default ERRNO with defaultErrnoRet, ALLOW rules for what the child needs. */
static void test_default_errno_and_allow_rules(void **state)
{
	struct oci_config *c = nnp_cfg();
	/* What the child needs after the load (plus what ASan's runtime uses). */
	const char *allowed[] = {"getppid", "openat", "open", "read", "write", "close",
				 "exit", "exit_group", "fstat", "newfstatat", "lseek", "mmap",
				 "munmap", "madvise", "sigaltstack", "rt_sigaction",
				 "rt_sigprocmask", "prctl", "getpid", "gettid", "futex", "sched_yield"};
	struct oci_seccomp_syscall *rules = sec_calloc(1, sizeof(*rules));
	rules[0].names.v = sec_calloc(ARRAY_SIZE(allowed) + 1, sizeof(char *));
	for (size_t i = 0; i < ARRAY_SIZE(allowed); i++)
		rules[0].names.v[rules[0].names.n++] = sec_strdup(allowed[i]);
	rules[0].action = sec_strdup("SCMP_ACT_ALLOW");
	sec_set_seccomp(c, "SCMP_ACT_ERRNO", rules, 1);
	c->linux_.seccomp.default_errno_ret = (oci_opt_u64){true, 99};
	long pids[] = {0, -1};
	struct sec_result r = run(c, probe_getpgid_list, pids, NULL);
	assert_int_equal(r.step, 0);
	assert_int_equal(r.extra[0], 99);
	assert_int_equal(sec_status_num(&r, "Seccomp:\t"), 2);
}

static void test_unknown_action_is_error(void **state)
{
	struct oci_config *c = nnp_cfg();
	sec_set_seccomp(c, "SCMP_ACT_ALLOW", sec_rule("getppid", "SCMP_ACT_EXPLODE", -1), 1);
	struct sec_result r = run(c, NULL, NULL, NULL);
	assert_int_equal(r.step, 1);
	assert_non_null(strstr(r.msg, "SCMP_ACT_EXPLODE"));
	assert_non_null(strstr(r.msg, "syscalls[0]"));
	c->linux_.seccomp.default_action = sec_strdup("SCMP_ACT_NOPE");
	r = run(c, NULL, NULL, NULL);
	assert_int_equal(r.step, 1);
	assert_non_null(strstr(r.msg, "defaultAction"));
}

static void test_unknown_syscall_is_skipped(void **state)
{
	struct oci_config *c = nnp_cfg();
	struct oci_seccomp_syscall *rule = sec_rule("getppid", "SCMP_ACT_ERRNO", 33);
	rule->names.v[0] = sec_strdup("no_such_syscall_husk");
	rule->names.v[1] = sec_strdup("getppid");
	rule->names.n = 2;
	sec_set_seccomp(c, "SCMP_ACT_ALLOW", rule, 1);
	struct sec_result r = run(c, probe_getppid, NULL, NULL);
	assert_int_equal(r.step, 0);
	assert_int_equal(r.extra[1], 33);
}

/* ---- operators ---------------------------------------------------------- */

struct op_case {
	const char *op;
	uint64_t value, value_two;
	long hit, miss; /* getpgid args: hit gets errno 77, miss does not */
};

static void test_operators(void **state)
{
	const struct op_case cases[] = {
		{"SCMP_CMP_EQ", 5, 0, 5, 6},	    {"SCMP_CMP_NE", 5, 0, 6, 5},
		{"SCMP_CMP_LT", 5, 0, 4, 5},	    {"SCMP_CMP_LE", 5, 0, 5, 6},
		{"SCMP_CMP_GE", 5, 0, 5, 4},	    {"SCMP_CMP_GT", 5, 0, 6, 5},
		{"SCMP_CMP_MASKED_EQ", 0xf0, 0x50, 0x5a, 0x4a},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct oci_config *c = nnp_cfg();
		struct oci_seccomp_syscall *rule = sec_rule("getpgid", "SCMP_ACT_ERRNO", 77);
		rule->args = sec_calloc(1, sizeof(*rule->args));
		rule->args[0] = (struct oci_seccomp_arg){.index = 0,
							 .value = cases[i].value,
							 .value_two = cases[i].value_two,
							 .op = sec_strdup(cases[i].op)};
		rule->n_args = 1;
		sec_set_seccomp(c, "SCMP_ACT_ALLOW", rule, 1);
		long pids[] = {cases[i].hit, cases[i].miss, -1};
		struct sec_result r = run(c, probe_getpgid_list, pids, NULL);
		print_message("# %s\n", cases[i].op);
		assert_int_equal(r.step, 0);
		assert_int_equal(r.extra[0], 77);
		assert_int_not_equal(r.extra[1], 77);
	}
}

static void test_unknown_operator_is_error(void **state)
{
	struct oci_config *c = nnp_cfg();
	struct oci_seccomp_syscall *rule = sec_rule("getpgid", "SCMP_ACT_ERRNO", 77);
	rule->args = sec_calloc(1, sizeof(*rule->args));
	rule->args[0] = (struct oci_seccomp_arg){.index = 0, .value = 1, .op = sec_strdup("SCMP_CMP_XOR")};
	rule->n_args = 1;
	sec_set_seccomp(c, "SCMP_ACT_ALLOW", rule, 1);
	struct sec_result r = run(c, NULL, NULL, NULL);
	assert_int_equal(r.step, 1);
	assert_non_null(strstr(r.msg, "SCMP_CMP_XOR"));
}

/* Two conditions on the same argument are ORed (one rule each), as in runc. */
static void test_same_index_is_or(void **state)
{
	struct oci_config *c = nnp_cfg();
	struct oci_seccomp_syscall *rule = sec_rule("getpgid", "SCMP_ACT_ERRNO", 77);
	rule->args = sec_calloc(2, sizeof(*rule->args));
	rule->args[0] = (struct oci_seccomp_arg){.index = 0, .value = 5, .op = sec_strdup("SCMP_CMP_EQ")};
	rule->args[1] = (struct oci_seccomp_arg){.index = 0, .value = 6, .op = sec_strdup("SCMP_CMP_EQ")};
	rule->n_args = 2;
	sec_set_seccomp(c, "SCMP_ACT_ALLOW", rule, 1);
	long pids[] = {5, 6, 7, -1};
	struct sec_result r = run(c, probe_getpgid_list, pids, NULL);
	assert_int_equal(r.step, 0);
	assert_int_equal(r.extra[0], 77);
	assert_int_equal(r.extra[1], 77);
	assert_int_not_equal(r.extra[2], 77);
}

static void probe_getpriority(struct sec_result *r, void *arg)
{
	const long (*pairs)[2] = arg;
	for (int i = 0; i < 3; i++) {
		errno = 0;
		long v = syscall(SYS_getpriority, pairs[i][0], pairs[i][1]);
		r->extra[i] = v < 0 ? errno : 0;
	}
}

/* Conditions on different arguments are ANDed. */
static void test_different_indexes_are_and(void **state)
{
	struct oci_config *c = nnp_cfg();
	struct oci_seccomp_syscall *rule = sec_rule("getpriority", "SCMP_ACT_ERRNO", 77);
	rule->args = sec_calloc(2, sizeof(*rule->args));
	rule->args[0] = (struct oci_seccomp_arg){.index = 0, .value = 0, .op = sec_strdup("SCMP_CMP_EQ")};
	rule->args[1] = (struct oci_seccomp_arg){.index = 1, .value = 99999, .op = sec_strdup("SCMP_CMP_EQ")};
	rule->n_args = 2;
	sec_set_seccomp(c, "SCMP_ACT_ALLOW", rule, 1);
	static const long pairs[3][2] = {{0, 99999}, {0, 99998}, {1, 99999}};
	struct sec_result r = run(c, probe_getpriority, (void *)pairs, NULL);
	assert_int_equal(r.step, 0);
	assert_int_equal(r.extra[0], 77);
	assert_int_not_equal(r.extra[1], 77);
	assert_int_not_equal(r.extra[2], 77);
}

/* ---- architectures ------------------------------------------------------ */

#if defined(__x86_64__)
/* getppid through the i386 entry point (int $0x80, nr 64). */
static void probe_i386_getppid(struct sec_result *r, void *arg)
{
	long ret;
	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(64L) : "memory");
	r->extra[0] = ret;
}

/* Can this kernel run i386 syscalls at all (CONFIG_IA32_EMULATION, and not
 * ia32_emulation=0)?  Without it `int $0x80` is a SIGSEGV before seccomp
 * ever sees the call.  Probed in a child with no filter. */
static bool ia32_emulation(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		/* cmocka catches SIGSEGV to report a failure: the probe dies of it. */
		signal(SIGSEGV, SIG_DFL);
		long ret;
		__asm__ volatile("int $0x80" : "=a"(ret) : "a"(64L) : "memory");
		_exit(ret > 0 ? 0 : 1);
	}
	int st;
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return false;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static void skip_without_ia32(void)
{
	if (!ia32_emulation()) {
		print_message("# skip: kernel without IA32 syscall emulation (int $0x80 faults)\n");
		skip();
	}
}

static void test_arch_x86_added(void **state)
{
	skip_without_ia32();
	struct oci_config *c = nnp_cfg();
	sec_set_seccomp(c, "SCMP_ACT_ALLOW", sec_rule("getppid", "SCMP_ACT_ERRNO", 55), 1);
	c->linux_.seccomp.architectures = sec_strv("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", NULL);
	int st;
	struct sec_result r = run(c, probe_i386_getppid, NULL, &st);
	assert_int_equal(r.step, 0);
	assert_int_equal(r.extra[0], -55);
}

static void test_arch_x86_missing_kills(void **state)
{
	/* Only x86_64 in the filter: an i386 syscall is a bad arch, the thread dies. */
	skip_without_ia32();
	struct oci_config *c = nnp_cfg();
	sec_set_seccomp(c, "SCMP_ACT_ALLOW", sec_rule("getppid", "SCMP_ACT_ERRNO", 55), 1);
	c->linux_.seccomp.architectures = sec_strv("SCMP_ARCH_X86_64", NULL);
	int st;
	struct sec_result r = run(c, probe_i386_getppid, NULL, &st);
	assert_int_equal(r.rc, -999);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGSYS);
}
#endif

static void test_unknown_arch_is_error(void **state)
{
	struct oci_config *c = nnp_cfg();
	sec_set_seccomp(c, "SCMP_ACT_ALLOW", NULL, 0);
	c->linux_.seccomp.architectures = sec_strv("SCMP_ARCH_X86_64", "SCMP_ARCH_VAX", NULL);
	struct sec_result r = run(c, NULL, NULL, NULL);
	assert_int_equal(r.step, 1);
	assert_non_null(strstr(r.msg, "SCMP_ARCH_VAX"));
	assert_non_null(strstr(r.msg, "architectures[1]"));
}

/* ---- flags -------------------------------------------------------------- */

static void test_flags_accepted(void **state)
{
	const char *flags[] = {"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
			       "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", "SECCOMP_FILTER_FLAG_TSYNC"};
	for (size_t i = 0; i < ARRAY_SIZE(flags); i++) {
		struct oci_config *c = nnp_cfg();
		sec_set_seccomp(c, "SCMP_ACT_ALLOW", sec_rule("getppid", "SCMP_ACT_ERRNO", 12), 1);
		c->linux_.seccomp.flags = sec_strv(flags[i], NULL);
		struct sec_result r = run(c, probe_getppid, NULL, NULL);
		print_message("# %s\n", flags[i]);
		assert_int_equal(r.step, 0);
		assert_int_equal(r.extra[1], 12);
	}
}

static void test_unknown_flag_is_error(void **state)
{
	struct oci_config *c = nnp_cfg();
	sec_set_seccomp(c, "SCMP_ACT_ALLOW", NULL, 0);
	c->linux_.seccomp.flags = sec_strv("SECCOMP_FILTER_FLAG_FAST", NULL);
	struct sec_result r = run(c, NULL, NULL, NULL);
	assert_int_equal(r.step, 1);
	assert_non_null(strstr(r.msg, "SECCOMP_FILTER_FLAG_FAST"));
}

/* TSYNC: a thread that exists before the filter gets it too. */
static pthread_t tsync_thread;
static volatile int tsync_go, tsync_seccomp = -1;

static void *tsync_main(void *arg)
{
	while (!tsync_go)
		usleep(1000);
	char buf[4096];
	int fd = open("/proc/thread-self/status", O_RDONLY);
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = 0;
	close(fd);
	char *p = strstr(buf, "Seccomp:\t");
	tsync_seccomp = p ? atoi(p + 9) : -2;
	return NULL;
}

static void tsync_pre(void *arg)
{
	pthread_create(&tsync_thread, NULL, tsync_main, NULL);
}

static void tsync_probe(struct sec_result *r, void *arg)
{
	tsync_go = 1;
	pthread_join(tsync_thread, NULL);
	r->extra[0] = tsync_seccomp;
}

static void run_tsync(bool tsync, long expect)
{
	struct oci_config *c = nnp_cfg();
	sec_set_seccomp(c, "SCMP_ACT_ALLOW", sec_rule("getppid", "SCMP_ACT_ERRNO", 12), 1);
	if (tsync)
		c->linux_.seccomp.flags = sec_strv("SECCOMP_FILTER_FLAG_TSYNC", NULL);
	struct sec_hooks h = {.pre = tsync_pre, .probe = tsync_probe};
	struct sec_result r;
	sec_run_child(c, &h, &r);
	assert_int_equal(r.step, 0);
	assert_int_equal(r.extra[0], expect);
}

static void test_flag_tsync_reaches_threads(void **state)
{
	run_tsync(false, 0);
	run_tsync(true, 2);
}

/* ---- NOTIFY ------------------------------------------------------------- */

struct listener {
	char dir[64];
	char path[128];
	int sock;
	char msg[4096];
	int notify_fd;
	int handled;
	long answer;
};

static void listener_open(struct listener *l)
{
	memset(l, 0, sizeof(*l));
	strcpy(l->dir, "/tmp/husk-security-XXXXXX");
	assert_non_null(mkdtemp(l->dir));
	snprintf(l->path, sizeof(l->path), "%s/listener.sock", l->dir);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	strcpy(a.sun_path, l->path);
	l->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(l->sock, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(l->sock, 1), 0);
	l->notify_fd = -1;
}

static void listener_close(struct listener *l)
{
	if (l->notify_fd >= 0)
		close(l->notify_fd);
	close(l->sock);
	unlink(l->path);
	rmdir(l->dir);
}

/* Parent side: accept, take the fd and the state, answer every notification
 * (getppid with l->answer, anything else CONTINUE) until the child is gone. */
static void listener_parent(pid_t child, void *arg)
{
	struct listener *l = arg;
	struct pollfd pa = {.fd = l->sock, .events = POLLIN};
	if (poll(&pa, 1, 10000) != 1)
		return;
	int conn = accept4(l->sock, NULL, NULL, SOCK_CLOEXEC);
	assert_true(conn >= 0);
	/* A husk that sends the fd from the filtered thread deadlocks right here. */
	struct pollfd pc = {.fd = conn, .events = POLLIN};
	if (poll(&pc, 1, 10000) != 1) {
		kill(child, SIGKILL);
		close(conn);
		return;
	}
	char control[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {.iov_base = l->msg, .iov_len = sizeof(l->msg) - 1};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
			    .msg_controllen = sizeof(control)};
	ssize_t n = recvmsg(conn, &mh, MSG_CMSG_CLOEXEC);
	assert_true(n > 0);
	l->msg[n] = 0;
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	assert_non_null(cm);
	assert_int_equal(cm->cmsg_type, SCM_RIGHTS);
	memcpy(&l->notify_fd, CMSG_DATA(cm), sizeof(int));
	close(conn);

	struct seccomp_notif_sizes sz;
	assert_int_equal(syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sz), 0);
	struct seccomp_notif *req = calloc(1, sz.seccomp_notif);
	struct seccomp_notif_resp *resp = calloc(1, sz.seccomp_notif_resp);
	for (;;) {
		struct pollfd p = {.fd = l->notify_fd, .events = POLLIN};
		if (poll(&p, 1, 10000) != 1 || (p.revents & (POLLHUP | POLLERR)))
			break;
		memset(req, 0, sz.seccomp_notif);
		if (ioctl(l->notify_fd, SECCOMP_IOCTL_NOTIF_RECV, req) < 0)
			break;
		memset(resp, 0, sz.seccomp_notif_resp);
		resp->id = req->id;
		if (req->data.nr == SYS_getppid) {
			resp->val = l->answer;
		} else {
			resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		}
		l->handled++;
		ioctl(l->notify_fd, SECCOMP_IOCTL_NOTIF_SEND, resp);
	}
	free(req);
	free(resp);
}

/* The profile sends getppid to the agent, and also sendmsg, fcntl, futex and
 * write, which a naive runtime would use to hand the fd over after the filter
 * is live and so deadlock.  husk must get the fd to the agent and the agent's
 * answer must come back to the container's getppid. */
static void test_notify_listener(void **state)
{
	struct listener l;
	listener_open(&l);
	l.answer = 4242;
	struct oci_config *c = nnp_cfg();
	struct oci_seccomp_syscall *rules = sec_rule("getppid", "SCMP_ACT_NOTIFY", -1);
	const char *traps[] = {"sendmsg", "fcntl", "futex", "nanosleep", "clock_nanosleep", "mmap", "munmap"};
	for (size_t i = 0; i < ARRAY_SIZE(traps); i++)
		rules->names.v[rules->names.n++] = sec_strdup(traps[i]);
	sec_set_seccomp(c, "SCMP_ACT_ALLOW", rules, 1);
	c->linux_.seccomp.listener_path = sec_strdup(l.path);
	c->linux_.seccomp.listener_metadata = sec_strdup("meta-husk");
	c->linux_.seccomp.flags = sec_strv("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
					   "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", NULL);
	struct sec_hooks h = {.probe = probe_getppid, .parent = listener_parent, .arg = &l};
	struct sec_result r;
	sec_run_child(c, &h, &r);
	listener_close(&l);
	assert_int_equal(r.step, 0);
	assert_int_equal(r.extra[0], 4242);
	assert_true(l.handled >= 1);
	assert_non_null(strstr(l.msg, "\"fds\":[\"seccompFd\"]"));
	assert_non_null(strstr(l.msg, "\"metadata\":\"meta-husk\""));
	assert_non_null(strstr(l.msg, "\"status\":\"creating\""));
	assert_non_null(strstr(l.msg, "\"id\":\"sec-test\""));
	assert_non_null(strstr(l.msg, "\"ociVersion\""));
}

static void test_notify_needs_listener_path(void **state)
{
	struct oci_config *c = nnp_cfg();
	sec_set_seccomp(c, "SCMP_ACT_ALLOW", sec_rule("getppid", "SCMP_ACT_NOTIFY", -1), 1);
	struct sec_result r = run(c, NULL, NULL, NULL);
	assert_int_equal(r.step, 1);
	assert_non_null(strstr(r.msg, "listenerPath"));
}

static void test_notify_as_default_is_error(void **state)
{
	struct oci_config *c = nnp_cfg();
	sec_set_seccomp(c, "SCMP_ACT_NOTIFY", NULL, 0);
	c->linux_.seccomp.listener_path = sec_strdup("/nonexistent");
	struct sec_result r = run(c, NULL, NULL, NULL);
	assert_int_equal(r.step, 1);
	assert_non_null(strstr(r.msg, "default"));
}

static void test_notify_listener_absent_is_error(void **state)
{
	struct oci_config *c = nnp_cfg();
	sec_set_seccomp(c, "SCMP_ACT_ALLOW", sec_rule("getppid", "SCMP_ACT_NOTIFY", -1), 1);
	c->linux_.seccomp.listener_path = sec_strdup("/tmp/husk-security-no-such.sock");
	struct sec_result r = run(c, NULL, NULL, NULL);
	assert_int_equal(r.step, 1);
	assert_non_null(strstr(r.msg, "husk-security-no-such.sock"));
}

/* ---- the ENOSYS stub ------------------------------------------------------ */

#ifndef SYS_faccessat2
#define SYS_faccessat2 439
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif

static void probe_new_calls(struct sec_result *r, void *arg)
{
	(void)arg;
	errno = 0;
	r->extra[0] = syscall(SYS_getppid) < 0 ? errno : 0;
	errno = 0;
	r->extra[1] = syscall(SYS_faccessat2, AT_FDCWD, "/", F_OK, 0) < 0 ? errno : 0;
	errno = 0;
	r->extra[2] = syscall(SYS_openat2, AT_FDCWD, "/", NULL, 0) < 0 ? errno : 0;
	errno = 0;
	r->extra[3] = syscall(SYS_clone3, NULL, 0) < 0 ? errno : 0;
}

/* A profile written before clone3/openat2/faccessat2 (it names every call up
 * to rseq but getppid): those newer calls get ENOSYS, so glibc falls back;
 * an old call it leaves out still gets the default action. */
static void test_enosys_for_calls_newer_than_the_profile(void **state)
{
	if (sec_under_valgrind())
		skip();
	struct oci_config *c = nnp_cfg();
	struct oci_seccomp_syscall *rule = sec_rule("read", "SCMP_ACT_ALLOW", -1);
	rule->names.v = sec_calloc(400, sizeof(char *));
	rule->names.n = 0;
	uint32_t native = seccomp_arch_native();
	for (int nr = 0; nr <= SYS_rseq; nr++) {
		char *name = seccomp_syscall_resolve_num_arch(native, nr);
		if (name && nr != SYS_getppid)
			rule->names.v[rule->names.n++] = sec_strdup(name);
		free(name);
	}
	sec_set_seccomp(c, "SCMP_ACT_ERRNO", rule, 1);
	struct sec_result r = run(c, probe_new_calls, NULL, NULL);
	assert_int_equal(r.step, 0);
	assert_int_equal(r.extra[0], EPERM);
	assert_int_equal(r.extra[1], ENOSYS);
	assert_int_equal(r.extra[2], ENOSYS);
	assert_int_equal(r.extra[3], ENOSYS);

	/* Under a default that allows, a newer call simply runs. */
	struct oci_config *a = nnp_cfg();
	sec_set_seccomp(a, "SCMP_ACT_ALLOW", sec_rule("getppid", "SCMP_ACT_ERRNO", -1), 1);
	r = run(a, probe_new_calls, NULL, NULL);
	assert_int_equal(r.step, 0);
	assert_int_equal(r.extra[0], EPERM);
	assert_int_equal(r.extra[1], 0);
}

UNIT_MAIN(NULL, sec_group_teardown, cmocka_unit_test(test_action_errno_with_errnoret),
	  cmocka_unit_test(test_action_errno_default_is_eperm), cmocka_unit_test(test_action_kill),
	  cmocka_unit_test(test_action_kill_thread), cmocka_unit_test(test_action_kill_process),
	  cmocka_unit_test(test_action_trap), cmocka_unit_test(test_action_trace_without_tracer),
	  cmocka_unit_test(test_action_log_allows),
	  cmocka_unit_test(test_default_errno_and_allow_rules),
	  cmocka_unit_test(test_unknown_action_is_error),
	  cmocka_unit_test(test_unknown_syscall_is_skipped), cmocka_unit_test(test_operators),
	  cmocka_unit_test(test_unknown_operator_is_error), cmocka_unit_test(test_same_index_is_or),
	  cmocka_unit_test(test_different_indexes_are_and),
#if defined(__x86_64__)
	  cmocka_unit_test(test_arch_x86_added), cmocka_unit_test(test_arch_x86_missing_kills),
#endif
	  cmocka_unit_test(test_unknown_arch_is_error), cmocka_unit_test(test_flags_accepted),
	  cmocka_unit_test(test_unknown_flag_is_error),
	  cmocka_unit_test(test_flag_tsync_reaches_threads), cmocka_unit_test(test_notify_listener),
	  cmocka_unit_test(test_enosys_for_calls_newer_than_the_profile),
	  cmocka_unit_test(test_notify_needs_listener_path),
	  cmocka_unit_test(test_notify_as_default_is_error),
	  cmocka_unit_test(test_notify_listener_absent_is_error))
