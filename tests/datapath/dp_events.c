// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * dp_events.c - events of new connections (config flag TCFW_CFG_EVENTS_NEW): none while the
 * flag is off, one per new connection, none for the packets that follow.
 */
#include <netinet/in.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "tcfw.skel.h"

#include "dp.h"

#define ORIG  TCFW_DIR_ORIG
#define REPLY TCFW_DIR_REPLY

struct events_seen {
	int n;
	struct tcfw_event ev[4];
};

static int on_event(void *ctx, void *data, size_t len)
{
	struct events_seen *s = ctx;

	if (len >= sizeof(struct tcfw_event) && s->n < 4)
		memcpy(&s->ev[s->n], data, sizeof(struct tcfw_event));
	s->n++;
	return 0;
}

DP_CASE(events_new)
{
	static const struct flow web = {4, IPPROTO_TCP, "192.0.2.10", "198.51.100.20", 40000, 80};
	static const struct flow dns = {4, IPPROTO_UDP, "192.0.2.10", "198.51.100.20", 5353, 53};
	struct events_seen seen = {0};
	struct tcfw_tuple want;
	struct ring_buffer *rb;

	rb = ring_buffer__new(bpf_map__fd(t->skel->maps.events), on_event, &seen, NULL);
	if (!rb) {
		dp_fail(t, "setup", "ring_buffer__new failed");
		return;
	}
	dp_flow(t, "SYN, events off", DP_INGRESS_LAN, &web, ORIG, F_SYN, TC_OK);
	ring_buffer__consume(rb);
	DP_EXPECT_EQ(t, "events off", "events", seen.n, 0);

	dp_set_config(t, 0, TCFW_CFG_EVENTS_NEW);
	dp_flow(t, "UDP, events on", DP_INGRESS_LAN, &dns, ORIG, 0, TC_OK);
	dp_flow(t, "UDP answer (not new)", DP_INGRESS_WAN, &dns, REPLY, 0, TC_OK);
	dp_flow(t, "SYN-ACK (not new)", DP_INGRESS_WAN, &web, REPLY, F_SYN | F_ACK, TC_OK);
	ring_buffer__consume(rb);
	DP_EXPECT_EQ(t, "events on", "events", seen.n, 1);
	if (seen.n >= 1) {
		dp_tuple(&want, &dns, ORIG);
		DP_EXPECT_EQ(t, "event", "type", seen.ev[0].type, TCFW_EV_NEW);
		DP_EXPECT_EQ(t, "event", "chain", seen.ev[0].chain, TCFW_CHAIN_FORWARD);
		DP_EXPECT_EQ(t, "event", "verdict", seen.ev[0].verdict, TCFW_VERDICT_ACCEPT);
		DP_EXPECT_EQ(t, "event", "pkt_ct", seen.ev[0].pkt_ct, TCFW_PKT_NEW);
		DP_EXPECT_EQ(t, "event", "ifindex", seen.ev[0].ifindex, t->ifindex_lan);
		DP_EXPECT_TRUE(t, "event", "tuple is the orig tuple",
		               !memcmp(&seen.ev[0].tuple, &want, sizeof(want)));
		DP_EXPECT_TRUE(t, "event", "timestamp", seen.ev[0].ts_ns != 0);
	}
	dp_expect_stat(t, "end", TCFW_STAT_EVENTS_LOST, 0);
	ring_buffer__free(rb);
}
