#include <stdio.h>
#include <stdlib.h>

#include "cli/cmd_util.h"
#include "runtime/container_open.h"

static int cmd_state_run(struct husk_globals *g, int argc, char **argv)
{
	struct cli_args a;
	int rc;
	const struct cli_flag flags[] = {{0}};
	if (!cli_cmd_parse("state", "<container-id>", flags, argc, argv, 1, 1, &a, &rc))
		return rc;
	struct husk_err *err = NULL;
	char *json = NULL;
	rc = 0;
	if (container_state_report(g->root, a.pos[0], &json, &err) < 0)
		rc = cli_fail_free(&err);
	else
		puts(json);
	free(json);
	cli_args_free(&a);
	return rc;
}

HUSK_COMMAND(cmd_state, {.name = "state",
			 .summary = "print a container's state as JSON",
			 .run = cmd_state_run});
