// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * dp_policy.c - rules in the datapath: every match kind (zones, prefixes, sets, negation,
 * protocol, family, ports), first-match order, chain defaults, invalid packets, established
 * traffic bypassing the rules, hit counters, an incomplete policy, and 10,000 rules.
 *
 * Policies are written in the policy language and go through the real policy library and
 * lib/policy_maps.c (dp_policy_load.c). For each match kind one connection must match and
 * one must not; a connection "opens" when its first packet passes and its entry names the
 * rule that admitted it.
 */
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tcfw.skel.h"

#include "dp.h"

#define ORIG  TCFW_DIR_ORIG
#define REPLY TCFW_DIR_REPLY

/* Zones of the test network (dp.h) and defaults that make every rule visible: what no rule
 * accepts is dropped. */
#define ZONES    "zone lan { lan0 }\nzone wan { wan0 }\n"
#define DEFAULTS "defaults { input drop; forward drop; output drop; invalid drop }\n"

/* The gateway's own addresses, as fwd would have put them in map local_addrs. */
static void gateway_addresses(struct dp *t)
{
	dp_add_local_addr(t, "192.0.2.1", t->ifindex_lan);
	dp_add_local_addr(t, "2001:db8:1::1", t->ifindex_lan);
	dp_add_local_addr(t, "198.51.100.1", t->ifindex_wan);
	dp_add_local_addr(t, "2001:db8:2::1", t->ifindex_wan);
}

/* Load ZONES + DEFAULTS + rules into copy 0 and make it live. */
static bool load_rules(struct dp *t, const char *rules)
{
	size_t len = strlen(ZONES DEFAULTS) + strlen(rules) + 1;
	char *text = malloc(len);
	bool ok;

	if (!text) {
		dp_fail(t, "load the policy", "out of memory");
		return false;
	}
	snprintf(text, len, "%s%s", ZONES DEFAULTS, rules);
	gateway_addresses(t);
	ok = dp_policy_load(t, "load the policy", text, 0, true);
	free(text);
	return ok;
}

/*
 * The first packet of f (a SYN for TCP) arrives by hook: with rule_id > 0 it must open a
 * connection admitted by that rule, with rule_id 0 it must be dropped and leave no entry.
 */
static void expect_opens(struct dp *t, const char *step, enum dp_hook hook, const struct flow *f,
                         uint32_t rule_id)
{
	uint8_t flags = f->proto == IPPROTO_TCP ? F_SYN : 0;
	struct tcfw_ct_entry e;

	dp_flow(t, step, hook, f, ORIG, flags, rule_id ? TC_OK : TC_SHOT);
	if (!rule_id) {
		dp_expect_no_conn(t, step, f);
		return;
	}
	if (!dp_conn(t, f, &e)) {
		dp_fail(t, step, "connection %s -> %s: expected (admitted by rule %u), not there",
		        f->src, f->dst, rule_id);
		return;
	}
	DP_EXPECT_EQ(t, step, "rule that admitted the connection", e.rule_id, rule_id);
}

