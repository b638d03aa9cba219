/* rootfs_prepare + rootfs_finalize for real, in a forked child with its own
 * mount namespace, checked through the kernel's view from inside (mountinfo,
 * stat, writes that must fail). */
#include <dirent.h>
#include <pty.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>

#include "tests/unit/helpers/rootfs_fixture.h"

#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif

static void check_default_container(struct fixture *fx, void *arg)
{
	(void)arg;
	int host_mounts = count_mounts();
	must_prepare_finalize(fx);
	struct mnt_info mi;

	/* the old root is gone: only our mounts remain */
	int n = count_mounts();
	CHECK(n > 0 && n < host_mounts + 40, "%d mounts (host had %d)", n, host_mounts);
	CHECK(access("/mnt/sandboxing", F_OK) < 0, "host paths still visible");
	CHECK(find_mount("/", &mi), "no / in mountinfo");
	CHECK(strstr(mi.optional, "shared:") == NULL, "/ is shared: %s", mi.optional);

	CHECK(find_mount("/proc", &mi) && strcmp(mi.type, "proc") == 0, "/proc: %s", mi.type);
	CHECK(find_mount("/dev", &mi) && strcmp(mi.type, "tmpfs") == 0, "/dev: %s", mi.type);
	CHECK(has_opt(mi.opts, "nosuid") && !has_opt(mi.opts, "noexec"), "/dev opts %s", mi.opts);
	CHECK(has_opt(mi.super, "mode=755") && has_opt(mi.super, "size=65536k"), "/dev super %s",
	      mi.super);
	CHECK(find_mount("/dev/pts", &mi) && strcmp(mi.type, "devpts") == 0, "/dev/pts %s",
	      mi.type);
	CHECK(has_opt(mi.super, "ptmxmode=666") && has_opt(mi.super, "gid=5"), "devpts %s",
	      mi.super);
	CHECK(find_mount("/dev/shm", &mi) && has_opt(mi.opts, "nodev"), "shm %s", mi.opts);
	CHECK(find_mount("/dev/mqueue", &mi) && strcmp(mi.type, "mqueue") == 0, "mqueue %s",
	      mi.type);
	CHECK(find_mount("/sys", &mi) && strcmp(mi.type, "sysfs") == 0 && has_opt(mi.opts, "ro"),
	      "/sys %s %s", mi.type, mi.opts);
	CHECK(find_mount("/sys/fs/cgroup", &mi) && has_opt(mi.opts, "ro"), "cgroup %s", mi.opts);

	/* default devices */
	static const struct {
		const char *p;
		unsigned ma, mi;
	} devs[] = {{"/dev/null", 1, 3},   {"/dev/zero", 1, 5},	   {"/dev/full", 1, 7},
		    {"/dev/random", 1, 8}, {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0}};
	for (size_t i = 0; i < sizeof(devs) / sizeof(devs[0]); i++) {
		struct stat st;
		CHECK(lstat(devs[i].p, &st) == 0, "%s: %s", devs[i].p, strerror(errno));
		CHECK(S_ISCHR(st.st_mode) && major(st.st_rdev) == devs[i].ma &&
			  minor(st.st_rdev) == devs[i].mi && (st.st_mode & 0777) == 0666,
		      "%s is %x %u:%u", devs[i].p, st.st_mode, major(st.st_rdev),
		      minor(st.st_rdev));
	}
	char l[64];
	ssize_t k = readlink("/dev/fd", l, sizeof(l) - 1);
	CHECK(k > 0 && (l[k] = 0, strcmp(l, "/proc/self/fd") == 0), "/dev/fd");
	k = readlink("/dev/stderr", l, sizeof(l) - 1);
	CHECK(k > 0 && (l[k] = 0, strcmp(l, "/proc/self/fd/2") == 0), "/dev/stderr");
	k = readlink("/dev/ptmx", l, sizeof(l) - 1);
	CHECK(k > 0 && (l[k] = 0, strcmp(l, "pts/ptmx") == 0), "/dev/ptmx");
	int fd = open("/dev/null", O_WRONLY);
	CHECK(fd >= 0 && write(fd, "x", 1) == 1, "write /dev/null");
	close(fd);

	/* masked files read empty (the ones this kernel has) */
	char buf[16];
	int masked = 0;
	static const char *const files[] = {"/proc/kcore", "/proc/keys", "/proc/timer_list",
					    "/proc/sched_debug"};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		fd = open(files[i], O_RDONLY);
		if (fd < 0 && errno == ENOENT)
			continue;
		CHECK(fd >= 0 && read(fd, buf, sizeof(buf)) == 0, "%s not masked", files[i]);
		close(fd);
		masked++;
	}
	CHECK(masked > 0, "no masked file to check");
	CHECK(find_mount("/sys/firmware", &mi) && strcmp(mi.type, "tmpfs") == 0 &&
		  has_opt(mi.opts, "ro"),
	      "/sys/firmware %s %s", mi.type, mi.opts);
	CHECK(mkdir("/sys/firmware/x", 0755) < 0 && errno == EROFS, "masked dir writable");

	/* read-only: /proc/sys and /proc/sysrq-trigger */
	fd = open("/proc/sys/kernel/hostname", O_WRONLY);
	CHECK(fd < 0 && errno == EROFS, "/proc/sys writable (%s)", strerror(errno));
	fd = open("/proc/sysrq-trigger", O_WRONLY);
	CHECK(fd < 0 && (errno == EROFS || errno == ENOENT), "/proc/sysrq-trigger writable (%s)",
	      strerror(errno));
	CHECK(find_mount("/proc/sys", &mi) && has_opt(mi.opts, "ro"), "/proc/sys %s", mi.opts);
	/* read-only keeps the flags the mount had (procfs here: rw,relatime -> ro,relatime) */
	CHECK(has_opt(mi.opts, "relatime"), "/proc/sys lost its flags: %s", mi.opts);

	/* a read-only path on a nosuid,nodev,noexec mount keeps those */
	CHECK(find_mount("/dev/shm", &mi) && has_opt(mi.opts, "ro") && has_opt(mi.opts, "nosuid") &&
		  has_opt(mi.opts, "nodev") && has_opt(mi.opts, "noexec"),
	      "/dev/shm %s", mi.opts);

	/* the rootfs itself stays writable (root.readonly is false) */
	CHECK(mkdir("/tmp/w", 0755) == 0, "rootfs not writable: %s", strerror(errno));
}

