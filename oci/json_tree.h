/* A read-only JSON tree built by yajl's event parser into one arena.
 *
 * Why not yajl_tree: it needs a NUL-terminated input (we take (buf, len)),
 * mallocs every node and key, and converts numbers eagerly.  Here every node,
 * string and number text lives in a few large arena blocks freed at once, and
 * numbers keep their source text so that the spec's uint64 fields (seccomp
 * argument values) are parsed exactly.  Private to oci/.
 */
#ifndef HUSK_OCI_JSON_TREE_H
#define HUSK_OCI_JSON_TREE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

enum jt_type { JT_NULL, JT_BOOL, JT_NUMBER, JT_STRING, JT_OBJECT, JT_ARRAY };

struct jt_node {
	enum jt_type type;
	bool key_has_nul;     /* the member name holds a \u0000: key is cut there */
	const char *key;      /* member name when the parent is an object */
	struct jt_node *next; /* next sibling */
	union {
		bool b;
		struct {
			const char *s; /* NUL-terminated (numbers: their source text) */
			size_t len;
		} str;
		struct {
			struct jt_node *first, *last;
			size_t n;
		} kids;
	} u;
};

struct jt_doc;

/* Parse (buf, len).  On a syntax error returns < 0 with "invalid JSON: <yajl message>". */
int jt_parse(const char *buf, size_t len, struct jt_doc **out, struct husk_err **err);
const struct jt_node *jt_root(const struct jt_doc *doc);
void jt_free(struct jt_doc *doc);

static inline bool jt_is_container(const struct jt_node *n)
{
	return n->type == JT_OBJECT || n->type == JT_ARRAY;
}

#define jt_foreach(child, parent)                                                                  \
	for (const struct jt_node *child = (parent)->u.kids.first; child; child = child->next)

#endif
