/* The config.json that `husk spec` writes: runc spec's template, hostname "husk". */
#ifndef HUSK_OCI_DEFAULT_SPEC_H
#define HUSK_OCI_DEFAULT_SPEC_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

/* Pretty-printed (tabs, final newline), heap-allocated, NUL-terminated.
 * rootless: like `runc spec --rootless`: a user namespace mapping root to the
 * caller's euid/egid, no network namespace, /sys bind-mounted, no devices cgroup. */
int oci_default_spec_json(bool rootless, char **out, size_t *len, struct husk_err **err);

#endif
