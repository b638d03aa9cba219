/* The CLI's shape: global flags, and subcommands that register themselves.
 *
 * Each cli/cmd_*.c defines one command and registers it with HUSK_COMMAND(), so
 * adding a command never touches a shared table (registration through a
 * linker section; the binary links libhusk.a whole). */
#ifndef HUSK_CLI_H
#define HUSK_CLI_H

#include <stdbool.h>

#include "common/err.h"

struct husk_globals {
	const char *root;        /* --root, default /run/husk */
	const char *log_path;    /* --log */
	const char *log_format;  /* --log-format text|json */
	bool debug;              /* --debug */
	bool systemd_cgroup;     /* --systemd-cgroup */
	const char *argv0;
	char **argv;             /* the whole command line, for a re-exec (sealed binary) */
};

struct husk_command {
	const char *name;
	const char *summary;
	/* argv[0] is the command name; getopt-style parsing from argv[1].
	 * Returns the process exit status. */
	int (*run)(struct husk_globals *g, int argc, char **argv);
};

#define HUSK_COMMAND(sym, ...)                                                                     \
	static const struct husk_command sym = __VA_ARGS__;                                        \
	static const struct husk_command *const sym##_registration                                 \
		__attribute__((used, section("husk_commands"))) = &sym

/* Print err once (through the configured log) and return the exit status 1. */
int cli_fail(struct husk_err *err);
/* Print "husk: <msg>" usage error and return 1 (runc uses exit 1 for usage too). */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
