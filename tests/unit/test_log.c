// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_log.c - the logger's levels and its prefixes: "prog: " on every line of a message, or
 * under the journal (JOURNAL_STREAM naming stderr) the syslog priority instead.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"

/* Run fn with stderr redirected to a temporary file; returns what it wrote. journal: set
 * JOURNAL_STREAM to that file (as systemd does for its stream) before fn runs. */
static char *capture(void (*fn)(void), int journal)
{
	static char buf[4096];
	FILE *tmp = tmpfile();
	int saved = dup(2);
	struct stat st;
	char js[64];
	size_t n;

	assert_non_null(tmp);
	fflush(stderr);
	assert_int_equal(dup2(fileno(tmp), 2), 2);
	if (journal == 1) {
		assert_int_equal(fstat(2, &st), 0);
		snprintf(js, sizeof(js), "%llu:%llu", (unsigned long long)st.st_dev,
		         (unsigned long long)st.st_ino);
		setenv("JOURNAL_STREAM", js, 1);
	} else if (journal == 2) {
		setenv("JOURNAL_STREAM", "1:1", 1); /* another stream: a redirected child */
	} else {
		unsetenv("JOURNAL_STREAM");
	}
	log_journal_prefixes_auto();
	fn();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	n = fread(buf, 1, sizeof(buf) - 1, tmp);
	buf[n] = '\0';
	fclose(tmp);
	unsetenv("JOURNAL_STREAM");
	log_journal_prefixes_auto();
	return buf;
}

static void say_all(void)
{
	pr_warn("cannot attach to lan0: %s", "Operation not permitted");
	pr_notice("running: %d interface(s)", 2);
	pr_info("loading the datapath");
	pr_debug("expiry pass");
	pr_warn("p.conf:1:1: first\np.conf:2:1: second\n");
}

static void test_default_level_is_notice(void **state)
{
	(void)state;
	log_init("fwd", LOG_LEVEL_NOTICE);
	assert_string_equal(capture(say_all, 0),
	                    "fwd: cannot attach to lan0: Operation not permitted\n"
	                    "fwd: running: 2 interface(s)\n"
	                    "fwd: p.conf:1:1: first\n"
	                    "fwd: p.conf:2:1: second\n");
}

static void test_verbose_levels(void **state)
{
	(void)state;
	log_init("fwd", LOG_LEVEL_DEBUG);
	assert_non_null(
	    strstr(capture(say_all, 0), "fwd: loading the datapath\nfwd: expiry pass\n"));
	log_init("fwctl", LOG_LEVEL_WARN);
	assert_string_equal(capture(say_all, 0),
	                    "fwctl: cannot attach to lan0: Operation not permitted\n"
	                    "fwctl: p.conf:1:1: first\n"
	                    "fwctl: p.conf:2:1: second\n");
}

static void test_journal_priorities(void **state)
{
	(void)state;
	log_init("fwd", LOG_LEVEL_DEBUG);
	assert_string_equal(capture(say_all, 1),
	                    "<3>cannot attach to lan0: Operation not permitted\n"
	                    "<5>running: 2 interface(s)\n"
	                    "<6>loading the datapath\n"
	                    "<7>expiry pass\n"
	                    "<3>p.conf:1:1: first\n"
	                    "<3>p.conf:2:1: second\n");
}

static void test_journal_of_another_stream(void **state)
{
	(void)state;
	log_init("fwd", LOG_LEVEL_NOTICE);
	assert_non_null(strstr(capture(say_all, 2), "fwd: running: 2 interface(s)\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_default_level_is_notice),
	    cmocka_unit_test(test_verbose_levels),
	    cmocka_unit_test(test_journal_priorities),
	    cmocka_unit_test(test_journal_of_another_stream),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
