/* The read-only commands: `state` and `list`. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "runtime/container.h"
#include "runtime/container_open.h"

int container_state_report(const char *root, const char *id, char **json, struct husk_err **err)
{
	cleanup_fd int lock = -1;
	struct container_state *st = NULL;
	*json = NULL;
	if (container_lock(root, id, false, &lock, err) < 0 ||
	    container_state_load(root, id, &st, err) < 0)
		return -1;
	*json = container_state_json(st, container_status(root, st), st->pid, true);
	container_state_free(st);
	/* NULL: a field that is not valid UTF-8, and a warning said which. */
	return *json ? 0
		     : container_err(err, EILSEQ, "container %s: a state field is not valid UTF-8",
				     id);
}

static int by_id(const void *a, const void *b)
{
	return strcmp(((const struct container_entry *)a)->st->id,
		      ((const struct container_entry *)b)->st->id);
}

size_t container_list(const char *root, struct container_entry **out)
{
	size_t n = 0, cap = 0;
	*out = NULL;
	cleanup_dir DIR *d = opendir(root);
	if (!d)
		return 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		struct container_state *st = NULL;
		struct husk_err *err = NULL;
		if (container_state_load(root, de->d_name, &st, &err) < 0) {
			husk_err_free(&err); /* half-created or foreign: not a container yet */
			continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			*out = xrealloc(*out, cap * sizeof(**out));
		}
		enum oci_status s = container_status(root, st);
		(*out)[n++] = (struct container_entry){
		    .st = st, .status = s, .pid = s == OCI_STATUS_STOPPED ? 0 : st->pid};
	}
	if (n)
		qsort(*out, n, sizeof(**out), by_id);
	return n;
}

void container_list_free(struct container_entry *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		container_state_free(v[i].st);
	free(v);
}
