/* open_in_root_raw and friends: ".." and symlinks (absolute, relative,
 * dangling, looping) never leave the root; procfs magic links are refused.
 * Every case runs twice: with openat2, and with the O_PATH walk fallback. */
#include "tests/unit/helpers/unit_main.h"
#include <linux/openat2.h>

#include "tests/unit/helpers/rootfs_fixture.h"

#include "common/cleanup.h"
#include "rootfs/internal.h"

struct rs {
	char dir[128];
	char root[160];
	char host[160]; /* a host directory outside the root, named like a root path */
	int root_fd;
};

static void mk(const char *base, const char *rel, bool dir)
{
	char *p = xasprintf("%s/%s", base, rel);
	if (dir)
		assert_int_equal(mkdir(p, 0755), 0);
	else
		fx_write(p, rel);
	free(p);
}

static void ln(const char *base, const char *rel, const char *target)
{
	char *p = xasprintf("%s/%s", base, rel);
	assert_int_equal(symlink(target, p), 0);
	free(p);
}

static int setup(void **state, bool walk)
{
	struct rs *r = xcalloc(1, sizeof(*r));
	snprintf(r->dir, sizeof(r->dir), "/tmp/husk-rootfs-resolve.XXXXXX");
	assert_non_null(mkdtemp(r->dir));
	snprintf(r->root, sizeof(r->root), "%s/root", r->dir);
	snprintf(r->host, sizeof(r->host), "%s/hostside", r->dir);
	assert_int_equal(mkdir(r->root, 0755), 0);
	assert_int_equal(mkdir(r->host, 0755), 0);
	mk(r->host, "secret", false);
	mk(r->root, "a", true);
	mk(r->root, "a/b", true);
	mk(r->root, "a/b/file", false);
	mk(r->root, "etc", true);
	mk(r->root, "etc/passwd", false);
	ln(r->root, "abs", "/a/b");
	ln(r->root, "up", "../../../../../a");
	ln(r->root, "a/rel", "b/file");
	ln(r->root, "etc_host", "/etc");
	ln(r->root, "procroot", "/proc/self/root");
	ln(r->root, "loop1", "loop2");
	ln(r->root, "loop2", "loop1");
	/* the host dir by its absolute host path: must resolve inside the root */
	ln(r->root, "tohost", r->host);
	ln(r->root, "dangling", "/made/by/symlink");
	ln(r->root, "dangling_up", "../../../../escape");
	r->root_fd = open(r->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(r->root_fd >= 0);
	rootfs_force_walk = walk;
	*state = r;
	return 0;
}

static int setup_openat2(void **state)
{
	return setup(state, false);
}
static int setup_walk(void **state)
{
	return setup(state, true);
}

static int teardown(void **state)
{
	struct rs *r = *state;
	close(r->root_fd);
	char *cmd = xasprintf("rm -rf '%s'", r->dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(r);
	rootfs_force_walk = false;
	return 0;
}

/* open path in root and say which file it is (relative to r->dir), or -errno */
static int same_file(int fd, const char *path)
{
	struct stat a, b;
	if (fstat(fd, &a) < 0 || stat(path, &b) < 0)
		return 0;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static void expect_file(struct rs *r, const char *path, const char *inside)
{
	int fd = open_in_root_raw(r->root_fd, path, O_PATH, 0);
	if (fd < 0)
		fail_msg("%s: %s", path, strerror(-fd));
	char *want = xasprintf("%s/%s", r->root, inside);
	if (!same_file(fd, want))
		fail_msg("%s did not resolve to %s", path, want);
	free(want);
	close(fd);
}

static void expect_errno(struct rs *r, const char *path, int flags, int want)
{
	int fd = open_in_root_raw(r->root_fd, path, flags, 0);
	if (fd >= 0)
		fail_msg("%s resolved, expected %s", path, strerror(want));
	if (-fd != want)
		fail_msg("%s: got %s, expected %s", path, strerror(-fd), strerror(want));
}

static void test_plain_and_dotdot(void **state)
{
	struct rs *r = *state;
	expect_file(r, "/a/b/file", "a/b/file");
	expect_file(r, "a/b/file", "a/b/file");
	expect_file(r, "/../../../a/b/file", "a/b/file");
	expect_file(r, "/a/b/../../../../../etc/passwd", "etc/passwd");
	expect_file(r, "/", ".");
	expect_file(r, "", ".");
}

static void test_symlinks_stay_inside(void **state)
{
	struct rs *r = *state;
	expect_file(r, "/abs/file", "a/b/file");
	expect_file(r, "/up/b/file", "a/b/file");
	expect_file(r, "/a/rel", "a/b/file");
	/* /etc in the root, not the host's */
	expect_file(r, "/etc_host/passwd", "etc/passwd");
	/* a link to the host dir's absolute path names a (missing) dir in the root */
	expect_errno(r, "/tohost/secret", O_PATH, ENOENT);
	/* /proc/self/root is looked up inside the root: there is no proc there */
	expect_errno(r, "/procroot/etc", O_PATH, ENOENT);
	expect_errno(r, "/loop1", O_PATH, ELOOP);
	expect_errno(r, "/a/b/file/x", O_PATH, ENOTDIR);
}

static void test_nofollow_last(void **state)
{
	struct rs *r = *state;
	int fd = open_in_root_raw(r->root_fd, "/abs", O_PATH | O_NOFOLLOW, 0);
	assert_true(fd >= 0);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	close(fd);
	/* non-O_PATH open of a final symlink with O_NOFOLLOW fails */
	expect_errno(r, "/a/rel", O_RDONLY | O_NOFOLLOW, ELOOP);
	/* and a real read open follows it (a stray mode is ignored, as openat does) */
	fd = open_in_root_raw(r->root_fd, "/a/rel", O_RDONLY, 0644);
	assert_true(fd >= 0);
	char buf[16] = "";
	assert_true(read(fd, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "a/b/file");
	close(fd);
}

static void test_magic_links_refused(void **state)
{
	(void)state;
	/* With the host's / as the root, /proc/self/root and /proc/self/fd/N are
	 * magic links: refused, whichever resolver. */
	int host = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(host >= 0);
	int fd = open_in_root_raw(host, "/proc/self/root/etc", O_PATH, 0);
	assert_int_equal(fd, -ELOOP);
	char *p = xasprintf("/proc/self/fd/%d", host);
	fd = open_in_root_raw(host, p, O_PATH, 0);
	assert_int_equal(fd, -ELOOP);
	free(p);
	/* /proc/self itself is an ordinary symlink */
	fd = open_in_root_raw(host, "/proc/self/status", O_RDONLY, 0);
	assert_true(fd >= 0);
	close(fd);
	close(host);
}

static void test_create_missing(void **state)
{
	struct rs *r = *state;
	int fd = open_or_create_in_root(r->root_fd, "/x/y/z", TARGET_DIR, 0755);
	assert_true(fd >= 0);
	close(fd);
	expect_file(r, "/x/y/z", "x/y/z");
	fd = open_or_create_in_root(r->root_fd, "/x/y/file", TARGET_FILE, 0600);
	assert_true(fd >= 0);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	close(fd);
	/* existing */
	fd = open_or_create_in_root(r->root_fd, "/a/b", TARGET_DIR, 0755);
	assert_true(fd >= 0);
	close(fd);
}

static void test_create_through_dangling_symlinks(void **state)
{
	struct rs *r = *state;
	int fd = open_or_create_in_root(r->root_fd, "/dangling/sub", TARGET_DIR, 0755);
	assert_true(fd >= 0);
	close(fd);
	expect_file(r, "/made/by/symlink/sub", "made/by/symlink/sub");
	fd = open_or_create_in_root(r->root_fd, "/dangling_up", TARGET_FILE, 0644);
	assert_true(fd >= 0);
	close(fd);
	expect_file(r, "/escape", "escape");
	/* nothing was created next to the root */
	char *p = xasprintf("%s/escape", r->dir);
	assert_int_equal(access(p, F_OK), -1);
	free(p);
	/* the host-named dir is created inside the root, the host one untouched */
	fd = open_or_create_in_root(r->root_fd, "/tohost/new", TARGET_DIR, 0755);
	assert_true(fd >= 0);
	close(fd);
	p = xasprintf("%s/new", r->host);
	assert_int_equal(access(p, F_OK), -1);
	free(p);
	p = xasprintf("%s%s/new", r->root, r->host);
	assert_int_equal(access(p, F_OK), 0);
	free(p);
}

static void test_clean_path(void **state)
{
	(void)state;
	static const char *const cases[][2] = {
	    {"/", "/"},		 {"", "/"},
	    {"a/b", "/a/b"},	 {"/a//b/", "/a/b"},
	    {"/a/./b", "/a/b"},	 {"/a/../b", "/b"},
	    {"/../../x", "/x"},	 {"/a/b/..", "/a"},
	    {"/a/b/../..", "/"}, {"//dev///pts", "/dev/pts"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *c = clean_path(cases[i][0]);
		if (strcmp(c, cases[i][1]) != 0)
			fail_msg("clean_path(\"%s\") = \"%s\", want \"%s\"", cases[i][0], c,
				 cases[i][1]);
		free(c);
	}
}

#define BOTH(t)                                                                                    \
	cmocka_unit_test_setup_teardown(t, setup_openat2, teardown),                               \
	    cmocka_unit_test_setup_teardown(t, setup_walk, teardown)

UNIT_MAIN(NULL, NULL, BOTH(test_plain_and_dotdot), BOTH(test_symlinks_stay_inside),
	  BOTH(test_nofollow_last), BOTH(test_magic_links_refused), BOTH(test_create_missing),
	  BOTH(test_create_through_dangling_symlinks), cmocka_unit_test(test_clean_path))
