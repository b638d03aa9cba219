/* Bridged networking for VM containers (vm_net.h): the tap and tc "redirect
 * both ways" model, over rtnetlink (common/netlink.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_arp.h>
#include <linux/if_ether.h>
#include <linux/if_tun.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/tc_act/tc_mirred.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/netlink.h"
#include "common/util.h"
#include "runtime/vm_net.h"
#include "vm-sandbox/agent/net.h"

#define TAP_NAME     "husktap%d"
#define TAP_PREFIX   "husktap"
#define VNET_HDR_LEN 12 /* virtio_net_hdr_v1, what vm-sandbox/virtio/net.c expects */
/* Our filters' priority on the ingress qdiscs: a filter left by an earlier
 * VM container in the same namespace is found (and replaced) by it. */
#define FILTER_PRIO    0x4855
#define INGRESS_PARENT TC_H_MAKE(TC_H_INGRESS, 0) /* "ffff:" */

/* ---- in create: /dev/net/tun from inside the namespace ---- */

struct tun_open {
	int nsfd, fd, error;
};

static void *open_in_netns(void *arg)
{
	struct tun_open *t = arg;
	/* setns(CLONE_NEWNET) moves only this thread. */
	if (setns(t->nsfd, CLONE_NEWNET) < 0) {
		t->error = errno;
		return NULL;
	}
	t->fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (t->fd < 0)
		t->error = errno;
	return NULL;
}

void vm_net_open_tun(const struct oci_config *cfg, int netns_fd, int *tun_fd, int *tun_errno)
{
	*tun_fd = -1;
	*tun_errno = 0;
	const struct oci_namespace *ns = oci_config_find_ns(cfg, OCI_NS_NETWORK);
	if (!ns)
		return; /* the host's namespace: never bridged */
	cleanup_fd int path_fd = -1;
	if (ns->path) {
		path_fd = open(ns->path, O_RDONLY | O_CLOEXEC);
		if (path_fd < 0) {
			*tun_errno = errno;
			return;
		}
	} else if (netns_fd < 0) {
		/* Made by the clone (inside a new user namespace): out of reach here. */
		*tun_errno = EOPNOTSUPP;
		return;
	}
	struct tun_open t = {.nsfd = ns->path ? path_fd : netns_fd, .fd = -1};
	pthread_t th;
	int r = pthread_create(&th, NULL, open_in_netns, &t);
	if (r != 0) {
		*tun_errno = r;
		return;
	}
	pthread_join(th, NULL);
	*tun_fd = t.fd;
	*tun_errno = t.error;
}

/* ---- in the init: what the namespace has ---- */

struct netns_view {
	int ifindex; /* the first Ethernet interface, 0: none */
	unsigned n_ether;
	char name[IFNAMSIZ];
	uint8_t mac[6];
	struct agent_net guest;
	bool too_many;
};

static int link_cb(const struct nlmsghdr *h, void *ctx, struct husk_err **err)
{
	struct netns_view *v = ctx;
	const struct rtattr *tb[IFLA_MAX + 1];
	if (h->nlmsg_type != RTM_NEWLINK ||
	    !nl_msg_attrs(h, sizeof(struct ifinfomsg), tb, IFLA_MAX))
		return 0;
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	const struct rtattr *name = tb[IFLA_IFNAME], *mac = tb[IFLA_ADDRESS], *mtu = tb[IFLA_MTU];
	if ((ifi->ifi_flags & IFF_LOOPBACK) || ifi->ifi_type != ARPHRD_ETHER || !name || !mac ||
	    !mtu || RTA_PAYLOAD(mac) != 6 || RTA_PAYLOAD(mtu) != 4 ||
	    RTA_PAYLOAD(name) > IFNAMSIZ || !memchr(RTA_DATA(name), '\0', RTA_PAYLOAD(name)))
		return 0;
	if (!strncmp(RTA_DATA(name), TAP_PREFIX, strlen(TAP_PREFIX)))
		return 0; /* another VM container's tap */
	v->n_ether++;
	if (v->ifindex && ifi->ifi_index > v->ifindex)
		return 0;
	v->ifindex = ifi->ifi_index;
	strcpy(v->name, RTA_DATA(name));
	memcpy(v->mac, RTA_DATA(mac), 6);
	memcpy(&v->guest.mtu, RTA_DATA(mtu), 4);
	return 0;
}

