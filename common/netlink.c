#include "common/netlink.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/cleanup.h"

#define NL_RECV_BUF 32768

int nl_open(struct husk_err **err)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return husk_err_sys(err, "netlink: socket");
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		husk_err_sys(err, "netlink: bind");
		close(fd);
		return -1;
	}
	int one = 1;
	/* Older kernels lack extended acks: the plain errno is enough then. */
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	return fd;
}

void *nl_msg_init(struct nl_msg *m, uint16_t type, uint16_t flags, size_t hdr_len)
{
	memset(m->buf, 0, NLMSG_SPACE(hdr_len));
	m->overflow = false;
	m->h.nlmsg_len = (uint32_t)NLMSG_LENGTH(hdr_len);
	m->h.nlmsg_type = type;
	m->h.nlmsg_flags = (uint16_t)(flags | NLM_F_REQUEST);
	return NLMSG_DATA(&m->h);
}

static struct rtattr *tail(struct nl_msg *m)
{
	return (struct rtattr *)(m->buf + NLMSG_ALIGN(m->h.nlmsg_len));
}

void nl_put(struct nl_msg *m, uint16_t type, const void *data, size_t len)
{
	size_t off = NLMSG_ALIGN(m->h.nlmsg_len);
	if (m->overflow || off + RTA_SPACE(len) > sizeof(m->buf)) {
		m->overflow = true;
		return;
	}
	struct rtattr *a = tail(m);
	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(a), data, len);
	memset((char *)RTA_DATA(a) + len, 0, RTA_SPACE(len) - RTA_LENGTH(len));
	m->h.nlmsg_len = (uint32_t)(off + RTA_SPACE(len));
}

void nl_put_u32(struct nl_msg *m, uint16_t type, uint32_t v)
{
	nl_put(m, type, &v, sizeof(v));
}

void nl_put_str(struct nl_msg *m, uint16_t type, const char *s)
{
	nl_put(m, type, s, strlen(s) + 1);
}

struct rtattr *nl_nest_begin(struct nl_msg *m, uint16_t type)
{
	struct rtattr *a = tail(m);
	nl_put(m, type | NLA_F_NESTED, NULL, 0);
	return m->overflow ? NULL : a;
}

void nl_nest_end(struct nl_msg *m, struct rtattr *nest)
{
	if (!nest || m->overflow)
		return;
	nest->rta_len = (unsigned short)(m->buf + m->h.nlmsg_len - (char *)nest);
}

void nl_parse_attrs(const struct rtattr *a, size_t len, const struct rtattr **tb, unsigned max)
{
	memset(tb, 0, sizeof(*tb) * (max + 1));
	int left = (int)len;
	for (; RTA_OK(a, left); a = RTA_NEXT(a, left)) {
		unsigned t = a->rta_type & NLA_TYPE_MASK;
		if (t <= max)
			tb[t] = a;
	}
}

bool nl_msg_attrs(const struct nlmsghdr *h, size_t hdr_len, const struct rtattr **tb, unsigned max)
{
	if (h->nlmsg_len < NLMSG_LENGTH(hdr_len))
		return false;
	const struct rtattr *a =
	    (const struct rtattr *)((const char *)NLMSG_DATA(h) + NLMSG_ALIGN(hdr_len));
	nl_parse_attrs(a, h->nlmsg_len - NLMSG_SPACE(hdr_len), tb, max);
	return true;
}

static int send_msg(int fd, struct nl_msg *m, const char *what, struct husk_err **err)
{
	static uint32_t seq;
	if (m->overflow)
		return husk_err_set(err, EMSGSIZE, "%s: netlink message too long", what);
	m->h.nlmsg_seq = ++seq;
	ssize_t n;
	do
		n = send(fd, m->buf, m->h.nlmsg_len, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return husk_err_sys(err, "%s: netlink send", what);
	return 0;
}

/* NLMSG_ERROR: 0 for an ack, else -errno with the kernel's extended message. */
static int error_reply(const struct nlmsghdr *h, const char *what, struct husk_err **err)
{
	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr)))
		return husk_err_set(err, EPROTO, "%s: short netlink error message", what);
	const struct nlmsgerr *e = NLMSG_DATA(h);
	if (e->error == 0)
		return 0;
	int errnum = e->error < 0 ? -e->error : EPROTO;
	const char *ext = NULL;
	if (h->nlmsg_flags & NLM_F_ACK_TLVS) {
		/* After the error comes the request's header (payload cut: NLM_F_CAPPED). */
		size_t off = sizeof(*e);
		if (!(h->nlmsg_flags & NLM_F_CAPPED))
			off += NLMSG_ALIGN(e->msg.nlmsg_len) - sizeof(e->msg);
		size_t total = h->nlmsg_len - NLMSG_HDRLEN;
		if (off < total) {
			const struct rtattr *tb[NLMSGERR_ATTR_MAX + 1];
			nl_parse_attrs((const struct rtattr *)((const char *)e + NLMSG_ALIGN(off)),
				       total - NLMSG_ALIGN(off), tb, NLMSGERR_ATTR_MAX);
			const struct rtattr *msg = tb[NLMSGERR_ATTR_MSG];
			if (msg && RTA_PAYLOAD(msg) > 1 &&
			    memchr(RTA_DATA(msg), '\0', RTA_PAYLOAD(msg)))
				ext = RTA_DATA(msg);
		}
	}
	/* husk_err_set adds the errno's text. */
	if (ext)
		return husk_err_set(err, errnum, "%s (%s)", what, ext);
	return husk_err_set(err, errnum, "%s", what);
}

/* Read replies to SEQ until the ack/error (or NLMSG_DONE of a dump). */
static int receive(int fd, uint32_t seq, const char *what, nl_dump_fn fn, void *ctx,
		   struct husk_err **err)
{
	cleanup_free char *buf = malloc(NL_RECV_BUF);
	if (!buf)
		return husk_err_set(err, ENOMEM, "%s: netlink buffer", what);
	int ret = 0;
	for (;;) {
		ssize_t n;
		do
			n = recv(fd, buf, NL_RECV_BUF, 0);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return husk_err_sys(err, "%s: netlink receive", what);
		if (n == 0)
			return husk_err_set(err, EPROTO, "%s: netlink socket closed", what);
		int left = (int)n;
		for (const struct nlmsghdr *h = (const struct nlmsghdr *)buf; NLMSG_OK(h, left);
		     h = NLMSG_NEXT(h, left)) {
			if (h->nlmsg_seq != seq)
				continue; /* a stale answer to an earlier request */
			if (h->nlmsg_type == NLMSG_ERROR)
				return ret < 0 ? ret : error_reply(h, what, err);
			if (h->nlmsg_type == NLMSG_DONE)
				return ret;
			if (fn && ret >= 0)
				ret = fn(h, ctx, err);
		}
	}
}

int nl_request(int fd, struct nl_msg *m, const char *what, struct husk_err **err)
{
	m->h.nlmsg_flags |= NLM_F_ACK;
	if (send_msg(fd, m, what, err) < 0)
		return -1;
	return receive(fd, m->h.nlmsg_seq, what, NULL, NULL, err);
}

int nl_dump(int fd, struct nl_msg *m, const char *what, nl_dump_fn fn, void *ctx,
	    struct husk_err **err)
{
	m->h.nlmsg_flags |= NLM_F_DUMP;
	if (send_msg(fd, m, what, err) < 0)
		return -1;
	return receive(fd, m->h.nlmsg_seq, what, fn, ctx, err);
}
