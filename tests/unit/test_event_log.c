// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_event_log.c - the pieces of fwd's event log that need no kernel: the token bucket
 * (burst, refill, no credit for a clock that stands still), the file (lines queued and written
 * whole, rotation FILE -> FILE.1 .. FILE.N at the size limit, keep 0, reopen after an external
 * mv, a full disk counted and retried without losing or splitting a line) and the journald
 * fields and message of an event.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "event_file.h"
#include "event_journal.h"
#include "ratelimit.h"

#define SEC 1000000000ull

/* ---- token bucket ---------------------------------------------------------------------- */
static unsigned int take_n(struct ratelimit *rl, unsigned int tries, uint64_t now)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < tries; i++)
		n += ratelimit_take(rl, now);
	return n;
}

static void test_ratelimit_burst_and_refill(void **state)
{
	struct ratelimit rl;
	uint64_t t0 = 5 * SEC;

	(void)state;
	ratelimit_init(&rl, 100, 250);
	assert_int_equal(take_n(&rl, 1000, t0), 250);           /* starts full: the burst */
	assert_int_equal(take_n(&rl, 10, t0), 0);               /* no time, no tokens */
	assert_int_equal(take_n(&rl, 1000, t0 + SEC / 10), 10); /* 100/s: 10 in 0.1 s */
	/* 5 ms is half a token: none now, but the half is kept for later. */
	assert_int_equal(take_n(&rl, 5, t0 + SEC / 10 + SEC / 200), 0);
	assert_int_equal(take_n(&rl, 5, t0 + SEC / 10 + SEC / 100), 1);
	/* A long pause fills the bucket up to the burst, not beyond. */
	assert_int_equal(take_n(&rl, 1000, t0 + 3600 * SEC), 250);
	/* A clock that goes backwards gives nothing. */
	assert_int_equal(take_n(&rl, 10, t0), 0);
}

static void test_ratelimit_flood(void **state)
{
	struct ratelimit rl;
	unsigned int passed = 0;

	(void)state;
	/* 2000 events in one second (one every 500 us) at 100/s with a burst of 100: the burst
	 * and one second's worth pass, the rest does not. */
	ratelimit_init(&rl, 100, 100);
	for (unsigned int i = 0; i < 2000; i++)
		passed += ratelimit_take(&rl, SEC + i * (SEC / 2000));
	assert_in_range(passed, 195, 200);
}

static void test_ratelimit_unlimited_and_clamped(void **state)
{
	struct ratelimit rl;

	(void)state;
	ratelimit_init(&rl, 0, 0);
	assert_int_equal(take_n(&rl, 100000, SEC), 100000);
	ratelimit_init(&rl, 5, 0); /* burst 0 is one */
	assert_int_equal(take_n(&rl, 10, SEC), 1);
	ratelimit_init(&rl, 4000000000u, 4000000000u);
	assert_int_equal(rl.rate, RATELIMIT_RATE_MAX);
	assert_int_equal(rl.burst, RATELIMIT_BURST_MAX);
	assert_true(ratelimit_ready(&rl, SEC));
}

/* ---- the file ------------------------------------------------------------------------------ */
struct dir {
	char path[64];
	char file[96];
};

static void dir_make(struct dir *d)
{
	snprintf(d->path, sizeof(d->path), "/tmp/test_event_log.XXXXXX");
	if (!mkdtemp(d->path))
		fail_msg("mkdtemp: %s", strerror(errno));
	snprintf(d->file, sizeof(d->file), "%s/events.jsonl", d->path);
}

static void dir_remove(struct dir *d)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->path);
	if (system(cmd) != 0)
		fail_msg("cannot remove %s", d->path);
}

