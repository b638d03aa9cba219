/* start, kill, delete of an existing container. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cgroups/cgroup.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "oci/image/image.h"
#include "runtime/container.h"
#include "runtime/hooks.h"

struct oci_config *container_saved_config(const struct container_state *st)
{
	if (!st->config_path)
		return NULL;
	struct oci_config *cfg = NULL;
	struct husk_err *err = NULL;
	if (oci_config_load(st->config_path, &cfg, &err) < 0) {
		log_warn("container %s: saved config: %s", st->id, err->msg);
		husk_err_free(&err);
		return NULL;
	}
	return cfg;
}

/* Open a pidfd on the recorded init, refusing a recycled pid. */
static int open_init_pidfd(const struct container_state *st, struct husk_err **err)
{
	int fd = (int)syscall(SYS_pidfd_open, st->pid, 0);
	if (fd < 0) {
		if (errno == ESRCH)
			return container_err(err, ESRCH, "container not running");
		return husk_err_sys(err, "pidfd_open %d", (int)st->pid);
	}
	if (!container_pid_alive(st)) {
		close(fd);
		return container_err(err, ESRCH, "container not running");
	}
	return fd;
}

/* Wake the init blocked reading exec.fifo, then wait until it has exec'd the
 * user process (its fifo fd is close-on-exec: the pipe loses its last writer)
 * or failed (it leaves "E<message>" in the pipe).  The fifo's removal marks
 * the container running. */
static int release_init(const char *root, const char *id, struct husk_err **err)
{
	cleanup_free char *fifo = xasprintf("%s/%s/exec.fifo", root, id);
	/* Reader first, so the writer opened next counts as a new writer for
	 * POLLHUP; this reader never reads before the hang-up. */
	cleanup_fd int rfd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (rfd < 0)
		return husk_err_sys(err, "open %s", fifo);
	int wfd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (wfd < 0)
		return husk_err_sys(err, "open %s", fifo);
	ssize_t w = write(wfd, "0", 1);
	close(wfd);
	if (w != 1)
		return husk_err_sys(err, "release container init through %s", fifo);
	unlink(fifo);
	/* events 0: only the hang-up (no writer left) wakes us. */
	struct pollfd p = {.fd = rfd, .events = 0};
	while (poll(&p, 1, -1) < 0) {
		if (errno != EINTR)
			return husk_err_sys(err, "wait for the container process to start");
	}
	/* The init clips its message to HUSK_ERR_WIRE_MAX: one pipe buffer. */
	char buf[HUSK_ERR_WIRE_MAX + 2];
	ssize_t n = read_all(rfd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if (buf[0] == 'E')
		return husk_err_set(err, 0, "%s", buf + 1);
	return container_err(err, ESRCH, "container not running: its init exited before start");
}

/* Poststart hooks run "after the user-specified process is executed": the
 * execve is done once release_init returns, but the program has not yet run an
 * instruction of its own, and a hook would race its first steps (the
 * runtime-tools poststart check is that race).  Give the program until it
 * first blocks or exits, bounded at 20 ms, so the hooks see a program that is
 * under way.  Only paid when poststart hooks exist. */
static void let_program_start(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	const struct timespec tick = {.tv_nsec = 200 * 1000};
	for (int i = 0; i < 100; i++) {
		char buf[256];
		cleanup_fd int fd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
		if (n <= 0)
			return;
		buf[n] = '\0';
		const char *paren = strrchr(buf, ')');
		if (!paren || paren[1] != ' ' || paren[2] != 'R')
			return;
		nanosleep(&tick, NULL);
	}
}

int container_start(const char *root, const char *id, struct husk_err **err)
{
	cleanup_fd int lock = -1;
	struct container_state *st = NULL;
	if (container_lock(root, id, true, &lock, err) < 0 ||
	    container_state_load(root, id, &st, err) < 0)
		return -1;
	int r = 0;
	enum oci_status s = container_status(root, st);
	if (s == OCI_STATUS_STOPPED) {
		r = container_err(err, EINVAL, "cannot start a container that has stopped");
		goto out;
	}
	if (s != OCI_STATUS_CREATED) {
		r = container_err(err, EINVAL, "cannot start an already running container");
		goto out;
	}
	if (release_init(root, id, err) < 0) {
		r = -1;
		goto out;
	}
	struct oci_config *cfg = st->poststart_hooks ? container_saved_config(st) : NULL;
	if (cfg && cfg->hooks.poststart.n) {
		let_program_start(st->pid);
		cleanup_free char *json =
		    container_state_json(st, OCI_STATUS_RUNNING, st->pid, false);
		hooks_run_warn(&cfg->hooks.poststart, "poststart", json);
	}
	if (cfg)
		oci_config_free(cfg);
out:
	container_state_free(st);
	return r;
}

static int load_cgroup(const struct container_state *st, struct cgroup_manager **cm,
		       struct husk_err **err)
{
	*cm = NULL;
	if (!st->cgroup)
		return 0;
	return cgroup_manager_load(st->cgroup, cm, err);
}

int container_kill(const char *root, const char *id, int sig, bool all, struct husk_err **err)
{
	cleanup_fd int lock = -1;
	struct container_state *st = NULL;
	if (container_lock(root, id, false, &lock, err) < 0 ||
	    container_state_load(root, id, &st, err) < 0)
		return -1;
	int r = 0;
	enum oci_status s = container_status(root, st);
	if (s == OCI_STATUS_STOPPED && !all) {
		r = container_err(err, ESRCH, "container not running");
		goto out;
	}
	if (all) {
		struct cgroup_manager *cm = NULL;
		if (load_cgroup(st, &cm, err) < 0) {
			r = -1;
			goto out;
		}
		if (cm) {
			r = cgroup_kill_all(cm, sig, err);
			cgroup_manager_free(cm);
			goto out;
		}
		if (s == OCI_STATUS_STOPPED) {
			r = container_err(err, ESRCH, "container not running");
			goto out;
		}
	}
	int pidfd = open_init_pidfd(st, err);
	if (pidfd < 0) {
		r = -1;
		goto out;
	}
	if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0)
		r = errno == ESRCH ? container_err(err, ESRCH, "container not running")
				   : husk_err_sys(err, "send signal %d to %d", sig, (int)st->pid);
	close(pidfd);
out:
	container_state_free(st);
	return r;
}

