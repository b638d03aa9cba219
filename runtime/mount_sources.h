/* Bind sources opened by the runtime for an init in a new user namespace
 * (runtime/mount_sources.c). */
#ifndef HUSK_RUNTIME_MOUNT_SOURCES_H
#define HUSK_RUNTIME_MOUNT_SOURCES_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/err.h"
#include "oci/spec.h"

/* Does an init with (userns) need the runtime to open its bind sources? */
bool mount_sources_needed(const struct oci_config *cfg, bool userns);
/* Parent, on SYNC_MOUNT_SOURCES: open every bind source inside child's mount
 * namespace and send one message per config mount (fd or none) on sock. */
int mount_sources_send(const struct oci_config *cfg, const char *bundle, pid_t child, int sock,
		       struct husk_err **err);
/* Init: ask, then receive *fds (heap, one per config mount, -1 for none). */
int mount_sources_receive(const struct oci_config *cfg, int sock, int **fds, struct husk_err **err);

#endif
