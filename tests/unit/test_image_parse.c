/* oci/image pieces without a whole image: IMAGE transport syntax, digests,
 * the documents' field-path errors, User resolution against a rootfs, the
 * path set of opaque whiteouts. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/util.h"
#include "oci/image/image.h"
#include "oci/image/internal.h"

/* With WANT_ERR, the call failed with an error that contains it: true (the
 * case is done).  Without, it succeeded: false (the caller checks the rest). */
static bool failed_as_expected(int rc, struct husk_err **err, const char *want_err)
{
	if (!want_err) {
		if (rc < 0)
			fail_msg("%s", (*err)->msg);
		return false;
	}
	assert_true(rc < 0);
	assert_non_null(strstr((*err)->msg, want_err));
	husk_err_free(err);
	return true;
}

static void test_transports(void **state)
{
	static const struct {
		const char *in;
		int transport; /* -1: error */
		const char *path, *tag;
	} cases[] = {
	    {"oci:/srv/layout", IMG_OCI, "/srv/layout", NULL},
	    {"oci:dir:v1.2", IMG_OCI, "dir", "v1.2"},
	    {"oci-archive:/tmp/x.tar:latest", IMG_OCI_ARCHIVE, "/tmp/x.tar", "latest"},
	    {"docker-archive:/tmp/d.tar", IMG_DOCKER_ARCHIVE, "/tmp/d.tar", NULL},
	    {"docker-archive:/tmp/d.tar:busybox:latest", IMG_DOCKER_ARCHIVE, "/tmp/d.tar",
	     "busybox:latest"},
	    {"docker-archive:d.tar:@1", IMG_DOCKER_ARCHIVE, "d.tar", "@1"},
	    {"docker://busybox", -1, NULL, NULL},
	    {"oci:", -1, NULL, NULL},
	    {"oci:dir:", -1, NULL, NULL},
	    {"/just/a/path", -1, NULL, NULL},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct img_ref r;
		struct husk_err *err = NULL;
		int rc = img_ref_parse(cases[i].in, &r, &err);
		if (failed_as_expected(rc, &err, cases[i].transport < 0 ? cases[i].in : NULL))
			continue;
		assert_int_equal(r.transport, cases[i].transport);
		assert_string_equal(r.path, cases[i].path);
		if (cases[i].tag)
			assert_string_equal(r.tag, cases[i].tag);
		else
			assert_null(r.tag);
		img_ref_clear(&r);
	}
}

