/* process.terminal: a pty whose slave becomes the init's stdio and
 * /dev/console, whose master goes to --console-socket (SCM_RIGHTS, the way
 * runc does it: the message payload is the pty's name) or, for a foreground
 * `run` without a socket, is proxied to husk's own stdio. */
#ifndef HUSK_RUNTIME_TERMINAL_H
#define HUSK_RUNTIME_TERMINAL_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/err.h"
#include "oci/spec.h"

/* Open a pty pair; consoleSize applied when set. */
int terminal_open(const struct oci_process *proc, int *master, int *slave, struct husk_err **err);

/* Same from an open ptmx (taken over: closed on failure). */
/* Apply process.consoleSize to a pty slave. */
int terminal_set_size(const struct oci_process *proc, int slave, struct husk_err **err);

/* One fd over a unix socket, with a small payload (may be NULL). */
int terminal_send_fd(int sock, int fd, const char *payload, struct husk_err **err);
/* Receive one fd; *fd is -1 if the message carried none. */
int terminal_recv_fd(int sock, int *fd, struct husk_err **err);

/* Connect to --console-socket and hand it the master. */
int terminal_send_to_console_socket(const char *path, int master, struct husk_err **err);

/* In the init: new session, slave as controlling terminal and as fds 0, 1, 2. */
int terminal_become_stdio(int slave, struct husk_err **err);

/* Foreground run: copy stdin -> master and master -> stdout until the master
 * hangs up or *stop_fd (a signalfd) reports SIGCHLD for pid.  Returns after the
 * container init exited with its wait status in *status.  Forwards other
 * signals from the signalfd to pid. */
int terminal_proxy(int master, int sigfd, pid_t pid, int *status, struct husk_err **err);

#endif
