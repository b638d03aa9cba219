/* `exec`: a new process in an existing container.
 *
 * husk forks a helper that joins every namespace of the container's init in one
 * setns(pidfd) call (race-free against pid reuse, user namespace first), after
 * the parent moved it into the container's cgroup.  The pid and time
 * namespaces apply to children, so the helper forks the process itself
 * (CLONE_PARENT: husk's child, for wait and signals) and exits.  The start
 * itself is the init's (process_start.h):
 *
 *   parent                                   helper, then process
 *   clone the helper
 *   move it into the container's cgroup
 *   GO ------------------------------------>  connect the seccomp listener,
 *                                             join the namespaces, fork:
 *   converse  <---------------------------    SYNC_PID (the helper exits)
 *             <---------------------------    [PTY] security, fds, cwd
 *             <---------------------------    EXEC, seccomp, execve (EOF)
 *   --pid-file, --pidfd-socket */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroups/cgroup.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "runtime/container.h"
#include "runtime/exec_pidfd.h"
#include "runtime/process_security.h"
#include "runtime/process_start.h"
#include "runtime/sync.h"
#include "runtime/terminal.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

struct exec_ctx {
	const struct container_exec_opts *o;
	const struct oci_config *cfg;
	const struct oci_process *proc;
	const struct container_state *st;
	int pidfd;
	unsigned long ns_flags;
	struct process_start ps;
	pid_t parent;
	struct seccomp_listener *listener; /* connected from the host side */
};

/* Every namespace type, in the order they are joined one by one: the user
 * namespace first (it grants the rights for the others), the mount namespace
 * last (it changes what /proc shows). */
static const struct {
	const char *name;
	unsigned long flag;
} ns_types[] = {{"user", CLONE_NEWUSER}, {"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS},
		{"net", CLONE_NEWNET},	 {"pid", CLONE_NEWPID}, {"cgroup", CLONE_NEWCGROUP},
		{"time", CLONE_NEWTIME}, {"mnt", CLONE_NEWNS}};

/* Namespaces of the init that differ from ours. */
static unsigned long namespaces_to_join(pid_t pid)
{
	unsigned long flags = 0;
	for (size_t i = 0; i < ARRAY_SIZE(ns_types); i++) {
		char theirs[64], ours[64];
		struct stat a, b;
		snprintf(theirs, sizeof(theirs), "/proc/%d/ns/%s", (int)pid, ns_types[i].name);
		snprintf(ours, sizeof(ours), "/proc/self/ns/%s", ns_types[i].name);
		if (stat(theirs, &a) == 0 && stat(ours, &b) == 0 && a.st_ino != b.st_ino)
			flags |= ns_types[i].flag;
	}
	return flags;
}

/* setns(pidfd, flags) joins all at once (Linux 5.8+).  Older kernels answer
 * EINVAL: join through the files in /proc/PID/ns instead, every fd opened before the
 * first setns (the mount namespace changes what /proc shows), the user
 * namespace first, and the pidfd proving afterwards that PID was still the
 * init while the fds were opened (a live pid cannot be reused). */
static int join_namespaces(const struct exec_ctx *x, struct husk_err **err)
{
	if (!x->ns_flags)
		return 0;
	if (setns(x->pidfd, (int)x->ns_flags) == 0)
		return 0;
	if (errno != EINVAL)
		return husk_err_sys(err, "join the namespaces of container %s", x->o->id);
	int fds[ARRAY_SIZE(ns_types)];
	int r = 0;
	for (size_t i = 0; i < ARRAY_SIZE(ns_types); i++) {
		fds[i] = -1;
		if (r < 0 || !(x->ns_flags & ns_types[i].flag))
			continue;
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)x->st->pid, ns_types[i].name);
		fds[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0)
			r = husk_err_sys(err, "open %s", path);
	}
	if (r == 0 && syscall(SYS_pidfd_send_signal, x->pidfd, 0, NULL, 0) < 0)
		r = container_err(err, ESRCH, "container %s: its init exited", x->o->id);
	for (size_t i = 0; i < ARRAY_SIZE(ns_types); i++) {
		if (fds[i] < 0)
			continue;
		if (r == 0 && setns(fds[i], (int)ns_types[i].flag) < 0)
			r = husk_err_sys(err, "join the %s namespace of container %s",
					 ns_types[i].name, x->o->id);
		close(fds[i]);
	}
	return r;
}

