/* What the rootfs module reports to `husk features`: asked of its own option
 * parser, not a fixed list. */
#include <string.h>

#include "rootfs/internal.h"

/* A mount option the rootfs module understands itself (not passed on as
 * filesystem data, not refused). */
static bool mount_option_supported(const char *name)
{
	char *v[] = {(char *)name, NULL};
	oci_strv opts = {.v = v, .n = 1};
	struct mount_opts o;
	struct husk_err *err = NULL;
	memset(&o, 0, sizeof(o));
	if (mount_opts_parse(&opts, &o, &err) < 0) {
		husk_err_free(&err);
		return false;
	}
	bool known = o.data == NULL;
	mount_opts_free(&o);
	return known;
}

void rootfs_features(struct oci_features *f)
{
	f->mount_options = oci_features_filter(f, f->mount_options, mount_option_supported);
	f->linux_.mount_extensions.present = true;
	f->linux_.mount_extensions.idmap =
	    (struct oci_features_toggle){true, {true, mount_option_supported("idmap")}};
}
