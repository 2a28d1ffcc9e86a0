/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * conntrack.h - connection tracking: find a packet's connection in either direction, move
 * its state, count it, and create new connections.
 *
 * Offers ct_track() (everything that happens to a packet of a known connection, or to an ICMP
 * error, and the verdict whether an unknown packet may open a connection) and ct_create()
 * (store a connection the policy accepted, both halves).
 *
 * The table and its lookups are ct_table.h: one map "ct" keyed by the normalized tuple, so a
 * packet of either direction of a connection without NAT finds it with one lookup, and a new
 * connection is one insert (a NAT connection adds a reference entry for its reply tuple,
 * nat/new_conn.h).
 *
 * Concurrency (every CPU runs these programs at once):
 *  - No bpf_spin_lock on the per-packet path, so a transition is one compare-and-swap of the
 * entry's state word (state, chain, flags, nat_kind): read it, work out the new word, swap it in if
 * nobody changed it meanwhile, else start again from what the other CPU wrote. A transition is
 * never lost or torn, and no helper runs in between.
 *  - Counters are updated on every packet, so they use atomic adds: no retry loop and no
 *    shared lock on the per-packet path; only the rare transitions pay for a swap.
 *  - last_seen_tick is written only when the tick (TCFW_CT_TICK_SHIFT, about a second) moved,
 *    so a busy connection does not dirty its cache line for the timestamp on every packet.
 *  - Two CPUs opening the same connection: the first insert (BPF_NOEXIST) wins, the other
 *    finds -EEXIST and goes on with the winner's entry.
 *  - TCP windows (tcp_window.h) are plain stores, each guarded by "only forward" (see
 *    ct_tcp_window_store() for why a lost one is conservative).
 */
#ifndef TCFW_BPF_CONNTRACK_H
#define TCFW_BPF_CONNTRACK_H

#include "lib/kernel.h"
#include "lib/clock.h"
#include "lib/ct_table.h"
#include "lib/maps.h"
#include "lib/parse.h"
#include "lib/stats.h"
#include "lib/tcp_state.h"
#include "lib/tcp_window.h"

/*
 * Compare-and-swap attempts for one transition. Each failed attempt means another CPU made a
 * transition of the same entry, and transitions only move forward: the TCP table without
 * reopening (which replaces the entry) is acyclic (SYN_SENT < SYN_SENT2 < SYN_RECV <
 * ESTABLISHED < FIN_WAIT < CLOSE_WAIT < LAST_ACK < TIME_WAIT < CLOSE: 8 steps), the UDP, ICMP
 * and other states move forward too, and the three flags are only ever set. So no entry sees
 * more than 11 successful swaps, and 12 attempts always end in success or in "no change".
 */
#define CT_CAS_TRIES 12

/* What conntrack concluded about a packet: enum tcfw_pkt_ct (what policy matches on), plus
 * one value for the only packets that are not tracked at all. */
enum ct_verdict {
	CT_NEW = TCFW_PKT_NEW,                 /* no connection; this packet may open one */
	CT_ESTABLISHED = TCFW_PKT_ESTABLISHED, /* a packet of a known connection, either way */
	CT_RELATED = TCFW_PKT_RELATED,         /* an ICMP error quoting a known connection */
	CT_INVALID = TCFW_PKT_INVALID,         /* conntrack rejects it */
	CT_UNTRACKED,                          /* a non-first fragment of no known connection */
};

/* Where a new connection came from (the policy decision that admitted it). */
struct ct_origin {
	__u32 ifindex_in;
	__u32 ifindex_out;
	__u32 rule_id;
	__u8 chain;
	__u8 flags; /* enum tcfw_ct_flags the connection starts with (TCFW_CTF_LOG) */
};

/*
 * The connection a packet (or the packet an ICMP error quotes) belongs to, as ct_track() found
 * it: NAT translates with it. Filled for CT_ESTABLISHED and CT_RELATED; e is NULL otherwise.
 * The entry is a map value that fwd may delete at any time: read what is needed right away.
 */
struct ct_hit {
	struct tcfw_ct_entry *e;
	struct tcfw_tuple orig; /* the connection's orig tuple */
	__u8 dir;               /* direction the packet (or the quoted packet) travels in */
	__u64 now;              /* CT_ESTABLISHED: clock_coarse_ns() when it was tracked,
	                         * read once for every user of the packet's time */
};

/**
 * ct_lookup() - the connection of tuple t, and the direction t travels in it (only the orig
 * and reply tuples themselves: a packet is tracked before NAT rewrites it).
 * @orig: receives the connection's orig tuple.
 */
