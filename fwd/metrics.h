/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * metrics.h - fwd's figures in the Prometheus text exposition format (version 0.0.4): a
 * snapshot of plain numbers (filled by metrics_collect.c from the maps and fwd's state) and
 * the text rendered from it. Nothing here reads a map or a socket, so the format is
 * unit-tested without a kernel (tests/unit/test_metrics_format.c). The HTTP side is in
 * metrics_http.h; every metric is listed in docs/fwd.md "Metrics".
 */
#ifndef FWD_METRICS_H
#define FWD_METRICS_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tcfw_abi.h"

/* ---- text buffer ----------------------------------------------------------------------------- */
struct metrics_buf {
	char *s; /* NUL-terminated; NULL until something is written */
	size_t len, cap;
	bool failed; /* out of memory: the text is incomplete and must not be served */
};

void metrics_buf_free(struct metrics_buf *b);

struct metrics_label {
	const char *name;
	const char *value; /* escaped when written: backslash, double quote, newline */
};

/* "# HELP name help" (help escaped) and "# TYPE name type". */
void metrics_family(struct metrics_buf *b, const char *name, const char *type, const char *help);
/* One sample line: name{l1="v1",...} value. No braces when nlabels is 0. */
void metrics_sample_u64(struct metrics_buf *b, const char *name, const struct metrics_label *l,
                        size_t nlabels, uint64_t v);
void metrics_sample_f64(struct metrics_buf *b, const char *name, const struct metrics_label *l,
                        size_t nlabels, double v);

/* ---- histogram ------------------------------------------------------------------------------- */
#define METRICS_HIST_MAX_BOUNDS 16

struct metrics_histogram {
	const double *bounds; /* upper bounds, ascending; static storage */
	size_t nbounds;
	uint64_t counts[METRICS_HIST_MAX_BOUNDS + 1]; /* per bucket, [nbounds] is above the last */
	uint64_t count;
	double sum;
};

/* Buckets of tcfw_expiry_pass_seconds: 100 us (a few hundred connections) to 5 s (millions). */
extern const double metrics_expiry_pass_bounds[];
extern const size_t metrics_expiry_pass_nbounds;

void metrics_histogram_init(struct metrics_histogram *h, const double *bounds, size_t nbounds);
void metrics_histogram_observe(struct metrics_histogram *h, double v);
/* HELP/TYPE, then name_bucket{le=...} (cumulative, "+Inf" last), name_sum and name_count. */
void metrics_histogram_write(struct metrics_buf *b, const char *name, const char *help,
                             const struct metrics_histogram *h);

/* ---- the connection table, counted by the expiry pass -------------------------------------- */
enum metrics_proto {
	METRICS_PROTO_TCP = 0,
	METRICS_PROTO_UDP,
	METRICS_PROTO_ICMP,
	METRICS_PROTO_ICMPV6,
	METRICS_PROTO_OTHER,
	METRICS_PROTO_MAX,
};

struct metrics_ct_census {
	uint64_t entries[2][METRICS_PROTO_MAX][TCFW_CT_STATE_MAX]; /* [0 ipv4, 1 ipv6] */
	uint64_t nat_bindings;                                     /* nat_kind != 0 */
};

/* Count one connection (delta +1) or take it back (-1, when the pass deleted it). */
void metrics_census_count(struct metrics_ct_census *c, const struct tcfw_tuple *orig,
                          const struct tcfw_ct_entry *e, int delta);

/* ---- the snapshot ---------------------------------------------------------------------------- */
struct metrics_rule_hits {
	uint8_t chain; /* enum tcfw_chain */
	uint32_t rule_id;
	uint64_t hits;
	bool has_limit;   /* the rule has 'limit' */
	uint64_t limited; /* what its limit refused (fell through) */
};

struct metrics_iface {
	char name[IF_NAMESIZE];
	uint64_t rx_packets, tx_packets, rx_bytes, tx_bytes;
};

struct metrics_snapshot {
	const char *version;
	bool have_stats; /* map "stats" was read */
	uint64_t stats[TCFW_STAT_MAX];
	bool have_drops;                   /* map "drops" was read */
	uint64_t drops[TCFW_DROP_ENTRIES]; /* by TCFW_DROP_INDEX(reason, chain) */
	uint32_t ct_max;
	bool have_census; /* an expiry pass has completed */
	struct metrics_ct_census census;
	uint64_t expired; /* deleted by expiry since fwd started */
	uint64_t policy_generation;
	uint64_t policy_reload_failures;
	const struct metrics_rule_hits *rules;
	size_t nrules;
	const struct metrics_iface *ifaces;
	size_t nifaces;
	const struct metrics_histogram *expiry_pass; /* NULL: not written */
	/* The gateway pair (fwd/sync.c). role: "none", "master", "backup", "fault". */
	const char *ha_role;
	bool have_sync; /* --sync-peer given: the counters below are written */
	bool sync_peer_alive;
	uint64_t sync_sent_msgs, sync_sent_recs, sync_recv_msgs, sync_recv_recs;
	uint64_t sync_lost, sync_dropped, sync_resyncs_sent, sync_resyncs_received, sync_queue;
};

/* The whole exposition of s into b (appended). 0, or -ENOMEM (b->failed). */
int metrics_render(const struct metrics_snapshot *s, struct metrics_buf *b);

#endif
