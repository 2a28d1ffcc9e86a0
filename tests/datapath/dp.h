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

struct tcfw; /* the skeleton (build/gen/tcfw.skel.h) */

#define DP_GW_MAC                                                                                  \
	{                                                                                          \
		0x02, 0, 0, 0, 0, 0x01                                                             \
	}
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

/* ---- flows and packets --------------------------------------------------------------------- */
/* A connection as a test sees it: its first packet's addresses and ports (host order). For
 * ICMP echo, sport is the id and dport is unused. */
struct flow {
	int family; /* 4 or 6 */
	uint8_t proto;
	const char *src, *dst;
	uint16_t sport, dport;
};

#define PKT_MAX 2048

/* A packet being built. Layers are appended in order; pkt_finish() fills in lengths and
 * checksums (IPv4 header, TCP/UDP/ICMP/ICMPv6 with pseudo-header). */
struct pkt {
	uint8_t b[PKT_MAX];
	size_t len;
	int family;      /* of the IP header added last */
	size_t l3, l4;   /* offsets of the IP and transport headers; l4 = 0: none yet */
	size_t ext_next; /* IPv6: offset of the last "next header" byte, for chaining */
	uint8_t l4_proto;
	bool no_csum; /* leave the transport checksum alone (fragments, broken packets) */
};

void pkt_init(struct pkt *p);
void pkt_eth(struct pkt *p, uint16_t ethertype, bool broadcast);
void pkt_vlan(struct pkt *p, uint16_t vid, uint16_t ethertype);
/* IPv4 header with optlen bytes of options (NOPs + EOL), id and frag_off (host order:
 * flags and offset as on the wire, e.g. 0x2000 = more fragments). */
void pkt_ipv4(struct pkt *p, const char *src, const char *dst, uint8_t proto, size_t optlen,
              uint16_t id, uint16_t frag_off);
void pkt_ipv6(struct pkt *p, const char *src, const char *dst, uint8_t nexthdr);
/* IPv6 extension header of type (hop-by-hop, routing, destination options, AH: len bytes, a
 * multiple of 8 (AH: of 4); fragment: 8 bytes with frag_off / id), followed by nexthdr. */
void pkt_ipv6_ext(struct pkt *p, uint8_t type, size_t len, uint8_t nexthdr);
void pkt_ipv6_frag(struct pkt *p, uint8_t nexthdr, uint16_t offset_bytes, bool more, uint32_t id);
void pkt_tcp(struct pkt *p, uint16_t sport, uint16_t dport, uint8_t flags);
/* A TCP header with the given numbers (host order); wscale >= 0 adds a NOP and the window
 * scale option with that shift. */
void pkt_tcp_seq(struct pkt *p, uint16_t sport, uint16_t dport, uint8_t flags, uint32_t seq,
                 uint32_t ack, uint16_t win, int wscale);
void pkt_udp(struct pkt *p, uint16_t sport, uint16_t dport);
void pkt_icmp(struct pkt *p, uint8_t type, uint8_t code, uint16_t id, uint16_t seq);
void pkt_data(struct pkt *p, const void *data, size_t len);
void pkt_finish(struct pkt *p);

/* One whole packet of flow f in direction dir (TCFW_DIR_*): Ethernet + IP + transport,
 * finished. TCP: flags; UDP: payload bytes; ICMP: an echo request (orig) or reply (reply). */
void pkt_flow(struct pkt *p, const struct flow *f, int dir, uint8_t tcp_flags);
/* The IP packet of pkt_flow() without its Ethernet header (what an ICMP error quotes). */
void pkt_flow_ip(struct pkt *p, const struct flow *f, int dir, uint8_t tcp_flags);
/* An ICMP/ICMPv6 error from `from` to `to` quoting q's IP packet (first `quote` bytes). */
void pkt_icmp_error(struct pkt *p, int family, const char *from, const char *to, uint8_t type,
                    uint8_t code, const struct pkt *q, size_t quote);

/* TCP flag bytes */
#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10

/* ---- running packets ------------------------------------------------------------------------ */
enum dp_hook {
	DP_INGRESS_LAN,      /* tcfw_ingress, received on lan0 */
	DP_INGRESS_WAN,      /* tcfw_ingress, received on wan0 */
	DP_EGRESS_LOCAL_WAN, /* tcfw_egress on wan0, sent by the gateway itself */
	DP_EGRESS_LOCAL_LAN, /* tcfw_egress on lan0, sent by the gateway itself */
	DP_EGRESS_FWD_WAN,   /* tcfw_egress on wan0, forwarded from lan0 */
	DP_EGRESS_FWD_LAN,   /* tcfw_egress on lan0, forwarded from wan0 */
};

#define TC_OK       0
#define TC_SHOT     2
#define TC_REDIRECT 7

