// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * metrics_collect.c - a metrics snapshot from fwd (see metrics_collect.h). A scrape costs one
 * lookup per counter of map "stats", one per rule slot of map "pol_hits" and one RTM_GETLINK
 * per managed interface; the connection table is not walked here: the expiry pass counted it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "log.h"
#include "percpu.h"

#include "fwd.h"
#include "metrics_collect.h"
#include "netlink.h"
#include "policy_install.h"
#include "sync.h"

static void collect_stats(struct fwd *fwd, struct metrics_snapshot *s)
{
	__u64 v;
	int err;

	/* fast_path before packets: every fast packet was counted in packets first, so
	 * packets - fast_path (tcfw_packets_total{path="slow"}) cannot come out negative. */
	err = percpu_sum(fwd->dp.stats_fd, TCFW_STAT_FAST_PATH, &v);
	s->stats[TCFW_STAT_FAST_PATH] = v;
	for (unsigned int i = 0; !err && i < TCFW_STAT_MAX; i++) {
		if (i == TCFW_STAT_FAST_PATH)
			continue;
		err = percpu_sum(fwd->dp.stats_fd, i, &v);
		s->stats[i] = v;
	}
	if (err)
		pr_debug("metrics: cannot read map stats: %s", strerror(-err));
	s->have_stats = !err;
}

static void collect_drops(struct fwd *fwd, struct metrics_snapshot *s)
{
	int err = 0;
	__u64 v;

	for (__u32 i = 0; !err && i < TCFW_DROP_ENTRIES; i++) {
		err = percpu_sum(fwd->dp.drops_fd, i, &v);
		s->drops[i] = v;
	}
	if (err)
		pr_debug("metrics: cannot read map drops: %s", strerror(-err));
	s->have_drops = !err;
}

/* Hits of every rule of the active copy, with its chain (policy_hits() is by id only). */
static void collect_rules(struct fwd *fwd, struct metrics_snapshot *s)
{
	const struct fwd_policy *pol = &fwd->pol;
	struct metrics_rule_hits *v;
	size_t n = 0, total = 0, nhits = 0, nlim = 0;
	uint64_t *hits, *limited;

	if (!pol->have_img)
		return;
	for (unsigned int c = 0; c < TCFW_CHAIN_MAX; c++)
		total += pol->img.nrules[c];
	if (!total)
		return;
	hits = policy_hits(fwd, &nhits);
	limited = policy_limited(fwd, &nlim);
	v = calloc(total, sizeof(*v));
	if (!hits || !v) {
		free(hits);
		free(limited);
		free(v);
		return;
	}
	for (unsigned int c = 0; c < TCFW_CHAIN_MAX; c++)
		for (size_t pos = 0; pos < pol->img.nrules[c]; pos++) {
			__u32 id = pol->img.rules[c][pos].id;

			v[n].chain = (uint8_t)c;
			v[n].rule_id = id;
			v[n].hits = id < nhits ? hits[id] : 0;
			v[n].has_limit = pol->img.rules[c][pos].flags & TCFW_RULEF_LIMIT;
			v[n].limited = limited && id < nlim ? limited[id] : 0;
			n++;
		}
	free(hits);
	free(limited);
	s->rules = v;
	s->nrules = n;
}

static void collect_ifaces(struct fwd *fwd, struct metrics_snapshot *s)
{
	struct metrics_iface *v;
	size_t n = 0;

	if (!fwd->ifaces.n || !fwd->nl)
		return;
	v = calloc(fwd->ifaces.n, sizeof(*v));
	if (!v)
		return;
	for (size_t i = 0; i < fwd->ifaces.n; i++) {
		const struct fwd_iface *it = &fwd->ifaces.v[i];
		struct netlink_link_stats st;

		/* Another fwd's interface is not ours to report. */
		if (it->foreign || !netlink_link_stats(fwd->nl, it->ifindex, &st))
			continue;
		snprintf(v[n].name, sizeof(v[n].name), "%s", it->name);
		v[n].rx_packets = st.rx_packets;
		v[n].tx_packets = st.tx_packets;
		v[n].rx_bytes = st.rx_bytes;
		v[n].tx_bytes = st.tx_bytes;
		n++;
	}
	s->ifaces = v;
	s->nifaces = n;
}

static void collect_sync(struct fwd *fwd, struct metrics_snapshot *s)
{
	struct sync_counters c;

	sync_counters(fwd, &c);
	s->ha_role = sync_role_name(c.role);
	s->have_sync = c.enabled;
	s->sync_peer_alive = c.peer_alive;
	s->sync_sent_msgs = c.sent_msgs;
	s->sync_sent_recs = c.sent_recs;
	s->sync_recv_msgs = c.recv_msgs;
	s->sync_recv_recs = c.recv_recs;
	s->sync_lost = c.lost;
	s->sync_dropped = c.dropped;
	s->sync_resyncs_sent = c.resyncs_sent;
	s->sync_resyncs_received = c.resyncs_received;
	s->sync_queue = c.queue;
}

void metrics_collect(struct fwd *fwd, struct metrics_snapshot *s)
{
	memset(s, 0, sizeof(*s));
	s->version = TCFW_VERSION;
	collect_stats(fwd, s);
	collect_drops(fwd, s);
	s->ct_max = fwd->dp.ct_max;
	s->have_census = fwd->expiry.have_census;
	s->census = fwd->expiry.census;
	s->expired = fwd->expiry.expired;
	s->policy_generation = fwd->pol.generation;
	s->policy_reload_failures = fwd->pol.change_failures;
	collect_rules(fwd, s);
	collect_ifaces(fwd, s);
	if (fwd->expiry.pass_seconds.bounds)
		s->expiry_pass = &fwd->expiry.pass_seconds;
	collect_sync(fwd, s);
}

void metrics_snapshot_free(struct metrics_snapshot *s)
{
	free((void *)s->rules);
	free((void *)s->ifaces);
	s->rules = NULL;
	s->ifaces = NULL;
}
