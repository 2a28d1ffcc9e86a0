/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * netlink.h - links and addresses from the libnl-route cache manager ("route/link" and
 * "route/addr" caches kept current from netlink events), fed to ifaces.c and local_addrs.c.
 */
#ifndef FWD_NETLINK_H
#define FWD_NETLINK_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

struct fwd;
struct netlink;

/* Fill the caches and watch for changes in fwd's loop. 0, or -errno after a message. */
int netlink_open(struct fwd *fwd);
void netlink_close(struct fwd *fwd);

/* Name of ifindex (false when there is no such link). */
bool netlink_link_name(struct netlink *nl, int ifindex, char name[IF_NAMESIZE]);
struct netlink_link_stats {
	uint64_t rx_packets, tx_packets, rx_bytes, tx_bytes;
};
/* The kernel's counters of ifindex now (false when it cannot be read). */
bool netlink_link_stats(struct netlink *nl, int ifindex, struct netlink_link_stats *st);
void netlink_foreach_link(struct netlink *nl, void (*cb)(int ifindex, const char *name, void *ctx),
                          void *ctx);
/* The primary IPv4 address of ifindex (network order) into *addr: the first address of global
 * scope that is not a secondary one, in the kernel's order. False when it has none. */
bool netlink_primary_addr4(struct netlink *nl, int ifindex, uint32_t *addr);
/* Every address: family AF_INET or AF_INET6, addr its 4 or 16 bytes. */
void netlink_foreach_addr(struct netlink *nl,
                          void (*cb)(int ifindex, int family, const void *addr, void *ctx),
                          void *ctx);

#endif
