/* Thin helpers over yajl_gen for the documents husk writes (state, features,
 * the default spec).  Private to oci/. */
#ifndef HUSK_OCI_JSON_GEN_H
#define HUSK_OCI_JSON_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yajl/yajl_gen.h>

#include "common/err.h"

/* A generator; pretty: tab-indented like runc's output. Aborts on OOM. */
yajl_gen jg_new(bool pretty);
/* Hand out the buffer as a heap NUL-terminated string, free the generator.
 * Fails if any call before went wrong (e.g. invalid UTF-8 in a string). */
int jg_finish(yajl_gen g, bool ok, char **out, size_t *len, struct husk_err **err);

bool jg_str(yajl_gen g, const char *s);
bool jg_key(yajl_gen g, const char *k);
bool jg_kstr(yajl_gen g, const char *k, const char *v);
bool jg_kint(yajl_gen g, const char *k, long long v);
bool jg_kbool(yajl_gen g, const char *k, bool v);
bool jg_kstrv(yajl_gen g, const char *k, const char *const *v); /* NULL-terminated */
bool jg_open_map(yajl_gen g);
bool jg_close_map(yajl_gen g);
bool jg_open_array(yajl_gen g);
bool jg_close_array(yajl_gen g);

#endif
