// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * test_sync.c - the gateway pair's replication protocol without sockets (lib/sync_wire.c,
 * lib/sync_window.c): messages survive encoding exactly and the decoder refuses every kind of
 * damage; a sender and a receiver joined by a hand-made lossy "link" recover every lost
 * message, through a NACK, through an ACK when the NACK is lost too, through ALIVE for a lost
 * tail, and say when only a bulk resync can help; restarts and sequence wrap-around.
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

#include "tcfw_abi.h"

#include "sync_window.h"
#include "sync_wire.h"

static void v4(uint8_t a[16], uint8_t b0, uint8_t b1, uint8_t b2, uint8_t b3)
{
	memset(a, 0, 16);
	a[10] = a[11] = 0xff;
	a[12] = b0, a[13] = b1, a[14] = b2, a[15] = b3;
}

/* A masqueraded TCP connection 10.77.1.2:port -> 203.0.113.2:80 seen as 203.0.113.1:nat. */
static struct sync_rec rec_tcp(uint16_t port, uint8_t state)
{
	struct sync_rec r = {
	    .kind = SYNC_REC_UPDATE,
	    .state = state,
	    .flags = TCFW_CTF_SEEN_REPLY | TCFW_CTF_ASSURED,
	    .nat_kind = TCFW_NAT_SNAT,
	    .chain = TCFW_CHAIN_FORWARD,
	    .zone_in = 0,
	    .zone_out = 1,
	    .rule_id = 7,
	    .timeout_left = 431999,
	    .nat_port = (uint16_t)(port + 1000),
	};

	v4(r.orig.src, 10, 77, 1, 2);
	v4(r.orig.dst, 203, 0, 113, 2);
	r.orig.sport = port, r.orig.dport = 80, r.orig.proto = 6, r.orig.family = 4;
	v4(r.reply.src, 203, 0, 113, 2);
	v4(r.reply.dst, 203, 0, 113, 1);
	r.reply.sport = 80, r.reply.dport = r.nat_port, r.reply.proto = 6, r.reply.family = 4;
	v4(r.nat_addr, 203, 0, 113, 1);
	return r;
}

static int encode_data(const struct sync_rec *recs, uint16_t n, uint8_t *buf)
{
	struct sync_hdr h = {.type = SYNC_DATA,
	                     .nrec = n,
	                     .seq_from = 41,
	                     .seq_to = 41,
	                     .node_id = 2,
	                     .policy_gen = 5,
	                     .boot_cookie = 0xabcdef01};

	return sync_encode(&h, recs, buf, SYNC_MSG_MAX);
}

static void test_roundtrip(void **state)
{
	struct sync_rec in[SYNC_MAX_RECS], out[SYNC_MAX_RECS];
	struct sync_hdr h;
	uint8_t buf[SYNC_MSG_MAX];
	char why[128] = "";
	int len;

	(void)state;
	memset(in, 0, sizeof(in));
	for (int i = 0; i < SYNC_MAX_RECS; i++)
		in[i] = rec_tcp((uint16_t)(40000 + i), TCFW_CT_TCP_ESTABLISHED);
	in[3].kind = SYNC_REC_DESTROY;
	/* An IPv6 UDP flow, not translated. */
	memset(&in[4], 0, sizeof(in[4]));
	in[4].kind = SYNC_REC_UPDATE, in[4].state = TCFW_CT_UDP_ASSURED;
	in[4].zone_in = 1, in[4].zone_out = SYNC_ZONE_NONE, in[4].timeout_left = 120;
	in[4].orig.src[0] = 0x20, in[4].orig.src[1] = 0x01, in[4].orig.src[15] = 2;
	in[4].orig.dst[0] = 0x20, in[4].orig.dst[15] = 1;
	in[4].orig.sport = 5353, in[4].orig.dport = 53, in[4].orig.proto = 17;
	in[4].orig.family = 6;
	in[4].reply = in[4].orig;
	memcpy(in[4].reply.src, in[4].orig.dst, 16);
	memcpy(in[4].reply.dst, in[4].orig.src, 16);

	len = encode_data(in, SYNC_MAX_RECS, buf);
	assert_int_equal(len, SYNC_HDR_LEN + SYNC_MAX_RECS * SYNC_REC_LEN);
	assert_true(len <= SYNC_MSG_MAX);
	assert_int_equal(sync_decode(buf, (size_t)len, &h, out, why, sizeof(why)), 0);
	assert_int_equal(h.type, SYNC_DATA);
	assert_int_equal(h.nrec, SYNC_MAX_RECS);
	assert_int_equal(h.seq_from, 41);
	assert_int_equal(h.node_id, 2);
	assert_int_equal(h.policy_gen, 5);
	assert_int_equal(h.boot_cookie, 0xabcdef01);
	assert_memory_equal(in, out, sizeof(in));
	/* Network byte order on the wire: the magic first, then the sequence number at 12. */
	assert_int_equal(buf[0], 'T');
	assert_int_equal(buf[3], 'S');
	assert_int_equal(buf[15], 41);
}

