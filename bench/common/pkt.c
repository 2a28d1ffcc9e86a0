// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * pkt.c - Ethernet + IPv4 + TCP/UDP packets for the micro-benchmarks (see pkt.h).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pkt.h"

#define ETH_HDR 14
#define IP4_HDR 20
#define TCP_HDR 20
#define UDP_HDR 8

/* Unicast MACs: a multicast destination would make the datapath treat the packet as input. */
static const uint8_t mac_dst[6] = {0x02, 0, 0, 0, 0, 0x01};
static const uint8_t mac_src[6] = {0x02, 0, 0, 0, 0, 0x02};

static uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *b = data;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		sum += (uint32_t)(b[len - 1] << 8);
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *at, uint16_t host)
{
	at[0] = (uint8_t)(host >> 8);
	at[1] = (uint8_t)(host & 0xff);
}

static void put32(uint8_t *at, uint32_t host)
{
	put16(at, (uint16_t)(host >> 16));
	put16(at + 2, (uint16_t)host);
}

uint32_t bench_ip4(const char *text)
{
	struct in_addr a;

	if (inet_pton(AF_INET, text, &a) != 1) {
		fprintf(stderr, "bench: bad IPv4 address literal '%s'\n", text);
		abort();
	}
	return a.s_addr;
}

struct bench_flow4 bench_flow_reverse(const struct bench_flow4 *f)
{
	struct bench_flow4 r = *f;

	r.saddr = f->daddr;
	r.daddr = f->saddr;
	r.sport = f->dport;
	r.dport = f->sport;
	return r;
}

uint32_t bench_pkt_saddr(const struct bench_pkt *p)
{
	uint32_t a;

	memcpy(&a, p->b + ETH_HDR + 12, sizeof(a));
	return a;
}

void bench_pkt_build(struct bench_pkt *p, const struct bench_flow4 *f, uint8_t tcp_flags,
                     size_t payload)
{
	size_t l4len =
	    (f->proto == IPPROTO_TCP ? TCP_HDR : UDP_HDR) + (payload > 64 ? 64 : payload);
	uint8_t *ip = p->b + ETH_HDR, *l4 = ip + IP4_HDR;
	uint8_t pseudo[12];
	uint32_t sum;

	memset(p, 0, sizeof(*p));
	memcpy(p->b, mac_dst, 6);
	memcpy(p->b + 6, mac_src, 6);
	put16(p->b + 12, 0x0800);

	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(IP4_HDR + l4len));
	put16(ip + 4, 1);      /* identification */
	put16(ip + 6, 0x4000); /* DF, not a fragment */
	ip[8] = 64;
	ip[9] = f->proto;
	memcpy(ip + 12, &f->saddr, 4);
	memcpy(ip + 16, &f->daddr, 4);
	put16(ip + 10, csum_fold(csum_add(0, ip, IP4_HDR)));

	memcpy(l4, &f->sport, 2);
	memcpy(l4 + 2, &f->dport, 2);
	if (f->proto == IPPROTO_TCP) {
		/* Sequence and ack numbers that are in the window conntrack tracks whatever the
		 * direction: both ends send their SYN at 0x10000000, everything else at the next
		 * number, and acknowledge the other's SYN. */
		put32(l4 + 4, (tcp_flags & BENCH_TCP_SYN) ? 0x10000000 : 0x10000001);
		put32(l4 + 8, (tcp_flags & BENCH_TCP_ACK) ? 0x10000001 : 0);
		l4[12] = (TCP_HDR / 4) << 4;
		l4[13] = tcp_flags;
		put16(l4 + 14, 64240); /* window */
	} else {
		put16(l4 + 4, (uint16_t)l4len);
	}
	memcpy(pseudo, &f->saddr, 4);
	memcpy(pseudo + 4, &f->daddr, 4);
	pseudo[8] = 0;
	pseudo[9] = f->proto;
	put16(pseudo + 10, (uint16_t)l4len);
	sum = csum_add(csum_add(0, pseudo, sizeof(pseudo)), l4, l4len);
	uint16_t l4sum = csum_fold(sum);

	/* UDP: a computed 0 is sent as 0xffff (0 means "no checksum"). */
	if (f->proto == IPPROTO_UDP && l4sum == 0)
		l4sum = 0xffff;
	put16(l4 + (f->proto == IPPROTO_TCP ? 16 : 6), l4sum);
	p->len = ETH_HDR + IP4_HDR + l4len;
}
