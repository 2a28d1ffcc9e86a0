// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * dp_ct_table.c - the connection table's limits: when full, new connections are refused and
 * counted, the ones already tracked go on (the table never evicts; fwd makes room by early
 * drop); both directions of a connection share one key, whichever endpoint opened it.
 */
#include <netinet/in.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tcfw.skel.h"

#include "dp.h"

#define ORIG  TCFW_DIR_ORIG
#define REPLY TCFW_DIR_REPLY

/* dp_env.c loads the datapath with this many connection entries. */
#define DP_CT_ENTRIES 4096

DP_CASE(ct_table_full)
{
	static const struct flow web = {4, IPPROTO_TCP, "192.0.2.10", "198.51.100.20", 40000, 80};
	struct flow flood = {4, IPPROTO_UDP, "192.0.2.66", "198.51.100.20", 0, 53};
	unsigned int accepted = 0, refused = 0;

	dp_flow(t, "handshake SYN", DP_INGRESS_LAN, &web, ORIG, F_SYN, TC_OK);
	dp_flow(t, "handshake SYN-ACK", DP_INGRESS_WAN, &web, REPLY, F_SYN | F_ACK, TC_OK);
	dp_flow(t, "handshake ACK", DP_INGRESS_LAN, &web, ORIG, F_ACK, TC_OK);

	/* One new UDP flow per source port, more than the table holds. */
	for (unsigned int i = 0; i < DP_CT_ENTRIES + 100; i++) {
		struct pkt p;

		flood.sport = (uint16_t)(10000 + i);
		pkt_flow(&p, &flood, ORIG, 0);
		if (dp_run(t, "flood datagram", DP_INGRESS_LAN, &p) == TC_OK)
			accepted++;
		else
			refused++;
	}
	DP_EXPECT_EQ(t, "flood", "new flows stored (all the table had left)", accepted,
	             DP_CT_ENTRIES - 1);
	DP_EXPECT_EQ(t, "flood", "new flows refused", refused, 101);
	dp_expect_stat(t, "flood", TCFW_STAT_CT_INSERT_FAILED, 101);
	dp_expect_stat(t, "flood", TCFW_STAT_CT_NEW, DP_CT_ENTRIES);
	DP_EXPECT_EQ(t, "flood", "entries in ct", dp_count_ct(t), DP_CT_ENTRIES);

	/* The established connection was not pushed out, and goes on both ways. */
	dp_flow(t, "data from client, table full", DP_INGRESS_LAN, &web, ORIG, F_PSH | F_ACK,
	        TC_OK);
	dp_flow(t, "data from server, table full", DP_INGRESS_WAN, &web, REPLY, F_PSH | F_ACK,
	        TC_OK);
	dp_expect_conn(t, "table full", &web, TCFW_CT_TCP_ESTABLISHED, TCFW_CTF_ASSURED, NULL);
	dp_expect_stat(t, "table full", TCFW_STAT_EVICTIONS_SUSPECTED, 0);
}

/*
 * One table for both directions: a reply finds its connection under the key its orig tuple
 * was stored with, and there is no other entry to lose. Taken away by hand (as fwd would, in
 * the middle of a packet), the next packet of either direction finds nothing: a segment of
 * the reply direction is invalid, a new SYN opens the connection again with one insert.
 */
