// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_sync_ct.c - the gateway pair's translation of connection table entries into wire
 * records and back (fwd/sync_ct.c), on hand-made entries: a masqueraded TCP connection leaves
 * one node and lands on another with other interface indexes and another clock. What is a
 * fact of the connection arrives unchanged (tuples, NAT binding, state, flags, rule, time
 * left); what is a fact of the node is translated (interfaces by zone) or dropped (next hops,
 * TCP windows, which the receiver tracks liberally from the next segments); the record the
 * receiver makes of what it wrote hashes the same, so it is never sent back.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ctmap.h"
#include "fwd/sync_ct.h"
#include "sync_wire.h"

#define SEC 1000000000ull

static void v4(__u32 a[4], const char *s)
{
	memset(a, 0, 16);
	((uint8_t *)a)[10] = 0xff;
	((uint8_t *)a)[11] = 0xff;
	assert_int_equal(inet_pton(AF_INET, s, &a[3]), 1);
}

/* 10.77.1.2:40000 -> 203.0.113.2:5201, masqueraded to 203.0.113.1:61000, established on
 * node A (lan0 = ifindex 2 in zone 0, wan0 = ifindex 3 in zone 1), idle for 10 s at now. */
static void make_conn(struct tcfw_tuple *orig, struct tcfw_ct_entry *e, uint64_t now)
{
	memset(orig, 0, sizeof(*orig));
	memset(e, 0, sizeof(*e));
	v4(orig->src, "10.77.1.2");
	v4(orig->dst, "203.0.113.2");
	orig->sport = htons(40000);
	orig->dport = htons(5201);
	orig->proto = 6;
	orig->family = TCFW_AF_INET;
	v4(e->reply.src, "203.0.113.2");
	v4(e->reply.dst, "203.0.113.1");
	e->reply.sport = htons(5201);
	e->reply.dport = htons(61000);
	e->reply.proto = 6;
	e->reply.family = TCFW_AF_INET;
	e->state = TCFW_CT_TCP_ESTABLISHED;
	e->chain = TCFW_CHAIN_FORWARD;
	e->flags = TCFW_CTF_SEEN_REPLY | TCFW_CTF_ASSURED;
	e->nat_kind = TCFW_NAT_SNAT;
	e->ifindex_in = 2;
	e->ifindex_out = 3;
	e->rule_id = 7;
	e->created_tick = tcfw_ct_tick(now - 60 * SEC);
	e->last_seen_tick = tcfw_ct_tick(now - 10 * SEC);
	e->ctr[0].packets = 100;
	e->tcp_win[0].td_end = 12345;
	e->tcp_win[0].td_maxwin = 65535;
	e->tcp_wflags[0] = TCFW_TCPW_WSCALE;
	e->nexthop[0].until_tick = tcfw_nh_tick(now + SEC);
	e->nexthop[0].ifindex_out = 3;
}

static const struct sync_zone_map zones_a = {.n = 2, .v = {{2, 0}, {3, 1}}};
static const struct sync_zone_map zones_b = {.n = 3, .v = {{5, 4}, {7, 0}, {9, 1}}};

static void test_entry_to_record(void **state)
{
	__u32 timeouts[TCFW_CT_STATE_MAX];
	struct tcfw_ct_entry e;
	struct tcfw_tuple orig;
	struct sync_ct_meta m;
	struct sync_rec r;
	uint64_t now = 1000 * SEC;

	(void)state;
	ctmap_default_timeouts(timeouts);
	make_conn(&orig, &e, now);
	sync_ct_to_rec(&orig, &e, &zones_a, timeouts, now, &r, &m);
	assert_int_equal(r.kind, SYNC_REC_UPDATE);
	assert_int_equal(r.state, TCFW_CT_TCP_ESTABLISHED);
	assert_int_equal(r.flags, TCFW_CTF_SEEN_REPLY | TCFW_CTF_ASSURED);
	assert_int_equal(r.nat_kind, TCFW_NAT_SNAT);
	assert_int_equal(r.chain, TCFW_CHAIN_FORWARD);
	assert_int_equal(r.rule_id, 7);
	assert_int_equal(r.zone_in, 0);
	assert_int_equal(r.zone_out, 1);
	assert_int_equal(r.orig.sport, 40000); /* host order on the record */
	assert_int_equal(r.reply.dport, 61000);
	assert_int_equal(r.nat_port, 61000);
	assert_memory_equal(r.nat_addr, e.reply.dst, 16); /* SNAT: the reply's destination */
	assert_int_equal(r.timeout_left, timeouts[TCFW_CT_TCP_ESTABLISHED] - 10);
	assert_true(m.ready);
	assert_true(m.expires_ns == now + (uint64_t)r.timeout_left * SEC);

	/* An interface of no zone on this node: no zone on the wire. */
	e.ifindex_in = 42;
	e.ifindex_out = 0;
	sync_ct_to_rec(&orig, &e, &zones_a, timeouts, now, &r, NULL);
	assert_int_equal(r.zone_in, SYNC_ZONE_NONE);
	assert_int_equal(r.zone_out, SYNC_ZONE_NONE);
}

