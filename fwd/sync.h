/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * sync.h - state replication between the two fwd of a gateway pair (docs/ha.md): the sync
 * socket and its timer in fwd's event loop, the change scan, the reliable window
 * (lib/sync_window.c), bulk resync, and the node's role as keepalived's notify scripts set it
 * (`fwctl ha master|backup|fault`).
 *
 * Changes are found by a scan of the connection table every SYNC_SCAN_MS (batched lookups),
 * against what was last sent (a hash per connection kept here): new connections once assured
 * or a second old, state, flag and NAT binding changes, timeout refreshes when the peer's
 * copy would otherwise run out, and destroys (gone from the table since the last scan). Map
 * entries and records meet only in sync_ct.c.
 */
#ifndef FWD_SYNC_H
#define FWD_SYNC_H

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "tcfw_abi.h"

struct fwd;

#define SYNC_PORT_DEFAULT 3780 /* conntrackd's */
#define SYNC_SCAN_MS      200
#define SYNC_TICK_MS      100
#define SYNC_QUEUE_MSGS   2048 /* unacknowledged DATA messages kept for resending */

enum sync_role {
	SYNC_ROLE_NONE = 0, /* not told yet (no `fwctl ha ...` since start) */
	SYNC_ROLE_MASTER,
	SYNC_ROLE_BACKUP,
	SYNC_ROLE_FAULT,
};

const char *sync_role_name(enum sync_role r);
/* "master", "backup", "fault" -> the role; -1 for anything else. */
int sync_role_parse(const char *s);

/* Everything a metrics scrape or `fwctl stats` shows. */
struct sync_counters {
	bool enabled; /* --sync-peer given */
	enum sync_role role;
	bool peer_alive;
	uint64_t sent_msgs, sent_recs; /* DATA messages and records sent (first time) */
	uint64_t recv_msgs, recv_recs; /* DATA messages and records received and applied */
	uint64_t lost;                 /* sequence numbers the peer's messages were missing */
	uint64_t dropped;              /* messages dropped from a full queue before their ACK */
	uint64_t resyncs_sent, resyncs_received; /* bulk resyncs served, and completed from peer */
	uint64_t queue;                          /* messages waiting for an ACK */
};

/* Open the sync socket and timer when --sync-peer was given (else only keep the role).
 * 0 or -errno (logged). */
int sync_open(struct fwd *fwd);
void sync_close(struct fwd *fwd);

/* Expiry's question: is this connection kept by the peer's refreshes rather than this node's
 * clock? True for a connection received from the peer while this node is not master and the
 * peer is alive and master (until a minute past the expiry the peer last announced). */
bool sync_keeps(struct fwd *fwd, const struct tcfw_tuple *orig);

/* Set the role (keepalived's notify: `fwctl ha master|backup|fault`). */
void sync_set_role(struct fwd *fwd, enum sync_role role);

void sync_counters(struct fwd *fwd, struct sync_counters *c);
/* `fwctl ha status`: a new object. */
struct json_object *sync_status_json(struct fwd *fwd);

#endif