/* Run p through the program of hook; returns its TC action, or -1 (and a failure) when the
 * run itself failed. */
int dp_run(struct dp *t, const char *step, enum dp_hook hook, const struct pkt *p);
/* dp_run() and expect the action. */
void dp_send(struct dp *t, const char *step, enum dp_hook hook, const struct pkt *p, int want);
/* Build pkt_flow(f, dir, flags), run it, expect the action. */
void dp_flow(struct dp *t, const char *step, enum dp_hook hook, const struct flow *f, int dir,
             uint8_t tcp_flags, int want);
/* dp_run() that also gives the packet as the program left it (out; out->len its length).
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
/* Read the connection of f (keyed by its orig tuple). False when there is none. */
bool dp_conn(struct dp *t, const struct flow *f, struct tcfw_ct_entry *e);
/* Expect f's connection to exist, both halves consistent, in state `state`, with every
 * flag of `flags` set; e (if not NULL) receives it. */
void dp_expect_conn(struct dp *t, const char *step, const struct flow *f, unsigned int state,
                    unsigned int flags, struct tcfw_ct_entry *e);
void dp_expect_no_conn(struct dp *t, const char *step, const struct flow *f);
/* Write e as f's connection (which must exist), e.g. with fields of an older build. */
void dp_put_conn(struct dp *t, const struct flow *f, const struct tcfw_ct_entry *e);
/* Rewrite the last_seen_ns of f's connection, as if time had passed. */
void dp_set_last_seen(struct dp *t, const struct flow *f, __u64 last_seen_ns);
/* Number of entries in map ct / ct_reply. */
unsigned int dp_count_ct(struct dp *t);
unsigned int dp_count_ct_reply(struct dp *t);
/* A counter of map stats, summed over CPUs. */
uint64_t dp_stat(struct dp *t, unsigned int stat);
/* Sum of a per-CPU __u64 map slot over every CPU; UINT64_MAX when it cannot be read. */
uint64_t dp_percpu_sum(int map_fd, __u32 key);
/* Internet checksum (RFC 1071) in host order: add bytes to a running sum, then fold and invert
 * into the value a checksum field carries (0 when bytes that include their checksum verify). */
uint32_t dp_csum_add(uint32_t sum, const uint8_t *d, size_t len);
uint16_t dp_csum_fold(uint32_t sum);
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
 */
typedef void (*dp_case_fn)(struct dp *t);