/* The contents of path ("" when missing), malloc'd. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 65536);
	size_t n;

	assert_non_null(buf);
	if (!f)
		return buf;
	n = fread(buf, 1, 65535, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void assert_file(const char *path, const char *want)
{
	char *got = slurp(path);

	if (strcmp(got, want) != 0)
		fail_msg("%s: expected\n%s--- got\n%s---", path, want, got);
	free(got);
}

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static void write_line(struct evfile *f, const char *line, uint64_t now)
{
	assert_true(evfile_write(f, line, strlen(line), now));
}

static void test_file_rotation(void **state)
{
	struct evfile f;
	struct dir d;
	char p1[128], p2[128], p3[128];

	(void)state;
	dir_make(&d);
	snprintf(p1, sizeof(p1), "%s.1", d.file);
	snprintf(p2, sizeof(p2), "%s.2", d.file);
	snprintf(p3, sizeof(p3), "%s.3", d.file);
	/* 10-byte lines (9 + newline), 35 bytes at most, two old files kept. */
	assert_int_equal(evfile_open(&f, d.file, 35, 2), 0);
	write_line(&f, "line-0001", SEC);
	write_line(&f, "line-0002", SEC);
	write_line(&f, "line-0003", SEC);
	assert_file(d.file, ""); /* queued, not written yet */
	assert_int_equal(evfile_flush(&f, SEC), 0);
	assert_file(d.file, "line-0001\nline-0002\nline-0003\n");
	assert_int_equal(f.written, 3);
	/* The 4th would make 40 > 35: FILE -> FILE.1, then a new FILE. */
	write_line(&f, "line-0004", SEC);
	assert_int_equal(f.rotations, 1);
	assert_file(p1, "line-0001\nline-0002\nline-0003\n");
	for (int i = 5; i <= 10; i++) {
		char line[16];

		snprintf(line, sizeof(line), "line-%04d", i);
		write_line(&f, line, SEC); /* queued lines go out before each rotation */
	}
	assert_int_equal(evfile_flush(&f, SEC), 0);
	assert_int_equal(f.rotations, 3);
	assert_file(d.file, "line-0010\n");
	assert_file(p1, "line-0007\nline-0008\nline-0009\n");
	assert_file(p2, "line-0004\nline-0005\nline-0006\n");
	assert_false(exists(p3)); /* keep 2: the oldest went */
	assert_int_equal(f.lines, 10);
	assert_int_equal(f.written, 10);
	assert_int_equal(f.err, 0);
	evfile_close(&f, SEC);

	/* Opening an existing file appends and counts what it holds toward the limit. */
	assert_int_equal(evfile_open(&f, d.file, 35, 2), 0);
	assert_int_equal(f.size, 10);
	write_line(&f, "line-0011", SEC);
	write_line(&f, "line-0012", SEC);
	write_line(&f, "line-0013", SEC);
	evfile_close(&f, SEC);
	assert_file(d.file, "line-0013\n");
	assert_file(p1, "line-0010\nline-0011\nline-0012\n");
	dir_remove(&d);
}

static void test_file_keep_zero_and_no_limit(void **state)
{
	struct evfile f;
	struct dir d;
	char p1[128];

	(void)state;
	dir_make(&d);
	snprintf(p1, sizeof(p1), "%s.1", d.file);
	assert_int_equal(evfile_open(&f, d.file, 25, 0), 0);
	write_line(&f, "aaaaaaaaaa", SEC);
	write_line(&f, "bbbbbbbbbb", SEC);
	write_line(&f, "cccccccccc", SEC); /* 33 > 25: FILE starts over */
	evfile_close(&f, SEC);
	assert_file(d.file, "cccccccccc\n");
	assert_false(exists(p1));
	assert_int_equal(evfile_open(&f, d.file, 0, 3), 0); /* 0: never rotates */
	for (int i = 0; i < 100; i++)
		write_line(&f, "xxxxxxxxxxxxxxxxxxxx", SEC);
	evfile_close(&f, SEC);
	assert_false(exists(p1));
	dir_remove(&d);
}

static void test_file_reopen_after_mv(void **state)
{
	struct evfile f;
	struct dir d;
	char moved[128];

	(void)state;
	dir_make(&d);
	snprintf(moved, sizeof(moved), "%s.moved", d.file);
	assert_int_equal(evfile_open(&f, d.file, 0, 4), 0);
	write_line(&f, "before", SEC);
	assert_int_equal(evfile_flush(&f, SEC), 0);
	assert_int_equal(rename(d.file, moved), 0); /* logrotate's mv */
	write_line(&f, "after the mv, before the reopen", SEC);
	assert_int_equal(evfile_reopen(&f, SEC), 0);
	write_line(&f, "after the reopen", SEC);
	evfile_close(&f, SEC);
	assert_file(moved, "before\nafter the mv, before the reopen\n");
	assert_file(d.file, "after the reopen\n");
	assert_int_equal(f.reopens, 1);
	dir_remove(&d);
}

