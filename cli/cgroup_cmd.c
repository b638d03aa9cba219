#include "cli/cgroup_cmd.h"

#include "cli/cmd_util.h"

int cgroup_cmd_set_frozen(struct husk_globals *g, const char *name, bool freeze, int argc,
			  char **argv)
{
	struct cli_args a;
	int rc;
	const struct cli_flag flags[] = {{0}};
	if (!cli_cmd_parse(name, "<container-id>", flags, argc, argv, 1, 1, &a, &rc))
		return rc;
	struct husk_err *err = NULL;
	rc = 0;
	if (container_set_paused(g->root, a.pos[0], freeze, &err) < 0)
		rc = cli_fail_free(&err);
	cli_args_free(&a);
	return rc;
}
