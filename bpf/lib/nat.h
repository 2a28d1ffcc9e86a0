/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * nat.h - NAT for IPv4: masquerade, SNAT, DNAT (port forwarding) and hairpin (NAT loopback).
 *
 * The one NAT header the programs include. It offers the NAT steps around conntrack: for a
 * new connection nat_plan() and nat_open() (nat/new_conn.h); for packets of known
 * connections and ICMP errors about them nat_established() and nat_related(); the egress
 * program's work for forwarded packets, nat_egress_forwarded(); and for later fragments whose
 * first fragment was not seen nat_orphan_hint() at ingress, the snat chain at egress. The
 * parts, one concern each:
 *   nat/common.h      what every step shares: the egress hint, the per-CPU scratch, rule and
 *                     address lookups;
 *   nat/new_conn.h    a new connection: the dnat and snat chains, its unique reply tuple
 *                     (ports via reference entries in map "ct"), its entry;
 *   nat/rewrite.h     packets of a known translation: one end of a packet rewritten with its
 *                     checksums (csum.h), and every packet after a connection's first;
 *   nat/icmp_error.h  ICMP errors about translated connections: the quote and the outer header.
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
 * The decision is made once, when the connection is created at ingress (nat_plan(), then
 * nat_open()): the dnat chain first (input zone and matches; also, for hairpin, a connection
 * from another zone addressed to an address of an interface of the rule's zone), then routing
 * and the filter chain see the translated destination (a port forward needs a matching
 * `forward accept`), then the snat chain (output zone from bpf_fib_lookup on the translated
 * destination) picks masquerade or snat. A hairpin connection that no snat rule matches is
 * masqueraded behind the output interface's address, so that the server's replies come back
 * through the gateway (policy-language.md, "NAT loopback"). The connection's reply tuple is the
 * translated one (nat/new_conn.h makes it unique), and every later packet is translated from
 * the orig and reply tuples alone: nothing per packet is decided again.
 *
 * Ingress tells egress what to do. The egress program sees a forwarded packet after routing,
 * and must not pay for NAT when there is nothing to translate. So ingress, which
 * has just found the connection, leaves a hint in the packet: it writes skb->tc_classid,
 * which the kernel copies into skb->tc_index when a clsact program returns TC_ACT_OK
 * (net/core/dev.c, tc_run), and tc_index stays with the skb through forwarding to egress.
 * tc_index has had no other user since the dsmark and tcindex schedulers were removed
 * (Linux 6.3). A forwarded packet without the hint leaves egress after one load. The hint
 * names the lookup that finds the connection again, see enum nat_hint (nat/common.h).
 *
 * Hairpin, and any connection with both DNAT and SNAT, is seen at egress in neither of its
 * keyed forms (ingress rewrote the destination, egress has the source still to do): map
 * "nat_alias" keys it by that middle form (maps.h). The fast path (fastpath.h) translates
 * both ends at ingress instead, for the packets it takes: it has found the route itself, and
 * leaves no hint.
 *
 * IPv6 connections are never translated (no NAT66): they do not even reach the nat chains.
 */
#ifndef TCFW_BPF_NAT_H
#define TCFW_BPF_NAT_H

#include "lib/kernel.h"
#include "lib/chain.h"
#include "lib/classify.h"
#include "lib/conntrack.h"
#include "lib/ct_table.h"
#include "lib/frag.h"
#include "lib/maps.h"
#include "lib/nat/common.h"
#include "lib/nat/icmp_error.h"
#include "lib/nat/new_conn.h"
#include "lib/nat/rewrite.h"
#include "lib/parse.h"

/**
 * nat_established() - a packet of a translated connection (hit from ct_track()): its
 * destination at ingress, with the hint for egress; its source at egress (the gateway's own
 * packets: the replies of a connection DNATed to the gateway itself). A TC action.
 */
static __always_inline int nat_established(struct __sk_buff *skb, const struct tcfw_pkt *pkt,
                                           const struct ct_hit *hit, bool at_ingress)
{
	const struct tcfw_tuple *orig = hit->dir == TCFW_DIR_ORIG ? &pkt->tuple : &hit->orig;
	int r = nat_translate(skb, pkt, hit->e, orig,
	                      NAT_HOW(hit->dir, at_ingress ? NAT_SIDE_DST : NAT_SIDE_SRC));

	if (r < 0)
		return TC_ACT_SHOT;
	if (at_ingress)
		nat_set_hint(skb, (__u32)r);
	return TC_ACT_OK;
}

/**
 * nat_related() - an ICMP error about a translated connection (hit from ct_track()): at
 * ingress its quote and destination (the source waits for egress), on the gateway's own
 * way out all of it. A TC action.
 */
static __always_inline int nat_related(struct __sk_buff *skb, const struct tcfw_pkt *pkt,
                                       const struct ct_hit *hit, bool at_ingress)
{
	int r = icmp_nat_translate(
	    skb, pkt, hit->e, &hit->orig,
	    ICMP_NAT_HOW(hit->dir,
	                 at_ingress ? ICMP_NAT_QUOTE : ICMP_NAT_QUOTE | ICMP_NAT_OUTER_SRC));

	if (r < 0)
		return TC_ACT_SHOT;
	if (at_ingress)
		nat_set_hint(skb, (__u32)r);
	return TC_ACT_OK;
}

/**
 * nat_orphan_hint() - a later fragment at ingress whose first fragment was not seen (it comes
 * later, or never): it passes untracked, and when the live policy has snat rules egress
 * gives it the source address the snat chain chooses. That address depends on the addresses
 * and the rule only, never on the ports the fragment does not carry (nat_snat_addr()), so it
 * is the one its first fragment gets too and the receiver can reassemble the datagram.
 * Nothing comparable exists for the other translations: a destination (DNAT, the reply
 * direction of SNAT) depends on the connection's ports, so such a fragment stays untranslated
 * and its datagram is lost (docs/policy.md, "Fragments").
 */
static __always_inline void nat_orphan_hint(struct __sk_buff *skb, const struct tcfw_pkt *pkt)
{
	struct tcfw_policy_meta *meta;
	struct tcfw_config *cfg;
	__u32 zero = 0, copy;

	if (pkt->tuple.family != TCFW_AF_INET)
		return;
	cfg = bpf_map_lookup_elem(&config, &zero);
	copy = cfg ? cfg->policy_active & 1 : 0;
	meta = bpf_map_lookup_elem(&pol_meta, &copy);
	if (meta && meta->nwords[TCFW_CHAIN_SNAT])
		nat_set_hint(skb, NAT_HINT_ORPHAN);
}

/* The snat chain for an orphan later fragment at egress (see nat_orphan_hint()). Its ports
 * are unknown: it is classified with ports 0. 0, or -1 when the rewrite failed. */
static __always_inline int nat_orphan_snat(struct __sk_buff *skb, struct nat_scratch *s)
{
	const struct tcfw_pkt *pkt = &s->view;
	struct tcfw_policy_meta *meta;
	struct tcfw_config *cfg;
	struct chain_info ci = {};
	struct nat_rewrite rw = {};
	struct tcfw_rule *rule;
	__u32 zero = 0, copy, nwords;
	int pos;

	if (pkt->tuple.family != TCFW_AF_INET)
		return 0;
	cfg = bpf_map_lookup_elem(&config, &zero);
	copy = cfg ? cfg->policy_active & 1 : 0;
	meta = bpf_map_lookup_elem(&pol_meta, &copy);
	nwords = meta ? meta->nwords[TCFW_CHAIN_SNAT] : 0;
	if (!nwords)
		return 0;
	ci.chain = TCFW_CHAIN_FORWARD;
	ci.ifindex_in = skb->ingress_ifindex;
	ci.ifindex_out = skb->ifindex;
	ci.in_zone = zone_of(ci.ifindex_in, copy);
	ci.out_zone = zone_of(ci.ifindex_out, copy);
	classify_query_init(&s->q, copy, TCFW_CHAIN_SNAT, nwords, &ci, &pkt->tuple);
	pos = classify(&s->q);
	if (pos < 0)
		return 0;
	rule = nat_rule_at(copy, TCFW_CHAIN_SNAT, (__u32)pos);
	if (!rule || rule->verdict != TCFW_NAT_SNAT)
		return 0;
	if (rule->nat_flags & TCFW_NATF_MASQ)
		rw.to_addr = nat_masq_addr(ci.ifindex_out);
	else if (nat_is_v4_mapped(rule->nat_addr_lo) && nat_is_v4_mapped(rule->nat_addr_hi))
		rw.to_addr = nat_snat_addr(rule->nat_addr_lo[3], rule->nat_addr_hi[3],
		                           pkt->tuple.src[3], pkt->tuple.dst[3]);
	if (!rw.to_addr)
		return 0;
	rw.from_addr = pkt->tuple.src[3];
	nat_rewrite_init(&rw, pkt, NAT_SIDE_SRC);
	rw.frag = PKT_FRAG_LATER; /* its transport header went with the first fragment */
	return nat_rewrite(skb, &rw);
}

/**
 * nat_egress() - the source translation of a forwarded packet that ingress marked with hint
 * (NAT_HINT_* bits). A TC action: TC_ACT_SHOT only when a rewrite failed, rather than let a
 * private address out.
 *
 * A global BPF function, called from the egress program's small frame, so that classify()
 * (orphan fragments) fits below it. The parsed packet lives in the per-CPU scratch.
 */
__noinline int nat_egress(struct __sk_buff *skb, __u32 hint)
{
	struct nat_scratch *s = nat_scratch_get();
	struct tcfw_pkt *pkt;
	struct tcfw_ct_entry *e;
	int dir;

	if (!s)
		return TC_ACT_OK;
	pkt = &s->view;
	/* Ingress parsed and accepted this packet; what does not parse now has nothing to
	 * translate. */
	if (parse(skb, pkt) != PARSE_OK)
		return TC_ACT_OK;

	if (pkt->kind == PKT_ICMP_ERROR) {
		if (!(hint & NAT_HINT_ICMP))
			return TC_ACT_OK;
		dir = ct_find_quoted(&pkt->inner, &s->orig);
		e = dir < 0 ? NULL : ct_main_of(&s->orig);
		if (!e)
			return TC_ACT_OK;
		return icmp_nat_translate(skb, pkt, e, &s->orig,
		                          ICMP_NAT_HOW(dir, ICMP_NAT_OUTER_SRC)) < 0
		           ? TC_ACT_SHOT
		           : TC_ACT_OK;
	}
	if (pkt->frag == PKT_FRAG_LATER && !frag_recall(pkt)) {
		if (hint & NAT_HINT_ORPHAN)
			return nat_orphan_snat(skb, s) ? TC_ACT_SHOT : TC_ACT_OK;
		return TC_ACT_OK;
	}
	e = nat_egress_find(&pkt->tuple, hint, s);
	if (!e)
		return TC_ACT_OK;
	return nat_translate(skb, pkt, e, &s->orig, NAT_HOW(s->dir, NAT_SIDE_SRC)) < 0 ? TC_ACT_SHOT
	                                                                               : TC_ACT_OK;
}

/*
 * bpf_prog_test_run cannot set skb->tc_index, so the datapath tests (tests/datapath/dp_nat*)
 * set this before loading: egress then finds the work of every forwarded packet by lookups
 * (the hint's bits all set) instead of reading the hint. fwd leaves it 0: the hint decides,
 * and a forwarded packet without one costs nothing.
 */
const volatile __u32 nat_egress_ignore_hint = 0;

/**
 * nat_egress_forwarded() - the egress program for a packet the gateway forwards: it was
 * tracked and counted at ingress, so only NAT can have work left, and only when ingress left
 * a hint. A TC action.
 */
static __always_inline int nat_egress_forwarded(struct __sk_buff *skb)
{
	__u32 hint = skb->tc_index;

	if (nat_egress_ignore_hint)
		return nat_egress(skb, NAT_HINT_ALL);
	if ((hint & NAT_HINT_MAGIC_MASK) != NAT_HINT_MAGIC)
		return TC_ACT_OK;
	return nat_egress(skb, hint & NAT_HINT_ALL);
}

#endif /* TCFW_BPF_NAT_H */
