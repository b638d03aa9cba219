#ifndef HUSK_RUNTIME_NETNS_EARLY_H
#define HUSK_RUNTIME_NETNS_EARLY_H

#include <pthread.h>
#include <stdbool.h>

/* A new network namespace, made by a thread of husk while the main thread does
 * other work (cgroups): creating one costs about 0.5 ms here (loopback device,
 * sysctl tables), more than the rest of the clone together.  The container's
 * init joins it with setns() before it does anything else, so it never runs in
 * the host's network namespace. */
struct netns_early {
	pthread_t thread;
	bool started;
	int fd;	   /* /proc/thread-self/ns/net of the thread, once made */
	int error; /* errno of a failed unshare/open */
};

/* Starts the thread.  On any failure the caller simply gets no fd from
 * netns_early_take and lets the clone make the namespace as before. */
void netns_early_start(struct netns_early *n);

/* Waits for the thread; returns the namespace fd (O_CLOEXEC, the caller owns
 * it) or -1. */
int netns_early_take(struct netns_early *n);

/* Waits for the thread if it runs and drops the namespace (failure paths). */
void netns_early_cancel(struct netns_early *n);

#endif
