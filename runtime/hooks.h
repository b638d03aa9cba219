/* OCI lifecycle hooks (config.md "POSIX-platform Hooks").  Each hook gets the
 * container state JSON on stdin, its own args/env, and is killed when its
 * timeout expires.  Callers decide what a failure means: prestart,
 * createRuntime, createContainer and startContainer failures fail the
 * container; poststart and poststop failures are only warnings. */
#ifndef HUSK_RUNTIME_HOOKS_H
#define HUSK_RUNTIME_HOOKS_H

#include <stdbool.h>

#include "common/err.h"
#include "oci/spec.h"

/* Run every hook of the list in order; stops at the first failure.
 * kind names the list in errors ("createRuntime"). */
int hooks_run(const struct oci_hook_list *hooks, const char *kind, const char *state_json,
	      struct husk_err **err);

/* Run a list whose failures only warn (poststart, poststop): every hook runs. */
void hooks_run_warn(const struct oci_hook_list *hooks, const char *kind, const char *state_json);

#endif
