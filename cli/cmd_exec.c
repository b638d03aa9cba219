#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmd_util.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "runtime/container.h"
#include "runtime/process_security.h"
#include "runtime/foreground.h"

static int parse_user(const char *s, struct exec_overrides *ov, struct husk_err **err)
{
	bool has_gid = false;
	uint32_t gid = 0;
	if (process_user_parse(s, &ov->uid, &gid, &has_gid, err) < 0)
		return husk_err_wrap(err, "--user");
	ov->user_set = true;
	ov->gid = has_gid ? gid : 0;
	return 0;
}

/* -g GID, repeatable; each value may also be a comma-separated list. */
static int parse_gids(const struct cli_strv *in, uint32_t **out, size_t *n, struct husk_err **err)
{
	*out = NULL;
	*n = 0;
	for (size_t i = 0; i < in->n; i++) {
		cleanup_free char *copy = xstrdup(in->v[i]);
		char *save = NULL;
		for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			unsigned long long g;
			if (parse_u64(t, &g) < 0 || g >= UINT32_MAX) {
				free(*out);
				*out = NULL;
				return husk_err_set(err, EINVAL,
						    "--additional-gids %s: expected a numeric gid", t);
			}
			*out = xrealloc(*out, (*n + 1) * sizeof(uint32_t));
			(*out)[(*n)++] = (uint32_t)g;
		}
	}
	return 0;
}

static int load_process_file(const char *path, struct oci_process **out, struct husk_err **err)
{
	cleanup_free char *text = NULL;
	size_t len;
	if (read_file_at(AT_FDCWD, path, &text, &len, err) < 0)
		return husk_err_wrap(err, "--process");
	return oci_process_parse(text, len, path, out, err);
}

/* As runc: once the arguments are understood, a failure to exec says
 * "exec failed" and exits 255, a status the process itself rarely uses. */
static int exec_failed(struct husk_err **err)
{
	husk_err_wrap(err, "exec failed");
	cli_fail_free(err);
	return 255;
}

static int cmd_exec_run(struct husk_globals *g, int argc, char **argv)
{
	struct container_exec_opts o = {.root = g->root};
	struct exec_overrides ov = {0};
	const char *process = NULL, *user = NULL;
	struct cli_strv env = {0}, caps = {0}, gids = {0}, cgroups = {0};
	bool detach = false;
	unsigned long long preserve = 0;
	uint32_t *gid_list = NULL;
	const struct cli_flag flags[] = {
		{"console-socket", CLI_FLAG_STRING, &o.console_socket,
		 "unix socket that receives the pty master", "PATH"},
		{"cwd", CLI_FLAG_STRING, &ov.cwd, "working directory inside the container", "DIR"},
		{"env|e", CLI_FLAG_STRV, &env, "set an environment variable (repeatable)", "K=V"},
		{"tty|t", CLI_FLAG_BOOL, &ov.tty, "allocate a terminal", NULL},
		{"user|u", CLI_FLAG_STRING, &user, "uid[:gid] to run as", "UID[:GID]"},
		{"additional-gids|g", CLI_FLAG_STRV, &gids, "additional group (repeatable)", "GID"},
		{"process|p", CLI_FLAG_STRING, &process, "process.json to run", "FILE"},
		{"detach|d", CLI_FLAG_BOOL, &detach, "return once the process started", NULL},
		{"pid-file", CLI_FLAG_STRING, &o.pid_file, "write the process's pid here", "FILE"},
		{"pidfd-socket", CLI_FLAG_STRING, &o.pidfd_socket,
		 "unix socket that receives a pidfd of the process", "PATH"},
		{"process-label", CLI_FLAG_STRING, &ov.process_label, "SELinux label for the process",
		 "LABEL"},
		{"apparmor", CLI_FLAG_STRING, &ov.apparmor, "AppArmor profile for the process",
		 "PROFILE"},
		{"no-new-privs", CLI_FLAG_BOOL, &ov.no_new_privs, "set no_new_privileges", NULL},
		{"cap|c", CLI_FLAG_STRV, &caps, "add a capability (repeatable)", "CAP"},
		{"preserve-fds", CLI_FLAG_UINT, &preserve, "pass fds 3..3+N-1 to the process", "N"},
		{"cgroup", CLI_FLAG_STRV, &cgroups,
		 "run in an existing sub-cgroup of the container's (repeatable)",
		 "[CTRL[,CTRL]:]PATH"},
		{"ignore-paused", CLI_FLAG_BOOL, &o.ignore_paused, "exec even if paused", NULL},
		{0},
	};
	struct cli_args a;
	struct husk_err *err = NULL;
	int next = 1, rc = 0;
	/* Like runc: flags before the id; everything after the id is the command. */
	if (cli_parse_flags(flags, argc, argv, 1, true, &a, &next, &err) < 0) {
		rc = cli_usage_error("exec", "%s", err->msg);
		husk_err_free(&err);
		goto out_flags;
	}
	cli_args_free(&a);
	if (a.help) {
		cli_print_usage("exec", "[command options] <container-id> <command> [args...]",
				flags);
		goto out_flags;
	}
	if (next >= argc) {
		rc = cli_usage_error("exec", "\"exec\" requires a container id");
		goto out_flags;
	}
	if (!process && next + 1 >= argc) {
		rc = cli_usage_error("exec", "\"exec\" requires a command or --process");
		goto out_flags;
	}
	o.id = argv[next];
	o.preserve_fds = (unsigned)preserve;
	o.sub_cgroups = cgroups.v;
	o.n_sub_cgroups = cgroups.n;
	ov.args = argv + next + 1;
	ov.nargs = (size_t)(argc - next - 1);
	ov.env = env.v;
	ov.nenv = env.n;
	ov.caps = caps.v;
	ov.ncaps = caps.n;
	o.ov = &ov;
	struct oci_process *proc = NULL;
	if (parse_gids(&gids, &gid_list, &ov.ngids, &err) < 0) {
		rc = exec_failed(&err);
		goto out_flags;
	}
	ov.additional_gids = gid_list;
	if (user && parse_user(user, &ov, &err) < 0) {
		rc = exec_failed(&err);
		goto out_flags;
	}
	if (process && load_process_file(process, &proc, &err) < 0) {
		rc = exec_failed(&err);
		goto out_flags;
	}
	o.proc = proc;
	sigset_t fwd;
	foreground_signal_set(&fwd);
	if (!detach)
		o.block = &fwd;
	struct exec_result res;
	if (container_exec(&o, &res, &err) < 0) {
		rc = exec_failed(&err);
		goto out;
	}
	if (!detach) {
		int status = 0;
		rc = foreground_wait(&fwd, res.pid, res.pty_master, &status, &err) < 0
			 ? exec_failed(&err)
			 : cli_exit_code(status);
	}
	if (res.pty_master >= 0)
		close(res.pty_master);
out:
	if (proc)
		oci_process_free(proc);
out_flags:
	free(gid_list);
	free(env.v);
	free(caps.v);
	free(gids.v);
	free(cgroups.v);
	return rc;
}

HUSK_COMMAND(cmd_exec, {.name = "exec",
			.summary = "run a process in a running container",
			.run = cmd_exec_run});
