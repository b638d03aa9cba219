/* The CLI described from its own flag tables, for the man pages
 * (cli/doc_man.c) and the bash completion (cli/doc_completion.c).
 *
 * Every registered command is run with --help while a cli_describer is set
 * (cli/flags.h): its help path hands over the table it parses with, so the
 * documentation cannot miss or invent a flag. */
#ifndef HUSK_CLI_DOC_H
#define HUSK_CLI_DOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "cli/cli.h"
#include "cli/flags.h"

struct cli_doc_flag {
	char **names; /* "bundle", "b" */
	size_t n_names;
	enum cli_flag_kind kind;
	char *help;
	char *arg_name; /* NULL for a boolean flag */
};

struct cli_doc_cmd {
	char *name; /* "run", "vm boot"; "" for husk itself and its global flags */
	char *summary;
	char *description; /* may be NULL */
	char *usage;
	struct cli_doc_flag *flags;
	size_t n_flags;
};

struct cli_doc {
	struct cli_doc_cmd *cmds; /* [0] is husk itself */
	size_t n;
};

int cli_doc_collect(struct husk_globals *g, struct cli_doc *doc, struct husk_err **err);
void cli_doc_free(struct cli_doc *doc);

/* "vm" has subcommands when "vm boot" is described too. */
bool cli_doc_has_subcommands(const struct cli_doc *doc, const struct cli_doc_cmd *c);
/* The command takes a container id as its first argument (its usage says so). */
bool cli_doc_takes_container_id(const struct cli_doc_cmd *c);
bool cli_doc_has_flag(const struct cli_doc_cmd *c, const char *name);
/* A flag's spelling as the CLI accepts it: "--bundle", "-b". */
void cli_doc_flag_spelling(const char *name, char *buf, size_t len);

/* Writers. */
int cli_doc_write_man(const struct cli_doc *doc, const char *dir, struct husk_err **err);
int cli_doc_write_completion(const struct cli_doc *doc, FILE *out, struct husk_err **err);

#endif
