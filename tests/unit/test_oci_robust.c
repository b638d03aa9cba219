/* Hostile input: every prefix of valid documents, byte mutations, big and odd
 * numbers, deep nesting.  Each must fail (or succeed) cleanly: an error message
 * that names the source, no crash; leaks are caught by `make asan`/valgrind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/util.h"
#include "oci/default_spec.h"
#include "oci/spec.h"

#define FIXTURE "tests/fuzz/corpus/oci/config/full.json"

static char *read_fixture(size_t *len)
{
	struct husk_err *err = NULL;
	char *buf = NULL;
	if (read_file_at(AT_FDCWD, FIXTURE, &buf, len, &err) < 0)
		fail_msg("%s", err->msg);
	return buf;
}

/* Parse (buf, len) from an exact-size heap copy, so ASan sees any over-read. */
static int parse_exact(const char *buf, size_t len, struct husk_err **err)
{
	char *copy = xmalloc(len ? len : 1);
	memcpy(copy, buf, len);
	struct oci_config *cfg = NULL;
	int r = oci_config_parse(copy, len, "config.json", &cfg, err);
	if (r == 0)
		oci_config_free(cfg);
	else
		assert_null(cfg);
	free(copy);
	return r;
}

static void test_every_prefix_fails(void **state)
{
	size_t len;
	char *doc = read_fixture(&len);
	while (len && (doc[len - 1] == '\n' || doc[len - 1] == ' '))
		len--;
	struct husk_err *err = NULL;
	assert_int_equal(parse_exact(doc, len, &err), 0);
	for (size_t n = 0; n < len; n++) {
		if (parse_exact(doc, n, &err) == 0)
			fail_msg("prefix of %zu bytes was accepted", n);
		if (strncmp(err->msg, "config.json: invalid JSON: ", 27) != 0)
			fail_msg("prefix %zu: unexpected message %s", n, err->msg);
		husk_err_free(&err);
	}
	free(doc);
}

static void test_every_prefix_of_standalone_docs(void **state)
{
	const char *res =
	    "{\"memory\":{\"limit\":1,\"swap\":2},\"cpu\":{\"cpus\":\"0-1\"},"
	    "\"devices\":[{\"allow\":true,\"access\":\"rw\"}],\"unified\":{\"a\":\"b\"}}";
	const char *proc =
	    "{\"args\":[\"sh\",\"-c\",\"x\"],\"cwd\":\"/\",\"user\":{\"uid\":1,"
	    "\"gid\":2,\"additionalGids\":[3]},\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\","
	    "\"soft\":1,\"hard\":2}],\"env\":[\"A=b\"]}";
	struct husk_err *err = NULL;
	for (size_t n = 0; n <= strlen(res); n++) {
		struct oci_resources *r = NULL;
		char *copy = xmalloc(n + 1);
		memcpy(copy, res, n);
		int rc = oci_resources_parse(copy, n, "resources.json", &r, &err);
		assert_int_equal(rc == 0, n == strlen(res));
		oci_resources_free(r);
		husk_err_free(&err);
		free(copy);
	}
	for (size_t n = 0; n <= strlen(proc); n++) {
		struct oci_process *p = NULL;
		char *copy = xmalloc(n + 1);
		memcpy(copy, proc, n);
		int rc = oci_process_parse(copy, n, "process.json", &p, &err);
		assert_int_equal(rc == 0, n == strlen(proc));
		if (rc == 0) {
			assert_int_equal(p->user.n_additional_gids, 1);
			assert_int_equal(p->rlimits[0].hard, 2);
		}
		oci_process_free(p);
		husk_err_free(&err);
		free(copy);
	}
}

/* Deterministic byte mutations of the full fixture: flips, deletions, insertions
 * of JSON-significant bytes.  Everything must come back clean. */
