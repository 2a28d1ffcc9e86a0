// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * dp_chain.c - chains (input / forward / output), what egress counts, the policy seam
 * (defaults, zero configuration, policy copies, invalid verdict, reject), events, and
 * connections that lost one of their halves.
 */
#include <netinet/in.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tcfw.skel.h"

#include "dp.h"

#define ORIG  TCFW_DIR_ORIG
#define REPLY TCFW_DIR_REPLY

static const struct flow web = {4, IPPROTO_TCP, "192.0.2.10", "198.51.100.20", 40000, 80};
static const struct flow ssh = {4, IPPROTO_TCP, "192.0.2.10", "192.0.2.1", 40001, 22};
static const struct flow dns = {4, IPPROTO_UDP, "192.0.2.10", "198.51.100.20", 5353, 53};

static void expect_chain(struct dp *t, const char *step, const struct flow *f, unsigned int chain,
                         int ifindex_in, int ifindex_out)
{
	struct tcfw_ct_entry e;

	if (!dp_conn(t, f, &e)) {
		dp_fail(t, step, "connection %s -> %s: expected, not there", f->src, f->dst);
		return;
	}
	DP_EXPECT_EQ(t, step, "chain", e.chain, chain);
	DP_EXPECT_EQ(t, step, "ifindex_in", e.ifindex_in, ifindex_in);
	DP_EXPECT_EQ(t, step, "ifindex_out", e.ifindex_out, ifindex_out);
}

void case_chain_input_forward(struct dp *t)
{
	static const struct flow ssh6 = {6,     IPPROTO_TCP, "2001:db8:1::10", "2001:db8:1::1",
	                                 40002, 22};
	static const struct flow web6 = {6,     IPPROTO_TCP, "2001:db8:1::10", "2001:db8:3::7",
	                                 40003, 443};
	static const struct flow routed = {4, IPPROTO_UDP, "192.0.2.10", "203.0.113.5", 5000, 53};
	/* No route at all: forward, no output interface. */
	static const struct flow nowhere = {4, IPPROTO_UDP, "192.0.2.10", "10.99.0.1", 5001, 53};
	int lan = t->ifindex_lan, wan = t->ifindex_wan;

	dp_add_local_addr(t, "192.0.2.1", lan);
	dp_add_local_addr(t, "2001:db8:1::1", lan);

	dp_flow(t, "SYN to the gateway", DP_INGRESS_LAN, &ssh, ORIG, F_SYN, TC_OK);
	expect_chain(t, "SYN to the gateway", &ssh, TCFW_CHAIN_INPUT, lan, 0);
	dp_flow(t, "SYN through the gateway", DP_INGRESS_LAN, &web, ORIG, F_SYN, TC_OK);
	expect_chain(t, "SYN through the gateway", &web, TCFW_CHAIN_FORWARD, lan, wan);
	dp_flow(t, "IPv6 SYN to the gateway", DP_INGRESS_LAN, &ssh6, ORIG, F_SYN, TC_OK);
	expect_chain(t, "IPv6 SYN to the gateway", &ssh6, TCFW_CHAIN_INPUT, lan, 0);
	dp_flow(t, "IPv6 SYN through the gateway", DP_INGRESS_LAN, &web6, ORIG, F_SYN, TC_OK);
	expect_chain(t, "IPv6 SYN through the gateway", &web6, TCFW_CHAIN_FORWARD, lan, wan);
	dp_flow(t, "UDP to a routed prefix", DP_INGRESS_LAN, &routed, ORIG, 0, TC_OK);
	expect_chain(t, "UDP to a routed prefix", &routed, TCFW_CHAIN_FORWARD, lan, wan);
	dp_flow(t, "UDP to an unroutable address", DP_INGRESS_LAN, &nowhere, ORIG, 0, TC_OK);
	expect_chain(t, "unroutable", &nowhere, TCFW_CHAIN_FORWARD, lan, 0);
}

