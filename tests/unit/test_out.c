// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_out.c - the same out_* calls give the expected text and the expected JSON; odd strings
 * are escaped so the JSON parses back to the same bytes; nesting works; a large top-level
 * array is streamed element by element and parses back complete.
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "out.h"

/* Output captured in memory for one test. */
struct capture {
	FILE *f;
	char *buf;
	size_t len;
};

static void capture_start(struct capture *c, bool json)
{
	c->buf = NULL;
	c->len = 0;
	c->f = open_memstream(&c->buf, &c->len);
	assert_non_null(c->f);
	out_init(c->f, json);
}

/* Finish, close the stream, return what was written (caller frees). */
static char *capture_end(struct capture *c)
{
	out_finish();
	fclose(c->f);
	out_init(stdout, false);
	return c->buf;
}

/* One fixed record through every kind of call: the reference for text vs JSON. */
static void print_record(void)
{
	out_open_object(NULL);
	out_str("name", "name=%s ", "eth0");
	out_uint("mtu", "mtu %" PRIu64 " ", 1500);
	out_int("delta", "delta %" PRId64 " ", -42);
	out_bool("up", "up=%s ", true);
	out_null("master");
	out_str("json_only", NULL, "hidden in text");
	out_text("[text only] ");
	out_open_object("stats");
	out_uint("rx", "rx=%" PRIu64 " ", UINT64_MAX);
	out_uint("tx", "tx=%" PRIu64, 0);
	out_close_object();
	out_open_array("addrs");
	out_str(NULL, " %s", "192.0.2.1");
	out_str(NULL, " %s", "2001:db8::1");
	out_close_array();
	out_text("\n");
	out_close_object();
}

static void test_text_and_json_same_calls(void **state)
{
	struct capture c;
	char *s;

	(void)state;
	capture_start(&c, false);
	print_record();
	s = capture_end(&c);
	if (strcmp(s, "name=eth0 mtu 1500 delta -42 up=true [text only] rx=18446744073709551615 "
	              "tx=0 192.0.2.1 2001:db8::1\n") != 0)
		fail_msg("text output was \"%s\"", s);
	free(s);

	capture_start(&c, true);
	print_record();
	s = capture_end(&c);
	if (strcmp(s, "{\"name\":\"eth0\",\"mtu\":1500,\"delta\":-42,\"up\":true,\"master\":null,"
	              "\"json_only\":\"hidden in text\",\"stats\":{\"rx\":18446744073709551615,"
	              "\"tx\":0},\"addrs\":[\"192.0.2.1\",\"2001:db8::1\"]}\n") != 0)
		fail_msg("JSON output was %s", s);
	free(s);
}

/* Strings that need escaping come back byte for byte. */
static void test_escaping(void **state)
{
	static const char *const odd[] = {
	    "quote \" here",
	    "back\\slash",
	    "new\nline\ttab",
	    "ctl \x01\x1f end",
	    "slash / kept",
	    "utf-8 caf\xc3\xa9",
	    "",
	    "}{][,:",
	};
	struct capture c;
	struct json_object *doc;
	char *s;

	(void)state;
	capture_start(&c, true);
	out_open_array(NULL);
	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		out_open_object(NULL);
		out_str(odd[i], NULL, odd[i]); /* odd keys too */
		out_close_object();
	}
	out_close_array();
	s = capture_end(&c);
	doc = json_tokener_parse(s);
	if (!doc)
		fail_msg("escaped output does not parse as JSON: %s", s);
	assert_int_equal(json_object_array_length(doc), sizeof(odd) / sizeof(odd[0]));
	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		struct json_object *o = json_object_array_get_idx(doc, i), *v;

		if (!json_object_object_get_ex(o, odd[i], &v))
			fail_msg("element %zu lost its key \"%s\"", i, odd[i]);
		if (strcmp(json_object_get_string(v), odd[i]) != 0)
			fail_msg("element %zu: got \"%s\", expected \"%s\"", i,
			         json_object_get_string(v), odd[i]);
	}
	/* Newlines only between elements ("[\n" e ",\n" e ... "\n]\n"): none from the strings. */
	size_t newlines = 0;
	for (const char *p = s; *p; p++)
		newlines += *p == '\n';
	if (newlines != sizeof(odd) / sizeof(odd[0]) + 2)
		fail_msg("%zu newlines in the output: a raw one leaked from a string? %s", newlines,
		         s);
	if (!strstr(s, "slash / kept"))
		fail_msg("'/' should not be escaped: %s", s);
	json_object_put(doc);
	free(s);
}

