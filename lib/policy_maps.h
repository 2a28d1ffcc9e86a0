/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * policy_maps.h - write a compiled policy (struct policy_image from policy_compile(),
 * policy/policy.h) into the policy maps of a loaded datapath.
 *
 * One writer for everyone who fills these maps: fwd (its policy install), dp_test and the
 * bench. It only fills the copy the image was compiled for (img->copy); making that copy live
 * (tcfw_config.policy_active), waiting for programs still reading the old copy, and the
 * bookkeeping of hit counters across reloads are the caller's business (fwd/policy_install.c).
 *
 * The copy written must not be the live one: nothing here is atomic on its own. Every key of
 * the policy maps carries the copy index, so writing the standby copy never disturbs the
 * packets the live copy is deciding.
 */
#ifndef TCFW_POLICY_MAPS_H
#define TCFW_POLICY_MAPS_H

#include <stddef.h>

struct bpf_object;
struct policy_image;

/* File descriptors of the policy maps (names TCFW_MAP_POL_* in tcfw_abi.h). */
struct policy_map_fds {
	int pol_meta;
	int pol_scalar;
	int pol_src;
	int pol_dst;
	int pol_class;
	int pol_rules;
	int pol_limit;
	int pol_hits;
	int pol_bytes;
	int pre_meta; /* the XDP pre-filter's (TCFW_MAP_PRE_*) */
	int pre_src;
	int pol_limited; /* per rule slot: what 'limit' refused; zeroed with the hits (<= 0: none)
	                  */
};

/* The policy maps of a loaded BPF object (a skeleton's ->obj), found by name. 0, or -ENOENT
 * with the missing map named in err. */
int policy_map_fds_from_object(const struct bpf_object *obj, struct policy_map_fds *fds, char *err,
                               size_t errlen);

/*
 * Make copy img->copy of the maps hold exactly img:
 *  - remove what an older policy left in that copy of pol_src, pol_dst, pol_class and pre_src
 *    (a stale prefix or class would still be found);
 *  - write the XDP pre-filter's trie pre_src and pre_meta[copy];
 *  - write the copy's whole pol_scalar block, the LPM entries, the classes, the rules of
 *    every chain and pol_meta[copy] (last, so a reader of meta never sees rules counts that
 *    the other maps do not hold yet);
 *  - zero the copy's pol_limit, pol_hits and pol_bytes slots of every rule: a new policy starts
 * with full token buckets (the datapath treats a zeroed bucket as full) and no hits. 0, or -errno
 * with "cannot write the policy into map X: reason" in err; the copy is then half-written and must
 * not be made live.
 */
int policy_maps_write(const struct policy_map_fds *fds, const struct policy_image *img, char *err,
                      size_t errlen);

#endif /* TCFW_POLICY_MAPS_H */
