// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * pkt.c - the micro-benchmarks' IPv4 flows (see pkt.h), built with the test kit's packet
 * builder (tests/lib/pkt.c), the one the datapath tests use.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../tests/lib/pkt.h"

#include "pkt.h"

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

	memcpy(&a, p->b + 14 + 12, sizeof(a)); /* after the Ethernet header, at IPv4's 12 */
	return a;
}

void bench_pkt_build(struct bench_pkt *p, const struct bench_flow4 *f, uint8_t tcp_flags,
                     size_t payload)
{
	static const uint8_t zeros[64];
	char src[INET_ADDRSTRLEN], dst[INET_ADDRSTRLEN];
	struct pkt k;

	inet_ntop(AF_INET, &f->saddr, src, sizeof(src));
	inet_ntop(AF_INET, &f->daddr, dst, sizeof(dst));
	pkt_init(&k);
	pkt_eth(&k, 0x0800, false);
	pkt_ipv4(&k, src, dst, f->proto, 0, 1, 0x4000 /* DF, not a fragment */);
	if (f->proto == IPPROTO_TCP)
		/* Sequence and ack numbers that are in the window conntrack tracks whatever the
		 * direction: both ends send their SYN at 0x10000000, everything else at the next
		 * number, and acknowledge the other's SYN. */
		pkt_tcp_seq(&k, ntohs(f->sport), ntohs(f->dport), tcp_flags,
		            (tcp_flags & BENCH_TCP_SYN) ? 0x10000000 : 0x10000001,
		            (tcp_flags & BENCH_TCP_ACK) ? 0x10000001 : 0, 64240, -1);
	else
		pkt_udp(&k, ntohs(f->sport), ntohs(f->dport));
	pkt_data(&k, zeros, payload > sizeof(zeros) ? sizeof(zeros) : payload);
	pkt_finish(&k);
	memset(p, 0, sizeof(*p));
	memcpy(p->b, k.b, k.len);
	p->len = k.len;
}