static void test_new_connection_waits(void **state)
{
	__u32 timeouts[TCFW_CT_STATE_MAX];
	struct tcfw_ct_entry e;
	struct tcfw_tuple orig;
	struct sync_ct_meta m;
	struct sync_rec r;
	uint64_t now = 1000 * SEC;

	(void)state;
	ctmap_default_timeouts(timeouts);
	make_conn(&orig, &e, now);
	e.state = TCFW_CT_TCP_SYN_SENT;
	e.flags = 0;
	e.created_tick = e.last_seen_tick = tcfw_ct_tick(now);
	sync_ct_to_rec(&orig, &e, &zones_a, timeouts, now, &r, &m);
	assert_false(m.ready); /* young and not assured: not sent yet */
	sync_ct_to_rec(&orig, &e, &zones_a, timeouts,
	               now + SYNC_CT_NEW_DELAY_NS + tcfw_ct_tick_ns(1), &r, &m);
	assert_true(m.ready); /* old enough */
	e.flags = TCFW_CTF_ASSURED;
	sync_ct_to_rec(&orig, &e, &zones_a, timeouts, now, &r, &m);
	assert_true(m.ready); /* assured: at once */
}

static void test_record_to_entry_on_another_node(void **state)
{
	__u32 timeouts[TCFW_CT_STATE_MAX];
	struct tcfw_ct_entry e, got;
	struct tcfw_tuple orig, got_orig;
	struct sync_rec r, dec[SYNC_MAX_RECS], back;
	struct sync_hdr h = {.type = SYNC_DATA, .nrec = 1}, hd;
	uint8_t buf[SYNC_MSG_MAX];
	uint64_t now_a = 1000 * SEC, now_b = 77777 * SEC;
	char why[128];
	int len;

	(void)state;
	ctmap_default_timeouts(timeouts);
	make_conn(&orig, &e, now_a);
	sync_ct_to_rec(&orig, &e, &zones_a, timeouts, now_a, &r, NULL);
	/* Over the wire. */
	len = sync_encode(&h, &r, buf, sizeof(buf));
	assert_true(len > 0);
	assert_int_equal(sync_decode(buf, (size_t)len, &hd, dec, why, sizeof(why)), 0);
	sync_ct_from_rec(&dec[0], NULL, &zones_b, timeouts, now_b, &got_orig, &got);

	assert_memory_equal(&got_orig, &orig, sizeof(orig));
	assert_memory_equal(&got.reply, &e.reply, sizeof(e.reply));
	{
		struct tcfw_tuple k;

		assert_int_equal(got.kind, TCFW_CTK_MAIN);
		assert_int_equal(got.orig_swapped, tcfw_ct_key(&k, &orig));
	}
	assert_int_equal(got.state, e.state);
	assert_int_equal(got.flags, e.flags);
	assert_int_equal(got.nat_kind, e.nat_kind);
	assert_int_equal(got.chain, e.chain);
	assert_int_equal(got.rule_id, e.rule_id);
	/* Interfaces by zone: this node's lan (zone 0) is ifindex 7, its wan ifindex 9. */
	assert_int_equal(got.ifindex_in, 7);
	assert_int_equal(got.ifindex_out, 9);
	/* The same time left on this node's clock, to the tick (1.07 s) times are kept in. */
	assert_true(llabs((long long)ctmap_timeout_left(&got, timeouts, now_b) -
	                  (long long)r.timeout_left) <= 1);
	assert_false(ctmap_is_expired(&got, timeouts, now_b));
	/* Nothing node-local travelled: no counters, no next hop, windows unknown and liberal. */
	assert_true(got.ctr[0].packets == 0);
	assert_true(got.nexthop[0].until_tick == 0 && got.nexthop[1].until_tick == 0);
	assert_int_equal(got.tcp_win[0].td_maxwin, 0);
	assert_int_equal(got.tcp_win[1].td_maxwin, 0);
	assert_int_equal(got.tcp_wflags[0], TCFW_TCPW_LIBERAL);
	assert_int_equal(got.tcp_wflags[1], TCFW_TCPW_LIBERAL);

	/* What this node would say about what it wrote hashes as what it received: no echo. */
	sync_ct_to_rec(&got_orig, &got, &zones_b, timeouts, now_b, &back, NULL);
	assert_true(sync_ct_rec_hash(&back) == sync_ct_rec_hash(&r));
	assert_int_equal(back.zone_in, r.zone_in);
	assert_true(llabs((long long)back.timeout_left - (long long)r.timeout_left) <= 1);
}

