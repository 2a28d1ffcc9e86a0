/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * nat.h - NAT for IPv4: masquerade, SNAT, DNAT (port forwarding) and hairpin (NAT loopback).
 *
 * Offers nat_plan() and nat_create() for a new connection, nat_established() for its later
 * packets at ingress and at egress, and nat_egress_forwarded() for the egress program.
 *
 * Where each rewrite happens (netfilter's rule: destinations before routing, sources after):
 *   ingress ("prerouting"): destinations. DNAT of the orig direction, and the reply direction's
 *       destination back to the client (the reverse of SNAT);
 *   egress ("postrouting"): sources. SNAT/masquerade of the orig direction, and the reply
 *       direction's source back to the address the client talked to (the reverse of DNAT).
 * A source is never rewritten at ingress: the kernel drops a packet that arrives with one of
 * its own addresses as source (a martian), and masquerade's address is the gateway's own; a
 * port forward's replies likewise get the gateway's public address as source.
 *
 * The decision is made once, when the connection is created at ingress (nat_plan, then
 * nat_create): the dnat chain first (input zone and matches; also, for hairpin, a connection
 * from another zone addressed to an address of an interface of the rule's zone), then routing
 * and the filter chain see the translated destination (a port forward needs a matching
 * `forward accept`), then the snat chain (output zone from bpf_fib_lookup on the translated
 * destination) picks masquerade or snat. A hairpin connection that no snat rule matches is
 * masqueraded behind the output interface's address, so that the server's replies come back
 * through the gateway (policy-language.md, "NAT loopback"). The connection's reply tuple is the
 * translated one (nat_alloc.h makes it unique), and every later packet is translated from
 * the orig and reply tuples alone: nothing per packet is decided again.
 *
 * Ingress tells egress what to do. The egress program sees a forwarded packet after routing,
 * and must not pay for NAT when there is nothing to translate (issue 6). So ingress, which
 * has just found the connection, leaves a hint in the packet: it writes skb->tc_classid,
 * which the kernel copies into skb->tc_index when a clsact program returns TC_ACT_OK
 * (net/core/dev.c, tc_run), and tc_index stays with the skb through forwarding to egress.
 * tc_index has had no other user since the dsmark and tcindex schedulers were removed
 * (Linux 6.3). A forwarded packet without the hint leaves egress after one load. The hint
 * names the lookup that finds the connection again, see enum nat_hint.
 *
 * Hairpin, and any connection with both DNAT and SNAT, is seen at egress in neither of its
 * keyed forms (ingress rewrote the destination, egress has the source still to do): map
 * "nat_alias" keys it by that middle form (maps.h). The other design, translating both ends
 * at ingress and sending the packet out with bpf_redirect_neigh(), was rejected: it bypasses
 * the kernel's forwarding path, so TTL, the MTU check with its ICMP "fragmentation needed"
 * (path-MTU discovery through the gateway), and netfilter's own hooks would all be skipped.
 *
 * IPv6 connections are never translated (no NAT66): a nat rule's target decides its family,
 * and an IPv6 connection only passes through the chains' classification as untranslated.
 */
#ifndef TCFW_BPF_NAT_H
#define TCFW_BPF_NAT_H

#include "lib/kernel.h"
#include "lib/chain.h"
#include "lib/classify.h"
#include "lib/conntrack.h"
#include "lib/csum.h"
#include "lib/frag.h"
#include "lib/maps.h"
#include "lib/nat_alloc.h"
#include "lib/nat_rewrite.h"
#include "lib/parse.h"
#include "lib/stats.h"

/*
 * What ingress leaves for egress in skb->tc_index (see the top of this file). NAT_HINT_MAGIC
 * in the high byte tells our hints from any other value the field might carry.
 */
enum nat_hint {
	NAT_HINT_SNAT = 1 << 0,   /* orig direction, source to translate: key "ct" */
	NAT_HINT_UNDNAT = 1 << 1, /* reply direction, source back to the public address:
	                           * key "ct_reply" */
	NAT_HINT_ALIAS = 1 << 2,  /* the connection has DNAT and SNAT: key "nat_alias" */
	NAT_HINT_ICMP = 1 << 3,   /* an ICMP error whose outer source is to translate */
	NAT_HINT_ORPHAN = 1 << 4, /* a later fragment whose first fragment was not seen */
	NAT_HINT_ALL = 0x1f,
	NAT_HINT_MAGIC = 0x7a00,
	NAT_HINT_MAGIC_MASK = 0xff00,
};

/*
 * bpf_prog_test_run cannot set skb->tc_index, so the datapath tests (tests/datapath/dp_nat*)
 * set this before loading: egress then finds the work of every forwarded packet by lookups
 * (the hint's bits all set) instead of reading the hint. fwd leaves it 0: the hint decides,
 * and a forwarded packet without one costs nothing.
 */
const volatile __u32 nat_egress_ignore_hint = 0;

/*
 * Per-CPU working memory of NAT, kept off the 512-byte BPF stack that the programs share with
 * every function they call (classify() alone takes 224 bytes of it). Programs are not
 * re-entered on a CPU, and nothing here outlives one program run. The connection entry being
 * created lives in conntrack.h's ct_new.
 */
struct nat_scratch {
	struct tcfw_pkt view;     /* ingress, new connection: its first packet as routing, the
	                           * filter chain and the snat chain see it (after DNAT);
	                           * egress: the packet being translated */
	struct classify_query q;  /* for the dnat and snat chains */
	struct tcfw_tuple middle; /* a connection's key in nat_alias */
	struct tcfw_tuple other;  /* what another alias entry points to */
	struct tcfw_tuple orig;   /* egress: the connection's orig tuple */
	struct chain_info ci;     /* the dnat chain's zones */
	__u32 dir;                /* egress: the packet's direction in it */
	__u32 dnat;               /* view has a DNAT applied */
	__u32 hairpin;            /* ... by the NAT loopback of another zone's rule */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nat_scratch);
} nat_scratch SEC(".maps");

static __always_inline struct nat_scratch *nat_scratch_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&nat_scratch, &zero);
}

