/* Collecting the CLI's description from the commands themselves. */
#include "cli/doc.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"

struct collector {
	struct cli_doc *doc;
	struct husk_err **err;
	int failed;
};

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void split_names(const char *names, struct cli_doc_flag *f)
{
	for (const char *p = names; *p;) {
		size_t n = strcspn(p, "|");
		f->names = xrealloc(f->names, (f->n_names + 1) * sizeof(char *));
		f->names[f->n_names++] = strndup(p, n);
		p += n + (p[n] == '|');
	}
}

static int add_command(struct collector *c, const char *name, const char *summary,
		       const char *description, const char *usage, const struct cli_flag *flags)
{
	struct cli_doc *d = c->doc;
	d->cmds = xrealloc(d->cmds, (d->n + 1) * sizeof(*d->cmds));
	struct cli_doc_cmd *cmd = &d->cmds[d->n++];
	memset(cmd, 0, sizeof(*cmd));
	cmd->name = xstrdup(name);
	cmd->summary = xstrdup(summary ? summary : "");
	cmd->description = dup_or_null(description);
	cmd->usage = xstrdup(usage ? usage : "");
	for (const struct cli_flag *f = flags; f && f->names; f++) {
		/* One line of help per flag is what the man page and --help show. */
		if (!f->help || !*f->help)
			return husk_err_set(c->err, 0, "husk %s: flag %s has no help text", name,
					    f->names);
		cmd->flags = xrealloc(cmd->flags, (cmd->n_flags + 1) * sizeof(*cmd->flags));
		struct cli_doc_flag *df = &cmd->flags[cmd->n_flags++];
		memset(df, 0, sizeof(*df));
		split_names(f->names, df);
		df->kind = f->kind;
		df->help = xstrdup(f->help);
		if (f->kind != CLI_FLAG_BOOL)
			df->arg_name = xstrdup(f->arg_name ? f->arg_name : "VALUE");
	}
	return 0;
}

static void on_command(void *ctx, const char *name, const char *usage, const struct cli_flag *flags)
{
	struct collector *c = ctx;
	if (c->failed)
		return;
	if (add_command(c, name, cli_describer->summary, cli_describer->description, usage, flags) <
	    0)
		c->failed = 1;
}

/* Commands print nothing useful while described; keep stdout clean for the
 * completion script. */
static int silence_stdout(void)
{
	fflush(stdout);
	int saved = dup(STDOUT_FILENO);
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (saved >= 0 && null >= 0)
		dup2(null, STDOUT_FILENO);
	if (null >= 0)
		close(null);
	return saved;
}

static void restore_stdout(int saved)
{
	fflush(stdout);
	if (saved >= 0) {
		dup2(saved, STDOUT_FILENO);
		close(saved);
	}
}

static int describe(struct husk_globals *g, const struct husk_command *cmd, struct collector *c)
{
	size_t before = c->doc->n;
	char *av[] = {(char *)cmd->name, "--help", NULL};
	struct cli_describer d = {.command = on_command,
				  .ctx = c,
				  .summary = cmd->summary,
				  .description = cmd->description};
	cli_describer = &d;
	int saved = silence_stdout();
	cmd->run(g, 2, av);
	restore_stdout(saved);
	cli_describer = NULL;
	if (c->failed)
		return -1;
	if (c->doc->n == before || strcmp(c->doc->cmds[before].name, cmd->name) != 0)
		return husk_err_set(c->err, 0,
				    "husk %s does not describe its flags (its --help must go "
				    "through cli_print_usage or cli_cmd_parse)",
				    cmd->name);
	return 0;
}

int cli_doc_collect(struct husk_globals *g, struct cli_doc *doc, struct husk_err **err)
{
	memset(doc, 0, sizeof(*doc));
	struct collector c = {.doc = doc, .err = err};
	if (add_command(&c, "", "an OCI container runtime and KVM microVM monitor", NULL,
			"[global options] command [command options] [arguments...]", g->flags) < 0)
		goto fail;
	HUSK_FOR_EACH_COMMAND (cmd)
		if (!husk_command_hidden(*cmd) && describe(g, *cmd, &c) < 0)
			goto fail;
	return 0;
fail:
	cli_doc_free(doc);
	return -1;
}

void cli_doc_free(struct cli_doc *doc)
{
	for (size_t i = 0; i < doc->n; i++) {
		struct cli_doc_cmd *c = &doc->cmds[i];
		for (size_t j = 0; j < c->n_flags; j++) {
			struct cli_doc_flag *f = &c->flags[j];
			for (size_t k = 0; k < f->n_names; k++)
				free(f->names[k]);
			free(f->names);
			free(f->help);
			free(f->arg_name);
		}
		free(c->flags);
		free(c->name);
		free(c->summary);
		free(c->description);
		free(c->usage);
	}
	free(doc->cmds);
	memset(doc, 0, sizeof(*doc));
}

bool cli_doc_has_subcommands(const struct cli_doc *doc, const struct cli_doc_cmd *c)
{
	size_t len = strlen(c->name);
	if (!len)
		return false;
	for (size_t i = 0; i < doc->n; i++)
		if (!strncmp(doc->cmds[i].name, c->name, len) && doc->cmds[i].name[len] == ' ')
			return true;
	return false;
}

static bool has_flag_named(const struct cli_doc_cmd *c, const char *name)
{
	for (size_t i = 0; i < c->n_flags; i++)
		for (size_t k = 0; k < c->flags[i].n_names; k++)
			if (!strcmp(c->flags[i].names[k], name))
				return true;
	return false;
}

bool cli_doc_takes_container_id(const struct cli_doc_cmd *c)
{
	/* create and run (the commands with a bundle) name a new container */
	return strstr(c->usage, "<container-id>") != NULL && !cli_doc_has_flag(c, "bundle");
}

bool cli_doc_has_flag(const struct cli_doc_cmd *c, const char *name)
{
	return has_flag_named(c, name);
}

void cli_doc_flag_spelling(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", name[1] ? "--" : "-", name);
}