static void expect_refused(const uint8_t *buf, size_t len, const char *reason)
{
	struct sync_rec out[SYNC_MAX_RECS];
	struct sync_hdr h;
	char why[128] = "";

	assert_int_equal(sync_decode(buf, len, &h, out, why, sizeof(why)), -EBADMSG);
	if (!strstr(why, reason))
		fail_msg("expected \"%s\" in the reason, got \"%s\"", reason, why);
	assert_int_equal(h.nrec, 0);
}

static void test_damage_refused(void **state)
{
	struct sync_rec in[2] = {rec_tcp(40000, TCFW_CT_TCP_ESTABLISHED),
	                         rec_tcp(40001, TCFW_CT_TCP_FIN_WAIT)};
	uint8_t buf[SYNC_MSG_MAX], bad[SYNC_MSG_MAX];
	int len;

	(void)state;
	len = encode_data(in, 2, buf);
	/* Every truncation. */
	for (int cut = 0; cut < len; cut++)
		expect_refused(buf, (size_t)cut,
		               cut < SYNC_HDR_LEN ? "shorter than a header" : "length field");
#define MUTATE(off, val, reason)                                                                   \
	do {                                                                                       \
		memcpy(bad, buf, (size_t)len);                                                     \
		bad[off] = (val);                                                                  \
		expect_refused(bad, (size_t)len, reason);                                          \
	} while (0)
	MUTATE(0, 'X', "wrong magic");
	MUTATE(4, 9, "unsupported version");
	MUTATE(5, 0, "unknown message type");
	MUTATE(5, SYNC_MSG_TYPE_MAX, "unknown message type");
	MUTATE(5, SYNC_ACK, "records in a message that carries none");
	MUTATE(9, 3, "record count");
	MUTATE(15, 42, "spans a range");
	/* First record at 32: kind, state, flags, nat kind, chain, zone in, zone out. */
	MUTATE(32, 9, "unknown record kind");
	MUTATE(33, TCFW_CT_STATE_MAX, "unknown connection state");
	MUTATE(33, TCFW_CT_NONE, "unknown connection state");
	MUTATE(35, 4, "unknown NAT kind");
	MUTATE(36, TCFW_CHAIN_DNAT, "unknown chain");
	MUTATE(37, 64, "zone id out of range");
	/* orig tuple at 48: an IPv4 address that is not IPv4-mapped; family at 48+37. */
	MUTATE(48, 1, "bad address family");
	MUTATE(48 + 37, 5, "bad address family");
	/* reply tuple at 86: another protocol than the original's. */
	MUTATE(86 + 36, 17, "differs from the original");
#undef MUTATE
	/* A backwards ACK range. */
	{
		struct sync_hdr h = {.type = SYNC_ACK, .seq_from = 10, .seq_to = 9};

		len = sync_encode(&h, NULL, buf, sizeof(buf));
		assert_int_equal(len, SYNC_HDR_LEN);
		expect_refused(buf, (size_t)len, "backwards");
	}
	/* The encoder refuses what it cannot send. */
	{
		struct sync_hdr h = {.type = SYNC_DATA, .nrec = SYNC_MAX_RECS + 1};

		assert_int_equal(sync_encode(&h, in, buf, sizeof(buf)), -EINVAL);
		h.nrec = 1;
		assert_int_equal(sync_encode(&h, in, buf, SYNC_HDR_LEN), -EINVAL);
		h.type = 0;
		assert_int_equal(sync_encode(&h, in, buf, sizeof(buf)), -EINVAL);
	}
}

/* Random bytes and random flips of a valid message: never a crash (ASan/UBSan build), never
 * a record count beyond what was decoded. */
