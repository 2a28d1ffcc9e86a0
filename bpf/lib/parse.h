/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * parse.h - from an skb to a struct tcfw_pkt: the connection tuple of the packet and what
 * conntrack needs to know about it.
 *
 * Offers parse_packet(): Ethernet with at most one 802.1Q/802.1ad tag, IPv4 (options skipped,
 * ihl and total length checked), IPv6 (hop-by-hop, routing, fragment, destination options and
 * AH extension headers, at most TCFW_IPV6_MAX_EXT of them), TCP (doff checked), UDP, ICMP and
 * ICMPv6, including the header an ICMP error quotes. Every read is bounds-checked against both
 * the linear data and the length the IP header announces; nothing here writes to the packet.
 *
 * Addresses are stored as in the ABI: 16 bytes, IPv4 mapped as ::ffff:a.b.c.d.
 *
 * Not covered, on purpose: checksums are not verified (netfilter checks them at PREROUTING;
 * here the receiving host does, at a per-byte cost this datapath does not pay), and
 * interfaces without an Ethernet header (tun, WireGuard) are not parsed.
 */
#ifndef TCFW_BPF_PARSE_H
#define TCFW_BPF_PARSE_H

#include "lib/kernel.h"
#include "lib/tcp_state.h" /* the TCP flag bits */
#include "lib/tcp_window.h"
#include "tcfw_proto.h"

/* Values from uapi headers that vmlinux.h does not carry (they are macros there). */
#define ETH_HLEN         14
#define ETH_P_IP         0x0800
#define ETH_P_IPV6       0x86DD
#define ETH_P_8021Q      0x8100
#define ETH_P_8021AD     0x88A8
#define IPPROTO_HOPOPTS  0
#define IPPROTO_ROUTING  43
#define IPPROTO_FRAGMENT 44
#define IPPROTO_ICMPV6   TCFW_PROTO_ICMPV6
#define IPPROTO_DSTOPTS  60

#define ICMP_ECHOREPLY      0
#define ICMP_DEST_UNREACH   3
#define ICMP_SOURCE_QUENCH  4
#define ICMP_REDIRECT       5
#define ICMP_ECHO           8
#define ICMP_TIME_EXCEEDED  11
#define ICMP_PARAMETERPROB  12
#define ICMP_TIMESTAMP      13
#define ICMP_TIMESTAMPREPLY 14
#define ICMP_INFO_REQUEST   15
#define ICMP_INFO_REPLY     16
#define ICMP_ADDRESS        17
#define ICMP_ADDRESSREPLY   18

#define ICMPV6_DEST_UNREACH       1
#define ICMPV6_PKT_TOOBIG         2
#define ICMPV6_TIME_EXCEED        3
#define ICMPV6_PARAMPROB          4
#define ICMPV6_ECHO_REQUEST       128
#define ICMPV6_ECHO_REPLY         129
#define ICMPV6_MGM_QUERY          130
#define ICMPV6_MGM_REPORT         131
#define ICMPV6_MGM_REDUCTION      132
#define NDISC_ROUTER_SOLICITATION 133
#define NDISC_REDIRECT            137
#define ICMPV6_NI_QUERY           139
#define ICMPV6_NI_REPLY           140
#define ICMPV6_MLD2_REPORT        143

/* Deepest header byte parsed. Bounds every variable offset for the verifier, and stops
 * extension-header chains: a header that starts beyond it makes the packet malformed. */
#define TCFW_PARSE_MAX_OFF 512
/* How much of a packet whose headers are not all in the linear area gets pulled into it:
 * everything the parser may read. */
#define TCFW_PULL_LEN (TCFW_PARSE_MAX_OFF + 64)
/* More IPv6 extension headers than this: malformed. No legitimate traffic needs that many,
 * and long chains are a known way to hide the transport header from middleboxes (RFC 7112). */
#define TCFW_IPV6_MAX_EXT 8

enum parse_status {
	PARSE_OK = 0,    /* an IP packet: pkt is filled in */
	PARSE_NON_IP,    /* pass untouched (also IPv6 neighbour discovery and MLD, see below) */
	PARSE_MALFORMED, /* truncated or inconsistent: drop */
	PARSE_NEED_PULL, /* a header lies outside the linear data: bpf_skb_pull_data, parse again */
};