static void test_default_container(void **state)
{
	(void)state;
	struct fixture *fx = fx_new();
	fx_default_mounts(fx);
	fx_default_paths(fx);
	fx_free_strv(&fx->cfg.linux_.readonly_paths);
	fx->cfg.linux_.readonly_paths =
	    fx_strv("/proc/bus,/proc/fs,/proc/irq,/proc/sys,/proc/sysrq-trigger,/dev/shm");
	fx_run(fx, 0, check_default_container, NULL);
	fx_free(fx);
}

static void check_binds(struct fixture *fx, void *arg)
{
	(void)arg;
	must_prepare_finalize(fx);
	struct mnt_info mi;
	char buf[64] = "";
	/* relative source resolves against the bundle; ro bind needs the remount step */
	int fd = open("/data/ro/hello", O_RDONLY);
	CHECK(fd >= 0 && read(fd, buf, sizeof(buf)) == 5 && memcmp(buf, "hello", 5) == 0,
	      "bind content");
	close(fd);
	CHECK(open("/data/ro/new", O_WRONLY | O_CREAT, 0644) < 0 && errno == EROFS,
	      "ro bind writable: %s", strerror(errno));
	CHECK(find_mount("/data/ro", &mi) && has_opt(mi.opts, "ro") && has_opt(mi.opts, "nosuid"),
	      "/data/ro opts %s", mi.opts);
	/* a file bind onto a target that did not exist creates a file */
	struct stat st;
	CHECK(stat("/etc/hostfile", &st) == 0 && S_ISREG(st.st_mode), "file target");
	fd = open("/etc/hostfile", O_RDONLY);
	CHECK(fd >= 0 && read(fd, buf, sizeof(buf)) == 4 && memcmp(buf, "file", 4) == 0,
	      "file bind content");
	close(fd);
	/* rw bind is writable and shows in the source */
	fd = open("/data/rw/written", O_WRONLY | O_CREAT, 0644);
	CHECK(fd >= 0, "rw bind: %s", strerror(errno));
	close(fd);
	/* rbind keeps the submount, plain bind does not; rro makes the submount ro */
	CHECK(find_mount("/data/rbind/sub", &mi) && strcmp(mi.type, "tmpfs") == 0, "rbind sub");
	CHECK(!find_mount("/data/bind/sub", &mi), "plain bind copied the submount");
	CHECK(find_mount("/data/rro/sub", &mi) && has_opt(mi.opts, "ro"), "rro sub %s", mi.opts);
	CHECK(find_mount("/data/rro", &mi) && has_opt(mi.opts, "ro"), "rro top %s", mi.opts);
	/* propagation option */
	CHECK(find_mount("/data/shared", &mi) && strstr(mi.optional, "shared:"), "rshared: '%s'",
	      mi.optional);
	/* noexec / nodev / noatime */
	CHECK(find_mount("/data/rw", &mi) && has_opt(mi.opts, "noexec") &&
		  has_opt(mi.opts, "nodev") && has_opt(mi.opts, "noatime"),
	      "/data/rw %s", mi.opts);
}

/* the child mounts the submount itself (in its namespace) before preparing */
static void check_binds_with_submount(struct fixture *fx, void *arg)
{
	char *sub = xasprintf("%s/vol/tree/sub", fx->bundle);
	CHECK(mount("tmpfs", sub, "tmpfs", 0, "size=1m") == 0, "submount: %s", strerror(errno));
	free(sub);
	check_binds(fx, arg);
}

static void test_bind_mounts_recursive(void **state)
{
	(void)state;
	struct fixture *fx = fx_new();
	static const char *const dirs[] = {"vol/ro", "vol/rw", "vol/tree/sub", NULL};
	fx_mkdirs(fx->bundle, dirs);
	char *p = xasprintf("%s/vol/ro/hello", fx->bundle);
	fx_write(p, "hello");
	free(p);
	p = xasprintf("%s/hostfile", fx->dir);
	fx_write(p, "file");
	fx_mount(fx, "/proc", "proc", "proc", NULL);
	fx_mount(fx, "/data/ro", "bind", "vol/ro", "bind,ro,nosuid");
	fx_mount(fx, "/data/rw", "none", "vol/rw", "rbind,rw,noexec,nodev,noatime");
	fx_mount(fx, "/etc/hostfile", "bind", p, "bind");
	free(p);
	fx_mount(fx, "/data/rbind", "bind", "vol/tree", "rbind");
	fx_mount(fx, "/data/bind", "bind", "vol/tree", "bind");
	fx_mount(fx, "/data/rro", "bind", "vol/tree", "rbind,rro");
	fx_mount(fx, "/data/shared", "bind", "vol/rw", "bind,rshared");
	fx_run(fx, 0, check_binds_with_submount, NULL);
	fx_free(fx);
}

static void check_idmap(struct fixture *fx, void *arg)
{
	(void)arg;
	must_prepare_finalize(fx);
	struct stat st;
	/* on disk owned by 0:0; through the mount, by the mapped 1000:1001 */
	CHECK(stat("/idmapped/f", &st) == 0 && st.st_uid == 1000 && st.st_gid == 1001,
	      "idmapped owner %u:%u", st.st_uid, st.st_gid);
	CHECK(stat("/plain/f", &st) == 0 && st.st_uid == 0, "plain owner %u", st.st_uid);
	struct mnt_info mi;
	CHECK(find_mount("/idmapped", &mi) && strstr(mi.opts, "idmapped"), "opts %s", mi.opts);
}

