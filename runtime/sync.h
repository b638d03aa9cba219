/* The parent <-> init control channel (a SOCK_STREAM socketpair).
 * Every message: 1 type byte, then a type-specific body. */
#ifndef HUSK_RUNTIME_SYNC_H
#define HUSK_RUNTIME_SYNC_H

#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"

enum sync_type {
	SYNC_USERNS = 1, /* child -> parent: user ns unshared, write the maps (INIT_JOINS) */
	SYNC_GO,	 /* parent -> child: maps written, cgroup entered (not INIT_ALONE; exec) */
	SYNC_PID,	 /* child -> parent: body pid_t, the process forked to execve
			  * (process_start_fork) */
	SYNC_PTY,	 /* child -> parent: pty master, SCM_RIGHTS on a 1-byte body */
	SYNC_PREPARED,	 /* child -> parent: mounts done, run prestart/createRuntime hooks */
	SYNC_HOOKS_DONE, /* parent -> child: body u32 len + state JSON for container hooks */
	SYNC_READY,	 /* child -> parent: waiting for start */
	SYNC_ERROR,	 /* child -> parent: husk_err_send() body */
	SYNC_EXEC,	 /* child -> parent (run, exec): set-up done, execve next; EOF
			  * without it means the process died (OOM killer, SIGKILL) */
	SYNC_MOUNT_SOURCES, /* child -> parent: open my bind sources; parent -> child:
			     * one per config mount, an fd or none (mount_sources.c) */
};

int sync_send(int fd, enum sync_type t, struct husk_err **err);
int sync_send_blob(int fd, enum sync_type t, const void *buf, uint32_t len, struct husk_err **err);
/* Read one type byte; EOF gives EPIPE. */
int sync_recv_type(int fd, enum sync_type *t, struct husk_err **err);
/* Expect exactly type want; a SYNC_ERROR from the peer is unpacked into err. */
int sync_expect(int fd, enum sync_type want, struct husk_err **err);
int sync_recv_blob(int fd, char **buf, uint32_t *len, struct husk_err **err);

#endif
