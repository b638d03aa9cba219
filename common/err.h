/* husk's single error convention.
 *
 * Every fallible function returns int: >= 0 on success, < 0 on failure.  On
 * failure it has filled *err with a heap-allocated husk_err that carries the
 * errno and a message.  Callers either handle it (husk_err_free) or add
 * context and return it upward (husk_err_wrap).  Nothing prints on the way up:
 * the CLI prints once, at the top.
 */
#ifndef HUSK_COMMON_ERR_H
#define HUSK_COMMON_ERR_H

#include <errno.h>
#include <stdarg.h>

struct husk_err {
	int errnum;  /* errno value, 0 when the failure is not a system error */
	char *msg;   /* full message, context first: "create: rootfs: mount /proc: EPERM" */
};

/* Fill *err and return -1 (or -errnum when errnum != 0, so callers may test it). */
int husk_err_set(struct husk_err **err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* An error whose message is exactly the text (no strerror suffix) but which
 * still carries errnum, for messages engines match literally
 * ("container X does not exist", "container not running").  Returns -errnum
 * (-1 when 0) even when *err already held an error. */
int container_err(struct husk_err **err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Same as husk_err_set, with errno taken from the global errno at the time of the call. */
#define husk_err_sys(err, ...) husk_err_set((err), errno, __VA_ARGS__)

/* Prefix context to an existing error: "ctx: old message".  Returns the same code. */
int husk_err_wrap(struct husk_err **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void husk_err_free(struct husk_err **err);

/* Serialize an error to a flat buffer and back, so a child process can hand its
 * failure to the parent over a pipe. Returns bytes written/used, -1 on failure. */
/* Messages cross process boundaries cut to this size (a 1 MB hostname in a
 * message must not turn into a protocol error or a writer stuck on a pipe). */
#define HUSK_ERR_WIRE_MAX 8192
/* msg, or its head and tail around a "(N bytes cut)" note when longer than
 * HUSK_ERR_WIRE_MAX.  Heap string (NULL only when out of memory). */
char *husk_err_clip(const char *msg);
int husk_err_send(int fd, const struct husk_err *err);
int husk_err_recv(int fd, struct husk_err **err);

/* The return code that belongs with an error object. */
static inline int husk_err_code(const struct husk_err *err)
{
	return (err && err->errnum) ? -err->errnum : -1;
}

#endif
