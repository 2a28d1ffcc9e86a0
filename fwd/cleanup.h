/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * cleanup.h - `fwd --cleanup`: remove what an earlier fwd left behind (after --keep or a
 * crash): its programs on the interfaces recorded in the pinned map "ifaces" (and those the
 * -c policy names), the clsact qdiscs it created, and its pins.
 */
#ifndef FWD_CLEANUP_H
#define FWD_CLEANUP_H

struct fwd_options;
struct policy;

/* Exit code: 0 when everything is gone, 1 otherwise (reasons logged). p may be NULL. */
int fwd_cleanup(const struct fwd_options *o, const struct policy *p);

#endif
