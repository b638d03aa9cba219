/* The set of paths a layer created, for its opaque whiteouts: they hide the
 * lower layers' entries only, not the layer's own (open addressing, FNV-1a). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "oci/image/internal.h"

struct img_pathset {
	char **slots;
	size_t cap, n; /* cap: a power of two */
};

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

struct img_pathset *img_pathset_new(void)
{
	struct img_pathset *s = xcalloc(1, sizeof(*s));
	s->cap = 256;
	s->slots = xcalloc(s->cap, sizeof(char *));
	return s;
}

static size_t find(char **slots, size_t cap, const char *p)
{
	size_t i = hash(p) & (cap - 1);
	while (slots[i] && strcmp(slots[i], p) != 0)
		i = (i + 1) & (cap - 1);
	return i;
}

static void grow(struct img_pathset *s)
{
	size_t cap = s->cap * 2;
	char **slots = xcalloc(cap, sizeof(char *));
	for (size_t i = 0; i < s->cap; i++)
		if (s->slots[i])
			slots[find(slots, cap, s->slots[i])] = s->slots[i];
	free(s->slots);
	s->slots = slots;
	s->cap = cap;
}

void img_pathset_add(struct img_pathset *s, const char *p)
{
	if ((s->n + 1) * 2 > s->cap)
		grow(s);
	size_t i = find(s->slots, s->cap, p);
	if (!s->slots[i]) {
		s->slots[i] = xstrdup(p);
		s->n++;
	}
}

bool img_pathset_has(const struct img_pathset *s, const char *p)
{
	return s->slots[find(s->slots, s->cap, p)] != NULL;
}

void img_pathset_reset(struct img_pathset *s)
{
	for (size_t i = 0; i < s->cap; i++) {
		free(s->slots[i]);
		s->slots[i] = NULL;
	}
	s->n = 0;
}

void img_pathset_free(struct img_pathset *s)
{
	if (!s)
		return;
	img_pathset_reset(s);
	free(s->slots);
	free(s);
}
