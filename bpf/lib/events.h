/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * events.h - events for fwd (and `fwctl monitor`) through ring buffer "events".
 *
 * Offers event_new(): one TCFW_EV_NEW per new connection, when tcfw_config.flags has
 * TCFW_CFG_EVENTS_NEW. A full ring buffer loses the event, never the packet; the loss is
 * counted in TCFW_STAT_EVENTS_LOST.
 */
#ifndef TCFW_BPF_EVENTS_H
#define TCFW_BPF_EVENTS_H

#include "lib/kernel.h"
#include "lib/maps.h"
#include "lib/stats.h"

static __always_inline void event_new(const struct tcfw_tuple *orig, __u8 chain, __u8 verdict,
                                      __u32 rule_id, __u32 ifindex)
{
	struct tcfw_event *ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);

	if (!ev) {
		stat_inc(TCFW_STAT_EVENTS_LOST);
		return;
	}
	ev->ts_ns = bpf_ktime_get_ns();
	ev->type = TCFW_EV_NEW;
	ev->chain = chain;
	ev->verdict = verdict;
	ev->pkt_ct = TCFW_PKT_NEW;
	ev->rule_id = rule_id;
	ev->ifindex = ifindex;
	ev->pad = 0;
	__builtin_memcpy(&ev->tuple, orig, sizeof(ev->tuple));
	bpf_ringbuf_submit(ev, 0);
}

#endif /* TCFW_BPF_EVENTS_H */
