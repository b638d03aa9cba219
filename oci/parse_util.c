#include "oci/parse_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

static int oci_decode_idmaps(struct pctx *c, const struct jt_node *n, struct oci_id_mapping **v,
			     size_t *count);

static size_t push(struct pctx *c, const char *key, size_t idx, bool map_key)
{
	size_t old = c->depth;
	if (old < PC_MAX_DEPTH)
		c->seg[old] = (struct pctx_seg){.key = key, .idx = idx, .map_key = map_key};
	c->depth = old + 1;
	return old;
}

size_t pc_push_key(struct pctx *c, const char *key)
{
	return push(c, key, 0, false);
}

size_t pc_push_idx(struct pctx *c, size_t idx)
{
	return push(c, NULL, idx, false);
}

size_t pc_push_mapkey(struct pctx *c, const char *key)
{
	return push(c, key, 0, true);
}

/* "mounts[2].destination", "linux.sysctl[\"k\"]" */
static char *format_path(const struct pctx *c)
{
	char *path = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&path, &size);
	if (!f)
		abort();
	size_t n = c->depth < PC_MAX_DEPTH ? c->depth : PC_MAX_DEPTH;
	for (size_t i = 0; i < n; i++) {
		const struct pctx_seg *s = &c->seg[i];
		if (!s->key)
			fprintf(f, "[%zu]", s->idx);
		else if (s->map_key)
			fprintf(f, "[\"%s\"]", s->key);
		else
			fprintf(f, "%s%s", i ? "." : "", s->key);
	}
	if (c->depth > n)
		fputs("...", f);
	if (fclose(f) != 0)
		abort();
	return path;
}

int pc_fail(struct pctx *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	if (c->depth) {
		char *path = format_path(c);
		husk_err_set(c->err, 0, "%s: %s: %s", c->source, path, msg);
		free(path);
	} else {
		husk_err_set(c->err, 0, "%s: %s", c->source, msg);
	}
	free(msg);
	return -1;
}

/* A short, printable rendering of a value for "got ..." in messages. */
static void render(const struct jt_node *n, char *buf, size_t size)
{
	switch (n->type) {
	case JT_NULL:
		snprintf(buf, size, "null");
		return;
	case JT_BOOL:
		snprintf(buf, size, "%s", n->u.b ? "true" : "false");
		return;
	case JT_OBJECT:
		snprintf(buf, size, "an object");
		return;
	case JT_ARRAY:
		snprintf(buf, size, "an array");
		return;
	case JT_NUMBER:
	case JT_STRING:
		break;
	}
	const char *q = n->type == JT_STRING ? "\"" : "";
	size_t max = 40, len = n->u.str.len;
	char text[48];
	size_t k = 0;
	for (size_t i = 0; i < len && i < max; i++) {
		unsigned char ch = n->u.str.s[i];
		text[k++] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
	}
	/* Never cut a UTF-8 sequence in half: messages may end up in JSON logs. */
	while (k > 0 && k < len && ((unsigned char)n->u.str.s[k] & 0xC0) == 0x80)
		k--;
	text[k] = '\0';
	snprintf(buf, size, "%s%s%s%s", q, text, len > max ? "..." : "", q);
}

static int pc_type_error(struct pctx *c, const char *what, const struct jt_node *n)
{
	char got[64];
	render(n, got, sizeof(got));
	return pc_fail(c, "expected %s, got %s", what, got);
}

int pc_expect(struct pctx *c, const struct jt_node *n, enum jt_type t)
{
	static const char *const what[] = {
	    [JT_NULL] = "null",	      [JT_BOOL] = "a boolean",	 [JT_NUMBER] = "a number",
	    [JT_STRING] = "a string", [JT_OBJECT] = "an object", [JT_ARRAY] = "an array",
	};
	if (n->type == t)
		return 0;
	return pc_type_error(c, what[t], n);
}

int pc_str(struct pctx *c, const struct jt_node *n, char **out)
{
	if (pc_expect(c, n, JT_STRING) < 0)
		return -1;
	if (strlen(n->u.str.s) != n->u.str.len)
		return pc_fail(c, "string contains a NUL character");
	free(*out);
	*out = xstrdup(n->u.str.s);
	return 0;
}

