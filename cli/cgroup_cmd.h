/* Shared by the cgroup commands (pause, resume, update, ps, events): the
 * container's state, its status and its cgroup manager, under its lock. */
#ifndef HUSK_CLI_CGROUP_CMD_H
#define HUSK_CLI_CGROUP_CMD_H

#include <stdbool.h>
#include <stdint.h>

#include "cgroups/cgroup.h"
#include "cli/cli.h"
#include "runtime/state.h"

struct cgroup_cmd {
	struct container_state *st;
	struct cgroup_manager *cm;
	enum oci_status status;
	int lock_fd;
};

/* Lock <root>/<id> (exclusive for commands that change it), load its state and
 * its cgroup manager.  A container without a cgroup is an error naming it. */
int cgroup_cmd_open(const struct husk_globals *g, const char *id, bool exclusive,
		    struct cgroup_cmd *c, struct husk_err **err);
/* Drop the lock early (long-running commands such as events). */
void cgroup_cmd_unlock(struct cgroup_cmd *c);
void cgroup_cmd_close(struct cgroup_cmd *c);

/* pause (freeze) and resume (thaw) <container-id>: one command, two directions.
 * name is the command's name for usage and errors. */
int cgroup_cmd_set_frozen(struct husk_globals *g, const char *name, bool freeze, int argc,
			  char **argv);

/* Parsers exposed for unit tests. */
/* "-1", "512k", "64m", "1g", "1GiB": bytes (docker/runc RAMInBytes). */
int update_parse_bytes(const char *s, int64_t *out);
/* Go durations: "5s", "500ms", "1m30s". */
int events_parse_duration_ms(const char *s, long long *ms);

#endif
