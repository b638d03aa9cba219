/* Thin helpers over yajl_gen for every JSON document husk writes (state,
 * state.json, features, the default spec, list, events, the seccomp agent's
 * message).  Each returns false once the generator failed; chain them with &&
 * and hand the result to jg_finish, which turns a failure into an error. */
#ifndef HUSK_OCI_JSON_GEN_H
#define HUSK_OCI_JSON_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yajl/yajl_gen.h>

#include "common/err.h"

/* A generator that refuses invalid UTF-8.  indent NULL: compact; else beautified
 * with that indent ("\t" like runc's spec, "  " like runc's state).  Aborts on OOM. */
yajl_gen jg_new_indent(const char *indent);
/* jg_new_indent(pretty ? "\t" : NULL) */
yajl_gen jg_new(bool pretty);
/* Hand out the buffer as a heap NUL-terminated string, free the generator.
 * Fails if any call before went wrong (e.g. invalid UTF-8 in a string).
 * A multi-line document gets a final newline. */
int jg_finish(yajl_gen g, bool ok, char **out, size_t *len, struct husk_err **err);

bool jg_str(yajl_gen g, const char *s);
bool jg_int(yajl_gen g, long long v);
bool jg_u64(yajl_gen g, uint64_t v); /* the whole range, not through a double */
bool jg_null(yajl_gen g);
bool jg_key(yajl_gen g, const char *k);
bool jg_kstr(yajl_gen g, const char *k, const char *v);
bool jg_kstr_or_null(yajl_gen g, const char *k, const char *v); /* v NULL: null */
bool jg_kint(yajl_gen g, const char *k, long long v);
bool jg_ku64(yajl_gen g, const char *k, uint64_t v);
bool jg_kbool(yajl_gen g, const char *k, bool v);
bool jg_kstrv(yajl_gen g, const char *k, const char *const *v); /* NULL-terminated */
bool jg_open_map(yajl_gen g);
bool jg_close_map(yajl_gen g);
bool jg_open_array(yajl_gen g);
bool jg_close_array(yajl_gen g);

#endif
