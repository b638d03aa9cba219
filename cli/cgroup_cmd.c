#include "cli/cgroup_cmd.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmd_util.h"

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
		husk_err_plain(err, ENOENT, "container %s has no cgroup", id);
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

int cgroup_cmd_set_frozen(struct husk_globals *g, const char *name, bool freeze, int argc,
			  char **argv)
{
	struct cli_args a;
	int rc;
	const struct cli_flag flags[] = {{0}};
	if (!cli_cmd_parse(name, "<container-id>", flags, argc, argv, 1, 1, &a, &rc))
		return rc;
	struct husk_err *err = NULL;
	struct cgroup_cmd c;
	rc = 0;
	if (cgroup_cmd_open(g, a.pos[0], true, &c, &err) < 0) {
		rc = cli_fail_free(&err);
	} else {
		/* runc pauses running and created containers ("container not running"
		 * otherwise) and resumes only paused ones. */
		bool ok = freeze ? c.status == OCI_STATUS_RUNNING || c.status == OCI_STATUS_CREATED
				 : c.status == OCI_STATUS_PAUSED;
		if (!ok)
			husk_err_plain(&err, EINVAL,
				       freeze ? "container not running" : "container not paused");
		else
			cgroup_freeze(c.cm, freeze, &err);
		if (err)
			rc = cli_fail_free(&err);
		cgroup_cmd_close(&c);
	}
	cli_args_free(&a);
	return rc;
}
