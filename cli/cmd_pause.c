/* husk pause <id>: freeze every process of the container (runc's pause). */
#include "cli/cgroup_cmd.h"
#include "cli/cmd_util.h"

static int cmd_pause_run(struct husk_globals *g, int argc, char **argv)
{
	struct cli_args a;
	int rc;
	const struct cli_flag flags[] = {{0}};
	if (!cli_cmd_parse("pause", "<container-id>", flags, argc, argv, 1, 1, &a, &rc))
		return rc;
	struct husk_err *err = NULL;
	struct cgroup_cmd c;
	rc = 0;
	if (cgroup_cmd_open(g, a.pos[0], true, &c, &err) < 0) {
		rc = cli_fail_free(&err);
	} else {
		/* runc pauses running and created containers; anything else is "not running". */
		if (c.status != OCI_STATUS_RUNNING && c.status != OCI_STATUS_CREATED)
			container_err(&err, EINVAL, "container not running");
		else
			cgroup_freeze(c.cm, true, &err);
		if (err)
			rc = cli_fail_free(&err);
		cgroup_cmd_close(&c);
	}
	cli_args_free(&a);
	return rc;
}

HUSK_COMMAND(cmd_pause, {.name = "pause",
			 .summary = "suspend all processes of a container",
			 .run = cmd_pause_run});
