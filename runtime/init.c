#include "runtime/init.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "rootfs/rootfs.h"
#include "runtime/hooks.h"
#include "runtime/mount_sources.h"
#include "runtime/process_security.h"
#include "runtime/process_start.h"
#include "runtime/sync.h"
#include "runtime/terminal.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* Report err to the parent if it still listens, else to our stderr; then die. */
__attribute__((noreturn)) static void init_fail(struct init_ctx *ctx, struct husk_err *err)
{
	if (ctx->fifo_started) {
		/* `start` is waiting on the fifo: the error goes to it. */
		/* Clipped: `start` reads one pipe buffer, and a writer of more would
		 * block forever. */
		char *msg = husk_err_clip(err && err->msg ? err->msg : "container init failed");
		if (msg && write(ctx->fifo_fd, "E", 1) == 1 &&
		    write_all(ctx->fifo_fd, msg, strlen(msg)) >= 0)
			_exit(1);
	}
	if (process_start_report(ctx->sync_fd, err))
		_exit(1);
	dprintf(2, "husk: %s\n", err && err->msg ? err->msg : "container init failed");
	_exit(1);
}

static int set_parent_death_signal(const struct init_ctx *ctx, struct husk_err **err)
{
	/* Until execve, nothing but husk may look into this process (/proc/PID/exe,
	 * mem, fds); execve of the user's binary makes it dumpable again. */
	if (prctl(PR_SET_DUMPABLE, 0) < 0)
		return husk_err_sys(err, "set non-dumpable");
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		return husk_err_sys(err, "set parent death signal");
	/* The parent may have died before prctl: then we were reparented. */
	if (getppid() != ctx->parent_pid && getppid() != 0)
		return husk_err_set(err, ESRCH, "husk exited during container creation");
	return 0;
}

static int unshare_checked(unsigned long flags, struct husk_err **err)
{
	if (flags && unshare((int)flags) < 0)
		return husk_err_sys(err, "unshare namespaces (flags 0x%lx)", flags);
	return 0;
}

/* Our credentials still carry the host's ids, unmapped in the new user
 * namespace: become its root so files we create have a valid owner. */
static int become_userns_root(const struct init_ctx *ctx, struct husk_err **err)
{
	if (!ctx->plan->user_new && !ctx->plan->user_join)
		return 0;
	if (setgroups(0, NULL) < 0 && errno != EPERM)
		return husk_err_sys(err, "user namespace: drop supplementary groups");
	if (setresgid(0, 0, 0) < 0)
		return husk_err_sys(err, "user namespace: become gid 0 (is gid 0 mapped?)");
	if (setresuid(0, 0, 0) < 0)
		return husk_err_sys(err, "user namespace: become uid 0 (is uid 0 mapped?)");
	return 0;
}

static int enter_late_namespaces(const struct init_ctx *ctx, struct husk_err **err)
{
	unsigned long nf = ctx->plan->new_flags;
	if (become_userns_root(ctx, err) < 0)
		return -1;
	/* After the parent moved us into the cgroup, so that it is our cgroupns root. */
	if (unshare_checked(nf & CLONE_NEWCGROUP, err) < 0)
		return -1;
	if (nf & CLONE_NEWTIME) {
		/* Children and our own execve enter it; offsets go in before that. */
		if (unshare_checked(CLONE_NEWTIME, err) < 0)
			return -1;
		if (ctx->plan->time_offsets && ns_write_time_offsets(0, &ctx->cfg->linux_, err) < 0)
			return -1;
	}
	return 0;
}

/* INIT_JOINS: the joins first (with husk's credentials), then the new
 * namespaces; a new user namespace needs its id maps from the parent. */
static int join_and_unshare(const struct init_ctx *ctx, struct husk_err **err)
{
	const struct ns_plan *plan = ctx->plan;
	unsigned long skip = CLONE_NEWPID | CLONE_NEWTIME; /* joined by the parent */
	if (ns_join_all(plan, skip, err) < 0)
		return -1;
	unsigned long nf = plan->new_flags & ~(CLONE_NEWCGROUP | CLONE_NEWTIME);
	if (unshare_checked(nf, err) < 0)
		return -1;
	if (plan->user_new && sync_send(ctx->sync_fd, SYNC_USERNS, err) < 0)
		return -1;
	return 0;
}

