// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_file_read.c - file_read_all(), the one whole-file reader of fwd's policy file and
 * fwctl's `policy check|load`: empty files, files larger than the first buffer, the size
 * limit (-EFBIG) and the NUL after the text.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "file_read.h"

/* A temporary file holding n bytes of a repeating pattern, rewound. */
static FILE *file_of(size_t n)
{
	FILE *f = tmpfile();

	if (!f)
		fail_msg("test setup: tmpfile: %s", strerror(errno));
	for (size_t i = 0; i < n; i++)
		fputc('a' + (int)(i % 26), f);
	rewind(f);
	return f;
}

static void expect_read(const char *what, size_t size, size_t max, int want_err)
{
	FILE *f = file_of(size);
	char *text = (char *)1;
	size_t len = 7;
	int err = file_read_all(f, max, &text, &len);

	fclose(f);
	if (err != want_err)
		fail_msg("%s: file_read_all returned %d, expected %d", what, err, want_err);
	if (err) {
		assert_null(text);
		return;
	}
	if (len != size)
		fail_msg("%s: read %zu bytes, expected %zu", what, len, size);
	assert_int_equal(text[len], '\0');
	for (size_t i = 0; i < len; i++)
		if (text[i] != 'a' + (int)(i % 26))
			fail_msg("%s: byte %zu is '%c'", what, i, text[i]);
	free(text);
}

static void test_sizes(void **state)
{
	(void)state;
	expect_read("empty file", 0, 0, 0);
	expect_read("one byte", 1, 0, 0);
	expect_read("exactly the first buffer", 65535, 0, 0);
	expect_read("past the first buffer", 65536, 0, 0);
	expect_read("several growths", 300000, 0, 0);
}

static void test_limit(void **state)
{
	(void)state;
	expect_read("at the limit", 1000, 1000, 0);
	expect_read("one past the limit", 1001, 1000, -EFBIG);
	expect_read("far past the limit", 200000, 100000, -EFBIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sizes),
	    cmocka_unit_test(test_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
