#include "cli/cmd_util.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"

bool cli_cmd_parse(const char *name, const char *usage, const struct cli_flag *flags, int argc,
		   char **argv, int min_pos, int max_pos, struct cli_args *a, int *rc)
{
	struct husk_err *err = NULL;
	if (cli_parse_flags(flags, argc, argv, 1, false, a, NULL, &err) < 0) {
		*rc = cli_usage_error(name, "%s", err->msg);
		husk_err_free(&err);
		return false;
	}
	if (a->help) {
		cli_print_usage(name, usage, flags);
		cli_args_free(a);
		*rc = 0;
		return false;
	}
	if (a->npos < min_pos || (max_pos >= 0 && a->npos > max_pos)) {
		if (min_pos == max_pos)
			*rc = cli_usage_error(name, "\"%s\" requires exactly %d argument(s)", name,
					      min_pos);
		else if (a->npos < min_pos)
			*rc = cli_usage_error(name, "\"%s\" requires at least %d argument(s)", name,
					      min_pos);
		else
			*rc = cli_usage_error(name, "\"%s\" requires at most %d argument(s)", name,
					      max_pos);
		cli_args_free(a);
		return false;
	}
	return true;
}

static void print_subcommands(const char *parent, const struct husk_subcommand *subs)
{
	printf("USAGE:\n   husk %s <subcommand> [options]\n\nSUBCOMMANDS:\n", parent);
	for (const struct husk_subcommand *s = subs; s->name; s++)
		printf("   %-12s %s\n", s->name, s->summary ? s->summary : "");
	printf("\nRun 'husk %s <subcommand> --help' for its options.\n", parent);
}

/* Documenting: the parent, then each subcommand's own help path. */
static int describe_subcommands(struct husk_globals *g, const char *parent,
				const struct husk_subcommand *subs)
{
	cli_print_usage(parent, "<subcommand> [options]", NULL);
	const char *summary = cli_describer->summary, *description = cli_describer->description;
	for (const struct husk_subcommand *s = subs; s->name; s++) {
		char *av[] = {(char *)s->name, "--help", NULL};
		cli_describer->summary = s->summary;
		cli_describer->description = s->description;
		s->run(g, 2, av);
	}
	cli_describer->summary = summary;
	cli_describer->description = description;
	return 0;
}

int cli_run_subcommand(struct husk_globals *g, const char *parent,
		       const struct husk_subcommand *subs, int argc, char **argv)
{
	if (cli_describer)
		return describe_subcommands(g, parent, subs);
	const char *name = argc >= 2 ? argv[1] : NULL;
	if (name && (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help"))) {
		print_subcommands(parent, subs);
		return 0;
	}
	for (const struct husk_subcommand *s = subs; name && s->name; s++)
		if (!strcmp(s->name, name))
			return s->run(g, argc - 1, argv + 1);
	if (!name)
		return cli_usage_error(parent, "a subcommand is needed (see 'husk %s --help')",
				       parent);
	return cli_usage_error(parent, "unknown subcommand %s (see 'husk %s --help')", name,
			       parent);
}

int cli_fail_free(struct husk_err **err)
{
	int r = cli_fail(*err);
	husk_err_free(err);
	return r;
}

bool cli_create_parse(struct husk_globals *g, const char *name, enum container_create_mode mode,
		      const struct cli_flag *extra, int argc, char **argv,
		      struct container_create_opts *o, struct cli_args *a, int *rc)
{
	*o = (struct container_create_opts){.root = g->root,
					    .systemd_cgroup = g->systemd_cgroup,
					    .vm = cli_invoked_as_vm(g),
					    .argv = g->argv,
					    .mode = mode};
	unsigned long long preserve = 0;
	const struct cli_flag common[] = {
	    {"bundle|b", CLI_FLAG_STRING, &o->bundle, "bundle directory (default: cwd)", "DIR"},
	    {"console-socket", CLI_FLAG_STRING, &o->console_socket,
	     "unix socket that receives the pty master", "PATH"},
	    {"pid-file", CLI_FLAG_STRING, &o->pid_file, "write the init's pid here", "FILE"},
	    {"pidfd-socket", CLI_FLAG_STRING, &o->pidfd_socket,
	     "unix socket that receives a pidfd of the init", "PATH"},
	    {"no-pivot", CLI_FLAG_BOOL, &o->no_pivot, "do not use pivot_root", NULL},
	    {"no-new-keyring", CLI_FLAG_BOOL, &o->no_new_keyring,
	     "keep the caller's session keyring", NULL},
	    {"vm", CLI_FLAG_BOOL, &o->vm, "run the bundle in a microVM (as husk-vm does)", NULL},
	    {"preserve-fds", CLI_FLAG_UINT, &preserve, "pass fds 3..3+N-1 to the container", "N"},
	};
	struct cli_flag flags[ARRAY_SIZE(common) + 8];
	size_t n = 0;
	for (size_t i = 0; i < ARRAY_SIZE(common); i++)
		flags[n++] = common[i];
	for (; extra && extra->names && n < ARRAY_SIZE(flags) - 1; extra++)
		flags[n++] = *extra;
	flags[n] = (struct cli_flag){0};
	if (!cli_cmd_parse(name, "[command options] <container-id>", flags, argc, argv, 1, 1, a,
			   rc))
		return false;
	o->id = a->pos[0];
	o->preserve_fds = (unsigned)preserve;
	return true;
}

int cli_exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

bool cli_invoked_as_vm(const struct husk_globals *g)
{
	const char *slash = g->argv0 ? strrchr(g->argv0, '/') : NULL;
	const char *base = slash ? slash + 1 : g->argv0;
	return base && !strcmp(base, "husk-vm");
}
