/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * fastpath.h - a packet of an established forwarded connection leaves at ingress: the
 * kernel's routing answer from bpf_fib_lookup(), the TTL decremented, the Ethernet addresses
 * of the next hop written, and bpf_redirect() to the output device. The kernel's IP input
 * and forwarding path (ip_rcv, ip_forward, ip_output, the neighbour layer) is skipped: the
 * idea of nftables' flowtables, and what lets tcfw forward faster than the kernel alone.
 * Source NAT, which the slow path leaves to the egress program (nat.h), is done
 * here too, once the route is known: the egress program of the output device still runs
 * (dev_queue_xmit) but finds no hint and leaves after one load.
 *
 * Offers fastpath_forward(). Every case the fast path would get wrong goes the slow way
 * (TC_ACT_OK), where the kernel does it:
 *  - TTL / hop limit 1 or 0: the kernel sends ICMP "time exceeded";
 *  - larger than the MTU the kernel forwards with (the output device's, or a route's locked
 *    mtu; bpf_fib_lookup() checks the IP length, or for a GSO packet one segment's): the
 *    kernel fragments, or sends "fragmentation needed" / "packet too big" (path-MTU discovery
 *    through the gateway keeps working);
 *  - no neighbour entry yet, no route, forwarding disabled, a route that is not unicast:
 *    bpf_fib_lookup() says so and the kernel resolves, drops or answers;
 *  - IPv4 options, IPv6 extension headers (router alert, hop-by-hop), fragments, VLAN tags,
 *    frames not addressed to this host (PACKET_HOST only), ICMP errors (CT_RELATED);
 *  - leaving by the interface it came in on: the kernel may send an ICMP redirect;
 *  - connections the gateway terminates or opens (chain input/output).
 * What the fast path does skip, on purpose: netfilter's hooks on the gateway (iptables,
 * nftables, conntrack), IPsec policy, and the IP forwarding MIB counters. fwd --no-fast-path
 * (TCFW_CFG_NO_FAST_PATH) turns it off for gateways that need those.
 *
 * Connection state, counters and the policy are untouched by this: ct_track() has done its
 * work before, and a reload or `fwctl ct del` acts on the next packet as on the slow path.
 *
 * The routing answer is kept in the connection entry, per direction (struct tcfw_ct_nexthop),
 * for tcfw_config.nexthop_cache_us (fwd: 10 ms): a flow asks bpf_fib_lookup() about a hundred
 * times a second instead of once per packet, the one piece of per-packet work here that
 * repeats itself. What could change the answer is part of what is kept and compared: the input
 * device, the TOS / traffic class, and the packet length the route took (a longer one asks
 * again, so the MTU check stays the kernel's). A route, neighbour or MTU change reaches an
 * established flow within the window; 0 turns the memory off.
 */
#ifndef TCFW_BPF_FASTPATH_H
#define TCFW_BPF_FASTPATH_H

#include "lib/kernel.h"
#include "lib/chain.h"
#include "lib/conntrack.h"
#include "lib/maps.h"
#include "lib/nat/rewrite.h"
#include "lib/parse.h"
#include "lib/stats.h"

#define ETH_ALEN             6
#define FASTPATH_PACKET_HOST 0 /* skb->pkt_type: addressed to this host's MAC */

/* Keeps the compiler from moving loads and stores of a kept next hop across it. */
#define fastpath_barrier() asm volatile("" ::: "memory")

/*
 * The IP length the route's MTU is checked against: the packet's, or for a GSO packet one
 * segment's (headers + gso_size), which is what the kernel's forwarding checks too. 0 when a
 * GSO packet's segments cannot be sized here (not TCP or UDP): it takes the slow path.
 */
static __always_inline __u32 fastpath_mtu_len(struct __sk_buff *skb, const struct tcfw_pkt *pkt,
                                              __u32 l3_hlen)
{
	__u32 l4_hlen;

	if (!skb->gso_size)
		return pkt->l3_len;
	if (pkt->tuple.proto == IPPROTO_UDP) {
		l4_hlen = sizeof(struct udphdr);
	} else if (pkt->tuple.proto == IPPROTO_TCP) {
		__u8 *doff = hdr_at(skb, pkt->l4_off + 12, 1);

		if (!doff)
			return 0;
		l4_hlen = (*doff >> 4) * 4;
	} else {
		return 0;
	}
	return l3_hlen + l4_hlen + skb->gso_size;
}

/* Transport ports as the packet now carries them (after DNAT), for routing by port. */
static __always_inline void fastpath_ports(struct __sk_buff *skb, const struct tcfw_pkt *pkt,
                                           struct bpf_fib_lookup *fib)
{
	struct tcfw_l4_ports *p;

	if (pkt->tuple.proto != IPPROTO_TCP && pkt->tuple.proto != IPPROTO_UDP)
		return;
	p = hdr_at(skb, pkt->l4_off, sizeof(*p));
	if (p) {
		fib->sport = p->sport;
		fib->dport = p->dport;
	}
}

/* IPv4: fill fib from the header as it is now; false when the slow path must take it. */
static __always_inline bool fastpath_fib_v4(struct __sk_buff *skb, const struct tcfw_pkt *pkt,
                                            struct bpf_fib_lookup *fib)
{
	struct iphdr *ip = hdr_at(skb, ETH_HLEN, sizeof(*ip));

	if (!ip || *(__u8 *)ip != 0x45 || ip->ttl <= 1)
		return false; /* options, or the kernel's "time exceeded" */
	fib->family = AF_INET;
	fib->tos = ip->tos;
	fib->ipv4_src = ip->saddr;
	fib->ipv4_dst = ip->daddr;
	fib->tot_len = fastpath_mtu_len(skb, pkt, sizeof(*ip));
	return fib->tot_len != 0;
}

static __always_inline bool fastpath_fib_v6(struct __sk_buff *skb, const struct tcfw_pkt *pkt,
                                            struct bpf_fib_lookup *fib)
{
	struct ipv6hdr *ip6 = hdr_at(skb, ETH_HLEN, sizeof(*ip6));

	if (!ip6 || ip6->nexthdr != pkt->tuple.proto || ip6->hop_limit <= 1)
		return false; /* extension headers, or the kernel's "time exceeded" */
	fib->family = AF_INET6;
	fib->flowinfo = *(__be32 *)ip6 & bpf_htonl(0x0fffffff);
	__builtin_memcpy(fib->ipv6_src, &ip6->saddr, sizeof(fib->ipv6_src));
	__builtin_memcpy(fib->ipv6_dst, &ip6->daddr, sizeof(fib->ipv6_dst));
	fib->tot_len = fastpath_mtu_len(skb, pkt, sizeof(*ip6));
	return fib->tot_len != 0;
}

/* TTL / hop limit one less (checksum updated as ip_decrease_ttl() does), next hop's MACs. */
static __always_inline bool fastpath_rewrite(struct __sk_buff *skb, const struct tcfw_pkt *pkt,
                                             const struct bpf_fib_lookup *fib)
{
	struct ethhdr *eth = hdr_at(skb, 0, ETH_HLEN);

	if (!eth)
		return false;
	if (pkt->tuple.family == TCFW_AF_INET) {
		struct iphdr *ip = hdr_at(skb, ETH_HLEN, sizeof(*ip));
		__u32 check;

		if (!ip)
			return false;
		check = (__u32)ip->check + (__u32)bpf_htons(0x0100);
		ip->check = (__u16)(check + (check >= 0xffff));
		ip->ttl--;
	} else {
		struct ipv6hdr *ip6 = hdr_at(skb, ETH_HLEN, sizeof(*ip6));

		if (!ip6)
			return false;
		ip6->hop_limit--;
	}
	__builtin_memcpy(eth->h_dest, fib->dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, fib->smac, ETH_ALEN);
	return true;
}

/* The IPv4 TOS or IPv6 traffic class byte, which route lookups may select on. */
static __always_inline __u8 fastpath_tos(const struct tcfw_pkt *pkt,
                                         const struct bpf_fib_lookup *fib)
{
	if (pkt->tuple.family == TCFW_AF_INET)
		return fib->tos;
	return (__u8)(bpf_ntohl(fib->flowinfo) >> 20);
}

/*
 * The kept next hop of nh into fib (ifindex, MACs) when it still holds for a packet of length
 * len that arrived on ifindex_in with tos, at now. A seqlock read: a writer zeroes until_tick
 * first and stores it last (fastpath_keep()), so an answer read while one was at work fails
 * the second look at until_tick and the packet asks the kernel instead. (The JIT keeps program
 * order; x86-64 keeps it between CPUs. Elsewhere a torn read could send one packet to a next
 * hop that changed at that very moment, as a route change in flight would anyway.)
 */
static __always_inline bool fastpath_recall(const struct tcfw_ct_nexthop *nh, __u32 ifindex_in,
                                            __u8 tos, __u32 len, __u64 now,
                                            struct bpf_fib_lookup *fib)
{
	__u32 until = nh->until_tick;

	if (!until || !tcfw_nh_before(tcfw_nh_tick(now), until) || nh->ifindex_in != ifindex_in ||
	    nh->tos != tos || len > nh->len_ok)
		return false;
	fastpath_barrier();
	fib->ifindex = nh->ifindex_out;
	__builtin_memcpy(fib->dmac, nh->dmac, ETH_ALEN);
	__builtin_memcpy(fib->smac, nh->smac, ETH_ALEN);
	fastpath_barrier();
	return nh->until_tick == until;
}

/* Keep fib's answer (asked for ifindex_in, tos, len) in nh until until_ns. */
static __always_inline void fastpath_keep(struct tcfw_ct_nexthop *nh,
                                          const struct bpf_fib_lookup *fib, __u32 ifindex_in,
                                          __u8 tos, __u32 len, __u64 until_ns)
{
	nh->until_tick = 0;
	fastpath_barrier();
	nh->ifindex_in = ifindex_in;
	nh->ifindex_out = fib->ifindex;
	nh->tos = tos;
	nh->len_ok = len > 0xffff ? 0xffff : (__u16)len;
	__builtin_memcpy(nh->dmac, fib->dmac, ETH_ALEN);
	__builtin_memcpy(nh->smac, fib->smac, ETH_ALEN);
	fastpath_barrier();
	nh->until_tick = tcfw_nh_tick(until_ns);
}

/**
 * fastpath_forward() - send a packet of an established connection (hit from ct_track(), NAT
 * at ingress already applied) straight to its output device. cfg: the config map's entry, or
 * NULL before fwd wrote it. TC_ACT_REDIRECT when it went, TC_ACT_OK when the kernel's
 * forwarding path takes it (see the top of this file).
 */
static __always_inline int fastpath_forward(struct __sk_buff *skb, const struct tcfw_pkt *pkt,
                                            const struct ct_hit *hit, const struct tcfw_config *cfg)
{
	struct bpf_fib_lookup fib = {};
	struct tcfw_ct_nexthop *nh;
	__u32 cache_us, ifindex_in = skb->ifindex, len;
	__u8 tos;
	bool ok;
	long rc;

	if ((cfg && (cfg->flags & TCFW_CFG_NO_FAST_PATH)) || !hit->e ||
	    hit->e->chain != TCFW_CHAIN_FORWARD || pkt->frag != PKT_FRAG_NONE ||
	    pkt->kind == PKT_ICMP_ERROR || pkt->l3_off != ETH_HLEN ||
	    skb->pkt_type != FASTPATH_PACKET_HOST || skb->vlan_present)
		return TC_ACT_OK;

	if (pkt->tuple.family == TCFW_AF_INET)
		ok = fastpath_fib_v4(skb, pkt, &fib);
	else
		ok = fastpath_fib_v6(skb, pkt, &fib);
	if (!ok)
		return TC_ACT_OK;
	tos = fastpath_tos(pkt, &fib);
	len = fib.tot_len;
	cache_us = cfg ? cfg->nexthop_cache_us : 0;
	nh = &hit->e->nexthop[hit->dir & 1];

	if (!cache_us || !fastpath_recall(nh, ifindex_in, tos, len, hit->now, &fib)) {
		fib.l4_protocol = pkt->tuple.proto;
		fastpath_ports(skb, pkt, &fib);
		fib.ifindex = ifindex_in;
		/* Routing sees the source before SNAT, as the kernel's does (SNAT is
		 * postrouting). */
		stat_inc(TCFW_STAT_FIB_LOOKUP);
		rc = bpf_fib_lookup(skb, &fib, sizeof(fib), 0);
		if (rc != BPF_FIB_LKUP_RET_SUCCESS)
			return TC_ACT_OK;
		if (cache_us)
			fastpath_keep(nh, &fib, ifindex_in, tos, len,
			              bpf_ktime_get_ns() + (__u64)cache_us * 1000);
	}
	if (fib.ifindex == ifindex_in)
		return TC_ACT_OK;
	if (hit->e->nat_kind) {
		const struct tcfw_tuple *orig =
		    hit->dir == TCFW_DIR_ORIG ? &pkt->tuple : &hit->orig;

		if (nat_translate(skb, pkt, hit->e, orig, NAT_HOW(hit->dir, NAT_SIDE_SRC)) < 0)
			return TC_ACT_SHOT;
	}
	/* Egress has nothing left to do: no hint (the kernel copies tc_classid into tc_index
	 * only on TC_ACT_OK; a stale tc_index must not look like one either). */
	skb->tc_index = 0;
	if (!fastpath_rewrite(skb, pkt, &fib))
		return TC_ACT_OK; /* cannot happen: the headers were there a moment ago */
	stat_inc(TCFW_STAT_FAST_PATH);
	return bpf_redirect(fib.ifindex, 0);
}

#endif /* TCFW_BPF_FASTPATH_H */
