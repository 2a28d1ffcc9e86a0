/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * maps.h - read-only use of fwd's pinned maps for listings: where they are (asked of fwd),
 * opening one with a checked layout, and the connection table with the timeouts of the
 * active policy copy. Failures are printed here; callers pass the exit status on.
 */
#ifndef FWCTL_MAPS_H
#define FWCTL_MAPS_H

#include <stdint.h>

#include "ctmap.h"
#include "daemon.h"
#include "tcfw_abi.h"

/* Open map `name` (fwd's fd, else under d->pin_dir) and check its key and value sizes against
 * this build's ABI (value_size 0: do not check). fd, or -errno with err saying what failed and
 * what to do (-EPROTO: sizes of another tcfw version). */
int maps_open(const struct daemon *d, const char *name, unsigned int key_size,
              unsigned int value_size, char *err, size_t errlen);

struct ct_view {
	struct daemon d;
	struct ctmap m;
	__u32 timeouts[TCFW_CT_STATE_MAX]; /* of the active policy copy, seconds */
	uint64_t now_ns;
};

/* Ask fwd for the pin dir, open "ct" and read the active timeouts. 0 or the exit status. */
int ct_view_open(struct fwctl *fw, struct ct_view *v);
void ct_view_close(struct ct_view *v);
/* Walk every connection (ctmap_walk). 0, or FWCTL_EXIT_FAILURE after printing why. */
int ct_view_walk(struct ct_view *v, ctmap_walk_cb cb, void *ctx);
uint64_t ct_view_timeout_left(const struct ct_view *v, const struct tcfw_ct_entry *e);

#endif
