// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * dp_parse.c - parsing: IPv6 and its extension headers, 802.1Q, IPv4 options, non-IP frames,
 * malformed headers at every layer (counted, dropped, nothing created), fragments.
 */
#include <netinet/in.h>
#include <string.h>

#include "dp.h"

#define ORIG  TCFW_DIR_ORIG
#define REPLY TCFW_DIR_REPLY

static const struct flow web = {4, IPPROTO_TCP, "192.0.2.10", "198.51.100.20", 40000, 80};
static const struct flow web6 = {6, IPPROTO_TCP, "2001:db8:1::10", "2001:db8:2::20", 40000, 443};
static const struct flow dns = {4, IPPROTO_UDP, "192.0.2.10", "198.51.100.20", 5353, 53};
static const struct flow dns6 = {6, IPPROTO_UDP, "2001:db8:1::10", "2001:db8:2::20", 5353, 53};

static const uint8_t bytes24[24] = "twenty-four bytes here!";

/* Cut p to len bytes and make the IP header agree (the transport header is left as cut). */
static void cut(struct pkt *p, size_t len)
{
	p->len = len;
	p->no_csum = true;
	p->l4 = 0;
	pkt_finish(p);
}

static void set16(struct pkt *p, size_t off, uint16_t v)
{
	p->b[off] = v >> 8;
	p->b[off + 1] = v & 0xff;
}

DP_CASE(ipv6_tcp_udp)
{
	struct tcfw_ct_entry e;

	dp_flow(t, "SYN", DP_INGRESS_LAN, &web6, ORIG, F_SYN, TC_OK);
	dp_flow(t, "SYN-ACK", DP_INGRESS_WAN, &web6, REPLY, F_SYN | F_ACK, TC_OK);
	dp_flow(t, "ACK", DP_INGRESS_LAN, &web6, ORIG, F_ACK, TC_OK);
	dp_expect_conn(t, "handshake", &web6, TCFW_CT_TCP_ESTABLISHED, TCFW_CTF_ASSURED, &e);
	DP_EXPECT_EQ(t, "handshake", "orig bytes (IPv6 40 + TCP 20, twice)", e.ctr[ORIG].bytes,
	             2 * 60);
	DP_EXPECT_EQ(t, "handshake", "ifindex_out", e.ifindex_out, t->ifindex_wan);

	dp_flow(t, "UDP query", DP_INGRESS_LAN, &dns6, ORIG, 0, TC_OK);
	dp_flow(t, "UDP answer", DP_INGRESS_WAN, &dns6, REPLY, 0, TC_OK);
	dp_expect_conn(t, "UDP answer", &dns6, TCFW_CT_UDP_REPLIED, TCFW_CTF_SEEN_REPLY, NULL);
}

