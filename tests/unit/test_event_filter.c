// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_event_filter.c - `fwctl monitor`'s filter: event types, the connection filter's words on
 * events as fwd sends them (fwd/monitor.c), usage errors, and the wall-clock time of a line.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "event_filter.h"

static const char *const events[] = {
    /* 0 */ "{\"type\":\"new\",\"time_ns\":1,\"family\":\"ip\",\"proto\":\"tcp\","
	    "\"src\":\"192.0.2.1\",\"dst\":\"198.51.100.2\",\"sport\":40000,\"dport\":22}",
    /* 1 */
    "{\"type\":\"log\",\"time_ns\":2,\"family\":\"ip\",\"proto\":\"tcp\","
    "\"src\":\"192.0.2.1\",\"dst\":\"198.51.100.2\",\"sport\":40001,\"dport\":22}",
    /* 2 */
    "{\"type\":\"log\",\"time_ns\":3,\"family\":\"ip\",\"proto\":\"udp\","
    "\"src\":\"192.0.2.9\",\"dst\":\"198.51.100.2\",\"sport\":5353,\"dport\":53}",
    /* 3 */
    "{\"type\":\"destroy\",\"time_ns\":4,\"family\":\"ip\",\"proto\":\"tcp\","
    "\"src\":\"10.0.0.5\",\"dst\":\"203.0.113.7\",\"sport\":1234,\"dport\":443,"
    "\"reply\":{\"src\":\"203.0.113.7\",\"dst\":\"192.0.2.1\",\"sport\":443,"
    "\"dport\":61000},\"state\":\"time_wait\"}",
    /* 4 */
    "{\"type\":\"invalid\",\"time_ns\":5,\"family\":\"ip6\",\"proto\":\"icmpv6\","
    "\"src\":\"2001:db8::1\",\"dst\":\"2001:db8::2\",\"id\":7}",
    /* 5 */ "{\"type\":\"lost\",\"count\":3}",
};
#define N_EVENTS (sizeof(events) / sizeof(events[0]))

struct filter_case {
	const char *words; /* space separated */
	const char *want;  /* '1' where event i passes */
};

static const struct filter_case cases[] = {
    {"", "111111"},
    {"type log", "011001"},
    {"type new,destroy", "100101"},
    {"type log proto tcp port 22 addr 192.0.2.1", "010001"},
    {"proto udp", "001001"},
    {"addr 192.0.2.1", "110101"}, /* the destroy event's reply tuple holds it */
    {"port 61000", "000101"},
    {"src 10.0.0.0/8 dport 443", "000101"},
    {"state time_wait", "000101"},
    {"family ip6", "000011"},
    {"port 7", "000001"}, /* ICMP ids are not ports */
};

static int split(char *s, char **argv)
{
	int n = 0;

	for (char *w = strtok(s, " "); w; w = strtok(NULL, " "))
		argv[n++] = w;
	return n;
}

static void test_filter_cases(void **state)
{
	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		char buf[256], err[256] = "", got[N_EVENTS + 1] = {0};
		char *argv[32];
		struct event_filter f;
		int argc;

		snprintf(buf, sizeof(buf), "%s", cases[c].words);
		argc = split(buf, argv);
		if (event_filter_parse(argc, argv, &f, err, sizeof(err)) < 0)
			fail_msg("filter '%s' refused: %s", cases[c].words, err);
		for (size_t i = 0; i < N_EVENTS; i++) {
			struct json_object *ev = json_tokener_parse(events[i]);

			assert_non_null(ev);
			got[i] = event_filter_match(&f, ev) ? '1' : '0';
			json_object_put(ev);
		}
		if (strcmp(got, cases[c].want) != 0)
			fail_msg("filter '%s': events passed %s, expected %s", cases[c].words, got,
			         cases[c].want);
	}
}

static void test_filter_errors(void **state)
{
	static const struct {
		const char *words, *err;
	} bad[] = {
	    {"type lgo", "unknown event type 'lgo' (did you mean 'log'?)"},
	    {"type new,bogus",
	     "unknown event type 'bogus' (expected new, destroy, log or invalid, or several "
	     "joined by commas)"},
	    {"type", "'type' needs a value: new, destroy, log or invalid (or several joined by "
	             "commas)"},
	    {"type new type log",
	     "'type' given twice (write several types as one word: type new,destroy)"},
	    {"prot tcp", "unknown filter word 'prot' (did you mean 'proto'?)"},
	    {"port", "'port' needs a value: a port number 0-65535"},
	};

	(void)state;
	for (size_t c = 0; c < sizeof(bad) / sizeof(bad[0]); c++) {
		char buf[256], err[256] = "";
		char *argv[32];
		struct event_filter f;
		int argc;

		snprintf(buf, sizeof(buf), "%s", bad[c].words);
		argc = split(buf, argv);
		assert_int_equal(event_filter_parse(argc, argv, &f, err, sizeof(err)), -EINVAL);
		assert_string_equal(err, bad[c].err);
	}
}

static void test_time_format(void **state)
{
	char buf[64];

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	assert_string_equal(event_time_format_wall(1796329514123456789LL, buf, sizeof(buf)),
	                    "2026-12-03T20:25:14.123+00:00");
	setenv("TZ", "EST5", 1);
	tzset();
	assert_string_equal(event_time_format_wall(1796329514123456789LL, buf, sizeof(buf)),
	                    "2026-12-03T15:25:14.123-05:00");
	setenv("TZ", "UTC", 1);
	tzset();
	/* A monotonic stamp of "now" is about now: the year at least is right. */
	{
		struct timespec mono;
		time_t t = time(NULL);
		char year[8];

		clock_gettime(CLOCK_MONOTONIC, &mono);
		event_time_format((int64_t)mono.tv_sec * 1000000000 + mono.tv_nsec, buf,
		                  sizeof(buf));
		strftime(year, sizeof(year), "%Y", gmtime(&t));
		assert_memory_equal(buf, year, 4);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_filter_cases),
	    cmocka_unit_test(test_filter_errors),
	    cmocka_unit_test(test_time_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
