#include "common/err.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"

static int err_code(int errnum)
{
	return errnum ? -errnum : -1;
}

static char *format_with_errno(int errnum, bool strerror_suffix, const char *fmt, va_list ap)
{
	char *base = NULL;
	if (vasprintf(&base, fmt, ap) < 0)
		return NULL;
	if (!errnum || !strerror_suffix)
		return base;
	/* Go's wording, which runc prints and engines match on ("no such file or
	 * directory", "permission denied"): glibc's text with a lower-case start. */
	char reason[128];
	snprintf(reason, sizeof(reason), "%s", strerror(errnum));
	if (reason[0] >= 'A' && reason[0] <= 'Z' && reason[1] >= 'a' && reason[1] <= 'z')
		reason[0] = (char)(reason[0] - 'A' + 'a');
	char *full = NULL;
	if (asprintf(&full, "%s: %s", base, reason) < 0)
		full = NULL;
	free(base);
	return full;
}

static int set_v(struct husk_err **err, int errnum, bool strerror_suffix, const char *fmt,
		 va_list ap)
{
	if (!err)
		return err_code(errnum);
	/* Keep the first error: it is the cause; later ones are usually fallout. */
	if (*err)
		return err_code((*err)->errnum);
	struct husk_err *e = calloc(1, sizeof(*e));
	if (!e)
		abort();
	e->msg = format_with_errno(errnum, strerror_suffix, fmt, ap);
	if (!e->msg)
		abort();
	e->errnum = errnum;
	*err = e;
	return err_code(errnum);
}

int husk_err_set(struct husk_err **err, int errnum, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = set_v(err, errnum, true, fmt, ap);
	va_end(ap);
	return r;
}

int container_err(struct husk_err **err, int errnum, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	set_v(err, errnum, false, fmt, ap);
	va_end(ap);
	return err_code(errnum);
}

int husk_err_wrap(struct husk_err **err, const char *fmt, ...)
{
	if (!err || !*err)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	char *ctx = xvasprintf(fmt, ap);
	va_end(ap);
	char *full = NULL;
	if (asprintf(&full, "%s: %s", ctx, (*err)->msg) < 0)
		abort();
	free(ctx);
	free((*err)->msg);
	(*err)->msg = full;
	return err_code((*err)->errnum);
}

void husk_err_free(struct husk_err **err)
{
	if (!err || !*err)
		return;
	free((*err)->msg);
	free(*err);
	*err = NULL;
}

/* Wire format: int32 errnum, uint32 length, message bytes (no NUL). */
char *husk_err_clip(const char *msg)
{
	size_t len = strlen(msg);
	if (len <= HUSK_ERR_WIRE_MAX)
		return strdup(msg);
	/* The head says what failed, the tail why (": File name too long"). */
	size_t head = HUSK_ERR_WIRE_MAX * 3 / 4, tail = HUSK_ERR_WIRE_MAX / 8;
	char *out = NULL;
	if (asprintf(&out, "%.*s... (%zu bytes cut) ...%s", (int)head, msg, len - head - tail,
		     msg + len - tail) < 0)
		return NULL;
	return out;
}

int husk_err_send(int fd, const struct husk_err *err)
{
	char *clipped = husk_err_clip(err && err->msg ? err->msg : "unknown error");
	const char *msg = clipped ? clipped : "error message lost: out of memory";
	uint32_t len = strlen(msg);
	int32_t errnum = err ? err->errnum : 0;
	int r = (int)(sizeof(errnum) + sizeof(len) + len);
	if (write_all(fd, &errnum, sizeof(errnum)) < 0 || write_all(fd, &len, sizeof(len)) < 0 ||
	    write_all(fd, msg, len) < 0)
		r = -1;
	free(clipped);
	return r;
}

int husk_err_recv(int fd, struct husk_err **err)
{
	int32_t errnum;
	uint32_t len;
	if (read_all(fd, &errnum, sizeof(errnum)) != sizeof(errnum) ||
	    read_all(fd, &len, sizeof(len)) != sizeof(len) || len > (1u << 20))
		return husk_err_set(err, EPROTO, "malformed error message from child");
	char *msg = malloc(len + 1);
	if (!msg)
		abort();
	if (read_all(fd, msg, len) != (ssize_t)len) {
		free(msg);
		return husk_err_set(err, EPROTO, "truncated error message from child");
	}
	msg[len] = '\0';
	husk_err_free(err);
	struct husk_err *e = calloc(1, sizeof(*e));
	if (!e)
		abort();
	e->errnum = errnum;
	e->msg = msg;
	*err = e;
	return err_code(errnum);
}
