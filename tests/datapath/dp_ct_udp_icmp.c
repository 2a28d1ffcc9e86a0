// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * dp_ct_udp_icmp.c - UDP, ICMP and ICMPv6 echo, other protocols, ICMP errors (related or
 * invalid), IPv6 neighbour discovery, and the per-connection counters.
 */
#include <netinet/in.h>
#include <string.h>

#include "dp.h"

#define ORIG  TCFW_DIR_ORIG
#define REPLY TCFW_DIR_REPLY

static const struct flow dns = {4, IPPROTO_UDP, "192.0.2.10", "198.51.100.20", 5353, 53};
static const struct flow ping = {4, IPPROTO_ICMP, "192.0.2.10", "198.51.100.20", 777, 0};
static const struct flow web = {4, IPPROTO_TCP, "192.0.2.10", "198.51.100.20", 40000, 80};

/* IPv4 + UDP header + 16 bytes of payload (pkt_flow). */
#define UDP4_L3_LEN (20 + 8 + 16)

static void invalid_drops(struct dp *t)
{
	dp_set_policy(t, 0, TCFW_VERDICT_ACCEPT, TCFW_VERDICT_ACCEPT, TCFW_VERDICT_ACCEPT,
	              TCFW_VERDICT_DROP);
}

DP_CASE(udp_unreplied_replied_assured)
{
	struct flow other = dns;

	dp_flow(t, "query", DP_INGRESS_LAN, &dns, ORIG, 0, TC_OK);
	dp_expect_conn(t, "query", &dns, TCFW_CT_UDP_UNREPLIED, 0, NULL);
	dp_flow(t, "second query", DP_INGRESS_LAN, &dns, ORIG, 0, TC_OK);
	dp_expect_conn(t, "second query", &dns, TCFW_CT_UDP_UNREPLIED, 0, NULL);
	dp_flow(t, "answer", DP_INGRESS_WAN, &dns, REPLY, 0, TC_OK);
	dp_expect_conn(t, "answer", &dns, TCFW_CT_UDP_REPLIED, TCFW_CTF_SEEN_REPLY, NULL);
	dp_flow(t, "second answer", DP_INGRESS_WAN, &dns, REPLY, 0, TC_OK);
	dp_expect_conn(t, "second answer", &dns, TCFW_CT_UDP_ASSURED,
	               TCFW_CTF_SEEN_REPLY | TCFW_CTF_ASSURED, NULL);

	/* The packet after the first reply may come from either side. */
	other.sport = 5354;
	dp_flow(t, "query 2", DP_INGRESS_LAN, &other, ORIG, 0, TC_OK);
	dp_flow(t, "answer 2", DP_INGRESS_WAN, &other, REPLY, 0, TC_OK);
	dp_expect_conn(t, "answer 2", &other, TCFW_CT_UDP_REPLIED, TCFW_CTF_SEEN_REPLY, NULL);
	dp_flow(t, "query 2 again", DP_INGRESS_LAN, &other, ORIG, 0, TC_OK);
	dp_expect_conn(t, "query 2 again", &other, TCFW_CT_UDP_ASSURED, TCFW_CTF_ASSURED, NULL);
	dp_expect_stat(t, "end", TCFW_STAT_CT_NEW, 2);
	dp_expect_stat(t, "end", TCFW_STAT_CT_ESTABLISHED, 5);
}

DP_CASE(icmp_echo)
{
	struct tcfw_ct_entry e;

	dp_flow(t, "echo request", DP_INGRESS_LAN, &ping, ORIG, 0, TC_OK);
	dp_expect_conn(t, "echo request", &ping, TCFW_CT_ICMP_UNREPLIED, 0, NULL);
	dp_flow(t, "echo reply", DP_INGRESS_WAN, &ping, REPLY, 0, TC_OK);
	dp_expect_conn(t, "echo reply", &ping, TCFW_CT_ICMP_REPLIED, TCFW_CTF_SEEN_REPLY, NULL);
	dp_flow(t, "next echo request, same id", DP_INGRESS_LAN, &ping, ORIG, 0, TC_OK);
	dp_expect_conn(t, "next echo request", &ping, TCFW_CT_ICMP_REPLIED, 0, &e);
	DP_EXPECT_EQ(t, "end", "orig packets", e.ctr[ORIG].packets, 2);
	DP_EXPECT_EQ(t, "end", "reply packets", e.ctr[REPLY].packets, 1);
	DP_EXPECT_EQ(t, "end", "entries in ct", dp_count_ct(t), 1);
}

