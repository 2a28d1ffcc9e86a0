// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_ctmap.c - lib/ctmap.c: netfilter's default timeouts, time left and expiry, and the
 * batched walk / two-halves delete against real BPF hash maps made with bpf_map_create (the
 * walk tests are skipped when the process may not create maps, i.e. not root).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <cmocka.h>

#include <bpf/bpf.h>

#include "ctmap.h"

#define NSEC 1000000000ULL

static void test_default_timeouts_are_netfilters(void **state)
{
	static const struct {
		unsigned int st;
		__u32 secs;
		const char *name;
	} want[] = {
	    {TCFW_CT_TCP_SYN_SENT, 120, "tcp syn_sent"},
	    {TCFW_CT_TCP_SYN_RECV, 60, "tcp syn_recv"},
	    {TCFW_CT_TCP_ESTABLISHED, 432000, "tcp established"},
	    {TCFW_CT_TCP_FIN_WAIT, 120, "tcp fin_wait"},
	    {TCFW_CT_TCP_CLOSE_WAIT, 60, "tcp close_wait"},
	    {TCFW_CT_TCP_LAST_ACK, 30, "tcp last_ack"},
	    {TCFW_CT_TCP_TIME_WAIT, 120, "tcp time_wait"},
	    {TCFW_CT_TCP_CLOSE, 10, "tcp close"},
	    {TCFW_CT_TCP_SYN_SENT2, 120, "tcp syn_sent2"},
	    {TCFW_CT_UDP_UNREPLIED, 30, "udp unreplied"},
	    {TCFW_CT_UDP_REPLIED, 30, "udp replied"},
	    {TCFW_CT_UDP_ASSURED, 120, "udp assured (stream)"},
	    {TCFW_CT_ICMP_UNREPLIED, 30, "icmp unreplied"},
	    {TCFW_CT_ICMP_REPLIED, 30, "icmp replied"},
	    {TCFW_CT_OTHER_UNREPLIED, 600, "other unreplied"},
	    {TCFW_CT_OTHER_REPLIED, 600, "other replied"},
	};
	__u32 t[TCFW_CT_STATE_MAX];

	(void)state;
	memset(t, 0xff, sizeof(t));
	ctmap_default_timeouts(t);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (t[want[i].st] != want[i].secs)
			fail_msg("default timeout of %s is %u s, netfilter's is %u s", want[i].name,
			         t[want[i].st], want[i].secs);
	for (unsigned int s = 0; s < TCFW_CT_STATE_MAX; s++)
		if (t[s] == 0 || t[s] == 0xffffffffu)
			fail_msg("state %u has no default timeout (%u)", s, t[s]);
}

static void test_timeout_left_and_expiry(void **state)
{
	__u32 t[TCFW_CT_STATE_MAX];
	struct tcfw_ct_entry e = {.state = TCFW_CT_TCP_TIME_WAIT};
	const __u32 tick = 1000;                        /* now's tick */
	const uint64_t now = tcfw_ct_tick_ns(tick) + 7; /* somewhere in it */

	(void)state;
	ctmap_default_timeouts(t); /* time_wait: 120 s */

	/* Idle is counted in whole ticks of 1.074 s: 10 ticks are 10.74 s. */
	e.last_seen_tick = tick - 10;
	assert_int_equal(ctmap_timeout_left(&e, t, now), 109);
	assert_false(ctmap_is_expired(&e, t, now));

	e.last_seen_tick = tick - 111; /* 119.2 s: not yet past the timeout */
	assert_int_equal(ctmap_timeout_left(&e, t, now), 0);
	assert_false(ctmap_is_expired(&e, t, now));

	e.last_seen_tick = tick - 112; /* 120.3 s */
	assert_int_equal(ctmap_timeout_left(&e, t, now), 0);
	assert_true(ctmap_is_expired(&e, t, now));

	/* Seen after "now" was read (the datapath refreshed it meanwhile): the full timeout. */
	e.last_seen_tick = tick + 1;
	assert_int_equal(ctmap_timeout_left(&e, t, now), 120);
	assert_false(ctmap_is_expired(&e, t, now));

	/* Ticks compare modulo 2^32. */
	e.last_seen_tick = 0xfffffffeu;
	assert_int_equal(ctmap_timeout_left(&e, t, tcfw_ct_tick_ns(3)), 114); /* 5 ticks */

	/* The policy's timeouts are used, not the defaults. */
	t[TCFW_CT_TCP_TIME_WAIT] = 5;
	e.last_seen_tick = tick - 5;
	assert_true(ctmap_is_expired(&e, t, now));

	/* A state this build does not know still expires (generic timeout), never lingers. */
	e.state = 200;
	e.last_seen_tick = tick - 560;
	assert_true(ctmap_is_expired(&e, t, now));
}

