/* Shared by the cli/cmd_*.c files. */
#ifndef HUSK_CLI_CMD_UTIL_H
#define HUSK_CLI_CMD_UTIL_H

#include "cli/cli.h"
#include "cli/flags.h"

#include <signal.h>
#include <sys/types.h>

/* Parse a command's flags and check the positional count (max -1: unbounded).
 * Returns true when the command should go on; otherwise *rc is its exit status
 * (help printed: 0, usage error: 1). */
bool cli_cmd_parse(const char *name, const char *usage, const struct cli_flag *flags, int argc,
		   char **argv, int min_pos, int max_pos, struct cli_args *a, int *rc);

/* Print and free err, return 1. */
int cli_fail_free(struct husk_err **err);

/* The signals a foreground run/exec forwards to its process. */
void cli_forward_set(sigset_t *set);

/* The flags create and run share (runc's spellings), for their flag tables. */
#define CLI_CREATE_FLAGS(opts, preserve, pidfd_socket)                                             \
	{"bundle|b", CLI_FLAG_STRING, &(opts).bundle, "bundle directory (default: cwd)", "DIR"},   \
	    {"console-socket", CLI_FLAG_STRING, &(opts).console_socket,                            \
	     "unix socket that receives the pty master", "PATH"},                                  \
	    {"pid-file", CLI_FLAG_STRING, &(opts).pid_file, "write the init's pid here", "FILE"},  \
	    {"pidfd-socket", CLI_FLAG_STRING, &(pidfd_socket),                                     \
	     "unix socket that receives a pidfd of the init", "PATH"},                             \
	    {"no-pivot", CLI_FLAG_BOOL, &(opts).no_pivot, "do not use pivot_root", NULL},          \
	    {"no-new-keyring", CLI_FLAG_BOOL, &(opts).no_new_keyring,                              \
	     "keep the caller's session keyring", NULL},                                           \
	    {"vm", CLI_FLAG_BOOL, &(opts).vm, "run the bundle in a microVM (as husk-vm does)",     \
	     NULL},                                                                                \
	{                                                                                          \
		"preserve-fds", CLI_FLAG_UINT, &(preserve), "pass fds 3..3+N-1 to the container",  \
		    "N"                                                                            \
	}
/* husk invoked as husk-vm (argv[0]'s basename): create and run use a VM. */
bool cli_invoked_as_vm(const struct husk_globals *g);

/* Forward signals read from sigfd to pid until it exits; *status is its wait status. */
int cli_wait_forwarding(int sigfd, pid_t pid, int *status, struct husk_err **err);
/* Exit status of husk for a wait status: the code, or 128+signal. */
int cli_exit_code(int status);

#endif
