/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * reject.h - answer a refused new connection, from TC, without a socket: TCP gets a reset,
 * every other protocol an ICMP / ICMPv6 port unreachable.
 *
 * Offers reject_packet(). The reply is built in place of the refused packet:
 *  - TCP: the packet is cut to L2 + IP + 20 bytes (bpf_skb_change_tail) and rewritten: MACs
 *    swapped, a fresh IP header (no options, no extension headers) with the addresses swapped
 *    and TTL / hop limit 64, and a TCP header with the ports swapped and, as netfilter's
 *    tcp-reset does: seq = the packet's ack and flags RST when it had ACK, else seq 0,
 *    ack = seq + SYN + FIN + payload length and flags RST|ACK. No payload.
 *  - other protocols: the packet is cut to what the error quotes (IPv4: the IP header and the
 *    first 8 bytes after it, RFC 792; IPv6: as much as keeps the error within the minimum MTU
 *    of 1280 bytes, RFC 4443), room for the new headers is made in front of it
 *    (bpf_skb_change_head: 28 bytes for IPv4 + ICMP, 48 for IPv6 + ICMPv6), and the L2
 *    header (MACs swapped, VLAN tag kept), IP header (TTL / hop limit 64) and ICMP header
 *    (destination unreachable, port unreachable) are written there.
 * Every checksum is computed whole with bpf_csum_diff(), none incrementally. The packet is
 * only read and written with bpf_skb_load_bytes() / bpf_skb_store_bytes(): no packet pointer
 * lives across the size changes, so there is none to re-validate after them. The reply is
 * built in the per-CPU map "reject_scratch", not on the stack (512 bytes for the whole chain
 * of calls).
 *
 * Sent back the way the packet came: at ingress out of the interface it arrived on
 * (bpf_redirect(ifindex, 0)); at egress (the output chain: a packet of the gateway itself)
 * back into the stack of the interface it was leaving by (BPF_F_INGRESS), marked
 * TCFW_MARK_OWN_REPLY so that tcfw_ingress passes it instead of calling it invalid. Either
 * way the sender sees "connection refused" / "port unreachable" at once, not a timeout.
 *
 * Source address:
 *  - a TCP reset comes from the address the packet was sent to, forwarded connections
 *    included: the client's socket accepts a reset only from the peer it called;
 *  - an ICMP error of an input or output connection comes from the address the packet was
 *    sent to; of a forwarded one, from the gateway's own address towards the sender, the way
 *    a router's ICMP errors do (bpf_fib_lookup() with BPF_FIB_LOOKUP_SRC: one route lookup,
 *    paid only when rejecting). When that lookup finds no address, from the original
 *    destination: the sender matches the error to its socket by the quoted packet anyway.
 *
 * Never answered, only dropped: broadcast or multicast packets (L2 or L3), packets from a
 * multicast, broadcast or unspecified source, TCP resets and ICMP errors (neither opens a
 * connection, so neither gets here; checked anyway), and packets whose reply cannot be built.
 * TCFW_STAT_REJECT_SENT counts the replies sent.
 */
#ifndef TCFW_BPF_REJECT_H
#define TCFW_BPF_REJECT_H

#include "lib/kernel.h"
#include "lib/csum_fold.h"
#include "lib/chain.h"
#include "lib/maps.h"
#include "lib/parse.h"
#include "lib/stats.h"

#define REJECT_TTL             64
#define REJECT_ICMP_UNREACH    3    /* ICMP destination unreachable */
#define REJECT_ICMP_PORT       3    /* ... port unreachable */
#define REJECT_ICMP6_UNREACH   1    /* ICMPv6 destination unreachable */
#define REJECT_ICMP6_PORT      4    /* ... port unreachable */
#define REJECT_IPTOS_PREC_CTRL 0xc0 /* IPv4 TOS of ICMP errors, as Linux sends them */

/* ---- checksums --------------------------------------------------------------------------- */
/* Sum of len bytes (a multiple of 4, at most 512) of map memory, added to seed. < 0: error. */
static __always_inline __s64 reject_csum_add(void *mem, __u32 len, __s64 seed)
{
	if (seed < 0)
		return seed;
	return bpf_csum_diff(NULL, 0, mem, len, (__wsum)seed);
}

