// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_ctl_reply.c - the control protocol's responses as fwd builds them (ctl_reply_ok,
 * ctl_reply_error) and as fwctl reads them (ctl_reply_parse): a round trip through the text
 * on the socket, the defaults for a refusal without reason, and what is not a response.
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
#include <json-c/json.h>

#include "ctl.h"

/* resp as it travels (text), parsed again: what fwctl receives. Takes resp. */
static struct json_object *over_the_wire(struct json_object *resp)
{
	struct json_object *back = json_tokener_parse(json_object_to_json_string(resp));

	json_object_put(resp);
	assert_non_null(back);
	return back;
}

static void test_ok_with_data(void **state)
{
	struct json_object *data = json_object_new_object(), *resp, *v;
	struct ctl_reply r;

	(void)state;
	json_object_object_add(data, "deleted", json_object_new_int(3));
	resp = over_the_wire(ctl_reply_ok(data));
	assert_int_equal(ctl_reply_parse(resp, &r), 0);
	assert_true(r.ok);
	assert_non_null(r.data);
	assert_true(json_object_object_get_ex(r.data, "deleted", &v));
	assert_int_equal(json_object_get_int(v), 3);
	json_object_put(resp);

	resp = over_the_wire(ctl_reply_ok(NULL));
	assert_int_equal(ctl_reply_parse(resp, &r), 0);
	assert_true(r.ok);
	assert_null(r.data);
	json_object_put(resp);
}

static void test_errors(void **state)
{
	struct json_object *resp;
	struct ctl_reply r;

	(void)state;
	resp = over_the_wire(ctl_reply_error(2, "unknown filter word 'x'"));
	assert_int_equal(ctl_reply_parse(resp, &r), 0);
	assert_false(r.ok);
	assert_string_equal(r.error, "unknown filter word 'x'");
	assert_int_equal(r.status, 2);
	json_object_put(resp);

	resp = over_the_wire(ctl_reply_error(1, "cannot write the policy"));
	assert_int_equal(ctl_reply_parse(resp, &r), 0);
	assert_int_equal(r.status, 1);
	json_object_put(resp);

	/* A refusal without a reason or with an odd status: a failure, with a message. */
	resp = json_tokener_parse("{\"ok\": false, \"status\": 7}");
	assert_int_equal(ctl_reply_parse(resp, &r), 0);
	assert_false(r.ok);
	assert_int_equal(r.status, 1);
	assert_non_null(r.error);
	json_object_put(resp);
}

static void test_not_a_reply(void **state)
{
	static const char *const texts[] = {"{}", "{\"ok\": 1}", "{\"event\": {}}", "[]"};
	struct ctl_reply r;

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct json_object *o = json_tokener_parse(texts[i]);

		if (ctl_reply_parse(o, &r) != -EPROTO)
			fail_msg("%s was read as a response", texts[i]);
		json_object_put(o);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ok_with_data),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_not_a_reply),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
