/* Passing one fd over an AF_UNIX socket (SCM_RIGHTS) with a message: the
 * console socket, the create/exec sync socket, the seccomp listener. */
#ifndef HUSK_COMMON_FD_PASS_H
#define HUSK_COMMON_FD_PASS_H

#include <stddef.h>
#include <sys/types.h>

/* Send LEN bytes of DATA on SOCK with FD attached (nothing attached when
 * FD < 0); EINTR is retried, SIGPIPE not raised.  Returns the bytes sent (a
 * stream socket may take fewer than LEN), or -1 with errno set. */
ssize_t fd_pass_send(int sock, const void *data, size_t len, int fd);

/* Receive one message of at most LEN bytes into DATA and the fd that came
 * with it into *FD, close-on-exec (-1 when none came).  EINTR is retried.
 * Returns the bytes received, or -1 with errno set. */
ssize_t fd_pass_recv(int sock, void *data, size_t len, int *fd);

#endif
