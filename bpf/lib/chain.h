/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * chain.h - which filter chain decides a new connection, and the zones it comes from and
 * goes to.
 *
 * Offers chain_at_ingress() and chain_at_egress(), which fill a struct chain_info:
 *  - ingress, destination is one of the gateway's addresses (map "local_addrs", kept by fwd
 *    from netlink) or broadcast/multicast (L2 or L3): INPUT, no output interface;
 *  - ingress, anything else: FORWARD, output interface from bpf_fib_lookup() (the kernel's
 *    own routing decision), 0 when the kernel will not forward it (no route, blackhole, ...).
 *    The FIB's "not forwarded" cannot tell a local destination from a missing route, so the
 *    map alone decides INPUT: fwd fills it before it attaches the programs;
 *  - egress, sent by the gateway itself (skb->ingress_ifindex == 0): OUTPUT.
 * Zones come from map "ifaces" for the live policy copy; TCFW_ZONE_NONE for an interface
 * that is not managed (and for "no interface").
 */
#ifndef TCFW_BPF_CHAIN_H
#define TCFW_BPF_CHAIN_H

#include "lib/kernel.h"
#include "lib/maps.h"
#include "lib/parse.h"

static __always_inline __u8 zone_of(__u32 ifindex, __u32 copy)
{
	struct tcfw_iface *ifc;

	if (!ifindex)
		return TCFW_ZONE_NONE;
	ifc = bpf_map_lookup_elem(&ifaces, &ifindex);
	if (!ifc)
		return TCFW_ZONE_NONE;
	return ifc->zone[copy & 1]; /* & 1 calms the verifier: bounds the index */
}

/* 255.255.255.255, 224.0.0.0/4, ff00::/8. */
static __always_inline bool addr_is_bcast_mcast(const struct tcfw_tuple *t)
{
	if (t->family == TCFW_AF_INET)
		return t->dst[3] == 0xffffffff ||
		       (t->dst[3] & bpf_htonl(0xf0000000)) == bpf_htonl(0xe0000000);
	return (t->dst[0] & bpf_htonl(0xff000000)) == bpf_htonl(0xff000000);
}

static __always_inline bool addr_is_local(const struct tcfw_tuple *t)
{
	/* struct tcfw_addr_key is the 16-byte address itself. */
	return bpf_map_lookup_elem(&local_addrs, t->dst) != NULL;
}

/**
 * fib_output() - the interface the kernel will forward pkt out of, 0 when it will not
 * forward it.
 */
static __always_inline __u32 fib_output(struct __sk_buff *skb, const struct tcfw_pkt *pkt)
{
	struct bpf_fib_lookup fib = {};
	long rc;

	fib.l4_protocol = pkt->tuple.proto;
	fib.sport = pkt->tuple.sport;
	fib.dport = pkt->tuple.dport;
	fib.ifindex = skb->ifindex;
	if (pkt->tuple.family == TCFW_AF_INET) {
		fib.family = AF_INET;
		fib.ipv4_src = pkt->tuple.src[3];
		fib.ipv4_dst = pkt->tuple.dst[3];
	} else {
		fib.family = AF_INET6;
		__builtin_memcpy(fib.ipv6_src, pkt->tuple.src, sizeof(fib.ipv6_src));
		__builtin_memcpy(fib.ipv6_dst, pkt->tuple.dst, sizeof(fib.ipv6_dst));
	}
	/* tot_len stays 0: no MTU check, only the route. */
	rc = bpf_fib_lookup(skb, &fib, sizeof(fib), 0);
	/* NO_NEIGH still names the output interface; the neighbour is the kernel's business. */
	if (rc == BPF_FIB_LKUP_RET_SUCCESS || rc == BPF_FIB_LKUP_RET_NO_NEIGH)
		return fib.ifindex;
	return 0;
}

/* A new connection seen at ingress: INPUT or FORWARD (skb->ifindex is the receiving device). */
static __always_inline void chain_at_ingress(struct __sk_buff *skb, const struct tcfw_pkt *pkt,
                                             __u32 copy, struct chain_info *ci)
{
	bool local =
	    pkt->l2_multicast || addr_is_bcast_mcast(&pkt->tuple) || addr_is_local(&pkt->tuple);

	ci->ifindex_in = skb->ifindex;
	ci->ifindex_out = 0;
	if (!local)
		ci->ifindex_out = fib_output(skb, pkt);
	ci->chain = local ? TCFW_CHAIN_INPUT : TCFW_CHAIN_FORWARD;
	ci->in_zone = zone_of(ci->ifindex_in, copy);
	ci->out_zone = zone_of(ci->ifindex_out, copy);
}

/* A new connection the gateway itself opens, seen leaving by skb->ifindex: OUTPUT. */
static __always_inline void chain_at_egress(struct __sk_buff *skb, __u32 copy,
                                            struct chain_info *ci)
{
	ci->ifindex_in = 0;
	ci->ifindex_out = skb->ifindex;
	ci->chain = TCFW_CHAIN_OUTPUT;
	ci->in_zone = TCFW_ZONE_NONE;
	ci->out_zone = zone_of(ci->ifindex_out, copy);
}

#endif /* TCFW_BPF_CHAIN_H */