static void test_now_is_monotonic_clock(void **state)
{
	uint64_t a = ctmap_now_ns(), b = ctmap_now_ns();

	(void)state;
	assert_true(a > 0);
	assert_true(b >= a);
}

/* ---- walk and delete on real maps ------------------------------------------------------- */
#define NCONN 3000

struct maps {
	struct ctmap m;
};

static int maps_setup(void **state)
{
	struct maps *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	/* Room for a reference entry per connection: some of them are translated. */
	s->m.ct_fd = bpf_map_create(BPF_MAP_TYPE_HASH, "test_ct", sizeof(struct tcfw_tuple),
	                            sizeof(struct tcfw_ct_entry), 2 * NCONN, NULL);
	if (s->m.ct_fd < 0) {
		free(s);
		*state = NULL;
		return 0; /* the tests skip themselves */
	}
	*state = s;
	return 0;
}

static int maps_teardown(void **state)
{
	struct maps *s = *state;

	if (s) {
		close(s->m.ct_fd);
		free(s);
	}
	return 0;
}

/* Connection i is translated (masquerade behind 203.0.113.1:(40000+i)) when i % 3 == 0. */
static bool conn_is_nat(unsigned int i)
{
	return i % 3 == 0;
}

/* Connection i: 10.0.x.y:(1000+i) -> 192.0.2.1:80 tcp; reply swapped, translated for
 * conn_is_nat(i). */
static void make_conn(unsigned int i, struct tcfw_tuple *orig, struct tcfw_ct_entry *e)
{
	memset(orig, 0, sizeof(*orig));
	memset(e, 0, sizeof(*e));
	orig->src[2] = htonl(0xffff);
	orig->src[3] = htonl(0x0a000000 | i);
	orig->dst[2] = htonl(0xffff);
	orig->dst[3] = htonl(0xc0000201);
	orig->sport = htons((uint16_t)(1000 + i));
	orig->dport = htons(80);
	orig->proto = 6;
	orig->family = TCFW_AF_INET;
	e->state = TCFW_CT_TCP_ESTABLISHED;
	e->reply = *orig;
	memcpy(e->reply.src, orig->dst, sizeof(orig->dst));
	memcpy(e->reply.dst, orig->src, sizeof(orig->src));
	e->reply.sport = orig->dport;
	e->reply.dport = orig->sport;
	if (conn_is_nat(i)) {
		e->nat_kind = TCFW_NAT_SNAT;
		e->reply.dst[3] = htonl(0xcb007101); /* 203.0.113.1 */
		e->reply.dport = htons((uint16_t)(40000 + i));
	}
	e->rule_id = i; /* lets the walk callback recognise the connection */
}

/* Store connection (orig, e) as the datapath does: its main entry, and a reference entry
 * for a translated reply tuple. */
static void store_conn(const struct maps *s, const struct tcfw_tuple *orig, struct tcfw_ct_entry *e)
{
	struct tcfw_tuple k, rk;
	struct tcfw_ct_entry ref = {.kind = TCFW_CTK_REF};

	e->orig_swapped = (__u8)tcfw_ct_key(&k, orig);
	if (bpf_map_update_elem(s->m.ct_fd, &k, e, BPF_NOEXIST))
		fail_msg("inserting connection %u: %s", e->rule_id, strerror(errno));
	if (!e->nat_kind)
		return;
	tcfw_ct_key(&rk, &e->reply);
	ref.main_key = k;
	if (bpf_map_update_elem(s->m.ct_fd, &rk, &ref, BPF_NOEXIST))
		fail_msg("inserting connection %u's reference: %s", e->rule_id, strerror(errno));
}

static void fill(const struct maps *s, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		struct tcfw_tuple orig;
		struct tcfw_ct_entry e;

		make_conn(i, &orig, &e);
		store_conn(s, &orig, &e);
	}
}

/* Map entries n connections take. */
static unsigned int entries_of(unsigned int n)
{
	unsigned int total = 0;

	for (unsigned int i = 0; i < n; i++)
		total += conn_is_nat(i) ? 2 : 1;
	return total;
}

