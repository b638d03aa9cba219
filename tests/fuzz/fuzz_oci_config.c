/* libFuzzer target: config.json parsing (oci_config_parse).
 * Beyond "no crash, no leak", it checks the invariants the rest of husk relies
 * on for any accepted document. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oci/spec.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

static void check_strv(const oci_strv *v)
{
	CHECK(v->v == NULL ? v->n == 0 : v->v[v->n] == NULL);
	for (size_t i = 0; i < v->n; i++)
		CHECK(v->v[i] != NULL);
}

static void check_config(const struct oci_config *cfg)
{
	CHECK(cfg->oci_version && cfg->oci_version[0]);
	CHECK(cfg->root.path && cfg->root.path[0]);
	for (size_t i = 0; i < cfg->n_mounts; i++) {
		CHECK(cfg->mounts[i].destination[0] == '/');
		check_strv(&cfg->mounts[i].options);
	}
	if (cfg->process.present) {
		CHECK(cfg->process.args.n > 0);
		check_strv(&cfg->process.args);
		check_strv(&cfg->process.env);
		CHECK(cfg->process.cwd[0] == '/');
		for (size_t i = 0; i < cfg->process.n_rlimits; i++)
			CHECK(cfg->process.rlimits[i].resource >= 0 &&
			      cfg->process.rlimits[i].soft <= cfg->process.rlimits[i].hard);
	}
	unsigned seen = 0;
	for (size_t i = 0; i < cfg->linux_.n_namespaces; i++) {
		enum oci_ns_type t = cfg->linux_.namespaces[i].type;
		CHECK((unsigned)t < OCI_NS_COUNT && !(seen & (1u << t)));
		seen |= 1u << t;
		CHECK(oci_config_find_ns(cfg, t) == &cfg->linux_.namespaces[i]);
		CHECK(oci_ns_type_from_name(oci_ns_type_name(t)) == (int)t);
	}
	for (size_t i = 0; i < cfg->annotations.n; i++)
		CHECK(oci_config_annotation(cfg, cfg->annotations.v[i].key) != NULL);
	const struct oci_hook_list *lists[] = {
	    &cfg->hooks.prestart,	 &cfg->hooks.create_runtime, &cfg->hooks.create_container,
	    &cfg->hooks.start_container, &cfg->hooks.poststart,	     &cfg->hooks.poststop};
	for (size_t l = 0; l < 6; l++)
		for (size_t i = 0; i < lists[l]->n; i++) {
			CHECK(lists[l]->v[i].path[0] == '/');
			CHECK(!lists[l]->v[i].timeout.set || lists[l]->v[i].timeout.v > 0);
		}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct husk_err *err = NULL;
	struct oci_config *cfg = NULL;
	if (oci_config_parse((const char *)data, size, "config.json", &cfg, &err) == 0) {
		CHECK(err == NULL);
		check_config(cfg);
		oci_config_free(cfg);
	} else {
		CHECK(cfg == NULL && err && strncmp(err->msg, "config.json: ", 13) == 0);
		husk_err_free(&err);
	}
	return 0;
}
