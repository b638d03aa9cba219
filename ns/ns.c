#include "ns/ns.h"

#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static unsigned long ns_clone_flag(enum oci_ns_type t)
{
	switch (t) {
	case OCI_NS_PID:
		return CLONE_NEWPID;
	case OCI_NS_NETWORK:
		return CLONE_NEWNET;
	case OCI_NS_MOUNT:
		return CLONE_NEWNS;
	case OCI_NS_IPC:
		return CLONE_NEWIPC;
	case OCI_NS_UTS:
		return CLONE_NEWUTS;
	case OCI_NS_USER:
		return CLONE_NEWUSER;
	case OCI_NS_CGROUP:
		return CLONE_NEWCGROUP;
	case OCI_NS_TIME:
		return CLONE_NEWTIME;
	default:
		return 0;
	}
}

static const char *ns_name(enum oci_ns_type t)
{
	static const char *names[] = {"pid", "network", "mount",  "ipc",
				      "uts", "user",	"cgroup", "time"};
	return t < OCI_NS_COUNT ? names[t] : "?";
}

static int ns_check_type(int fd, enum oci_ns_type t, const char *path, struct husk_err **err)
{
	int type = ioctl(fd, NS_GET_NSTYPE);
	if (type < 0) {
		if (errno == ENOTTY || errno == EINVAL)
			return husk_err_set(err, EINVAL,
					    "%s namespace path %s: not a namespace file",
					    ns_name(t), path);
		return husk_err_sys(err, "%s namespace path %s", ns_name(t), path);
	}
	if ((unsigned long)type != ns_clone_flag(t))
		return husk_err_set(err, EINVAL, "namespace path %s: is not a %s namespace", path,
				    ns_name(t));
	return 0;
}

void ns_plan_close(struct ns_plan *plan)
{
	for (int i = 0; i < OCI_NS_COUNT; i++) {
		if (plan->join_fd[i] >= 0)
			close(plan->join_fd[i]);
		plan->join_fd[i] = -1;
	}
}

static int plan_validate(const struct oci_config *cfg, const struct ns_plan *plan,
			 struct husk_err **err)
{
	const struct oci_linux *lx = &cfg->linux_;
	bool has_user = plan->user_new || plan->user_join;
	if ((lx->n_uid_mappings || lx->n_gid_mappings) && !plan->user_new)
		return husk_err_set(err, EINVAL,
				    "linux.uidMappings/gidMappings given but no new user namespace "
				    "is configured");
	if (plan->user_new && (!lx->n_uid_mappings || !lx->n_gid_mappings))
		return husk_err_set(err, EINVAL,
				    "a new user namespace needs linux.uidMappings and "
				    "linux.gidMappings");
	(void)has_user;
	if (plan->time_offsets && !(plan->new_flags & CLONE_NEWTIME))
		return husk_err_set(
		    err, EINVAL, "linux.timeOffsets given but no new time namespace is configured");
	/* A uts namespace joined by path is the container's too (runc's rule; the
	 * runtime-tools suite's linux_ns_path joins one with hostname set): only
	 * the runtime's own uts namespace must never be renamed. */
	bool uts = (plan->new_flags & CLONE_NEWUTS) || plan->join_fd[OCI_NS_UTS] >= 0;
	if (cfg->hostname && *cfg->hostname && !uts)
		return husk_err_set(err, EINVAL,
				    "hostname is set but the container has no uts namespace of its own");
	if (cfg->domainname && *cfg->domainname && !uts)
		return husk_err_set(err, EINVAL,
				    "domainname is set but the container has no uts namespace of its own");
	return 0;
}

