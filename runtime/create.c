/* `create` / `run`: the parent side of container creation.
 *
 * The handshake with the init (init.c), top to bottom.  Which of the bracketed
 * steps happen is decided once, before the clone (enum init_start, init.h):
 * INIT_ALONE (nothing joined by path, no new user namespace), INIT_NEW_USERNS
 * (nothing joined, a new user namespace), INIT_JOINS (a namespace joined by
 * path).
 *
 *   parent                                   init
 *   1. config, state dir, cgroups made
 *      and their resources written
 *   2. clone (INIT_JOINS: plain, with the    [ALONE: enter its cgroups itself]
 *      pid and time namespaces given by      [JOINS: join, unshare the new
 *      path joined around it) ----------->    namespaces, USERNS if a new
 *                                             user namespace]
 *   3. [not ALONE: move it into the cgroups]
 *   4. [new user ns: (JOINS: await USERNS)
 *      write the id maps]
 *   5. [not ALONE: GO] ------------------->  [not ALONE: await GO]
 *                                            user ns root, cgroup and time
 *                                            namespaces [JOINS + new pid ns:
 *                                            fork, SYNC_PID]
 *   6. converse until READY or execve:       hostname, keyring [PTY]
 *      MOUNT_SOURCES: open bind sources <--  [bind sources the init cannot open]
 *                                            mounts, pivot_root
 *      PREPARED: prestart, createRuntime <-  [only with hooks: PREPARED,
 *      hooks; HOOKS_DONE + state -------->    createContainer hooks]
 *                                            security, fds, cwd
 *      create: READY <--------------------   READY; waits on exec.fifo
 *      run: EXEC, then EOF <--------------   EXEC, seccomp, startContainer
 *                                            hooks, execve
 *   7. state.json, --pid-file, --pidfd-socket
 * Any failure in the init: SYNC_ERROR and its error, which create returns
 * after undoing everything (job_abort). */
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <linux/magic.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroups/cgroup.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "ns/ns.h"
#include "rootfs/rootfs.h"
#include "runtime/container.h"
#include "runtime/exec_pidfd.h"
#include "runtime/hooks.h"
#include "runtime/init.h"
#include "runtime/mount_sources.h"
#include "runtime/netns_early.h"
#include "runtime/process_security.h"
#include "runtime/process_start.h"
#include "runtime/sync.h"
#include "runtime/terminal.h"
#include "runtime/vm_container.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

struct create_job {
	const struct container_create_opts *o;
	struct oci_config *cfg;
	struct ns_plan plan;
	char *bundle, *rootfs, *dir, *config_text;
	size_t config_len;
	int dir_fd, lock_fd, fifo_fd;
	struct cgroup_manager *cm;
	enum init_start start;
	struct netns_early netns; /* made in parallel with the cgroups (INIT_ALONE) */
	struct process_start ps;  /* the init: ps.pid once known */
	bool dir_created;
	bool vm_mode;
	struct vm_plan vm;
};

static char *rfc3339_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	/* Not gmtime_r/strftime: glibc's first call reads /etc/localtime (tzset) for
	 * nothing.  Civil date from days since the epoch (proleptic Gregorian). */
	long long days = ts.tv_sec / 86400, sod = ts.tv_sec % 86400;
	long long z = days + 719468, era = z / 146097;
	long long doe = z - era * 146097;
	long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long long mp = (5 * doy + 2) / 153;
	long long day = doy - (153 * mp + 2) / 5 + 1, month = mp < 10 ? mp + 3 : mp - 9;
	long long year = yoe + era * 400 + (month <= 2);
	return xasprintf("%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%09ldZ", year, month, day,
			 sod / 3600, sod / 60 % 60, sod % 60, ts.tv_nsec);
}

static unsigned listen_fds_from_env(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	unsigned long long p, n;
	if (!pid || !fds || parse_u64(pid, &p) < 0 || parse_u64(fds, &n) < 0)
		return 0;
	if ((pid_t)p != getpid() || n > 1024)
		return 0;
	return (unsigned)n;
}

/* Undo everything: no process, no cgroup, no state dir may stay. */
static void job_abort(struct create_job *j)
{
	process_start_abort(&j->ps);
	if (j->cm) {
		struct husk_err *e = NULL;
		if (cgroup_destroy(j->cm, &e) < 0)
			log_warn("cleanup: %s", e->msg);
		husk_err_free(&e);
	}
	if (j->dir_created) {
		struct husk_err *e = NULL;
		if (container_dir_remove(j->o->root, j->o->id, &e) < 0)
			log_warn("cleanup: %s", e->msg);
		husk_err_free(&e);
	}
}

