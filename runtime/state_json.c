#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

#include "common/util.h"
#include "runtime/container.h"

static void put(yajl_gen g, const char *k, const char *v)
{
	yajl_gen_string(g, (const unsigned char *)k, strlen(k));
	yajl_gen_string(g, (const unsigned char *)(v ? v : ""), v ? strlen(v) : 0);
}

static const char *status_name(enum oci_status s)
{
	switch (s) {
	case OCI_STATUS_CREATING:
		return "creating";
	case OCI_STATUS_CREATED:
		return "created";
	case OCI_STATUS_RUNNING:
		return "running";
	case OCI_STATUS_PAUSED:
		return "paused";
	default:
		return "stopped";
	}
}

char *container_state_json(const struct container_state *st, enum oci_status status, pid_t pid,
			   bool full)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	if (!g)
		abort();
	if (full) {
		yajl_gen_config(g, yajl_gen_beautify, 1);
		yajl_gen_config(g, yajl_gen_indent_string, "  ");
	}
	yajl_gen_map_open(g);
	put(g, "ociVersion", OCI_SPEC_VERSION);
	put(g, "id", st->id);
	put(g, "status", status_name(status));
	yajl_gen_string(g, (const unsigned char *)"pid", 3);
	yajl_gen_integer(g, status == OCI_STATUS_STOPPED ? 0 : pid);
	put(g, "bundle", st->bundle);
	if (full) {
		put(g, "rootfs", st->rootfs);
		put(g, "created", st->created);
		put(g, "owner", st->owner);
	}
	if (st->annotations.n) {
		yajl_gen_string(g, (const unsigned char *)"annotations", 11);
		yajl_gen_map_open(g);
		for (size_t i = 0; i < st->annotations.n; i++)
			put(g, st->annotations.v[i].key, st->annotations.v[i].value);
		yajl_gen_map_close(g);
	}
	yajl_gen_map_close(g);
	const unsigned char *buf;
	size_t len;
	yajl_gen_get_buf(g, &buf, &len);
	char *out = xmalloc(len + 1);
	memcpy(out, buf, len);
	out[len] = '\0';
	while (len && out[len - 1] == '\n')
		out[--len] = '\0';
	yajl_gen_free(g);
	return out;
}