DP_CASE(icmp_reply_without_request_invalid)
{
	struct flow other = ping;

	invalid_drops(t);
	dp_flow(t, "echo reply, no request", DP_INGRESS_WAN, &ping, REPLY, 0, TC_SHOT);
	dp_expect_no_conn(t, "echo reply, no request", &ping);
	dp_flow(t, "echo request", DP_INGRESS_LAN, &ping, ORIG, 0, TC_OK);
	other.sport = 778;
	dp_flow(t, "echo reply with another id", DP_INGRESS_WAN, &other, REPLY, 0, TC_SHOT);
	dp_expect_stat(t, "end", TCFW_STAT_CT_INVALID, 2);
	DP_EXPECT_EQ(t, "end", "entries in ct", dp_count_ct(t), 1);
}

DP_CASE(icmp_error_related)
{
	struct tcfw_ct_entry before, after;
	struct pkt q, err;

	invalid_drops(t);
	dp_flow(t, "DNS query", DP_INGRESS_LAN, &dns, ORIG, 0, TC_OK);
	dp_conn(t, &dns, &before);

	/* The server says "port unreachable", quoting the query. */
	pkt_flow_ip(&q, &dns, ORIG, 0);
	pkt_icmp_error(&err, 4, dns.dst, dns.src, 3, 3, &q, q.len);
	dp_send(t, "port unreachable for the query", DP_INGRESS_WAN, &err, TC_OK);
	/* A router on the way says "time exceeded", quoting only 8 bytes after the header. */
	pkt_icmp_error(&err, 4, "203.0.113.1", dns.src, 11, 0, &q, 20 + 8);
	dp_send(t, "time exceeded from a router", DP_INGRESS_WAN, &err, TC_OK);

	/* An error about a reply-direction packet, from the client side. */
	dp_flow(t, "SYN", DP_INGRESS_LAN, &web, ORIG, F_SYN, TC_OK);
	pkt_flow_ip(&q, &web, REPLY, F_SYN | F_ACK);
	pkt_icmp_error(&err, 4, web.src, web.dst, 3, 4 /* fragmentation needed */, &q, q.len);
	dp_send(t, "frag needed quoting a reply packet", DP_INGRESS_LAN, &err, TC_OK);

	/* An error about an echo request. */
	dp_flow(t, "echo request", DP_INGRESS_LAN, &ping, ORIG, 0, TC_OK);
	pkt_flow_ip(&q, &ping, ORIG, 0);
	pkt_icmp_error(&err, 4, "203.0.113.1", ping.src, 3, 1, &q, q.len);
	dp_send(t, "host unreachable for a ping", DP_INGRESS_WAN, &err, TC_OK);

	dp_expect_stat(t, "end", TCFW_STAT_CT_RELATED, 4);
	dp_expect_stat(t, "end", TCFW_STAT_CT_INVALID, 0);
	dp_conn(t, &dns, &after);
	DP_EXPECT_EQ(t, "end", "query's connection: orig packets (errors not counted on it)",
	             after.ctr[ORIG].packets, before.ctr[ORIG].packets);
	DP_EXPECT_EQ(t, "end", "query's connection: reply packets", after.ctr[REPLY].packets, 0);
	DP_EXPECT_EQ(t, "end", "entries in ct (errors open nothing)", dp_count_ct(t), 3);
}

DP_CASE(icmp_error_unknown_invalid)
{
	struct pkt q, err;

	invalid_drops(t);
	pkt_flow_ip(&q, &dns, ORIG, 0);
	pkt_icmp_error(&err, 4, dns.dst, dns.src, 3, 3, &q, q.len);
	dp_send(t, "port unreachable for an unknown flow", DP_INGRESS_WAN, &err, TC_SHOT);
	pkt_flow_ip(&q, &ping, REPLY, 0);
	pkt_icmp_error(&err, 4, "203.0.113.1", ping.dst, 11, 0, &q, q.len);
	dp_send(t, "time exceeded for an unknown echo reply", DP_INGRESS_WAN, &err, TC_SHOT);
	dp_expect_stat(t, "end", TCFW_STAT_CT_INVALID, 2);
	dp_expect_stat(t, "end", TCFW_STAT_CT_RELATED, 0);
	DP_EXPECT_EQ(t, "end", "entries in ct", dp_count_ct(t), 0);
}