/* What conntrack does with the packet. */
enum pkt_kind {
	PKT_FLOW = 0,     /* TCP, UDP, an ICMP request, another protocol: its own tuple */
	PKT_ICMP_REPLY,   /* an ICMP reply: its own tuple, but it never opens a connection */
	PKT_ICMP_ERROR,   /* an ICMP error: related to the connection of the quoted tuple (inner) */
	PKT_ICMP_INVALID, /* ICMP of a type that is never tracked, or an error quoting garbage */
};

enum pkt_frag {
	PKT_FRAG_NONE = 0,
	PKT_FRAG_FIRST, /* offset 0, more fragments follow: carries the L4 header */
	PKT_FRAG_LATER, /* offset > 0: no L4 header; ports come from map "frag" */
};

struct tcfw_pkt {
	struct tcfw_tuple tuple; /* this packet, in its own direction */
	struct tcfw_tuple inner; /* PKT_ICMP_ERROR: the quoted packet's tuple */
	__u32 l3_len;            /* IP packet without link header or padding: what the connection
	                          * counters count (as netfilter does) */
	__u32 frag_id;           /* PKT_FRAG_*: the IP identification */
	__u16 l3_off;            /* the IP header: after Ethernet and any VLAN tag */
	__u16 l4_off;            /* the transport header (after options / extension headers) */
	__u8 kind;               /* enum pkt_kind */
	__u8 frag;               /* enum pkt_frag */
	__u8 tcp_flags;          /* TCP: the flags byte (FIN SYN RST PSH ACK URG ECE CWR) */
	__u8 l2_multicast;       /* destination MAC is broadcast or multicast */
	__u8 icmp_type;          /* ICMP / ICMPv6 request or reply: its type ('proto icmp type') */
	__u8 pad[3];
	struct tcp_seg tcp; /* TCP: what window tracking needs (tcp_window.h) */
};

struct tcfw_ipv6_walk {
	__u32 off; /* in: after the fixed header; out: the transport header */
	__u32 frag_id;
	__u8 nexthdr; /* in: ipv6hdr.nexthdr; out: the transport protocol */
	__u8 frag;    /* enum pkt_frag */
};

struct tcfw_l4_ports {
	__be16 sport;
	__be16 dport;
};

struct tcfw_icmp_head {
	__u8 type;
	__u8 code;
	__u16 csum;
	__be16 id; /* echo and the other query/reply pairs */
	__u16 seq;
};

/**
 * hdr_at() - pointer to len bytes at off in the linear data, or NULL.
 */
static __always_inline void *hdr_at(struct __sk_buff *skb, __u32 off, __u32 len)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;

	/* Calms the verifier: a packet pointer's variable offset must have a known bound. */
	if (off > TCFW_PARSE_MAX_OFF)
		return NULL;
	if (data + off + len > end)
		return NULL;
	return data + off;
}

/**
 * hdr_missing() - why hdr_at(off, len) failed: the packet (as its IP header announces it,
 * limit) is too short, the header is deeper than this parser goes, or the bytes exist but
 * are not in the linear data yet.
 */
static __always_inline int hdr_missing(__u32 off, __u32 len, __u32 limit)
{
	if (off + len > limit || off > TCFW_PARSE_MAX_OFF)
		return PARSE_MALFORMED;
	return PARSE_NEED_PULL;
}

/*
 * Calms the verifier: each path through a header chain adds a different length to the offset,
 * so the verifier sees a different range at the next header and cannot prune the paths (an
 * IPv6 chain of 8 headers of 3 kinds would be 3^8 paths). Masking an offset already known to
 * be <= TCFW_PARSE_MAX_OFF changes nothing at run time but resets the range to [0, 1023] on
 * every path; barrier_var() keeps the compiler from dropping the "useless" mask.
 */
static __always_inline __u32 parse_off_forget(__u32 off)
{
	barrier_var(off);
	return off & 1023;
}

static __always_inline void addr_set_v4(__u32 a[4], __be32 v4)
{
	a[0] = 0;
	a[1] = 0;
	a[2] = bpf_htonl(0xffff);
	a[3] = v4;
}

static __always_inline void addr_set_v6(__u32 a[4], const struct in6_addr *v6)
{
	a[0] = v6->in6_u.u6_addr32[0];
	a[1] = v6->in6_u.u6_addr32[1];
	a[2] = v6->in6_u.u6_addr32[2];
	a[3] = v6->in6_u.u6_addr32[3];
}

