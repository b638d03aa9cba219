#include "cli/cgroup_cmd.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

int cgroup_cmd_open(const struct husk_globals *g, const char *id, bool exclusive,
		    struct cgroup_cmd *c, struct husk_err **err)
{
	memset(c, 0, sizeof(*c));
	c->lock_fd = -1;
	if (container_lock(g->root, id, exclusive, &c->lock_fd, err) < 0 ||
	    container_state_load(g->root, id, &c->st, err) < 0)
		goto fail;
	c->status = container_status(g->root, c->st);
	if (!c->st->cgroup) {
		container_err(err, ENOENT, "container %s has no cgroup", id);
		goto fail;
	}
	if (cgroup_manager_load(c->st->cgroup, &c->cm, err) < 0)
		goto fail;
	return 0;
fail:
	cgroup_cmd_close(c);
	return -1;
}

void cgroup_cmd_unlock(struct cgroup_cmd *c)
{
	if (c->lock_fd >= 0)
		close(c->lock_fd);
	c->lock_fd = -1;
}

void cgroup_cmd_close(struct cgroup_cmd *c)
{
	cgroup_cmd_unlock(c);
	cgroup_manager_free(c->cm);
	container_state_free(c->st);
	c->cm = NULL;
	c->st = NULL;
}
