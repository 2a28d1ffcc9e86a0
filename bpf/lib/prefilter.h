/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * prefilter.h - the XDP pre-filter: drop, before an skb exists, what the policy's
 * 'prefilter ZONE { ... }' names for the zone of the receiving interface (docs/policy.md):
 *
 *   drop from @SET   a source in the set: one lookup of map "pre_src" (LPM trie, source
 *                    prefix -> zones), whatever the packet is;
 *   drop untracked   a TCP segment without SYN (ACK, FIN, RST, ...) that belongs to no
 *                    connection: the lookup ct_lookup() makes (ct_table.h: one lookup of
 *                    "ct", two for a NAT connection's reply), read-only. TC calls such a segment
 * INVALID (nf_conntrack_tcp_loose = 0: no mid-stream pickup, --tcp-liberal or not) and drops it
 * when the policy's invalid default is drop, so it is dropped here only then.
 *
 * Never more than TC would drop for 'drop untracked': what the parser here does not fully
 * understand (fragments, IPv6 extension headers, VLAN stacks, short or inconsistent headers,
 * impossible flag combinations, SYNs) passes to TC untouched. The policy copy is the one
 * "config" names, as for TC, so a reload switches both programs at once. Counted in stats
 * prefilter_blocked / prefilter_untracked (the packets TC never sees are in no other counter).
 */
#ifndef TCFW_BPF_PREFILTER_H
#define TCFW_BPF_PREFILTER_H

#include "lib/kernel.h"
#include "lib/ct_table.h"
#include "lib/maps.h"
#include "lib/stats.h"
#include "lib/parse.h"
#include "lib/tcp_state.h"

/* What prefilter_parse() found: enough for both checks. */
struct prefilter_pkt {
	struct tcfw_tuple tuple; /* ports set for TCP only */
	__u8 tcp_flags;
	bool tcp; /* an unfragmented TCP segment whose header is all there */
};

/* len bytes at off of the frame, bounds-checked; NULL when the frame is shorter. */
static __always_inline void *xdp_hdr_at(struct xdp_md *ctx, __u32 off, __u32 len)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;

	/* Calms the verifier: a packet pointer's variable offset must have a known bound. */
	if (off > TCFW_PARSE_MAX_OFF)
		return NULL;
	if (data + off + len > end)
		return NULL;
	return data + off;
}

/* TCP ports and flags at off, inside an IP packet that ends at limit (frame offset). */
static __always_inline void prefilter_tcp(struct xdp_md *ctx, __u32 off, __u32 limit,
                                          struct prefilter_pkt *p)
{
	struct tcphdr *th = xdp_hdr_at(ctx, off, sizeof(*th));

	if (!th || th->doff < 5 || off + th->doff * 4 > limit)
		return; /* TC decides: it calls this malformed */
	p->tuple.sport = th->source;
	p->tuple.dport = th->dest;
	p->tcp_flags = ((__u8 *)th)[13];
	p->tcp = true;
}

/**
 * prefilter_parse() - Ethernet, at most one VLAN tag, IPv4 or IPv6: the source address, and
 * for TCP the tuple and flags. false: not a packet this filter judges (pass it to TC).
 */
static __always_inline bool prefilter_parse(struct xdp_md *ctx, struct prefilter_pkt *p)
{
	__u32 len = (__u32)(ctx->data_end - ctx->data);
	struct ethhdr *eth = xdp_hdr_at(ctx, 0, ETH_HLEN);
	__u32 off = ETH_HLEN;
	__u16 proto;

	if (!eth)
		return false;
	proto = eth->h_proto;
	if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD)) {
		struct vlan_hdr *vh = xdp_hdr_at(ctx, off, sizeof(*vh));

		if (!vh)
			return false;
		proto = vh->h_vlan_encapsulated_proto;
		off += sizeof(*vh);
	}

	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = xdp_hdr_at(ctx, off, sizeof(*ip));
		__u32 hlen, tot;

		if (!ip || ip->version != 4 || ip->ihl < 5)
			return false;
		hlen = ip->ihl * 4;
		tot = bpf_ntohs(ip->tot_len);
		if (tot < hlen || tot > len - off)
			return false;
		addr_set_v4(p->tuple.src, ip->saddr);
		addr_set_v4(p->tuple.dst, ip->daddr);
		p->tuple.family = TCFW_AF_INET;
		p->tuple.proto = ip->protocol;
		/* Any fragment (more-fragments or an offset): TC's frag.h decides. */
		if (ip->protocol == IPPROTO_TCP && !(ip->frag_off & bpf_htons(0x3fff)))
			prefilter_tcp(ctx, off + hlen, off + tot, p);
		return true;
	}
	if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = xdp_hdr_at(ctx, off, sizeof(*ip6));
		__u32 limit;

		if (!ip6 || ip6->version != 6)
			return false;
		limit = off + sizeof(*ip6) + bpf_ntohs(ip6->payload_len);
		if (limit > len)
			return false;
		addr_set_v6(p->tuple.src, &ip6->saddr);
		addr_set_v6(p->tuple.dst, &ip6->daddr);
		p->tuple.family = TCFW_AF_INET6;
		p->tuple.proto = ip6->nexthdr;
		/* TCP right after the fixed header only: extension headers are TC's. */
		if (ip6->nexthdr == IPPROTO_TCP)
			prefilter_tcp(ctx, off + sizeof(*ip6), limit, p);
		return true;
	}
	return false;
}

