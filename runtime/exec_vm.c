/* `husk exec` into a VM container (vm_container.h).
 *
 * The process runs in the guest, started by the agent; on the host husk forks
 * an exec relay (exec_result.pid: what --pid-file names and engines wait on
 * and signal).  The relay connects to the monitor's socket in the state dir
 * (<state>/vm.sock), sends the process as JSON, and then carries its stdio,
 * the signals it receives (SIGKILL excepted: it ends the relay, and the
 * monitor then SIGKILLs the process in the guest) and the terminal's size;
 * it exits when the process does, with its exit code (128+N for signal N).
 * With a terminal the relay's stdio is a host pty (raw: the guest has the
 * line discipline) whose master goes to --console-socket or husk's proxy. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "oci/json_gen.h"
#include "runtime/exec_vm.h"
#include "runtime/terminal.h"
#include "runtime/vm_container.h"
#include "vm-sandbox/agent/channel.h"
#include "vm-sandbox/agent/host_relay.h"

static bool gen_strv(yajl_gen g, const char *k, const oci_strv *v)
{
	bool ok = jg_key(g, k) && jg_open_array(g);
	for (size_t i = 0; ok && i < v->n; i++)
		ok = jg_str(g, v->v[i]);
	return ok && jg_close_array(g);
}

static bool gen_user(yajl_gen g, const struct oci_user *u)
{
	bool ok = jg_key(g, "user") && jg_open_map(g) && jg_kint(g, "uid", u->uid) &&
		  jg_kint(g, "gid", u->gid);
	if (ok && u->umask.set)
		ok = jg_kint(g, "umask", (long long)u->umask.v);
	if (ok && u->n_additional_gids) {
		ok = jg_key(g, "additionalGids") && jg_open_array(g);
		for (size_t i = 0; ok && i < u->n_additional_gids; i++)
			ok = yajl_gen_integer(g, u->additional_gids[i]) == yajl_gen_status_ok;
		ok = ok && jg_close_array(g);
	}
	return ok && jg_close_map(g);
}

static bool gen_caps(yajl_gen g, const struct oci_capabilities *c)
{
	return jg_key(g, "capabilities") && jg_open_map(g) &&
	       gen_strv(g, "bounding", &c->bounding) && gen_strv(g, "effective", &c->effective) &&
	       gen_strv(g, "inheritable", &c->inheritable) &&
	       gen_strv(g, "permitted", &c->permitted) && gen_strv(g, "ambient", &c->ambient) &&
	       jg_close_map(g);
}

static bool gen_rlimits(yajl_gen g, const struct oci_process *p)
{
	bool ok = jg_key(g, "rlimits") && jg_open_array(g);
	for (size_t i = 0; ok && i < p->n_rlimits; i++)
		ok = jg_open_map(g) && jg_kstr(g, "type", p->rlimits[i].type) &&
		     jg_key(g, "hard") &&
		     yajl_gen_integer(g, (long long)p->rlimits[i].hard) == yajl_gen_status_ok &&
		     jg_key(g, "soft") &&
		     yajl_gen_integer(g, (long long)p->rlimits[i].soft) == yajl_gen_status_ok &&
		     jg_close_map(g);
	return ok && jg_close_array(g);
}

/* The process as the agent reads it back (oci_process_parse): what the
 * guest applies (scheduler, I/O priority and CPU affinity are not sent). */
int exec_vm_process_json(const struct oci_process *p, char **out, size_t *len,
			 struct husk_err **err)
{
	yajl_gen g = jg_new(false);
	bool ok = jg_open_map(g) && jg_kbool(g, "terminal", p->terminal) && gen_user(g, &p->user) &&
		  gen_strv(g, "args", &p->args) && gen_strv(g, "env", &p->env) &&
		  jg_kstr(g, "cwd", p->cwd ? p->cwd : "/") &&
		  jg_kbool(g, "noNewPrivileges", p->no_new_privileges) && gen_rlimits(g, p);
	if (ok && p->console_height.set && p->console_width.set)
		ok = jg_key(g, "consoleSize") && jg_open_map(g) &&
		     jg_kint(g, "height", (long long)p->console_height.v) &&
		     jg_kint(g, "width", (long long)p->console_width.v) && jg_close_map(g);
	if (ok && p->capabilities.present)
		ok = gen_caps(g, &p->capabilities);
	if (ok && p->apparmor_profile)
		ok = jg_kstr(g, "apparmorProfile", p->apparmor_profile);
	if (ok && p->selinux_label)
		ok = jg_kstr(g, "selinuxLabel", p->selinux_label);
	if (ok && p->oom_score_adj.set)
		ok = jg_kint(g, "oomScoreAdj", (long long)p->oom_score_adj.v);
	ok = ok && jg_close_map(g);
	return jg_finish(g, ok, out, len, err);
}

/* Every signal an engine may send the relay, forwarded to the process. */
static void forward_set(sigset_t *set)
{
	sigemptyset(set);
	for (int s = 1; s < SIGRTMIN; s++)
		sigaddset(set, s);
	int keep[] = {SIGKILL, SIGSTOP, SIGSEGV, SIGBUS,  SIGFPE,
		      SIGILL,  SIGTRAP, SIGSYS,	 SIGCHLD, SIGPIPE};
	for (size_t i = 0; i < ARRAY_SIZE(keep); i++)
		sigdelset(set, keep[i]);
}