static __always_inline struct tcfw_ct_entry *ct_lookup(const struct tcfw_tuple *t, __u8 *dir,
                                                       struct tcfw_tuple *orig)
{
	struct tcfw_ct_entry *e;
	int form;

	e = ct_entry_of(t, orig, &form);
	if (form == CT_FORM_DANGLING)
		/* A reference without its connection: stale, or reserved by a connection being
		 * opened right now; not ours to delete (see ct_table.h). */
		stat_inc(TCFW_STAT_EVICTIONS_SUSPECTED);
	if (!e || (form != CT_FORM_ORIG && form != CT_FORM_REPLY))
		return NULL;
	*dir = CT_FORM_DIR(form);
	return e;
}

/* Map "nat_alias" at middle tuple m, checked against the connection it names: NULL when
 * there is none or it is stale (its connection expired, or m is not its middle tuple). */
static __always_inline struct tcfw_ct_entry *ct_alias_lookup(const struct tcfw_tuple *m,
                                                             struct tcfw_tuple *orig)
{
	struct tcfw_tuple *back = bpf_map_lookup_elem(&nat_alias, m);
	struct tcfw_ct_entry *e;
	struct tcfw_tuple check;

	if (!back)
		return NULL;
	__builtin_memcpy(orig, back, sizeof(*orig));
	e = ct_main_of(orig);
	if (!e)
		return NULL;
	tcfw_ct_nat_middle(&check, orig, &e->reply); /* the key it must have */
	return tuple_eq(&check, m) ? e : NULL;
}

/**
 * ct_find_quoted() - the connection of the packet an ICMP error quotes (tuple q): its orig
 * tuple into *orig, and the direction the quoted packet travelled in as the result
 * (TCFW_DIR_*); -1 when there is none.
 *
 * An error is generated wherever the packet was when it failed, so the quote shows it in any
 * of its NAT forms: as it left its sender (the orig tuple, or the reply tuple), as it left the
 * gateway fully translated (the reverse of the other direction's tuple): ct_entry_of() tells
 * all four from the one or two lookups it makes. Half translated, when the gateway itself
 * answers between its ingress and egress: map "nat_alias". A global BPF function, checked
 * once; the caller looks the entry up again (a pointer a global function hands back is a
 * plain number to the verifier).
 */
__noinline int ct_find_quoted(const struct tcfw_tuple *q, struct tcfw_tuple *orig)
{
	struct tcfw_tuple rev;
	struct tcfw_ct_entry *e;
	int form;

	if (!q || !orig)
		return -1; /* calms the verifier: global function arguments may be NULL */
	e = ct_entry_of(q, orig, &form);
	if (e)
		return CT_FORM_DIR(form);
	tuple_reverse(&rev, q);
	/* Half translated (DNAT applied, SNAT not yet), in either direction. */
	e = ct_alias_lookup(q, orig);
	if (e)
		return TCFW_DIR_ORIG;
	e = ct_alias_lookup(&rev, orig);
	if (e)
		return TCFW_DIR_REPLY;
	return -1;
}

/* The connection of the packet an ICMP error quotes: true with hit filled (see above). */
static __always_inline bool ct_quoted(const struct tcfw_tuple *q, struct ct_hit *hit)
{
	int dir = ct_find_quoted(q, &hit->orig);

	hit->e = NULL;
	if (dir < 0)
		return false;
	hit->dir = (__u8)dir;
	hit->e = ct_main_of(&hit->orig);
	return hit->e != NULL;
}

/**
 * ct_step() - what a packet of protocol proto, TCP class cls, direction dir does to the
 * state word w. The UDP, ICMP and other-protocol rules:
 *  UDP:   UNREPLIED --first reply--> REPLIED --next packet, either way--> ASSURED.
 *         (netfilter instead waits for traffic two seconds after the first reply; counting
 *         packets needs no clock and says the same: both sides keep talking.)
 *  ICMP:  UNREPLIED --reply--> REPLIED.   Other protocols: the same, with OTHER_*.
 * Every accepted reply packet sets SEEN_REPLY.
 */
