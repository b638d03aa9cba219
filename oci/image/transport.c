/* IMAGE in skopeo's and podman's transport syntax. */
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "oci/image/internal.h"

static const struct {
	const char *prefix;
	enum img_transport t;
} transports[] = {
    {"oci:", IMG_OCI},
    {"oci-archive:", IMG_OCI_ARCHIVE},
    {"docker-archive:", IMG_DOCKER_ARCHIVE},
};

int img_ref_parse(const char *s, struct img_ref *out, struct husk_err **err)
{
	*out = (struct img_ref){0};
	for (size_t i = 0; i < ARRAY_SIZE(transports); i++) {
		size_t n = strlen(transports[i].prefix);
		if (strncmp(s, transports[i].prefix, n) != 0)
			continue;
		/* As skopeo: the path ends at the first ':' (a path with ':' cannot
		 * be named), the rest is the tag or reference. */
		const char *path = s + n;
		const char *colon = strchr(path, ':');
		size_t plen = colon ? (size_t)(colon - path) : strlen(path);
		if (plen == 0)
			return husk_err_set(err, 0, "image \"%s\": no path after \"%s\"", s,
					    transports[i].prefix);
		if (colon && !colon[1])
			return husk_err_set(err, 0, "image \"%s\": empty tag after ':'", s);
		out->transport = transports[i].t;
		out->path = strndup(path, plen);
		if (!out->path)
			abort();
		out->tag = colon ? xstrdup(colon + 1) : NULL;
		return 0;
	}
	return husk_err_set(err, 0,
			    "image \"%s\": unknown transport (want oci:DIR[:TAG], "
			    "oci-archive:FILE[:TAG] or docker-archive:FILE[:REF])",
			    s);
}

void img_ref_clear(struct img_ref *r)
{
	free(r->path);
	free(r->tag);
	*r = (struct img_ref){0};
}
