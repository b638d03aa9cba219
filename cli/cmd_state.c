#include <stdio.h>
#include <stdlib.h>

#include "cli/cmd_util.h"
#include "common/cleanup.h"
#include "runtime/container.h"

static int cmd_state_run(struct husk_globals *g, int argc, char **argv)
{
	struct cli_args a;
	int rc;
	const struct cli_flag flags[] = {{0}};
	if (!cli_cmd_parse("state", "<container-id>", flags, argc, argv, 1, 1, &a, &rc))
		return rc;
	struct husk_err *err = NULL;
	struct container_state *st = NULL;
	cleanup_fd int lock = -1;
	rc = 0;
	if (container_lock(g->root, a.pos[0], false, &lock, &err) < 0 ||
	    container_state_load(g->root, a.pos[0], &st, &err) < 0) {
		rc = cli_fail_free(&err);
	} else {
		enum oci_status s = container_status(g->root, st);
		char *json = container_state_json(st, s, st->pid, true);
		if (json)
			puts(json);
		else
			rc = 1; /* the warning said why */
		free(json);
	}
	container_state_free(st);
	cli_args_free(&a);
	return rc;
}

HUSK_COMMAND(cmd_state, {.name = "state",
			 .summary = "print a container's state as JSON",
			 .run = cmd_state_run});