static int addr_cb(const struct nlmsghdr *h, void *ctx, struct husk_err **err)
{
	struct netns_view *v = ctx;
	const struct rtattr *tb[IFA_MAX + 1];
	if (h->nlmsg_type != RTM_NEWADDR || !nl_msg_attrs(h, sizeof(struct ifaddrmsg), tb, IFA_MAX))
		return 0;
	const struct ifaddrmsg *ifa = NLMSG_DATA(h);
	if ((int)ifa->ifa_index != v->ifindex || ifa->ifa_scope == RT_SCOPE_LINK ||
	    (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6))
		return 0; /* link-local ones the guest derives from the same MAC */
	const struct rtattr *a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	size_t len = ifa->ifa_family == AF_INET6 ? 16 : 4;
	if (!a || RTA_PAYLOAD(a) != len)
		return 0;
	if (v->guest.n_addrs == AGENT_NET_MAX_ADDRS) {
		v->too_many = true;
		return 0;
	}
	struct agent_net_addr *g = &v->guest.addrs[v->guest.n_addrs++];
	g->family = ifa->ifa_family;
	g->prefix = ifa->ifa_prefixlen;
	memcpy(g->addr, RTA_DATA(a), len);
	return 0;
}

static int route_cb(const struct nlmsghdr *h, void *ctx, struct husk_err **err)
{
	struct netns_view *v = ctx;
	const struct rtattr *tb[RTA_MAX + 1];
	if (h->nlmsg_type != RTM_NEWROUTE || !nl_msg_attrs(h, sizeof(struct rtmsg), tb, RTA_MAX))
		return 0;
	const struct rtmsg *rt = NLMSG_DATA(h);
	uint32_t table = rt->rtm_table, oif = 0;
	if (tb[RTA_TABLE] && RTA_PAYLOAD(tb[RTA_TABLE]) == 4)
		memcpy(&table, RTA_DATA(tb[RTA_TABLE]), 4);
	if (tb[RTA_OIF] && RTA_PAYLOAD(tb[RTA_OIF]) == 4)
		memcpy(&oif, RTA_DATA(tb[RTA_OIF]), 4);
	/* The kernel's own (prefix routes of the addresses): the guest's kernel
	 * makes them itself when the addresses are added. */
	if (table != RT_TABLE_MAIN || rt->rtm_type != RTN_UNICAST || (int)oif != v->ifindex ||
	    rt->rtm_protocol == RTPROT_KERNEL ||
	    (rt->rtm_family != AF_INET && rt->rtm_family != AF_INET6))
		return 0;
	size_t len = rt->rtm_family == AF_INET6 ? 16 : 4;
	const struct rtattr *dst = tb[RTA_DST], *gw = tb[RTA_GATEWAY];
	if ((dst && RTA_PAYLOAD(dst) != len) || (gw && RTA_PAYLOAD(gw) != len) ||
	    rt->rtm_dst_len > len * 8)
		return 0;
	if (v->guest.n_routes == AGENT_NET_MAX_ROUTES) {
		v->too_many = true;
		return 0;
	}
	struct agent_net_route *g = &v->guest.routes[v->guest.n_routes++];
	*g = (struct agent_net_route){.family = rt->rtm_family, .dst_len = rt->rtm_dst_len};
	if (dst)
		memcpy(g->dst, RTA_DATA(dst), len);
	if (gw) {
		g->has_gw = true;
		memcpy(g->gw, RTA_DATA(gw), len);
	}
	return 0;
}

static int read_netns(int nl, struct netns_view *v, struct husk_err **err)
{
	struct nl_msg m;
	struct ifinfomsg *ifi = nl_msg_init(&m, RTM_GETLINK, 0, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	if (nl_dump(nl, &m, "list the interfaces", link_cb, v, err) < 0)
		return -1;
	if (!v->ifindex)
		return 0;
	if (v->n_ether > 1)
		log_warn("the container's network namespace has %u interfaces: only the first, %s, "
			 "is given to the VM",
			 v->n_ether, v->name);
	struct ifaddrmsg *ifa = nl_msg_init(&m, RTM_GETADDR, 0, sizeof(*ifa));
	ifa->ifa_family = AF_UNSPEC;
	if (nl_dump(nl, &m, "list the addresses", addr_cb, v, err) < 0)
		return -1;
	const int families[] = {AF_INET, AF_INET6};
	for (size_t i = 0; i < ARRAY_SIZE(families); i++) {
		struct rtmsg *rt = nl_msg_init(&m, RTM_GETROUTE, 0, sizeof(*rt));
		rt->rtm_family = (uint8_t)families[i];
		int r = nl_dump(nl, &m, "list the routes", route_cb, v, err);
		if (r < 0 && !(families[i] == AF_INET6 && r == -EAFNOSUPPORT))
			return -1;
		husk_err_free(err);
	}
	if (v->too_many)
		return husk_err_set(
		    err, E2BIG,
		    "%s has more than %d addresses or %d routes: more than the VM's "
		    "guest configuration carries",
		    v->name, AGENT_NET_MAX_ADDRS, AGENT_NET_MAX_ROUTES);
	return 0;
}

/* ---- in the init: the tap and tc ---- */

static int make_tap(int fd, char name[IFNAMSIZ], struct husk_err **err)
{
	struct ifreq ifr = {0};
	strcpy(ifr.ifr_name, TAP_NAME);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		return husk_err_sys(err, "create a tap device (TUNSETIFF)");
	memcpy(name, ifr.ifr_name, IFNAMSIZ);
	name[IFNAMSIZ - 1] = '\0';
	int hdr = VNET_HDR_LEN;
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0)
		return husk_err_sys(err, "tap %s: TUNSETVNETHDRSZ", name);
	/* No offloads: the virtio-net device passes plain frames only. */
	if (ioctl(fd, TUNSETOFFLOAD, 0) < 0)
		return husk_err_sys(err, "tap %s: TUNSETOFFLOAD", name);
	return 0;
}