static void test_update_keeps_counters_not_windows(void **state)
{
	__u32 timeouts[TCFW_CT_STATE_MAX];
	struct tcfw_ct_entry e, old, got;
	struct tcfw_tuple orig, got_orig;
	struct sync_rec r;
	uint64_t now = 1000 * SEC;

	(void)state;
	ctmap_default_timeouts(timeouts);
	make_conn(&orig, &e, now);
	sync_ct_to_rec(&orig, &e, &zones_a, timeouts, now, &r, NULL);
	old = e;
	old.ctr[1].bytes = 999;
	old.created_tick = tcfw_ct_tick(now - 500 * SEC);
	sync_ct_from_rec(&r, &old, &zones_a, timeouts, now, &got_orig, &got);
	assert_true(got.ctr[1].bytes == 999);
	assert_true(got.created_tick == tcfw_ct_tick(now - 500 * SEC));
	assert_int_equal(got.tcp_win[0].td_end, 0); /* stale: the peer forwarded meanwhile */
	assert_int_equal(got.tcp_wflags[0], TCFW_TCPW_LIBERAL);
	/* Another binding: another connection, nothing of the old one kept. */
	old.reply.dport = htons(61001);
	sync_ct_from_rec(&r, &old, &zones_a, timeouts, now, &got_orig, &got);
	assert_true(got.ctr[1].bytes == 0);
	/* UDP: no window flags at all. */
	r.orig.proto = r.reply.proto = 17;
	r.state = TCFW_CT_UDP_ASSURED;
	sync_ct_from_rec(&r, NULL, &zones_a, timeouts, now, &got_orig, &got);
	assert_int_equal(got.tcp_wflags[0], 0);
	/* A zone this node has no interface for: no interface. */
	r.zone_in = 33;
	sync_ct_from_rec(&r, NULL, &zones_a, timeouts, now, &got_orig, &got);
	assert_int_equal(got.ifindex_in, 0);
}

static void test_hash_follows_what_matters(void **state)
{
	__u32 timeouts[TCFW_CT_STATE_MAX];
	struct tcfw_ct_entry e;
	struct tcfw_tuple orig;
	struct sync_rec r, r2;
	uint64_t h, now = 1000 * SEC;

	(void)state;
	ctmap_default_timeouts(timeouts);
	make_conn(&orig, &e, now);
	sync_ct_to_rec(&orig, &e, &zones_a, timeouts, now, &r, NULL);
	h = sync_ct_rec_hash(&r);
	r2 = r;
	r2.timeout_left -= 100;
	r2.zone_in = 5;
	assert_true(sync_ct_rec_hash(&r2) == h); /* refreshed apart; node-local */
	r2 = r;
	r2.state = TCFW_CT_TCP_FIN_WAIT;
	assert_true(sync_ct_rec_hash(&r2) != h);
	r2 = r;
	r2.reply.dport = 61002;
	assert_true(sync_ct_rec_hash(&r2) != h);
	r2 = r;
	r2.flags |= TCFW_CTF_LOG;
	assert_true(sync_ct_rec_hash(&r2) != h);
}

/* A port forward that is also masqueraded (hairpin): the receiver writes the connection's
 * "nat_alias" key, its orig tuple half translated: client source, forwarded destination. */
static void test_alias_key_of_hairpin(void **state)
{
	struct tcfw_tuple orig, reply, mid, want;

	(void)state;
	memset(&orig, 0, sizeof(orig));
	memset(&reply, 0, sizeof(reply));
	v4(orig.src, "10.77.1.3");   /* a LAN client ... */
	v4(orig.dst, "203.0.113.1"); /* ... to the gateway's public address, port 8080 */
	orig.sport = htons(41000);
	orig.dport = htons(8080);
	orig.proto = 6;
	orig.family = TCFW_AF_INET;
	v4(reply.src, "10.77.1.2"); /* forwarded to the LAN server's port 80 */
	v4(reply.dst, "10.77.1.1"); /* and masqueraded behind the gateway's LAN address */
	reply.sport = htons(80);
	reply.dport = htons(62000);
	reply.proto = 6;
	reply.family = TCFW_AF_INET;
	want = orig;
	v4(want.dst, "10.77.1.2");
	want.dport = htons(80);
	memset(&mid, 0xee, sizeof(mid));
	tcfw_ct_nat_middle(&mid, &orig, &reply);
	assert_memory_equal(&mid, &want, sizeof(want));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_entry_to_record),
	    cmocka_unit_test(test_alias_key_of_hairpin),
	    cmocka_unit_test(test_new_connection_waits),
	    cmocka_unit_test(test_record_to_entry_on_another_node),
	    cmocka_unit_test(test_update_keeps_counters_not_windows),
	    cmocka_unit_test(test_hash_follows_what_matters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
