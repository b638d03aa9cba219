#include "runtime/state.h"

#include <ctype.h>
#include <stdarg.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "cgroups/cgroup.h"
#include "common/cleanup.h"
#include "common/util.h"

#define STATE_FILE "state.json"

int container_err(struct husk_err **err, int errnum, const char *fmt, ...)
{
	char *msg;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	va_end(ap);
	bool fresh = err && !*err;
	husk_err_set(err, 0, "%s", msg);
	free(msg);
	if (fresh)
		(*err)->errnum = errnum;
	return errnum ? -errnum : -1;
}

char *container_dir(const char *root, const char *id)
{
	return xasprintf("%s/%s", root, id);
}

int container_id_validate(const char *id, struct husk_err **err)
{
	if (!id || !*id)
		return husk_err_set(err, EINVAL, "container id cannot be empty");
	if (strlen(id) > 1024)
		return husk_err_set(err, EINVAL, "invalid container id: too long");
	if (!isalnum((unsigned char)id[0]))
		return husk_err_set(err, EINVAL, "invalid container id format: %s", id);
	for (const char *p = id; *p; p++) {
		unsigned char c = *p;
		if (!isalnum(c) && c != '_' && c != '.' && c != '+' && c != '-')
			return husk_err_set(err, EINVAL, "invalid container id format: %s", id);
	}
	if (strstr(id, ".."))
		return husk_err_set(err, EINVAL, "invalid container id format: %s", id);
	return 0;
}

int container_lock(const char *root, const char *id, bool exclusive, int *lock_fd,
		   struct husk_err **err)
{
	cleanup_free char *dir = container_dir(root, id);
	cleanup_fd int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return container_err(err, ENOENT, "container %s does not exist", id);
		return husk_err_sys(err, "open %s", dir);
	}
	while (flock(fd, exclusive ? LOCK_EX : LOCK_SH) < 0) {
		if (errno != EINTR)
			return husk_err_sys(err, "lock %s", dir);
	}
	*lock_fd = steal_fd(&fd);
	return 0;
}

/* ---- serialization ---------------------------------------------------------- */

static void gen_str(yajl_gen g, const char *k, const char *v)
{
	yajl_gen_string(g, (const unsigned char *)k, strlen(k));
	if (v)
		yajl_gen_string(g, (const unsigned char *)v, strlen(v));
	else
		yajl_gen_null(g);
}

static void gen_int(yajl_gen g, const char *k, long long v)
{
	yajl_gen_string(g, (const unsigned char *)k, strlen(k));
	yajl_gen_integer(g, v);
}

int container_state_save(const char *root, const struct container_state *st, struct husk_err **err)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	if (!g)
		abort();
	yajl_gen_map_open(g);
	gen_str(g, "id", st->id);
	gen_str(g, "bundle", st->bundle);
	gen_str(g, "rootfs", st->rootfs);
	gen_int(g, "pid", st->pid);
	/* A string: start times can exceed what a JSON double keeps exactly. */
	char start[32];
	snprintf(start, sizeof(start), "%llu", st->pid_start_time);
	gen_str(g, "pid_start_time", start);
	gen_str(g, "created", st->created);
	gen_str(g, "owner", st->owner);
	gen_str(g, "cgroup", st->cgroup);
	gen_str(g, "config_path", st->config_path);
	yajl_gen_string(g, (const unsigned char *)"userns", 6);
	yajl_gen_bool(g, st->userns);
	yajl_gen_string(g, (const unsigned char *)"poststart_hooks", 15);
	yajl_gen_bool(g, st->poststart_hooks);
	yajl_gen_string(g, (const unsigned char *)"poststop_hooks", 14);
	yajl_gen_bool(g, st->poststop_hooks);
	yajl_gen_string(g, (const unsigned char *)"annotations", 11);
	yajl_gen_map_open(g);
	for (size_t i = 0; i < st->annotations.n; i++)
		gen_str(g, st->annotations.v[i].key, st->annotations.v[i].value);
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
	const unsigned char *buf;
	size_t len;
	yajl_gen_get_buf(g, &buf, &len);
	cleanup_free char *dir = container_dir(root, st->id);
	cleanup_fd int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r;
	if (dfd < 0)
		r = husk_err_sys(err, "open %s", dir);
	else
		r = write_file_atomic_at(dfd, STATE_FILE, buf, len, 0600, err);
	yajl_gen_free(g);
	if (r < 0)
		return husk_err_wrap(err, "save state of %s", st->id);
	return 0;
}

