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

#endif
