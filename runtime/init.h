/* The container init: what runs in the cloned child until execve.
 * Internal to runtime/. */
#ifndef HUSK_RUNTIME_INIT_H
#define HUSK_RUNTIME_INIT_H

#include <signal.h>
#include <stdbool.h>

#include "cgroups/cgroup.h"
#include "ns/ns.h"
#include "oci/spec.h"
#include "runtime/container.h"
#include "runtime/vm_container.h"

/* What the parent does for the init between the clone and the init's own
 * set-up, decided once before the clone (the handshake at create.c's head). */
enum init_start {
	/* Nothing joined by path, no new user namespace: the clone makes every
	 * new namespace and the init enters its cgroups itself.  No SYNC_GO. */
	INIT_ALONE,
	/* Nothing joined by path, a new user namespace: the clone makes them;
	 * the parent moves the init into its cgroups, writes its id maps, GO. */
	INIT_NEW_USERNS,
	/* A namespace joined by path: a plain clone; the parent moves the init
	 * into its cgroups; the init joins, unshares the new ones (SYNC_USERNS
	 * with a new user namespace: the parent writes the maps), then GO. */
	INIT_JOINS,
};

struct init_ctx {
	const struct oci_config *cfg;
	const struct container_create_opts *opts;
	const struct ns_plan *plan;
	enum init_start start;
	int sync_fd;	     /* child's end of the control socket */
	int fifo_fd;	     /* exec.fifo opened O_RDWR (create), -1 (run) */
	bool fifo_started;   /* `start` released us and waits on the fifo for execve */
	sigset_t orig_mask;  /* restored before execve */
	const char *bundle;  /* absolute */
	const char *rootfs;  /* absolute */
	unsigned listen_fds; /* LISTEN_FDS handed to the container (socket activation) */
	pid_t parent_pid;
	/* Joining its cgroups itself is much cheaper than being moved by the parent
	 * (see cgroups/cgroup.h); only possible before entering a new user ns. */
	struct cgroup_manager *cgroup; /* INIT_ALONE: join it first thing */
	bool cloned_into_v2;	       /* clone3(CLONE_INTO_CGROUP) placed us in v2 */
	int netns_fd; /* a new network ns made for us (runtime/netns_early.h), or -1 */
	/* Set: the init becomes the KVM monitor instead of exec'ing process.args
	 * (runtime/vm_container.h); config.json goes into the guest as is. */
	const struct vm_plan *vm;
	const char *config_text;
	size_t config_len;
};

/* Never returns: execs the process or exits non-zero after reporting. */
__attribute__((noreturn)) void init_main(struct init_ctx *ctx);

#endif