static void test_mutations(void **state)
{
	size_t len;
	char *doc = read_fixture(&len);
	static const char tokens[] = "{}[]\":,-0123456789.eE\\nul tf\x80\xff";
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	char *buf = xmalloc(len + 8);
	size_t accepted = 0;
	for (int iter = 0; iter < 4000; iter++) {
		memcpy(buf, doc, len);
		size_t n = len;
		for (int k = 0; k < 1 + iter % 3; k++) {
			seed ^= seed << 13;
			seed ^= seed >> 7;
			seed ^= seed << 17;
			size_t pos = seed % n;
			char tok = tokens[(seed >> 32) % (sizeof(tokens) - 1)];
			switch ((seed >> 40) % 3) {
			case 0:
				buf[pos] = tok;
				break;
			case 1:
				memmove(buf + pos, buf + pos + 1, n - pos - 1);
				n--;
				break;
			default:
				memmove(buf + pos + 1, buf + pos, n - pos);
				buf[pos] = tok;
				n++;
				break;
			}
		}
		struct husk_err *err = NULL;
		if (parse_exact(buf, n, &err) == 0) {
			accepted++;
		} else {
			assert_non_null(err);
			assert_true(strncmp(err->msg, "config.json: ", 13) == 0);
			husk_err_free(&err);
		}
	}
	/* Some mutations land in string contents and stay valid. */
	assert_true(accepted > 0 && accepted < 4000);
	free(buf);
	free(doc);
}

static const char *res_value_error(const char *json)
{
	static char msg[512];
	struct husk_err *err = NULL;
	struct oci_resources *r = NULL;
	if (oci_resources_parse(json, strlen(json), "r", &r, &err) == 0) {
		oci_resources_free(r);
		return NULL;
	}
	snprintf(msg, sizeof(msg), "%s", err->msg);
	husk_err_free(&err);
	return msg;
}

static void test_integer_edges(void **state)
{
	struct husk_err *err = NULL;
	struct oci_resources *r = NULL;
	const char *ok =
	    "{\"memory\":{\"limit\":-1,\"swap\":9223372036854775807,"
	    "\"reservation\":-0},\"cpu\":{\"shares\":18446744073709551615,\"quota\":0},"
	    "\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":0}]}";
	assert_int_equal(oci_resources_parse(ok, strlen(ok), "r", &r, &err), 0);
	assert_true(r->memory.limit.v == -1);
	assert_true(r->memory.swap.v == INT64_MAX);
	assert_true(r->memory.reservation.set && r->memory.reservation.v == 0);
	assert_true(r->cpu.shares.v == UINT64_MAX);
	assert_true(r->cpu.quota.set && r->cpu.quota.v == 0);
	oci_resources_free(r);

	assert_string_equal(res_value_error("{\"cpu\":{\"shares\":18446744073709551616}}"),
			    "r: cpu.shares: 18446744073709551616 is out of range (maximum "
			    "18446744073709551615)");
	assert_string_equal(res_value_error("{\"cpu\":{\"shares\":-0}}"),
			    "r: cpu.shares: expected a non-negative integer, got -0");
	assert_string_equal(res_value_error("{\"cpu\":{\"quota\":1e400}}"),
			    "r: cpu.quota: expected an integer, got 1e400");
	assert_string_equal(res_value_error("{\"cpu\":{\"quota\":-1.0E+2}}"),
			    "r: cpu.quota: expected an integer, got -1.0E+2");
	assert_string_equal(res_value_error("{\"cpu\":{\"quota\":true}}"),
			    "r: cpu.quota: expected an integer, got true");
	assert_string_equal(res_value_error("{\"cpu\":{\"quota\":null,\"period\":[]}}"),
			    "r: cpu.period: expected a non-negative integer, got an array");
	assert_string_equal(res_value_error("{\"memory\":{\"swap\":-9223372036854775809}}"),
			    "r: memory.swap: -9223372036854775809 is out of range "
			    "(-1 to 9223372036854775807)");
	/* Only -1 means unlimited: another negative value is a typo, not "no limit". */
	assert_string_equal(res_value_error("{\"memory\":{\"limit\":-5}}"),
			    "r: memory.limit: -5 is out of range (-1 to 9223372036854775807)");
	assert_string_equal(res_value_error("{\"memory\":{\"limit\":-9223372036854775808}}"),
			    "r: memory.limit: -9223372036854775808 is out of range (-1 to "
			    "9223372036854775807)");
	/* A huge number is shown truncated, never copied whole into the message. */
	char big[2100] = "{\"cpu\":{\"shares\":";
	size_t at = strlen(big);
	memset(big + at, '9', 2000);
	strcpy(big + at + 2000, "}}");
	assert_string_equal(res_value_error(big),
			    "r: cpu.shares: 9999999999999999999999999999999999999999... is out of "
			    "range (maximum 18446744073709551615)");
}

