/* docker save's manifest.json: [{"Config": "<file>", "RepoTags": [...],
 * "Layers": ["<file>", ...]}, ...] (podman save writes the same). */
#include <stdlib.h>

#include "common/util.h"
#include "oci/image/internal.h"
#include "oci/parse_util.h"

static int decode_entry(struct pctx *c, const struct jt_node *n, void *elem)
{
	static const struct field tab[] = {
	    FLD(struct img_docker_entry, "Config", FK_STR, config, F_REQ | F_NONEMPTY),
	    FLD(struct img_docker_entry, "RepoTags", FK_STRV, repo_tags, 0),
	    FLD(struct img_docker_entry, "Layers", FK_STRV, layers, 0),
	};
	return pc_object(c, n, tab, ARRAY_SIZE(tab), elem);
}

static int decode_root(struct pctx *c, const struct jt_node *root, void *arg)
{
	struct img_docker_manifest *m = arg;
	if (pc_array(c, root, sizeof(*m->v), (void **)&m->v, &m->n, decode_entry) < 0)
		return -1;
	if (!m->n)
		return pc_fail(c, "lists no image");
	return 0;
}

int img_docker_manifest_parse(const char *json, size_t len, const char *source,
			      struct img_docker_manifest *out, struct husk_err **err)
{
	*out = (struct img_docker_manifest){0};
	if (pc_run(json, len, source, decode_root, out, err) < 0) {
		img_docker_manifest_clear(out);
		return -1;
	}
	return 0;
}

void img_docker_manifest_clear(struct img_docker_manifest *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->v[i].config);
		oci_strv_clear(&m->v[i].repo_tags);
		oci_strv_clear(&m->v[i].layers);
	}
	free(m->v);
	*m = (struct img_docker_manifest){0};
}