static __always_inline int ct_step(union ct_word *w, __u8 dir, __u8 proto, __u8 cls)
{
	int step = CT_STEP_OK;

	if (proto == IPPROTO_TCP) {
		step = tcp_step(w, dir, cls);
	} else if (proto == IPPROTO_UDP) {
		if (w->state == TCFW_CT_UDP_UNREPLIED) {
			if (dir == TCFW_DIR_REPLY)
				w->state = TCFW_CT_UDP_REPLIED;
		} else if (w->state == TCFW_CT_UDP_REPLIED) {
			w->state = TCFW_CT_UDP_ASSURED;
			w->flags |= TCFW_CTF_ASSURED;
		} else if (w->state != TCFW_CT_UDP_ASSURED) {
			return CT_STEP_INVALID; /* not a UDP entry */
		}
	} else if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) {
		if (w->state == TCFW_CT_ICMP_UNREPLIED && dir == TCFW_DIR_REPLY)
			w->state = TCFW_CT_ICMP_REPLIED;
	} else {
		if (w->state == TCFW_CT_OTHER_UNREPLIED && dir == TCFW_DIR_REPLY)
			w->state = TCFW_CT_OTHER_REPLIED;
	}
	if (dir == TCFW_DIR_REPLY &&
	    (step == CT_STEP_OK || step == CT_STEP_QUIET || step == CT_STEP_IGNORED))
		w->flags |= TCFW_CTF_SEEN_REPLY;
	return step;
}

/**
 * ct_next_word() - ct_step() on a bare word, for ct_advance(): the new word in the low 32
 * bits, the enum ct_step above them.
 *
 * A global BPF function: the verifier checks every transition once here, and ct_advance()'s
 * retry loop sees only an opaque result. Inlined, each retry would be explored again for
 * every combination of direction, packet class and outcome of the tries before it.
 */
__noinline __u64 ct_next_word(__u32 word, __u32 dir, __u32 proto, __u32 cls)
{
	union ct_word w = {.word = word};
	int step = ct_step(&w, dir, proto, cls);

	return ((__u64)step << 32) | w.word;
}

/* One direction's window out of the entry, into a working copy. */
static __always_inline void ct_tcp_window_load(struct tcpw_dir *d, const struct tcfw_ct_entry *e,
                                               __u32 dir)
{
	d->w = e->tcp_win[dir & 1];
	d->scale = e->tcp_wscale[dir & 1];
	d->flags = e->tcp_wflags[dir & 1];
}

/*
 * Store what tcp_window() moved in one direction's copy now. A re-initialised direction (its
 * first segment, or a SYN that starts over) is stored as it is. Otherwise each field only
 * moves forward: it is stored when it is ahead of what the entry holds at this moment.
 *
 * Why plain stores are enough (no lock, no compare-and-swap): every field only ever moves
 * forward (td_end, td_maxend, td_maxack in sequence space, td_maxwin up, flags are only set),
 * and each has one writer in practice: td_end and td_maxack are written by the packets of their
 * own direction, td_maxend by those of the other, and the packets of one direction of a flow
 * are handled one at a time (one receive queue, or the sending socket's lock). Only td_maxwin
 * is written by both. What a race can do is lose a forward move (another CPU stored a smaller
 * value over it): the field then lags as if the newer packet had not been seen yet, and the
 * next packet of that direction moves it again. For td_maxwin that only narrows a tolerance
 * (an old retransmission is passed as IGNORE rather than learnt from); for the others, a
 * packet judged in that instant sees the window of one segment earlier, the answer it would
 * get had it overtaken that segment on the wire (an ACK of the lost bytes would be INVALID and
 * dropped, and TCP sends it again). So a race is conservative: it can narrow a window for a
 * moment, never widen one, and never lets a forged segment through.
 */
static __always_inline void ct_tcp_window_store(struct tcfw_ct_entry *e, __u32 dir,
                                                const struct tcpw_dir *d, bool reset)
{
	struct tcfw_tcp_window *w = &e->tcp_win[dir & 1];
	__u8 *flags = &e->tcp_wflags[dir & 1];

	if (reset) {
		*w = d->w;
		e->tcp_wscale[dir & 1] = d->scale;
		*flags = d->flags;
		return;
	}
	if (seq_after(d->w.td_end, *(volatile __u32 *)&w->td_end))
		w->td_end = d->w.td_end;
	if (seq_after(d->w.td_maxend, *(volatile __u32 *)&w->td_maxend))
		w->td_maxend = d->w.td_maxend;
	if (d->w.td_maxwin > *(volatile __u32 *)&w->td_maxwin)
		w->td_maxwin = d->w.td_maxwin;
	if ((d->flags & TCFW_TCPW_MAXACK_SET) &&
	    (!(*flags & TCFW_TCPW_MAXACK_SET) ||
	     seq_after(d->w.td_maxack, *(volatile __u32 *)&w->td_maxack)))
		w->td_maxack = d->w.td_maxack;
	if ((d->flags & ~*flags) != 0)
		*flags |= d->flags;
}

