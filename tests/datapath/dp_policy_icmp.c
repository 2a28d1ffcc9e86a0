// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * dp_policy_icmp.c - 'proto icmp type ...' / 'proto icmpv6 type ...' in the datapath (the type
 * is looked up in the dport slots: a type rule matches its types and no other, and a 'dport'
 * rule never matches an ICMP type of the same number), protocol lists and inline address
 * ranges, and IPv6 neighbour discovery and MLD passing even when rules drop all ICMPv6.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tcfw.skel.h"

#include "dp.h"

#define ORIG TCFW_DIR_ORIG

#define ZONES    "zone lan { lan0 }\nzone wan { wan0 }\n"
#define DEFAULTS "defaults { input drop; forward drop; output drop; invalid drop }\n"

static void gateway_addresses(struct dp *t)
{
	dp_add_local_addr(t, "192.0.2.1", t->ifindex_lan);
	dp_add_local_addr(t, "2001:db8:1::1", t->ifindex_lan);
	dp_add_local_addr(t, "198.51.100.1", t->ifindex_wan);
	dp_add_local_addr(t, "2001:db8:2::1", t->ifindex_wan);
}

/* An ICMP or ICMPv6 query of `type` with `id` from src to dst, arriving on lan0: with rule_id
 * > 0 it must open a connection admitted by that rule, with 0 be dropped and leave none. */
static void icmp_opens(struct dp *t, const char *step, int family, const char *src, const char *dst,
                       uint8_t type, uint16_t id, uint32_t rule_id)
{
	struct flow f = {family, family == 4 ? IPPROTO_ICMP : IPPROTO_ICMPV6, src, dst, id, 0};
	struct tcfw_ct_entry e;
	struct pkt p;

	pkt_init(&p);
	pkt_eth(&p, family == 4 ? 0x0800 : 0x86dd, false);
	if (family == 4)
		pkt_ipv4(&p, src, dst, IPPROTO_ICMP, 0, 1, 0);
	else
		pkt_ipv6(&p, src, dst, IPPROTO_ICMPV6);
	pkt_icmp(&p, type, 0, id, 1);
	pkt_data(&p, "0123456789abcdef", 16);
	pkt_finish(&p);
	dp_send(t, step, DP_INGRESS_LAN, &p, rule_id ? TC_OK : TC_SHOT);
	if (!rule_id) {
		dp_expect_no_conn(t, step, &f);
		return;
	}
	if (!dp_conn(t, &f, &e))
		dp_fail(t, step, "expected a connection admitted by rule %u, none", rule_id);
	else
		DP_EXPECT_EQ(t, step, "rule that admitted the connection", e.rule_id, rule_id);
}

DP_CASE(policy_icmp_types)
{
	static const struct flow udp8 = {4, IPPROTO_UDP, "192.0.2.10", "198.51.100.20", 5000, 8};

	gateway_addresses(t);
	if (!dp_policy_load(t, "icmp type rules",
	                    ZONES DEFAULTS "input accept proto icmp type echo-request\n"
	                                   "input accept proto icmpv6 type { echo-request }\n"
	                                   "forward accept proto icmp type timestamp-request\n"
	                                   "forward accept dport 8\n"
	                                   "forward accept proto icmpv6 type 139\n",
	                    0, true))
		return;
	icmp_opens(t, "echo request to the gateway: type rule", 4, "192.0.2.10", "192.0.2.1", 8,
	           100, 1);
	icmp_opens(t, "timestamp request to the gateway: not echo-request", 4, "192.0.2.10",
	           "192.0.2.1", 13, 101, 0);
	icmp_opens(t, "timestamp request forwarded: its type rule", 4, "192.0.2.10",
	           "198.51.100.20", 13, 102, 3);
	/* Type 8 in the dport slot: the 'dport 8' rule is TCP and UDP only. */
	icmp_opens(t, "echo request forwarded: 'dport 8' does not match type 8", 4, "192.0.2.10",
	           "198.51.100.20", 8, 103, 0);
	dp_flow(t, "udp dport 8 forwarded: 'dport 8'", DP_INGRESS_LAN, &udp8, ORIG, 0, TC_OK);
	icmp_opens(t, "ICMPv6 echo request to the gateway", 6, "2001:db8:1::10", "2001:db8:1::1",
	           128, 104, 2);
	icmp_opens(t, "ICMPv6 node information query to the gateway: not echo-request", 6,
	           "2001:db8:1::10", "2001:db8:1::1", 139, 105, 0);
	icmp_opens(t, "ICMPv6 node information query forwarded: type 139", 6, "2001:db8:1::10",
	           "2001:db8:3::7", 139, 106, 5);
	icmp_opens(t, "ICMPv6 echo request forwarded: no rule", 6, "2001:db8:1::10",
	           "2001:db8:3::7", 128, 107, 0);
	dp_expect_hits(t, "end", TCFW_CHAIN_INPUT, 0, 1);
	dp_expect_hits(t, "end", TCFW_CHAIN_FORWARD, 0, 1);
	/* Beside hits, the bytes of the packets decided (IP length: 20 + 8 + 16 for IPv4, 40 +
	 * 8 + 16 for IPv6), in the live copy (0). */
	DP_EXPECT_EQ(t, "end", "bytes of the echo-request rule",
	             dp_percpu_sum(bpf_map__fd(t->skel->maps.pol_bytes),
	                           TCFW_RULE_INDEX(0, TCFW_CHAIN_INPUT, 0)),
	             44);
	DP_EXPECT_EQ(t, "end", "bytes of the icmpv6 echo-request rule",
	             dp_percpu_sum(bpf_map__fd(t->skel->maps.pol_bytes),
	                           TCFW_RULE_INDEX(0, TCFW_CHAIN_INPUT, 1)),
	             64);
}

