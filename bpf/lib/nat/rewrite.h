/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * nat/rewrite.h - rewriting the packets of a known translation: one end (source or
 * destination) of an IPv4 packet, its address and port (or ICMP echo id) with every checksum
 * fixed (csum.h); and the packets of a translated connection after its first, rewritten from
 * the connection's orig and reply tuples alone, destinations at ingress, sources at egress
 * (see nat.h), and found again at egress by the lookup the ingress hint names.
 *
 * Offers nat_rewrite_init() and nat_rewrite() (one end of a packet, for every rewrite site:
 * a new connection's first packet and orphan fragments too), nat_translate() and
 * nat_egress_find(). Header offsets come from the parser (tcfw_pkt.l3_off, l4_off): a
 * translated packet's headers are not read twice.
 */
#ifndef TCFW_BPF_NAT_REWRITE_H
#define TCFW_BPF_NAT_REWRITE_H

#include "lib/kernel.h"
#include "tcfw_proto.h"
#include "lib/conntrack.h"
#include "lib/csum.h"
#include "lib/ct_table.h"
#include "lib/frag.h"
#include "lib/maps.h"
#include "lib/nat/common.h"
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

/* Direction and side of a translation in one argument (BPF functions take five at most). */
#define NAT_HOW(dir, side) ((__u32)(dir) | ((__u32)(side) << 1))

/**
 * nat_translate() - rewrite pkt (direction dir of the connection with orig tuple orig and
 * entry e; how = NAT_HOW(dir, side)) at ingress (NAT_SIDE_DST: destinations) or egress
 * (NAT_SIDE_SRC: sources), from the
 * connection's two tuples:
 *   orig  dir, ingress: DNAT    dst O.dst:O.dport -> R.src:R.sport
 *   reply dir, ingress: un-SNAT dst R.dst:R.dport -> O.src:O.sport
 *   orig  dir, egress:  SNAT    src O.src:O.sport -> R.dst:R.dport
 *   reply dir, egress:  un-DNAT src R.src:R.sport -> O.dst:O.dport
 * At ingress, returns the hint egress needs (0: none), or -1 when the rewrite failed (drop).
 * At egress, 0 or -1.
 *
 * A global BPF function, checked once for every caller.
 */
__noinline int nat_translate(struct __sk_buff *skb, const struct tcfw_pkt *pkt,
                             struct tcfw_ct_entry *e, const struct tcfw_tuple *orig, __u32 how)
{
	struct nat_rewrite rw = {};
	__u32 dir = how & 1, side = how >> 1, hint = 0;
	__u8 kind;

	if (!pkt || !e || !orig)
		return -1; /* calms the verifier: global function arguments may be NULL */
	kind = e->nat_kind;
	nat_rewrite_init(&rw, pkt, side == NAT_SIDE_SRC ? NAT_SIDE_SRC : NAT_SIDE_DST);

	if (rw.side == NAT_SIDE_DST) {
		if (dir == TCFW_DIR_ORIG) {
			if (kind & TCFW_NAT_SNAT)
				hint =
				    NAT_HINT_SNAT | ((kind & TCFW_NAT_DNAT) ? NAT_HINT_ALIAS : 0);
			if (!(kind & TCFW_NAT_DNAT))
				return hint;
			rw.to_addr = e->reply.src[3];
			rw.to_port = e->reply.sport;
		} else {
			if (kind & TCFW_NAT_DNAT)
				hint =
				    NAT_HINT_UNDNAT | ((kind & TCFW_NAT_SNAT) ? NAT_HINT_ALIAS : 0);
			if (!(kind & TCFW_NAT_SNAT))
				return hint;
			rw.to_addr = orig->src[3];
			rw.to_port = orig->sport;
		}
		rw.from_addr = pkt->tuple.dst[3];
		rw.from_port = pkt->tuple.dport;
	} else {
		if (dir == TCFW_DIR_ORIG) {
			if (!(kind & TCFW_NAT_SNAT))
				return 0;
			rw.to_addr = e->reply.dst[3];
			rw.to_port = e->reply.dport;
		} else {
			if (!(kind & TCFW_NAT_DNAT))
				return 0;
			rw.to_addr = orig->dst[3];
			rw.to_port = orig->dport;
		}
		rw.from_addr = pkt->tuple.src[3];
		rw.from_port = pkt->tuple.sport;
	}
	if (nat_rewrite(skb, &rw))
		return -1;
	if (hint && rw.side == NAT_SIDE_DST && pkt->frag == PKT_FRAG_FIRST)
		frag_remember_as(pkt, rw.to_addr, rw.to_port);
	return hint;
}

/**
 * nat_egress_find() - the connection of a forwarded packet with tuple t at egress, by what
 * hint names: its orig tuple (orig direction, untouched by ingress), its reply tuple (reply
 * direction, untouched by ingress): both one ct_entry_of(); or either direction half
 * translated ("nat_alias"). Fills s->orig and s->dir.
 */
static __always_inline struct tcfw_ct_entry *nat_egress_find(const struct tcfw_tuple *t, __u32 hint,
                                                             struct nat_scratch *s)
{
	struct tcfw_ct_entry *e;
	int form;

	if (hint & (NAT_HINT_SNAT | NAT_HINT_UNDNAT)) {
		e = ct_entry_of(t, &s->orig, &form);
		if (e && ((form == CT_FORM_ORIG && (hint & NAT_HINT_SNAT)) ||
		          (form == CT_FORM_REPLY && (hint & NAT_HINT_UNDNAT)))) {
			s->dir = form;
			return e;
		}
	}
	if (hint & NAT_HINT_ALIAS) {
		e = ct_alias_lookup(t, &s->orig);
		if (e) {
			s->dir = TCFW_DIR_ORIG;
			return e;
		}
		tuple_reverse(&s->middle, t);
		e = ct_alias_lookup(&s->middle, &s->orig);
		if (e) {
			s->dir = TCFW_DIR_REPLY;
			return e;
		}
	}
	return NULL;
}

#endif /* TCFW_BPF_NAT_REWRITE_H */
