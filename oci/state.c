/* The state document of runtime.md: what `state` prints and hooks read on stdin. */
#include "oci/state.h"

#include "oci/json_gen.h"

static const char *const status_names[] = {
    [OCI_STATUS_CREATING] = "creating", [OCI_STATUS_CREATED] = "created",
    [OCI_STATUS_RUNNING] = "running",	[OCI_STATUS_STOPPED] = "stopped",
    [OCI_STATUS_PAUSED] = "paused",
};

const char *oci_status_name(enum oci_status s)
{
	if ((unsigned)s < sizeof(status_names) / sizeof(status_names[0]) && status_names[s])
		return status_names[s];
	return "unknown";
}

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

bool oci_state_gen(yajl_gen g, const struct oci_state *st)
{
	bool ok = jg_open_map(g) &&
		  jg_kstr(g, "ociVersion", st->oci_version ? st->oci_version : OCI_SPEC_VERSION) &&
		  jg_kstr(g, "id", or_empty(st->id)) &&
		  jg_kstr(g, "status", oci_status_name(st->status));
	if (ok && (st->pid > 0 || st->pid_always))
		ok = jg_kint(g, "pid", st->pid);
	ok = ok && jg_kstr(g, "bundle", or_empty(st->bundle));
	if (ok && st->rootfs)
		ok = jg_kstr(g, "rootfs", st->rootfs);
	if (ok && st->created)
		ok = jg_kstr(g, "created", st->created);
	if (ok && st->owner)
		ok = jg_kstr(g, "owner", st->owner);
	if (ok && st->annotations && st->annotations->n) {
		ok = jg_key(g, "annotations") && jg_open_map(g);
		for (size_t i = 0; ok && i < st->annotations->n; i++)
			ok = jg_kstr(g, st->annotations->v[i].key,
				     or_empty(st->annotations->v[i].value));
		ok = ok && jg_close_map(g);
	}
	return ok && jg_close_map(g);
}

int oci_state_to_json(const struct oci_state *st, const char *indent, char **out, size_t *len,
		      struct husk_err **err)
{
	yajl_gen g = jg_new_indent(indent);
	size_t n = 0;
	if (jg_finish(g, oci_state_gen(g, st), out, &n, err) < 0)
		return husk_err_wrap(err, "state");
	while (n && (*out)[n - 1] == '\n')
		(*out)[--n] = '\0';
	if (len)
		*len = n;
	return 0;
}
