/* The documents husk writes: state (runtime.md), features (features.md) and
 * the default spec (byte-for-byte what `runc spec` writes, hostname "husk"). */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include <cmocka.h>

#include "common/util.h"
#include "oci/default_spec.h"
#include "oci/features.h"
#include "oci/state.h"

static char *read_data(const char *name)
{
	char path[256];
	snprintf(path, sizeof(path), "tests/unit/data/oci/%s", name);
	struct husk_err *err = NULL;
	char *buf = NULL;
	if (read_file_at(AT_FDCWD, path, &buf, NULL, &err) < 0)
		fail_msg("%s", err->msg);
	return buf;
}

static char *replace(const char *s, const char *from, const char *to)
{
	const char *at = strstr(s, from);
	if (!at)
		return xstrdup(s);
	return xasprintf("%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
}

/* runc 1.1.5's `runc spec` output with ociVersion 1.2.0 and hostname husk. */
/* `husk spec` [--rootless]: the document, its length checked. */
static char *default_spec(bool rootless)
{
	char *json = NULL;
	size_t len = 0;
	struct husk_err *err = NULL;
	if (oci_default_spec_json(rootless, &json, &len, &err) < 0)
		fail_msg("%s", err->msg);
	assert_int_equal(len, strlen(json));
	return json;
}

static void test_default_spec_matches_runc(void **state)
{
	char *json = default_spec(false);
	char *want = read_data("runc-spec.json");
	assert_string_equal(json, want);
	free(json);
	free(want);
}

static void test_default_spec_rootless_matches_runc(void **state)
{
	char *json = default_spec(true);
	char *tpl = read_data("runc-spec-rootless.json");
	char uid[16], gid[16];
	snprintf(uid, sizeof(uid), "%u", (unsigned)geteuid());
	snprintf(gid, sizeof(gid), "%u", (unsigned)getegid());
	char *t1 = replace(tpl, "@UID@", uid);
	char *want = replace(t1, "@GID@", gid);
	assert_string_equal(json, want);
	free(json);
	free(tpl);
	free(t1);
	free(want);
}

static void test_state_compact(void **state)
{
	struct oci_kv kvs[] = {{"a", "1"}, {"b\"q", "x\ny"}};
	oci_kvv ann = {kvs, 2};
	struct oci_state st = {.oci_version = "1.2.0",
			       .id = "ctr-1",
			       .status = OCI_STATUS_RUNNING,
			       .pid = 4242,
			       .bundle = "/run/b",
			       .annotations = &ann};
	char *out = NULL;
	size_t len = 0;
	struct husk_err *err = NULL;
	assert_int_equal(oci_state_to_json(&st, NULL, &out, &len, &err), 0);
	assert_string_equal(out,
			    "{\"ociVersion\":\"1.2.0\",\"id\":\"ctr-1\",\"status\":\"running\","
			    "\"pid\":4242,\"bundle\":\"/run/b\",\"annotations\":{\"a\":\"1\","
			    "\"b\\\"q\":\"x\\ny\"}}");
	assert_int_equal(len, strlen(out));
	free(out);
}

static void test_state_stopped_pretty(void **state)
{
	struct oci_state st = {.id = "c", .status = OCI_STATUS_STOPPED, .bundle = "/b"};
	char *out = NULL;
	struct husk_err *err = NULL;
	assert_int_equal(oci_state_to_json(&st, "\t", &out, NULL, &err), 0);
	/* pid 0 is omitted; no annotations key; the version defaults to the spec's. */
	assert_string_equal(out, "{\n\t\"ociVersion\": \"1.2.0\",\n\t\"id\": \"c\",\n\t\"status\": "
				 "\"stopped\",\n\t\"bundle\": \"/b\"\n}");
	free(out);
}

static void test_state_invalid_utf8(void **state)
{
	struct oci_state st = {.id = "bad\xff", .status = OCI_STATUS_CREATED, .bundle = "/b"};
	char *out = NULL;
	struct husk_err *err = NULL;
	assert_true(oci_state_to_json(&st, NULL, &out, NULL, &err) < 0);
	assert_null(out);
	assert_string_equal(err->msg, "state: cannot encode JSON (invalid UTF-8 in a string?)");
	husk_err_free(&err);
}

static void test_status_names(void **state)
{
	assert_string_equal(oci_status_name(OCI_STATUS_CREATING), "creating");
	assert_string_equal(oci_status_name(OCI_STATUS_CREATED), "created");
	assert_string_equal(oci_status_name(OCI_STATUS_RUNNING), "running");
	assert_string_equal(oci_status_name(OCI_STATUS_STOPPED), "stopped");
	assert_string_equal(oci_status_name(OCI_STATUS_PAUSED), "paused");
	assert_string_equal(oci_status_name((enum oci_status)99), "unknown");
}

static const char *tree_str(yajl_val root, const char **path)
{
	yajl_val v = yajl_tree_get(root, path, yajl_t_string);
	return v ? YAJL_GET_STRING(v) : NULL;
}

static size_t tree_len(yajl_val root, const char **path)
{
	yajl_val v = yajl_tree_get(root, path, yajl_t_array);
	return v ? YAJL_GET_ARRAY(v)->len : (size_t)-1;
}

static void test_features(void **state)
{
	struct oci_features f;
	oci_features_init(&f);
	f.linux_.cgroup.present = true;
	f.linux_.cgroup.v1 = (oci_opt_bool){true, true};
	f.linux_.cgroup.v2 = (oci_opt_bool){true, true};
	f.linux_.cgroup.systemd = (oci_opt_bool){true, false};
	f.linux_.seccomp.present = true;
	f.linux_.seccomp.enabled = (oci_opt_bool){true, true};
	static const char *const supported[] = {"SECCOMP_FILTER_FLAG_LOG", NULL};
	f.linux_.seccomp.supported_flags = supported;
	f.linux_.apparmor.present = true;
	f.linux_.apparmor.enabled = (oci_opt_bool){true, false};
	f.linux_.mount_extensions.present = true;
	f.linux_.mount_extensions.idmap.present = true;
	f.linux_.mount_extensions.idmap.enabled = (oci_opt_bool){true, true};
	struct oci_kv kvs[] = {{"org.husk.version", "0.1.0"}};
	oci_kvv ann = {kvs, 1};
	f.annotations = &ann;

	char *out = NULL;
	size_t len = 0;
	struct husk_err *err = NULL;
	assert_int_equal(oci_features_to_json(&f, &out, &len, &err), 0);
	char ebuf[256];
	yajl_val root = yajl_tree_parse(out, ebuf, sizeof(ebuf));
	assert_non_null(root);
	const char *p_min[] = {"ociVersionMin", NULL}, *p_max[] = {"ociVersionMax", NULL};
	assert_string_equal(tree_str(root, p_min), "1.0.0");
	assert_string_equal(tree_str(root, p_max), "1.2.0");
	const char *p_hooks[] = {"hooks", NULL};
	assert_int_equal(tree_len(root, p_hooks), 6);
	const char *p_mo[] = {"mountOptions", NULL};
	assert_true(tree_len(root, p_mo) > 50);
	const char *p_ns[] = {"linux", "namespaces", NULL};
	assert_int_equal(tree_len(root, p_ns), 8);
	const char *p_caps[] = {"linux", "capabilities", NULL};
	assert_int_equal(tree_len(root, p_caps), 41);
	const char *p_v1[] = {"linux", "cgroup", "v1", NULL};
	assert_true(YAJL_IS_TRUE(yajl_tree_get(root, p_v1, yajl_t_any)));
	const char *p_sd[] = {"linux", "cgroup", "systemd", NULL};
	assert_true(YAJL_IS_FALSE(yajl_tree_get(root, p_sd, yajl_t_any)));
	const char *p_rdma[] = {"linux", "cgroup", "rdma", NULL};
	assert_null(yajl_tree_get(root, p_rdma, yajl_t_any)); /* unset: omitted */
	const char *p_sup[] = {"linux", "seccomp", "supportedFlags", NULL};
	assert_int_equal(tree_len(root, p_sup), 1);
	const char *p_act[] = {"linux", "seccomp", "actions", NULL};
	assert_int_equal(tree_len(root, p_act), 9);
	const char *p_aa[] = {"linux", "apparmor", "enabled", NULL};
	assert_true(YAJL_IS_FALSE(yajl_tree_get(root, p_aa, yajl_t_any)));
	const char *p_se[] = {"linux", "selinux", NULL};
	assert_null(yajl_tree_get(root, p_se, yajl_t_any)); /* not present */
	const char *p_idmap[] = {"linux", "mountExtensions", "idmap", "enabled", NULL};
	assert_true(YAJL_IS_TRUE(yajl_tree_get(root, p_idmap, yajl_t_any)));
	const char *p_ann[] = {"annotations", "org.husk.version", NULL};
	assert_string_equal(tree_str(root, p_ann), "0.1.0");
	yajl_tree_free(root);
	/* Pretty, tab-indented like runc, with a final newline. */
	assert_memory_equal(out, "{\n\t\"ociVersionMin\": \"1.0.0\",\n", 29);
	assert_int_equal(out[len - 1], '\n');
	free(out);
}

static void test_features_minimal(void **state)
{
	struct oci_features f;
	memset(&f, 0, sizeof(f));
	char *out = NULL;
	struct husk_err *err = NULL;
	assert_int_equal(oci_features_to_json(&f, &out, NULL, &err), 0);
	assert_string_equal(out, "{\n\t\"ociVersionMin\": \"1.0.0\",\n\t\"ociVersionMax\": "
				 "\"1.2.0\"\n}\n");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_default_spec_matches_runc),
	    cmocka_unit_test(test_default_spec_rootless_matches_runc),
	    cmocka_unit_test(test_state_compact),
	    cmocka_unit_test(test_state_stopped_pretty),
	    cmocka_unit_test(test_state_invalid_utf8),
	    cmocka_unit_test(test_status_names),
	    cmocka_unit_test(test_features),
	    cmocka_unit_test(test_features_minimal),
	};
	return cmocka_run_group_tests_name("oci_writers", tests, NULL, NULL);
}
