/* husk image unpack [--vm] IMAGE BUNDLE: an OCI image to a runtime bundle.
 * "image" is a command made of subcommands, like "vm" (cli_run_subcommand:
 * the man pages and completion come from the unpack flag table). */
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

static const struct husk_subcommand image_subcommands[] = {
    {.name = "unpack",
     .summary = "unpack an OCI image into a runtime bundle",
     .description = "IMAGE is oci:DIR[:TAG] (an OCI image layout), oci-archive:FILE[:TAG] or "
		    "docker-archive:FILE[:REF] (docker save, podman save). BUNDLE gets rootfs/ "
		    "and a config.json made from the image config.",
     .run = cmd_image_unpack},
    {0},
};

static int cmd_image_run(struct husk_globals *g, int argc, char **argv)
{
	return cli_run_subcommand(g, "image", image_subcommands, argc, argv);
}

HUSK_COMMAND(cmd_image, {.name = "image",
			 .summary = "OCI images to bundles (image unpack [--vm] IMAGE BUNDLE)",
			 .run = cmd_image_run});
