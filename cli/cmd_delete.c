#include "cli/cmd_util.h"
#include "runtime/container.h"

static int cmd_delete_run(struct husk_globals *g, int argc, char **argv)
{
	bool force = false;
	const struct cli_flag flags[] = {
	    {"force|f", CLI_FLAG_BOOL, &force, "kill the container first if it runs", NULL},
	    {0},
	};
	struct cli_args a;
	int rc;
	if (!cli_cmd_parse("delete", "[--force] <container-id>", flags, argc, argv, 1, 1, &a, &rc))
		return rc;
	struct husk_err *err = NULL;
	rc = container_delete(g->root, a.pos[0], force, &err) < 0 ? cli_fail_free(&err) : 0;
	cli_args_free(&a);
	return rc;
}

HUSK_COMMAND(cmd_delete,
	     {.name = "delete", .summary = "delete a container", .run = cmd_delete_run});
