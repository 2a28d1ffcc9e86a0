// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * dp_policy_dynset.c - dynamic sets and the newer limit options, through the real programs:
 *  - 'from @SET' / 'from !@SET' / 'to @SET' of a dynamic set follow map "dynset" at once (an
 *    element written between two packets decides the second), prefixes and IPv6 included;
 *    an expired element no longer matches, and a live shorter prefix under it still does;
 *  - 'add @SET' puts the source of the connection the rule decided into the set, with the
 *    set's timeout, so that a later rule 'from @SET' stops it; over the set's rate of
 *    additions nothing is added (counted);
 *  - 'limit N/minute burst B': B at once, then the rule falls through (counted per rule);
 *  - 'limit ... per source': one source exhausted, another still allowed;
 *  - fwd's operations on the element map (lib/dynset.c): expiry in steps, flush of one set.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "addr.h"
#include "dynset.h"
#include "tcfw.skel.h"

#include "dp.h"

#define ORIG  TCFW_DIR_ORIG
#define ZONES "zone lan { lan0 }\nzone wan { wan0 }\n"

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Put "ADDR[/LEN]" into dynamic set id (the policy's rank of the set: 0 for the first). */
static void put(struct dp *t, const char *step, uint32_t id, const char *text, uint64_t expires)
{
	__u32 a[4];
	unsigned int plen;
	int err;

	if (addr_parse(text, a, &plen)) {
		dp_fail(t, step, "test bug: bad address %s", text);
		return;
	}
	err = dynset_put(bpf_map__fd(t->skel->maps.dynset), id, a, (uint8_t)plen, expires, 0);
	if (err)
		dp_fail(t, step, "cannot write map dynset: %s", strerror(-err));
}

static void del(struct dp *t, const char *step, uint32_t id, const char *text)
{
	__u32 a[4];
	unsigned int plen;

	if (addr_parse(text, a, &plen) ||
	    dynset_remove(bpf_map__fd(t->skel->maps.dynset), id, a, (uint8_t)plen))
		dp_fail(t, step, "cannot delete %s from map dynset", text);
}

/* What fwd writes for an installed dynamic set: its name, in use, its timeout. */
static void meta(struct dp *t, uint32_t id, const char *name, uint32_t timeout_s)
{
	struct tcfw_dynset_meta m = {.flags = TCFW_DSM_IN_USE, .timeout_s = timeout_s};

	snprintf(m.name, sizeof(m.name), "%s", name);
	if (bpf_map_update_elem(bpf_map__fd(t->skel->maps.dynset_meta), &id, &m, BPF_ANY))
		dp_fail(t, "setup", "cannot write map dynset_meta");
}

/* One new TCP connection src:sport -> dst:dport from the LAN; want its verdict. */
static void conn(struct dp *t, const char *step, int family, const char *src, const char *dst,
                 uint16_t sport, uint16_t dport, int want)
{
	struct flow f = {family, IPPROTO_TCP, src, dst, sport, dport};

	dp_flow(t, step, DP_INGRESS_LAN, &f, ORIG, F_SYN, want);
}

DP_CASE(policy_dynset_match)
{
	uint16_t sp = 30000;

	if (!dp_policy_load(t, "dynamic set 'blk' (id 0), 'ok6' (id 1)",
	                    ZONES "set blk { } flags dynamic\n"
	                          "set ok6 { } flags dynamic\n"
	                          "defaults { forward drop }\n"
	                          "forward drop from @blk\n"
	                          "forward accept to @ok6\n"
	                          "forward accept from !@blk proto tcp dport 80\n",
	                    0, true))
		return;
	conn(t, "empty set: rule 3", 4, "192.0.2.10", "198.51.100.20", sp++, 80, TC_OK);
	put(t, "add 192.0.2.10", 0, "192.0.2.10", 0);
	conn(t, "in @blk: dropped by rule 1", 4, "192.0.2.10", "198.51.100.20", sp++, 80, TC_SHOT);
	conn(t, "another source: rule 3", 4, "192.0.2.11", "198.51.100.20", sp++, 80, TC_OK);
	del(t, "del 192.0.2.10", 0, "192.0.2.10");
	conn(t, "deleted: rule 3 again", 4, "192.0.2.10", "198.51.100.20", sp++, 80, TC_OK);

	put(t, "add 192.0.2.0/24", 0, "192.0.2.0/24", 0);
	conn(t, "inside the /24: dropped", 4, "192.0.2.77", "198.51.100.20", sp++, 80, TC_SHOT);
	conn(t, "outside the /24: rule 3", 4, "192.0.3.77", "198.51.100.20", sp++, 80, TC_OK);

	/* An expired /32 under the live /24: the /24 still matches. */
	put(t, "add an expired /32", 0, "192.0.2.78", mono_ns() - 1);
	conn(t, "expired /32 under a live /24: dropped", 4, "192.0.2.78", "198.51.100.20", sp++, 80,
	     TC_SHOT);
	del(t, "del the /24", 0, "192.0.2.0/24");
	conn(t, "expired /32 alone: no match", 4, "192.0.2.78", "198.51.100.20", sp++, 80, TC_OK);
	put(t, "a /32 that expires in an hour", 0, "192.0.2.79", mono_ns() + 3600000000000ull);
	conn(t, "not expired yet: dropped", 4, "192.0.2.79", "198.51.100.20", sp++, 80, TC_SHOT);

	/* IPv6, and a destination set. */
	conn(t, "IPv6 to port 81: no rule", 6, "2001:db8:1::10", "2001:db8:3::20", sp++, 81,
	     TC_SHOT);
	put(t, "add 2001:db8:3::/48 to ok6", 1, "2001:db8:3::/48", 0);
	conn(t, "IPv6 to @ok6: rule 2", 6, "2001:db8:1::10", "2001:db8:3::20", sp++, 81, TC_OK);
	put(t, "add 2001:db8:1::10 to blk", 0, "2001:db8:1::10", 0);
	conn(t, "IPv6 source in @blk: rule 1 first", 6, "2001:db8:1::10", "2001:db8:3::20", sp++,
	     81, TC_SHOT);
	dp_expect_hits(t, "end", TCFW_CHAIN_FORWARD, 0, 5);
	dp_expect_hits(t, "end", TCFW_CHAIN_FORWARD, 1, 1);
	dp_expect_hits(t, "end", TCFW_CHAIN_FORWARD, 2, 5);
}

static bool elem_of(struct dp *t, uint32_t id, const char *text, struct tcfw_dynset_elem *e)
{
	struct tcfw_dynset_key k = {.set = id};
	unsigned int plen;

	if (addr_parse(text, k.addr, &plen))
		return false;
	k.prefixlen = 32 + plen;
	return bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.dynset), &k, e) == 0;
}

