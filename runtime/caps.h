/* Capability names and sets for process security (private to runtime/).
 * Sets are bitmasks indexed by capability number (CAP_LAST_CAP < 64). */
#ifndef HUSK_RUNTIME_CAPS_H
#define HUSK_RUNTIME_CAPS_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "oci/spec.h"

struct caps_sets {
	uint64_t bounding, effective, inheritable, permitted, ambient;
};

#define CAP_BIT(c) (UINT64_C(1) << (c))

/* "CAP_CHOWN" -> 0.  Only the OCI spelling (CAP_ prefix, any case after it) of a
 * capability libcap knows; anything else is an error naming the value. */
int caps_from_name(const char *name, int *cap, struct husk_err **err);
/* "CAP_CHOWN" for 0; a static buffer "CAP_<n>" for numbers libcap has no name for. */
const char *caps_to_name(int cap);
/* Highest capability number the running kernel knows. */
int caps_last_cap(void);
/* The calling process's bounding set. */
uint64_t caps_current_bounding(void);

/* Parse process.capabilities.  A capability missing from host_bounding (the
 * kernel does not know it, or the host dropped it) is removed from every set
 * with a warning, as runc does.  An unknown name is an error. */
int caps_parse(const struct oci_capabilities *c, uint64_t host_bounding, struct caps_sets *out,
	       struct husk_err **err);

/* Drop every capability not in keep from the bounding set (needs CAP_SETPCAP). */
int caps_limit_bounding(uint64_t keep, struct husk_err **err);
/* Drop exactly the capabilities in drop (all of them in the bounding set). */
int caps_drop_bounding(uint64_t drop, struct husk_err **err);
/* capset(2) through libcap. */
int caps_set_eip(uint64_t effective, uint64_t inheritable, uint64_t permitted,
		 struct husk_err **err);
/* Clear the ambient set, then raise exactly these. */
int caps_set_ambient(uint64_t ambient, struct husk_err **err);

#endif