/* JSON number text -> integer.  Returns 0, or 1 when not an integer at all
 * (fraction, exponent, sign where none is allowed), or 2 on overflow. */
static int text_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	if (!*s)
		return 1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return 1;
		unsigned d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return 2;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static int text_i64(const char *s, int64_t *out)
{
	bool neg = *s == '-';
	uint64_t mag;
	int r = text_u64(s + neg, &mag);
	if (r)
		return r;
	if (neg) {
		if (mag > (uint64_t)INT64_MAX + 1)
			return 2;
		*out = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
	} else {
		if (mag > (uint64_t)INT64_MAX)
			return 2;
		*out = (int64_t)mag;
	}
	return 0;
}

int pc_u64(struct pctx *c, const struct jt_node *n, uint64_t hi, uint64_t *out)
{
	uint64_t v = 0;
	if (n->type != JT_NUMBER)
		return pc_type_error(c, "a non-negative integer", n);
	int r = text_u64(n->u.str.s, &v);
	if (r == 1)
		return pc_type_error(c, "a non-negative integer", n);
	if (r == 2 || v > hi) {
		char got[64];
		render(n, got, sizeof(got));
		return pc_fail(c, "%s is out of range (maximum %llu)", got, (unsigned long long)hi);
	}
	*out = v;
	return 0;
}

int pc_i64(struct pctx *c, const struct jt_node *n, int64_t lo, int64_t hi, int64_t *out)
{
	int64_t v = 0;
	if (n->type != JT_NUMBER)
		return pc_type_error(c, "an integer", n);
	int r = text_i64(n->u.str.s, &v);
	if (r == 1)
		return pc_type_error(c, "an integer", n);
	if (r == 2 || v < lo || v > hi) {
		char got[64];
		render(n, got, sizeof(got));
		return pc_fail(c, "%s is out of range (%lld to %lld)", got, (long long)lo,
			       (long long)hi);
	}
	*out = v;
	return 0;
}

int pc_strv(struct pctx *c, const struct jt_node *n, oci_strv *out)
{
	if (pc_expect(c, n, JT_ARRAY) < 0)
		return -1;
	oci_strv_clear(out);
	out->v = xcalloc(n->u.kids.n + 1, sizeof(char *));
	size_t i = 0;
	jt_foreach(e, n)
	{
		size_t old = pc_push_idx(c, i);
		int r = pc_str(c, e, &out->v[i]);
		pc_pop(c, old);
		if (r < 0)
			return r;
		out->n = ++i;
	}
	return 0;
}

static int pc_kvv(struct pctx *c, const struct jt_node *n, oci_kvv *out)
{
	if (pc_expect(c, n, JT_OBJECT) < 0)
		return -1;
	oci_kvv_clear(out);
	out->v = xcalloc(n->u.kids.n ? n->u.kids.n : 1, sizeof(*out->v));
	jt_foreach(e, n)
	{
		size_t old = pc_push_mapkey(c, e->key);
		if (e->key_has_nul) {
			int r = pc_fail(c, "key contains a NUL character");
			pc_pop(c, old);
			return r;
		}
		if (!e->key[0]) {
			int r = pc_fail(c, "key must not be empty");
			pc_pop(c, old);
			return r;
		}
		/* A repeated key replaces the earlier value (last one wins). */
		struct oci_kv *kv = NULL;
		for (size_t j = 0; j < out->n; j++)
			if (strcmp(out->v[j].key, e->key) == 0)
				kv = &out->v[j];
		if (!kv) {
			kv = &out->v[out->n++];
			kv->key = xstrdup(e->key);
		}
		int r = pc_str(c, e, &kv->value);
		pc_pop(c, old);
		if (r < 0)
			return r;
	}
	return 0;
}

/* An unsigned field: at most max (f->hi when ranged), and at least f->lo when ranged. */
static int decode_unsigned(struct pctx *c, const struct field *f, const struct jt_node *n,
			   uint64_t max, uint64_t *v)
{
	bool ranged = f->flags & F_RANGE;
	int r = pc_u64(c, n, ranged ? (uint64_t)f->hi : max, v);
	if (r < 0)
		return r;
	if (ranged && *v < (uint64_t)f->lo)
		return pc_fail(c, "%s is out of range (%lld to %lld)", n->u.str.s, (long long)f->lo,
			       (long long)f->hi);
	return 0;
}