static __always_inline bool nat_is_v4_mapped(const __u32 a[4])
{
	return a[0] == 0 && a[1] == 0 && a[2] == bpf_htonl(0xffff);
}

static __always_inline bool nat_has_ports(__u8 proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_ICMP;
}

/* Rule at position pos of NAT chain `chain` in copy `copy`, its hit counted (per-CPU
 * "pol_hits", which fwctl policy show prints); NULL (counted TCFW_STAT_POLICY_INCOMPLETE)
 * when the map entry is missing. */
static __always_inline struct tcfw_rule *nat_rule_at(__u32 copy, __u32 chain, __u32 pos)
{
	__u32 slot = TCFW_RULE_INDEX(copy & 1, chain, pos & (TCFW_POLICY_MAX_RULES - 1));
	struct tcfw_rule *rule = bpf_map_lookup_elem(&pol_rules, &slot);
	__u64 *hits;

	if (!rule) {
		stat_inc(TCFW_STAT_POLICY_INCOMPLETE);
		return NULL;
	}
	hits = bpf_map_lookup_elem(&pol_hits, &slot);
	if (hits)
		*hits += 1;
	return rule;
}

/* The address masquerade gives connections leaving by ifindex (0: it has none). */
static __always_inline __be32 nat_masq_addr(__u32 ifindex)
{
	struct tcfw_iface *ifc = bpf_map_lookup_elem(&ifaces, &ifindex);

	return ifc ? ifc->masq_addr4 : 0;
}

/* Set the hint for egress (see enum nat_hint); 0 leaves the packet without one. */
static __always_inline void nat_set_hint(struct __sk_buff *skb, __u32 bits)
{
	if (bits)
		skb->tc_classid = NAT_HINT_MAGIC | bits;
}

