/* Hidden commands that write husk's documentation from its own flag tables
 * (make install runs them):
 *   husk __gen-man DIR          husk.8 and husk-CMD.8 for every command
 *   husk __gen-completion       the bash completion script on stdout */
#include <stdio.h>

#include "cli/cmd_util.h"
#include "cli/doc.h"

static int gen_man(struct husk_globals *g, int argc, char **argv)
{
	if (argc != 2)
		return cli_usage_error("__gen-man", "usage: husk __gen-man DIR");
	struct husk_err *err = NULL;
	struct cli_doc doc;
	if (cli_doc_collect(g, &doc, &err) < 0)
		return cli_fail_free(&err);
	int rc = cli_doc_write_man(&doc, argv[1], &err) < 0 ? cli_fail_free(&err) : 0;
	cli_doc_free(&doc);
	return rc;
}

static int gen_completion(struct husk_globals *g, int argc, char **argv)
{
	if (argc != 1)
		return cli_usage_error("__gen-completion", "usage: husk __gen-completion");
	struct husk_err *err = NULL;
	struct cli_doc doc;
	if (cli_doc_collect(g, &doc, &err) < 0)
		return cli_fail_free(&err);
	int rc = cli_doc_write_completion(&doc, stdout, &err) < 0 ? cli_fail_free(&err) : 0;
	cli_doc_free(&doc);
	return rc;
}

HUSK_COMMAND(cmd_gen_man,
	     {.name = "__gen-man", .summary = "write the man pages into DIR", .run = gen_man});
HUSK_COMMAND(cmd_gen_completion, {.name = "__gen-completion",
				  .summary = "print the bash completion script",
				  .run = gen_completion});
