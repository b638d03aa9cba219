/* --pidfd-socket (runc 1.2's contract, for create, run and exec): connect to
 * an AF_UNIX socket and hand it a pidfd of the process, SCM_RIGHTS on a
 * message whose payload names the kind of process: "standard" for a
 * container's init, "setns" for an exec'd process (runc's words). */
#ifndef HUSK_RUNTIME_EXEC_PIDFD_H
#define HUSK_RUNTIME_EXEC_PIDFD_H

#include <sys/types.h>

#include "common/err.h"

#define PIDFD_KIND_INIT "standard"
#define PIDFD_KIND_EXEC "setns"

/* pid must still exist (a zombie is fine): call before reaping it. */
int pidfd_send_to_socket(const char *socket_path, pid_t pid, const char *kind,
			 struct husk_err **err);

#endif
