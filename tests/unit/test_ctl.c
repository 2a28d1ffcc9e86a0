// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_ctl.c - the control protocol's framing (lib/ctl.c) over a socketpair: several messages
 * in one read, a message split over many reads, a message of several megabytes, EOF between
 * and inside messages, lines that are not JSON objects, and a request/response round trip.
 * The receiver's bounds: a line longer than the limit is refused (whole or not, at the limit
 * exactly it is fine) without the buffer growing past the limit, also at the default 16 MiB;
 * a non-blocking receive reads at most CTL_READ_BUDGET per call; a large buffer is released
 * once its message is taken; the sender refuses what the receiver would.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
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

/* A child that writes len bytes of 'x' (no newline) and then tail, and exits. */
static pid_t spawn_writer(int fd, size_t len, const char *tail)
{
	pid_t child = fork();

	assert_true(child >= 0);
	if (child == 0) {
		static char chunk[65536];

		memset(chunk, 'x', sizeof(chunk));
		while (len > 0) {
			size_t n = len < sizeof(chunk) ? len : sizeof(chunk);
			ssize_t w = write(fd, chunk, n);

			if (w <= 0)
				_exit(0); /* the reader gave up: fine */
			len -= (size_t)w;
		}
		if (tail && write(fd, tail, strlen(tail)) < 0)
			_exit(0);
		_exit(0);
	}
	return child;
}

/* End a writer: after the reader gave up it may block on a full socket forever (it holds the
 * reading end too, inherited). */
static void reap(pid_t child)
{
	int status;

	kill(child, SIGKILL);
	assert_int_equal(waitpid(child, &status, 0), child);
}

/* Non-blocking receive until it returns something other than -EAGAIN (the writer is slower). */
static int recv_ready_until(struct ctl_conn *c, struct json_object **msg)
{
	for (;;) {
		struct pollfd p = {.fd = c->fd, .events = POLLIN};
		int ret = ctl_recv_ready(c, msg);

		if (ret != -EAGAIN)
			return ret;
		assert_true(poll(&p, 1, 5000) == 1);
	}
}

static void test_line_too_long_unfinished(void **state)
{
	struct pair *p = *state;
	struct json_object *msg = NULL;
	pid_t child;
	int ret;

	p->rx.max_msg = 100000;
	child = spawn_writer(p->tx, 300000, NULL);
	ret = recv_ready_until(&p->rx, &msg);
	if (ret != -EMSGSIZE)
		fail_msg("a line of 300000 bytes without its end, limit 100000: got %d, expected "
		         "-EMSGSIZE",
		         ret);
	assert_null(msg);
	if (ctl_held(&p->rx) > p->rx.max_msg)
		fail_msg("the receiver holds %zu bytes for a refused line, more than the limit %zu",
		         ctl_held(&p->rx), p->rx.max_msg);
	reap(child);
}

static void test_line_at_and_past_the_limit(void **state)
{
	struct pair *p = *state;
	/* {"n":1,"s":"xx...x"}\n of exactly `max` bytes, then the same one byte longer. */
	const size_t max = 4096, overhead = strlen("{\"n\":1,\"s\":\"\"}\n");
	char *line = malloc(max + 2);
	struct json_object *msg = NULL;

	assert_non_null(line);
	p->rx.max_msg = max;
	snprintf(line, max + 2, "{\"n\":1,\"s\":\"%0*d\"}\n", (int)(max - overhead), 0);
	assert_int_equal(strlen(line), max);
	write_raw(p->tx, line, max);
	expect_msg_n(&p->rx, 1, "a line of exactly max_msg bytes, newline included");
	snprintf(line, max + 2, "{\"n\":2,\"s\":\"%0*d\"}\n", (int)(max + 1 - overhead), 0);
	write_raw(p->tx, line, max + 1);
	/* Whole, in the socket, but one byte too long: refused all the same. */
	assert_int_equal(ctl_recv_ready(&p->rx, &msg), -EMSGSIZE);
	assert_null(msg);
	free(line);
}

