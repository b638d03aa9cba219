#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cmd_util.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "oci/image/image.h"
#include "runtime/container.h"
#include "runtime/exec_pidfd.h"
#include "runtime/terminal.h"

/* --image: unpack into <root>/.images/<id>, which `delete` removes. */
static int run_unpack_image(const char *root, struct container_create_opts *o, const char *image,
			    char **bundle)
{
	struct husk_err *err = NULL;
	if (o->bundle)
		return cli_usage_error("run", "--image and --bundle exclude each other");
	if (container_id_validate(o->id, &err) < 0)
		return cli_fail_free(&err);
	cleanup_free char *dir = xasprintf("%s/.images", root);
	if (mkdir_p_at(AT_FDCWD, dir, 0700, &err) < 0)
		return cli_fail_free(&err);
	*bundle = image_private_bundle(root, o->id);
	struct image_unpack_opts u = {.image = image, .bundle = *bundle};
	if (image_unpack(&u, &err) < 0)
		return cli_fail_free(&err);
	o->bundle = *bundle;
	return 0;
}

static int cmd_run_run(struct husk_globals *g, int argc, char **argv)
{
	struct container_create_opts o = {.root = g->root,
					  .systemd_cgroup = g->systemd_cgroup,
					  .vm = cli_invoked_as_vm(g),
					  .argv = g->argv,
					  .mode = CREATE_RUN};
	unsigned long long preserve = 0;
	const char *pidfd_socket = NULL;
	bool detach = false, keep = false;
	const char *image = NULL;
	const struct cli_flag flags[] = {
	    CLI_CREATE_FLAGS(o, preserve, pidfd_socket),
	    {"image", CLI_FLAG_STRING, &image,
	     "unpack this image (oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE) "
	     "into a private bundle, removed on delete",
	     "IMAGE"},
	    {"detach|d", CLI_FLAG_BOOL, &detach, "return once the container started", NULL},
	    {"keep", CLI_FLAG_BOOL, &keep, "do not delete the container after it exits", NULL},
	    {0},
	};
	struct cli_args a;
	int rc;
	if (!cli_cmd_parse("run", "[command options] <container-id>", flags, argc, argv, 1, 1, &a,
			   &rc))
		return rc;
	o.id = a.pos[0];
	o.preserve_fds = (unsigned)preserve;
	cleanup_free char *image_bundle = NULL;
	if (image) {
		rc = run_unpack_image(g->root, &o, image, &image_bundle);
		if (rc != 0) {
			cli_args_free(&a);
			return rc;
		}
	}
	sigset_t fwd;
	cli_forward_set(&fwd);
	if (!detach)
		o.block = &fwd;
	struct husk_err *err = NULL;
	struct container_handle *h = NULL;
	int sigfd = -1;
	if (container_create(&o, &h, &err) < 0) {
		rc = cli_fail_free(&err);
		if (image_bundle && image_private_bundle_remove(g->root, o.id, &err) < 0)
			cli_fail_free(&err);
		goto out;
	}
	if (!detach) {
		sigfd = signalfd(-1, &fwd, SFD_CLOEXEC);
		if (sigfd < 0) {
			husk_err_sys(&err, "signalfd");
			goto fail;
		}
	}
	if (pidfd_socket && pidfd_send_to_socket(pidfd_socket, h->pid, PIDFD_KIND_INIT, &err) < 0)
		goto fail;
	container_run_start(h);
	if (detach) {
		rc = 0;
		goto out;
	}
	int status = 0;
	int r = h->pty_master >= 0 ? terminal_proxy(h->pty_master, sigfd, h->pid, &status, &err)
				   : cli_wait_forwarding(sigfd, h->pid, &status, &err);
	if (r < 0)
		goto fail;
	rc = cli_exit_code(status);
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
		char *note = container_oom_note_saved(h->st);
		if (note)
			log_warn("container %s: %s", o.id, note);
		free(note);
	}
	if (!keep && container_delete(g->root, o.id, true, &err) < 0) {
		log_warn("%s", err->msg);
		husk_err_free(&err);
	}
	goto out;
fail:
	rc = cli_fail_free(&err);
	if (container_delete(g->root, o.id, true, &err) < 0)
		husk_err_free(&err);
out:
	if (sigfd >= 0)
		close(sigfd);
	container_handle_free(h);
	cli_args_free(&a);
	return rc;
}

HUSK_COMMAND(cmd_run,
	     {.name = "run", .summary = "create and start a container", .run = cmd_run_run});