/* ---- what may be answered ------------------------------------------------------------------ */
static __always_inline bool reject_source_unicast(const struct tcfw_tuple *t)
{
	if (t->family == TCFW_AF_INET) {
		__u32 s = bpf_ntohl(t->src[3]);

		return s != 0 && s != 0xffffffff && (s & 0xf0000000) != 0xe0000000;
	}
	if ((t->src[0] & bpf_htonl(0xff000000)) == bpf_htonl(0xff000000))
		return false;
	return (t->src[0] | t->src[1] | t->src[2] | t->src[3]) != 0;
}

static __always_inline bool reject_allowed(const struct tcfw_pkt *pkt)
{
	const struct tcfw_tuple *t = &pkt->tuple;

	if (pkt->kind != PKT_FLOW || pkt->frag == PKT_FRAG_LATER)
		return false; /* ICMP errors and replies, fragments without a header to quote */
	if (pkt->l2_multicast || addr_is_bcast_mcast(t) || !reject_source_unicast(t))
		return false;
	if (t->proto == IPPROTO_TCP && (pkt->tcp_flags & TCP_FLAG_RST))
		return false;
	return true;
}

/* ---- headers ------------------------------------------------------------------------------ */
/* Pseudo-headers of the transport checksums (RFC 793, RFC 8200 8.1), over sc->pseudo. */
struct reject_pseudo4 {
	__be32 src, dst;
	__u8 zero, proto;
	__be16 len;
};
struct reject_pseudo6 {
	__be32 src[4], dst[4];
	__be32 len;
	__u8 zero[3], proto;
};
_Static_assert(sizeof(struct reject_pseudo6) <= sizeof(((struct reject_scratch *)0)->pseudo),
               "reject_scratch.pseudo holds an IPv6 pseudo-header");

/*
 * The transport header's offset: after the IPv4 header with its options, or after the IPv6
 * header and its extension headers. 0 when it cannot be found (the parser found it, so this
 * only guards against a packet changed since).
 */
static __always_inline __u32 reject_l4_offset(struct __sk_buff *skb, const struct tcfw_pkt *pkt,
                                              __u32 l3)
{
	struct tcfw_ipv6_walk w = {};
	__u8 b;

	if (pkt->tuple.family == TCFW_AF_INET) {
		if (bpf_skb_load_bytes(skb, l3, &b, 1))
			return 0;
		return l3 + (b & 0xf) * 4;
	}
	if (bpf_skb_load_bytes(skb, l3 + 6, &w.nexthdr, 1))
		return 0;
	w.off = l3 + 40;
	if (ipv6_is_ext(w.nexthdr) && ipv6_walk_ext(skb, &w, l3 + pkt->l3_len) != PARSE_OK)
		return 0;
	return w.off;
}

/* Sum of the pseudo-header from src to the packet's source (the reply's addresses) for
 * l4_len bytes of protocol proto. */
static __always_inline __s64 reject_pseudo_sum(struct reject_scratch *sc,
                                               const struct tcfw_tuple *t, const __u32 src[4],
                                               __u8 proto, __u32 l4_len)
{
	if (t->family == TCFW_AF_INET) {
		struct reject_pseudo4 *ph = (void *)sc->pseudo;

		ph->src = src[3];
		ph->dst = t->src[3];
		ph->zero = 0;
		ph->proto = proto;
		ph->len = bpf_htons(l4_len);
		return reject_csum_add(ph, sizeof(*ph), 0);
	}
	struct reject_pseudo6 *ph6 = (void *)sc->pseudo;

	__builtin_memcpy(ph6->src, src, 16);
	__builtin_memcpy(ph6->dst, t->src, 16);
	ph6->len = bpf_htonl(l4_len);
	ph6->zero[0] = 0;
	ph6->zero[1] = 0;
	ph6->zero[2] = 0;
	ph6->proto = proto;
	return reject_csum_add(ph6, sizeof(*ph6), 0);
}