static int exec_process_setup(struct exec_ctx *x, struct husk_err **err)
{
	const struct oci_process *proc = x->proc;
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		return husk_err_sys(err, "set parent death signal");
	cleanup_fd int slave = -1;
	if (proc->terminal) {
		cleanup_fd int master = -1;
		if (terminal_open(proc, &master, &slave, err) < 0 ||
		    sync_send(x->ps.sync_fd, SYNC_PTY, err) < 0 ||
		    terminal_send_fd(x->ps.sync_fd, master, "-", err) < 0)
			return -1;
	}
	struct process_security *ps = NULL;
	struct process_security_opts pso = {.cfg = x->cfg,
					    .proc = proc,
					    .container_id = x->o->id,
					    .bundle = x->st->bundle,
					    .container_pid = x->st->pid,
					    .exec = true,
					    .userns = x->st->userns,
					    .state_root = x->o->root,
					    .listener = steal_ptr(&x->listener)};
	if (process_security_prepare(&pso, &ps, err) < 0)
		return -1;
	if (slave >= 0) {
		if (terminal_become_stdio(slave, err) < 0)
			return -1;
		close(steal_fd(&slave));
	}
	int *const own[] = {&x->ps.sync_fd};
	if (process_pass_fds((int)x->o->preserve_fds, own, 1, err) < 0)
		return -1;
	if (process_chdir_checked(proc->cwd ? proc->cwd : "/", err) < 0)
		return -1;
	if (process_security_apply(ps, err) < 0)
		return -1;
	cleanup_free char *exe = NULL;
	if (process_find_executable(proc->args.v[0], proc->env.v, &exe, err) < 0)
		return -1;
	/* The process outlives husk (exec -d, or husk killed), as with runc. */
	if (prctl(PR_SET_PDEATHSIG, 0) < 0)
		return husk_err_sys(err, "clear parent death signal");
	if (sync_send(x->ps.sync_fd, SYNC_EXEC, err) < 0)
		return -1;
	sigprocmask(SIG_SETMASK, &x->ps.orig_mask, NULL);
	if (process_security_load_seccomp(ps, err) < 0)
		return -1;
	char *noenv[] = {NULL};
	execve(exe, proc->args.v, proc->env.n ? proc->env.v : noenv);
	return husk_err_sys(err, "exec %s", exe);
}

__attribute__((noreturn)) static void exec_helper(struct exec_ctx *x)
{
	struct husk_err *err = NULL;
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || prctl(PR_SET_DUMPABLE, 0) < 0) {
		husk_err_sys(&err, "prctl");
		goto fail;
	}
	if (getppid() != x->parent) {
		husk_err_set(&err, ESRCH, "husk exited");
		goto fail;
	}
	if (sync_expect(x->ps.sync_fd, SYNC_GO, &err) < 0)
		goto fail;
	/* linux.seccomp.listenerPath names a host path, as for the init. */
	struct process_security_opts pso = {
	    .cfg = x->cfg, .proc = x->proc, .container_id = x->o->id, .bundle = x->st->bundle,
	    .container_pid = x->st->pid, .exec = true};
	if (process_security_connect_listener(&pso, &x->listener, &err) < 0)
		goto fail;
	if (join_namespaces(x, &err) < 0)
		goto fail;
	close(x->pidfd);
	if (process_start_fork(x->ps.sync_fd, &err) < 0)
		goto fail;
	exec_process_setup(x, &err);
fail:
	process_start_report(x->ps.sync_fd, err);
	_exit(1);
}

static int check_status(const struct container_exec_opts *o, const struct container_state *st,
			struct husk_err **err)
{
	enum oci_status s = container_status(o->root, st);
	if (s == OCI_STATUS_STOPPED)
		return container_err(err, EINVAL, "cannot exec in a stopped container");
	if (s == OCI_STATUS_PAUSED && !o->ignore_paused)
		return container_err(
		    err, EINVAL,
		    "cannot exec in a paused container (use --ignore-paused to override)");
	return 0;
}

static int exec_in(struct exec_ctx *x, struct exec_result *res, struct husk_err **err)
{
	const struct container_exec_opts *o = x->o;
	const struct oci_process *proc = x->proc;
	if (!proc->args.n)
		return husk_err_set(err, EINVAL, "exec: no command given (args are empty)");
	bool socket = o->console_socket && *o->console_socket;
	if (proc->terminal && !socket && !o->block)
		return husk_err_set(err, EINVAL,
				    "exec: a terminal needs --console-socket when detached");
	if (!proc->terminal && socket)
		return husk_err_set(err, EINVAL,
				    "exec: --console-socket given but terminal is false");
	struct cgroup_manager *cm = NULL;
	if (x->st->cgroup && cgroup_manager_load(x->st->cgroup, &cm, err) < 0)
		return -1;
	x->pidfd = (int)syscall(SYS_pidfd_open, x->st->pid, 0);
	if (x->pidfd < 0 || !container_pid_alive(x->st)) {
		if (x->pidfd >= 0)
			close(x->pidfd);
		if (cm)
			cgroup_manager_free(cm);
		return container_err(err, ESRCH, "container not running");
	}
	x->ns_flags = namespaces_to_join(x->st->pid);
	int r = process_start_open(&x->ps, o->block, o->console_socket, err);
	x->parent = getpid();
	pid_t helper = r < 0 ? -1 : process_start_clone(&x->ps, 0, -1, NULL);
	if (helper == 0)
		exec_helper(x);
	if (r == 0 && helper < 0)
		r = husk_err_sys(err, "fork exec helper");
	else if (r == 0 && cm && !o->n_sub_cgroups && cgroup_enter(cm, helper, err) < 0)
		r = -1;
	else if (r == 0 && cm && o->n_sub_cgroups &&
		 cgroup_enter_sub(cm, helper, o->sub_cgroups, o->n_sub_cgroups, err) < 0)
		r = -1;
	else if (r == 0 && sync_send(x->ps.sync_fd, SYNC_GO, err) < 0)
		r = -1;
	if (r == 0)
		r = process_start_converse(&x->ps, "exec process", NULL, NULL, err);
	/* The caller forwards the blocked signals from a signalfd. */
	process_start_close(&x->ps, true);
	close(x->pidfd);
	if (cm)
		cgroup_manager_free(cm);
	if (r == 0)
		r = process_start_write_pid_file(o->pid_file, x->ps.pid, err);
	if (r == 0 && o->pidfd_socket &&
	    pidfd_send_to_socket(o->pidfd_socket, x->ps.pid, PIDFD_KIND_EXEC, err) < 0)
		r = -1;
	/* Nobody would know about the process: do not leave it behind. */
	if (r < 0)
		process_start_abort(&x->ps);
	res->pid = x->ps.pid;
	res->pty_master = steal_fd(&x->ps.pty_master);
	return r;
}

