// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * dp_policy_defaults.c - the policy seam without rules: the default verdicts of the chains,
 * a datapath fwd has not configured yet (every map zero: accept), and the invalid verdict.
 */
#include <netinet/in.h>

#include "dp.h"

#define ORIG  TCFW_DIR_ORIG
#define REPLY TCFW_DIR_REPLY

DP_CASE(policy_defaults_drop)
{
	static const struct flow web = {4, IPPROTO_TCP, "192.0.2.10", "198.51.100.20", 40000, 80};
	static const struct flow ssh = {4, IPPROTO_TCP, "192.0.2.10", "192.0.2.1", 40001, 22};
	static const struct flow out = {4, IPPROTO_UDP, "198.51.100.1", "198.51.100.20", 123, 123};

	dp_add_local_addr(t, "192.0.2.1", t->ifindex_lan);
	dp_set_policy(t, 0, TCFW_VERDICT_DROP, TCFW_VERDICT_DROP, TCFW_VERDICT_ACCEPT,
	              TCFW_VERDICT_DROP);
	dp_flow(t, "forward SYN, forward drops", DP_INGRESS_LAN, &web, ORIG, F_SYN, TC_SHOT);
	dp_expect_no_conn(t, "forward SYN dropped", &web);
	dp_flow(t, "input SYN, input drops", DP_INGRESS_LAN, &ssh, ORIG, F_SYN, TC_SHOT);
	dp_expect_no_conn(t, "input SYN dropped", &ssh);
	dp_flow(t, "output NTP, output accepts", DP_EGRESS_LOCAL_WAN, &out, ORIG, 0, TC_OK);
	dp_flow(t, "NTP answer at ingress (established)", DP_INGRESS_WAN, &out, REPLY, 0, TC_OK);
	dp_expect_conn(t, "NTP answered", &out, TCFW_CT_UDP_REPLIED, 0, NULL);
	/* Only the connection stored: the two the policy dropped were never created. */
	dp_expect_stat(t, "end", TCFW_STAT_CT_NEW, 1);
	dp_expect_stat(t, "end", TCFW_STAT_VERDICT_DROP, 2);
	dp_expect_stat(t, "end", TCFW_STAT_VERDICT_ACCEPT, 1);
	dp_expect_stat(t, "end", TCFW_STAT_CT_ESTABLISHED, 1);
	/* The same two drops by the chain that decided. */
	dp_expect_drops(t, "end", TCFW_DROP_POLICY, TCFW_CHAIN_FORWARD, 1);
	dp_expect_drops(t, "end", TCFW_DROP_POLICY, TCFW_CHAIN_INPUT, 1);
	dp_expect_drops(t, "end", TCFW_DROP_POLICY, TCFW_CHAIN_OUTPUT, 0);
	dp_expect_drops(t, "end", TCFW_DROP_INVALID, TCFW_DROP_CHAIN_NONE, 0);
	DP_EXPECT_EQ(t, "end", "entries in ct", dp_count_ct(t), 1);
}

DP_CASE(policy_zero_config_accepts)
{
	static const struct flow web = {4, IPPROTO_TCP, "192.0.2.10", "198.51.100.20", 40000, 80};
	static const struct flow dns = {4, IPPROTO_UDP, "192.0.2.10", "198.51.100.20", 5353, 53};
	/* fwd has written nothing: every map is zero. */
	dp_flow(t, "forward SYN", DP_INGRESS_LAN, &web, ORIG, F_SYN, TC_OK);
	dp_flow(t, "UDP flow", DP_INGRESS_LAN, &dns, ORIG, 0, TC_OK);
	dp_flow(t, "lone ACK (invalid)", DP_INGRESS_LAN,
	        &(struct flow){4, IPPROTO_TCP, "192.0.2.10", "198.51.100.20", 41000, 80}, ORIG,
	        F_ACK, TC_OK);
	dp_expect_stat(t, "end", TCFW_STAT_CT_INVALID, 1);
	dp_expect_stat(t, "end", TCFW_STAT_VERDICT_DROP, 0);
	dp_expect_stat(t, "end", TCFW_STAT_VERDICT_ACCEPT, 2);
}

DP_CASE(invalid_verdict)
{
	static const struct flow web = {4, IPPROTO_TCP, "192.0.2.10", "198.51.100.20", 40000, 80};
	dp_set_policy(t, 0, TCFW_VERDICT_ACCEPT, TCFW_VERDICT_ACCEPT, TCFW_VERDICT_ACCEPT,
	              TCFW_VERDICT_ACCEPT);
	dp_flow(t, "lone ACK, invalid accepted", DP_INGRESS_LAN, &web, ORIG, F_ACK, TC_OK);
	dp_set_policy(t, 0, TCFW_VERDICT_ACCEPT, TCFW_VERDICT_ACCEPT, TCFW_VERDICT_ACCEPT,
	              TCFW_VERDICT_DROP);
	dp_flow(t, "lone ACK, invalid dropped", DP_INGRESS_LAN, &web, ORIG, F_ACK, TC_SHOT);
	dp_expect_stat(t, "end", TCFW_STAT_CT_INVALID, 2);
	dp_expect_stat(t, "end", TCFW_STAT_VERDICT_DROP, 1);
	/* Dropped as invalid, not by a chain. */
	dp_expect_drops(t, "end", TCFW_DROP_INVALID, TCFW_DROP_CHAIN_NONE, 1);
	dp_expect_drops(t, "end", TCFW_DROP_POLICY, TCFW_CHAIN_FORWARD, 0);
	DP_EXPECT_EQ(t, "end", "entries in ct (invalid opens nothing)", dp_count_ct(t), 0);
}
