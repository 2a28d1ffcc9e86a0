/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * classify_bits.h - classify()'s search for the first set bit across the ANDed rule bitmaps,
 * pure logic: no vmlinux.h and no helper calls, so tests/unit/test_classify_bits.c checks it
 * against a naive bit-by-bit search; classify.h runs it on the maps.
 *
 * A chain's bitmaps are tcfw_class words: w[] has one bit per rule, summary[] one bit per
 * word of w[] that may hold one. The search visits the words whose ANDed summary bit is set,
 * lowest first, and in each the rules whose ANDed bit is set, lowest first. It owns no data:
 * classify_bits_step() says which ANDed word it needs next (CLASSIFY_BITS_SUMMARY: summary
 * word k / 64 into cur; CLASSIFY_BITS_WORD: word k into m), or gives the next candidate rule
 * (CLASSIFY_BITS_RULE), or says that there is none (CLASSIFY_BITS_DONE). Each call is one
 * step; CLASSIFY_MAX_STEPS steps always reach the end.
 */
#ifndef TCFW_BPF_CLASSIFY_BITS_H
#define TCFW_BPF_CLASSIFY_BITS_H

#include "lib/pure.h"
#include "tcfw_abi.h"

/* Steps of the search: one per summary word, one per candidate word, one per rule tried. */
#define CLASSIFY_MAX_STEPS (TCFW_POLICY_SUMMARY_WORDS + TCFW_POLICY_WORDS + TCFW_POLICY_MAX_RULES)

/* classify_bits_step() results. */
#define CLASSIFY_BITS_DONE    0 /* no word further is in use: no rule matches */
#define CLASSIFY_BITS_SUMMARY 1 /* set cur to the ANDed summary word k / 64 */
#define CLASSIFY_BITS_WORD    2 /* set m to the ANDed word k */
#define CLASSIFY_BITS_RULE    3 /* *pos is the next candidate rule */

/*
 * The search's state, kept small because classify() keeps it live across kfunc calls: k is
 * the current word, whose summary word is k / 64; cur the summary bits of words after k not
 * visited yet; m the rules of word k not tried yet. Starts as {cur = ANDed summary word 0}.
 */
struct classify_bits {
	__u64 cur;
	__u64 m;
	__u32 k;
};

/*
 * 1 when x != 0, without a branch. Calms the verifier: left to itself, clang turns this into
 * "x != 0 ? 1 : 0", and six such branches per bit index give the verifier 64 paths, each
 * with a different constant index, in every iteration of the search loop.
 */
static __always_inline __u64 nonzero(__u64 x)
{
	__u64 t = x | -x;

	barrier_var(t);
	return t >> 63;
}

/*
 * Index of the only set bit of b. clang 14 cannot emit __builtin_ctzll for BPF, so: each
 * mask holds the bits whose index has one particular bit set.
 */
static __always_inline __u32 bit_index(__u64 b)
{
	return (__u32)(nonzero(b & 0xffffffff00000000ULL) << 5 |
	               nonzero(b & 0xffff0000ffff0000ULL) << 4 |
	               nonzero(b & 0xff00ff00ff00ff00ULL) << 3 |
	               nonzero(b & 0xf0f0f0f0f0f0f0f0ULL) << 2 |
	               nonzero(b & 0xccccccccccccccccULL) << 1 |
	               nonzero(b & 0xaaaaaaaaaaaaaaaaULL));
}

/* One step of the search over a chain of nwords words in use (at most TCFW_POLICY_WORDS). */
static __always_inline int classify_bits_step(struct classify_bits *s, __u32 nwords, __u32 *pos)
{
	__u64 bit;

	if (s->m) {
		/* Next matching rule in word k, lowest position first. */
		bit = s->m & -s->m;
		s->m ^= bit;
		*pos = s->k * 64 + bit_index(bit);
		return CLASSIFY_BITS_RULE;
	}
	if (!s->cur) {
		/* Next summary word; none past the chain's last word. */
		s->k = (s->k / 64 + 1) * 64;
		if (s->k / 64 >= TCFW_POLICY_SUMMARY_WORDS || s->k >= nwords)
			return CLASSIFY_BITS_DONE;
		return CLASSIFY_BITS_SUMMARY;
	}
	/* Next candidate word: the lowest bit left in the summary word. */
	bit = s->cur & -s->cur;
	s->cur ^= bit;
	s->k = ((s->k / 64) & (TCFW_POLICY_SUMMARY_WORDS - 1)) * 64 + bit_index(bit);
	if (s->k >= nwords || s->k >= TCFW_POLICY_WORDS)
		return CLASSIFY_BITS_DONE; /* words are visited in order: none further is in use */
	return CLASSIFY_BITS_WORD;
}

#endif /* TCFW_BPF_CLASSIFY_BITS_H */
