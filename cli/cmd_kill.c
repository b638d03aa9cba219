#include <signal.h>

#include "cli/cmd_util.h"
#include "runtime/container.h"
#include "runtime/signals.h"

static int cmd_kill_run(struct husk_globals *g, int argc, char **argv)
{
	bool all = false;
	const struct cli_flag flags[] = {
	    {"all|a", CLI_FLAG_BOOL, &all, "signal every process of the container", NULL},
	    {0},
	};
	struct cli_args a;
	int rc;
	if (!cli_cmd_parse("kill", "[--all] <container-id> [signal]", flags, argc, argv, 1, 2, &a,
			   &rc))
		return rc;
	struct husk_err *err = NULL;
	int sig = SIGTERM;
	rc = 0;
	if (a.npos == 2 && signal_parse(a.pos[1], &sig, &err) < 0)
		rc = cli_fail_free(&err);
	else if (container_kill(g->root, a.pos[0], sig, all, &err) < 0)
		rc = cli_fail_free(&err);
	cli_args_free(&a);
	return rc;
}

HUSK_COMMAND(cmd_kill, {.name = "kill",
			.summary = "send a signal to a container's init",
			.run = cmd_kill_run});