/* A fresh IP header in sc->hdr from src to the packet's source; returns its length. */
static __always_inline __u32 reject_ip_header(struct reject_scratch *sc, const struct tcfw_tuple *t,
                                              const __u32 src[4], __u8 proto, __u8 tos,
                                              __u16 frag_off, __u32 l4_len)
{
	if (t->family == TCFW_AF_INET) {
		struct iphdr *ip = (void *)sc->hdr;

		*(__u8 *)ip = 0x45; /* version 4, 20 bytes */
		ip->tos = tos;
		ip->tot_len = bpf_htons(20 + l4_len);
		ip->id = 0;
		ip->frag_off = bpf_htons(frag_off);
		ip->ttl = REJECT_TTL;
		ip->protocol = proto;
		ip->check = 0;
		ip->saddr = src[3];
		ip->daddr = t->src[3];
		ip->check = csum_fold64(bpf_csum_diff(NULL, 0, (void *)ip, 20, 0));
		return 20;
	}
	struct ipv6hdr *ip6 = (void *)sc->hdr;

	*(__be32 *)ip6 = bpf_htonl(0x60000000); /* version 6, no traffic class or flow label */
	ip6->payload_len = bpf_htons(l4_len);
	ip6->nexthdr = proto;
	ip6->hop_limit = REJECT_TTL;
	__builtin_memcpy(&ip6->saddr, src, 16);
	__builtin_memcpy(&ip6->daddr, t->src, 16);
	return 40;
}

/* ---- TCP reset --------------------------------------------------------------------------------
 */
/* TCP header bytes 12 and 13 (data offset, flags), read and written as one. */
#define TCP_DOFF_FLAGS(th) (((__u8 *)(th))[13])

/**
 * reject_tcp() - turn the TCP packet at l3 into the reset that answers it.
 */
static __always_inline int reject_tcp(struct __sk_buff *skb, const struct tcfw_pkt *pkt, __u32 l3,
                                      struct reject_scratch *sc)
{
	const struct tcfw_tuple *t = &pkt->tuple;
	__u32 l4 = reject_l4_offset(skb, pkt, l3), iplen, hdrs, payload;
	struct tcphdr th, *rt;
	__u8 flags;
	__s64 sum;

	if (!l4 || l4 <= l3 || bpf_skb_load_bytes(skb, l4, &th, sizeof(th)))
		return TC_ACT_SHOT;
	flags = TCP_DOFF_FLAGS(&th);
	hdrs = (l4 - l3) + (((__u8 *)&th)[12] >> 4) * 4;
	payload = pkt->l3_len > hdrs ? pkt->l3_len - hdrs : 0;

	/* The reply's addresses: from the packet's destination (t->dst) to its source. */
	iplen = reject_ip_header(sc, t, t->dst, IPPROTO_TCP, 0, 0x4000 /* DF */, 20);
	if (iplen != 20 && iplen != 40)
		return TC_ACT_SHOT; /* calms the verifier: iplen bounds the writes below */
	rt = (void *)sc->hdr + iplen;
	rt->source = th.dest;
	rt->dest = th.source;
	if (flags & TCP_FLAG_ACK) {
		rt->seq = th.ack_seq;
		rt->ack_seq = 0;
		flags = TCP_FLAG_RST;
	} else {
		rt->seq = 0;
		rt->ack_seq = bpf_htonl(bpf_ntohl(th.seq) + payload + !!(flags & TCP_FLAG_SYN) +
		                        !!(flags & TCP_FLAG_FIN));
		flags = TCP_FLAG_RST | TCP_FLAG_ACK;
	}
	((__u8 *)rt)[12] = 5 << 4; /* data offset: 20 bytes, no options */
	TCP_DOFF_FLAGS(rt) = flags;
	rt->window = 0;
	rt->check = 0;
	rt->urg_ptr = 0;

	sum = reject_pseudo_sum(sc, t, t->dst, IPPROTO_TCP, sizeof(*rt));
	sum = reject_csum_add(rt, sizeof(*rt), sum);
	if (sum < 0)
		return TC_ACT_SHOT;
	rt->check = csum_fold64(sum);

	if (bpf_skb_change_tail(skb, l3 + iplen + sizeof(*rt), 0))
		return TC_ACT_SHOT;
	if (iplen == 20)
		return bpf_skb_store_bytes(skb, l3, sc->hdr, 20 + sizeof(*rt), 0) ? TC_ACT_SHOT : 0;
	return bpf_skb_store_bytes(skb, l3, sc->hdr, 40 + sizeof(*rt), 0) ? TC_ACT_SHOT : 0;
}

/* ---- ICMP / ICMPv6 port unreachable ---------------------------------------------------------- */
/*
 * The source of an ICMP error into src: the gateway's address towards the sender for a
 * forwarded packet when the FIB knows one, else the packet's destination.
 */
