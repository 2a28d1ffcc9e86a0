// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * pkt.c - packets built byte by byte (pkt.h): the test kit's packet builder, for the
 * datapath tests and the bench.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcfw_abi.h"

#include "pkt.h"

static void put8(struct pkt *p, uint8_t v)
{
	assert(p->len + 1 <= PKT_MAX);
	p->b[p->len++] = v;
}

static void put16(struct pkt *p, uint16_t host)
{
	put8(p, host >> 8);
	put8(p, host & 0xff);
}

static void put32(struct pkt *p, uint32_t host)
{
	put16(p, host >> 16);
	put16(p, host & 0xffff);
}

static void set16(struct pkt *p, size_t off, uint16_t host)
{
	p->b[off] = host >> 8;
	p->b[off + 1] = host & 0xff;
}

static void put_addr(struct pkt *p, int family, const char *text)
{
	uint8_t a[16];

	if (inet_pton(family == 4 ? AF_INET : AF_INET6, text, a) != 1) {
		fprintf(stderr, "pkt: bad IPv%d address '%s' in a test\n", family, text);
		abort();
	}
	for (size_t i = 0; i < (family == 4 ? 4u : 16u); i++)
		put8(p, a[i]);
}

void pkt_init(struct pkt *p)
{
	memset(p, 0, sizeof(*p));
}

void pkt_eth(struct pkt *p, uint16_t ethertype, bool broadcast)
{
	static const uint8_t gw[6] = PKT_GW_MAC;
	static const uint8_t peer[6] = {0x02, 0, 0, 0, 0, 0x02};

	for (int i = 0; i < 6; i++)
		put8(p, broadcast ? 0xff : gw[i]);
	for (int i = 0; i < 6; i++)
		put8(p, peer[i]);
	put16(p, ethertype);
}

void pkt_vlan(struct pkt *p, uint16_t vid, uint16_t ethertype)
{
	put16(p, vid & 0x0fff);
	put16(p, ethertype);
}

void pkt_ipv4(struct pkt *p, const char *src, const char *dst, uint8_t proto, size_t optlen,
              uint16_t id, uint16_t frag_off)
{
	assert(optlen % 4 == 0 && optlen <= 40);
	p->l3 = p->len;
	p->family = 4;
	p->l4 = 0;
	p->l4_proto = proto;
	put8(p, 0x40 | (uint8_t)((20 + optlen) / 4));
	put8(p, 0);  /* tos */
	put16(p, 0); /* total length: pkt_finish */
	put16(p, id);
	put16(p, frag_off);
	put8(p, 64); /* ttl */
	put8(p, proto);
	put16(p, 0); /* checksum: pkt_finish */
	put_addr(p, 4, src);
	put_addr(p, 4, dst);
	for (size_t i = 0; i < optlen; i++)
		put8(p, i + 1 < optlen ? 1 /* NOP */ : 0 /* end of options */);
}

void pkt_ipv6(struct pkt *p, const char *src, const char *dst, uint8_t nexthdr)
{
	p->l3 = p->len;
	p->family = 6;
	p->l4 = 0;
	p->l4_proto = nexthdr;
	put32(p, 0x60000000);
	put16(p, 0); /* payload length: pkt_finish */
	put8(p, nexthdr);
	put8(p, 64); /* hop limit */
	put_addr(p, 6, src);
	put_addr(p, 6, dst);
}

void pkt_ipv6_ext(struct pkt *p, uint8_t type, size_t len, uint8_t nexthdr)
{
	size_t start = p->len;

	if (type == IPPROTO_AH) {
		assert(len >= 12 && len % 4 == 0);
		put8(p, nexthdr);
		put8(p, (uint8_t)(len / 4 - 2));
		put16(p, 0);
		put32(p, 0x1000); /* SPI */
	} else {
		assert(len >= 8 && len % 8 == 0);
		put8(p, nexthdr);
		put8(p, (uint8_t)(len / 8 - 1));
		if (type == IPPROTO_ROUTING) {
			put8(p, 0); /* routing type */
			put8(p, 0); /* segments left: nothing to process */
		} else {
			put8(p, 1); /* PadN option over the rest */
			put8(p, (uint8_t)(len - 4));
		}
	}
	while (p->len < start + len)
		put8(p, 0);
	p->l4_proto = nexthdr;
}

