// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * dp_ct_table.c - the connection table's limits: when full, new connections are refused and
 * counted, the ones already tracked go on (the table never evicts; fwd makes room by early
 * drop); a connection that lost one of its halves (an LRU eviction) is repaired or counted.
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

DP_CASE(half_evicted_connection)
{
	int ct_fd = bpf_map__fd(t->skel->maps.ct), reply_fd = bpf_map__fd(t->skel->maps.ct_reply);
	struct tcfw_tuple orig, reply, back;
	static const struct flow dns = {4, IPPROTO_UDP, "192.0.2.10", "198.51.100.20", 5353, 53};
	struct flow other = dns;

	dp_tuple(&orig, &dns, ORIG);
	dp_tuple(&reply, &dns, REPLY);

	/* The reply half goes: the connection is live, so its reply half comes back. */
	dp_flow(t, "query", DP_INGRESS_LAN, &dns, ORIG, 0, TC_OK);
	bpf_map_delete_elem(reply_fd, &reply);
	dp_flow(t, "answer after the reply half was evicted", DP_INGRESS_WAN, &dns, REPLY, 0,
	        TC_OK);
	dp_expect_conn(t, "reply half restored", &dns, TCFW_CT_UDP_REPLIED, TCFW_CTF_SEEN_REPLY,
	               NULL);
	dp_expect_stat(t, "reply half restored", TCFW_STAT_EVICTIONS_SUSPECTED, 1);

	/* The entry goes: the reply half left behind is counted but kept (the datapath cannot
	 * tell it from a NAT port being reserved on another CPU); the answer then looks like a
	 * new flow from the server's side. */
	bpf_map_delete_elem(ct_fd, &orig);
	dp_flow(t, "answer after the entry was evicted", DP_INGRESS_WAN, &dns, REPLY, 0, TC_OK);
	dp_expect_stat(t, "stale reply half", TCFW_STAT_EVICTIONS_SUSPECTED, 2);
	DP_EXPECT_TRUE(t, "stale reply half", "stale reply half kept",
	               bpf_map_lookup_elem(reply_fd, &reply, &back) == 0);

	/* The entry goes, the reply half stays, and the same flow opens again: the old reply
	 * half is taken over. */
	other.sport = 5400;
	dp_tuple(&orig, &other, ORIG);
	dp_flow(t, "query 2", DP_INGRESS_LAN, &other, ORIG, 0, TC_OK);
	bpf_map_delete_elem(ct_fd, &orig);
	dp_flow(t, "query 2 again", DP_INGRESS_LAN, &other, ORIG, 0, TC_OK);
	dp_expect_conn(t, "query 2 again", &other, TCFW_CT_UDP_UNREPLIED, 0, NULL);
	dp_expect_stat(t, "end", TCFW_STAT_EVICTIONS_SUSPECTED, 3);
	dp_expect_stat(t, "end", TCFW_STAT_CT_INSERT_FAILED, 0);
}
