/* `husk features`: the features document (runtime/features.c), printed. */
#include <stdio.h>

#include "cli/cmd_util.h"
#include "common/cleanup.h"
#include "runtime/container.h"

static int cmd_features_run(struct husk_globals *g, int argc, char **argv)
{
	const struct cli_flag flags[] = {{0}};
	struct cli_args a;
	int rc;
	if (!cli_cmd_parse("features", "", flags, argc, argv, 0, 0, &a, &rc))
		return rc;
	cli_args_free(&a);
	struct husk_err *err = NULL;
	cleanup_free char *json = NULL;
	size_t len = 0;
	if (container_features_json(&json, &len, &err) < 0)
		return cli_fail_free(&err);
	if (fwrite(json, 1, len, stdout) != len || fflush(stdout) != 0) {
		husk_err_sys(&err, "features: writing to stdout");
		return cli_fail_free(&err);
	}
	return 0;
}

HUSK_COMMAND(cmd_features,
	     {.name = "features", .summary = "show the enabled features", .run = cmd_features_run});