/* printf into buf at *n, never past cap; *n > cap afterwards means it did not fit. */
static void append(char *buf, size_t cap, size_t *n, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void append(char *buf, size_t cap, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (*n >= cap) {
		*n = cap + 1;
		return;
	}
	va_start(ap, fmt);
	w = vsnprintf(buf + *n, cap - *n, fmt, ap);
	va_end(ap);
	*n += w < 0 ? cap : (size_t)w;
}

#define ACCEPTED_BY(n) (n)
#define DROPPED        0

DP_CASE(policy_zones)
{
	static const struct flow lan_to_wan = {4,     IPPROTO_TCP, "192.0.2.10", "198.51.100.20",
	                                       40000, 80};
	static const struct flow wan_to_lan = {4,     IPPROTO_TCP, "198.51.100.20", "192.0.2.10",
	                                       40001, 80};
	static const struct flow wan_to_lan_udp = {4,    IPPROTO_UDP, "198.51.100.20", "192.0.2.10",
	                                           5000, 5000};
	/* No route: no output interface, so no output zone (slot 63). */
	static const struct flow lan_to_nowhere = {4,           IPPROTO_TCP, "192.0.2.10",
	                                           "10.99.0.1", 40002,       80};
	static const struct flow wan_to_gw = {4,    IPPROTO_UDP, "198.51.100.20", "198.51.100.1",
	                                      5001, 53};
	static const struct flow lan_to_gw = {4, IPPROTO_UDP, "192.0.2.10", "192.0.2.1", 5002, 53};

	if (!load_rules(t, "forward accept in lan out wan\n"
	                   "input accept in wan proto udp\n"
	                   "forward accept out lan proto udp\n"))
		return;
	expect_opens(t, "in lan out wan", DP_INGRESS_LAN, &lan_to_wan, ACCEPTED_BY(1));
	expect_opens(t, "in wan out lan (tcp)", DP_INGRESS_WAN, &wan_to_lan, DROPPED);
	expect_opens(t, "in lan, no output zone", DP_INGRESS_LAN, &lan_to_nowhere, DROPPED);
	expect_opens(t, "input in wan", DP_INGRESS_WAN, &wan_to_gw, ACCEPTED_BY(2));
	expect_opens(t, "input in lan", DP_INGRESS_LAN, &lan_to_gw, DROPPED);
	expect_opens(t, "out lan (udp)", DP_INGRESS_WAN, &wan_to_lan_udp, ACCEPTED_BY(3));
}

DP_CASE(policy_prefixes)
{
	static const struct flow low_to_wan = {4,     IPPROTO_TCP, "192.0.2.10", "198.51.100.20",
	                                       40000, 80};
	static const struct flow high_to_wan = {4,     IPPROTO_TCP, "192.0.2.200", "198.51.100.20",
	                                        40001, 80};
	static const struct flow low_to_routed = {4,     IPPROTO_TCP, "192.0.2.10", "203.0.113.5",
	                                          40002, 80};
	static const struct flow high_to_routed = {4,     IPPROTO_TCP, "192.0.2.200", "203.0.113.5",
	                                           40003, 80};
	static const struct flow v6_to_host = {
	    6, IPPROTO_TCP, "2001:db8:1::10", "2001:db8:3::7", 40004, 80};
	static const struct flow v6_to_other = {
	    6, IPPROTO_TCP, "2001:db8:1::10", "2001:db8:3::8", 40005, 80};

	if (!load_rules(t, "forward accept from 192.0.2.0/25 to 198.51.100.0/24\n"
	                   "forward accept from 2001:db8:1::/64 to 2001:db8:3::7\n"
	                   "forward drop to 203.0.113.0/24\n"
	                   "forward accept from 192.0.2.128/25\n"))
		return;
	expect_opens(t, "from /25 to /24", DP_INGRESS_LAN, &low_to_wan, ACCEPTED_BY(1));
	expect_opens(t, "from the other /25", DP_INGRESS_LAN, &high_to_wan, ACCEPTED_BY(4));
	expect_opens(t, "to 203.0.113.0/24 (rule 3 drops)", DP_INGRESS_LAN, &low_to_routed,
	             DROPPED);
	expect_opens(t, "rule 3 before rule 4", DP_INGRESS_LAN, &high_to_routed, DROPPED);
	expect_opens(t, "IPv6 to a /128", DP_INGRESS_LAN, &v6_to_host, ACCEPTED_BY(2));
	expect_opens(t, "IPv6 beside the /128", DP_INGRESS_LAN, &v6_to_other, DROPPED);
}

DP_CASE(policy_sets_negation)
{
	static const struct flow admin_ssh = {4,     IPPROTO_TCP, "198.51.100.20", "198.51.100.1",
	                                      40000, 22};
	static const struct flow other_ssh = {4,     IPPROTO_TCP, "203.0.113.5", "198.51.100.1",
	                                      40001, 22};
	static const struct flow admin6_ssh = {
	    6, IPPROTO_TCP, "2001:db8:2::20", "2001:db8:2::1", 40002, 22};
	static const struct flow udp_unblocked = {4,    IPPROTO_UDP, "192.0.2.10", "203.0.113.5",
	                                          5000, 53};
	static const struct flow udp_blocked = {4,    IPPROTO_UDP, "192.0.2.10", "203.0.113.66",
	                                        5001, 53};
	static const struct flow tcp_blocked = {4,     IPPROTO_TCP, "192.0.2.10", "203.0.113.200",
	                                        40003, 80};
	static const struct flow tcp_unblocked = {4,     IPPROTO_TCP, "192.0.2.10", "203.0.113.5",
	                                          40004, 80};
	static const struct flow udp_from_wan = {4,    IPPROTO_UDP, "198.51.100.20", "198.51.100.1",
	                                         5002, 161};
	static const struct flow udp_from_lan = {4,           IPPROTO_UDP, "192.0.2.10",
	                                         "192.0.2.1", 5003,        161};

	if (!load_rules(t, "set admins { 198.51.100.0/24, 2001:db8:2::/64 }\n"
	                   "set blocked { 203.0.113.66, 203.0.113.128/25 }\n"
	                   "input accept proto tcp dport 22 from @admins\n"
	                   "forward accept proto udp to !@blocked\n"
	                   "forward accept proto tcp to @blocked\n"
	                   "input accept proto udp from !192.0.2.0/24\n"))
		return;
	expect_opens(t, "ssh from @admins", DP_INGRESS_WAN, &admin_ssh, ACCEPTED_BY(1));
	expect_opens(t, "ssh from outside @admins", DP_INGRESS_WAN, &other_ssh, DROPPED);
	expect_opens(t, "IPv6 ssh from @admins", DP_INGRESS_WAN, &admin6_ssh, ACCEPTED_BY(1));
	expect_opens(t, "udp to !@blocked", DP_INGRESS_LAN, &udp_unblocked, ACCEPTED_BY(2));
	expect_opens(t, "udp to a @blocked address", DP_INGRESS_LAN, &udp_blocked, DROPPED);
	expect_opens(t, "tcp to a @blocked prefix", DP_INGRESS_LAN, &tcp_blocked, ACCEPTED_BY(3));
	expect_opens(t, "tcp outside @blocked", DP_INGRESS_LAN, &tcp_unblocked, DROPPED);
	expect_opens(t, "udp from !192.0.2.0/24", DP_INGRESS_WAN, &udp_from_wan, ACCEPTED_BY(4));
	expect_opens(t, "udp from 192.0.2.0/24", DP_INGRESS_LAN, &udp_from_lan, DROPPED);
}

DP_CASE(policy_proto_family)
{
	static const struct flow udp4 = {4, IPPROTO_UDP, "192.0.2.10", "198.51.100.20", 5000, 53};
	static const struct flow tcp4 = {4, IPPROTO_TCP, "192.0.2.10", "198.51.100.20", 40000, 80};
	static const struct flow tcp6 = {6,     IPPROTO_TCP, "2001:db8:1::10", "2001:db8:3::7",
	                                 40001, 80};
	static const struct flow ping4 = {4, IPPROTO_ICMP, "192.0.2.10", "198.51.100.20", 7, 0};
	static const struct flow ping6_gw = {
	    6, IPPROTO_ICMPV6, "2001:db8:1::10", "2001:db8:1::1", 8, 0};
	static const struct flow ping6_fwd = {
	    6, IPPROTO_ICMPV6, "2001:db8:1::10", "2001:db8:3::7", 9, 0};
	static const struct flow gre4 = {4, 47, "192.0.2.10", "198.51.100.20", 0, 0};
	static const struct flow esp4 = {4, 50, "192.0.2.10", "198.51.100.20", 0, 0};
	static const struct flow tcp4_gw = {4, IPPROTO_TCP, "192.0.2.10", "192.0.2.1", 40002, 80};
	static const struct flow tcp6_gw = {6,     IPPROTO_TCP, "2001:db8:1::10", "2001:db8:1::1",
	                                    40003, 80};

	if (!load_rules(t, "forward accept proto udp\n"
	                   "forward accept proto icmp\n"
	                   "input accept proto icmpv6\n"
	                   "forward accept family ip6 proto tcp\n"
	                   "forward accept proto 47\n"
	                   "input accept family ip proto tcp\n"))
		return;
	expect_opens(t, "proto udp", DP_INGRESS_LAN, &udp4, ACCEPTED_BY(1));
	expect_opens(t, "IPv4 tcp forward (no rule)", DP_INGRESS_LAN, &tcp4, DROPPED);
	expect_opens(t, "family ip6 proto tcp", DP_INGRESS_LAN, &tcp6, ACCEPTED_BY(4));
	expect_opens(t, "proto icmp (echo)", DP_INGRESS_LAN, &ping4, ACCEPTED_BY(2));
	expect_opens(t, "input proto icmpv6", DP_INGRESS_LAN, &ping6_gw, ACCEPTED_BY(3));
	expect_opens(t, "forward icmpv6 (input rule only)", DP_INGRESS_LAN, &ping6_fwd, DROPPED);
	expect_opens(t, "proto 47", DP_INGRESS_LAN, &gre4, ACCEPTED_BY(5));
	expect_opens(t, "proto 50 (no rule)", DP_INGRESS_LAN, &esp4, DROPPED);
	expect_opens(t, "input family ip", DP_INGRESS_LAN, &tcp4_gw, ACCEPTED_BY(6));
	expect_opens(t, "input IPv6 tcp (family ip only)", DP_INGRESS_LAN, &tcp6_gw, DROPPED);
}

DP_CASE(policy_ports)
{
	static const struct {
		const char *step;
		struct flow f;
		uint32_t rule;
	} cases[] = {
	    {"dport 80", {4, IPPROTO_TCP, "192.0.2.10", "198.51.100.20", 40000, 80}, 1},
	    {"dport 81", {4, IPPROTO_TCP, "192.0.2.10", "198.51.100.20", 40001, 81}, 0},
	    {"dport 8000 (range start)",
	     {4, IPPROTO_TCP, "192.0.2.10", "198.51.100.20", 40002, 8000},
	     2},
	    {"dport 8080 (range end)",
	     {4, IPPROTO_TCP, "192.0.2.10", "198.51.100.20", 40003, 8080},
	     2},
	    {"dport 7999 (below the range)",
	     {4, IPPROTO_TCP, "192.0.2.10", "198.51.100.20", 40004, 7999},
	     0},
	    {"dport 8081 (above the range)",
	     {4, IPPROTO_TCP, "192.0.2.10", "198.51.100.20", 40005, 8081},
	     0},
	    {"udp dport 53 (list)", {4, IPPROTO_UDP, "192.0.2.10", "198.51.100.20", 5000, 53}, 3},
	    {"udp dport 123 (list)", {4, IPPROTO_UDP, "192.0.2.10", "198.51.100.20", 5001, 123}, 3},
	    {"udp dport 5005 (range in a list)",
	     {4, IPPROTO_UDP, "192.0.2.10", "198.51.100.20", 5002, 5005},
	     3},
	    {"udp dport 5011 (outside the list)",
	     {4, IPPROTO_UDP, "192.0.2.10", "198.51.100.20", 5003, 5011},
	     0},
	    {"udp dport 54 (outside the list)",
	     {4, IPPROTO_UDP, "192.0.2.10", "198.51.100.20", 5004, 54},
	     0},
	    {"sport 1500 dport 443", {4, IPPROTO_TCP, "192.0.2.10", "198.51.100.20", 1500, 443}, 4},
	    {"sport 2001 dport 443", {4, IPPROTO_TCP, "192.0.2.10", "198.51.100.20", 2001, 443}, 0},
	    {"sport 1500 dport 444", {4, IPPROTO_TCP, "192.0.2.10", "198.51.100.20", 1500, 444}, 0},
	    {"udp sport 67", {4, IPPROTO_UDP, "192.0.2.10", "198.51.100.20", 67, 999}, 5},
	    {"udp sport 68", {4, IPPROTO_UDP, "192.0.2.10", "198.51.100.20", 68, 999}, 0},
	    {"IPv6 dport 80", {6, IPPROTO_TCP, "2001:db8:1::10", "2001:db8:3::7", 40006, 80}, 1},
	    /* ICMP has no ports: its echo id (80 here) must not match 'dport 80'. */
	    {"icmp echo id 80", {4, IPPROTO_ICMP, "192.0.2.10", "198.51.100.20", 80, 0}, 0},
	};

	if (!load_rules(t, "forward accept proto tcp dport 80\n"
	                   "forward accept proto tcp dport 8000-8080\n"
	                   "forward accept proto udp dport { 53, 123, 5000-5010 }\n"
	                   "forward accept proto tcp sport 1024-2000 dport 443\n"
	                   "forward accept proto udp sport 67\n"))
		return;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_opens(t, cases[i].step, DP_INGRESS_LAN, &cases[i].f, cases[i].rule);
}

DP_CASE(policy_first_match)
{
	static const struct flow port80 = {4,     IPPROTO_TCP, "192.0.2.10", "198.51.100.20",
	                                   40000, 80};
	static const struct flow port81 = {4,     IPPROTO_TCP, "192.0.2.10", "198.51.100.20",
	                                   40001, 81};
	char rules[8192];
	size_t n = 0;

	/* Rules 1-3 decide; rules 4-133 fill two more bitmap words, so that the rule that
	 * matches port 9999 is in the third word and every earlier word must be skipped. */
	append(rules, sizeof(rules), &n,
	       "forward drop proto tcp dport 80\n"
	       "forward accept proto tcp dport 80-81\n"
	       "forward reject proto tcp dport 80\n");
	for (int i = 0; i < 130; i++)
		append(rules, sizeof(rules), &n, "forward drop proto udp dport %d\n", 1000 + i);
	append(rules, sizeof(rules), &n, "forward accept proto tcp dport 9999\n");
	if (n >= sizeof(rules)) {
		dp_fail(t, "setup", "the rules do not fit in %zu bytes", sizeof(rules));
		return;
	}
	if (!load_rules(t, rules))
		return;

	expect_opens(t, "port 80: rule 1 drops before rule 2 and 3", DP_INGRESS_LAN, &port80,
	             DROPPED);
	dp_expect_hits(t, "port 80", TCFW_CHAIN_FORWARD, 0, 1);
	dp_expect_hits(t, "port 80", TCFW_CHAIN_FORWARD, 1, 0);
	dp_expect_hits(t, "port 80", TCFW_CHAIN_FORWARD, 2, 0);
	expect_opens(t, "port 81: rule 2", DP_INGRESS_LAN, &port81, ACCEPTED_BY(2));
	expect_opens(t, "port 9999: rule 134, in the third word", DP_INGRESS_LAN,
	             &(struct flow){4, IPPROTO_TCP, "192.0.2.10", "198.51.100.20", 40002, 9999},
	             ACCEPTED_BY(134));
	expect_opens(t, "udp 1129: rule 133", DP_INGRESS_LAN,
	             &(struct flow){4, IPPROTO_UDP, "192.0.2.10", "198.51.100.20", 5000, 1129},
	             DROPPED);
	dp_expect_hits(t, "udp 1129", TCFW_CHAIN_FORWARD, 132, 1);
	dp_expect_stat(t, "end", TCFW_STAT_VERDICT_DROP, 2);
	dp_expect_stat(t, "end", TCFW_STAT_VERDICT_REJECT, 0);
}

DP_CASE(policy_chain_defaults)
{
	static const struct flow in_tcp = {4, IPPROTO_TCP, "192.0.2.10", "192.0.2.1", 40000, 80};
	static const struct flow in_udp9 = {4, IPPROTO_UDP, "192.0.2.10", "192.0.2.1", 5000, 9};
	static const struct flow fwd_tcp = {4,     IPPROTO_TCP, "192.0.2.10", "198.51.100.20",
	                                    40001, 80};
	static const struct flow out_udp = {4,    IPPROTO_UDP, "198.51.100.1", "198.51.100.20",
	                                    5001, 123};
	struct tcfw_ct_entry e;

	gateway_addresses(t);
	if (!dp_policy_load(t, "input accept, forward drop, output drop",
	                    ZONES "defaults { input accept; forward drop; output drop }\n"
	                          "input drop proto udp dport 9\n",
	                    0, true))
		return;
	dp_flow(t, "input tcp: input's default accepts", DP_INGRESS_LAN, &in_tcp, ORIG, F_SYN,
	        TC_OK);
	if (dp_conn(t, &in_tcp, &e))
		DP_EXPECT_EQ(t, "input tcp", "rule id of a default", e.rule_id, 0);
	expect_opens(t, "input udp 9: the rule drops", DP_INGRESS_LAN, &in_udp9, DROPPED);
	expect_opens(t, "forward tcp: forward's default drops", DP_INGRESS_LAN, &fwd_tcp, DROPPED);
	dp_flow(t, "output udp: output's default drops", DP_EGRESS_LOCAL_WAN, &out_udp, ORIG, 0,
	        TC_SHOT);

	/* The other way round, and a default reject (answered, no entry). */
	if (!dp_policy_load(t, "input drop, forward reject, output accept",
	                    ZONES "defaults { input drop; forward reject; output accept }\n"
	                          "input accept proto udp dport 9\n",
	                    1, true))
		return;
	dp_flow(t, "input tcp: input's default drops", DP_INGRESS_LAN,
	        &(struct flow){4, IPPROTO_TCP, "192.0.2.10", "192.0.2.1", 40010, 80}, ORIG, F_SYN,
	        TC_SHOT);
	expect_opens(t, "input udp 9: the rule accepts", DP_INGRESS_LAN,
	             &(struct flow){4, IPPROTO_UDP, "192.0.2.10", "192.0.2.1", 5010, 9},
	             ACCEPTED_BY(1));
	dp_flow(t, "forward tcp: forward's default rejects", DP_INGRESS_LAN,
	        &(struct flow){4, IPPROTO_TCP, "192.0.2.10", "198.51.100.20", 40011, 80}, ORIG,
	        F_SYN, TC_REDIRECT);
	dp_flow(t, "output udp: output's default accepts", DP_EGRESS_LOCAL_WAN,
	        &(struct flow){4, IPPROTO_UDP, "198.51.100.1", "198.51.100.20", 5011, 123}, ORIG, 0,
	        TC_OK);
	dp_expect_stat(t, "end", TCFW_STAT_VERDICT_REJECT, 1);
	dp_expect_stat(t, "end", TCFW_STAT_REJECT_SENT, 1);
}

DP_CASE(policy_invalid_with_rules)
{
	static const struct flow web = {4, IPPROTO_TCP, "192.0.2.10", "198.51.100.20", 40000, 80};
	const char *rules = "forward accept proto tcp\n";
	char text[512];

	gateway_addresses(t);
	snprintf(text, sizeof(text), "%sdefaults { forward drop; invalid drop }\n%s", ZONES, rules);
	if (!dp_policy_load(t, "invalid drop", text, 0, true))
		return;
	dp_flow(t, "lone ACK, invalid drop", DP_INGRESS_LAN, &web, ORIG, F_ACK, TC_SHOT);
	snprintf(text, sizeof(text), "%sdefaults { forward drop; invalid accept }\n%s", ZONES,
	         rules);
	if (!dp_policy_load(t, "invalid accept", text, 1, true))
		return;
	dp_flow(t, "lone ACK, invalid accept", DP_INGRESS_LAN, &web, ORIG, F_ACK, TC_OK);
	/* An invalid packet is never matched against the rules, and opens nothing. */
	dp_expect_no_conn(t, "lone ACK", &web);
	dp_expect_hits(t, "lone ACK", TCFW_CHAIN_FORWARD, 0, 0);
	dp_expect_stat(t, "end", TCFW_STAT_CT_INVALID, 2);
	dp_expect_stat(t, "end", TCFW_STAT_VERDICT_DROP, 1);
}

DP_CASE(policy_established_bypass)
{
	static const struct flow web = {4, IPPROTO_TCP, "192.0.2.10", "198.51.100.20", 40000, 80};
	struct flow later = web;
	struct pkt q, err;

	if (!load_rules(t, "forward accept proto tcp dport 80\n"))
		return;
	dp_flow(t, "SYN, accepted by rule 1", DP_INGRESS_LAN, &web, ORIG, F_SYN, TC_OK);

	/* The new policy drops port 80; the connection opened under the old one goes on. */
	if (!dp_policy_load(t, "reload: port 80 dropped",
	                    ZONES DEFAULTS "forward drop proto tcp dport 80\n", 1, true))
		return;
	dp_flow(t, "SYN-ACK after the reload", DP_INGRESS_WAN, &web, REPLY, F_SYN | F_ACK, TC_OK);
	dp_flow(t, "ACK after the reload", DP_INGRESS_LAN, &web, ORIG, F_ACK, TC_OK);
	dp_flow(t, "data after the reload", DP_INGRESS_WAN, &web, REPLY, F_ACK | F_PSH, TC_OK);
	dp_expect_conn(t, "established", &web, TCFW_CT_TCP_ESTABLISHED, 0, NULL);

	/* Related: an ICMP error about the connection passes too (a router on the way cannot
	 * forward the client's packet). */
	pkt_flow_ip(&q, &web, ORIG, F_ACK);
	pkt_icmp_error(&err, 4, "203.0.113.1", web.src, 3, 4, &q, 20 + 8);
	dp_send(t, "ICMP frag-needed about it", DP_INGRESS_WAN, &err, TC_OK);
	dp_expect_stat(t, "related", TCFW_STAT_CT_RELATED, 1);

	later.sport = 40001;
	dp_flow(t, "new SYN under the new policy", DP_INGRESS_LAN, &later, ORIG, F_SYN, TC_SHOT);
	dp_expect_hits(t, "end", TCFW_CHAIN_FORWARD, 0, 1); /* the new copy's rule 1: one drop */
}

DP_CASE(policy_hits)
{
	static const struct flow dns = {4, IPPROTO_UDP, "192.0.2.10", "198.51.100.20", 5000, 53};
	struct flow f = dns;

	if (!load_rules(t, "forward drop proto udp dport 54\n"
	                   "forward accept proto udp dport 53\n"
	                   "forward accept proto udp dport 55\n"))
		return;
	for (int i = 0; i < 3; i++) {
		f.sport = (uint16_t)(5000 + i);
		dp_flow(t, "new query to 53", DP_INGRESS_LAN, &f, ORIG, 0, TC_OK);
		/* Packets of the connection are conntrack's business: no more hits. */
		dp_flow(t, "same query again", DP_INGRESS_LAN, &f, ORIG, 0, TC_OK);
		dp_flow(t, "answer", DP_INGRESS_WAN, &f, REPLY, 0, TC_OK);
	}
	f.dport = 54;
	dp_flow(t, "query to 54 (dropped)", DP_INGRESS_LAN, &f, ORIG, 0, TC_SHOT);
	dp_flow(t, "query to 54 again (dropped again)", DP_INGRESS_LAN, &f, ORIG, 0, TC_SHOT);
	f.dport = 56;
	dp_flow(t, "query to 56 (default)", DP_INGRESS_LAN, &f, ORIG, 0, TC_SHOT);

	dp_expect_hits(t, "end", TCFW_CHAIN_FORWARD, 0, 2);
	dp_expect_hits(t, "end", TCFW_CHAIN_FORWARD, 1, 3);
	dp_expect_hits(t, "end", TCFW_CHAIN_FORWARD, 2, 0);
}

DP_CASE(policy_incomplete_fails_closed)
{
	static const struct flow web = {4, IPPROTO_TCP, "192.0.2.10", "198.51.100.20", 40000, 80};
	int scalar_fd = bpf_map__fd(t->skel->maps.pol_scalar);
	int class_fd = bpf_map__fd(t->skel->maps.pol_class);
	__u32 slot = TCFW_SCALAR_INDEX(0, TCFW_CHAIN_FORWARD, TCFW_SCALAR_OFF_PROTO, IPPROTO_TCP);
	__u32 class_key;

	if (!load_rules(t, "forward accept proto tcp\n"))
		return;
	if (bpf_map_lookup_elem(scalar_fd, &slot, &class_key) ||
	    bpf_map_delete_elem(class_fd, &class_key)) {
		dp_fail(t, "setup", "cannot remove the class of proto tcp from pol_class");
		return;
	}
	/* The rule would accept; with its class gone, the chain's default (drop) decides. */
	expect_opens(t, "SYN with a class missing", DP_INGRESS_LAN, &web, DROPPED);
	dp_expect_stat(t, "end", TCFW_STAT_POLICY_INCOMPLETE, 1);
	dp_expect_hits(t, "end", TCFW_CHAIN_FORWARD, 0, 0);
}

DP_CASE(policy_many_rules)
{
	enum { NRULES = 10000 };
	size_t cap = (size_t)NRULES * 48, n = 0;
	char *text = malloc(cap);

	if (!text) {
		dp_fail(t, "setup", "out of memory");
		return;
	}
	/* 9,999 rules with a port each, the last one with an address: 10,000 in chain forward. */
	append(text, cap, &n, "%s%s", ZONES, DEFAULTS);
	for (int i = 0; i < NRULES - 1; i++)
		append(text, cap, &n, "forward drop proto tcp dport %d\n", 10000 + i);
	append(text, cap, &n, "forward accept proto tcp from 192.0.2.0/24\n");
	gateway_addresses(t);
	if (n >= cap)
		dp_fail(t, "setup", "10,000 rules do not fit in %zu bytes", cap);
	if (n >= cap || !dp_policy_load(t, "load 10,000 rules", text, 0, true)) {
		free(text);
		return;
	}
	free(text);

	expect_opens(t, "port 443: the last rule", DP_INGRESS_LAN,
	             &(struct flow){4, IPPROTO_TCP, "192.0.2.10", "198.51.100.20", 40000, 443},
	             ACCEPTED_BY(NRULES));
	expect_opens(t, "port 15000: rule 5001", DP_INGRESS_LAN,
	             &(struct flow){4, IPPROTO_TCP, "192.0.2.10", "198.51.100.20", 40001, 15000},
	             DROPPED);
	dp_expect_hits(t, "port 15000", TCFW_CHAIN_FORWARD, 5000, 1);
	expect_opens(t, "port 19998: rule 9999", DP_INGRESS_LAN,
	             &(struct flow){4, IPPROTO_TCP, "192.0.2.10", "198.51.100.20", 40002, 19998},
	             DROPPED);
	dp_expect_hits(t, "port 19998", TCFW_CHAIN_FORWARD, NRULES - 2, 1);
	expect_opens(t, "port 19999 from the WAN: no rule", DP_INGRESS_WAN,
	             &(struct flow){4, IPPROTO_TCP, "198.51.100.20", "192.0.2.10", 40003, 19999},
	             DROPPED);
	dp_expect_hits(t, "end", TCFW_CHAIN_FORWARD, NRULES - 1, 1);
}
