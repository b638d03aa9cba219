#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cmd_util.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "oci/default_spec.h"

static int cmd_spec_run(struct husk_globals *g, int argc, char **argv)
{
	bool rootless = false;
	const char *bundle = ".";
	const struct cli_flag flags[] = {
	    {"bundle|b", CLI_FLAG_STRING, &bundle, "write config.json into this directory", "DIR"},
	    {"rootless", CLI_FLAG_BOOL, &rootless, "a spec for a rootless container", NULL},
	    {0},
	};
	struct cli_args a;
	int rc;
	if (!cli_cmd_parse("spec", "[--rootless] [--bundle DIR]", flags, argc, argv, 0, 0, &a, &rc))
		return rc;
	cli_args_free(&a);
	struct husk_err *err = NULL;
	cleanup_free char *path = xasprintf("%s/config.json", bundle);
	if (access(path, F_OK) == 0)
		return husk_err_set(&err, EEXIST, "spec: %s already exists; remove it first", path),
		       cli_fail_free(&err);
	cleanup_free char *json = NULL;
	size_t len = 0;
	if (oci_default_spec_json(rootless, &json, &len, &err) < 0)
		return cli_fail_free(&err);
	cleanup_fd int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (fd < 0 || write_all(fd, json, len) != (ssize_t)len) {
		husk_err_sys(&err, "write %s", path);
		return cli_fail_free(&err);
	}
	return 0;
}

HUSK_COMMAND(cmd_spec,
	     {.name = "spec", .summary = "write a default config.json", .run = cmd_spec_run});
