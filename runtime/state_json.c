/* A container's OCI state document, from its saved state and current status. */
#include "common/log.h"
#include "runtime/container.h"

char *container_state_json(const struct container_state *st, enum oci_status status, pid_t pid,
			   bool full)
{
	const char *empty = "";
	struct oci_state doc = {
	    .id = st->id,
	    .status = status,
	    .pid = status == OCI_STATUS_STOPPED ? 0 : pid,
	    .pid_always = true,
	    .bundle = st->bundle,
	    .annotations = &st->annotations,
	};
	if (full) {
		doc.rootfs = st->rootfs ? st->rootfs : empty;
		doc.created = st->created ? st->created : empty;
		doc.owner = st->owner ? st->owner : empty;
	}
	char *out = NULL;
	struct husk_err *err = NULL;
	if (oci_state_to_json(&doc, full ? "  " : NULL, &out, NULL, &err) < 0) {
		log_warn("container %s: %s", st->id, err->msg);
		husk_err_free(&err);
		return NULL;
	}
	return out;
}
