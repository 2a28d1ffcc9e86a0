/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * policy.h - the policy's verdict on a packet that would open a connection, and on a packet
 * conntrack calls invalid.
 *
 * Offers policy_load() (the live copy and its pol_meta), config_get(), policy_decide() and
 * policy_invalid_verdict().
 *
 * All-zero maps (fwd has not written anything yet) mean: copy 0, every chain's default
 * accepts (TCFW_VERDICT_ACCEPT is 0), invalid packets are accepted. So TCFW_VERDICT_DROP only
 * ever comes from an explicit configuration; a value outside enum tcfw_verdict is not zero
 * either, and fails closed (drop).
 *
 * policy_decide() finds the first matching rule of the chain with classify() (classify.h:
 * bit vectors, 'limit' included); when one decides, its hit counter (per-CPU "pol_hits" at its
 * TCFW_RULE_INDEX slot) goes up by one, its byte counter ("pol_bytes") by the packet's IP
 * length, and, if it has 'log', a TCFW_EV_LOG event goes to the
 * ring buffer whatever its verdict, and if it has 'add @SET' its source goes into that dynamic
 * set (dynset.h). When none matches, the chain's default decides, and when
 * that default has 'log' (pol_meta.default_log) the event goes out too, with rule_id 0. A
 * policy whose map entries are incomplete fails closed to the chain's default too, counted in
 * TCFW_STAT_POLICY_INCOMPLETE (and logged like it when that default has 'log'). Log events
 * have no rate limit here, as logged rules have none: a full ring buffer loses events, never
 * packets, and fwd's event log limits what it writes.
 */
#ifndef TCFW_BPF_POLICY_H
#define TCFW_BPF_POLICY_H

#include "lib/kernel.h"
#include "lib/chain.h"
#include "lib/classify.h"
#include "lib/events.h"
#include "lib/maps.h"
#include "lib/parse.h"
#include "lib/stats.h"

struct policy_view {
	const struct tcfw_policy_meta *meta; /* NULL only if the map read fails */
	__u32 copy;                          /* live policy copy, 0/1 */
	__u32 flags;                         /* tcfw_config.flags */
};

struct policy_result {
	__u32 rule_id;   /* 0: the chain's default */
	__u8 verdict;    /* enum tcfw_verdict */
	__u8 rule_flags; /* enum tcfw_rule_flags of the deciding rule; for the default,
	                  * TCFW_RULEF_LOG when it has 'log' */
};

static __always_inline void policy_load(struct policy_view *pv)
{
	__u32 zero = 0;
	struct tcfw_config *cfg = bpf_map_lookup_elem(&config, &zero);

	pv->copy = cfg ? cfg->policy_active & 1 : 0;
	pv->flags = cfg ? cfg->flags : 0;
	pv->meta = bpf_map_lookup_elem(&pol_meta, &pv->copy);
}

/* The config map's entry, for packets that need no policy; NULL cannot happen (one-entry
 * array) but is checked by every caller. */
static __always_inline const struct tcfw_config *config_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&config, &zero);
}

static __always_inline __u8 verdict_sane(__u8 v)
{
	return v < TCFW_VERDICT_MAX ? v : TCFW_VERDICT_DROP;
}

/* One more hit for the rule in slot, and the packet's bytes (per-CPU: plain adds). */
static __always_inline void rule_hit(__u32 slot, __u32 bytes)
{
	__u64 *hits = bpf_map_lookup_elem(&pol_hits, &slot);
	__u64 *b = bpf_map_lookup_elem(&pol_bytes, &slot);

	if (hits)
		*hits += 1;
	if (b)
		*b += bytes;
}