void pkt_ipv6_frag(struct pkt *p, uint8_t nexthdr, uint16_t offset_bytes, bool more, uint32_t id)
{
	assert(offset_bytes % 8 == 0);
	put8(p, nexthdr);
	put8(p, 0);
	put16(p, (uint16_t)(offset_bytes | (more ? 1 : 0)));
	put32(p, id);
	p->l4_proto = nexthdr;
}

void pkt_tcp(struct pkt *p, uint16_t sport, uint16_t dport, uint8_t flags)
{
	p->l4 = p->len;
	p->l4_proto = IPPROTO_TCP;
	put16(p, sport);
	put16(p, dport);
	/* Both ends use the same numbers: a SYN at 1000, everything after it at 1001, every ACK
	 * acknowledging 1001. So any sequence of these packets, in either direction, is in the
	 * window conntrack tracks (tcp_window.h); cases about windows set their own numbers. */
	put32(p, (flags & F_SYN) ? 1000 : 1001); /* seq */
	put32(p, (flags & F_ACK) ? 1001 : 0);    /* ack */
	put8(p, 5 << 4);                         /* data offset: 20 bytes */
	put8(p, flags);
	put16(p, 65535); /* window */
	put16(p, 0);     /* checksum: pkt_finish */
	put16(p, 0);     /* urgent pointer */
}

void pkt_tcp_seq(struct pkt *p, uint16_t sport, uint16_t dport, uint8_t flags, uint32_t seq,
                 uint32_t ack, uint16_t win, int wscale)
{
	p->l4 = p->len;
	p->l4_proto = IPPROTO_TCP;
	put16(p, sport);
	put16(p, dport);
	put32(p, seq);
	put32(p, ack);
	put8(p, (wscale >= 0 ? 6 : 5) << 4); /* data offset: 20 bytes, 24 with the option */
	put8(p, flags);
	put16(p, win);
	put16(p, 0); /* checksum: pkt_finish */
	put16(p, 0); /* urgent pointer */
	if (wscale >= 0) {
		put8(p, 1); /* NOP */
		put8(p, 3); /* window scale, length 3 */
		put8(p, 3);
		put8(p, (uint8_t)wscale);
	}
}

void pkt_udp(struct pkt *p, uint16_t sport, uint16_t dport)
{
	p->l4 = p->len;
	p->l4_proto = IPPROTO_UDP;
	put16(p, sport);
	put16(p, dport);
	put16(p, 0); /* length: pkt_finish */
	put16(p, 0); /* checksum: pkt_finish */
}

void pkt_icmp(struct pkt *p, uint8_t type, uint8_t code, uint16_t id, uint16_t seq)
{
	p->l4 = p->len;
	p->l4_proto = p->family == 4 ? IPPROTO_ICMP : IPPROTO_ICMPV6;
	put8(p, type);
	put8(p, code);
	put16(p, 0); /* checksum: pkt_finish */
	put16(p, id);
	put16(p, seq);
}

void pkt_data(struct pkt *p, const void *data, size_t len)
{
	assert(p->len + len <= PKT_MAX);
	memcpy(p->b + p->len, data, len);
	p->len += len;
}

uint32_t pkt_csum_add(uint32_t sum, const uint8_t *d, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(d[i] << 8 | d[i + 1]);
	if (len & 1)
		sum += (uint32_t)d[len - 1] << 8;
	return sum;
}

uint16_t pkt_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Transport checksum of the bytes from l4 to the end, with the IP pseudo-header unless ICMPv4. */
static uint16_t l4_csum(const struct pkt *p)
{
	size_t l4len = p->len - p->l4;
	uint32_t sum = 0;

	if (p->l4_proto != IPPROTO_ICMP) {
		if (p->family == 4) {
			sum = pkt_csum_add(sum, p->b + p->l3 + 12, 8);
		} else {
			sum = pkt_csum_add(sum, p->b + p->l3 + 8, 32);
			sum += (uint32_t)(l4len >> 16);
		}
		sum += (uint32_t)(l4len & 0xffff);
		sum += p->l4_proto;
	}
	return pkt_csum_fold(pkt_csum_add(sum, p->b + p->l4, l4len));
}

