#include "runtime/sync.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/util.h"

/* send() with MSG_NOSIGNAL: a peer that died must be an error, not SIGPIPE. */
static int send_all(int fd, const void *buf, size_t len)
{
	for (size_t done = 0; done < len;) {
		ssize_t n = send(fd, (const char *)buf + done, len - done, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		done += n;
	}
	return 0;
}

int sync_send(int fd, enum sync_type t, struct husk_err **err)
{
	uint8_t b = t;
	if (send_all(fd, &b, 1) < 0)
		return husk_err_sys(err, "sync: send message %d", (int)t);
	return 0;
}

int sync_send_blob(int fd, enum sync_type t, const void *buf, uint32_t len, struct husk_err **err)
{
	uint8_t hdr[5] = {t};
	memcpy(hdr + 1, &len, 4);
	if (send_all(fd, hdr, sizeof(hdr)) < 0 || (len && send_all(fd, buf, len) < 0))
		return husk_err_sys(err, "sync: send message %d", (int)t);
	return 0;
}

int sync_recv_type(int fd, enum sync_type *t, struct husk_err **err)
{
	uint8_t b;
	ssize_t n = read_all(fd, &b, 1);
	if (n < 0)
		return husk_err_sys(err, "sync: receive");
	if (n == 0)
		return husk_err_set(err, EPIPE, "sync: peer closed the channel");
	*t = b;
	return 0;
}

int sync_expect(int fd, enum sync_type want, struct husk_err **err)
{
	enum sync_type t;
	if (sync_recv_type(fd, &t, err) < 0)
		return -1;
	if (t == SYNC_ERROR) {
		husk_err_recv(fd, err);
		return -1;
	}
	if (t != want)
		return husk_err_set(err, EPROTO, "sync: expected message %d, got %d", (int)want,
				    (int)t);
	return 0;
}

int sync_recv_blob(int fd, char **buf, uint32_t *len, struct husk_err **err)
{
	uint32_t n;
	if (read_all(fd, &n, 4) != 4 || n > (64u << 20))
		return husk_err_set(err, EPROTO, "sync: bad message length");
	char *b = xmalloc(n + 1);
	if (read_all(fd, b, n) != (ssize_t)n) {
		free(b);
		return husk_err_set(err, EPROTO, "sync: truncated message");
	}
	b[n] = '\0';
	*buf = b;
	if (len)
		*len = n;
	return 0;
}