DP_CASE(ipv6_extension_headers)
{
	struct pkt p;

	/* Every kind the parser skips, in one chain, before the TCP header. */
	pkt_init(&p);
	pkt_eth(&p, 0x86dd, false);
	pkt_ipv6(&p, web6.src, web6.dst, 0 /* hop-by-hop */);
	pkt_ipv6_ext(&p, 0, 8, 60);
	pkt_ipv6_ext(&p, 60 /* destination options */, 16, 43);
	pkt_ipv6_ext(&p, 43 /* routing */, 24, 51);
	pkt_ipv6_ext(&p, 51 /* AH */, 16, IPPROTO_TCP);
	pkt_tcp(&p, web6.sport, web6.dport, F_SYN);
	pkt_finish(&p);
	dp_send(t, "SYN behind HBH, DSTOPTS, ROUTING, AH", DP_INGRESS_LAN, &p, TC_OK);
	dp_expect_conn(t, "SYN behind 4 extension headers", &web6, TCFW_CT_TCP_SYN_SENT, 0, NULL);

	pkt_init(&p);
	pkt_eth(&p, 0x86dd, false);
	pkt_ipv6(&p, web6.dst, web6.src, 60);
	pkt_ipv6_ext(&p, 60, 8, IPPROTO_TCP);
	pkt_tcp(&p, web6.dport, web6.sport, F_SYN | F_ACK);
	pkt_finish(&p);
	dp_send(t, "SYN-ACK behind DSTOPTS", DP_INGRESS_WAN, &p, TC_OK);
	dp_expect_conn(t, "SYN-ACK behind DSTOPTS", &web6, TCFW_CT_TCP_SYN_RECV, 0, NULL);

	/* An atomic fragment (offset 0, no more fragments) is a whole packet (RFC 6946). */
	pkt_init(&p);
	pkt_eth(&p, 0x86dd, false);
	pkt_ipv6(&p, dns6.src, dns6.dst, 44);
	pkt_ipv6_frag(&p, IPPROTO_UDP, 0, false, 99);
	pkt_udp(&p, dns6.sport, dns6.dport);
	pkt_data(&p, bytes24, 16);
	pkt_finish(&p);
	dp_send(t, "UDP in an atomic fragment", DP_INGRESS_LAN, &p, TC_OK);
	dp_expect_conn(t, "UDP in an atomic fragment", &dns6, TCFW_CT_UDP_UNREPLIED, 0, NULL);

	/* ICMPv6 echo behind a hop-by-hop header, and an error whose quote has a fragment
	 * header (the first fragment of a UDP datagram of the tracked flow). */
	pkt_init(&p);
	pkt_eth(&p, 0x86dd, false);
	pkt_ipv6(&p, dns6.src, dns6.dst, 0);
	pkt_ipv6_ext(&p, 0, 8, IPPROTO_ICMPV6);
	pkt_icmp(&p, 128, 0, 321, 1);
	pkt_finish(&p);
	dp_send(t, "echo request behind HBH", DP_INGRESS_LAN, &p, TC_OK);
	dp_expect_conn(t, "echo request behind HBH",
	               &(struct flow){6, IPPROTO_ICMPV6, dns6.src, dns6.dst, 321, 0},
	               TCFW_CT_ICMP_UNREPLIED, 0, NULL);
	{
		struct pkt q, err;

		pkt_init(&q);
		pkt_ipv6(&q, dns6.src, dns6.dst, 44);
		pkt_ipv6_frag(&q, IPPROTO_UDP, 0, true, 7);
		pkt_udp(&q, dns6.sport, dns6.dport);
		pkt_data(&q, bytes24, 16);
		pkt_finish(&q);
		pkt_icmp_error(&err, 6, "2001:db8:3::1", dns6.src, 2 /* too big */, 0, &q, q.len);
		dp_send(t, "packet too big quoting a fragment", DP_INGRESS_WAN, &err, TC_OK);
		dp_expect_stat(t, "packet too big quoting a fragment", TCFW_STAT_CT_RELATED, 1);
	}
	dp_expect_stat(t, "end", TCFW_STAT_FRAGMENTS, 0);
	dp_expect_stat(t, "end", TCFW_STAT_MALFORMED, 0);
}

static void ext_chain(struct pkt *p, int n)
{
	pkt_init(p);
	pkt_eth(p, 0x86dd, false);
	pkt_ipv6(p, web6.src, web6.dst, 60);
	for (int i = 0; i < n; i++)
		pkt_ipv6_ext(p, 60, 8, i + 1 < n ? 60 : IPPROTO_TCP);
	pkt_tcp(p, web6.sport, web6.dport, F_SYN);
	pkt_finish(p);
}

DP_CASE(ipv6_too_many_extension_headers)
{
	struct pkt p;

	ext_chain(&p, 8);
	dp_send(t, "8 extension headers (the limit)", DP_INGRESS_LAN, &p, TC_OK);
	dp_expect_conn(t, "8 extension headers", &web6, TCFW_CT_TCP_SYN_SENT, 0, NULL);
	ext_chain(&p, 9);
	dp_send(t, "9 extension headers", DP_INGRESS_LAN, &p, TC_SHOT);
	dp_expect_stat(t, "end", TCFW_STAT_MALFORMED, 1);
}