void pkt_finish(struct pkt *p)
{
	if (p->family == 4) {
		size_t hlen = (size_t)(p->b[p->l3] & 0xf) * 4;

		set16(p, p->l3 + 2, (uint16_t)(p->len - p->l3));
		set16(p, p->l3 + 10, 0);
		set16(p, p->l3 + 10, pkt_csum_fold(pkt_csum_add(0, p->b + p->l3, hlen)));
	} else if (p->family == 6) {
		set16(p, p->l3 + 4, (uint16_t)(p->len - p->l3 - 40));
	}
	if (!p->l4)
		return;
	if (p->l4_proto == IPPROTO_UDP)
		set16(p, p->l4 + 4, (uint16_t)(p->len - p->l4));
	if (p->no_csum)
		return;
	{
		size_t at = p->l4 + (p->l4_proto == IPPROTO_TCP   ? 16
		                     : p->l4_proto == IPPROTO_UDP ? 6
		                                                  : 2);

		uint16_t sum;

		set16(p, at, 0);
		sum = l4_csum(p);
		/* UDP: a computed 0 is sent as 0xffff (RFC 768; 0 means "no checksum"). */
		if (p->l4_proto == IPPROTO_UDP && sum == 0)
			sum = 0xffff;
		set16(p, at, sum);
	}
}

static void flow_ends(const struct flow *f, int dir, const char **src, const char **dst,
                      uint16_t *sport, uint16_t *dport)
{
	bool orig = dir == TCFW_DIR_ORIG;

	*src = orig ? f->src : f->dst;
	*dst = orig ? f->dst : f->src;
	*sport = orig ? f->sport : f->dport;
	*dport = orig ? f->dport : f->sport;
}

static void flow_ip_and_l4(struct pkt *p, const struct flow *f, int dir, uint8_t tcp_flags)
{
	static const uint8_t payload[16] = "tcfw test data!";
	const char *src, *dst;
	uint16_t sport, dport;

	flow_ends(f, dir, &src, &dst, &sport, &dport);
	if (f->family == 4)
		pkt_ipv4(p, src, dst, f->proto, 0, 0x1234, 0x4000 /* DF */);
	else
		pkt_ipv6(p, src, dst, f->proto);

	switch (f->proto) {
	case IPPROTO_TCP:
		pkt_tcp(p, sport, dport, tcp_flags);
		break;
	case IPPROTO_UDP:
		pkt_udp(p, sport, dport);
		pkt_data(p, payload, sizeof(payload));
		break;
	case IPPROTO_ICMP:
		pkt_icmp(p, dir == TCFW_DIR_ORIG ? 8 : 0, 0, f->sport, 1);
		pkt_data(p, payload, sizeof(payload));
		break;
	case IPPROTO_ICMPV6:
		pkt_icmp(p, dir == TCFW_DIR_ORIG ? 128 : 129, 0, f->sport, 1);
		pkt_data(p, payload, sizeof(payload));
		break;
	default:
		pkt_data(p, payload, sizeof(payload));
		break;
	}
	pkt_finish(p);
}

void pkt_flow(struct pkt *p, const struct flow *f, int dir, uint8_t tcp_flags)
{
	pkt_init(p);
	pkt_eth(p, f->family == 4 ? 0x0800 : 0x86dd, false);
	flow_ip_and_l4(p, f, dir, tcp_flags);
}

void pkt_flow_ip(struct pkt *p, const struct flow *f, int dir, uint8_t tcp_flags)
{
	pkt_init(p);
	flow_ip_and_l4(p, f, dir, tcp_flags);
}

void pkt_icmp_error(struct pkt *p, int family, const char *from, const char *to, uint8_t type,
                    uint8_t code, const struct pkt *q, size_t quote)
{
	pkt_init(p);
	pkt_eth(p, family == 4 ? 0x0800 : 0x86dd, false);
	if (family == 4)
		pkt_ipv4(p, from, to, IPPROTO_ICMP, 0, 0x4321, 0);
	else
		pkt_ipv6(p, from, to, IPPROTO_ICMPV6);
	pkt_icmp(p, type, code, 0, 0);
	pkt_data(p, q->b, quote < q->len ? quote : q->len);
	pkt_finish(p);
}