static int exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

/* The relay: report (a close-on-exec pipe) stays silent on success. */
__attribute__((noreturn)) static void relay_main(int conn, int slave, const char *json, size_t len,
						 int report)
{
	struct husk_err *err = NULL;
	signal(SIGPIPE, SIG_IGN);
	sigset_t fwd;
	forward_set(&fwd);
	sigprocmask(SIG_BLOCK, &fwd, NULL);
	if (slave >= 0) {
		struct termios t;
		if (terminal_become_stdio(slave, &err) < 0)
			goto fail;
		close(slave);
		if (tcgetattr(0, &t) == 0) {
			cfmakeraw(&t);
			tcsetattr(0, TCSANOW, &t);
		}
	}
	if (chan_send(conn, CHAN_EXEC, json, (uint32_t)len, &err) < 0 ||
	    host_relay_handshake(conn, &err) < 0)
		goto fail;
	close(report);
	struct host_relay_opts ro = {.chan = conn,
				     .in = 0,
				     .out = 1,
				     .err = 2,
				     .terminal = slave >= 0,
				     .fwd = &fwd,
				     .exec_listen = -1,
				     /* the handshake took CHAN_STARTED: a process that
				      * only reads stdin sends nothing before it gets it */
				     .guest_up = true};
	struct host_relay *r = NULL;
	if (host_relay_start(&ro, &r, &err) < 0) {
		dprintf(2, "husk: exec: %s\n", err->msg);
		_exit(255);
	}
	bool debug = getenv("HUSK_VM_DEBUG") != NULL;
	if (debug)
		dprintf(2, "husk: exec relay %d: started\n", (int)getpid());
	host_relay_wait(r);
	if (debug)
		dprintf(2, "husk: exec relay %d: the monitor closed the session\n", (int)getpid());
	int status = 0;
	char *agent_err = NULL;
	unsigned long long started = 0;
	int have = host_relay_finish(r, &status, &agent_err, &started);
	if (have == 1)
		_exit(exit_code(status));
	dprintf(2, "husk: exec: %s\n",
		agent_err ? agent_err : "the VM stopped before the process ended");
	_exit(255);
fail:;
	const char *msg = err && err->msg ? err->msg : "exec failed";
	(void)!write(report, msg, strlen(msg));
	_exit(255);
}

int exec_vm(const struct container_exec_opts *o, const struct oci_process *proc, int conn,
	    struct exec_result *res, struct husk_err **err)
{
	if (!proc->args.n)
		return husk_err_set(err, EINVAL, "exec: no command given (args are empty)");
	bool socket = o->console_socket && *o->console_socket;
	if (proc->terminal && !socket && !o->block)
		return husk_err_set(err, EINVAL,
				    "exec: a terminal needs --console-socket when detached");
	if (!proc->terminal && socket)
		return husk_err_set(err, EINVAL,
				    "exec: --console-socket given but terminal is false");
	if (o->preserve_fds)
		return husk_err_set(err, ENOTSUP,
				    "exec: --preserve-fds cannot pass host fds into a VM");
	cleanup_free char *json = NULL;
	size_t len = 0;
	if (exec_vm_process_json(proc, &json, &len, err) < 0)
		return -1;
	if (len > CHAN_MAX_PAYLOAD)
		return husk_err_set(err, E2BIG, "exec: the process is too large (%zu bytes)", len);
	cleanup_fd int master = -1;
	cleanup_fd int slave = -1;
	if (proc->terminal && terminal_open(proc, &master, &slave, err) < 0)
		return -1;
	/* husk's own terminal's size from the start: the guest's pty gets it
	 * before the process runs (later changes come as SIGWINCH). */
	struct winsize ws;
	if (slave >= 0 && !socket && !(proc->console_height.set && proc->console_width.set) &&
	    ioctl(0, TIOCGWINSZ, &ws) == 0)
		ioctl(slave, TIOCSWINSZ, &ws);
	/* As for a container's exec: the caller waits for the relay on a
	 * signalfd, so SIGCHLD and what it forwards stay blocked from now on. */
	if (o->block)
		sigprocmask(SIG_BLOCK, o->block, NULL);
	int report[2];
	if (pipe2(report, O_CLOEXEC) < 0)
		return husk_err_sys(err, "pipe");
	pid_t pid = fork();
	if (pid < 0) {
		close(report[0]);
		close(report[1]);
		return husk_err_sys(err, "fork the exec relay");
	}
	if (pid == 0) {
		close(report[0]);
		if (master >= 0)
			close(master);
		relay_main(conn, slave, json, len, report[1]);
	}
	close(report[1]);
	char msg[1024];
	ssize_t n = read_all(report[0], msg, sizeof(msg) - 1);
	close(report[0]);
	if (n > 0) {
		msg[n] = '\0';
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		return husk_err_set(err, ENOEXEC, "%s", msg);
	}
	res->pid = pid;
	if (master >= 0) {
		if (socket) {
			if (terminal_send_to_console_socket(o->console_socket, master, err) < 0) {
				kill(pid, SIGKILL);
				while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
					;
				res->pid = 0;
				return -1;
			}
		} else {
			res->pty_master = steal_fd(&master);
		}
	}
	return 0;
}