static void vlan_pkt(struct pkt *p, uint16_t tpid, const struct flow *f, int dir, uint8_t flags)
{
	struct pkt ip;

	pkt_flow_ip(&ip, f, dir, flags);
	pkt_init(p);
	pkt_eth(p, tpid, false);
	pkt_vlan(p, 10, f->family == 4 ? 0x0800 : 0x86dd);
	pkt_data(p, ip.b, ip.len);
}

DP_CASE(vlan)
{
	struct tcfw_ct_entry e;
	struct pkt p;

	vlan_pkt(&p, 0x8100, &web, ORIG, F_SYN);
	dp_send(t, "SYN in 802.1Q", DP_INGRESS_LAN, &p, TC_OK);
	dp_expect_conn(t, "SYN in 802.1Q", &web, TCFW_CT_TCP_SYN_SENT, 0, &e);
	DP_EXPECT_EQ(t, "SYN in 802.1Q", "orig bytes (IP only)", e.ctr[ORIG].bytes, 40);
	vlan_pkt(&p, 0x88a8, &web, REPLY, F_SYN | F_ACK);
	dp_send(t, "SYN-ACK in 802.1ad", DP_INGRESS_WAN, &p, TC_OK);
	dp_expect_conn(t, "SYN-ACK in 802.1ad", &web, TCFW_CT_TCP_SYN_RECV, 0, NULL);

	pkt_init(&p);
	pkt_eth(&p, 0x8100, true);
	pkt_vlan(&p, 10, 0x0806);
	pkt_data(&p, bytes24, sizeof(bytes24));
	dp_send(t, "ARP in 802.1Q", DP_INGRESS_LAN, &p, TC_OK);
	dp_expect_stat(t, "end", TCFW_STAT_NON_IP, 1);
}

DP_CASE(ipv4_options)
{
	struct tcfw_ct_entry e;
	struct pkt p;

	pkt_init(&p);
	pkt_eth(&p, 0x0800, false);
	pkt_ipv4(&p, web.src, web.dst, IPPROTO_TCP, 40, 1, 0);
	pkt_tcp(&p, web.sport, web.dport, F_SYN);
	pkt_finish(&p);
	dp_send(t, "SYN with 40 bytes of IP options", DP_INGRESS_LAN, &p, TC_OK);
	dp_expect_conn(t, "SYN with options", &web, TCFW_CT_TCP_SYN_SENT, 0, &e);
	DP_EXPECT_EQ(t, "SYN with options", "orig bytes", e.ctr[ORIG].bytes, 60 + 20);

	pkt_init(&p);
	pkt_eth(&p, 0x0800, false);
	pkt_ipv4(&p, web.dst, web.src, IPPROTO_TCP, 4, 2, 0);
	pkt_tcp(&p, web.dport, web.sport, F_SYN | F_ACK);
	pkt_finish(&p);
	dp_send(t, "SYN-ACK with 4 bytes of options", DP_INGRESS_WAN, &p, TC_OK);
	dp_expect_conn(t, "SYN-ACK with options", &web, TCFW_CT_TCP_SYN_RECV, 0, NULL);

	/* Ethernet padding after the IP packet is not part of it. */
	pkt_flow(&p, &dns, ORIG, 0);
	pkt_data(&p, bytes24, sizeof(bytes24));
	dp_send(t, "UDP with Ethernet padding", DP_INGRESS_LAN, &p, TC_OK);
	dp_expect_conn(t, "UDP with padding", &dns, TCFW_CT_UDP_UNREPLIED, 0, &e);
	DP_EXPECT_EQ(t, "UDP with padding", "orig bytes (the IP packet, not the padding)",
	             e.ctr[ORIG].bytes, 20 + 8 + 16);
	dp_expect_stat(t, "end", TCFW_STAT_MALFORMED, 0);
}