static int decode_field(struct pctx *c, const struct field *f, const struct jt_node *n, void *base)
{
	void *p = (char *)base + f->off;
	bool ranged = f->flags & F_RANGE;
	int r = 0;
	switch (f->kind) {
	case FK_STR:
		if ((r = pc_str(c, n, p)) < 0)
			return r;
		if ((f->flags & F_NONEMPTY) && !**(char **)p)
			return pc_fail(c, "must not be empty");
		if ((f->flags & F_ABS) && **(char **)p != '/')
			return pc_fail(c, "must be an absolute path, got \"%s\"", *(char **)p);
		return 0;
	case FK_BOOL:
	case FK_OBOOL:
		if (n->type != JT_BOOL)
			return pc_type_error(c, "a boolean", n);
		if (f->kind == FK_BOOL) {
			*(bool *)p = n->u.b;
		} else {
			((oci_opt_bool *)p)->set = true;
			((oci_opt_bool *)p)->v = n->u.b;
		}
		return 0;
	case FK_U32: {
		uint64_t v = 0;
		if ((r = decode_unsigned(c, f, n, UINT32_MAX, &v)) < 0)
			return r;
		*(uint32_t *)p = (uint32_t)v;
		return 0;
	}
	case FK_U64:
	case FK_OU64: {
		uint64_t v = 0;
		if ((r = decode_unsigned(c, f, n, UINT64_MAX, &v)) < 0)
			return r;
		if (f->kind == FK_U64) {
			*(uint64_t *)p = v;
		} else {
			((oci_opt_u64 *)p)->set = true;
			((oci_opt_u64 *)p)->v = v;
		}
		return 0;
	}
	case FK_I64:
	case FK_OI64: {
		int64_t v = 0;
		if ((r = pc_i64(c, n, ranged ? f->lo : INT64_MIN, ranged ? f->hi : INT64_MAX, &v)) <
		    0)
			return r;
		if (f->kind == FK_I64) {
			*(int64_t *)p = v;
		} else {
			((oci_opt_i64 *)p)->set = true;
			((oci_opt_i64 *)p)->v = v;
		}
		return 0;
	}
	case FK_STRV:
		if ((r = pc_strv(c, n, p)) < 0)
			return r;
		if ((f->flags & F_NONEMPTY) && ((oci_strv *)p)->n == 0)
			return pc_fail(c, "must not be empty");
		return 0;
	case FK_KVV:
		return pc_kvv(c, n, p);
	case FK_IDMAP:
		return oci_decode_idmaps(c, n, p, (size_t *)((char *)p + sizeof(void *)));
	case FK_FN:
		return f->fn(c, n, base);
	}
	return pc_fail(c, "internal error: bad field kind %d", f->kind);
}

int pc_object(struct pctx *c, const struct jt_node *n, const struct field *tab, size_t ntab,
	      void *base)
{
	const struct jt_node *slot[PC_MAX_FIELDS] = {0};
	if (ntab > PC_MAX_FIELDS)
		abort(); /* a table grew past PC_MAX_FIELDS: raise it */
	if (pc_expect(c, n, JT_OBJECT) < 0)
		return -1;
	/* One pass over the members; null means absent, like an omitted key. */
	jt_foreach(m, n)
	{
		for (size_t i = 0; i < ntab; i++) {
			if (m->key[0] == tab[i].name[0] && !m->key_has_nul &&
			    strcmp(m->key, tab[i].name) == 0) {
				slot[i] = m->type == JT_NULL ? NULL : m;
				break;
			}
		}
	}
	for (size_t i = 0; i < ntab; i++) {
		const struct field *f = &tab[i];
		size_t old = pc_push_key(c, f->name);
		int r = 0;
		if (slot[i])
			r = decode_field(c, f, slot[i], base);
		else if (f->flags & F_REQ)
			r = pc_fail(c, "required field is missing");
		pc_pop(c, old);
		if (r < 0)
			return r;
	}
	return 0;
}

