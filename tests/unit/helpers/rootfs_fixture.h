/* Test fixture for rootfs/ unit tests: a scratch bundle with a minimal rootfs,
 * hand-built oci_config structs, and a runner that executes a check function in
 * a forked child inside a new mount namespace (so nothing it mounts can reach
 * the host) and reports the child's failure message to cmocka.
 * Header-only (static functions): include it from test_rootfs_*.c only. */
#ifndef HUSK_TEST_ROOTFS_FIXTURE_H
#define HUSK_TEST_ROOTFS_FIXTURE_H

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/err.h"
#include "common/util.h"
#include "oci/spec.h"
#include "rootfs/rootfs.h"

struct fixture {
	char dir[128];	  /* /tmp/husk-rootfs-test.XXXXXX */
	char bundle[160]; /* dir/bundle */
	char rootfs[192]; /* dir/bundle/rootfs */
	struct oci_config cfg;
	struct rootfs_opts opts;
};

static __attribute__((unused)) void fx_mkdirs(const char *base, const char *const *dirs)
{
	for (; *dirs; dirs++) {
		char *p = xasprintf("%s/%s", base, *dirs);
		struct husk_err *e = NULL;
		if (mkdir_p_at(AT_FDCWD, p, 0755, &e) < 0)
			fail_msg("mkdir %s: %s", p, e->msg);
		free(p);
	}
}

static __attribute__((unused)) void fx_write(const char *path, const char *content)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
}

static __attribute__((unused)) struct fixture *fx_new(void)
{
	struct fixture *fx = xcalloc(1, sizeof(*fx));
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/husk-rootfs-test.XXXXXX");
	if (!mkdtemp(fx->dir))
		fail_msg("mkdtemp: %s", strerror(errno));
	snprintf(fx->bundle, sizeof(fx->bundle), "%s/bundle", fx->dir);
	snprintf(fx->rootfs, sizeof(fx->rootfs), "%s/rootfs", fx->bundle);
	static const char *const dirs[] = {"proc", "sys", "dev", "tmp", "etc", "data", NULL};
	char *r = xstrdup(fx->rootfs);
	fx_mkdirs(r, dirs);
	free(r);
	fx->cfg.linux_.namespaces = xcalloc(1, sizeof(*fx->cfg.linux_.namespaces));
	fx->cfg.linux_.namespaces[0].type = OCI_NS_MOUNT;
	fx->cfg.linux_.n_namespaces = 1;
	fx->opts.bundle = fx->bundle;
	fx->opts.rootfs = fx->rootfs;
	fx->opts.console_pty_fd = -1;
	return fx;
}