static __always_inline bool ipv6_is_ext(__u8 nexthdr)
{
	return nexthdr == IPPROTO_HOPOPTS || nexthdr == IPPROTO_ROUTING ||
	       nexthdr == IPPROTO_DSTOPTS || nexthdr == IPPROTO_AH || nexthdr == IPPROTO_FRAGMENT;
}

/**
 * ipv6_walk_ext() - skip IPv6 extension headers up to the transport header, or up to a
 * fragment header of a non-first fragment (after which there is no transport header).
 * Return PARSE_OK, PARSE_MALFORMED or PARSE_NEED_PULL.
 *
 * A global BPF function: the verifier checks its loop once, on its own, instead of once for
 * every path into it (the walk of an ICMPv6 error's quote would multiply the outer one).
 * Callers skip the call when the first next header is not an extension header.
 */
__noinline int ipv6_walk_ext(struct __sk_buff *skb, struct tcfw_ipv6_walk *w, __u32 limit)
{
	/* Calms the verifier: a global function's pointer argument may be NULL. */
	if (!w)
		return PARSE_MALFORMED;
	for (int i = 0; i <= TCFW_IPV6_MAX_EXT; i++) {
		__u8 nh = w->nexthdr;

		if (!ipv6_is_ext(nh))
			return PARSE_OK;
		if (i == TCFW_IPV6_MAX_EXT)
			return PARSE_MALFORMED;

		if (nh == IPPROTO_FRAGMENT) {
			struct frag_hdr *fh = hdr_at(skb, w->off, sizeof(*fh));
			__u16 fo;

			if (!fh)
				return hdr_missing(w->off, sizeof(*fh), limit);
			fo = bpf_ntohs(fh->frag_off);
			w->nexthdr = fh->nexthdr;
			w->off += sizeof(*fh);
			w->frag_id = bpf_ntohl(fh->identification);
			if (fo & 0xfff8) {
				w->frag = PKT_FRAG_LATER;
				return PARSE_OK;
			}
			/* Offset 0, no "more": an atomic fragment (RFC 6946). */
			if (fo & 1)
				w->frag = PKT_FRAG_FIRST;
			continue;
		}

		struct ipv6_opt_hdr *oh = hdr_at(skb, w->off, sizeof(*oh));

		if (!oh)
			return hdr_missing(w->off, sizeof(*oh), limit);
		w->nexthdr = oh->nexthdr;
		if (nh == IPPROTO_AH)
			w->off += ((__u32)oh->hdrlen + 2) * 4;
		else
			w->off += ((__u32)oh->hdrlen + 1) * 8;
		if (w->off > limit || w->off > TCFW_PARSE_MAX_OFF)
			return PARSE_MALFORMED;
		w->off = parse_off_forget(w->off);
	}
	return PARSE_MALFORMED;
}

/* ---- ICMP classification ------------------------------------------------------------------- */
enum icmp_class {
	ICMP_CLASS_REQUEST, /* opens a connection keyed (id, 0) */
	ICMP_CLASS_REPLY,   /* answers one: keyed (0, id) */
	ICMP_CLASS_ERROR,   /* quotes the packet that caused it */
	ICMP_CLASS_LINK,    /* IPv6 neighbour discovery / MLD: not tracked at all */
	ICMP_CLASS_OTHER,   /* never tracked: invalid, as in netfilter */
};

/*
 * The query/reply pairs netfilter tracks: echo, plus for IPv4 timestamp, information and
 * address mask (obsolete, but netfilter knows them), for IPv6 node information. A request
 * and a reply of different pairs with the same id share a key; netfilter keys the type too.
 */
static __always_inline int icmp4_class(__u8 type)
{
	switch (type) {
	case ICMP_ECHO:
	case ICMP_TIMESTAMP:
	case ICMP_INFO_REQUEST:
	case ICMP_ADDRESS:
		return ICMP_CLASS_REQUEST;
	case ICMP_ECHOREPLY:
	case ICMP_TIMESTAMPREPLY:
	case ICMP_INFO_REPLY:
	case ICMP_ADDRESSREPLY:
		return ICMP_CLASS_REPLY;
	case ICMP_DEST_UNREACH:
	case ICMP_SOURCE_QUENCH:
	case ICMP_REDIRECT:
	case ICMP_TIME_EXCEEDED:
	case ICMP_PARAMETERPROB:
		return ICMP_CLASS_ERROR;
	default:
		return ICMP_CLASS_OTHER;
	}
}

