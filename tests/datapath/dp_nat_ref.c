// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * dp_nat_ref.c - a translated connection in map ct: its main entry under the key of its orig
 * tuple, a reference entry under the key of its translated reply tuple naming it (the NAT
 * binding), found by the replies through that reference, and deleted with the connection.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "dp_nat.h"

static const char masq_policy[] = DPN_ZONES "nat masquerade out wan from 192.0.2.0/24\n";

/* f's connection has one reference entry, under x's reply tuple, naming f's key. */
static void expect_reference(struct dp *t, const char *step, const struct flow *f,
                             const struct flow *x)
{
	struct tcfw_tuple orig, reply, key, named;

	dp_tuple(&orig, f, TCFW_DIR_ORIG);
	dp_tuple(&reply, x, TCFW_DIR_REPLY);
	tcfw_ct_key(&key, &orig);
	DP_EXPECT_EQ(t, step, "connections", dp_count_ct(t), 1);
	DP_EXPECT_EQ(t, step, "reference entries", dp_count_ct_refs(t), 1);
	if (!dp_ct_ref(t, &reply, &named))
		dp_fail(t, step, "no reference entry under the translated reply tuple's key");
	else if (memcmp(&named, &key, sizeof(key)))
		dp_fail(t, step, "the reference entry names another key than the connection's");
}

DP_CASE(nat_reference_entry)
{
	const struct flow f = {4, IPPROTO_UDP, CLIENT1, SERVER, 40000, 53};
	const struct flow x = dpn_flow_src(&f, PUBLIC_IP, 40000); /* what the server sees */
	struct tcfw_ct_entry e;
	struct pkt in, want;

	if (dpn_setup(t, masq_policy))
		return;
	pkt_flow(&in, &f, TCFW_DIR_ORIG, 0);
	dpn_expect(t, "query at lan0 ingress", DP_INGRESS_LAN, &in, TC_OK, NULL);
	expect_reference(t, "query", &f, &x);

	/* The answer to the public address finds the connection through the reference. */
	pkt_flow(&in, &x, TCFW_DIR_REPLY, 0);
	pkt_flow(&want, &f, TCFW_DIR_REPLY, 0);
	dpn_expect(t, "answer at wan0 ingress: back to the client", DP_INGRESS_WAN, &in, TC_OK,
	           &want);
	if (dpn_conn(t, "answer", &f, &e)) {
		DP_EXPECT_EQ(t, "answer", "state", e.state, TCFW_CT_UDP_REPLIED);
		DP_EXPECT_EQ(t, "answer", "reply packets", e.ctr[TCFW_DIR_REPLY].packets, 1);
	}
	/* The answer as the client sees it (after translation) is no packet of the wire: the
	 * same key as the client's own tuple, the connection's reply tuple reversed nowhere. */
	dp_expect_stat(t, "end", TCFW_STAT_EVICTIONS_SUSPECTED, 0);
	dp_expect_stat(t, "end", TCFW_STAT_CT_NEW, 1);
}

/*
 * A SYN on a closed translated connection forgets it (main entry and reference) and opens it
 * again. Had the reference stayed, the new connection would find the client's port taken
 * and masquerade it behind another one.
 */
DP_CASE(nat_reference_deleted_with_connection)
{
	const struct flow f = {4, IPPROTO_TCP, CLIENT1, SERVER, 40000, 80};
	const struct flow x = dpn_flow_src(&f, PUBLIC_IP, 40000); /* what the server sees */
	struct tcfw_ct_entry e;
	struct pkt in, want;

	if (dpn_setup(t, masq_policy))
		return;
	pkt_flow(&in, &f, TCFW_DIR_ORIG, F_SYN);
	dpn_expect(t, "SYN", DP_INGRESS_LAN, &in, TC_OK, NULL);
	pkt_flow(&in, &x, TCFW_DIR_REPLY, F_SYN | F_ACK);
	DP_EXPECT_EQ(t, "SYN-ACK", "verdict", dpn_run(t, "SYN-ACK", DP_INGRESS_WAN, &in, &want),
	             TC_OK);
	pkt_flow(&in, &f, TCFW_DIR_ORIG, F_ACK);
	dpn_expect(t, "ACK", DP_INGRESS_LAN, &in, TC_OK, NULL);
	pkt_flow(&in, &x, TCFW_DIR_REPLY, F_RST);
	DP_EXPECT_EQ(t, "RST from the server", "verdict",
	             dpn_run(t, "RST from the server", DP_INGRESS_WAN, &in, &want), TC_OK);
	if (dpn_conn(t, "after the RST", &f, &e))
		DP_EXPECT_EQ(t, "after the RST", "state", e.state, TCFW_CT_TCP_CLOSE);
	expect_reference(t, "after the RST", &f, &x);

	pkt_flow(&in, &f, TCFW_DIR_ORIG, F_SYN);
	dpn_expect(t, "new SYN on the closed connection", DP_INGRESS_LAN, &in, TC_OK, NULL);
	pkt_flow(&want, &x, TCFW_DIR_ORIG, F_SYN);
	dpn_expect(t, "new SYN at wan0 egress: the client's port again", DP_EGRESS_FWD_WAN, &in,
	           TC_OK, &want);
	if (dpn_conn(t, "reopened", &f, &e)) {
		DP_EXPECT_EQ(t, "reopened", "state", e.state, TCFW_CT_TCP_SYN_SENT);
		DP_EXPECT_EQ(t, "reopened", "orig packets (a new connection)",
		             e.ctr[TCFW_DIR_ORIG].packets, 1);
		DP_EXPECT_EQ(t, "reopened", "masqueraded port", dpn_snat_port(&e), 40000);
	}
	expect_reference(t, "reopened", &f, &x);
	dp_expect_stat(t, "end", TCFW_STAT_CT_NEW, 2);
	dp_expect_stat(t, "end", TCFW_STAT_NAT_PORT_RETRIES, 0);
}
