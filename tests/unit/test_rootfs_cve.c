/* Hostile rootfs contents, the CVE classes runc and crun have had:
 *   - mount destinations that are symlinks to host paths (CVE-2021-30465 class),
 *   - a /dev/null that is not the null device when masking (CVE-2025-31133),
 *   - a /dev/console that is a symlink, or a console fd that is not a pty
 *     (CVE-2025-52565),
 *   - readonly/masked paths that are symlinks pointing at the host.
 * Each runs the real rootfs code in a child with its own mount namespace, then
 * checks from the host side that nothing outside the rootfs was touched. */
#include <pty.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>

#include "tests/unit/helpers/rootfs_fixture.h"

#ifndef STATX_ATTR_MOUNT_ROOT
#define STATX_ATTR_MOUNT_ROOT 0x00002000
#endif

static bool is_mount_point(const char *path)
{
	struct statx stx;
	if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx) < 0)
		return false;
	return (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
}

static char *host_path(struct fixture *fx, const char *rel)
{
	return xasprintf("%s/%s", fx->dir, rel);
}

static void rootfs_symlink(struct fixture *fx, const char *link, const char *target)
{
	char *p = xasprintf("%s%s", fx->rootfs, link);
	assert_int_equal(symlink(target, p), 0);
	free(p);
}

static void empty_dir_or_fail(const char *path)
{
	char *cmd = xasprintf("test -z \"$(ls -A '%s')\"", path);
	if (system(cmd) != 0)
		fail_msg("%s was written to", path);
	free(cmd);
}

/* ---- mount destinations through symlinks ------------------------------------ */

static void check_symlinked_dests(struct fixture *fx, void *arg)
{
	(void)arg;
	char *hostdir = host_path(fx, "hostdir");
	char *hostfile = host_path(fx, "hostfile");
	MUST(rootfs_prepare(&fx->cfg, &fx->opts, &_e));
	/* still in the host's view: the host paths did not get a mount */
	CHECK(!is_mount_point(hostdir), "tmpfs landed on the host dir %s", hostdir);
	CHECK(!is_mount_point(hostfile), "bind landed on the host file %s", hostfile);
	/* they landed on the same paths inside the rootfs */
	char *inside = xasprintf("%s%s", fx->rootfs, hostdir);
	CHECK(is_mount_point(inside), "tmpfs not at %s", inside);
	free(inside);
	inside = xasprintf("%s%s", fx->rootfs, hostfile);
	CHECK(is_mount_point(inside), "bind not at %s", inside);
	free(inside);
	inside = xasprintf("%s/escape", fx->rootfs);
	CHECK(is_mount_point(inside), "relative escape not kept inside: %s", inside);
	free(inside);
	MUST(rootfs_finalize(&fx->cfg, &fx->opts, &_e));
	/* and the container sees them through its own symlinks */
	int fd = open("/evil/new", O_WRONLY | O_CREAT, 0644);
	CHECK(fd >= 0, "write through /evil: %s", strerror(errno));
	close(fd);
	struct mnt_info mi;
	CHECK(find_mount(hostdir, &mi) && strcmp(mi.type, "tmpfs") == 0, "no tmpfs at %s", hostdir);
}

static void test_destination_symlink_to_host(void **state)
{
	(void)state;
	struct fixture *fx = fx_new();
	char *hostdir = host_path(fx, "hostdir");
	char *hostfile = host_path(fx, "hostfile");
	char *src = host_path(fx, "srcfile");
	assert_int_equal(mkdir(hostdir, 0755), 0);
	fx_write(hostfile, "host content");
	fx_write(src, "container content");
	rootfs_symlink(fx, "/evil", hostdir);
	rootfs_symlink(fx, "/evilfile", hostfile);
	/* relative: climbs far above the rootfs */
	rootfs_symlink(fx, "/evilrel", "../../../../../../../../escape");
	fx_mount(fx, "/proc", "proc", "proc", NULL);
	fx_mount(fx, "/evil", "tmpfs", "tmpfs", NULL);
	fx_mount(fx, "/evilfile", "bind", src, "bind");
	fx_mount(fx, "/evilrel", "tmpfs", "tmpfs", NULL);
	fx_run(fx, 0, check_symlinked_dests, NULL);

	/* host side afterwards: untouched */
	empty_dir_or_fail(hostdir);
	assert_false(is_mount_point(hostdir));
	char *s = NULL;
	struct husk_err *e = NULL;
	assert_int_equal(read_file_at(AT_FDCWD, hostfile, &s, NULL, &e), 0);
	assert_string_equal(s, "host content");
	free(s);
	assert_int_equal(access("/escape", F_OK), -1);
	free(hostdir);
	free(hostfile);
	free(src);
	fx_free(fx);
}