static __always_inline int icmp6_class(__u8 type)
{
	switch (type) {
	case ICMPV6_ECHO_REQUEST:
	case ICMPV6_NI_QUERY:
		return ICMP_CLASS_REQUEST;
	case ICMPV6_ECHO_REPLY:
	case ICMPV6_NI_REPLY:
		return ICMP_CLASS_REPLY;
	case ICMPV6_DEST_UNREACH:
	case ICMPV6_PKT_TOOBIG:
	case ICMPV6_TIME_EXCEED:
	case ICMPV6_PARAMPROB:
		return ICMP_CLASS_ERROR;
	case ICMPV6_MGM_QUERY:
	case ICMPV6_MGM_REPORT:
	case ICMPV6_MGM_REDUCTION:
	case NDISC_ROUTER_SOLICITATION ... NDISC_REDIRECT:
	case ICMPV6_MLD2_REPORT:
		return ICMP_CLASS_LINK;
	default:
		return ICMP_CLASS_OTHER;
	}
}

static __always_inline int icmp_class(__u8 proto, __u8 type)
{
	return proto == IPPROTO_ICMP ? icmp4_class(type) : icmp6_class(type);
}

/* ICMP ids go where ports go, so that a reply's tuple is the swapped request tuple. */
static __always_inline void icmp_set_ports(struct tcfw_tuple *t, int cls, __be16 id)
{
	t->sport = cls == ICMP_CLASS_REQUEST ? id : 0;
	t->dport = cls == ICMP_CLASS_REPLY ? id : 0;
}

/* ---- the packet an ICMP error quotes ------------------------------------------------------ */
/* A quote that is cut short names no connection (PARSE_OK, kind stays PKT_ICMP_INVALID);
 * one that is only outside the linear data needs a pull. */
static __always_inline int quote_missing(__u32 off, __u32 len, __u32 limit)
{
	return hdr_missing(off, len, limit) == PARSE_NEED_PULL ? PARSE_NEED_PULL : PARSE_OK;
}

/**
 * parse_quoted() - fill pkt->inner from the IP header an ICMP error quotes at off, and the
 * first 8 bytes of its transport header (all RFC 792 promises). Returns PARSE_OK with
 * pkt->kind PKT_ICMP_ERROR, or PARSE_OK with PKT_ICMP_INVALID when the quote cannot name a
 * connection (truncated, wrong family, a non-first fragment, an error about an error), or
 * PARSE_NEED_PULL.
 */
static __always_inline int parse_quoted(struct __sk_buff *skb, __u32 off, __u32 limit,
                                        struct tcfw_pkt *pkt)
{
	struct tcfw_tuple *in = &pkt->inner;
	__u32 l4_off;
	__u8 proto;

	pkt->kind = PKT_ICMP_INVALID;
	__builtin_memset(in, 0, sizeof(*in));
	in->family = pkt->tuple.family;

	if (in->family == TCFW_AF_INET) {
		struct iphdr *ip = hdr_at(skb, off, sizeof(*ip));
		__u8 vihl;

		if (!ip)
			return quote_missing(off, sizeof(*ip), limit);
		vihl = *(__u8 *)ip;
		if ((vihl >> 4) != 4 || (vihl & 0xf) < 5)
			return PARSE_OK;
		if (bpf_ntohs(ip->frag_off) & 0x1fff)
			return PARSE_OK;
		addr_set_v4(in->src, ip->saddr);
		addr_set_v4(in->dst, ip->daddr);
		proto = ip->protocol;
		l4_off = off + (vihl & 0xf) * 4;
	} else {
		struct ipv6hdr *ip6 = hdr_at(skb, off, sizeof(*ip6));
		struct tcfw_ipv6_walk w = {};
		int ret;

		if (!ip6)
			return quote_missing(off, sizeof(*ip6), limit);
		if ((*(__u8 *)ip6 >> 4) != 6)
			return PARSE_OK;
		addr_set_v6(in->src, &ip6->saddr);
		addr_set_v6(in->dst, &ip6->daddr);
		w.off = off + sizeof(*ip6);
		w.nexthdr = ip6->nexthdr;
		if (ipv6_is_ext(w.nexthdr)) {
			ret = ipv6_walk_ext(skb, &w, limit);
			if (ret == PARSE_NEED_PULL)
				return ret;
			if (ret != PARSE_OK || w.frag == PKT_FRAG_LATER)
				return PARSE_OK;
		}
		proto = w.nexthdr;
		l4_off = w.off;
	}
	in->proto = proto;

