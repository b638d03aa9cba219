/* OOM notifications for `events`.
 *
 *   v1  an eventfd registered on memory.oom_control through
 *       cgroup.event_control: the kernel signals it on every OOM in the
 *       cgroup, and once more when the cgroup is removed.
 *   v2  memory.events signals POLLPRI on change; the oom_kill counter says
 *       whether the change was an OOM kill. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "cgroups/internal.h"
#include "common/cleanup.h"
#include "common/util.h"

struct cgroup_oom_watch {
	bool v2;
	int fd;	       /* eventfd (v1) or memory.events (v2) */
	int cgfd;      /* the memory cgroup dir (owned) */
	uint64_t last; /* v2: oom_kill count seen so far */
};

static int read_oom_kill(int fd, uint64_t *v, struct husk_err **err)
{
	char buf[512];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n < 0)
		return husk_err_sys(err, "read memory.events");
	buf[n] = '\0';
	const char *k = strstr(buf, "oom_kill ");
	*v = k ? strtoull(k + 9, NULL, 10) : 0;
	return 0;
}

int cgroup_oom_watch_open(struct cgroup_manager *cm, struct cgroup_oom_watch **out,
			  struct husk_err **err)
{
	int i = cm->mode == CGROUP_MODE_UNIFIED ? cg_find_v2(cm) : cg_find(cm, CG_MEMORY);
	if (i < 0)
		return husk_err_set(err, ENOTSUP, "cgroup %s: no memory controller", cm->path);
	if (cg_fd(cm, (size_t)i, err) < 0)
		return -1;
	struct cgroup_oom_watch *w = xcalloc(1, sizeof(*w));
	w->fd = -1;
	w->cgfd = fcntl(cm->h[i].fd, F_DUPFD_CLOEXEC, 3);
	w->v2 = cm->h[i].v2;
	if (w->cgfd < 0) {
		husk_err_sys(err, "dup cgroup fd");
		goto fail;
	}
	if (w->v2) {
		w->fd = openat(w->cgfd, "memory.events", O_RDONLY | O_CLOEXEC);
		if (w->fd < 0 || read_oom_kill(w->fd, &w->last, err) < 0) {
			if (w->fd < 0)
				husk_err_sys(err, "open memory.events");
			goto fail;
		}
	} else {
		cleanup_fd int ctl = openat(w->cgfd, "memory.oom_control", O_RDONLY | O_CLOEXEC);
		if (ctl < 0) {
			husk_err_sys(err, "open memory.oom_control");
			goto fail;
		}
		w->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (w->fd < 0) {
			husk_err_sys(err, "eventfd");
			goto fail;
		}
		if (cg_writef(w->cgfd, "cgroup.event_control", err, "%d %d", w->fd, ctl) < 0)
			goto fail;
	}
	*out = w;
	return 0;
fail:
	cgroup_oom_watch_free(w);
	return husk_err_wrap(err, "cgroup %s: watch for OOM", cm->path);
}

int cgroup_oom_watch_fd(const struct cgroup_oom_watch *w, short *events)
{
	*events = w->v2 ? POLLPRI : POLLIN;
	return w->fd;
}

/* The cgroup is gone once its directory no longer resolves. */
static bool cgroup_gone(int cgfd)
{
	cleanup_fd int fd = openat(cgfd, "cgroup.procs", O_RDONLY | O_CLOEXEC);
	return fd < 0 && (errno == ENOENT || errno == ENODEV);
}

int cgroup_oom_watch_check(struct cgroup_oom_watch *w, uint64_t *new_ooms, struct husk_err **err)
{
	*new_ooms = 0;
	if (w->v2) {
		uint64_t now;
		if (read_oom_kill(w->fd, &now, err) < 0 || cgroup_gone(w->cgfd))
			return husk_err_set(err, ENOENT, "the container's cgroup is gone");
		*new_ooms = now > w->last ? now - w->last : 0;
		w->last = now;
		return 0;
	}
	uint64_t n = 0;
	if (read(w->fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return husk_err_sys(err, "read OOM eventfd");
	if (cgroup_gone(w->cgfd))
		return husk_err_set(err, ENOENT, "the container's cgroup is gone");
	*new_ooms = n;
	return 0;
}

void cgroup_oom_watch_free(struct cgroup_oom_watch *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	if (w->cgfd >= 0)
		close(w->cgfd);
	free(w);
}
