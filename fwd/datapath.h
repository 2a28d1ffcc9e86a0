/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * datapath.h - the BPF object: bpffs, skeleton load with maps pinned (and reused) under the
 * pin dir, the map fds every other module uses, and removal of the pins.
 */
#ifndef FWD_DATAPATH_H
#define FWD_DATAPATH_H

#include <limits.h>
#include <stdbool.h>

#include "tcfw_abi.h"

struct tcfw; /* the skeleton (build/gen/tcfw.skel.h) */

struct datapath {
	struct tcfw *skel;
	char pin_dir[PATH_MAX];
	bool reused; /* pinned maps from an earlier fwd were reused: this run took over */
	bool created_pin_dir;
	__u32 ct_max; /* entries of "ct" as loaded (a NAT connection takes two) */
	int prog_ingress_fd, prog_egress_fd;
	int ct_fd, config_fd, pol_meta_fd, ifaces_fd, local_addrs_fd, events_fd;
	int stats_fd, pol_scalar_fd, pol_src_fd, pol_dst_fd, pol_class_fd, pol_rules_fd;
	int pol_limit_fd, pol_hits_fd, pol_bytes_fd, drops_fd, pre_meta_fd, pre_src_fd;
	int nat_alias_fd; /* written by state replication only (fwd/sync_ct.c) */
	int pol_limited_fd, limit_src_fd, dynset_fd, dynset_meta_fd; /* layout version 7 */
	int prog_xdp_fd;                       /* the XDP pre-filter (fwd/xdp_attach.c) */
	__u32 ct_id;                           /* map "ct"'s id: which datapath a program uses */
	__u32 prog_ingress_id, prog_egress_id; /* what our filters must run */
	__u32 prog_xdp_id;                     /* the pre-filter (fwd/xdp_attach.c) */
	int lock_fd;                           /* flock on the pin dir (owner.h) */
	struct tcfw_config config;             /* what fwd last wrote to map "config" */
};

struct datapath_opts {
	const char *pin_dir;
	const char *socket; /* recorded as the owner's, for a second fwd's message */
	__u32 ct_max;
	/* The interfaces of the policy's zones: where a datapath left without pins is found. */
	const char *const *ifnames;
	size_t nifnames;
};

/* Make sure pin_dir's parent is a bpffs (mounting one if needed), lock the pin dir (-EBUSY when
 * another fwd holds it), open the skeleton, size the ct maps, pin every map at
 * <pin_dir>/<name> (reusing compatible pins, or without pins the maps of a datapath left
 * attached to o->ifnames by a fwd that is gone), load, record this fwd as the owner. On
 * failure a message saying what to do has been logged; -errno. */
int datapath_open(struct datapath *dp, const struct datapath_opts *o);
/* Close fds and free the skeleton; programs stay attached and maps pinned. */
void datapath_close(struct datapath *dp);
/* Release the pin dir's lock (at exit, after the pins are removed or left). */
void datapath_unlock(struct datapath *dp);
/* Remove the pins of every tcfw map under pin_dir, then pin_dir itself. 0 or -errno. */
int datapath_unpin(const char *pin_dir);
/* Write dp->config to map "config". 0 or -errno. */
int datapath_write_config(struct datapath *dp);

/* bpffs.c: pin_dir must live on a bpffs; mount one at its parent when that is not one (only
 * on an empty directory or /sys/fs/bpf), then create pin_dir. *created: pin_dir is new. */
int bpffs_prepare(const char *pin_dir, bool *created);
/* Does pin_dir outlive fwd? Not when it is on a bpffs of a mount namespace of fwd's own (as
 * `ip netns exec` gives), which ends with fwd; pins there hold nothing after it. */
bool bpffs_outlives_fwd(const char *pin_dir);

#endif
