/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * pkt.h - packets built byte by byte for the datapath tests and the bench (the test kit's
 * packet builder, tests/lib/pkt.c): Ethernet, 802.1Q, IPv4 with options, IPv6 with extension
 * headers, TCP, UDP, ICMP, ICMPv6, with lengths and checksums computed here, not by the code
 * under test. Every Ethernet header goes to the MAC PKT_GW_MAC (the gateway's interfaces in
 * dp_test carry it: packets arrive as PACKET_HOST).
 */
#ifndef TCFW_TESTS_PKT_H
#define TCFW_TESTS_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The destination MAC of every packet (unicast: a multicast one would make the datapath treat
 * the packet as input). */
#define PKT_GW_MAC                                                                                 \
	{                                                                                          \
		0x02, 0, 0, 0, 0, 0x01                                                             \
	}

/* A connection as a test sees it: its first packet's addresses and ports (host order). For
 * ICMP echo, sport is the id and dport is unused. */
struct flow {
	int family; /* 4 or 6 */
	uint8_t proto;
	const char *src, *dst;
	uint16_t sport, dport;
};

#define PKT_MAX 2048

/* A packet being built. Layers are appended in order; pkt_finish() fills in lengths and
 * checksums (IPv4 header, TCP/UDP/ICMP/ICMPv6 with pseudo-header). */
struct pkt {
	uint8_t b[PKT_MAX];
	size_t len;
	int family;      /* of the IP header added last */
	size_t l3, l4;   /* offsets of the IP and transport headers; l4 = 0: none yet */
	size_t ext_next; /* IPv6: offset of the last "next header" byte, for chaining */
	uint8_t l4_proto;
	bool no_csum; /* leave the transport checksum alone (fragments, broken packets) */
};

void pkt_init(struct pkt *p);
void pkt_eth(struct pkt *p, uint16_t ethertype, bool broadcast);
void pkt_vlan(struct pkt *p, uint16_t vid, uint16_t ethertype);
/* IPv4 header with optlen bytes of options (NOPs + EOL), id and frag_off (host order:
 * flags and offset as on the wire, e.g. 0x2000 = more fragments). */
void pkt_ipv4(struct pkt *p, const char *src, const char *dst, uint8_t proto, size_t optlen,
              uint16_t id, uint16_t frag_off);
void pkt_ipv6(struct pkt *p, const char *src, const char *dst, uint8_t nexthdr);
/* IPv6 extension header of type (hop-by-hop, routing, destination options, AH: len bytes, a
 * multiple of 8 (AH: of 4); fragment: 8 bytes with frag_off / id), followed by nexthdr. */
void pkt_ipv6_ext(struct pkt *p, uint8_t type, size_t len, uint8_t nexthdr);
void pkt_ipv6_frag(struct pkt *p, uint8_t nexthdr, uint16_t offset_bytes, bool more, uint32_t id);
void pkt_tcp(struct pkt *p, uint16_t sport, uint16_t dport, uint8_t flags);
/* A TCP header with the given numbers (host order); wscale >= 0 adds a NOP and the window
 * scale option with that shift. */
void pkt_tcp_seq(struct pkt *p, uint16_t sport, uint16_t dport, uint8_t flags, uint32_t seq,
                 uint32_t ack, uint16_t win, int wscale);
void pkt_udp(struct pkt *p, uint16_t sport, uint16_t dport);
void pkt_icmp(struct pkt *p, uint8_t type, uint8_t code, uint16_t id, uint16_t seq);
void pkt_data(struct pkt *p, const void *data, size_t len);
void pkt_finish(struct pkt *p);

/* Internet checksum (RFC 1071) in host order: add bytes to a running sum, then fold and invert
 * into the value a checksum field carries (0 when bytes that include their checksum verify). */
uint32_t pkt_csum_add(uint32_t sum, const uint8_t *d, size_t len);
uint16_t pkt_csum_fold(uint32_t sum);

/* One whole packet of flow f in direction dir (TCFW_DIR_*): Ethernet + IP + transport,
 * finished. TCP: flags; UDP: payload bytes; ICMP: an echo request (orig) or reply (reply). */
void pkt_flow(struct pkt *p, const struct flow *f, int dir, uint8_t tcp_flags);
/* The IP packet of pkt_flow() without its Ethernet header (what an ICMP error quotes). */
void pkt_flow_ip(struct pkt *p, const struct flow *f, int dir, uint8_t tcp_flags);
/* An ICMP/ICMPv6 error from `from` to `to` quoting q's IP packet (first `quote` bytes). */
void pkt_icmp_error(struct pkt *p, int family, const char *from, const char *to, uint8_t type,
                    uint8_t code, const struct pkt *q, size_t quote);

/* TCP flag bytes */
#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10

#endif /* TCFW_TESTS_PKT_H */
