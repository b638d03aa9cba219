/* state.json: husk's own record of a container, written and read back. */
#include "runtime/state.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "oci/json_gen.h"

#define STATE_FILE "state.json"

static bool gen_state(yajl_gen g, const struct container_state *st)
{
	/* A string: start times can exceed what a JSON double keeps exactly. */
	char start[32];
	snprintf(start, sizeof(start), "%llu", st->pid_start_time);
	bool ok =
	    jg_open_map(g) && jg_kstr_or_null(g, "id", st->id) &&
	    jg_kstr_or_null(g, "bundle", st->bundle) && jg_kstr_or_null(g, "rootfs", st->rootfs) &&
	    jg_kint(g, "pid", st->pid) && jg_kstr(g, "pid_start_time", start) &&
	    jg_kstr_or_null(g, "created", st->created) && jg_kstr_or_null(g, "owner", st->owner) &&
	    jg_kstr_or_null(g, "cgroup", st->cgroup) &&
	    jg_kstr_or_null(g, "config_path", st->config_path) &&
	    jg_kbool(g, "userns", st->userns) &&
	    jg_kbool(g, "poststart_hooks", st->poststart_hooks) &&
	    jg_kbool(g, "poststop_hooks", st->poststop_hooks) && jg_key(g, "annotations") &&
	    jg_open_map(g);
	for (size_t i = 0; ok && i < st->annotations.n; i++)
		ok = jg_kstr_or_null(g, st->annotations.v[i].key, st->annotations.v[i].value);
	return ok && jg_close_map(g) && jg_close_map(g);
}

int container_state_save(const char *root, const struct container_state *st, struct husk_err **err)
{
	yajl_gen g = jg_new(false);
	cleanup_free char *json = NULL;
	size_t len = 0;
	if (jg_finish(g, gen_state(g, st), &json, &len, err) < 0)
		return husk_err_wrap(err, "save state of %s", st->id);
	cleanup_free char *dir = container_dir(root, st->id);
	cleanup_fd int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r;
	if (dfd < 0)
		r = husk_err_sys(err, "open %s", dir);
	else
		r = write_file_atomic_at(dfd, STATE_FILE, json, len, 0600, err);
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