DP_CASE(non_ip)
{
	struct pkt p;

	pkt_init(&p);
	pkt_eth(&p, 0x0806, true);
	pkt_data(&p, bytes24, sizeof(bytes24));
	dp_send(t, "ARP", DP_INGRESS_LAN, &p, TC_OK);
	pkt_init(&p);
	pkt_eth(&p, 0x88cc, false);
	pkt_data(&p, bytes24, sizeof(bytes24));
	dp_send(t, "LLDP", DP_INGRESS_WAN, &p, TC_OK);
	pkt_init(&p);
	pkt_eth(&p, 0x0806, true);
	dp_send(t, "ARP with no body", DP_INGRESS_LAN, &p, TC_OK);
	dp_expect_stat(t, "end", TCFW_STAT_NON_IP, 3);
	dp_expect_stat(t, "end", TCFW_STAT_PACKETS, 3);
	dp_expect_stat(t, "end", TCFW_STAT_MALFORMED, 0);
	DP_EXPECT_EQ(t, "end", "entries in ct", dp_count_ct(t), 0);
}

/* Run each packet, expect it dropped, and count: MALFORMED n, no connection, no ct class. */
static void expect_all_malformed(struct dp *t, const char **steps, struct pkt *pkts, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dp_send(t, steps[i], DP_INGRESS_LAN, &pkts[i], TC_SHOT);
	dp_expect_stat(t, "end", TCFW_STAT_MALFORMED, n);
	dp_expect_stat(t, "end", TCFW_STAT_PACKETS, n);
	dp_expect_stat(t, "end", TCFW_STAT_CT_NEW, 0);
	dp_expect_stat(t, "end", TCFW_STAT_CT_INVALID, 0);
	DP_EXPECT_EQ(t, "end", "entries in ct", dp_count_ct(t), 0);
}

DP_CASE(malformed_ethernet_vlan)
{
	const char *steps[3] = {"802.1Q tag cut short", "IPv4 header cut at 10 bytes",
	                        "IPv6 header cut at 30 bytes"};
	struct pkt p[3];

	pkt_init(&p[0]);
	pkt_eth(&p[0], 0x8100, false);
	pkt_data(&p[0], bytes24, 2);
	/* Behind a VLAN tag: bpf_prog_test_run refuses an untagged IP frame shorter than its
	 * IP header (EINVAL) before the program sees it. */
	vlan_pkt(&p[1], 0x8100, &web, ORIG, F_SYN);
	p[1].len = 18 + 10;
	vlan_pkt(&p[2], 0x8100, &web6, ORIG, F_SYN);
	p[2].len = 18 + 30;
	expect_all_malformed(t, steps, p, 3);
}

DP_CASE(malformed_ipv4)
{
	const char *steps[] = {
	    "version 5 behind EtherType IPv4",      "ihl 4 (header shorter than 20 bytes)",
	    "ihl 15 but total length 40",           "total length beyond the packet",
	    "total length shorter than the header", "options cut off by the end of the packet",
	};
	enum { N = sizeof(steps) / sizeof(steps[0]) };
	struct pkt p[N];

	for (int i = 0; i < N; i++)
		pkt_flow(&p[i], &web, ORIG, F_SYN);
	p[0].b[14] = 0x55;
	p[1].b[14] = 0x44;
	p[2].b[14] = 0x4f;
	set16(&p[3], 14 + 2, 1000);
	set16(&p[4], 14 + 2, 16);
	/* ihl 15 with only 30 bytes of IP in the packet */
	p[5].b[14] = 0x4f;
	p[5].len = 14 + 30;
	set16(&p[5], 14 + 2, 30);
	expect_all_malformed(t, steps, p, N);
}

DP_CASE(malformed_ipv6)
{
	const char *steps[] = {
	    "version 4 behind EtherType IPv6",
	    "payload length beyond the packet",
	    "hop-by-hop header longer than the packet",
	    "extension header cut off (payload length 0)",
	};
	enum { N = sizeof(steps) / sizeof(steps[0]) };
	struct pkt p[N];

	pkt_flow(&p[0], &web6, ORIG, F_SYN);
	p[0].b[14] = 0x45;
	pkt_flow(&p[1], &web6, ORIG, F_SYN);
	set16(&p[1], 14 + 4, 200);

	pkt_init(&p[2]);
	pkt_eth(&p[2], 0x86dd, false);
	pkt_ipv6(&p[2], web6.src, web6.dst, 0);
	pkt_ipv6_ext(&p[2], 0, 8, IPPROTO_TCP);
	pkt_tcp(&p[2], web6.sport, web6.dport, F_SYN);
	pkt_finish(&p[2]);
	p[2].b[14 + 40 + 1] = 7; /* hdrlen: (7 + 1) * 8 = 64 bytes */

	pkt_init(&p[3]);
	pkt_eth(&p[3], 0x86dd, false);
	pkt_ipv6(&p[3], web6.src, web6.dst, 0);
	pkt_finish(&p[3]);
	expect_all_malformed(t, steps, p, N);
}