	if (tcfw_proto_has_ports(proto)) {
		struct tcfw_l4_ports *p = hdr_at(skb, l4_off, sizeof(*p));

		if (!p)
			return quote_missing(l4_off, sizeof(*p), limit);
		in->sport = p->sport;
		in->dport = p->dport;
	} else if ((proto == IPPROTO_ICMP && in->family == TCFW_AF_INET) ||
	           (proto == IPPROTO_ICMPV6 && in->family == TCFW_AF_INET6)) {
		struct tcfw_icmp_head *ih = hdr_at(skb, l4_off, sizeof(*ih));
		int cls;

		if (!ih)
			return quote_missing(l4_off, sizeof(*ih), limit);
		cls = icmp_class(proto, ih->type);
		/* Only queries and replies have connections; an error about an error is not
		 * related to anything (netfilter does the same). */
		if (cls != ICMP_CLASS_REQUEST && cls != ICMP_CLASS_REPLY)
			return PARSE_OK;
		icmp_set_ports(in, cls, ih->id);
	}
	pkt->kind = PKT_ICMP_ERROR;
	return PARSE_OK;
}

/* ---- transport header ---------------------------------------------------------------------- */
#define TCPOPT_EOL       0
#define TCPOPT_NOP       1
#define TCPOPT_WINDOW    3
#define TCPOLEN_WINDOW   3
#define TCP_MAX_OPTS_LEN 40

/**
 * tcp_opt_wscale() - the shift of the window scale option among the TCP options from off to
 * end (a SYN's), or TCPW_WSCALE_NONE. Stops at the end-of-options kind and at a malformed
 * option, as the kernel's tcp_parse_options() does.
 *
 * A global BPF function: only SYNs pay for the walk, and the verifier checks its loop once.
 */
__noinline int tcp_opt_wscale(struct __sk_buff *skb, __u32 off, __u32 end)
{
	/* Each option is at least one byte: 40 steps walk the longest option space. */
	for (int n = 0; n < TCP_MAX_OPTS_LEN; n++) {
		__u8 *p, kind, len;

		if (off >= end || off > TCFW_PARSE_MAX_OFF)
			break;
		p = hdr_at(skb, off, 1);
		if (!p)
			break;
		kind = p[0];
		if (kind == TCPOPT_EOL)
			break;
		if (kind == TCPOPT_NOP) {
			off = parse_off_forget(off + 1);
			continue;
		}
		p = hdr_at(skb, off, 2);
		if (!p)
			break;
		len = p[1];
		if (len < 2 || off + len > end)
			break;
		if (kind == TCPOPT_WINDOW && len == TCPOLEN_WINDOW) {
			p = hdr_at(skb, off, TCPOLEN_WINDOW);
			return p ? p[2] : TCPW_WSCALE_NONE;
		}
		off = parse_off_forget(off + len);
	}
	return TCPW_WSCALE_NONE;
}

/*
 * The segment's sequence space for window tracking. Its length comes from the IP length
 * (limit), not skb->len, so Ethernet padding does not count; for a GRO/GSO super-packet the IP
 * length covers every segment in it (IPv4 tot_len and IPv6 payload_len are the full length,
 * and parse_ipv4/6 take skb->len when BIG TCP leaves them 0), so end is the last segment's.
 */
static __always_inline void parse_tcp_seg(struct __sk_buff *skb, const struct tcphdr *th, __u32 off,
                                          __u32 doff, __u32 limit, struct tcfw_pkt *pkt)
{
	struct tcp_seg *s = &pkt->tcp;
	__u8 flags = ((__u8 *)th)[13];

	s->seq = bpf_ntohl(th->seq);
	s->ack = (flags & TCP_FLAG_ACK) ? bpf_ntohl(th->ack_seq) : 0;
	s->win = bpf_ntohs(th->window);
	s->flags = flags;
	s->end =
	    s->seq + (limit - off - doff) + !!(flags & TCP_FLAG_SYN) + !!(flags & TCP_FLAG_FIN);
	s->partial = pkt->frag == PKT_FRAG_FIRST;
	s->wscale = TCPW_WSCALE_NONE;
	if ((flags & TCP_FLAG_SYN) && doff > sizeof(*th))
		s->wscale = tcp_opt_wscale(skb, off + sizeof(*th), off + doff);
}