DP_CASE(policy_dynset_add)
{
	struct tcfw_dynset_elem e;
	struct tcfw_dynset_meta m;
	uint64_t before;
	__u32 id = 0;

	if (!dp_policy_load(t, "add @scan",
	                    ZONES "set scan { } flags dynamic timeout 1h\n"
	                          "defaults { forward accept }\n"
	                          "forward drop from @scan\n"
	                          "forward drop proto tcp dport 23 add @scan\n",
	                    0, true))
		return;
	meta(t, 0, "scan", 3600);
	conn(t, "to port 80: accepted", 4, "192.0.2.10", "198.51.100.20", 40000, 80, TC_OK);
	DP_EXPECT_TRUE(t, "to port 80", "source not in @scan", !elem_of(t, 0, "192.0.2.10", &e));
	before = mono_ns();
	conn(t, "probe of port 23: dropped", 4, "192.0.2.10", "198.51.100.20", 40001, 23, TC_SHOT);
	if (!elem_of(t, 0, "192.0.2.10", &e)) {
		dp_fail(t, "probe of port 23", "the source is not in map dynset");
		return;
	}
	DP_EXPECT_EQ(t, "probe of port 23", "element flags", e.flags, TCFW_DSE_DATAPATH);
	DP_EXPECT_EQ(t, "probe of port 23", "element plen", e.plen, 128);
	DP_EXPECT_TRUE(t, "probe of port 23", "expires in about an hour",
	               e.expires_ns >= before + 3600000000000ull &&
	                   e.expires_ns <= mono_ns() + 3600000000000ull);
	dp_expect_stat(t, "probe of port 23", TCFW_STAT_DYNSET_ADDED, 1);
	conn(t, "then to port 80: dropped by rule 1", 4, "192.0.2.10", "198.51.100.20", 40002, 80,
	     TC_SHOT);
	conn(t, "probe again (rule 1 first): no second addition", 4, "192.0.2.10", "198.51.100.20",
	     40003, 23, TC_SHOT);
	dp_expect_stat(t, "probe again", TCFW_STAT_DYNSET_ADDED, 1);

	/* The set's rate of additions spent: nothing is added. */
	if (bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.dynset_meta), &id, &m) == 0) {
		m.add_bucket.tokens_milli = 0;
		m.add_bucket.last_ns = mono_ns() + 1000000000ull; /* no refill for a while */
		bpf_map_update_elem(bpf_map__fd(t->skel->maps.dynset_meta), &id, &m, BPF_ANY);
	}
	conn(t, "probe from another source, rate spent", 4, "192.0.2.11", "198.51.100.20", 40004,
	     23, TC_SHOT);
	DP_EXPECT_TRUE(t, "rate spent", "source not added", !elem_of(t, 0, "192.0.2.11", &e));
	dp_expect_stat(t, "rate spent", TCFW_STAT_DYNSET_ADD_LIMITED, 1);
	conn(t, "its port 80: still accepted", 4, "192.0.2.11", "198.51.100.20", 40005, 80, TC_OK);
}