static void test_garbage(void **state)
{
	struct sync_rec in[3] = {rec_tcp(1, TCFW_CT_TCP_ESTABLISHED), rec_tcp(2, 3),
	                         rec_tcp(3, TCFW_CT_TCP_CLOSE)};
	struct sync_rec out[SYNC_MAX_RECS];
	uint8_t buf[SYNC_MSG_MAX], m[SYNC_MSG_MAX];
	struct sync_hdr h;
	char why[128];
	int len, accepted = 0;

	(void)state;
	srand(7);
	len = encode_data(in, 3, buf);
	for (int i = 0; i < 200000; i++) {
		size_t n = (size_t)len;

		memcpy(m, buf, (size_t)len);
		if (i % 2) {
			n = (size_t)(rand() % SYNC_MSG_MAX);
			for (size_t k = 0; k < n; k++)
				m[k] = (uint8_t)rand();
		} else {
			m[rand() % len] ^= (uint8_t)(1 << (rand() % 8));
		}
		if (sync_decode(m, n, &h, out, why, sizeof(why)) == 0) {
			accepted++;
			assert_true(h.nrec <= SYNC_MAX_RECS);
		}
	}
	/* Flips of fields without constraints (addresses, ports, counters) still decode. */
	assert_true(accepted > 0);
}

/* ---- the window: a sender and a receiver joined by a link the test drops messages on ---- */
struct peer_link {
	struct sync_tx tx;
	struct sync_rx rx;
	uint64_t now;
	/* What the receiver's side holds: port -> last state applied. */
	uint8_t applied[70000];
	unsigned napplied;
	/* The sender's live table (what a resend reads): port -> current state, 0 = gone. */
	uint8_t live[70000];
	struct sync_rec resend_q[4096];
	unsigned nresend;
};

static void on_resend(void *ctx, const struct sync_rec *rec)
{
	struct peer_link *l = ctx;

	assert_true(l->nresend < 4096);
	l->resend_q[l->nresend++] = *rec;
}

/* Deliver a message (unless lost) and act on the receiver's answers (unless lost). */
static void deliver(struct peer_link *l, const struct sync_hdr *h, const struct sync_rec *recs,
                    bool lose_msg, bool lose_nack)
{
	struct sync_rx_action act;

	if (lose_msg)
		return;
	sync_rx_on_msg(&l->rx, h, l->now, &act);
	if (act.apply) {
		for (uint16_t i = 0; i < h->nrec; i++) {
			l->applied[recs[i].orig.sport] =
			    recs[i].kind == SYNC_REC_DESTROY ? 0 : recs[i].state;
			l->napplied++;
		}
	}
	if (act.ack)
		sync_tx_on_ack(&l->tx, act.ack_from, act.ack_to, on_resend, l);
	if (act.nack && !lose_nack)
		sync_tx_on_nack(&l->tx, act.nack_from, act.nack_to, on_resend, l);
}

static void send_one(struct peer_link *l, uint16_t port, bool lose, bool lose_nack)
{
	struct sync_rec r = rec_tcp(port, l->live[port] ? l->live[port] : 1);
	struct sync_hdr h;

	if (!l->live[port])
		r.kind = SYNC_REC_DESTROY;
	sync_tx_data(&l->tx, &r, 1, l->now, &h);
	deliver(l, &h, &r, lose, lose_nack);
}

/* The caller's half of a resend: the connection's current state, as new DATA. */
static void flush_resends(struct peer_link *l)
{
	static uint16_t ports[4096];
	unsigned n = l->nresend;

	/* Sending may hand back more (a loss found meanwhile): those wait for the next flush. */
	for (unsigned i = 0; i < n; i++)
		ports[i] = l->resend_q[i].orig.sport;
	l->nresend = 0;
	for (unsigned i = 0; i < n; i++)
		send_one(l, ports[i], false, false);
}

static void tick(struct peer_link *l, uint64_t ns)
{
	uint32_t from, to;
	struct sync_hdr h;

	l->now += ns;
	if (sync_rx_ack_due(&l->rx, l->now, &from, &to))
		sync_tx_on_ack(&l->tx, from, to, on_resend, l);
	if (sync_tx_alive_due(&l->tx, l->now)) {
		sync_tx_control(&l->tx, SYNC_ALIVE, l->now, &h);
		deliver(l, &h, NULL, false, false);
	}
	flush_resends(l);
}

static struct peer_link *link_new(size_t cap, uint32_t first_seq)
{
	struct peer_link *l = calloc(1, sizeof(*l));

