// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * dp_policy_limit_log.c - 'limit N/second|minute' (a token bucket per rule: N accepted, then
 * the rule falls through; refilled with time; full again after a reload) and 'log' (a
 * TCFW_EV_LOG event per connection a logged rule decides, whatever the verdict, read back
 * from the ring buffer; the connection flagged TCFW_CTF_LOG; a full ring buffer counted).
 */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tcfw.skel.h"

#include "dp.h"

#define ORIG TCFW_DIR_ORIG

#define ZONES "zone lan { lan0 }\nzone wan { wan0 }\n"

static const struct flow dns = {4, IPPROTO_UDP, "192.0.2.10", "198.51.100.20", 5000, 53};

/* The n-th new DNS connection (its own source port); expect it admitted by rule_id (0: the
 * chain's default, which drops). */
static void new_query(struct dp *t, const char *step, int n, uint32_t rule_id)
{
	struct flow f = dns;
	struct tcfw_ct_entry e;
	char what[128];

	f.sport = (uint16_t)(dns.sport + n);
	snprintf(what, sizeof(what), "%s (connection %d)", step, n);
	dp_flow(t, what, DP_INGRESS_LAN, &f, ORIG, 0, rule_id ? TC_OK : TC_SHOT);
	if (!rule_id)
		return;
	if (!dp_conn(t, &f, &e))
		dp_fail(t, what, "expected a connection, none");
	else
		DP_EXPECT_EQ(t, what, "rule that admitted it", e.rule_id, rule_id);
}

DP_CASE(policy_limit)
{
	int n = 0;

	if (!dp_policy_load(t, "limit 3/minute, then rule 2",
	                    ZONES "defaults { forward drop }\n"
	                          "forward accept proto udp dport 53 limit 3/minute\n"
	                          "forward accept proto udp dport 53-54\n",
	                    0, true))
		return;
	for (int i = 0; i < 3; i++)
		new_query(t, "within the limit: rule 1", n++, 1);
	for (int i = 0; i < 2; i++)
		new_query(t, "over the limit: falls through to rule 2", n++, 2);
	dp_expect_stat(t, "end", TCFW_STAT_LIMITED, 2);
	dp_expect_hits(t, "end", TCFW_CHAIN_FORWARD, 0, 3);
	dp_expect_hits(t, "end", TCFW_CHAIN_FORWARD, 1, 2);

	/* Nothing after the limited rule: the default decides. */
	if (!dp_policy_load(t, "limit 2/second alone",
	                    ZONES "defaults { forward drop }\n"
	                          "forward accept proto udp dport 53 limit 2/second\n",
	                    1, true))
		return;
	new_query(t, "reloaded: full bucket", n++, 1);
	new_query(t, "reloaded: full bucket", n++, 1);
	new_query(t, "over the limit, nothing after it: default drop", n++, 0);
	dp_expect_stat(t, "end", TCFW_STAT_LIMITED, 3);
}

/* Move the bucket of forward position 0 of copy 0 back in time by ns, as if ns had passed. */
static void age_bucket(struct dp *t, const char *step, __u64 ns)
{
	struct tcfw_limit_state s;

	if (!dp_limit_state(t, 0, TCFW_CHAIN_FORWARD, 0, &s) || !s.last_ns) {
		dp_fail(t, step, "no bucket state for forward rule 1");
		return;
	}
	s.last_ns -= ns;
	if (!dp_set_limit_state(t, 0, TCFW_CHAIN_FORWARD, 0, &s))
		dp_fail(t, step, "cannot write map pol_limit");
}

