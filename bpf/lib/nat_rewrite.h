/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * nat_rewrite.h - rewrite one end (source or destination) of an IPv4 packet: its address and
 * port (or ICMP echo id), with every checksum fixed (csum.h).
 *
 * Offers nat_rewrite_init() and nat_rewrite(). Header offsets come from the parser
 * (tcfw_pkt.l3_off, l4_off): a translated packet's headers are not read twice.
 */
#ifndef TCFW_BPF_NAT_REWRITE_H
#define TCFW_BPF_NAT_REWRITE_H

#include "lib/kernel.h"
#include "lib/csum.h"
#include "lib/parse.h"
#include "lib/stats.h"

enum nat_side {
	NAT_SIDE_SRC = 0,
	NAT_SIDE_DST = 1,
};

/* One end of a packet to rewrite: from -> to (network order). */
struct nat_rewrite {
	__be32 from_addr, to_addr;
	__be16 from_port, to_port; /* TCP/UDP port, or ICMP echo id */
	__u8 side;                 /* enum nat_side */
	__u8 proto;
	__u8 frag;            /* enum pkt_frag: a later fragment has no transport header */
	__u8 family;          /* TCFW_AF_*: only IPv4 is translated */
	__u16 l3_off, l4_off; /* the IPv4 header and what follows it (tcfw_pkt) */
};

/* rw for side (enum nat_side) of the parsed packet pkt; addresses and ports still to fill. */
static __always_inline void nat_rewrite_init(struct nat_rewrite *rw, const struct tcfw_pkt *pkt,
                                             __u8 side)
{
	rw->side = side;
	rw->family = pkt->tuple.family;
	rw->proto = pkt->tuple.proto;
	rw->frag = pkt->frag;
	rw->l3_off = pkt->l3_off;
	rw->l4_off = pkt->l4_off;
}

/**
 * nat_rewrite() - apply rw to the packet: the address in the IPv4 header (header checksum,
 * and the TCP/UDP pseudo-header part of the transport checksum), then the port or ICMP echo id
 * (transport checksum). A later fragment gets the address only: its datagram's transport
 * header, checksum included, travels in the first fragment, which is fixed for the whole
 * datagram. Counts TCFW_STAT_NAT_TRANSLATED. 0, or -1 when a helper failed: the caller drops
 * the packet rather than let it out half translated.
 *
 * A global BPF function: one verified copy for every rewrite site.
 */
__noinline int nat_rewrite(struct __sk_buff *skb, const struct nat_rewrite *rw)
{
	__u32 l3, l4, csum_at = 0, field;
	__u8 proto;

	if (!rw)
		return -1; /* calms the verifier: global function arguments may be NULL */
	if (rw->family != TCFW_AF_INET)
		return -1; /* a bug upstream: never write IPv4 offsets into another header */
	l3 = rw->l3_off;
	l4 = rw->l4_off;
	proto = rw->proto;
	field = csum_l4_field(proto);
	if (field && rw->frag != PKT_FRAG_LATER)
		csum_at = l4 + field;

	if (rw->from_addr != rw->to_addr &&
	    csum_set_addr4(skb, l3,
	                   l3 + (rw->side == NAT_SIDE_SRC ? IPV4_SADDR_OFF : IPV4_DADDR_OFF),
	                   csum_at, proto, rw->from_addr, rw->to_addr))
		return -1;

	if (rw->from_port != rw->to_port && rw->frag != PKT_FRAG_LATER) {
		__u32 at;

		if (proto == IPPROTO_ICMP)
			at = l4 + ICMP_ID_OFF;
		else if (tcfw_proto_has_ports(proto))
			at = l4 + (rw->side == NAT_SIDE_SRC ? 0 : 2);
		else
			return -1; /* no ports to rewrite: a bug upstream, never send it */
		if (csum_set_port(skb, at, csum_at, proto, rw->from_port, rw->to_port))
			return -1;
	}
	stat_inc(TCFW_STAT_NAT_TRANSLATED);
	return 0;
}

#endif /* TCFW_BPF_NAT_REWRITE_H */