	assert_non_null(l);
	assert_int_equal(sync_tx_init(&l->tx, cap, 1, 0x1234, first_seq), 0);
	sync_rx_init(&l->rx);
	l->now = 1000000000ull;
	return l;
}

static void link_free(struct peer_link *l)
{
	sync_tx_free(&l->tx);
	free(l);
}

static void expect_in_step(const struct peer_link *l, uint16_t lo, uint16_t hi)
{
	for (unsigned p = lo; p <= hi; p++)
		if (l->applied[p] != l->live[p])
			fail_msg("port %u: peer has state %u, live is %u", p, l->applied[p],
			         l->live[p]);
}

static void test_in_order_acked(void **state)
{
	struct peer_link *l = link_new(64, 100);

	(void)state;
	for (uint16_t p = 1; p <= 40; p++) {
		l->live[p] = TCFW_CT_TCP_ESTABLISHED;
		send_one(l, p, false, false);
	}
	assert_true(l->tx.hello); /* nothing acknowledged yet ... */
	tick(l, SYNC_ACK_INTERVAL_NS);
	assert_false(l->tx.hello); /* ... now the peer has answered */
	assert_int_equal(l->tx.count, 0);
	assert_int_equal(l->tx.st.acked, 40);
	assert_int_equal(l->rx.st.lost, 0);
	expect_in_step(l, 1, 40);
	link_free(l);
}

static void test_gap_nacked_and_resent_current(void **state)
{
	struct peer_link *l = link_new(64, 7);

	(void)state;
	for (uint16_t p = 1; p <= 10; p++) {
		l->live[p] = TCFW_CT_TCP_SYN_SENT;
		send_one(l, p, p == 4 || p == 5, false); /* 4 and 5 are lost */
	}
	/* Meanwhile 4 moved on: the resend must carry ESTABLISHED, not the lost SYN_SENT. */
	l->live[4] = TCFW_CT_TCP_ESTABLISHED;
	assert_int_equal(l->rx.st.lost, 2);
	assert_int_equal(l->nresend, 2);
	tick(l, SYNC_ACK_INTERVAL_NS);
	expect_in_step(l, 1, 10);
	assert_int_equal(l->applied[4], TCFW_CT_TCP_ESTABLISHED);
	tick(l, SYNC_ACK_INTERVAL_NS);
	assert_int_equal(l->tx.count, 0);
	link_free(l);
}

static void test_lost_nack_recovered_by_ack(void **state)
{
	struct peer_link *l = link_new(64, 0xfffffff0u); /* and the numbers wrap meanwhile */

	(void)state;
	for (uint16_t p = 1; p <= 30; p++) {
		l->live[p] = TCFW_CT_TCP_ESTABLISHED;
		send_one(l, p, p == 9, p == 10); /* 9 lost, and the NACK it caused lost too */
	}
	assert_int_equal(l->applied[9], 0);
	tick(l, SYNC_ACK_INTERVAL_NS); /* the ACK starts after the gap: 9 is handed back */
	expect_in_step(l, 1, 30);
	tick(l, SYNC_ACK_INTERVAL_NS);
	assert_int_equal(l->tx.count, 0);
	assert_true(sync_seq_before(0xfffffff0u, l->tx.next_seq + 0x10));
	link_free(l);
}

static void test_lost_tail_found_by_alive(void **state)
{
	struct peer_link *l = link_new(64, 1);

	(void)state;
	for (uint16_t p = 1; p <= 5; p++) {
		l->live[p] = TCFW_CT_UDP_ASSURED;
		send_one(l, p, p >= 4, false); /* the last two lost, nothing follows */
	}
	l->live[5] = 0; /* and 5 ended meanwhile: the resend is a DESTROY */
	l->applied[5] = TCFW_CT_UDP_ASSURED;
	tick(l, SYNC_ACK_INTERVAL_NS);
	assert_int_equal(l->applied[4], 0);
	tick(l, SYNC_ALIVE_NS); /* ALIVE names the next number: 4 and 5 are NACKed, resent */
	expect_in_step(l, 1, 5);
	link_free(l);
}