void case_chain_broadcast_multicast_input(struct dp *t)
{
	static const struct {
		const char *step;
		struct flow f;
		bool l2_broadcast;
	} to[] = {
	    {"limited broadcast", {4, IPPROTO_UDP, "192.0.2.10", "255.255.255.255", 68, 67}, true},
	    {"mDNS multicast", {4, IPPROTO_UDP, "192.0.2.10", "224.0.0.251", 5353, 5353}, false},
	    {"subnet broadcast (L2 broadcast)",
	     {4, IPPROTO_UDP, "192.0.2.10", "192.0.2.255", 137, 137},
	     true},
	    {"IPv6 multicast", {6, IPPROTO_UDP, "2001:db8:1::10", "ff02::fb", 5353, 5353}, false},
	};

	for (size_t i = 0; i < sizeof(to) / sizeof(to[0]); i++) {
		struct pkt p;

		pkt_flow(&p, &to[i].f, ORIG, 0);
		if (to[i].l2_broadcast)
			memset(p.b, 0xff, 6);
		dp_send(t, to[i].step, DP_INGRESS_LAN, &p, TC_OK);
		expect_chain(t, to[i].step, &to[i].f, TCFW_CHAIN_INPUT, t->ifindex_lan, 0);
	}
}

void case_chain_output_egress(struct dp *t)
{
	static const struct flow out = {4,     IPPROTO_TCP, "198.51.100.1", "198.51.100.20",
	                                50000, 443};
	struct tcfw_ct_entry e;

	dp_add_local_addr(t, "192.0.2.1", t->ifindex_lan);
	dp_add_local_addr(t, "198.51.100.1", t->ifindex_wan);

	dp_flow(t, "gateway's SYN", DP_EGRESS_LOCAL_WAN, &out, ORIG, F_SYN, TC_OK);
	expect_chain(t, "gateway's SYN", &out, TCFW_CHAIN_OUTPUT, 0, t->ifindex_wan);
	dp_flow(t, "server's SYN-ACK", DP_INGRESS_WAN, &out, REPLY, F_SYN | F_ACK, TC_OK);
	dp_flow(t, "gateway's ACK", DP_EGRESS_LOCAL_WAN, &out, ORIG, F_ACK, TC_OK);
	dp_expect_conn(t, "output handshake", &out, TCFW_CT_TCP_ESTABLISHED, TCFW_CTF_ASSURED, &e);
	DP_EXPECT_EQ(t, "output handshake", "orig packets", e.ctr[ORIG].packets, 2);

	/* The gateway answering an input connection: the reply direction, at egress. */
	dp_flow(t, "client's SYN to the gateway", DP_INGRESS_LAN, &ssh, ORIG, F_SYN, TC_OK);
	dp_flow(t, "gateway's SYN-ACK", DP_EGRESS_LOCAL_LAN, &ssh, REPLY, F_SYN | F_ACK, TC_OK);
	dp_expect_conn(t, "input connection answered", &ssh, TCFW_CT_TCP_SYN_RECV,
	               TCFW_CTF_SEEN_REPLY, NULL);
	expect_chain(t, "input connection answered", &ssh, TCFW_CHAIN_INPUT, t->ifindex_lan, 0);
	dp_expect_stat(t, "end", TCFW_STAT_PACKETS, 5);
	dp_expect_stat(t, "end", TCFW_STAT_CT_NEW, 2);
}

