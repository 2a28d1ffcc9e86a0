// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_ctl.c - the control protocol's framing (lib/ctl.c) over a socketpair: several messages
 * in one read, a message split over many reads, a message of several megabytes, EOF between
 * and inside messages, lines that are not JSON objects, and a request/response round trip.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "ctl.h"

struct pair {
	struct ctl_conn rx; /* the side under test */
	int tx;             /* raw writer */
};

static int pair_setup(void **state)
{
	struct pair *p = calloc(1, sizeof(*p));
	int sv[2];

	assert_non_null(p);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	p->rx.fd = sv[0];
	p->tx = sv[1];
	*state = p;
	return 0;
}

static int pair_teardown(void **state)
{
	struct pair *p = *state;

	ctl_close(&p->rx);
	if (p->tx >= 0)
		close(p->tx);
	free(p);
	return 0;
}

static void write_raw(int fd, const char *s, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, s, len);

		if (n < 0)
			fail_msg("write to the socketpair failed: %s", strerror(errno));
		s += n;
		len -= (size_t)n;
	}
}

/* Receive one message and check that its member "n" is the expected integer. */
static void expect_msg_n(struct ctl_conn *c, int expected_n, const char *step)
{
	struct json_object *msg = NULL, *n;
	int ret = ctl_recv(c, &msg);

	if (ret != 1)
		fail_msg("%s: ctl_recv returned %d (%s), expected 1 (a message with n=%d)", step,
		         ret, ret < 0 ? strerror(-ret) : "EOF", expected_n);
	if (!json_object_object_get_ex(msg, "n", &n))
		fail_msg("%s: message %s has no member \"n\" (expected n=%d)", step,
		         json_object_to_json_string(msg), expected_n);
	if (json_object_get_int(n) != expected_n)
		fail_msg("%s: got n=%d, expected n=%d", step, json_object_get_int(n), expected_n);
	json_object_put(msg);
}

static void test_several_messages_in_one_read(void **state)
{
	struct pair *p = *state;
	const char *three = "{\"n\":1}\n{\"n\":2,\"s\":\"a\\nb\"}\n{\"n\":3}\n";
	struct json_object *msg = NULL;

	write_raw(p->tx, three, strlen(three));
	expect_msg_n(&p->rx, 1, "first of three in one write");
	expect_msg_n(&p->rx, 2, "second of three (escaped newline inside a string)");
	expect_msg_n(&p->rx, 3, "third of three");
	/* Nothing more: the non-blocking receive must say so rather than block. */
	assert_int_equal(ctl_recv_ready(&p->rx, &msg), -EAGAIN);
	assert_null(msg);
}

static void test_partial_reads(void **state)
{
	struct pair *p = *state;
	const char *text = "{\"n\":42,\"pad\":\"xxxxxxxxxxxxxxxx\"}\n";
	size_t len = strlen(text);
	struct json_object *msg = NULL;

	for (size_t i = 0; i + 1 < len; i++) {
		write_raw(p->tx, text + i, 1);
		int ret = ctl_recv_ready(&p->rx, &msg);

		if (ret != -EAGAIN)
			fail_msg("after %zu of %zu bytes: ctl_recv_ready returned %d, expected "
			         "-EAGAIN (message not complete yet)",
			         i + 1, len, ret);
	}
	write_raw(p->tx, text + len - 1, 1);
	assert_int_equal(ctl_recv_ready(&p->rx, &msg), 1);
	assert_int_equal(json_object_get_int(json_object_object_get(msg, "n")), 42);
	json_object_put(msg);
}

static void test_large_message(void **state)
{
	struct pair *p = *state;
	const size_t big = 5u << 20; /* larger than any socket buffer: many reads */
	char *payload = malloc(big + 1);
	struct json_object *msg = NULL, *text;
	pid_t child;
	int status;

	assert_non_null(payload);
	for (size_t i = 0; i < big; i++)
		payload[i] = (char)('a' + i % 26);
	payload[big] = '\0';

	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct ctl_conn tx = {.fd = p->tx};
		struct json_object *m = json_object_new_object();

		json_object_object_add(m, "text", json_object_new_string(payload));
		json_object_object_add(m, "n", json_object_new_int(7));
		_exit(ctl_send(&tx, m) == 0 ? 0 : 1);
	}
	assert_int_equal(ctl_recv(&p->rx, &msg), 1);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_true(json_object_object_get_ex(msg, "text", &text));
	if ((size_t)json_object_get_string_len(text) != big ||
	    memcmp(json_object_get_string(text), payload, big) != 0)
		fail_msg("large message: received %d bytes of text, expected %zu identical bytes",
		         json_object_get_string_len(text), big);
	json_object_put(msg);
	free(payload);
}

