/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * tcp_window.h - TCP sequence-number and window tracking, after netfilter's tcp_in_window()
 * (nf_conntrack_proto_tcp.c): does a segment fall in the window its connection has shown so
 * far, and what does it teach about the window.
 *
 * Offers tcp_window_syn() (a direction's window from the SYN that opens the connection) and
 * tcp_window() (one segment of a known connection against both directions' windows; returns
 * enum tcpw_result and moves the windows forward). Pure logic on copies (struct tcpw_dir):
 * no maps, no packet, no kernel types, so that it is unit-tested in user space too
 * (tests/unit/test_tcp_window.c); the caller (conntrack.h) reads the entry's fields into
 * copies and stores what moved.
 *
 * Per direction, as netfilter: td_end (highest seq + len sent), td_maxend (highest ack +
 * window the peer gave: the right edge), td_maxwin (largest window advertised), td_maxack
 * (highest ack sent) and td_scale, taken from the SYN and SYN-ACK window scale options and
 * used only when both sides sent one (RFC 7323). A segment is in the window when
 *  - seq <= sender.td_maxend                       (not beyond what the receiver allowed),
 *  - ack <= receiver.td_end                        (acknowledges nothing never sent),
 *  - end >= sender.td_end - receiver.td_maxwin     (not older than one window),
 *  - ack >= receiver.td_end - MAXACKWINDOW(sender) (not acknowledging too far back).
 * The first two failing make the segment INVALID. The last two are netfilter's tolerances
 * for retransmissions of data already acknowledged and overly delayed ACKs: such a segment
 * passes (TCPW_IGNORE: it changes nothing and does not refresh the timeout), so that the
 * receiver can answer it and a connection that lost ACKs does not stall. Unlike netfilter,
 * only up to one more window back (tcpw_old_span()): a segment further off is INVALID.
 *
 * RST (RFC 5961): one whose seq is behind what the receiver acknowledged, or beyond the right
 * edge, is INVALID. One in the window closes the connection when its seq is exactly what the
 * receiver expects (its highest ack; or the sender's next seq, netfilter's "RST after data"
 * train); otherwise, on an established connection, the endpoint answers it with a challenge
 * ACK and keeps the connection: so does this (TCPW_RST_INEXACT: pass, change nothing). On a
 * connection that is closing (FIN_WAIT and after), and for an RST with seq 0 (the answer to a
 * SYN) before it is established, any RST ends it, as in netfilter since Linux 6.7.
 *
 * Windows not known yet: a direction whose td_maxwin is 0 learns from its first segment. From
 * a SYN, as above; from anything else (an entry made before windows were tracked, or picked
 * up mid-stream) the scale is unknown and assumed to be the largest, 14 (TCFW_TCPW_
 * SCALE_GUESSED), so no real window is judged too narrow. While the other direction has not
 * been seen, there is nothing to check against: the segment is accepted and learnt from.
 *
 * What is simpler than netfilter, and why: SACK blocks are not read (acks are the cumulative
 * ones: a sender never sends beyond ack + window, so the right edge is not narrower for it),
 * there is no "ignored SYN" memory (netfilter's last_seq / last_end: a SYN-ACK or RST that
 * answers a SYN the table ignored is judged on the windows alone), no retransmission counting
 * (netfilter's shorter timeout after max_retrans identical segments) and no unacknowledged-
 * data timeout.
 */
#ifndef TCFW_BPF_TCP_WINDOW_H
#define TCFW_BPF_TCP_WINDOW_H

#include "tcfw_abi.h"

#include "lib/pure.h"

#define TCPW_MAX_WSCALE     14    /* RFC 7323: a larger shift is taken as 14 */
#define TCPW_WSCALE_NONE    0xff  /* tcp_seg.wscale: no window scale option */
#define TCPW_MAXACKWINCONST 66000 /* netfilter's MAXACKWINCONST */

/* The TCP states the window logic asks about (enum tcfw_ct_state). */
#define TCPW_STATE_SYN_SENT    TCFW_CT_TCP_SYN_SENT
#define TCPW_STATE_SYN_RECV    TCFW_CT_TCP_SYN_RECV
#define TCPW_STATE_ESTABLISHED TCFW_CT_TCP_ESTABLISHED
#define TCPW_STATE_FIN_WAIT    TCFW_CT_TCP_FIN_WAIT /* FIN_WAIT to CLOSE: closing */
#define TCPW_STATE_CLOSE       TCFW_CT_TCP_CLOSE

/* TCP header flags, as in the flags byte. */
#define TCPW_FIN 0x01
#define TCPW_SYN 0x02
#define TCPW_RST 0x04
#define TCPW_ACK 0x10

/* One segment, as the parser (parse.h) gives it. Host byte order. */
struct tcp_seg {
	__u32 seq;
	__u32 ack;    /* 0 unless ACK is set */
	__u32 end;    /* seq + payload length (from the IP length) + SYN + FIN */
	__u16 win;    /* the window field, unscaled */
	__u8 flags;   /* the TCP flags byte */
	__u8 wscale;  /* SYN: the window scale option's shift; TCPW_WSCALE_NONE without one */
	__u8 partial; /* a first fragment: end covers this fragment only, the length is unknown */
	__u8 pad[3];
};

/* One direction's window, a working copy of tcfw_ct_entry's tcp_win[d], tcp_wscale[d] and
 * tcp_wflags[d]. */
struct tcpw_dir {
	struct tcfw_tcp_window w;
	__u8 scale;
	__u8 flags; /* enum tcfw_tcp_window_flags */
};

/* What the connection is, as far as the window logic cares. */
struct tcpw_conn {
	__u8 state;    /* enum tcfw_ct_state before this segment */
	__u8 assured;  /* TCFW_CTF_ASSURED is set */
	__u8 is_reply; /* the segment travels in the reply direction */
};

enum tcpw_result {
	TCPW_ACCEPT = 0,  /* in the window: the state machine may move */
	TCPW_IGNORE,      /* old data or an overly delayed ACK: pass, change nothing */
	TCPW_INVALID,     /* out of the window: conntrack calls the packet invalid */
	TCPW_RST_INEXACT, /* an RST in the window but not at the expected seq, on an established
	                   * connection: pass (the endpoint sends a challenge ACK), change nothing
	                   */
};

/* What tcp_window() changed in the copies, so the caller knows what to store and how. */
enum tcpw_changed {
	TCPW_CHG_SENDER = 1 << 0,   /* sender fields moved forward */
	TCPW_CHG_RECEIVER = 1 << 1, /* receiver fields moved forward */
	TCPW_CHG_RESET = 1 << 2,    /* sender (and maybe receiver) re-initialised: not forward */
};

/* RFC 1982 serial number arithmetic: a is before b in a 2^31 window. */
static __always_inline bool seq_before(__u32 a, __u32 b)
{
	return (__s32)(a - b) < 0;
}

static __always_inline bool seq_after(__u32 a, __u32 b)
{
	return seq_before(b, a);
}

/* netfilter's MAXACKWINDOW(): how far back an ACK may acknowledge. */
static __always_inline __u32 tcpw_maxackwin(const struct tcpw_dir *snd)
{
	return snd->w.td_maxwin > TCPW_MAXACKWINCONST ? snd->w.td_maxwin : TCPW_MAXACKWINCONST;
}

/*
 * How far below the left edge (or below the oldest acceptable ack) a segment may still be
 * passed as old. netfilter passes anything below; but a sender never has more than a window
 * outstanding, so a segment one more window behind is no retransmission, it is a forgery or
 * garbage: INVALID. Capped so that the whole range stays well inside the 2^31 that serial
 * arithmetic can compare (a guessed scale makes windows up to 2^30).
 */
static __always_inline __u32 tcpw_old_span(const struct tcpw_dir *d)
{
	__u32 span = tcpw_maxackwin(d);

	return span > (1U << 29) ? (1U << 29) : span;
}

/**
 * tcp_window_syn() - a direction's window from its SYN (or SYN-ACK): everything up to the
 * SYN's end sent, a window of at least 1, the scale of the option if there is one.
 * netfilter's tcp_new() / tcp_init_sender().
 */
static __always_inline void tcp_window_syn(struct tcpw_dir *d, const struct tcp_seg *seg)
{
	d->w.td_end = seg->end;
	d->w.td_maxend = seg->end;
	d->w.td_maxwin = seg->win ? seg->win : 1; /* a SYN's window is never scaled */
	d->w.td_maxack = 0;
	d->scale = 0;
	d->flags &= TCFW_TCPW_LIBERAL; /* a connection once liberal stays so */
	if (seg->wscale != TCPW_WSCALE_NONE) {
		d->scale = seg->wscale > TCPW_MAX_WSCALE ? TCPW_MAX_WSCALE : seg->wscale;
		d->flags = TCFW_TCPW_WSCALE;
	}
}

/* The SYN-ACK settles scaling: only when both sides sent the option (RFC 7323 2.2). */
static __always_inline void tcpw_settle_scale(struct tcpw_dir *snd, struct tcpw_dir *rcv)
{
	if (!(snd->flags & TCFW_TCPW_WSCALE) || !(rcv->flags & TCFW_TCPW_WSCALE)) {
		snd->scale = 0;
		rcv->scale = 0;
	}
}

/*
 * A direction first seen mid-stream: learn what this segment shows. Its window scale was in a
 * SYN never seen, so take the largest: a window read too wide only tolerates more, one read
 * too narrow would drop a working connection.
 */
static __always_inline void tcpw_pick_up(struct tcpw_dir *snd, struct tcpw_dir *rcv,
                                         const struct tcp_seg *seg, __u32 ack)
{
	__u32 swin = (__u32)seg->win << TCPW_MAX_WSCALE;

	snd->scale = TCPW_MAX_WSCALE;
	snd->flags |= TCFW_TCPW_SCALE_GUESSED;
	snd->w.td_end = seg->end;
	snd->w.td_maxwin = swin ? swin : 1;
	snd->w.td_maxend = seg->end + snd->w.td_maxwin;
	if (rcv->w.td_maxwin == 0) {
		/* Nothing seen the other way yet: it has sent at least what this acknowledges. */
		rcv->w.td_end = ack;
		rcv->w.td_maxend = ack;
	} else if (ack == rcv->w.td_end + 1) {
		/* The answer to a keepalive probe (one byte below the window). */
		rcv->w.td_end++;
	}
}

/* The in-window segment's lessons: netfilter's "update sender / receiver data". */
static __always_inline void tcpw_learn(struct tcpw_dir *snd, struct tcpw_dir *rcv,
                                       const struct tcp_seg *seg, __u32 ack, __u32 end)
{
	__u32 win = seg->win;

	if (!(seg->flags & TCPW_SYN))
		win <<= snd->scale;
	if (snd->w.td_maxwin < win)
		snd->w.td_maxwin = win;
	if (seq_after(end, snd->w.td_end))
		snd->w.td_end = end;
	if (seg->flags & TCPW_ACK) {
		if (!(snd->flags & TCFW_TCPW_MAXACK_SET) || seq_after(ack, snd->w.td_maxack))
			snd->w.td_maxack = ack;
		snd->flags |= TCFW_TCPW_MAXACK_SET;
	}
	/* Data beyond the right edge that was let through widens the receiver's window. */
	if (rcv->w.td_maxwin != 0 && seq_after(end, snd->w.td_maxend))
		rcv->w.td_maxwin += end - snd->w.td_maxend;
	if (seq_after(ack + win, rcv->w.td_maxend - 1)) {
		rcv->w.td_maxend = ack + win;
		if (win == 0)
			rcv->w.td_maxend++; /* a zero window still takes a probe byte */
	}
}

/**
 * tcp_window() - judge one segment of a known connection (the state machine has accepted its
 * class in this state) against the windows, and learn from it.
 * @snd: the copy of the sending direction's window; @rcv: the receiving direction's.
 * @changed: receives enum tcpw_changed.
 *
 * Returns enum tcpw_result. Only TCPW_ACCEPT changes the copies (and sets @changed).
 */
static __always_inline int tcp_window(struct tcpw_dir *snd, struct tcpw_dir *rcv,
                                      const struct tcp_seg *seg, const struct tcpw_conn *c,
                                      __u8 *changed)
{
	bool syn = seg->flags & TCPW_SYN, rst = seg->flags & TCPW_RST;
	bool liberal = (snd->flags | rcv->flags) & TCFW_TCPW_LIBERAL;
	bool inexact = false;
	__u32 seq = seg->seq, end = seg->end, ack = seg->ack;

	*changed = 0;
	if (seg->partial && !rst) {
		/* A fragment's end is unknown: from now on nothing in this connection can be
		 * judged by length, so it is tracked liberally (netfilter reassembles first). */
		snd->flags |= TCFW_TCPW_LIBERAL;
		rcv->flags |= TCFW_TCPW_LIBERAL;
		*changed = TCPW_CHG_SENDER | TCPW_CHG_RECEIVER;
		return TCPW_ACCEPT;
	}

	/* RST on a connection that is not established: one with seq 0 answers a SYN that was let
	 * through; on a closing one the peer (or a NAT) may already have reused the tuple. Either
	 * way it ends the connection without a look at the window (netfilter, since 6.7). */
	if (rst && !(c->state == TCPW_STATE_ESTABLISHED && c->assured) &&
	    (seq == 0 || (c->state >= TCPW_STATE_FIN_WAIT && c->state <= TCPW_STATE_CLOSE)))
		return TCPW_ACCEPT;

	/* RST: the receiver's RFC 5961 check, before the window (netfilter's tcp_packet()). */
	if (rst && (rcv->flags & TCFW_TCPW_MAXACK_SET)) {
		if (seq_before(seq, rcv->w.td_maxack))
			return TCPW_INVALID; /* behind what the receiver has acknowledged */
		if (seq != rcv->w.td_maxack && seq != snd->w.td_end &&
		    c->state == TCPW_STATE_ESTABLISHED && c->assured)
			inexact = true;
	}

	if (snd->w.td_maxwin == 0) {
		/* The first segment of this direction. */
		if (syn) {
			tcp_window_syn(snd, seg);
			if (c->is_reply)
				tcpw_settle_scale(snd, rcv);
			*changed = TCPW_CHG_RESET;
			/* A SYN from the other side (simultaneous open) acknowledges nothing. */
			if (!(seg->flags & TCPW_ACK))
				return TCPW_ACCEPT;
		} else {
			tcpw_pick_up(snd, rcv, seg, (seg->flags & TCPW_ACK) ? ack : rcv->w.td_end);
			*changed = TCPW_CHG_RESET;
		}
	} else if (syn && seq_after(end, snd->w.td_end) &&
	           (c->state == TCPW_STATE_SYN_SENT || c->state == TCPW_STATE_SYN_RECV)) {
		/* A SYN (-ACK) again, with a higher sequence number: the endpoint started over
		 * (RFC 793: a reinitialised TCP uses higher numbers). Learn it anew. */
		tcp_window_syn(snd, seg);
		if (c->is_reply)
			tcpw_settle_scale(snd, rcv);
		*changed = TCPW_CHG_RESET;
		if (c->is_reply && !(seg->flags & TCPW_ACK))
			return TCPW_ACCEPT;
	}

	if (!(seg->flags & TCPW_ACK) || (rst && ack == 0))
		ack = rcv->w.td_end; /* no ACK (or a broken RST-ACK with ack 0): as if all acked */

	if (rcv->w.td_maxwin == 0) {
		/* The other direction not seen yet: nothing to judge against. Learn. */
		tcpw_learn(snd, rcv, seg, ack, end);
		*changed |= TCPW_CHG_SENDER | TCPW_CHG_RECEIVER;
		return TCPW_ACCEPT;
	}

	if (!seq_before(seq, snd->w.td_maxend + 1)) {
		/* Beyond the right edge. netfilter lets data overshoot by up to a window when
		 * everything else is right (TCPs that send more than allowed), and learns its
		 * end so that the ACK for it is not beyond what was seen. An RST carries no data:
		 * no such tolerance. */
		if (!rst && seq_after(end, snd->w.td_end - rcv->w.td_maxwin - 1) &&
		    seq_after(ack, rcv->w.td_end - tcpw_maxackwin(snd) - 1) &&
		    end - snd->w.td_maxend + 1 <= rcv->w.td_maxwin &&
		    seq_before(ack, rcv->w.td_end + 1)) {
			snd->w.td_end = end;
			*changed |= TCPW_CHG_SENDER;
			return TCPW_ACCEPT;
		}
		return liberal && !rst ? TCPW_ACCEPT : TCPW_INVALID;
	}
	if (!seq_before(ack, rcv->w.td_end + 1))
		return liberal && !rst ? TCPW_ACCEPT : TCPW_INVALID; /* acks data never sent */
	if (!seq_after(end, snd->w.td_end - rcv->w.td_maxwin - 1)) {
		/* Data already acknowledged, sent again: passed so that the receiver ACKs once
		 * more (its ACKs may have been lost). Only up to another window back, though. */
		if (!seq_after(end, snd->w.td_end - rcv->w.td_maxwin - tcpw_old_span(rcv) - 1))
			return liberal && !rst ? TCPW_ACCEPT : TCPW_INVALID;
		return TCPW_IGNORE;
	}
	if (!seq_after(ack, rcv->w.td_end - tcpw_maxackwin(snd) - 1)) {
		/* An ACK overtaken by later ones: passed, learnt from not. */
		if (!seq_after(ack, rcv->w.td_end - tcpw_maxackwin(snd) - tcpw_old_span(snd) - 1))
			return liberal && !rst ? TCPW_ACCEPT : TCPW_INVALID;
		return TCPW_IGNORE;
	}

	if (inexact)
		return TCPW_RST_INEXACT;
	tcpw_learn(snd, rcv, seg, ack, end);
	*changed |= TCPW_CHG_SENDER | TCPW_CHG_RECEIVER;
	return TCPW_ACCEPT;
}

#endif /* TCFW_BPF_TCP_WINDOW_H */
