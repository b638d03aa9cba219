/* OCI images to runtime bundles: `husk image unpack` and `husk run --image`.
 *
 * IMAGE uses skopeo's and podman's transport syntax:
 *   oci:DIR[:TAG]            an OCI image layout directory
 *   oci-archive:FILE[:TAG]   a tar of an OCI image layout
 *   docker-archive:FILE[:REF] `docker save` / `podman save` output
 * The image is untrusted: every blob is checked against its digest, every
 * layer entry is resolved under the rootfs fd (openat2 RESOLVE_IN_ROOT) and
 * nothing is written outside the bundle. */
#ifndef HUSK_OCI_IMAGE_H
#define HUSK_OCI_IMAGE_H

#include <stdbool.h>

#include "common/err.h"

struct image_unpack_opts {
	const char *image;  /* transport:reference */
	const char *bundle; /* created if missing; must not hold a rootfs or config.json */
	bool vm;	    /* annotate the bundle for VM mode (org.husk.vm=true) */
};

/* Unpack IMAGE into BUNDLE/rootfs and write BUNDLE/config.json.  On failure
 * what was created is removed again (BUNDLE itself too, when it did not exist). */
int image_unpack(const struct image_unpack_opts *o, struct husk_err **err);

/* The private bundle of `husk run --image` for container id under the state
 * root: <root>/.images/<id> (heap). */
char *image_private_bundle(const char *root, const char *id);
/* Remove the private bundle of id if it exists (after `delete`). */
int image_private_bundle_remove(const char *root, const char *id, struct husk_err **err);

/* Remove path (relative to dir_fd) and everything below it, never following
 * a symlink.  A missing path is not an error. */
int image_remove_tree_at(int dir_fd, const char *name, struct husk_err **err);

#endif