static __always_inline void reject_icmp_source(struct __sk_buff *skb, const struct tcfw_pkt *pkt,
                                               __u32 chain, struct reject_scratch *sc, __u32 src[4])
{
	const struct tcfw_tuple *t = &pkt->tuple;
	struct bpf_fib_lookup *fib = &sc->fib;
	long rc;

	__builtin_memcpy(src, t->dst, 16);
	if (chain != TCFW_CHAIN_FORWARD)
		return;
	__builtin_memset(fib, 0, sizeof(*fib));
	fib->ifindex = skb->ifindex;
	if (t->family == TCFW_AF_INET) {
		fib->family = AF_INET;
		fib->ipv4_dst = t->src[3];
	} else {
		fib->family = AF_INET6;
		__builtin_memcpy(fib->ipv6_dst, t->src, 16);
	}
	rc = bpf_fib_lookup(skb, fib, sizeof(*fib),
	                    BPF_FIB_LOOKUP_OUTPUT | BPF_FIB_LOOKUP_SRC | BPF_FIB_LOOKUP_SKIP_NEIGH);
	if (rc != BPF_FIB_LKUP_RET_SUCCESS && rc != BPF_FIB_LKUP_RET_NO_NEIGH)
		return;
	if (t->family == TCFW_AF_INET) {
		if (fib->ipv4_src)
			src[3] = fib->ipv4_src;
	} else if (fib->ipv6_src[0] | fib->ipv6_src[1] | fib->ipv6_src[2] | fib->ipv6_src[3]) {
		__builtin_memcpy(src, fib->ipv6_src, 16);
	}
}

/* seed plus the sum of the quote (len bytes, zero-padded to a multiple of 4) in sc->quote,
 * in pieces of at most 512 bytes (bpf_csum_diff()'s limit). < 0: error. */
static __always_inline __s64 reject_quote_sum(struct reject_scratch *sc, __u32 len, __s64 seed)
{
	__u32 padded = (len + 3) & ~3U, n;
	__s64 sum;

	if (padded > TCFW_REJECT_QUOTE_MAX || !padded)
		return -1; /* calms the verifier: bounds every size below */
	n = padded < 512 ? padded : 512;
	sum = reject_csum_add(sc->quote, n, seed);
	if (padded > 512) {
		n = padded - 512;
		n = n < 512 ? n : 512;
		sum = reject_csum_add(sc->quote + 512, n, sum);
	}
	if (padded > 1024) {
		n = padded - 1024;
		n = n < TCFW_REJECT_QUOTE_MAX - 1024 ? n : TCFW_REJECT_QUOTE_MAX - 1024;
		sum = reject_csum_add(sc->quote + 1024, n, sum);
	}
	return sum;
}

/**
 * reject_icmp() - turn the packet at l3 into the ICMP / ICMPv6 port unreachable that quotes
 * it. l2 holds the packet's L2 header (l3 bytes: 14, or 18 with a VLAN tag), MACs swapped.
 */
