/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * dp.h - the datapath test harness: crafted packets through the real tcfw_ingress /
 * tcfw_egress programs with bpf_prog_test_run_opts, and assertions on verdicts, map contents
 * and counters.
 *
 * dp_test runs in a private network namespace of its own (unshare(CLONE_NEWNET), so nothing
 * outlives the process) with two interfaces (veth pairs whose peers stay in the namespace):
 *   lan0  192.0.2.1/24     2001:db8:1::1/64   (clients: 192.0.2.10, 2001:db8:1::10)
 *   wan0  198.51.100.1/24  2001:db8:2::1/64   (servers: 198.51.100.20, 2001:db8:2::20)
 *         + route 203.0.113.0/24 and 2001:db8:3::/64 via wan0
 * and forwarding on, so that bpf_fib_lookup() answers like on a gateway. Both interfaces
 * carry the MAC pkt_eth() sends to (DP_GW_MAC): test packets arrive as PACKET_HOST.
 * The hosts of the fast-path cases (DP_FP_*) have permanent neighbour entries, so that
 * bpf_fib_lookup() succeeds for them; every other address has none, and the fast path leaves
 * their packets to the kernel (TC_ACT_OK), as it does for an unresolved neighbour.
 *
 * Every case gets a freshly loaded skeleton: maps start empty, counters at zero.
 */
#ifndef TCFW_DP_H
#define TCFW_DP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tcfw_abi.h"

#include "pkt.h"
#include "tcrun.h"

struct tcfw; /* the skeleton (build/gen/tcfw.skel.h) */

#define DP_GW_MAC          PKT_GW_MAC
#define DP_FP_CLIENT       "192.0.2.50"
#define DP_FP_CLIENT6      "2001:db8:1::50"
#define DP_FP_CLIENT_MAC5  0x50 /* 02:00:00:00:00:50 */
#define DP_FP_SERVER       "203.0.113.50"
#define DP_FP_SERVER6      "2001:db8:3::50"
#define DP_FP_SERVER_MAC5  0x60           /* 02:00:00:00:00:60 */
#define DP_FP_SERVER_MTU   "203.0.113.51" /* behind a route with mtu lock DP_FP_ROUTE_MTU */
#define DP_FP_ROUTE_MTU    1280
#define DP_FP_SERVER_MOVES "203.0.113.52" /* its neighbour entry changes MAC (dp_set_neigh) */

/* ---- the test context --------------------------------------------------------------------- */
struct dp {
	const char *name; /* the running case */
	struct tcfw *skel;
	int failures; /* failed assertions in this case */
	int ifindex_lan, ifindex_wan;
};