static void test_idmapped_bind(void **state)
{
	(void)state;
	struct fixture *fx = fx_new();
	static const char *const dirs[] = {"vol", NULL};
	fx_mkdirs(fx->bundle, dirs);
	char *p = xasprintf("%s/vol/f", fx->bundle);
	fx_write(p, "x");
	assert_int_equal(chown(p, 0, 0), 0);
	free(p);
	fx_mount(fx, "/proc", "proc", "proc", NULL);
	fx_mount(fx, "/idmapped", "bind", "vol", "rbind,idmap");
	fx_mount(fx, "/plain", "bind", "vol", "rbind");
	struct oci_mount *m = &fx->cfg.mounts[1];
	m->uid_mappings = xcalloc(1, sizeof(*m->uid_mappings));
	m->uid_mappings[0] = (struct oci_id_mapping){0, 1000, 1};
	m->n_uid_mappings = 1;
	m->gid_mappings = xcalloc(1, sizeof(*m->gid_mappings));
	m->gid_mappings[0] = (struct oci_id_mapping){0, 1001, 1};
	m->n_gid_mappings = 1;
	fx_run(fx, 0, check_idmap, NULL);
	free(m->uid_mappings);
	free(m->gid_mappings);
	m->uid_mappings = m->gid_mappings = NULL;
	fx_free(fx);
}

static void check_tmpfs_options(struct fixture *fx, void *arg)
{
	(void)arg;
	must_prepare_finalize(fx);
	struct mnt_info mi;
	CHECK(find_mount("/tmp", &mi) && has_opt(mi.super, "size=1024k") &&
		  has_opt(mi.super, "mode=700") && has_opt(mi.opts, "nosuid"),
	      "/tmp %s %s", mi.opts, mi.super);
	/* tmpcopyup: the image's /etc content is in the tmpfs, owner and mode kept */
	struct stat st;
	CHECK(stat("/etc/conf", &st) == 0 && (st.st_mode & 0777) == 0640 && st.st_uid == 123,
	      "copied file mode %o uid %u", st.st_mode & 0777, st.st_uid);
	char l[32];
	ssize_t k = readlink("/etc/link", l, sizeof(l) - 1);
	CHECK(k > 0 && (l[k] = 0, strcmp(l, "conf") == 0), "copied symlink");
	CHECK(stat("/etc/sub/deep", &st) == 0 && S_ISREG(st.st_mode), "copied subdir");
	CHECK(find_mount("/etc", &mi) && strcmp(mi.type, "tmpfs") == 0, "/etc is %s", mi.type);
	/* remount of /tmp read-only afterwards */
	CHECK(find_mount("/data", &mi) && has_opt(mi.opts, "ro") && has_opt(mi.opts, "noexec"),
	      "remount: %s", mi.opts);
	/* root.readonly */
	CHECK(mkdir("/newdir", 0755) < 0 && errno == EROFS, "root not ro: %s", strerror(errno));
	CHECK(find_mount("/", &mi) && has_opt(mi.opts, "ro"), "/ %s", mi.opts);
}

static void test_tmpfs_copyup_remount_readonly_root(void **state)
{
	(void)state;
	struct fixture *fx = fx_new();
	char *p = xasprintf("%s/etc/conf", fx->rootfs);
	fx_write(p, "x=1\n");
	assert_int_equal(chmod(p, 0640), 0);
	assert_int_equal(chown(p, 123, 456), 0);
	free(p);
	p = xasprintf("%s/etc/link", fx->rootfs);
	assert_int_equal(symlink("conf", p), 0);
	free(p);
	static const char *const dirs[] = {"etc/sub", NULL};
	fx_mkdirs(fx->rootfs, dirs);
	p = xasprintf("%s/etc/sub/deep", fx->rootfs);
	fx_write(p, "");
	free(p);
	fx_mount(fx, "/proc", "proc", "proc", NULL);
	fx_mount(fx, "/tmp", "tmpfs", "tmpfs", "nosuid,size=1m,mode=700");
	fx_mount(fx, "/etc", "tmpfs", "tmpfs", "tmpcopyup");
	fx_mount(fx, "/data", "tmpfs", "tmpfs", NULL);
	fx_mount(fx, "/data", NULL, NULL, "remount,ro,noexec");
	fx->cfg.root.readonly = true;
	fx_run(fx, 0, check_tmpfs_options, NULL);
	fx_free(fx);
}

static void check_devices(struct fixture *fx, void *arg)
{
	(void)arg;
	must_prepare_finalize(fx);
	struct stat st;
	CHECK(lstat("/dev/mynull", &st) == 0 && S_ISCHR(st.st_mode) &&
		  st.st_rdev == makedev(1, 3) && (st.st_mode & 07777) == 0600 &&
		  st.st_uid == 1000 && st.st_gid == 1001,
	      "mynull mode %o uid %u gid %u", st.st_mode, st.st_uid, st.st_gid);
	CHECK(lstat("/dev/sub/dir/loop", &st) == 0 && S_ISBLK(st.st_mode) &&
		  st.st_rdev == makedev(7, 200),
	      "block device");
	CHECK(lstat("/dev/fifo", &st) == 0 && S_ISFIFO(st.st_mode), "fifo");
	CHECK(lstat("/dev/kmsg2", &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 11),
	      "u device");
	/* the config overrides a default node's mode */
	CHECK(lstat("/dev/null", &st) == 0 && (st.st_mode & 0777) == 0600, "/dev/null mode %o",
	      st.st_mode & 0777);
	CHECK(lstat("/dev/zero", &st) == 0 && (st.st_mode & 0777) == 0666, "/dev/zero");
}

static void add_device(struct fixture *fx, const char *type, const char *path, int ma, int mi,
		       int mode, int uid, int gid)
{
	struct oci_linux *l = &fx->cfg.linux_;
	l->devices = xrealloc(l->devices, (l->n_devices + 1) * sizeof(*l->devices));
	struct oci_device *d = &l->devices[l->n_devices++];
	memset(d, 0, sizeof(*d));
	d->type = xstrdup(type);
	d->path = xstrdup(path);
	d->major = ma;
	d->minor = mi;
	if (mode >= 0)
		d->file_mode = (oci_opt_u64){true, (uint64_t)mode};
	if (uid >= 0)
		d->uid = (oci_opt_u64){true, (uint64_t)uid};
	if (gid >= 0)
		d->gid = (oci_opt_u64){true, (uint64_t)gid};
}