/* The init's half of the handshake (create.c's head, steps 2-5). */
static int setup_namespaces(struct init_ctx *ctx, struct husk_err **err)
{
	if (ctx->start == INIT_JOINS && join_and_unshare(ctx, err) < 0)
		return -1;
	/* The parent moved us into our cgroups and wrote our id maps (INIT_ALONE
	 * entered them itself): from here on a "cgroup" mount binds the
	 * container's cgroup and hooks see the init in it. */
	if (ctx->start != INIT_ALONE && sync_expect(ctx->sync_fd, SYNC_GO, err) < 0)
		return -1;
	if (enter_late_namespaces(ctx, err) < 0)
		return -1;
	if (ctx->start != INIT_JOINS || !(ctx->plan->new_flags & CLONE_NEWPID))
		return 0;
	/* unshare(CLONE_NEWPID) applies to children: the next process is the init. */
	if (process_start_fork(ctx->sync_fd, err) < 0)
		return -1;
	return set_parent_death_signal(ctx, err);
}

static int setup_uts_and_keyring(const struct init_ctx *ctx, struct husk_err **err)
{
	const struct oci_config *cfg = ctx->cfg;
	if (cfg->hostname && *cfg->hostname &&
	    sethostname(cfg->hostname, strlen(cfg->hostname)) < 0)
		return husk_err_sys(err, "sethostname %s", cfg->hostname);
	if (cfg->domainname && *cfg->domainname &&
	    setdomainname(cfg->domainname, strlen(cfg->domainname)) < 0)
		return husk_err_sys(err, "setdomainname %s", cfg->domainname);
	if (!ctx->opts->no_new_keyring &&
	    syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, ctx->opts->id) < 0 && errno != ENOSYS)
		return husk_err_sys(err, "join a new session keyring");
	return 0;
}

static char **build_env(const struct init_ctx *ctx)
{
	const oci_strv *env = &ctx->cfg->process.env;
	char **v = xcalloc(env->n + 3, sizeof(char *));
	size_t n = 0;
	for (size_t i = 0; i < env->n; i++) {
		if (ctx->listen_fds && (!strncmp(env->v[i], "LISTEN_FDS=", 11) ||
					!strncmp(env->v[i], "LISTEN_PID=", 11)))
			continue;
		v[n++] = env->v[i];
	}
	if (ctx->listen_fds) {
		v[n++] = xasprintf("LISTEN_FDS=%u", ctx->listen_fds);
		v[n++] = xstrdup("LISTEN_PID=1");
	}
	return v;
}

/* fds 3 .. 3+N-1 pass to the process; everything else husk holds closes at execve. */
static int setup_inherited_fds(struct init_ctx *ctx, struct husk_err **err)
{
	int *const own[] = {&ctx->sync_fd, &ctx->fifo_fd};
	return process_pass_fds((int)(ctx->listen_fds + ctx->opts->preserve_fds), own, 2, err);
}

/* create: READY, then block on exec.fifo until `start`.  run: go on at once;
 * the parent learns of the execve from the socket closing. */
static int wait_for_start(struct init_ctx *ctx, struct husk_err **err)
{
	if (ctx->fifo_fd < 0)
		return 0;
	if (sync_send(ctx->sync_fd, SYNC_READY, err) < 0)
		return -1;
	/* `create` is returning: nobody listens on the socket any more. */
	close(ctx->sync_fd);
	ctx->sync_fd = -1;
	char b;
	for (;;) {
		ssize_t n = read(ctx->fifo_fd, &b, 1);
		if (n == 1)
			break;
		if (n < 0 && errno == EINTR)
			continue;
		return husk_err_sys(err, "wait for start on exec.fifo");
	}
	/* The fifo stays open until execve closes it: `start` waits for that. */
	ctx->fifo_started = true;
	return 0;
}

static bool has_devpts_mount(const struct oci_config *cfg)
{
	for (size_t i = 0; i < cfg->n_mounts; i++)
		if (cfg->mounts[i].destination && !strcmp(cfg->mounts[i].destination, "/dev/pts") &&
		    cfg->mounts[i].type && !strcmp(cfg->mounts[i].type, "devpts"))
			return true;
	return false;
}

