/* Shared by the cli/cmd_*.c files. */
#ifndef HUSK_CLI_CMD_UTIL_H
#define HUSK_CLI_CMD_UTIL_H

#include "cli/cli.h"
#include "cli/flags.h"

/* Parse a command's flags and check the positional count (max -1: unbounded).
 * Returns true when the command should go on; otherwise *rc is its exit status
 * (help printed: 0, usage error: 1). */
bool cli_cmd_parse(const char *name, const char *usage, const struct cli_flag *flags, int argc,
		   char **argv, int min_pos, int max_pos, struct cli_args *a, int *rc);

/* Print and free err, return 1. */
int cli_fail_free(struct husk_err **err);

#endif