static void test_linux_devices(void **state)
{
	(void)state;
	struct fixture *fx = fx_new();
	fx_default_mounts(fx);
	add_device(fx, "c", "/dev/mynull", 1, 3, 0600, 1000, 1001);
	add_device(fx, "b", "/dev/sub/dir/loop", 7, 200, -1, -1, -1);
	add_device(fx, "p", "/dev/fifo", 0, 0, 0644, -1, -1);
	add_device(fx, "u", "/dev/kmsg2", 1, 11, -1, -1, -1);
	add_device(fx, "c", "/dev/null", 1, 3, 0600, -1, -1);
	fx_run(fx, 0, check_devices, NULL);
	fx_free(fx);
}

static void check_bad_device(struct fixture *fx, void *arg)
{
	struct husk_err *e = NULL;
	CHECK(rootfs_prepare(&fx->cfg, &fx->opts, &e) < 0, "bad device accepted");
	CHECK(strstr(e->msg, (const char *)arg), "message: %s", e->msg);
}

static void test_bad_device_type(void **state)
{
	(void)state;
	struct fixture *fx = fx_new();
	add_device(fx, "x", "/dev/what", 1, 3, -1, -1, -1);
	fx_run(fx, 0, check_bad_device, "linux.devices[0] \"/dev/what\": bad type \"x\"");
	fx_free(fx);
}

/* A config bind of the host's /dev/null onto /dev/null must not get the host
 * node chmod-ed to the mode linux.devices asks for. */
static void check_bound_device_untouched(struct fixture *fx, void *arg)
{
	struct stat *host = arg;
	must_prepare_finalize(fx);
	struct stat st;
	CHECK(lstat("/dev/null", &st) == 0 && st.st_ino == host->st_ino, "not the host node");
	CHECK((st.st_mode & 07777) == (host->st_mode & 07777), "mode changed to %o",
	      st.st_mode & 07777);
}

static void test_bound_device_left_alone(void **state)
{
	(void)state;
	struct fixture *fx = fx_new();
	/* our own 1:3 node stands in for the host's /dev/null */
	char *node = xasprintf("%s/hostnull", fx->dir);
	assert_int_equal(mknod(node, S_IFCHR | 0666, makedev(1, 3)), 0);
	assert_int_equal(chmod(node, 0666), 0);
	struct stat host;
	assert_int_equal(stat(node, &host), 0);
	fx_default_mounts(fx);
	fx_mount(fx, "/dev/null", "bind", node, "bind");
	add_device(fx, "c", "/dev/null", 1, 3, 0600, -1, -1);
	fx_run(fx, 0, check_bound_device_untouched, &host);
	struct stat after;
	assert_int_equal(stat(node, &after), 0);
	assert_int_equal(after.st_mode, host.st_mode);
	free(node);
	fx_free(fx);
}

/* linux.devices inside a config bind in /dev (a stand-in for a host directory):
 * a matching node is used as is, anything else is an error, nothing is
 * unlinked, chmod-ed or chown-ed there. */
static void check_devices_in_bound_dir(struct fixture *fx, void *arg)
{
	const char *want = arg;
	struct husk_err *e = NULL;
	int r = rootfs_prepare(&fx->cfg, &fx->opts, &e);
	if (!want)
		CHECK(r == 0, "prepare: %s", e ? e->msg : "?");
	else
		CHECK(r < 0 && strstr(e->msg, want), "msg: %s", e ? e->msg : "(accepted)");
}

static void test_devices_in_bound_dir(void **state)
{
	(void)state;
	for (int variant = 0; variant < 2; variant++) {
		struct fixture *fx = fx_new();
		char *dir = xasprintf("%s/hostdevs", fx->dir);
		char *x = xasprintf("%s/x", dir);
		assert_int_equal(mkdir(dir, 0755), 0);
		if (variant == 0) {
			fx_write(x, "host file");
		} else {
			assert_int_equal(mknod(x, S_IFCHR | 0666, makedev(1, 3)), 0);
			assert_int_equal(chmod(x, 0666), 0);
		}
		struct stat before, after;
		assert_int_equal(lstat(x, &before), 0);
		fx_default_mounts(fx);
		fx_mount(fx, "/dev/sub", "bind", dir, "bind");
		add_device(fx, "c", "/dev/sub/x", 1, 3, 0600, 1000, 1000);
		fx_run(fx, 0, check_devices_in_bound_dir,
		       variant == 0 ? (void *)"is not on the container's own /dev" : NULL);
		assert_int_equal(lstat(x, &after), 0);
		assert_int_equal(before.st_ino, after.st_ino);
		assert_int_equal(before.st_mode, after.st_mode);
		assert_int_equal(before.st_uid, after.st_uid);
		free(dir);
		free(x);
		fx_free(fx);
	}
}

static void check_dev_bind_no_defaults(struct fixture *fx, void *arg)
{
	(void)arg;
	must_prepare_finalize(fx);
	CHECK(access("/dev/zero", F_OK) < 0, "default nodes added over a bind-mounted /dev");
	CHECK(access("/dev/marker", F_OK) == 0, "bind /dev content missing");
}

static void test_dev_bind_gets_no_defaults(void **state)
{
	(void)state;
	struct fixture *fx = fx_new();
	static const char *const dirs[] = {"mydev", NULL};
	fx_mkdirs(fx->bundle, dirs);
	char *p = xasprintf("%s/mydev/marker", fx->bundle);
	fx_write(p, "");
	free(p);
	fx_mount(fx, "/dev", "bind", "mydev", "rbind");
	fx_run(fx, 0, check_dev_bind_no_defaults, NULL);
	fx_free(fx);
}