static uint64_t limited(struct dp *t, unsigned int pos)
{
	return dp_percpu_sum(bpf_map__fd(t->skel->maps.pol_limited),
	                     TCFW_RULE_INDEX(0, TCFW_CHAIN_FORWARD, pos));
}

DP_CASE(policy_limit_burst)
{
	uint16_t sp = 41000;

	if (!dp_policy_load(t, "limit 1/minute burst 3",
	                    ZONES "defaults { forward drop }\n"
	                          "forward accept proto tcp dport 80 limit 1/minute burst 3\n",
	                    0, true))
		return;
	for (int i = 0; i < 3; i++)
		conn(t, "within the burst of 3", 4, "192.0.2.10", "198.51.100.20", sp++, 80, TC_OK);
	conn(t, "4th: over the burst, default drop", 4, "192.0.2.10", "198.51.100.20", sp++, 80,
	     TC_SHOT);
	DP_EXPECT_EQ(t, "end", "pol_limited of the rule", limited(t, 0), 1);
	dp_expect_stat(t, "end", TCFW_STAT_LIMITED, 1);
}

DP_CASE(policy_limit_per_source)
{
	uint16_t sp = 42000;

	if (!dp_policy_load(t, "limit 1/minute burst 2 per source, then rule 2",
	                    ZONES "defaults { forward drop }\n"
	                          "forward accept proto tcp dport 80 limit 1/minute burst 2 per "
	                          "source\n"
	                          "forward reject proto tcp dport 80\n",
	                    0, true))
		return;
	conn(t, "source A, 1", 4, "192.0.2.10", "198.51.100.20", sp++, 80, TC_OK);
	conn(t, "source A, 2", 4, "192.0.2.10", "198.51.100.20", sp++, 80, TC_OK);
	conn(t, "source A, 3: exhausted, falls to rule 2 (reject)", 4, "192.0.2.10",
	     "198.51.100.20", sp++, 80, TC_REDIRECT);
	conn(t, "source B, 1: its own bucket", 4, "192.0.2.11", "198.51.100.20", sp++, 80, TC_OK);
	conn(t, "source B, 2", 4, "192.0.2.11", "198.51.100.20", sp++, 80, TC_OK);
	conn(t, "IPv6 source C, 1", 6, "2001:db8:1::10", "2001:db8:3::20", sp++, 80, TC_OK);
	conn(t, "source B, 3: exhausted", 4, "192.0.2.11", "198.51.100.20", sp++, 80, TC_REDIRECT);
	conn(t, "source A, 4: still exhausted", 4, "192.0.2.10", "198.51.100.20", sp++, 80,
	     TC_REDIRECT);
	DP_EXPECT_EQ(t, "end", "pol_limited of the rule", limited(t, 0), 3);
	dp_expect_stat(t, "end", TCFW_STAT_LIMIT_SRC_EXHAUSTED, 3);
	dp_expect_hits(t, "end", TCFW_CHAIN_FORWARD, 0, 5);
	dp_expect_hits(t, "end", TCFW_CHAIN_FORWARD, 1, 3);

	/* A reload (new generation) starts every source with a full bucket. */
	if (!dp_policy_load(t, "reloaded",
	                    ZONES "defaults { forward drop }\n"
	                          "forward accept proto tcp dport 80 limit 1/minute burst 2 per "
	                          "source\n",
	                    1, true))
		return;
	conn(t, "after the reload, source A: full again", 4, "192.0.2.10", "198.51.100.20", sp++,
	     80, TC_OK);
}