DP_CASE(policy_proto_lists_and_ranges)
{
	static const struct {
		const char *step;
		struct flow f;
		int want;
	} cases[] = {
	    {"tcp in the list, in the range",
	     {4, IPPROTO_TCP, "192.0.2.10", "198.51.100.20", 40000, 443},
	     TC_OK},
	    {"udp in the list, in the range",
	     {4, IPPROTO_UDP, "192.0.2.12", "198.51.100.20", 40001, 443},
	     TC_OK},
	    {"udp from the range's last address",
	     {4, IPPROTO_UDP, "192.0.2.19", "198.51.100.20", 40002, 443},
	     TC_OK},
	    {"udp from past the range",
	     {4, IPPROTO_UDP, "192.0.2.20", "198.51.100.20", 40003, 443},
	     TC_SHOT},
	    {"udp from before the range",
	     {4, IPPROTO_UDP, "192.0.2.9", "198.51.100.20", 40004, 443},
	     TC_SHOT},
	    {"IPv6 from the list",
	     {6, IPPROTO_TCP, "2001:db8:1::5", "2001:db8:3::7", 40005, 443},
	     TC_OK},
	    {"IPv6 from outside the list",
	     {6, IPPROTO_TCP, "2001:db8:1::6", "2001:db8:3::7", 40006, 443},
	     TC_SHOT},
	    {"GRE from the range (not in the list)",
	     {4, 47, "192.0.2.10", "198.51.100.20", 0, 0},
	     TC_SHOT},
	};

	gateway_addresses(t);
	if (!dp_policy_load(t, "lists",
	                    ZONES DEFAULTS "forward accept from { 192.0.2.10-192.0.2.19, "
	                                   "2001:db8:1::5 } proto { tcp, udp } dport https\n",
	                    0, true))
		return;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		dp_flow(t, cases[i].step, DP_INGRESS_LAN, &cases[i].f, ORIG,
		        cases[i].f.proto == IPPROTO_TCP ? F_SYN : 0, cases[i].want);
}

/* Neighbour discovery and MLD pass before conntrack and the rules: rules that drop every
 * ICMPv6 packet, and every default at drop, must not stop them. */
DP_CASE(policy_neighbour_discovery_always_passes)
{
	static const struct {
		const char *step;
		const char *src, *dst;
		uint8_t type;
	} nd[] = {
	    {"router solicitation", "fe80::2", "ff02::2", 133},
	    {"router advertisement", "fe80::2", "ff02::1", 134},
	    {"neighbour solicitation", "fe80::2", "ff02::1:ff00:1", 135},
	    {"neighbour advertisement", "fe80::2", "fe80::1", 136},
	    {"redirect", "fe80::2", "fe80::1", 137},
	    {"MLD query", "fe80::2", "ff02::1", 130},
	    {"MLD report", "fe80::2", "ff02::16", 131},
	    {"MLD done", "fe80::2", "ff02::2", 132},
	    {"MLDv2 report", "fe80::2", "ff02::16", 143},
	};
	size_t n = sizeof(nd) / sizeof(nd[0]);

	gateway_addresses(t);
	if (!dp_policy_load(t, "drop all icmpv6",
	                    ZONES DEFAULTS "input drop proto icmpv6\n"
	                                   "forward drop proto icmpv6\n"
	                                   "input drop\n",
	                    0, true))
		return;
	for (size_t i = 0; i < n; i++) {
		struct pkt p;

		pkt_init(&p);
		pkt_eth(&p, 0x86dd, false);
		pkt_ipv6(&p, nd[i].src, nd[i].dst, IPPROTO_ICMPV6);
		pkt_icmp(&p, nd[i].type, 0, 0, 0);
		pkt_data(&p, "0123456789abcdef", 16);
		pkt_finish(&p);
		dp_send(t, nd[i].step, DP_INGRESS_LAN, &p, TC_OK);
	}
	/* The rules are there: an ICMPv6 echo request is dropped by rule 1. */
	icmp_opens(t, "ICMPv6 echo request: dropped by rule 1", 6, "2001:db8:1::10",
	           "2001:db8:1::1", 128, 200, 0);
	dp_expect_hits(t, "end", TCFW_CHAIN_INPUT, 0, 1);
	DP_EXPECT_EQ(t, "end", "entries in ct", dp_count_ct(t), 0);
}
