/* The state document of runtime.md: what `state` prints and hooks read on stdin. */
#include "oci/state.h"

#include "oci/json_gen.h"

const char *oci_status_name(enum oci_status s)
{
	switch (s) {
	case OCI_STATUS_CREATING:
		return "creating";
	case OCI_STATUS_CREATED:
		return "created";
	case OCI_STATUS_RUNNING:
		return "running";
	case OCI_STATUS_STOPPED:
		return "stopped";
	case OCI_STATUS_PAUSED:
		return "paused";
	}
	return "unknown";
}

int oci_state_to_json(const struct oci_state *st, int pretty, char **out, size_t *len,
		      struct husk_err **err)
{
	yajl_gen g = jg_new(pretty);
	bool ok = jg_open_map(g) &&
		  jg_kstr(g, "ociVersion", st->oci_version ? st->oci_version : OCI_SPEC_VERSION) &&
		  jg_kstr(g, "id", st->id ? st->id : "") &&
		  jg_kstr(g, "status", oci_status_name(st->status));
	if (ok && st->pid > 0)
		ok = jg_kint(g, "pid", st->pid);
	ok = ok && jg_kstr(g, "bundle", st->bundle ? st->bundle : "");
	if (ok && st->annotations && st->annotations->n) {
		ok = jg_key(g, "annotations") && jg_open_map(g);
		for (size_t i = 0; ok && i < st->annotations->n; i++)
			ok = jg_kstr(g, st->annotations->v[i].key, st->annotations->v[i].value);
		ok = ok && jg_close_map(g);
	}
	ok = ok && jg_close_map(g);
	if (jg_finish(g, ok, out, len, err) < 0)
		return husk_err_wrap(err, "state");
	return 0;
}