static void check_no_pivot(struct fixture *fx, void *arg)
{
	(void)arg;
	int old_root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	CHECK(old_root >= 0, "open /");
	fx->opts.no_pivot = true;
	must_prepare_finalize(fx);
	struct mnt_info mi;
	CHECK(find_mount("/proc", &mi) && strcmp(mi.type, "proc") == 0, "proc");
	CHECK(access("/mnt/sandboxing", F_OK) < 0 && access("/data", F_OK) == 0, "not in rootfs");
	char cwd[64];
	CHECK(getcwd(cwd, sizeof(cwd)) && strcmp(cwd, "/") == 0, "cwd %s", cwd);
	/* The host's mounts are gone from the namespace: seen through an fd of the
	 * old root taken before, /proc and /sys are plain directories again. */
	int fd = openat(old_root, "proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct statfs sfs;
	CHECK(fd >= 0 && fstatfs(fd, &sfs) == 0 && sfs.f_type != PROC_SUPER_MAGIC,
	      "the host's /proc is still mounted");
	close(fd);
	fd = openat(old_root, "sys/fs/cgroup", O_PATH | O_DIRECTORY | O_CLOEXEC);
	CHECK(fd < 0, "the host's /sys is still mounted");
}

static void test_no_pivot(void **state)
{
	(void)state;
	struct fixture *fx = fx_new();
	fx_mount(fx, "/proc", "proc", "proc", NULL);
	fx_run(fx, 0, check_no_pivot, NULL);
	fx_free(fx);
}

static void check_console(struct fixture *fx, void *arg)
{
	(void)arg;
	int master, slave;
	CHECK(openpty(&master, &slave, NULL, NULL, NULL) == 0, "openpty: %s", strerror(errno));
	struct stat pst;
	CHECK(fstat(slave, &pst) == 0, "fstat pty");
	fx->opts.console_pty_fd = slave;
	must_prepare_finalize(fx);
	struct stat st;
	CHECK(stat("/dev/console", &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == pst.st_rdev,
	      "/dev/console is %x rdev %lx", st.st_mode, (unsigned long)st.st_rdev);
	int fd = open("/dev/console", O_WRONLY | O_NOCTTY);
	CHECK(fd >= 0 && write(fd, "hi", 2) == 2, "write console");
	char buf[8];
	CHECK(read(master, buf, sizeof(buf)) == 2, "console output reaches the master");
}

static void test_console(void **state)
{
	(void)state;
	struct fixture *fx = fx_new();
	fx_default_mounts(fx);
	fx_run(fx, 0, check_console, NULL);
	fx_free(fx);
}

static void check_container_console(struct fixture *fx, void *arg)
{
	(void)arg;
	MUST(rootfs_prepare(&fx->cfg, &fx->opts, &_e));
	int master = -1, slave = -1;
	MUST(rootfs_open_console(&fx->opts, &master, &slave, &_e));
	MUST(rootfs_finalize(&fx->cfg, &fx->opts, &_e));
	struct stat sst, cst, pts;
	CHECK(fstat(slave, &sst) == 0 && stat("/dev/console", &cst) == 0 &&
		  stat("/dev/pts", &pts) == 0,
	      "stat");
	CHECK(cst.st_rdev == sst.st_rdev, "/dev/console is not the slave");
	/* the slave lives in the container's own devpts instance */
	CHECK(sst.st_dev == pts.st_dev, "pty not from the container's devpts");
	char name[64] = "";
	CHECK(ttyname_r(slave, name, sizeof(name)) == 0 && strcmp(name, "/dev/pts/0") == 0,
	      "ttyname %s", name);
	CHECK(write(slave, "ok", 2) == 2, "write slave");
	char buf[8];
	CHECK(read(master, buf, sizeof(buf)) == 2, "read master");
}

static void test_container_console(void **state)
{
	(void)state;
	struct fixture *fx = fx_new();
	fx_default_mounts(fx);
	fx_run(fx, 0, check_container_console, NULL);
	fx_free(fx);
}

static void check_console_without_devpts(struct fixture *fx, void *arg)
{
	(void)arg;
	MUST(rootfs_prepare(&fx->cfg, &fx->opts, &_e));
	int master = -1, slave = -1;
	struct husk_err *e = NULL;
	CHECK(rootfs_open_console(&fx->opts, &master, &slave, &e) < 0,
	      "no devpts, yet a console");
	CHECK(e->errnum == ENOENT || e->errnum == EPERM, "errno %d: %s", e->errnum, e->msg);
}

static void test_console_needs_devpts(void **state)
{
	(void)state;
	struct fixture *fx = fx_new();
	fx_mount(fx, "/dev", "tmpfs", "tmpfs", NULL);
	fx_run(fx, 0, check_console_without_devpts, NULL);
	fx_free(fx);
}

static void check_console_not_pty(struct fixture *fx, void *arg)
{
	(void)arg;
	int fd = open("/dev/null", O_RDWR);
	fx->opts.console_pty_fd = fd;
	struct husk_err *e = NULL;
	CHECK(rootfs_prepare(&fx->cfg, &fx->opts, &e) < 0, "a non-pty console was accepted");
	CHECK(strstr(e->msg, "is not a pty slave"), "message: %s", e->msg);
}

static void test_console_must_be_pty(void **state)
{
	(void)state;
	struct fixture *fx = fx_new();
	fx_default_mounts(fx);
	fx_run(fx, 0, check_console_not_pty, NULL);
	fx_free(fx);
}

static void check_sysctl(struct fixture *fx, void *arg)
{
	(void)arg;
	must_prepare_finalize(fx);
	char buf[64] = "";
	struct husk_err *e = NULL;
	char *s = NULL;
	CHECK(read_file_at(AT_FDCWD, "/proc/sys/kernel/shmmni", &s, NULL, &e) == 0 &&
		  strcmp(s, "1234\n") == 0,
	      "shmmni = %s", s ? s : "?");
	free(s);
	CHECK(gethostname(buf, sizeof(buf)) == 0 && strcmp(buf, "husk-sysctl") == 0, "hostname %s",
	      buf);
	CHECK(read_file_at(AT_FDCWD, "/proc/sys/fs/mqueue/msg_max", &s, NULL, &e) == 0 &&
		  strcmp(s, "42\n") == 0,
	      "msg_max = %s", s ? s : "?");
	free(s);
}

static void set_sysctl(struct fixture *fx, const char *k, const char *v)
{
	oci_kvv *s = &fx->cfg.linux_.sysctl;
	s->v = xrealloc(s->v, (s->n + 1) * sizeof(*s->v));
	s->v[s->n].key = xstrdup(k);
	s->v[s->n++].value = xstrdup(v);
}

static void test_sysctl(void **state)
{
	(void)state;
	struct fixture *fx = fx_new();
	fx_mount(fx, "/proc", "proc", "proc", NULL);
	fx_mount(fx, "/dev/mqueue", "mqueue", "mqueue", NULL);
	fx_ns(fx, OCI_NS_IPC);
	fx_ns(fx, OCI_NS_UTS);
	set_sysctl(fx, "kernel.shmmni", "1234");
	set_sysctl(fx, "kernel.hostname", "husk-sysctl");
	set_sysctl(fx, "fs/mqueue/msg_max", "42");
	/* readonlyPaths come after sysctl: /proc/sys ro must not block them */
	fx->cfg.linux_.readonly_paths = fx_strv("/proc/sys");
	fx_run(fx, CLONE_NEWIPC | CLONE_NEWUTS, check_sysctl, NULL);
	fx_free(fx);
}

static void check_sysctl_refused(struct fixture *fx, void *arg)
{
	struct husk_err *e = NULL;
	MUST(rootfs_prepare(&fx->cfg, &fx->opts, &_e));
	CHECK(rootfs_finalize(&fx->cfg, &fx->opts, &e) < 0, "sysctl accepted");
	CHECK(strstr(e->msg, (const char *)arg), "message: %s", e->msg);
}

static void test_sysctl_not_namespaced(void **state)
{
	(void)state;
	struct fixture *fx = fx_new();
	fx_mount(fx, "/proc", "proc", "proc", NULL);
	set_sysctl(fx, "kernel.pid_max", "100000");
	fx_run(fx, 0, check_sysctl_refused,
	       "sysctl \"kernel.pid_max\" is not in a separate kernel namespace");
	fx_free(fx);

	fx = fx_new();
	fx_mount(fx, "/proc", "proc", "proc", NULL);
	set_sysctl(fx, "net.ipv4.ip_forward", "1");
	fx_run(fx, 0, check_sysctl_refused, "not allowed in the host's network namespace");
	fx_free(fx);

	fx = fx_new();
	fx_mount(fx, "/proc", "proc", "proc", NULL);
	set_sysctl(fx, "kernel.shmmax", "1");
	fx_run(fx, 0, check_sysctl_refused, "not allowed in the host's ipc namespace");
	fx_free(fx);
}

static void check_cgroup(struct fixture *fx, void *arg)
{
	(void)arg;
	/* what the host says our memory cgroup is */
	char *self = NULL;
	struct husk_err *e = NULL;
	CHECK(read_file_at(AT_FDCWD, "/proc/self/cgroup", &self, NULL, &e) == 0, "read cgroup");
	must_prepare_finalize(fx);
	struct mnt_info mi;
	struct statfs sfs;
	CHECK(statfs("/sys/fs/cgroup", &sfs) == 0, "statfs");
	if (sfs.f_type == 0x63677270) { /* pure v2 host */
		CHECK(access("/sys/fs/cgroup/cgroup.procs", F_OK) == 0, "cgroup2 mounted");
		return;
	}
	CHECK(find_mount("/sys/fs/cgroup", &mi) && strcmp(mi.type, "tmpfs") == 0 &&
		  has_opt(mi.opts, "ro"),
	      "/sys/fs/cgroup %s %s", mi.type, mi.opts);
	char *mem = strstr(self, ":memory:");
	if (mem) {
		char *path = mem + 8;
		*strchrnul(path, '\n') = '\0';
		CHECK(find_mount("/sys/fs/cgroup/memory", &mi) && strcmp(mi.type, "cgroup") == 0 &&
			  strcmp(mi.root, path) == 0 && has_opt(mi.opts, "ro"),
		      "memory: %s root %s (want %s) %s", mi.type, mi.root, path, mi.opts);
		CHECK(access("/sys/fs/cgroup/memory/cgroup.procs", F_OK) == 0, "cgroup.procs");
		CHECK(open("/sys/fs/cgroup/memory/cgroup.procs", O_WRONLY) < 0 && errno == EROFS,
		      "cgroup writable");
	}
	if (access("/sys/fs/cgroup/unified", F_OK) == 0 && strstr(self, "0::"))
		CHECK(find_mount("/sys/fs/cgroup/unified", &mi) && strcmp(mi.type, "cgroup2") == 0,
		      "unified %s", mi.type);
	free(self);
}

static void test_cgroup_mount(void **state)
{
	(void)state;
	struct fixture *fx = fx_new();
	fx_default_mounts(fx);
	fx_run(fx, 0, check_cgroup, NULL);
	fx_free(fx);
}

static void check_cgroupns(struct fixture *fx, void *arg)
{
	(void)arg;
	must_prepare_finalize(fx);
	struct mnt_info mi;
	struct statfs sfs;
	CHECK(statfs("/sys/fs/cgroup", &sfs) == 0, "statfs");
	if (sfs.f_type == 0x63677270)
		return;
	CHECK(find_mount("/sys/fs/cgroup/memory", &mi) && strcmp(mi.root, "/") == 0,
	      "memory in cgroupns: root %s", mi.root);
	CHECK(access("/sys/fs/cgroup/systemd/cgroup.procs", F_OK) == 0, "named hierarchy");
}

static void test_cgroup_mount_cgroupns(void **state)
{
	(void)state;
	struct fixture *fx = fx_new();
	fx_default_mounts(fx);
	fx_ns(fx, OCI_NS_CGROUP);
	fx_run(fx, CLONE_NEWCGROUP, check_cgroupns, NULL);
	fx_free(fx);
}

/* The runtime may move the init into its cgroups while rootfs_prepare runs: the
 * cgroup binds must show the cgroup the process is in when rootfs_finalize runs. */
static void check_cgroup_moved_between(struct fixture *fx, void *arg)
{
	const char *name = arg;
	MUST(rootfs_prepare(&fx->cfg, &fx->opts, &_e));
	char *dir = xasprintf("/sys/fs/cgroup/pids/%s", name);
	char *procs = xasprintf("%s/cgroup.procs", dir);
	CHECK(mkdir(dir, 0755) == 0, "mkdir %s: %s", dir, strerror(errno));
	struct husk_err *e = NULL;
	CHECK(write_string_at(AT_FDCWD, procs, "0", &e) == 0, "join %s", dir);
	MUST(rootfs_finalize(&fx->cfg, &fx->opts, &_e));
	struct mnt_info mi;
	char *want = xasprintf("/%s", name);
	CHECK(find_mount("/sys/fs/cgroup/pids", &mi) && strcmp(mi.root, want) == 0,
	      "pids bind shows %s, want %s", mi.root, want);
}

static void test_cgroup_mount_follows_late_cgroup_move(void **state)
{
	(void)state;
	struct statfs sfs;
	if (statfs("/sys/fs/cgroup/pids", &sfs) < 0 || sfs.f_type != 0x27e0eb)
		skip(); /* needs a cgroup v1 pids hierarchy (this host has one) */
	char *self = NULL;
	struct husk_err *e = NULL;
	assert_int_equal(read_file_at(AT_FDCWD, "/proc/self/cgroup", &self, NULL, &e), 0);
	bool at_root = strstr(self, ":pids:/\n") != NULL;
	free(self);
	if (!at_root)
		skip(); /* the test names the new cgroup relative to the hierarchy root */
	struct fixture *fx = fx_new();
	fx_default_mounts(fx);
	char name[64];
	snprintf(name, sizeof(name), "husk-rootfs-test-%d", (int)getpid());
	char msg[2048];
	bool ok = fx_run_quiet(fx, 0, check_cgroup_moved_between, name, msg, sizeof(msg));
	char *dir = xasprintf("/sys/fs/cgroup/pids/%s", name);
	int rmdir_errno = rmdir(dir) < 0 ? errno : 0;
	free(dir);
	fx_free(fx);
	if (!ok)
		fail_msg("child failed: %s", msg);
	assert_int_equal(rmdir_errno, 0);
}

/* A config bind over the cgroup mount must not get the cgroup directories
 * created in it (it could be the host's own /sys/fs/cgroup tmpfs). */
static void check_cgroup_covered(struct fixture *fx, void *arg)
{
	(void)arg;
	char *fake = xasprintf("%s/fakecg", fx->dir);
	CHECK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0, "make / private");
	CHECK(mkdir(fake, 0755) == 0 && mount("tmpfs", fake, "tmpfs", 0, NULL) == 0, "fake tmpfs");
	int fd = open(fake, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	fx_mount(fx, "/sys/fs/cgroup", "bind", fake, "rbind");
	must_prepare_finalize(fx);
	DIR *d = fdopendir(fd);
	CHECK(d, "opendir");
	struct dirent *de;
	while ((de = readdir(d)))
		CHECK(de->d_name[0] == '.', "\"%s\" was created in the covering tmpfs", de->d_name);
}

static void test_cgroup_mount_covered_by_bind(void **state)
{
	(void)state;
	struct fixture *fx = fx_new();
	fx_default_mounts(fx);
	fx_run(fx, 0, check_cgroup_covered, NULL);
	fx_free(fx);
}

/* A pure cgroup v2 host, simulated in the child's private mount namespace by
 * mounting cgroup2 over /sys/fs/cgroup (made private first: nothing reaches the
 * host). */
static void check_cgroup_v2_host(struct fixture *fx, void *arg)
{
	bool cgns = arg != NULL;
	CHECK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0, "make / private");
	CHECK(mount("cgroup2", "/sys/fs/cgroup", "cgroup2", 0, NULL) == 0, "mount cgroup2: %s",
	      strerror(errno));
	if (cgns)
		CHECK(unshare(CLONE_NEWCGROUP) == 0, "unshare cgroupns");
	must_prepare_finalize(fx);
	struct mnt_info mi;
	CHECK(find_mount("/sys/fs/cgroup", &mi) && strcmp(mi.type, "cgroup2") == 0 &&
		  has_opt(mi.opts, "ro"),
	      "/sys/fs/cgroup is %s %s", mi.type, mi.opts);
	CHECK(access("/sys/fs/cgroup/cgroup.procs", F_OK) == 0, "no cgroup.procs");
	CHECK(!find_mount("/sys/fs/cgroup/memory", &mi), "v1 hierarchies on a v2 host");
}

static void test_cgroup_mount_pure_v2(void **state)
{
	(void)state;
	struct fixture *fx = fx_new();
	fx_default_mounts(fx);
	fx_run(fx, 0, check_cgroup_v2_host, NULL);
	fx_ns(fx, OCI_NS_CGROUP);
	fx_run(fx, 0, check_cgroup_v2_host, fx);
	fx_free(fx);
}

static void check_mount_error(struct fixture *fx, void *arg)
{
	struct husk_err *e = NULL;
	CHECK(rootfs_prepare(&fx->cfg, &fx->opts, &e) < 0, "bad mount accepted");
	CHECK(strstr(e->msg, (const char *)arg), "message: %s", e->msg);
}

static void test_mount_errors(void **state)
{
	(void)state;
	static const struct {
		const char *dest, *type, *src, *opts, *want;
	} cases[] = {
	    {"/x", "tmpfs", "tmpfs", "size=banana",
	     "mount \"tmpfs\" on \"/x\": option size=banana: "},
	    {"/x", "nosuchfs", "none", NULL, "unknown filesystem type \"nosuchfs\""},
	    {"/x", "bind", "/nonexistent-husk-src", "bind",
	     "mount \"/nonexistent-husk-src\" on \"/x\": source: no such file"},
	    {"/proc", "tmpfs", "tmpfs", NULL, "only a proc filesystem may be mounted on /proc"},
	    {"/proc/sys/kernel", "bind", "/tmp", "bind", "mounting under /proc is only"},
	    {"/x", NULL, "x", NULL, "type is required"},
	    {"/x", "tmpfs", "tmpfs", "idmap", "idmap/ridmap are only supported on bind mounts"},
	    {"/x", "bind", "/tmp", "rbind,idmap", "idmap needs uidMappings and gidMappings"},
	    {"/", "tmpfs", "tmpfs", NULL, "would hide the rootfs"},
	    {"/../", "tmpfs", "tmpfs", NULL, "would hide the rootfs"},
	    /* /myproc -> /proc in the rootfs (made by the test below) */
	    {"/myproc/sys", "tmpfs", "tmpfs", NULL, "the target is inside a procfs"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fixture *fx = fx_new();
		char *link = xasprintf("%s/myproc", fx->rootfs);
		assert_int_equal(symlink("/proc", link), 0);
		free(link);
		fx_mount(fx, "/proc", "proc", "proc", NULL);
		fx_mount(fx, cases[i].dest, cases[i].type, cases[i].src, cases[i].opts);
		fx_run(fx, 0, check_mount_error, (void *)cases[i].want);
		fx_free(fx);
	}
}

static void check_proc_overlay(struct fixture *fx, void *arg)
{
	(void)arg;
	must_prepare_finalize(fx);
	char *s = NULL;
	struct husk_err *e = NULL;
	CHECK(read_file_at(AT_FDCWD, "/proc/uptime", &s, NULL, &e) == 0 &&
		  strcmp(s, "42.0 1.0\n") == 0,
	      "/proc/uptime: %s", s ? s : "?");
	free(s);
}

/* lxcfs-style overlays of a few /proc files stay possible */
static void test_proc_allowlisted_bind(void **state)
{
	(void)state;
	struct fixture *fx = fx_new();
	char *p = xasprintf("%s/uptime", fx->dir);
	fx_write(p, "42.0 1.0\n");
	fx_mount(fx, "/proc", "proc", "proc", NULL);
	fx_mount(fx, "/proc/uptime", "bind", p, "bind,ro");
	free(p);
	fx_run(fx, 0, check_proc_overlay, NULL);
	fx_free(fx);
}

static void check_rootfs_propagation(struct fixture *fx, void *arg)
{
	must_prepare_finalize(fx);
	struct mnt_info mi;
	CHECK(find_mount("/", &mi), "no /");
	if (strcmp((const char *)arg, "shared") == 0)
		CHECK(strstr(mi.optional, "shared:"), "/ not shared: '%s'", mi.optional);
	else
		CHECK(!strstr(mi.optional, "shared:"), "/ shared: '%s'", mi.optional);
	CHECK(find_mount("/proc", &mi), "no /proc");
}

static void test_rootfs_propagation(void **state)
{
	(void)state;
	struct fixture *fx = fx_new();
	fx_mount(fx, "/proc", "proc", "proc", NULL);
	fx->cfg.linux_.rootfs_propagation = xstrdup("rshared");
	fx_run(fx, 0, check_rootfs_propagation, "shared");
	free(fx->cfg.linux_.rootfs_propagation);
	fx->cfg.linux_.rootfs_propagation = xstrdup("rslave");
	fx_run(fx, 0, check_rootfs_propagation, "slave");
	free(fx->cfg.linux_.rootfs_propagation);
	fx->cfg.linux_.rootfs_propagation = xstrdup("private");
	fx_run(fx, 0, check_rootfs_propagation, "private");
	fx_free(fx);
}

/* No mount namespace in the config: the container shares the runtime's (the
 * spec's rule), so prepare mounts nothing and finalize only chroots.  (The
 * fixture's child has a namespace of its own: nothing here touches the host.) */
static void check_no_mount_ns(struct fixture *fx, void *arg)
{
	(void)arg;
	struct husk_err *e = NULL;
	struct stat want, got;
	CHECK(stat(fx->opts.rootfs, &want) == 0, "stat rootfs");
	fx->cfg.linux_.n_namespaces = 0;
	int before = count_mounts();
	CHECK(rootfs_prepare(&fx->cfg, &fx->opts, &e) == 0, "prepare: %s", e ? e->msg : "");
	CHECK(count_mounts() == before, "prepare mounted something without a mount namespace");
	CHECK(rootfs_finalize(&fx->cfg, &fx->opts, &e) == 0, "finalize: %s", e ? e->msg : "");
	CHECK(stat("/", &got) == 0 && got.st_ino == want.st_ino && got.st_dev == want.st_dev,
	      "/ is not the rootfs after finalize");
	fx->cfg.linux_.n_namespaces = 1;
}

static void test_no_mount_namespace_chroot_only(void **state)
{
	(void)state;
	struct fixture *fx = fx_new();
	fx_mount(fx, "/proc", "proc", "proc", NULL);
	fx_run(fx, 0, check_no_mount_ns, NULL);
	fx_free(fx);
}

static void check_bad_propagation(struct fixture *fx, void *arg)
{
	(void)arg;
	struct husk_err *e = NULL;
	CHECK(rootfs_prepare(&fx->cfg, &fx->opts, &e) < 0, "accepted");
	CHECK(strstr(e->msg, "rootfsPropagation: unknown value \"sideways\""), "msg %s", e->msg);
}

static void test_bad_rootfs_propagation(void **state)
{
	(void)state;
	struct fixture *fx = fx_new();
	fx->cfg.linux_.rootfs_propagation = xstrdup("sideways");
	fx_run(fx, 0, check_bad_propagation, NULL);
	fx_free(fx);
}

int main(void)
{
	if (fx_skip_unless_mount_api())
		return 0;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_default_container),
	    cmocka_unit_test(test_bind_mounts_recursive),
	    cmocka_unit_test(test_tmpfs_copyup_remount_readonly_root),
	    cmocka_unit_test(test_idmapped_bind),
	    cmocka_unit_test(test_linux_devices),
	    cmocka_unit_test(test_bad_device_type),
	    cmocka_unit_test(test_dev_bind_gets_no_defaults),
	    cmocka_unit_test(test_bound_device_left_alone),
	    cmocka_unit_test(test_devices_in_bound_dir),
	    cmocka_unit_test(test_no_pivot),
	    cmocka_unit_test(test_console),
	    cmocka_unit_test(test_console_must_be_pty),
	    cmocka_unit_test(test_container_console),
	    cmocka_unit_test(test_console_needs_devpts),
	    cmocka_unit_test(test_sysctl),
	    cmocka_unit_test(test_sysctl_not_namespaced),
	    cmocka_unit_test(test_cgroup_mount),
	    cmocka_unit_test(test_cgroup_mount_cgroupns),
	    cmocka_unit_test(test_cgroup_mount_follows_late_cgroup_move),
	    cmocka_unit_test(test_cgroup_mount_pure_v2),
	    cmocka_unit_test(test_cgroup_mount_covered_by_bind),
	    cmocka_unit_test(test_mount_errors),
	    cmocka_unit_test(test_proc_allowlisted_bind),
	    cmocka_unit_test(test_rootfs_propagation),
	    cmocka_unit_test(test_bad_rootfs_propagation),
	    cmocka_unit_test(test_no_mount_namespace_chroot_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
