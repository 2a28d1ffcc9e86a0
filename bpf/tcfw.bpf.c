// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * tcfw.bpf.c - the datapath: two TC programs (clsact ingress and egress of every managed
 * interface) sharing every map of lib/maps.h.
 *
 *   tcfw_ingress: parse -> fragments -> conntrack -> [new: dnat -> chain (input|forward) ->
 *                 policy -> snat -> create] -> destination NAT -> verdict; an established
 *                 forwarded packet may leave from here (fastpath.h)
 *   tcfw_egress:  forwarded packets (tracked at ingress) get their source NAT when ingress left
 *                 a hint, and pass; packets the gateway sends itself go through the same steps
 *                 as at ingress, chain output. See nat.h for where each rewrite happens.
 *
 *   tcfw_xdp_prefilter: attached only to interfaces of zones the policy opts in
 *                 ('prefilter'): drops blocked sources and untracked TCP early (prefilter.h)
 *
 * Every packet is counted once (docs/architecture.md): ingress counts all it sees, egress
 * only what the gateway itself sends.
 */
#include "lib/kernel.h"
#include "lib/maps.h"
#include "lib/stats.h"
#include "lib/parse.h"
#include "lib/frag.h"
#include "lib/tcp_state.h"
#include "lib/conntrack.h"
#include "lib/chain.h"
#include "lib/policy.h"
#include "lib/reject.h"
#include "lib/events.h"
#include "lib/nat.h"
#include "lib/fastpath.h"
#include "lib/prefilter.h"

enum tcfw_hook {
	HOOK_INGRESS = 0,
	HOOK_EGRESS_LOCAL, /* egress, sent by the gateway itself */
};

/* open_connection() result when another CPU created the same connection first. */
#define OPEN_RACED (-1)

/**
 * open_connection() - a packet that may open a connection: pick the chain, ask the policy,
 * store the connection if accepted. Returns a TC action or OPEN_RACED.
 */
static __always_inline int open_connection(struct __sk_buff *skb, const struct tcfw_pkt *pkt,
                                           const struct policy_view *pv, int hook)
{
	const struct tcfw_pkt *view = pkt;
	struct nat_scratch *nat = NULL;
	struct policy_result pr;
	struct chain_info ci;
	struct ct_origin o;
	int created;

	if (hook == HOOK_INGRESS) {
		/* Routing and the policy see the destination after DNAT. */
		nat = nat_plan(skb, pkt, pv->meta, pv->copy);
		if (nat)
			view = &nat->view;
		chain_at_ingress(skb, view, pv->copy, &ci);
	} else {
		chain_at_egress(skb, pv->copy, &ci);
	}

	pr = policy_decide(pv, &ci, view);
	if (pr.verdict == TCFW_VERDICT_REJECT) {
		/* A TCP reset or an ICMP unreachable goes back (reject.h); no connection entry. */
		stat_inc(TCFW_STAT_VERDICT_REJECT);
		drop_inc(TCFW_DROP_REJECT, ci.chain);
		return reject_packet(skb, pkt, ci.chain);
	}
	if (pr.verdict != TCFW_VERDICT_ACCEPT) {
		stat_inc(TCFW_STAT_VERDICT_DROP);
		drop_inc(TCFW_DROP_POLICY, ci.chain);
		return TC_ACT_SHOT; /* and no connection entry */
	}

	o.chain = ci.chain;
	o.ifindex_in = ci.ifindex_in;
	o.ifindex_out = ci.ifindex_out;
	o.rule_id = pr.rule_id;
	o.flags = (pr.rule_flags & TCFW_RULEF_LOG) ? TCFW_CTF_LOG : 0;
	created = nat ? nat_open(skb, pkt, nat, &ci, &o, pv->meta, pv->copy) : ct_create(pkt, &o);
	switch (created) {
	case CT_CREATED:
		stat_inc(TCFW_STAT_CT_NEW);
		stat_inc(TCFW_STAT_VERDICT_ACCEPT);
		if (pv->flags & TCFW_CFG_EVENTS_NEW)
			event_new(&pkt->tuple, ci.chain, pr.verdict, pr.rule_id, skb->ifindex);
		return TC_ACT_OK;
	case CT_CREATE_RACED:
		return OPEN_RACED;
	default: /* CT_CREATE_FAILED, CT_CREATE_REFUSED: counted where they happened */
		return TC_ACT_SHOT;
	}
}

