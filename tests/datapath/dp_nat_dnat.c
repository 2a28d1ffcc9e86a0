// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * dp_nat_dnat.c - port forwarding (dnat) from the WAN to a LAN server, a dnat to the gateway
 * itself, and hairpin: a LAN client using the public address reaches the LAN server, which
 * sees the gateway's LAN address as its peer.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "dp_nat.h"

static const char forward_policy[] =
    DPN_ZONES "nat masquerade out wan from 192.0.2.0/24\n"
	      "nat dnat in wan proto tcp dport 8080 -> 192.0.2.20:80\n"
	      "nat dnat in wan proto udp dport 5353 -> 192.0.2.20:53\n"
	      "nat dnat in wan proto icmp -> 192.0.2.20\n"
	      "nat dnat in wan proto tcp dport 2222 -> 192.0.2.1:22\n";

static void expect_tuple(struct dp *t, const char *step, const char *what,
                         const struct tcfw_tuple *got, const struct flow *f, int dir)
{
	struct tcfw_tuple want;

	dp_tuple(&want, f, dir);
	if (memcmp(got, &want, sizeof(want)))
		dp_fail(t, step, "%s: expected %s:%u -> %s:%u (%s direction)", what, f->src,
		        f->sport, f->dst, f->dport, dir == TCFW_DIR_ORIG ? "orig" : "reply");
}

/* A TCP port forward: WAN client -> public:8080 reaches 192.0.2.20:80 and back. */
DP_CASE(nat_port_forward_tcp)
{
	const struct flow f = {4, IPPROTO_TCP, SERVER, PUBLIC_IP, 5555, 8080};
	const struct flow x = dpn_flow_dst(&f, LAN_SRV, 80); /* what the LAN server sees */
	struct tcfw_ct_entry e;
	struct pkt in, want;

	if (dpn_setup(t, forward_policy))
		return;
	pkt_flow(&in, &f, TCFW_DIR_ORIG, F_SYN);
	pkt_flow(&want, &x, TCFW_DIR_ORIG, F_SYN);
	dpn_expect(t, "SYN at wan0 ingress: destination forwarded before routing", DP_INGRESS_WAN,
	           &in, TC_OK, &want);
	dpn_expect(t, "SYN at lan0 egress: untouched", DP_EGRESS_FWD_LAN, &want, TC_OK, NULL);
	if (dpn_conn(t, "connection", &f, &e)) {
		DP_EXPECT_EQ(t, "connection", "nat_kind", e.nat_kind, TCFW_NAT_DNAT);
		DP_EXPECT_EQ(t, "connection", "chain (routing saw the LAN server)", e.chain,
		             TCFW_CHAIN_FORWARD);
		DP_EXPECT_EQ(t, "connection", "ifindex_out", e.ifindex_out, t->ifindex_lan);
		expect_tuple(t, "connection", "reply tuple", &e.reply, &x, TCFW_DIR_REPLY);
	}

	pkt_flow(&in, &x, TCFW_DIR_REPLY, F_SYN | F_ACK);
	pkt_flow(&want, &f, TCFW_DIR_REPLY, F_SYN | F_ACK);
	dpn_expect(t, "SYN-ACK at lan0 ingress: untouched (a source changes at egress)",
	           DP_INGRESS_LAN, &in, TC_OK, NULL);
	dpn_expect(t, "SYN-ACK at wan0 egress: source back to the public address:port",
	           DP_EGRESS_FWD_WAN, &in, TC_OK, &want);
	pkt_flow(&in, &f, TCFW_DIR_ORIG, F_ACK);
	pkt_flow(&want, &x, TCFW_DIR_ORIG, F_ACK);
	dpn_expect(t, "ACK at wan0 ingress: forwarded", DP_INGRESS_WAN, &in, TC_OK, &want);
	if (dpn_conn(t, "connection", &f, &e))
		DP_EXPECT_EQ(t, "connection", "state", e.state, TCFW_CT_TCP_ESTABLISHED);
	dp_expect_stat(t, "counters", TCFW_STAT_NAT_TRANSLATED, 3);
}

