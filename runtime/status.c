/* A container's status from the kernel's view: the recorded init alive with
 * the same start time, exec.fifo present, the cgroup frozen. */
#include <unistd.h>

#include "cgroups/cgroup.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "runtime/state.h"

bool container_pid_alive(const struct container_state *st)
{
	if (st->pid <= 0)
		return false;
	unsigned long long t = proc_start_time(st->pid);
	return t != 0 && t == st->pid_start_time;
}

enum oci_status container_status(const char *root, const struct container_state *st)
{
	if (!container_pid_alive(st))
		return OCI_STATUS_STOPPED;
	cleanup_free char *fifo = xasprintf("%s/%s/exec.fifo", root, st->id);
	if (access(fifo, F_OK) == 0)
		return OCI_STATUS_CREATED;
	if (st->cgroup) {
		struct cgroup_manager *cm = NULL;
		struct husk_err *e = NULL;
		if (cgroup_manager_load(st->cgroup, &cm, &e) == 0) {
			bool frozen = cgroup_is_frozen(cm);
			cgroup_manager_free(cm);
			if (frozen)
				return OCI_STATUS_PAUSED;
		}
		husk_err_free(&e);
	}
	return OCI_STATUS_RUNNING;
}
