/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * sync_window.h - the reliable part of state replication between a gateway pair, after
 * conntrackd's FT-FW mode (docs/ha.md): sequence numbers, ACK and NACK of ranges, resending,
 * and noticing a peer that restarted. No sockets and no clock here: the caller passes time in
 * and sends what these functions say to send, so tests drive every case by hand.
 *
 * Sender: every DATA message takes the next sequence number and stays queued until the peer
 * acknowledges it. A NACK hands the queued records of the lost range back to the caller,
 * which sends each connection's *current* state again under new numbers (so a resend never
 * brings back a state older than one the peer already has); a lost message that is no longer
 * queued (the queue overflowed) cannot be resent and calls for a bulk resync. When idle, the
 * sender says ALIVE with the next number, so the receiver notices a lost tail.
 *
 * Receiver: applies messages in arrival order, the numbers telling it what went missing: a
 * gap is answered with a NACK of that range at once, and what arrived is acknowledged every
 * SYNC_ACK_EVERY messages or SYNC_ACK_INTERVAL_NS, whichever comes first. An ACK names a
 * range and never spans a gap, so a sender whose NACK was lost still learns of the loss from
 * the next ACK (what it queued before the range). A message numbered before what is expected
 * (duplicated or overtaken) is not applied.
 */
#ifndef TCFW_SYNC_WINDOW_H
#define TCFW_SYNC_WINDOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sync_wire.h"

#define SYNC_ACK_EVERY       16
#define SYNC_ACK_INTERVAL_NS 100000000ull  /* 100 ms */
#define SYNC_ALIVE_NS        500000000ull  /* an idle sender says ALIVE twice a second */
#define SYNC_PEER_DEAD_NS    3000000000ull /* nothing heard for this long: the peer is down */

struct sync_tx_msg {
	uint32_t seq;
	uint16_t nrec;
	struct sync_rec recs[SYNC_MAX_RECS];
};

struct sync_tx_stats {
	uint64_t msgs, recs;    /* DATA messages and records sent (first time) */
	uint64_t resent_recs;   /* records handed back by a NACK */
	uint64_t acked;         /* messages acknowledged */
	uint64_t overflow;      /* messages dropped from a full queue before their ACK */
	uint64_t unrecoverable; /* numbers a NACK asked for that were no longer queued */
};

struct sync_tx {
	uint32_t next_seq;
	uint32_t node_id, boot_cookie, policy_gen;
	bool hello;               /* mark messages HELLO until the peer acknowledges one */
	struct sync_tx_msg *ring; /* the queued messages, oldest at head */
	size_t cap, head, count;
	uint64_t last_sent_ns;
	struct sync_tx_stats st;
};

/* A sender with room for cap unacknowledged messages. 0 or -ENOMEM. */
int sync_tx_init(struct sync_tx *tx, size_t cap, uint32_t node_id, uint32_t boot_cookie,
                 uint32_t first_seq);
void sync_tx_free(struct sync_tx *tx);

/* Queue a DATA message of n (1..SYNC_MAX_RECS) records and fill h for it; the records are
 * copied. A full queue drops its oldest message (counted in overflow). */
void sync_tx_data(struct sync_tx *tx, const struct sync_rec *recs, uint16_t n, uint64_t now_ns,
                  struct sync_hdr *h);
/* Fill h for a message without records of the given type (ALIVE: seq is the next DATA's;
 * RESYNC_REQ, RESYNC_END), and note the send time. */
void sync_tx_control(struct sync_tx *tx, enum sync_msg_type type, uint64_t now_ns,
                     struct sync_hdr *h);
/* Is an ALIVE due (nothing sent for SYNC_ALIVE_NS)? */
bool sync_tx_alive_due(const struct sync_tx *tx, uint64_t now_ns);

/* The peer has [from, to]: those messages leave the queue. Queued messages numbered before
 * from were lost and their NACK with them: they are handed to resend() as for a NACK. */
void sync_tx_on_ack(struct sync_tx *tx, uint32_t from, uint32_t to,
                    void (*resend)(void *ctx, const struct sync_rec *rec), void *ctx);
/* The peer lost [from, to]: resend(ctx, rec) for every record of those messages still queued
 * (they leave the queue; the caller sends the connections' current state as new DATA).
 * Returns how many numbers of the range were no longer queued and not acknowledged either:
 * when > 0 the peer's copy is incomplete and the caller starts a bulk resync. */
size_t sync_tx_on_nack(struct sync_tx *tx, uint32_t from, uint32_t to,
                       void (*resend)(void *ctx, const struct sync_rec *rec), void *ctx);

struct sync_rx_stats {
	uint64_t msgs;     /* DATA messages applied */
	uint64_t lost;     /* sequence numbers found missing (each NACKed once) */
	uint64_t old;      /* messages numbered before what was expected: not applied */
	uint64_t restarts; /* the peer started over (HELLO with a new boot cookie) */
};

struct sync_rx {
	bool known; /* heard from the peer since we started */
	uint32_t boot_cookie;
	uint32_t expected; /* the next DATA number */
	uint32_t ack_from; /* the first number not yet acknowledged */
	uint32_t unacked;  /* messages received since the last ACK */
	uint64_t first_unacked_ns;
	uint64_t last_heard_ns;
	struct sync_rx_stats st;
};

/* What the receiver must do after a DATA or ALIVE message. */
struct sync_rx_action {
	bool apply; /* apply the DATA message's records */
	bool ack;   /* first send ACK [ack_from, ack_to] (what came before a gap) */
	uint32_t ack_from, ack_to;
	bool nack; /* send NACK [nack_from, nack_to] now */
	uint32_t nack_from, nack_to;
	bool peer_restarted; /* its numbering started over */
};

void sync_rx_init(struct sync_rx *rx);
/* Account for a DATA or ALIVE message h received at now_ns; say what to do in *act. */
void sync_rx_on_msg(struct sync_rx *rx, const struct sync_hdr *h, uint64_t now_ns,
                    struct sync_rx_action *act);
/* Is an ACK due? Then true with its range [*from, *to], taken as sent. */
bool sync_rx_ack_due(struct sync_rx *rx, uint64_t now_ns, uint32_t *from, uint32_t *to);
/* Heard from the peer within SYNC_PEER_DEAD_NS? */
bool sync_rx_peer_alive(const struct sync_rx *rx, uint64_t now_ns);

#endif
