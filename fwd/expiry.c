// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * expiry.c - connection expiry and early drop (see expiry.h).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "ctmap.h"
#include "log.h"
#include "percpu.h"

#include "expiry.h"
#include "fwd.h"
#include "monitor.h"
#include "notify.h"
#include "sync.h"

/*
 * Early drop (netfilter's early_drop, done by fwd): the connection table never evicts
 * (bpf/lib/maps.h), so a full table refuses new connections. When the last pass found the
 * table at least EARLY_DROP_HIGH_PCT full, or the datapath failed an insert since, this pass
 * also deletes connections that are not ASSURED (no reply, or a TCP handshake never
 * completed: what a SYN flood leaves), those older than EARLY_DROP_MIN_AGE_NS first; the
 * younger ones only if the table is still that full afterwards. ASSURED connections are never
 * dropped early: a flood of unanswered SYNs cannot push out an established connection.
 */
#define EARLY_DROP_HIGH_PCT   90
#define EARLY_DROP_MIN_AGE_NS 1000000000ULL /* a handshake in progress gets this long */
#define EARLY_DROP_WARN_EVERY 60            /* seconds between two "table full" warnings */

struct young_conn {
	struct tcfw_tuple orig;
	struct tcfw_ct_entry e;
};

struct expiry_pass {
	struct fwd *fwd;
	struct ctmap m;
	uint64_t now_ns;
	uint64_t seen, expired, dropped;
	uint64_t entries; /* map entries of the connections seen and not deleted */
	bool pressure;
	struct metrics_ct_census census; /* what stays in the table, for the metrics */
	struct young_conn *young;        /* unassured and younger than EARLY_DROP_MIN_AGE_NS */
	size_t nyoung, young_cap;
	int first_error;
};

static bool early_droppable(const struct tcfw_ct_entry *e)
{
	return !(e->flags & TCFW_CTF_ASSURED);
}

/* Delete one connection found by the walk as e, if it still qualifies; true when deleted. */
static bool delete_conn(struct expiry_pass *x, const struct tcfw_tuple *orig, bool early)
{
	struct tcfw_ct_entry fresh;
	int err;

	/* The batch copy may be milliseconds old: a packet may have refreshed the connection
	 * (or completed its handshake) since. Look again right before deleting, so only the tiny
	 * window between this read and the delete remains. */
	if (ctmap_lookup(&x->m, orig, NULL, &fresh))
		return false; /* gone meanwhile */
	if (early ? !early_droppable(&fresh)
	          : !ctmap_is_expired(&fresh, x->fwd->pol.timeouts, ctmap_now_ns()))
		return false;
	err = ctmap_delete(&x->m, orig, &fresh);
	if (err == -ENOENT)
		return false; /* deleted meanwhile */
	if (err) {
		if (!x->first_error)
			x->first_error = err;
		return false; /* keep going: one stuck entry must not stop the rest */
	}
	monitor_destroy_event(x->fwd, orig, &fresh, early ? "early-drop" : "expired");
	return true;
}

static void remember_young(struct expiry_pass *x, const struct tcfw_tuple *orig,
                           const struct tcfw_ct_entry *e)
{
	if (x->nyoung == x->young_cap) {
		size_t cap = x->young_cap ? x->young_cap * 2 : 1024;
		void *v = realloc(x->young, cap * sizeof(*x->young));

		if (!v)
			return; /* not dropped early this pass: only less room made */
		x->young = v;
		x->young_cap = cap;
	}
	x->young[x->nyoung].orig = *orig;
	x->young[x->nyoung].e = *e;
	x->nyoung++;
}

static int expire_one(const struct tcfw_tuple *orig, const struct tcfw_ct_entry *e, void *ctx)
{
	struct expiry_pass *x = ctx;

	x->seen++;
	x->entries += ctmap_entries_of(orig, e);
	/* Counted as it stands in the walk, taken back when this pass deletes it. */
	metrics_census_count(&x->census, orig, e, +1);
	if (sync_keeps(x->fwd, orig)) /* the peer (master) refreshes and destroys it */
		return 0;
	if (!ctmap_is_expired(e, x->fwd->pol.timeouts, x->now_ns)) {
		if (!x->pressure || !early_droppable(e))
			return 0;
		if (ctmap_age_ns(e, x->now_ns) < EARLY_DROP_MIN_AGE_NS)
			remember_young(x, orig, e);
		else if (delete_conn(x, orig, true)) {
			x->dropped++;
			x->entries -= ctmap_entries_of(orig, e);
			metrics_census_count(&x->census, orig, e, -1);
		}
		return 0;
	}
	if (delete_conn(x, orig, false)) {
		x->expired++;
		x->entries -= ctmap_entries_of(orig, e);
		metrics_census_count(&x->census, orig, e, -1);
	}
	return 0;
}

/* Should this pass drop early? The table was nearly full at the last pass, or an insert
 * failed since (a flood can fill it between two passes). */