static unsigned int map_count(int fd, size_t key_size)
{
	unsigned char key[64], next[64];
	unsigned int n = 0;
	void *prev = NULL;

	assert_true(key_size <= sizeof(key));
	while (bpf_map_get_next_key(fd, prev, next) == 0) {
		memcpy(key, next, key_size);
		prev = key;
		n++;
	}
	return n;
}

struct seen {
	unsigned char count[NCONN];
	unsigned int total;
	unsigned int stop_after;         /* 0: never stop */
	const struct ctmap *delete_from; /* delete even-numbered connections while walking */
};

static int seen_cb(const struct tcfw_tuple *orig, const struct tcfw_ct_entry *e, void *ctx)
{
	struct seen *s = ctx;

	if (e->rule_id >= NCONN || ntohs(orig->sport) != 1000 + e->rule_id)
		fail_msg(
		    "walk returned a connection that was never inserted (rule_id %u, sport %u)",
		    e->rule_id, ntohs(orig->sport));
	s->count[e->rule_id]++;
	s->total++;
	if (s->delete_from && e->rule_id % 2 == 0 && ctmap_delete(s->delete_from, orig, e))
		fail_msg("deleting connection %u during the walk: %s", e->rule_id, strerror(errno));
	if (s->stop_after && s->total == s->stop_after)
		return 7;
	return 0;
}

static void check_each_seen_once(const struct seen *s, unsigned int n, const char *what)
{
	for (unsigned int i = 0; i < n; i++)
		if (s->count[i] != 1)
			fail_msg("%s: connection %u seen %u times, expected once", what, i,
			         s->count[i]);
}

static void test_walk_sees_every_connection_once(void **state)
{
	struct maps *m = *state;
	/* Batch sizes: 1 forces -ENOSPC on any bucket holding two entries; 7 gives many
	 * batches; 0 is the default. */
	const unsigned int batches[] = {1, 7, 0};

	if (!m)
		skip();
	fill(m, NCONN);
	for (size_t b = 0; b < sizeof(batches) / sizeof(batches[0]); b++) {
		struct seen *s = calloc(1, sizeof(*s));
		char what[64];
		int ret;

		assert_non_null(s);
		ret = ctmap_walk(&m->m, batches[b], seen_cb, s);
		snprintf(what, sizeof(what), "walk with batch %u", batches[b]);
		if (ret != 0)
			fail_msg("%s returned %d (%s)", what, ret, strerror(-ret));
		if (s->total != NCONN)
			fail_msg("%s saw %u connections, expected %u", what, s->total, NCONN);
		check_each_seen_once(s, NCONN, what);
		free(s);
	}
}

static void test_walk_stops_when_callback_says_so(void **state)
{
	struct maps *m = *state;
	struct seen *s;

	if (!m)
		skip();
	fill(m, 100);
	s = calloc(1, sizeof(*s));
	assert_non_null(s);
	s->stop_after = 10;
	assert_int_equal(ctmap_walk(&m->m, 4, seen_cb, s), 7);
	assert_int_equal(s->total, 10);
	free(s);
}

static void test_walk_on_empty_map(void **state)
{
	struct maps *m = *state;
	struct seen *s;

	if (!m)
		skip();
	s = calloc(1, sizeof(*s));
	assert_non_null(s);
	assert_int_equal(ctmap_walk(&m->m, 0, seen_cb, s), 0);
	assert_int_equal(s->total, 0);
	free(s);
}

static void test_delete_while_walking_removes_both_entries(void **state)
{
	struct maps *m = *state;
	struct seen *s;
	unsigned int left, want = 0;

	if (!m)
		skip();
	fill(m, NCONN);
	s = calloc(1, sizeof(*s));
	assert_non_null(s);
	s->delete_from = &m->m;
	assert_int_equal(ctmap_walk(&m->m, 64, seen_cb, s), 0);
	check_each_seen_once(s, NCONN, "walk deleting even connections");
	for (unsigned int i = 1; i < NCONN; i += 2)
		want += conn_is_nat(i) ? 2 : 1;
	left = map_count(m->m.ct_fd, sizeof(struct tcfw_tuple));
	if (left != want)
		fail_msg("after deleting every even connection: %u entries left, expected %u (the "
		         "odd connections' main and reference entries)",
		         left, want);
	free(s);
}