/**
 * parse_l4() - ports, TCP flags and the ICMP kind of the transport header at off; limit is
 * the end of the IP packet. A non-first fragment has no transport header: ports stay 0 until
 * the "frag" map supplies them.
 */
static __always_inline int parse_l4(struct __sk_buff *skb, __u32 off, __u32 limit,
                                    struct tcfw_pkt *pkt)
{
	__u8 proto = pkt->tuple.proto;

	pkt->kind = PKT_FLOW;
	if (pkt->frag == PKT_FRAG_LATER)
		return PARSE_OK;

	if (proto == IPPROTO_TCP) {
		struct tcphdr *th = hdr_at(skb, off, sizeof(*th));
		__u32 doff;

		if (!th)
			return hdr_missing(off, sizeof(*th), limit);
		doff = (((__u8 *)th)[12] >> 4) * 4;
		if (doff < sizeof(*th) || off + doff > limit)
			return PARSE_MALFORMED;
		pkt->tuple.sport = th->source;
		pkt->tuple.dport = th->dest;
		pkt->tcp_flags = ((__u8 *)th)[13];
		parse_tcp_seg(skb, th, off, doff, limit, pkt);
		return PARSE_OK;
	}
	if (proto == IPPROTO_UDP) {
		struct udphdr *uh = hdr_at(skb, off, sizeof(*uh));

		if (!uh)
			return hdr_missing(off, sizeof(*uh), limit);
		/* Only a lower bound: UDP GSO and first fragments carry a length that is larger
		 * than what this skb holds. */
		if (bpf_ntohs(uh->len) < sizeof(*uh))
			return PARSE_MALFORMED;
		pkt->tuple.sport = uh->source;
		pkt->tuple.dport = uh->dest;
		return PARSE_OK;
	}
	if ((proto == IPPROTO_ICMP && pkt->tuple.family == TCFW_AF_INET) ||
	    (proto == IPPROTO_ICMPV6 && pkt->tuple.family == TCFW_AF_INET6)) {
		struct tcfw_icmp_head *ih = hdr_at(skb, off, sizeof(*ih));
		int cls;

		if (!ih)
			return hdr_missing(off, sizeof(*ih), limit);
		cls = icmp_class(proto, ih->type);
		switch (cls) {
		case ICMP_CLASS_REQUEST:
		case ICMP_CLASS_REPLY:
			pkt->icmp_type = ih->type;
			icmp_set_ports(&pkt->tuple, cls, ih->id);
			pkt->kind = cls == ICMP_CLASS_REPLY ? PKT_ICMP_REPLY : PKT_FLOW;
			return PARSE_OK;
		case ICMP_CLASS_ERROR:
			return parse_quoted(skb, off + sizeof(*ih), limit, pkt);
		case ICMP_CLASS_LINK:
			return PARSE_NON_IP;
		default:
			pkt->kind = PKT_ICMP_INVALID;
			return PARSE_OK;
		}
	}
	/* Any other protocol is tracked by its addresses alone. */
	return PARSE_OK;
}

/* ---- network header -------------------------------------------------------------------------- */
static __always_inline int parse_ipv4(struct __sk_buff *skb, __u32 off, struct tcfw_pkt *pkt)
{
	struct iphdr *ip = hdr_at(skb, off, sizeof(*ip));
	__u32 hlen, tot;
	__u16 fo;
	__u8 vihl;

	if (!ip)
		return hdr_missing(off, sizeof(*ip), skb->len);
	vihl = *(__u8 *)ip;
	hlen = (vihl & 0xf) * 4;
	if ((vihl >> 4) != 4 || hlen < sizeof(*ip))
		return PARSE_MALFORMED;
	tot = bpf_ntohs(ip->tot_len);
	/* BIG TCP: a GSO packet over 64 KiB carries tot_len 0. */
	if (tot == 0 && skb->gso_size)
		tot = skb->len - off;
	if (tot < hlen || tot > skb->len - off)
		return PARSE_MALFORMED;

	pkt->tuple.family = TCFW_AF_INET;
	pkt->tuple.proto = ip->protocol;
	addr_set_v4(pkt->tuple.src, ip->saddr);
	addr_set_v4(pkt->tuple.dst, ip->daddr);
	pkt->l3_len = tot;

	fo = bpf_ntohs(ip->frag_off);
	if (fo & 0x1fff)
		pkt->frag = PKT_FRAG_LATER;
	else if (fo & 0x2000)
		pkt->frag = PKT_FRAG_FIRST;
	pkt->frag_id = bpf_ntohs(ip->id);
	pkt->l3_off = off;
	pkt->l4_off = off + hlen;

	return parse_l4(skb, off + hlen, off + tot, pkt);
}