static void test_overflow_needs_resync(void **state)
{
	struct peer_link *l = link_new(8, 1);
	struct sync_hdr h;
	struct sync_rec r = rec_tcp(1, TCFW_CT_TCP_ESTABLISHED);
	struct sync_rx_action act;
	size_t missing;

	(void)state;
	/* 20 messages, the first 3 lost, no ACK yet: the queue of 8 has dropped 12. */
	for (int i = 0; i < 20; i++)
		sync_tx_data(&l->tx, &r, 1, l->now, &h);
	assert_int_equal(l->tx.st.overflow, 12);
	sync_rx_init(&l->rx);
	h.seq_from = h.seq_to = 4;
	sync_rx_on_msg(&l->rx, &h, l->now, &act); /* first heard: starts here, no NACK */
	assert_false(act.nack);
	h.seq_from = h.seq_to = 15;
	sync_rx_on_msg(&l->rx, &h, l->now, &act);
	assert_true(act.nack);
	assert_int_equal(act.nack_from, 5);
	assert_int_equal(act.nack_to, 14);
	missing = sync_tx_on_nack(&l->tx, act.nack_from, act.nack_to, on_resend, l);
	assert_int_equal(missing, 8);    /* 5..12 gone from the queue: resync */
	assert_int_equal(l->nresend, 2); /* 13 and 14 resent */
	assert_int_equal(l->tx.st.unrecoverable, 8);
	/* NACKs and ACKs for numbers never sent are ignored. */
	assert_int_equal(sync_tx_on_nack(&l->tx, 30, 40, on_resend, l), 0);
	sync_tx_on_ack(&l->tx, 30, 40, on_resend, l);
	assert_int_equal(l->nresend, 2);
	link_free(l);
}

static void test_peer_restart_and_old(void **state)
{
	struct sync_rx rx;
	struct sync_rx_action act;
	struct sync_hdr h = {.type = SYNC_DATA, .nrec = 0, .boot_cookie = 1};

	(void)state;
	sync_rx_init(&rx);
	assert_false(sync_rx_peer_alive(&rx, 5));
	h.seq_from = h.seq_to = 500;
	sync_rx_on_msg(&rx, &h, 10, &act);
	assert_true(act.apply);
	assert_false(act.peer_restarted);
	sync_rx_on_msg(&rx, &h, 11, &act); /* the same number again: a duplicate */
	assert_false(act.apply);
	assert_int_equal(rx.st.old, 1);
	assert_true(sync_rx_peer_alive(&rx, 11 + SYNC_PEER_DEAD_NS - 1));
	assert_false(sync_rx_peer_alive(&rx, 11 + SYNC_PEER_DEAD_NS));
	/* The peer restarts: new cookie, numbering from 1. Not a gap, not old. */
	h.flags = SYNC_F_HELLO, h.boot_cookie = 2, h.seq_from = h.seq_to = 1;
	sync_rx_on_msg(&rx, &h, 20, &act);
	assert_true(act.apply);
	assert_true(act.peer_restarted);
	assert_false(act.nack);
	assert_int_equal(rx.st.restarts, 1);
	assert_int_equal(rx.expected, 2);
}

/* A long run over a link losing about 5% of DATA and 5% of NACKs: everything ends in step. */
static void test_lossy_run(void **state)
{
	struct peer_link *l = link_new(4096, 12345);

	(void)state;
	srand(11);
	for (int i = 0; i < 50000; i++) {
		uint16_t port = (uint16_t)(1 + rand() % 60000);

		l->live[port] = (uint8_t)(rand() % 4 ? 1 + rand() % (TCFW_CT_STATE_MAX - 1) : 0);
		send_one(l, port, rand() % 20 == 0, rand() % 20 == 0);
		if (i % 50 == 0)
			tick(l, SYNC_ACK_INTERVAL_NS / 4);
	}
	for (int i = 0; i < 20; i++)
		tick(l, SYNC_ALIVE_NS);
	expect_in_step(l, 1, 60000);
	assert_true(l->rx.st.lost > 1000);
	assert_int_equal(l->tx.st.unrecoverable, 0);
	link_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip),
	    cmocka_unit_test(test_damage_refused),
	    cmocka_unit_test(test_garbage),
	    cmocka_unit_test(test_in_order_acked),
	    cmocka_unit_test(test_gap_nacked_and_resent_current),
	    cmocka_unit_test(test_lost_nack_recovered_by_ack),
	    cmocka_unit_test(test_lost_tail_found_by_alive),
	    cmocka_unit_test(test_overflow_needs_resync),
	    cmocka_unit_test(test_peer_restart_and_old),
	    cmocka_unit_test(test_lossy_run),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
