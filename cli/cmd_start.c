#include "cli/cmd_util.h"
#include "runtime/container.h"

static int cmd_start_run(struct husk_globals *g, int argc, char **argv)
{
	struct cli_args a;
	int rc;
	const struct cli_flag flags[] = {{0}};
	if (!cli_cmd_parse("start", "<container-id>", flags, argc, argv, 1, 1, &a, &rc))
		return rc;
	struct husk_err *err = NULL;
	rc = container_start(g->root, a.pos[0], &err) < 0 ? cli_fail_free(&err) : 0;
	cli_args_free(&a);
	return rc;
}

HUSK_COMMAND(cmd_start,
	     {.name = "start", .summary = "start a created container", .run = cmd_start_run});