static int count_cb(const struct tcfw_dynset_key *k, const struct tcfw_dynset_elem *e, void *ctx)
{
	(void)k;
	(void)e;
	(*(unsigned int *)ctx)++;
	return 0;
}

static unsigned int count_set(struct dp *t, int set)
{
	unsigned int n = 0;

	dynset_walk(bpf_map__fd(t->skel->maps.dynset), set, count_cb, &n);
	return n;
}

/* fwd's operations on the element map (lib/dynset.c) against the real trie: expiry in small
 * steps gets every expired element and nothing else, whatever the budget; flush takes one set. */
DP_CASE(dynset_maps_expire_flush)
{
	int fd = bpf_map__fd(t->skel->maps.dynset);
	struct dynset_cursor cur = {0};
	uint64_t now = mono_ns();
	long removed = 0, n;
	char addr[32];

	for (unsigned int i = 0; i < 1000; i++) {
		snprintf(addr, sizeof(addr), "10.1.%u.%u", i / 250, i % 250);
		/* Set 0: every third one expired; set 1: the same addresses, none expired. */
		put(t, "fill set 0", 0, addr, i % 3 == 0 ? now - 1 : now + 3600000000000ull);
		put(t, "fill set 1", 1, addr, 0);
	}
	DP_EXPECT_EQ(t, "filled", "elements of set 0", count_set(t, 0), 1000);
	for (int step = 0; step < 100 && cur.rounds == 0; step++) {
		n = dynset_expire_step(fd, mono_ns(), &cur, 97);
		if (n < 0) {
			dp_fail(t, "expiry steps", "dynset_expire_step: %s", strerror((int)-n));
			return;
		}
		removed += n;
	}
	DP_EXPECT_EQ(t, "expiry steps of 97", "a whole round", cur.rounds, 1);
	DP_EXPECT_EQ(t, "expiry steps of 97", "expired removed", removed, 334);
	DP_EXPECT_EQ(t, "expiry steps of 97", "set 0 left", count_set(t, 0), 666);
	DP_EXPECT_EQ(t, "expiry steps of 97", "set 1 untouched", count_set(t, 1), 1000);
	n = dynset_expire(fd, mono_ns());
	DP_EXPECT_EQ(t, "expire again", "nothing more to remove", n, 0);
	n = dynset_flush(fd, 0);
	DP_EXPECT_EQ(t, "flush set 0", "removed", n, 666);
	DP_EXPECT_EQ(t, "flush set 0", "set 0 left", count_set(t, 0), 0);
	DP_EXPECT_EQ(t, "flush set 0", "set 1 untouched", count_set(t, 1), 1000);
}
