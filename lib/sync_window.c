// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sync_window.c - sequence numbers, ACK/NACK and resending for the gateway pair (see
 * sync_window.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sync_window.h"

int sync_tx_init(struct sync_tx *tx, size_t cap, uint32_t node_id, uint32_t boot_cookie,
                 uint32_t first_seq)
{
	memset(tx, 0, sizeof(*tx));
	tx->ring = calloc(cap ? cap : 1, sizeof(*tx->ring));
	if (!tx->ring)
		return -ENOMEM;
	tx->cap = cap ? cap : 1;
	tx->node_id = node_id;
	tx->boot_cookie = boot_cookie;
	tx->next_seq = first_seq;
	tx->hello = true;
	return 0;
}

void sync_tx_free(struct sync_tx *tx)
{
	free(tx->ring);
	tx->ring = NULL;
	tx->cap = tx->count = 0;
}

static struct sync_tx_msg *queued(const struct sync_tx *tx, size_t i)
{
	return &tx->ring[(tx->head + i) % tx->cap];
}

static void drop_oldest(struct sync_tx *tx)
{
	tx->head = (tx->head + 1) % tx->cap;
	tx->count--;
}

static void fill_header(const struct sync_tx *tx, enum sync_msg_type type, uint32_t from,
                        uint32_t to, struct sync_hdr *h)
{
	memset(h, 0, sizeof(*h));
	h->type = (uint8_t)type;
	h->flags = tx->hello ? SYNC_F_HELLO : 0;
	h->seq_from = from;
	h->seq_to = to;
	h->node_id = tx->node_id;
	h->policy_gen = tx->policy_gen;
	h->boot_cookie = tx->boot_cookie;
}

void sync_tx_data(struct sync_tx *tx, const struct sync_rec *recs, uint16_t n, uint64_t now_ns,
                  struct sync_hdr *h)
{
	struct sync_tx_msg *m;

	if (n > SYNC_MAX_RECS)
		n = SYNC_MAX_RECS;
	if (tx->count == tx->cap) {
		drop_oldest(tx);
		tx->st.overflow++;
	}
	m = queued(tx, tx->count++);
	m->seq = tx->next_seq++;
	m->nrec = n;
	memcpy(m->recs, recs, n * sizeof(*recs));
	tx->st.msgs++;
	tx->st.recs += n;
	tx->last_sent_ns = now_ns;
	fill_header(tx, SYNC_DATA, m->seq, m->seq, h);
	h->nrec = n;
}

void sync_tx_control(struct sync_tx *tx, enum sync_msg_type type, uint64_t now_ns,
                     struct sync_hdr *h)
{
	fill_header(tx, type, tx->next_seq, tx->next_seq, h);
	tx->last_sent_ns = now_ns;
}

bool sync_tx_alive_due(const struct sync_tx *tx, uint64_t now_ns)
{
	return now_ns - tx->last_sent_ns >= SYNC_ALIVE_NS;
}

static void hand_back(struct sync_tx *tx, const struct sync_tx_msg *m,
                      void (*resend)(void *ctx, const struct sync_rec *rec), void *ctx)
{
	for (uint16_t r = 0; r < m->nrec; r++)
		resend(ctx, &m->recs[r]);
	tx->st.resent_recs += m->nrec;
}

void sync_tx_on_ack(struct sync_tx *tx, uint32_t from, uint32_t to,
                    void (*resend)(void *ctx, const struct sync_rec *rec), void *ctx)
{
	/* A range backwards or beyond anything sent is garbage (or from before a restart of
	 * ours): ignored. */
	if (sync_seq_before(to, from) || !sync_seq_before(to, tx->next_seq))
		return;
	tx->hello = false;
	while (tx->count && !sync_seq_before(to, queued(tx, 0)->seq)) {
		const struct sync_tx_msg *m = queued(tx, 0);

		if (sync_seq_before(m->seq, from))
			hand_back(tx, m, resend, ctx);
		else
			tx->st.acked++;
		drop_oldest(tx);
	}
}

