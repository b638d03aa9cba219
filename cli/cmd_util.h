/* Shared by the cli/cmd_*.c files. */
#ifndef HUSK_CLI_CMD_UTIL_H
#define HUSK_CLI_CMD_UTIL_H

#include "cli/cli.h"
#include "cli/flags.h"
#include "runtime/container.h"

#include <signal.h>
#include <sys/types.h>

/* Parse a command's flags and check the positional count (max -1: unbounded).
 * Returns true when the command should go on; otherwise *rc is its exit status
 * (help printed: 0, usage error: 1). */
bool cli_cmd_parse(const char *name, const char *usage, const struct cli_flag *flags, int argc,
		   char **argv, int min_pos, int max_pos, struct cli_args *a, int *rc);

/* Print and free err, return 1. */
int cli_fail_free(struct husk_err **err);

/* create and run: options from the globals and the flags both take (runc's
 * spellings), then extra's (may be NULL).  As cli_cmd_parse; on true, o->id
 * is the container id (in a, freed with cli_args_free). */
bool cli_create_parse(struct husk_globals *g, const char *name, enum container_create_mode mode,
		      const struct cli_flag *extra, int argc, char **argv,
		      struct container_create_opts *o, struct cli_args *a, int *rc);
/* husk invoked as husk-vm (argv[0]'s basename): create and run use a VM. */
bool cli_invoked_as_vm(const struct husk_globals *g);

/* Exit status of husk for a wait status: the code, or 128+signal. */
int cli_exit_code(int status);

#endif
