/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * stats.h - the per-CPU counters of map "stats" (enum tcfw_stat).
 *
 * What each counter means, as the datapath counts it:
 *   PACKETS, BYTES    every packet a program accounts for (ingress: all; egress: only what
 *                     the gateway itself sends), once; BYTES is skb->len, Ethernet included.
 *   NON_IP            passed untouched: non-IP frames, and IPv6 neighbour discovery / MLD
 *                     (the ICMPv6 link plumbing that plays ARP's role; netfilter leaves it
 *                     untracked too).
 *   MALFORMED         headers too short or inconsistent: dropped.
 *   FRAGMENTS         every IP fragment (first or later); a later fragment whose first
 *                     fragment was not seen is counted here only and passes untracked.
 *   CT_NEW            connections created (stored in the table), whatever opened them.
 *   CT_ESTABLISHED .. CT_INVALID  the conntrack class of each tracked packet (enum
 *                     tcfw_pkt_ct).
 *   VERDICT_ACCEPT / _REJECT  new connections the policy accepted (and that were stored) /
 *                     rejected. A packet that lost the race to open its connection to another
 *                     CPU counts as CT_ESTABLISHED, not here.
 *   VERDICT_DROP      packets the policy dropped: new connections, and invalid packets
 *                     when pol_meta.invalid_verdict is drop.
 *   CT_INSERT_FAILED  an accepted new connection that could not be stored (dropped).
 *   EVICTIONS_SUSPECTED  one half of a connection found without the other (see conntrack.h).
 *   CT_EARLY_DROP     not counted here: fwd adds the connections it dropped early to make room
 *                     in a full table (fwd/expiry.c) to CPU 0's slot, which no program writes.
 *   EVENTS_LOST       ring buffer full.
 *
 * Map "drops" splits VERDICT_DROP and VERDICT_REJECT by chain, and tells the invalid packets
 * the invalid verdict dropped (no chain) from new connections the policy dropped.
 *
 * Per-CPU slots: a plain add, no atomics (a TC program is not re-entered on its CPU).
 */
#ifndef TCFW_BPF_STATS_H
#define TCFW_BPF_STATS_H

#include "lib/maps.h"

static __always_inline void stat_add(__u32 stat, __u64 n)
{
	__u64 *slot = bpf_map_lookup_elem(&stats, &stat);

	if (slot)
		*slot += n;
}

static __always_inline void stat_inc(__u32 stat)
{
	stat_add(stat, 1);
}

/* One packet the policy dropped or rejected, in map "drops" by reason and chain (the stats
 * verdict_drop / verdict_reject count it too, without the chain). */
static __always_inline void drop_inc(__u32 reason, __u32 chain)
{
	__u32 key = TCFW_DROP_INDEX(reason, chain);
	__u64 *slot = bpf_map_lookup_elem(&drops, &key);

	if (slot)
		*slot += 1;
}

#endif /* TCFW_BPF_STATS_H */
