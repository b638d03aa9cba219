/* husk ps [--format table|json] <id> [ps options]: the container's processes.
 *
 * json prints the host pids as a JSON array; table runs ps(1) (default
 * "-ef") and keeps the header and the lines whose PID column is one of the
 * container's, as runc does.  ps options go after the container id, so they
 * are split off before flag parsing ("ps ID -o pid,comm" works). */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cgroup_cmd.h"
#include "cli/cmd_util.h"
#include "common/cleanup.h"
#include "common/util.h"

extern char **environ;

/* Index just past the container id: flags before it, ps options after it. */
static int split_at_id(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];
		if (strcmp(s, "--") == 0)
			return i + 2 <= argc ? i + 2 : argc;
		if (s[0] != '-' || !s[1])
			return i + 1;
		/* --format/-f take a value unless given as --format=... */
		if ((!strcmp(s, "--format") || !strcmp(s, "-f") || !strcmp(s, "-format")) &&
		    i + 1 < argc)
			i++;
	}
	return argc;
}

static int run_ps(char **args, char **out, struct husk_err **err)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return husk_err_sys(err, "pipe");
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	pid_t pid;
	int r = posix_spawnp(&pid, "ps", &fa, NULL, args, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (r != 0) {
		close(p[0]);
		return husk_err_set(err, r, "exec ps");
	}
	size_t cap = 4096, len = 0;
	char *buf = xmalloc(cap);
	for (;;) {
		if (len + 1 >= cap)
			buf = xrealloc(buf, cap *= 2);
		ssize_t k = read(p[0], buf + len, cap - len - 1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		len += (size_t)k;
	}
	buf[len] = '\0';
	*out = buf;
	close(p[0]);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return husk_err_set(err, 0, "ps failed: %s", *out);
	return 0;
}

/* Column index of the "PID" header field. */
static int pid_column(const char *header)
{
	int col = 0;
	for (const char *s = header; *s;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			break;
		size_t n = strcspn(s, " \t");
		if (n == 3 && strncmp(s, "PID", 3) == 0)
			return col;
		col++;
		s += n;
	}
	return -1;
}

static long field_at(const char *line, int col)
{
	const char *s = line;
	for (int i = 0; *s; i++) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (i == col)
			return strtol(s, NULL, 10);
		s += strcspn(s, " \t");
	}
	return -1;
}

static int print_table(char **ps_args, int n_args, const pid_t *pids, size_t n,
		       struct husk_err **err)
{
	char **args = xcalloc((size_t)n_args + 3, sizeof(char *)); /* ps, -ef, NULL */
	args[0] = (char *)"ps";
	if (n_args == 0)
		args[1] = (char *)"-ef";
	for (int i = 0; i < n_args; i++)
		args[i + 1] = ps_args[i];
	cleanup_free char *out = NULL;
	int r = run_ps(args, &out, err);
	free(args);
	if (r < 0)
		return -1;
	char *save = NULL;
	char *header = strtok_r(out, "\n", &save);
	int col = header ? pid_column(header) : -1;
	if (col < 0)
		return husk_err_set(err, 0, "couldn't find PID field in ps output");
	printf("%s\n", header);
	for (char *line; (line = strtok_r(NULL, "\n", &save));) {
		long p = field_at(line, col);
		for (size_t i = 0; i < n; i++)
			if (p == pids[i]) {
				printf("%s\n", line);
				break;
			}
	}
	return 0;
}

static int cmd_ps_run(struct husk_globals *g, int argc, char **argv)
{
	const char *format = "table";
	const struct cli_flag flags[] = {
	    {"format|f", CLI_FLAG_STRING, &format, "output format: table or json", "table|json"},
	    {0},
	};
	int split = split_at_id(argc, argv);
	struct cli_args a;
	int rc;
	if (!cli_cmd_parse("ps", "[--format table|json] <container-id> [ps options]", flags, split,
			   argv, 1, 1, &a, &rc))
		return rc;
	struct husk_err *err = NULL;
	if (strcmp(format, "table") && strcmp(format, "json")) {
		cli_args_free(&a);
		return cli_usage_error("ps", "invalid format option \"%s\"", format);
	}
	rc = 0;
	pid_t *pids = NULL;
	size_t n = 0;
	if (container_pids(g->root, a.pos[0], &pids, &n, &err) == 0) {
		if (strcmp(format, "json") == 0) {
			fputc('[', stdout);
			for (size_t i = 0; i < n; i++)
				printf("%s%d", i ? "," : "", (int)pids[i]);
			fputs("]\n", stdout);
		} else {
			print_table(argv + split, argc - split, pids, n, &err);
		}
	}
	free(pids);
	if (err)
		rc = cli_fail_free(&err);
	cli_args_free(&a);
	return rc;
}

HUSK_COMMAND(cmd_ps,
	     {.name = "ps", .summary = "list the processes of a container", .run = cmd_ps_run});
