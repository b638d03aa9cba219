/* The cgroup manager: one container's cgroup in every hierarchy of the host.
 *
 * create makes the directories (and nothing else), enter moves a pid in,
 * apply writes resources through the v1/v2 drivers, destroy kills, thaws and
 * removes.  Hierarchy dir fds are kept open for the manager's life so each
 * knob costs one openat relative to them. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroups/internal.h"
#include "common/cleanup.h"
#include "common/util.h"

static struct cgroup_manager *manager_new(enum cgroup_mode mode, const char *root, const char *path)
{
	struct cgroup_manager *cm = xcalloc(1, sizeof(*cm));
	cm->mode = mode;
	cm->root = xstrdup(root);
	cm->path = xstrdup(path);
	cm->bpf_prog_fd = -1;
	return cm;
}

void cgroup_manager_free(struct cgroup_manager *cm)
{
	if (!cm)
		return;
	for (size_t i = 0; i < cm->n; i++) {
		if (cm->h[i].fd >= 0)
			close(cm->h[i].fd);
		free(cm->h[i].dir);
	}
	if (cm->bpf_prog_fd >= 0)
		close(cm->bpf_prog_fd);
	free(cm->root);
	free(cm->path);
	free(cm);
}

/* "memory" + "/husk/id" -> "memory/husk/id" (relative to the root dir). */
static char *hier_path(const struct cg_hier *h, const char *path)
{
	return *h->dir ? xasprintf("%s%s", h->dir, path) : xstrdup(path + 1);
}