/* Deep nesting is handled without recursion (in yajl and in husk's tree). */
static void test_deep_nesting(void **state)
{
	size_t depth = 200000;
	size_t len = depth * 2 + 64;
	char *buf = xmalloc(len);
	size_t n = 0;
	n += (size_t)sprintf(buf, "{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\"},\"x\":");
	memset(buf + n, '[', depth);
	n += depth;
	memset(buf + n, ']', depth);
	n += depth;
	buf[n++] = '}';
	struct husk_err *err = NULL;
	assert_int_equal(parse_exact(buf, n, &err), 0);
	/* The same depth where an object is expected is a type error, not a crash. */
	n = (size_t)sprintf(buf, "{\"ociVersion\":\"1.0.0\",\"root\":");
	memset(buf + n, '[', depth);
	n += depth;
	memset(buf + n, ']', depth);
	n += depth;
	buf[n++] = '}';
	assert_true(parse_exact(buf, n, &err) < 0);
	assert_string_equal(err->msg, "config.json: root: expected an object, got an array");
	husk_err_free(&err);
	free(buf);
}

/* A config of ~1 MiB (thousands of mounts and env entries) parses. */
static void test_large_document(void **state)
{
	size_t cap = 4 << 20, n = 0;
	char *buf = xmalloc(cap);
	n += (size_t)sprintf(buf + n, "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"r\"},"
				      "\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"user\":{"
				      "\"uid\":0,\"gid\":0},\"env\":[");
	for (int i = 0; i < 20000; i++)
		n += (size_t)sprintf(buf + n, "%s\"VAR%d=value%d\"", i ? "," : "", i, i);
	n += (size_t)sprintf(buf + n, "]},\"mounts\":[");
	for (int i = 0; i < 10000; i++)
		n += (size_t)sprintf(buf + n,
				     "%s{\"destination\":\"/m/%d\",\"type\":\"tmpfs\",\"options\":"
				     "[\"ro\",\"nosuid\"]}",
				     i ? "," : "", i);
	n += (size_t)sprintf(buf + n, "]}");
	assert_true(n < cap);
	struct husk_err *err = NULL;
	struct oci_config *cfg = NULL;
	assert_int_equal(oci_config_parse(buf, n, "config.json", &cfg, &err), 0);
	assert_int_equal(cfg->process.env.n, 20000);
	assert_string_equal(cfg->process.env.v[19999], "VAR19999=value19999");
	assert_int_equal(cfg->n_mounts, 10000);
	assert_string_equal(cfg->mounts[9999].destination, "/m/9999");
	oci_config_free(cfg);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_prefix_fails),
	    cmocka_unit_test(test_every_prefix_of_standalone_docs),
	    cmocka_unit_test(test_mutations),
	    cmocka_unit_test(test_integer_edges),
	    cmocka_unit_test(test_deep_nesting),
	    cmocka_unit_test(test_large_document),
	};
	return cmocka_run_group_tests_name("oci_robust", tests, NULL, NULL);
}
