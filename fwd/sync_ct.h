/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * sync_ct.h - the one place where state replication (sync.c) meets the connection table's
 * layout: a map entry turned into a wire record (struct sync_rec) and a received record turned
 * back into map entries. Everything else in sync.c speaks records and tuples only, so a change
 * of the table's layout is a change of sync_ct.c alone.
 *
 * The translation functions are pure (no maps, no clock: now is passed in), so that
 * tests/unit/test_sync_ct.c checks them on hand-made entries.
 */
#ifndef FWD_SYNC_CT_H
#define FWD_SYNC_CT_H

#include <stdbool.h>
#include <stdint.h>

#include "ctmap.h"
#include "sync_wire.h"
#include "tcfw_abi.h"

/* Interface index <-> zone id on this node (the active policy's zones). A zone is sent by id;
 * the receiver picks its first interface of that zone. */
struct sync_zone_map {
	size_t n;
	struct {
		uint32_t ifindex;
		uint8_t zone;
	} v[TCFW_MAX_IFACES];
};

/* What the change scan needs to know beyond the record. */
struct sync_ct_meta {
	bool ready;          /* worth sending: assured, or older than SYNC_CT_NEW_DELAY_NS */
	uint64_t expires_ns; /* when it expires if idle, on this node's clock */
};

/* A new connection is sent once assured, or once it lived this long (a UDP stream that is
 * never answered, a TCP handshake in progress): most short-lived attempts never travel. */
#define SYNC_CT_NEW_DELAY_NS 1000000000ull

void sync_ct_tuple_to_wire(const struct tcfw_tuple *t, struct sync_tuple *w);
void sync_ct_tuple_from_wire(const struct sync_tuple *w, struct tcfw_tuple *t);

/* The record of connection orig/e (kind UPDATE), with its meta when m is not NULL. */
void sync_ct_to_rec(const struct tcfw_tuple *orig, const struct tcfw_ct_entry *e,
                    const struct sync_zone_map *zm, const __u32 timeouts[TCFW_CT_STATE_MAX],
                    uint64_t now_ns, struct sync_rec *r, struct sync_ct_meta *m);

/*
 * The map entry for received record r (UPDATE). old: this node's entry for the same
 * connection, or NULL. Node-local facts are made here: interfaces from the zones, last_seen so
 * that the entry expires after r->timeout_left on this clock, no next hop (the first packet
 * looks the route up), and the TCP windows left unknown (all zero) and liberal: the datapath
 * picks the connection up mid-stream, learning each direction from its next segment, and only
 * RSTs are held to the window (bpf/lib/tcp_window.h; netfilter marks a connection it picks up
 * mid-stream the same way). Counters and age of old are kept when old is the same connection
 * (same reply tuple).
 */
void sync_ct_from_rec(const struct sync_rec *r, const struct tcfw_ct_entry *old,
                      const struct sync_zone_map *zm, const __u32 timeouts[TCFW_CT_STATE_MAX],
                      uint64_t now_ns, struct tcfw_tuple *orig, struct tcfw_ct_entry *e);

/* A hash of what the peer must learn about when it changes (state, flags, NAT binding, rule):
 * not the timeout (refreshed apart) nor the zones (node-local). */
uint64_t sync_ct_rec_hash(const struct sync_rec *r);

/* ---- map access ------------------------------------------------------------------------ */
/* Every connection as a record: 0, or the callback's non-zero value, or -errno. */
typedef int (*sync_ct_walk_cb)(const struct sync_rec *r, const struct sync_ct_meta *m, void *ctx);
int sync_ct_walk(const struct ctmap *map, const struct sync_zone_map *zm,
                 const __u32 timeouts[TCFW_CT_STATE_MAX], sync_ct_walk_cb cb, void *ctx);
/* The current record of the connection with original tuple orig: 0, or -ENOENT (gone). */
int sync_ct_lookup(const struct ctmap *map, const struct sync_zone_map *zm,
                   const __u32 timeouts[TCFW_CT_STATE_MAX], const struct sync_tuple *orig,
                   struct sync_rec *r, struct sync_ct_meta *m);
/* Does the connection still exist? */
bool sync_ct_exists(const struct ctmap *map, const struct sync_tuple *orig);
/* Write a received UPDATE into the table (the main entry; with NAT its reference entry; with
 * DNAT and SNAT both, its half-translated tuple into map "nat_alias", alias_fd), or apply a
 * DESTROY. 0 or -errno. */
int sync_ct_apply(const struct ctmap *map, int alias_fd, const struct sync_zone_map *zm,
                  const __u32 timeouts[TCFW_CT_STATE_MAX], const struct sync_rec *r);

#endif