DP_CASE(icmp_error_truncated_quote_invalid)
{
	struct pkt q, inner_err, err;

	invalid_drops(t);
	dp_flow(t, "DNS query", DP_INGRESS_LAN, &dns, ORIG, 0, TC_OK);
	pkt_flow_ip(&q, &dns, ORIG, 0);

	pkt_icmp_error(&err, 4, dns.dst, dns.src, 3, 3, &q, 12);
	dp_send(t, "quote cut inside the IP header", DP_INGRESS_WAN, &err, TC_SHOT);
	pkt_icmp_error(&err, 4, dns.dst, dns.src, 3, 3, &q, 20 + 2);
	dp_send(t, "quote cut inside the ports", DP_INGRESS_WAN, &err, TC_SHOT);
	pkt_icmp_error(&err, 4, dns.dst, dns.src, 3, 3, &q, 0);
	dp_send(t, "nothing quoted", DP_INGRESS_WAN, &err, TC_SHOT);

	/* An error quoting an error is never related (netfilter neither). */
	pkt_icmp_error(&inner_err, 4, dns.src, dns.dst, 3, 3, &q, q.len);
	memmove(inner_err.b, inner_err.b + 14, inner_err.len - 14); /* drop Ethernet */
	inner_err.len -= 14;
	pkt_icmp_error(&err, 4, dns.dst, dns.src, 3, 3, &inner_err, inner_err.len);
	dp_send(t, "error quoting an error", DP_INGRESS_WAN, &err, TC_SHOT);

	dp_expect_stat(t, "end", TCFW_STAT_CT_INVALID, 4);
	dp_expect_stat(t, "end", TCFW_STAT_MALFORMED, 0);
}

DP_CASE(icmpv6_echo_and_error)
{
	static const struct flow ping6 = {
	    6, IPPROTO_ICMPV6, "2001:db8:1::10", "2001:db8:2::20", 4242, 0};
	static const struct flow udp6 = {6,    IPPROTO_UDP, "2001:db8:1::10", "2001:db8:2::20",
	                                 6000, 443};
	struct pkt q, err;

	invalid_drops(t);
	dp_flow(t, "echo request", DP_INGRESS_LAN, &ping6, ORIG, 0, TC_OK);
	dp_expect_conn(t, "echo request", &ping6, TCFW_CT_ICMP_UNREPLIED, 0, NULL);
	dp_flow(t, "echo reply", DP_INGRESS_WAN, &ping6, REPLY, 0, TC_OK);
	dp_expect_conn(t, "echo reply", &ping6, TCFW_CT_ICMP_REPLIED, TCFW_CTF_SEEN_REPLY, NULL);
	dp_flow(t, "echo reply, unknown id", DP_INGRESS_WAN,
	        &(struct flow){6, IPPROTO_ICMPV6, "2001:db8:1::10", "2001:db8:2::20", 4243, 0},
	        REPLY, 0, TC_SHOT);

	dp_flow(t, "UDP", DP_INGRESS_LAN, &udp6, ORIG, 0, TC_OK);
	pkt_flow_ip(&q, &udp6, ORIG, 0);
	pkt_icmp_error(&err, 6, "2001:db8:3::1", udp6.src, 2 /* packet too big */, 0, &q, q.len);
	dp_send(t, "packet too big for the UDP flow", DP_INGRESS_WAN, &err, TC_OK);
	pkt_icmp_error(&err, 6, udp6.dst, udp6.src, 1 /* unreachable */, 4, &q, q.len);
	dp_send(t, "port unreachable for the UDP flow", DP_INGRESS_WAN, &err, TC_OK);
	pkt_flow_ip(&q,
	            &(struct flow){6, IPPROTO_UDP, "2001:db8:1::10", "2001:db8:2::20", 6001, 443},
	            ORIG, 0);
	pkt_icmp_error(&err, 6, udp6.dst, udp6.src, 1, 4, &q, q.len);
	dp_send(t, "port unreachable for an unknown flow", DP_INGRESS_WAN, &err, TC_SHOT);

	dp_expect_stat(t, "end", TCFW_STAT_CT_RELATED, 2);
	dp_expect_stat(t, "end", TCFW_STAT_CT_INVALID, 2);
}