static int link_up(int nl, int ifindex, unsigned mtu, const char *name, struct husk_err **err)
{
	struct nl_msg m;
	struct ifinfomsg *ifi = nl_msg_init(&m, RTM_NEWLINK, 0, sizeof(*ifi));
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	nl_put_u32(&m, IFLA_MTU, mtu);
	char what[64];
	snprintf(what, sizeof(what), "set %s up with mtu %u", name, mtu);
	return nl_request(nl, &m, what, err);
}

static void *tc_init(struct nl_msg *m, uint16_t type, uint16_t flags, int ifindex)
{
	struct tcmsg *t = nl_msg_init(m, type, flags, sizeof(*t));
	t->tcm_family = AF_UNSPEC;
	t->tcm_ifindex = ifindex;
	return t;
}

/* 1: made, 0: there already, < 0: error. */
static int add_ingress(int nl, int ifindex, const char *name, struct husk_err **err)
{
	struct nl_msg m;
	struct tcmsg *t = tc_init(&m, RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL, ifindex);
	t->tcm_handle = INGRESS_PARENT;
	t->tcm_parent = TC_H_INGRESS;
	nl_put_str(&m, TCA_KIND, "ingress");
	char what[64];
	snprintf(what, sizeof(what), "add an ingress qdisc to %s", name);
	int r = nl_request(nl, &m, what, err);
	if (r == -EEXIST) {
		husk_err_free(err);
		return 0;
	}
	return r < 0 ? r : 1;
}

static void del_ingress(int nl, int ifindex)
{
	struct nl_msg m;
	struct tcmsg *t = tc_init(&m, RTM_DELQDISC, 0, ifindex);
	t->tcm_handle = INGRESS_PARENT;
	t->tcm_parent = TC_H_INGRESS;
	struct husk_err *e = NULL;
	if (nl_request(nl, &m, "remove the ingress qdisc", &e) < 0)
		log_warn("cleanup: %s", e->msg);
	husk_err_free(&e);
}

/* An earlier VM container's filter at our priority (its tap is gone). */
static int del_old_filter(int nl, int ifindex, const char *name, struct husk_err **err)
{
	struct nl_msg m;
	struct tcmsg *t = tc_init(&m, RTM_DELTFILTER, 0, ifindex);
	t->tcm_parent = INGRESS_PARENT;
	t->tcm_info = TC_H_MAKE((uint32_t)FILTER_PRIO << 16, 0);
	char what[80];
	snprintf(what, sizeof(what), "remove an earlier VM's filter from %s", name);
	int r = nl_request(nl, &m, what, err);
	if (r == -ENOENT || r == -EINVAL) {
		husk_err_free(err);
		return 0;
	}
	return r;
}

/* Everything arriving on FROM leaves through TO: a u32 filter matching every
 * packet (one key, mask 0) with a mirred egress redirect, as Kata's tcfilter
 * model does ("tc filter add dev FROM ingress u32 match u32 0 0 action mirred
 * egress redirect dev TO").  u32, not matchall: some kernels build only u32. */
