// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * dp_policy_switch.c - the atomic policy switch: a policy written into the standby copy
 * changes nothing until config.policy_active names that copy; then packets see the new
 * policy, whole (its rules, its zones). Rewriting a copy leaves nothing of what it held
 * before (a stale prefix would still match). The copies by their default verdicts alone: a
 * connection opened under one copy survives the switch to the other.
 */
#include <netinet/in.h>

#include "dp.h"

#define ORIG  TCFW_DIR_ORIG
#define REPLY TCFW_DIR_REPLY

/* A: copy 0. Port 80 from anywhere, anything from the lower half of the LAN. */
static const char policy_a[] = "zone lan { lan0 }\nzone wan { wan0 }\n"
			       "defaults { forward drop }\n"
			       "forward accept proto tcp dport 80\n"
			       "forward accept from 192.0.2.0/25\n";
/* B: copy 1. Other zone names and ids (wan0 is zone 0 here), port 443 only, from inside. */
static const char policy_b[] = "zone outside { wan0 }\nzone inside { lan0 }\n"
			       "defaults { forward drop }\n"
			       "forward accept in inside out outside proto tcp dport 443\n";
/* C: copy 0 again. UDP to the WAN's subnet, and nothing of A. */
static const char policy_c[] = "zone lan { lan0 }\nzone wan { wan0 }\n"
			       "defaults { forward drop }\n"
			       "forward accept proto udp to 198.51.100.0/24\n";

/* A new connection from the client's source port sport to the server's dport: accepted? */
static void try_open(struct dp *t, const char *step, uint8_t proto, uint16_t sport, uint16_t dport,
                     bool accepted)
{
	struct flow f = {4, proto, "192.0.2.10", "198.51.100.20", sport, dport};

	dp_flow(t, step, DP_INGRESS_LAN, &f, ORIG, proto == IPPROTO_TCP ? F_SYN : 0,
	        accepted ? TC_OK : TC_SHOT);
}

DP_CASE(policy_atomic_switch)
{
	if (!dp_policy_load(t, "A into copy 0, live", policy_a, 0, true))
		return;
	try_open(t, "A: port 80", IPPROTO_TCP, 40000, 80, true);
	try_open(t, "A: port 443 from the lower half", IPPROTO_TCP, 40001, 443, true);

	if (!dp_policy_load(t, "B into copy 1, standby", policy_b, 1, false))
		return;
	try_open(t, "B written, A live: port 80", IPPROTO_TCP, 40002, 80, true);
	try_open(t, "B written, A live: udp", IPPROTO_UDP, 5000, 53, true);

	dp_set_config(t, 1, 0);
	try_open(t, "B live: port 80", IPPROTO_TCP, 40003, 80, false);
	try_open(t, "B live: port 443 (zones of copy 1)", IPPROTO_TCP, 40004, 443, true);
	try_open(t, "B live: udp", IPPROTO_UDP, 5001, 53, false);

	if (!dp_policy_load(t, "C into copy 0, standby", policy_c, 0, false))
		return;
	try_open(t, "C written, B live: port 443", IPPROTO_TCP, 40005, 443, true);
	try_open(t, "C written, B live: udp", IPPROTO_UDP, 5002, 53, false);

	dp_set_config(t, 0, 0);
	try_open(t, "C live: udp to the WAN", IPPROTO_UDP, 5003, 53, true);
	/* A accepted this (from 192.0.2.0/25); C's copy 0 must not remember A's prefix. */
	try_open(t, "C live: tcp from the lower half", IPPROTO_TCP, 40006, 8080, false);
	try_open(t, "C live: port 80", IPPROTO_TCP, 40007, 80, false);
	try_open(t, "C live: port 443", IPPROTO_TCP, 40008, 443, false);
}

DP_CASE(policy_copy_switch)
{
	static const struct flow web = {4, IPPROTO_TCP, "192.0.2.10", "198.51.100.20", 40000, 80};
	struct flow later = web;

	dp_set_policy(t, 0, TCFW_VERDICT_ACCEPT, TCFW_VERDICT_ACCEPT, TCFW_VERDICT_ACCEPT,
	              TCFW_VERDICT_ACCEPT);
	dp_set_policy(t, 1, TCFW_VERDICT_ACCEPT, TCFW_VERDICT_DROP, TCFW_VERDICT_ACCEPT,
	              TCFW_VERDICT_ACCEPT);
	dp_set_config(t, 0, 0);
	dp_flow(t, "SYN under copy 0 (forward accepts)", DP_INGRESS_LAN, &web, ORIG, F_SYN, TC_OK);
	dp_set_config(t, 1, 0);
	later.sport = 40100;
	dp_flow(t, "SYN under copy 1 (forward drops)", DP_INGRESS_LAN, &later, ORIG, F_SYN,
	        TC_SHOT);
	dp_flow(t, "SYN-ACK of the connection from copy 0", DP_INGRESS_WAN, &web, REPLY,
	        F_SYN | F_ACK, TC_OK);
	dp_expect_conn(t, "survives the switch", &web, TCFW_CT_TCP_SYN_RECV, 0, NULL);
	dp_set_config(t, 0, 0);
	dp_flow(t, "SYN under copy 0 again", DP_INGRESS_LAN, &later, ORIG, F_SYN, TC_OK);
}
