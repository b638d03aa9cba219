/* husk resume <id>: thaw a paused container (runc's resume). */
#include "cli/cgroup_cmd.h"
#include "cli/cmd_util.h"

static int cmd_resume_run(struct husk_globals *g, int argc, char **argv)
{
	struct cli_args a;
	int rc;
	const struct cli_flag flags[] = {{0}};
	if (!cli_cmd_parse("resume", "<container-id>", flags, argc, argv, 1, 1, &a, &rc))
		return rc;
	struct husk_err *err = NULL;
	struct cgroup_cmd c;
	rc = 0;
	if (cgroup_cmd_open(g, a.pos[0], true, &c, &err) < 0) {
		rc = cli_fail_free(&err);
	} else {
		if (c.status != OCI_STATUS_PAUSED)
			container_err(&err, EINVAL, "container not paused");
		else
			cgroup_freeze(c.cm, false, &err);
		if (err)
			rc = cli_fail_free(&err);
		cgroup_cmd_close(&c);
	}
	cli_args_free(&a);
	return rc;
}

HUSK_COMMAND(cmd_resume, {.name = "resume",
			  .summary = "resume all processes of a paused container",
			  .run = cmd_resume_run});
