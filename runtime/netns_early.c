#include "runtime/netns_early.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

static void *make_netns(void *arg)
{
	struct netns_early *n = arg;
	/* unshare(CLONE_NEWNET) changes only this thread's namespaces; the main
	 * thread stays in the host's. */
	if (unshare(CLONE_NEWNET) < 0) {
		n->error = errno;
		return NULL;
	}
	n->fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (n->fd < 0)
		n->error = errno;
	return NULL;
}

void netns_early_start(struct netns_early *n)
{
	n->fd = -1;
	n->error = 0;
	n->started = pthread_create(&n->thread, NULL, make_netns, n) == 0;
}

int netns_early_take(struct netns_early *n)
{
	if (!n->started)
		return -1;
	pthread_join(n->thread, NULL);
	n->started = false;
	int fd = n->fd;
	n->fd = -1;
	return fd;
}

void netns_early_cancel(struct netns_early *n)
{
	int fd = netns_early_take(n);
	if (fd >= 0)
		close(fd);
}
