/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * events.h - events for fwd (and `fwctl monitor`) through ring buffer "events".
 *
 * Offers event_new(): one TCFW_EV_NEW per new connection, when tcfw_config.flags has
 * TCFW_CFG_EVENTS_NEW; and event_log(): one TCFW_EV_LOG when a rule with 'log' decides a new
 * connection, whatever its verdict. A full ring buffer loses the event, never the packet; the
 * loss is counted in TCFW_STAT_EVENTS_LOST.
 */
#ifndef TCFW_BPF_EVENTS_H
#define TCFW_BPF_EVENTS_H

#include "lib/kernel.h"
#include "lib/maps.h"
#include "lib/stats.h"

/* One event of type `type` about a packet that opens (or tried to open) a connection. */
static __always_inline void event_emit(__u8 type, const struct tcfw_tuple *orig, __u8 chain,
                                       __u8 verdict, __u32 rule_id, __u32 ifindex)
{
	struct tcfw_event *ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);

	if (!ev) {
		stat_inc(TCFW_STAT_EVENTS_LOST);
		return;
	}
	ev->ts_ns = bpf_ktime_get_ns();
	ev->type = type;
	ev->chain = chain;
	ev->verdict = verdict;
	ev->pkt_ct = TCFW_PKT_NEW;
	ev->rule_id = rule_id;
	ev->ifindex = ifindex;
	ev->pad = 0;
	__builtin_memcpy(&ev->tuple, orig, sizeof(ev->tuple));
	bpf_ringbuf_submit(ev, 0);
}

/* A connection was created (tcfw_config.flags has TCFW_CFG_EVENTS_NEW). */
static __always_inline void event_new(const struct tcfw_tuple *orig, __u8 chain, __u8 verdict,
                                      __u32 rule_id, __u32 ifindex)
{
	event_emit(TCFW_EV_NEW, orig, chain, verdict, rule_id, ifindex);
}

/* Rule rule_id, which has 'log', decided a new connection on chain with verdict; ifindex is
 * the interface the packet was seen on (arriving, or for the output chain leaving). */
static __always_inline void event_log(const struct tcfw_tuple *orig, __u8 chain, __u8 verdict,
                                      __u32 rule_id, __u32 ifindex)
{
	event_emit(TCFW_EV_LOG, orig, chain, verdict, rule_id, ifindex);
}

#endif /* TCFW_BPF_EVENTS_H */
