/* Frames on the host/guest control channel (channel.h). */
#include "vm-sandbox/agent/channel.h"

#include <errno.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/util.h"

static bool type_known(uint32_t t)
{
	return (t >= CHAN_STDIN && t <= CHAN_EXEC) || (t >= CHAN_STARTED && t <= CHAN_ERROR);
}

int chan_send(int fd, uint32_t type, const void *data, uint32_t len, struct husk_err **err)
{
	return chan_send_s(fd, 0, type, data, len, err);
}

int chan_send_s(int fd, uint32_t session, uint32_t type, const void *data, uint32_t len,
		struct husk_err **err)
{
	if (len > CHAN_MAX_PAYLOAD)
		return husk_err_set(err, EMSGSIZE, "channel: frame of %u bytes", len);
	struct chan_hdr h = {.type = type, .len = len, .session = session};
	struct iovec iov[2] = {{&h, sizeof(h)}, {(void *)data, len}};
	int niov = len ? 2 : 1;
	size_t left = sizeof(h) + len;
	while (left) {
		ssize_t n = writev(fd, iov, niov);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return husk_err_sys(err, "channel: write");
		left -= (size_t)n;
		for (int i = 0; i < niov && n > 0; i++) {
			size_t used = (size_t)n < iov[i].iov_len ? (size_t)n : iov[i].iov_len;
			iov[i].iov_base = (uint8_t *)iov[i].iov_base + used;
			iov[i].iov_len -= used;
			n -= (ssize_t)used;
		}
	}
	return 0;
}

int chan_send_i32(int fd, uint32_t type, int32_t v, struct husk_err **err)
{
	return chan_send(fd, type, &v, sizeof(v), err);
}

int chan_send_s_i32(int fd, uint32_t session, uint32_t type, int32_t v, struct husk_err **err)
{
	return chan_send_s(fd, session, type, &v, sizeof(v), err);
}

ssize_t chan_parse(const uint8_t *buf, size_t len, struct chan_frame *out)
{
	struct chan_hdr h;
	if (len < sizeof(h))
		return 0;
	memcpy(&h, buf, sizeof(h));
	if (!type_known(h.type) || h.len > CHAN_MAX_PAYLOAD)
		return -1;
	if (len - sizeof(h) < h.len)
		return 0;
	out->type = h.type;
	out->len = h.len;
	out->session = h.session;
	out->data = buf + sizeof(h);
	return (ssize_t)(sizeof(h) + h.len);
}

char *chan_text(const void *data, size_t len)
{
	char *s = xmalloc(len + 1);
	const unsigned char *d = data;
	for (size_t i = 0; i < len; i++)
		s[i] = (d[i] < 0x20 && d[i] != '\n' && d[i] != '\t') || d[i] == 0x7f ? '?'
										     : (char)d[i];
	s[len] = '\0';
	return s;
}

int chan_read(struct chan_reader *r, int fd, chan_frame_cb cb, void *arg, struct husk_err **err)
{
	if (r->broken)
		return husk_err_set(err, EPROTO, "channel: the stream broke earlier");
	ssize_t n;
	do
		n = read(fd, r->buf + r->have, sizeof(r->buf) - r->have);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN ? 0 : husk_err_sys(err, "channel: read");
	if (n == 0)
		return 1;
	r->have += (size_t)n;
	size_t off = 0;
	int ret = 0;
	for (;;) {
		struct chan_frame f;
		ssize_t used = chan_parse(r->buf + off, r->have - off, &f);
		if (used < 0) {
			ret = husk_err_set(err, EPROTO, "channel: malformed frame");
			break;
		}
		if (used == 0)
			break;
		off += (size_t)used;
		if (cb(arg, &f) < 0) {
			ret = husk_err_set(err, ECANCELED, "channel: frame %u refused", f.type);
			break;
		}
	}
	/* After a bad frame nothing is trusted to line up again: no resync. */
	r->broken = ret < 0;
	memmove(r->buf, r->buf + off, r->have - off);
	r->have -= off;
	return ret;
}
