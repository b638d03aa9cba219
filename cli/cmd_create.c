#include <string.h>

#include "cli/cmd_util.h"
#include "runtime/container.h"
#include "runtime/exec_pidfd.h"

static int cmd_create_run(struct husk_globals *g, int argc, char **argv)
{
	struct container_create_opts o = {.root = g->root,
					  .systemd_cgroup = g->systemd_cgroup,
					  .vm = cli_invoked_as_vm(g),
					  .argv = g->argv,
					  .mode = CREATE_WAIT_FIFO};
	unsigned long long preserve = 0;
	const char *pidfd_socket = NULL;
	const struct cli_flag flags[] = {
	    CLI_CREATE_FLAGS(o, preserve, pidfd_socket),
	    {0},
	};
	struct cli_args a;
	int rc;
	if (!cli_cmd_parse("create", "[command options] <container-id>", flags, argc, argv, 1, 1,
			   &a, &rc))
		return rc;
	o.id = a.pos[0];
	o.preserve_fds = (unsigned)preserve;
	struct husk_err *err = NULL;
	struct container_handle *h = NULL;
	rc = 0;
	if (container_create(&o, &h, &err) < 0) {
		rc = cli_fail_free(&err);
	} else if (pidfd_socket &&
		   pidfd_send_to_socket(pidfd_socket, h->pid, PIDFD_KIND_INIT, &err) < 0) {
		rc = cli_fail_free(&err);
		if (container_delete(g->root, o.id, true, &err) < 0)
			husk_err_free(&err);
	}
	container_handle_free(h);
	cli_args_free(&a);
	return rc;
}

HUSK_COMMAND(cmd_create,
	     {.name = "create", .summary = "create a container", .run = cmd_create_run});