/* ---- the decision for a new connection ------------------------------------------------------ */
/*
 * The zone whose dnat rules also serve a connection addressed to one of the gateway's own
 * addresses (hairpin): the zone of the interface that owns the address, when that is not the
 * zone the connection came from (which was tried first). TCFW_ZONE_NONE when there is none.
 */
static __always_inline __u8 nat_loopback_zone(const struct tcfw_tuple *t, __u8 in_zone, __u32 copy)
{
	__u32 *owner = bpf_map_lookup_elem(&local_addrs, t->dst);
	__u8 zone;

	if (!owner)
		return TCFW_ZONE_NONE;
	zone = zone_of(*owner, copy);
	return zone == in_zone ? TCFW_ZONE_NONE : zone;
}

/**
 * nat_apply_dnat() - the target of dnat rule pos applied to s->view (its destination, and its
 * port when the rule has one and the protocol ports). 1 when applied.
 */
static __always_inline int nat_apply_dnat(struct nat_scratch *s, __u32 copy, __u32 pos)
{
	struct tcfw_rule *rule = nat_rule_at(copy, TCFW_CHAIN_DNAT, pos);
	__u8 proto = s->view.tuple.proto;

	if (!rule || rule->verdict != TCFW_NAT_DNAT || !nat_is_v4_mapped(rule->nat_addr_lo))
		return 0;
	s->view.tuple.dst[3] = rule->nat_addr_lo[3];
	if (rule->nat_port_lo && (proto == IPPROTO_TCP || proto == IPPROTO_UDP))
		s->view.tuple.dport = bpf_htons(rule->nat_port_lo);
	s->dnat = 1;
	return 1;
}

/**
 * nat_classify() - the first rule of NAT chain `chain` matching s->view, with zones from ci
 * (dnat: the input zone only, before routing). The rule position, or a negative
 * CLASSIFY_* result. The query lives in the scratch.
 *
 * A global BPF function with a frame of a few bytes: classify() needs 224 of the 512 bytes of
 * stack a program and its calls share, and the ingress program's frame takes most of the
 * rest.
 */
__noinline int nat_classify(struct nat_scratch *s, const struct chain_info *ci, __u32 copy,
                            __u32 chain, __u32 nwords)
{
	if (!s || !ci)
		return CLASSIFY_INCOMPLETE; /* calms the verifier: global function arguments may be
		                             * NULL */
	classify_query_init(&s->q, copy, chain, nwords, ci, &s->view.tuple);
	return classify(&s->q);
}

/**
 * nat_dnat() - the dnat chain for s->view, arrived in zone ci->in_zone: applied to s->view
 * when a rule matches (s->dnat, s->hairpin set).
 *
 * First with the zone the packet arrived in; when nothing matches and the destination is an
 * address of the gateway, again with the zone of the interface owning that address: a dnat
 * rule also serves connections from other zones to its own zone's addresses (hairpin).
 */
static __always_inline void nat_dnat(struct nat_scratch *s, struct chain_info *ci, __u32 copy,
                                     __u32 nwords)
{
	__u8 zone;
	int pos;

	pos = nat_classify(s, ci, copy, TCFW_CHAIN_DNAT, nwords);
	if (pos < 0 && pos != CLASSIFY_INCOMPLETE) {
		zone = nat_loopback_zone(&s->view.tuple, ci->in_zone, copy);
		if (zone == TCFW_ZONE_NONE)
			return;
		ci->in_zone = zone;
		pos = nat_classify(s, ci, copy, TCFW_CHAIN_DNAT, nwords);
		s->hairpin = pos >= 0;
	}
	if (pos >= 0 && !nat_apply_dnat(s, copy, (__u32)pos))
		s->hairpin = 0;
}