static void job_free(struct create_job *j, bool keep_mask)
{
	netns_early_cancel(&j->netns);
	ns_plan_close(&j->plan);
	if (j->cm)
		cgroup_manager_free(j->cm);
	if (j->cfg)
		oci_config_free(j->cfg);
	int fds[] = {j->dir_fd, j->lock_fd, j->fifo_fd, j->ps.pty_master};
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	/* run keeps signals blocked once created: it forwards them from a signalfd. */
	process_start_close(&j->ps, keep_mask);
	vm_plan_free(&j->vm);
	free(j->bundle);
	free(j->rootfs);
	free(j->dir);
	free(j->config_text);
}

static int load_config(struct create_job *j, struct husk_err **err)
{
	char resolved[PATH_MAX];
	const char *bundle = j->o->bundle && *j->o->bundle ? j->o->bundle : ".";
	if (!realpath(bundle, resolved))
		return husk_err_sys(err, "bundle %s", bundle);
	j->bundle = xstrdup(resolved);
	cleanup_free char *path = xasprintf("%s/config.json", j->bundle);
	if (read_file_at(AT_FDCWD, path, &j->config_text, &j->config_len, err) < 0)
		return husk_err_wrap(err, "load bundle config");
	if (oci_config_parse(j->config_text, j->config_len, path, &j->cfg, err) < 0)
		return -1;
	const struct oci_config *cfg = j->cfg;
	if (!cfg->process.present)
		return husk_err_set(err, EINVAL, "%s: process is required to run a container",
				    path);
	if (!cfg->process.args.n)
		return husk_err_set(err, EINVAL, "%s: process.args must not be empty", path);
	if (!cfg->root.path || !*cfg->root.path)
		return husk_err_set(err, EINVAL, "%s: root.path is required", path);
	j->rootfs = cfg->root.path[0] == '/' ? xstrdup(cfg->root.path)
					     : xasprintf("%s/%s", j->bundle, cfg->root.path);
	struct stat st, host_root;
	if (stat(j->rootfs, &st) < 0)
		return husk_err_sys(err, "rootfs %s", j->rootfs);
	if (!S_ISDIR(st.st_mode))
		return husk_err_set(err, ENOTDIR, "rootfs %s is not a directory", j->rootfs);
	/* "/" and "../../.." alike: the same directory, whatever the spelling. */
	if (stat("/", &host_root) == 0 && st.st_dev == host_root.st_dev &&
	    st.st_ino == host_root.st_ino)
		return husk_err_set(err, EINVAL,
				    "%s: root.path \"%s\" is the host's root directory \"/\": "
				    "refusing to run a container on it",
				    path, cfg->root.path);
	return 0;
}

static int check_terminal_flags(const struct create_job *j, struct husk_err **err)
{
	bool terminal = j->cfg->process.terminal;
	bool socket = j->o->console_socket && *j->o->console_socket;
	if (terminal && !socket && (j->o->mode == CREATE_WAIT_FIFO || !j->o->block))
		return husk_err_set(err, EINVAL,
				    "process.terminal is true: --console-socket is required when "
				    "husk does not stay in the foreground");
	if (!terminal && socket)
		return husk_err_set(err, EINVAL,
				    "--console-socket given but process.terminal is false");
	return 0;
}

