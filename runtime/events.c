/* `events`: a container's stats every interval and its OOM kills, handed to
 * the caller's emitter (the CLI prints them as runc's JSON lines). */
#include <errno.h>
#include <poll.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "runtime/container_open.h"

static int emit_stats(struct cgroup_manager *cm, container_event_fn emit, void *arg,
		      struct husk_err **err)
{
	struct cgroup_stats s;
	if (cgroup_stats(cm, &s, err) < 0)
		return -1;
	int r = emit(arg, "stats", &s, err);
	cgroup_stats_free(&s);
	return r;
}

/* An error that means the cgroup went away (delete): the end of the stream. */
static bool stream_ended(struct husk_err **err)
{
	if ((*err)->errnum != ENOENT)
		return false;
	husk_err_free(err);
	return true;
}

static int stream(struct cgroup_manager *cm, long long interval_ms, container_event_fn emit,
		  void *arg, struct husk_err **err)
{
	struct cgroup_oom_watch *w = NULL;
	struct pollfd p = {.fd = -1};
	cleanup_err struct husk_err *werr = NULL;
	if (cgroup_oom_watch_open(cm, &w, &werr) == 0)
		p.fd = cgroup_oom_watch_fd(w, &p.events);
	int r = 0;
	long long next = (long long)(now_ns() / 1000000) + interval_ms;
	for (;;) {
		long long now = (long long)(now_ns() / 1000000);
		int timeout = (int)(next > now ? next - now : 0);
		int n = poll(&p, 1, timeout);
		if (n < 0 && errno != EINTR) {
			r = husk_err_sys(err, "poll");
			break;
		}
		if (n > 0) {
			uint64_t ooms = 0;
			if (cgroup_oom_watch_check(w, &ooms, err) < 0) {
				r = stream_ended(err) ? 0 : -1;
				break;
			}
			if (ooms && emit(arg, "oom", NULL, err) < 0) {
				r = -1;
				break;
			}
			continue;
		}
		if (n == 0) {
			if (emit_stats(cm, emit, arg, err) < 0) {
				r = stream_ended(err) ? 0 : -1;
				break;
			}
			next += interval_ms;
		}
	}
	cgroup_oom_watch_free(w);
	return r;
}

int container_events(const char *root, const char *id, long long interval_ms,
		     container_event_fn emit, void *arg, struct husk_err **err)
{
	struct container c;
	if (container_open(root, id, CONTAINER_READ, &c, err) < 0)
		return -1;
	int r;
	if (c.status == OCI_STATUS_STOPPED) {
		r = container_err(err, EINVAL, "container with id %s is not running", id);
	} else if (interval_ms <= 0) {
		r = emit_stats(c.cm, emit, arg, err);
	} else {
		container_unlock(&c); /* a stream must not block delete */
		r = stream(c.cm, interval_ms, emit, arg, err);
	}
	container_close(&c);
	return r < 0 ? -1 : 0;
}