int cg_fd(struct cgroup_manager *cm, size_t i, struct husk_err **err)
{
	struct cg_hier *h = &cm->h[i];
	if (h->fd >= 0)
		return h->fd;
	cleanup_free char *p = hier_path(h, cm->path);
	cleanup_free char *full = xasprintf("%s/%s", cm->root, p);
	h->fd = open(full, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (h->fd < 0)
		return husk_err_sys(err, "open cgroup %s", full);
	return h->fd;
}

/* mkdir one level; *made tells whether it is new.  v1 cpuset levels are left
 * as the kernel makes them (empty cpus/mems unless the parent has
 * clone_children): reading the parent's cpuset costs milliseconds at times, so
 * they are filled only when a join fails with ENOSPC (fill_cpuset_chain). */
static int mkdir_level(int rootfd, const char *p, bool *made, struct husk_err **err)
{
	*made = mkdirat(rootfd, p, 0755) == 0;
	if (!*made && errno != EEXIST)
		return husk_err_sys(err, "mkdir %s", p);
	return 0;
}

/* Make every missing level of hp (relative to rootfd).  Fast path: only the
 * leaf is missing, which is one mkdir. */
static int make_dirs(int rootfd, const char *hp, bool *leaf_made, unsigned *parents_made,
		     struct husk_err **err)
{
	*parents_made = 0;
	if (mkdir_level(rootfd, hp, leaf_made, err) == 0)
		return 0;
	if (!*err || (*err)->errnum != ENOENT)
		return -1;
	husk_err_free(err);
	cleanup_free char *p = xstrdup(hp);
	for (char *s = strchr(p, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		bool made;
		int r = mkdir_level(rootfd, p, &made, err);
		*s = '/';
		if (r < 0)
			return -1;
		*parents_made += made;
	}
	return mkdir_level(rootfd, hp, leaf_made, err);
}

/* An existing leaf may be reused only while empty (runc refuses a busy one). */
static int check_reusable(int fd, const char *hp, struct husk_err **err)
{
	cleanup_free char *procs = NULL;
	if (cg_read(fd, "cgroup.procs", &procs, err) < 0)
		return -1;
	if (*procs)
		return husk_err_set(err, EBUSY, "cgroup %s already holds processes", hp);
	return 0;
}

/* Remove what this manager made, the leaf and the levels above it that did
 * not exist (the failure path of create). */
static void undo_create(struct cgroup_manager *cm, int rootfd)
{
	for (size_t i = 0; i < cm->n; i++) {
		if (!cm->h[i].created)
			continue;
		cleanup_free char *hp = hier_path(&cm->h[i], cm->path);
		if (unlinkat(rootfd, hp, AT_REMOVEDIR) < 0)
			continue;
		cm->h[i].created = false;
		for (unsigned up = cm->h[i].parents_created; up > 0; up--) {
			char *slash = strrchr(hp, '/');
			if (!slash)
				break;
			*slash = '\0';
			if (unlinkat(rootfd, hp, AT_REMOVEDIR) < 0)
				break;
		}
		cm->h[i].parents_created = 0;
	}
}

static int v2_enable_all(struct cgroup_manager *cm, int rootfd, struct husk_err **err)
{
	/* Pure v2: the container gets every controller its parent offers, as runc
	 * does, so stats and later updates work.  Hybrid's unified mount carries
	 * hugetlb at most; it is enabled when a limit asks for it. */
	cleanup_free char *avail = NULL;
	if (cg_read(rootfd, "cgroup.controllers", &avail, err) < 0)
		return -1;
	if (!*avail)
		return 0;
	return cg2_enable_controllers(rootfd, cm->path, avail, err);
}

static bool frozen_anywhere(struct cgroup_manager *cm);

static int create_dirs(struct cgroup_manager *cm, struct husk_err **err)
{
	cleanup_fd int rootfd = open(cm->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return husk_err_sys(err, "open %s", cm->root);
	for (size_t i = 0; i < cm->n; i++) {
		struct cg_hier *h = &cm->h[i];
		cleanup_free char *hp = hier_path(h, cm->path);
		if (make_dirs(rootfd, hp, &h->created, &h->parents_created, err) < 0)
			goto fail;
		h->fd = openat(rootfd, hp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (h->fd < 0) {
			husk_err_sys(err, "open %s", hp);
			goto fail;
		}
		if (!h->created && check_reusable(h->fd, hp, err) < 0)
			goto fail;
	}
	if (cm->mode == CGROUP_MODE_UNIFIED && v2_enable_all(cm, rootfd, err) < 0)
		goto fail;
	/* A frozen cgroup (or one below a frozen parent) would freeze the init,
	 * and husk with it, as soon as they join: refuse, as runc does. */
	if (frozen_anywhere(cm)) {
		husk_err_set(err, EBUSY, "container's cgroup unexpectedly frozen");
		goto fail;
	}
	return 0;
fail:
	undo_create(cm, rootfd);
	return husk_err_wrap(err, "cgroup %s", cm->path);
}

int cgroup_manager_create_at(enum cgroup_mode mode, const char *root, const char *path,
			     struct cgroup_manager **out, struct husk_err **err)
{
	struct cgroup_manager *cm = manager_new(mode, root, path);
	if (cg_discover(root, mode, cm, err) < 0 || create_dirs(cm, err) < 0) {
		cgroup_manager_free(cm);
		return -1;
	}
	*out = cm;
	return 0;
}

int cgroup_manager_prepare(const char *id, const char *cgroups_path, bool systemd,
			   struct cgroup_manager **out, struct husk_err **err)
{
	enum cgroup_mode mode;
	if (cgroup_detect_mode(&mode, err) < 0)
		return -1;
	cleanup_free char *path = NULL;
	if (cg_resolve_path(id, cgroups_path, systemd, &path, err) < 0)
		return -1;
	struct cgroup_manager *cm = manager_new(mode, CGROUP_DEFAULT_ROOT, path);
	if (cg_discover(CGROUP_DEFAULT_ROOT, mode, cm, err) < 0) {
		cgroup_manager_free(cm);
		return -1;
	}
	*out = cm;
	return 0;
}

int cgroup_manager_make_dirs(struct cgroup_manager *cm, struct husk_err **err)
{
	return create_dirs(cm, err);
}

int cgroup_manager_create(const char *id, const char *cgroups_path, bool systemd,
			  struct cgroup_manager **out, struct husk_err **err)
{
	struct cgroup_manager *cm = NULL;
	if (cgroup_manager_prepare(id, cgroups_path, systemd, &cm, err) < 0)
		return -1;
	if (cgroup_manager_make_dirs(cm, err) < 0) {
		cgroup_manager_free(cm);
		return -1;
	}
	*out = cm;
	return 0;
}

/* Give every level of the cpuset path that lacks them the parent's cpus and
 * mems, top down.  husk's own default parent also gets clone_children, so
 * later containers below it start filled. */
static int fill_cpuset_chain(struct cgroup_manager *cm, size_t i, struct husk_err **err)
{
	cleanup_fd int rootfd = open(cm->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return husk_err_sys(err, "open %s", cm->root);
	cleanup_free char *hp = hier_path(&cm->h[i], cm->path);
	size_t dl = strlen(cm->h[i].dir);
	for (char *s = strchr(hp, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		cleanup_fd int pfd = openat(rootfd, hp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		*s = '/';
		char *next = strchr(s + 1, '/');
		if (next)
			*next = '\0';
		cleanup_fd int cfd = openat(rootfd, hp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		bool ours = strcmp(hp + dl, CGROUP_DEFAULT_PARENT) == 0;
		if (next)
			*next = '/';
		if (pfd < 0 || cfd < 0)
			return husk_err_sys(err, "open cpuset %s", hp);
		if (cg1_cpuset_init(pfd, cfd, err) < 0)
			return -1;
		if (ours) {
			cleanup_err struct husk_err *ignored = NULL;
			cg_write(cfd, "cgroup.clone_children", "1", &ignored);
		}
	}
	return 0;
}

/* Write pid ("0": the caller) into hierarchy i's file (cgroup.procs or v1's
 * tasks), filling an empty cpuset chain once if the kernel says ENOSPC. */
static int join(struct cgroup_manager *cm, size_t i, const char *file, const char *pid,
		struct husk_err **err)
{
	int fd = cg_fd(cm, i, err);
	if (fd < 0)
		return -1;
	if (cg_write(fd, file, pid, err) == 0)
		return 0;
	struct cg_hier *h = &cm->h[i];
	if ((*err)->errnum != ENOSPC || h->v2 || !(h->ctrls & CG_BIT(CG_CPUSET)))
		return -1;
	husk_err_free(err);
	if (fill_cpuset_chain(cm, i, err) < 0)
		return -1;
	return cg_write(fd, file, pid, err);
}

static int enter_one(struct cgroup_manager *cm, size_t i, const char *pid, struct husk_err **err)
{
	return join(cm, i, "cgroup.procs", pid, err);
}

int cgroup_enter(struct cgroup_manager *cm, pid_t pid, struct husk_err **err)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%d", (int)pid);
	for (size_t i = 0; i < cm->n; i++) {
		if (enter_one(cm, i, buf, err) < 0)
			return husk_err_wrap(err, "cgroup %s: move pid %d into %s", cm->path,
					     (int)pid, *cm->h[i].dir ? cm->h[i].dir : "cgroup2");
	}
	return 0;
}

int cgroup_clone_fd(struct cgroup_manager *cm)
{
	int i = cg_find_v2(cm);
	cleanup_err struct husk_err *err = NULL;
	return i < 0 ? -1 : cg_fd(cm, (size_t)i, &err);
}

int cgroup_enter_self(struct cgroup_manager *cm, bool cloned_into_v2, struct husk_err **err)
{
	for (size_t i = 0; i < cm->n; i++) {
		struct cg_hier *h = &cm->h[i];
		if (h->v2 && cloned_into_v2)
			continue;
		/* "0" is the writer itself; v1's tasks file moves just this thread and
		 * so takes no global lock.  v2 has no such path (threads of a domain
		 * cgroup cannot move alone). */
		if (join(cm, i, h->v2 ? "cgroup.procs" : "tasks", "0", err) < 0)
			return husk_err_wrap(err, "cgroup %s: join %s", cm->path,
					     *h->dir ? h->dir : "cgroup2");
	}
	return 0;
}

/* ---- freezing ------------------------------------------------------------ */

/* On hybrid hosts the v1 freezer is the one runc uses (and the one tools read
 * freezer.state from); the unified freezer is used where v1 has none. */
static int freezer_hier(const struct cgroup_manager *cm, bool *v2)
{
	int i = cg_find(cm, CG_FREEZER);
	*v2 = false;
	if (i < 0) {
		i = cg_find_v2(cm);
		*v2 = true;
	}
	return i;
}

int cgroup_freeze(struct cgroup_manager *cm, bool frozen, struct husk_err **err)
{
	bool v2;
	int i = freezer_hier(cm, &v2);
	if (i < 0)
		return husk_err_set(err, ENOTSUP, "cgroup %s: no freezer available", cm->path);
	int fd = cg_fd(cm, i, err);
	if (fd < 0)
		return -1;
	int r = v2 ? cg2_freeze(fd, frozen, err) : cg1_freeze(fd, frozen, err);
	return r < 0 ? husk_err_wrap(err, "cgroup %s: %s", cm->path, frozen ? "freeze" : "thaw")
		     : 0;
}

bool cgroup_is_frozen(struct cgroup_manager *cm)
{
	bool v2;
	int i = freezer_hier(cm, &v2);
	if (i < 0)
		return false;
	cleanup_err struct husk_err *err = NULL;
	int fd = cg_fd(cm, i, &err);
	if (fd < 0)
		return false;
	cleanup_free char *s = NULL;
	if (cg_read(fd, v2 ? "cgroup.freeze" : "freezer.state", &s, &err) < 0)
		return false;
	return v2 ? strcmp(s, "1") == 0 : strcmp(s, "FROZEN") == 0;
}

/* Frozen in the freezer husk uses, or in any cgroup2 hierarchy: a child of a
 * frozen v2 parent says so only in cgroup.events. */
static bool frozen_anywhere(struct cgroup_manager *cm)
{
	if (cgroup_is_frozen(cm))
		return true;
	for (size_t i = 0; i < cm->n; i++) {
		if (!cm->h[i].v2)
			continue;
		cleanup_err struct husk_err *err = NULL;
		cleanup_free char *events = NULL;
		int fd = cg_fd(cm, i, &err);
		if (fd >= 0 && cg_read(fd, "cgroup.events", &events, &err) == 0 &&
		    (strstr(events, "\nfrozen 1") || !strncmp(events, "frozen 1", 8)))
			return true;
	}
	return false;
}

/* ---- processes ----------------------------------------------------------- */

/* The hierarchy to list processes from: the unified one holds every process on
 * hybrid and v2 hosts; on v1 any hierarchy does, pids/freezer preferred. */
static int procs_hier(const struct cgroup_manager *cm)
{
	int i = cg_find_v2(cm);
	if (i < 0)
		i = cg_find(cm, CG_PIDS);
	if (i < 0)
		i = cg_find(cm, CG_FREEZER);
	if (i < 0 && cm->n > 0)
		i = 0;
	return i;
}

int cgroup_pids(struct cgroup_manager *cm, pid_t **pids, size_t *n, struct husk_err **err)
{
	*pids = NULL;
	*n = 0;
	int i = procs_hier(cm);
	if (i < 0)
		return 0;
	int fd = cg_fd(cm, i, err);
	if (fd < 0)
		return -1;
	size_t cap = 0;
	if (cg_collect_pids(fd, pids, n, &cap, err) < 0) {
		free(*pids);
		*pids = NULL;
		*n = 0;
		return husk_err_wrap(err, "cgroup %s: list processes", cm->path);
	}
	return 0;
}

static int signal_pids(struct cgroup_manager *cm, int sig, struct husk_err **err)
{
	cleanup_free pid_t *pids = NULL;
	size_t n = 0;
	if (cgroup_pids(cm, &pids, &n, err) < 0)
		return -1;
	for (size_t k = 0; k < n; k++) {
		if (kill(pids[k], sig) < 0 && errno != ESRCH)
			return husk_err_sys(err, "kill %d", (int)pids[k]);
	}
	return 0;
}

int cgroup_kill_all(struct cgroup_manager *cm, int sig, struct husk_err **err)
{
	int v2 = cg_find_v2(cm);
	bool was_frozen = cgroup_is_frozen(cm);
	if (sig == SIGKILL && v2 >= 0) {
		/* cgroup.kill is atomic against forks and reaches frozen tasks. */
		int fd = cg_fd(cm, v2, err);
		if (fd < 0)
			return -1;
		if (cg_write(fd, "cgroup.kill", "1", err) == 0)
			goto thaw;
		if ((*err)->errnum != ENOENT)
			return husk_err_wrap(err, "cgroup %s", cm->path);
		husk_err_free(err); /* kernel < 5.14: signal one by one */
	}
	/* A frozen cgroup cannot fork, so the pid list is complete; freeze it
	 * for the duration when it is not (runc does the same). */
	bool froze = false;
	if (!was_frozen && cg_find(cm, CG_FREEZER) >= 0) {
		if (cgroup_freeze(cm, true, err) < 0)
			husk_err_free(err); /* best effort: signal anyway */
		else
			froze = true;
	}
	int r = signal_pids(cm, sig, err);
	if (froze) {
		struct husk_err *e2 = NULL;
		if (cgroup_freeze(cm, false, &e2) < 0 && r == 0) {
			*err = e2;
			r = -1;
		} else {
			husk_err_free(&e2);
		}
	}
	if (r < 0)
		return husk_err_wrap(err, "cgroup %s: signal %d", cm->path, sig);
thaw:
	/* A task stopped by the v1 freezer only dies once thawed. */
	if (sig == SIGKILL && was_frozen && cgroup_freeze(cm, false, err) < 0)
		return -1;
	return 0;
}

/* ---- destroy ------------------------------------------------------------- */

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

int cgroup_destroy(struct cgroup_manager *cm, struct husk_err **err)
{
	if (!cm)
		return 0;
	cleanup_fd int rootfd = open(cm->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return husk_err_sys(err, "open %s", cm->root);
	/* The common case: the container already exited, every rmdir succeeds. */
	bool busy = false;
	for (size_t i = 0; i < cm->n; i++) {
		cleanup_free char *hp = hier_path(&cm->h[i], cm->path);
		if (cm->h[i].fd >= 0) {
			close(cm->h[i].fd);
			cm->h[i].fd = -1;
		}
		if (unlinkat(rootfd, hp, AT_REMOVEDIR) < 0 && errno != ENOENT)
			busy = true;
	}
	if (!busy)
		return 0;
	cleanup_err struct husk_err *kerr = NULL;
	cgroup_kill_all(cm, SIGKILL, &kerr); /* the rmdir below reports what matters */
	for (size_t i = 0; i < cm->n; i++) {
		if (cm->h[i].fd >= 0) {
			close(cm->h[i].fd);
			cm->h[i].fd = -1;
		}
	}
	/* Dying tasks leave their cgroups asynchronously: retry for up to ~5 s. */
	long waited = 0;
	for (long delay = 1;; delay = delay < 100 ? delay * 2 : 100) {
		struct husk_err *e = NULL;
		bool left = false;
		for (size_t i = 0; i < cm->n; i++) {
			cleanup_free char *hp = hier_path(&cm->h[i], cm->path);
			if (cg_rmdir_tree(rootfd, hp, &e) < 0) {
				left = true;
				if (e->errnum != EBUSY || waited >= 5000) {
					husk_err_wrap(&e, "cgroup %s", cm->path);
					*err = e;
					return -1;
				}
				husk_err_free(&e);
			}
		}
		if (!left)
			return 0;
		sleep_ms(delay);
		waited += delay;
	}
}

/* ---- persistence --------------------------------------------------------- */

struct sbuf {
	char *buf;
	size_t len, cap;
};

static void sb_putc(struct sbuf *b, char c)
{
	if (b->len + 2 >= b->cap) {
		b->cap = b->cap * 2 + 64;
		b->buf = xrealloc(b->buf, b->cap);
	}
	b->buf[b->len++] = c;
	b->buf[b->len] = '\0';
}

/* Bytes that would break the space/colon separated format become %XX. */
static void sb_put_escaped(struct sbuf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c <= ' ' || c == '%' || c == ':' || c == 0x7f) {
			sb_putc(b, '%');
			sb_putc(b, hex[c >> 4]);
			sb_putc(b, hex[c & 15]);
		} else {
			sb_putc(b, (char)c);
		}
	}
}

static const char *mode_name(enum cgroup_mode m)
{
	return m == CGROUP_MODE_UNIFIED ? "unified" : m == CGROUP_MODE_HYBRID ? "hybrid" : "legacy";
}

/* "husk-cgroup/1 MODE ROOT PATH dir:dir:@unified" (v2 hierarchies marked '@'). */
char *cgroup_manager_serialize(const struct cgroup_manager *cm)
{
	struct sbuf b = {0};
	sb_putc(&b, 'h');
	b.len = 0;
	sb_put_escaped(&b, "husk-cgroup/1");
	sb_putc(&b, ' ');
	sb_put_escaped(&b, mode_name(cm->mode));
	sb_putc(&b, ' ');
	sb_put_escaped(&b, cm->root);
	sb_putc(&b, ' ');
	sb_put_escaped(&b, cm->path);
	sb_putc(&b, ' ');
	for (size_t i = 0; i < cm->n; i++) {
		if (i)
			sb_putc(&b, ':');
		if (cm->h[i].v2)
			sb_putc(&b, '@');
		sb_put_escaped(&b, cm->h[i].dir);
	}
	return b.buf;
}

static int unescape(char *s)
{
	char *w = s;
	for (char *r = s; *r; r++) {
		if (*r == '%') {
			unsigned v;
			if (!r[1] || !r[2] || sscanf(r + 1, "%2x", &v) != 1)
				return -1;
			*w++ = (char)v;
			r += 2;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
	return 0;
}

int cgroup_manager_load(const char *serialized, struct cgroup_manager **out, struct husk_err **err)
{
	cleanup_free char *s = xstrdup(serialized ? serialized : "");
	char *save = NULL;
	char *magic = strtok_r(s, " ", &save);
	char *mode = strtok_r(NULL, " ", &save);
	char *root = strtok_r(NULL, " ", &save);
	char *path = strtok_r(NULL, " ", &save);
	char *hiers = strtok_r(NULL, " ", &save);
	/* The state file is trusted only as far as it names paths below root. */
	cleanup_free char *clean = NULL;
	if (magic && mode && root && path && hiers && unescape(root) == 0 && unescape(path) == 0)
		clean = cg_clean_path(path);
	if (!clean || strcmp(magic, "husk-cgroup/1") != 0 || root[0] != '/' ||
	    strcmp(clean, path) != 0 || strcmp(path, "/") == 0)
		return husk_err_set(err, EINVAL, "unrecognized cgroup state \"%s\"",
				    serialized ? serialized : "");
	enum cgroup_mode m;
	if (strcmp(mode, "unified") == 0)
		m = CGROUP_MODE_UNIFIED;
	else if (strcmp(mode, "hybrid") == 0)
		m = CGROUP_MODE_HYBRID;
	else if (strcmp(mode, "legacy") == 0)
		m = CGROUP_MODE_LEGACY;
	else
		return husk_err_set(err, EINVAL, "unrecognized cgroup mode \"%s\"", mode);
	struct cgroup_manager *cm = manager_new(m, root, path);
	for (char *h, *hs = hiers; (h = strsep(&hs, ":"));) {
		bool v2 = h[0] == '@';
		char *name = v2 ? h + 1 : h;
		if (unescape(name) < 0 || cm->n == CGROUP_MAX_HIER || strchr(name, '/') ||
		    strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
			cgroup_manager_free(cm);
			return husk_err_set(err, EINVAL, "unrecognized cgroup state \"%s\"",
					    serialized);
		}
		struct cg_hier *hh = &cm->h[cm->n++];
		hh->fd = -1;
		hh->v2 = v2;
		hh->dir = xstrdup(name);
		hh->ctrls = hh->v2 ? 0 : cg_ctrls_from_dirname(hh->dir);
	}
	*out = cm;
	return 0;
}