static char *get_str(yajl_val root, const char *key)
{
	const char *path[] = {key, NULL};
	yajl_val v = yajl_tree_get(root, path, yajl_t_string);
	return v ? xstrdup(YAJL_GET_STRING(v)) : NULL;
}

void container_state_free(struct container_state *st)
{
	if (!st)
		return;
	free(st->id);
	free(st->bundle);
	free(st->rootfs);
	free(st->created);
	free(st->owner);
	free(st->cgroup);
	free(st->config_path);
	for (size_t i = 0; i < st->annotations.n; i++) {
		free(st->annotations.v[i].key);
		free(st->annotations.v[i].value);
	}
	free(st->annotations.v);
	free(st);
}

int container_state_load(const char *root, const char *id, struct container_state **out,
			 struct husk_err **err)
{
	if (container_id_validate(id, err) < 0)
		return -1;
	cleanup_free char *path = xasprintf("%s/%s/" STATE_FILE, root, id);
	cleanup_free char *text = NULL;
	struct husk_err *rerr = NULL;
	if (read_file_at(AT_FDCWD, path, &text, NULL, &rerr) < 0) {
		int e = rerr->errnum;
		husk_err_free(&rerr);
		if (e == ENOENT)
			return container_err(err, ENOENT, "container %s does not exist", id);
		return husk_err_set(err, e, "read state of container %s", id);
	}
	char ebuf[256];
	yajl_val doc = yajl_tree_parse(text, ebuf, sizeof(ebuf));
	if (!doc || !YAJL_IS_OBJECT(doc)) {
		yajl_tree_free(doc);
		return husk_err_set(err, EINVAL, "%s: corrupt state file", path);
	}
	struct container_state *st = xcalloc(1, sizeof(*st));
	st->id = get_str(doc, "id");
	st->bundle = get_str(doc, "bundle");
	st->rootfs = get_str(doc, "rootfs");
	st->created = get_str(doc, "created");
	st->owner = get_str(doc, "owner");
	st->cgroup = get_str(doc, "cgroup");
	st->config_path = get_str(doc, "config_path");
	const char *pid_path[] = {"pid", NULL};
	yajl_val pv = yajl_tree_get(doc, pid_path, yajl_t_number);
	st->pid = pv && YAJL_IS_INTEGER(pv) ? (pid_t)YAJL_GET_INTEGER(pv) : 0;
	cleanup_free char *start = get_str(doc, "pid_start_time");
	if (!start || parse_u64(start, &st->pid_start_time) < 0)
		st->pid_start_time = 0;
	const char *userns_path[] = {"userns", NULL};
	st->userns = YAJL_IS_TRUE(yajl_tree_get(doc, userns_path, yajl_t_true));
	const char *ps_path[] = {"poststart_hooks", NULL}, *pst_path[] = {"poststop_hooks", NULL};
	st->poststart_hooks = YAJL_IS_TRUE(yajl_tree_get(doc, ps_path, yajl_t_true));
	st->poststop_hooks = YAJL_IS_TRUE(yajl_tree_get(doc, pst_path, yajl_t_true));
	const char *ann_path[] = {"annotations", NULL};
	yajl_val ann = yajl_tree_get(doc, ann_path, yajl_t_object);
	if (ann && YAJL_GET_OBJECT(ann)->len) {
		size_t n = YAJL_GET_OBJECT(ann)->len;
		st->annotations.v = xcalloc(n + 1, sizeof(struct oci_kv));
		for (size_t i = 0; i < n; i++) {
			yajl_val v = YAJL_GET_OBJECT(ann)->values[i];
			if (!YAJL_IS_STRING(v))
				continue;
			struct oci_kv *kv = &st->annotations.v[st->annotations.n++];
			kv->key = xstrdup(YAJL_GET_OBJECT(ann)->keys[i]);
			kv->value = xstrdup(YAJL_GET_STRING(v));
		}
	}
	yajl_tree_free(doc);
	if (!st->id || !st->bundle || strcmp(st->id, id) != 0) {
		container_state_free(st);
		return husk_err_set(err, EINVAL, "%s: corrupt state file", path);
	}
	*out = st;
	return 0;
}

