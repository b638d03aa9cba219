/* husk image unpack [--vm] IMAGE BUNDLE: an OCI image to a runtime bundle. */
#include <stdio.h>
#include <string.h>

#include "cli/cmd_util.h"
#include "oci/image/image.h"

static const char image_usage[] =
    "unpack [--vm] IMAGE BUNDLE\n\n"
    "IMAGE: oci:DIR[:TAG], oci-archive:FILE[:TAG] or docker-archive:FILE[:REF]\n"
    "BUNDLE gets rootfs/ and a config.json made from the image config.";

static int cmd_image_unpack(int argc, char **argv)
{
	struct image_unpack_opts o = {0};
	const struct cli_flag flags[] = {
	    {"vm", CLI_FLAG_BOOL, &o.vm, "mark the bundle for VM mode (annotation org.husk.vm=true)",
	     NULL},
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

static int cmd_image_run(struct husk_globals *g, int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "unpack"))
		return cmd_image_unpack(argc - 1, argv + 1);
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("USAGE:\n   husk image %s\n", image_usage);
		return 0;
	}
	return cli_usage_error("image", "unknown subcommand%s%s (want: unpack)",
			       argc >= 2 ? " " : "", argc >= 2 ? argv[1] : "");
}

HUSK_COMMAND(cmd_image, {.name = "image",
			 .summary = "unpack an OCI image into a bundle (image unpack IMAGE BUNDLE)",
			 .run = cmd_image_run});