/* A pty (from ptmx, or the host's /dev/ptmx when -1); the master goes to the parent. */
/* Hand the pty master to the parent (for the console socket or husk's own stdio). */
static int send_terminal(struct init_ctx *ctx, int master, struct husk_err **err)
{
	if (sync_send(ctx->sync_fd, SYNC_PTY, err) < 0 ||
	    terminal_send_fd(ctx->sync_fd, master, "-", err) < 0)
		return -1;
	return 0;
}

/* A terminal from the host's devpts, for configs without a devpts of their own. */
static int open_host_terminal(struct init_ctx *ctx, int *slave, struct husk_err **err)
{
	cleanup_fd int master = -1;
	if (terminal_open(&ctx->cfg->process, &master, slave, err) < 0)
		return -1;
	return send_terminal(ctx, master, err);
}

/* The container's own devpts: inside, ttyname() is /dev/pts/N, as with runc. */
static int open_container_terminal(struct init_ctx *ctx, const struct rootfs_opts *ropts,
				   int *slave, struct husk_err **err)
{
	cleanup_fd int master = -1;
	if (rootfs_open_console(ropts, &master, slave, err) < 0 ||
	    terminal_set_size(&ctx->cfg->process, *slave, err) < 0)
		return -1;
	return send_terminal(ctx, master, err);
}

/* VM mode: the same container around the monitor, which replaces the
 * process (vm_container.h).  Its files are opened before pivot_root; the
 * process settings are the guest agent's to apply. */
static int init_become_monitor(struct init_ctx *ctx, const struct rootfs_opts *ropts, int *slave,
			       const char *hook_state, struct husk_err **err)
{
	const struct oci_config *cfg = ctx->cfg;
	struct vm_monitor *m = NULL;
	if (vm_monitor_prepare(ctx->vm, cfg, &m, err) < 0 || rootfs_finalize(cfg, ropts, err) < 0)
		return -1;
	if (*slave >= 0) {
		if (terminal_become_stdio(*slave, err) < 0)
			return -1;
		close(steal_fd(slave));
	}
	if (setup_inherited_fds(ctx, err) < 0)
		return -1;
	if (prctl(PR_SET_PDEATHSIG, 0) < 0)
		return husk_err_sys(err, "clear parent death signal");
	if (wait_for_start(ctx, err) < 0)
		return -1;
	if (cfg->hooks.start_container.n &&
	    hooks_run(&cfg->hooks.start_container, "startContainer", hook_state, err) < 0)
		return -1;
	/* run: the parent still listens (create closed the socket at READY). */
	if (ctx->sync_fd >= 0 && sync_send(ctx->sync_fd, SYNC_EXEC, err) < 0)
		return -1;
	sigprocmask(SIG_SETMASK, &ctx->orig_mask, NULL);
	/* What execve would have closed: `start` and `run` learn from these
	 * that the container's process runs. */
	if (ctx->fifo_fd >= 0)
		close(ctx->fifo_fd);
	if (ctx->sync_fd >= 0)
		close(ctx->sync_fd);
	ctx->fifo_fd = ctx->sync_fd = -1;
	ctx->fifo_started = false;
	vm_monitor_run(m);
}

