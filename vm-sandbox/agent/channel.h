/* The control channel between the monitor (host) and the guest agent: one
 * virtio-console port (the guest's /dev/hvc0, set raw), framed messages.
 * One ordered byte stream carries stdio, signals and the exit status, so the
 * exit status always arrives after the last byte of output.
 *
 * A frame: struct chan_hdr (native endian: host and guest are the same
 * machine) then len bytes of payload. */
#ifndef HUSK_VM_AGENT_CHANNEL_H
#define HUSK_VM_AGENT_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"

enum chan_type {
	/* host -> guest */
	CHAN_STDIN = 1, /* bytes for the workload's stdin */
	CHAN_STDIN_EOF, /* the host's stdin ended */
	CHAN_SIGNAL,	/* int32: a signal for the workload */
	CHAN_WINSIZE,	/* uint16 rows, cols: the terminal's new size */
	CHAN_EXIT_ACK,	/* the host has everything: the guest may power off */
	CHAN_EXEC,	/* a process JSON (OCI "process"): start it as session hdr.session */
	/* guest -> host */
	CHAN_STARTED = 16, /* the workload is about to exec (timing, state) */
	CHAN_STDOUT,	   /* bytes the workload wrote to stdout (or its terminal) */
	CHAN_STDERR,	   /* ... to stderr */
	CHAN_EXIT,	   /* int32: the workload's wait status; the last frame */
	CHAN_ERROR,	   /* text: the agent could not start the workload */
};

/* Every frame belongs to a session: 0 is the container's process, others are
 * `husk exec` processes (the monitor numbers them; see host_relay.h). */
struct chan_hdr {
	uint32_t type;
	uint32_t len;
	uint32_t session;
};

#define CHAN_MAX_PAYLOAD (32u * 1024)

struct chan_frame {
	uint32_t type;
	uint32_t len;
	uint32_t session;
	const uint8_t *data; /* points into the reader's buffer */
};

/* Write one whole frame (blocking); chan_send is session 0. */
int chan_send(int fd, uint32_t type, const void *data, uint32_t len, struct husk_err **err);
int chan_send_s(int fd, uint32_t session, uint32_t type, const void *data, uint32_t len,
		struct husk_err **err);
int chan_send_i32(int fd, uint32_t type, int32_t v, struct husk_err **err);
int chan_send_s_i32(int fd, uint32_t session, uint32_t type, int32_t v, struct husk_err **err);

/* Parse one frame from buf[0..len): bytes used (> 0), 0 when incomplete,
 * -1 when the header is invalid (unknown type or oversize). */
ssize_t chan_parse(const uint8_t *buf, size_t len, struct chan_frame *out);

/* Text the guest sent (CHAN_ERROR), for a host's terminal or log: a heap
 * string of len bytes with every control character but tab and newline (and
 * every NUL) as '?': an untrusted guest cannot drive the reader's terminal. */
char *chan_text(const void *data, size_t len);

/* Incremental reader for a (possibly non-blocking) fd. */
struct chan_reader {
	size_t have;
	bool broken; /* a malformed or refused frame: every later read fails */
	uint8_t buf[sizeof(struct chan_hdr) + CHAN_MAX_PAYLOAD];
};
typedef int (*chan_frame_cb)(void *arg, const struct chan_frame *f);
/* One read(), then every complete frame to cb (stopping if cb returns < 0).
 * Returns 1 at EOF, 0 otherwise (EAGAIN included), < 0 with err on a broken
 * stream or a failing cb; once broken, always < 0 (frames before the bad
 * one were delivered once, nothing after it ever is). */
int chan_read(struct chan_reader *r, int fd, chan_frame_cb cb, void *arg, struct husk_err **err);

#endif