static int add_redirect(int nl, int from, const char *from_name, int to, const char *to_name,
			struct husk_err **err)
{
	struct nl_msg m;
	struct tcmsg *t = tc_init(&m, RTM_NEWTFILTER, NLM_F_CREATE | NLM_F_EXCL, from);
	t->tcm_parent = INGRESS_PARENT;
	t->tcm_info = TC_H_MAKE((uint32_t)FILTER_PRIO << 16, htons(ETH_P_ALL));
	nl_put_str(&m, TCA_KIND, "u32");
	struct rtattr *opts = nl_nest_begin(&m, TCA_OPTIONS);
	struct {
		struct tc_u32_sel sel;
		struct tc_u32_key key;
	} match = {.sel = {.flags = TC_U32_TERMINAL, .nkeys = 1}};
	nl_put(&m, TCA_U32_SEL, &match, sizeof(match));
	struct rtattr *acts = nl_nest_begin(&m, TCA_U32_ACT);
	struct rtattr *act = nl_nest_begin(&m, 1);
	nl_put_str(&m, TCA_ACT_KIND, "mirred");
	struct rtattr *aopts = nl_nest_begin(&m, TCA_ACT_OPTIONS);
	struct tc_mirred p = {
	    .action = TC_ACT_STOLEN, .eaction = TCA_EGRESS_REDIR, .ifindex = (uint32_t)to};
	nl_put(&m, TCA_MIRRED_PARMS, &p, sizeof(p));
	nl_nest_end(&m, aopts);
	nl_nest_end(&m, act);
	nl_nest_end(&m, acts);
	nl_nest_end(&m, opts);
	char what[96];
	snprintf(what, sizeof(what), "redirect %s's ingress to %s (tc u32, mirred)", from_name,
		 to_name);
	return nl_request(nl, &m, what, err);
}

static int ifindex_of(const char *name)
{
	/* Not if_nametoindex: <net/if.h> clashes with <linux/if.h>. */
	cleanup_fd int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr = {0};
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	return s >= 0 && ioctl(s, SIOCGIFINDEX, &ifr) == 0 ? ifr.ifr_ifindex : 0;
}

/* The tap on TAP_FD, up with the interface's MTU, and the two redirects. */
static int join_tap(int nl, const struct netns_view *v, int tap_fd, bool ingress_was_there,
		    struct husk_err **err)
{
	char tap[IFNAMSIZ];
	if (make_tap(tap_fd, tap, err) < 0)
		return -1;
	int tap_index = ifindex_of(tap);
	if (!tap_index)
		return husk_err_sys(err, "tap %s: no index", tap);
	if (link_up(nl, tap_index, v->guest.mtu, tap, err) < 0 ||
	    add_ingress(nl, tap_index, tap, err) < 0 ||
	    add_redirect(nl, tap_index, tap, v->ifindex, v->name, err) < 0 ||
	    (ingress_was_there && del_old_filter(nl, v->ifindex, v->name, err) < 0))
		return -1;
	return add_redirect(nl, v->ifindex, v->name, tap_index, tap, err);
}

/* On failure nothing stays: the tap (and its qdisc) goes when TAP_FD is
 * closed, the interface's ingress qdisc is removed if it was made here. */
static int bridge(int nl, const struct netns_view *v, int tap_fd, struct husk_err **err)
{
	int made = add_ingress(nl, v->ifindex, v->name, err);
	if (made < 0)
		return -1;
	if (join_tap(nl, v, tap_fd, made == 0, err) < 0) {
		if (made == 1)
			del_ingress(nl, v->ifindex);
		return -1;
	}
	return 0;
}

int vm_net_setup(int tun_fd, int tun_errno, struct vm_net *net, struct husk_err **err)
{
	cleanup_fd int tap_fd = tun_fd;
	*net = (struct vm_net){.tap_fd = -1};
	cleanup_fd int nl = nl_open(err);
	if (nl < 0)
		return husk_err_wrap(err, "--vm: network");
	struct netns_view v = {0};
	if (read_netns(nl, &v, err) < 0)
		return husk_err_wrap(err, "--vm: network: read the container's network namespace");
	if (!v.ifindex)
		return 0; /* loopback only */
	if (tap_fd < 0)
		return husk_err_set(err, tun_errno ? tun_errno : EOPNOTSUPP,
				    "--vm: network: the container's network namespace has %s, but "
				    "/dev/net/tun could not be opened in it for the VM's tap",
				    v.name);
	cleanup_free char *guest = NULL;
	if (agent_net_format(&v.guest, &guest, err) < 0 || bridge(nl, &v, tap_fd, err) < 0)
		return husk_err_wrap(err, "--vm: network: bridge %s to the VM", v.name);
	const uint8_t *a = v.mac;
	snprintf(net->device, sizeof(net->device), "fd=%d,mac=%02x:%02x:%02x:%02x:%02x:%02x",
		 tap_fd, a[0], a[1], a[2], a[3], a[4], a[5]);
	net->guest = steal_ptr(&guest);
	net->tap_fd = steal_fd(&tap_fd);
	return 0;
}

void vm_net_free(struct vm_net *net)
{
	if (net->tap_fd >= 0)
		close(net->tap_fd);
	net->tap_fd = -1;
	free(net->guest);
	net->guest = NULL;
}