static __always_inline int reject_icmp(struct __sk_buff *skb, const struct tcfw_pkt *pkt, __u32 l3,
                                       const __u16 *l2, __u32 chain, struct reject_scratch *sc)
{
	const struct tcfw_tuple *t = &pkt->tuple;
	bool v4 = t->family == TCFW_AF_INET;
	struct tcfw_icmp_head *icmp;
	__u32 src[4], quote, room, iplen, i;
	__u8 vihl;
	__s64 sum;

	if (v4) {
		if (bpf_skb_load_bytes(skb, l3, &vihl, 1))
			return TC_ACT_SHOT;
		quote = (vihl & 0xf) * 4 + 8;
	} else {
		quote = TCFW_REJECT_QUOTE_MAX;
	}
	if (quote > pkt->l3_len)
		quote = pkt->l3_len;
	if (quote < 20 || quote > TCFW_REJECT_QUOTE_MAX)
		return TC_ACT_SHOT; /* calms the verifier: bounds the copy and the padding */
	if (bpf_skb_load_bytes(skb, l3, sc->quote, quote))
		return TC_ACT_SHOT;
	for (i = 0; i < 4; i++)
		sc->quote[quote + i] = 0; /* padding for the checksum, not sent */

	reject_icmp_source(skb, pkt, chain, sc, src);
	room = v4 ? 20 + 8 : 40 + 8;
	iplen = reject_ip_header(sc, t, src, v4 ? IPPROTO_ICMP : IPPROTO_ICMPV6,
	                         REJECT_IPTOS_PREC_CTRL, 0, 8 + quote);
	if (iplen != 20 && iplen != 40)
		return TC_ACT_SHOT; /* calms the verifier: iplen bounds the writes below */
	icmp = (void *)sc->hdr + iplen;
	icmp->type = v4 ? REJECT_ICMP_UNREACH : REJECT_ICMP6_UNREACH;
	icmp->code = v4 ? REJECT_ICMP_PORT : REJECT_ICMP6_PORT;
	icmp->csum = 0;
	icmp->id = 0; /* "unused" in a destination unreachable */
	icmp->seq = 0;

	/* ICMP sums its header and the quote; ICMPv6 the pseudo-header too. */
	sum = v4 ? 0 : reject_pseudo_sum(sc, t, src, IPPROTO_ICMPV6, sizeof(*icmp) + quote);
	sum = reject_csum_add(icmp, sizeof(*icmp), sum);
	if (sum >= 0)
		sum = reject_quote_sum(sc, quote, sum);
	if (sum < 0)
		return TC_ACT_SHOT;
	icmp->csum = csum_fold64(sum);

	/* Cut to the quote, then make room in front of it for the new IP + ICMP headers. */
	if (bpf_skb_change_tail(skb, l3 + quote, 0) || bpf_skb_change_head(skb, room, 0))
		return TC_ACT_SHOT;
	if (bpf_skb_store_bytes(skb, 0, l2, 14, 0))
		return TC_ACT_SHOT;
	if (l3 == 18 && bpf_skb_store_bytes(skb, 14, l2 + 7, 4, 0))
		return TC_ACT_SHOT;
	if (v4)
		return bpf_skb_store_bytes(skb, l3, sc->hdr, 20 + sizeof(*icmp), 0) ? TC_ACT_SHOT
		                                                                    : 0;
	return bpf_skb_store_bytes(skb, l3, sc->hdr, 40 + sizeof(*icmp), 0) ? TC_ACT_SHOT : 0;
}

/**
 * reject_packet() - answer pkt (a packet that would have opened a connection on chain
 * `chain`) with a TCP reset or an ICMP port unreachable and send that back where pkt came
 * from. Returns TC_ACT_REDIRECT when the reply goes out (counted in TCFW_STAT_REJECT_SENT),
 * TC_ACT_SHOT when pkt is not to be answered or the reply could not be built.
 *
 * A global BPF function: verified once, and its frame is not on the stack of the path that
 * classifies and creates connections.
 */
__noinline int reject_packet(struct __sk_buff *skb, const struct tcfw_pkt *pkt, __u32 chain)
{
	struct reject_scratch *sc;
	__u32 zero = 0, l3 = ETH_HLEN;
	__u16 l2[9], mac[3]; /* the L2 header: MACs, then the VLAN tag or the EtherType */
	int ret;

	if (!pkt || !reject_allowed(pkt))
		return TC_ACT_SHOT;
	sc = bpf_map_lookup_elem(&reject_scratch, &zero);
	if (!sc)
		return TC_ACT_SHOT;

	/* The L2 header, MACs swapped; a VLAN tag stays as it is (as parse.h, at most one). */
	if (bpf_skb_load_bytes(skb, 0, l2, sizeof(l2)))
		return TC_ACT_SHOT;
	__builtin_memcpy(mac, l2, 6);
	__builtin_memcpy(l2, l2 + 3, 6);
	__builtin_memcpy(l2 + 3, mac, 6);
	if (l2[6] == bpf_htons(ETH_P_8021Q) || l2[6] == bpf_htons(ETH_P_8021AD))
		l3 += 4;

	if (pkt->tuple.proto == IPPROTO_TCP) {
		ret = reject_tcp(skb, pkt, l3, sc);
		if (ret == 0 && bpf_skb_store_bytes(skb, 0, l2, 12, 0))
			ret = TC_ACT_SHOT;
	} else {
		ret = reject_icmp(skb, pkt, l3, l2, chain, sc);
	}
	if (ret != 0)
		return TC_ACT_SHOT;

	stat_inc(TCFW_STAT_REJECT_SENT);
	if (chain == TCFW_CHAIN_OUTPUT) {
		skb->mark = TCFW_MARK_OWN_REPLY;
		return bpf_redirect(skb->ifindex, BPF_F_INGRESS);
	}
	return bpf_redirect(skb->ifindex, 0);
}

#endif /* TCFW_BPF_REJECT_H */