static void test_default_limit_16mib(void **state)
{
	struct pair *p = *state;
	struct json_object *msg = NULL;
	pid_t child;
	int ret;

	assert_int_equal(TCFW_CTL_MAX_MSG, 16u << 20);
	child = spawn_writer(p->tx, TCFW_CTL_MAX_MSG + 65536, "\n");
	ret = recv_ready_until(&p->rx, &msg);
	if (ret != -EMSGSIZE)
		fail_msg("a line of 16 MiB + 64 KiB with the default limit: got %d, expected "
		         "-EMSGSIZE",
		         ret);
	if (ctl_held(&p->rx) > TCFW_CTL_MAX_MSG)
		fail_msg("the receiver holds %zu bytes, more than TCFW_CTL_MAX_MSG",
		         ctl_held(&p->rx));
	reap(child);
}

static void test_read_budget_per_call(void **state)
{
	struct pair *p = *state;
	const size_t total = 4u << 20;
	struct json_object *msg = NULL;
	size_t calls = 0;
	pid_t child;
	int ret;

	child = spawn_writer(p->tx, total, NULL);
	for (;;) {
		size_t before = p->rx.len;
		struct pollfd pf = {.fd = p->rx.fd, .events = POLLIN};

		ret = ctl_recv_ready(&p->rx, &msg);
		if (ret != -EAGAIN)
			break;
		if (p->rx.len - before > CTL_READ_BUDGET)
			fail_msg(
			    "one non-blocking receive read %zu bytes, more than CTL_READ_BUDGET "
			    "(%u)",
			    p->rx.len - before, CTL_READ_BUDGET);
		calls++;
		if (p->rx.len >= total)
			break;
		assert_true(poll(&pf, 1, 5000) == 1);
	}
	assert_int_equal(ret, -EAGAIN);
	if (calls < total / CTL_READ_BUDGET)
		fail_msg("%zu bytes came in %zu calls: the budget was not applied", total, calls);
	reap(child);
}

static void test_large_buffer_released(void **state)
{
	struct pair *p = *state;
	const size_t big = 2u << 20;
	char *line = malloc(big + 32);
	struct json_object *msg = NULL;
	pid_t child;

	assert_non_null(line);
	snprintf(line, big + 32, "{\"n\":9,\"s\":\"%0*d\"}\n", (int)big, 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		write_raw(p->tx, line, strlen(line));
		_exit(0);
	}
	assert_int_equal(ctl_recv(&p->rx, &msg), 1);
	json_object_put(msg);
	reap(child);
	if (ctl_held(&p->rx) != 0)
		fail_msg("after a message of 2 MiB the connection still holds %zu bytes",
		         ctl_held(&p->rx));
	/* A small message keeps its small buffer: no allocation per message. */
	write_raw(p->tx, "{\"n\":1}\n", 8);
	expect_msg_n(&p->rx, 1, "small message after a large one");
	assert_true(ctl_held(&p->rx) > 0);
	free(line);
}

static void test_send_refuses_past_the_limit(void **state)
{
	struct pair *p = *state;
	struct ctl_conn tx = {.fd = p->tx, .max_msg = 64};
	struct json_object *m = json_object_new_object();

	json_object_object_add(
	    m, "text",
	    json_object_new_string("a text that makes this message longer than 64 bytes "
	                           "once it is encoded as JSON"));
	assert_int_equal(ctl_send(&tx, m), -EMSGSIZE);
	json_object_put(m);
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
	    cmocka_unit_test_setup_teardown(test_line_too_long_unfinished, pair_setup,
	                                    pair_teardown),
	    cmocka_unit_test_setup_teardown(test_line_at_and_past_the_limit, pair_setup,
	                                    pair_teardown),
	    cmocka_unit_test_setup_teardown(test_default_limit_16mib, pair_setup, pair_teardown),
	    cmocka_unit_test_setup_teardown(test_read_budget_per_call, pair_setup, pair_teardown),
	    cmocka_unit_test_setup_teardown(test_large_buffer_released, pair_setup, pair_teardown),
	    cmocka_unit_test_setup_teardown(test_send_refuses_past_the_limit, pair_setup,
	                                    pair_teardown),
	    cmocka_unit_test(test_connect_error_says_what_to_do),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