/* Record a failed assertion: "FAIL <case>: <step>: <what>: expected ..., got ...". */
void dp_fail(struct dp *t, const char *step, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define DP_EXPECT_EQ(t, step, what, got, want)                                                     \
	do {                                                                                       \
		unsigned long long got_ = (unsigned long long)(got);                               \
		unsigned long long want_ = (unsigned long long)(want);                             \
		if (got_ != want_)                                                                 \
			dp_fail(t, step, "%s: expected %llu, got %llu", what, want_, got_);        \
	} while (0)

#define DP_EXPECT_TRUE(t, step, what, cond)                                                        \
	do {                                                                                       \
		if (!(cond))                                                                       \
			dp_fail(t, step, "%s: expected true, got false", what);                    \
	} while (0)

/* Flows and packets (struct flow, struct pkt, pkt_*(), F_*): the test kit's builder,
 * tests/lib/pkt.h, shared with the bench. */

/* ---- running packets ------------------------------------------------------------------------ */
enum dp_hook {
	DP_INGRESS_LAN,      /* tcfw_ingress, received on lan0 */
	DP_INGRESS_WAN,      /* tcfw_ingress, received on wan0 */
	DP_EGRESS_LOCAL_WAN, /* tcfw_egress on wan0, sent by the gateway itself */
	DP_EGRESS_LOCAL_LAN, /* tcfw_egress on lan0, sent by the gateway itself */
	DP_EGRESS_FWD_WAN,   /* tcfw_egress on wan0, forwarded from lan0 */
	DP_EGRESS_FWD_LAN,   /* tcfw_egress on lan0, forwarded from wan0 */
};

/* The TC actions by short names, for the cases: linux/pkt_cls.h's (through tcrun.h). */
#define TC_OK       TC_ACT_OK
#define TC_SHOT     TC_ACT_SHOT
#define TC_REDIRECT TC_ACT_REDIRECT

/* Run p through the program of hook; returns its TC action, or -1 (and a failure) when the
 * run itself failed. */
int dp_run(struct dp *t, const char *step, enum dp_hook hook, const struct pkt *p);
/* dp_run() and expect the action. */
void dp_send(struct dp *t, const char *step, enum dp_hook hook, const struct pkt *p, int want);
/* Build pkt_flow(f, dir, flags), run it, expect the action. */
void dp_flow(struct dp *t, const char *step, enum dp_hook hook, const struct flow *f, int dir,
             uint8_t tcp_flags, int want);
/* dp_run() that also gives the packet as the program left it (out, may be NULL; out->len its
 * length), through the kit's tcrun_test_run() (tests/lib/tcrun.h).
 * ctx: NULL, or the __sk_buff to run with (prepared with dp_ctx(), may be changed), which
 * receives the __sk_buff as the program left it (mark, ...). */
int dp_run_out(struct dp *t, const char *step, enum dp_hook hook, const struct pkt *p,
               struct pkt *out, struct __sk_buff *ctx);
/* The program fd of a hook and the __sk_buff context it runs with (for repeat runs). */
int dp_prog_fd(struct dp *t, enum dp_hook hook);
void dp_ctx(struct dp *t, enum dp_hook hook, struct __sk_buff *ctx);

/* ---- reading the maps ----------------------------------------------------------------------- */
/* The tuple of f in direction dir, as the datapath keys it. */
void dp_tuple(struct tcfw_tuple *t, const struct flow *f, int dir);
/* Read the connection of f (its main entry, under the key of its orig tuple). False when
 * there is none. */
bool dp_conn(struct dp *t, const struct flow *f, struct tcfw_ct_entry *e);
/* The same for the connection with orig tuple orig. */
bool dp_conn_of(struct dp *t, const struct tcfw_tuple *orig, struct tcfw_ct_entry *e);
/* Is there a reference entry under the key of tuple tu (a NAT reply)? Its main key into
 * *main_key (may be NULL). */
bool dp_ct_ref(struct dp *t, const struct tcfw_tuple *tu, struct tcfw_tuple *main_key);
/* Delete the entry under the key of tu / insert e under the key of orig (BPF_NOEXIST), as
 * fwd or another CPU would. 0 or -errno. */
int dp_ct_delete(struct dp *t, const struct tcfw_tuple *tu);
int dp_ct_insert(struct dp *t, const struct tcfw_tuple *orig, const struct tcfw_ct_entry *e);
/* Expect f's connection to exist, without NAT (its reply tuple the reversed orig tuple, no
 * reference entry), in state `state`, with every flag of `flags` set. */
void dp_expect_conn(struct dp *t, const char *step, const struct flow *f, unsigned int state,
                    unsigned int flags, struct tcfw_ct_entry *e);
void dp_expect_no_conn(struct dp *t, const char *step, const struct flow *f);
/* Write e as f's connection (which must exist), e.g. with fields of an older build. */
void dp_put_conn(struct dp *t, const struct flow *f, const struct tcfw_ct_entry *e);
/* Rewrite the last_seen_tick (tcfw_ct_tick()) of f's connection, as if time had passed. */
void dp_set_last_seen(struct dp *t, const struct flow *f, __u32 last_seen_tick);
/* The tcfw_ct_tick() of now on the datapath's clock (CLOCK_MONOTONIC). */
__u32 dp_now_tick(void);
/* Connections (main entries) / NAT reference entries in map ct. */
unsigned int dp_count_ct(struct dp *t);
unsigned int dp_count_ct_refs(struct dp *t);
/* A counter of map stats, summed over CPUs. */
uint64_t dp_stat(struct dp *t, unsigned int stat);
/* Sum of a per-CPU __u64 map slot over every CPU; UINT64_MAX when it cannot be read. */
uint64_t dp_percpu_sum(int map_fd, __u32 key);
/* Internet checksum (RFC 1071): the kit's pkt_csum_add / pkt_csum_fold (tests/lib/pkt.h). */
static inline uint32_t dp_csum_add(uint32_t sum, const uint8_t *d, size_t len)
{
	return pkt_csum_add(sum, d, len);
}
static inline uint16_t dp_csum_fold(uint32_t sum)
{
	return pkt_csum_fold(sum);
}
void dp_expect_stat(struct dp *t, const char *step, unsigned int stat, uint64_t want);
/* Slot TCFW_DROP_INDEX(reason, chain) of map drops, summed over CPUs. */
void dp_expect_drops(struct dp *t, const char *step, unsigned int reason, unsigned int chain,
                     uint64_t want);

/* ---- configuring the datapath as fwd would ------------------------------------------------- */
void dp_set_config(struct dp *t, uint32_t policy_active, uint32_t flags);
/* config.nexthop_cache_us, the rest of config as it is (dp_set_config() sets it to 0). */
void dp_set_nexthop_cache(struct dp *t, uint32_t us);
/* The permanent neighbour entry of addr behind ifindex, now at 02:00:00:00:00:mac5. */
void dp_set_neigh(struct dp *t, int ifindex, const char *addr, uint8_t mac5);
/* pol_meta[copy]: default verdicts for input/forward/output and the invalid verdict. */
void dp_set_policy(struct dp *t, uint32_t copy, uint8_t input, uint8_t forward, uint8_t output,
                   uint8_t invalid);
void dp_add_local_addr(struct dp *t, const char *addr, int ifindex);
void dp_set_zone(struct dp *t, int ifindex, uint8_t zone_copy0, uint8_t zone_copy1);

/* ---- policies written as fwd writes them (dp_policy_load.c) -------------------------------- */
/* Parse `text` (the policy language) and compile it with the policy library for copy `copy`,
 * write it into the maps with lib/policy_maps.c, give lan0 / wan0 their zones of that copy
 * (zones named lan0 / wan0 in the text); with activate, make the copy live
 * (config.policy_active). False, with a failure naming step, when any of it fails. */
bool dp_policy_load(struct dp *t, const char *step, const char *text, unsigned int copy,
                    bool activate);
/* Hits of the rule at position pos of chain in copy, summed over CPUs. */
uint64_t dp_rule_hits(struct dp *t, unsigned int copy, unsigned int chain, unsigned int pos);
/* Expect the hits of position pos of chain in the live copy. */
void dp_expect_hits(struct dp *t, const char *step, unsigned int chain, unsigned int pos,
                    uint64_t want);
/* Read / write the token bucket of position pos of chain in copy. */
bool dp_limit_state(struct dp *t, unsigned int copy, unsigned int chain, unsigned int pos,
                    struct tcfw_limit_state *s);
bool dp_set_limit_state(struct dp *t, unsigned int copy, unsigned int chain, unsigned int pos,
                        const struct tcfw_limit_state *s);

/* Events from ring buffer "events": open once, then each read collects what came since. */
#define DP_EVENTS_MAX 16
struct ring_buffer;
struct dp_events {
	struct ring_buffer *rb;
	int n; /* events of the last read (ev[] holds the first DP_EVENTS_MAX) */
	struct tcfw_event ev[DP_EVENTS_MAX];
};
bool dp_events_open(struct dp *t, struct dp_events *e);
int dp_events_read(struct dp_events *e);
void dp_events_close(struct dp_events *e);

/* ---- cases ------------------------------------------------------------------------------------
 * A case is registered where it is written, and nowhere else:
 *
 *     DP_CASE(tcp_handshake_teardown)
 *     {
 *             dp_flow(t, ...);
 *     }
 *
 * defines void case_tcp_handshake_teardown(struct dp *t) and puts {name, function} in the
 * linker section dp_cases, which dp_main.c walks (by name) between the linker's
 * __start_dp_cases and __stop_dp_cases. DP_CASE_EXPLICIT marks a case that runs only when an
 * argument of dp_test is exactly its name (the long datapath fuzz run).
 */
typedef void (*dp_case_fn)(struct dp *t);

struct dp_case {
	const char *name;
	dp_case_fn fn;
	bool explicit_only;
};

/* aligned: every entry at the array stride, whatever the compiler would pad. */
#define DP_CASE_REGISTER_(name_, explicit_)                                                        \
	void case_##name_(struct dp *t);                                                           \
	static const struct dp_case dp_case_entry_##name_                                          \
	    __attribute__((used, section("dp_cases"), aligned(sizeof(void *)))) = {                \
		.name = #name_, .fn = case_##name_, .explicit_only = (explicit_)};                 \
	void case_##name_(struct dp *t)
#define DP_CASE(name_)          DP_CASE_REGISTER_(name_, false)
#define DP_CASE_EXPLICIT(name_) DP_CASE_REGISTER_(name_, true)

#endif /* TCFW_DP_H */
