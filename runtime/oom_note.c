/* Say so when the OOM killer is why a container died: a memory limit below
 * what the container needs must not end as a bare exit status 137. */
#include "runtime/container.h"

#include <inttypes.h>

#include "cgroups/cgroup.h"
#include "common/util.h"

char *container_oom_note(struct cgroup_manager *cm, bool during_setup)
{
	struct cgroup_stats st = {0};
	struct husk_err *err = NULL;
	char *note = NULL;
	if (!cm || cgroup_stats(cm, &st, &err) < 0) {
		husk_err_free(&err);
		cgroup_stats_free(&st);
		return NULL;
	}
	if (st.oom_kill > 0 && during_setup)
		note = xasprintf("the container init was killed by the OOM killer during set-up: "
				 "the memory limit (%" PRIu64 " bytes) is below what the container "
				 "needs to start (current usage: %" PRIu64 ", peak usage: %" PRIu64
				 ")",
				 st.mem.limit, st.mem.usage, st.mem.max);
	else if (st.oom_kill > 0)
		note = xasprintf("killed by the OOM killer (memory limit: %" PRIu64
				 " bytes, peak usage: %" PRIu64 ")",
				 st.mem.limit, st.mem.max);
	cgroup_stats_free(&st);
	return note;
}

char *container_oom_note_saved(const struct container_state *st)
{
	struct cgroup_manager *cm = NULL;
	struct husk_err *err = NULL;
	if (!st || !st->cgroup || cgroup_manager_load(st->cgroup, &cm, &err) < 0) {
		husk_err_free(&err);
		return NULL;
	}
	char *note = container_oom_note(cm, false);
	cgroup_manager_free(cm);
	return note;
}