static void test_digests(void **state)
{
	struct img_digest d;
	char z64[65], z128[129], text[IMG_DIGEST_TEXT], buf[160];
	memset(z64, 'a', 64), z64[64] = 0;
	memset(z128, '0', 128), z128[128] = 0;
	snprintf(buf, sizeof(buf), "sha256:%s", z64);
	assert_true(img_digest_parse(buf, &d));
	assert_string_equal(img_digest_text(&d, text), buf);
	snprintf(buf, sizeof(buf), "sha512:%s", z128);
	assert_true(img_digest_parse(buf, &d));
	assert_int_equal(d.alg, IMG_SHA512);
	snprintf(buf, sizeof(buf), "sha256:%.63s", z64);
	assert_false(img_digest_parse(buf, &d)); /* short */
	snprintf(buf, sizeof(buf), "sha256:%.63sA", z64);
	assert_false(img_digest_parse(buf, &d)); /* uppercase */
	snprintf(buf, sizeof(buf), "md5:%s", z64);
	assert_false(img_digest_parse(buf, &d));
	snprintf(buf, sizeof(buf), "sha256:%s/../x", z64);
	assert_false(img_digest_parse(buf, &d));

	/* Known answers: sha256("abc"), sha512("") */
	struct img_hash h;
	img_hash_init(&h, IMG_SHA256);
	img_hash_update(&h, "a", 1);
	img_hash_update(&h, "bc", 2);
	img_hash_final(&h, &d);
	assert_string_equal(d.hex,
			    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	img_hash_init(&h, IMG_SHA512);
	img_hash_final(&h, &d);
	assert_string_equal(d.hex,
			    "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
			    "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e");
	/* More than one block, through the lazily picked compression function. */
	char *mb = xmalloc(1 << 20);
	memset(mb, 'x', 1 << 20);
	img_hash_init(&h, IMG_SHA256);
	img_hash_update(&h, mb, 1 << 20);
	img_hash_final(&h, &d);
	free(mb);
	assert_string_equal(d.hex,
			    "8f990ba0b577b51cf009ea049368c16bbda1b21e1b93be07a824758bb253c39b");
}

#define DIG "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static void expect_error(int rc, struct husk_err **err, const char *msg)
{
	assert_true(rc < 0);
	if (strcmp((*err)->msg, msg) != 0)
		fail_msg("got  %s\nwant %s", (*err)->msg, msg);
	husk_err_free(err);
}

static void test_document_errors(void **state)
{
	struct husk_err *err = NULL;
	struct img_manifest m;
	const char *bad_layer_type =
	    "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"c\",\"digest\":\"" DIG
	    "\",\"size\":1},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\","
	    "\"digest\":\"" DIG "\",\"size\":1},{\"mediaType\":\"text/plain\",\"digest\":\"" DIG
	    "\",\"size\":1}]}";
	expect_error(
	    img_manifest_parse(bad_layer_type, strlen(bad_layer_type), "manifest X", &m, &err),
	    &err, "manifest X: layers[1].mediaType: unsupported layer type \"text/plain\"");
	const char *neg_size =
	    "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"c\",\"digest\":\"" DIG
	    "\",\"size\":-1}}";
	img_manifest_parse(neg_size, strlen(neg_size), "m", &m, &err);
	assert_non_null(strstr(err->msg, "m: config.size:"));
	husk_err_free(&err);
	const char *schema = "{\"schemaVersion\":1,\"manifests\":[]}";
	struct img_index x;
	expect_error(img_index_parse(schema, strlen(schema), "index.json", &x, &err), &err,
		     "index.json: schemaVersion: must be 2, got 1");
	const char *cfg = "{\"config\":{\"Env\":\"PATH=/bin\"}}";
	struct img_config c;
	assert_true(img_config_parse(cfg, strlen(cfg), "config Y", &c, &err) < 0);
	assert_non_null(strstr(err->msg, "config Y: config.Env: expected an array"));
	husk_err_free(&err);
	const char *diff = "{\"rootfs\":{\"diff_ids\":[\"sha256:00\"]}}";
	expect_error(img_config_parse(diff, strlen(diff), "cfg", &c, &err), &err,
		     "cfg: rootfs.diff_ids[0]: \"sha256:00\" is not a sha256 or sha512 digest");
	struct img_docker_manifest dm;
	const char *docker = "[{\"Config\":\"\",\"Layers\":[]}]";
	img_docker_manifest_parse(docker, strlen(docker), "manifest.json", &dm, &err);
	assert_non_null(strstr(err->msg, "manifest.json: [0].Config:"));
	husk_err_free(&err);
	/* null means absent (Go writes "Entrypoint": null) */
	const char *nulls = "{\"config\":{\"Entrypoint\":null,\"Cmd\":[\"sh\"],\"Labels\":null}}";
	assert_int_equal(img_config_parse(nulls, strlen(nulls), "c", &c, &err), 0);
	assert_int_equal(c.entrypoint.n, 0);
	assert_string_equal(c.cmd.v[0], "sh");
	img_config_clear(&c);
}

static void put(int dir, const char *name, const char *text)
{
	int fd = openat(dir, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void test_users(void **state)
{
	char tmpl[] = "/tmp/husk-unit-image.XXXXXX";
	assert_non_null(mkdtemp(tmpl));
	int root = open(tmpl, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_int_equal(mkdirat(root, "etc", 0755), 0);
	assert_int_equal(mkdirat(root, "real", 0755), 0);
	int etc = openat(root, "etc", O_PATH | O_DIRECTORY);
	int real = openat(root, "real", O_PATH | O_DIRECTORY);
	/* An absolute symlink resolves inside the rootfs, not on the host. */
	put(real, "passwd",
	    "# comment\n\nroot:x:0:0:root:/root:/bin/sh\nweb:x:33:33::/var/www:/bin/false\n"
	    "bad:x:notanumber:1::/:/bin/sh\n");
	assert_int_equal(symlinkat("/real/passwd", etc, "passwd"), 0);
	put(etc, "group", "root:x:0:\nweb:x:33:\nwheel:x:10:root,web\nlog:x:4:web\n");
	static const struct {
		const char *spec;
		uint32_t uid, gid;
		const char *gids, *home; /* "10,4" */
		const char *error;
	} cases[] = {
	    {"", 0, 0, "10", "/root", NULL},
	    {"web", 33, 33, "10,4", "/var/www", NULL},
	    {"33", 33, 33, "10,4", "/var/www", NULL},
	    {"web:wheel", 33, 10, "", "/var/www", NULL},
	    {"web:7", 33, 7, "", "/var/www", NULL},
	    {"1234", 1234, 0, "", NULL, NULL},
	    {"1234:log", 1234, 4, "", NULL, NULL},
	    {"bad", 0, 0, "", NULL, "no such user"},
	    {"nobody", 0, 0, "", NULL, "no such user"},
	    {"web:nogroup", 0, 0, "", NULL, "no such group \"nogroup\""},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct img_user u;
		struct husk_err *err = NULL;
		int rc = img_user_resolve(root, cases[i].spec, &u, &err);
		if (failed_as_expected(rc, &err, cases[i].error))
			continue;
		assert_int_equal(u.uid, cases[i].uid);
		assert_int_equal(u.gid, cases[i].gid);
		char gids[64] = "";
		for (size_t j = 0; j < u.n_gids; j++)
			snprintf(gids + strlen(gids), sizeof(gids) - strlen(gids), "%s%u",
				 j ? "," : "", u.gids[j]);
		assert_string_equal(gids, cases[i].gids);
		if (cases[i].home)
			assert_string_equal(u.home, cases[i].home);
		else
			assert_null(u.home);
		img_user_clear(&u);
	}
	close(etc);
	close(real);
	close(root);
	struct husk_err *err = NULL;
	assert_int_equal(image_remove_tree_at(AT_FDCWD, tmpl, &err), 0);
	assert_int_equal(access(tmpl, F_OK), -1);
}

static void test_pathset(void **state)
{
	struct img_pathset *s = img_pathset_new();
	char p[32];
	for (int i = 0; i < 5000; i++) {
		snprintf(p, sizeof(p), "d/%d", i);
		img_pathset_add(s, p);
	}
	img_pathset_add(s, "d/7");
	for (int i = 0; i < 5000; i++) {
		snprintf(p, sizeof(p), "d/%d", i);
		assert_true(img_pathset_has(s, p));
	}
	assert_false(img_pathset_has(s, "d/5000"));
	assert_false(img_pathset_has(s, "d"));
	img_pathset_reset(s);
	assert_false(img_pathset_has(s, "d/7"));
	img_pathset_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_transports),	    cmocka_unit_test(test_digests),
	    cmocka_unit_test(test_document_errors), cmocka_unit_test(test_users),
	    cmocka_unit_test(test_pathset),
	};
	return cmocka_run_group_tests_name("image_parse", tests, NULL, NULL);
}
