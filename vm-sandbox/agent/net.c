/* The guest's network set-up (net.h): the text format both sides share, and
 * the agent's rtnetlink requests in the guest. */
#include "vm-sandbox/agent/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/netlink.h"
#include "common/util.h"

static size_t addr_len(int family)
{
	return family == AF_INET6 ? 16 : 4;
}

static void put_prefix(FILE *f, int family, const uint8_t *a, unsigned len)
{
	char s[INET6_ADDRSTRLEN];
	inet_ntop(family, a, s, sizeof(s));
	fprintf(f, "%s/%u", s, len);
}

int agent_net_format(const struct agent_net *n, char **out, struct husk_err **err)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return husk_err_sys(err, "guest network: open_memstream");
	fprintf(f, "mtu=%u", n->mtu);
	for (unsigned i = 0; i < n->n_addrs; i++) {
		fputs(";a=", f);
		put_prefix(f, n->addrs[i].family, n->addrs[i].addr, n->addrs[i].prefix);
	}
	for (unsigned i = 0; i < n->n_routes; i++) {
		const struct agent_net_route *r = &n->routes[i];
		fputs(";r=", f);
		put_prefix(f, r->family, r->dst, r->dst_len);
		if (r->has_gw) {
			char s[INET6_ADDRSTRLEN];
			inet_ntop(r->family, r->gw, s, sizeof(s));
			fprintf(f, "@%s", s);
		}
	}
	if (fclose(f) != 0) {
		free(text);
		return husk_err_sys(err, "guest network: format");
	}
	if (len > AGENT_NET_TEXT_MAX) {
		free(text);
		return husk_err_set(
		    err, E2BIG,
		    "guest network: %zu bytes of addresses and routes do not fit on "
		    "the guest's command line (at most %d)",
		    len, AGENT_NET_TEXT_MAX);
	}
	*out = text;
	return 0;
}

