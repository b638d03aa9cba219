#include "oci/json_tree.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "common/util.h"

struct arena_block {
	struct arena_block *prev;
	size_t used, cap;
	_Alignas(max_align_t) unsigned char data[];
};

struct jt_doc {
	struct arena_block *blocks;
	struct jt_node *root;
};

struct builder {
	struct jt_doc *doc;
	struct jt_node *cur; /* innermost open container */
	const char *pending_key;
	bool pending_key_nul;
	struct jt_node **parents; /* stack of open containers */
	size_t depth, cap;
	size_t next_block;
};

static void *arena_alloc(struct builder *b, size_t n)
{
	n = (n + 7) & ~(size_t)7;
	struct arena_block *blk = b->doc->blocks;
	if (!blk || blk->cap - blk->used < n) {
		size_t cap = b->next_block > n ? b->next_block : n;
		blk = xmalloc(sizeof(*blk) + cap);
		blk->prev = b->doc->blocks;
		blk->used = 0;
		blk->cap = cap;
		b->doc->blocks = blk;
		if (b->next_block < (1u << 20))
			b->next_block *= 2;
	}
	void *p = blk->data + blk->used;
	blk->used += n;
	return p;
}

static const char *arena_strndup(struct builder *b, const unsigned char *s, size_t len)
{
	char *p = arena_alloc(b, len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

static struct jt_node *add_node(struct builder *b, enum jt_type type)
{
	struct jt_node *n = arena_alloc(b, sizeof(*n));
	memset(n, 0, sizeof(*n));
	n->type = type;
	n->key = b->pending_key;
	n->key_has_nul = b->pending_key_nul;
	b->pending_key = NULL;
	if (!b->cur) {
		b->doc->root = n;
		return n;
	}
	if (b->cur->u.kids.last)
		b->cur->u.kids.last->next = n;
	else
		b->cur->u.kids.first = n;
	b->cur->u.kids.last = n;
	b->cur->u.kids.n++;
	return n;
}

static int on_null(void *ctx)
{
	add_node(ctx, JT_NULL);
	return 1;
}

static int on_bool(void *ctx, int v)
{
	add_node(ctx, JT_BOOL)->u.b = v;
	return 1;
}

static int on_text(struct builder *b, enum jt_type t, const unsigned char *s, size_t len)
{
	struct jt_node *n = add_node(b, t);
	n->u.str.s = arena_strndup(b, s, len);
	n->u.str.len = len;
	return 1;
}

static int on_number(void *ctx, const char *s, size_t len)
{
	return on_text(ctx, JT_NUMBER, (const unsigned char *)s, len);
}

static int on_string(void *ctx, const unsigned char *s, size_t len)
{
	return on_text(ctx, JT_STRING, s, len);
}

static int on_key(void *ctx, const unsigned char *s, size_t len)
{
	struct builder *b = ctx;
	b->pending_key = arena_strndup(b, s, len);
	b->pending_key_nul = memchr(s, 0, len) != NULL;
	return 1;
}

static int open_container(void *ctx, enum jt_type t)
{
	struct builder *b = ctx;
	struct jt_node *n = add_node(b, t);
	if (b->depth == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 16;
		b->parents = xrealloc(b->parents, b->cap * sizeof(*b->parents));
	}
	b->parents[b->depth++] = b->cur;
	b->cur = n;
	return 1;
}

static int close_container(void *ctx)
{
	struct builder *b = ctx;
	b->cur = b->parents[--b->depth];
	return 1;
}

static int on_start_map(void *ctx)
{
	return open_container(ctx, JT_OBJECT);
}

static int on_start_array(void *ctx)
{
	return open_container(ctx, JT_ARRAY);
}

static const yajl_callbacks callbacks = {
    .yajl_null = on_null,
    .yajl_boolean = on_bool,
    .yajl_number = on_number,
    .yajl_string = on_string,
    .yajl_start_map = on_start_map,
    .yajl_map_key = on_key,
    .yajl_end_map = close_container,
    .yajl_start_array = on_start_array,
    .yajl_end_array = close_container,
};

/* yajl's non-verbose message is "parse error: premature EOF\n"-like; keep the reason only. */
static int syntax_error(yajl_handle h, const char *buf, size_t len, size_t at,
			struct husk_err **err)
{
	unsigned char *msg = yajl_get_error(h, 0, (const unsigned char *)buf, len);
	const char *m = (const char *)msg;
	if (strncmp(m, "parse error: ", 13) == 0)
		m += 13;
	else if (strncmp(m, "lexical error: ", 15) == 0)
		m += 15;
	size_t ml = strlen(m);
	while (ml && (m[ml - 1] == '\n' || m[ml - 1] == ' ' || m[ml - 1] == '.'))
		ml--;
	int r = husk_err_set(err, 0, "invalid JSON: %.*s (near byte %zu)", (int)ml, m, at);
	yajl_free_error(h, msg);
	return r;
}

int jt_parse(const char *buf, size_t len, struct jt_doc **out, struct husk_err **err)
{
	struct jt_doc *doc = xcalloc(1, sizeof(*doc));
	struct builder b = {.doc = doc, .next_block = len * 4 + 1024};
	yajl_handle h = yajl_alloc(&callbacks, NULL, &b);
	if (!h)
		abort();
	yajl_status st = yajl_parse(h, (const unsigned char *)buf, len);
	size_t at = yajl_get_bytes_consumed(h);
	if (st == yajl_status_ok) {
		st = yajl_complete_parse(h);
		at = len; /* the document ended too early */
	}
	int r = 0;
	if (st != yajl_status_ok)
		r = syntax_error(h, buf, len, at, err);
	else if (!doc->root)
		r = husk_err_set(err, 0, "invalid JSON: empty document");
	yajl_free(h);
	free(b.parents);
	if (r < 0) {
		jt_free(doc);
		return r;
	}
	*out = doc;
	return 0;
}

const struct jt_node *jt_root(const struct jt_doc *doc)
{
	return doc->root;
}

void jt_free(struct jt_doc *doc)
{
	if (!doc)
		return;
	struct arena_block *blk = doc->blocks;
	while (blk) {
		struct arena_block *prev = blk->prev;
		free(blk);
		blk = prev;
	}
	free(doc);
}
