#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "cli/cmd_util.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "runtime/container.h"
#include "runtime/terminal.h"

static int parse_user(const char *s, struct exec_overrides *ov, struct husk_err **err)
{
	char uid[32], *colon = strchr(s, ':');
	unsigned long long u, g = 0;
	snprintf(uid, sizeof(uid), "%.*s", colon ? (int)(colon - s) : (int)strlen(s), s);
	if (parse_u64(uid, &u) < 0 || u > UINT32_MAX ||
	    (colon && (parse_u64(colon + 1, &g) < 0 || g > UINT32_MAX)))
		return husk_err_set(err, EINVAL, "--user %s: expected uid[:gid] as numbers", s);
	ov->user_set = true;
	ov->uid = (uint32_t)u;
	ov->gid = (uint32_t)g;
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

static int cmd_exec_run(struct husk_globals *g, int argc, char **argv)
{
	struct container_exec_opts o = {.root = g->root};
	struct exec_overrides ov = {0};
	const char *process = NULL, *user = NULL, *label = NULL, *apparmor = NULL, *cgroup = NULL;
	struct cli_strv env = {0}, caps = {0}, gids = {0};
	bool detach = false;
	unsigned long long preserve = 0;
	const struct cli_flag flags[] = {
	    {"console-socket", CLI_FLAG_STRING, &o.console_socket,
	     "unix socket that receives the pty master", "PATH"},
	    {"cwd", CLI_FLAG_STRING, &ov.cwd, "working directory inside the container", "DIR"},
	    {"env|e", CLI_FLAG_STRV, &env, "set an environment variable (repeatable)", "K=V"},
	    {"tty|t", CLI_FLAG_BOOL, &ov.tty, "allocate a terminal", NULL},
	    {"user|u", CLI_FLAG_STRING, &user, "uid[:gid] to run as", "UID[:GID]"},
	    {"additional-gids|g", CLI_FLAG_STRV, &gids, "not supported", "GID"},
	    {"process|p", CLI_FLAG_STRING, &process, "process.json to run", "FILE"},
	    {"detach|d", CLI_FLAG_BOOL, &detach, "return once the process started", NULL},
	    {"pid-file", CLI_FLAG_STRING, &o.pid_file, "write the process's pid here", "FILE"},
	    {"process-label", CLI_FLAG_STRING, &label, "SELinux label (not supported)", "LABEL"},
	    {"apparmor", CLI_FLAG_STRING, &apparmor, "AppArmor profile (not supported)", "PROFILE"},
	    {"no-new-privs", CLI_FLAG_BOOL, &ov.no_new_privs, "set no_new_privileges", NULL},
	    {"cap|c", CLI_FLAG_STRV, &caps, "add a capability (repeatable)", "CAP"},
	    {"preserve-fds", CLI_FLAG_UINT, &preserve, "pass fds 3..3+N-1 to the process", "N"},
	    {"cgroup", CLI_FLAG_STRING, &cgroup, "sub-cgroup (not supported)", "PATH"},
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
		printf("USAGE:\n   husk exec [command options] <container-id> <command> "
		       "[args...]\n\nOPTIONS:\n");
		cli_print_flags(flags);
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
	if (gids.n || label || apparmor || cgroup) {
		rc = cli_usage_error("exec", "--additional-gids, --process-label, --apparmor and "
					     "--cgroup are not supported");
		goto out_flags;
	}
	o.id = argv[next];
	o.preserve_fds = (unsigned)preserve;
	ov.args = argv + next + 1;
	ov.nargs = (size_t)(argc - next - 1);
	ov.env = env.v;
	ov.nenv = env.n;
	ov.caps = caps.v;
	ov.ncaps = caps.n;
	o.ov = &ov;
	struct oci_process *proc = NULL;
	if (user && parse_user(user, &ov, &err) < 0) {
		rc = cli_fail_free(&err);
		goto out_flags;
	}
	if (process && load_process_file(process, &proc, &err) < 0) {
		rc = cli_fail_free(&err);
		goto out_flags;
	}
	o.proc = proc;
	sigset_t fwd;
	cli_forward_set(&fwd);
	if (!detach)
		o.block = &fwd;
	struct exec_result res;
	if (container_exec(&o, &res, &err) < 0) {
		rc = cli_fail_free(&err);
		goto out;
	}
	if (!detach) {
		int status = 0, sigfd = signalfd(-1, &fwd, SFD_CLOEXEC);
		int r = sigfd < 0 ? husk_err_sys(&err, "signalfd")
			: res.pty_master >= 0
			    ? terminal_proxy(res.pty_master, sigfd, res.pid, &status, &err)
			    : cli_wait_forwarding(sigfd, res.pid, &status, &err);
		rc = r < 0 ? cli_fail_free(&err) : cli_exit_code(status);
		if (sigfd >= 0)
			close(sigfd);
	}
	if (res.pty_master >= 0)
		close(res.pty_master);
out:
	if (proc)
		oci_process_free(proc);
out_flags:
	free(env.v);
	free(caps.v);
	free(gids.v);
	return rc;
}

HUSK_COMMAND(cmd_exec, {.name = "exec",
			.summary = "run a process in a running container",
			.run = cmd_exec_run});