static void strv_set(oci_strv *sv, char *const *v, size_t n)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		sv->v[i] = xstrdup(v[i]);
	sv->n = n;
}

static void strv_append(oci_strv *sv, const char *const *v, size_t n)
{
	sv->v = xrealloc(sv->v, (sv->n + n + 1) * sizeof(char *));
	for (size_t i = 0; i < n; i++)
		sv->v[sv->n++] = xstrdup(v[i]);
	sv->v[sv->n] = NULL;
}

/* runc's exec without --process: the container's process, changed by the flags. */
static void apply_overrides(struct oci_process *p, const struct exec_overrides *ov)
{
	strv_set(&p->args, ov->args, ov->nargs);
	strv_append(&p->env, ov->env, ov->nenv);
	if (ov->cwd) {
		free(p->cwd);
		p->cwd = xstrdup(ov->cwd);
	}
	if (ov->user_set) {
		p->user.uid = ov->uid;
		p->user.gid = ov->gid;
	}
	p->terminal = ov->tty;
	if (ov->no_new_privs)
		p->no_new_privileges = true;
	if (ov->ncaps) {
		p->capabilities.present = true;
		strv_append(&p->capabilities.bounding, ov->caps, ov->ncaps);
		strv_append(&p->capabilities.effective, ov->caps, ov->ncaps);
		strv_append(&p->capabilities.permitted, ov->caps, ov->ncaps);
		/* Ambient capabilities need their inheritable bit: like runc, add
		 * them only when the process already has an inheritable set. */
		if (p->capabilities.inheritable.n)
			strv_append(&p->capabilities.ambient, ov->caps, ov->ncaps);
	}
	if (ov->ngids) {
		free(p->user.additional_gids);
		p->user.additional_gids = xcalloc(ov->ngids, sizeof(uint32_t));
		memcpy(p->user.additional_gids, ov->additional_gids, ov->ngids * sizeof(uint32_t));
		p->user.n_additional_gids = ov->ngids;
	}
	if (ov->apparmor) {
		free(p->apparmor_profile);
		p->apparmor_profile = xstrdup(ov->apparmor);
	}
	if (ov->process_label) {
		free(p->selinux_label);
		p->selinux_label = xstrdup(ov->process_label);
	}
}

int container_exec(const struct container_exec_opts *o, struct exec_result *res,
		   struct husk_err **err)
{
	res->pid = 0;
	res->pty_master = -1;
	struct container_state *st = NULL;
	cleanup_fd int lock = -1;
	if (container_lock(o->root, o->id, false, &lock, err) < 0 ||
	    container_state_load(o->root, o->id, &st, err) < 0)
		return -1;
	int r = check_status(o, st, err);
	struct oci_config *cfg = r == 0 ? container_saved_config(st) : NULL;
	if (r == 0 && !cfg)
		r = husk_err_set(err, ENOENT, "exec: the container's saved config is missing");
	/* Nothing else may change the container while we read it; the process
	 * itself does not need the lock. */
	close(steal_fd(&lock));
	if (r == 0 && !o->proc && o->ov)
		apply_overrides(&cfg->process, o->ov);
	if (r == 0) {
		struct exec_ctx x = {.o = o,
				     .cfg = cfg,
				     .st = st,
				     .pidfd = -1,
				     .ps = {.sync_fd = -1, .peer_fd = -1, .pty_master = -1},
				     .proc = o->proc ? o->proc : &cfg->process};
		r = exec_in(&x, res, err);
	}
	if (cfg)
		oci_config_free(cfg);
	container_state_free(st);
	if (r < 0)
		return husk_err_wrap(err, "exec in container %s", o->id);
	return 0;
}
