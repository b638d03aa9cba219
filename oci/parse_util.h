/* Table-driven decoding of JSON objects into the structs of oci/spec.h.
 *
 * Each JSON object of the spec is described by a static table of fields
 * (name, kind, offset in the C struct, flags).  pc_object() walks the
 * object's members once, matches them to the table (unknown keys are
 * ignored, as the spec requires; a repeated key: the last one wins, as with
 * Go's encoding/json that runc uses), then decodes each field.  Values are
 * written straight into the destination struct, so a failure half-way leaves
 * a partially filled struct that the ordinary free function releases.
 *
 * Errors carry the source name and the field path:
 *   "config.json: mounts[2].destination: must be an absolute path".
 * Private to oci/.
 */
#ifndef HUSK_OCI_PARSE_UTIL_H
#define HUSK_OCI_PARSE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "oci/json_tree.h"
#include "oci/spec.h"

/* The field path is kept as a stack of segments and only formatted into text
 * when an error is reported: decoding a valid document never prints. */
struct pctx_seg {
	const char *key; /* NULL: array index */
	size_t idx;
	bool map_key; /* ["key"] rather than .key */
};

#define PC_MAX_DEPTH 32

struct pctx {
	const char *source;
	struct husk_err **err;
	bool exec_process; /* decoding `exec --process` (runc's leniency), not config.json */
	size_t depth;
	struct pctx_seg seg[PC_MAX_DEPTH];
};

/* Path bookkeeping: push returns the depth to restore with pc_pop. */
size_t pc_push_key(struct pctx *c, const char *key);
size_t pc_push_idx(struct pctx *c, size_t idx);
size_t pc_push_mapkey(struct pctx *c, const char *key); /* linux.sysctl["net.ipv4.ip_forward"] */
static inline void pc_pop(struct pctx *c, size_t old)
{
	c->depth = old;
}

/* "source: path: message"; returns -1. */
int pc_fail(struct pctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

enum field_kind {
	FK_STR,	  /* char * */
	FK_BOOL,  /* bool */
	FK_OBOOL, /* oci_opt_bool */
	FK_U32,	  /* uint32_t */
	FK_U64,	  /* uint64_t */
	FK_OU64,  /* oci_opt_u64 */
	FK_I64,	  /* int64_t */
	FK_OI64,  /* oci_opt_i64 */
	FK_STRV,  /* oci_strv */
	FK_KVV,	  /* oci_kvv (object of string -> string) */
	FK_IDMAP, /* struct oci_id_mapping * followed by size_t count */
	FK_FN,	  /* custom decoder */
};

enum field_flags {
	F_REQ = 1 << 0,	     /* must be present (and not null) */
	F_ABS = 1 << 1,	     /* FK_STR: absolute path */
	F_NONEMPTY = 1 << 2, /* FK_STR / FK_STRV: not empty */
	F_RANGE = 1 << 3,    /* integers: lo..hi */
};

struct pctx;
typedef int (*field_fn)(struct pctx *c, const struct jt_node *n, void *base);

struct field {
	const char *name;
	uint8_t kind;
	uint8_t flags;
	uint16_t off;
	int64_t lo, hi;
	field_fn fn; /* FK_FN: called with the member's value and the struct base */
};

#define FLD(T, jname, kind_, member, flags_)                                                       \
	{                                                                                          \
		.name = jname, .kind = kind_, .flags = flags_, .off = offsetof(T, member)          \
	}
#define FLD_RANGE(T, jname, kind_, member, flags_, lo_, hi_)                                       \
	{                                                                                          \
		.name = jname, .kind = kind_, .flags = (flags_) | F_RANGE,                         \
		.off = offsetof(T, member), .lo = lo_, .hi = hi_                                   \
	}
#define FLD_FN(jname, fn_, flags_)                                                                 \
	{                                                                                          \
		.name = jname, .kind = FK_FN, .flags = flags_, .fn = fn_                           \
	}

#define PC_MAX_FIELDS 32

/* Decode object n (path already pushed by the caller) into base. */
int pc_object(struct pctx *c, const struct jt_node *n, const struct field *tab, size_t ntab,
	      void *base);

/* Decode a JSON array of objects into a calloc'ed C array, element by element.
 * *out and *count are set before the elements are decoded, so that the caller's
 * free function releases a partial array. */
int pc_array(struct pctx *c, const struct jt_node *n, size_t elem_size, void **out, size_t *count,
	     int (*elem)(struct pctx *c, const struct jt_node *n, void *elem));
/* A field decoder (for FLD_FN) of an array stored as a {v, n} list in member of T,
 * each element decoded by elem_fn. */
#define PC_LIST_FN(fname, T, member, elem_fn)                                                      \
	static int fname(struct pctx *c, const struct jt_node *n, void *base)                      \
	{                                                                                          \
		__typeof__(((T *)0)->member) *l = &((T *)base)->member;                            \
		return pc_array(c, n, sizeof(*l->v), (void **)&l->v, &l->n, elem_fn);              \
	}

/* Scalars, for custom decoders.  Each checks the type and range and reports
 * errors at the current path. */
int pc_str(struct pctx *c, const struct jt_node *n, char **out);
int pc_u64(struct pctx *c, const struct jt_node *n, uint64_t hi, uint64_t *out);
int pc_i64(struct pctx *c, const struct jt_node *n, int64_t lo, int64_t hi, int64_t *out);
int pc_strv(struct pctx *c, const struct jt_node *n, oci_strv *out);
int pc_expect(struct pctx *c, const struct jt_node *n, enum jt_type t);

/* Parse a whole document and hand its root to fn, with the source name set
 * up for error messages. */
int pc_run(const char *json, size_t len, const char *source,
	   int (*fn)(struct pctx *c, const struct jt_node *root, void *arg), void *arg,
	   struct husk_err **err);

/* A map key (annotations, rdma, netDevices, ...): not empty, no NUL. Path pushed by the caller. */
int pc_map_key_check(struct pctx *c, const struct jt_node *e);

/* Membership in a NULL-terminated list of names. */
int pc_name_index(const char *const *names, const char *s);

/* Shared decoders (defined in the parse_*.c files). */
int oci_decode_process(struct pctx *c, const struct jt_node *n, struct oci_process *p);
int oci_decode_resources(struct pctx *c, const struct jt_node *n, struct oci_resources *r);
int oci_decode_linux(struct pctx *c, const struct jt_node *n, struct oci_linux *l);

/* Release the members of embedded structs (not the struct itself). */
void oci_strv_clear(oci_strv *v);
void oci_kvv_clear(oci_kvv *v);

#endif
