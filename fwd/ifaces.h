/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * ifaces.h - the interfaces fwd manages: those named in the active policy's zones that exist.
 * Map "ifaces" (pinned) is the record a later fwd reads: zone per policy copy, and whether the
 * clsact qdisc is ours to remove, and the interface's primary IPv4 address, which masquerade
 * gives the connections that leave by it. Interfaces in no zone are never touched.
 */
#ifndef FWD_IFACES_H
#define FWD_IFACES_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>

#include "tcfw_abi.h"

#include "tcx.h"

struct fwd;
struct policy;

struct fwd_iface {
	int ifindex;
	char name[IF_NAMESIZE];
	int zone; /* zone id in the active policy */
	bool attached;
	bool tcx;               /* attached as tcx links (links), else as cls_bpf filters */
	struct tcx_links links; /* with tcx: the pinned links, held open */
	bool qdisc_ours;
	bool foreign;            /* another fwd's datapath filters it: left alone */
	unsigned int reattached; /* our filters found missing or replaced, and attached again */
	char error[512];         /* why the last attach failed ("" when it worked) */
	int xdp_mode;            /* enum xdp_mode: the pre-filter (fwd/xdp_attach.c) */
	bool xdp_foreign;        /* someone else's XDP program is there */
	bool xdp_failed;         /* the last attach failed (and was reported) */
};

struct fwd_ifaces {
	struct fwd_iface *v;
	size_t n, cap;
};

/* Decide at start whether new attachments use tcx (--attach, kernel support, pins that outlive
 * fwd). 0, or -EINVAL with a message when --attach tcx cannot be honoured safely. */
int ifaces_choose_mode(struct fwd *fwd);
/* Bring everything in line with the active policy and the current links: attach interfaces
 * of its zones, detach those no longer in a zone, forget entries of vanished interfaces. */
void ifaces_sync(struct fwd *fwd);
/* Is the interface called name one fwd manages (it exists and is in a zone)? */
bool ifaces_manages(const struct fwd *fwd, const char *name);
/* A notice for each interface the policy's zones name that does not exist (after a start or
 * a new policy text; not after rule edits, which change no zone). */
void ifaces_report_missing(struct fwd *fwd);
/* A link appeared, changed (renamed) or disappeared (gone). */
void ifaces_link_event(struct fwd *fwd, int ifindex, const char *name, bool gone);
/* An IPv4 address of ifindex was added, changed or removed: its masquerade address (map
 * "ifaces", masq_addr4: the primary IPv4 address) follows, for new connections at once. */
void ifaces_addr_event(struct fwd *fwd, int ifindex);
/* Write zone[copy] of every interface in map "ifaces" as policy p assigns it (policy install,
 * before the copy switch). 0 or -errno. */
int ifaces_write_zones(struct fwd *fwd, const struct policy *p, __u8 copy);
/* Check that every attached interface still runs our programs (a `tc filter del`, a `tc qdisc
 * del`, another tool replacing them): attach again where not, with a warning, and count it.
 * Returns how many were attached again. */
unsigned int ifaces_verify(struct fwd *fwd);
/* Interfaces refused because another fwd's datapath filters them. */
size_t ifaces_foreign_count(const struct fwd *fwd);
/* Stop: detach from every managed interface (removing the qdiscs that are ours). */
void ifaces_release(struct fwd *fwd);
void ifaces_free(struct fwd_ifaces *ifs);

#endif
