/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * nat/icmp_error.h - ICMP errors about translated connections (port unreachable, time
 * exceeded, fragmentation needed, ...): the outer header and the packet the error quotes.
 *
 * Offers icmp_nat_translate().
 *
 * An error travels to the host that sent the quoted packet, and that host matches the quote
 * against its own socket: the quote must show the packet exactly as the host sent it (the
 * orig tuple for the client, the reply tuple for the server), or path-MTU discovery and
 * traceroute stop working through the gateway. So, as netfilter does:
 *  - the quote's addresses and ports (or echo id) become those of the tuple its sender used,
 *    with the quote's IPv4 header checksum and, when the quote holds it, its TCP/UDP/ICMP
 *    checksum fixed, and the outer ICMP checksum (which covers the quote) fixed for every
 *    byte that changed;
 *  - the outer destination becomes that sender;
 *  - the outer source, when the error comes from the quoted packet's destination as the
 *    gateway translated it (the server's own port unreachable, say), becomes the address the
 *    sender talked to. That is a source rewrite, so it waits for egress (nat.h: never a source
 *    at ingress); ingress leaves NAT_HINT_ICMP for it. An error from a router on the way
 *    keeps the router's address.
 * Errors the gateway itself sends (its forwarding path checks TTL and MTU after ingress has
 * rewritten the destination) quote the packet half translated; they leave by the egress
 * program's local path, which does all three steps at once.
 *
 * A redirect about a translated connection is dropped: it would tell the client to send
 * straight to the inner address, around the translation (the gateway sends one whenever
 * hairpin routes a packet out of the interface it came in by).
 */
#ifndef TCFW_BPF_NAT_ICMP_ERROR_H
#define TCFW_BPF_NAT_ICMP_ERROR_H

#include "lib/kernel.h"
#include "tcfw_proto.h"
#include "lib/csum.h"
#include "lib/nat/common.h"
#include "lib/parse.h"
#include "lib/stats.h"

/* Parts of an error icmp_nat_translate() may rewrite. */
enum icmp_nat_part {
	ICMP_NAT_QUOTE = 1 << 0,     /* the quote and the outer destination */
	ICMP_NAT_OUTER_SRC = 1 << 1, /* the outer source */
};

#define ICMP_NAT_DROP (-2)

#define ICMP_ERR_QUOTE_OFF 8 /* the quote follows the 8-byte ICMP header */

/*
 * A checksum field at off inside the quote covers a value that changed from `from` to `to`
 * (size 2 or 4): fix the field, then the outer ICMP checksum for the field's own change
 * (read before and after: the field's old value is not known otherwise).
 */
static __always_inline int quote_fix_csum(struct __sk_buff *skb, __u32 off, __u32 icmp_csum,
                                          __u32 from, __u32 to, __u32 size)
{
	__u16 before, after;

	if (bpf_skb_load_bytes(skb, off, &before, sizeof(before)))
		return -1;
	if (csum_fix_field(skb, off, from, to, size))
		return -1;
	if (bpf_skb_load_bytes(skb, off, &after, sizeof(after)))
		return -1;
	return csum_fix_field(skb, icmp_csum, before, after, sizeof(after));
}

/* Offsets inside an ICMP error (IPv4) */
struct icmp_nat_offs {
	__u32 l3, icmp, in_l3, in_l4, end;
	__u32 in_l4_csum; /* the quoted transport checksum, 0 when the quote cuts it off (or UDP
	                   * without checksum) */
};

static __always_inline int icmp_nat_offsets(struct __sk_buff *skb, const struct tcfw_pkt *pkt,
                                            struct icmp_nat_offs *o)
{
	__u16 in_csum = 0;
	__u32 field;
	__u8 vihl;

	o->l3 = pkt->l3_off;
	o->icmp = pkt->l4_off;
	o->end = o->l3 + pkt->l3_len;
	o->in_l3 = o->icmp + ICMP_ERR_QUOTE_OFF;
	if (bpf_skb_load_bytes(skb, o->in_l3, &vihl, 1))
		return -1;
	o->in_l4 = o->in_l3 + (vihl & 0xf) * 4;
	o->in_l4_csum = 0;
	field = csum_l4_field(pkt->inner.proto);
	if (field && o->in_l4 + field + 2 <= o->end) {
		o->in_l4_csum = o->in_l4 + field;
		if (pkt->inner.proto == IPPROTO_UDP &&
		    (bpf_skb_load_bytes(skb, o->in_l4_csum, &in_csum, 2) || !in_csum))
			o->in_l4_csum = 0; /* no checksum: nothing to keep right */
	}
	return 0;
}

/* Rewrite a quoted address (4 bytes at off): the quote's IPv4 checksum, its TCP/UDP checksum
 * (pseudo-header) and the outer ICMP checksum follow. */
static __always_inline int quote_set_addr(struct __sk_buff *skb, const struct icmp_nat_offs *o,
                                          __u32 off, __u8 proto, __be32 from, __be32 to)
{
	if (from == to)
		return 0;
	if (csum_set_quoted(skb, off, o->icmp + ICMP_CSUM_OFF, from, to, 4))
		return -1;
	if (quote_fix_csum(skb, o->in_l3 + IPV4_CSUM_OFF, o->icmp + ICMP_CSUM_OFF, from, to, 4))
		return -1;
	if (o->in_l4_csum && proto != IPPROTO_ICMP)
		return quote_fix_csum(skb, o->in_l4_csum, o->icmp + ICMP_CSUM_OFF, from, to, 4);
	return 0;
}

/* Rewrite a quoted port or echo id (2 bytes at off) and the checksums that cover it. */
static __always_inline int quote_set_port(struct __sk_buff *skb, const struct icmp_nat_offs *o,
                                          __u32 off, __be16 from, __be16 to)
{
	if (from == to)
		return 0;
	if (csum_set_quoted(skb, off, o->icmp + ICMP_CSUM_OFF, from, to, 2))
		return -1;
	if (o->in_l4_csum)
		return quote_fix_csum(skb, o->in_l4_csum, o->icmp + ICMP_CSUM_OFF, from, to, 2);
	return 0;
}

/* The quote's ports (or echo id) as the tuple t wants them. */
static __always_inline int quote_set_ports(struct __sk_buff *skb, const struct icmp_nat_offs *o,
                                           const struct tcfw_tuple *q, const struct tcfw_tuple *t)
{
	if (q->proto == IPPROTO_ICMP) {
		/* An echo request quotes its id as sport, a reply as dport (struct tcfw_tuple). */
		if (q->sport != t->sport)
			return quote_set_port(skb, o, o->in_l4 + ICMP_ID_OFF, q->sport, t->sport);
		return quote_set_port(skb, o, o->in_l4 + ICMP_ID_OFF, q->dport, t->dport);
	}
	if (!tcfw_proto_has_ports(q->proto))
		return 0;
	if (quote_set_port(skb, o, o->in_l4, q->sport, t->sport))
		return -1;
	return quote_set_port(skb, o, o->in_l4 + 2, q->dport, t->dport);
}

/* The quoted packet's direction and the parts to rewrite in one argument (BPF functions take
 * five at most). */
#define ICMP_NAT_HOW(qdir, parts) ((__u32)(qdir) | ((__u32)(parts) << 1))

/**
 * icmp_nat_translate() - translate an ICMP error pkt whose quote belongs to connection e
 * (orig tuple orig); how = ICMP_NAT_HOW(qdir, parts): the quoted packet travelled in direction
 * qdir, parts says what this hook may rewrite (enum icmp_nat_part). Returns the egress hint still
 * needed (0 or NAT_HINT_ICMP), -1 when a rewrite failed, ICMP_NAT_DROP for a redirect (see above).
 *
 * A global BPF function, checked once.
 */
__noinline int icmp_nat_translate(struct __sk_buff *skb, const struct tcfw_pkt *pkt,
                                  struct tcfw_ct_entry *e, const struct tcfw_tuple *orig, __u32 how)
{
	__u32 qdir = how & 1, parts = how >> 1;
	struct icmp_nat_offs o;
	struct tcfw_tuple t;
	__be32 peer_seen, peer_real;
	bool changed = false;
	__u8 type;

	if (!pkt || !e || !orig)
		return -1; /* calms the verifier: global function arguments may be NULL */
	if (pkt->tuple.family != TCFW_AF_INET || pkt->inner.family != TCFW_AF_INET)
		return 0;
	if (icmp_nat_offsets(skb, pkt, &o) || bpf_skb_load_bytes(skb, o.icmp, &type, 1))
		return -1;
	if (type == ICMP_REDIRECT)
		return ICMP_NAT_DROP;

	/* The quote as its sender sent it, and who that sender talked to. */
	if (qdir == TCFW_DIR_ORIG) {
		__builtin_memcpy(&t, orig, sizeof(t));
		peer_seen = e->reply.src[3];
	} else {
		__builtin_memcpy(&t, &e->reply, sizeof(t));
		peer_seen = orig->src[3];
	}
	peer_real = t.dst[3];

	if (parts & ICMP_NAT_QUOTE) {
		const struct tcfw_tuple *q = &pkt->inner;

		if (q->src[3] != t.src[3] || q->dst[3] != t.dst[3] || q->sport != t.sport ||
		    q->dport != t.dport)
			changed = true;
		if (quote_set_addr(skb, &o, o.in_l3 + IPV4_SADDR_OFF, q->proto, q->src[3],
		                   t.src[3]) ||
		    quote_set_addr(skb, &o, o.in_l3 + IPV4_DADDR_OFF, q->proto, q->dst[3],
		                   t.dst[3]) ||
		    quote_set_ports(skb, &o, q, &t))
			return -1;
		if (pkt->tuple.dst[3] != t.src[3]) {
			if (csum_set_addr4(skb, o.l3, o.l3 + IPV4_DADDR_OFF, 0, IPPROTO_ICMP,
			                   pkt->tuple.dst[3], t.src[3]))
				return -1;
			changed = true;
		}
	}
	if (pkt->tuple.src[3] == peer_seen && peer_seen != peer_real) {
		if (!(parts & ICMP_NAT_OUTER_SRC)) {
			if (changed)
				stat_inc(TCFW_STAT_NAT_TRANSLATED);
			return NAT_HINT_ICMP;
		}
		if (csum_set_addr4(skb, o.l3, o.l3 + IPV4_SADDR_OFF, 0, IPPROTO_ICMP, peer_seen,
		                   peer_real))
			return -1;
		changed = true;
	}
	if (changed)
		stat_inc(TCFW_STAT_NAT_TRANSLATED);
	return 0;
}

#endif /* TCFW_BPF_NAT_ICMP_ERROR_H */
