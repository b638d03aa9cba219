/* husk's entry point: runc's global flags, then one registered command. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/flags.h"
#include "common/log.h"
#include "oci/spec.h"
#include "runtime/process_security.h"
#include "runtime/vm_container.h"

static const struct husk_command *find_command(const char *name)
{
	HUSK_FOR_EACH_COMMAND (c)
		if (!strcmp((*c)->name, name))
			return *c;
	return NULL;
}

static void print_version(void)
{
	printf("husk version %s\ncommit: %s\nspec: %s\n", HUSK_VERSION, HUSK_COMMIT,
	       OCI_SPEC_VERSION);
}

static void print_usage(const struct cli_flag *flags)
{
	printf("NAME:\n   husk - an OCI container runtime\n\n"
	       "USAGE:\n   husk [global options] command [command options] [arguments...]\n\n"
	       "VERSION:\n   %s\n\nCOMMANDS:\n",
	       HUSK_VERSION);
	HUSK_FOR_EACH_COMMAND (c)
		if (!husk_command_hidden(*c))
			printf("   %-12s %s\n", (*c)->name, (*c)->summary ? (*c)->summary : "");
	printf("\nGLOBAL OPTIONS:\n");
	cli_print_flags(flags);
}

int cli_fail(struct husk_err *err)
{
	const char *msg = err && err->msg ? err->msg : "unknown error";
	log_error("%s", msg);
	/* Like runc: when the log goes elsewhere, the error still reaches stderr. */
	if (husk_log_fd() != 2)
		fprintf(stderr, "%s\n", msg);
	return 1;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	struct husk_err e = {.errnum = 0, .msg = NULL};
	char *full = NULL;
	if (asprintf(&full, "%s%s%s", cmd ? cmd : "", cmd ? ": " : "", msg ? msg : "usage error") <
	    0)
		full = NULL;
	e.msg = full;
	cli_fail(&e);
	if (cmd)
		fprintf(stderr, "Run 'husk %s --help' for usage.\n", cmd);
	free(full);
	free(msg);
	return 1;
}

int main(int argc, char **argv)
{
	/* /init in a `husk run --vm` guest: the agent, not the CLI. */
	if (vm_guest_is_agent())
		vm_guest_main();
	struct husk_globals g = {.root = "/run/husk",
				 .log_format = "text",
				 .argv0 = argv[0],
				 .argv = argv};
	bool version = false, help = false;
	const char *criu = NULL, *rootless = NULL;
	const struct cli_flag flags[] = {
	    {"root", CLI_FLAG_STRING, &g.root, "root directory for storage of container state",
	     "DIR"},
	    {"log", CLI_FLAG_STRING, &g.log_path, "log file (default: stderr)", "FILE"},
	    {"log-format", CLI_FLAG_STRING, &g.log_format, "log format: text or json", "text|json"},
	    {"debug", CLI_FLAG_BOOL, &g.debug, "enable debug logging", NULL},
	    {"systemd-cgroup", CLI_FLAG_BOOL, &g.systemd_cgroup,
	     "manage cgroups through systemd (not supported yet)", NULL},
	    {"rootless", CLI_FLAG_STRING, &rootless, "accepted for runc compatibility", "VALUE"},
	    {"criu", CLI_FLAG_STRING, &criu, "accepted for runc compatibility", "PATH"},
	    {"version|v", CLI_FLAG_BOOL, &version, "print the version", NULL},
	    {"help|h", CLI_FLAG_BOOL, &help, "show help", NULL},
	    {0},
	};
	g.flags = flags;
	struct cli_args args;
	struct husk_err *err = NULL;
	int next = 1;
	if (cli_parse_flags(flags, argc, argv, 1, true, &args, &next, &err) < 0) {
		int r = cli_fail(err);
		husk_err_free(&err);
		return r;
	}
	cli_args_free(&args);

	enum husk_log_format fmt = HUSK_LOG_TEXT;
	if (!strcmp(g.log_format, "json"))
		fmt = HUSK_LOG_JSON;
	else if (strcmp(g.log_format, "text") != 0) {
		fprintf(stderr, "husk: unknown log-format \"%s\" (text or json)\n", g.log_format);
		return 1;
	}
	if (husk_log_init(g.log_path, fmt, g.debug ? HUSK_LOG_DEBUG : HUSK_LOG_WARN) < 0) {
		fprintf(stderr, "husk: open log file %s: %m\n", g.log_path);
		return 1;
	}
	if (version) {
		print_version();
		return 0;
	}
	/* No command at all prints the help and succeeds, as runc does. */
	if (next >= argc) {
		print_usage(flags);
		return 0;
	}
	const char *name = argv[next];
	if (!strcmp(name, "help")) {
		print_usage(flags);
		return 0;
	}
	if (!strcmp(name, "version")) {
		print_version();
		return 0;
	}
	const struct husk_command *cmd = find_command(name);
	if (!cmd)
		return cli_usage_error(NULL, "unknown command \"%s\" (see husk --help)", name);
	/* The commands that put a husk process into a container re-execute from the
	 * protected binary first (CVE-2019-5736, runtime/sealed_binary.c), before
	 * any work that the re-executed husk would only repeat.  container_create
	 * checks again for callers that do not come through here. */
	if (!strcmp(name, "exec") || !strcmp(name, "create") || !strcmp(name, "run")) {
		if (ensure_sealed_binary(argv, environ, &err) < 0) {
			int r = cli_fail(err);
			husk_err_free(&err);
			return r;
		}
	}
	return cmd->run(&g, argc - next, argv + next);
}
