// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_classify_bits.c - classify()'s bit search (bpf/lib/classify_bits.h), compiled for user
 * space: driven over eight class bitmaps the way classify() drives it over the maps, it must
 * give exactly the rule positions that a naive bit-by-bit search finds set in all eight, in
 * ascending order and within CLASSIFY_MAX_STEPS steps: for many pseudo-random bitmaps, and for
 * the edges (no common bit, the last bit of the last word, word and summary-word boundaries,
 * summary bits over words whose AND is empty, bits beyond the chain's words in use, all set).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lib/classify_bits.h"

#define NCLASS 8 /* classify() ANDs eight fields' classes */

static struct tcfw_class cls[NCLASS];
static uint32_t got[TCFW_POLICY_MAX_RULES], want[TCFW_POLICY_MAX_RULES];

static uint64_t rnd_state = 88172645463325252ull;

static uint64_t rnd64(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static void set_rule(struct tcfw_class *c, uint32_t pos)
{
	c->w[pos / 64] |= 1ull << (pos % 64);
}

/* Summary bits as policy/compile.c writes them: one for every word that has a rule. */
static void fill_summaries(void)
{
	for (int c = 0; c < NCLASS; c++) {
		memset(cls[c].summary, 0, sizeof(cls[c].summary));
		for (uint32_t k = 0; k < TCFW_POLICY_WORDS; k++)
			if (cls[c].w[k])
				cls[c].summary[k / 64] |= 1ull << (k % 64);
	}
}

static uint64_t and_summary(uint32_t i)
{
	uint64_t v = ~0ull;

	for (int c = 0; c < NCLASS; c++)
		v &= cls[c].summary[i];
	return v;
}

static uint64_t and_word(uint32_t i)
{
	uint64_t v = ~0ull;

	for (int c = 0; c < NCLASS; c++)
		v &= cls[c].w[i];
	return v;
}

/* Every candidate classify() would try, in order, as if each were over its limit: the loop of
 * classify() with the map lookups replaced by the arrays. Fails the test when the steps run
 * out before the search says it is done. */
static size_t search(uint32_t nwords, uint32_t *out)
{
	struct classify_bits s = {0};
	size_t n = 0;

	s.cur = and_summary(0);
	for (uint32_t step = 0; step < CLASSIFY_MAX_STEPS; step++) {
		uint32_t pos = 0;

		switch (classify_bits_step(&s, nwords, &pos)) {
		case CLASSIFY_BITS_SUMMARY:
			assert_true(s.k / 64 < TCFW_POLICY_SUMMARY_WORDS);
			s.cur = and_summary(s.k / 64);
			continue;
		case CLASSIFY_BITS_WORD:
			assert_true(s.k < nwords);
			s.m = and_word(s.k);
			continue;
		case CLASSIFY_BITS_RULE:
			assert_true(pos < nwords * 64);
			out[n++] = pos;
			continue;
		case CLASSIFY_BITS_DONE:
			return n;
		default:
			fail_msg("classify_bits_step: unknown result");
		}
	}
	fail_msg("search not done after CLASSIFY_MAX_STEPS (%d) steps, nwords %u",
	         CLASSIFY_MAX_STEPS, nwords);
	return n;
}

/* The naive reference: every position of the words in use set in all eight classes. */
static size_t reference(uint32_t nwords, uint32_t *out)
{
	size_t n = 0;

	for (uint32_t pos = 0; pos < nwords * 64; pos++) {
		bool all = true;

		for (int c = 0; c < NCLASS && all; c++)
			all = (cls[c].w[pos / 64] >> (pos % 64)) & 1;
		if (all)
			out[n++] = pos;
	}
	return n;
}

static void check(const char *what, uint32_t nwords)
{
	size_t ng = search(nwords, got), nw = reference(nwords, want);

	if (ng != nw)
		fail_msg("%s (nwords %u): the search found %zu rules, the reference %zu (first: %d "
		         "vs %d)",
		         what, nwords, ng, nw, ng ? (int)got[0] : -1, nw ? (int)want[0] : -1);
	for (size_t i = 0; i < nw; i++)
		if (got[i] != want[i])
			fail_msg("%s (nwords %u): candidate %zu is rule %u, the reference's is %u",
			         what, nwords, i, got[i], want[i]);
}

static void clear(void)
{
	memset(cls, 0, sizeof(cls));
}

/* The same rule positions in all eight classes. */
static void set_all(uint32_t pos)
{
	for (int c = 0; c < NCLASS; c++)
		set_rule(&cls[c], pos);
}

static void test_bit_index(void **state)
{
	(void)state;
	for (uint32_t i = 0; i < 64; i++)
		assert_int_equal(bit_index(1ull << i), i);
}

static void test_edges(void **state)
{
	static const uint32_t bounds[] = {0,    63,   64,   127,  128,   4031,  4032,  4095,
	                                  4096, 4159, 8191, 8192, 12287, 12288, 16320, 16383};

	(void)state;
	clear();
	fill_summaries();
	check("all empty", TCFW_POLICY_WORDS);
	check("no words in use", 0);

	clear();
	set_all(TCFW_POLICY_MAX_RULES - 1);
	fill_summaries();
	check("only the last bit of the last word", TCFW_POLICY_WORDS);
	assert_int_equal(search(TCFW_POLICY_WORDS, got), 1);
	assert_int_equal(got[0], TCFW_POLICY_MAX_RULES - 1);
	check("the last word not in use", TCFW_POLICY_WORDS - 1);

	for (size_t i = 0; i < sizeof(bounds) / sizeof(bounds[0]); i++) {
		char what[64];

		clear();
		set_all(bounds[i]);
		fill_summaries();
		snprintf(what, sizeof(what), "only rule %u", bounds[i]);
		check(what, TCFW_POLICY_WORDS);
		assert_int_equal(search(TCFW_POLICY_WORDS, got), 1);
		check(what, bounds[i] / 64 + 1); /* its word the last in use */
		check(what, bounds[i] / 64);     /* its word just past the last in use */
	}

	clear();
	for (size_t i = 0; i < sizeof(bounds) / sizeof(bounds[0]); i++)
		set_all(bounds[i]);
	fill_summaries();
	check("all the boundaries at once", TCFW_POLICY_WORDS);

	/* Every summary bit set, every word's AND empty: each class has a different bit. */
	clear();
	for (uint32_t k = 0; k < TCFW_POLICY_WORDS; k++)
		for (int c = 0; c < NCLASS; c++)
			set_rule(&cls[c], k * 64 + (uint32_t)c);
	fill_summaries();
	check("summary bits over empty ANDs", TCFW_POLICY_WORDS);
	assert_int_equal(search(TCFW_POLICY_WORDS, got), 0);
	set_all(TCFW_POLICY_MAX_RULES - 1);
	check("summary bits over empty ANDs, then the last rule", TCFW_POLICY_WORDS);

	/* Every rule of every class: the longest search, exactly CLASSIFY_MAX_STEPS steps. */
	memset(cls, 0xff, sizeof(cls));
	check("all set", TCFW_POLICY_WORDS);
	assert_int_equal(search(TCFW_POLICY_WORDS, got), TCFW_POLICY_MAX_RULES);
	check("all set, 100 words in use", 100);
	check("all set, 1 word in use", 1);
}

static void test_random(void **state)
{
	(void)state;
	for (int round = 0; round < 300; round++) {
		uint32_t nwords = round % 4 == 0 ? TCFW_POLICY_WORDS
		                                 : (uint32_t)(rnd64() % TCFW_POLICY_WORDS) + 1;
		uint32_t hot = (uint32_t)(rnd64() % 24);
		char what[64];

		clear();
		/* Words dense in every class (each bit in all eight with a chance of (7/8)^8, about
		 * a third), some sparse words in single classes (summary bits whose AND is empty),
		 * words beyond nwords included. */
		for (uint32_t h = 0; h < hot; h++) {
			uint32_t k = (uint32_t)(rnd64() % TCFW_POLICY_WORDS);

			for (int c = 0; c < NCLASS; c++)
				cls[c].w[k] |= rnd64() | rnd64() | rnd64();
		}
		for (int c = 0; c < NCLASS; c++)
			for (int i = 0; i < 16; i++)
				cls[c].w[rnd64() % TCFW_POLICY_WORDS] |= 1ull << (rnd64() % 64);
		fill_summaries();
		snprintf(what, sizeof(what), "random round %d", round);
		check(what, nwords);
		/* Extra summary bits, over words without rules, cost steps but find nothing more.
		 */
		for (int c = 0; c < NCLASS; c++)
			cls[c].summary[rnd64() % TCFW_POLICY_SUMMARY_WORDS] |= rnd64();
		check(what, nwords);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bit_index),
	    cmocka_unit_test(test_edges),
	    cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