/* UDP forward and an ICMP echo forward (dnat without a port: the id is left alone). */
DP_CASE(nat_port_forward_udp_icmp)
{
	const struct flow u = {4, IPPROTO_UDP, SERVER, PUBLIC_IP, 6000, 5353};
	const struct flow ux = dpn_flow_dst(&u, LAN_SRV, 53);
	const struct flow p = {4, IPPROTO_ICMP, SERVER, PUBLIC_IP, 99, 0};
	const struct flow px = dpn_flow_dst(&p, LAN_SRV, 0);
	struct pkt in, want;

	if (dpn_setup(t, forward_policy))
		return;
	pkt_flow(&in, &u, TCFW_DIR_ORIG, 0);
	pkt_flow(&want, &ux, TCFW_DIR_ORIG, 0);
	dpn_expect(t, "UDP request at wan0 ingress: to 192.0.2.20:53", DP_INGRESS_WAN, &in, TC_OK,
	           &want);
	pkt_flow(&in, &ux, TCFW_DIR_REPLY, 0);
	pkt_flow(&want, &u, TCFW_DIR_REPLY, 0);
	dpn_expect(t, "UDP response at wan0 egress: from the public address:5353",
	           DP_EGRESS_FWD_WAN, &in, TC_OK, &want);

	pkt_flow(&in, &p, TCFW_DIR_ORIG, 0);
	pkt_flow(&want, &px, TCFW_DIR_ORIG, 0);
	dpn_expect(t, "echo request at wan0 ingress: to 192.0.2.20, id kept", DP_INGRESS_WAN, &in,
	           TC_OK, &want);
	pkt_flow(&in, &px, TCFW_DIR_REPLY, 0);
	pkt_flow(&want, &p, TCFW_DIR_REPLY, 0);
	dpn_expect(t, "echo reply at lan0 ingress: untouched", DP_INGRESS_LAN, &in, TC_OK, NULL);
	dpn_expect(t, "echo reply at wan0 egress: from the public address", DP_EGRESS_FWD_WAN, &in,
	           TC_OK, &want);
}

/* dnat to the gateway's own address: the input chain, and replies the gateway sends itself. */
DP_CASE(nat_dnat_to_gateway)
{
	const struct flow f = {4, IPPROTO_TCP, SERVER, PUBLIC_IP, 5555, 2222};
	const struct flow x = dpn_flow_dst(&f, LAN_GW, 22);
	struct tcfw_ct_entry e;
	struct pkt in, want;

	if (dpn_setup(t, forward_policy))
		return;
	pkt_flow(&in, &f, TCFW_DIR_ORIG, F_SYN);
	pkt_flow(&want, &x, TCFW_DIR_ORIG, F_SYN);
	dpn_expect(t, "SYN at wan0 ingress: to the gateway's own port 22", DP_INGRESS_WAN, &in,
	           TC_OK, &want);
	if (dpn_conn(t, "connection", &f, &e))
		DP_EXPECT_EQ(t, "connection", "chain", e.chain, TCFW_CHAIN_INPUT);
	pkt_flow(&in, &x, TCFW_DIR_REPLY, F_SYN | F_ACK);
	pkt_flow(&want, &f, TCFW_DIR_REPLY, F_SYN | F_ACK);
	dpn_expect(t, "the gateway's SYN-ACK at wan0 egress: from the public address:2222",
	           DP_EGRESS_LOCAL_WAN, &in, TC_OK, &want);
}

/*
 * Hairpin: 192.0.2.10 -> 198.51.100.1:8080 arriving on lan0. The dnat rule is 'in wan', and the
 * destination is wan0's address: it applies (NAT loopback), the LAN server gets the
 * connection from the gateway's LAN address, and replies go back the same way.
 */