/* fwd --tcp-liberal (TCFW_CFG_TCP_LIBERAL): TCFW_TCPW_LIBERAL for every connection, else 0.
 * One array read, which the verifier turns into a pointer: no hash lookup. */
static __always_inline __u8 ct_tcp_liberal(void)
{
	__u32 zero = 0;
	const struct tcfw_config *cfg = bpf_map_lookup_elem(&config, &zero);

	return cfg && (cfg->flags & TCFW_CFG_TCP_LIBERAL) ? TCFW_TCPW_LIBERAL : 0;
}

/**
 * ct_tcp_window() - judge a TCP segment against its connection's windows (tcp_window.h) and
 * store what it teaches. word is the entry's state word the state machine worked from.
 * Returns enum tcpw_result.
 *
 * A global BPF function: checked once, apart from the state machine's retry loop.
 */
__noinline int ct_tcp_window(struct tcfw_ct_entry *e, __u32 dir, const struct tcp_seg *seg,
                             __u32 word)
{
	union ct_word w = {.word = word};
	struct tcpw_dir snd, rcv;
	struct tcpw_conn c;
	__u8 changed, liberal = ct_tcp_liberal(), snd_was, rcv_was;
	int res;

	/* Calms the verifier: a global function's pointer arguments may be NULL. */
	if (!e || !seg)
		return TCPW_INVALID;
	dir &= 1;
	ct_tcp_window_load(&snd, e, dir);
	ct_tcp_window_load(&rcv, e, !dir);
	/* fwd --tcp-liberal: judged liberally while it is on, not remembered by the entry. */
	snd_was = snd.flags & TCFW_TCPW_LIBERAL;
	rcv_was = rcv.flags & TCFW_TCPW_LIBERAL;
	snd.flags |= liberal;
	rcv.flags |= liberal;
	c.state = w.state;
	c.assured = !!(w.flags & TCFW_CTF_ASSURED);
	c.is_reply = dir == TCFW_DIR_REPLY;
	res = tcp_window(&snd, &rcv, seg, &c, &changed);
	if (liberal) {
		snd.flags = (snd.flags & ~TCFW_TCPW_LIBERAL) | snd_was;
		rcv.flags = (rcv.flags & ~TCFW_TCPW_LIBERAL) | rcv_was;
	}
	if (changed) {
		ct_tcp_window_store(e, dir, &snd, changed & TCPW_CHG_RESET);
		ct_tcp_window_store(e, !dir, &rcv, changed & TCPW_CHG_RESET);
	}
	return res;
}

/**
 * ct_advance() - apply one packet (protocol proto, TCP class cls, direction dir; seg: the TCP
 * segment) to entry e: compute the transition from the entry's state word, check a TCP
 * segment against the windows (an out-of-window one changes nothing), and swap the new word
 * in (see CT_CAS_TRIES). Returns enum ct_step.
 *
 * A global BPF function too, checked once rather than for every path into it.
 */
__noinline int ct_advance(struct tcfw_ct_entry *e, __u32 dir, __u32 proto, __u32 cls,
                          const struct tcp_seg *seg)
{
	__u32 old, new;
	__u64 next;
	int step;

	/* Calms the verifier: a global function's pointer argument may be NULL. */
	if (!e || !seg)
		return CT_STEP_INVALID;
	old = *(volatile __u32 *)&e->state_word;
	next = ct_next_word(old, dir, proto, cls);
	step = next >> 32;
	if (step == CT_STEP_INVALID || step == CT_STEP_REOPEN)
		return step;
	/* A TCP segment the table accepts must also be in the window; what the table ignores,
	 * netfilter passes without looking at the window. */
	if (proto == IPPROTO_TCP && step != CT_STEP_IGNORED) {
		switch (ct_tcp_window(e, dir, seg, old)) {
		case TCPW_ACCEPT:
			break;
		case TCPW_INVALID:
			return CT_STEP_INVALID;
		default: /* TCPW_IGNORE, TCPW_RST_INEXACT: pass, change nothing */
			return CT_STEP_QUIET;
		}
	}
	for (int i = 0; i < CT_CAS_TRIES; i++) {
		new = (__u32)next;
		step = next >> 32;
		if (step == CT_STEP_INVALID || step == CT_STEP_REOPEN || new == old)
			return step;
		if (__sync_val_compare_and_swap(&e->state_word, old, new) == old) {
			union ct_word o = {.word = old}, n = {.word = new};

			if (proto == IPPROTO_TCP && n.state != o.state) {
				/* Informational (fwctl), so plain stores after the swap. */
				e->tcp_last_dir = dir;
				e->tcp_last_index = cls;
			}
			return step;
		}
		/* Another CPU moved the entry first: start again from its word. */
		old = *(volatile __u32 *)&e->state_word;
		next = ct_next_word(old, dir, proto, cls);
	}
	return step;
}