int pc_array(struct pctx *c, const struct jt_node *n, size_t elem_size, void **out, size_t *count,
	     int (*elem)(struct pctx *c, const struct jt_node *n, void *elem))
{
	if (pc_expect(c, n, JT_ARRAY) < 0)
		return -1;
	char *v = xcalloc(n->u.kids.n ? n->u.kids.n : 1, elem_size);
	*out = v;
	*count = 0;
	size_t i = 0;
	jt_foreach(e, n)
	{
		size_t old = pc_push_idx(c, i);
		*count = i + 1; /* the element is zeroed: safe to free even if it fails half-way */
		int r = elem(c, e, v + i * elem_size);
		pc_pop(c, old);
		if (r < 0)
			return r;
		i++;
	}
	return 0;
}

int pc_map_key_check(struct pctx *c, const struct jt_node *e)
{
	if (e->key_has_nul)
		return pc_fail(c, "key contains a NUL character");
	if (!e->key[0])
		return pc_fail(c, "key must not be empty");
	return 0;
}

int pc_name_index(const char *const *names, const char *s)
{
	for (int i = 0; names && names[i]; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

int pc_run(const char *json, size_t len, const char *source,
	   int (*fn)(struct pctx *c, const struct jt_node *root, void *arg), void *arg,
	   struct husk_err **err)
{
	struct jt_doc *doc = NULL;
	if (!source)
		source = "config.json";
	if (jt_parse(json, len, &doc, err) < 0)
		return husk_err_wrap(err, "%s", source);
	struct pctx c = {.source = source, .err = err, .depth = 0};
	int r = fn(&c, jt_root(doc), arg);
	jt_free(doc);
	return r;
}

static int decode_idmap(struct pctx *c, const struct jt_node *n, void *elem)
{
	static const struct field tab[] = {
	    FLD(struct oci_id_mapping, "containerID", FK_U32, container_id, F_REQ),
	    FLD(struct oci_id_mapping, "hostID", FK_U32, host_id, F_REQ),
	    FLD(struct oci_id_mapping, "size", FK_U32, size, F_REQ),
	};
	const struct oci_id_mapping *m = elem;
	int r = pc_object(c, n, tab, ARRAY_SIZE(tab), elem);
	if (r < 0)
		return r;
	if (m->size == 0) {
		size_t old = pc_push_key(c, "size");
		r = pc_fail(c, "must be greater than zero");
		pc_pop(c, old);
		return r;
	}
	if ((uint64_t)m->container_id + m->size > (1ull << 32) ||
	    (uint64_t)m->host_id + m->size > (1ull << 32))
		return pc_fail(c, "the range goes past the largest id (4294967295)");
	return 0;
}

static bool ranges_overlap(uint32_t a, uint32_t b, uint32_t size_a, uint32_t size_b)
{
	return (uint64_t)a < (uint64_t)b + size_b && (uint64_t)b < (uint64_t)a + size_a;
}

/* The kernel's rules for uid_map/gid_map (user_namespaces(7)), checked here
 * so that the error names the entry. */
#define ID_MAP_MAX_EXTENTS 340

static int oci_decode_idmaps(struct pctx *c, const struct jt_node *n, struct oci_id_mapping **v,
			     size_t *count)
{
	free(*v);
	*v = NULL;
	*count = 0;
	int r = pc_array(c, n, sizeof(**v), (void **)v, count, decode_idmap);
	if (r < 0)
		return r;
	if (*count > ID_MAP_MAX_EXTENTS)
		return pc_fail(c, "%zu entries, the kernel accepts at most %d", *count,
			       ID_MAP_MAX_EXTENTS);
	const struct oci_id_mapping *m = *v;
	for (size_t i = 1; i < *count; i++) {
		for (size_t j = 0; j < i; j++) {
			const char *what = NULL;
			if (ranges_overlap(m[i].container_id, m[j].container_id, m[i].size,
					   m[j].size))
				what = "container";
			else if (ranges_overlap(m[i].host_id, m[j].host_id, m[i].size, m[j].size))
				what = "host";
			if (what) {
				size_t old = pc_push_idx(c, i);
				r = pc_fail(c, "its %s ids overlap those of entry %zu", what, j);
				pc_pop(c, old);
				return r;
			}
		}
	}
	return 0;
}