static void test_nesting(void **state)
{
	struct capture c;
	char *s;

	(void)state;
	capture_start(&c, true);
	out_open_object(NULL);
	out_open_array("a");
	out_open_array(NULL);
	out_uint(NULL, NULL, 1);
	out_open_object(NULL);
	out_open_object("deep");
	out_str("k", NULL, "v");
	out_close_object();
	out_close_object();
	out_close_array();
	out_open_array(NULL);
	out_close_array();
	out_close_array();
	out_open_object("empty");
	out_close_object();
	out_close_object();
	s = capture_end(&c);
	if (strcmp(s, "{\"a\":[[1,{\"deep\":{\"k\":\"v\"}}],[]],\"empty\":{}}\n") != 0)
		fail_msg("nested JSON was %s", s);
	free(s);
}

/* Successive top-level objects are one JSON document per line (monitor -j). */
static void test_top_level_objects_one_per_line(void **state)
{
	struct capture c;
	char *s;

	(void)state;
	capture_start(&c, true);
	for (int i = 0; i < 3; i++) {
		out_open_object(NULL);
		out_int("n", NULL, i);
		out_close_object();
	}
	out_uint(NULL, NULL, 7); /* a bare top-level value */
	s = capture_end(&c);
	assert_string_equal(s, "{\"n\":0}\n{\"n\":1}\n{\"n\":2}\n7\n");
	free(s);
}

static void test_empty_array_and_finish(void **state)
{
	struct capture c;
	struct json_object *doc;
	char *s;

	(void)state;
	capture_start(&c, true);
	out_open_array(NULL);
	out_close_array();
	s = capture_end(&c);
	assert_string_equal(s, "[]\n");
	free(s);

	/* out_finish closes whatever is still open, so an interrupted listing still parses. */
	capture_start(&c, true);
	out_open_array(NULL);
	out_open_object(NULL);
	out_open_object("orig");
	out_str("src", NULL, "192.0.2.1");
	s = capture_end(&c);
	doc = json_tokener_parse(s);
	if (!doc)
		fail_msg("output closed by out_finish does not parse: %s", s);
	assert_int_equal(json_object_array_length(doc), 1);
	json_object_put(doc);
	free(s);
}

/* fwctl -p: the same documents, indented over several lines, and a streamed array still
 * parses as one document. */
static void test_pretty(void **state)
{
	struct capture c;
	struct json_object *doc, *plain;
	char *s;

	(void)state;
	capture_start(&c, true);
	out_set_pretty(true);
	out_open_array(NULL);
	print_record();
	print_record();
	out_close_array();
	out_set_pretty(false);
	s = capture_end(&c);
	assert_non_null(strstr(s, "\n  \"name\": \"eth0\",\n"));
	doc = json_tokener_parse(s);
	if (!doc)
		fail_msg("pretty output does not parse: %s", s);
	free(s);
	capture_start(&c, true);
	print_record();
	s = capture_end(&c);
	plain = json_tokener_parse(s);
	assert_non_null(plain);
	assert_int_equal(json_object_array_length(doc), 2);
	assert_true(json_object_equal(json_object_array_get_idx(doc, 1), plain));
	json_object_put(doc);
	json_object_put(plain);
	free(s);
}