/* The chain's default decided: log it when the default has 'log'. chain <= TCFW_CHAIN_OUTPUT. */
static __always_inline struct policy_result policy_default(const struct policy_view *pv,
                                                           const struct chain_info *ci,
                                                           const struct tcfw_pkt *pkt,
                                                           struct policy_result r, __u32 chain)
{
	/* chain is checked again so that the verifier sees the array index bounded here too. */
	if (chain > TCFW_CHAIN_OUTPUT || !pv->meta->default_log[chain])
		return r;
	r.rule_flags = TCFW_RULEF_LOG;
	event_log(&pkt->tuple, chain, r.verdict, 0,
	          chain == TCFW_CHAIN_OUTPUT ? ci->ifindex_out : ci->ifindex_in);
	return r;
}

/**
 * policy_decide() - verdict for a packet that would open a connection on chain ci->chain,
 * arriving in zone ci->in_zone and leaving by ci->out_zone. pkt carries everything the rules
 * match on (addresses, protocol, ports, family).
 */
static __always_inline struct policy_result
policy_decide(const struct policy_view *pv, const struct chain_info *ci, const struct tcfw_pkt *pkt)
{
	struct policy_result r = {.rule_id = 0, .verdict = TCFW_VERDICT_ACCEPT, .rule_flags = 0};
	struct policy_scratch *sc;
	struct tcfw_rule *rule;
	__u32 chain = ci->chain, nwords, slot, zero = 0;
	int pos;

	if (!pv->meta || chain > TCFW_CHAIN_OUTPUT)
		return r;
	r.verdict = verdict_sane(pv->meta->default_verdict[chain]);
	nwords = pv->meta->nwords[chain];
	if (!nwords)
		return policy_default(pv, ci, pkt, r, chain); /* no rules in this chain */

	sc = bpf_map_lookup_elem(&policy_scratch, &zero);
	if (!sc) {
		stat_inc(TCFW_STAT_POLICY_INCOMPLETE);
		return policy_default(pv, ci, pkt, r, chain);
	}
	classify_query_init(&sc->q, pv->copy, chain, nwords, ci, &pkt->tuple);
	sc->q.gen = (__u32)pv->meta->generation;
	/* ICMP and ICMPv6: the type where TCP and UDP have the destination port ('proto icmp
	 * type echo-request' is compiled into the dport slots): no lookup more. A later fragment
	 * carries no ICMP header and stays TCFW_SCALAR_NOPORT, which type rules do not match. */
	if ((pkt->tuple.proto == IPPROTO_ICMP || pkt->tuple.proto == IPPROTO_ICMPV6) &&
	    pkt->frag != PKT_FRAG_LATER)
		sc->q.dport = pkt->icmp_type;
	pos = classify(&sc->q);
	if (pos == CLASSIFY_NO_MATCH)
		return policy_default(pv, ci, pkt, r, chain);
	slot = TCFW_RULE_INDEX(pv->copy & 1, chain, (__u32)pos);
	rule = pos >= 0 ? bpf_map_lookup_elem(&pol_rules, &slot) : NULL;
	if (!rule) {
		stat_inc(TCFW_STAT_POLICY_INCOMPLETE);
		return policy_default(pv, ci, pkt, r, chain);
	}
	r.rule_id = rule->id;
	r.verdict = verdict_sane(rule->verdict);
	r.rule_flags = rule->flags;
	rule_hit(slot, pkt->l3_len);
	if (r.rule_flags & TCFW_RULEF_LOG)
		event_log(&pkt->tuple, chain, r.verdict, r.rule_id,
		          chain == TCFW_CHAIN_OUTPUT ? ci->ifindex_out : ci->ifindex_in);
	/* Last: fewer values live across this call, which the program's stack has no room to
	 * spill. */
	if (r.rule_flags & TCFW_RULEF_ADD)
		dynset_add_src(slot, &pkt->tuple);
	return r;
}

/* What happens to a packet conntrack calls invalid: pol_meta.invalid_verdict. */
static __always_inline __u8 policy_invalid_verdict(const struct policy_view *pv)
{
	if (!pv->meta)
		return TCFW_VERDICT_ACCEPT;
	return verdict_sane(pv->meta->invalid_verdict);
}

#endif /* TCFW_BPF_POLICY_H */