/* ---- kernel view -------------------------------------------------------------- */

unsigned long long proc_start_time(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* comm may hold spaces and parens: fields restart after the last ')'. */
	char *p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return 0;
	p += 2;
	char state = *p;
	if (state == 'Z' || state == 'X')
		return 0;
	/* p points at field 3 (state); field 22 is 19 fields further. */
	for (int field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (!p)
			return 0;
		p++;
	}
	return strtoull(p, NULL, 10);
}

bool container_pid_alive(const struct container_state *st)
{
	if (st->pid <= 0)
		return false;
	unsigned long long t = proc_start_time(st->pid);
	return t != 0 && t == st->pid_start_time;
}

enum oci_status container_status(const char *root, const struct container_state *st)
{
	if (!container_pid_alive(st))
		return OCI_STATUS_STOPPED;
	cleanup_free char *fifo = xasprintf("%s/%s/exec.fifo", root, st->id);
	if (access(fifo, F_OK) == 0)
		return OCI_STATUS_CREATED;
	if (st->cgroup) {
		struct cgroup_manager *cm = NULL;
		struct husk_err *e = NULL;
		if (cgroup_manager_load(st->cgroup, &cm, &e) == 0) {
			bool frozen = cgroup_is_frozen(cm);
			cgroup_manager_free(cm);
			if (frozen)
				return OCI_STATUS_PAUSED;
		}
		husk_err_free(&e);
	}
	return OCI_STATUS_RUNNING;
}

/* A removed state dir is parked (emptied) under this name and taken again by the
 * next create, instead of rmdir + mkdir: on an ext4 without a journal mounted
 * with -o discard (this machine's /), freeing a directory's block issues a
 * synchronous discard that costs 2-10 ms.  No container id starts with '.'. */
#define SPARE_DIR ".spare-state-dir"

/* Unlink every entry of DIR (a state dir holds only plain files). */
static int empty_dir(int dfd, const char *dir, struct husk_err **err)
{
	int dup_fd = fcntl(dfd, F_DUPFD_CLOEXEC, 0);
	if (dup_fd < 0)
		return husk_err_sys(err, "dup");
	cleanup_dir DIR *d = fdopendir(dup_fd);
	if (!d) {
		close(dup_fd);
		return husk_err_sys(err, "read %s", dir);
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (unlinkat(dfd, de->d_name, 0) < 0 && errno != ENOENT)
			return husk_err_sys(err, "remove %s/%s", dir, de->d_name);
	}
	return 0;
}

bool container_dir_take_spare(const char *root, const char *dir)
{
	cleanup_free char *spare = container_dir(root, SPARE_DIR);
	if (renameat2(AT_FDCWD, spare, AT_FDCWD, dir, RENAME_NOREPLACE) < 0)
		return false;
	/* Parked empty under the container's lock; emptied again in case a
	 * crash left something behind. */
	struct husk_err *e = NULL;
	cleanup_fd int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd >= 0 && empty_dir(dfd, dir, &e) == 0)
		return true;
	husk_err_free(&e);
	if (rmdir(dir) < 0)
		(void)rename(dir, spare);
	return false;
}

int container_dir_remove(const char *root, const char *id, struct husk_err **err)
{
	cleanup_free char *dir = container_dir(root, id);
	cleanup_fd int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		if (errno == ENOENT)
			return 0;
		return husk_err_sys(err, "open %s", dir);
	}
	if (empty_dir(dfd, dir, err) < 0)
		return -1;
	cleanup_free char *spare = container_dir(root, SPARE_DIR);
	if (renameat2(AT_FDCWD, dir, AT_FDCWD, spare, RENAME_NOREPLACE) == 0)
		return 0;
	if (rmdir(dir) < 0 && errno != ENOENT)
		return husk_err_sys(err, "remove %s", dir);
	return 0;
}
