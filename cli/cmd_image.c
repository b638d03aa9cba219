/* husk image unpack [--vm] IMAGE BUNDLE: an OCI image to a runtime bundle.
 *
 * "image" is a command made of subcommands, like "vm": the table below has
 * the shape of cli.h's struct husk_subcommand on the install-check branch
 * (man pages and completion from the flag tables); once both are merged the
 * local dispatcher gives way to cli_run_subcommand(). */
#include <stdio.h>
#include <string.h>

#include "cli/cmd_util.h"
#include "oci/image/image.h"

static int cmd_image_unpack(struct husk_globals *g, int argc, char **argv)
{
	struct image_unpack_opts o = {0};
	const struct cli_flag flags[] = {
	    {"vm", CLI_FLAG_BOOL, &o.vm,
	     "mark the bundle for VM mode (annotation org.husk.vm=true)", NULL},
	    {0},
	};
	struct cli_args a;
	int rc;
	if (!cli_cmd_parse("image unpack", "[--vm] IMAGE BUNDLE", flags, argc, argv, 2, 2, &a, &rc))
		return rc;
	o.image = a.pos[0];
	o.bundle = a.pos[1];
	struct husk_err *err = NULL;
	rc = image_unpack(&o, &err) < 0 ? cli_fail_free(&err) : 0;
	cli_args_free(&a);
	return rc;
}

static const struct {
	const char *name, *summary;
	int (*run)(struct husk_globals *g, int argc, char **argv);
} image_subcommands[] = {
    {"unpack",
     "unpack IMAGE (oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE[:REF]) into "
     "BUNDLE: rootfs/ and a config.json from the image config",
     cmd_image_unpack},
    {NULL, NULL, NULL},
};

static int cmd_image_run(struct husk_globals *g, int argc, char **argv)
{
	const char *name = argc >= 2 ? argv[1] : NULL;
	if (name && (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help"))) {
		printf("USAGE:\n   husk image COMMAND [command options] "
		       "[arguments...]\n\nCOMMANDS:\n");
		for (size_t i = 0; image_subcommands[i].name; i++)
			printf("   %-12s %s\n", image_subcommands[i].name,
			       image_subcommands[i].summary);
		return 0;
	}
	for (size_t i = 0; name && image_subcommands[i].name; i++)
		if (!strcmp(image_subcommands[i].name, name))
			return image_subcommands[i].run(g, argc - 1, argv + 1);
	return cli_usage_error("image", "unknown subcommand%s%s (see 'husk image --help')",
			       name ? " " : "", name ? name : "");
}

HUSK_COMMAND(cmd_image, {.name = "image",
			 .summary = "OCI images to bundles (image unpack [--vm] IMAGE BUNDLE)",
			 .run = cmd_image_run});