DP_CASE(malformed_l4)
{
	const char *steps[] = {
	    "TCP data offset 4",
	    "TCP data offset 15, header of 20",
	    "TCP header cut at 10 bytes",
	    "UDP header cut at 4 bytes",
	    "UDP length 4",
	    "ICMP header cut at 4 bytes",
	    "ICMPv6 header cut at 4 bytes",
	    "TCP over IPv6 cut at 12 bytes",
	};
	static const struct flow ping6 = {6, IPPROTO_ICMPV6, "2001:db8:1::10", "2001:db8:2::20", 9,
	                                  0};
	static const struct flow ping = {4, IPPROTO_ICMP, "192.0.2.10", "198.51.100.20", 9, 0};
	enum { N = sizeof(steps) / sizeof(steps[0]) };
	struct pkt p[N];

	pkt_flow(&p[0], &web, ORIG, F_SYN);
	p[0].b[14 + 20 + 12] = 4 << 4;
	pkt_flow(&p[1], &web, ORIG, F_SYN);
	p[1].b[14 + 20 + 12] = 15 << 4;
	pkt_flow(&p[2], &web, ORIG, F_SYN);
	cut(&p[2], 14 + 20 + 10);
	pkt_flow(&p[3], &dns, ORIG, 0);
	cut(&p[3], 14 + 20 + 4);
	pkt_flow(&p[4], &dns, ORIG, 0);
	set16(&p[4], 14 + 20 + 4, 4);
	pkt_flow(&p[5], &ping, ORIG, 0);
	cut(&p[5], 14 + 20 + 4);
	pkt_flow(&p[6], &ping6, ORIG, 0);
	cut(&p[6], 14 + 40 + 4);
	pkt_flow(&p[7], &web6, ORIG, F_SYN);
	cut(&p[7], 14 + 40 + 12);
	expect_all_malformed(t, steps, p, N);
}

/* A UDP datagram of 8 + 16 + 24 bytes in two IPv4 fragments (flow f, orig direction). */
static void frag4_pair(struct pkt *first, struct pkt *later, const struct flow *f, uint16_t id)
{
	pkt_init(first);
	pkt_eth(first, 0x0800, false);
	pkt_ipv4(first, f->src, f->dst, IPPROTO_UDP, 0, id, 0x2000 /* more fragments */);
	pkt_udp(first, f->sport, f->dport);
	pkt_data(first, bytes24, 16);
	first->no_csum = true;
	pkt_finish(first);
	set16(first, 14 + 20 + 4, 8 + 16 + 24); /* UDP length: the whole datagram */

	pkt_init(later);
	pkt_eth(later, 0x0800, false);
	pkt_ipv4(later, f->src, f->dst, IPPROTO_UDP, 0, id, 24 / 8 /* offset */);
	pkt_data(later, bytes24, 24);
	pkt_finish(later);
}

static void frag6_pair(struct pkt *first, struct pkt *later, const struct flow *f, uint32_t id)
{
	pkt_init(first);
	pkt_eth(first, 0x86dd, false);
	pkt_ipv6(first, f->src, f->dst, 44);
	pkt_ipv6_frag(first, IPPROTO_UDP, 0, true, id);
	pkt_udp(first, f->sport, f->dport);
	pkt_data(first, bytes24, 16);
	first->no_csum = true;
	pkt_finish(first);
	set16(first, 14 + 40 + 8 + 4, 8 + 16 + 24);

	pkt_init(later);
	pkt_eth(later, 0x86dd, false);
	pkt_ipv6(later, f->src, f->dst, 44);
	pkt_ipv6_frag(later, IPPROTO_UDP, 24, false, id);
	pkt_data(later, bytes24, 24);
	pkt_finish(later);
}