DP_CASE(policy_limit_refill)
{
	struct tcfw_limit_state s;
	int n = 0;

	/* 6 per minute: one token every 10 seconds, at most 6. */
	if (!dp_policy_load(t, "limit 6/minute",
	                    ZONES "defaults { forward drop }\n"
	                          "forward accept proto udp dport 53 limit 6/minute\n",
	                    0, true))
		return;
	if (dp_limit_state(t, 0, TCFW_CHAIN_FORWARD, 0, &s))
		DP_EXPECT_EQ(t, "after the load", "bucket stamp (zeroed: a full bucket)", s.last_ns,
		             0);
	for (int i = 0; i < 6; i++)
		new_query(t, "the burst of 6", n++, 1);
	new_query(t, "7th: empty bucket", n++, 0);

	age_bucket(t, "10.5 s later", 10500000000ULL);
	new_query(t, "10.5 s later: one token", n++, 1);
	new_query(t, "10.5 s later: only one", n++, 0);

	age_bucket(t, "5 s later", 5000000000ULL);
	new_query(t, "5 s later: half a token is none", n++, 0);
	age_bucket(t, "another 5 s", 5000000000ULL);
	/* 0.5 s (the remainder of the 10.5 s) + 5 s + 5 s: one token, the time was not lost. */
	new_query(t, "10.5 s after the last token: the halves add up", n++, 1);

	age_bucket(t, "a minute later", 61000000000ULL);
	for (int i = 0; i < 6; i++)
		new_query(t, "a minute later: full again", n++, 1);
	new_query(t, "a minute later: 6 at most", n++, 0);
	dp_expect_stat(t, "before the reload", TCFW_STAT_LIMITED, 4);

	/* A reload starts every bucket full (lib/policy_maps.c zeroes the slots it writes). */
	if (!dp_policy_load(t, "reload",
	                    ZONES "defaults { forward drop }\n"
	                          "forward accept proto udp dport 53 limit 6/minute\n",
	                    1, true))
		return;
	for (int i = 0; i < 6; i++)
		new_query(t, "after a reload: full", n++, 1);
	new_query(t, "after a reload: 6 at most", n++, 0);
	dp_expect_stat(t, "end", TCFW_STAT_LIMITED, 5);
}

static void expect_log_event(struct dp *t, const char *step, const struct tcfw_event *ev,
                             const struct flow *f, unsigned int chain, unsigned int verdict,
                             uint32_t rule_id, int ifindex)
{
	struct tcfw_tuple want;

	dp_tuple(&want, f, ORIG);
	DP_EXPECT_EQ(t, step, "event type", ev->type, TCFW_EV_LOG);
	DP_EXPECT_EQ(t, step, "event chain", ev->chain, chain);
	DP_EXPECT_EQ(t, step, "event verdict", ev->verdict, verdict);
	DP_EXPECT_EQ(t, step, "event rule id", ev->rule_id, rule_id);
	DP_EXPECT_EQ(t, step, "event ifindex", ev->ifindex, ifindex);
	DP_EXPECT_EQ(t, step, "event pkt_ct", ev->pkt_ct, TCFW_PKT_NEW);
	DP_EXPECT_TRUE(t, step, "event tuple is the packet's",
	               !memcmp(&ev->tuple, &want, sizeof(want)));
	DP_EXPECT_TRUE(t, step, "event timestamp", ev->ts_ns != 0);
}

