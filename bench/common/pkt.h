/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * pkt.h - the packets the micro-benchmarks feed to the datapath: Ethernet + IPv4 + TCP or
 * UDP, one flow at a time, built by the test kit's packet builder (tests/lib/pkt.h) with
 * lengths and checksums computed (valid packets, so the measured path is the path real
 * traffic takes). A bench_pkt is small: the scale phase keeps many.
 */
#ifndef BENCH_PKT_H
#define BENCH_PKT_H

#include <stddef.h>
#include <stdint.h>

#define BENCH_PKT_MAX 128

/* One direction of an IPv4 connection. Addresses and ports in network byte order. */
struct bench_flow4 {
	uint32_t saddr, daddr;
	uint16_t sport, dport;
	uint8_t proto; /* IPPROTO_TCP or IPPROTO_UDP */
};

struct bench_pkt {
	uint8_t b[BENCH_PKT_MAX];
	size_t len;
};

/* TCP flag bits as in the header's 13th byte. */
enum {
	BENCH_TCP_FIN = 0x01,
	BENCH_TCP_SYN = 0x02,
	BENCH_TCP_RST = 0x04,
	BENCH_TCP_PSH = 0x08,
	BENCH_TCP_ACK = 0x10,
};

/* Build one packet of f: TCP with tcp_flags, or UDP (tcp_flags ignored); payload bytes of
 * zeros after the L4 header (at most 64). */
void bench_pkt_build(struct bench_pkt *p, const struct bench_flow4 *f, uint8_t tcp_flags,
                     size_t payload);

/* The same flow seen from the other side (addresses and ports swapped). */
struct bench_flow4 bench_flow_reverse(const struct bench_flow4 *f);

/* "a.b.c.d" -> network order; aborts on a malformed literal (they are all the program's own). */
uint32_t bench_ip4(const char *text);

/* The IPv4 source address of a packet built by bench_pkt_build (network order). */
uint32_t bench_pkt_saddr(const struct bench_pkt *p);

#endif /* BENCH_PKT_H */