static void test_eof_between_messages(void **state)
{
	struct pair *p = *state;
	struct json_object *msg = NULL;

	write_raw(p->tx, "{\"n\":1}\n", 8);
	close(p->tx);
	p->tx = -1;
	expect_msg_n(&p->rx, 1, "message before EOF");
	assert_int_equal(ctl_recv(&p->rx, &msg), 0);
	assert_null(msg);
}

static void test_eof_inside_message(void **state)
{
	struct pair *p = *state;
	struct json_object *msg = NULL;

	write_raw(p->tx, "{\"n\":1", 6);
	close(p->tx);
	p->tx = -1;
	/* A peer that disappears mid-message is an error, not a clean end. */
	assert_int_equal(ctl_recv(&p->rx, &msg), -EPROTO);
	assert_null(msg);
}

static void test_bad_lines_then_good(void **state)
{
	struct pair *p = *state;
	const char *text = "not json\n[1,2]\n{\"n\":1} trailing\n{\"n\":5}\n";
	struct json_object *msg = NULL;

	write_raw(p->tx, text, strlen(text));
	assert_int_equal(ctl_recv(&p->rx, &msg), -EBADMSG); /* not JSON */
	assert_int_equal(ctl_recv(&p->rx, &msg), -EBADMSG); /* JSON, but not an object */
	assert_int_equal(ctl_recv(&p->rx, &msg), -EBADMSG); /* garbage after the object */
	expect_msg_n(&p->rx, 5, "good message after three bad lines");
}

static void test_call_round_trip(void **state)
{
	struct pair *p = *state;
	struct json_object *req = json_object_new_object(), *resp = NULL, *cmd;
	pid_t child;
	int status;

	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		/* A one-request server: answer with the command echoed. */
		struct ctl_conn srv = {.fd = p->tx};
		struct json_object *in = NULL, *out = json_object_new_object(), *c;

		if (ctl_recv(&srv, &in) != 1 || !json_object_object_get_ex(in, "cmd", &c))
			_exit(1);
		json_object_object_add(out, "ok", json_object_new_boolean(1));
		json_object_object_add(out, "data", json_object_get(c));
		_exit(ctl_send(&srv, out) == 0 ? 0 : 1);
	}
	json_object_object_add(req, "cmd", json_object_new_string("hello"));
	assert_int_equal(ctl_call(&p->rx, req, &resp), 0);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_true(json_object_object_get_ex(resp, "data", &cmd));
	assert_string_equal(json_object_get_string(cmd), "hello");
	json_object_put(req);
	json_object_put(resp);
}

static void test_connect_error_says_what_to_do(void **state)
{
	struct ctl_conn c;
	char err[256];
	char path[64];

	(void)state;
	snprintf(path, sizeof(path), "/tmp/tcfw-test-ctl-none-%d.sock", (int)getpid());
	assert_int_equal(ctl_connect(&c, path, err, sizeof(err)), -ENOENT);
	if (!strstr(err, path) || !strstr(err, "is fwd running"))
		fail_msg("connect error \"%s\" should name %s and ask whether fwd runs", err, path);
	ctl_close(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_several_messages_in_one_read, pair_setup,
	                                    pair_teardown),
	    cmocka_unit_test_setup_teardown(test_partial_reads, pair_setup, pair_teardown),
	    cmocka_unit_test_setup_teardown(test_large_message, pair_setup, pair_teardown),
	    cmocka_unit_test_setup_teardown(test_eof_between_messages, pair_setup, pair_teardown),
	    cmocka_unit_test_setup_teardown(test_eof_inside_message, pair_setup, pair_teardown),
	    cmocka_unit_test_setup_teardown(test_bad_lines_then_good, pair_setup, pair_teardown),
	    cmocka_unit_test_setup_teardown(test_call_round_trip, pair_setup, pair_teardown),
	    cmocka_unit_test(test_connect_error_says_what_to_do),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