void case_egress_forwarded_not_counted(struct dp *t)
{
	struct tcfw_ct_entry e;
	struct pkt p;

	dp_set_policy(t, 0, TCFW_VERDICT_ACCEPT, TCFW_VERDICT_ACCEPT, TCFW_VERDICT_ACCEPT,
	              TCFW_VERDICT_DROP);
	dp_flow(t, "SYN arrives on lan0", DP_INGRESS_LAN, &web, ORIG, F_SYN, TC_OK);
	dp_flow(t, "the same SYN leaves by wan0", DP_EGRESS_FWD_WAN, &web, ORIG, F_SYN, TC_OK);
	dp_flow(t, "SYN-ACK arrives on wan0", DP_INGRESS_WAN, &web, REPLY, F_SYN | F_ACK, TC_OK);
	dp_flow(t, "the same SYN-ACK leaves by lan0", DP_EGRESS_FWD_LAN, &web, REPLY, F_SYN | F_ACK,
	        TC_OK);
	/* Even what ingress would call invalid passes egress untouched once forwarded. */
	pkt_flow(&p, &dns, REPLY, 0);
	dp_send(t, "forwarded stray UDP", DP_EGRESS_FWD_LAN, &p, TC_OK);

	dp_expect_conn(t, "end", &web, TCFW_CT_TCP_SYN_RECV, 0, &e);
	DP_EXPECT_EQ(t, "end", "orig packets (counted once)", e.ctr[ORIG].packets, 1);
	DP_EXPECT_EQ(t, "end", "reply packets (counted once)", e.ctr[REPLY].packets, 1);
	dp_expect_stat(t, "end", TCFW_STAT_PACKETS, 2);
	dp_expect_stat(t, "end", TCFW_STAT_CT_NEW, 1);
	dp_expect_stat(t, "end", TCFW_STAT_CT_ESTABLISHED, 1);
	DP_EXPECT_EQ(t, "end", "entries in ct", dp_count_ct(t), 1);
}

void case_policy_defaults_drop(struct dp *t)
{
	static const struct flow out = {4, IPPROTO_UDP, "198.51.100.1", "198.51.100.20", 123, 123};

	dp_add_local_addr(t, "192.0.2.1", t->ifindex_lan);
	dp_set_policy(t, 0, TCFW_VERDICT_DROP, TCFW_VERDICT_DROP, TCFW_VERDICT_ACCEPT,
	              TCFW_VERDICT_DROP);
	dp_flow(t, "forward SYN, forward drops", DP_INGRESS_LAN, &web, ORIG, F_SYN, TC_SHOT);
	dp_expect_no_conn(t, "forward SYN dropped", &web);
	dp_flow(t, "input SYN, input drops", DP_INGRESS_LAN, &ssh, ORIG, F_SYN, TC_SHOT);
	dp_expect_no_conn(t, "input SYN dropped", &ssh);
	dp_flow(t, "output NTP, output accepts", DP_EGRESS_LOCAL_WAN, &out, ORIG, 0, TC_OK);
	dp_flow(t, "NTP answer at ingress (established)", DP_INGRESS_WAN, &out, REPLY, 0, TC_OK);
	dp_expect_conn(t, "NTP answered", &out, TCFW_CT_UDP_REPLIED, 0, NULL);
	/* Only the connection stored: the two the policy dropped were never created. */
	dp_expect_stat(t, "end", TCFW_STAT_CT_NEW, 1);
	dp_expect_stat(t, "end", TCFW_STAT_VERDICT_DROP, 2);
	dp_expect_stat(t, "end", TCFW_STAT_VERDICT_ACCEPT, 1);
	dp_expect_stat(t, "end", TCFW_STAT_CT_ESTABLISHED, 1);
	/* The same two drops by the chain that decided. */
	dp_expect_drops(t, "end", TCFW_DROP_POLICY, TCFW_CHAIN_FORWARD, 1);
	dp_expect_drops(t, "end", TCFW_DROP_POLICY, TCFW_CHAIN_INPUT, 1);
	dp_expect_drops(t, "end", TCFW_DROP_POLICY, TCFW_CHAIN_OUTPUT, 0);
	dp_expect_drops(t, "end", TCFW_DROP_INVALID, TCFW_DROP_CHAIN_NONE, 0);
	DP_EXPECT_EQ(t, "end", "entries in ct", dp_count_ct(t), 1);
}

