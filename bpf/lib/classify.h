/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * classify.h - the first rule of a chain that matches a new connection, by bit vectors
 * ("Rule classification" in tcfw_abi.h), so that the cost does not grow with the rule count.
 *
 * Offers classify_query_init() and classify(). For policy copy C and chain H:
 *  1. eight class ids: pol_src / pol_dst (LPM, the packet's address as a /128, IPv4-mapped)
 *     and pol_scalar at TCFW_SCALAR_INDEX(C, H, field, value) for the input zone, output
 *     zone (TCFW_ZONE_NONE -> slot 63, as policy/compile_scalar.c fills it: only rules
 *     without that zone constraint match there), protocol, family (0 ip, 1 ip6), source and
 *     destination port (TCFW_SCALAR_NOPORT for protocols other than TCP and UDP; policy.h
 *     puts an ICMP / ICMPv6 packet's type in dport for the filter chains, where the compiler
 *     puts 'proto icmp type' rules);
 *  2. the eight pol_class bitmaps of those ids. ANDing their summary words gives the words
 *     where all eight can have a common bit; those words are visited lowest first, and in
 *     each the AND of the eight words gives the matching rules, lowest position first;
 *  3. a rule with 'from @SET' / 'to @SET' of a dynamic set was classified as matching any
 *     address in that field: its set is looked up now (dynset.h), and when the address is
 *     not in it (in it, for '!@SET') the rule does not match;
 *  4. a rule with 'limit' whose bucket is empty does not match (TCFW_STAT_LIMITED, and the
 *     rule's own count in "pol_limited"; a 'per source' bucket is the source's own): the
 *     search goes on with the next set bit.
 * The work is eight lookups plus one AND per candidate word and one step per rule tried, so
 * it depends on how many rules a packet matches, not on how many rules there are.
 *
 * Usable by every chain (filter chains by policy.h; the NAT chains have the same layout).
 */
#ifndef TCFW_BPF_CLASSIFY_H
#define TCFW_BPF_CLASSIFY_H

#include "lib/kernel.h"
#include "lib/chain.h"
#include "lib/dynset.h"
#include "lib/classify_bits.h"
#include "lib/limit.h"
#include "lib/maps.h"
#include "lib/parse.h"
#include "lib/stats.h"

/* ---- open-coded loops (kernel 6.4+): libbpf 1.1's bpf_helpers.h does not have them yet -- */
extern int bpf_iter_num_new(struct bpf_iter_num *it, int start, int end) __weak __ksym;
extern int *bpf_iter_num_next(struct bpf_iter_num *it) __weak __ksym;
extern void bpf_iter_num_destroy(struct bpf_iter_num *it) __weak __ksym;

#ifndef bpf_repeat
/*
 * Run the body at most N times (or until break), as libbpf's later bpf_helpers.h does. The
 * verifier checks an iterator loop's body until its state stops changing instead of once
 * per iteration, which is what lets a loop bound of thousands pass.
 */
#define bpf_repeat(N)                                                                              \
	for (struct bpf_iter_num ___it __attribute__((aligned(8), cleanup(bpf_iter_num_destroy))), \
	     *___p __attribute__((unused)) =                                                       \
	         (bpf_iter_num_new(&___it, 0, (N)), (void)bpf_iter_num_destroy, (void *)0);        \
	     bpf_iter_num_next(&___it);)
#endif

/* classify() results other than a rule position. */
#define CLASSIFY_NO_MATCH (-1) /* no rule matches: the chain's default decides */
#define CLASSIFY_INCOMPLETE                                                                        \
	(-2) /* a policy map entry was missing (TCFW_STAT_POLICY_INCOMPLETE)                       \
	      */

/* The pol_scalar slot of a zone: zones are 0..62, "no zone" is slot 63. */
static __always_inline __u32 zone_slot(__u8 zone)
{
	return zone < TCFW_MAX_ZONES - 1 ? zone : TCFW_MAX_ZONES - 1;
}

/* The query for tuple t opening a connection on chain, in the zones of ci. */
static __always_inline void classify_query_init(struct classify_query *q, __u32 copy, __u32 chain,
                                                __u32 nwords, const struct chain_info *ci,
                                                const struct tcfw_tuple *t)
{
	/* Only TCP and UDP have ports; every other protocol matches as TCFW_SCALAR_NOPORT. */
	bool ports = tcfw_proto_has_ports(t->proto);

	__builtin_memcpy(q->src, t->src, sizeof(q->src));
	__builtin_memcpy(q->dst, t->dst, sizeof(q->dst));
	q->copy = copy & 1;
	q->chain = chain;
	q->nwords = nwords;
	q->in_zone = zone_slot(ci->in_zone);
	q->out_zone = zone_slot(ci->out_zone);
	q->proto = t->proto;
	q->family = t->family == TCFW_AF_INET ? 0 : 1;
	q->sport = ports ? bpf_ntohs(t->sport) : TCFW_SCALAR_NOPORT;
	q->dport = ports ? bpf_ntohs(t->dport) : TCFW_SCALAR_NOPORT;
	q->gen = 0;
}

/* A port slot within the field: 0..65535, or TCFW_SCALAR_NOPORT. */
static __always_inline __u32 port_bound(__u32 port)
{
	return port > TCFW_SCALAR_NOPORT ? TCFW_SCALAR_NOPORT : port;
}

/* The class bitmap that scalar slot idx names, NULL when an entry is missing. */
static __always_inline const struct tcfw_class *class_of_scalar(__u32 idx)
{
	__u32 *key = bpf_map_lookup_elem(&pol_scalar, &idx);

	return key ? bpf_map_lookup_elem(&pol_class, key) : NULL;
}

/* The class bitmap of the longest prefix of addr in an LPM map (pol_src or pol_dst). */
static __always_inline const struct tcfw_class *class_of_addr(void *lpm, __u32 copy, __u32 chain,
                                                              const __u32 addr[4])
{
	struct tcfw_lpm_key k = {
	    .prefixlen = 32 + 128,
	    .copy = copy,
	    .chain = chain,
	};
	__u32 *key;

	__builtin_memcpy(k.addr, addr, sizeof(k.addr));
	key = bpf_map_lookup_elem(lpm, &k);
	return key ? bpf_map_lookup_elem(&pol_class, key) : NULL;
}

/**
 * dynset_rule_match() - the dynamic-set matches of a rule: dyn packs tcfw_rule's dyn_src (bits
 * 0-7), dyn_dst (8-15) and dyn_neg (16-17). 1 when each one written holds for q.
 *
 * A global BPF function: checked once, not at every place in the search loop.
 */
__noinline int dynset_rule_match(const struct classify_query *q, __u32 dyn)
{
	__u64 now = bpf_ktime_get_ns();
	__u32 src = dyn & 0xff, dst = (dyn >> 8) & 0xff, neg = dyn >> 16;

	if (!q)
		return 0;
	if (src && dynset_has(src - 1, q->src, now) == !!(neg & TCFW_DYN_SRC_NEG))
		return 0;
	if (dst && dynset_has(dst - 1, q->dst, now) == !!(neg & TCFW_DYN_DST_NEG))
		return 0;
	return 1;
}

/**
 * limit_src_take() - 'limit ... per source': may q's source open one more connection under the
 * rule in slot (policy generation q->gen)? 1 yes, 0 when its bucket is empty. rate tokens per
 * period (bit 0 of burst_period: a minute, else a second), burst_period >> 1 at once. The
 * interval between tokens is period / rate; a source may be up to burst - 1 intervals ahead
 * of the clock (GCRA). A source without a bucket starts with a full one. Should other CPUs
 * move the same bucket four times in a row under us, the connection is refused (fail closed:
 * the rule falls through).
 *
 * A global BPF function; key and value in the per-CPU scratch (the stack is spent).
 */
__noinline int limit_src_take(const struct classify_query *q, __u32 slot, __u32 rate,
                              __u32 burst_period)
{
	__u64 now = bpf_ktime_get_ns(), interval, tau, period_ns;
	struct policy_scratch *sc;
	struct tcfw_limit_src *v;
	__u32 zero = 0;

	if (!q || !rate)
		return 0;
	sc = bpf_map_lookup_elem(&policy_scratch, &zero);
	if (!sc)
		return 0;
	period_ns = (burst_period & 1) ? 60000000000ULL : 1000000000ULL;
	interval = period_ns / rate;
	tau = interval * (limit_burst_of(rate, burst_period >> 1) - 1);
	sc->lk.slot = slot;
	sc->lk.gen = q->gen;
	__builtin_memcpy(sc->lk.addr, q->src, sizeof(sc->lk.addr));
	v = bpf_map_lookup_elem(&limit_src, &sc->lk);
	if (!v) {
		sc->lv.tat_ns = now + interval;
		if (bpf_map_update_elem(&limit_src, &sc->lk, &sc->lv, BPF_NOEXIST) == 0)
			return 1;
		v = bpf_map_lookup_elem(&limit_src, &sc->lk); /* another CPU made it first */
		if (!v)
			return 0;
	}
	for (int i = 0; i < 4; i++) {
		__u64 old = v->tat_ns, tat = old > now ? old : now;

		if (tat - now > tau)
			return 0;
		if (__sync_val_compare_and_swap(&v->tat_ns, old, tat + interval) == old)
			return 1;
	}
	return 0;
}

/* 'limit': may the rule in slot take one more connection (from q's source, 'per source')? */
static __always_inline int classify_limit(const struct classify_query *q, __u32 slot,
                                          const struct tcfw_rule *rule)
{
	if (!(rule->flags & TCFW_RULEF_LIMIT_SRC))
		return limit_take(slot, rule->limit_rate, rule->limit_period_s, rule->limit_burst);
	if (limit_src_take(q, slot, rule->limit_rate,
	                   rule->limit_burst << 1 | (rule->limit_period_s == 60)))
		return 1;
	stat_inc(TCFW_STAT_LIMIT_SRC_EXHAUSTED);
	return 0;
}

/* Words where every field's class has some rule: only those can hold a match. */
#define CLASSIFY_AND(field, i)                                                                     \
	(c_src->field[i] & c_dst->field[i] & c_in->field[i] & c_out->field[i] &                    \
	 c_proto->field[i] & c_fam->field[i] & c_sport->field[i] & c_dport->field[i])

/**
 * classify() - position of the first rule of chain q->chain in policy copy q->copy that
 * matches q and is not over its limit; or CLASSIFY_NO_MATCH, or CLASSIFY_INCOMPLETE.
 *
 * A missing entry (a scalar slot, an LPM default, a class, a rule) cannot happen with a
 * complete image: policy_compile() gives every slot a class and every trie a ::/0 entry, and
 * lib/policy_maps.c writes pol_meta, which makes the rules visible, last. If it happens
 * anyway, nothing can be said about which rule matches, so the result is CLASSIFY_INCOMPLETE
 * and the caller falls back to the chain's default: fail closed to what the policy says when
 * no rule matches, counted in TCFW_STAT_POLICY_INCOMPLETE.
 *
 * A global BPF function: the verifier checks the search loop once, on its own. q may live on
 * the caller's stack or in a map value.
 */
__noinline int classify(const struct classify_query *q)
{
	const struct tcfw_class *c_src, *c_dst, *c_in, *c_out, *c_proto, *c_fam, *c_sport, *c_dport;
	struct classify_bits s = {0};
	__u32 copy, chain, base;

	if (!q || q->chain >= TCFW_CHAIN_MAX)
		return CLASSIFY_INCOMPLETE; /* calms the verifier: global function arguments may be
		                             * NULL */
	copy = q->copy & 1;
	chain = q->chain;
	c_src = class_of_addr(&pol_src, copy, chain, q->src);
	c_dst = class_of_addr(&pol_dst, copy, chain, q->dst);
	c_in = class_of_scalar(TCFW_SCALAR_INDEX(copy, chain, TCFW_SCALAR_OFF_IN_ZONE,
	                                         q->in_zone & (TCFW_MAX_ZONES - 1)));
	c_out = class_of_scalar(TCFW_SCALAR_INDEX(copy, chain, TCFW_SCALAR_OFF_OUT_ZONE,
	                                          q->out_zone & (TCFW_MAX_ZONES - 1)));
	c_proto =
	    class_of_scalar(TCFW_SCALAR_INDEX(copy, chain, TCFW_SCALAR_OFF_PROTO, q->proto & 0xff));
	c_fam =
	    class_of_scalar(TCFW_SCALAR_INDEX(copy, chain, TCFW_SCALAR_OFF_FAMILY, q->family & 1));
	c_sport = class_of_scalar(
	    TCFW_SCALAR_INDEX(copy, chain, TCFW_SCALAR_OFF_SPORT, port_bound(q->sport)));
	c_dport = class_of_scalar(
	    TCFW_SCALAR_INDEX(copy, chain, TCFW_SCALAR_OFF_DPORT, port_bound(q->dport)));
	if (!c_src || !c_dst || !c_in || !c_out || !c_proto || !c_fam || !c_sport || !c_dport)
		return CLASSIFY_INCOMPLETE;

	/*
	 * Loop state, kept small because every value live across the loop's kfunc calls takes
	 * a stack slot, and this frame adds to the program's: the search's (classify_bits.h),
	 * and base, the copy's and chain's first rule slot (high bits) and nwords (low 9 bits,
	 * at most TCFW_POLICY_WORDS = 256).
	 */
	base = TCFW_RULE_INDEX(copy, chain, 0) << 9 | (q->nwords & 0x1ff);
	s.cur = CLASSIFY_AND(summary, 0);
	barrier_var(s.cur); /* computed here, not half-hoisted into stack slots across the loop */
	bpf_repeat (CLASSIFY_MAX_STEPS) {
		struct tcfw_rule *rule;
		__u32 pos = 0, slot;

		switch (classify_bits_step(&s, base & 0x1ff, &pos)) {
		case CLASSIFY_BITS_SUMMARY:
			s.cur = CLASSIFY_AND(summary, (s.k / 64) & (TCFW_POLICY_SUMMARY_WORDS - 1));
			continue;
		case CLASSIFY_BITS_WORD:
			s.m = CLASSIFY_AND(w, s.k & (TCFW_POLICY_WORDS - 1));
			continue;
		case CLASSIFY_BITS_RULE:
			break;
		default:
			return CLASSIFY_NO_MATCH;
		}
		slot = (base >> 9) + pos;
		rule = bpf_map_lookup_elem(&pol_rules, &slot);
		if (!rule)
			return CLASSIFY_INCOMPLETE;
		if ((rule->flags & TCFW_RULEF_DYNSET) &&
		    !dynset_rule_match(q, rule->dyn_src | (__u32)rule->dyn_dst << 8 |
		                              (__u32)(rule->dyn_neg & 3) << 16))
			continue;
		if ((rule->flags & TCFW_RULEF_LIMIT) && !classify_limit(q, slot, rule)) {
			__u64 *limited = bpf_map_lookup_elem(&pol_limited, &slot);

			if (limited)
				*limited += 1;
			stat_inc(TCFW_STAT_LIMITED);
			continue;
		}
		return (int)pos;
	}
	return CLASSIFY_NO_MATCH;
}

#undef CLASSIFY_AND

#endif /* TCFW_BPF_CLASSIFY_H */