DP_CASE(policy_log_events)
{
	struct flow f80 = {4, IPPROTO_TCP, "192.0.2.10", "198.51.100.20", 40000, 80};
	struct flow f81 = f80, f82 = f80, f83 = f80;
	struct flow out = {4, IPPROTO_UDP, "198.51.100.1", "198.51.100.20", 5000, 123};
	struct tcfw_ct_entry e;
	struct dp_events ev;

	f81.dport = 81;
	f82.dport = 82;
	f83.dport = 83;
	dp_add_local_addr(t, "198.51.100.1", t->ifindex_wan);
	if (!dp_policy_load(t, "logged rules",
	                    ZONES "defaults { forward drop; output drop }\n"
	                          "forward accept proto tcp dport 80 log\n"
	                          "forward drop proto tcp dport 81 log\n"
	                          "forward reject proto tcp dport 82 log\n"
	                          "forward accept proto tcp dport 83\n"
	                          "output accept proto udp log\n",
	                    0, true))
		return;
	if (!dp_events_open(t, &ev))
		return;

	dp_flow(t, "accepted by a logged rule", DP_INGRESS_LAN, &f80, ORIG, F_SYN, TC_OK);
	if (dp_events_read(&ev) != 1)
		dp_fail(t, "accepted by a logged rule", "events: expected 1, got %d", ev.n);
	else
		expect_log_event(t, "accepted by a logged rule", &ev.ev[0], &f80,
		                 TCFW_CHAIN_FORWARD, TCFW_VERDICT_ACCEPT, 1, t->ifindex_lan);
	if (dp_conn(t, &f80, &e))
		DP_EXPECT_TRUE(t, "accepted by a logged rule", "connection flag TCFW_CTF_LOG",
		               e.flags & TCFW_CTF_LOG);

	dp_flow(t, "dropped by a logged rule", DP_INGRESS_LAN, &f81, ORIG, F_SYN, TC_SHOT);
	if (dp_events_read(&ev) != 1)
		dp_fail(t, "dropped by a logged rule", "events: expected 1, got %d", ev.n);
	else
		expect_log_event(t, "dropped by a logged rule", &ev.ev[0], &f81, TCFW_CHAIN_FORWARD,
		                 TCFW_VERDICT_DROP, 2, t->ifindex_lan);

	dp_flow(t, "rejected by a logged rule", DP_INGRESS_LAN, &f82, ORIG, F_SYN, TC_REDIRECT);
	if (dp_events_read(&ev) != 1)
		dp_fail(t, "rejected by a logged rule", "events: expected 1, got %d", ev.n);
	else
		expect_log_event(t, "rejected by a logged rule", &ev.ev[0], &f82,
		                 TCFW_CHAIN_FORWARD, TCFW_VERDICT_REJECT, 3, t->ifindex_lan);

	dp_flow(t, "accepted by a rule without log", DP_INGRESS_LAN, &f83, ORIG, F_SYN, TC_OK);
	DP_EXPECT_EQ(t, "accepted by a rule without log", "events", dp_events_read(&ev), 0);
	if (dp_conn(t, &f83, &e))
		DP_EXPECT_EQ(t, "accepted by a rule without log", "connection flag TCFW_CTF_LOG",
		             e.flags & TCFW_CTF_LOG, 0);

	/* Output chain: the interface is the one the packet leaves by. */
	dp_flow(t, "output, logged", DP_EGRESS_LOCAL_WAN, &out, ORIG, 0, TC_OK);
	if (dp_events_read(&ev) != 1)
		dp_fail(t, "output, logged", "events: expected 1, got %d", ev.n);
	else
		expect_log_event(t, "output, logged", &ev.ev[0], &out, TCFW_CHAIN_OUTPUT,
		                 TCFW_VERDICT_ACCEPT, 5, t->ifindex_wan);

	/* With new-connection events on, a logged accept gives both. */
	dp_set_config(t, 0, TCFW_CFG_EVENTS_NEW);
	f80.sport = 40001;
	dp_flow(t, "logged, events on", DP_INGRESS_LAN, &f80, ORIG, F_SYN, TC_OK);
	if (dp_events_read(&ev) != 2)
		dp_fail(t, "logged, events on", "events: expected 2 (log, new), got %d", ev.n);
	else
		DP_EXPECT_TRUE(t, "logged, events on", "one TCFW_EV_LOG and one TCFW_EV_NEW",
		               (ev.ev[0].type == TCFW_EV_LOG && ev.ev[1].type == TCFW_EV_NEW) ||
		                   (ev.ev[0].type == TCFW_EV_NEW && ev.ev[1].type == TCFW_EV_LOG));
	dp_expect_stat(t, "end", TCFW_STAT_EVENTS_LOST, 0);
	dp_events_close(&ev);
}

DP_CASE(policy_log_ring_full)
{
	/* More logged drops than the 1 MiB ring buffer holds (72 bytes an event with its
	 * header: 14,563): the excess is lost and counted, never the packets' verdicts. */
	enum { RUNS = 20000 };
	static const struct flow f = {4, IPPROTO_TCP, "192.0.2.10", "198.51.100.20", 40000, 81};
	struct __sk_buff ctx;
	struct dp_events ev;
	struct pkt p;
	uint64_t lost;
	int total = 0, got;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = &ctx, .ctx_size_in = sizeof(ctx),
	            .repeat = RUNS);

	if (!dp_policy_load(t, "logged drop",
	                    ZONES "defaults { forward accept }\n"
	                          "forward drop proto tcp dport 81 log\n",
	                    0, true))
		return;
	if (!dp_events_open(t, &ev))
		return;
	pkt_flow(&p, &f, ORIG, F_SYN);
	dp_ctx(t, DP_INGRESS_LAN, &ctx);
	opts.data_in = p.b;
	opts.data_size_in = (uint32_t)p.len;
	if (bpf_prog_test_run_opts(dp_prog_fd(t, DP_INGRESS_LAN), &opts)) {
		dp_fail(t, "20,000 logged drops", "bpf_prog_test_run_opts failed");
		dp_events_close(&ev);
		return;
	}
	DP_EXPECT_EQ(t, "20,000 logged drops", "verdict of the last", opts.retval, TC_SHOT);
	while ((got = dp_events_read(&ev)) > 0)
		total += got;
	lost = dp_stat(t, TCFW_STAT_EVENTS_LOST);
	DP_EXPECT_TRUE(t, "ring buffer full", "some events lost", lost > 0);
	DP_EXPECT_EQ(t, "ring buffer full", "events read + events lost", (uint64_t)total + lost,
	             RUNS);
	dp_expect_stat(t, "end", TCFW_STAT_VERDICT_DROP, RUNS);
	dp_expect_hits(t, "end", TCFW_CHAIN_FORWARD, 0, RUNS);
	dp_events_close(&ev);
}

