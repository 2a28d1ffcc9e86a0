/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * nat.h - NAT for IPv4: masquerade, SNAT, DNAT (port forwarding) and hairpin (NAT loopback).
 *
 * This header holds what the NAT steps share (the egress hint, the per-CPU scratch, rule and
 * address lookups); the steps are nat_decide.h (a new connection: nat_plan(), nat_open()),
 * nat_translate.h (its later packets), icmp_nat.h (ICMP errors about it) and nat_egress.h (the
 * programs' NAT steps), on top of nat_rewrite.h / csum.h (bytes and checksums) and
 * nat_alloc.h (unique reply tuples).
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
 * translated one (nat_alloc.h makes it unique), and every later packet is translated from
 * the orig and reply tuples alone: nothing per packet is decided again.
 *
 * Ingress tells egress what to do. The egress program sees a forwarded packet after routing,
 * and must not pay for NAT when there is nothing to translate. So ingress, which
 * has just found the connection, leaves a hint in the packet: it writes skb->tc_classid,
 * which the kernel copies into skb->tc_index when a clsact program returns TC_ACT_OK
 * (net/core/dev.c, tc_run), and tc_index stays with the skb through forwarding to egress.
 * tc_index has had no other user since the dsmark and tcindex schedulers were removed
 * (Linux 6.3). A forwarded packet without the hint leaves egress after one load. The hint
 * names the lookup that finds the connection again, see enum nat_hint.
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
#include "tcfw_proto.h"
#include "lib/chain.h"
#include "lib/classify.h"
#include "lib/conntrack.h"
#include "lib/maps.h"
#include "lib/parse.h"
#include "lib/stats.h"

/*
 * What ingress leaves for egress in skb->tc_index (see the top of this file). NAT_HINT_MAGIC
 * in the high byte tells our hints from any other value the field might carry.
 */
enum nat_hint {
	NAT_HINT_SNAT = 1 << 0,   /* orig direction, source to translate: its orig tuple */
	NAT_HINT_UNDNAT = 1 << 1, /* reply direction, source back to the public address: its
	                           * reply tuple */
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

static __always_inline struct nat_scratch *nat_scratch_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&nat_scratch, &zero);
}

static __always_inline bool nat_is_v4_mapped(const __u32 a[4])
{
	return a[0] == 0 && a[1] == 0 && a[2] == bpf_htonl(0xffff);
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

#endif /* TCFW_BPF_NAT_H */
