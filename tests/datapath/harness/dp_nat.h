/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * dp_nat.h - what the NAT cases (dp_nat_*.c) share: a datapath with a compiled policy, packets
 * run with their rewritten bytes read back, and byte-exact comparison against packets the
 * test builds from scratch (the kit's tests/lib/pkt.c computes every length and checksum itself).
 *
 * The namespace is dp.h's:
 *   lan0 192.0.2.1/24   (clients 192.0.2.10, .11, .12; a LAN server 192.0.2.20)
 *   wan0 198.51.100.1/24 (the gateway's public address), route 203.0.113.0/24 via wan0
 *        (servers 203.0.113.5)
 * dpn_setup() also gives each interface its masquerade address (as fwd does from netlink) and
 * lists both addresses as the gateway's own (map local_addrs).
 */
#ifndef TCFW_DP_NAT_H
#define TCFW_DP_NAT_H

#include "dp.h"

#define LAN_GW    "192.0.2.1"
#define CLIENT1   "192.0.2.10"
#define CLIENT2   "192.0.2.11"
#define CLIENT3   "192.0.2.12"
#define LAN_SRV   "192.0.2.20"
#define PUBLIC_IP "198.51.100.1"
#define SERVER    "203.0.113.5"

/* The zones every NAT policy starts with, and defaults that accept (the cases are about
 * translation; the filter chains are other cases' business). */
#define DPN_ZONES                                                                                  \
	"zone lan { lan0 }\n"                                                                      \
	"zone wan { wan0 }\n"                                                                      \
	"defaults { input accept; forward accept; output accept; invalid drop }\n"

/*
 * Reload the datapath with egress finding its NAT work by lookups (nat_egress_ignore_hint:
 * bpf_prog_test_run cannot carry ingress's skb->tc_index hint to an egress run), compile
 * policy_text into copy 0 and install it, zones and addresses as above. 0, or -1 with a
 * failure recorded.
 */
int dpn_setup(struct dp *t, const char *policy_text);

/* Run in through hook; the packet as the program left it goes to out. Returns the TC
 * action, or -1 (failure recorded) when the run itself failed. */
int dpn_run(struct dp *t, const char *step, enum dp_hook hook, const struct pkt *in,
            struct pkt *out);

/* Expect got to be want byte for byte; a difference names the first differing field. */
void dpn_expect_bytes(struct dp *t, const char *step, const struct pkt *got,
                      const struct pkt *want);

/*
 * Run in through hook, expect the action; when it is TC_OK expect the packet to come out as
 * want (NULL: unchanged). Every checksum of the output is also verified on its own, so a
 * failure says which one is wrong.
 */
void dpn_expect(struct dp *t, const char *step, enum dp_hook hook, const struct pkt *in,
                int want_action, const struct pkt *want);

/* Verify the IPv4 header checksum and (for a whole datagram) the transport checksum of p. */
void dpn_check_csums(struct dp *t, const char *step, const struct pkt *p);

/* The connection whose orig tuple is f's orig direction. False (and a failure) when absent. */
bool dpn_conn(struct dp *t, const char *step, const struct flow *f, struct tcfw_ct_entry *e);

/* Host-order port (or ICMP id) a connection's source was translated to: its reply dport. */
uint16_t dpn_snat_port(const struct tcfw_ct_entry *e);

/* A flow with its ends replaced: src/sport (SNAT view) or dst/dport (DNAT view). */
struct flow dpn_flow_src(const struct flow *f, const char *src, uint16_t sport);
struct flow dpn_flow_dst(const struct flow *f, const char *dst, uint16_t dport);

/* A UDP datagram of f (orig direction when dir is TCFW_DIR_ORIG) with payload_len bytes of
 * payload and IP id, cut into fragments of at most frag_payload bytes of IP payload (a
 * multiple of 8): out[0..*n-1]. The UDP checksum covers the whole datagram; zero_csum leaves
 * it 0 (no checksum). */
void dpn_udp_fragments(const struct flow *f, int dir, size_t payload_len, uint16_t ip_id,
                       size_t frag_payload, bool zero_csum, struct pkt *out, size_t max, size_t *n);

#endif /* TCFW_DP_NAT_H */
