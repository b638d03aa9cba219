#include "oci/json_gen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

yajl_gen jg_new_indent(const char *indent)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	if (!g)
		abort();
	yajl_gen_config(g, yajl_gen_validate_utf8, 1);
	if (indent) {
		yajl_gen_config(g, yajl_gen_beautify, 1);
		yajl_gen_config(g, yajl_gen_indent_string, indent);
	}
	return g;
}

yajl_gen jg_new(bool pretty)
{
	return jg_new_indent(pretty ? "\t" : NULL);
}

int jg_finish(yajl_gen g, bool ok, char **out, size_t *len, struct husk_err **err)
{
	const unsigned char *buf;
	size_t blen;
	if (!ok || yajl_gen_get_buf(g, &buf, &blen) != yajl_gen_status_ok) {
		yajl_gen_free(g);
		return husk_err_set(err, 0, "cannot encode JSON (invalid UTF-8 in a string?)");
	}
	/* yajl's beautifier leaves no final newline; files read better with one. */
	char *s = xmalloc(blen + 2);
	memcpy(s, buf, blen);
	size_t n = blen;
	if (n && s[n - 1] != '\n' && memchr(s, '\n', n))
		s[n++] = '\n';
	s[n] = '\0';
	yajl_gen_free(g);
	*out = s;
	if (len)
		*len = n;
	return 0;
}

bool jg_str(yajl_gen g, const char *s)
{
	return yajl_gen_string(g, (const unsigned char *)s, strlen(s)) == yajl_gen_status_ok;
}

bool jg_int(yajl_gen g, long long v)
{
	return yajl_gen_integer(g, v) == yajl_gen_status_ok;
}

bool jg_u64(yajl_gen g, uint64_t v)
{
	char buf[24];
	int n = snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	return yajl_gen_number(g, buf, (size_t)n) == yajl_gen_status_ok;
}

bool jg_null(yajl_gen g)
{
	return yajl_gen_null(g) == yajl_gen_status_ok;
}

bool jg_key(yajl_gen g, const char *k)
{
	return jg_str(g, k);
}

bool jg_kstr(yajl_gen g, const char *k, const char *v)
{
	return jg_key(g, k) && jg_str(g, v);
}

bool jg_kstr_or_null(yajl_gen g, const char *k, const char *v)
{
	return jg_key(g, k) && (v ? jg_str(g, v) : jg_null(g));
}

bool jg_kint(yajl_gen g, const char *k, long long v)
{
	return jg_key(g, k) && jg_int(g, v);
}

bool jg_ku64(yajl_gen g, const char *k, uint64_t v)
{
	return jg_key(g, k) && jg_u64(g, v);
}

bool jg_kbool(yajl_gen g, const char *k, bool v)
{
	return jg_key(g, k) && yajl_gen_bool(g, v) == yajl_gen_status_ok;
}

bool jg_kstrv(yajl_gen g, const char *k, const char *const *v)
{
	bool ok = jg_key(g, k) && jg_open_array(g);
	for (; ok && v && *v; v++)
		ok = jg_str(g, *v);
	return ok && jg_close_array(g);
}

bool jg_open_map(yajl_gen g)
{
	return yajl_gen_map_open(g) == yajl_gen_status_ok;
}

bool jg_close_map(yajl_gen g)
{
	return yajl_gen_map_close(g) == yajl_gen_status_ok;
}

bool jg_open_array(yajl_gen g)
{
	return yajl_gen_array_open(g) == yajl_gen_status_ok;
}

bool jg_close_array(yajl_gen g)
{
	return yajl_gen_array_close(g) == yajl_gen_status_ok;
}