/* dp_ct_tcp.c */
void case_ct_table_full(struct dp *t);
void case_tcp_handshake_teardown(struct dp *t);
void case_tcp_rst_closes(struct dp *t);
void case_tcp_refused_by_rst(struct dp *t);
void case_tcp_without_entry_invalid(struct dp *t);
void case_tcp_bad_flags_invalid(struct dp *t);
void case_tcp_time_wait_syn_reopens(struct dp *t);
void case_tcp_invalid_in_state(struct dp *t);
void case_tcp_simultaneous_open(struct dp *t);
void case_tcp_retransmitted_syn(struct dp *t);
/* dp_ct_tcp_window.c */
void case_tcp_window_handshake(struct dp *t);
void case_tcp_window_rst_out_of_window(struct dp *t);
void case_tcp_window_rst_inexact(struct dp *t);
void case_tcp_window_rst_closing(struct dp *t);
void case_tcp_window_far_off_data(struct dp *t);
void case_tcp_window_retransmission(struct dp *t);
void case_tcp_window_ack_loss(struct dp *t);
void case_tcp_window_scaling(struct dp *t);
void case_tcp_window_unknown_learnt(struct dp *t);
void case_tcp_window_syn_challenge_ack(struct dp *t);
void case_tcp_window_liberal(struct dp *t);
/* dp_ct_udp_icmp.c */
void case_udp_unreplied_replied_assured(struct dp *t);
void case_icmp_echo(struct dp *t);
void case_icmp_reply_without_request_invalid(struct dp *t);
void case_icmp_error_related(struct dp *t);
void case_icmp_error_unknown_invalid(struct dp *t);
void case_icmp_error_truncated_quote_invalid(struct dp *t);
void case_icmpv6_echo_and_error(struct dp *t);
void case_icmpv6_neighbour_discovery_untracked(struct dp *t);
void case_other_protocol(struct dp *t);
void case_counters(struct dp *t);
/* dp_parse.c */
void case_ipv6_tcp_udp(struct dp *t);
void case_ipv6_extension_headers(struct dp *t);
void case_ipv6_too_many_extension_headers(struct dp *t);
void case_vlan(struct dp *t);
void case_ipv4_options(struct dp *t);
void case_non_ip(struct dp *t);
void case_malformed_ethernet_vlan(struct dp *t);
void case_malformed_ipv4(struct dp *t);
void case_malformed_ipv6(struct dp *t);
void case_malformed_l4(struct dp *t);
void case_fragments_ipv4(struct dp *t);
void case_fragments_ipv6(struct dp *t);
void case_fragment_without_first(struct dp *t);
/* dp_chain.c */
void case_chain_input_forward(struct dp *t);
void case_chain_broadcast_multicast_input(struct dp *t);
void case_chain_output_egress(struct dp *t);
void case_egress_forwarded_not_counted(struct dp *t);
void case_policy_defaults_drop(struct dp *t);
void case_policy_zero_config_accepts(struct dp *t);
void case_policy_copy_switch(struct dp *t);
void case_invalid_verdict(struct dp *t);
void case_policy_reject(struct dp *t);
void case_events_new(struct dp *t);
void case_half_evicted_connection(struct dp *t);
/* dp_prefilter.c */
void case_prefilter_blocked(struct dp *t);
void case_prefilter_untracked(struct dp *t);
void case_prefilter_nat_reply(struct dp *t);
void case_prefilter_malformed_passes(struct dp *t);
/* dp_fastpath.c */
void case_fastpath_udp4(struct dp *t);
void case_fastpath_tcp6(struct dp *t);
void case_fastpath_masquerade(struct dp *t);
void case_fastpath_kernel_cases(struct dp *t);
void case_fastpath_nexthop_kept(struct dp *t);
/* dp_nat_snat.c */
void case_nat_masquerade_tcp(struct dp *t);
void case_nat_masquerade_udp(struct dp *t);
void case_nat_masquerade_udp_zero_csum(struct dp *t);
void case_nat_masquerade_icmp_echo(struct dp *t);
void case_nat_unmatched_untouched(struct dp *t);
void case_nat_port_collision(struct dp *t);
void case_nat_port_taken_by_orig(struct dp *t);
void case_nat_port_exhausted(struct dp *t);
void case_nat_masquerade_no_address(struct dp *t);
void case_nat_reply_during_open(struct dp *t);
void case_nat_own_connection_during_open(struct dp *t);
/* dp_policy.c */
void case_policy_zones(struct dp *t);
void case_policy_prefixes(struct dp *t);
void case_policy_sets_negation(struct dp *t);
void case_policy_proto_family(struct dp *t);
void case_policy_ports(struct dp *t);
void case_policy_first_match(struct dp *t);
void case_policy_chain_defaults(struct dp *t);
void case_policy_invalid_with_rules(struct dp *t);
void case_policy_established_bypass(struct dp *t);
void case_policy_hits(struct dp *t);
void case_policy_incomplete_fails_closed(struct dp *t);
void case_policy_many_rules(struct dp *t);
/* dp_policy_limit_log.c */
void case_policy_limit(struct dp *t);
void case_policy_limit_refill(struct dp *t);
void case_policy_log_events(struct dp *t);
void case_policy_log_ring_full(struct dp *t);
void case_policy_default_log(struct dp *t);
/* dp_policy_switch.c */
void case_policy_atomic_switch(struct dp *t);
/* dp_reject.c */
void case_reject_tcp4(struct dp *t);
void case_reject_tcp6(struct dp *t);
void case_reject_tcp_options_payload(struct dp *t);
void case_reject_tcp_vlan(struct dp *t);
void case_reject_udp4_forward(struct dp *t);
void case_reject_udp4_input(struct dp *t);
void case_reject_udp6_quote_1280(struct dp *t);
void case_reject_icmp_echo(struct dp *t);
void case_reject_output_back_into_stack(struct dp *t);
void case_reject_never_answered(struct dp *t);
/* dp_nat_dnat.c */
void case_nat_port_forward_tcp(struct dp *t);
void case_nat_port_forward_udp_icmp(struct dp *t);
void case_nat_dnat_to_gateway(struct dp *t);
void case_nat_hairpin(struct dp *t);
void case_nat_dnat_zone_scoped(struct dp *t);
/* dp_nat_icmp.c */
void case_nat_icmp_error_from_server(struct dp *t);
void case_nat_icmp_error_from_router(struct dp *t);
void case_nat_icmp_error_about_echo(struct dp *t);
void case_nat_icmp_error_from_client(struct dp *t);
void case_nat_icmp_error_port_forward(struct dp *t);
void case_nat_icmp_error_from_gateway(struct dp *t);
/* dp_nat_frag.c */
void case_nat_frag_masquerade(struct dp *t);
void case_nat_frag_out_of_order(struct dp *t);
void case_nat_frag_reply_out_of_order(struct dp *t);
void case_nat_frag_port_forward(struct dp *t);
void case_nat_frag_hairpin(struct dp *t);
/* dp_concurrency.c */
void case_concurrent_counters(struct dp *t);
void case_concurrent_open(struct dp *t);
/* dp_fuzz.c: run only when named (dp_test fuzz) */
void case_fuzz(struct dp *t);

#endif /* TCFW_DP_H */
