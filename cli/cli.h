/* The CLI's shape: global flags, and subcommands that register themselves.
 *
 * Each cli/cmd_*.c defines one command and registers it with HUSK_COMMAND(), so
 * adding a command never touches a shared table (registration through a
 * linker section; the binary links libhusk.a whole). */
#ifndef HUSK_CLI_H
#define HUSK_CLI_H

#include <stdbool.h>

#include "common/err.h"

struct cli_flag;

struct husk_globals {
	const char *root;        /* --root, default /run/husk */
	const char *log_path;    /* --log */
	const char *log_format;  /* --log-format text|json */
	bool debug;              /* --debug */
	bool systemd_cgroup;     /* --systemd-cgroup */
	const char *argv0;
	char **argv;             /* the whole command line, for a re-exec (sealed binary) */
	const struct cli_flag *flags; /* the global flag table (for the docs) */
};

/* A name starting with "__" is hidden: not in --help, the man pages or the
 * completion (the generators themselves). */
struct husk_command {
	const char *name;
	const char *summary;
	/* Optional: more for the man page's DESCRIPTION (paragraphs split by "\n\n"). */
	const char *description;
	/* argv[0] is the command name; getopt-style parsing from argv[1].
	 * Returns the process exit status. */
	int (*run)(struct husk_globals *g, int argc, char **argv);
};

#define HUSK_COMMAND(sym, ...)                                                                     \
	static const struct husk_command sym = __VA_ARGS__;                                        \
	static const struct husk_command *const sym##_registration                                 \
		__attribute__((used, section("husk_commands"))) = &sym

extern const struct husk_command *const __start_husk_commands[];
extern const struct husk_command *const __stop_husk_commands[];
#define HUSK_FOR_EACH_COMMAND(c)                                                                   \
	for (const struct husk_command *const *c = __start_husk_commands;                          \
	     c < __stop_husk_commands; c++)

static inline bool husk_command_hidden(const struct husk_command *c)
{
	return c->name[0] == '_' && c->name[1] == '_';
}

/* A command made of subcommands ("vm boot", "image unpack"): argv[0] is the
 * parent's name, argv[1] the subcommand's.  Prints the list for --help or no
 * subcommand; while documenting (cli_describer) describes each subcommand. */
struct husk_subcommand {
	const char *name;
	const char *summary;
	const char *description; /* optional, as in struct husk_command */
	int (*run)(struct husk_globals *g, int argc, char **argv);
};
int cli_run_subcommand(struct husk_globals *g, const char *parent,
		       const struct husk_subcommand *subs, int argc, char **argv);

/* Print err once (through the configured log) and return the exit status 1. */
int cli_fail(struct husk_err *err);
/* Print "husk: <msg>" usage error and return 1 (runc uses exit 1 for usage too). */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