void case_policy_zero_config_accepts(struct dp *t)
{
	/* fwd has written nothing: every map is zero. */
	dp_flow(t, "forward SYN", DP_INGRESS_LAN, &web, ORIG, F_SYN, TC_OK);
	dp_flow(t, "UDP flow", DP_INGRESS_LAN, &dns, ORIG, 0, TC_OK);
	dp_flow(t, "lone ACK (invalid)", DP_INGRESS_LAN,
	        &(struct flow){4, IPPROTO_TCP, "192.0.2.10", "198.51.100.20", 41000, 80}, ORIG,
	        F_ACK, TC_OK);
	dp_expect_stat(t, "end", TCFW_STAT_CT_INVALID, 1);
	dp_expect_stat(t, "end", TCFW_STAT_VERDICT_DROP, 0);
	dp_expect_stat(t, "end", TCFW_STAT_VERDICT_ACCEPT, 2);
}

void case_policy_copy_switch(struct dp *t)
{
	struct flow later = web;

	dp_set_policy(t, 0, TCFW_VERDICT_ACCEPT, TCFW_VERDICT_ACCEPT, TCFW_VERDICT_ACCEPT,
	              TCFW_VERDICT_ACCEPT);
	dp_set_policy(t, 1, TCFW_VERDICT_ACCEPT, TCFW_VERDICT_DROP, TCFW_VERDICT_ACCEPT,
	              TCFW_VERDICT_ACCEPT);
	dp_set_config(t, 0, 0);
	dp_flow(t, "SYN under copy 0 (forward accepts)", DP_INGRESS_LAN, &web, ORIG, F_SYN, TC_OK);
	dp_set_config(t, 1, 0);
	later.sport = 40100;
	dp_flow(t, "SYN under copy 1 (forward drops)", DP_INGRESS_LAN, &later, ORIG, F_SYN,
	        TC_SHOT);
	dp_flow(t, "SYN-ACK of the connection from copy 0", DP_INGRESS_WAN, &web, REPLY,
	        F_SYN | F_ACK, TC_OK);
	dp_expect_conn(t, "survives the switch", &web, TCFW_CT_TCP_SYN_RECV, 0, NULL);
	dp_set_config(t, 0, 0);
	dp_flow(t, "SYN under copy 0 again", DP_INGRESS_LAN, &later, ORIG, F_SYN, TC_OK);
}

void case_invalid_verdict(struct dp *t)
{
	dp_set_policy(t, 0, TCFW_VERDICT_ACCEPT, TCFW_VERDICT_ACCEPT, TCFW_VERDICT_ACCEPT,
	              TCFW_VERDICT_ACCEPT);
	dp_flow(t, "lone ACK, invalid accepted", DP_INGRESS_LAN, &web, ORIG, F_ACK, TC_OK);
	dp_set_policy(t, 0, TCFW_VERDICT_ACCEPT, TCFW_VERDICT_ACCEPT, TCFW_VERDICT_ACCEPT,
	              TCFW_VERDICT_DROP);
	dp_flow(t, "lone ACK, invalid dropped", DP_INGRESS_LAN, &web, ORIG, F_ACK, TC_SHOT);
	dp_expect_stat(t, "end", TCFW_STAT_CT_INVALID, 2);
	dp_expect_stat(t, "end", TCFW_STAT_VERDICT_DROP, 1);
	/* Dropped as invalid, not by a chain. */
	dp_expect_drops(t, "end", TCFW_DROP_INVALID, TCFW_DROP_CHAIN_NONE, 1);
	dp_expect_drops(t, "end", TCFW_DROP_POLICY, TCFW_CHAIN_FORWARD, 0);
	DP_EXPECT_EQ(t, "end", "entries in ct (invalid opens nothing)", dp_count_ct(t), 0);
}