static void fragments(struct dp *t, const struct flow *f,
                      void (*pair)(struct pkt *, struct pkt *, const struct flow *, uint16_t))
{
	struct flow dropped = *f;
	struct tcfw_ct_entry e;
	struct pkt first, later;

	pair(&first, &later, f, 0x77);
	dp_send(t, "first fragment", DP_INGRESS_LAN, &first, TC_OK);
	dp_expect_conn(t, "first fragment", f, TCFW_CT_UDP_UNREPLIED, 0, NULL);
	dp_send(t, "second fragment", DP_INGRESS_LAN, &later, TC_OK);
	dp_expect_conn(t, "second fragment", f, TCFW_CT_UDP_UNREPLIED, 0, &e);
	DP_EXPECT_EQ(t, "second fragment", "orig packets (both fragments)", e.ctr[ORIG].packets, 2);
	dp_flow(t, "whole answer", DP_INGRESS_WAN, f, REPLY, 0, TC_OK);
	dp_expect_conn(t, "whole answer", f, TCFW_CT_UDP_REPLIED, 0, NULL);
	dp_expect_stat(t, "after one datagram", TCFW_STAT_FRAGMENTS, 2);
	dp_expect_stat(t, "after one datagram", TCFW_STAT_CT_NEW, 1);
	dp_expect_stat(t, "after one datagram", TCFW_STAT_CT_ESTABLISHED, 2);

	/* The policy drops a new datagram: its first fragment is dropped and remembered
	 * nowhere, so its second one passes untracked (the receiver cannot reassemble it). */
	dp_set_policy(t, 0, TCFW_VERDICT_ACCEPT, TCFW_VERDICT_DROP, TCFW_VERDICT_ACCEPT,
	              TCFW_VERDICT_DROP);
	dropped.sport = 7000;
	pair(&first, &later, &dropped, 0x78);
	dp_send(t, "first fragment, forward drops", DP_INGRESS_LAN, &first, TC_SHOT);
	dp_send(t, "second fragment of a dropped datagram", DP_INGRESS_LAN, &later, TC_OK);
	dp_expect_no_conn(t, "dropped datagram", &dropped);
	dp_expect_stat(t, "end", TCFW_STAT_FRAGMENTS, 4);
	dp_expect_stat(t, "end", TCFW_STAT_CT_INVALID, 0);
}

static void frag6_pair16(struct pkt *a, struct pkt *b, const struct flow *f, uint16_t id)
{
	frag6_pair(a, b, f, 0x10000u + id);
}

DP_CASE(fragments_ipv4)
{
	fragments(t, &dns, frag4_pair);
}

DP_CASE(fragments_ipv6)
{
	fragments(t, &dns6, frag6_pair16);
}

DP_CASE(fragment_without_first)
{
	struct pkt first, later;

	dp_set_policy(t, 0, TCFW_VERDICT_DROP, TCFW_VERDICT_DROP, TCFW_VERDICT_DROP,
	              TCFW_VERDICT_DROP);
	frag4_pair(&first, &later, &dns, 0x99);
	dp_send(t, "IPv4 later fragment alone", DP_INGRESS_LAN, &later, TC_OK);
	frag6_pair(&first, &later, &dns6, 0x99);
	dp_send(t, "IPv6 later fragment alone", DP_INGRESS_LAN, &later, TC_OK);
	dp_expect_stat(t, "end", TCFW_STAT_FRAGMENTS, 2);
	dp_expect_stat(t, "end", TCFW_STAT_CT_INVALID, 0);
	dp_expect_stat(t, "end", TCFW_STAT_CT_NEW, 0);
	dp_expect_stat(t, "end", TCFW_STAT_VERDICT_DROP, 0);
	DP_EXPECT_EQ(t, "end", "entries in ct", dp_count_ct(t), 0);
}
