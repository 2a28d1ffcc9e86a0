/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * tcp_state.h - netfilter's TCP connection state machine (nf_conntrack_proto_tcp.c), ported.
 *
 * Offers tcp_flags_valid() (netfilter's tcp_valid_flags), tcp_class() (its
 * get_conntrack_index) and tcp_step(), which moves a connection's state word for one packet
 * using netfilter's tcp_conntracks[direction][packet class][state] table.
 *
 * What is the same as netfilter: the states and their meaning, the transition table, the
 * simultaneous-open fix-up (SYN_SENT2), ASSURED on the ACK that completes the handshake, and
 * nf_conntrack_tcp_loose = 0: only a SYN (without ACK) opens a connection, so a lone ACK,
 * SYN-ACK, FIN or RST without a connection is INVALID (decided in conntrack.h).
 *
 * Sequence numbers and windows (netfilter's tcp_in_window) are tcp_window.h's: conntrack.h
 * asks it before a packet may move the state, so an out-of-window segment (an RST included)
 * is INVALID and changes nothing, and an inexact in-window RST on an established connection
 * passes without closing it (RFC 5961 challenge ACK). What the table ignores (sIG) is passed
 * without a look at the window, as in netfilter.
 *
 * What is simpler, and why: the "SYN/ACK answering an ignored SYN" special case (netfilter
 * remembers the ignored SYN's numbers) is not made, and a SYN on an entry in TIME_WAIT or
 * CLOSE always reopens it (netfilter also checks that the old connection was closed by a FIN,
 * or reset by the same side): both need per-connection memory the entry does not keep yet.
 *
 * Pure logic, like tcp_window.h: no vmlinux.h and no helper calls, so the cmocka test
 * tests/unit/test_tcp_state.c runs the same table in user space.
 */
#ifndef TCFW_BPF_TCP_STATE_H
#define TCFW_BPF_TCP_STATE_H

#include "tcfw_abi.h"

#include "lib/pure.h"

/* The TCP header's flag byte (byte 13). */
#define TCP_FLAG_FIN 0x01
#define TCP_FLAG_SYN 0x02
#define TCP_FLAG_RST 0x04
#define TCP_FLAG_PSH 0x08
#define TCP_FLAG_ACK 0x10
#define TCP_FLAG_URG 0x20

/* The state word of struct tcfw_ct_entry: state, chain, flags and nat_kind in one __u32, so
 * that a transition is one compare-and-swap (see conntrack.h). Mirrors the ABI's union. */
union ct_word {
	__u32 word;
	struct {
		__u8 state;
		__u8 chain;
		__u8 flags;
		__u8 nat_kind;
	};
};
_Static_assert(__builtin_offsetof(struct tcfw_ct_entry, state) ==
                       __builtin_offsetof(struct tcfw_ct_entry, state_word) &&
                   __builtin_offsetof(struct tcfw_ct_entry, flags) ==
                       __builtin_offsetof(struct tcfw_ct_entry, state_word) + 2,
               "union ct_word must mirror tcfw_ct_entry.state_word");

/* What one packet does to a connection. */
enum ct_step {
	CT_STEP_OK = 0,  /* accepted; the word may have changed */
	CT_STEP_QUIET,   /* accepted, counted, but the connection's timeout is not refreshed */
	CT_STEP_INVALID, /* not acceptable in this state: the packet is INVALID */
	CT_STEP_REOPEN,  /* a SYN on a closed connection: forget it and open a new one */
	CT_STEP_IGNORED, /* the table ignores it (sIG): pass, change nothing, windows unchecked */
};

/* netfilter's enum tcp_bit_set: the packet classes, in table order. */
enum tcp_class {
	TCP_CLASS_SYN = 0,
	TCP_CLASS_SYNACK,
	TCP_CLASS_FIN,
	TCP_CLASS_ACK,
	TCP_CLASS_RST,
	TCP_CLASS_NONE,
	TCP_CLASS_MAX,
};

#define sNO              TCFW_CT_NONE
#define sSS              TCFW_CT_TCP_SYN_SENT
#define sSR              TCFW_CT_TCP_SYN_RECV
#define sES              TCFW_CT_TCP_ESTABLISHED
#define sFW              TCFW_CT_TCP_FIN_WAIT
#define sCW              TCFW_CT_TCP_CLOSE_WAIT
#define sLA              TCFW_CT_TCP_LAST_ACK
#define sTW              TCFW_CT_TCP_TIME_WAIT
#define sCL              TCFW_CT_TCP_CLOSE
#define sS2              TCFW_CT_TCP_SYN_SENT2
#define TCP_TABLE_STATES (sS2 + 1) /* the enum's TCP states are netfilter's, in its order */
#define sIV              (TCP_TABLE_STATES)     /* invalid */
#define sIG              (TCP_TABLE_STATES + 1) /* ignore: accept, change nothing */

/*
 * netfilter's tcp_conntracks[2][6][TCP_CONNTRACK_MAX], unchanged: see the comments there for
 * why each cell is what it is. Indexed [direction][packet class][old state] -> new state.
 */
static const __u8 tcp_conntracks[2][TCP_CLASS_MAX][TCP_TABLE_STATES] = {
    {
	/* ORIGINAL   sNO  sSS  sSR  sES  sFW  sCW  sLA  sTW  sCL  sS2 */
	/* syn    */ {sSS, sSS, sIG, sIG, sIG, sIG, sIG, sSS, sSS, sS2},
	/* synack */ {sIV, sIV, sSR, sIV, sIV, sIV, sIV, sIV, sIV, sSR},
	/* fin    */ {sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV},
	/* ack    */ {sES, sIV, sES, sES, sCW, sCW, sTW, sTW, sCL, sIV},
	/* rst    */ {sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL},
	/* none   */ {sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV},
    },
    {
	/* REPLY      sNO  sSS  sSR  sES  sFW  sCW  sLA  sTW  sCL  sS2 */
	/* syn    */ {sIV, sS2, sIV, sIV, sIV, sIV, sIV, sSS, sIV, sS2},
	/* synack */ {sIV, sSR, sIG, sIG, sIG, sIG, sIG, sIG, sIG, sSR},
	/* fin    */ {sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV},
	/* ack    */ {sIV, sIG, sSR, sES, sCW, sCW, sTW, sTW, sCL, sIG},
	/* rst    */ {sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL},
	/* none   */ {sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV},
    },
};

/*
 * netfilter's tcp_valid_flags[] as a bit set: bit f is set when the flag combination f of
 * FIN|SYN|RST|ACK|URG (PSH, ECE and CWR do not matter) is one a TCP may send.
 */
#define TCP_FLAGS_CHECKED (TCP_FLAG_FIN | TCP_FLAG_SYN | TCP_FLAG_RST | TCP_FLAG_ACK | TCP_FLAG_URG)
#define TCP_VALID_FLAG_SET                                                                         \
	((1ULL << TCP_FLAG_SYN) | (1ULL << (TCP_FLAG_SYN | TCP_FLAG_URG)) |                        \
	 (1ULL << (TCP_FLAG_SYN | TCP_FLAG_ACK)) | (1ULL << TCP_FLAG_RST) |                        \
	 (1ULL << (TCP_FLAG_RST | TCP_FLAG_ACK)) | (1ULL << (TCP_FLAG_FIN | TCP_FLAG_ACK)) |       \
	 (1ULL << (TCP_FLAG_FIN | TCP_FLAG_ACK | TCP_FLAG_URG)) | (1ULL << TCP_FLAG_ACK) |         \
	 (1ULL << (TCP_FLAG_ACK | TCP_FLAG_URG)))

static __always_inline bool tcp_flags_valid(__u8 flags)
{
	return (TCP_VALID_FLAG_SET >> (flags & TCP_FLAGS_CHECKED)) & 1;
}

/* netfilter's get_conntrack_index(). */
static __always_inline __u8 tcp_class(__u8 flags)
{
	if (flags & TCP_FLAG_RST)
		return TCP_CLASS_RST;
	if (flags & TCP_FLAG_SYN)
		return (flags & TCP_FLAG_ACK) ? TCP_CLASS_SYNACK : TCP_CLASS_SYN;
	if (flags & TCP_FLAG_FIN)
		return TCP_CLASS_FIN;
	if (flags & TCP_FLAG_ACK)
		return TCP_CLASS_ACK;
	return TCP_CLASS_NONE;
}

/**
 * tcp_step() - the TCP part of tcp_packet(): move w (a copy of the entry's state word) for a
 * packet of class cls travelling in direction dir. Sets ASSURED like netfilter (SEEN_REPLY is
 * set by the caller for every accepted reply packet, after this step).
 */
static __always_inline int tcp_step(union ct_word *w, __u8 dir, __u8 cls)
{
	__u8 old = w->state;
	__u8 new;
	__u32 idx;

	if (old >= TCP_TABLE_STATES || cls >= TCP_CLASS_MAX)
		return CT_STEP_INVALID; /* not a TCP entry: cannot happen, keeps the index sane */
	idx = ((__u32)(dir & 1) * TCP_CLASS_MAX + cls) * TCP_TABLE_STATES + old;
	/* Calms the verifier: it cannot bound a product of ranges, so the index is re-checked;
	 * barrier_var() keeps the compiler from dropping the check it knows to be redundant. */
	barrier_var(idx);
	if (idx >= sizeof(tcp_conntracks))
		return CT_STEP_INVALID;
	new = ((const __u8 *)tcp_conntracks)[idx];

	switch (new) {
	case sIV:
		return CT_STEP_INVALID;
	case sIG:
		/* Might be valid or not (a SYN in ESTABLISHED, a late SYN-ACK ...): pass it,
		 * change nothing; the endpoints sort it out with a RST or an ACK. */
		return CT_STEP_IGNORED;
	case sSS:
		if (old == sTW || old == sCL)
			return CT_STEP_REOPEN;
		/* A retransmitted SYN does not keep an unanswered entry alive (netfilter:
		 * "do not renew timeout on SYN retransmit"). */
		if (old == sSS && !(w->flags & TCFW_CTF_SEEN_REPLY))
			return CT_STEP_QUIET;
		break;
	case sS2:
		/* The table alone cannot finish a simultaneous open: remember it. */
		w->flags |= TCFW_CTF_TCP_SIMOPEN;
		break;
	case sSR:
		if (dir == TCFW_DIR_REPLY && cls == TCP_CLASS_ACK &&
		    (w->flags & TCFW_CTF_TCP_SIMOPEN))
			new = sES;
		break;
	default:
		break;
	}

	/* ASSURED: the ACK that completes the handshake, or a valid answer in ESTABLISHED. */
	if ((w->flags & TCFW_CTF_SEEN_REPLY) && (old == sSR || old == sES) && new == sES)
		w->flags |= TCFW_CTF_ASSURED;
	w->state = new;
	return CT_STEP_OK;
}

#endif /* TCFW_BPF_TCP_STATE_H */