static void test_lookup_by_either_tuple(void **state)
{
	struct maps *m = *state;
	struct tcfw_tuple orig, got, rev;
	struct tcfw_ct_entry e, found;

	if (!m)
		skip();
	fill(m, 6);
	assert_int_equal(map_count(m->m.ct_fd, sizeof(struct tcfw_tuple)), entries_of(6));
	for (unsigned int i = 0; i < 6; i++) {
		make_conn(i, &orig, &e);
		memset(&got, 0xaa, sizeof(got));
		if (ctmap_lookup(&m->m, &orig, &got, &found) || found.rule_id != i ||
		    memcmp(&got, &orig, sizeof(got)))
			fail_msg("connection %u not found by its orig tuple", i);
		memset(&got, 0xaa, sizeof(got));
		if (ctmap_lookup(&m->m, &e.reply, &got, &found) || found.rule_id != i ||
		    memcmp(&got, &orig, sizeof(got)))
			fail_msg("connection %u not found by its reply tuple (%s)", i,
			         conn_is_nat(i) ? "through its reference entry" : "the same key");
		assert_int_equal(ctmap_entries_of(&orig, &e), conn_is_nat(i) ? 2 : 1);
	}
	/* The reverse of a translated reply tuple shares its key but is no tuple of the
	 * connection. */
	make_conn(0, &orig, &e);
	rev = e.reply;
	memcpy(rev.src, e.reply.dst, 16);
	memcpy(rev.dst, e.reply.src, 16);
	rev.sport = e.reply.dport;
	rev.dport = e.reply.sport;
	assert_int_equal(ctmap_lookup(&m->m, &rev, NULL, &found), -ENOENT);
}

static void test_delete_keeps_a_reference_owned_by_another_connection(void **state)
{
	struct maps *m = *state;
	struct tcfw_tuple orig, other, k, rk;
	struct tcfw_ct_entry e, e_other, back;

	if (!m)
		skip();
	fill(m, 4);
	make_conn(0, &orig, &e);
	make_conn(3, &other, &e_other);
	/* The reference of connection 0's reply now names connection 3 (reused after a
	 * leftover). */
	tcfw_ct_key(&rk, &e.reply);
	tcfw_ct_key(&k, &other);
	back = (struct tcfw_ct_entry){.kind = TCFW_CTK_REF, .main_key = k};
	assert_int_equal(bpf_map_update_elem(m->m.ct_fd, &rk, &back, BPF_ANY), 0);
	assert_int_equal(ctmap_delete(&m->m, &orig, &e), 0);
	tcfw_ct_key(&k, &orig);
	assert_int_equal(bpf_map_lookup_elem(m->m.ct_fd, &k, &back), -ENOENT);
	if (bpf_map_lookup_elem(m->m.ct_fd, &rk, &back) != 0 || back.kind != TCFW_CTK_REF)
		fail_msg("ctmap_delete removed a reference entry that names another connection");
	/* Deleting again: nothing of it left -> -ENOENT. */
	assert_int_equal(ctmap_delete(&m->m, &orig, &e), -ENOENT);
}

static void test_walk_rejects_a_map_of_another_layout(void **state)
{
	struct ctmap m;
	struct seen s = {0};

	(void)state;
	m.ct_fd = bpf_map_create(BPF_MAP_TYPE_HASH, "test_bad", 8, 8, 16, NULL);
	if (m.ct_fd < 0)
		skip();
	assert_int_equal(ctmap_walk(&m, 0, seen_cb, &s), -EPROTO);
	close(m.ct_fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_default_timeouts_are_netfilters),
	    cmocka_unit_test(test_timeout_left_and_expiry),
	    cmocka_unit_test(test_now_is_monotonic_clock),
	    cmocka_unit_test_setup_teardown(test_walk_sees_every_connection_once, maps_setup,
	                                    maps_teardown),
	    cmocka_unit_test_setup_teardown(test_walk_stops_when_callback_says_so, maps_setup,
	                                    maps_teardown),
	    cmocka_unit_test_setup_teardown(test_walk_on_empty_map, maps_setup, maps_teardown),
	    cmocka_unit_test_setup_teardown(test_delete_while_walking_removes_both_entries,
	                                    maps_setup, maps_teardown),
	    cmocka_unit_test_setup_teardown(test_lookup_by_either_tuple, maps_setup, maps_teardown),
	    cmocka_unit_test_setup_teardown(
		test_delete_keeps_a_reference_owned_by_another_connection, maps_setup,
		maps_teardown),
	    cmocka_unit_test(test_walk_rejects_a_map_of_another_layout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
