/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * limit.h - `limit N/second|minute`: a token bucket per rule slot (map "pol_limit", indexed
 * like "pol_rules" by TCFW_RULE_INDEX(copy, chain, pos)).
 *
 * Offers limit_take(): may the rule in this slot accept one more new connection? The bucket
 * holds at most B tokens ('burst B'; N when not written) and gains N per period, continuously
 * (a rule of 60/minute lets one connection through per second once its burst of 60 is spent).
 * limit_refill() is the bucket alone, also used for the rate of 'add @SET' (dynset.h).
 *
 * limit_src_take() (classify.h) is 'limit N/second|minute [burst B] per source': one bucket per
 * source address in the LRU hash "limit_src" (TCFW_LIMIT_SRC_MAX entries: when full, the source
 * seen least recently loses its bucket and starts full again). LRU values may hold no spin lock, so
 * that bucket is GCRA's one number, the time at which it is full again, moved by
 * compare-and-swap: an arrival at `now` fits when that time is at most (B - 1) intervals ahead.
 * Tokens are counted in thousandths (tcfw_limit_state.tokens_milli) so that slow rates refill
 * smoothly; time that was too short to earn a thousandth is not thrown away (last_ns only moves by
 * the time that the credited tokens are worth).
 *
 * A zeroed slot (last_ns == 0) is a full bucket: that is how a policy load leaves the slots of
 * the copy it writes (lib/policy_maps.c zeroes them), so a reload starts every limited rule
 * with its full burst again, and the buckets of the old copy are never looked at again. This
 * is deliberate: after a reload, rule positions (and so slots) may belong to different rules,
 * and carrying a bucket over by position could hand one rule another's state.
 *
 * Concurrency: each slot has a bpf_spin_lock; the clock is read before taking it (no helper
 * may run under the lock), so a CPU that waited for the lock may see now < last_ns, which
 * counts as no time passed.
 */
#ifndef TCFW_BPF_LIMIT_H
#define TCFW_BPF_LIMIT_H

#include "lib/kernel.h"
#include "lib/maps.h"

#define LIMIT_MILLI 1000ULL /* tcfw_limit_state.tokens_milli per token */

/**
 * limit_refill() - the bucket s at time now, for rate tokens per period_s seconds (capacity
 * burst tokens). Called with the slot's lock held.
 *
 * A token is LIMIT_MILLI thousandths, so one thousandth is earned every
 * period_s * 1e9 / (rate * 1000) = milli_ns / rate nanoseconds, with milli_ns = period_s * 1e6.
 * Overflow: the policy language allows rates and bursts of at most 1,000,000
 * (policy/parse_rule.c) and time beyond what refills the whole bucket (full_ns = period_s *
 * 1e9 * burst / rate) fills it outright, so elapsed * rate < period_s * 1e9 * burst <= 6e16 and
 * credit * milli_ns <= burst * 1000 * 6e7 = 6e16, both under 2^56.
 */
static __always_inline void limit_refill(struct tcfw_limit_state *s, __u64 now, __u64 rate,
                                         __u64 period_s, __u64 burst)
{
	__u64 cap = burst * LIMIT_MILLI, milli_ns = period_s * 1000000, elapsed, credit, used;
	__u64 full_ns = period_s * 1000000000 * burst / (rate ? rate : 1);

	if (s->last_ns == 0 || (now > s->last_ns && now - s->last_ns >= full_ns)) {
		/* A fresh slot, or idle for a whole period: full. */
		s->tokens_milli = cap;
		s->last_ns = now;
		return;
	}
	if (now <= s->last_ns)
		return;
	elapsed = now - s->last_ns;
	credit = elapsed * rate / milli_ns;
	if (!credit)
		return; /* keep last_ns: the time is not lost, it adds up */
	if (s->tokens_milli + credit >= cap) {
		s->tokens_milli = cap;
		s->last_ns = now;
		return;
	}
	s->tokens_milli += credit;
	/* Move the clock by what the credit was worth (rounded up, so never more than was
	 * earned), not by all the time that passed: the remainder counts towards the next. */
	used = (credit * milli_ns + rate - 1) / rate;
	s->last_ns += used;
}

/* The bucket of 'burst': the rate itself when the rule has none (or a bad value). */
static __always_inline __u64 limit_burst_of(__u32 rate, __u32 burst)
{
	return burst && burst <= 1000000 ? burst : rate;
}

/**
 * limit_take() - take one token from the bucket of rule slot `slot`, whose rule allows rate
 * new connections per period_s seconds, burst at once. 1 when the rule may accept, 0 when it
 * is over its limit (the caller then goes on to the next matching rule). A slot missing from
 * the map, or a rate of 0 (the compiler never writes one), never lets anything through.
 *
 * A global BPF function: verified once on its own (spin lock included), not at every place
 * in the classification loop that can reach it.
 */
__noinline int limit_take(__u32 slot, __u32 rate, __u32 period_s, __u32 burst)
{
	__u64 now = bpf_ktime_get_ns();
	struct tcfw_limit_state *s;
	int ok = 0;

	if (!rate || (period_s != 1 && period_s != 60))
		return 0;
	s = bpf_map_lookup_elem(&pol_limit, &slot);
	if (!s)
		return 0;
	bpf_spin_lock(&s->lock);
	limit_refill(s, now, rate, period_s, limit_burst_of(rate, burst));
	if (s->tokens_milli >= LIMIT_MILLI) {
		s->tokens_milli -= LIMIT_MILLI;
		ok = 1;
	}
	bpf_spin_unlock(&s->lock);
	return ok;
}

#endif /* TCFW_BPF_LIMIT_H */
