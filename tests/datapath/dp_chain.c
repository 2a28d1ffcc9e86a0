// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * dp_chain.c - chains: which of input / forward / output decides a new connection (broadcast
 * and multicast included), and what egress counts.
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

DP_CASE(chain_input_forward)
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

DP_CASE(chain_broadcast_multicast_input)
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

DP_CASE(chain_output_egress)
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

DP_CASE(egress_forwarded_not_counted)
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