/**
 * nat_plan() - start the NAT decision for a new connection at ingress: NULL when there is
 * nothing to decide (no nat rules in the live policy, or not IPv4), else the scratch whose view
 * is the first packet as the rest of the decision sees it: after the dnat chain. The caller
 * routes and filters s->view, then calls nat_open().
 */
static __always_inline struct nat_scratch *nat_plan(struct __sk_buff *skb,
                                                    const struct tcfw_pkt *pkt,
                                                    const struct tcfw_policy_meta *meta, __u32 copy)
{
	struct nat_scratch *s;
	__u32 nwords;

	if (!meta || pkt->tuple.family != TCFW_AF_INET)
		return NULL;
	nwords = meta->nwords[TCFW_CHAIN_DNAT];
	if (!nwords && !meta->nwords[TCFW_CHAIN_SNAT])
		return NULL;
	s = nat_scratch_get();
	if (!s)
		return NULL;
	__builtin_memcpy(&s->view, pkt, sizeof(s->view));
	s->dnat = 0;
	s->hairpin = 0;
	if (nwords) {
		/* Before routing: no output zone, and dnat rules never name one. */
		s->ci.in_zone = zone_of(skb->ifindex, copy);
		s->ci.out_zone = TCFW_ZONE_NONE;
		nat_dnat(s, &s->ci, copy, nwords);
	}
	return s;
}

/* nat_create() arguments packed in one (BPF functions take five at most): the policy copy
 * and the position of the matching snat rule (-1: none). */
#define NAT_CREATE_ARG(copy, pos) (((__u32)(copy)&1) | ((__u32)((pos) + 1) << 1))

/* nat_create() result: no translation applies after all, create as usual. */
#define NAT_CREATE_PLAIN (-2)

/* Remember a first fragment's ports under the destination it has after ingress rewrote it:
 * egress finds the later fragments' connection with them. */
static __always_inline void nat_frag_remember_as(const struct tcfw_pkt *pkt, __be32 dst,
                                                 __be16 dport)
{
	struct frag_key k;
	struct frag_ports p = {.sport = pkt->tuple.sport, .dport = dport};

	frag_key_of(&k, pkt);
	k.dst[3] = dst;
	bpf_map_update_elem(&frag, &k, &p, BPF_ANY);
}

/* Undo a connection nat_create() stored, when its first packet cannot be sent after all. */
static __always_inline void nat_create_undo(const struct tcfw_tuple *orig)
{
	struct tcfw_ct_entry *live = bpf_map_lookup_elem(&ct, orig);

	if (live)
		ct_forget(orig, live);
}

/**
 * nat_create() - finish the NAT decision for the first packet pkt (the scratch's view holds
 * it after DNAT, routing gave ci; arg = NAT_CREATE_ARG(copy, position of the matching snat
 * rule)) and store its connection: the reply tuple made unique (nat_alloc.h), the entry, for
 * DNAT+SNAT the alias. Then translate the packet's destination (DNAT: ingress is the place)
 * and leave the egress hint for its source. Returns enum ct_create_result, NAT_CREATE_PLAIN
 * when no translation applies, or -1 when the connection is refused for NAT's sake (no free
 * port, no masquerade address; counted in TCFW_STAT_NAT_PORT_EXHAUSTED).
 *
 * Source translation is for the forward chain only: the gateway's own connections keep the
 * source its stack chose. A hairpin connection no snat rule matches is masqueraded behind its
 * output interface, so the server's replies come back through the gateway.
 *
 * A global BPF function: its stack and the verifier's work are its own.
 */
