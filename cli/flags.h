/* Go/urfave-cli style flag parsing, as runc's callers (containerd's go-runc,
 * conmon, CRI-O, podman) use it:
 *   --flag value, --flag=value, -flag value, -flag=value, -f value
 *   boolean flags: --flag, --flag=true|false
 *   flags may come after positional arguments; "--" ends flags.
 * A token that looks like a negative number ("-9") is positional, so
 * `kill ID -9` style callers are not misparsed. */
#ifndef HUSK_CLI_FLAGS_H
#define HUSK_CLI_FLAGS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

enum cli_flag_kind {
	CLI_FLAG_BOOL,
	CLI_FLAG_STRING,
	CLI_FLAG_UINT,
	CLI_FLAG_STRV, /* repeatable: each use appends to a struct cli_strv */
};

/* Values of a repeatable flag (borrowed from argv; free v only). */
struct cli_strv {
	const char **v;
	size_t n;
};

struct cli_flag {
	const char *names; /* "bundle|b": long name, then aliases */
	enum cli_flag_kind kind;
	void *target; /* bool *, const char **, unsigned long long *, struct cli_strv * */
	const char *help;
	const char *arg_name; /* shown in --help for valued flags */
};

struct cli_args {
	char **pos; /* positional arguments (borrowed from argv) */
	int npos;
	bool help; /* --help / -h seen */
};

/* Parse argv[first..argc).  stop_at_positional: stop at the first positional
 * argument (global flags before the command) and report its index in *next. */
int cli_parse_flags(const struct cli_flag *flags, int argc, char **argv, int first,
		    bool stop_at_positional, struct cli_args *out, int *next,
		    struct husk_err **err);
void cli_args_free(struct cli_args *a);

/* Print flag help lines to stdout. */
void cli_print_flags(const struct cli_flag *flags);

/* Introspection, for the man pages and the bash completion (cli/doc.c).
 * While a describer is set, every flag parse reports "--help" without looking
 * at argv, and a command's help path hands its flag table to the describer
 * instead of printing it: the documentation comes from the very table the
 * command parses with, so a flag cannot be missing from it. */
struct cli_describer {
	/* name: "run", or "vm boot" for a subcommand; flags may be NULL. */
	void (*command)(void *ctx, const char *name, const char *usage,
			const struct cli_flag *flags);
	void *ctx;
	/* Set by whoever runs the command being described (its summary and
	 * description), read by command(). */
	const char *summary, *description;
};
extern struct cli_describer *cli_describer;

/* A command's --help: "USAGE: husk NAME USAGE" and its flags on stdout, or,
 * while a describer is set, the same handed to it. */
void cli_print_usage(const char *name, const char *usage, const struct cli_flag *flags);

#endif
