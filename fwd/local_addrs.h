/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * local_addrs.h - map "local_addrs": every address of the gateway (all interfaces) -> ifindex.
 * The datapath tells input (to the gateway) from forward (through it) with it.
 */
#ifndef FWD_LOCAL_ADDRS_H
#define FWD_LOCAL_ADDRS_H

#include <stdbool.h>
#include <stddef.h>

struct fwd;

/* Start: write every address from the cache, drop entries an earlier fwd left that no longer
 * exist. */
void local_addrs_sync(struct fwd *fwd);
/* An address was added (or changed) or removed (gone). family AF_INET/AF_INET6. */
void local_addrs_event(struct fwd *fwd, int ifindex, int family, const void *addr, bool gone);
/* Entries in the map now. */
size_t local_addrs_count(struct fwd *fwd);

#endif
