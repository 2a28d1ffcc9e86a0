// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_csum_fold.c - the datapath's checksum arithmetic (bpf/lib/csum_fold.h), compiled for
 * user space: an incremental update after a 4- or 2-byte field changes must equal the checksum
 * recomputed over the whole rewritten header (RFC 1071), for many pseudo-random headers,
 * including the all-ones and zero corner cases RFC 1624 is about; csum_fold64 folds a sum of
 * 32-bit words as the kernel's bpf_csum_diff() gives it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lib/csum_fold.h"

#define HDR_WORDS 10 /* a 20-byte IPv4 header */

/* RFC 1071 checksum of n 16-bit words as they lie in memory (byte order does not matter). */
static uint16_t csum_full(const uint16_t *w, size_t n)
{
	uint32_t sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += w[i];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t rnd_state = 12345;

static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

/* A header with its checksum (word 5) set, a field at word off (2 words when wide) rewritten
 * to `to`, the checksum updated incrementally: it must match the recomputed one. */
static void check_update(const char *what, uint16_t *h, unsigned int off, bool wide, uint32_t to)
{
	uint32_t from = 0;
	uint16_t want;

	h[5] = 0;
	h[5] = csum_full(h, HDR_WORDS);
	memcpy(&from, &h[off], wide ? 4 : 2);
	memcpy(&h[off], &to, wide ? 4 : 2);
	h[5] = csum_fold_change(h[5], csum_change(from, wide ? to : (uint16_t)to), true);
	want = csum_full(h, HDR_WORDS); /* over the header with its checksum: 0 when right */
	if (want != 0 && want != 0xffff)
		fail_msg("%s: the checksum after the update does not verify (sum %#x)", what, want);
}

static void test_incremental_equals_full(void **state)
{
	uint16_t h[HDR_WORDS];

	(void)state;
	for (int round = 0; round < 20000; round++) {
		for (int i = 0; i < HDR_WORDS; i++)
			h[i] = (uint16_t)rnd();
		check_update("address (4 bytes)", h, 6, true, rnd());
		check_update("port (2 bytes)", h, 8, false, rnd() & 0xffff);
	}
}

static void test_corner_cases(void **state)
{
	uint16_t h[HDR_WORDS];

	(void)state;
	memset(h, 0, sizeof(h));
	check_update("all zero, to all ones", h, 6, true, 0xffffffff);
	memset(h, 0xff, sizeof(h));
	check_update("all ones, to zero", h, 6, true, 0);
	memset(h, 0, sizeof(h));
	check_update("no change", h, 8, false, 0);
}

static void test_fold64(void **state)
{
	uint16_t h[HDR_WORDS];
	uint64_t sum = 0;
	uint32_t word;

	(void)state;
	for (int round = 0; round < 1000; round++) {
		for (int i = 0; i < HDR_WORDS; i++)
			h[i] = (uint16_t)rnd();
		sum = 0;
		for (int i = 0; i < HDR_WORDS; i += 2) {
			memcpy(&word, &h[i], 4);
			sum += word;
		}
		assert_int_equal(csum_fold64(sum), csum_full(h, HDR_WORDS));
	}
	assert_int_equal(csum_fold64(0), 0xffff);
	/* Carries out of both halves: 2 * 0xffffffff is one's complement -0 (0xffff once folded),
	 * whose checksum is 0, as the kernel's csum_fold() gives. */
	assert_int_equal(csum_fold64(2ull * 0xffffffffull), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_incremental_equals_full),
	    cmocka_unit_test(test_corner_cases),
	    cmocka_unit_test(test_fold64),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