DP_CASE(nat_hairpin)
{
	const struct flow f = {4, IPPROTO_TCP, CLIENT1, PUBLIC_IP, 40000, 8080};
	const struct flow mid = dpn_flow_dst(&f, LAN_SRV, 80);   /* after ingress */
	const struct flow x = dpn_flow_src(&mid, LAN_GW, 40000); /* what the LAN server sees */
	struct tcfw_ct_entry e;
	struct pkt in, want, mid_pkt;

	if (dpn_setup(t, forward_policy))
		return;
	pkt_flow(&in, &f, TCFW_DIR_ORIG, F_SYN);
	pkt_flow(&mid_pkt, &mid, TCFW_DIR_ORIG, F_SYN);
	dpn_expect(t, "SYN at lan0 ingress: destination to the LAN server", DP_INGRESS_LAN, &in,
	           TC_OK, &mid_pkt);
	pkt_flow(&want, &x, TCFW_DIR_ORIG, F_SYN);
	dpn_expect(t, "SYN at lan0 egress: source to the gateway's LAN address", DP_EGRESS_FWD_LAN,
	           &mid_pkt, TC_OK, &want);
	if (dpn_conn(t, "connection", &f, &e)) {
		DP_EXPECT_EQ(t, "connection", "nat_kind", e.nat_kind,
		             TCFW_NAT_SNAT | TCFW_NAT_DNAT);
		DP_EXPECT_EQ(t, "connection", "ifindex_out", e.ifindex_out, t->ifindex_lan);
		expect_tuple(t, "connection", "reply tuple", &e.reply, &x, TCFW_DIR_REPLY);
	}

	/* The server's answer: 192.0.2.20:80 -> 192.0.2.1:40000. */
	pkt_flow(&in, &x, TCFW_DIR_REPLY, F_SYN | F_ACK);
	pkt_flow(&mid_pkt, &mid, TCFW_DIR_REPLY, F_SYN | F_ACK);
	dpn_expect(t, "SYN-ACK at lan0 ingress: destination back to the client", DP_INGRESS_LAN,
	           &in, TC_OK, &mid_pkt);
	pkt_flow(&want, &f, TCFW_DIR_REPLY, F_SYN | F_ACK);
	dpn_expect(t, "SYN-ACK at lan0 egress: source back to the public address:8080",
	           DP_EGRESS_FWD_LAN, &mid_pkt, TC_OK, &want);

	pkt_flow(&in, &f, TCFW_DIR_ORIG, F_ACK);
	pkt_flow(&mid_pkt, &mid, TCFW_DIR_ORIG, F_ACK);
	pkt_flow(&want, &x, TCFW_DIR_ORIG, F_ACK);
	dpn_expect(t, "ACK at lan0 ingress", DP_INGRESS_LAN, &in, TC_OK, &mid_pkt);
	dpn_expect(t, "ACK at lan0 egress", DP_EGRESS_FWD_LAN, &mid_pkt, TC_OK, &want);
	if (dpn_conn(t, "connection", &f, &e))
		DP_EXPECT_EQ(t, "connection", "state", e.state, TCFW_CT_TCP_ESTABLISHED);
}

/* A dnat rule 'in wan' does not apply to LAN traffic that is not addressed to the gateway. */
DP_CASE(nat_dnat_zone_scoped)
{
	const struct flow f = {4, IPPROTO_TCP, CLIENT1, SERVER, 40000, 8080};
	const struct flow x = dpn_flow_src(&f, PUBLIC_IP, 40000);
	struct pkt in, want;

	if (dpn_setup(t, forward_policy))
		return;
	pkt_flow(&in, &f, TCFW_DIR_ORIG, F_SYN);
	dpn_expect(t, "SYN to a WAN server's port 8080 at lan0 ingress: not forwarded",
	           DP_INGRESS_LAN, &in, TC_OK, NULL);
	pkt_flow(&want, &x, TCFW_DIR_ORIG, F_SYN);
	dpn_expect(t, "SYN at wan0 egress: masqueraded only", DP_EGRESS_FWD_WAN, &in, TC_OK, &want);
}

/*
 * Two port forwards to one LAN server port, with snat toward the LAN: the same WAN client
 * port through both would be one tuple between the gateway's ingress and egress (map
 * nat_alias). The second is refused, counted as that (nat_alias_taken), not as a port
 * shortage.
 */
DP_CASE(nat_alias_taken)
{
	const struct flow f1 = {4, IPPROTO_TCP, SERVER, PUBLIC_IP, 5555, 8080};
	const struct flow f2 = {4, IPPROTO_TCP, SERVER, PUBLIC_IP, 5555, 8081};
	struct tcfw_ct_entry e;
	struct pkt in, out;

	if (dpn_setup(t, DPN_ZONES "nat dnat in wan proto tcp dport 8080 -> 192.0.2.20:80\n"
	                           "nat dnat in wan proto tcp dport 8081 -> 192.0.2.20:80\n"
	                           "nat snat out lan -> 192.0.2.1\n"))
		return;
	pkt_flow(&in, &f1, TCFW_DIR_ORIG, F_SYN);
	DP_EXPECT_EQ(t, "first forward", "verdict",
	             dpn_run(t, "first forward", DP_INGRESS_WAN, &in, &out), TC_OK);
	if (dpn_conn(t, "first forward", &f1, &e))
		DP_EXPECT_EQ(t, "first forward", "nat_kind", e.nat_kind,
		             TCFW_NAT_DNAT | TCFW_NAT_SNAT);
	pkt_flow(&in, &f2, TCFW_DIR_ORIG, F_SYN);
	DP_EXPECT_EQ(t, "second forward, same client port", "verdict",
	             dpn_run(t, "second forward", DP_INGRESS_WAN, &in, &out), TC_SHOT);
	dp_expect_no_conn(t, "second forward", &f2);
	dp_expect_stat(t, "counters", TCFW_STAT_NAT_ALIAS_TAKEN, 1);
	dp_expect_stat(t, "counters", TCFW_STAT_NAT_PORT_EXHAUSTED, 0);
	dp_expect_stat(t, "counters", TCFW_STAT_NAT_NO_ADDRESS, 0);
}