/* Text mode ignores containers and JSON-only fields entirely. */
static void test_text_ignores_structure(void **state)
{
	struct capture c;
	char *s;

	(void)state;
	capture_start(&c, false);
	out_open_array(NULL);
	out_open_object(NULL);
	out_uint("n", NULL, 5);
	out_null("x");
	out_close_object();
	out_close_array();
	s = capture_end(&c);
	assert_string_equal(s, "");
	free(s);
}

/* A json-c value passes through unchanged in JSON mode and prints nothing in text mode. */
static void test_passthrough(void **state)
{
	struct json_object *v = json_tokener_parse("{\"iface\":{\"name\":\"lan0\",\"up\":true},"
	                                           "\"n\":[1,2]}");
	struct capture c;
	char *s;

	(void)state;
	assert_non_null(v);
	capture_start(&c, true);
	out_json(NULL, v);
	out_open_array(NULL);
	out_json(NULL, v);
	out_open_object(NULL);
	out_json("inner", v);
	out_close_object();
	out_close_array();
	s = capture_end(&c);
	assert_string_equal(s, "{\"iface\":{\"name\":\"lan0\",\"up\":true},\"n\":[1,2]}\n"
	                       "[\n{\"iface\":{\"name\":\"lan0\",\"up\":true},\"n\":[1,2]},\n"
	                       "{\"inner\":{\"iface\":{\"name\":\"lan0\",\"up\":true},\"n\":[1,2]}}"
	                       "\n]\n");
	free(s);

	capture_start(&c, false);
	out_json("x", v);
	s = capture_end(&c);
	assert_string_equal(s, "");
	free(s);
	/* The caller's reference is still its own. */
	assert_int_equal(json_object_put(v), 1);
}

#define BIG_COUNT 200000

/* Each element of a top-level array is written when it closes; the whole parses back. */
static void test_streaming_large_array(void **state)
{
	struct capture c;
	struct json_object *doc;
	size_t len_after_first;
	char *s;

	(void)state;
	capture_start(&c, true);
	out_open_array(NULL);
	out_open_object(NULL);
	out_uint("i", NULL, 0);
	out_close_object();
	fflush(c.f);
	len_after_first = c.len;
	if (!c.buf || !strstr(c.buf, "{\"i\":0}"))
		fail_msg("the first element was not written when it closed (have \"%s\")",
		         c.buf ? c.buf : "");
	for (uint64_t i = 1; i < BIG_COUNT; i++) {
		out_open_object(NULL);
		out_uint("i", NULL, i);
		out_open_object("orig");
		out_str("src", NULL, "2001:db8::1");
		out_close_object();
		out_close_object();
	}
	fflush(c.f);
	if (c.len < len_after_first + (size_t)BIG_COUNT * 20)
		fail_msg("after %d elements only %zu bytes were written: not streamed", BIG_COUNT,
		         c.len);
	out_close_array();
	s = capture_end(&c);

	doc = json_tokener_parse(s);
	if (!doc)
		fail_msg("streamed array of %d elements does not parse", BIG_COUNT);
	if (json_object_array_length(doc) != BIG_COUNT)
		fail_msg("streamed array has %zu elements, expected %d",
		         json_object_array_length(doc), BIG_COUNT);
	for (size_t i = 0; i < BIG_COUNT; i += 9973) {
		struct json_object *v;

		if (!json_object_object_get_ex(json_object_array_get_idx(doc, i), "i", &v) ||
		    (size_t)json_object_get_uint64(v) != i)
			fail_msg("element %zu is wrong or out of order", i);
	}
	json_object_put(doc);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_text_and_json_same_calls),
	    cmocka_unit_test(test_escaping),
	    cmocka_unit_test(test_nesting),
	    cmocka_unit_test(test_top_level_objects_one_per_line),
	    cmocka_unit_test(test_empty_array_and_finish),
	    cmocka_unit_test(test_text_ignores_structure),
	    cmocka_unit_test(test_pretty),
	    cmocka_unit_test(test_passthrough),
	    cmocka_unit_test(test_streaming_large_array),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