static int init_setup(struct init_ctx *ctx, struct husk_err **err)
{
	const struct oci_config *cfg = ctx->cfg;
	if (ctx->netns_fd >= 0) {
		if (setns(ctx->netns_fd, CLONE_NEWNET) < 0)
			return husk_err_sys(err, "join the container's new network namespace");
		close(ctx->netns_fd);
		ctx->netns_fd = -1;
	}
	if (ctx->cgroup && cgroup_enter_self(ctx->cgroup, ctx->cloned_into_v2, err) < 0)
		return -1;
	if (set_parent_death_signal(ctx, err) < 0 || setup_namespaces(ctx, err) < 0)
		return -1;
	ns_plan_close((struct ns_plan *)ctx->plan);
	if (setup_uts_and_keyring(ctx, err) < 0)
		return -1;

	cleanup_fd int slave = -1;
	bool own_devpts =
	    cfg->process.terminal && has_devpts_mount(cfg) && rootfs_has_mount_ns(cfg);
	if (cfg->process.terminal && !own_devpts && open_host_terminal(ctx, &slave, err) < 0)
		return -1;
	struct rootfs_opts ropts = {.bundle = ctx->bundle,
				    .rootfs = ctx->rootfs,
				    .no_pivot = ctx->opts->no_pivot,
				    .userns = ctx->plan->user_new || ctx->plan->user_join,
				    .console_pty_fd = slave};
	cleanup_free int *src_fds = NULL;
	if (rootfs_has_mount_ns(cfg) && mount_sources_needed(cfg, ropts.userns)) {
		if (mount_sources_receive(cfg, ctx->sync_fd, &src_fds, err) < 0)
			return -1;
		ropts.bind_src_fds = src_fds;
	}
	int r = rootfs_prepare(cfg, &ropts, err);
	for (size_t i = 0; src_fds && i < cfg->n_mounts; i++)
		if (src_fds[i] >= 0)
			close(src_fds[i]);
	if (r < 0)
		return -1;
	if (own_devpts && open_container_terminal(ctx, &ropts, &slave, err) < 0)
		return -1;

	/* Only hooks need the round trip: prestart/createRuntime run in the parent
	 * now, and the container-side ones need the state it sends back. */
	cleanup_free char *hook_state = NULL;
	const struct oci_hooks *h = &cfg->hooks;
	if (h->prestart.n || h->create_runtime.n || h->create_container.n || h->start_container.n) {
		if (sync_send(ctx->sync_fd, SYNC_PREPARED, err) < 0 ||
		    sync_expect(ctx->sync_fd, SYNC_HOOKS_DONE, err) < 0 ||
		    sync_recv_blob(ctx->sync_fd, &hook_state, NULL, err) < 0)
			return -1;
		/* As runc: createContainer hooks start in the rootfs (before pivot_root). */
		if (h->create_container.n && chdir(ctx->rootfs) < 0)
			return husk_err_sys(err, "chdir to the rootfs %s", ctx->rootfs);
		if (hooks_run(&h->create_container, "createContainer", hook_state, err) < 0)
			return -1;
	}

	if (ctx->vm)
		return init_become_monitor(ctx, &ropts, &slave, hook_state, err);
	struct process_security *ps = NULL;
	struct process_security_opts pso = {.cfg = cfg,
					    .proc = &cfg->process,
					    .container_id = ctx->opts->id,
					    .bundle = ctx->bundle,
					    .container_pid = 0,
					    .userns = ropts.userns,
					    .state_root = ctx->opts->root};
	if (process_security_prepare(&pso, &ps, err) < 0)
		return -1;
	if (rootfs_finalize(cfg, &ropts, err) < 0)
		return -1;
	if (slave >= 0) {
		if (terminal_become_stdio(slave, err) < 0)
			return -1;
		close(steal_fd(&slave));
	}
	if (setup_inherited_fds(ctx, err) < 0)
		return -1;
	if (process_chdir_checked(cfg->process.cwd ? cfg->process.cwd : "/", err) < 0)
		return -1;
	if (process_security_apply(ps, err) < 0)
		return -1;

	cleanup_free char **envp = build_env(ctx);
	cleanup_free char *exe = NULL;
	if (process_find_executable(cfg->process.args.v[0], envp, &exe, err) < 0)
		return -1;
	/* From here on the container outlives husk (create returns). */
	if (prctl(PR_SET_PDEATHSIG, 0) < 0)
		return husk_err_sys(err, "clear parent death signal");
	if (wait_for_start(ctx, err) < 0)
		return -1;
	/* run: the parent still listens (create closed the socket at READY). */
	if (ctx->sync_fd >= 0 && sync_send(ctx->sync_fd, SYNC_EXEC, err) < 0)
		return -1;
	sigprocmask(SIG_SETMASK, &ctx->orig_mask, NULL);
	if (process_security_load_seccomp(ps, err) < 0)
		return -1;
	/* As runc: startContainer hooks run under the container's seccomp filter
	 * (the binary comes from the container's image).  Same state as
	 * createContainer saw, with status created. */
	if (cfg->hooks.start_container.n &&
	    hooks_run(&cfg->hooks.start_container, "startContainer", hook_state, err) < 0)
		return -1;
	execve(exe, cfg->process.args.v, envp);
	return husk_err_sys(err, "exec %s", exe);
}

void init_main(struct init_ctx *ctx)
{
	struct husk_err *err = NULL;
	init_setup(ctx, &err);
	init_fail(ctx, err);
}
