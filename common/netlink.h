/* A small rtnetlink client: build a request (header, family header,
 * attributes, nests), send it and read the kernel's acknowledgement, or walk
 * the replies of a dump.  Used by the VM network set-up on the host
 * (runtime/vm_net_setup.c: links, addresses, routes, tc) and by the guest
 * agent (vm-sandbox/agent/net.c: addresses, routes).
 *
 * Not libmnl: Debian's libmnl-dev ships no static archive, and husk is linked
 * fully static.  The message layout comes from <linux/netlink.h> and
 * <linux/rtnetlink.h>; every reply is bounds-checked before use. */
#ifndef HUSK_COMMON_NETLINK_H
#define HUSK_COMMON_NETLINK_H

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define NL_MSG_MAX 4096

struct nl_msg {
	union {
		struct nlmsghdr h;
		char buf[NL_MSG_MAX];
	};
	bool overflow; /* an attribute did not fit: nl_request refuses the message */
};

/* A NETLINK_ROUTE socket (close-on-exec), bound, with extended acks asked for. */
int nl_open(struct husk_err **err);

/* Start a message of TYPE with FLAGS (NLM_F_REQUEST is added) and a zeroed
 * family header of HDR_LEN bytes, which is returned. */
void *nl_msg_init(struct nl_msg *m, uint16_t type, uint16_t flags, size_t hdr_len);
void nl_put(struct nl_msg *m, uint16_t type, const void *data, size_t len);
void nl_put_u32(struct nl_msg *m, uint16_t type, uint32_t v);
void nl_put_str(struct nl_msg *m, uint16_t type, const char *s);
struct rtattr *nl_nest_begin(struct nl_msg *m, uint16_t type);
void nl_nest_end(struct nl_msg *m, struct rtattr *nest);

/* Send M with NLM_F_ACK and wait for the answer: 0, or -errno with err set
 * to "WHAT (the kernel's extended message): strerror". */
int nl_request(int fd, struct nl_msg *m, const char *what, struct husk_err **err);

/* Send the dump request M and call FN for each reply message (the family
 * header and attributes follow the nlmsghdr; FN checks nlmsg_len against what
 * it reads).  A negative return from FN stops the walk and is returned. */
typedef int (*nl_dump_fn)(const struct nlmsghdr *h, void *ctx, struct husk_err **err);
int nl_dump(int fd, struct nl_msg *m, const char *what, nl_dump_fn fn, void *ctx,
	    struct husk_err **err);

/* Index the attributes in [start, start+len) by type into tb[0..max]
 * (zeroed first; unknown types are skipped, a malformed one ends the walk). */
void nl_parse_attrs(const struct rtattr *start, size_t len, const struct rtattr **tb, unsigned max);
/* The attributes after a message's family header of HDR_LEN bytes; false when
 * the message is shorter than that header. */
bool nl_msg_attrs(const struct nlmsghdr *h, size_t hdr_len, const struct rtattr **tb, unsigned max);

#endif