static __always_inline int parse_ipv6(struct __sk_buff *skb, __u32 off, struct tcfw_pkt *pkt)
{
	struct ipv6hdr *ip6 = hdr_at(skb, off, sizeof(*ip6));
	struct tcfw_ipv6_walk w = {};
	__u32 limit;
	int ret;

	if (!ip6)
		return hdr_missing(off, sizeof(*ip6), skb->len);
	if ((*(__u8 *)ip6 >> 4) != 6)
		return PARSE_MALFORMED;
	limit = off + sizeof(*ip6) + bpf_ntohs(ip6->payload_len);
	/* BIG TCP: a GSO packet over 64 KiB carries payload_len 0 (and no jumbo option). */
	if (ip6->payload_len == 0 && skb->gso_size)
		limit = skb->len;
	if (limit > skb->len)
		return PARSE_MALFORMED;

	pkt->tuple.family = TCFW_AF_INET6;
	addr_set_v6(pkt->tuple.src, &ip6->saddr);
	addr_set_v6(pkt->tuple.dst, &ip6->daddr);
	pkt->l3_len = limit - off;

	w.off = off + sizeof(*ip6);
	w.nexthdr = ip6->nexthdr;
	if (ipv6_is_ext(w.nexthdr)) {
		ret = ipv6_walk_ext(skb, &w, limit);
		if (ret != PARSE_OK)
			return ret;
	}
	pkt->tuple.proto = w.nexthdr;
	pkt->frag = w.frag;
	pkt->frag_id = w.frag_id;
	pkt->l3_off = off;
	pkt->l4_off = w.off;

	return parse_l4(skb, w.off, limit, pkt);
}

/**
 * parse_packet() - parse the linear data of skb into pkt. Returns enum parse_status.
 *
 * A global BPF function: not inlined, so the retry after bpf_skb_pull_data() does not
 * duplicate its code, and verified once on its own rather than once per call.
 */
__noinline int parse_packet(struct __sk_buff *skb, struct tcfw_pkt *pkt)
{
	struct ethhdr *eth;
	__u32 off = ETH_HLEN;
	__be16 proto;

	/* Calms the verifier: a global function's pointer argument may be NULL. */
	if (!pkt)
		return PARSE_MALFORMED;
	__builtin_memset(pkt, 0, sizeof(*pkt));
	eth = hdr_at(skb, 0, ETH_HLEN);
	if (!eth)
		return hdr_missing(0, ETH_HLEN, skb->len);
	pkt->l2_multicast = eth->h_dest[0] & 1;
	proto = eth->h_proto;
	if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD)) {
		struct vlan_hdr *vh = hdr_at(skb, off, sizeof(*vh));

		if (!vh)
			return hdr_missing(off, sizeof(*vh), skb->len);
		proto = vh->h_vlan_encapsulated_proto;
		off += sizeof(*vh);
	}
	if (proto == bpf_htons(ETH_P_IP))
		return parse_ipv4(skb, off, pkt);
	if (proto == bpf_htons(ETH_P_IPV6))
		return parse_ipv6(skb, off, pkt);
	return PARSE_NON_IP;
}

/**
 * parse() - parse_packet(), pulling the headers into the linear data once if they are not
 * there (GSO and some drivers leave only part of them linear). Returns enum parse_status,
 * never PARSE_NEED_PULL.
 */
static __always_inline int parse(struct __sk_buff *skb, struct tcfw_pkt *pkt)
{
	int ret = parse_packet(skb, pkt);
	__u32 want;

	if (ret != PARSE_NEED_PULL)
		return ret;
	want = skb->len < TCFW_PULL_LEN ? skb->len : TCFW_PULL_LEN;
	if (bpf_skb_pull_data(skb, want))
		return PARSE_MALFORMED;
	ret = parse_packet(skb, pkt);
	/* Still not linear after the pull: the headers lie beyond TCFW_PULL_LEN. */
	return ret == PARSE_NEED_PULL ? PARSE_MALFORMED : ret;
}

#endif /* TCFW_BPF_PARSE_H */