static void test_file_full_disk(void **state)
{
	struct evfile f;
	struct dir d;
	int real_fd, full_fd;
	uint64_t queued;

	(void)state;
	dir_make(&d);
	assert_int_equal(evfile_open(&f, d.file, 0, 4), 0);
	write_line(&f, "one", SEC);
	assert_int_equal(evfile_flush(&f, SEC), 0);
	/* The disk fills up: writes fail with ENOSPC (/dev/full). */
	full_fd = open("/dev/full", O_WRONLY);
	assert_true(full_fd >= 0);
	real_fd = f.fd;
	f.fd = full_fd;
	write_line(&f, "two", 2 * SEC);
	assert_int_equal(evfile_flush(&f, 2 * SEC), -ENOSPC);
	assert_int_equal(f.err, ENOSPC);
	assert_string_equal(f.err_op, "write");
	assert_int_equal(f.write_errors, 1);
	/* Not tried again before a second has passed. */
	assert_int_equal(evfile_flush(&f, 2 * SEC + SEC / 2), -EAGAIN);
	assert_int_equal(f.write_errors, 1);
	/* The queue is bounded: beyond it lines are dropped and counted. */
	for (queued = 0; evfile_write(&f, "filler line", 11, 2 * SEC); queued++)
		;
	assert_int_equal(f.dropped, 1);
	assert_true(queued * 12 <= EVFILE_QUEUE_MAX);
	/* Space again: the queue goes out whole, the error is cleared. */
	f.fd = real_fd;
	close(full_fd);
	assert_int_equal(evfile_flush(&f, 3 * SEC), 0);
	assert_int_equal(f.err, 0);
	assert_int_equal(f.written, 2 + queued);
	evfile_close(&f, 3 * SEC);
	{
		char *got = slurp(d.file);

		assert_memory_equal(got, "one\ntwo\nfiller line\n", 20);
		free(got);
	}
	dir_remove(&d);
}

static void test_file_cannot_open(void **state)
{
	struct evfile f;

	(void)state;
	assert_int_equal(evfile_open(&f, "/nonexistent-dir/events.jsonl", 0, 4), -ENOENT);
	assert_string_equal(f.err_op, "open");
	assert_true(evfile_write(&f, "x", 1, SEC)); /* queued for when it works */
	assert_int_equal(evfile_flush(&f, 3 * SEC), -ENOENT);
	evfile_close(&f, 3 * SEC);
}

/* ---- journald fields ---------------------------------------------------------------------- */
static void test_journal_log_event(void **state)
{
	struct json_object *ev = json_tokener_parse(
	    "{\"type\":\"log\",\"time_ns\":123,\"time\":\"2026-12-03T20:00:00.000001Z\","
	    "\"family\":\"ip\",\"proto\":\"tcp\",\"src\":\"203.0.113.2\",\"dst\":\"203.0.113.1\","
	    "\"sport\":41000,\"dport\":22,\"ifindex\":3,\"ifname\":\"wan0\",\"chain\":\"input\","
	    "\"verdict\":\"drop\",\"ct\":\"new\",\"rule\":7,\"prefix\":\"ssh-in\"}");
	struct event_journal j;

	(void)state;
	assert_non_null(ev);
	assert_int_equal(event_journal_build(ev, &j), 0);
	assert_string_equal(event_journal_get(&j, "MESSAGE"),
	                    "ssh-in: input drop tcp 203.0.113.2:41000 -> 203.0.113.1:22 on wan0 "
	                    "(rule 7)");
	assert_string_equal(event_journal_get(&j, "PRIORITY"), "4");
	assert_string_equal(event_journal_get(&j, "SYSLOG_IDENTIFIER"), "fwd");
	assert_string_equal(event_journal_get(&j, "MESSAGE_ID"), EVENT_JOURNAL_LOG_ID);
	assert_string_equal(event_journal_get(&j, "TCFW_EVENT"), "log");
	assert_string_equal(event_journal_get(&j, "TCFW_RULE"), "7");
	assert_string_equal(event_journal_get(&j, "TCFW_CHAIN"), "input");
	assert_string_equal(event_journal_get(&j, "TCFW_VERDICT"), "drop");
	assert_string_equal(event_journal_get(&j, "TCFW_SRC"), "203.0.113.2");
	assert_string_equal(event_journal_get(&j, "TCFW_DST"), "203.0.113.1");
	assert_string_equal(event_journal_get(&j, "TCFW_PROTO"), "tcp");
	assert_string_equal(event_journal_get(&j, "TCFW_SPORT"), "41000");
	assert_string_equal(event_journal_get(&j, "TCFW_DPORT"), "22");
	assert_string_equal(event_journal_get(&j, "TCFW_PREFIX"), "ssh-in");
	assert_string_equal(event_journal_get(&j, "TCFW_IFNAME"), "wan0");
	assert_string_equal(event_journal_get(&j, "TCFW_TIME"), "2026-12-03T20:00:00.000001Z");
	assert_null(event_journal_get(&j, "TCFW_TIME_NS"));
	event_journal_free(&j);
	json_object_put(ev);
}