/* ---- /dev/null replaced before masking --------------------------------------- */

static void check_masking_refused(struct fixture *fx, void *arg)
{
	(void)arg;
	MUST(rootfs_prepare(&fx->cfg, &fx->opts, &_e));
	struct husk_err *e = NULL;
	CHECK(rootfs_finalize(&fx->cfg, &fx->opts, &e) < 0, "masking used a fake /dev/null");
	CHECK(strstr(e->msg, "maskedPaths[0] \"/proc/timer_list\"") &&
		  strstr(e->msg, "is not the null device"),
	      "message: %s", e->msg);
}

enum fake_null { FAKE_REGULAR, FAKE_SYMLINK_HOST, FAKE_ZERO_DEVICE };

static void run_fake_null(enum fake_null kind)
{
	struct fixture *fx = fx_new();
	char *hostsecret = host_path(fx, "hostsecret");
	fx_write(hostsecret, "secret");
	static const char *const dirs[] = {"mydev", NULL};
	fx_mkdirs(fx->bundle, dirs);
	char *null = xasprintf("%s/mydev/null", fx->bundle);
	switch (kind) {
	case FAKE_REGULAR:
		fx_write(null, "not a device");
		break;
	case FAKE_SYMLINK_HOST:
		assert_int_equal(symlink(hostsecret, null), 0);
		break;
	case FAKE_ZERO_DEVICE:
		assert_int_equal(mknod(null, S_IFCHR | 0666, makedev(1, 5)), 0);
		break;
	}
	fx_mount(fx, "/proc", "proc", "proc", NULL);
	fx_mount(fx, "/dev", "bind", "mydev", "rbind");
	fx->cfg.linux_.masked_paths = fx_strv("/proc/timer_list");
	fx_run(fx, 0, check_masking_refused, NULL);
	assert_false(is_mount_point(hostsecret));
	char *s = NULL;
	struct husk_err *e = NULL;
	assert_int_equal(read_file_at(AT_FDCWD, hostsecret, &s, NULL, &e), 0);
	assert_string_equal(s, "secret");
	free(s);
	free(null);
	free(hostsecret);
	fx_free(fx);
}

static void test_fake_null_regular_file(void **state)
{
	(void)state;
	run_fake_null(FAKE_REGULAR);
}

static void test_fake_null_symlink_to_host(void **state)
{
	(void)state;
	run_fake_null(FAKE_SYMLINK_HOST);
}

static void test_fake_null_other_device(void **state)
{
	(void)state;
	run_fake_null(FAKE_ZERO_DEVICE);
}

/* The image ships /dev/null as a symlink to a host file and /dev is not a tmpfs:
 * the node is replaced by the real one, so masking still works. */
static void check_image_null_replaced(struct fixture *fx, void *arg)
{
	(void)arg;
	must_prepare_finalize(fx);
	struct stat st;
	CHECK(lstat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3),
	      "/dev/null not replaced");
	int fd = open("/proc/timer_list", O_RDONLY);
	char c;
	CHECK(fd >= 0 && read(fd, &c, 1) == 0, "not masked");
}

static void test_image_null_symlink_replaced(void **state)
{
	(void)state;
	struct fixture *fx = fx_new();
	char *hostsecret = host_path(fx, "hostsecret");
	fx_write(hostsecret, "secret");
	rootfs_symlink(fx, "/dev/null", hostsecret);
	fx_mount(fx, "/proc", "proc", "proc", NULL);
	fx->cfg.linux_.masked_paths = fx_strv("/proc/timer_list");
	fx_run(fx, 0, check_image_null_replaced, NULL);
	char *s = NULL;
	struct husk_err *e = NULL;
	assert_int_equal(read_file_at(AT_FDCWD, hostsecret, &s, NULL, &e), 0);
	assert_string_equal(s, "secret");
	assert_false(is_mount_point(hostsecret));
	free(s);
	free(hostsecret);
	fx_free(fx);
}

/* ---- /dev/console ----------------------------------------------------------------- */