static __attribute__((unused)) void fx_free_strv(oci_strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

/* Frees what the fx_* builders and tests put in the hand-made config. */
static __attribute__((unused)) void fx_free_config(struct oci_config *c)
{
	for (size_t i = 0; i < c->n_mounts; i++) {
		free(c->mounts[i].destination);
		free(c->mounts[i].type);
		free(c->mounts[i].source);
		fx_free_strv(&c->mounts[i].options);
	}
	free(c->mounts);
	free(c->linux_.namespaces);
	for (size_t i = 0; i < c->linux_.n_devices; i++) {
		free(c->linux_.devices[i].type);
		free(c->linux_.devices[i].path);
	}
	free(c->linux_.devices);
	for (size_t i = 0; i < c->linux_.sysctl.n; i++) {
		free(c->linux_.sysctl.v[i].key);
		free(c->linux_.sysctl.v[i].value);
	}
	free(c->linux_.sysctl.v);
	fx_free_strv(&c->linux_.masked_paths);
	fx_free_strv(&c->linux_.readonly_paths);
	free(c->linux_.rootfs_propagation);
	memset(c, 0, sizeof(*c));
}

static __attribute__((unused)) void fx_free(struct fixture *fx)
{
	char *cmd = xasprintf("rm -rf '%s'", fx->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "# cleanup of %s failed\n", fx->dir);
	free(cmd);
	fx_free_config(&fx->cfg);
	free(fx);
}

/* "a,b,c" -> oci_strv */
static __attribute__((unused)) oci_strv fx_strv(const char *csv)
{
	oci_strv s = {0};
	if (!csv || !*csv)
		return s;
	char *copy = xstrdup(csv);
	s.v = xcalloc(strlen(csv) + 2, sizeof(char *));
	for (char *save, *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
		s.v[s.n++] = xstrdup(t);
	free(copy);
	return s;
}

static __attribute__((unused)) void fx_mount(struct fixture *fx, const char *dest, const char *type,
					     const char *src, const char *opts)
{
	struct oci_config *c = &fx->cfg;
	c->mounts = xrealloc(c->mounts, (c->n_mounts + 1) * sizeof(*c->mounts));
	struct oci_mount *m = &c->mounts[c->n_mounts++];
	memset(m, 0, sizeof(*m));
	m->destination = xstrdup(dest);
	m->type = type ? xstrdup(type) : NULL;
	m->source = src ? xstrdup(src) : NULL;
	m->options = fx_strv(opts);
}

static __attribute__((unused)) void fx_ns(struct fixture *fx, enum oci_ns_type t)
{
	struct oci_linux *l = &fx->cfg.linux_;
	l->namespaces = xrealloc(l->namespaces, (l->n_namespaces + 1) * sizeof(*l->namespaces));
	l->namespaces[l->n_namespaces].type = t;
	l->namespaces[l->n_namespaces++].path = NULL;
}

/* The mounts `husk spec` / `runc spec` put in a default config. */
static __attribute__((unused)) void fx_default_mounts(struct fixture *fx)
{
	fx_mount(fx, "/proc", "proc", "proc", NULL);
	fx_mount(fx, "/dev", "tmpfs", "tmpfs", "nosuid,strictatime,mode=755,size=65536k");
	fx_mount(fx, "/dev/pts", "devpts", "devpts",
		 "nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=5");
	fx_mount(fx, "/dev/shm", "tmpfs", "shm", "nosuid,noexec,nodev,mode=1777,size=65536k");
	fx_mount(fx, "/dev/mqueue", "mqueue", "mqueue", "nosuid,noexec,nodev");
	fx_mount(fx, "/sys", "sysfs", "sysfs", "nosuid,noexec,nodev,ro");
	fx_mount(fx, "/sys/fs/cgroup", "cgroup", "cgroup", "nosuid,noexec,nodev,relatime,ro");
}

static __attribute__((unused)) void fx_default_paths(struct fixture *fx)
{
	fx->cfg.linux_.masked_paths =
	    fx_strv("/proc/acpi,/proc/asound,/proc/kcore,/proc/keys,/proc/latency_stats,"
		    "/proc/timer_list,/proc/timer_stats,/proc/sched_debug,/sys/firmware,"
		    "/proc/scsi");
	fx->cfg.linux_.readonly_paths =
	    fx_strv("/proc/bus,/proc/fs,/proc/irq,/proc/sys,/proc/sysrq-trigger");
}

/* The tests that mount need root and the new mount API; say why they skip. */
static __attribute__((unused)) bool fx_skip_unless_mount_api(void)
{
	if (geteuid() != 0) {
		printf("1..1\nok 1 - rootfs mount tests # SKIP they need root\n");
		return true;
	}
	int fd = open_tree(AT_FDCWD, "/", OPEN_TREE_CLOEXEC);
	if (fd < 0 && errno == ENOSYS) {
		printf("1..1\nok 1 - rootfs mount tests # SKIP open_tree/fsopen/move_mount are not "
		       "available here (valgrind 3.19 does not emulate the mount API)\n");
		return true;
	}
	if (fd >= 0)
		close(fd);
	return false;
}

/* ---- running checks in a child ------------------------------------------------ */

static __attribute__((unused)) int fx_report_fd = -1;

/* Fail the child with a message (it reaches cmocka in the parent). */
static __attribute__((unused)) void __attribute__((noreturn, format(printf, 1, 2)))
cfail(const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	if (write(fx_report_fd, buf, n) < 0)
		_exit(3);
	_exit(1);
}

#define CHECK(cond, fmt, ...)                                                                      \
	do {                                                                                       \
		if (!(cond))                                                                       \
			cfail("line %d: %s: " fmt, __LINE__, #cond, ##__VA_ARGS__);                \
	} while (0)

/* Call a rootfs function that must succeed. */
#define MUST(call)                                                                                 \
	do {                                                                                       \
		struct husk_err *_e = NULL;                                                        \
		if ((call) < 0)                                                                    \
			cfail("line %d: %s failed: %s", __LINE__, #call, _e ? _e->msg : "?");      \
	} while (0)

typedef void (*child_fn)(struct fixture *fx, void *arg);

/* Run fn in a child in a new mount namespace (plus extra_ns flags); false (and
 * the child's message in msg) when it failed. */
static __attribute__((unused)) bool fx_run_quiet(struct fixture *fx, int extra_ns, child_fn fn,
						 void *arg, char *msg, size_t msg_len)
{
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		fx_report_fd = p[1];
		if (unshare(CLONE_NEWNS | extra_ns) < 0)
			cfail("unshare: %s", strerror(errno));
		fn(fx, arg);
		_exit(0);
	}
	close(p[1]);
	ssize_t n = read_all(p[0], msg, msg_len - 1);
	close(p[0]);
	msg[n > 0 ? n : 0] = '\0';
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return true;
	size_t l = strlen(msg);
	snprintf(msg + l, msg_len - l, " (child status 0x%x)", st);
	return false;
}

static __attribute__((unused)) void fx_run(struct fixture *fx, int extra_ns, child_fn fn, void *arg)
{
	char msg[2048];
	if (!fx_run_quiet(fx, extra_ns, fn, arg, msg, sizeof(msg)))
		fail_msg("child failed: %s", msg);
}

/* ---- what the child looks at ---------------------------------------------------- */

struct mnt_info {
	char type[64];
	char opts[256];	    /* per-mount options: rw,nosuid,... */
	char optional[128]; /* shared:N master:N ... */
	char super[512];    /* superblock options */
	char root[256];
	char source[256];
};

/* The last (topmost) mountinfo entry whose mount point is mp. */
static __attribute__((unused)) bool find_mount(const char *mp, struct mnt_info *out)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return false;
	char line[4096];
	bool found = false;
	while (fgets(line, sizeof(line), f)) {
		char root[256], point[256], opts[256];
		int n = 0;
		if (sscanf(line, "%*d %*d %*s %255s %255s %255s %n", root, point, opts, &n) < 3)
			continue;
		if (strcmp(point, mp) != 0)
			continue;
		char *rest = line + n;
		char *dash = strstr(rest, "- ");
		if (!dash)
			continue;
		memset(out, 0, sizeof(*out));
		size_t ol = dash - rest;
		if (ol >= sizeof(out->optional))
			ol = sizeof(out->optional) - 1;
		memcpy(out->optional, rest, ol);
		snprintf(out->opts, sizeof(out->opts), "%s", opts);
		snprintf(out->root, sizeof(out->root), "%s", root);
		sscanf(dash + 2, "%63s %255s %511s", out->type, out->source, out->super);
		found = true;
	}
	fclose(f);
	return found;
}

static __attribute__((unused)) int count_mounts(void)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return -1;
	int n = 0, c;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

/* "rw,nosuid,nodev" has option "nosuid" */
static __attribute__((unused)) bool has_opt(const char *list, const char *opt)
{
	size_t l = strlen(opt);
	for (const char *p = list; (p = strstr(p, opt)); p += l)
		if ((p == list || p[-1] == ',') && (p[l] == ',' || p[l] == '\0' || p[l] == ' '))
			return true;
	return false;
}

static __attribute__((unused)) void must_prepare_finalize(struct fixture *fx)
{
	MUST(rootfs_prepare(&fx->cfg, &fx->opts, &_e));
	MUST(rootfs_finalize(&fx->cfg, &fx->opts, &_e));
}

#endif