static bool under_pressure(struct fwd *fwd)
{
	struct fwd_expiry_stats *st = &fwd->expiry;
	uint64_t live = st->last_entries;
	__u64 failed = 0;
	bool more_failed;

	percpu_sum(fwd->dp.stats_fd, TCFW_STAT_CT_INSERT_FAILED, &failed);
	more_failed = failed > st->insert_failed_seen;
	st->insert_failed_seen = failed;
	return more_failed || live * 100 >= (uint64_t)fwd->dp.ct_max * EARLY_DROP_HIGH_PCT;
}

/* The table is still nearly full after the old ones went: the young ones go too. */
static void drop_young(struct expiry_pass *x)
{
	if (x->entries * 100 < (uint64_t)x->fwd->dp.ct_max * EARLY_DROP_HIGH_PCT)
		return;
	for (size_t i = 0; i < x->nyoung; i++)
		if (delete_conn(x, &x->young[i].orig, true)) {
			x->dropped++;
			x->entries -= ctmap_entries_of(&x->young[i].orig, &x->young[i].e);
			metrics_census_count(&x->census, &x->young[i].orig, &x->young[i].e, -1);
		}
}

static void report_early_drop(struct fwd *fwd, const struct expiry_pass *x)
{
	struct fwd_expiry_stats *st = &fwd->expiry;
	uint64_t now_s = ctmap_now_ns() / 1000000000ULL;
	int err;

	st->early_dropped += x->dropped;
	/* In map "stats" too, so that `fwctl stats` and a later fwd see it. */
	err = percpu_add(fwd->dp.stats_fd, TCFW_STAT_CT_EARLY_DROP, x->dropped);
	if (err)
		pr_debug("expiry: cannot add to stat ct_early_drop: %s", strerror(-err));
	if (st->last_full_warning_s && now_s - st->last_full_warning_s < EARLY_DROP_WARN_EVERY)
		return;
	st->last_full_warning_s = now_s ? now_s : 1;
	pr_warn(
	    "connection table nearly full (%llu entries of %u): dropped %llu connections that were "
	    "not established (ct_early_drop; established ones are kept); new connections "
	    "are refused while it is full (ct_insert_failed): consider a larger --ct-max",
	    (unsigned long long)x->entries, fwd->dp.ct_max, (unsigned long long)x->dropped);
}

void expiry_run(struct fwd *fwd)
{
	struct expiry_pass x = {
	    .fwd = fwd,
	    .m = {.ct_fd = fwd->dp.ct_fd},
	    .now_ns = ctmap_now_ns(),
	};
	struct fwd_expiry_stats *st = &fwd->expiry;
	int err, walk_err;

	x.pressure = under_pressure(fwd);
	err = walk_err = ctmap_walk(&x.m, 0, expire_one, &x);
	if (!err && x.pressure)
		drop_young(&x);
	free(x.young);
	if (!err)
		err = x.first_error;
	st->runs++;
	st->expired += x.expired;
	st->last_expired = x.expired;
	st->last_early_dropped = x.dropped;
	st->last_seen = x.seen;
	st->last_entries = x.entries;
	if (x.dropped)
		report_early_drop(fwd, &x);
	st->last_pass_ms = (double)(ctmap_now_ns() - x.now_ns) / 1e6;
	if (!st->pass_seconds.bounds)
		metrics_histogram_init(&st->pass_seconds, metrics_expiry_pass_bounds,
		                       metrics_expiry_pass_nbounds);
	metrics_histogram_observe(&st->pass_seconds, st->last_pass_ms / 1e3);
	/* A walk cut short counted only part of the table: keep the last whole count. */
	if (!walk_err) {
		st->census = x.census;
		st->have_census = true;
	}
	/* Say it once when expiry starts failing, not every second. */
	if (err && err != st->last_error)
		pr_warn("expiry: walking or deleting connections failed: %s (connections are not "
		        "expiring; see `fwctl status`)",
		        strerror(-err));
	else if (!err && st->last_error)
		pr_warn("expiry: working again");
	st->last_error = err;
	if (x.expired)
		pr_debug("expiry: %llu of %llu connections expired in %.1f ms",
		         (unsigned long long)x.expired, (unsigned long long)x.seen,
		         st->last_pass_ms);
	notify_status(fwd); /* the connection count; sent only when the text changed */
}

/* Several ticks missed while the loop was busy still mean one pass (loop_timer_start()). */
static void expiry_tick(struct loop_source *src, uint32_t events)
{
	(void)events;
	expiry_run(src->ctx);
}

int expiry_start(struct fwd *fwd)
{
	return loop_timer_start(&fwd->loop, &fwd->expiry_timer, fwd->opt.expire_interval_s,
	                        expiry_tick, fwd, "expiry");
}

void expiry_stop(struct fwd *fwd)
{
	loop_timer_stop(&fwd->loop, &fwd->expiry_timer);
}
