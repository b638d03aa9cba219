/* The runtime state document (runtime.md "State") and `features` output. */
#ifndef HUSK_OCI_STATE_H
#define HUSK_OCI_STATE_H

#include <stddef.h>
#include <sys/types.h>

#include "common/err.h"
#include "oci/spec.h"

enum oci_status { OCI_STATUS_CREATING, OCI_STATUS_CREATED, OCI_STATUS_RUNNING, OCI_STATUS_STOPPED, OCI_STATUS_PAUSED };

struct oci_state {
	const char *oci_version;
	const char *id;
	enum oci_status status;
	pid_t pid; /* 0: omitted (stopped) */
	const char *bundle;
	const oci_kvv *annotations;
};

const char *oci_status_name(enum oci_status s);

/* Serialize with yajl.  *out is heap-allocated, NUL-terminated. pretty adds indentation. */
int oci_state_to_json(const struct oci_state *st, int pretty, char **out, size_t *len,
		      struct husk_err **err);

#endif
