/* Shared by the cgroup commands (pause, resume, update, events): one pause/resume
 * command and the parsers of their flags.  The container work itself is in
 * runtime/container_open.h. */
#ifndef HUSK_CLI_CGROUP_CMD_H
#define HUSK_CLI_CGROUP_CMD_H

#include <stdbool.h>
#include <stdint.h>

#include "cli/cli.h"
#include "runtime/container_open.h"

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