/* Count a packet on its connection; refresh last_seen_tick unless told not to. */
static __always_inline void ct_account(struct tcfw_ct_entry *e, __u8 dir,
                                       const struct tcfw_pkt *pkt, bool refresh, __u64 now)
{
	/* & 1 calms the verifier: bounds the variable index into ctr[]. */
	struct tcfw_ct_counters *c = &e->ctr[dir & 1];

	__sync_fetch_and_add(&c->packets, 1);
	__sync_fetch_and_add(&c->bytes, pkt->l3_len);
	if (refresh && e->last_seen_tick != tcfw_ct_tick(now))
		e->last_seen_tick = tcfw_ct_tick(now);
}

/* May this packet, with no connection, open one? (nf_conntrack_tcp_loose = 0 for TCP.) */
static __always_inline bool ct_may_open(const struct tcfw_pkt *pkt)
{
	if (pkt->kind != PKT_FLOW || pkt->frag == PKT_FRAG_LATER)
		return false;
	if (pkt->tuple.proto == IPPROTO_TCP)
		return tcp_class(pkt->tcp_flags) == TCP_CLASS_SYN;
	return true;
}

/**
 * ct_track() - conntrack's view of pkt: find its connection and apply it (state, counters),
 * decide RELATED for ICMP errors, INVALID for what conntrack rejects, NEW for a packet that
 * may open a connection. A SYN that reopens a closed connection has removed the old one and
 * comes back as NEW. hit receives the connection of an ESTABLISHED or RELATED packet.
 */
static __always_inline int ct_track(const struct tcfw_pkt *pkt, struct ct_hit *hit)
{
	struct tcfw_ct_entry *e;
	__u8 dir;
	int step;

	hit->e = NULL;
	if (pkt->kind == PKT_ICMP_ERROR)
		return ct_quoted(&pkt->inner, hit) ? CT_RELATED : CT_INVALID;
	if (pkt->kind == PKT_ICMP_INVALID)
		return CT_INVALID;
	/* netfilter's tcp_error(): impossible flag combinations are invalid before any lookup. */
	if (pkt->tuple.proto == IPPROTO_TCP && pkt->frag != PKT_FRAG_LATER &&
	    !tcp_flags_valid(pkt->tcp_flags))
		return CT_INVALID;

	e = ct_lookup(&pkt->tuple, &dir, &hit->orig);
	if (!e) {
		if (pkt->frag == PKT_FRAG_LATER)
			return CT_UNTRACKED;
		return ct_may_open(pkt) ? CT_NEW : CT_INVALID;
	}

	hit->dir = dir;
	/* The coarse clock (clock.h) is plenty for a stamp kept to the second. */
	hit->now = clock_coarse_ns();
	/* A later fragment has no transport header: it belongs, but moves no state. */
	if (pkt->frag == PKT_FRAG_LATER) {
		ct_account(e, dir, pkt, true, hit->now);
		hit->e = e;
		return CT_ESTABLISHED;
	}

	step = ct_advance(e, dir, pkt->tuple.proto, tcp_class(pkt->tcp_flags), &pkt->tcp);
	switch (step) {
	case CT_STEP_OK:
	case CT_STEP_QUIET:
	case CT_STEP_IGNORED:
		ct_account(e, dir, pkt, step == CT_STEP_OK, hit->now);
		hit->e = e;
		return CT_ESTABLISHED;
	case CT_STEP_REOPEN:
		ct_forget(&hit->orig);
		return CT_NEW;
	default:
		return CT_INVALID;
	}
}

/* The state a connection opened by this packet starts in. */
static __always_inline __u8 ct_initial_state(__u8 proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return TCFW_CT_TCP_SYN_SENT;
	case IPPROTO_UDP:
		return TCFW_CT_UDP_UNREPLIED;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return TCFW_CT_ICMP_UNREPLIED;
	default:
		return TCFW_CT_OTHER_UNREPLIED;
	}
}

