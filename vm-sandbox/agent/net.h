/* The guest's network configuration: what the host read from the container's
 * network namespace (runtime/vm_net_setup.c), carried on the guest kernel's
 * command line as HUSK_NET=... (init's environment), applied by the agent to
 * the virtio-net interface (its MAC is the device's, from the host).
 *
 * The text: items separated by ';', no spaces (the command line splits on
 * them):  mtu=1500;a=10.213.0.2/24;a=fd00::2/64;r=0.0.0.0/0@10.213.0.1;r=10.9.0.0/16
 * (a: address/prefix, r: destination/prefix[@gateway], routes through the
 * interface).  Without HUSK_NET the guest has loopback only. */
#ifndef HUSK_VM_AGENT_NET_H
#define HUSK_VM_AGENT_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"

#define AGENT_ENV_NET	     "HUSK_NET"
#define AGENT_NET_IFNAME     "eth0" /* the guest's first (and only) virtio-net device */
#define AGENT_NET_MAX_ADDRS  16
#define AGENT_NET_MAX_ROUTES 32
#define AGENT_NET_TEXT_MAX   1024 /* the guest kernel's command line holds 2048 */

struct agent_net_addr {
	int family; /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	uint8_t prefix;
};

struct agent_net_route {
	int family;
	uint8_t dst[16];
	uint8_t dst_len;
	bool has_gw;
	uint8_t gw[16];
};

struct agent_net {
	unsigned mtu;
	unsigned n_addrs, n_routes;
	struct agent_net_addr addrs[AGENT_NET_MAX_ADDRS];
	struct agent_net_route routes[AGENT_NET_MAX_ROUTES];
};

/* The command-line text (heap), or < 0 when it would not fit. */
int agent_net_format(const struct agent_net *n, char **out, struct husk_err **err);
int agent_net_parse(const char *text, struct agent_net *n, struct husk_err **err);

/* In the guest: lo up; with TEXT (HUSK_NET's value, may be NULL) also eth0's
 * MTU, up, addresses, then routes (on-link ones before those via a gateway). */
int agent_net_setup(const char *text, struct husk_err **err);

#endif