static int make_state_dir(struct create_job *j, struct husk_err **err)
{
	if (mkdir_p_at(AT_FDCWD, j->o->root, 0711, err) < 0)
		return husk_err_wrap(err, "state root %s", j->o->root);
	j->dir = container_dir(j->o->root, j->o->id);
	if (!container_dir_take_spare(j->o->root, j->dir) && mkdir(j->dir, 0711) < 0) {
		if (errno == EEXIST)
			return container_err(err, EEXIST, "container with id exists: %s", j->o->id);
		return husk_err_sys(err, "create state dir %s", j->dir);
	}
	j->dir_created = true;
	j->dir_fd = open(j->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (j->dir_fd < 0)
		return husk_err_sys(err, "open %s", j->dir);
	if (flock(j->dir_fd, LOCK_EX) < 0)
		return husk_err_sys(err, "lock %s", j->dir);
	j->lock_fd = fcntl(j->dir_fd, F_DUPFD_CLOEXEC, 0);
	if (j->o->mode == CREATE_WAIT_FIFO) {
		if (mkfifoat(j->dir_fd, "exec.fifo", 0600) < 0)
			return husk_err_sys(err, "create %s/exec.fifo", j->dir);
		/* O_RDWR never blocks; the init reads from it until `start` writes. */
		j->fifo_fd = openat(j->dir_fd, "exec.fifo", O_RDWR | O_CLOEXEC);
		if (j->fifo_fd < 0)
			return husk_err_sys(err, "open %s/exec.fifo", j->dir);
	}
	return 0;
}

/* The state dir names the cgroups before they exist: a husk killed from here
 * on leaves a state dir that `delete --force ID` can clean up completely. */
static int make_cgroups(struct create_job *j, struct husk_err **err)
{
	struct cgroup_manager *cm = NULL;
	if (cgroup_manager_prepare(j->o->id, j->cfg->linux_.cgroups_path, j->o->systemd_cgroup, &cm,
				   err) < 0)
		return -1;
	cleanup_free char *note = cgroup_manager_serialize(cm);
	if (write_file_atomic_at(j->dir_fd, CONTAINER_CGROUP_NOTE, note, strlen(note), 0600, err) <
	    0) {
		cgroup_manager_free(cm);
		return -1;
	}
	if (cgroup_manager_make_dirs(cm, err) < 0) {
		cgroup_manager_free(cm);
		return -1;
	}
	j->cm = cm;
	return 0;
}

/* pid and time namespaces given by path apply to children: the parent joins
 * them just around the clone and goes back to its own right after. */
static int join_for_children(struct create_job *j, int saved[2], struct husk_err **err)
{
	static const enum oci_ns_type types[2] = {OCI_NS_PID, OCI_NS_TIME};
	static const char *self[2] = {"/proc/self/ns/pid", "/proc/self/ns/time"};
	for (int i = 0; i < 2; i++) {
		saved[i] = -1;
		if (j->plan.join_fd[types[i]] < 0)
			continue;
		saved[i] = open(self[i], O_RDONLY | O_CLOEXEC);
		if (saved[i] < 0)
			return husk_err_sys(err, "open %s", self[i]);
		if (ns_join(&j->plan, types[i], err) < 0)
			return -1;
	}
	return 0;
}

static void leave_for_children(int saved[2])
{
	static const int nstype[2] = {CLONE_NEWPID, CLONE_NEWTIME};
	for (int i = 0; i < 2; i++) {
		if (saved[i] < 0)
			continue;
		if (setns(saved[i], nstype[i]) < 0)
			log_warn("could not return to husk's own namespace: %m");
		close(saved[i]);
	}
}

static enum init_start init_start_of(const struct ns_plan *plan)
{
	if (plan->any_join)
		return INIT_JOINS;
	return plan->user_new ? INIT_NEW_USERNS : INIT_ALONE;
}

/* Step 2: the clone. */
static int spawn_init(struct create_job *j, struct husk_err **err)
{
	if (process_start_open(&j->ps, j->o->block, j->o->console_socket, err) < 0)
		return -1;
	j->start = init_start_of(&j->plan);
	struct init_ctx ctx = {.cfg = j->cfg,
			       .opts = j->o,
			       .plan = &j->plan,
			       .start = j->start,
			       .fifo_fd = j->fifo_fd,
			       .orig_mask = j->ps.orig_mask,
			       .bundle = j->bundle,
			       .rootfs = j->rootfs,
			       .listen_fds = listen_fds_from_env(),
			       .parent_pid = getpid(),
			       .netns_fd = netns_early_take(&j->netns),
			       .vm = j->vm_mode ? &j->vm : NULL,
			       .config_text = j->config_text,
			       .config_len = j->config_len};
	unsigned long flags = 0;
	if (j->start != INIT_JOINS)
		flags = j->plan.new_flags & ~(unsigned long)(CLONE_NEWCGROUP | CLONE_NEWTIME);
	if (ctx.netns_fd >= 0)
		flags &= ~(unsigned long)CLONE_NEWNET;
	/* Alone, the init joins its cgroups itself, cheaper than being moved
	 * (cgroups/cgroup.h); inside a new user namespace it no longer could. */
	int into_fd = j->start == INIT_ALONE ? cgroup_clone_fd(j->cm) : -1;
	int saved[2] = {-1, -1};
	int r = join_for_children(j, saved, err);
	pid_t pid = -1;
	if (r == 0) {
		pid = process_start_clone(&j->ps, flags, into_fd, &ctx.cloned_into_v2);
		if (pid == 0) {
			ctx.sync_fd = j->ps.sync_fd;
			ctx.cgroup = j->start == INIT_ALONE ? j->cm : NULL;
			/* The state dir fd carries the flock: `start` must be able to take it. */
			close(j->dir_fd);
			close(j->lock_fd);
			init_main(&ctx);
		}
	}
	int clone_errno = errno;
	if (ctx.netns_fd >= 0)
		close(ctx.netns_fd);
	leave_for_children(saved);
	if (r < 0)
		return -1;
	if (pid < 0)
		return husk_err_set(err, clone_errno, "clone container init");
	/* Known now unless a new pid namespace takes one more fork (SYNC_PID). */
	if (j->start != INIT_JOINS || !(j->plan.new_flags & CLONE_NEWPID))
		j->ps.pid = pid;
	return 0;
}

static int expect_msg(void *arg, enum sync_type t, struct husk_err **err)
{
	enum sync_type want = *(const enum sync_type *)arg;
	if (t != want)
		return husk_err_set(err, EPROTO, "expected message %d from init, got %d", (int)want,
				    (int)t);
	return 1;
}

/* Steps 3-5: what the init waits for unless it is alone. */
static int place_init(struct create_job *j, struct husk_err **err)
{
	if (cgroup_enter(j->cm, j->ps.child, err) < 0)
		return -1;
	if (j->plan.user_new) {
		enum sync_type want = SYNC_USERNS;
		if (j->start == INIT_JOINS &&
		    process_start_converse(&j->ps, "container init", expect_msg, &want, err) < 0)
			return -1;
		if (ns_write_id_maps(j->ps.child, &j->cfg->linux_, err) < 0)
			return -1;
	}
	/* If the init already failed, its error waits in the socket: converse()
	 * reports that rather than our broken pipe. */
	struct husk_err *go_err = NULL;
	sync_send(j->ps.sync_fd, SYNC_GO, &go_err);
	husk_err_free(&go_err);
	return 0;
}

/* runtime.md "State" puts "created" right after lifecycle step 2 (the
 * environment exists) and prestart is step 3, so prestart hooks see "created",
 * as crun's do and as the runtime-tools suite (hooks_stdin) checks.  runc says
 * "creating" here; createRuntime keeps that, which hook consumers rely on. */
static int run_prestart(struct create_job *j, struct container_state *st, struct husk_err **err)
{
	cleanup_free char *json = container_state_json(st, OCI_STATUS_CREATED, j->ps.pid, false);
	return hooks_run(&j->cfg->hooks.prestart, "prestart", json, err);
}

static int send_hook_state(struct create_job *j, struct husk_err **err)
{
	struct container_state st = {
	    .id = (char *)j->o->id, .bundle = j->bundle, .annotations = j->cfg->annotations};
	cleanup_free char *json = container_state_json(&st, OCI_STATUS_CREATING, j->ps.pid, false);
	const struct oci_hooks *h = &j->cfg->hooks;
	if (h->prestart.n && run_prestart(j, &st, err) < 0)
		return -1;
	if (h->create_runtime.n && hooks_run(&h->create_runtime, "createRuntime", json, err) < 0)
		return -1;
	bool need = h->create_container.n || h->start_container.n;
	need = need && json;
	return sync_send_blob(j->ps.sync_fd, SYNC_HOOKS_DONE, need ? json : "",
			      need ? strlen(json) : 0, err);
}

/* Step 6: the init's messages besides those every start speaks. */
static int on_init_msg(void *arg, enum sync_type t, struct husk_err **err)
{
	struct create_job *j = arg;
	switch (t) {
	case SYNC_MOUNT_SOURCES:
		return mount_sources_send(j->cfg, j->bundle, j->ps.child, j->ps.sync_fd, err);
	case SYNC_PREPARED:
		return send_hook_state(j, err);
	case SYNC_READY:
		return 1;
	default:
		return husk_err_set(err, EPROTO, "unexpected message %d from init", (int)t);
	}
}

/* The state's "owner", as runc reports it.  /etc/passwd is read directly, not
 * through NSS: husk is a static binary, and a static glibc's NSS would load
 * shared modules at run time. */
static char *owner_name(uid_t uid)
{
	if (uid == 0)
		return xstrdup("root");
	FILE *f = fopen("/etc/passwd", "re");
	char *name = NULL;
	struct passwd *pw;
	while (f && !name && (pw = fgetpwent(f)))
		if (pw->pw_uid == uid)
			name = xstrdup(pw->pw_name);
	if (f)
		fclose(f);
	return name ? name : xstrdup("");
}

/* Step 7: the container exists for others now. */
static int save_state(struct create_job *j, struct container_state **out, struct husk_err **err)
{
	struct container_state *st = xcalloc(1, sizeof(*st));
	*out = st;
	st->id = xstrdup(j->o->id);
	st->bundle = xstrdup(j->bundle);
	st->rootfs = xstrdup(j->rootfs);
	st->pid = j->ps.pid;
	st->pid_start_time = proc_start_time(j->ps.pid);
	st->created = rfc3339_now();
	st->owner = owner_name(geteuid());
	st->cgroup = j->cm ? cgroup_manager_serialize(j->cm) : NULL;
	st->userns = j->plan.user_new || j->plan.user_join;
	st->poststart_hooks = j->cfg->hooks.poststart.n > 0;
	st->poststop_hooks = j->cfg->hooks.poststop.n > 0;
	const oci_kvv *a = &j->cfg->annotations;
	st->annotations.v = xcalloc(a->n + 1, sizeof(struct oci_kv));
	for (size_t i = 0; i < a->n; i++) {
		st->annotations.v[i].key = xstrdup(a->v[i].key);
		st->annotations.v[i].value = xstrdup(a->v[i].value);
	}
	st->annotations.n = a->n;
	{
		/* start/delete hooks and exec need the config even if the bundle goes. */
		if (write_file_atomic_at(j->dir_fd, "config.json", j->config_text, j->config_len,
					 0600, err) < 0)
			return -1;
		st->config_path = xasprintf("%s/config.json", j->dir);
	}
	if (container_state_save(j->o->root, st, err) < 0)
		return -1;
	if (process_start_write_pid_file(j->o->pid_file, j->ps.pid, err) < 0)
		return -1;
	if (j->o->pidfd_socket &&
	    pidfd_send_to_socket(j->o->pidfd_socket, j->ps.pid, PIDFD_KIND_INIT, err) < 0)
		return -1;
	return 0;
}

/* CVE-2019-5736: husk must re-exec from a sealed, read-only copy before it
 * enters a container, whatever namespaces it gets.  A new pid namespace is not
 * enough: the init's own final execve can run husk's binary inside the
 * container (an entrypoint of "#!/proc/self/exe"), and that process can keep
 * the binary open and write it once the host's husk processes have exited
 * (tests/bats/security_cve.bats, "own pid namespace").  Nothing exists yet to
 * clean up. */
static int protect_binary(struct create_job *j, struct husk_err **err)
{
	if (!j->o->argv)
		return 0;
	return ensure_sealed_binary(j->o->argv, environ, err);
}

/* linux.intelRdt asks for resctrl groups, which husk does not manage: the spec
 * requires the runtime to fail rather than run the container without them. */
static int check_intel_rdt(const struct oci_config *cfg, struct husk_err **err)
{
	if (!cfg->linux_.intel_rdt.present)
		return 0;
	struct statfs sfs;
	if (statfs("/sys/fs/resctrl", &sfs) < 0 || sfs.f_type != RDTGROUP_SUPER_MAGIC)
		return husk_err_set(err, ENOTSUP,
				    "linux.intelRdt: the resctrl filesystem is not mounted at "
				    "/sys/fs/resctrl");
	return husk_err_set(err, ENOTSUP, "linux.intelRdt: resctrl groups are not supported yet");
}

static int create_steps(struct create_job *j, struct container_state **st, struct husk_err **err)
{
	const struct container_create_opts *o = j->o;
	if (container_id_validate(o->id, err) < 0)
		return -1;
	if (o->systemd_cgroup)
		return husk_err_set(
		    err, ENOTSUP,
		    "--systemd-cgroup: the systemd cgroup driver is not supported yet");
	if (load_config(j, err) < 0 || check_terminal_flags(j, err) < 0 ||
	    check_intel_rdt(j->cfg, err) < 0)
		return -1;
	/* A VM that cannot run is an error before anything exists, never a
	 * container instead. */
	j->vm_mode = o->vm || vm_annotation_selected(j->cfg);
	if (j->vm_mode && vm_plan_build(j->cfg, j->config_text, j->config_len, &j->vm, err) < 0)
		return -1;
	if (ns_plan_build(j->cfg, &j->plan, err) < 0)
		return -1;
	if (!rootfs_has_mount_ns(j->cfg))
		log_warn("container %s: linux.namespaces has no mount namespace: the container "
			 "shares the host's (runtime-spec); husk mounts nothing for it (mounts, "
			 "/dev, maskedPaths, readonlyPaths, sysctl and root.readonly are "
			 "ignored) and only chroots into %s",
			 o->id, j->rootfs);
	if (protect_binary(j, err) < 0)
		return -1;
	/* Only for a plain new network namespace: one that belongs to a new user
	 * namespace must be made from inside it. */
	if (!j->plan.any_join && !j->plan.user_new && (j->plan.new_flags & CLONE_NEWNET))
		netns_early_start(&j->netns);
	if (make_state_dir(j, err) < 0)
		return -1;
	/* The manager exists before the clone: alone, the init joins its cgroups
	 * itself with the directory fds it inherits.  Resources are written while
	 * the cgroup is still empty: the init makes its /dev nodes in parallel
	 * with the parent, and must never run under a half-written device list
	 * ("deny all" written, the allow rules not yet). */
	if (make_cgroups(j, err) < 0 || cgroup_apply_config(j->cm, &j->cfg->linux_, err) < 0)
		return -1;
	if (spawn_init(j, err) < 0)
		return -1;
	close(j->fifo_fd);
	j->fifo_fd = -1;
	/* The init works on its mounts meanwhile. */
	if (j->start != INIT_ALONE && place_init(j, err) < 0)
		return -1;
	if (process_start_converse(&j->ps, "container init", on_init_msg, j, err) < 0)
		return -1;
	return save_state(j, st, err);
}

/* An init killed by the OOM killer during set-up: the memory limit is below
 * what the container needs to start.  Say that, not "init exited". */
static void explain_oom(struct create_job *j, struct husk_err **err)
{
	if (!j->cm || !j->ps.child)
		return;
	cleanup_free char *note = container_oom_note(j->cm, true);
	if (!note)
		return;
	husk_err_free(err);
	husk_err_set(err, 0, "%s", note);
}

int container_create(const struct container_create_opts *o, struct container_handle **out,
		     struct husk_err **err)
{
	struct create_job j = {.o = o,
			       .vm = {.kvm_fd = -1, .kernel_fd = -1, .initrd_fd = -1},
			       .dir_fd = -1,
			       .lock_fd = -1,
			       .fifo_fd = -1,
			       .ps = {.sync_fd = -1, .peer_fd = -1, .pty_master = -1},
			       .netns = {.fd = -1}};
	struct container_state *st = NULL;
	if (create_steps(&j, &st, err) < 0) {
		explain_oom(&j, err);
		job_abort(&j);
		container_state_free(st);
		job_free(&j, false);
		return husk_err_wrap(err, "create container %s", o->id);
	}
	if (!out) {
		container_state_free(st);
		job_free(&j, false);
		return 0;
	}
	struct container_handle *h = xcalloc(1, sizeof(*h));
	h->pid = j.ps.pid;
	h->st = st;
	h->cfg = steal_ptr(&j.cfg);
	h->pty_master = steal_fd(&j.ps.pty_master);
	job_free(&j, true);
	*out = h;
	return 0;
}

void container_handle_free(struct container_handle *h)
{
	if (!h)
		return;
	if (h->pty_master >= 0)
		close(h->pty_master);
	if (h->cfg)
		oci_config_free(h->cfg);
	container_state_free(h->st);
	free(h);
}

void container_run_start(const struct container_handle *h)
{
	if (h->cfg->hooks.poststart.n) {
		cleanup_free char *json =
		    container_state_json(h->st, OCI_STATUS_RUNNING, h->pid, false);
		hooks_run_warn(&h->cfg->hooks.poststart, "poststart", json);
	}
}