static __always_inline int tcfw_process(struct __sk_buff *skb, int hook)
{
	struct policy_view pv;
	struct tcfw_pkt *pkt;
	struct ct_hit hit;
	int verdict, ret;
	__u32 zero = 0;

	pkt = bpf_map_lookup_elem(&pkt_scratch, &zero);
	if (!pkt)
		return TC_ACT_OK; /* cannot happen: a one-entry array always has its entry */
	stat_inc(TCFW_STAT_PACKETS);
	stat_add(TCFW_STAT_BYTES, skb->len);

	switch (parse(skb, pkt)) {
	case PARSE_OK:
		break;
	case PARSE_NON_IP:
		stat_inc(TCFW_STAT_NON_IP);
		return TC_ACT_OK;
	default:
		stat_inc(TCFW_STAT_MALFORMED);
		return TC_ACT_SHOT;
	}

	if (pkt->frag != PKT_FRAG_NONE) {
		stat_inc(TCFW_STAT_FRAGMENTS);
		if (pkt->frag == PKT_FRAG_LATER && !frag_recall(pkt)) {
			if (hook == HOOK_INGRESS)
				nat_orphan_hint(skb, pkt);
			return TC_ACT_OK; /* first fragment never seen: untracked */
		}
	}

	verdict = ct_track(pkt, &hit);
	if (verdict == CT_NEW) {
		policy_load(&pv);
		ret = open_connection(skb, pkt, &pv, hook);
		if (ret != OPEN_RACED)
			goto out;
		/* Another CPU stored this connection first: go on as a packet of it. */
		verdict = ct_track(pkt, &hit);
	}
	if (verdict == CT_UNTRACKED)
		return TC_ACT_OK;

	switch (verdict) {
	case CT_ESTABLISHED:
		stat_inc(TCFW_STAT_CT_ESTABLISHED);
		ret = TC_ACT_OK;
		if (hit.e && hit.e->nat_kind)
			ret = nat_established(skb, pkt, &hit, hook == HOOK_INGRESS);
		if (ret == TC_ACT_OK && hook == HOOK_INGRESS)
			ret = fastpath_forward(skb, pkt, &hit, config_get());
		break;
	case CT_RELATED:
		stat_inc(TCFW_STAT_CT_RELATED);
		ret = TC_ACT_OK;
		if (hit.e && hit.e->nat_kind)
			ret = nat_related(skb, pkt, &hit, hook == HOOK_INGRESS);
		break;
	case CT_INVALID:
		stat_inc(TCFW_STAT_CT_INVALID);
		policy_load(&pv);
		ret = TC_ACT_OK;
		if (policy_invalid_verdict(&pv) != TCFW_VERDICT_ACCEPT) {
			stat_inc(TCFW_STAT_VERDICT_DROP);
			drop_inc(TCFW_DROP_INVALID, TCFW_DROP_CHAIN_NONE);
			ret = TC_ACT_SHOT;
		}
		break;
	default:
		/* CT_NEW twice: the racing connection vanished again at once. */
		stat_inc(TCFW_STAT_CT_INSERT_FAILED);
		return TC_ACT_SHOT;
	}

out:
	if (ret == TC_ACT_OK && pkt->frag == PKT_FRAG_FIRST)
		frag_remember(pkt);
	return ret;
}

SEC("tc")
int tcfw_ingress(struct __sk_buff *skb)
{
	/* A reject reply that egress turned back into the stack (reject.h): not a packet of
	 * any connection, and not to be called invalid. */
	if (skb->mark == TCFW_MARK_OWN_REPLY) {
		skb->mark = 0;
		return TC_ACT_OK;
	}
	return tcfw_process(skb, HOOK_INGRESS);
}

/*
 * The gateway's own packets: all of tcfw_process() in a global function of its own, so that
 * the egress program's frame stays small and nat_egress() (with classify() below it) fits
 * in the 512 bytes of stack a program and its calls share.
 */
__noinline int tcfw_egress_local(struct __sk_buff *skb)
{
	return tcfw_process(skb, HOOK_EGRESS_LOCAL);
}

SEC("tc")
int tcfw_egress(struct __sk_buff *skb)
{
	/* Forwarded: tracked and counted at ingress already; only postrouting NAT is left. */
	if (skb->ingress_ifindex != 0)
		return nat_egress_forwarded(skb);
	return tcfw_egress_local(skb);
}

/* The XDP pre-filter of the interfaces of zones with a 'prefilter' (prefilter.h): drops
 * blocked sources and TCP segments of no connection before TC (and an skb) sees them. */
SEC("xdp")
int tcfw_xdp_prefilter(struct xdp_md *ctx)
{
	return prefilter(ctx);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