size_t sync_tx_on_nack(struct sync_tx *tx, uint32_t from, uint32_t to,
                       void (*resend)(void *ctx, const struct sync_rec *rec), void *ctx)
{
	uint32_t oldest = tx->count ? queued(tx, 0)->seq : tx->next_seq;
	size_t missing = 0, kept = 0, n = tx->count;

	if (sync_seq_before(to, from) || !sync_seq_before(to, tx->next_seq))
		return 0; /* backwards, or numbers never sent: not a request we can act on */
	/* Numbers of the range older than the queue's oldest left it unacknowledged: dropped
	 * by an overflow (an acknowledged message is never NACKed by a correct peer). */
	if (sync_seq_before(from, oldest))
		missing =
		    sync_seq_before(to, oldest) ? (size_t)(to - from) + 1 : (size_t)(oldest - from);
	/* Hand back the records of the range, keep the rest in order. */
	for (size_t i = 0; i < n; i++) {
		struct sync_tx_msg *m = queued(tx, i);
		bool in_range = !sync_seq_before(m->seq, from) && !sync_seq_before(to, m->seq);

		if (in_range) {
			hand_back(tx, m, resend, ctx);
		} else {
			if (kept != i)
				*queued(tx, kept) = *m;
			kept++;
		}
	}
	tx->count = kept;
	tx->st.unrecoverable += missing;
	return missing;
}

void sync_rx_init(struct sync_rx *rx)
{
	memset(rx, 0, sizeof(*rx));
}

static void rx_restart(struct sync_rx *rx, const struct sync_hdr *h)
{
	rx->known = true;
	rx->boot_cookie = h->boot_cookie;
	rx->expected = h->seq_from;
	rx->ack_from = h->seq_from;
	rx->unacked = 0;
}

void sync_rx_on_msg(struct sync_rx *rx, const struct sync_hdr *h, uint64_t now_ns,
                    struct sync_rx_action *act)
{
	uint32_t seq = h->seq_from;

	memset(act, 0, sizeof(*act));
	rx->last_heard_ns = now_ns;
	if (!rx->known || h->boot_cookie != rx->boot_cookie) {
		/* The first message heard, or a peer that started over: its numbering is new. A
		 * new cookie without HELLO is a peer whose HELLO we missed: the same. */
		act->peer_restarted = rx->known;
		if (rx->known)
			rx->st.restarts++;
		rx_restart(rx, h);
	}
	if (sync_seq_before(seq, rx->expected)) {
		if (h->type == SYNC_DATA)
			rx->st.old++;
		return;
	}
	if (seq != rx->expected) {
		/* Acknowledge what came before the gap now, so that no ACK spans it; what is lost
		 * is asked for again at once, not waited for. */
		if (rx->unacked) {
			act->ack = true;
			act->ack_from = rx->ack_from;
			act->ack_to = rx->expected - 1;
			rx->unacked = 0;
		}
		act->nack = true;
		act->nack_from = rx->expected;
		act->nack_to = seq - 1;
		rx->st.lost += seq - rx->expected;
		rx->ack_from = seq;
	}
	if (h->type != SYNC_DATA) {
		rx->expected = seq; /* ALIVE: seq is the next DATA's number */
		return;
	}
	act->apply = true;
	rx->st.msgs++;
	rx->expected = seq + 1;
	if (!rx->unacked++)
		rx->first_unacked_ns = now_ns;
}

bool sync_rx_ack_due(struct sync_rx *rx, uint64_t now_ns, uint32_t *from, uint32_t *to)
{
	if (!rx->unacked)
		return false;
	if (rx->unacked < SYNC_ACK_EVERY && now_ns - rx->first_unacked_ns < SYNC_ACK_INTERVAL_NS)
		return false;
	*from = rx->ack_from;
	*to = rx->expected - 1;
	rx->ack_from = rx->expected;
	rx->unacked = 0;
	return true;
}

bool sync_rx_peer_alive(const struct sync_rx *rx, uint64_t now_ns)
{
	return rx->known && now_ns - rx->last_heard_ns < SYNC_PEER_DEAD_NS;
}