__noinline int nat_create(struct __sk_buff *skb, const struct tcfw_pkt *pkt,
                          const struct chain_info *ci, const struct ct_origin *o, __u32 arg)
{
	struct nat_rewrite rw = {};
	struct tcfw_ct_entry *n;
	struct nat_scratch *s;
	struct tcfw_rule *rule = NULL;
	struct tcfw_tuple *r;
	__u32 copy = arg & 1, port_lo, port_hi;
	int pos = (int)(arg >> 1) - 1, err;
	__be32 snat = 0;
	bool masq = false;
	__u8 kind;

	if (!pkt || !ci || !o)
		return CT_CREATE_FAILED; /* calms the verifier: global function arguments may be
		                          * NULL */
	s = nat_scratch_get();
	if (!s)
		return NAT_CREATE_PLAIN;

	nat_port_range(bpf_ntohs(s->view.tuple.sport), &port_lo, &port_hi);
	if (ci->chain == TCFW_CHAIN_FORWARD) {
		if (pos >= 0)
			rule = nat_rule_at(copy, TCFW_CHAIN_SNAT, (__u32)pos);
		if (rule && rule->verdict == TCFW_NAT_SNAT) {
			masq = rule->nat_flags & TCFW_NATF_MASQ;
			if (!masq && nat_is_v4_mapped(rule->nat_addr_lo) &&
			    nat_is_v4_mapped(rule->nat_addr_hi)) {
				snat = nat_snat_addr(rule->nat_addr_lo[3], rule->nat_addr_hi[3],
				                     s->view.tuple.src[3], s->view.tuple.dst[3]);
				if (rule->nat_port_lo) {
					port_lo = rule->nat_port_lo;
					port_hi = rule->nat_port_hi > port_lo ? rule->nat_port_hi
					                                      : port_lo;
				}
			}
		} else if (s->hairpin) {
			masq = true;
		}
		if (masq) {
			snat = nat_masq_addr(ci->ifindex_out);
			if (!snat) {
				/* Masquerade behind an interface without IPv4 address. */
				stat_inc(TCFW_STAT_NAT_PORT_EXHAUSTED);
				return -1;
			}
		}
	}
	kind = (s->dnat ? TCFW_NAT_DNAT : 0) | (snat ? TCFW_NAT_SNAT : 0);
	if (!kind)
		return NAT_CREATE_PLAIN;

	n = ct_new_entry();
	if (!n)
		return CT_CREATE_FAILED;
	ct_entry_init(n, pkt, o);
	n->nat_kind = kind;
	r = &n->reply;
	tuple_reverse(r, &s->view.tuple);
	if (snat)
		r->dst[3] = snat;

	err = nat_reserve_reply(r, &pkt->tuple, port_lo, port_hi,
	                        snat && nat_has_ports(pkt->tuple.proto));
	if (err == NAT_ALLOC_EXHAUSTED)
		return -1;
	if (err) {
		stat_inc(TCFW_STAT_CT_INSERT_FAILED);
		return CT_CREATE_FAILED;
	}
	/* What the entry names as the translation: the source's for SNAT, else the destination. */
	__builtin_memcpy(n->nat_addr, snat ? r->dst : r->src, sizeof(n->nat_addr));
	n->nat_port = snat ? r->dport : r->sport;

	err = bpf_map_update_elem(&ct, &pkt->tuple, n, BPF_NOEXIST);
	if (err) {
		bpf_map_delete_elem(&ct_reply, r);
		if (err == -EEXIST)
			return CT_CREATE_RACED; /* another CPU created it: track as existing */
		stat_inc(TCFW_STAT_CT_INSERT_FAILED);
		return CT_CREATE_FAILED;
	}

	if (kind == (TCFW_NAT_DNAT | TCFW_NAT_SNAT)) {
		__builtin_memcpy(&s->middle, &s->view.tuple, sizeof(s->middle));
		err = bpf_map_update_elem(&nat_alias, &s->middle, &pkt->tuple, BPF_NOEXIST);
		if (err == -EEXIST && !ct_alias_lookup(&s->middle, &s->other))
			/* Left by a connection that is gone: ours now. */
			err = bpf_map_update_elem(&nat_alias, &s->middle, &pkt->tuple, BPF_ANY);
		if (err) {
			/* A live connection has the same middle tuple (the same client port to
			 * two public addresses forwarded to one server port): refuse this one. */
			nat_create_undo(&pkt->tuple);
			stat_inc(TCFW_STAT_NAT_PORT_EXHAUSTED);
			return -1;
		}
	}

	/* The first packet: its destination now, its source at egress. */
	if (s->dnat) {
		rw.side = NAT_SIDE_DST;
		rw.proto = pkt->tuple.proto;
		rw.frag = pkt->frag;
		rw.from_addr = pkt->tuple.dst[3];
		rw.to_addr = s->view.tuple.dst[3];
		rw.from_port = pkt->tuple.dport;
		rw.to_port = s->view.tuple.dport;
		if (nat_rewrite(skb, &rw)) {
			nat_create_undo(&pkt->tuple);
			return CT_CREATE_FAILED;
		}
		if (snat && pkt->frag == PKT_FRAG_FIRST)
			nat_frag_remember_as(pkt, rw.to_addr, rw.to_port);
	}
	if (snat)
		nat_set_hint(skb, NAT_HINT_SNAT | (s->dnat ? NAT_HINT_ALIAS : 0));
	return CT_CREATED;
}

