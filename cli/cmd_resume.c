/* husk resume <id>: thaw a paused container (runc's resume). */
#include "cli/cgroup_cmd.h"

static int cmd_resume_run(struct husk_globals *g, int argc, char **argv)
{
	return cgroup_cmd_set_frozen(g, "resume", false, argc, argv);
}

HUSK_COMMAND(cmd_resume, {.name = "resume",
			  .summary = "resume all processes of a paused container",
			  .run = cmd_resume_run});