/*
 * 'log' on a default ('defaults { forward drop log }'): a new connection that no rule decides
 * gives a TCFW_EV_LOG event with rule id 0 and the default's verdict, whether the chain has
 * rules that did not match or no rules at all; a logged default that
 * accepts flags its connection TCFW_CTF_LOG. Defaults without 'log' stay silent, and a reload
 * to a policy without it ends the events.
 */
DP_CASE(policy_default_log)
{
	struct flow f80 = {4, IPPROTO_TCP, "192.0.2.10", "198.51.100.20", 40000, 80};
	struct flow f81 = f80;
	struct flow out = {4, IPPROTO_UDP, "198.51.100.1", "198.51.100.20", 5000, 123};
	struct flow in = {4, IPPROTO_TCP, "198.51.100.20", "198.51.100.1", 40000, 22};
	struct tcfw_ct_entry e;
	struct dp_events ev;

	f81.dport = 81;
	dp_add_local_addr(t, "198.51.100.1", t->ifindex_wan);
	if (!dp_policy_load(t, "logged defaults",
	                    ZONES
	                    "defaults { input drop; forward drop log prefix \"fw-def\"; output "
	                    "accept log }\n"
	                    "forward accept proto tcp dport 80\n",
	                    0, true))
		return;
	if (!dp_events_open(t, &ev))
		return;

	dp_flow(t, "no rule matches: logged default drop", DP_INGRESS_LAN, &f81, ORIG, F_SYN,
	        TC_SHOT);
	if (dp_events_read(&ev) != 1)
		dp_fail(t, "logged default drop", "events: expected 1, got %d", ev.n);
	else
		expect_log_event(t, "logged default drop", &ev.ev[0], &f81, TCFW_CHAIN_FORWARD,
		                 TCFW_VERDICT_DROP, 0, t->ifindex_lan);

	dp_flow(t, "a rule without log decides", DP_INGRESS_LAN, &f80, ORIG, F_SYN, TC_OK);
	DP_EXPECT_EQ(t, "a rule without log decides", "events", dp_events_read(&ev), 0);

	/* Output has no rules at all: the default decides straight away. */
	dp_flow(t, "chain without rules: logged default accept", DP_EGRESS_LOCAL_WAN, &out, ORIG, 0,
	        TC_OK);
	if (dp_events_read(&ev) != 1)
		dp_fail(t, "logged default accept", "events: expected 1, got %d", ev.n);
	else
		expect_log_event(t, "logged default accept", &ev.ev[0], &out, TCFW_CHAIN_OUTPUT,
		                 TCFW_VERDICT_ACCEPT, 0, t->ifindex_wan);
	if (!dp_conn(t, &out, &e))
		dp_fail(t, "logged default accept", "expected a connection, none");
	else
		DP_EXPECT_TRUE(t, "logged default accept", "connection flag TCFW_CTF_LOG",
		               e.flags & TCFW_CTF_LOG);

	dp_flow(t, "input default without log", DP_INGRESS_WAN, &in, ORIG, F_SYN, TC_SHOT);
	DP_EXPECT_EQ(t, "input default without log", "events", dp_events_read(&ev), 0);

	/* The same defaults without 'log', in the other copy: silence. */
	if (!dp_policy_load(t, "defaults without log",
	                    ZONES "defaults { input drop; forward drop; output accept }\n"
	                          "forward accept proto tcp dport 80\n",
	                    1, true))
		goto out;
	f81.sport = 40001;
	dp_flow(t, "after the reload: default drop, not logged", DP_INGRESS_LAN, &f81, ORIG, F_SYN,
	        TC_SHOT);
	DP_EXPECT_EQ(t, "after the reload", "events", dp_events_read(&ev), 0);
	dp_expect_stat(t, "end", TCFW_STAT_EVENTS_LOST, 0);
out:
	dp_events_close(&ev);
}
