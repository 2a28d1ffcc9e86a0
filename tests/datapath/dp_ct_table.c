// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * dp_ct_table.c - a full connection table: new connections are refused and counted, the ones
 * already tracked go on (the table never evicts; fwd makes room by early drop).
 */
#include <netinet/in.h>
#include <string.h>

#include "dp.h"

#define ORIG  TCFW_DIR_ORIG
#define REPLY TCFW_DIR_REPLY

/* dp_env.c loads the datapath with this many connection entries. */
#define DP_CT_ENTRIES 4096

void case_ct_table_full(struct dp *t)
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
