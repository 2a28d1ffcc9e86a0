// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_quote.c - user input quoted for messages (lib/quote.c): short input as it is, long input
 * cut at 64 bytes with "…" and its length, control characters and invalid UTF-8 escaped, a
 * UTF-8 character never cut, several QUOTE()s in one call, and the filter words of fwctl and
 * ct-del (lib/ct_filter.c) as one user of it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ct_filter.h"
#include "quote.h"

static void expect_quote(const char *in, const char *want, const char *what)
{
	const char *got = QUOTE(in);

	if (strcmp(got, want) != 0)
		fail_msg("%s: expected %s, got %s", what, want, got);
	if (strlen(got) >= QUOTE_SIZE)
		fail_msg("%s: %zu bytes, more than QUOTE_SIZE", what, strlen(got));
}

static void test_short_input_unchanged(void **state)
{
	(void)state;
	expect_quote("alow", "'alow'", "a word");
	expect_quote("", "''", "empty");
	expect_quote(NULL, "'(null)'", "NULL");
	expect_quote("zone é—x", "'zone é—x'", "UTF-8 kept");
}

static void test_long_input_cut(void **state)
{
	char in[200], want[256];

	(void)state;
	memset(in, 'a', 64);
	in[64] = '\0';
	snprintf(want, sizeof(want), "'%s'", in);
	expect_quote(in, want, "64 bytes: whole");
	memset(in, 'a', 65);
	in[65] = '\0';
	snprintf(want, sizeof(want), "'%.64s…' (65 bytes)", in);
	expect_quote(in, want, "65 bytes: cut");
}

static void test_ten_megabytes(void **state)
{
	const size_t n = 10u << 20;
	char *in = malloc(n + 1), want[128];

	(void)state;
	assert_non_null(in);
	memset(in, 'x', n);
	in[n] = '\0';
	snprintf(want, sizeof(want), "'%.64s…' (%zu bytes)", in, n);
	expect_quote(in, want, "10 MB");
	free(in);
}

static void test_escapes(void **state)
{
	char in[100], want[200];

	(void)state;
	expect_quote("a\x1b[31mb\n", "'a\\x1b[31mb\\x0a'", "control characters");
	expect_quote("\xff\xfe ok", "'\\xff\\xfe ok'", "invalid UTF-8");
	expect_quote("\xc3(", "'\\xc3('", "a lead byte without its continuation");
	/* Escapes count in the 64 bytes: 16 of them fill it. */
	memset(in, '\x01', 20);
	in[20] = '\0';
	snprintf(
	    want, sizeof(want), "'%s…' (20 bytes)",
	    "\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01");
	expect_quote(in, want, "20 control characters");
}

static void test_utf8_not_cut(void **state)
{
	char in[200] = "", want[256];

	(void)state;
	/* 63 ASCII bytes, then "é" (2 bytes) would make 65: it is left out whole. */
	memset(in, 'a', 63);
	strcpy(in + 63, "éé");
	snprintf(want, sizeof(want), "'%.63s…' (67 bytes)", in);
	expect_quote(in, want, "a 2-byte character across the limit");
}

static void test_several_in_one_call(void **state)
{
	char buf[300];

	(void)state;
	snprintf(buf, sizeof(buf), "%s and %s", QUOTE("one"), QUOTE("two"));
	assert_string_equal(buf, "'one' and 'two'");
}

static void test_small_buffer(void **state)
{
	char buf[16];

	(void)state;
	quote_into(buf, sizeof(buf), "a long word that does not fit");
	assert_true(strlen(buf) < sizeof(buf));
	assert_true(buf[0] == '\'');
}

static void test_ct_filter_huge_word(void **state)
{
	const size_t n = 1u << 20;
	char *word = malloc(n + 1), err[512];
	char *argv[2] = {NULL, NULL};
	struct ct_filter f;

	(void)state;
	assert_non_null(word);
	memset(word, 'w', n);
	word[n] = '\0';
	argv[0] = word;
	assert_int_not_equal(ct_filter_parse(1, argv, &f, err, sizeof(err)), 0);
	if (strlen(err) >= 300 || !strstr(err, "…' (1048576 bytes)"))
		fail_msg("a filter word of 1 MiB: expected a short error naming its length, got %s",
		         err);
	argv[0] = "proto";
	argv[1] = word;
	assert_int_not_equal(ct_filter_parse(2, argv, &f, err, sizeof(err)), 0);
	if (strlen(err) >= 300 || !strstr(err, "…' (1048576 bytes)"))
		fail_msg("a protocol of 1 MiB: expected a short error naming its length, got %s",
		         err);
	free(word);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_short_input_unchanged),
	    cmocka_unit_test(test_long_input_cut),
	    cmocka_unit_test(test_ten_megabytes),
	    cmocka_unit_test(test_escapes),
	    cmocka_unit_test(test_utf8_not_cut),
	    cmocka_unit_test(test_several_in_one_call),
	    cmocka_unit_test(test_small_buffer),
	    cmocka_unit_test(test_ct_filter_huge_word),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
