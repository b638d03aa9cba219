#include "cli/cmd_util.h"
#include "runtime/container.h"

static int cmd_run_run(struct husk_globals *g, int argc, char **argv)
{
	struct container_run_opts o = {0};
	const struct cli_flag extra[] = {
	    {"image", CLI_FLAG_STRING, &o.image,
	     "unpack this image (oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE) "
	     "into a private bundle, removed on delete",
	     "IMAGE"},
	    {"detach|d", CLI_FLAG_BOOL, &o.detach, "return once the container started", NULL},
	    {"keep", CLI_FLAG_BOOL, &o.keep, "do not delete the container after it exits", NULL},
	    {0},
	};
	struct cli_args a;
	int rc;
	if (!cli_create_parse(g, "run", CREATE_RUN, extra, argc, argv, &o.create, &a, &rc))
		return rc;
	if (o.image && o.create.bundle) {
		cli_args_free(&a);
		return cli_usage_error("run", "--image and --bundle exclude each other");
	}
	struct husk_err *err = NULL;
	int status = 0;
	if (container_run(&o, &status, &err) < 0)
		rc = cli_fail_free(&err);
	else
		rc = cli_exit_code(status);
	cli_args_free(&a);
	return rc;
}

HUSK_COMMAND(cmd_run,
	     {.name = "run", .summary = "create and start a container", .run = cmd_run_run});