static void check_console_symlink(struct fixture *fx, void *arg)
{
	(void)arg;
	int master, slave;
	CHECK(openpty(&master, &slave, NULL, NULL, NULL) == 0, "openpty");
	struct stat pst, st;
	CHECK(fstat(slave, &pst) == 0, "fstat");
	fx->opts.console_pty_fd = slave;
	char *hostfile = host_path(fx, "hostconsole");
	MUST(rootfs_prepare(&fx->cfg, &fx->opts, &_e));
	CHECK(!is_mount_point(hostfile), "pty bound onto the host file");
	MUST(rootfs_finalize(&fx->cfg, &fx->opts, &_e));
	CHECK(lstat("/dev/console", &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == pst.st_rdev,
	      "/dev/console is not the pty");
}

static void test_console_symlink_to_host(void **state)
{
	(void)state;
	struct fixture *fx = fx_new();
	char *hostfile = host_path(fx, "hostconsole");
	fx_write(hostfile, "host");
	rootfs_symlink(fx, "/dev/console", hostfile);
	fx_mount(fx, "/proc", "proc", "proc", NULL);
	fx_run(fx, 0, check_console_symlink, NULL);
	assert_false(is_mount_point(hostfile));
	char *s = NULL;
	struct husk_err *e = NULL;
	assert_int_equal(read_file_at(AT_FDCWD, hostfile, &s, NULL, &e), 0);
	assert_string_equal(s, "host");
	free(s);
	free(hostfile);
	fx_free(fx);
}

/* A config that bind-mounts its own /dev (here a stand-in for the host's):
 * /dev/console there is covered by the pty, never unlinked or replaced, and a
 * symlink there is refused rather than followed. */
static void check_console_on_bound_dev(struct fixture *fx, void *arg)
{
	bool expect_ok = arg != NULL;
	int master, slave;
	CHECK(openpty(&master, &slave, NULL, NULL, NULL) == 0, "openpty");
	fx->opts.console_pty_fd = slave;
	struct husk_err *e = NULL;
	int r = rootfs_prepare(&fx->cfg, &fx->opts, &e);
	if (expect_ok) {
		CHECK(r == 0, "prepare: %s", e ? e->msg : "?");
		char *c = xasprintf("%s/dev/console", fx->rootfs);
		struct stat st, pst;
		CHECK(stat(c, &st) == 0 && fstat(slave, &pst) == 0 && st.st_rdev == pst.st_rdev,
		      "pty not on /dev/console");
		free(c);
	} else {
		CHECK(r < 0 && strstr(e->msg, "not a file or character device"), "msg %s",
		      e ? e->msg : "(accepted)");
	}
}

static void run_bound_dev_console(bool symlink_console)
{
	struct fixture *fx = fx_new();
	char *dev = xasprintf("%s/hostdev", fx->dir);
	char *con = xasprintf("%s/console", dev);
	char *secret = host_path(fx, "secret");
	assert_int_equal(mkdir(dev, 0755), 0);
	fx_write(secret, "secret");
	if (symlink_console)
		assert_int_equal(symlink(secret, con), 0);
	else
		fx_write(con, "host console");
	struct stat before;
	assert_int_equal(lstat(con, &before), 0);
	fx_mount(fx, "/dev", "bind", dev, "rbind");
	fx_run(fx, 0, check_console_on_bound_dev, symlink_console ? NULL : fx);
	struct stat after;
	assert_int_equal(lstat(con, &after), 0);
	assert_int_equal(before.st_ino, after.st_ino); /* same entry, not recreated */
	assert_false(is_mount_point(secret));
	char *s = NULL;
	struct husk_err *e = NULL;
	assert_int_equal(read_file_at(AT_FDCWD, secret, &s, NULL, &e), 0);
	assert_string_equal(s, "secret");
	if (!symlink_console) {
		free(s);
		assert_int_equal(read_file_at(AT_FDCWD, con, &s, NULL, &e), 0);
		assert_string_equal(s, "host console");
	}
	free(s);
	free(dev);
	free(con);
	free(secret);
	fx_free(fx);
}

static void test_console_on_bound_dev_is_covered_not_replaced(void **state)
{
	(void)state;
	run_bound_dev_console(false);
}

static void test_console_symlink_on_bound_dev_refused(void **state)
{
	(void)state;
	run_bound_dev_console(true);
}

static void check_console_fake_pty(struct fixture *fx, void *arg)
{
	(void)arg;
	/* a char device that is not a pty slave (the host's /dev/zero) */
	fx->opts.console_pty_fd = open("/dev/zero", O_RDWR);
	struct husk_err *e = NULL;
	CHECK(rootfs_prepare(&fx->cfg, &fx->opts, &e) < 0, "accepted /dev/zero as console");
	CHECK(strstr(e->msg, "not a pty slave"), "message %s", e->msg);
}

static void test_console_fd_must_be_pty(void **state)
{
	(void)state;
	struct fixture *fx = fx_new();
	fx_mount(fx, "/dev", "tmpfs", "tmpfs", NULL);
	fx_run(fx, 0, check_console_fake_pty, NULL);
	fx_free(fx);
}

/* The image plants /dev/pts/ptmx (no devpts mounted there): a magic link to the
 * host's ptmx, or a plain file.  No console may come out of it. */
static void check_planted_ptmx(struct fixture *fx, void *arg)
{
	(void)arg;
	MUST(rootfs_prepare(&fx->cfg, &fx->opts, &_e));
	int m = -1, s = -1;
	struct husk_err *e = NULL;
	CHECK(rootfs_open_console(&fx->opts, &m, &s, &e) < 0,
	      "console from a planted ptmx");
	CHECK(e->errnum == ELOOP || e->errnum == EPERM, "errno %d: %s", e->errnum, e->msg);
}

static void test_planted_ptmx(void **state)
{
	(void)state;
	for (int variant = 0; variant < 2; variant++) {
		struct fixture *fx = fx_new();
		char *pts = xasprintf("%s/dev/pts", fx->rootfs);
		assert_int_equal(mkdir(pts, 0755), 0);
		char *ptmx = xasprintf("%s/ptmx", pts);
		if (variant == 0)
			assert_int_equal(symlink("/proc/self/root/dev/ptmx", ptmx), 0);
		else
			fx_write(ptmx, "");
		fx_mount(fx, "/proc", "proc", "proc", NULL);
		fx_run(fx, 0, check_planted_ptmx, NULL);
		free(pts);
		free(ptmx);
		fx_free(fx);
	}
}

/* ---- readonly / masked paths that point at the host ------------------------------ */

static void check_paths_symlinked(struct fixture *fx, void *arg)
{
	(void)arg;
	char *hostdir = host_path(fx, "hostdir");
	must_prepare_finalize(fx);
	/* nothing was mounted: the paths resolve to missing files inside the rootfs */
	struct mnt_info mi;
	CHECK(!find_mount(hostdir, &mi), "something mounted at %s", hostdir);
	/* symlinks inside the rootfs are followed inside it */
	CHECK(mkdir("/data/x", 0755) < 0 && errno == EROFS, "/ro2 -> /data not read-only");
	CHECK(find_mount("/etc", &mi) && strcmp(mi.type, "tmpfs") == 0 && has_opt(mi.opts, "ro"),
	      "/masked2 -> /etc not masked");
}

static void test_ro_and_masked_symlinks_to_host(void **state)
{
	(void)state;
	struct fixture *fx = fx_new();
	char *hostdir = host_path(fx, "hostdir");
	assert_int_equal(mkdir(hostdir, 0755), 0);
	rootfs_symlink(fx, "/ro", hostdir);
	rootfs_symlink(fx, "/masked", hostdir);
	rootfs_symlink(fx, "/ro2", "../data");
	rootfs_symlink(fx, "/masked2", "/etc");
	fx_mount(fx, "/proc", "proc", "proc", NULL);
	fx->cfg.linux_.readonly_paths = fx_strv("/ro,/ro2");
	fx->cfg.linux_.masked_paths = fx_strv("/masked,/masked2");
	fx_run(fx, 0, check_paths_symlinked, NULL);
	/* the host dir is still writable and unmounted */
	assert_false(is_mount_point(hostdir));
	char *p = xasprintf("%s/w", hostdir);
	fx_write(p, "ok");
	free(p);
	free(hostdir);
	fx_free(fx);
}

/* A bind source given as a relative path cannot be redirected by the rootfs:
 * it is resolved against the bundle, not the rootfs. */
static void check_relative_source(struct fixture *fx, void *arg)
{
	(void)arg;
	must_prepare_finalize(fx);
	char buf[16] = "";
	int fd = open("/data/f", O_RDONLY);
	CHECK(fd >= 0 && read(fd, buf, sizeof(buf)) > 0 && strcmp(buf, "bundle") == 0,
	      "relative source resolved elsewhere: %s", buf);
}

static void test_relative_bind_source(void **state)
{
	(void)state;
	struct fixture *fx = fx_new();
	char *p = xasprintf("%s/f", fx->bundle);
	fx_write(p, "bundle");
	free(p);
	p = xasprintf("%s/f", fx->rootfs);
	fx_write(p, "rootfs");
	free(p);
	fx_mount(fx, "/data/f", "bind", "f", "bind");
	fx_run(fx, 0, check_relative_source, NULL);
	fx_free(fx);
}

int main(void)
{
	if (fx_skip_unless_mount_api())
		return 0;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_destination_symlink_to_host),
	    cmocka_unit_test(test_fake_null_regular_file),
	    cmocka_unit_test(test_fake_null_symlink_to_host),
	    cmocka_unit_test(test_fake_null_other_device),
	    cmocka_unit_test(test_image_null_symlink_replaced),
	    cmocka_unit_test(test_console_symlink_to_host),
	    cmocka_unit_test(test_console_fd_must_be_pty),
	    cmocka_unit_test(test_console_on_bound_dev_is_covered_not_replaced),
	    cmocka_unit_test(test_console_symlink_on_bound_dev_refused),
	    cmocka_unit_test(test_planted_ptmx),
	    cmocka_unit_test(test_ro_and_masked_symlinks_to_host),
	    cmocka_unit_test(test_relative_bind_source),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
