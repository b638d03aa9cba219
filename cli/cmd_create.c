#include "cli/cmd_util.h"
#include "runtime/container.h"

static int cmd_create_run(struct husk_globals *g, int argc, char **argv)
{
	struct container_create_opts o;
	struct cli_args a;
	int rc;
	if (!cli_create_parse(g, "create", CREATE_WAIT_FIFO, NULL, argc, argv, &o, &a, &rc))
		return rc;
	struct husk_err *err = NULL;
	rc = container_create(&o, NULL, &err) < 0 ? cli_fail_free(&err) : 0;
	cli_args_free(&a);
	return rc;
}

HUSK_COMMAND(cmd_create,
	     {.name = "create", .summary = "create a container", .run = cmd_create_run});
