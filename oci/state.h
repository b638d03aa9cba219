/* The runtime state document (runtime.md "State"): what `state` prints, hooks
 * read on stdin and the seccomp agent gets.  One writer for all of them. */
#ifndef HUSK_OCI_STATE_H
#define HUSK_OCI_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <yajl/yajl_gen.h>

#include "common/err.h"
#include "oci/spec.h"

enum oci_status { OCI_STATUS_CREATING, OCI_STATUS_CREATED, OCI_STATUS_RUNNING, OCI_STATUS_STOPPED, OCI_STATUS_PAUSED };

struct oci_state {
	const char *oci_version; /* NULL: the spec version husk implements */
	const char *id;
	enum oci_status status;
	pid_t pid;	 /* 0: omitted, unless pid_always */
	bool pid_always; /* write "pid" even when 0 (runc's state and hooks do) */
	const char *bundle;
	/* runc's `state` adds these; NULL: omitted */
	const char *rootfs;
	const char *created;
	const char *owner;
	const oci_kvv *annotations; /* omitted when NULL or empty */
};

/* "creating" ... "paused"; "unknown" for anything else. */
const char *oci_status_name(enum oci_status s);

/* Write the document as one JSON object into g (a part of a larger document). */
bool oci_state_gen(yajl_gen g, const struct oci_state *st);
/* The document alone.  indent: as jg_new_indent (NULL: compact).  *out is
 * heap-allocated, NUL-terminated, without a final newline. */
int oci_state_to_json(const struct oci_state *st, const char *indent, char **out, size_t *len,
		      struct husk_err **err);

#endif
