#include "oci/default_spec.h"

#include <unistd.h>

#include "oci/json_gen.h"
#include "oci/spec.h"

static const char *const default_caps[] = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE",
					   NULL};

static const char *const default_args[] = {"sh", NULL};
static const char *const default_env[] = {
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm", NULL};
static const struct oci_spec_template default_template = {
    .args = default_args,
    .env = default_env,
    .cwd = "/",
    .terminal = true,
    .root_readonly = true,
};

static bool gen_user(yajl_gen g, const struct oci_spec_template *t)
{
	bool ok = jg_key(g, "user") && jg_open_map(g) && jg_kint(g, "uid", t->uid) &&
		  jg_kint(g, "gid", t->gid);
	if (ok && t->n_additional_gids) {
		ok = jg_key(g, "additionalGids") && jg_open_array(g);
		for (size_t i = 0; ok && i < t->n_additional_gids; i++)
			ok = yajl_gen_integer(g, t->additional_gids[i]) == yajl_gen_status_ok;
		ok = ok && jg_close_array(g);
	}
	return ok && jg_close_map(g);
}

static bool gen_process(yajl_gen g, const struct oci_spec_template *t)
{
	static const char *const sets[] = {"bounding", "effective", "permitted", "ambient", NULL};
	bool ok = jg_key(g, "process") && jg_open_map(g) && jg_kbool(g, "terminal", t->terminal) &&
		  gen_user(g, t) && jg_kstrv(g, "args", t->args) && jg_kstrv(g, "env", t->env) &&
		  jg_kstr(g, "cwd", t->cwd) && jg_key(g, "capabilities") && jg_open_map(g);
	for (size_t i = 0; ok && sets[i]; i++)
		ok = jg_kstrv(g, sets[i], default_caps);
	return ok && jg_close_map(g) && jg_key(g, "rlimits") && jg_open_array(g) &&
	       jg_open_map(g) && jg_kstr(g, "type", "RLIMIT_NOFILE") && jg_kint(g, "hard", 1024) &&
	       jg_kint(g, "soft", 1024) && jg_close_map(g) && jg_close_array(g) &&
	       jg_kbool(g, "noNewPrivileges", true) && jg_close_map(g);
}

struct mount_tpl {
	const char *destination, *type, *source;
	const char *const *options;
};

static bool gen_mounts(yajl_gen g, bool rootless)
{
	static const char *const dev[] = {"nosuid", "strictatime", "mode=755", "size=65536k", NULL};
	static const char *const pts[] = {"nosuid",    "noexec", "newinstance", "ptmxmode=0666",
					  "mode=0620", "gid=5",	 NULL};
	/* Rootless: gid 5 is not mapped in the user namespace. */
	static const char *const pts_rootless[] = {"nosuid",	    "noexec",	 "newinstance",
						   "ptmxmode=0666", "mode=0620", NULL};
	static const char *const shm[] = {"nosuid",    "noexec",      "nodev",
					  "mode=1777", "size=65536k", NULL};
	static const char *const mqueue[] = {"nosuid", "noexec", "nodev", NULL};
	static const char *const sys[] = {"nosuid", "noexec", "nodev", "ro", NULL};
	/* Rootless: sysfs cannot be mounted without owning the network namespace. */
	static const char *const sys_rootless[] = {"rbind", "nosuid", "noexec",
						   "nodev", "ro",     NULL};
	static const char *const cgroup[] = {"nosuid", "noexec", "nodev", "relatime", "ro", NULL};
	const struct mount_tpl mounts[] = {
	    {"/proc", "proc", "proc", NULL},
	    {"/dev", "tmpfs", "tmpfs", dev},
	    {"/dev/pts", "devpts", "devpts", rootless ? pts_rootless : pts},
	    {"/dev/shm", "tmpfs", "shm", shm},
	    {"/dev/mqueue", "mqueue", "mqueue", mqueue},
	    rootless ? (struct mount_tpl){"/sys", "none", "/sys", sys_rootless}
		     : (struct mount_tpl){"/sys", "sysfs", "sysfs", sys},
	    {"/sys/fs/cgroup", "cgroup", "cgroup", cgroup},
	};
	bool ok = jg_key(g, "mounts") && jg_open_array(g);
	for (size_t i = 0; ok && i < sizeof(mounts) / sizeof(mounts[0]); i++) {
		const struct mount_tpl *m = &mounts[i];
		ok = jg_open_map(g) && jg_kstr(g, "destination", m->destination) &&
		     jg_kstr(g, "type", m->type) && jg_kstr(g, "source", m->source);
		if (ok && m->options)
			ok = jg_kstrv(g, "options", m->options);
		ok = ok && jg_close_map(g);
	}
	return ok && jg_close_array(g);
}

static bool gen_idmap(yajl_gen g, const char *key, unsigned host_id)
{
	return jg_key(g, key) && jg_open_array(g) && jg_open_map(g) &&
	       jg_kint(g, "containerID", 0) && jg_kint(g, "hostID", host_id) &&
	       jg_kint(g, "size", 1) && jg_close_map(g) && jg_close_array(g);
}

static bool gen_linux(yajl_gen g, bool rootless)
{
	static const char *const ns[] = {"pid", "network", "ipc", "uts", "mount", NULL};
	static const char *const ns_rootless[] = {"pid", "ipc", "uts", "mount", "user", NULL};
	static const char *const masked[] = {
	    "/proc/acpi",
	    "/proc/asound",
	    "/proc/kcore",
	    "/proc/keys",
	    "/proc/latency_stats",
	    "/proc/timer_list",
	    "/proc/timer_stats",
	    "/proc/sched_debug",
	    "/sys/firmware",
	    "/proc/scsi",
	    NULL,
	};
	static const char *const readonly[] = {
	    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL};
	bool ok = jg_key(g, "linux") && jg_open_map(g);
	if (rootless)
		ok = ok && gen_idmap(g, "uidMappings", geteuid()) &&
		     gen_idmap(g, "gidMappings", getegid());
	else
		ok = ok && jg_key(g, "resources") && jg_open_map(g) && jg_key(g, "devices") &&
		     jg_open_array(g) && jg_open_map(g) && jg_kbool(g, "allow", false) &&
		     jg_kstr(g, "access", "rwm") && jg_close_map(g) && jg_close_array(g) &&
		     jg_close_map(g);
	ok = ok && jg_key(g, "namespaces") && jg_open_array(g);
	for (const char *const *t = rootless ? ns_rootless : ns; ok && *t; t++)
		ok = jg_open_map(g) && jg_kstr(g, "type", *t) && jg_close_map(g);
	return ok && jg_close_array(g) && jg_kstrv(g, "maskedPaths", masked) &&
	       jg_kstrv(g, "readonlyPaths", readonly) && jg_close_map(g);
}

static int gen_spec(const struct oci_spec_template *t, bool rootless, char **out, size_t *len,
		    struct husk_err **err)
{
	yajl_gen g = jg_new(true);
	bool ok = jg_open_map(g) && jg_kstr(g, "ociVersion", OCI_SPEC_VERSION) &&
		  gen_process(g, t) && jg_key(g, "root") && jg_open_map(g) &&
		  jg_kstr(g, "path", "rootfs") && jg_kbool(g, "readonly", t->root_readonly) &&
		  jg_close_map(g) && jg_kstr(g, "hostname", "husk") && gen_mounts(g, rootless);
	if (ok && t->annotations && t->annotations[0]) {
		ok = jg_key(g, "annotations") && jg_open_map(g);
		for (const char *const *a = t->annotations; ok && a[0]; a += 2)
			ok = jg_kstr(g, a[0], a[1]);
		ok = ok && jg_close_map(g);
	}
	ok = ok && gen_linux(g, rootless) && jg_close_map(g);
	if (jg_finish(g, ok, out, len, err) < 0)
		return husk_err_wrap(err, "default spec");
	return 0;
}

int oci_default_spec_json(bool rootless, char **out, size_t *len, struct husk_err **err)
{
	return gen_spec(&default_template, rootless, out, len, err);
}

int oci_spec_json_from_template(const struct oci_spec_template *t, char **out, size_t *len,
				struct husk_err **err)
{
	return gen_spec(t, false, out, len, err);
}