static void test_journal_other_events(void **state)
{
	struct json_object *def = json_tokener_parse(
	    "{\"type\":\"log\",\"family\":\"ip6\",\"proto\":\"udp\",\"src\":\"2001:db8::2\","
	    "\"dst\":\"2001:db8:1::1\",\"sport\":5000,\"dport\":53,\"chain\":\"forward\","
	    "\"verdict\":\"accept\",\"rule\":0}");
	struct json_object *icmp = json_tokener_parse(
	    "{\"type\":\"destroy\",\"reason\":\"expired\",\"proto\":\"icmp\",\"src\":\"10.0.0.2\","
	    "\"dst\":\"192.0.2.1\",\"id\":9,\"age_s\":30,\"reply\":{\"src\":\"192.0.2.1\"},"
	    "\"counters\":{\"orig\":{\"packets\":1,\"bytes\":84}}}");
	struct json_object *lost = json_tokener_parse("{\"type\":\"lost\",\"count\":1800}");
	struct event_journal j;

	(void)state;
	assert_int_equal(event_journal_build(def, &j), 0);
	assert_string_equal(event_journal_get(&j, "MESSAGE"),
	                    "tcfw log: forward accept udp [2001:db8::2]:5000 -> [2001:db8:1::1]:53 "
	                    "(default)");
	assert_string_equal(event_journal_get(&j, "PRIORITY"), "5");
	assert_null(event_journal_get(&j, "TCFW_PREFIX"));
	event_journal_free(&j);

	assert_int_equal(event_journal_build(icmp, &j), 0);
	assert_string_equal(
	    event_journal_get(&j, "MESSAGE"),
	    "connection ended (expired): icmp 10.0.0.2 -> 192.0.2.1 id 9 after 30 s");
	assert_string_equal(event_journal_get(&j, "PRIORITY"), "6");
	assert_string_equal(event_journal_get(&j, "TCFW_ICMP_ID"), "9");
	assert_string_equal(event_journal_get(&j, "TCFW_REPLY_SRC"), "192.0.2.1");
	assert_string_equal(event_journal_get(&j, "TCFW_COUNTERS_ORIG_PACKETS"), "1");
	assert_null(event_journal_get(&j, "MESSAGE_ID"));
	event_journal_free(&j);

	assert_int_equal(event_journal_build(lost, &j), 0);
	assert_string_equal(event_journal_get(&j, "TCFW_EVENT"), "lost");
	assert_string_equal(event_journal_get(&j, "TCFW_LOST"), "1800");
	assert_string_equal(event_journal_get(&j, "PRIORITY"), "4");
	assert_non_null(strstr(event_journal_get(&j, "MESSAGE"), "1800 events not logged"));
	event_journal_free(&j);
	json_object_put(def);
	json_object_put(icmp);
	json_object_put(lost);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ratelimit_burst_and_refill),
	    cmocka_unit_test(test_ratelimit_flood),
	    cmocka_unit_test(test_ratelimit_unlimited_and_clamped),
	    cmocka_unit_test(test_file_rotation),
	    cmocka_unit_test(test_file_keep_zero_and_no_limit),
	    cmocka_unit_test(test_file_reopen_after_mv),
	    cmocka_unit_test(test_file_full_disk),
	    cmocka_unit_test(test_file_cannot_open),
	    cmocka_unit_test(test_journal_log_event),
	    cmocka_unit_test(test_journal_other_events),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
