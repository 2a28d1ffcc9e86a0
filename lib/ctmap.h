/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * ctmap.h - the connection table as user space sees it: batched walks, lookups and deletion
 * of a connection (its main entry and, with NAT, its reply's reference entry: see
 * bpf/lib/ct_table.h), and time left before expiry. fwd's expiry and `ct del`, and fwctl's
 * `ct list` / `ct count`, all go through these, so there is one idea of "a connection".
 */
#ifndef TCFW_CTMAP_H
#define TCFW_CTMAP_H

#include <stdbool.h>
#include <stdint.h>

#include "tcfw_abi.h"

struct ctmap {
	int ct_fd; /* map "ct": tcfw_ct_key() of a tuple -> tcfw_ct_entry */
};

/* Called for each connection (main entry; its orig tuple worked out from its key), never for a
 * reference entry; return 0 to go on, >0 to stop the walk early, <0 for an error. */
typedef int (*ctmap_walk_cb)(const struct tcfw_tuple *orig, const struct tcfw_ct_entry *e,
                             void *ctx);

/* Walk every connection with bpf_map_lookup_batch (batches of `batch` entries, 0 = default).
 * Returns 0, the callback's positive value, or -errno. Entries changing under the walk may be
 * seen twice or missed, as with any live table; none is seen half-written. */
int ctmap_walk(const struct ctmap *m, unsigned int batch, ctmap_walk_cb cb, void *ctx);

/* The connection whose orig or reply tuple is t: its orig tuple into *orig (may be NULL) and
 * its entry into *e. 0, -ENOENT when there is none, or -errno. */
int ctmap_lookup(const struct ctmap *m, const struct tcfw_tuple *t, struct tcfw_tuple *orig,
                 struct tcfw_ct_entry *e);

/* Delete a connection: its main entry, and its reply's reference entry when it has one that
 * still names it. 0, or -errno (-ENOENT: gone). */
int ctmap_delete(const struct ctmap *m, const struct tcfw_tuple *orig,
                 const struct tcfw_ct_entry *e);

/* Entries of map "ct" the connection takes: 1, or 2 with NAT (its reply's reference). */
unsigned int ctmap_entries_of(const struct tcfw_tuple *orig, const struct tcfw_ct_entry *e);

/* Now on the datapath's clock (CLOCK_MONOTONIC, ns). */
uint64_t ctmap_now_ns(void);

/* How long ago e was created (ns, to the tick of 1.07 s its stamp is kept in). */
uint64_t ctmap_age_ns(const struct tcfw_ct_entry *e, uint64_t now_ns);

/* Seconds left before e expires under the given timeouts (0 when already past). */
uint64_t ctmap_timeout_left(const struct tcfw_ct_entry *e, const __u32 timeouts[TCFW_CT_STATE_MAX],
                            uint64_t now_ns);

/* True when e's time since last_seen exceeds the timeout of its state (what expiry deletes). */
bool ctmap_is_expired(const struct tcfw_ct_entry *e, const __u32 timeouts[TCFW_CT_STATE_MAX],
                      uint64_t now_ns);

/* netfilter's default timeouts, in seconds, indexed by enum tcfw_ct_state. */
void ctmap_default_timeouts(__u32 timeouts[TCFW_CT_STATE_MAX]);

#endif
