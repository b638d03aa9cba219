/* `run`: create, start, wait and delete in one go (runc's run). */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "oci/image/image.h"
#include "runtime/container.h"
#include "runtime/foreground.h"

/* --image: unpack into <root>/.images/<id>, which `delete` removes. */
static int unpack_image(struct container_create_opts *o, const char *image, char **bundle,
			struct husk_err **err)
{
	if (container_id_validate(o->id, err) < 0)
		return -1;
	cleanup_free char *dir = xasprintf("%s/.images", o->root);
	if (mkdir_p_at(AT_FDCWD, dir, 0700, err) < 0)
		return -1;
	*bundle = image_private_bundle(o->root, o->id);
	struct image_unpack_opts u = {.image = image, .bundle = *bundle};
	if (image_unpack(&u, err) < 0)
		return -1;
	o->bundle = *bundle;
	return 0;
}

/* A workload the OOM killer ended: say so (its exit status is only 137). */
static void note_oom(const struct container_handle *h, const char *id, int status)
{
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
		return;
	cleanup_free char *note = container_oom_note_saved(h->st);
	if (note)
		log_warn("container %s: %s", id, note);
}

static void delete_quietly(const char *root, const char *id, bool warn)
{
	struct husk_err *err = NULL;
	if (container_delete(root, id, true, &err) < 0 && warn)
		log_warn("%s", err->msg);
	husk_err_free(&err);
}

int container_run(const struct container_run_opts *ro, int *status, struct husk_err **err)
{
	struct container_create_opts o = ro->create;
	o.mode = CREATE_RUN;
	*status = 0;
	cleanup_free char *image_bundle = NULL;
	if (ro->image && unpack_image(&o, ro->image, &image_bundle, err) < 0)
		return -1;
	sigset_t fwd;
	foreground_signal_set(&fwd);
	o.block = ro->detach ? NULL : &fwd;
	struct container_handle *h = NULL;
	if (container_create(&o, &h, err) < 0) {
		struct husk_err *rm = NULL;
		if (image_bundle && image_private_bundle_remove(o.root, o.id, &rm) < 0)
			log_error("%s", rm->msg);
		husk_err_free(&rm);
		return -1;
	}
	container_run_start(h);
	int r = 0;
	if (!ro->detach) {
		r = foreground_wait(&fwd, h->pid, h->pty_master, status, err);
		if (r == 0)
			note_oom(h, o.id, *status);
		if (r < 0 || !ro->keep)
			delete_quietly(o.root, o.id, r == 0);
	}
	container_handle_free(h);
	return r;
}
