/* Bridged networking for VM containers (vm-sandbox/README.md, "Networking"):
 * the container's network namespace keeps the interface the engine put there
 * (a veth); husk adds a tap next to it and joins the two with tc (an ingress
 * qdisc on each, a u32 match-all filter with a mirred egress redirect to
 * the other), and the guest's virtio-net device, backed by the tap, gets the
 * interface's MAC, addresses, routes and MTU.
 *
 *   vm_net_open_tun()  in `create` (outside the container's device cgroup,
 *                      which would refuse /dev/net/tun): opened from a thread
 *                      inside the container's network namespace, so the tap
 *                      is made there
 *   vm_net_setup()     in the init, still privileged and in the namespace,
 *                      after the engine's hooks: the tap, tc, the guest's
 *                      configuration; nothing is left on failure */
#ifndef HUSK_RUNTIME_VM_NET_H
#define HUSK_RUNTIME_VM_NET_H

#include "common/err.h"
#include "oci/spec.h"

/* The first interface is the one given to the guest; more are ignored with a warning. */
struct vm_net {
	int tap_fd;	 /* -1: no network interface, loopback only */
	char device[64]; /* the virtio-net spec: "fd=N,mac=..." */
	char *guest;	 /* HUSK_NET's value (vm-sandbox/agent/net.h), heap */
};

/* *tun_fd: /dev/net/tun opened in the container's network namespace (a
 * `path` to join, or NETNS_FD, the new one made early), or -1 with *tun_errno
 * saying why when that failed (an error only if the namespace turns out to
 * have an interface), or -1 and 0 when the container has no namespace of its
 * own to bridge (none in linux.namespaces: the host's, never touched). */
void vm_net_open_tun(const struct oci_config *cfg, int netns_fd, int *tun_fd, int *tun_errno);

/* In the container's network namespace: tap + tc + what the guest needs, or
 * net->tap_fd = -1 when the namespace has only lo.  Takes TUN_FD. */
int vm_net_setup(int tun_fd, int tun_errno, struct vm_net *net, struct husk_err **err);
void vm_net_free(struct vm_net *net);

#endif
