/* husk pause <id>: freeze every process of the container (runc's pause). */
#include "cli/cgroup_cmd.h"

static int cmd_pause_run(struct husk_globals *g, int argc, char **argv)
{
	return cgroup_cmd_set_frozen(g, "pause", true, argc, argv);
}

HUSK_COMMAND(cmd_pause, {.name = "pause",
			 .summary = "suspend all processes of a container",
			 .run = cmd_pause_run});
