/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * sync_wire.h - the messages two fwd of a gateway pair exchange to replicate connection state
 * (docs/ha.md): their encoding and a decoder that trusts nothing it reads.
 *
 * A message is one UDP datagram: a header, then for DATA a list of connection records. Every
 * field is in network byte order and at a fixed offset, so both nodes agree on the layout
 * whatever their compiler, and the layout of the datapath's maps (tcfw_abi.h) is not on the
 * wire: a record says what a connection is (tuples, state, NAT binding, zones, time left), and
 * each node turns that into its own map entry. Node-local facts (interface indexes, cached
 * next hops, clock stamps) never travel; zones travel by id, timeouts as seconds left.
 */
#ifndef TCFW_SYNC_WIRE_H
#define TCFW_SYNC_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SYNC_MAGIC   0x54434653u /* "TCFS" */
#define SYNC_VERSION 1
/* Small enough for one unfragmented datagram on any link with an MTU of 1500 (IPv6 + UDP). */
#define SYNC_MSG_MAX 1400

enum sync_msg_type {
	SYNC_DATA = 1,       /* records; seq is this message's sequence number */
	SYNC_ACK = 2,        /* the sender of this got every DATA in [seq_from, seq_to] */
	SYNC_NACK = 3,       /* ... and lost every DATA in [seq_from, seq_to]: send them again */
	SYNC_ALIVE = 4,      /* nothing to send; seq is the next DATA's number (a receiver that
	                      * expected less has lost the rest and says so with a NACK) */
	SYNC_RESYNC_REQ = 5, /* send me every connection you have (a bulk resync) */
	SYNC_RESYNC_END = 6, /* the bulk resync asked for has been sent in full */
	SYNC_MSG_TYPE_MAX,
};

enum sync_msg_flags {
	/* The sender's sequence starts here: it (re)started. The receiver forgets what it
	 * expected from it (a restarted peer numbers from scratch) and takes seq as the next. */
	SYNC_F_HELLO = 1 << 0,
	/* The sender is the pair's master (keepalived said so): the receiver, when not master
	 * itself, leaves the connections it got from it to the sender's refreshes and destroys
	 * instead of expiring them by its own clock. */
	SYNC_F_MASTER = 1 << 1,
};

enum sync_rec_kind {
	SYNC_REC_UPDATE = 1,  /* create or overwrite the connection */
	SYNC_REC_DESTROY = 2, /* remove it (only the key fields are meaningful) */
};

struct sync_hdr {
	uint8_t type;  /* enum sync_msg_type */
	uint8_t flags; /* enum sync_msg_flags */
	uint16_t nrec; /* DATA: records that follow */
	uint32_t seq_from;
	uint32_t seq_to;      /* DATA and ALIVE: equal to seq_from */
	uint32_t node_id;     /* the sender's (from --sync-node-id, else random at start) */
	uint32_t policy_gen;  /* the sender's policy generation: a mismatch is reported */
	uint32_t boot_cookie; /* random per start of the sender: tells a restart from a wrap */
};

/* One connection, as both nodes understand it. Addresses: 16 bytes, IPv4-mapped for IPv4
 * (as everywhere in tcfw). */
struct sync_tuple {
	uint8_t src[16];
	uint8_t dst[16];
	uint16_t sport, dport; /* host order here; network order on the wire */
	uint8_t proto;
	uint8_t family; /* 4 or 6 */
};

struct sync_rec {
	uint8_t kind;     /* enum sync_rec_kind */
	uint8_t state;    /* enum tcfw_ct_state */
	uint8_t flags;    /* enum tcfw_ct_flags */
	uint8_t nat_kind; /* enum tcfw_nat_kind */
	uint8_t chain;    /* enum tcfw_chain that admitted it */
	uint8_t zone_in;  /* zone ids of the policy (SYNC_ZONE_NONE: local or unknown) */
	uint8_t zone_out;
	uint32_t rule_id;
	uint32_t timeout_left; /* seconds until the connection expires if idle */
	struct sync_tuple orig;
	struct sync_tuple reply; /* the reply direction's tuple: the NAT binding is in it */
	uint8_t nat_addr[16];
	uint16_t nat_port;
};

#define SYNC_ZONE_NONE 0xff

#define SYNC_HDR_LEN   32
#define SYNC_TUPLE_LEN 38
#define SYNC_REC_LEN   (16 + 2 * SYNC_TUPLE_LEN + 18)
/* Records in one DATA message. */
#define SYNC_MAX_RECS ((SYNC_MSG_MAX - SYNC_HDR_LEN) / SYNC_REC_LEN)

/* Encode h (nrec set by the caller) and, for DATA, its nrec records into buf (at least
 * SYNC_MSG_MAX bytes). Returns the message length, or -EINVAL when nrec exceeds SYNC_MAX_RECS
 * or a type is unknown. */
int sync_encode(const struct sync_hdr *h, const struct sync_rec *recs, uint8_t *buf, size_t size);

/* Decode a received datagram into h and recs (room for SYNC_MAX_RECS). 0, or -EBADMSG with
 * why naming the first thing wrong (wrong magic or version, a length that does not add up, an
 * unknown type, kind, family or protocol, a range backwards). Nothing is written to recs past
 * h->nrec. */
int sync_decode(const uint8_t *buf, size_t len, struct sync_hdr *h, struct sync_rec *recs,
                char *why, size_t whylen);

/* Is sequence number a before b, modulo 2^32 (as TCP's before())? */
static inline bool sync_seq_before(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

#endif
