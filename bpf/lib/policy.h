/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * policy.h - the policy's verdict on a packet that would open a connection, and on a packet
 * conntrack calls invalid.
 *
 * Offers policy_load() (the live copy and its pol_meta), policy_decide() and
 * policy_invalid_verdict().
 *
 * All-zero maps (fwd has not written anything yet) mean: copy 0, every chain's default
 * accepts (TCFW_VERDICT_ACCEPT is 0), invalid packets are accepted. So TCFW_VERDICT_DROP only
 * ever comes from an explicit configuration; a value outside enum tcfw_verdict is not zero
 * either, and fails closed (drop).
 *
 * Rule classification (the bitmaps of pol_scalar / pol_src / pol_dst / pol_class / pol_rules,
 * see tcfw_abi.h) is a later step and belongs in policy_decide(); until it is there, every
 * new connection gets its chain's default, also when rules are loaded.
 */
#ifndef TCFW_BPF_POLICY_H
#define TCFW_BPF_POLICY_H

#include "lib/kernel.h"
#include "lib/chain.h"
#include "lib/maps.h"
#include "lib/parse.h"

struct policy_view {
	const struct tcfw_policy_meta *meta; /* NULL only if the map read fails */
	__u32 copy;                          /* live policy copy, 0/1 */
	__u32 flags;                         /* tcfw_config.flags */
};

struct policy_result {
	__u32 rule_id; /* 0: the chain's default */
	__u8 verdict;  /* enum tcfw_verdict */
};

static __always_inline void policy_load(struct policy_view *pv)
{
	__u32 zero = 0;
	struct tcfw_config *cfg = bpf_map_lookup_elem(&config, &zero);

	pv->copy = cfg ? cfg->policy_active & 1 : 0;
	pv->flags = cfg ? cfg->flags : 0;
	pv->meta = bpf_map_lookup_elem(&pol_meta, &pv->copy);
}

static __always_inline __u8 verdict_sane(__u8 v)
{
	return v < TCFW_VERDICT_MAX ? v : TCFW_VERDICT_DROP;
}

/**
 * policy_decide() - verdict for a packet that would open a connection on chain ci->chain,
 * arriving in zone ci->in_zone and leaving by ci->out_zone. pkt carries everything the rules
 * match on (addresses, protocol, ports, family).
 */
static __always_inline struct policy_result
policy_decide(const struct policy_view *pv, const struct chain_info *ci, const struct tcfw_pkt *pkt)
{
	struct policy_result r = {.rule_id = 0, .verdict = TCFW_VERDICT_ACCEPT};
	__u32 chain = ci->chain;

	(void)pkt; /* the rule classification will match on it */
	if (!pv->meta || chain > TCFW_CHAIN_OUTPUT)
		return r;
	/* pv->meta->nwords[chain] != 0 means rules are loaded: classification goes here. */
	r.verdict = verdict_sane(pv->meta->default_verdict[chain]);
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
