#include "runtime/container_open.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "runtime/container.h"
#include "runtime/vm_container.h"

int container_open(const char *root, const char *id, enum container_lock_mode mode,
		   struct container *c, struct husk_err **err)
{
	memset(c, 0, sizeof(*c));
	c->lock_fd = -1;
	if (container_lock(root, id, mode == CONTAINER_WRITE, &c->lock_fd, err) < 0 ||
	    container_state_load(root, id, &c->st, err) < 0)
		goto fail;
	c->status = container_status(root, c->st);
	if (!c->st->cgroup) {
		container_err(err, ENOENT, "container %s has no cgroup", id);
		goto fail;
	}
	if (cgroup_manager_load(c->st->cgroup, &c->cm, err) < 0)
		goto fail;
	return 0;
fail:
	container_close(c);
	return -1;
}

void container_unlock(struct container *c)
{
	if (c->lock_fd >= 0)
		close(c->lock_fd);
	c->lock_fd = -1;
}

void container_close(struct container *c)
{
	container_unlock(c);
	cgroup_manager_free(c->cm);
	container_state_free(c->st);
	c->cm = NULL;
	c->st = NULL;
}

int container_set_paused(const char *root, const char *id, bool pause, struct husk_err **err)
{
	struct container c;
	if (container_open(root, id, CONTAINER_WRITE, &c, err) < 0)
		return -1;
	/* runc pauses running and created containers ("container not running"
	 * otherwise) and resumes only paused ones. */
	bool ok = pause ? c.status == OCI_STATUS_RUNNING || c.status == OCI_STATUS_CREATED
			: c.status == OCI_STATUS_PAUSED;
	int r = ok ? cgroup_freeze(c.cm, pause, err)
		   : container_err(err, EINVAL,
				   pause ? "container not running" : "container not paused");
	container_close(&c);
	return r < 0 ? -1 : 0;
}

/* A memory field asks for a change: given, not zero (zero is unset, as in
 * runc) and not what the container was created with. */
static bool memory_field_changes(oci_opt_i64 asked, oci_opt_i64 created)
{
	return asked.set && asked.v != 0 && !(created.set && created.v == asked.v);
}

/* Engines send every field on an update (Docker resends the memory limit
 * and swap given at run with a new CPU quota): a VM's memory that stays as
 * it was created is no change.  Memory updates of a VM are always refused,
 * so the saved config holds what it has; without one, any value changes. */
static bool vm_memory_changes(const struct container *c, const struct oci_memory *m)
{
	struct oci_config *cfg = container_saved_config(c->st);
	const struct oci_memory none = {0};
	const struct oci_memory *created = cfg ? &cfg->linux_.resources.memory : &none;
	bool changes = memory_field_changes(m->limit, created->limit) ||
		       memory_field_changes(m->reservation, created->reservation) ||
		       memory_field_changes(m->swap, created->swap);
	if (cfg)
		oci_config_free(cfg);
	return changes;
}

/* A VM's RAM is fixed at boot (no balloon): a new memory limit would only
 * squeeze or free the monitor, never change what the guest has.  CPU limits
 * throttle the vCPU threads, so they apply. */
static bool vm_refuses_update(const char *root, const char *id, const struct container *c,
			      const struct oci_resources *res, struct husk_err **err)
{
	cleanup_free char *dir = container_dir(root, id);
	cleanup_free char *sock = xasprintf("%s/%s", dir, VM_EXEC_SOCKET);
	if (access(sock, F_OK) < 0 || !vm_memory_changes(c, &res->memory))
		return false;
	container_err(err, ENOTSUP,
		      "update: container %s runs in a VM whose memory is fixed when it boots: "
		      "memory limits cannot change",
		      id);
	return true;
}

int container_update(const char *root, const char *id, const struct oci_resources *res,
		     struct husk_err **err)
{
	struct container c;
	if (container_open(root, id, CONTAINER_WRITE, &c, err) < 0)
		return -1;
	int r = c.status == OCI_STATUS_STOPPED ? container_err(err, EINVAL, "container not running")
		: vm_refuses_update(root, id, &c, res, err) ? -1
							    : cgroup_apply(c.cm, res, err);
	container_close(&c);
	return r < 0 ? -1 : 0;
}

int container_pids(const char *root, const char *id, pid_t **pids, size_t *n, struct husk_err **err)
{
	struct container c;
	if (container_open(root, id, CONTAINER_READ, &c, err) < 0)
		return -1;
	int r = cgroup_pids(c.cm, pids, n, err);
	container_close(&c);
	return r < 0 ? -1 : 0;
}