/* "ADDR/LEN": the family is the address's. */
static int parse_prefix(char *s, int *family, uint8_t *addr, uint8_t *len)
{
	char *slash = strchr(s, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	*family = strchr(s, ':') ? AF_INET6 : AF_INET;
	unsigned long long l;
	if (inet_pton(*family, s, addr) != 1 || parse_u64(slash + 1, &l) < 0 ||
	    l > addr_len(*family) * 8)
		return -1;
	*len = (uint8_t)l;
	return 0;
}

static int parse_item(char *item, struct agent_net *n)
{
	unsigned long long v;
	if (!strncmp(item, "mtu=", 4))
		return parse_u64(item + 4, &v) < 0 || v < 68 || v > 65535
			   ? -1
			   : (n->mtu = (unsigned)v, 0);
	if (!strncmp(item, "a=", 2)) {
		if (n->n_addrs == AGENT_NET_MAX_ADDRS)
			return -1;
		struct agent_net_addr *a = &n->addrs[n->n_addrs++];
		return parse_prefix(item + 2, &a->family, a->addr, &a->prefix);
	}
	if (!strncmp(item, "r=", 2)) {
		if (n->n_routes == AGENT_NET_MAX_ROUTES)
			return -1;
		struct agent_net_route *r = &n->routes[n->n_routes++];
		char *at = strchr(item, '@');
		if (at) {
			*at = '\0';
			r->has_gw = true;
		}
		if (parse_prefix(item + 2, &r->family, r->dst, &r->dst_len) < 0)
			return -1;
		return at && inet_pton(r->family, at + 1, r->gw) != 1 ? -1 : 0;
	}
	return -1;
}

int agent_net_parse(const char *text, struct agent_net *n, struct husk_err **err)
{
	memset(n, 0, sizeof(*n));
	cleanup_free char *copy = xstrdup(text);
	char *save = NULL;
	for (char *item = strtok_r(copy, ";", &save); item; item = strtok_r(NULL, ";", &save)) {
		cleanup_free char *orig = xstrdup(item);
		if (parse_item(item, n) < 0)
			return husk_err_set(err, EINVAL, "%s: bad item \"%s\"", AGENT_ENV_NET,
					    orig);
	}
	if (!n->mtu)
		return husk_err_set(err, EINVAL, "%s: no mtu", AGENT_ENV_NET);
	return 0;
}

/* ---- in the guest ---- */

static int link_up(int nl, unsigned ifindex, unsigned mtu, const char *name, struct husk_err **err)
{
	struct nl_msg m;
	struct ifinfomsg *ifi = nl_msg_init(&m, RTM_NEWLINK, 0, sizeof(*ifi));
	ifi->ifi_index = (int)ifindex;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	if (mtu)
		nl_put_u32(&m, IFLA_MTU, mtu);
	char what[64];
	snprintf(what, sizeof(what), "bring up %s", name);
	return nl_request(nl, &m, what, err);
}

static int add_addr(int nl, unsigned ifindex, const struct agent_net_addr *a, struct husk_err **err)
{
	struct nl_msg m;
	struct ifaddrmsg *ifa =
	    nl_msg_init(&m, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, sizeof(*ifa));
	ifa->ifa_family = (uint8_t)a->family;
	ifa->ifa_prefixlen = a->prefix;
	ifa->ifa_index = ifindex;
	/* The namespace's interface holds the same address, but it never sees
	 * the guest's probes: duplicate address detection would only delay. */
	ifa->ifa_flags = a->family == AF_INET6 ? IFA_F_NODAD : 0;
	nl_put(&m, IFA_LOCAL, a->addr, addr_len(a->family));
	nl_put(&m, IFA_ADDRESS, a->addr, addr_len(a->family));
	char s[INET6_ADDRSTRLEN], what[96];
	inet_ntop(a->family, a->addr, s, sizeof(s));
	snprintf(what, sizeof(what), "add address %s/%u to %s", s, a->prefix, AGENT_NET_IFNAME);
	return nl_request(nl, &m, what, err);
}

static int add_route(int nl, unsigned ifindex, const struct agent_net_route *r,
		     struct husk_err **err)
{
	struct nl_msg m;
	struct rtmsg *rt = nl_msg_init(&m, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, sizeof(*rt));
	rt->rtm_family = (uint8_t)r->family;
	rt->rtm_dst_len = r->dst_len;
	rt->rtm_table = RT_TABLE_MAIN;
	rt->rtm_protocol = RTPROT_BOOT;
	rt->rtm_scope = r->has_gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
	rt->rtm_type = RTN_UNICAST;
	if (r->dst_len)
		nl_put(&m, RTA_DST, r->dst, addr_len(r->family));
	if (r->has_gw)
		nl_put(&m, RTA_GATEWAY, r->gw, addr_len(r->family));
	nl_put_u32(&m, RTA_OIF, ifindex);
	char d[INET6_ADDRSTRLEN], g[INET6_ADDRSTRLEN] = "", what[160];
	inet_ntop(r->family, r->dst, d, sizeof(d));
	if (r->has_gw)
		inet_ntop(r->family, r->gw, g, sizeof(g));
	snprintf(what, sizeof(what), "add route %s/%u%s%s on %s", d, r->dst_len,
		 r->has_gw ? " via " : "", g, AGENT_NET_IFNAME);
	return nl_request(nl, &m, what, err);
}

/* IPv6 items on a guest kernel without IPv6 are skipped, not fatal. */
static bool no_family(int r, int family)
{
	return family == AF_INET6 && (r == -EAFNOSUPPORT || r == -EOPNOTSUPP);
}

static int configure(int nl, const struct agent_net *n, struct husk_err **err)
{
	unsigned ifindex = if_nametoindex(AGENT_NET_IFNAME);
	if (!ifindex)
		return husk_err_sys(err, "the guest has no %s (virtio-net)", AGENT_NET_IFNAME);
	if (link_up(nl, ifindex, n->mtu, AGENT_NET_IFNAME, err) < 0)
		return -1;
	for (unsigned i = 0; i < n->n_addrs; i++) {
		int r = add_addr(nl, ifindex, &n->addrs[i], err);
		if (r < 0 && !no_family(r, n->addrs[i].family))
			return -1;
		husk_err_free(err);
	}
	/* Routes without a gateway first: a gateway must be reachable on-link. */
	for (int pass = 0; pass < 2; pass++)
		for (unsigned i = 0; i < n->n_routes; i++) {
			const struct agent_net_route *rt = &n->routes[i];
			if (rt->has_gw != (pass == 1))
				continue;
			int r = add_route(nl, ifindex, rt, err);
			if (r < 0 && !no_family(r, rt->family))
				return -1;
			husk_err_free(err);
		}
	return 0;
}

int agent_net_setup(const char *text, struct husk_err **err)
{
	struct agent_net n;
	if (text && agent_net_parse(text, &n, err) < 0)
		return -1;
	cleanup_fd int nl = nl_open(err);
	if (nl < 0)
		return husk_err_wrap(err, "guest network");
	unsigned lo = if_nametoindex("lo");
	if (!lo)
		return husk_err_sys(err, "guest network: no loopback interface");
	if (link_up(nl, lo, 0, "lo", err) < 0 || (text && configure(nl, &n, err) < 0))
		return husk_err_wrap(err, "guest network");
	return 0;
}