DP_CASE(reply_shares_the_orig_key)
{
	static const struct flow web = {4, IPPROTO_TCP, "192.0.2.10", "198.51.100.20", 40000, 80};
	struct tcfw_tuple orig, reply, ko, kr;

	dp_set_policy(t, 0, TCFW_VERDICT_ACCEPT, TCFW_VERDICT_ACCEPT, TCFW_VERDICT_ACCEPT,
	              TCFW_VERDICT_DROP);
	dp_tuple(&orig, &web, ORIG);
	dp_tuple(&reply, &web, REPLY);
	tcfw_ct_key(&ko, &orig);
	tcfw_ct_key(&kr, &reply);
	DP_EXPECT_TRUE(t, "keys", "orig and reply tuples have one key",
	               !memcmp(&ko, &kr, sizeof(ko)));

	dp_flow(t, "SYN", DP_INGRESS_LAN, &web, ORIG, F_SYN, TC_OK);
	dp_flow(t, "SYN-ACK", DP_INGRESS_WAN, &web, REPLY, F_SYN | F_ACK, TC_OK);
	dp_flow(t, "ACK", DP_INGRESS_LAN, &web, ORIG, F_ACK, TC_OK);
	dp_expect_conn(t, "handshake", &web, TCFW_CT_TCP_ESTABLISHED, TCFW_CTF_SEEN_REPLY, NULL);
	DP_EXPECT_EQ(t, "handshake", "connections", dp_count_ct(t), 1);
	DP_EXPECT_EQ(t, "handshake", "reference entries", dp_count_ct_refs(t), 0);

	DP_EXPECT_EQ(t, "entry deleted", "delete by the reply tuple's key", dp_ct_delete(t, &reply),
	             0);
	dp_flow(t, "data from the server after the entry went", DP_INGRESS_WAN, &web, REPLY,
	        F_PSH | F_ACK, TC_SHOT);
	DP_EXPECT_EQ(t, "after the entry went", "entries", dp_count_ct(t) + dp_count_ct_refs(t), 0);
	dp_flow(t, "SYN again", DP_INGRESS_LAN, &web, ORIG, F_SYN, TC_OK);
	dp_expect_conn(t, "SYN again", &web, TCFW_CT_TCP_SYN_SENT, 0, NULL);
	dp_expect_stat(t, "end", TCFW_STAT_EVICTIONS_SUSPECTED, 0);
	dp_expect_stat(t, "end", TCFW_STAT_CT_INSERT_FAILED, 0);
	dp_expect_stat(t, "end", TCFW_STAT_CT_NEW, 2);
}

/* Check that f's connection is stored with orig_swapped `swapped` and that both directions
 * count on it. */
static void expect_both_ways(struct dp *t, const char *what, const struct flow *f,
                             unsigned int swapped)
{
	struct tcfw_ct_entry e;

	dp_flow(t, what, DP_INGRESS_LAN, f, ORIG, 0, TC_OK);
	dp_flow(t, what, DP_INGRESS_WAN, f, REPLY, 0, TC_OK);
	dp_flow(t, what, DP_INGRESS_WAN, f, REPLY, 0, TC_OK);
	dp_expect_conn(t, what, f, TCFW_CT_UDP_ASSURED, TCFW_CTF_SEEN_REPLY, &e);
	DP_EXPECT_EQ(t, what, "orig_swapped", e.orig_swapped, swapped);
	DP_EXPECT_EQ(t, what, "orig packets", e.ctr[ORIG].packets, 1);
	DP_EXPECT_EQ(t, what, "reply packets", e.ctr[REPLY].packets, 2);
}

/*
 * A connection opened from the lower endpoint and one opened from the higher: the key is the
 * same shape either way, the entry remembers which side the orig tuple is. Then a tuple whose
 * two addresses are equal: the ports decide the order.
 */
DP_CASE(either_endpoint_opens)
{
	static const struct flow up = {4, IPPROTO_UDP, "192.0.2.10", "198.51.100.20", 5353, 53};
	static const struct flow down = {4, IPPROTO_UDP, "198.51.100.30", "192.0.2.11", 5353, 53};
	static const struct flow same_hi = {4, IPPROTO_UDP, "192.0.2.12", "192.0.2.12", 6000, 53};
	static const struct flow same_lo = {4, IPPROTO_UDP, "192.0.2.13", "192.0.2.13", 53, 6000};
	static const struct flow v6 = {6, IPPROTO_UDP, "2001:db8:9::1", "2001:db8:1::1", 7, 8};

	expect_both_ways(t, "lower endpoint first", &up, 0);
	expect_both_ways(t, "higher endpoint first", &down, 1);
	expect_both_ways(t, "equal addresses, higher port first", &same_hi, 1);
	expect_both_ways(t, "equal addresses, lower port first", &same_lo, 0);
	expect_both_ways(t, "IPv6, higher endpoint first", &v6, 1);
	DP_EXPECT_EQ(t, "end", "connections", dp_count_ct(t), 5);
	DP_EXPECT_EQ(t, "end", "reference entries", dp_count_ct_refs(t), 0);
	dp_expect_stat(t, "end", TCFW_STAT_CT_NEW, 5);
}
