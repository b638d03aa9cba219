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

struct init_ctx {
	const struct oci_config *cfg;
	const struct container_create_opts *opts;
	const struct ns_plan *plan;
	bool fast;	     /* the clone created the namespaces (no joins) */
	int sync_fd;	     /* child's end of the control socket */
	int fifo_fd;	     /* exec.fifo opened O_RDWR (create), -1 (run) */
	bool got_go;	     /* SYNC_GO (cgroup entered, maps written) already read */
	bool fifo_started;   /* `start` released us and waits on the fifo for execve */
	sigset_t orig_mask;  /* restored before execve */
	const char *bundle;  /* absolute */
	const char *rootfs;  /* absolute */
	unsigned listen_fds; /* LISTEN_FDS handed to the container (socket activation) */
	pid_t parent_pid;
	/* Joining its cgroups itself is much cheaper than being moved by the parent
	 * (see cgroups/cgroup.h); only possible before entering a new user ns. */
	struct cgroup_manager *cgroup; /* set: join it first thing */
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