DP_CASE(icmpv6_neighbour_discovery_untracked)
{
	static const struct {
		const char *step;
		const char *src, *dst;
		uint8_t type;
	} nd[] = {
	    {"neighbour solicitation", "fe80::2", "ff02::1:ff00:1", 135},
	    {"neighbour advertisement", "fe80::2", "fe80::1", 136},
	    {"router solicitation", "fe80::2", "ff02::2", 133},
	    {"router advertisement", "fe80::2", "ff02::1", 134},
	    {"MLDv2 report", "fe80::2", "ff02::16", 143},
	};
	size_t n = sizeof(nd) / sizeof(nd[0]);

	/* Even with every default at drop, IPv6's ARP must get through. */
	dp_set_policy(t, 0, TCFW_VERDICT_DROP, TCFW_VERDICT_DROP, TCFW_VERDICT_DROP,
	              TCFW_VERDICT_DROP);
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
	dp_expect_stat(t, "end", TCFW_STAT_NON_IP, n);
	dp_expect_stat(t, "end", TCFW_STAT_CT_NEW, 0);
	dp_expect_stat(t, "end", TCFW_STAT_CT_INVALID, 0);
	DP_EXPECT_EQ(t, "end", "entries in ct", dp_count_ct(t), 0);
}

DP_CASE(other_protocol)
{
	static const struct flow gre = {4, 47 /* GRE */, "192.0.2.10", "198.51.100.20", 0, 0};
	static const struct flow sctp6 = {6, 132 /* SCTP */, "2001:db8:1::10", "2001:db8:2::20", 0,
	                                  0};

	dp_flow(t, "GRE out", DP_INGRESS_LAN, &gre, ORIG, 0, TC_OK);
	dp_expect_conn(t, "GRE out", &gre, TCFW_CT_OTHER_UNREPLIED, 0, NULL);
	dp_flow(t, "GRE back", DP_INGRESS_WAN, &gre, REPLY, 0, TC_OK);
	dp_expect_conn(t, "GRE back", &gre, TCFW_CT_OTHER_REPLIED, TCFW_CTF_SEEN_REPLY, NULL);
	dp_flow(t, "SCTP over IPv6 out", DP_INGRESS_LAN, &sctp6, ORIG, 0, TC_OK);
	dp_flow(t, "SCTP over IPv6 back", DP_INGRESS_WAN, &sctp6, REPLY, 0, TC_OK);
	dp_expect_conn(t, "SCTP back", &sctp6, TCFW_CT_OTHER_REPLIED, 0, NULL);
}

DP_CASE(counters)
{
	struct tcfw_ct_entry e;
	__u32 old, before, after;

	for (int i = 0; i < 3; i++)
		dp_flow(t, "query", DP_INGRESS_LAN, &dns, ORIG, 0, TC_OK);
	for (int i = 0; i < 2; i++)
		dp_flow(t, "answer", DP_INGRESS_WAN, &dns, REPLY, 0, TC_OK);
	dp_expect_conn(t, "after 5 packets", &dns, TCFW_CT_UDP_ASSURED, 0, &e);
	DP_EXPECT_EQ(t, "after 5 packets", "orig packets", e.ctr[ORIG].packets, 3);
	DP_EXPECT_EQ(t, "after 5 packets", "orig bytes", e.ctr[ORIG].bytes, 3 * UDP4_L3_LEN);
	DP_EXPECT_EQ(t, "after 5 packets", "reply packets", e.ctr[REPLY].packets, 2);
	DP_EXPECT_EQ(t, "after 5 packets", "reply bytes", e.ctr[REPLY].bytes, 2 * UDP4_L3_LEN);
	dp_expect_stat(t, "after 5 packets", TCFW_STAT_PACKETS, 5);
	dp_expect_stat(t, "after 5 packets", TCFW_STAT_BYTES, 5 * (14 + UDP4_L3_LEN));
	dp_expect_stat(t, "after 5 packets", TCFW_STAT_CT_NEW, 1);
	dp_expect_stat(t, "after 5 packets", TCFW_STAT_CT_ESTABLISHED, 4);
	dp_expect_stat(t, "after 5 packets", TCFW_STAT_VERDICT_ACCEPT, 1);

	/* A packet moves last_seen_tick to the tick it came in (a store only when that differs:
	 * not observable here, and not a behaviour). */
	dp_flow(t, "one more query", DP_INGRESS_LAN, &dns, ORIG, 0, TC_OK);
	old = e.created_tick - 2;
	dp_set_last_seen(t, &dns, old);
	before = dp_now_tick();
	dp_flow(t, "packet after two ticks", DP_INGRESS_WAN, &dns, REPLY, 0, TC_OK);
	after = dp_now_tick();
	dp_conn(t, &dns, &e);
	DP_EXPECT_TRUE(t, "packet after two ticks", "last_seen_tick is now's",
	               e.last_seen_tick >= before && e.last_seen_tick <= after);
	DP_EXPECT_EQ(t, "end", "orig packets", e.ctr[ORIG].packets, 4);
	DP_EXPECT_EQ(t, "end", "reply packets", e.ctr[REPLY].packets, 3);
}