/**
 * nat_open() - store a new connection that nat_plan() started and the policy accepted: the
 * snat chain (forward connections, output zone known now), then nat_create(). Returns enum
 * ct_create_result, or -1 when NAT refuses it.
 */
static __always_inline int nat_open(struct __sk_buff *skb, const struct tcfw_pkt *pkt,
                                    struct nat_scratch *s, const struct chain_info *ci,
                                    const struct ct_origin *o, const struct tcfw_policy_meta *meta,
                                    __u32 copy)
{
	__u32 nwords = meta ? meta->nwords[TCFW_CHAIN_SNAT] : 0;
	int pos = -1, ret;

	if (ci->chain == TCFW_CHAIN_FORWARD && nwords)
		pos = nat_classify(s, ci, copy, TCFW_CHAIN_SNAT, nwords);
	ret = nat_create(skb, pkt, ci, o, NAT_CREATE_ARG(copy, pos < 0 ? -1 : pos));
	return ret == NAT_CREATE_PLAIN ? ct_create(pkt, o) : ret;
}

/* ---- packets of known connections ----------------------------------------------------------- */
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
	rw.proto = pkt->tuple.proto;
	rw.frag = pkt->frag;
	rw.side = side == NAT_SIDE_SRC ? NAT_SIDE_SRC : NAT_SIDE_DST;

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
		nat_frag_remember_as(pkt, rw.to_addr, rw.to_port);
	return hint;
}

/**
 * nat_egress_find() - the connection of a forwarded packet with tuple t at egress, by the
 * lookups hint names: orig direction untouched by ingress (key "ct"), reply direction
 * untouched by ingress (key "ct_reply"), or either direction half translated ("nat_alias").
 * Fills s->orig and s->dir.
 */
static __always_inline struct tcfw_ct_entry *nat_egress_find(const struct tcfw_tuple *t, __u32 hint,
                                                             struct nat_scratch *s)
{
	struct tcfw_ct_entry *e;
	struct tcfw_tuple *back;

	if (hint & NAT_HINT_SNAT) {
		e = bpf_map_lookup_elem(&ct, t);
		if (e) {
			__builtin_memcpy(&s->orig, t, sizeof(s->orig));
			s->dir = TCFW_DIR_ORIG;
			return e;
		}
	}
	if (hint & NAT_HINT_UNDNAT) {
		back = bpf_map_lookup_elem(&ct_reply, t);
		if (back) {
			__builtin_memcpy(&s->orig, back, sizeof(s->orig));
			e = bpf_map_lookup_elem(&ct, &s->orig);
			if (e && tuple_eq(&e->reply, t)) {
				s->dir = TCFW_DIR_REPLY;
				return e;
			}
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

#endif /* TCFW_BPF_NAT_H */