enum ct_create_result {
	CT_CREATED = 0,
	CT_CREATE_RACED,  /* another CPU created it first: track the packet as existing */
	CT_CREATE_FAILED, /* counted in TCFW_STAT_CT_INSERT_FAILED */
	/* NAT (nat/new_conn.h) only: */
	CT_CREATE_REFUSED, /* refused for NAT's sake, counted by cause: nat_port_exhausted,
	                    * nat_no_address, nat_alias_taken */
	CT_CREATE_PLAIN,   /* nat_create(): no translation applies, store it as ct_create() does */
};

/* The zeroed scratch entry for a new connection; NULL only if the map read fails. */
static __always_inline struct tcfw_ct_entry *ct_new_entry(void)
{
	__u32 zero = 0;
	struct tcfw_ct_entry *n = bpf_map_lookup_elem(&ct_new, &zero);

	if (n)
		__builtin_memset(n, 0, sizeof(*n));
	return n;
}

/* A new connection's entry for its first packet pkt; the reply tuple is left to the caller. */
static __always_inline void ct_entry_init(struct tcfw_ct_entry *n, const struct tcfw_pkt *pkt,
                                          const struct ct_origin *o)
{
	__u32 now = tcfw_ct_tick(bpf_ktime_get_ns());

	n->state = ct_initial_state(pkt->tuple.proto);
	n->chain = o->chain;
	n->ifindex_in = o->ifindex_in;
	n->ifindex_out = o->ifindex_out;
	n->rule_id = o->rule_id;
	n->flags = o->flags;
	n->created_tick = now;
	n->last_seen_tick = now;
	n->ctr[TCFW_DIR_ORIG].packets = 1;
	n->ctr[TCFW_DIR_ORIG].bytes = pkt->l3_len;
	if (pkt->tuple.proto == IPPROTO_TCP) {
		struct tcpw_dir d = {};

		n->tcp_last_dir = TCFW_DIR_ORIG;
		n->tcp_last_index = TCP_CLASS_SYN;
		/* The client's window from its SYN; the server's comes with the SYN-ACK. */
		tcp_window_syn(&d, &pkt->tcp);
		n->tcp_win[TCFW_DIR_ORIG] = d.w;
		n->tcp_wscale[TCFW_DIR_ORIG] = d.scale;
		n->tcp_wflags[TCFW_DIR_ORIG] = d.flags;
	}
}

/*
 * After the insert of tuple t's connection failed with -EEXIST: CT_CREATE_RACED when another
 * CPU stored the connection of tuple t first, CT_CREATE_FAILED (counted) when the key belongs
 * to another connection (t is the reverse of a NAT connection's translated tuple, say).
 *
 * A global BPF function: a rare path, kept out of the frames of its callers.
 */
__noinline int ct_create_exists(const struct tcfw_tuple *t)
{
	struct ct_keys *ks = ct_keys_get();
	int form;

	if (!t)
		return CT_CREATE_FAILED; /* calms the verifier: global function arguments may be
		                          * NULL */
	if (ks && ct_entry_of(t, &ks->k[1], &form) &&
	    (form == CT_FORM_ORIG || form == CT_FORM_REPLY))
		return CT_CREATE_RACED;
	stat_inc(TCFW_STAT_CT_INSERT_FAILED);
	return CT_CREATE_FAILED;
}

/**
 * ct_create() - store the connection pkt opens, without NAT: one entry under the key of its
 * tuple, which its replies (the tuple reversed) share.
 */
static __always_inline int ct_create(const struct tcfw_pkt *pkt, const struct ct_origin *o)
{
	struct tcfw_ct_entry *n = ct_new_entry();
	struct ct_keys *ks = ct_keys_get();
	int err;

	if (!n || !ks)
		goto failed;
	ct_entry_init(n, pkt, o);
	tuple_reverse(&n->reply, &pkt->tuple);
	n->orig_swapped = tcfw_ct_key(&ks->k[0], &pkt->tuple);

	err = bpf_map_update_elem(&ct, &ks->k[0], n, BPF_NOEXIST);
	if (err == -EEXIST)
		return ct_create_exists(&pkt->tuple);
	if (err)
		goto failed;
	return CT_CREATED;

failed:
	stat_inc(TCFW_STAT_CT_INSERT_FAILED);
	return CT_CREATE_FAILED;
}

#endif /* TCFW_BPF_CONNTRACK_H */
