/* config.json for an image, as engines make it (the image-spec's
 * conversion.md): Entrypoint+Cmd become process.args, Env (with a default
 * PATH when it has none, HOME from /etc/passwd), WorkingDir and the resolved User are carried over,
 * Labels become annotations, and the fields conversion.md maps to
 * org.opencontainers.image.* annotations (stopSignal, os, architecture,
 * author, created, exposedPorts) are kept there.  Everything else is husk's
 * default spec, except that the rootfs is writable and there is no
 * terminal, as with podman run without -t. */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "oci/default_spec.h"
#include "oci/image/internal.h"

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct list {
	const char **v;
	size_t n;
};

static void push(struct list *l, const char *s)
{
	l->v = xrealloc(l->v, (l->n + 2) * sizeof(char *));
	l->v[l->n++] = s;
	l->v[l->n] = NULL;
}

static bool overridden(const char *key, const char *const *conv, size_t n)
{
	for (size_t i = 0; i < n; i += 2)
		if (!strcmp(conv[i], key))
			return true;
	return false;
}

int img_gen_config(const struct img_config *c, const struct img_user *u, bool vm, char **out,
		   size_t *len, struct husk_err **err)
{
	struct list args = {0}, env = {0}, ann = {0};
	for (size_t i = 0; i < c->entrypoint.n; i++)
		push(&args, c->entrypoint.v[i]);
	for (size_t i = 0; i < c->cmd.n; i++)
		push(&args, c->cmd.v[i]);
	if (!args.n) {
		log_warn("image: no Entrypoint or Cmd; config.json runs \"sh\"");
		push(&args, "sh");
	}
	bool has_path = false, has_home = false;
	for (size_t i = 0; i < c->env.n; i++) {
		has_path |= !strncmp(c->env.v[i], "PATH=", 5);
		has_home |= !strncmp(c->env.v[i], "HOME=", 5);
		push(&env, c->env.v[i]);
	}
	if (!has_path)
		push(&env, DEFAULT_PATH);
	char *home = !has_home && u->home ? xasprintf("HOME=%s", u->home) : NULL;
	if (home)
		push(&env, home);

	char *ports = NULL;
	if (c->exposed_ports.n) {
		size_t plen = 0;
		for (size_t i = 0; i < c->exposed_ports.n; i++)
			plen += strlen(c->exposed_ports.v[i]) + 1;
		ports = xcalloc(1, plen);
		for (size_t i = 0; i < c->exposed_ports.n; i++) {
			if (i)
				strcat(ports, ",");
			strcat(ports, c->exposed_ports.v[i]);
		}
	}
	const char *conv[16];
	size_t nconv = 0;
#define CONV(k, v)                                                                                 \
	do {                                                                                       \
		if (v) {                                                                           \
			conv[nconv++] = "org.opencontainers.image." k;                             \
			conv[nconv++] = (v);                                                       \
		}                                                                                  \
	} while (0)
	CONV("os", c->os);
	CONV("architecture", c->arch);
	CONV("author", c->author);
	CONV("created", c->created);
	CONV("stopSignal", c->stop_signal);
	CONV("exposedPorts", ports);
	if (vm) {
		conv[nconv++] = "org.husk.vm";
		conv[nconv++] = "true";
	}
	for (size_t i = 0; i < c->labels.n; i++) {
		if (overridden(c->labels.v[i].key, conv, nconv))
			continue;
		push(&ann, c->labels.v[i].key);
		push(&ann, c->labels.v[i].value);
	}
	for (size_t i = 0; i < nconv; i++)
		push(&ann, conv[i]);

	char *cwd = NULL;
	if (c->workdir && *c->workdir)
		cwd = c->workdir[0] == '/' ? xstrdup(c->workdir) : xasprintf("/%s", c->workdir);
	struct oci_spec_template t = {
	    .args = args.v,
	    .env = env.v,
	    .cwd = cwd ? cwd : "/",
	    .uid = u->uid,
	    .gid = u->gid,
	    .additional_gids = u->gids,
	    .n_additional_gids = u->n_gids,
	    .terminal = false,
	    .root_readonly = false,
	    .annotations = ann.v,
	};
	int r = oci_spec_json_from_template(&t, out, len, err);
	free(args.v);
	free(env.v);
	free(ann.v);
	free(ports);
	free(cwd);
	free(home);
	return r;
}