/* SIGKILL the init (and the cgroup) and wait until it is gone. */
static int kill_and_wait(const struct container_state *st, struct cgroup_manager *cm,
			 struct husk_err **err)
{
	struct husk_err *ignored = NULL;
	int pidfd = open_init_pidfd(st, &ignored);
	husk_err_free(&ignored);
	if (cm) {
		cgroup_freeze(cm, false, &ignored);
		husk_err_free(&ignored);
		cgroup_kill_all(cm, SIGKILL, &ignored);
		husk_err_free(&ignored);
	}
	if (pidfd < 0)
		return 0;
	syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
	struct pollfd p = {.fd = pidfd, .events = POLLIN};
	while (poll(&p, 1, -1) < 0) {
		if (errno != EINTR) {
			close(pidfd);
			return husk_err_sys(err, "wait for container init to exit");
		}
	}
	close(pidfd);
	return 0;
}

/* The cgroups a create that died (SIGKILL) had named in the state dir before
 * it made them.  Its init died with it (parent death signal). */
static int remove_noted_cgroups(const char *root, const char *id, struct husk_err **err)
{
	cleanup_free char *path = xasprintf("%s/%s/%s", root, id, CONTAINER_CGROUP_NOTE);
	cleanup_free char *note = NULL;
	struct husk_err *rerr = NULL;
	if (read_file_at(AT_FDCWD, path, &note, NULL, &rerr) < 0) {
		husk_err_free(&rerr);
		return 0;
	}
	struct cgroup_manager *cm = NULL;
	if (cgroup_manager_load(note, &cm, &rerr) < 0) {
		log_warn("container %s: unreadable %s: %s", id, path, rerr->msg);
		husk_err_free(&rerr);
		return 0;
	}
	int r = cgroup_destroy(cm, err);
	cgroup_manager_free(cm);
	return r < 0 ? husk_err_wrap(err, "delete container %s", id) : 0;
}

static int delete_container(const char *root, const char *id, bool force, struct husk_err **err)
{
	cleanup_fd int lock = -1;
	struct container_state *st = NULL;
	if (container_lock(root, id, true, &lock, err) < 0)
		return -1;
	if (container_state_load(root, id, &st, err) < 0) {
		/* A directory without state: a create that died half-way. */
		if ((*err)->errnum == ENOENT && force) {
			husk_err_free(err);
			if (remove_noted_cgroups(root, id, err) < 0 ||
			    image_private_bundle_remove(root, id, err) < 0)
				return -1;
			return container_dir_remove(root, id, err);
		}
		return -1;
	}
	int r = 0;
	struct cgroup_manager *cm = NULL;
	enum oci_status s = container_status(root, st);
	if ((s == OCI_STATUS_RUNNING || s == OCI_STATUS_PAUSED) && !force) {
		r = container_err(err, EBUSY, "cannot delete container %s that is not stopped: %s",
				  id, oci_status_name(s));
		goto out;
	}
	if (load_cgroup(st, &cm, err) < 0) {
		r = -1;
		goto out;
	}
	if (s != OCI_STATUS_STOPPED && kill_and_wait(st, cm, err) < 0) {
		r = -1;
		goto out;
	}
	if (cm && cgroup_destroy(cm, err) < 0) {
		r = husk_err_wrap(err, "delete container %s", id);
		goto out;
	}
	struct oci_config *cfg = st->poststop_hooks ? container_saved_config(st) : NULL;
	if (container_dir_remove(root, id, err) < 0)
		r = -1;
	if (cfg && cfg->hooks.poststop.n) {
		cleanup_free char *json = container_state_json(st, OCI_STATUS_STOPPED, 0, false);
		hooks_run_warn(&cfg->hooks.poststop, "poststop", json);
	}
	if (cfg)
		oci_config_free(cfg);
	/* `run --image`: the private bundle goes with the container (after the
	 * poststop hooks, which may look at it). */
	if (r == 0 && image_private_bundle_remove(root, id, err) < 0)
		r = -1;
out:
	if (cm)
		cgroup_manager_free(cm);
	container_state_free(st);
	return r;
}

int container_delete(const char *root, const char *id, bool force, struct husk_err **err)
{
	if (delete_container(root, id, force, err) == 0)
		return 0;
	/* runc: deleting what does not exist is fine with --force. */
	if (force && (*err)->errnum == ENOENT) {
		husk_err_free(err);
		return 0;
	}
	return -1;
}