void case_policy_reject(struct dp *t)
{
	struct flow other = web;

	dp_set_policy(t, 0, TCFW_VERDICT_ACCEPT, TCFW_VERDICT_REJECT, TCFW_VERDICT_ACCEPT,
	              TCFW_VERDICT_ACCEPT);
	/* Answered with a reset, redirected (dp_reject.c checks the reply itself). */
	dp_flow(t, "SYN, forward rejects", DP_INGRESS_LAN, &web, ORIG, F_SYN, TC_REDIRECT);
	dp_expect_no_conn(t, "rejected", &web);
	dp_expect_stat(t, "rejected", TCFW_STAT_VERDICT_REJECT, 1);
	dp_expect_stat(t, "rejected", TCFW_STAT_REJECT_SENT, 1);
	dp_expect_drops(t, "rejected", TCFW_DROP_REJECT, TCFW_CHAIN_FORWARD, 1);

	/* A verdict outside the enum is not zero, so not "accept": it fails closed. */
	dp_set_policy(t, 0, TCFW_VERDICT_ACCEPT, 7, TCFW_VERDICT_ACCEPT, TCFW_VERDICT_ACCEPT);
	other.sport = 40200;
	dp_flow(t, "SYN, forward verdict 7", DP_INGRESS_LAN, &other, ORIG, F_SYN, TC_SHOT);
	dp_expect_stat(t, "end", TCFW_STAT_VERDICT_DROP, 1);
	dp_expect_drops(t, "end", TCFW_DROP_POLICY, TCFW_CHAIN_FORWARD, 1);
	DP_EXPECT_EQ(t, "end", "entries in ct", dp_count_ct(t), 0);
}

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

void case_events_new(struct dp *t)
{
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

void case_half_evicted_connection(struct dp *t)
{
	int ct_fd = bpf_map__fd(t->skel->maps.ct), reply_fd = bpf_map__fd(t->skel->maps.ct_reply);
	struct tcfw_tuple orig, reply, back;
	struct flow other = dns;

	dp_tuple(&orig, &dns, ORIG);
	dp_tuple(&reply, &dns, REPLY);

	/* The reply half goes: the connection is live, so its reply half comes back. */
	dp_flow(t, "query", DP_INGRESS_LAN, &dns, ORIG, 0, TC_OK);
	bpf_map_delete_elem(reply_fd, &reply);
	dp_flow(t, "answer after the reply half was evicted", DP_INGRESS_WAN, &dns, REPLY, 0,
	        TC_OK);
	dp_expect_conn(t, "reply half restored", &dns, TCFW_CT_UDP_REPLIED, TCFW_CTF_SEEN_REPLY,
	               NULL);
	dp_expect_stat(t, "reply half restored", TCFW_STAT_EVICTIONS_SUSPECTED, 1);

	/* The entry goes: the reply half left behind is counted but kept (the datapath cannot
	 * tell it from a NAT port being reserved on another CPU); the answer then looks like a
	 * new flow from the server's side. */
	bpf_map_delete_elem(ct_fd, &orig);
	dp_flow(t, "answer after the entry was evicted", DP_INGRESS_WAN, &dns, REPLY, 0, TC_OK);
	dp_expect_stat(t, "stale reply half", TCFW_STAT_EVICTIONS_SUSPECTED, 2);
	DP_EXPECT_TRUE(t, "stale reply half", "stale reply half kept",
	               bpf_map_lookup_elem(reply_fd, &reply, &back) == 0);

	/* The entry goes, the reply half stays, and the same flow opens again: the old reply
	 * half is taken over. */
	other.sport = 5400;
	dp_tuple(&orig, &other, ORIG);
	dp_flow(t, "query 2", DP_INGRESS_LAN, &other, ORIG, 0, TC_OK);
	bpf_map_delete_elem(ct_fd, &orig);
	dp_flow(t, "query 2 again", DP_INGRESS_LAN, &other, ORIG, 0, TC_OK);
	dp_expect_conn(t, "query 2 again", &other, TCFW_CT_UDP_UNREPLIED, 0, NULL);
	dp_expect_stat(t, "end", TCFW_STAT_EVICTIONS_SUSPECTED, 3);
	dp_expect_stat(t, "end", TCFW_STAT_CT_INSERT_FAILED, 0);
}