int ns_plan_build(const struct oci_config *cfg, struct ns_plan *plan, struct husk_err **err)
{
	memset(plan, 0, sizeof(*plan));
	for (int i = 0; i < OCI_NS_COUNT; i++)
		plan->join_fd[i] = -1;
	bool seen[OCI_NS_COUNT] = {0};
	for (size_t i = 0; i < cfg->linux_.n_namespaces; i++) {
		const struct oci_namespace *ns = &cfg->linux_.namespaces[i];
		if ((unsigned)ns->type >= OCI_NS_COUNT) {
			ns_plan_close(plan);
			return husk_err_set(err, EINVAL, "linux.namespaces[%zu]: unknown type", i);
		}
		if (seen[ns->type]) {
			ns_plan_close(plan);
			return husk_err_set(err, EINVAL,
					    "linux.namespaces: %s namespace listed twice",
					    ns_name(ns->type));
		}
		seen[ns->type] = true;
		if (!ns->path || !*ns->path) {
			plan->new_flags |= ns_clone_flag(ns->type);
			continue;
		}
		int fd = open(ns->path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			int e = errno;
			ns_plan_close(plan);
			return husk_err_set(err, e, "open %s namespace path %s", ns_name(ns->type),
					    ns->path);
		}
		plan->join_fd[ns->type] = fd;
		if (ns_check_type(fd, ns->type, ns->path, err) < 0) {
			ns_plan_close(plan);
			return -1;
		}
		plan->any_join = true;
	}
	plan->user_new = (plan->new_flags & CLONE_NEWUSER) != 0;
	plan->user_join = plan->join_fd[OCI_NS_USER] >= 0;
	plan->time_offsets = cfg->linux_.time_monotonic.set || cfg->linux_.time_boottime.set;
	if (plan_validate(cfg, plan, err) < 0) {
		ns_plan_close(plan);
		return -1;
	}
	return 0;
}

int ns_join(const struct ns_plan *plan, enum oci_ns_type t, struct husk_err **err)
{
	int fd = plan->join_fd[t];
	if (fd < 0)
		return 0;
	if (setns(fd, (int)ns_clone_flag(t)) < 0)
		return husk_err_sys(err, "join %s namespace", ns_name(t));
	return 0;
}

int ns_join_all(const struct ns_plan *plan, unsigned long skip_mask, struct husk_err **err)
{
	if (!(skip_mask & CLONE_NEWUSER) && ns_join(plan, OCI_NS_USER, err) < 0)
		return -1;
	for (int t = 0; t < OCI_NS_COUNT; t++) {
		if (t == OCI_NS_USER || (skip_mask & ns_clone_flag(t)))
			continue;
		if (ns_join(plan, t, err) < 0)
			return -1;
	}
	return 0;
}

char *ns_format_id_map(const struct oci_id_mapping *m, size_t n)
{
	size_t cap = n * 36 + 1, used = 0;
	char *buf = xmalloc(cap);
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++)
		used += snprintf(buf + used, cap - used, "%u %u %u\n", m[i].container_id,
				 m[i].host_id, m[i].size);
	return buf;
}

static bool have_cap_setgid(void)
{
	/* Root in the initial namespace: the kernel does not need setgroups=deny. */
	return geteuid() == 0;
}

static int write_proc(pid_t pid, const char *file, const char *text, struct husk_err **err)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	if (write_string_at(AT_FDCWD, path, text, err) < 0)
		return husk_err_wrap(err, "user namespace");
	return 0;
}

int ns_write_id_maps(pid_t pid, const struct oci_linux *lx, struct husk_err **err)
{
	if (!have_cap_setgid() && write_proc(pid, "setgroups", "deny", err) < 0)
		return -1;
	cleanup_free char *uids = ns_format_id_map(lx->uid_mappings, lx->n_uid_mappings);
	if (write_proc(pid, "uid_map", uids, err) < 0)
		return husk_err_wrap(err, "write uid map \"%.*s\"", (int)strcspn(uids, "\n"), uids);
	cleanup_free char *gids = ns_format_id_map(lx->gid_mappings, lx->n_gid_mappings);
	if (write_proc(pid, "gid_map", gids, err) < 0)
		return husk_err_wrap(err, "write gid map \"%.*s\"", (int)strcspn(gids, "\n"), gids);
	return 0;
}

int ns_write_time_offsets(pid_t pid, const struct oci_linux *lx, struct husk_err **err)
{
	char text[160];
	size_t used = 0;
	if (lx->time_monotonic.set)
		used += snprintf(text + used, sizeof(text) - used, "monotonic %lld %u\n",
				 (long long)lx->time_monotonic.secs, lx->time_monotonic.nanosecs);
	if (lx->time_boottime.set)
		used += snprintf(text + used, sizeof(text) - used, "boottime %lld %u\n",
				 (long long)lx->time_boottime.secs, lx->time_boottime.nanosecs);
	if (!used)
		return 0;
	char path[64];
	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/timens_offsets", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/timens_offsets");
	if (write_string_at(AT_FDCWD, path, text, err) < 0)
		return husk_err_wrap(err, "time namespace offsets");
	return 0;
}