/* Is the source of p in a blocked set of zone (pre_src, policy copy `copy`)? */
static __always_inline bool prefilter_blocked(const struct prefilter_pkt *p, __u8 copy, __u8 zone)
{
	struct tcfw_lpm_key key = {.prefixlen = 32 + 128, .copy = copy};
	__u64 *zones;

	__builtin_memcpy(key.addr, p->tuple.src, sizeof(key.addr));
	zones = bpf_map_lookup_elem(&pre_src, &key);
	return zones && (*zones >> (zone & 63)) & 1;
}

/* Does tuple t belong to a connection, as its orig or reply tuple? What ct_lookup() finds,
 * changing nothing. */
static __always_inline bool prefilter_tracked(const struct tcfw_tuple *t)
{
	struct tcfw_tuple orig;
	int form;

	return ct_entry_of(t, &orig, &form) && (form == CT_FORM_ORIG || form == CT_FORM_REPLY);
}

/* A TCP segment TC would call INVALID for want of a connection, and drop. */
static __always_inline bool prefilter_untracked(const struct prefilter_pkt *p, __u8 copy)
{
	struct tcfw_policy_meta *meta;
	__u32 key = copy;

	if (!p->tcp || !tcp_flags_valid(p->tcp_flags) || tcp_class(p->tcp_flags) == TCP_CLASS_SYN)
		return false;
	meta = bpf_map_lookup_elem(&pol_meta, &key);
	if (!meta || meta->invalid_verdict != TCFW_VERDICT_DROP)
		return false; /* TC would pass it: so does this */
	return !prefilter_tracked(&p->tuple);
}

/**
 * prefilter() - XDP_DROP or XDP_PASS for the frame in ctx (see the top of this file).
 */
static __always_inline int prefilter(struct xdp_md *ctx)
{
	struct prefilter_pkt p = {};
	struct tcfw_prefilter_meta *pm;
	struct tcfw_config *cfg;
	struct tcfw_iface *ifc;
	__u32 zero = 0, ifindex = ctx->ingress_ifindex, key;
	__u8 copy, zone;

	cfg = bpf_map_lookup_elem(&config, &zero);
	ifc = bpf_map_lookup_elem(&ifaces, &ifindex);
	if (!cfg || !ifc)
		return XDP_PASS;
	copy = cfg->policy_active & 1;
	zone = ifc->zone[copy];
	if (zone >= TCFW_MAX_ZONES)
		return XDP_PASS;
	key = copy;
	pm = bpf_map_lookup_elem(&pre_meta, &key);
	if (!pm || !((pm->zones_blocked | pm->zones_untracked) >> zone & 1))
		return XDP_PASS;
	if (!prefilter_parse(ctx, &p))
		return XDP_PASS;

	if ((pm->zones_blocked >> zone & 1) && prefilter_blocked(&p, copy, zone)) {
		stat_inc(TCFW_STAT_PREFILTER_BLOCKED);
		return XDP_DROP;
	}
	if ((pm->zones_untracked >> zone & 1) && prefilter_untracked(&p, copy)) {
		stat_inc(TCFW_STAT_PREFILTER_UNTRACKED);
		return XDP_DROP;
	}
	return XDP_PASS;
}

#endif /* TCFW_BPF_PREFILTER_H */
